//! Atomic install, crash safety, the last good version, and rollback.

use super::{snapshot, store_with_v1, Fixture, APP};
use crate::install::Step;
use crate::{AppId, Caps, Error, Expected, Store};
use semver::Version;

fn app() -> AppId {
    AppId::new(APP).expect("app")
}

#[test]
fn install_writes_files_manifest_and_pointer() {
    let fx = Fixture::new();
    let (_d, store) = store_with_v1(&fx);
    let dir = store.path_of(&app(), &Version::new(1, 0, 0));
    for (p, d) in &fx.files {
        assert_eq!(&std::fs::read(dir.join(p)).expect("file"), d);
    }
    assert!(dir.join(crate::MANIFEST_PATH).is_file());
    assert!(dir.join(crate::SIGNATURES_PATH).is_file());
    assert_eq!(
        store.current(&app()).expect("current"),
        Some(Version::new(1, 0, 0))
    );
    store
        .check_installed(&app(), &Version::new(1, 0, 0), &fx.trust())
        .expect("installed tree verifies");
}

#[test]
fn crash_at_every_step_keeps_the_previous_version_runnable() {
    for step in [
        Step::Verified,
        Step::Extracting,
        Step::Staged,
        Step::Renamed,
    ] {
        let fx = Fixture::new();
        let (_d, store) = store_with_v1(&fx);
        let v2 = fx.bundle("2.0.0");
        let err = store
            .install_with(
                &v2,
                &fx.trust(),
                &Expected::any(),
                &Caps::default(),
                &mut |s| {
                    if s == step {
                        Err(Error::SimulatedCrash(s))
                    } else {
                        Ok(())
                    }
                },
            )
            .expect_err("crashed");
        assert!(matches!(err, Error::SimulatedCrash(s) if s == step));
        // What a launch would see after the crash: v1, intact.
        assert_eq!(
            store.current(&app()).expect("pointer"),
            Some(Version::new(1, 0, 0)),
            "{step:?}"
        );
        store
            .check_installed(&app(), &Version::new(1, 0, 0), &fx.trust())
            .expect("v1 intact");
        // The next install cleans up and succeeds.
        let done = store
            .install(&v2, &fx.trust(), &Expected::any(), &Caps::default())
            .expect("retry installs");
        assert_eq!(done.previous, Some(Version::new(1, 0, 0)));
        assert_eq!(
            store.current(&app()).expect("pointer"),
            Some(Version::new(2, 0, 0))
        );
        let staging: Vec<_> = std::fs::read_dir(store.root().join(".staging"))
            .expect("staging")
            .collect();
        assert!(staging.is_empty(), "{step:?}: staging left behind");
    }
}

#[test]
fn failed_extraction_removes_staging() {
    let fx = Fixture::new();
    let (_d, store) = store_with_v1(&fx);
    let mut b = fx.bundle("2.0.0");
    let cd = u32::from_le_bytes(b[b.len() - 6..b.len() - 2].try_into().expect("4")) as usize;
    b[cd - 2] ^= 0x55;
    let before = snapshot(store.root());
    store
        .install(&b, &fx.trust(), &Expected::any(), &Caps::default())
        .expect_err("damaged");
    assert_eq!(snapshot(store.root()), before);
}

#[test]
fn reinstalling_the_same_bundle_is_a_no_op() {
    let fx = Fixture::new();
    let (_d, store) = store_with_v1(&fx);
    let again = store
        .install(
            &fx.bundle("1.0.0"),
            &fx.trust(),
            &Expected::any(),
            &Caps::default(),
        )
        .expect("same bundle");
    assert!(again.already_present);
}

#[test]
fn a_damaged_copy_of_an_installed_version_is_refused() {
    let fx = Fixture::new();
    let (_d, store) = store_with_v1(&fx);
    let good = fx.bundle("1.0.0");
    // Flip one byte inside every stored entry's data in turn: the manifest is
    // the same, so only checking every file's bytes can catch it.
    let mut refused = 0;
    for at in 0..good.len() {
        let mut bad = good.clone();
        bad[at] ^= 0x01;
        match store.install(&bad, &fx.trust(), &Expected::any(), &Caps::default()) {
            Err(_) => refused += 1,
            Ok(i) => panic!(
                "byte {at}: a damaged copy was reported installed (already_present {})",
                i.already_present
            ),
        }
    }
    assert!(refused > 0);
    assert_eq!(
        store
            .current(&app())
            .expect("current")
            .map(|v| v.to_string())
            .as_deref(),
        Some("1.0.0")
    );
}

