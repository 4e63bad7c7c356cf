//! Process isolation as a user meets it: `mpkit run` with worker processes.
//! A hostile mini program is stopped with a typed reason; the host process
//! carries on and reports it.

use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn run(steps: &str, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("steps.json");
    std::fs::write(&script, steps).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_mpkit"))
        .args([
            "run",
            &fixture("hostile"),
            "--headless",
            "--json",
            "--script",
        ])
        .arg(&script)
        .args(extra)
        .output()
        .expect("run mpkit");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), v)
}

#[test]
fn busy_loop_is_killed_by_the_watchdog() {
    let (code, v) = run(r##"[{"tap": "#spin"}]"##, &["--timeout-ms", "1500"]);
    assert_eq!(code, Some(1));
    let stopped = v["stopped"].as_str().expect("stopped reason");
    assert!(stopped.contains("more than 1.5s"), "{stopped}");
    assert_eq!(v["errors"][0]["kind"], "stopped");
    assert!(
        v["html"].as_str().expect("html").contains("<error"),
        "the page shows the error state"
    );
}

#[test]
fn unbounded_allocation_hits_the_memory_cap() {
    let (code, v) = run(
        r##"[{"tap": "#hog"}, {"tap": "#ok"}]"##,
        &["--memory-mb", "256", "--timeout-ms", "30000"],
    );
    assert_eq!(code, Some(1));
    // Under the cap either the engine refuses the allocation (a RangeError the
    // handler cannot get past) or the worker dies; never the host.
    let refused = v["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("while allocating"));
    let killed = v["stopped"]
        .as_str()
        .is_some_and(|m| m.contains("memory cap"));
    assert!(refused || killed, "{v}");
}

#[test]
fn unbounded_recursion_is_an_error_not_a_crash() {
    let (code, v) = run(
        r##"[{"tap": "#recurse"}, {"tap": "#ok"}, {"expect_text": {"selector": "#status", "text": "fine"}}]"##,
        &[],
    );
    assert_eq!(
        code,
        Some(1),
        "the recursion is reported as an uncaught error"
    );
    assert_eq!(v["stopped"], serde_json::Value::Null, "the worker survives");
    assert!(
        v["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .all(|s| s["ok"] == true),
        "{v}"
    );
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .expect("msg")
            .contains("recursi")
            || v["errors"][0]["kind"] == "limit"
    );
}

#[test]
fn a_healthy_app_runs_in_a_worker() {
    let (code, v) = run(
        r##"[{"tap": "#ok"}, {"expect_text": {"selector": "#status", "text": "fine"}}]"##,
        &[],
    );
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["errors"], serde_json::json!([]));
}

fn mpkit_json(args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_mpkit"))
        .args(args)
        .output()
        .expect("run mpkit");
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), v)
}

#[test]
fn jsapi_calls_from_a_worker_pass_the_host_gates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("steps.json");
    std::fs::write(&script, r##"[{"tap": "#locate"}, {"idle": 3000}]"##).expect("write");
    let fx = fixture("jsapi");
    let s = script.to_string_lossy().into_owned();
    let (code, v) = mpkit_json(&[
        "run",
        &fx,
        "--headless",
        "--json",
        "--script",
        &s,
        "--grant",
        "scope.location",
    ]);
    assert_eq!(code, Some(0), "{v}");
    let html = v["html"].as_str().expect("html");
    assert!(html.contains("31.230416,121.473701"), "{html}");
    // The Sync storage calls crossed from the worker to the host and back.
    assert!(html.contains(">1<"), "{html}");
}

