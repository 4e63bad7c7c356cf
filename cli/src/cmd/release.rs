//! `mpkit release ...`: the release workflow through the typed client.

use crate::args::ReleaseSel;
use crate::error::Coded;
use crate::files::read_text;
use crate::output::{escape_line, percent, table, to_json, when, Output};
use crate::session::Session;
use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use mpkit_platform_client::{rollout, testers, wire};
use serde_json::json;
use std::path::PathBuf;

/// `mpkit release`.
#[derive(Debug, Args)]
pub(crate) struct ReleaseArgs {
    #[command(subcommand)]
    command: ReleaseCommand,
}

#[derive(Debug, Subcommand)]
enum ReleaseCommand {
    /// Start a release of an uploaded version into a target app (its package is signed when a reviewer approves).
    Start {
        /// The appId.
        #[arg(long)]
        app: String,
        /// The target app.
        #[arg(long)]
        target: String,
        /// An uploaded version.
        #[arg(long)]
        version: String,
    },
    /// Attach a compatibility report (a JSON file).
    CompatReport {
        /// The report.
        file: PathBuf,
        #[command(flatten)]
        sel: ReleaseSel,
    },
    /// Apply for release (needs a compatibility report).
    Apply {
        #[command(flatten)]
        sel: ReleaseSel,
    },
    /// Approve a release in review (a reviewer of the target app).
    Approve {
        #[command(flatten)]
        sel: ReleaseSel,
    },
    /// Reject a release in review, with a reason (a reviewer of the target app).
    Reject {
        /// Why; the release's creator sees it.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        sel: ReleaseSel,
    },
    /// Pilot testers.
    Testers {
        #[command(subcommand)]
        command: TestersCommand,
    },
    /// Complete pilot testing, or cancel the release while in pilot.
    Pilot {
        /// complete: the pilot passed; cancel: cancel the release.
        action: PilotAction,
        #[command(flatten)]
        sel: ReleaseSel,
    },
    /// Start or raise the grayscale to PERCENT (0.01% steps, only up), e.g. 20 or 12.5.
    Gray {
        /// The percentage.
        percent: String,
        /// The bucket salt, when the grayscale starts (the platform mints one
        /// otherwise); naming an earlier grayscale's salt keeps its cohort.
        #[arg(long)]
        salt: Option<String>,
        #[command(flatten)]
        sel: ReleaseSel,
    },
    /// Release to everyone.
    Full {
        #[command(flatten)]
        sel: ReleaseSel,
    },
    /// Cancel the release (also ends a pilot or a grayscale).
    Cancel {
        #[command(flatten)]
        sel: ReleaseSel,
    },
    /// Make a version that was fully released before the stable one again.
    Rollback {
        /// The appId.
        #[arg(long)]
        app: String,
        /// The target app.
        #[arg(long)]
        target: String,
        /// The version to return to.
        #[arg(long, value_name = "VERSION")]
        to: String,
    },
    /// A release and its state. With --app/--target and no open release, the latest one there.
    Status {
        #[command(flatten)]
        sel: ReleaseSel,
    },
}

