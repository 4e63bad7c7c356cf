//! One module per command family.

mod bundle;
pub(crate) mod compat;
mod demo;
mod manage;
mod platform;
pub(crate) mod preview;
mod query;
mod release;
mod root;
mod run;
mod session;

use crate::cli::{Command, PlatformCommand, RolloutCommand, RootCommand, TrustArgs};
use crate::Output;
use anyhow::{Context as _, Result};
use mpkit_bundle::{PublicKey, Trust, TrustedRoot};

pub(crate) fn dispatch(cmd: Command, o: &mut Output<'_>) -> Result<()> {
    match cmd {
        Command::Keygen { out, .. } => bundle::keygen(&out, o),
        Command::Pack {
            dir,
            key,
            out,
            version,
            build,
            role,
            ..
        } => bundle::pack(&dir, &key, &out, version, build, role, o),
        Command::Verify {
            bundle: path,
            trust,
            app_id,
            version,
            ..
        } => bundle::verify(&path, &trust, app_id, version, o),
        Command::Inspect { bundle: path, .. } => bundle::inspect(&path, o),
        Command::Install {
            bundle: path,
            store,
            trust,
            app_id,
            version,
            ..
        } => bundle::install(&path, &store, &trust, app_id, version, o),
        Command::Run {
            app,
            headless,
            script,
            trust,
            width,
            isolation,
            timeout_ms,
            memory_mb,
            user,
            grant,
            deny,
            confirm_payments,
            dev_origin,
            data_dir,
            ..
        } => run::run(
            &app,
            &run::RunOptions {
                headless,
                script,
                width,
                isolation,
                timeout_ms,
                memory_mb,
                user,
                grant,
                deny,
                confirm_payments,
                dev_origins: dev_origin,
                data_dir,
            },
            &trust,
            o,
        ),
        Command::Compat(args) => compat::compat(args, o),
        Command::Preview(args) => preview::preview(args, o),
        Command::Root { command } => match command {
            RootCommand::Init {
                out_dir,
                expires_days,
                root_keys,
                root_threshold,
                ..
            } => root::init(&out_dir, expires_days, root_keys, root_threshold, o),
            RootCommand::Rotate {
                root,
                sign_keys,
                new_root_keys,
                root_threshold,
                publisher_keys,
                policy_keys,
                expires_days,
                out,
                ..
            } => root::rotate(
                &root::Rotation {
                    root,
                    sign_keys,
                    new_root_keys,
                    root_threshold,
                    publisher_keys,
                    policy_keys,
                    expires_days,
                    out,
                },
                o,
            ),
        },
        Command::Demo {
            workdir, isolation, ..
        } => demo::run(workdir, isolation, o),
        Command::Platform { command } => match command {
            PlatformCommand::Serve {
                listen,
                db,
                storage,
                admin_token_file,
                policy_ttl_secs,
                policy_revalidate_ms,
                webhook_max_attempts,
                webhook_backoff_ms,
                auth_code_ttl_secs,
                s3,
            } => platform::serve(
                &listen,
                db,
                storage,
                admin_token_file,
                platform::Tuning {
                    policy_ttl_secs,
                    policy_revalidate_ms,
                    webhook_max_attempts,
                    webhook_backoff_ms,
                    auth_code_ttl_secs,
                },
                s3,
                o,
            ),
        },
        Command::Rollout { command } => match command {
            RolloutCommand::Bucket {
                salt,
                user,
                percent,
                ..
            } => platform::bucket(&salt, &user, percent.as_deref(), o),
        },
        Command::Login { server, token, .. } => session::login(&server, &token, o),
        Command::Logout { .. } => session::logout(o),
        Command::Account { command, .. } => manage::account(command, o),
        Command::Workspace { command, .. } => manage::workspace(command, o),
        Command::Member { command, .. } => manage::member(command, o),
        Command::Isv { command, .. } => manage::isv(command, o),
        Command::Webhook { command, .. } => manage::webhook(command, o),
        Command::Key { command, .. } => manage::key(command, o),
        Command::App { command, .. } => manage::app(command, o),
        Command::Version { command, .. } => manage::version(command, o),
        Command::Release { command, .. } => release::release(command, o),
        Command::Target { command, .. } => manage::target(command, o),
        Command::Qrcode {
            app,
            target,
            release,
            format,
            out,
            ..
        } => query::qrcode(&app, &target, release.as_deref(), format, &out, o),
        Command::Resolve {
            app,
            target,
            user,
            root,
            ..
        } => query::resolve(&app, &target, &user, &root, o),
        Command::Explain {
            app, target, user, ..
        } => query::explain(&app, &target, &user, o),
        Command::Inbox { .. } => query::inbox(o),
        Command::Audit { object, .. } => query::audit(object.as_deref(), o),
    }
}

/// Builds the trust anchor from `--trust` keys or a `--root` chain.
pub(crate) fn load_trust(t: &TrustArgs) -> Result<Trust> {
    if !t.root.is_empty() {
        let roots = t
            .root
            .iter()
            .map(|p| std::fs::read(p).with_context(|| format!("reading {}", p.display())))
            .collect::<Result<Vec<_>>>()?;
        let root = TrustedRoot::load_chain(&roots, time::OffsetDateTime::now_utc())?;
        return Ok(Trust::Root(root));
    }
    let keys = t
        .trust
        .iter()
        .map(|p| PublicKey::read(p).with_context(|| format!("trusted key {}", p.display())))
        .collect::<Result<Vec<_>>>()?;
    Ok(Trust::Developer(keys))
}

/// The logic worker every process-isolated launch of this CLI uses: the
/// `mpkit-worker` executable beside this one when it is there (it links only
/// the runtime, not WebKitGTK), else this executable, re-entered.
pub(crate) fn worker_config() -> mpkit_host::WorkerConfig {
    mpkit_host::WorkerConfig::beside_current_exe()
}
