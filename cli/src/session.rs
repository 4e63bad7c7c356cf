//! The stored platform credentials (`mpkit login`/`logout`) and the session
//! every management command talks to the platform through: the typed client
//! on a current-thread tokio runtime of its own.

use crate::args::ReleaseSel;
use crate::error::Coded;
use anyhow::{Context as _, Result};
use mpkit_platform_client::{wire, Client, Config};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::path::{Path, PathBuf};

/// The credentials file's name in the config directory.
pub(crate) const CREDENTIALS: &str = "credentials.json";

/// What `mpkit login` stores.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Credentials {
    pub(crate) server: String,
    pub(crate) token: String,
}

pub(crate) fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `$MPKIT_CONFIG_DIR`, else `$XDG_CONFIG_HOME/mpkit`, else `~/.config/mpkit`.
pub(crate) fn config_dir() -> Result<PathBuf> {
    if let Some(d) = env_nonempty("MPKIT_CONFIG_DIR") {
        return Ok(PathBuf::from(d));
    }
    // The XDG spec says relative values are invalid and must be ignored.
    if let Some(d) = env_nonempty("XDG_CONFIG_HOME").filter(|d| Path::new(d).is_absolute()) {
        return Ok(PathBuf::from(d).join("mpkit"));
    }
    match env_nonempty("HOME") {
        Some(h) => Ok(PathBuf::from(h).join(".config").join("mpkit")),
        None => Err(Coded::err(
            "no_config_dir",
            "cannot find a config directory: set MPKIT_CONFIG_DIR (or HOME)",
        )),
    }
}

