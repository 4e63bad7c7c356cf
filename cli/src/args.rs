//! Flags several commands share, each declared once. A command flattens the
//! ones it takes into its own `XArgs`.

use anyhow::{Context as _, Result};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, ValueEnum};
use mpkit_bundle::{AppId, Expected, PublicKey, Trust, TrustedRoot};
use mpkit_platform_client::wire;
use std::path::PathBuf;

/// What a bundle is trusted against. Optional by default; a command that
/// cannot work without it (`verify`, `install`) makes the group required
/// with `#[command(mut_group("trust_anchor", |g| g.required(true)))]`.
#[derive(Debug, Clone, Args)]
#[group(id = "trust_anchor", multiple = false)]
pub(crate) struct TrustArgs {
    /// Trust these developer public keys (preview and dev mode).
    #[arg(long = "trust", value_name = "KEY.pub", num_args = 1..)]
    pub(crate) trust: Vec<PathBuf>,
    /// Trust this root; further roots are rotations applied in order.
    #[arg(long = "root", value_name = "root.json", num_args = 1..)]
    pub(crate) root: Vec<PathBuf>,
}

impl TrustArgs {
    /// Whether neither `--trust` nor `--root` was given.
    pub(crate) fn is_empty(&self) -> bool {
        self.trust.is_empty() && self.root.is_empty()
    }

    /// The trust anchor: the `--root` chain, or the `--trust` keys.
    pub(crate) fn load(&self) -> Result<Trust> {
        if !self.root.is_empty() {
            let roots = self
                .root
                .iter()
                .map(|p| std::fs::read(p).with_context(|| format!("reading {}", p.display())))
                .collect::<Result<Vec<_>>>()?;
            let root = TrustedRoot::load_chain(&roots, time::OffsetDateTime::now_utc())?;
            return Ok(Trust::Root(root));
        }
        let keys = self
            .trust
            .iter()
            .map(|p| PublicKey::read(p).with_context(|| format!("trusted key {}", p.display())))
            .collect::<Result<Vec<_>>>()?;
        Ok(Trust::Developer(keys))
    }
}

/// `--app-id` and `--version`: what a bundle must be.
#[derive(Debug, Clone, Args)]
pub(crate) struct ExpectArgs {
    /// Require this appId.
    #[arg(long)]
    pub(crate) app_id: Option<String>,
    /// Require this version.
    #[arg(long)]
    pub(crate) version: Option<semver::Version>,
}

impl ExpectArgs {
    /// What the bundle is checked against.
    pub(crate) fn expected(&self) -> Result<Expected> {
        let mut e = match &self.app_id {
            Some(a) => Expected::app(AppId::new(a.clone())?),
            None => Expected::any(),
        };
        if let Some(v) = &self.version {
            e = e.version(v.clone());
        }
        Ok(e)
    }
}

/// Where a mini program's JS and templates run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum IsolationArg {
    /// A worker process (memory cap and watchdog).
    Process,
    /// The caller's thread: choosing it accepts that runaway code (native
    /// iteration, regex backtracking, unbounded allocation) can hang or abort
    /// this command (docs/runtime.md).
    Thread,
}

impl IsolationArg {
    /// The host's isolation, with `worker` for process mode.
    pub(crate) fn isolation(self, worker: mpkit_host::WorkerConfig) -> mpkit_host::Isolation {
        match self {
            IsolationArg::Process => mpkit_host::Isolation::Process(worker),
            IsolationArg::Thread => {
                mpkit_host::Isolation::Thread(mpkit_host::ThreadOptIn::ACCEPT_UNCONTAINED)
            }
        }
    }
}

/// The logic worker every process-isolated launch of this CLI uses: the
/// `mpkit-worker` executable beside this one when it is there (it links only
/// the runtime, not WebKitGTK), else this executable, re-entered.
pub(crate) fn worker_config() -> mpkit_host::WorkerConfig {
    mpkit_host::WorkerConfig::beside_current_exe()
}

