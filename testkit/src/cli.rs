//! The `mpkit` command line run in-process, exactly as the binary runs it
//! (`mpkit::run` with the arguments), with what it printed captured.

use std::ffi::OsString;
use std::sync::{Mutex, MutexGuard};

/// What one CLI invocation returned.
#[derive(Debug)]
pub struct Run {
    /// The exit code the binary would return.
    pub code: u8,
    /// Everything written to stdout.
    pub stdout: String,
    /// Everything written to stderr.
    pub stderr: String,
}

impl Run {
    /// Parses stdout as one JSON document.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }

    /// Asserts exit 0 and returns stdout as JSON.
    pub fn ok(self) -> serde_json::Value {
        assert_eq!(
            self.code, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self.json()
    }

    /// Asserts exit 1 with `{"ok": false, "error": ...}` on stdout and a
    /// reason on stderr; returns `error`.
    pub fn failed(self) -> serde_json::Value {
        assert_eq!(
            self.code, 1,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        let v = self.json();
        assert_eq!(v["ok"], false, "{v}");
        assert!(!self.stderr.is_empty(), "stderr names the reason");
        v["error"].clone()
    }
}

/// Runs `mpkit ARGS...` in-process, on this thread (wrap it in
/// [`crate::big_stack`] to run mini programs in thread isolation).
pub fn mpkit<I, T>(args: I) -> Run
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let mut argv: Vec<OsString> = vec!["mpkit".into()];
    argv.extend(args.into_iter().map(Into::into));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = mpkit::run(argv, &mut out, &mut err);
    Run {
        code,
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
    }
}

static ENV: Mutex<()> = Mutex::new(());

/// The CLI reads `MPKIT_CONFIG_DIR`, `MPKIT_SERVER`, `MPKIT_TOKEN`,
/// `XDG_CONFIG_HOME` and `MPKIT_LOG` from the process environment, which
/// every test thread shares. Hold this for the whole test: it clears them,
/// and sets `MPKIT_CONFIG_DIR` to `config_dir` so that nothing reads or
/// writes the user's own credentials.
pub fn env_lock(config_dir: &std::path::Path) -> MutexGuard<'static, ()> {
    let guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
    for v in [
        "MPKIT_SERVER",
        "MPKIT_TOKEN",
        "XDG_CONFIG_HOME",
        "MPKIT_LOG",
    ] {
        std::env::remove_var(v);
    }
    std::env::set_var("MPKIT_CONFIG_DIR", config_dir);
    guard
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_runs_in_process_and_its_output_is_captured() {
        let tmp = tempfile::tempdir().unwrap();
        let _g = env_lock(&tmp.path().join("config"));
        let key = tmp.path().join("k.key");
        let v = mpkit(["keygen", "--out", key.to_str().unwrap(), "--json"]).ok();
        assert!(v["keyId"].is_string(), "{v}");
        assert!(key.is_file());
        // The key is never overwritten: exit 1, the reason in JSON and on stderr.
        let e = mpkit(["keygen", "--out", key.to_str().unwrap(), "--json"]).failed();
        assert!(e["message"].is_string(), "{e}");
        // A usage error is exit 2.
        assert_eq!(mpkit(["keygen", "--no-such-flag"]).code, 2);
    }

    #[test]
    fn the_environment_lock_points_the_cli_at_its_own_config() {
        let tmp = tempfile::tempdir().unwrap();
        let _g = env_lock(&tmp.path().join("config"));
        std::env::set_var("MPKIT_TOKEN", "leftover");
        drop(_g);
        let _g = env_lock(&tmp.path().join("config"));
        assert!(std::env::var_os("MPKIT_TOKEN").is_none());
        // Not logged in: the CLI looks in the lock's config directory only.
        let e = mpkit(["workspace", "list", "--json"]).failed();
        assert_eq!(e["code"], "not_logged_in", "{e}");
    }
}
