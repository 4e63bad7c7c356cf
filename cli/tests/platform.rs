//! `mpkit platform serve` as an operator starts it, and `mpkit rollout bucket`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn serve_prints_the_bootstrap_token_once_and_answers() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tmp");
    let token_file = dir.path().join("admin.token");
    let start = || {
        Command::new(env!("CARGO_BIN_EXE_mpkit"))
            .args(["platform", "serve", "--listen", "127.0.0.1:0", "--storage"])
            .arg(dir.path().join("data"))
            .arg("--admin-token-file")
            .arg(&token_file)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn")
    };
    let read_until_listening = |child: &mut std::process::Child| -> (Vec<String>, String) {
        let out = child.stdout.take().expect("stdout");
        let mut lines = Vec::new();
        for line in BufReader::new(out).lines() {
            let line = line.expect("line");
            let done = line.contains("listening on");
            lines.push(line);
            if done {
                break;
            }
        }
        let url = lines
            .last()
            .and_then(|l| l.split_whitespace().last())
            .expect("url")
            .to_owned();
        (lines, url)
    };
    let mut child = start();
    let (lines, url) = read_until_listening(&mut child);
    let token = std::fs::read_to_string(&token_file).expect("token file");
    // With a token file, the token goes there alone: stdout names the file.
    assert!(!lines.iter().any(|l| l.contains(&token)), "{lines:?}");
    assert!(
        lines[0].contains("token written to") && lines[0].contains("admin.token"),
        "{lines:?}"
    );
    // The storage folder is its owner's alone, and so is the database.
    for (path, want) in [
        (dir.path().join("data"), 0o700),
        (dir.path().join("data/platform.sqlite"), 0o600),
    ] {
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, want, "{}", path.display());
    }
    let mode = std::fs::metadata(&token_file)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let http = reqwest::blocking::Client::new();
    let me: serde_json::Value = serde_json::from_slice(
        &http
            .get(format!("{url}/v1/me"))
            .bearer_auth(&token)
            .send()
            .expect("me")
            .bytes()
            .expect("body"),
    )
    .expect("json");
    assert_eq!(me["admin"], true);
    let root = http
        .get(format!("{url}/v1/trust/root.json"))
        .send()
        .expect("root");
    assert!(root.status().is_success());
    child.kill().expect("kill");
    let _ = child.wait();
    // Second start: no new token, and the file is not touched.
    let mut child = start();
    let (lines, _) = read_until_listening(&mut child);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(std::fs::read_to_string(&token_file).expect("token"), token);
    child.kill().expect("kill");
    let _ = child.wait();
}

#[test]
fn rollout_bucket_matches_the_vectors() {
    let out = Command::new(env!("CARGO_BIN_EXE_mpkit"))
        .args([
            "rollout",
            "bucket",
            "--salt",
            "wallet.pay:01J9ZQ7Y3M5K",
            "--user",
            "u-1001",
            "--percent",
            "50",
            "--json",
        ])
        .output()
        .expect("run");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["bucketBp"], 1412);
    assert_eq!(v["inside"], true);
    let out = Command::new(env!("CARGO_BIN_EXE_mpkit"))
        .args([
            "rollout",
            "bucket",
            "--salt",
            "s",
            "--user",
            "u",
            "--percent",
            "0.001",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("finer than 0.01%"));
}

#[test]
fn serve_refuses_bad_tuning_before_touching_anything() {
    let d = tempfile::tempdir().expect("dir");
    let storage = d.path().join("data");
    for (flag, value, says) in [
        ("--policy-ttl-secs", "5", "at least 60"),
        ("--webhook-max-attempts", "0", "at least 1"),
        ("--webhook-backoff-ms", "0", "at least 1"),
        ("--auth-code-ttl-secs", "5", "10 to 600"),
        ("--auth-code-ttl-secs", "86400", "10 to 600"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_mpkit"))
            .args(["platform", "serve", "--listen", "127.0.0.1:0", "--storage"])
            .arg(&storage)
            .args([flag, value])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1), "{flag}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{flag}: {err}");
        assert!(!storage.exists(), "{flag}: nothing was created");
    }
}

