//! The management commands (`mpkit login`, `workspace`, `member`, `key`, `app`,
//! `version`, `release`, `target`, `resolve`, ...) driven in-process against a
//! real platform on 127.0.0.1 with SQLite in a temp dir. Nothing leaves the
//! machine.
//!
//! The CLI reads `MPKIT_CONFIG_DIR`, `MPKIT_SERVER` and `MPKIT_TOKEN` from the
//! process environment, which every test thread shares: each test holds
//! [`ENV`] for its whole run, so they never race.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

static ENV: Mutex<()> = Mutex::new(());

/// One CLI invocation's result.
struct Run {
    code: u8,
    out: String,
    err: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.out)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.out, self.err))
    }

    /// Asserts success and returns the JSON output.
    fn ok(self) -> Value {
        assert_eq!(self.code, 0, "stdout: {}\nstderr: {}", self.out, self.err);
        self.json()
    }

    /// Asserts exit 1 with a JSON error and returns `error`.
    fn failed(self) -> Value {
        assert_eq!(self.code, 1, "stdout: {}\nstderr: {}", self.out, self.err);
        let v = self.json();
        assert_eq!(v["ok"], false, "{v}");
        assert!(!self.err.is_empty(), "stderr names the reason");
        v["error"].clone()
    }
}

fn mpkit(args: &[&str]) -> Run {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = mpkit::run(
        std::iter::once("mpkit").chain(args.iter().copied()),
        &mut out,
        &mut err,
    );
    Run {
        code,
        out: String::from_utf8_lossy(&out).into_owned(),
        err: String::from_utf8_lossy(&err).into_owned(),
    }
}

/// Runs as the holder of `token` (the `MPKIT_TOKEN` override).
fn as_(token: &str, args: &[&str]) -> Run {
    std::env::set_var("MPKIT_TOKEN", token);
    let r = mpkit(args);
    std::env::remove_var("MPKIT_TOKEN");
    r
}

/// A platform served in this process, and the environment lock.
struct Platform {
    _env: MutexGuard<'static, ()>,
    _rt: tokio::runtime::Runtime,
    platform: Arc<mpkit_platform::Platform>,
    base: String,
    admin: String,
    dir: tempfile::TempDir,
}

