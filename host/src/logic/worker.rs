//! Process isolation: each logic layer in its own worker process, with a memory
//! cap and a watchdog. A hostile mini program can only ever kill itself.
//!
//! The embedding app's executable is re-entered as the worker. It must call
//! [`enter_if_worker`] first thing in `main`:
//!
//! ```no_run
//! // First line of the wallet's `main`:
//! mpkit_host::logic::worker::enter_if_worker();
//! // ... the wallet's own start-up
//! ```

use super::engine::{JsLimits, LogicLayer};
use super::protocol::{FromLogic, ScriptError, ToLogic};
use super::{Logic, Stopped, SyncHandler};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

/// The argument that turns an executable into a logic worker.
pub const WORKER_ARG: &str = "--mpkit-logic-worker";

/// Host → worker. Externally tagged, as `WorkerOut` and `FromLogic` are: an
/// internally tagged enum makes serde buffer each message whole before
/// reading it, which doubled the cost of a large setData across the pipe.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum WorkerIn {
    Init {
        limits: (u64, usize, usize),
        apis: Vec<String>,
    },
    Load {
        file: String,
        source: String,
        route: Option<String>,
    },
    Handle {
        msg: ToLogic,
    },
    SyncReply {
        result: Result<Value, Value>,
    },
}

/// Worker → host.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum WorkerOut {
    Ready,
    Loaded { result: Result<(), ScriptError> },
    Out { msgs: Vec<FromLogic> },
    SyncCall { name: String, params: Value },
    Fatal { message: String },
}

/// How a worker is started and held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    /// The executable to re-enter (default: the current one).
    pub exe: Option<PathBuf>,
    /// Address space the worker may add to what it maps at start (its
    /// executable and shared libraries), in bytes.
    pub memory_bytes: u64,
    /// How long one message may run before the worker is killed.
    pub timeout: Duration,
}

impl Default for WorkerConfig {
    fn default() -> WorkerConfig {
        WorkerConfig {
            exe: None,
            memory_bytes: 1024 * 1024 * 1024,
            timeout: Duration::from_secs(5),
        }
    }
}

/// Runs the worker loop and exits when this process was started as a worker;
/// returns at once otherwise.
pub fn enter_if_worker() {
    let mut args = std::env::args_os();
    if args.nth(1).is_some_and(|a| a == WORKER_ARG) {
        let cap = std::env::var("MPKIT_WORKER_MEMORY")
            .ok()
            .and_then(|v| v.parse::<u64>().ok());
        let code = match worker_main(cap) {
            Ok(()) => 0,
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "mpkit logic worker: {e}");
                70
            }
        };
        std::process::exit(code);
    }
}

fn send(out: &mut impl Write, msg: &WorkerOut) -> std::io::Result<()> {
    let mut line = encode(msg).map_err(std::io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line)?;
    out.flush()
}

/// One message as its line, without the newline. A setData patch's text is
/// framed as it is: the logic layer's writer made it one JSON object, and
/// checking that again would read every byte of a large patch a second
/// time. Nothing here is trusted for that: the worker runs the mini
/// program, so its lines are the mini program's, and the host parses each
/// whole line and checks what it names (pages are looked up among the app's
/// own), as it does anything a worker says.
fn encode(msg: &WorkerOut) -> serde_json::Result<Vec<u8>> {
    let WorkerOut::Out { msgs } = msg else {
        return serde_json::to_vec(msg);
    };
    let size: usize = msgs
        .iter()
        .map(|m| match m {
            FromLogic::SetDataJson { patch, .. } => patch.text().len() + 80,
            _ => 128,
        })
        .sum();
    let mut line = Vec::with_capacity(size + 16);
    line.extend_from_slice(b"{\"out\":{\"msgs\":[");
    for (i, m) in msgs.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        match m {
            FromLogic::SetDataJson {
                page,
                patch,
                callback,
                size,
            } => {
                let mut num = itoa::Buffer::new();
                line.extend_from_slice(b"{\"setData\":{\"page\":");
                line.extend_from_slice(num.format(*page).as_bytes());
                line.extend_from_slice(b",\"patch\":");
                line.extend_from_slice(patch.text().as_bytes());
                line.extend_from_slice(b",\"callback\":");
                line.extend_from_slice(num.format(*callback).as_bytes());
                line.extend_from_slice(b",\"size\":");
                line.extend_from_slice(num.format(*size).as_bytes());
                line.extend_from_slice(b"}}");
            }
            other => serde_json::to_writer(&mut line, other)?,
        }
    }
    line.extend_from_slice(b"]}}");
    Ok(line)
}

