//! The lines a worker writes, read by the thread that asks for them.
//!
//! On Unix the host waits for the worker's pipe with `poll` and reads what
//! is there, on its own thread: no reader thread, so an answer reaches the
//! host without a second thread waking up to hand it over. Elsewhere a
//! reader thread moves lines into a channel. Either way a line is held to
//! a cap, and the wait to a deadline.

use std::process::ChildStdout;
use std::time::Instant;

/// Why no line came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NoLine {
    /// The deadline passed.
    Timeout,
    /// The worker closed its end (it exited, or died).
    Closed,
    /// The worker broke the protocol (a line too long, not UTF-8) or the pipe failed.
    Broken(String),
}

/// Reads a worker's lines, each at most `max` bytes.
#[derive(Debug)]
pub(crate) struct Lines {
    inner: imp::Lines,
}

impl Lines {
    pub(crate) fn new(stdout: ChildStdout, max: usize) -> std::io::Result<Lines> {
        Ok(Lines {
            inner: imp::Lines::new(stdout, max)?,
        })
    }

    /// The next line, without its newline, waiting until `deadline`.
    pub(crate) fn next(&mut self, deadline: Instant) -> Result<String, NoLine> {
        self.inner.next(deadline)
    }
}

fn finish(line: Vec<u8>) -> Result<String, NoLine> {
    String::from_utf8(line)
        .map_err(|_| NoLine::Broken("the worker sent a line that is not UTF-8".into()))
}

#[cfg(unix)]
mod imp {
    use super::{finish, NoLine};
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    use std::io::Read as _;
    use std::os::fd::AsFd as _;
    use std::process::ChildStdout;
    use std::time::Instant;

    #[derive(Debug)]
    pub(super) struct Lines {
        pipe: ChildStdout,
        /// Bytes read and not yet returned.
        buf: Vec<u8>,
        /// How far `buf` has been searched for a newline.
        searched: usize,
        /// Where each read lands, allocated once.
        scratch: Box<[u8]>,
        max: usize,
    }

    impl Lines {
        pub(super) fn new(pipe: ChildStdout, max: usize) -> std::io::Result<Lines> {
            Ok(Lines {
                pipe,
                buf: Vec::with_capacity(64 * 1024),
                searched: 0,
                scratch: vec![0; 64 * 1024].into_boxed_slice(),
                max,
            })
        }

        fn too_long(&self) -> NoLine {
            NoLine::Broken(format!("the worker sent a line over {} bytes", self.max))
        }

        pub(super) fn next(&mut self, deadline: Instant) -> Result<String, NoLine> {
            loop {
                if let Some(i) = self.buf[self.searched..].iter().position(|b| *b == b'\n') {
                    let end = self.searched + i;
                    if end > self.max {
                        return Err(self.too_long());
                    }
                    let line = self.buf[..end].to_vec();
                    self.buf.drain(..=end);
                    self.searched = 0;
                    return finish(line);
                }
                self.searched = self.buf.len();
                if self.buf.len() > self.max {
                    return Err(self.too_long());
                }
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(NoLine::Timeout);
                }
                let timeout = Timespec {
                    tv_sec: left.as_secs().try_into().unwrap_or(i64::MAX),
                    tv_nsec: left.subsec_nanos().into(),
                };
                let fd = self.pipe.as_fd();
                let mut fds = [PollFd::new(&fd, PollFlags::IN)];
                match poll(&mut fds, Some(&timeout)) {
                    Ok(0) => return Err(NoLine::Timeout),
                    Ok(_) => {}
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(e) => return Err(NoLine::Broken(format!("the worker's pipe failed: {e}"))),
                }
                match self.pipe.read(&mut self.scratch) {
                    Ok(0) => return Err(NoLine::Closed),
                    Ok(n) => self.buf.extend_from_slice(&self.scratch[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        return Err(NoLine::Broken(format!("the worker's pipe failed: {e}")));
                    }
                }
            }
        }
    }
}

