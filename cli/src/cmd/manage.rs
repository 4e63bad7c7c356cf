//! Accounts, workspaces, members, ISV authorizations, developer keys, mini
//! programs, versions and target apps, through the typed platform client.

use super::session::{when, Session};
use crate::cli::{
    AccountCommand, AppCommand, IsvAction, IsvCommand, KeyCommand, MemberCommand, MemberRole,
    OperatorCommand, ReviewerCommand, SecretCommand, TargetCommand, VersionCommand, WebhookCommand,
    WorkspaceCommand,
};
use crate::output::{progress, table};
use crate::{Coded, Output};
use anyhow::{Context as _, Result};
use mpkit_bundle::{Caps, PublicKey};
use mpkit_platform_client::{wire, Config, Progress};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;

fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).context("encoding the answer")
}

// The command line's choices are the wire's names, matched exhaustively so
// that a new value cannot be forgotten on either side.

impl From<crate::cli::WorkspaceKind> for wire::WorkspaceKind {
    fn from(k: crate::cli::WorkspaceKind) -> wire::WorkspaceKind {
        match k {
            crate::cli::WorkspaceKind::Merchant => wire::WorkspaceKind::Merchant,
            crate::cli::WorkspaceKind::Isv => wire::WorkspaceKind::Isv,
        }
    }
}

impl From<MemberRole> for wire::Role {
    fn from(r: MemberRole) -> wire::Role {
        match r {
            MemberRole::Master => wire::Role::Master,
            MemberRole::Owner => wire::Role::Owner,
            MemberRole::Developer => wire::Role::Developer,
        }
    }
}

impl From<IsvAction> for wire::IsvAction {
    fn from(a: IsvAction) -> wire::IsvAction {
        match a {
            IsvAction::Read => wire::IsvAction::Read,
            IsvAction::Upload => wire::IsvAction::Upload,
            IsvAction::Release => wire::IsvAction::Release,
            IsvAction::Manage => wire::IsvAction::Manage,
        }
    }
}

/// Names joined by `sep`, for tables and messages.
fn names<T: std::fmt::Display>(list: &[T], sep: &str) -> String {
    list.iter().map(T::to_string).collect::<Vec<_>>().join(sep)
}

pub(crate) fn account(cmd: AccountCommand, o: &mut Output<'_>) -> Result<()> {
    let s = Session::open()?;
    match cmd {
        AccountCommand::Create { name } => {
            let a = s.call(
                format_args!("creating account {name:?}"),
                s.client.create_account(&name),
            )?;
            o.emit(&to_json(&a)?, || {
                format!(
                    "created account {} ({})\ntoken (shown once, store it now): {}",
                    a.id, a.name, a.token
                )
            })?;
        }
    }
    Ok(())
}

pub(crate) fn workspace(cmd: WorkspaceCommand, o: &mut Output<'_>) -> Result<()> {
    let s = Session::open()?;
    match cmd {
        WorkspaceCommand::Create { name, kind } => {
            let w = s.call(
                format_args!("creating workspace {name:?}"),
                s.client.create_workspace(&name, kind.into()),
            )?;
            o.emit(&to_json(&w)?, || {
                format!(
                    "created {} workspace {} ({}); you are its {}",
                    w.kind, w.id, w.name, w.role
                )
            })?;
        }
        WorkspaceCommand::List => {
            let me = s.call("reading your account (GET /v1/me)", s.client.me())?;
            o.emit(&to_json(&me.workspaces)?, || {
                if me.workspaces.is_empty() {
                    return format!("{} is not a member of any workspace", me.id);
                }
                let rows: Vec<Vec<String>> = me
                    .workspaces
                    .iter()
                    .map(|m| vec![m.workspace.clone(), m.role.to_string()])
                    .collect();
                table(&["WORKSPACE", "ROLE"], &rows)
            })?;
        }
    }
    Ok(())
}

fn members_table(members: &[wire::Member]) -> String {
    let rows: Vec<Vec<String>> = members
        .iter()
        .map(|m| vec![m.account_id.clone(), m.role.to_string()])
        .collect();
    table(&["ACCOUNT", "ROLE"], &rows)
}