/// The address space this process maps before it runs anything (Linux:
/// `VmSize`; elsewhere 0, so the cap is absolute).
fn mapped_at_start() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmSize:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

fn worker_main(memory_cap: Option<u64>) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Some(extra) = memory_cap {
        use rustix::process::{setrlimit, Resource, Rlimit};
        // The cap is on what the mini program adds: the executable and its
        // shared libraries (an embedding app may link a whole web engine)
        // are already mapped and are not its to spend.
        let cap = mapped_at_start().saturating_add(extra);
        setrlimit(
            Resource::As,
            Rlimit {
                current: Some(cap),
                maximum: Some(cap),
            },
        )
        .map_err(std::io::Error::from)?;
    }
    #[cfg(not(unix))]
    let _ = memory_cap;
    let stdin = std::rc::Rc::new(std::cell::RefCell::new(BufReader::new(std::io::stdin())));
    let stdout = std::rc::Rc::new(std::cell::RefCell::new(std::io::stdout()));
    let read = |r: &std::rc::Rc<std::cell::RefCell<BufReader<std::io::Stdin>>>| -> std::io::Result<Option<WorkerIn>> {
        let mut line = String::new();
        if r.borrow_mut().read_line(&mut line)? == 0 {
            return Ok(None);
        }
        serde_json::from_str(&line).map(Some).map_err(std::io::Error::other)
    };
    let Some(WorkerIn::Init { limits, apis }) = read(&stdin)? else {
        return Err(std::io::Error::other("expected init"));
    };
    let limits = JsLimits {
        loop_iterations: limits.0,
        recursion: limits.1,
        stack_size: limits.2,
    };
    let mut layer = match LogicLayer::new(limits, apis) {
        Ok(l) => l,
        Err(e) => {
            send(
                &mut *stdout.borrow_mut(),
                &WorkerOut::Fatal { message: e.message },
            )?;
            return Ok(());
        }
    };
    layer.send_patches_as_json();
    // Sync calls go to the host and block for its answer.
    let (sin, sout) = (stdin.clone(), stdout.clone());
    layer.set_sync_handler(Box::new(move |name: &str, params: &Value| {
        let asked = send(
            &mut *sout.borrow_mut(),
            &WorkerOut::SyncCall {
                name: name.to_owned(),
                params: params.clone(),
            },
        );
        let fail =
            || Err(serde_json::json!({"error": 3, "errorMessage": "the host did not answer"}));
        if asked.is_err() {
            return fail();
        }
        match read(&sin) {
            Ok(Some(WorkerIn::SyncReply { result })) => result,
            _ => fail(),
        }
    }));
    send(&mut *stdout.borrow_mut(), &WorkerOut::Ready)?;
    while let Some(msg) = read(&stdin)? {
        let reply = match msg {
            WorkerIn::Load {
                file,
                source,
                route,
            } => WorkerOut::Loaded {
                result: layer.load_script(&file, &source, route.as_deref()),
            },
            WorkerIn::Handle { msg } => WorkerOut::Out {
                msgs: layer.handle(&msg),
            },
            WorkerIn::Init { .. } | WorkerIn::SyncReply { .. } => WorkerOut::Fatal {
                message: "unexpected message".into(),
            },
        };
        send(&mut *stdout.borrow_mut(), &reply)?;
    }
    Ok(())
}

/// A logic layer in a worker process.
pub struct LogicProcess {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    timeout: Duration,
    sync: SyncHandler,
    stopped: Option<Stopped>,
}

