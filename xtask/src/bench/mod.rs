//! `cargo xtask bench <name>`: each benchmark against a peer in the same run.
//!
//! Every benchmark prints only its table (or `--json`): the host's own log
//! goes nowhere unless `MPKIT_LOG` asks for it. What a benchmark needs
//! besides mpkit is found, installed, or named before any work starts
//! (`tools.rs`). Figures come from a release build: `cargo xtask bench`
//! re-runs itself with `cargo run --release` when it was built for debugging.

mod auth;
mod components;
mod install;
mod jsapi;
mod modules;
mod platform;
mod render;
mod resolve;
mod runtime;
mod tools;
mod update;
mod webview;

use crate::report::Output;
use anyhow::{Context as _, Result};
use clap::{Args, Subcommand};
use std::process::Command;

/// `cargo xtask bench`.
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Measure this build as it is, even a debug build (for tests; a debug
    /// build's figures mean nothing).
    #[arg(long, global = true)]
    no_release: bool,
    #[command(subcommand)]
    bench: Bench,
}

#[derive(Debug, Subcommand)]
enum Bench {
    /// verify + install of a 2 MB, 300-file bundle against `unzip -q` and `sha256sum`.
    Install(install::InstallArgs),
    /// setData of one changed row in a 1,000-row list against a full re-render,
    /// and the logic layer's context creation and native-call cost.
    Render(render::RenderArgs),
    /// Cold start of the sample app, setData at 16 KB, one changed row in 1,000,
    /// the host's CPU time per setData and memory per app with 20 running, in
    /// thread and process isolation.
    Runtime(runtime::RuntimeArgs),
    /// A Sync JSAPI round trip against a no-op native call; setStorage throughput against fsync.
    Jsapi(jsapi::JsapiArgs),
    /// Modules against the engine's floor: 200 CommonJS or ES modules against the same code
    /// concatenated into one script; a 300 KB framework file required against it inline.
    Modules(modules::ModulesArgs),
    /// /v1/resolve under wrk load against nginx serving the same bytes; the
    /// in-process decision against unleash-yggdrasil.
    Resolve(resolve::ResolveArgs),
    /// The webview surface under the real WebKitGTK: first render cold and from a pre-warmed
    /// webview against a bare wry page, setData-to-DOM at 1, 16 and 256 KB, the event round
    /// trip, and the peak RSS of the process tree. Without a display it runs under Xvfb.
    Webview(webview::WebviewArgs),
    /// Auth codes on loopback: issuing and exchanging one against an authenticated read plus a
    /// durable write of the same disk.
    Auth(auth::AuthArgs),
    /// The host's update path on loopback: a verified check against a bare resolve, the limited
    /// download against a plain one, resolve-to-install against a local install.
    Update(update::UpdateArgs),
    /// Custom components against the same markup inlined: first render of 100 instances,
    /// one instance's setData against a page re-render (time and patch bytes), sjs calls.
    Components(components::ComponentsArgs),
}

/// Runs one benchmark, in a release build and with what it needs.
pub(crate) fn run(args: BenchArgs, json: bool) -> Result<()> {
    if cfg!(debug_assertions) && !args.no_release {
        return rerun_in_release();
    }
    if matches!(args.bench, Bench::Webview(_)) && !tools::have_display() {
        return rerun_under_xvfb();
    }
    let o = &mut Output::new(json);
    match args.bench {
        Bench::Install(a) => install::run(a, o),
        Bench::Render(a) => render::run(a, o),
        Bench::Runtime(a) => runtime::run(a, o),
        Bench::Jsapi(a) => jsapi::run(a, o),
        Bench::Modules(a) => modules::run(a, o),
        Bench::Resolve(a) => resolve::run(a, o),
        Bench::Update(a) => update::run(a, o),
        Bench::Auth(a) => auth::run(a, o),
        Bench::Webview(a) => webview::run(a, o),
        Bench::Components(a) => components::run(a, o),
    }
}

/// Runs `cmd` (this command line again, some other way) and exits with its code.
fn exec(mut cmd: Command, what: &str) -> Result<()> {
    let status = cmd.status().with_context(|| format!("running {what}"))?;
    std::process::exit(status.code().unwrap_or(1));
}

/// Figures from a debug build mean nothing: the same command, from a release build.
fn rerun_in_release() -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["run", "--quiet", "--release", "--package", "xtask", "--"])
        .args(std::env::args_os().skip(1));
    exec(cmd, "cargo run --release --package xtask")
}

/// A window needs a display: the same command under Xvfb, with a screen as
/// large as the tests'.
fn rerun_under_xvfb() -> Result<()> {
    let xvfb = tools::require("webview", &[tools::XVFB_RUN])?;
    let mut cmd = Command::new(&xvfb[0]);
    cmd.args(["-a", "-s", "-screen 0 1280x1024x24"])
        .arg(std::env::current_exe().context("finding this executable")?)
        .args(std::env::args_os().skip(1));
    exec(cmd, "xvfb-run")
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Each benchmark's help says what that benchmark measures.
    #[test]
    fn each_benchmark_is_described_under_its_own_name() {
        let cli = crate::Cli::command();
        let bench = cli.find_subcommand("bench").expect("bench");
        let about = |name: &str| {
            bench
                .find_subcommand(name)
                .and_then(|c| c.get_about())
                .map(|a| a.to_string())
                .unwrap_or_default()
        };
        for (name, says) in [
            ("install", "unzip -q"),
            ("render", "full re-render"),
            ("runtime", "Cold start of the sample app"),
            ("jsapi", "Sync JSAPI round trip"),
            ("modules", "concatenated into one script"),
            ("resolve", "/v1/resolve under wrk load"),
            ("webview", "WebKitGTK"),
            ("auth", "Auth codes"),
            ("update", "update path"),
            ("components", "markup inlined"),
        ] {
            let text = about(name);
            assert!(text.contains(says), "bench {name}: {text:?}");
        }
        assert!(
            !about("resolve").contains("Cold start"),
            "{}",
            about("resolve")
        );
    }
}