#[test]
fn same_version_with_other_content_is_refused() {
    let mut fx = Fixture::new();
    let (_d, store) = store_with_v1(&fx);
    fx.files[0].1 = b"App({});".to_vec();
    let before = snapshot(store.root());
    let err = store
        .install(
            &fx.bundle("1.0.0"),
            &fx.trust(),
            &Expected::any(),
            &Caps::default(),
        )
        .expect_err("conflict");
    assert!(matches!(err, Error::VersionConflict { ref version, .. } if version == "1.0.0"));
    assert_eq!(snapshot(store.root()), before);
}

#[test]
fn last_good_version_is_kept_and_older_ones_pruned() {
    let fx = Fixture::new();
    let (_d, store) = store_with_v1(&fx);
    for v in ["1.1.0", "1.2.0"] {
        store
            .install(
                &fx.bundle(v),
                &fx.trust(),
                &Expected::any(),
                &Caps::default(),
            )
            .expect("install");
    }
    assert_eq!(
        store.versions(&app()).expect("list"),
        vec![Version::new(1, 1, 0), Version::new(1, 2, 0)]
    );
    assert_eq!(
        store.rollback(&app()).expect("rollback"),
        Version::new(1, 1, 0)
    );
    assert_eq!(
        store.current(&app()).expect("current"),
        Some(Version::new(1, 1, 0))
    );
    store
        .check_installed(&app(), &Version::new(1, 1, 0), &fx.trust())
        .expect("rolled back tree verifies");
}

#[test]
fn tampering_after_install_is_detected() {
    let fx = Fixture::new();
    let (_d, store) = store_with_v1(&fx);
    let v1 = Version::new(1, 0, 0);
    let dir = store.path_of(&app(), &v1);
    std::fs::write(dir.join("app.js"), b"steal()").expect("tamper");
    let err = store
        .check_installed(&app(), &v1, &fx.trust())
        .expect_err("tampered");
    assert!(matches!(err, Error::HashMismatch(ref p) if p == "app.js"));
    std::fs::write(dir.join("extra.js"), b"x").expect("add");
    std::fs::remove_file(dir.join("app.js")).expect("rm");
    let err = store
        .check_installed(&app(), &v1, &fx.trust())
        .expect_err("extra");
    assert!(matches!(err, Error::UnlistedEntry(ref p) if p == "extra.js"));
}

#[test]
fn oversized_file_is_refused_before_reading() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("big.mpk");
    let f = std::fs::File::create(&path).expect("create");
    f.set_len(64 * 1024 * 1024).expect("sparse");
    let store = Store::open(dir.path().join("store")).expect("store");
    let fx = Fixture::new();
    let err = store
        .install_file(&path, &fx.trust(), &Expected::any(), &Caps::default())
        .expect_err("too big");
    assert!(matches!(err, Error::ArchiveTooLarge { size, .. } if size == 64 * 1024 * 1024));
}

#[test]
fn package_management_lists_switches_removes_and_clears() {
    let fx = Fixture::new();
    let (_d, store) = store_with_v1(&fx);
    store
        .install(
            &fx.bundle("2.0.0"),
            &fx.trust(),
            &Expected::any(),
            &Caps::default(),
        )
        .expect("v2");
    // Something that is not an app, and an app directory with nothing in it.
    std::fs::create_dir_all(store.root().join("userdata")).expect("dir");
    std::fs::create_dir_all(store.root().join("2021000000000009")).expect("dir");
    assert_eq!(store.apps().expect("apps"), vec![app()]);

    store
        .set_current(&app(), &Version::new(1, 0, 0))
        .expect("switch back");
    assert_eq!(
        store.current(&app()).expect("current"),
        Some(Version::new(1, 0, 0))
    );
    let err = store
        .set_current(&app(), &Version::new(9, 0, 0))
        .expect_err("not installed");
    assert!(matches!(err, Error::NotInstalled(_)), "{err}");
    assert_eq!(
        store.current(&app()).expect("current"),
        Some(Version::new(1, 0, 0)),
        "a refused switch changes nothing"
    );

    let other = AppId::new("2021000000000002").expect("app");
    assert!(!store.remove(&other).expect("absent"));
    assert!(store.remove(&app()).expect("removed"));
    assert!(!store.root().join(APP).exists());
    assert_eq!(store.current(&app()).expect("current"), None);
    assert!(store.root().join("userdata").is_dir(), "only apps go");

    let (_d2, store) = store_with_v1(&fx);
    assert_eq!(store.clear().expect("clear"), 1);
    assert!(store.apps().expect("apps").is_empty());
}

