//! `mpkit explain`: why a user gets the version they get.

use crate::output::Output;
use crate::session::Session;
use anyhow::Result;
use clap::Args;

/// `mpkit explain`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The mini program.
    #[arg(long)]
    app: String,
    /// The target app.
    #[arg(long)]
    target: String,
    /// The user id.
    #[arg(long)]
    user: String,
}

pub(crate) fn run(args: ExplainArgs, o: &mut Output<'_>) -> Result<()> {
    let (app, target, user) = (args.app.as_str(), args.target.as_str(), args.user.as_str());
    let s = Session::open()?;
    let e = s.call(
        format_args!("explaining {app} in {target} for {user}"),
        s.client.explain(app, target, user),
    )?;
    o.emit(&serde_json::to_value(&e)?, || {
        let v = e
            .version
            .as_ref()
            .map(|v| v.version.clone())
            .unwrap_or_else(|| "no version".into());
        format!(
            "{}: {v} ({} rule, policy seq {})\n{}",
            e.user, e.rule, e.seq, e.why
        )
    })?;
    Ok(())
}