pub(crate) fn member(cmd: MemberCommand, o: &mut Output<'_>) -> Result<()> {
    let s = Session::open()?;
    match cmd {
        MemberCommand::Add {
            workspace,
            account,
            role,
        } => {
            let m = s.call(
                format_args!("adding {account} to {workspace}"),
                s.client.add_member(&workspace, &account, role.into()),
            )?;
            o.emit(&to_json(&m)?, || {
                format!("{} is now {} in {}", m.account_id, m.role, m.workspace)
            })?;
        }
        MemberCommand::Role {
            workspace,
            account,
            role,
        } => {
            let m = s.call(
                format_args!("changing the role of {account} in {workspace}"),
                s.client.set_role(&workspace, &account, role.into()),
            )?;
            o.emit(&to_json(&m)?, || {
                format!("{} is now {} in {}", m.account_id, m.role, m.workspace)
            })?;
        }
        MemberCommand::Assign { app, account } => {
            let a = s.call(
                format_args!("assigning {app} to {account}"),
                s.client.assign(&app, &account),
            )?;
            o.emit(&to_json(&a)?, || {
                format!("{} is assigned to {}", a.app_id, a.account_id)
            })?;
        }
        MemberCommand::Remove { workspace, account } => {
            let m = s.call(
                format_args!("removing {account} from {workspace}"),
                s.client.remove_member(&workspace, &account),
            )?;
            o.emit(&to_json(&m)?, || {
                format!("removed {} ({}) from {}", m.account_id, m.role, m.workspace)
            })?;
        }
        MemberCommand::List { workspace } => {
            let ms = s.call(
                format_args!("listing the members of {workspace}"),
                s.client.members(&workspace),
            )?;
            o.emit(&to_json(&ms)?, || members_table(&ms))?;
        }
    }
    Ok(())
}

pub(crate) fn isv(cmd: IsvCommand, o: &mut Output<'_>) -> Result<()> {
    let s = Session::open()?;
    match cmd {
        IsvCommand::Authorize {
            workspace,
            isv,
            app,
            actions,
        } => {
            let req = wire::NewAuth {
                isv_workspace: isv.clone(),
                app_id: app,
                actions: actions.into_iter().map(Into::into).collect(),
            };
            let a = s.call(
                format_args!("authorizing {isv} in {workspace}"),
                s.client.authorize_isv(&workspace, &req),
            )?;
            o.emit(&to_json(&a)?, || {
                format!(
                    "authorization {}: {} may {} {} of {}",
                    a.id,
                    a.isv,
                    names(&a.actions, ", "),
                    a.app_id
                        .as_deref()
                        .map(|x| format!("mini program {x}"))
                        .unwrap_or_else(|| "every mini program".into()),
                    a.merchant
                )
            })?;
        }
        IsvCommand::Revoke { id } => {
            let r = s.call(
                format_args!("revoking authorization {id}"),
                s.client.revoke_isv(&id),
            )?;
            o.emit(&to_json(&r)?, || format!("revoked authorization {}", r.id))?;
        }
    }
    Ok(())
}