/// A bundle of `version` with build number `build`, signed by the publisher.
fn built(fx: &Fixture, version: &str, build: u64) -> Vec<u8> {
    let mut m = fx.manifest_for(version, &fx.files);
    m.build = build;
    crate::build_bundle(&m, &fx.files, &[(&fx.publisher, crate::Role::Publisher)]).expect("bundle")
}

fn downgrade(e: &Error, version: &str, current: &str) -> bool {
    matches!(e, Error::Downgrade { version: v, current: c, .. } if v == version && c == current)
}

#[test]
fn an_older_version_is_refused_unless_a_rollback_names_it() {
    let fx = Fixture::new();
    let (d, store) = store_with_v1(&fx);
    let install = |bytes: &[u8], expected: &Expected| {
        store.install(bytes, &fx.trust(), expected, &Caps::default())
    };
    install(&fx.bundle("1.1.0"), &Expected::any()).expect("newer installs");
    let before = snapshot(d.path());
    // 1.0.0 is still on disk, 0.9.0 never was: both are older than 1.1.0.
    for v in ["1.0.0", "0.9.0"] {
        for expected in [
            Expected::any(),
            Expected::app(app()),
            Expected::any().version(Version::parse(v).expect("v")),
        ] {
            let e = install(&fx.bundle(v), &expected).expect_err("older");
            assert!(downgrade(&e, v, "1.1.0"), "{e}");
            assert_eq!(e.code(), "downgrade");
            assert_eq!(snapshot(d.path()), before, "nothing written for {v}");
            assert_eq!(
                store.current(&app()).expect("current"),
                Some(Version::new(1, 1, 0))
            );
        }
    }
    // A rollback that names another version does not open the door either.
    let e = install(
        &fx.bundle("0.9.0"),
        &Expected::any().rollback_to(Version::new(1, 0, 0)),
    )
    .expect_err("names another version");
    assert!(matches!(e, Error::VersionMismatch { .. }), "{e}");
    // An explicit rollback naming the version installs it.
    let done = install(
        &fx.bundle("0.9.0"),
        &Expected::app(app()).rollback_to(Version::new(0, 9, 0)),
    )
    .expect("rollback");
    assert_eq!(done.previous, Some(Version::new(1, 1, 0)));
    assert_eq!(
        store.current(&app()).expect("current"),
        Some(Version::new(0, 9, 0))
    );
    store
        .check_installed(&app(), &Version::new(0, 9, 0), &fx.trust())
        .expect("rolled back tree verifies");
}

#[test]
fn a_lower_build_is_a_downgrade_even_under_a_higher_version() {
    let fx = Fixture::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("store")).expect("store");
    let install =
        |bytes: &[u8]| store.install(bytes, &fx.trust(), &Expected::any(), &Caps::default());
    install(&built(&fx, "1.1.0", 1_001_000)).expect("installs");
    let before = snapshot(dir.path());
    let e = install(&built(&fx, "1.2.0", 1_000_900)).expect_err("lower build");
    assert!(downgrade(&e, "1.2.0", "1.1.0"), "{e}");
    assert!(
        e.to_string()
            .contains("(build 1000900) is older than the installed 1.1.0 (build 1001000)"),
        "{e}"
    );
    assert_eq!(snapshot(dir.path()), before);
    install(&built(&fx, "1.2.0", 1_002_000)).expect("a higher build installs");
}