fn read_credentials(path: &Path) -> Result<Option<Credentials>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .with_context(|| format!("{} is damaged; run `mpkit login` again", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes the credentials so that they are never readable by anyone else,
/// not even briefly: a temp file created 0600 in the same directory, fsynced,
/// renamed over the old file, and the directory fsynced.
pub(crate) fn write_credentials(dir: &Path, c: &Credentials) -> Result<PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    let path = dir.join(CREDENTIALS);
    let mut tmp = tempfile::Builder::new()
        .prefix(".credentials.")
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .with_context(|| format!("creating a file in {}", dir.display()))?;
    // The mode is given at creation (umask can only remove bits); make sure.
    let mode = tmp.as_file().metadata()?.permissions().mode() & 0o777;
    anyhow::ensure!(
        mode & 0o077 == 0,
        "refusing to write a token to a file of mode {mode:o}"
    );
    let mut text = serde_json::to_vec_pretty(c)?;
    text.push(b'\n');
    tmp.write_all(&text)?;
    tmp.as_file().sync_all()?;
    tmp.persist(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))?;
    Ok(path)
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// A client of the configured platform and the runtime that drives it.
pub(crate) struct Session {
    pub(crate) client: Client,
    rt: tokio::runtime::Runtime,
}

impl Session {
    /// The platform from `MPKIT_SERVER`/`MPKIT_TOKEN` or the stored login.
    /// The stored token is only sent to the stored server: pointing
    /// `MPKIT_SERVER` elsewhere without `MPKIT_TOKEN` calls without a token.
    pub(crate) fn open() -> Result<Session> {
        Session::open_with(Config::default())
    }

    /// As [`Session::open`], with explicit network behaviour.
    pub(crate) fn open_with(config: Config) -> Result<Session> {
        let stored = read_credentials(&config_dir()?.join(CREDENTIALS))?;
        let env_server = env_nonempty("MPKIT_SERVER");
        let env_token = env_nonempty("MPKIT_TOKEN");
        let server =
            match (&env_server, &stored) {
                (Some(s), _) => s.clone(),
                (None, Some(c)) => c.server.clone(),
                (None, None) => return Err(Coded::err(
                    "not_logged_in",
                    "no platform server configured: run `mpkit login --server URL --token TOKEN`, \
                     or set MPKIT_SERVER and MPKIT_TOKEN",
                )),
            };
        let same_server =
            |c: &Credentials| c.server.trim_end_matches('/') == server.trim_end_matches('/');
        let token = env_token.or_else(|| {
            stored
                .as_ref()
                .filter(|c| same_server(c))
                .map(|c| c.token.clone())
        });
        let client = Client::with_config(&server, token, config)
            .with_context(|| format!("platform server {server}"))?;
        Ok(Session {
            client,
            rt: runtime()?,
        })
    }

    /// Runs one call of the client; `what` names the step in the error.
    pub(crate) fn call<T>(
        &self,
        what: impl std::fmt::Display,
        fut: impl Future<Output = Result<T, mpkit_platform_client::Error>>,
    ) -> Result<T> {
        self.rt.block_on(fut).map_err(|e| {
            let hint = match e.status() {
                Some(401) => {
                    " (the token was refused: run `mpkit login` again, or check MPKIT_TOKEN)"
                }
                _ => "",
            };
            anyhow::Error::new(e).context(format!("{what}{hint}"))
        })
    }

    /// The release a selector names: `--release ID`, or the one open release
    /// (not released, cancelled or rejected) of `--app` in `--target`.
    pub(crate) fn release_id(&self, sel: &ReleaseSel) -> Result<String> {
        if let Some(id) = &sel.release {
            return Ok(id.clone());
        }
        let (app, target) = app_target(sel)?;
        let open = self.open_releases(app, target)?;
        pick_open(app, target, open.0, &open.1)
    }

    /// As [`Session::release_id`], but with no open release, the latest
    /// release of the app in the target (for `release status`).
    pub(crate) fn release_id_or_latest(&self, sel: &ReleaseSel) -> Result<String> {
        if let Some(id) = &sel.release {
            return Ok(id.clone());
        }
        let (app, target) = app_target(sel)?;
        let (open, all) = self.open_releases(app, target)?;
        if open.is_empty() {
            if let Some(last) = all.last() {
                return Ok(last.id.clone());
            }
        }
        pick_open(app, target, open, &all)
    }

    /// The open releases of `app` in `target`, and all of its releases there.
    fn open_releases(
        &self,
        app: &str,
        target: &str,
    ) -> Result<(Vec<wire::ReleaseSummary>, Vec<wire::ReleaseSummary>)> {
        let detail = self.call(
            format_args!("looking up the releases of {app}"),
            self.client.app(app),
        )?;
        let all: Vec<wire::ReleaseSummary> = detail
            .releases
            .into_iter()
            .filter(|r| r.target_app == target)
            .collect();
        let open = all.iter().filter(|r| r.state.is_open()).cloned().collect();
        Ok((open, all))
    }
}

fn app_target(sel: &ReleaseSel) -> Result<(&str, &str)> {
    match (&sel.app, &sel.target) {
        (Some(a), Some(t)) => Ok((a, t)),
        _ => Err(Coded::err(
            "usage",
            "name the release with --release ID, or with --app and --target",
        )),
    }
}

fn pick_open(
    app: &str,
    target: &str,
    mut open: Vec<wire::ReleaseSummary>,
    all: &[wire::ReleaseSummary],
) -> Result<String> {
    match open.len() {
        1 => Ok(open.remove(0).id),
        0 => {
            let seen = all
                .iter()
                .map(|r| format!("{} {} ({})", r.id, r.version, r.state))
                .collect::<Vec<_>>();
            let seen = if seen.is_empty() {
                "it has no releases there".to_owned()
            } else {
                format!("its releases there: {}", seen.join(", "))
            };
            Err(Coded::err(
                "no_open_release",
                format!(
                    "no open release of {app} in {target} ({seen}); start one with \
                     `mpkit release start`, or name a release with --release ID"
                ),
            ))
        }
        _ => Err(Coded::err(
            "ambiguous_release",
            format!(
                "{} open releases of {app} in {target}: {}; name one with --release ID",
                open.len(),
                open.iter()
                    .map(|r| format!("{} {} ({})", r.id, r.version, r.state))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_written_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tmp");
        let sub = dir.path().join("a/b");
        let c = Credentials {
            server: "http://127.0.0.1:1".into(),
            token: "t".into(),
        };
        let p = write_credentials(&sub, &c).expect("write");
        let mode = std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dmode = std::fs::metadata(&sub).expect("meta").permissions().mode() & 0o777;
        assert_eq!(dmode, 0o700);
        // Rewriting replaces it, and no temp file is left behind.
        write_credentials(&sub, &c).expect("again");
        let names: Vec<_> = std::fs::read_dir(&sub)
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from(CREDENTIALS)]);
        let back = read_credentials(&p).expect("read").expect("some");
        assert_eq!(back.token, "t");
    }
}
