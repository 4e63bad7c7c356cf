//! Process isolation: each mini program's isolation unit (its JS and its
//! view: templates rendered and diffed) in its own worker process, with a
//! memory cap and a watchdog. A hostile mini program can only ever kill itself.
//!
//! The embedding app's executable is re-entered as the worker. It must call
//! [`enter_if_worker`] first thing in `main`:
//!
//! ```no_run
//! // First line of the wallet's `main`:
//! mpkit_host::enter_if_worker();
//! // ... the wallet's own start-up
//! ```

use super::engine::JsLimits;
use super::protocol::{FromLogic, ScriptError, ToLogic};
use super::unit::AppUnit;
use super::view::{UnitFiles, ViewConfig};
use super::{Logic, Stopped, SyncHandler};
use mpkit_jsapi::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
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
        view: ViewConfig,
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
    FileReply {
        result: Result<String, String>,
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
    ReadFile { path: String },
    Fatal { message: String },
}

/// The longest line the host reads from a worker. A render of the largest
/// page the render core allows fits in a fraction of it; a worker that
/// sends more is lying, and is stopped before the host holds the line.
pub(crate) const MAX_LINE_BYTES: usize = 64 << 20;

/// Answers a worker's request for one of the mini program's files, as text.
pub(crate) type FileReader = Box<dyn Fn(&str) -> Result<String, String>>;

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

impl WorkerConfig {
    /// The `mpkit-worker` executable beside the current one when it is there
    /// (it links only the runtime, not an embedding app's web engine), else
    /// the current executable, re-entered; the other settings default.
    pub fn beside_current_exe() -> WorkerConfig {
        let exe = std::env::current_exe().ok().and_then(|me| {
            let w = me.with_file_name(format!("mpkit-worker{}", std::env::consts::EXE_SUFFIX));
            w.is_file().then_some(w)
        });
        WorkerConfig {
            exe,
            ..WorkerConfig::default()
        }
    }
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
    let mut line = serde_json::to_vec(msg).map_err(std::io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line)?;
    out.flush()
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
    let Some(WorkerIn::Init { limits, apis, view }) = read(&stdin)? else {
        return Err(std::io::Error::other("expected init"));
    };
    let limits = JsLimits {
        loop_iterations: limits.0,
        recursion: limits.1,
        stack_size: limits.2,
    };
    // Templates and stylesheets come from the host, which reads them from
    // the verified bundle; this process opens no file of its own.
    struct AskHost {
        stdin: std::rc::Rc<std::cell::RefCell<BufReader<std::io::Stdin>>>,
        stdout: std::rc::Rc<std::cell::RefCell<std::io::Stdout>>,
    }
    impl UnitFiles for AskHost {
        fn read(&self, path: &str) -> Result<String, String> {
            send(
                &mut *self.stdout.borrow_mut(),
                &WorkerOut::ReadFile {
                    path: path.to_owned(),
                },
            )
            .map_err(|e| format!("cannot ask the host for {path}: {e}"))?;
            let mut line = String::new();
            self.stdin
                .borrow_mut()
                .read_line(&mut line)
                .map_err(|e| format!("no answer from the host for {path}: {e}"))?;
            match serde_json::from_str(&line) {
                Ok(WorkerIn::FileReply { result }) => result,
                _ => Err(format!("no answer from the host for {path}")),
            }
        }
    }
    let files = AskHost {
        stdin: stdin.clone(),
        stdout: stdout.clone(),
    };
    let mut layer = match AppUnit::new(limits, apis, view, Box::new(files)) {
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
        let fail = || Err(ApiError::Internal("the host did not answer".into()).to_js());
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
            WorkerIn::Init { .. } | WorkerIn::SyncReply { .. } | WorkerIn::FileReply { .. } => {
                WorkerOut::Fatal {
                    message: "unexpected message".into(),
                }
            }
        };
        send(&mut *stdout.borrow_mut(), &reply)?;
    }
    Ok(())
}

