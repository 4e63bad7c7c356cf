//! The bundle commands end to end, as a developer and a wallet team run them.

use mpkit_testkit::{mpkit, snapshot};
use std::path::{Path, PathBuf};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }
    fn p(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn s(&self, name: &str) -> String {
        self.p(name).to_string_lossy().into_owned()
    }
    /// A developer key and a packed Coffee Club.
    fn packed(&self) -> (String, String) {
        let key = self.s("dev.key");
        assert_eq!(mpkit(["keygen", "--out", &key]).code, 0);
        let out = self.s("coffee.mpk");
        let src = mpkit_sample_app::miniprogram_dir();
        let r = mpkit([
            "pack",
            src.to_str().expect("utf8"),
            "--key",
            &key,
            "--out",
            &out,
            "--json",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.json()["appId"], "2021000000000001");
        (format!("{key}.pub"), out)
    }
}

#[test]
fn keygen_pack_verify_inspect_install() {
    let env = Env::new();
    let (pubkey, bundle) = env.packed();
    let r = mpkit([
        "verify",
        &bundle,
        "--trust",
        &pubkey,
        "--app-id",
        "2021000000000001",
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["ok"], true);
    assert_eq!(v["version"], "1.0.0");

    let r = mpkit(["inspect", &bundle, "--json"]);
    assert_eq!(r.code, 0);
    let v = r.json();
    assert_eq!(v["verified"], false);
    assert_eq!(v["manifest"]["name"], "Coffee Club");
    assert!(v["manifest"]["files"].as_array().expect("files").len() > 10);

    let store = env.s("store");
    let r = mpkit([
        "install", &bundle, "--store", &store, "--trust", &pubkey, "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let installed = PathBuf::from(r.json()["path"].as_str().expect("path"));
    assert!(installed.join("pages/index/index.axml").is_file());
    let r = mpkit([
        "install", &bundle, "--store", &store, "--trust", &pubkey, "--json",
    ]);
    assert_eq!(r.json()["alreadyPresent"], true);
}

#[test]
fn keygen_writes_a_private_key_only_the_owner_can_read_and_never_overwrites() {
    let env = Env::new();
    let key = env.s("k.key");
    let r = mpkit(["keygen", "--out", &key, "--json"]);
    assert_eq!(r.code, 0);
    let id = r.json()["keyId"].as_str().expect("id").to_owned();
    assert_eq!(id.len(), 16);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let before = std::fs::read(&key).expect("key");
    let r = mpkit(["keygen", "--out", &key]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("create"), "{}", r.stderr);
    assert_eq!(std::fs::read(&key).expect("key"), before);
}

#[test]
fn verify_names_the_reason_and_exits_1() {
    let env = Env::new();
    let (pubkey, bundle) = env.packed();
    // Another developer's key.
    let other = env.s("other.key");
    assert_eq!(mpkit(["keygen", "--out", &other]).code, 0);
    let r = mpkit(["verify", &bundle, "--trust", &format!("{other}.pub")]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("not trusted"), "{}", r.stderr);

    // The wrong app.
    let r = mpkit([
        "verify",
        &bundle,
        "--trust",
        &pubkey,
        "--app-id",
        "2021000000000099",
        "--json",
    ]);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["error"]["code"], "app_id_mismatch");

    // One flipped byte.
    let mut bytes = std::fs::read(&bundle).expect("read");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    let bad = env.s("bad.mpk");
    std::fs::write(&bad, &bytes).expect("write");
    let r = mpkit(["verify", &bad, "--trust", &pubkey]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
}

#[test]
fn failed_install_leaves_the_store_as_it_was() {
    let env = Env::new();
    let (pubkey, bundle) = env.packed();
    let store = env.s("store");
    assert_eq!(
        mpkit(["install", &bundle, "--store", &store, "--trust", &pubkey]).code,
        0
    );
    let before = snapshot(Path::new(&store));
    let mut bytes = std::fs::read(&bundle).expect("read");
    let n = bytes.len();
    bytes[n - 40] ^= 0xff;
    let bad = env.s("bad.mpk");
    std::fs::write(&bad, &bytes).expect("write");
    let r = mpkit(["install", &bad, "--store", &store, "--trust", &pubkey]);
    assert_eq!(r.code, 1);
    assert_eq!(snapshot(Path::new(&store)), before);
}

#[test]
fn usage_errors_exit_2() {
    let r = mpkit(["verify", "x.mpk"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("--trust") || r.stderr.contains("--root"),
        "{}",
        r.stderr
    );
    assert_eq!(mpkit(["no-such-command"]).code, 2);
    assert_eq!(
        mpkit(["verify", "x.mpk", "--trust", "a.pub", "--root", "r.json"]).code,
        2
    );
    assert_eq!(mpkit(["--help"]).code, 0);
}

#[test]
fn pack_refuses_links_and_the_reserved_folder() {
    let env = Env::new();
    let key = env.s("dev.key");
    assert_eq!(mpkit(["keygen", "--out", &key]).code, 0);
    let src = env.p("app");
    std::fs::create_dir_all(src.join("pages/index")).expect("mkdir");
    std::fs::write(
        src.join("app.json"),
        r#"{"appId":"demo.app","name":"Demo","pages":["pages/index/index"]}"#,
    )
    .expect("w");
    std::fs::write(src.join("pages/index/index.axml"), "<view/>").expect("w");
    let out = env.s("demo.mpk");
    let r = mpkit([
        "pack",
        src.to_str().expect("utf8"),
        "--key",
        &key,
        "--out",
        &out,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc/passwd", src.join("passwd")).expect("symlink");
        let r = mpkit([
            "pack",
            src.to_str().expect("utf8"),
            "--key",
            &key,
            "--out",
            &env.s("x.mpk"),
        ]);
        assert_eq!(r.code, 1);
        assert!(
            r.stderr.contains("symbolic links are not packed"),
            "{}",
            r.stderr
        );
        assert!(!env.p("x.mpk").exists());
        std::fs::remove_file(src.join("passwd")).expect("rm");
    }
    std::fs::create_dir_all(src.join("mpkit")).expect("mkdir");
    let r = mpkit([
        "pack",
        src.to_str().expect("utf8"),
        "--key",
        &key,
        "--out",
        &env.s("y.mpk"),
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("reserved"), "{}", r.stderr);
}

#[test]
fn root_init_rotate_and_verify_through_the_chain() {
    let env = Env::new();
    let dir = env.s("trust");
    let r = mpkit(["root", "init", "--out-dir", &dir, "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let keys = env.p("trust/keys");
    let k = |n: &str| keys.join(n).to_string_lossy().into_owned();

    // A release package signed by the publisher verifies against the root.
    let src = mpkit_sample_app::miniprogram_dir();
    let bundle = env.s("release.mpk");
    let r = mpkit([
        "pack",
        src.to_str().expect("utf8"),
        "--key",
        &k("publisher-1.key"),
        "--role",
        "publisher",
        "--out",
        &bundle,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let root1 = env.s("trust/root.json");
    assert_eq!(mpkit(["verify", &bundle, "--root", &root1]).code, 0);

    // Rotate to a new root key and a new publisher key.
    let new_root = env.s("new-root.key");
    let new_pub = env.s("new-pub.key");
    assert_eq!(mpkit(["keygen", "--out", &new_root]).code, 0);
    assert_eq!(mpkit(["keygen", "--out", &new_pub]).code, 0);
    let root2 = env.s("root.2.json");
    let r = mpkit([
        "root",
        "rotate",
        "--root",
        &root1,
        "--sign-key",
        &k("root-1.key"),
        "--new-root-key",
        &new_root,
        "--publisher-key",
        &format!("{new_pub}.pub"),
        "--out",
        &root2,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The old publisher is no longer trusted through the chain; the new one is.
    let r = mpkit(["verify", &bundle, "--root", &root1, &root2]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("not trusted for role publisher"),
        "{}",
        r.stderr
    );
    let bundle2 = env.s("release2.mpk");
    assert_eq!(
        mpkit([
            "pack",
            src.to_str().expect("utf8"),
            "--key",
            &new_pub,
            "--role",
            "publisher",
            "--out",
            &bundle2
        ])
        .code,
        0
    );
    assert_eq!(
        mpkit(["verify", &bundle2, "--root", &root1, &root2]).code,
        0
    );
}

#[test]
fn rotation_signed_by_a_stranger_is_refused_and_not_written() {
    let env = Env::new();
    let dir = env.s("trust");
    assert_eq!(mpkit(["root", "init", "--out-dir", &dir]).code, 0);
    let stranger = env.s("stranger.key");
    assert_eq!(mpkit(["keygen", "--out", &stranger]).code, 0);
    let out = env.s("root.2.json");
    let r = mpkit([
        "root",
        "rotate",
        "--root",
        &env.s("trust/root.json"),
        "--sign-key",
        &stranger,
        "--out",
        &out,
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("would not be accepted"), "{}", r.stderr);
    assert!(!Path::new(&out).exists());
}

#[test]
fn root_init_refuses_to_overwrite_a_root() {
    let env = Env::new();
    let dir = env.s("trust");
    assert_eq!(mpkit(["root", "init", "--out-dir", &dir]).code, 0);
    let before = std::fs::read(env.p("trust/root.json")).expect("root");
    let r = mpkit(["root", "init", "--out-dir", &dir]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("already exists"));
    assert_eq!(
        std::fs::read(env.p("trust/root.json")).expect("root"),
        before
    );
}

#[test]
fn demo_runs_end_to_end() {
    // In-process, the logic layer runs on a thread (the real binary uses worker
    // processes); boa's parser needs more than the harness's 2 MiB stack in debug.
    // The result comes back over a channel rather than through `join`:
    // WebKitGTK (initialised in this process by the webview-backed parts)
    // can hang in its thread-exit hook (`WTF::RunLoop::threadWillExit`)
    // after the demo has returned, and that wait is no part of the demo.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .stack_size(64 * 1024 * 1024)
        .spawn(move || {
            let _ = tx.send(mpkit(["demo", "--json", "--isolation", "thread"]));
        })
        .expect("spawn");
    let r = rx
        .recv_timeout(std::time::Duration::from_secs(600))
        .expect("the demo finished");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["ok"], true);
    assert_eq!(v["current"], "1.0.1");
    assert_eq!(v["versions"], serde_json::json!(["1.0.0", "1.0.1"]));
    // An order through the JSAPIs, paid through the wallet, confirmed by the backend.
    assert_eq!(v["order"]["status"], "Paid");
    assert_eq!(
        v["order"]["total"], 900,
        "2 x latte at 450 cents, priced by the backend"
    );
    assert_eq!(v["walletBalance"], 5000 - 900);
    // The buyer is the tester's open id, from the platform's auth code
    // exchange: never the wallet's user id.
    let buyer = v["order"]["buyer"].as_str().expect("buyer");
    assert!(
        buyer.starts_with("oid_") && !buyer.contains("user-"),
        "{buyer}"
    );
    assert_eq!(
        (v["pilotRule"].as_str(), v["bobRule"].as_str()),
        (Some("pilot"), Some("stable"))
    );
    let calls: Vec<&str> = v["jsapiCalls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    for call in [
        "getAuthCode ok",
        "request ok",
        "tradePay ok",
        "setStorage ok",
    ] {
        assert!(calls.contains(&call), "{call}: {calls:?}");
    }
    // The cohorts of 10,000 verified resolves per step.
    let cohorts = v["cohorts"].as_array().expect("cohorts");
    let at = |step: &str| {
        cohorts
            .iter()
            .find(|c| c["step"] == step)
            .map(|c| c["versions"].clone())
            .unwrap_or_else(|| panic!("no cohort {step}"))
    };
    assert_eq!(at("before the release"), serde_json::json!({"none": 10000}));
    assert_eq!(
        at("pilot, 3 testers"),
        serde_json::json!({"1.0.0": 3, "none": 9997})
    );
    let gray = at("grayscale 20%")["1.0.0"].as_u64().expect("count");
    assert!(
        (1850..=2150).contains(&gray),
        "20% of 10,000 within 1.5 pp: {gray}"
    );
    assert_eq!(at("full release"), serde_json::json!({"1.0.0": 10000}));
    assert!(v["tamperedUpdateRefused"].as_str().expect("reason").len() > 10);
    // The test command runs under Xvfb: the tester ordered again in a real
    // window, by clicks in the page, and the merchant backend has it paid.
    if std::env::var_os("DISPLAY").is_some() {
        let w = &v["windowOrder"];
        assert!(
            w["id"]
                .as_str()
                .is_some_and(|id| !id.is_empty() && id != v["order"]["id"]),
            "{w}"
        );
        assert!(w["firstPaintMs"].as_f64().is_some_and(|ms| ms > 0.0), "{w}");
    } else {
        assert!(v["windowOrder"].is_null());
    }
}

/// A wallet's store runs the newest version it was given: an older signed
/// bundle is refused (`downgrade`), and installs only as a rollback that
/// names its version.
#[test]
fn install_refuses_an_older_version_unless_rolled_back_to() {
    let env = Env::new();
    let key = env.s("dev.key");
    assert_eq!(mpkit(["keygen", "--out", &key]).code, 0);
    let pubkey = format!("{key}.pub");
    let src = mpkit_sample_app::miniprogram_dir();
    let pack = |version: &str| {
        let out = env.s(&format!("coffee-{version}.mpk"));
        let r = mpkit([
            "pack",
            src.to_str().expect("utf8"),
            "--key",
            &key,
            "--out",
            &out,
            "--version",
            version,
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        out
    };
    let (old, new) = (pack("1.0.0"), pack("1.1.0"));
    let store = env.s("store");
    let install = |bundle: &str, extra: &[&str]| {
        let mut args = vec![
            "install", bundle, "--store", &store, "--trust", &pubkey, "--json",
        ];
        args.extend_from_slice(extra);
        mpkit(args)
    };
    assert_eq!(install(&new, &[]).code, 0);
    let r = install(&old, &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.json()["error"]["code"], "downgrade", "{}", r.stdout);
    assert!(
        !Path::new(&store).join("2021000000000001/1.0.0").exists(),
        "nothing written"
    );
    let r = install(&old, &["--version", "1.0.0"]);
    assert_eq!(
        r.json()["error"]["code"],
        "downgrade",
        "requiring a version is no rollback"
    );
    let r = install(&old, &["--rollback-to", "1.0.0"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["version"], "1.0.0");
    assert_eq!(r.json()["previous"], "1.1.0");
}

/// `mpkit pack` applies the caps `verify` and the platform's upload apply:
/// a file that compresses past 100:1 (a run of zeros, 1028:1) is refused
/// when packing, naming it, instead of making a bundle nobody accepts.
#[test]
fn pack_refuses_what_verify_would_refuse() {
    let env = Env::new();
    let key = env.s("dev.key");
    assert_eq!(mpkit(["keygen", "--out", &key]).code, 0);
    let src = env.p("app");
    std::fs::create_dir_all(src.join("pages/index")).expect("mkdir");
    std::fs::write(src.join("app.json"), r#"{"pages":["pages/index/index"]}"#).expect("w");
    std::fs::write(src.join("pages/index/index.axml"), "<view/>").expect("w");
    std::fs::write(src.join("zeros.bin"), vec![0u8; 4 << 20]).expect("w");
    let out = env.s("z.mpk");
    let r = mpkit([
        "pack",
        src.to_str().expect("utf8"),
        "--key",
        &key,
        "--out",
        &out,
        "--app-id",
        "2021000000000005",
        "--json",
    ]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.json()["error"]["code"], "ratio_too_high", "{}", r.stdout);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("zeros.bin")),
        "{}",
        r.stdout
    );
    assert!(!Path::new(&out).exists(), "nothing written");
    // Without it the same project packs, and verifies.
    std::fs::remove_file(src.join("zeros.bin")).expect("rm");
    let r = mpkit([
        "pack",
        src.to_str().expect("utf8"),
        "--key",
        &key,
        "--out",
        &out,
        "--app-id",
        "2021000000000005",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let pubkey = format!("{key}.pub");
    assert_eq!(mpkit(["verify", &out, "--trust", &pubkey]).code, 0);
}