pub(crate) fn webhook(cmd: WebhookCommand, o: &mut Output<'_>) -> Result<()> {
    let s = Session::open()?;
    match cmd {
        WebhookCommand::Add {
            workspace,
            url,
            events,
        } => {
            let events = events
                .iter()
                .map(|e| e.trim().parse::<wire::WebhookEvent>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Coded::err("bad_input", format!("--events: {e}")))?;
            let req = wire::NewWebhook {
                url: url.clone(),
                events: (!events.is_empty()).then_some(events),
            };
            let h = s.call(
                format_args!("registering a webhook for {url} in {workspace}"),
                s.client.create_webhook(&workspace, &req),
            )?;
            o.emit(&to_json(&h)?, || {
                format!(
                    "webhook {} posts {} to {}\nsigning secret (shown once; verify X-Mpkit-Signature: sha256=HMAC(secret, body)): {}",
                    h.id,
                    names(&h.events, ", "),
                    h.url,
                    h.secret
                )
            })?;
        }
        WebhookCommand::List { workspace } => {
            let list = s.call(
                format_args!("listing the webhooks of {workspace}"),
                s.client.webhooks(&workspace),
            )?;
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|h| {
                    vec![
                        h.id.clone(),
                        h.url.clone(),
                        names(&h.events, ","),
                        when(h.created_at),
                    ]
                })
                .collect();
            o.emit(&to_json(&list)?, || {
                table(&["id", "url", "events", "created"], &rows)
            })?;
        }
        WebhookCommand::Remove { id } => {
            let h = s.call(
                format_args!("removing webhook {id}"),
                s.client.delete_webhook(&id),
            )?;
            o.emit(&to_json(&h)?, || {
                format!("removed webhook {} ({})", h.id, h.url)
            })?;
        }
        WebhookCommand::Deliveries { id } => {
            let list = s.call(
                format_args!("reading the deliveries of webhook {id}"),
                s.client.webhook_deliveries(&id),
            )?;
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|d| {
                    let last = d.attempts.last();
                    vec![
                        d.id.clone(),
                        d.event.to_string(),
                        d.status.to_string(),
                        d.attempts.len().to_string(),
                        last.and_then(|a| a.status)
                            .map(|c| c.to_string())
                            .or_else(|| last.and_then(|a| a.error.clone()))
                            .unwrap_or_else(|| "-".into()),
                        when(d.created_at),
                    ]
                })
                .collect();
            o.emit(&to_json(&list)?, || {
                table(
                    &[
                        "delivery",
                        "event",
                        "status",
                        "attempts",
                        "last answer",
                        "created",
                    ],
                    &rows,
                )
            })?;
        }
    }
    Ok(())
}

pub(crate) fn key(cmd: KeyCommand, o: &mut Output<'_>) -> Result<()> {
    match cmd {
        KeyCommand::Register { workspace, key } => {
            let text = std::fs::read_to_string(&key)
                .with_context(|| format!("reading {}", key.display()))?;
            if text.contains("PRIVATE KEY") {
                return Err(Coded::err(
                    "private_key",
                    format!(
                        "{} is a private key; register its public half (the KEY.pub `mpkit keygen` wrote)",
                        key.display()
                    ),
                ));
            }
            let pk = PublicKey::read(&key).with_context(|| format!("key {}", key.display()))?;
            let s = Session::open()?;
            let r = s.call(
                format_args!("registering key {} with {workspace}", pk.id()),
                s.client.register_key(&workspace, &pk.to_hex()),
            )?;
            o.emit(&to_json(&r)?, || {
                format!("registered key {} with {}", r.key_id, r.workspace)
            })?;
        }
    }
    Ok(())
}

fn apps_table(apps: &[wire::App]) -> String {
    let rows: Vec<Vec<String>> = apps
        .iter()
        .map(|a| {
            vec![
                a.app_id.clone(),
                a.name.clone(),
                a.owner.clone(),
                a.developer.clone().unwrap_or_else(|| "-".into()),
                a.kind.to_string(),
            ]
        })
        .collect();
    table(&["APP", "NAME", "OWNER", "DEVELOPER", "KIND"], &rows)
}

fn versions_table(vs: &[wire::VersionInfo]) -> String {
    let rows: Vec<Vec<String>> = vs
        .iter()
        .map(|v| {
            vec![
                v.version.clone(),
                v.build.to_string(),
                v.sha256.chars().take(16).collect(),
                v.length.to_string(),
                when(v.created_at),
            ]
        })
        .collect();
    table(&["VERSION", "BUILD", "SHA256", "BYTES", "UPLOADED"], &rows)
}

fn releases_table(rs: &[wire::ReleaseSummary]) -> String {
    let rows: Vec<Vec<String>> = rs
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.target_app.clone(),
                r.version.clone(),
                r.state.to_string(),
            ]
        })
        .collect();
    table(&["RELEASE", "TARGET", "VERSION", "STATE"], &rows)
}