impl Platform {
    fn start() -> Platform {
        let env = ENV.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().expect("tmp");
        for v in ["MPKIT_SERVER", "MPKIT_TOKEN", "XDG_CONFIG_HOME"] {
            std::env::remove_var(v);
        }
        std::env::set_var("MPKIT_CONFIG_DIR", dir.path().join("config"));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let (platform, boot) = rt
            .block_on(mpkit_platform::Platform::open(mpkit_platform::Config::new(
                dir.path().join("platform"),
            )))
            .expect("platform");
        let admin = boot.expect("a fresh platform").token;
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = platform.router();
        rt.spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Platform {
            _env: env,
            _rt: rt,
            platform,
            base: format!("http://{addr}"),
            admin,
            dir,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn credentials(&self) -> PathBuf {
        self.dir.path().join("config").join("credentials.json")
    }

    fn login_admin(&self) {
        let v = mpkit(&[
            "login",
            "--server",
            &self.base,
            "--token",
            &self.admin,
            "--json",
        ])
        .ok();
        assert_eq!(v["admin"], true, "{v}");
    }

    /// A new account: (id, token).
    fn account(&self, name: &str) -> (String, String) {
        let v = mpkit(&["account", "create", "--name", name, "--json"]).ok();
        (
            v["id"].as_str().expect("id").to_owned(),
            v["token"].as_str().expect("token").to_owned(),
        )
    }
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

const TARGET: &str = "demo.wallet";

/// A merchant with a registered key, Coffee Club created and 1.0.0 uploaded,
/// and a target app with a reviewer.
struct World {
    p: Platform,
    owner: String,
    reviewer: String,
    ws: String,
    app: String,
    key: PathBuf,
    report: PathBuf,
}

impl World {
    fn new() -> World {
        let p = Platform::start();
        p.login_admin();
        let (_, owner) = p.account("owner");
        let (reviewer_id, reviewer) = p.account("reviewer");

        // The merchant, its key, its mini program.
        let ws = s(&as_(
            &owner,
            &[
                "workspace",
                "create",
                "--name",
                "Coffee Co",
                "--kind",
                "merchant",
                "--json",
            ],
        )
        .ok()["id"]);
        let key = p.path("dev.key");
        mpkit(&["keygen", "--out", key.to_str().expect("utf-8")]).ok_plain();
        let pub_key = p.path("dev.key.pub");
        let v = as_(
            &owner,
            &[
                "key",
                "register",
                "--workspace",
                &ws,
                "--key",
                pub_key.to_str().expect("utf-8"),
                "--json",
            ],
        )
        .ok();
        assert_eq!(v["workspace"], ws.as_str());
        let bundle = pack(&p, &key, "1.0.0");
        let app = s(&bundle.1["appId"]);
        as_(
            &owner,
            &[
                "app",
                "create",
                "--workspace",
                &ws,
                "--app-id",
                &app,
                "--name",
                "Coffee Club",
                "--json",
            ],
        )
        .ok();
        let v = as_(
            &owner,
            &[
                "version",
                "upload",
                bundle.0.to_str().expect("utf-8"),
                "--json",
            ],
        )
        .ok();
        assert_eq!(
            (s(&v["appId"]), s(&v["version"])),
            (app.clone(), "1.0.0".into())
        );

        // The target app and its reviewer (admin, from the stored login).
        let v = mpkit(&[
            "target",
            "create",
            "--id",
            TARGET,
            "--name",
            "Demo Wallet",
            "--allow",
            "request,tradePay",
            "--json",
        ])
        .ok();
        assert_eq!(
            v["allowedPermissions"],
            serde_json::json!(["request", "tradePay"])
        );
        mpkit(&[
            "target",
            "reviewer",
            "add",
            "--target",
            TARGET,
            "--account",
            &reviewer_id,
            "--json",
        ])
        .ok();

        let report = p.path("report.json");
        std::fs::write(&report, r#"{"suite": "mpkit", "passed": 12, "failed": 0}"#)
            .expect("report");
        World {
            p,
            owner,
            reviewer,
            ws,
            app,
            key,
            report,
        }
    }

    fn owner(&self, args: &[&str]) -> Run {
        as_(&self.owner, args)
    }

    fn reviewer(&self, args: &[&str]) -> Run {
        as_(&self.reviewer, args)
    }

    /// `release <args> --app APP --target T --json` as the owner.
    fn rel(&self, args: &[&str]) -> Run {
        let mut a = vec!["release"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["--app", &self.app, "--target", TARGET, "--json"]);
        self.owner(&a)
    }

    /// Starts a release of `version` and walks it to in review; returns its id.
    fn in_review(&self, version: &str) -> String {
        let v = self
            .owner(&[
                "release",
                "start",
                "--app",
                &self.app,
                "--target",
                TARGET,
                "--version",
                version,
                "--json",
            ])
            .ok();
        assert_eq!(v["state"], "built", "{v}");
        let id = s(&v["id"]);
        let report = self.report.to_str().expect("utf-8");
        assert_eq!(self.rel(&["compat-report", report]).ok()["state"], "tested");
        assert_eq!(self.rel(&["apply"]).ok()["state"], "in_review");
        id
    }

    /// As [`World::in_review`], then approved by the reviewer.
    fn approved(&self, version: &str) -> String {
        let id = self.in_review(version);
        // The reviewer has no relation to the mini program, so it cannot look
        // the release up by app: it names the release.
        let v = self
            .reviewer(&["release", "approve", "--release", &id, "--json"])
            .ok();
        assert_eq!(v["state"], "approved", "{v}");
        id
    }

    /// Packs and uploads another version.
    fn upload(&self, version: &str) {
        let (path, _) = pack(&self.p, &self.key, version);
        self.owner(&["version", "upload", path.to_str().expect("utf-8"), "--json"])
            .ok();
    }

    fn resolve(&self, user: &str, extra: &[&str]) -> Value {
        let mut a = vec![
            "resolve", "--app", &self.app, "--target", TARGET, "--user", user, "--json",
        ];
        a.extend_from_slice(extra);
        self.owner(&a).ok()
    }

    fn explain(&self, user: &str) -> Value {
        self.owner(&[
            "explain", "--app", &self.app, "--target", TARGET, "--user", user, "--json",
        ])
        .ok()
    }
}

impl Run {
    fn ok_plain(self) {
        assert_eq!(self.code, 0, "stdout: {}\nstderr: {}", self.out, self.err);
    }
}

/// Packs the sample mini program as `version`; returns the bundle and `mpkit pack`'s JSON.
fn pack(p: &Platform, key: &Path, version: &str) -> (PathBuf, Value) {
    let out = p.path(&format!("coffee-{version}.mpk"));
    let src = mpkit_sample_app::miniprogram_dir();
    let v = mpkit(&[
        "pack",
        src.to_str().expect("utf-8"),
        "--key",
        key.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "--version",
        version,
        "--json",
    ])
    .ok();
    (out, v)
}

#[test]
fn login_stores_a_checked_token_0600_and_refuses_a_bad_one() {
    use std::os::unix::fs::PermissionsExt;
    let p = Platform::start();

    // Nothing configured: the error says how to log in.
    let e = mpkit(&["workspace", "list", "--json"]).failed();
    assert_eq!(e["code"], "not_logged_in");
    assert!(s(&e["message"]).contains("mpkit login"), "{e}");

    // A token the server rejects is not stored.
    let e = mpkit(&[
        "login",
        "--server",
        &p.base,
        "--token",
        "not-a-token",
        "--json",
    ])
    .failed();
    assert_eq!(
        (e["code"].clone(), e["status"].clone()),
        ("unauthorized".into(), 401.into())
    );
    assert!(s(&e["message"]).contains("nothing was stored"), "{e}");
    assert!(!p.credentials().exists());
    let config = p.path("config");
    assert!(
        !config.exists() || std::fs::read_dir(&config).expect("dir").next().is_none(),
        "nothing written"
    );

    // A good one is, mode 0600, and the next commands use it.
    let v = mpkit(&["login", "--server", &p.base, "--token", &p.admin, "--json"]).ok();
    assert_eq!(v["admin"], true);
    let meta = std::fs::metadata(p.credentials()).expect("credentials");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let stored: Value =
        serde_json::from_slice(&std::fs::read(p.credentials()).expect("read")).expect("json");
    assert_eq!(
        stored,
        serde_json::json!({"server": p.base, "token": p.admin})
    );
    assert_eq!(
        mpkit(&["workspace", "list", "--json"]).ok(),
        serde_json::json!([])
    );
    let human = mpkit(&["target", "list"]);
    assert_eq!(human.code, 0, "{}", human.err);
    assert!(human.out.starts_with("TARGET"), "{}", human.out);

    // MPKIT_TOKEN overrides the stored token.
    let e = as_("bogus", &["workspace", "list", "--json"]).failed();
    assert_eq!(e["code"], "unauthorized");
    // MPKIT_SERVER overrides the server; the stored token is not sent elsewhere.
    std::env::set_var("MPKIT_SERVER", "ftp://elsewhere.invalid");
    let e = mpkit(&["workspace", "list", "--json"]).failed();
    std::env::remove_var("MPKIT_SERVER");
    assert_eq!(e["code"], "invalid_url", "{e}");

    // Logout removes it.
    assert_eq!(mpkit(&["logout", "--json"]).ok()["removed"], true);
    assert!(!p.credentials().exists());
    assert_eq!(mpkit(&["logout", "--json"]).ok()["removed"], false);
    let e = mpkit(&["inbox", "--json"]).failed();
    assert_eq!(e["code"], "not_logged_in");

    // Usage errors exit 2.
    assert_eq!(mpkit(&["login", "--server", &p.base]).code, 2);
    assert_eq!(mpkit(&["release", "apply", "--app", "x"]).code, 2);
    assert_eq!(
        mpkit(&[
            "release",
            "apply",
            "--release",
            "r",
            "--app",
            "x",
            "--target",
            "t"
        ])
        .code,
        2
    );
    assert_eq!(
        mpkit(&["release", "testers", "add", "--release", "r"]).code,
        2,
        "--user or --file is required"
    );
}

#[test]
fn the_whole_release_flow_through_the_cli() {
    let w = World::new();
    let app = w.app.clone();
    assert_eq!(
        w.owner(&["workspace", "list", "--json"]).ok(),
        serde_json::json!([{"workspace": w.ws, "role": "master"}])
    );
    let apps = w
        .owner(&["app", "list", "--workspace", &w.ws, "--json"])
        .ok();
    assert_eq!(apps[0]["appId"], app.as_str(), "{apps}");
    let targets = mpkit(&["target", "list", "--json"]).ok();
    assert_eq!(targets[0]["id"], TARGET, "{targets}");

    // start → compat-report → apply → approve → testers add (pilot).
    let id = w.approved("1.0.0");
    let v = w
        .rel(&["testers", "add", "--user", "tester-1", "--user", "tester-2"])
        .ok();
    assert_eq!(
        (s(&v["state"]), s(&v["mode"])),
        ("pilot".into(), "started_pilot".into())
    );
    assert_eq!(v["testers"], 2);

    // The trial QR code of the pilot.
    let trial = w.p.path("trial.svg");
    w.owner(&[
        "qrcode",
        "--app",
        &app,
        "--target",
        TARGET,
        "--release",
        &id,
        "--out",
        trial.to_str().expect("utf-8"),
        "--json",
    ])
    .ok();
    assert!(std::fs::read_to_string(&trial)
        .expect("svg")
        .contains("<svg"));

    // Testers see the pilot; nobody else gets anything yet.
    // The public answer says which version; `explain` says why.
    let a = w.resolve("tester-1", &[]);
    assert_eq!(
        (
            s(&w.explain("tester-1")["rule"]),
            s(&a["answer"]["version"]["version"])
        ),
        ("pilot".into(), "1.0.0".into())
    );
    assert_eq!(a["answer"]["rule"], Value::Null, "{a}");
    assert_eq!(a["verified"], false);
    assert_eq!(w.resolve("someone", &[])["answer"]["version"], Value::Null);
    assert_eq!(w.explain("someone")["rule"], "none");

    // In pilot, `testers add` replaces the list (the platform has no merge).
    let v = w.rel(&["testers", "add", "--user", "tester-3"]).ok();
    assert_eq!(
        (s(&v["mode"]), v["accepted"].clone()),
        ("replaced".into(), 1.into())
    );
    assert_eq!(w.resolve("tester-1", &[])["answer"]["version"], Value::Null);
    assert_eq!(w.explain("tester-1")["rule"], "none");
    assert_eq!(w.explain("tester-3")["rule"], "pilot");
    assert_eq!(
        w.resolve("tester-3", &[])["answer"]["version"]["version"],
        "1.0.0"
    );

    // pilot complete → gray 20 → full.
    assert_eq!(w.rel(&["pilot", "complete"]).ok()["state"], "piloted");
    let v = w.rel(&["gray", "20", "--salt", "cli-cohort:1"]).ok();
    assert_eq!(
        (s(&v["state"]), v["percentBp"].clone(), s(&v["salt"])),
        ("grayscale".into(), 2000.into(), "cli-cohort:1".into())
    );
    // The salt is fixed once the grayscale runs.
    let e = w.rel(&["gray", "30", "--salt", "other"]).failed();
    assert_eq!(e["status"], 409, "{e}");
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("the salt is fixed")),
        "{e}"
    );
    assert_eq!(w.rel(&["full"]).ok()["state"], "released");
    let st = w
        .owner(&["release", "status", "--release", &id, "--json"])
        .ok();
    assert_eq!(
        (s(&st["state"]), s(&st["version"])),
        ("released".into(), "1.0.0".into())
    );
    // With --app/--target and nothing open, status shows the latest release.
    assert_eq!(w.rel(&["status"]).ok()["id"], id.as_str());
    let human = w.owner(&["release", "status", "--release", &id]);
    assert!(human.out.contains("state:     released"), "{}", human.out);

    // Nothing is open now: --app/--target says so clearly.
    let e = w.rel(&["apply"]).failed();
    assert_eq!(e["code"], "no_open_release");
    let msg = s(&e["message"]);
    assert!(
        msg.contains(&format!("no open release of {app} in {TARGET}")),
        "{msg}"
    );
    assert!(msg.contains(&id), "lists what is there: {msg}");

    // A second version, released in full, then rolled back.
    w.upload("1.1.0");
    let id2 = w.approved("1.1.0");
    assert_eq!(
        w.owner(&["release", "full", "--release", &id2, "--json"])
            .ok()["state"],
        "released"
    );
    assert_eq!(
        w.resolve("u-42", &[])["answer"]["version"]["version"],
        "1.1.0"
    );
    let v = w
        .owner(&[
            "release", "rollback", "--app", &app, "--target", TARGET, "--to", "1.0.0", "--json",
        ])
        .ok();
    assert_eq!(v["stable"], "1.0.0");

    // resolve (verified against the platform's root) and explain agree.
    let root = w.p.path("root.json");
    std::fs::write(&root, w.p.platform.root_json()).expect("root");
    let a = w.resolve("u-42", &["--root", root.to_str().expect("utf-8")]);
    assert_eq!(a["verified"], true, "{a}");
    let x = w.explain("u-42");
    assert_eq!(
        (s(&x["rule"]), s(&a["answer"]["version"]["version"])),
        ("stable".into(), "1.0.0".into())
    );
    assert_eq!(x["version"], a["answer"]["version"]);
    assert_eq!(x["seq"], a["answer"]["seq"]);
    let human = w.owner(&[
        "resolve",
        "--app",
        &app,
        "--target",
        TARGET,
        "--user",
        "u-42",
        "--root",
        root.to_str().expect("utf-8"),
    ]);
    assert!(
        human.out.contains("verified: signed by policy key"),
        "{}",
        human.out
    );

    // Another root's policy key does not verify the answer.
    let other = w.p.path("other-root");
    mpkit(&["root", "init", "--out-dir", other.to_str().expect("utf-8")]).ok_plain();
    let e = w
        .owner(&[
            "resolve",
            "--app",
            &app,
            "--target",
            TARGET,
            "--user",
            "u-42",
            "--root",
            other.join("root.json").to_str().expect("utf-8"),
            "--json",
        ])
        .failed();
    assert_eq!(e["code"], "bad_signature", "{e}");

    // app show lists versions and releases; the launch QR code as PNG.
    let show = w.owner(&["app", "show", &app, "--json"]).ok();
    assert_eq!(show["versions"].as_array().map(Vec::len), Some(2), "{show}");
    assert_eq!(show["releases"].as_array().map(Vec::len), Some(2), "{show}");
    let human = w.owner(&["app", "show", &app]);
    assert!(
        human.out.contains("VERSION") && human.out.contains("RELEASE"),
        "{}",
        human.out
    );
    let png = w.p.path("launch.png");
    let v = w
        .owner(&[
            "qrcode",
            "--app",
            &app,
            "--target",
            TARGET,
            "--out",
            png.to_str().expect("utf-8"),
            "--json",
        ])
        .ok();
    assert_eq!(v["format"], "png");
    assert!(std::fs::read(&png).expect("png").starts_with(b"\x89PNG"));
    let versions = w.owner(&["version", "list", "--app", &app, "--json"]).ok();
    assert_eq!(versions.as_array().map(Vec::len), Some(2));

    // Takedown: nobody gets a version.
    let v = w
        .owner(&["app", "takedown", &app, "--target", TARGET, "--json"])
        .ok();
    assert_eq!(v["stable"], Value::Null);
    let a = w.resolve("u-42", &["--root", root.to_str().expect("utf-8")]);
    assert_eq!(
        (
            a["answer"]["version"].clone(),
            s(&w.explain("u-42")["rule"])
        ),
        (Value::Null, "none".into())
    );
    assert_eq!(w.explain("u-42")["rule"], "none");

    // The owner's inbox has the decisions; the admin's audit log the steps.
    let inbox = w.owner(&["inbox", "--json"]).ok();
    assert!(
        inbox
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["release"] == id.as_str())),
        "{inbox}"
    );
    let audit = mpkit(&["audit", "--object", &format!("release:{id}"), "--json"]).ok();
    let actions: Vec<String> = audit
        .as_array()
        .expect("array")
        .iter()
        .map(|e| s(&e["action"]))
        .collect();
    assert!(actions.iter().any(|a| a == "release.apply"), "{actions:?}");
    let e = w.owner(&["audit", "--json"]).failed();
    assert_eq!(
        (e["code"].clone(), e["status"].clone()),
        ("forbidden".into(), 403.into())
    );
}

