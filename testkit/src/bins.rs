//! The workspace's binaries, freshly built, for tests that run them as a
//! user does (a package's own tests have `CARGO_BIN_EXE_<name>`; this is for
//! the binaries of other packages).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds `bins` (package, binary) with cargo, in the profile and target
/// directory of the running test, and returns the directory that holds them.
///
/// Cargo does nothing when they are fresh. It runs offline: the test's own
/// build already fetched every dependency, and tests never reach the
/// internet.
pub fn cargo_bins(bins: &[(&str, &str)]) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    // <target>/<profile>/deps/<test>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .unwrap_or_else(|| panic!("{} is not in a cargo target directory", exe.display()))
        .to_path_buf();
    let target_dir = profile_dir
        .parent()
        .unwrap_or_else(|| panic!("{} has no parent", profile_dir.display()));
    let profile = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a profile directory name");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--offline", "--quiet"])
        .current_dir(crate::repo_dir())
        .env("CARGO_TARGET_DIR", target_dir);
    match profile {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    for (package, bin) in bins {
        cmd.args(["-p", package, "--bin", bin]);
    }
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(status.success(), "{cmd:?} failed: {status}");
    for (_, bin) in bins {
        let path = profile_dir.join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
        assert!(path.is_file(), "cargo built no {}", path.display());
    }
    profile_dir
}