pub(crate) fn app(cmd: AppCommand, o: &mut Output<'_>) -> Result<()> {
    let s = Session::open()?;
    match cmd {
        AppCommand::Create {
            workspace,
            app_id,
            name,
            developer,
        } => {
            let req = wire::NewApp {
                app_id: app_id.clone(),
                name,
                developer_workspace: developer,
            };
            let a = s.call(
                format_args!("creating mini program {app_id} in {workspace}"),
                s.client.create_app(&workspace, &req),
            )?;
            o.emit(&to_json(&a)?, || {
                let dev = a
                    .developer
                    .as_deref()
                    .map(|d| format!(", developed by {d}"))
                    .unwrap_or_default();
                format!(
                    "created mini program {} ({}) owned by {}{dev}",
                    a.app_id, a.name, a.owner
                )
            })?;
        }
        AppCommand::List { workspace } => {
            let apps = s.call(
                format_args!("listing the mini programs of {workspace}"),
                s.client.apps(&workspace),
            )?;
            o.emit(&to_json(&apps)?, || apps_table(&apps))?;
        }
        AppCommand::Show { app } => {
            let d = s.call(format_args!("reading {app}"), s.client.app(&app))?;
            let vs = s.call(
                format_args!("listing the versions of {app}"),
                s.client.versions(&app),
            )?;
            let v = json!({
                "appId": d.app_id, "name": d.name, "owner": d.owner, "developer": d.developer,
                "versions": vs, "releases": d.releases,
            });
            o.emit(&v, || {
                let mut s = format!(
                    "{} {}\nowner:     {}\ndeveloper: {}\n\nversions\n",
                    d.app_id,
                    d.name,
                    d.owner,
                    d.developer.as_deref().unwrap_or("- (self-developed)")
                );
                if vs.is_empty() {
                    s.push_str("(none uploaded)\n");
                } else {
                    s.push_str(&versions_table(&vs));
                }
                s.push_str("\nreleases\n");
                if d.releases.is_empty() {
                    s.push_str("(none)\n");
                } else {
                    s.push_str(&releases_table(&d.releases));
                }
                s
            })?;
        }
        AppCommand::Takedown { app, target } => {
            let c = s.call(
                format_args!("taking {app} down from {target}"),
                s.client.takedown(&app, &target),
            )?;
            o.emit(&to_json(&c)?, || {
                format!(
                    "{} is taken down from {} (policy seq {}); resolve answers no version now",
                    c.app_id, c.target_app, c.seq
                )
            })?;
        }
        AppCommand::Secret { command } => app_secret(&s, command, o)?,
    }
    Ok(())
}

fn app_secret(s: &Session, cmd: SecretCommand, o: &mut Output<'_>) -> Result<()> {
    match cmd {
        SecretCommand::Create { app, name } => {
            let c = s.call(
                format_args!("creating a secret for {app}"),
                s.client.create_app_secret(&app, &name),
            )?;
            o.emit(&to_json(&c)?, || {
                format!(
                    "secret {} ({}) for {}: {}\nit is shown this once; give it to the mini program's server, which exchanges auth codes with it",
                    c.info.id, c.info.name, c.info.app_id, c.secret
                )
            })?;
        }
        SecretCommand::List { app } => {
            let list = s.call(
                format_args!("listing the secrets of {app}"),
                s.client.app_secrets(&app),
            )?;
            o.emit(&to_json(&list)?, || {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|k| {
                        vec![
                            k.id.clone(),
                            k.name.clone(),
                            when(k.created_at),
                            k.revoked_at.map_or_else(|| "-".to_owned(), when),
                        ]
                    })
                    .collect();
                table(&["ID", "NAME", "CREATED", "REVOKED"], &rows)
            })?;
        }
        SecretCommand::Revoke { app, id } => {
            let k = s.call(
                format_args!("revoking secret {id} of {app}"),
                s.client.revoke_app_secret(&app, &id),
            )?;
            o.emit(&to_json(&k)?, || {
                format!("secret {} ({}) of {} is revoked", k.id, k.name, k.app_id)
            })?;
        }
    }
    Ok(())
}