/// The identity a project is packed or run under, over its own
/// (mpkit.json, legacy app.json fields, or a development identity).
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct IdentityArgs {
    /// The app id (a project's app.json never holds one; mpkit.json may).
    #[arg(long = "app-id", value_name = "ID")]
    pub(crate) app_id: Option<String>,
    /// The display name (default: mpkit.json's, else window.defaultTitle, else the folder's).
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// The version (default: mpkit.json's, else package.json's).
    #[arg(long)]
    pub(crate) version: Option<semver::Version>,
}

impl IdentityArgs {
    /// As the bundle crate takes them.
    pub(crate) fn flags(&self) -> mpkit_bundle::IdentityFlags {
        mpkit_bundle::IdentityFlags {
            app_id: self.app_id.clone(),
            name: self.name.clone(),
            version: self.version.clone(),
            build: None,
        }
    }
}

/// Says once, on stderr, which identity a project directory runs under when
/// it comes from the folder, and the project's warnings; the launch itself
/// resolves it the same way.
pub(crate) fn announce_dev_identity(
    dir: &std::path::Path,
    ids: &IdentityArgs,
    diag: &mut dyn std::io::Write,
) -> Result<()> {
    let project = mpkit_bundle::Project::open(dir)?;
    let id = project.identity(&ids.flags(), true)?;
    if id.source == mpkit_bundle::IdentitySource::Development {
        writeln!(
            diag,
            "development identity: {} \"{}\" {} (derived from the folder; set appId in mpkit.json or pass --app-id)",
            id.app_id, id.name, id.version
        )?;
    }
    Ok(())
}

/// `--quiet` of the commands that run a mini program and show its console.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct ConsoleArgs {
    /// Hide the mini program's console (console.log and friends), which is
    /// shown on stderr by default.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

/// Which release: --release ID, or --app and --target for the one open release there.
#[derive(Debug, Args)]
#[group(id = "which_release", required = true, multiple = true)]
pub(crate) struct ReleaseSel {
    /// The release id.
    #[arg(long, value_name = "ID", conflicts_with_all = ["app", "target"])]
    pub(crate) release: Option<String>,
    /// With --target: the one open release of this mini program in that target app.
    #[arg(long, requires = "target")]
    pub(crate) app: Option<String>,
    /// With --app: the target app.
    #[arg(long, requires = "app")]
    pub(crate) target: Option<String>,
}

/// A closed set of names shared with the platform (`wire::Role`, ...), as a
/// command-line value: the wire's own names, listed in `--help`.
pub(crate) trait WireName: Copy + Send + Sync + 'static {
    /// Every value.
    fn all() -> &'static [Self];
    /// Its name on the wire.
    fn name(self) -> &'static str;
}

macro_rules! wire_names {
    ($($t:ty),* $(,)?) => {$(
        impl WireName for $t {
            fn all() -> &'static [Self] {
                <$t>::ALL
            }
            fn name(self) -> &'static str {
                self.as_str()
            }
        }
    )*};
}

wire_names!(
    wire::WorkspaceKind,
    wire::Role,
    wire::IsvAction,
    wire::WebhookEvent
);

/// The value parser of a [`WireName`]: `value_parser = wire_value::<wire::Role>()`.
pub(crate) fn wire_value<T: WireName>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(T::all().iter().map(|v| v.name())).try_map(|s: String| {
        T::all()
            .iter()
            .copied()
            .find(|v| v.name() == s)
            .ok_or_else(|| format!("{s:?} is none of the names"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Probe {
        #[arg(long, value_parser = wire_value::<wire::Role>())]
        role: wire::Role,
        #[arg(long, value_delimiter = ',', value_parser = wire_value::<wire::IsvAction>())]
        actions: Vec<wire::IsvAction>,
    }

    #[test]
    fn wire_names_are_the_command_lines_values() {
        let p = Probe::try_parse_from(["p", "--role", "owner", "--actions", "read,release"])
            .expect("parse");
        assert_eq!(p.role, wire::Role::Owner);
        assert_eq!(p.actions, [wire::IsvAction::Read, wire::IsvAction::Release]);
        let e = Probe::try_parse_from(["p", "--role", "boss", "--actions", "read"])
            .expect_err("not a role");
        assert_eq!(e.kind(), clap::error::ErrorKind::InvalidValue);
        let text = e.render().to_string();
        assert!(
            text.contains("[possible values: developer, owner, master]"),
            "{text}"
        );
    }
}
