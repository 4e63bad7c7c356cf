//! The real `mpkit` binary: exit codes as a shell or CI sees them.

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