#[test]
fn a_rejected_release_keeps_its_reason() {
    let w = World::new();
    let id = w.in_review("1.0.0");
    let v = w
        .reviewer(&[
            "release",
            "reject",
            "--release",
            &id,
            "--reason",
            "the menu icons are blurry",
            "--json",
        ])
        .ok();
    assert_eq!(
        (s(&v["state"]), s(&v["reason"])),
        ("rejected".into(), "the menu icons are blurry".into())
    );
    let st = w
        .owner(&["release", "status", "--release", &id, "--json"])
        .ok();
    assert_eq!(st["rejectReason"], "the menu icons are blurry");
    let human = w.owner(&["release", "status", "--release", &id]);
    assert!(
        human.out.contains("rejected:  the menu icons are blurry"),
        "{}",
        human.out
    );

    // A rejected release is not "open": --app/--target does not find it.
    let e = w.rel(&["apply"]).failed();
    assert_eq!(e["code"], "no_open_release");
    assert!(s(&e["message"]).contains("rejected"), "{e}");
    // Named, it can apply again.
    assert_eq!(
        w.owner(&["release", "apply", "--release", &id, "--json"])
            .ok()["state"],
        "in_review"
    );
    // The owner cannot review.
    let e = w
        .owner(&["release", "approve", "--release", &id, "--json"])
        .failed();
    assert_eq!(e["status"], 403, "{e}");
}

