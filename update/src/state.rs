//! The update state, `<storage>/updates/state.json`: per (app, target app) the
//! highest policy sequence seen and its expiry, the good versions, the bad
//! packages and each user's last version. Replaced atomically; a corrupt file
//! is an error, never a reset that would forget the sequences seen.

use crate::error::UpdateError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AppState {
    /// The highest policy sequence seen.
    pub(crate) last_seq: u64,
    /// The expiry of the newest verified policy.
    pub(crate) expires: i64,
    /// Versions that rendered their first page.
    pub(crate) good: Vec<String>,
    /// Packages (sha256) that failed to start, with their version.
    pub(crate) bad: BTreeMap<String, String>,
    /// The version each user last got.
    pub(crate) users: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct State {
    pub(crate) version: u32,
    /// Keyed by `<appId> <targetApp>`.
    pub(crate) apps: BTreeMap<String, AppState>,
}

/// Users remembered per app, so the state file stays small.
pub(crate) const MAX_USERS: usize = 1024;

pub(crate) fn remember_user(s: &mut AppState, user: &str, v: &semver::Version) {
    if !s.users.contains_key(user) && s.users.len() >= MAX_USERS {
        if let Some(first) = s.users.keys().next().cloned() {
            s.users.remove(&first);
        }
    }
    s.users.insert(user.to_owned(), v.to_string());
}

pub(crate) fn load_state(path: &Path) -> Result<State, UpdateError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| UpdateError::State {
            path: path.display().to_string(),
            reason: format!("corrupt ({e}); refusing to forget the sequences seen"),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State {
            version: 1,
            apps: BTreeMap::new(),
        }),
        Err(e) => Err(UpdateError::State {
            path: path.display().to_string(),
            reason: e.to_string(),
        }),
    }
}

/// Replaces the state file atomically: a temporary file, fsynced, renamed
/// over it, and the directory fsynced.
pub(crate) fn save(path: &Path, st: &State) -> Result<(), UpdateError> {
    let err = |reason: String| UpdateError::State {
        path: path.display().to_string(),
        reason,
    };
    let bytes = serde_json::to_vec_pretty(st).map_err(|e| err(e.to_string()))?;
    let tmp = path.with_extension("json.tmp");
    let mut f = std::fs::File::create(&tmp).map_err(|e| err(e.to_string()))?;
    f.write_all(&bytes).map_err(|e| err(e.to_string()))?;
    f.sync_all().map_err(|e| err(e.to_string()))?;
    std::fs::rename(&tmp, path).map_err(|e| err(e.to_string()))?;
    if let Some(dir) = path.parent() {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrupt_state_file_is_an_error_not_a_reset() {
        let d = tempfile::tempdir().expect("dir");
        let p = d.path().join("state.json");
        std::fs::write(
            &p,
            b"{\"version\":1,\"apps\":{\"x\":{\"lastSeq\":\"nine\"}}}",
        )
        .expect("w");
        match load_state(&p) {
            Err(UpdateError::State { reason, .. }) => assert!(reason.contains("corrupt")),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            load_state(&d.path().join("none"))
                .expect("fresh")
                .apps
                .len(),
            0
        );
    }

    #[test]
    fn the_user_map_is_bounded() {
        let mut s = AppState::default();
        for i in 0..(MAX_USERS + 10) {
            remember_user(&mut s, &format!("u{i:05}"), &semver::Version::new(1, 0, 0));
        }
        assert_eq!(s.users.len(), MAX_USERS);
        assert!(s.users.contains_key(&format!("u{:05}", MAX_USERS + 9)));
    }
}
