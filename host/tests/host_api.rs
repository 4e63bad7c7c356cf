//! The embedding API as a wallet team uses it: build a host, install, launch,
//! drive, and hear about errors through the delegate.

use mpkit_bundle::{AppId, Expected, PackOptions, Role, RootSpec, SecretKey, Trust, TrustedRoot};
use mpkit_host::HeadlessSurface;
use mpkit_host::ScriptError;
use mpkit_host::{Host, HostDelegate, HostError, LaunchSource};
use mpkit_host::{Isolation, ThreadOptIn};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

fn counter() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/counter")
}

struct Keys {
    publisher: SecretKey,
    root: TrustedRoot,
}

fn keys() -> Keys {
    let k = |n: u8| SecretKey::from_seed(&[n; 32]).expect("key");
    let (root_key, publisher, policy) = (k(1), k(2), k(3));
    let spec = RootSpec {
        version: 1,
        expires: time::OffsetDateTime::now_utc() + time::Duration::days(30),
        roles: BTreeMap::from([
            (Role::Root, (vec![root_key.public().clone()], 1)),
            (Role::Publisher, (vec![publisher.public().clone()], 1)),
            (Role::Policy, (vec![policy.public().clone()], 1)),
        ]),
    };
    let root = TrustedRoot::load(
        &spec.sign(&[&root_key]).expect("sign"),
        time::OffsetDateTime::now_utc(),
    )
    .expect("root");
    Keys { publisher, root }
}

fn release(dir: &Path, keys: &Keys, out: &Path) {
    let opts = PackOptions {
        role: Role::Publisher,
        ..PackOptions::default()
    };
    let (_, bytes) = mpkit_bundle::pack_dir(dir, &keys.publisher, &opts).expect("pack");
    std::fs::write(out, bytes).expect("write");
}

#[derive(Default)]
struct Recorder(RefCell<Vec<String>>);
impl HostDelegate for Recorder {
    fn app_error(&self, app: &AppId, error: &ScriptError) {
        self.0
            .borrow_mut()
            .push(format!("{app}: {}", error.message));
    }
}

fn host(store: &Path, keys: &Keys, delegate: Rc<dyn HostDelegate>) -> Host {
    Host::builder()
        .trust(Trust::Root(keys.root.clone()))
        .storage_dir(store)
        .delegate(delegate)
        .isolation(Isolation::Thread(ThreadOptIn::ACCEPT_UNCONTAINED))
        .build()
        .expect("host")
}

#[test]
fn builder_reports_everything_missing() {
    let err = Host::builder()
        .screen_width(-1.0)
        .build()
        .expect_err("incomplete");
    let HostError::Config(m) = err else {
        panic!("{err:?}")
    };
    assert!(
        m.contains("trust anchor is required")
            && m.contains("storage directory is required")
            && m.contains("screen width"),
        "{m}"
    );
}

#[test]
fn install_then_launch_and_drive_two_apps_at_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let keys = keys();
    let h = host(
        &dir.path().join("store"),
        &keys,
        Rc::new(Recorder::default()),
    );
    let bundle = dir.path().join("counter.mpk");
    release(&counter(), &keys, &bundle);
    h.install(&bundle, &Expected::any()).expect("install");
    let app = AppId::new("test.counter").expect("id");
    let mut a = h
        .launch(
            LaunchSource::Installed(app.clone()),
            "alice",
            Default::default(),
            HeadlessSurface::new(),
        )
        .expect("a");
    let mut b = h
        .launch(
            LaunchSource::Installed(app),
            "bob",
            Default::default(),
            HeadlessSurface::new(),
        )
        .expect("b");
    a.tap("#inc").expect("tap");
    a.tap("#inc").expect("tap");
    b.tap("#inc").expect("tap");
    assert_eq!(a.text("#count").expect("a"), "2");
    assert_eq!(b.text("#count").expect("b"), "1");
    assert_eq!((a.user(), b.user()), ("alice", "bob"));
    assert_eq!(a.current_page(), Some("pages/index/index"));
    a.close();
    b.tap("#inc").expect("b still runs");
}

