//! `mpkit inbox`: your notifications (review decisions of your releases).

use crate::output::{table, when, Output};
use crate::session::Session;
use anyhow::Result;
use clap::Args;

/// `mpkit inbox`.
#[derive(Debug, Args)]
pub(crate) struct InboxArgs {}

pub(crate) fn run(_: InboxArgs, o: &mut Output<'_>) -> Result<()> {
    let s = Session::open()?;
    let msgs = s.call("reading your inbox", s.client.inbox())?;
    o.emit(&serde_json::to_value(&msgs)?, || {
        if msgs.is_empty() {
            return "no messages".into();
        }
        let rows: Vec<Vec<String>> = msgs
            .iter()
            .map(|m| {
                vec![
                    when(m.at),
                    m.release.clone().unwrap_or_else(|| "-".into()),
                    m.text.clone(),
                ]
            })
            .collect();
        table(&["AT", "RELEASE", "MESSAGE"], &rows)
    })?;
    Ok(())
}