#[test]
fn a_developer_is_forbidden_with_the_servers_code() {
    let w = World::new();
    let (dev_id, dev) = w.p.account("dev");
    w.owner(&[
        "member",
        "add",
        "--workspace",
        &w.ws,
        "--account",
        &dev_id,
        "--role",
        "developer",
        "--json",
    ])
    .ok();
    let members = w
        .owner(&["member", "list", "--workspace", &w.ws, "--json"])
        .ok();
    assert!(
        members.as_array().is_some_and(|m| m
            .iter()
            .any(|m| m["accountId"] == dev_id.as_str() && m["role"] == "developer")),
        "{members}"
    );
    let human = w.owner(&["member", "list", "--workspace", &w.ws]);
    assert!(human.out.starts_with("ACCOUNT"), "{}", human.out);

    // Not assigned: the mini program's actions are forbidden.
    let start = [
        "release",
        "start",
        "--app",
        &w.app,
        "--target",
        TARGET,
        "--version",
        "1.0.0",
        "--json",
    ];
    let e = as_(&dev, &start).failed();
    assert_eq!(
        (e["code"].clone(), e["status"].clone()),
        ("forbidden".into(), 403.into())
    );
    assert!(s(&e["message"]).contains("not assigned"), "{e}");
    // Only a Master manages members.
    let e = as_(
        &dev,
        &[
            "member",
            "add",
            "--workspace",
            &w.ws,
            "--account",
            &dev_id,
            "--role",
            "master",
            "--json",
        ],
    )
    .failed();
    assert_eq!(e["code"], "forbidden");

    // Assigned, the Developer can start a release.
    w.owner(&[
        "member",
        "assign",
        "--app",
        &w.app,
        "--account",
        &dev_id,
        "--json",
    ])
    .ok();
    assert_eq!(as_(&dev, &start).ok()["state"], "built");
    // ...but not take the mini program down or register keys.
    let e = as_(
        &dev,
        &[
            "key",
            "register",
            "--workspace",
            &w.ws,
            "--key",
            w.p.path("dev.key.pub").to_str().expect("utf-8"),
            "--json",
        ],
    )
    .failed();
    assert_eq!(e["code"], "forbidden", "{e}");

    // Roles change and members go.
    let v = w
        .owner(&[
            "member",
            "role",
            "--workspace",
            &w.ws,
            "--account",
            &dev_id,
            "--role",
            "owner",
            "--json",
        ])
        .ok();
    assert_eq!(v["role"], "owner");
    let v = w
        .owner(&[
            "member",
            "remove",
            "--workspace",
            &w.ws,
            "--account",
            &dev_id,
            "--json",
        ])
        .ok();
    assert_eq!(v["accountId"], dev_id.as_str());
    let e = as_(&dev, &["version", "list", "--app", &w.app, "--json"]).failed();
    assert_eq!(e["code"], "not_found", "no relation any more: {e}");

    // A private key is never sent for registration.
    let e = w
        .owner(&[
            "key",
            "register",
            "--workspace",
            &w.ws,
            "--key",
            w.key.to_str().expect("utf-8"),
            "--json",
        ])
        .failed();
    assert_eq!(e["code"], "private_key");

    // ISV authorizations.
    let isv = s(&w
        .owner(&[
            "workspace",
            "create",
            "--name",
            "Dev Shop",
            "--kind",
            "isv",
            "--json",
        ])
        .ok()["id"]);
    let v = w
        .owner(&[
            "isv",
            "authorize",
            "--workspace",
            &w.ws,
            "--isv",
            &isv,
            "--app",
            &w.app,
            "--actions",
            "read,upload,release",
            "--json",
        ])
        .ok();
    assert_eq!(
        v["actions"],
        serde_json::json!(["read", "release", "upload"])
    );
    let auth = s(&v["id"]);
    assert_eq!(
        w.owner(&["isv", "revoke", &auth, "--json"]).ok()["revoked"],
        true
    );
}

