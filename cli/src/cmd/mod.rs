//! One file per command: each owns its `#[derive(Args)] struct XArgs` and
//! its `fn run(args: XArgs, out: &mut Output) -> Result<()>`; the
//! management commands, one file per resource, in `manage/`.

pub(crate) mod audit;
pub(crate) mod compat;
pub(crate) mod demo;
pub(crate) mod explain;
pub(crate) mod inbox;
pub(crate) mod inspect;
pub(crate) mod install;
pub(crate) mod keygen;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod manage;
pub(crate) mod new;
pub(crate) mod pack;
pub(crate) mod platform;
pub(crate) mod preview;
pub(crate) mod qrcode;
pub(crate) mod release;
pub(crate) mod resolve;
pub(crate) mod rollout;
pub(crate) mod root;
pub(crate) mod run;
pub(crate) mod verify;

use crate::cli::Command;
use crate::output::Output;
use anyhow::Result;

/// Runs one command.
pub(crate) fn dispatch(command: Command, o: &mut Output<'_>) -> Result<()> {
    match command {
        Command::Keygen(a) => keygen::run(a, o),
        Command::New(a) => new::run(a, o),
        Command::Pack(a) => pack::run(a, o),
        Command::Verify(a) => verify::run(a, o),
        Command::Inspect(a) => inspect::run(a, o),
        Command::Install(a) => install::run(a, o),
        Command::Run(a) => run::run(a, o),
        Command::Compat(a) => compat::run(a, o),
        Command::Preview(a) => preview::run(a, o),
        Command::Root(a) => root::run(a, o),
        Command::Demo(a) => demo::run(a, o),
        Command::Platform(a) => platform::run(a, o),
        Command::Rollout(a) => rollout::run(a, o),
        Command::Login(a) => login::run(a, o),
        Command::Logout(a) => logout::run(a, o),
        Command::Account(a) => manage::account::run(a, o),
        Command::Workspace(a) => manage::workspace::run(a, o),
        Command::Member(a) => manage::member::run(a, o),
        Command::Isv(a) => manage::isv::run(a, o),
        Command::Webhook(a) => manage::webhook::run(a, o),
        Command::Key(a) => manage::key::run(a, o),
        Command::App(a) => manage::app::run(a, o),
        Command::Version(a) => manage::version::run(a, o),
        Command::Release(a) => release::run(a, o),
        Command::Target(a) => manage::target::run(a, o),
        Command::Qrcode(a) => qrcode::run(a, o),
        Command::Resolve(a) => resolve::run(a, o),
        Command::Explain(a) => explain::run(a, o),
        Command::Inbox(a) => inbox::run(a, o),
        Command::Audit(a) => audit::run(a, o),
    }
}
