//! The real `mpkit` binary: exit codes as a shell or CI sees them.

use std::path::Path;
use std::process::Command;

fn mpkit() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mpkit"))
}

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("k.key");
    let ok = mpkit()
        .args(["keygen", "--out"])
        .arg(&key)
        .output()
        .expect("run");
    assert_eq!(ok.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("keyId"));

    let failed = mpkit()
        .args(["keygen", "--out"])
        .arg(&key)
        .output()
        .expect("run");
    assert_eq!(failed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failed.stderr).starts_with("error: "));

    let usage = mpkit().args(["verify"]).output().expect("run");
    assert_eq!(usage.status.code(), Some(2));
}

/// `mpkit` with an environment free of colour settings.
fn plain() -> Command {
    let mut c = mpkit();
    for v in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "MPKIT_LOG"] {
        c.env_remove(v);
    }
    c
}

const ESC: char = '\u{1b}';

/// Help and usage errors written to a pipe or a file carry no escape codes;
/// CLICOLOR_FORCE asks for them, and NO_COLOR wins over it.
#[test]
fn help_and_usage_errors_are_coloured_only_when_asked_into_a_pipe() {
    let usage = plain().args(["verify"]).output().expect("run");
    assert_eq!(usage.status.code(), Some(2));
    let err = String::from_utf8_lossy(&usage.stderr);
    assert!(
        err.starts_with("error: the following required arguments"),
        "{err:?}"
    );
    assert!(!err.contains(ESC), "{err:?}");

    let help = plain().arg("--help").output().expect("run");
    assert_eq!(help.status.code(), Some(0));
    let out = String::from_utf8_lossy(&help.stdout);
    assert!(out.contains("Usage: mpkit"), "{out:?}");
    assert!(!out.contains(ESC), "{out:?}");

    let no_color = plain()
        .env("NO_COLOR", "1")
        .args(["verify"])
        .output()
        .expect("run");
    assert!(!String::from_utf8_lossy(&no_color.stderr).contains(ESC));

    let forced = plain()
        .env("CLICOLOR_FORCE", "1")
        .args(["verify"])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&forced.stderr).contains(ESC));

    let both = plain()
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .args(["verify"])
        .output()
        .expect("run");
    assert!(!String::from_utf8_lossy(&both.stderr).contains(ESC));
}

/// A file error and a bundle error each say their cause once.
#[test]
fn each_cause_is_printed_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("k.key");
    let run = |args: &[&std::ffi::OsStr]| plain().args(args).output().expect("run");
    assert_eq!(
        run(&["keygen".as_ref(), "--out".as_ref(), key.as_os_str()])
            .status
            .code(),
        Some(0)
    );
    let again = run(&["keygen".as_ref(), "--out".as_ref(), key.as_os_str()]);
    assert_eq!(again.status.code(), Some(1));
    let err = String::from_utf8_lossy(&again.stderr);
    assert_eq!(err.matches("File exists (os error 17)").count(), 1, "{err}");

    // A bundle signed by one key, verified against another.
    let other = dir.path().join("other.key");
    run(&["keygen".as_ref(), "--out".as_ref(), other.as_os_str()]);
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-app/miniprogram");
    let bundle = dir.path().join("app.mpk");
    let packed = run(&[
        "pack".as_ref(),
        app.as_os_str(),
        "--key".as_ref(),
        key.as_os_str(),
        "--out".as_ref(),
        bundle.as_os_str(),
    ]);
    assert_eq!(packed.status.code(), Some(0), "{packed:?}");
    let other_pub = dir.path().join("other.key.pub");
    let refused = run(&[
        "verify".as_ref(),
        bundle.as_os_str(),
        "--trust".as_ref(),
        other_pub.as_os_str(),
    ]);
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(
        err.matches("not trusted for role developer").count(),
        1,
        "{err}"
    );
}

/// A mini program that logs, warns and throws with terminal escapes in its text.
fn noisy_app(dir: &Path) -> std::path::PathBuf {
    let app = dir.join("noisy");
    std::fs::create_dir_all(app.join("pages/index")).expect("mkdir");
    std::fs::write(
        app.join("app.json"),
        r#"{"appId": "3000000000000031", "name": "Noisy", "version": "1.0.0", "minHostVersion": "0.1.0", "pages": ["pages/index/index"]}"#,
    )
    .expect("write");
    std::fs::write(
        app.join("app.js"),
        "App({ onLaunch() { console.log('hello from onLaunch'); console.warn('careful: \\u001b[2J'); } });",
    )
    .expect("write");
    std::fs::write(app.join("pages/index/index.axml"), "<view>hi</view>").expect("write");
    std::fs::write(
        app.join("pages/index/index.js"),
        "Page({ onLoad() { console.error('boom'); throw new Error('bad \\u001b[31mred'); } });",
    )
    .expect("write");
    app
}

/// `mpkit run` shows the mini program's console on stderr, each line tagged
/// with its level, without -v; --quiet hides it. Its text and its errors
/// reach the terminal escaped; --json keeps them exact.
#[test]
fn run_shows_the_console_and_escapes_what_the_app_wrote() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = noisy_app(dir.path());
    let o = plain()
        .args(["run", "--headless"])
        .arg(&app)
        .output()
        .expect("run");
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert_eq!(o.status.code(), Some(1), "the app threw: {out}\n{err}");
    assert!(err.contains("[info] hello from onLaunch\n"), "{err}");
    assert!(err.contains("[warn] careful: \\u{1b}[2J\n"), "{err}");
    assert!(err.contains("[error] boom\n"), "{err}");
    assert!(out.contains("bad \\u{1b}[31mred"), "{out}");
    assert!(!out.contains(ESC) && !err.contains(ESC), "{out}\n{err}");

    let quiet = plain()
        .args(["run", "--headless", "--quiet"])
        .arg(&app)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&quiet.stderr);
    assert!(
        !err.contains("[info]") && !err.contains("hello from onLaunch"),
        "{err}"
    );

    let json = plain()
        .args(["run", "--headless", "--json", "--quiet"])
        .arg(&app)
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let message = v["errors"][0]["message"].as_str().expect("message");
    assert!(message.contains("bad \u{1b}[31mred"), "{message:?}");
}

/// --json is one flag: before the command, after it, or after a subcommand.
#[test]
fn json_goes_before_or_after_the_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (i, args) in [["--json", "keygen"], ["keygen", "--json"]]
        .iter()
        .enumerate()
    {
        let key = dir.path().join(format!("k{i}.key"));
        let o = plain()
            .args(args)
            .arg("--out")
            .arg(&key)
            .output()
            .expect("run");
        assert_eq!(o.status.code(), Some(0), "{o:?}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        assert!(v["keyId"].is_string(), "{v}");
    }
}