#[test]
fn a_malformed_tester_file_reports_its_rejected_lines() {
    let w = World::new();
    let id = w.approved("1.0.0");

    // `testers add --file` on an approved release starts the pilot with the
    // valid ids and reports the lines it did not take.
    let file = w.p.path("testers.csv");
    std::fs::write(&file, "user_id\nu-1\nbad id\nu-2\nu-1\n").expect("file");
    let f = file.to_str().expect("utf-8");
    let v = w.rel(&["testers", "add", "--file", f]).ok();
    assert_eq!(
        (s(&v["state"]), v["testers"].clone()),
        ("pilot".into(), 2.into())
    );
    let lines: Vec<u64> = v["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .map(|l| l["line"].as_u64().expect("line"))
        .collect();
    assert_eq!(lines, [3, 5]);

    // `testers update` replaces the list and prints the server's rejected lines.
    std::fs::write(
        &file,
        "u-7\n# a comment\nno/slash\nu-8,extra column\n\"u-9\"\n",
    )
    .expect("file");
    let v = w.rel(&["testers", "update", "--file", f]).ok();
    assert_eq!(v["accepted"], 3, "{v}");
    assert_eq!(v["rejected"][0]["line"], 3, "{v}");
    assert!(s(&v["rejected"][0]["reason"]).contains("characters"), "{v}");
    let human = w.owner(&[
        "release",
        "testers",
        "update",
        "--release",
        &id,
        "--file",
        f,
    ]);
    assert_eq!(human.code, 0, "{}", human.err);
    assert!(human.out.contains("1 lines rejected"), "{}", human.out);
    assert!(
        human.out.contains("LINE") && human.out.contains("no/slash"),
        "{}",
        human.out
    );

    // A file with no valid id at all fails with the server's code and the lines.
    std::fs::write(&file, "bad id\nalso bad!\n").expect("file");
    let e = w.rel(&["testers", "update", "--file", f]).failed();
    assert_eq!(
        (e["code"].clone(), e["status"].clone()),
        ("bad_request".into(), 400.into())
    );
    let msg = s(&e["message"]);
    assert!(
        msg.contains(r#""line":1"#) && msg.contains("also bad!"),
        "{msg}"
    );

    // Cancelling from pilot cancels the release.
    assert_eq!(w.rel(&["pilot", "cancel"]).ok()["state"], "cancelled");
    let e = w.rel(&["testers", "add", "--user", "u-1"]).failed();
    assert_eq!(e["code"], "no_open_release");
}

#[test]
fn webhooks_are_managed_by_a_master_and_bad_urls_are_refused() {
    let w = World::new();
    let list = |who: &str| as_(who, &["webhook", "list", "--workspace", &w.ws, "--json"]);
    // A loopback URL is refused by the server (SSRF), and nothing is stored.
    let e = w
        .owner(&[
            "webhook",
            "add",
            "--workspace",
            &w.ws,
            "--url",
            "http://127.0.0.1:9/hook",
            "--json",
        ])
        .failed();
    assert_eq!(
        (e["code"].clone(), e["status"].clone()),
        ("bad_request".into(), 400.into())
    );
    assert_eq!(list(&w.owner).ok(), serde_json::json!([]));

    // No release happens after this, so nothing is ever sent to the address.
    let made = w
        .owner(&[
            "webhook",
            "add",
            "--workspace",
            &w.ws,
            "--url",
            "https://hooks.coffee.example/mpkit",
            "--events",
            "release.approved,release.rejected",
            "--json",
        ])
        .ok();
    let id = s(&made["id"]);
    assert!(s(&made["secret"]).starts_with("whsec_"), "{made}");
    assert_eq!(
        made["events"],
        serde_json::json!(["release.approved", "release.rejected"])
    );
    let listed = list(&w.owner).ok();
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert!(
        !listed.to_string().contains("whsec_"),
        "secrets are never listed"
    );
    let human = w.owner(&["webhook", "list", "--workspace", &w.ws]);
    assert!(
        human.out.contains("https://hooks.coffee.example/mpkit"),
        "{}",
        human.out
    );
    assert_eq!(
        w.owner(&["webhook", "deliveries", &id, "--json"]).ok(),
        serde_json::json!([])
    );
    // The reviewer is no member of the workspace: not found, like its neighbours.
    let e = as_(&w.reviewer, &["webhook", "remove", &id, "--json"]).failed();
    assert_eq!(e["status"], 404, "{e}");
    assert_eq!(list(&w.owner).ok().as_array().map(Vec::len), Some(1));
    let gone = w.owner(&["webhook", "remove", &id, "--json"]).ok();
    assert_eq!(s(&gone["id"]), id);
    assert_eq!(list(&w.owner).ok(), serde_json::json!([]));
}

#[test]
fn operators_and_app_secrets_through_the_cli() {
    let w = World::new();
    // Operators: an admin names them; the merchant's owner cannot.
    let (op_id, _) = w.p.account("wallet server");
    let e = w
        .owner(&[
            "target",
            "operator",
            "add",
            "--target",
            TARGET,
            "--account",
            &op_id,
            "--json",
        ])
        .failed();
    assert_eq!(
        (e["code"].clone(), e["status"].clone()),
        ("forbidden".into(), 403.into())
    );
    let v = mpkit(&[
        "target",
        "operator",
        "add",
        "--target",
        TARGET,
        "--account",
        &op_id,
        "--json",
    ])
    .ok();
    assert_eq!(
        (s(&v["targetApp"]), s(&v["accountId"])),
        (TARGET.into(), op_id.clone())
    );
    let e = mpkit(&[
        "target",
        "operator",
        "add",
        "--target",
        TARGET,
        "--account",
        &op_id,
        "--json",
    ])
    .failed();
    assert_eq!(e["code"], "conflict");

    // App secrets: shown once at creation, listed without it, revoked once.
    let made = w
        .owner(&[
            "app",
            "secret",
            "create",
            &w.app,
            "--name",
            "orders backend",
            "--json",
        ])
        .ok();
    let (id, secret) = (s(&made["id"]), s(&made["secret"]));
    assert!(secret.starts_with("mpks_"), "{made}");
    let human = w.owner(&["app", "secret", "create", &w.app, "--name", "second"]);
    assert_eq!(human.code, 0, "{}", human.err);
    assert!(human.out.contains("shown this once"), "{}", human.out);
    let listed = w.owner(&["app", "secret", "list", &w.app, "--json"]).ok();
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
    assert!(
        !listed.to_string().contains("mpks_"),
        "secrets are never listed"
    );
    let table = w.owner(&["app", "secret", "list", &w.app]);
    assert!(
        table.out.contains("orders backend") && table.out.contains("REVOKED"),
        "{}",
        table.out
    );
    let v = w
        .owner(&["app", "secret", "revoke", &w.app, "--id", &id, "--json"])
        .ok();
    assert!(v["revokedAt"].is_i64(), "{v}");
    let e = w
        .owner(&["app", "secret", "revoke", &w.app, "--id", &id, "--json"])
        .failed();
    assert_eq!(
        (e["code"].clone(), e["status"].clone()),
        ("conflict".into(), 409.into())
    );
    let e = w
        .owner(&["app", "secret", "revoke", &w.app, "--id", "nope", "--json"])
        .failed();
    assert_eq!(e["code"], "not_found");
    // The reviewer has no relation to the mini program.
    let e = w
        .reviewer(&["app", "secret", "list", &w.app, "--json"])
        .failed();
    assert_eq!(e["code"], "not_found");
    // A name the server refuses: nothing is created.
    let e = w
        .owner(&["app", "secret", "create", &w.app, "--name", "", "--json"])
        .failed();
    assert_eq!(e["code"], "bad_request");
    let listed = w.owner(&["app", "secret", "list", &w.app, "--json"]).ok();
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
}

/// `release gray 20%` is 20 percent: a message names it once (`20%`, never
/// `20%%`), a refusal says in plain words what comes first, and the
/// grayscale starts at 2000 basis points once it may.
#[test]
fn gray_takes_a_percent_sign_and_says_it_once() {
    let w = World::new();
    let id = w.approved("1.0.0");
    w.rel(&["testers", "add", "--user", "tester-1"]).ok();
    // In pilot testing the grayscale waits for the pilot.
    let r = w.rel(&["gray", "20%"]);
    assert!(!r.err.contains("%%"), "{}", r.err);
    assert!(
        r.err
            .contains(&format!("setting the grayscale of release {id} to 20%: ")),
        "{}",
        r.err
    );
    assert!(
        r.err.contains(&format!(
            "release {id} is in pilot testing, so you cannot start or raise a grayscale yet"
        )) && r.err.contains("`mpkit release pilot complete`"),
        "{}",
        r.err
    );
    let e = r.failed();
    assert_eq!(
        (e["status"].clone(), s(&e["code"])),
        (409.into(), "conflict".into())
    );
    // A percentage that is none is refused before anything is sent.
    let e = w.rel(&["gray", "twenty%"]).failed();
    assert_eq!(e["code"], "bad_input", "{e}");
    w.rel(&["pilot", "complete"]).ok();
    let v = w.rel(&["gray", "20%"]).ok();
    assert_eq!(
        (s(&v["state"]), v["percentBp"].clone()),
        ("grayscale".into(), 2000.into())
    );
    // The human line says it once too.
    let human = w.owner(&["release", "gray", "25%", "--release", &id]);
    assert_eq!(human.code, 0, "{}", human.err);
    assert!(
        human.out.contains("at 25%") && !human.out.contains("%%"),
        "{}",
        human.out
    );
}

/// What other people wrote (a reviewer's reason, a tester file) reaches a
/// terminal with its control characters escaped; --json keeps it exact.
#[test]
fn text_from_other_people_is_escaped_for_people_and_exact_in_json() {
    let w = World::new();
    let id = w.in_review("1.0.0");
    let reason = "icons \u{1b}[2Jblurry";
    let human = w.reviewer(&["release", "reject", "--release", &id, "--reason", reason]);
    assert_eq!(human.code, 0, "{}", human.err);
    assert!(
        human.out.contains("(reason: icons \\u{1b}[2Jblurry)"),
        "{}",
        human.out
    );
    let status = w.owner(&["release", "status", "--release", &id]);
    assert!(
        status.out.contains("rejected:  icons \\u{1b}[2Jblurry"),
        "{}",
        status.out
    );
    let inbox = w.owner(&["inbox"]);
    assert_eq!(inbox.code, 0, "{}", inbox.err);
    for out in [&human.out, &status.out, &inbox.out] {
        assert!(!out.contains('\u{1b}'), "{out}");
    }
    let v = w
        .owner(&["release", "status", "--release", &id, "--json"])
        .ok();
    assert_eq!(v["rejectReason"], reason);

    // A tester file's rejected line, shown in the table.
    assert_eq!(
        w.owner(&["release", "apply", "--release", &id, "--json"])
            .ok()["state"],
        "in_review"
    );
    w.reviewer(&["release", "approve", "--release", &id, "--json"])
        .ok();
    let file = w.p.path("testers.txt");
    std::fs::write(&file, "u-1\nu\u{1b}[31m-2\n").expect("file");
    let f = file.to_str().expect("utf-8");
    let human = w.owner(&["release", "testers", "add", "--release", &id, "--file", f]);
    assert_eq!(human.code, 0, "{}", human.err);
    assert!(human.out.contains("u\\u{1b}[31m-2"), "{}", human.out);
    assert!(!human.out.contains('\u{1b}'), "{}", human.out);
}

#[test]
fn credentials_are_listed_and_revoked_through_the_cli() {
    let w = World::new();
    // Tokens: the owner makes a second one, revokes the first by its id,
    // and the first fails on its next call.
    let t = as_(&w.owner, &["account", "token", "create", "--json"]).ok();
    let next = s(&t["token"]);
    let list = as_(&next, &["account", "token", "list", "--json"]).ok();
    let list = list.as_array().expect("list").clone();
    assert_eq!(list.len(), 2, "{list:?}");
    let first = list
        .iter()
        .find(|t| t["current"] == false)
        .map(|t| s(&t["id"]))
        .expect("the first token");
    as_(
        &next,
        &["account", "token", "revoke", "--id", &first, "--json"],
    )
    .ok();
    let e = as_(&w.owner, &["workspace", "list", "--json"]).failed();
    assert_eq!(e["status"], 401, "{e}");
    // The people's view says the same in words.
    let r = as_(&next, &["account", "token", "list"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out.contains("this one") && r.out.contains(&first),
        "{}",
        r.out
    );

    // Keys: listed and revoked by the owner.
    let keys = as_(&next, &["key", "list", "--workspace", &w.ws, "--json"]).ok();
    let key_id = s(&keys[0]["keyId"]);
    let k = as_(
        &next,
        &[
            "key",
            "revoke",
            "--workspace",
            &w.ws,
            "--key-id",
            &key_id,
            "--json",
        ],
    )
    .ok();
    assert!(k["revokedAt"].is_i64(), "{k}");
    let e = as_(
        &next,
        &[
            "key",
            "revoke",
            "--workspace",
            &w.ws,
            "--key-id",
            &key_id,
            "--json",
        ],
    )
    .failed();
    assert_eq!(e["code"], "conflict", "{e}");

    // Reviewers: an admin lists and removes them.
    let rs = mpkit(&["target", "reviewer", "list", "--target", TARGET, "--json"]).ok();
    let reviewer = s(&rs[0]["accountId"]);
    mpkit(&[
        "target",
        "reviewer",
        "remove",
        "--target",
        TARGET,
        "--account",
        &reviewer,
        "--json",
    ])
    .ok();
    let rs = mpkit(&["target", "reviewer", "list", "--target", TARGET, "--json"]).ok();
    assert_eq!(rs, serde_json::json!([]));

    // An admin revokes every token of an account.
    let (id, token) = w.p.account("leaver");
    let v = mpkit(&["account", "revoke-tokens", "--account", &id, "--json"]).ok();
    assert_eq!(v["revoked"], 1, "{v}");
    let e = as_(&token, &["workspace", "list", "--json"]).failed();
    assert_eq!(e["status"], 401, "{e}");
}