#[cfg(not(unix))]
mod imp {
    use super::{finish, NoLine};
    use std::io::{BufRead, BufReader, Read as _};
    use std::process::ChildStdout;
    use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
    use std::time::Instant;

    #[derive(Debug)]
    pub(super) struct Lines {
        lines: Receiver<Result<Vec<u8>, NoLine>>,
    }

    impl Lines {
        pub(super) fn new(pipe: ChildStdout, max: usize) -> std::io::Result<Lines> {
            let (tx, lines) = mpsc::channel();
            std::thread::Builder::new()
                .name("mpkit-worker-reader".into())
                .spawn(move || {
                    let mut pipe = BufReader::new(pipe);
                    loop {
                        let mut line = Vec::new();
                        let got = (&mut pipe)
                            .take(max as u64 + 1)
                            .read_until(b'\n', &mut line);
                        let msg = match got {
                            Ok(0) => Err(NoLine::Closed),
                            Ok(_) if line.last() == Some(&b'\n') => {
                                line.pop();
                                Ok(line)
                            }
                            Ok(_) if line.len() > max => Err(NoLine::Broken(format!(
                                "the worker sent a line over {max} bytes"
                            ))),
                            Ok(_) => Ok(line),
                            Err(e) => Err(NoLine::Broken(format!("the worker's pipe failed: {e}"))),
                        };
                        let last = msg.is_err();
                        if tx.send(msg).is_err() || last {
                            break;
                        }
                    }
                })?;
            Ok(Lines { lines })
        }

        pub(super) fn next(&mut self, deadline: Instant) -> Result<String, NoLine> {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(Ok(line)) => finish(line),
                Ok(Err(e)) => Err(e),
                Err(RecvTimeoutError::Timeout) => Err(NoLine::Timeout),
                Err(RecvTimeoutError::Disconnected) => Err(NoLine::Closed),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};
    use std::time::Duration;

    /// The lines `script` (run by `sh`) writes, read with a 10-byte cap.
    fn lines(script: &str) -> (Lines, std::process::Child) {
        let mut child = Command::new("sh")
            .args(["-c", script])
            .stdout(Stdio::piped())
            .spawn()
            .expect("sh");
        let out = child.stdout.take().expect("stdout");
        (Lines::new(out, 10).expect("lines"), child)
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    #[test]
    fn lines_are_split_held_to_their_cap_and_end_when_the_worker_does() {
        let (mut l, mut c) =
            lines("printf 'short\\nexactly10\\nsplit'; sleep 0.1; printf ' ok\\n'");
        assert_eq!(l.next(soon()), Ok("short".into()));
        assert_eq!(l.next(soon()), Ok("exactly10".into()));
        assert_eq!(
            l.next(soon()),
            Ok("split ok".into()),
            "a line over two writes"
        );
        assert_eq!(l.next(soon()), Err(NoLine::Closed));
        let _ = c.wait();
        let (mut l, mut c) = lines("printf 'this one is too long\\n'");
        assert_eq!(
            l.next(soon()),
            Err(NoLine::Broken(
                "the worker sent a line over 10 bytes".into()
            ))
        );
        let _ = c.wait();
        let (mut l, mut c) = lines("printf '\\377\\376\\n'");
        assert_eq!(
            l.next(soon()),
            Err(NoLine::Broken(
                "the worker sent a line that is not UTF-8".into()
            ))
        );
        let _ = c.wait();
    }

    #[test]
    fn a_worker_that_says_nothing_runs_into_the_deadline() {
        let (mut l, mut c) = lines("sleep 5");
        let t = Instant::now();
        assert_eq!(
            l.next(Instant::now() + Duration::from_millis(200)),
            Err(NoLine::Timeout)
        );
        let waited = t.elapsed();
        assert!(
            waited >= Duration::from_millis(190) && waited < Duration::from_secs(2),
            "{waited:?}"
        );
        let _ = c.kill();
        let _ = c.wait();
    }
}