/// A logic layer in a worker process.
pub(crate) struct LogicProcess {
    child: Child,
    stdin: ChildStdin,
    lines: super::lines::Lines,
    timeout: Duration,
    sync: SyncHandler,
    files: FileReader,
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
    /// Starts a worker and its engine; the worker reads the mini program's
    /// templates and stylesheets through `files`.
    pub(crate) fn spawn(
        config: &WorkerConfig,
        limits: JsLimits,
        apis: Vec<String>,
        view: ViewConfig,
        files: FileReader,
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
        let lines = super::lines::Lines::new(stdout, MAX_LINE_BYTES)
            .map_err(|e| Stopped::Crashed(format!("cannot read the logic worker: {e}")))?;
        let mut p = LogicProcess {
            child,
            stdin,
            lines,
            timeout: config.timeout,
            sync: Box::new(super::engine::no_sync),
            files,
            stopped: None,
        };
        p.write(&WorkerIn::Init {
            limits: (limits.loop_iterations, limits.recursion, limits.stack_size),
            apis,
            view,
        })?;
        match p.read()? {
            WorkerOut::Ready => Ok(p),
            WorkerOut::Fatal { message } => Err(p.stop(Stopped::Crashed(message))),
            other => Err(p.stop(Stopped::Crashed(format!(
                "unexpected first message {other:?}"
            )))),
        }
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
        use super::lines::NoLine;
        let deadline = std::time::Instant::now() + self.timeout;
        loop {
            let line = match self.lines.next(deadline) {
                Ok(line) => line,
                Err(NoLine::Broken(e)) => return Err(self.stop(Stopped::Crashed(e))),
                Err(NoLine::Timeout) => {
                    return Err(self.stop(Stopped::Timeout {
                        after: self.timeout,
                    }))
                }
                Err(NoLine::Closed) => {
                    let why = self.exit_reason();
                    return Err(self.stop(why));
                }
            };
            let msg: WorkerOut = match serde_json::from_str(&line) {
                Ok(m) => m,
                Err(e) => {
                    return Err(self.stop(Stopped::Crashed(format!("worker sent garbage: {e}"))))
                }
            };
            match msg {
                WorkerOut::SyncCall { name, params } => {
                    let result = (self.sync)(&name, &params);
                    self.write(&WorkerIn::SyncReply { result })?;
                }
                WorkerOut::ReadFile { path } => {
                    let result = (self.files)(&path);
                    self.write(&WorkerIn::FileReply { result })?;
                }
                other => return Ok(other),
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

    /// What crosses the pipe from a worker reads back as it was sent: patch
    /// ops in their wire form among the other messages.
    #[test]
    fn replies_round_trip() {
        use mpkit_render::diff::PatchOp;
        let msgs = vec![
            FromLogic::Console {
                level: "info".into(),
                text: "before \"quoted\"".into(),
            },
            FromLogic::Patch {
                page: 3,
                ops: mpkit_render::wire::WireOps(vec![PatchOp::SetText {
                    id: 2,
                    text: "x\"y \u{2028}".into(),
                }]),
                first: false,
                callbacks: vec![7],
            },
        ];
        let line = serde_json::to_string(&WorkerOut::Out { msgs: msgs.clone() }).expect("json");
        assert!(
            line.contains(r#"{"patch":{"page":3,"ops":[[5,2,"x\"y "#),
            "{line}"
        );
        let WorkerOut::Out { msgs: back } = serde_json::from_str(&line).expect("reads") else {
            panic!("not an out message");
        };
        assert_eq!(back, msgs);
        // What only the logic layer hands the view never crosses.
        let inner = WorkerOut::Out {
            msgs: vec![FromLogic::InitialData {
                page: 1,
                data: serde_json::json!({}),
            }],
        };
        assert!(serde_json::to_string(&inner).is_err());
        assert!(serde_json::from_str::<WorkerOut>(
            r#"{"out":{"msgs":[{"initialData":{"page":1,"data":{}}}]}}"#
        )
        .is_err());
    }
}