pub(crate) fn version(cmd: VersionCommand, o: &mut Output<'_>) -> Result<()> {
    match cmd {
        VersionCommand::Upload { bundle } => upload(&bundle, o),
        VersionCommand::List { app } => {
            let s = Session::open()?;
            let vs = s.call(
                format_args!("listing the versions of {app}"),
                s.client.versions(&app),
            )?;
            o.emit(&to_json(&vs)?, || versions_table(&vs))?;
            Ok(())
        }
    }
}

fn upload(path: &Path, o: &mut Output<'_>) -> Result<()> {
    let caps = Caps::default();
    let bytes = mpkit_bundle::read_capped(path, caps.max_archive_bytes)?;
    // The appId the bundle claims (not verified here: the platform verifies
    // the upload against the developing workspace's registered keys).
    let claims = mpkit_bundle::inspect(&bytes, &caps)
        .with_context(|| format!("{} is not a bundle", path.display()))?;
    let app = claims.manifest.app_id.to_string();
    let s = Session::open_with(Config {
        // A whole upload on a slow link; the server caps its size.
        timeout: std::time::Duration::from_secs(600),
        ..Config::default()
    })?;
    let pb = progress(bytes.len() as u64, "uploading");
    let bar = pb.clone();
    let report: Progress = Arc::new(move |done, _total| bar.set_position(done));
    let r = s.call(
        format_args!(
            "uploading {} {} to {app}",
            path.display(),
            claims.manifest.version
        ),
        s.client.upload_version(&app, bytes.into(), Some(report)),
    );
    pb.finish_and_clear();
    let r = r?;
    o.emit(&to_json(&r)?, || {
        let mut s = format!(
            "uploaded {} {} (build {}): {} bytes, sha256 {}",
            r.app_id, r.version, r.build, r.length, r.sha256
        );
        if !r.requested_permissions.jsapi.is_empty() {
            s.push_str(&format!(
                "\nrequests: {}",
                r.requested_permissions.jsapi.join(", ")
            ));
        }
        s
    })?;
    Ok(())
}

pub(crate) fn target(cmd: TargetCommand, o: &mut Output<'_>) -> Result<()> {
    let s = Session::open()?;
    match cmd {
        TargetCommand::Create { id, name, allow } => {
            let req = wire::NewTarget {
                id: id.clone(),
                name,
                allowed_permissions: allow
                    .into_iter()
                    .map(|a| a.trim().to_owned())
                    .filter(|a| !a.is_empty())
                    .collect(),
            };
            let t = s.call(
                format_args!("creating target app {id}"),
                s.client.create_target(&req),
            )?;
            o.emit(&to_json(&t)?, || {
                format!(
                    "created target app {} ({}), allowing: {}",
                    t.id,
                    t.name,
                    if t.allowed_permissions.is_empty() {
                        "nothing".to_owned()
                    } else {
                        t.allowed_permissions.join(", ")
                    }
                )
            })?;
        }
        TargetCommand::List => {
            let ts = s.call("listing the target apps", s.client.targets())?;
            o.emit(&to_json(&ts)?, || {
                let rows: Vec<Vec<String>> = ts
                    .iter()
                    .map(|t| {
                        vec![
                            t.id.clone(),
                            t.name.clone(),
                            t.allowed_permissions.join(","),
                        ]
                    })
                    .collect();
                table(&["TARGET", "NAME", "ALLOWS"], &rows)
            })?;
        }
        TargetCommand::Reviewer {
            command: ReviewerCommand::Add { target, account },
        } => {
            let r = s.call(
                format_args!("adding reviewer {account} to {target}"),
                s.client.add_reviewer(&target, &account),
            )?;
            o.emit(&to_json(&r)?, || {
                format!("{} now reviews releases in {}", r.account_id, r.target_app)
            })?;
        }
        TargetCommand::Operator {
            command: OperatorCommand::Add { target, account },
        } => {
            let r = s.call(
                format_args!("adding operator {account} to {target}"),
                s.client.add_operator(&target, &account),
            )?;
            o.emit(&to_json(&r)?, || {
                format!(
                    "{} now issues auth codes for the users of {}",
                    r.account_id, r.target_app
                )
            })?;
        }
    }
    Ok(())
}