#[derive(Debug, Subcommand)]
enum TestersCommand {
    /// Add testers: on an approved release this starts the pilot with them. In pilot,
    /// the platform has no merge: the given testers REPLACE the list (as `update` does).
    Add {
        #[command(flatten)]
        source: TesterSource,
        #[command(flatten)]
        sel: ReleaseSel,
    },
    /// Replace the tester list of a release in pilot from a file; rejected lines are printed.
    Update {
        /// One user id per line, or CSV with the id in the first column.
        #[arg(long)]
        file: PathBuf,
        #[command(flatten)]
        sel: ReleaseSel,
    },
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
struct TesterSource {
    /// A tester's user id (repeat).
    #[arg(long = "user", value_name = "ID", num_args = 1..)]
    users: Vec<String>,
    /// A tester file: one id per line, or CSV with the id in the first column.
    #[arg(long)]
    file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PilotAction {
    Complete,
    Cancel,
}

/// One line for a workflow step's answer.
fn changed_line(c: &wire::StateChanged) -> String {
    let mut s = format!("release {}: {}", c.id, c.state);
    if let Some(r) = &c.reason {
        s.push_str(&format!(" (reason: {})", escape_line(r)));
    }
    if let Some(n) = c.testers {
        s.push_str(&format!(" with {n} testers"));
    }
    if let Some(bp) = c.percent_bp {
        s.push_str(&format!(" at {}%", percent(i64::from(bp))));
    }
    s
}

fn emit_changed(c: &wire::StateChanged, o: &mut Output<'_>) -> Result<()> {
    o.emit(&to_json(c)?, || changed_line(c))?;
    Ok(())
}

fn rejected_table<'a>(rows: impl Iterator<Item = (usize, &'a str, &'a str)>) -> String {
    let rows: Vec<Vec<String>> = rows
        .map(|(line, text, reason)| vec![line.to_string(), text.to_owned(), reason.to_owned()])
        .collect();
    table(&["LINE", "TEXT", "REASON"], &rows)
}

pub(crate) fn run(args: ReleaseArgs, o: &mut Output<'_>) -> Result<()> {
    let s = Session::open()?;
    match args.command {
        ReleaseCommand::Start {
            app,
            target,
            version,
        } => {
            let req = wire::NewRelease {
                target_app: target.clone(),
                version: version.clone(),
                basic_info: None,
            };
            let r = s.call(
                format_args!("starting a release of {app} {version} in {target}"),
                s.client.start_release(&app, &req),
            )?;
            o.emit(&to_json(&r)?, || {
                let mut s = format!(
                    "release {}: {} {} in {} is {}; upload sha256 {} ({} bytes) goes to review, \
                     and its package is signed when a reviewer approves it",
                    r.id,
                    r.app_id,
                    r.version,
                    r.target_app,
                    r.state,
                    r.upload.sha256,
                    r.upload.length
                );
                if !r.permissions.not_allowed_by_target_app.is_empty() {
                    s.push_str(&format!(
                        "\nnot allowed by {}: {}",
                        r.target_app,
                        r.permissions.not_allowed_by_target_app.join(", ")
                    ));
                }
                s
            })?;
        }
        ReleaseCommand::CompatReport { file, sel } => {
            let text = read_text(&file, "the report")?;
            let report: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                Coded::err(
                    "bad_input",
                    format!("the report {} is not JSON: {e}", file.display()),
                )
            })?;
            let id = s.release_id(&sel)?;
            let c = s.call(
                format_args!("attaching {} to release {id}", file.display()),
                s.client.compat_report(&id, &report),
            )?;
            emit_changed(&c, o)?;
        }
        ReleaseCommand::Apply { sel } => {
            let id = s.release_id(&sel)?;
            let c = s.call(format_args!("applying release {id}"), s.client.apply(&id))?;
            emit_changed(&c, o)?;
        }
        ReleaseCommand::Approve { sel } => {
            let id = s.release_id(&sel)?;
            let c = s.call(
                format_args!("approving release {id}"),
                s.client.approve(&id),
            )?;
            emit_changed(&c, o)?;
        }
        ReleaseCommand::Reject { reason, sel } => {
            let id = s.release_id(&sel)?;
            let c = s.call(
                format_args!("rejecting release {id}"),
                s.client.reject(&id, &reason),
            )?;
            emit_changed(&c, o)?;
        }
        ReleaseCommand::Testers { command } => testers_cmd(&s, command, o)?,
        ReleaseCommand::Pilot { action, sel } => {
            let id = s.release_id(&sel)?;
            let c = match action {
                PilotAction::Complete => s.call(
                    format_args!("completing the pilot of release {id}"),
                    s.client.complete_pilot(&id),
                )?,
                PilotAction::Cancel => {
                    let r = s.call(format_args!("reading release {id}"), s.client.release(&id))?;
                    if r.state != wire::ReleaseState::Pilot {
                        return Err(Coded::err(
                            "wrong_state",
                            format!(
                                "release {id} is {}, not in pilot testing; `mpkit release cancel` cancels a release in any state before it is released",
                                r.state.describe()
                            ),
                        ));
                    }
                    s.call(
                        format_args!("cancelling release {id}"),
                        s.client.cancel(&id),
                    )?
                }
            };
            emit_changed(&c, o)?;
        }
        ReleaseCommand::Gray { percent, salt, sel } => {
            // `20`, `20%` and `20.00` are the same percentage: checked here,
            // and named the one way in messages and on the wire.
            let bp = rollout::percent_to_bp(&percent)
                .map_err(|e| Coded::err("bad_input", format!("the percentage: {e}")))?;
            let percent = crate::output::percent(i64::from(bp));
            let id = s.release_id(&sel)?;
            let c = s.call(
                format_args!("setting the grayscale of release {id} to {percent}%"),
                s.client.grayscale_with_salt(&id, &percent, salt.as_deref()),
            )?;
            emit_changed(&c, o)?;
        }
        ReleaseCommand::Full { sel } => {
            let id = s.release_id(&sel)?;
            let c = s.call(
                format_args!("releasing {id} to everyone"),
                s.client.full(&id),
            )?;
            emit_changed(&c, o)?;
        }
        ReleaseCommand::Cancel { sel } => {
            let id = s.release_id(&sel)?;
            let c = s.call(
                format_args!("cancelling release {id}"),
                s.client.cancel(&id),
            )?;
            emit_changed(&c, o)?;
        }
        ReleaseCommand::Rollback { app, target, to } => {
            let c = s.call(
                format_args!("rolling {app} in {target} back to {to}"),
                s.client.rollback(&app, &target, &to),
            )?;
            o.emit(&to_json(&c)?, || {
                format!(
                    "{} in {}: stable is now {} (policy seq {})",
                    c.app_id,
                    c.target_app,
                    c.stable.as_deref().unwrap_or("none"),
                    c.seq
                )
            })?;
        }
        ReleaseCommand::Status { sel } => {
            let id = s.release_id_or_latest(&sel)?;
            let r = s.call(format_args!("reading release {id}"), s.client.release(&id))?;
            o.emit(&to_json(&r)?, || status_text(&r))?;
        }
    }
    Ok(())
}