impl std::fmt::Debug for LogicProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogicProcess")
            .field("pid", &self.child.id())
            .finish_non_exhaustive()
    }
}

impl LogicProcess {
    /// Starts a worker and its engine.
    pub fn spawn(
        config: &WorkerConfig,
        limits: JsLimits,
        apis: Vec<String>,
    ) -> Result<LogicProcess, Stopped> {
        let exe = match &config.exe {
            Some(e) => e.clone(),
            None => std::env::current_exe()
                .map_err(|e| Stopped::Crashed(format!("no executable to re-enter: {e}")))?,
        };
        let mut child = Command::new(exe)
            .arg(WORKER_ARG)
            .env("MPKIT_WORKER_MEMORY", config.memory_bytes.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Stopped::Crashed(format!("cannot start the logic worker: {e}")))?;
        let (stdin, stdout) = match (child.stdin.take(), child.stdout.take()) {
            (Some(i), Some(o)) => (i, o),
            _ => return Err(Stopped::Crashed("worker pipes missing".into())),
        };
        let (tx, lines) = mpsc::channel();
        // The one thread per worker: it only moves lines from the pipe to the channel.
        std::thread::Builder::new()
            .name("mpkit-worker-reader".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| Stopped::Crashed(format!("cannot start the reader thread: {e}")))?;
        let mut p = LogicProcess {
            child,
            stdin,
            lines,
            timeout: config.timeout,
            sync: Box::new(|name: &str, _: &Value| {
                Err(
                    serde_json::json!({"error": 1, "errorMessage": format!("my.{name} is not available in this host")}),
                )
            }),
            stopped: None,
        };
        p.write(&WorkerIn::Init {
            limits: (limits.loop_iterations, limits.recursion, limits.stack_size),
            apis,
        })?;
        match p.read()? {
            WorkerOut::Ready => Ok(p),
            WorkerOut::Fatal { message } => Err(p.stop(Stopped::Crashed(message))),
            other => Err(p.stop(Stopped::Crashed(format!(
                "unexpected first message {other:?}"
            )))),
        }
    }

    /// The worker's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stop(&mut self, why: Stopped) -> Stopped {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stopped = Some(why.clone());
        why
    }

    fn write(&mut self, msg: &WorkerIn) -> Result<(), Stopped> {
        if let Some(s) = &self.stopped {
            return Err(s.clone());
        }
        let line = serde_json::to_string(msg).map_err(|e| Stopped::Crashed(e.to_string()))?;
        let ok = self
            .stdin
            .write_all(line.as_bytes())
            .and_then(|()| self.stdin.write_all(b"\n"))
            .and_then(|()| self.stdin.flush());
        if ok.is_err() {
            let why = self.exit_reason();
            return Err(self.stop(why));
        }
        Ok(())
    }

    /// Waits for the next message, answering sync calls on the way; the watchdog
    /// kills the worker when one message takes longer than the timeout.
    fn read(&mut self) -> Result<WorkerOut, Stopped> {
        let deadline = std::time::Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let msg: WorkerOut = serde_json::from_str(&line)
                        .map_err(|e| Stopped::Crashed(format!("worker sent garbage: {e}")))?;
                    if let WorkerOut::SyncCall { name, params } = msg {
                        let result = (self.sync)(&name, &params);
                        self.write(&WorkerIn::SyncReply { result })?;
                        continue;
                    }
                    return Ok(msg);
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(self.stop(Stopped::Timeout {
                        after: self.timeout,
                    }))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let why = self.exit_reason();
                    return Err(self.stop(why));
                }
            }
        }
    }

    fn exit_reason(&mut self) -> Stopped {
        match self.child.wait() {
            Ok(status) => {
                #[cfg(unix)]
                {
                    use std::os::unix::process::ExitStatusExt;
                    // Allocation failure under the address-space cap aborts the worker.
                    if status.signal() == Some(6) {
                        return Stopped::OutOfMemory;
                    }
                }
                Stopped::Crashed(format!("the logic worker exited: {status}"))
            }
            Err(e) => Stopped::Crashed(format!("the logic worker vanished: {e}")),
        }
    }
}