#[test]
fn serve_with_a_bucket_needs_its_key_and_a_usable_bucket() {
    let d = tempfile::tempdir().expect("dir");
    let storage = d.path().join("data");
    let serve = |extra: &[&str], env: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mpkit"));
        c.args(["platform", "serve", "--listen", "127.0.0.1:0", "--storage"])
            .arg(&storage)
            .args(extra)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
        for (k, v) in env {
            c.env(k, v);
        }
        c
    };
    // No key in the environment: refused before anything is created.
    let out = serve(&["--s3-bucket", "b"], &[]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("AWS_ACCESS_KEY_ID"), "{err}");
    assert!(!storage.exists());
    // --s3-allow-http only with an endpoint (a usage error).
    let out = serve(&["--s3-bucket", "b", "--s3-allow-http"], &[])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));

    let Ok(ep) = std::env::var("MPKIT_TEST_S3") else {
        eprintln!("MPKIT_TEST_S3 is not set: the S3 runs are skipped (scripts/test sets it)");
        return;
    };
    let key = [
        ("AWS_ACCESS_KEY_ID", "mpkit-test"),
        ("AWS_SECRET_ACCESS_KEY", "mpkit-test-secret"),
    ];
    // A bucket that does not exist: the start fails, and creates nothing.
    let out = serve(
        &[
            "--s3-bucket",
            "mpkit-cli-missing",
            "--s3-endpoint",
            &ep,
            "--s3-allow-http",
        ],
        &key,
    )
    .output()
    .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mpkit-cli-missing is not usable"), "{err}");
    assert!(!storage.exists());
    // A bucket that exists: the platform starts and answers.
    let bucket = format!("mpkit-cli-{}", std::process::id());
    let r = reqwest::blocking::Client::new()
        .put(format!("{ep}/{bucket}"))
        .send()
        .expect("create bucket");
    assert!(r.status().is_success());
    let mut child = serve(
        &[
            "--s3-bucket",
            &bucket,
            "--s3-endpoint",
            &ep,
            "--s3-allow-http",
        ],
        &key,
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .expect("spawn");
    let out = child.stdout.take().expect("stdout");
    let listening = BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        .find(|l| l.contains("listening on"))
        .expect("it listens");
    let url = listening.split_whitespace().last().expect("url").to_owned();
    let root = reqwest::blocking::get(format!("{url}/v1/trust/root.json")).expect("root");
    assert!(root.status().is_success());
    child.kill().expect("kill");
    let _ = child.wait();
}

/// Starts `mpkit platform serve` with `args` in `dir`; its stdout lines up to
/// the one that says where it listens (or to its end), and the child.
fn serve_in(dir: &std::path::Path, args: &[&str]) -> (Vec<String>, std::process::Child) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mpkit"))
        .args(["platform", "serve"])
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let out = child.stdout.take().expect("stdout");
    let mut lines = Vec::new();
    for line in BufReader::new(out).lines() {
        let line = line.expect("line");
        let done = line.contains("listening on");
        lines.push(line);
        if done {
            break;
        }
    }
    (lines, child)
}

/// The admin token a first start printed, and the URL it listens on.
fn token_and_url(lines: &[String]) -> (String, String) {
    let token = lines
        .iter()
        .find_map(|l| l.split_once(" token: ").map(|(_, t)| t.to_owned()))
        .unwrap_or_else(|| panic!("no token in {lines:?}"));
    let url = lines
        .last()
        .and_then(|l| l.split_whitespace().last())
        .expect("url")
        .to_owned();
    (token, url)
}

fn is_admin(url: &str, token: &str) -> bool {
    let me: serde_json::Value = reqwest::blocking::Client::new()
        .get(format!("{url}/v1/me"))
        .bearer_auth(token)
        .send()
        .expect("me")
        .json()
        .expect("json");
    me["admin"] == true
}

