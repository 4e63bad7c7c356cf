//! `mpkit logout`: removes the stored server and token.

use crate::output::Output;
use crate::session::{config_dir, env_nonempty, CREDENTIALS};
use anyhow::{Context as _, Result};
use clap::Args;
use serde_json::json;

/// `mpkit logout`.
#[derive(Debug, Args)]
pub(crate) struct LogoutArgs {}

pub(crate) fn run(_: LogoutArgs, o: &mut Output<'_>) -> Result<()> {
    let path = config_dir()?.join(CREDENTIALS);
    let removed = match std::fs::remove_file(&path) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(e).with_context(|| format!("removing {}", path.display())),
    };
    let env_note = env_nonempty("MPKIT_TOKEN").is_some();
    o.emit(
        &json!({"ok": true, "removed": removed, "credentials": path, "envTokenSet": env_note}),
        || {
            let mut s = if removed {
                format!("logged out: removed {}", path.display())
            } else {
                format!("not logged in (no {})", path.display())
            };
            if env_note {
                s.push_str("\nnote: MPKIT_TOKEN is still set in the environment");
            }
            s
        },
    )?;
    Ok(())
}