impl Logic for LogicProcess {
    fn load_script(
        &mut self,
        file: &str,
        source: &str,
        route: Option<&str>,
    ) -> Result<Result<(), ScriptError>, Stopped> {
        self.write(&WorkerIn::Load {
            file: file.into(),
            source: source.into(),
            route: route.map(str::to_owned),
        })?;
        match self.read()? {
            WorkerOut::Loaded { result } => Ok(result),
            other => Err(self.stop(Stopped::Crashed(format!("unexpected reply {other:?}")))),
        }
    }

    fn handle(&mut self, msg: &ToLogic) -> Result<Vec<FromLogic>, Stopped> {
        self.write(&WorkerIn::Handle { msg: msg.clone() })?;
        match self.read()? {
            WorkerOut::Out { msgs } => Ok(msgs),
            other => Err(self.stop(Stopped::Crashed(format!("unexpected reply {other:?}")))),
        }
    }

    fn set_sync_handler(&mut self, handler: SyncHandler) {
        self.sync = handler;
    }
}

impl Drop for LogicProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logic::protocol::RawPatch;

    /// The hand-framed reply line is byte for byte what serde_json writes
    /// for the same messages, and the host reads the patch's text back as it was.
    #[test]
    fn replies_are_framed_as_serde_json_would_write_them() {
        let patch = r#"{"list[2].name":"x\"y \u2028","n":[1.5,{"k":null}]}"#;
        let msgs = vec![
            FromLogic::Console {
                level: "info".into(),
                text: "before \"quoted\"".into(),
            },
            FromLogic::SetDataJson {
                page: 3,
                patch: RawPatch::new(patch.into()),
                callback: 7,
                size: patch.len(),
            },
            FromLogic::SetTimer {
                id: 1,
                delay_ms: 5,
                repeat: false,
            },
            FromLogic::SetDataJson {
                page: u64::MAX,
                patch: RawPatch::new("{}".into()),
                callback: 0,
                size: 2,
            },
        ];
        let out = WorkerOut::Out { msgs };
        let framed = encode(&out).expect("encode");
        assert_eq!(
            String::from_utf8(framed.clone()).expect("utf8"),
            serde_json::to_string(&out).expect("serde")
        );
        let WorkerOut::Out { msgs } = serde_json::from_slice(&framed).expect("read") else {
            panic!("not an out message");
        };
        assert!(
            matches!(&msgs[1], FromLogic::SetDataJson { page: 3, patch: p, callback: 7, size }
            if p.text() == patch && *size == patch.len())
        );
        assert!(
            matches!(&msgs[3], FromLogic::SetDataJson { page: u64::MAX, patch: p, .. } if p.text() == "{}")
        );
        // Every other message is serde_json's own.
        for other in [
            WorkerOut::Ready,
            WorkerOut::Fatal {
                message: "x".into(),
            },
        ] {
            assert_eq!(
                encode(&other).expect("encode"),
                serde_json::to_vec(&other).expect("serde")
            );
        }
    }

    /// Patch text that is not one JSON object cannot pass for one: the line
    /// it is framed into does not read, so the host stops that worker (and
    /// only it), and a generic serializer refuses it outright.
    #[test]
    fn a_broken_patch_text_breaks_only_its_own_line() {
        for bad in [r#"{"a":1"#, r#"{"a":1},"x":{"#, "", "{} {}"] {
            let out = WorkerOut::Out {
                msgs: vec![FromLogic::SetDataJson {
                    page: 1,
                    patch: RawPatch::new(bad.into()),
                    callback: 0,
                    size: bad.len(),
                }],
            };
            let line = encode(&out).expect("framed as it is");
            assert!(
                serde_json::from_slice::<WorkerOut>(&line).is_err(),
                "{bad:?} read as {:?}",
                String::from_utf8_lossy(&line)
            );
            assert!(serde_json::to_string(&out).is_err(), "{bad:?}");
        }
    }
}