/// Kills the host (SIGKILL) while the mini program rewrites a 20 KB record as
/// fast as it can, then starts again on the same data: the record is always a
/// whole one, old or new, never torn, and never goes back.
#[test]
fn storage_survives_a_host_killed_mid_write() {
    let data = tempfile::tempdir().expect("data");
    let d = data.path().to_string_lossy().into_owned();
    let fx = fixture("writer");
    let steps = data.path().join("write.json");
    std::fs::write(&steps, r##"[{"tap": "#write"}, {"idle": 60000}]"##).expect("steps");
    let read = data.path().join("read.json");
    std::fs::write(&read, "[]").expect("steps");
    let mut last = 0i64;
    for delay in [600u64, 900, 1300] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mpkit"))
            .args([
                "run",
                &fx,
                "--headless",
                "--json",
                "--data-dir",
                &d,
                "--script",
            ])
            .arg(&steps)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(delay));
        child.kill().expect("kill");
        let _ = child.wait();
        let r = read.to_string_lossy().into_owned();
        let (code, v) = mpkit_json(&[
            "run",
            &fx,
            "--headless",
            "--json",
            "--data-dir",
            &d,
            "--script",
            &r,
        ]);
        assert_eq!(code, Some(0), "{v}");
        let html = v["html"].as_str().expect("html");
        let n: i64 = html
            .split("id=\"last\"")
            .nth(1)
            .and_then(|s| s.split('>').nth(1))
            .and_then(|s| s.split('<').next())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| panic!("no record in {html}"));
        assert!(n >= last && n > 0, "record went from {last} to {n}");
        assert!(html.contains(">true<"), "the record is whole: {html}");
        last = n;
    }
}

/// Links (or copies) `from` to `to`, executable.
fn place(from: impl AsRef<std::path::Path>, to: &std::path::Path) {
    if std::fs::hard_link(from.as_ref(), to).is_err() {
        std::fs::copy(from.as_ref(), to).expect("copy");
    }
}

#[test]
fn the_worker_beside_mpkit_runs_the_logic_and_mpkit_alone_re_enters_itself() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let steps = dir.path().join("steps.json");
    std::fs::write(
        &steps,
        r##"[{"tap": "#ok"}, {"expect_text": {"selector": "#status", "text": "fine"}}]"##,
    )
    .expect("write");
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("mkdir");
    let mpkit = bin.join("mpkit");
    place(env!("CARGO_BIN_EXE_mpkit"), &mpkit);
    let go = || {
        let out = Command::new(&mpkit)
            .args([
                "run",
                &fixture("hostile"),
                "--headless",
                "--json",
                "--script",
            ])
            .arg(&steps)
            .output()
            .expect("run mpkit");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code(), v)
    };
    // Alone, mpkit re-enters itself as the worker.
    let (code, v) = go();
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["errors"], serde_json::json!([]));
    // With mpkit-worker beside it, that is what runs: here a wrapper that
    // leaves a mark, then becomes the real worker.
    let real = dir.path().join("real-worker");
    place(worker_exe(), &real);
    let mark = dir.path().join("worker-ran");
    let wrapper = bin.join("mpkit-worker");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\nexec '{}' \"$@\"\n",
            mark.display(),
            real.display()
        ),
    )
    .expect("write");
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let (code, v) = go();
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["errors"], serde_json::json!([]));
    let args = std::fs::read_to_string(&mark).expect("mpkit-worker ran");
    assert!(args.contains("--mpkit-logic-worker"), "{args}");
    // Started by hand, the worker says what it is and exits 2.
    let out = Command::new(worker_exe()).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("started by mpkit"));
}

/// `mpkit-worker`, which mpkit-host builds, beside the `mpkit` under test;
/// built first when this test runs without the rest of the workspace.
fn worker_exe() -> std::path::PathBuf {
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_mpkit"))
        .with_file_name(format!("mpkit-worker{}", std::env::consts::EXE_SUFFIX));
    if !exe.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let built = Command::new(cargo)
            .args(["build", "-p", "mpkit-host", "--bin", "mpkit-worker"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo build");
        assert!(built.success(), "building mpkit-worker");
    }
    assert!(exe.is_file(), "{}", exe.display());
    exe
}