/// Every documented form of `--db sqlite://…` creates its file when it is
/// missing: absolute and relative paths, a new directory, with and without
/// query parameters (before, only the default, which carries `?mode=rwc`,
/// did; the others failed with "unable to open database file").
#[test]
fn serve_creates_the_sqlite_file_of_every_documented_url_form() {
    let d = tempfile::tempdir().expect("dir");
    let abs = d.path().join("abs");
    std::fs::create_dir(&abs).expect("dir");
    let abs = abs.to_str().expect("utf-8");
    for (i, (url, file)) in [
        (format!("sqlite://{abs}/one.db"), format!("{abs}/one.db")),
        (
            format!("sqlite://{abs}/new-dir/two.db"),
            format!("{abs}/new-dir/two.db"),
        ),
        (
            format!("sqlite://{abs}/three.db?mode=rwc"),
            format!("{abs}/three.db"),
        ),
        (
            format!("sqlite://{abs}/four.db?cache=shared"),
            format!("{abs}/four.db"),
        ),
        ("sqlite://rel.db".to_owned(), "rel.db".to_owned()),
        (
            "sqlite://sub/rel.db?mode=rwc".to_owned(),
            "sub/rel.db".to_owned(),
        ),
        ("sqlite:bare.db".to_owned(), "bare.db".to_owned()),
    ]
    .into_iter()
    .enumerate()
    {
        let storage = format!("data-{i}");
        let (lines, mut child) = serve_in(
            d.path(),
            &[
                "--listen",
                "127.0.0.1:0",
                "--storage",
                &storage,
                "--db",
                &url,
            ],
        );
        let listening = lines.last().is_some_and(|l| l.contains("listening on"));
        let works = listening && {
            let (token, url) = token_and_url(&lines);
            is_admin(&url, &token)
        };
        let _ = child.kill();
        let out = child.wait_with_output().expect("wait");
        assert!(
            listening && works,
            "{url}: {lines:?}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let file = d.path().join(&file);
        assert!(file.is_file(), "{url}: {} was created", file.display());
    }
}

/// A start that cannot listen (the port is taken) fails before anything is
/// made: no bootstrap token is minted, printed or written, so the next start
/// on the same storage makes and shows it, and it works (before, the failed
/// start used the token up and it was never shown again).
#[test]
fn a_start_that_cannot_listen_mints_no_token() {
    let d = tempfile::tempdir().expect("dir");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let token_file = d.path().join("admin.token");
    let args = |listen: String| {
        vec![
            "--listen".to_owned(),
            listen,
            "--storage".to_owned(),
            "data".to_owned(),
            "--admin-token-file".to_owned(),
            token_file.to_str().expect("utf-8").to_owned(),
        ]
    };
    let a = args(format!("127.0.0.1:{port}"));
    let (lines, child) = serve_in(d.path(), &a.iter().map(String::as_str).collect::<Vec<_>>());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(1), "{lines:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("listening on 127.0.0.1:{port}")),
        "{err}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("token")),
        "no token is shown: {lines:?}"
    );
    assert!(!token_file.exists(), "no token is written");
    assert!(!d.path().join("data").exists(), "nothing is created");
    drop(taken);
    // The next start (on a free port) makes the token, writes it to the
    // file alone (stdout names the file), and it works.
    let a = args("127.0.0.1:0".to_owned());
    let (lines, mut child) = serve_in(d.path(), &a.iter().map(String::as_str).collect::<Vec<_>>());
    let token = std::fs::read_to_string(&token_file).expect("token file");
    assert!(!lines.iter().any(|l| l.contains(&token)), "{lines:?}");
    let url = lines
        .last()
        .and_then(|l| l.split_whitespace().last())
        .expect("url")
        .to_owned();
    assert!(is_admin(&url, &token), "the token works");
    child.kill().expect("kill");
    let _ = child.wait();
}