#[test]
fn launching_what_is_not_installed_or_was_tampered_with_fails() {
    let dir = tempfile::tempdir().expect("tmp");
    let keys = keys();
    let h = host(
        &dir.path().join("store"),
        &keys,
        Rc::new(Recorder::default()),
    );
    let app = AppId::new("test.counter").expect("id");
    let err = h
        .launch(
            LaunchSource::Installed(app.clone()),
            "u",
            Default::default(),
            HeadlessSurface::new(),
        )
        .expect_err("missing");
    assert!(
        matches!(err, HostError::NotInstalled(ref a) if a == "test.counter"),
        "{err:?}"
    );

    let bundle = dir.path().join("counter.mpk");
    release(&counter(), &keys, &bundle);
    let installed = h.install(&bundle, &Expected::any()).expect("install");
    std::fs::write(
        installed.path.join("pages/index/index.js"),
        "Page({ onLoad() { steal(); } });",
    )
    .expect("tamper");
    let err = h
        .launch(
            LaunchSource::Installed(app),
            "u",
            Default::default(),
            HeadlessSurface::new(),
        )
        .expect_err("tampered");
    assert!(
        matches!(err, HostError::Verification(mpkit_bundle::Error::HashMismatch(ref p)) if p == "pages/index/index.js"),
        "{err:?}"
    );
}

#[test]
fn dev_directories_need_dev_mode() {
    let dir = tempfile::tempdir().expect("tmp");
    let keys = keys();
    let h = host(
        &dir.path().join("store"),
        &keys,
        Rc::new(Recorder::default()),
    );
    let err = h
        .launch(
            LaunchSource::DevDir(counter()),
            "u",
            Default::default(),
            HeadlessSurface::new(),
        )
        .expect_err("prod");
    assert!(matches!(err, HostError::DevModeOff));
    let dev = Host::builder()
        .trust(Trust::Root(keys.root.clone()))
        .storage_dir(dir.path().join("dev-store"))
        .isolation(Isolation::Thread(ThreadOptIn::ACCEPT_UNCONTAINED))
        .dev_mode(true)
        .build()
        .expect("dev host");
    let handle = dev
        .launch(
            LaunchSource::DevDir(counter()),
            "u",
            Default::default(),
            HeadlessSurface::new(),
        )
        .expect("dev launch");
    assert_eq!(handle.current_page(), Some("pages/index/index"));
}

#[test]
fn unsigned_bundles_never_launch() {
    let dir = tempfile::tempdir().expect("tmp");
    let keys = keys();
    let h = host(
        &dir.path().join("store"),
        &keys,
        Rc::new(Recorder::default()),
    );
    let dev = SecretKey::from_seed(&[9; 32]).expect("key");
    let (_, bytes) =
        mpkit_bundle::pack_dir(&counter(), &dev, &PackOptions::default()).expect("pack");
    let bundle = dir.path().join("dev.mpk");
    std::fs::write(&bundle, bytes).expect("write");
    let err = h
        .launch(
            LaunchSource::Bundle(bundle),
            "u",
            Default::default(),
            HeadlessSurface::new(),
        )
        .expect_err("untrusted");
    assert!(
        matches!(
            err,
            HostError::Verification(mpkit_bundle::Error::Signature(_))
        ),
        "{err:?}"
    );
}

#[test]
fn the_delegate_hears_about_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let keys = keys();
    let rec = Rc::new(Recorder::default());
    let h = Host::builder()
        .trust(Trust::Root(keys.root.clone()))
        .storage_dir(dir.path().join("store"))
        .delegate(rec.clone())
        .isolation(Isolation::Thread(ThreadOptIn::ACCEPT_UNCONTAINED))
        .dev_mode(true)
        .build()
        .expect("host");
    let src = dir.path().join("app");
    copy_dir(&counter(), &src);
    std::fs::write(
        src.join("pages/index/index.js"),
        "Page({ inc() { throw new Error('nope'); } });",
    )
    .expect("write");
    let mut handle = h
        .launch(
            LaunchSource::DevDir(src),
            "u",
            Default::default(),
            HeadlessSurface::new(),
        )
        .expect("launch");
    handle.tap("#inc").expect("tap");
    assert_eq!(rec.0.borrow().as_slice(), ["test.counter: Error: nope"]);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("list").flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}
