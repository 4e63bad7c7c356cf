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
