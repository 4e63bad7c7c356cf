//! `scripts/demo` as a user runs it, with its tools stood in for: cargo
//! (nothing to build), xvfb-run and the built mpkit (they report what they
//! were given), so the test sees what the script starts and with which display.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn script(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// A copy of the repository's scripts/demo in a tree of stand-ins; returns
/// (the tree, the PATH to run it with).
fn stand_in() -> (tempfile::TempDir, String) {
    let t = tempfile::tempdir().expect("tempdir");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let demo = std::fs::read_to_string(repo.join("scripts/demo")).expect("scripts/demo");
    script(&t.path().join("scripts/demo"), &demo);
    script(&t.path().join("scripts/setup"), "# installs nothing here\n");
    script(
        &t.path().join("target/release/mpkit"),
        "#!/bin/sh\necho \"DISPLAY=${DISPLAY:-none} args: $*\"\n",
    );
    let bin = t.path().join("bin");
    script(&bin.join("cargo"), "#!/bin/sh\nexit 0\n");
    // xvfb-run -a -s ARGS CMD...: says what it was given, runs CMD on :99.
    script(
        &bin.join("xvfb-run"),
        "#!/bin/sh\necho \"xvfb-run $1 $2 [$3]\" >&2\nshift 3\nDISPLAY=:99 exec \"$@\"\n",
    );
    let path = format!("{}:/usr/bin:/bin", bin.display());
    (t, path)
}

fn run_demo(tree: &Path, path: &str, display: Option<&str>) -> (String, String) {
    let mut c = Command::new("bash");
    c.arg(tree.join("scripts/demo"))
        .arg("--json")
        .env("PATH", path)
        .env_remove("WAYLAND_DISPLAY");
    match display {
        Some(d) => c.env("DISPLAY", d),
        None => c.env_remove("DISPLAY"),
    };
    let o = c.output().expect("run scripts/demo");
    assert!(o.status.success(), "{o:?}");
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Without a display the demo runs under Xvfb, so its window step runs too
/// (it was skipped, though setup installs Xvfb).
#[test]
fn without_a_display_the_demo_runs_under_xvfb() {
    let (tree, path) = stand_in();
    let (out, err) = run_demo(tree.path(), &path, None);
    assert_eq!(out, "DISPLAY=:99 args: demo --json\n");
    assert_eq!(err, "xvfb-run -a -s [-screen 0 1280x1024x24]\n");
}

/// With a display the demo uses it, and no Xvfb starts.
#[test]
fn with_a_display_the_demo_uses_it() {
    let (tree, path) = stand_in();
    let (out, err) = run_demo(tree.path(), &path, Some(":5"));
    assert_eq!(out, "DISPLAY=:5 args: demo --json\n");
    assert_eq!(err, "");
}