fn status_text(r: &wire::Release) -> String {
    let mut s = format!(
        "release:   {}\napp:       {}\ntarget:    {}\nversion:   {}\nstate:     {}\nupload:    sha256 {} ({} bytes)\n",
        r.id, r.app_id, r.target_app, r.version, r.state, r.upload.sha256, r.upload.length
    );
    match &r.package {
        Some(p) => s.push_str(&format!(
            "package:   sha256 {} ({} bytes), signed on approval\n",
            p.sha256, p.length
        )),
        None => s.push_str("package:   not signed yet (a reviewer's approval signs it)\n"),
    }
    if let Some(g) = &r.grayscale {
        s.push_str(&format!("grayscale: {}%\n", percent(g.percent_bp)));
    }
    if let Some(reason) = &r.reject_reason {
        s.push_str(&format!("rejected:  {}\n", escape_line(reason)));
    }
    let report = match &r.compat_report {
        None => "none".to_owned(),
        // An mpkit compat report says its schema and verdict; any other JSON is just attached.
        Some(v) => match (v["schema"].as_str(), v["status"].as_str()) {
            (Some(schema), Some(status)) => format!("attached ({schema}: {status})"),
            _ => "attached".to_owned(),
        },
    };
    s.push_str(&format!("report:    {report}\n"));
    s.push_str(&format!(
        "created:   {}\nupdated:   {}\n",
        when(r.created_at),
        when(r.updated_at)
    ));
    s
}

