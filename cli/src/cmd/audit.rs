//! `mpkit audit`: the platform's audit log (admins).

use crate::output::{table, when, Output};
use crate::session::Session;
use anyhow::Result;
use clap::Args;

/// `mpkit audit`.
#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// Only the records of this object, e.g. release:ID or app:APPID.
    #[arg(long)]
    object: Option<String>,
}

pub(crate) fn run(args: AuditArgs, o: &mut Output<'_>) -> Result<()> {
    let object = args.object.as_deref();
    let s = Session::open()?;
    let entries = s.call("reading the audit log", s.client.audit(object))?;
    o.emit(&serde_json::to_value(&entries)?, || {
        if entries.is_empty() {
            return "no audit records".into();
        }
        let rows: Vec<Vec<String>> = entries
            .iter()
            .map(|e| {
                vec![
                    when(e.at),
                    e.actor.clone(),
                    e.action.clone(),
                    e.object.clone(),
                ]
            })
            .collect();
        table(&["AT", "ACTOR", "ACTION", "OBJECT"], &rows)
    })?;
    Ok(())
}
