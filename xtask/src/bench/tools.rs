//! What a benchmark needs besides mpkit: the peers and load generators it
//! runs (`unzip`, `wrk`, `nginx`, ...), a display, and the logic worker.
//! Each is found, or installed with apt-get when this process is root (as
//! `scripts/setup` does), or named with the command that installs it, before
//! any work starts.

use anyhow::{bail, Context as _, Result};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A program a benchmark runs, and the Debian/Ubuntu package that has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tool {
    /// The executable's name.
    pub(crate) program: &'static str,
    /// Its apt package.
    pub(crate) package: &'static str,
}

pub(crate) const UNZIP: Tool = Tool {
    program: "unzip",
    package: "unzip",
};
pub(crate) const SHA256SUM: Tool = Tool {
    program: "sha256sum",
    package: "coreutils",
};
pub(crate) const WRK: Tool = Tool {
    program: "wrk",
    package: "wrk",
};
pub(crate) const NGINX: Tool = Tool {
    program: "nginx",
    package: "nginx",
};
pub(crate) const XVFB_RUN: Tool = Tool {
    program: "xvfb-run",
    package: "xvfb",
};

/// Directories searched after `PATH`: nginx lives in /usr/sbin, which a
/// user's `PATH` often lacks.
const SBIN: [&str; 3] = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

/// The executable `program` in `path` (a `PATH` value) or the sbin directories.
pub(crate) fn find(program: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    let dirs = path.map(std::env::split_paths).into_iter().flatten();
    dirs.chain(SBIN.iter().map(PathBuf::from))
        .map(|d| d.join(program))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// How missing tools may be installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Install {
    /// With this apt-get, as root.
    Apt,
    /// Not from here: the error names the command.
    ByHand,
}

impl Install {
    /// apt-get when this process is root and apt-get is there.
    pub(crate) fn here() -> Install {
        let root = rustix::process::geteuid().is_root();
        if root && find("apt-get", std::env::var_os("PATH").as_deref()).is_some() {
            Install::Apt
        } else {
            Install::ByHand
        }
    }
}

/// The full path of each tool, in order. Missing ones are installed with
/// apt-get when `install` allows it, else this is an error that names every
/// missing tool, its package and the command that installs them.
pub(crate) fn require(bench: &str, tools: &[Tool]) -> Result<Vec<PathBuf>> {
    require_in(
        bench,
        tools,
        std::env::var_os("PATH").as_deref(),
        Install::here(),
    )
}

pub(crate) fn require_in(
    bench: &str,
    tools: &[Tool],
    path: Option<&OsStr>,
    install: Install,
) -> Result<Vec<PathBuf>> {
    let missing: Vec<Tool> = tools
        .iter()
        .copied()
        .filter(|t| find(t.program, path).is_none())
        .collect();
    if !missing.is_empty() {
        match install {
            Install::Apt => apt_install(bench, &missing)?,
            Install::ByHand => bail!("{}", missing_message(bench, &missing)),
        }
    }
    tools
        .iter()
        .map(|t| {
            find(t.program, path).with_context(|| {
                format!(
                    "{} is still not on PATH after installing {}",
                    t.program, t.package
                )
            })
        })
        .collect()
}

/// What to tell a user who lacks `missing`.
pub(crate) fn missing_message(bench: &str, missing: &[Tool]) -> String {
    let programs = and_list(missing.iter().map(|t| t.program));
    let mut packages: Vec<&str> = missing.iter().map(|t| t.package).collect();
    packages.dedup();
    format!(
        "`cargo xtask bench {bench}` needs {programs}, which {} not installed; install {} with\n  sudo apt-get install -y {}\n(or with your system's package manager), then run it again",
        if missing.len() == 1 { "is" } else { "are" },
        if missing.len() == 1 { "it" } else { "them" },
        packages.join(" ")
    )
}

