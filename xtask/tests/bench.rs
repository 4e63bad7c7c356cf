//! `cargo xtask bench` as a user runs it: the real binary.

use std::process::Command;

fn xtask() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xtask"));
    // The host's log only when asked for: make sure nobody asks here.
    c.env_remove("MPKIT_LOG");
    // `cargo test` built the worker beside xtask; a `cargo build` now would
    // rebuild libraries the doc tests that run later link against.
    c.env("MPKIT_BENCH_WORKER_BUILT", "1");
    c
}

/// A benchmark prints its table and nothing else: no log line of the host
/// or of the mini programs it runs (hundreds of them before).
#[test]
fn bench_runtime_prints_only_its_table() {
    let o = xtask()
        .args([
            "bench",
            "--no-release",
            "runtime",
            "--runs",
            "1",
            "--apps",
            "1",
        ])
        .output()
        .expect("run xtask");
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(o.status.success(), "stdout: {out}\nstderr: {err}");
    assert_eq!(err, "", "stderr must be empty");
    for row in [
        "cold start, sample app",
        "setData 16",
        "one changed row in 1,000",
        "host CPU per setData 16 KB",
        "memory per app, 1 running",
    ] {
        assert!(out.contains(row), "no {row:?} row in:\n{out}");
    }
}

/// Without wrk, `bench resolve` says what it needs and how to get it,
/// before it starts any work (it failed with "No such file or directory").
#[test]
fn bench_resolve_names_what_it_needs() {
    let empty = tempfile::tempdir().expect("tempdir");
    let o = xtask()
        .args(["bench", "--no-release", "resolve", "--seconds", "1"])
        .env("PATH", empty.path())
        .output()
        .expect("run xtask");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert!(
        err.starts_with("error: `cargo xtask bench resolve` needs wrk"),
        "{err}"
    );
    assert!(err.contains("sudo apt-get install -y wrk"), "{err}");
    assert!(!err.contains("No such file"), "{err}");
    assert!(o.stdout.is_empty());
}
