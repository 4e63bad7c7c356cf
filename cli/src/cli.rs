//! The command line: the global flags and one variant per command. Each
//! command's own arguments live beside it, in `cmd/<name>.rs`; flags several
//! commands share, in `args.rs`.

use crate::cmd::manage::{account, app, isv, key, member, target, version, webhook, workspace};
use crate::cmd::{
    audit, compat, demo, explain, inbox, inspect, install, keygen, login, logout, new, pack,
    platform, preview, qrcode, release, resolve, rollout, root, run, verify,
};
use clap::{Parser, Subcommand};

/// mpkit: sign, verify and install mini program bundles, and run the whole product.
#[derive(Debug, Parser)]
#[command(name = "mpkit", version, about)]
pub(crate) struct Cli {
    /// More log output on stderr (-v info, -vv debug); MPKIT_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// Print machine-readable JSON (every command that prints data).
    #[arg(long, global = true)]
    pub(crate) json: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Generate an ed25519 key: KEY (private, mode 0600) and KEY.pub.
    Keygen(keygen::KeygenArgs),
    /// Create a mini program project as Alipay's tools lay one out, ready to run.
    New(new::NewArgs),
    /// Pack a mini program directory into a signed bundle.
    Pack(pack::PackArgs),
    /// Verify a bundle completely: structure, signature, identity, every file.
    Verify(verify::VerifyArgs),
    /// Show a bundle's manifest and signatures (structure checked, trust NOT checked).
    Inspect(inspect::InspectArgs),
    /// Verify and install a bundle into a store, keeping the last good version.
    Install(install::InstallArgs),
    /// Run a mini program (a directory or a bundle) headless and optionally script it;
    /// its console shows on stderr.
    Run(run::RunArgs),
    /// Test a mini program against compatibility profiles (OS, device, host, network).
    Compat(compat::CompatArgs),
    /// Show a mini program in a window sized to a phone, reloading on change;
    /// or render its first page to a PNG and exit. Its console shows on stderr.
    Preview(preview::PreviewArgs),
    /// Create and rotate trust roots.
    Root(root::RootArgs),
    /// Run the whole product end to end on embedded defaults.
    Demo(demo::DemoArgs),
    /// The management platform server.
    Platform(platform::PlatformArgs),
    /// Grayscale rollout tools.
    Rollout(rollout::RolloutArgs),
    /// Check a platform token with GET /v1/me and store it with its server (mode 0600).
    ///
    /// The file is `credentials.json` in $MPKIT_CONFIG_DIR, else $XDG_CONFIG_HOME/mpkit,
    /// else ~/.config/mpkit. MPKIT_SERVER and MPKIT_TOKEN override it for every command
    /// (the stored token is only sent to the stored server).
    Login(login::LoginArgs),
    /// Remove the stored server and token.
    Logout(logout::LogoutArgs),
    /// Platform accounts (admins).
    Account(account::AccountArgs),
    /// Merchant and ISV workspaces.
    Workspace(workspace::WorkspaceArgs),
    /// Workspace members, their roles, and Developers' assignments.
    Member(member::MemberArgs),
    /// Authorize an ISV workspace to act on a merchant's mini programs.
    Isv(isv::IsvArgs),
    /// Webhooks: release results POSTed to your server, signed with HMAC-SHA256 (Master).
    Webhook(webhook::WebhookArgs),
    /// Developer keys that uploads must be signed with.
    Key(key::KeyArgs),
    /// Mini programs on the platform.
    App(app::AppArgs),
    /// Uploaded versions of a mini program.
    Version(version::VersionArgs),
    /// The release workflow: start, report, apply, review, pilot, grayscale, full, rollback.
    ///
    /// Every subcommand after `start` names its release with --release ID, or with
    /// --app A --target T for the one open release of A in T (not released, cancelled
    /// or rejected).
    Release(release::ReleaseArgs),
    /// Target (super) apps and their reviewers.
    Target(target::TargetArgs),
    /// Download the QR code that launches a mini program in a target app (or a pilot's trial code).
    Qrcode(qrcode::QrcodeArgs),
    /// Ask the platform which version a user gets (GET /v1/resolve); verify it with --root.
    Resolve(resolve::ResolveArgs),
    /// Why a user gets the version they get.
    Explain(explain::ExplainArgs),
    /// Your notifications (review decisions of your releases).
    Inbox(inbox::InboxArgs),
    /// The platform's audit log (admins).
    Audit(audit::AuditArgs),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn grammar_is_consistent() {
        Cli::command().debug_assert();
    }

    /// `--json` is one flag, before or after the subcommand, at any depth.
    #[test]
    fn json_is_accepted_before_or_after_the_command() {
        for args in [
            &["mpkit", "--json", "keygen", "--out", "k"][..],
            &["mpkit", "keygen", "--out", "k", "--json"],
            &["mpkit", "--json", "release", "status", "--release", "r1"],
            &["mpkit", "release", "status", "--json", "--release", "r1"],
            &["mpkit", "root", "init", "--out-dir", "d", "--json"],
        ] {
            let cli = Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            assert!(cli.json, "{args:?}");
        }
        let cli = Cli::try_parse_from(["mpkit", "keygen", "--out", "k"]).expect("parse");
        assert!(!cli.json);
    }

    /// verify and install cannot work without a trust anchor; run and
    /// preview can (a directory is signed for the run).
    #[test]
    fn trust_is_required_where_it_is_needed() {
        let needs = |args: &[&str]| {
            Cli::try_parse_from(args)
                .err()
                .map(|e| e.kind() == clap::error::ErrorKind::MissingRequiredArgument)
        };
        assert_eq!(needs(&["mpkit", "verify", "a.mpk"]), Some(true));
        assert_eq!(
            needs(&["mpkit", "install", "a.mpk", "--store", "s"]),
            Some(true)
        );
        assert_eq!(needs(&["mpkit", "run", "dir", "--headless"]), None);
        assert_eq!(
            needs(&["mpkit", "verify", "a.mpk", "--trust", "k.pub"]),
            None
        );
        // One or the other, not both.
        let both = Cli::try_parse_from([
            "mpkit", "verify", "a.mpk", "--trust", "k.pub", "--root", "r.json",
        ]);
        assert_eq!(
            both.err().map(|e| e.kind()),
            Some(clap::error::ErrorKind::ArgumentConflict)
        );
    }
}
