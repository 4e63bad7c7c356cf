//! `mpkit run` with the JSAPI layer: consent answered by --grant/--deny, user
//! data kept per --user in --data-dir, payments confirmed only when asked to.

use mpkit_testkit::mpkit;
use serde_json::{json, Value};

fn fixture() -> String {
    mpkit_testkit::fixture("jsapi")
        .to_string_lossy()
        .into_owned()
}

fn run(extra: &[&str], steps: &str) -> (u8, Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("steps.json");
    std::fs::write(&script, steps).expect("steps");
    let fx = fixture();
    let script = script.to_string_lossy().into_owned();
    let mut args = vec![
        "run",
        &fx,
        "--headless",
        "--isolation",
        "thread",
        "--script",
        &script,
        "--json",
    ];
    args.extend_from_slice(extra);
    let r = mpkit(args);
    let v = r.json();
    (r.code, v)
}

const LOCATE: &str = r##"[{"tap": "#locate"}, {"idle": 2000}]"##;

#[test]
fn grant_answers_the_consent_prompt() {
    let (code, v) = run(&["--grant", "scope.location"], LOCATE);
    assert_eq!(code, 0, "{v}");
    assert!(
        v["html"]
            .as_str()
            .expect("html")
            .contains("31.230416,121.473701"),
        "{v}"
    );
    let consent: Vec<&Value> = v["host_events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["event"] == "consent")
        .collect();
    assert_eq!(consent.len(), 1);
    assert_eq!(consent[0]["scope"], "scope.location");
    assert_eq!(consent[0]["granted"], true);
}

#[test]
fn without_a_grant_the_user_declines() {
    for extra in [&[][..], &["--deny", "scope.location"][..]] {
        let (code, v) = run(extra, LOCATE);
        assert_eq!(code, 0, "{v}");
        assert!(
            v["html"].as_str().expect("html").contains("error 11"),
            "{v}"
        );
        assert!(v["jsapi_calls"]
            .as_array()
            .expect("calls")
            .iter()
            .any(|c| c["api"] == "getLocation" && c["error"] == 11));
    }
}

#[test]
fn granting_and_denying_the_same_scope_is_refused() {
    let (code, v) = run(
        &["--grant", "scope.location", "--deny", "scope.location"],
        LOCATE,
    );
    assert_eq!(code, 1);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("both granted and denied"),
        "{v}"
    );
}

#[test]
fn storage_persists_per_user_in_the_data_dir() {
    let data = tempfile::tempdir().expect("data");
    let d = data.path().to_string_lossy().into_owned();
    let visits = |user: &str| {
        let (code, v) = run(&["--data-dir", &d, "--user", user], "[]");
        assert_eq!(code, 0, "{v}");
        let html = v["html"].as_str().expect("html").to_owned();
        html
    };
    assert!(visits("alice").contains(">1<"));
    assert!(visits("alice").contains(">2<"));
    assert!(visits("bob").contains(">1<"), "bob has his own space");
}

#[test]
fn payments_are_cancelled_unless_confirmed() {
    let pay = r##"[{"tap": "#pay"}, {"idle": 2000}]"##;
    let (_, v) = run(&[], pay);
    assert!(v["html"].as_str().expect("html").contains("6001"), "{v}");
    let (_, v) = run(&["--confirm-payments"], pay);
    assert!(v["html"].as_str().expect("html").contains("9000"), "{v}");
    let events: Vec<&str> = v["host_events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert_eq!(events, ["confirmPayment", "pay"]);
    assert_eq!(
        v["jsapi_calls"],
        json!([{"api": "getStorageSync", "ok": true, "error": null}, {"api": "setStorageSync", "ok": true, "error": null}, {"api": "tradePay", "ok": true, "error": null}])
    );
}