fn testers_cmd(s: &Session, cmd: TestersCommand, o: &mut Output<'_>) -> Result<()> {
    match cmd {
        TestersCommand::Add { source, sel } => {
            // Ids from --user go to the server as given (it refuses bad ones);
            // a file is parsed here with the platform's own parser, and its
            // rejected lines are reported like `update` reports them.
            let (ids, file_text, local_rejected, local_total) = match &source.file {
                Some(f) => {
                    let text = read_text(f, "the tester file")?;
                    let p = testers::parse(&text);
                    if p.too_many {
                        return Err(Coded::err(
                            "bad_input",
                            format!("at most {} testers", testers::MAX_TESTERS),
                        ));
                    }
                    (p.ids, Some(text), p.rejected, p.rejected_total)
                }
                None => (source.users.clone(), None, Vec::new(), 0),
            };
            let id = s.release_id(&sel)?;
            let r = s.call(format_args!("reading release {id}"), s.client.release(&id))?;
            match r.state {
                wire::ReleaseState::Approved => {
                    if ids.is_empty() {
                        return Err(Coded::err(
                            "bad_input",
                            format!(
                                "no valid tester ids; rejected lines:\n{}",
                                rejected_table(local_rejected.iter().map(|l| (
                                    l.line,
                                    l.text.as_str(),
                                    l.reason.as_str()
                                )))
                            ),
                        ));
                    }
                    let c = s.call(
                        format_args!("starting the pilot of release {id}"),
                        s.client.start_pilot(&id, &ids),
                    )?;
                    let v = json!({
                        "id": c.id, "state": c.state, "mode": "started_pilot",
                        "testers": c.testers, "rejected": local_rejected,
                        "rejectedTotal": local_total,
                    });
                    o.emit(&v, || {
                        let mut t = format!(
                            "release {}: pilot started with {} testers",
                            c.id,
                            c.testers.unwrap_or(0)
                        );
                        if !local_rejected.is_empty() {
                            t.push_str(&format!(
                                "\n{} lines rejected (the first {} shown):\n{}",
                                local_total,
                                local_rejected.len(),
                                rejected_table(local_rejected.iter().map(|l| (
                                    l.line,
                                    l.text.as_str(),
                                    l.reason.as_str()
                                )))
                            ));
                        }
                        t
                    })?;
                }
                wire::ReleaseState::Pilot => {
                    // The platform has no merge: the list is replaced.
                    let body = file_text.unwrap_or_else(|| ids.join("\n"));
                    let t = s.call(
                        format_args!("replacing the testers of release {id}"),
                        s.client.put_testers(&id, &body),
                    )?;
                    emit_replaced(&t, true, o)?;
                }
                other => {
                    return Err(Coded::err(
                        "wrong_state",
                        format!(
                            "release {id} is {}: testers are added to an approved release \
                             (this starts the pilot) or to one in pilot testing",
                            other.describe()
                        ),
                    ))
                }
            }
        }
        TestersCommand::Update { file, sel } => {
            let text = read_text(&file, "the tester file")?;
            let id = s.release_id(&sel)?;
            let t = s.call(
                format_args!("replacing the testers of release {id}"),
                s.client.put_testers(&id, &text),
            )?;
            emit_replaced(&t, false, o)?;
        }
    }
    Ok(())
}

fn emit_replaced(t: &wire::TestersReplaced, from_add: bool, o: &mut Output<'_>) -> Result<()> {
    let mut v = to_json(t)?;
    if from_add {
        v["mode"] = json!("replaced");
    }
    o.emit(&v, || {
        let mut s = format!(
            "release {}: tester list replaced, {} testers",
            t.id, t.accepted
        );
        if from_add {
            s.push_str(" (the platform has no merge: the given testers replaced the list)");
        }
        if t.rejected.is_empty() {
            s.push_str("; no lines rejected");
        } else {
            let shown = if t.rejected_total > t.rejected.len() as u64 {
                format!(" (the first {} shown)", t.rejected.len())
            } else {
                String::new()
            };
            s.push_str(&format!(
                "\n{} lines rejected{shown}:\n{}",
                t.rejected_total.max(t.rejected.len() as u64),
                rejected_table(t.rejected.iter().map(|l| (
                    l.line,
                    l.text.as_str(),
                    l.reason.as_str()
                )))
            ));
        }
        s
    })?;
    Ok(())
}