fn and_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = items.collect();
    match v.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn apt_install(bench: &str, missing: &[Tool]) -> Result<()> {
    let packages: Vec<&str> = missing.iter().map(|t| t.package).collect();
    // One line, so a first run says why it takes longer; apt itself is quiet.
    eprintln!(
        "cargo xtask bench {bench}: installing {} with apt-get",
        packages.join(" ")
    );
    let apt = |args: &[&str]| -> Result<()> {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .context("running apt-get")?;
        anyhow::ensure!(
            status.success(),
            "apt-get {} failed: {status}",
            args.join(" ")
        );
        Ok(())
    };
    apt(&["update", "-qq"])
        .and_then(|()| {
            let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
            args.extend(&packages);
            apt(&args)
        })
        .with_context(|| missing_message(bench, missing))
}

/// True when a window can open: an X11 or Wayland display is set.
pub(crate) fn have_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()))
}

/// Builds `mpkit-worker` (the logic worker a host starts for each mini
/// program; it links no WebKitGTK) in this executable's profile and target
/// directory, so the process-mode figures are the real worker's, and
/// returns the worker settings that start it. Built with the whole
/// workspace's features, as `cargo build --workspace` builds it, so nothing
/// is compiled twice.
///
/// With `MPKIT_BENCH_WORKER_BUILT` set, the worker already beside this
/// executable is used as it is: the test suite sets it, since `cargo test`
/// built the worker, and a `cargo build` in the middle of `cargo test`
/// rebuilds libraries other test targets (the doc tests) still link against.
pub(crate) fn worker() -> Result<mpkit_host::WorkerConfig> {
    let me = std::env::current_exe().context("finding this executable")?;
    let profile_dir = me.parent().context("this executable has no directory")?;
    let target_dir = profile_dir
        .parent()
        .context("this executable is not in a cargo target directory")?;
    if std::env::var_os("MPKIT_BENCH_WORKER_BUILT").is_none() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--quiet", "--workspace", "--bin", "mpkit-worker"])
            .arg("--target-dir")
            .arg(target_dir);
        if !cfg!(debug_assertions) {
            cmd.arg("--release");
        }
        let status = cmd
            .status()
            .context("running cargo to build mpkit-worker")?;
        anyhow::ensure!(status.success(), "building mpkit-worker failed: {status}");
    }
    let cfg = mpkit_host::WorkerConfig::beside_current_exe();
    anyhow::ensure!(
        cfg.exe.is_some(),
        "cargo built mpkit-worker, but not into {}",
        profile_dir.display()
    );
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tool_is_named_with_its_package_and_the_command() {
        let empty = tempfile::tempdir().expect("tempdir");
        let path = std::env::join_paths([empty.path()]).expect("path");
        let e = require_in("resolve", &[WRK], Some(&path), Install::ByHand)
            .expect_err("wrk is in no directory of this PATH");
        assert_eq!(
            e.to_string(),
            "`cargo xtask bench resolve` needs wrk, which is not installed; install it with\n  \
             sudo apt-get install -y wrk\n(or with your system's package manager), then run it again"
        );
    }

    #[test]
    fn every_missing_tool_is_named_at_once() {
        let m = missing_message("install", &[UNZIP, SHA256SUM, WRK]);
        assert!(
            m.starts_with("`cargo xtask bench install` needs unzip, sha256sum and wrk, which are not installed; install them with\n  sudo apt-get install -y unzip coreutils wrk\n"),
            "{m}"
        );
    }

    #[test]
    fn a_tool_on_the_path_is_found_with_its_full_path() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let exe = dir.path().join("wrk");
        std::fs::write(&exe, "#!/bin/sh\n").expect("write");
        let path = std::env::join_paths([dir.path()]).expect("path");
        // Not executable: not a tool.
        assert!(require_in("resolve", &[WRK], Some(&path), Install::ByHand).is_err());
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let found = require_in("resolve", &[WRK], Some(&path), Install::ByHand).expect("found");
        assert_eq!(found, [exe]);
    }
}
