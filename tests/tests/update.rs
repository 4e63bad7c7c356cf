//! The host's update manager against the real platform server.
//!
//! Each test starts the platform on 127.0.0.1 (SQLite in a temporary
//! directory), walks the release flow through the typed client, and points a
//! host's update manager at a small faulty proxy in front of the platform.
//! Every fault of the update path is injected there (or, for a full disk, at
//! the store's install checkpoints) and must give its own typed error while
//! the previously installed version keeps working and nothing is left
//! half-installed.

mod common;

use common::*;
use mpkit_bundle::{SecretKey, Step};
use mpkit_host::Host;
use mpkit_platform_client::wire::{ResolveAnswer, Rule, Signed};
use mpkit_platform_client::Client;
use mpkit_testkit::{big_stack, copy_dir};
use mpkit_update::{
    LaunchedFrom, UpdateConfig, UpdateError, UpdateEvent, UpdateManager, UpdateMode,
};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// A world where `host` already runs 1.0.0 and 1.0.1 is released, so the
/// next launch must download it.
fn with_pending_update(name: &str) -> (World, Host) {
    let mut w = World::new();
    let host = w.host(name);
    let (m, _) = w.manager(&host);
    let l = launch(&m, &host, &w.app.clone(), "bob", UpdateMode::Sync).expect("first launch");
    assert_eq!(l.version, v("1.0.0"));
    l.handle.close();
    let id = w.approved("1.0.1", &mpkit_sample_app::miniprogram_dir());
    w.block(w.owner.full(&id)).expect("full");
    (w, host)
}

#[test]
fn pilot_grayscale_and_stable_users_each_get_their_version() {
    big_stack(|| {
        let mut w = World::new();
        let app = w.app.clone();
        let host = w.host("wallet");
        let (m, events) = w.manager(&host);

        let l = launch(&m, &host, &app, "alice", UpdateMode::Sync).expect("launch");
        assert_eq!(l.version, v("1.0.0"));
        assert_eq!(l.from, LaunchedFrom::Updated { previous: None });
        assert_eq!(l.handle.current_page(), Some("pages/index/index"));
        l.handle.close();
        assert!(events
            .lock()
            .expect("events")
            .contains(&UpdateEvent::MarkedGood {
                app: app.to_string(),
                version: "1.0.0".into()
            }));

        // 1.0.1 in pilot for alice only.
        let id = w.approved("1.0.1", &mpkit_sample_app::miniprogram_dir());
        w.block(w.owner.start_pilot(&id, &["alice".to_string()]))
            .expect("pilot");
        let a = m.check(&app, "alice").expect("alice");
        assert_eq!(a.version.map(|p| p.version).as_deref(), Some("1.0.1"));
        let e = w
            .block(w.owner.explain(app.as_str(), TARGET, "alice"))
            .expect("explain");
        assert_eq!(e.rule, Rule::Pilot);
        let l = launch(&m, &host, &app, "alice", UpdateMode::Sync).expect("pilot launch");
        assert_eq!(l.version, v("1.0.1"));
        assert_eq!(
            l.from,
            LaunchedFrom::Updated {
                previous: Some("1.0.0".into())
            }
        );
        l.handle.close();
        let l = launch(&m, &host, &app, "bob", UpdateMode::Sync).expect("stable launch");
        assert_eq!(
            (l.version.clone(), l.from.clone()),
            (v("1.0.0"), LaunchedFrom::UpToDate)
        );
        l.handle.close();

        // Grayscale at 50%: users in the bucket get 1.0.1, the rest 1.0.0.
        w.block(w.owner.complete_pilot(&id)).expect("complete");
        let g = w.block(w.owner.grayscale(&id, "50")).expect("gray");
        let salt = g.salt.expect("salt");
        let inside = (0..200)
            .map(|i| format!("user-{i}"))
            .find(|u| mpkit_platform_client::rollout::in_grayscale(&salt, u, 5000))
            .expect("someone inside");
        let outside = (0..200)
            .map(|i| format!("user-{i}"))
            .find(|u| !mpkit_platform_client::rollout::in_grayscale(&salt, u, 5000))
            .expect("someone outside");
        let a = m.check(&app, &inside).expect("inside");
        assert_eq!(a.version.map(|p| p.version).as_deref(), Some("1.0.1"));
        let e = w
            .block(w.owner.explain(app.as_str(), TARGET, &inside))
            .expect("explain");
        assert_eq!(e.rule, Rule::Grayscale);
        let l = launch(&m, &host, &app, &inside, UpdateMode::Sync).expect("gray launch");
        assert_eq!(l.version, v("1.0.1"));
        l.handle.close();
        let l = launch(&m, &host, &app, &outside, UpdateMode::Sync).expect("stable launch");
        assert_eq!(l.version, v("1.0.0"));
        l.handle.close();

        // Full release: everyone gets 1.0.1. The manager lists what is installed.
        w.block(w.owner.full(&id)).expect("full");
        let l = launch(&m, &host, &app, &outside, UpdateMode::Sync).expect("launch");
        assert_eq!(
            (l.version.clone(), l.from.clone()),
            (v("1.0.1"), LaunchedFrom::UpToDate)
        );
        l.handle.close();
        let listed = m.installed().expect("installed");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].current.as_deref(), Some("1.0.1"));
        assert_eq!(listed[0].versions, vec!["1.0.0", "1.0.1"]);
        assert_eq!(listed[0].good, vec!["1.0.0", "1.0.1"]);
        assert!(codes(&events).is_empty(), "{:?}", codes(&events));
    });
}

#[test]
fn async_mode_launches_the_cached_version_and_installs_the_new_one_for_next_time() {
    big_stack(|| {
        let (w, host) = with_pending_update("async");
        let app = w.app.clone();
        let (m, _) = w.manager(&host);
        let l = launch(&m, &host, &app, "bob", UpdateMode::Async).expect("launch");
        assert_eq!(l.version, v("1.0.0"));
        assert!(
            matches!(l.from, LaunchedFrom::Cached { .. }),
            "{:?}",
            l.from
        );
        let installed = l
            .update
            .expect("a background update")
            .wait()
            .expect("update");
        assert_eq!(installed, v("1.0.1"));
        l.handle.close();
        let l = launch(&m, &host, &app, "bob", UpdateMode::Async).expect("next launch");
        assert_eq!(
            (l.version.clone(), l.from.clone()),
            (v("1.0.1"), LaunchedFrom::UpToDate)
        );
        assert!(l.update.is_none());
        l.handle.close();
    });
}

#[test]
fn the_server_down_timeouts_and_5xx_keep_the_cached_version_running() {
    big_stack(|| {
        let (w, host) = with_pending_update("faults");
        let app = w.app.clone();

        // Down: nothing listens where the manager looks.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = closed.local_addr().expect("addr");
        drop(closed);
        let mut cfg = UpdateConfig::new(format!("http://{addr}"), TARGET);
        cfg.client.retries = 1;
        cfg.client.backoff = Duration::from_millis(10);
        let down = UpdateManager::new(&host, cfg).expect("manager");
        match down.check(&app, "bob") {
            Err(e @ UpdateError::Platform(_)) => assert_eq!(e.code(), "unreachable"),
            other => panic!("{other:?}"),
        }
        let l = launch(&down, &host, &app, "bob", UpdateMode::Sync).expect("cached launch");
        assert_eq!(l.version, v("1.0.0"));
        assert!(
            matches!(&l.from, LaunchedFrom::Cached { reason } if reason.contains("cannot connect"))
        );
        l.handle.close();
        drop(down);

        let (m, events) = w.manager(&host);
        // 5xx: retried (GET is idempotent), then the cached version.
        w.fault(Fault::ResolveStatus(503));
        let before = w.resolves.load(Ordering::SeqCst);
        let l = launch(&m, &host, &app, "bob", UpdateMode::Sync).expect("cached launch");
        assert_eq!(l.version, v("1.0.0"));
        l.handle.close();
        assert_eq!(
            w.resolves.load(Ordering::SeqCst) - before,
            3,
            "1 try + 2 retries"
        );
        match m.check(&app, "bob") {
            Err(UpdateError::Platform(e)) => {
                assert_eq!((e.status(), e.code()), (Some(503), "http_503"))
            }
            other => panic!("{other:?}"),
        }

        // A hanging server: the timeout, then the cached version.
        w.fault(Fault::ResolveHang);
        let mut cfg = UpdateConfig::new(&w.proxy, TARGET);
        cfg.client.timeout = Duration::from_millis(300);
        cfg.client.retries = 0;
        let slow = UpdateManager::new(&host, cfg).expect("manager");
        let t = std::time::Instant::now();
        match slow.check(&app, "bob") {
            Err(e) => assert_eq!(e.code(), "timeout", "{e}"),
            Ok(a) => panic!("{a:?}"),
        }
        assert!(t.elapsed() < Duration::from_secs(5));
        let l = launch(&slow, &host, &app, "bob", UpdateMode::Sync).expect("cached launch");
        assert_eq!(l.version, v("1.0.0"));
        l.handle.close();

        assert_eq!(codes(&events), vec!["platform_error"]);
        assert_eq!(
            host.store().current(&app).expect("current"),
            Some(v("1.0.0"))
        );
        assert_clean(&host, &app, &["1.0.0"]);
    });
}

#[test]
fn bad_downloads_are_refused_and_nothing_is_half_installed() {
    big_stack(|| {
        let (w, host) = with_pending_update("downloads");
        let app = w.app.clone();
        let mut cfg = UpdateConfig::new(&w.proxy, TARGET);
        cfg.client.retries = 0;
        cfg.min_rate = 64 * 1024;
        cfg.grace = Duration::from_millis(300);
        cfg.stall = Duration::from_secs(2);
        let m = UpdateManager::new(&host, cfg).expect("manager");
        for (fault, code) in [
            (Fault::Truncate(1000), "truncated"),
            (Fault::Endless, "too_large"),
            (Fault::Trickle, "too_slow"),
            (Fault::Flip, "hash_mismatch"),
        ] {
            w.fault(fault.clone());
            match m.update(&app, "bob") {
                Err(e) => assert_eq!(e.code(), code, "{fault:?}: {e}"),
                Ok(v) => panic!("{fault:?} installed {v}"),
            }
            let l = launch(&m, &host, &app, "bob", UpdateMode::Sync).expect("cached launch");
            assert_eq!(l.version, v("1.0.0"), "{fault:?}");
            assert!(matches!(l.from, LaunchedFrom::Cached { .. }), "{fault:?}");
            l.handle.close();
            assert_clean(&host, &app, &["1.0.0"]);
        }
        // The fault gone, the update goes through.
        w.fault(Fault::None);
        assert_eq!(m.update(&app, "bob").expect("update"), v("1.0.1"));
    });
}

#[test]
fn a_full_disk_during_install_keeps_the_last_good_version() {
    big_stack(|| {
        let (w, host) = with_pending_update("disk");
        let app = w.app.clone();
        let (m, _) = w.manager(&host);
        let m = m.install_hook(Arc::new(|step| {
            if step == Step::Extracting {
                return Err(mpkit_bundle::Error::Io {
                    op: "write",
                    path: "staging".into(),
                    source: std::io::Error::from(std::io::ErrorKind::StorageFull),
                });
            }
            Ok(())
        }));
        match m.update(&app, "bob") {
            Err(e @ UpdateError::Install { .. }) => assert_eq!(e.code(), "disk_full"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            host.store().current(&app).expect("current"),
            Some(v("1.0.0"))
        );
        assert_clean(&host, &app, &["1.0.0"]);
        let l = launch(&m, &host, &app, "bob", UpdateMode::Sync).expect("cached launch");
        assert_eq!(l.version, v("1.0.0"));
        l.handle.close();
    });
}

#[test]
fn forged_replayed_foreign_and_expired_answers_are_refused() {
    big_stack(|| {
        let mut w = World::new();
        let app = w.app.clone();
        let host = w.host("policies");
        let (m, events) = w.manager(&host);
        let l = launch(&m, &host, &app, "bob", UpdateMode::Sync).expect("launch");
        l.handle.close();
        let (old_doc, old) = w.answer("bob");
        let id = w.approved("1.0.1", &mpkit_sample_app::miniprogram_dir());
        w.block(w.owner.full(&id)).expect("full");
        let (_, fresh) = w.answer("bob");
        assert!(fresh.seq > old.seq);
        assert_eq!(m.check(&app, "bob").expect("fresh").seq, fresh.seq);
        let key = w.policy_key();

        // Signed by a key the root does not name.
        let stranger = SecretKey::generate().expect("key");
        w.fault(Fault::ResolveWith(sign(&stranger, &fresh)));
        assert_eq!(
            m.check(&app, "bob").expect_err("unknown key").code(),
            "bad_signature"
        );
        // The real policy's bytes, one changed: the signature fails.
        let mut tampered: Signed = serde_json::from_str(&sign(&key, &fresh)).expect("doc");
        tampered.payload = tampered.payload.replace("\"bob\"", "\"bib\"");
        w.fault(Fault::ResolveWith(
            serde_json::to_string(&tampered).expect("json"),
        ));
        assert_eq!(
            m.check(&app, "bob").expect_err("tampered").code(),
            "bad_signature"
        );
        // A genuine, older answer: replayed.
        w.fault(Fault::ResolveWith(
            serde_json::to_string(&old_doc).expect("json"),
        ));
        match m.check(&app, "bob") {
            Err(UpdateError::Replayed { seq, last_seen }) => {
                assert_eq!((seq, last_seen), (old.seq, fresh.seq))
            }
            other => panic!("{other:?}"),
        }
        // Genuinely signed, but for another app, another user, another target.
        for (field, edit) in [
            (
                "appId",
                &(|a: &mut ResolveAnswer| a.app_id = "2021000000000999".into())
                    as &dyn Fn(&mut ResolveAnswer),
            ),
            ("user", &|a: &mut ResolveAnswer| a.user = "mallory".into()),
            ("targetApp", &|a: &mut ResolveAnswer| {
                a.target_app = "other.wallet".into()
            }),
        ] {
            let mut a = fresh.clone();
            edit(&mut a);
            w.fault(Fault::ResolveWith(sign(&key, &a)));
            match m.check(&app, "bob") {
                Err(UpdateError::WrongSubject { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        // Genuinely signed, current, but expired: a freeze.
        let mut a = fresh.clone();
        a.expires = mpkit_platform::now() - 60;
        w.fault(Fault::ResolveWith(sign(&key, &a)));
        assert_eq!(m.check(&app, "bob").expect_err("expired").code(), "expired");

        // Through all of it, launches run the cached, last good version.
        let l = launch(&m, &host, &app, "bob", UpdateMode::Sync).expect("cached");
        assert_eq!(l.version, v("1.0.0"));
        assert!(matches!(&l.from, LaunchedFrom::Cached { reason } if reason.contains("expired")));
        l.handle.close();
        // `check` returns its errors; the launch reports its own as events.
        assert_eq!(codes(&events), vec!["expired"]);
        assert_clean(&host, &app, &["1.0.0"]);

        // The sequence seen survives a restart of the host.
        drop(m);
        let (m, _) = w.manager(&host);
        w.fault(Fault::ResolveWith(
            serde_json::to_string(&old_doc).expect("json"),
        ));
        assert_eq!(
            m.check(&app, "bob").expect_err("replayed").code(),
            "replayed"
        );
    });
}

#[test]
fn offline_runs_the_last_good_version_until_its_policy_expires() {
    big_stack(|| {
        let (w, host) = with_pending_update("offline");
        let app = w.app.clone();
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = closed.local_addr().expect("addr");
        drop(closed);
        let offline = |clock: i64| {
            let mut cfg = UpdateConfig::new(format!("http://{addr}"), TARGET);
            cfg.client.retries = 0;
            UpdateManager::new(&host, cfg)
                .expect("manager")
                .clock(Arc::new(move || mpkit_platform::now() + clock))
        };
        let l = launch(&offline(0), &host, &app, "bob", UpdateMode::Sync).expect("offline");
        assert_eq!(l.version, v("1.0.0"));
        l.handle.close();
        // Two days later the one-day policy has expired: the host refuses.
        match launch(&offline(2 * 86_400), &host, &app, "bob", UpdateMode::Sync) {
            Err(e) => assert_eq!(e.code(), "expired", "{e}"),
            Ok(l) => panic!("ran {} on an expired policy", l.version),
        }
        // A host that never reached the platform has nothing to run.
        let fresh = w.host("never-online");
        let mut cfg = UpdateConfig::new(format!("http://{addr}"), TARGET);
        cfg.client.retries = 0;
        let m = UpdateManager::new(&fresh, cfg).expect("manager");
        match launch(&m, &fresh, &app, "bob", UpdateMode::Sync) {
            Err(e) => assert_eq!(e.code(), "unreachable", "{e}"),
            Ok(l) => panic!("ran {}", l.version),
        }
        assert!(fresh.store().versions(&app).expect("versions").is_empty());
    });
}

#[test]
fn a_version_that_fails_to_start_falls_back_and_is_not_retried() {
    big_stack(|| {
        let mut w = World::new();
        let app = w.app.clone();
        let host = w.host("broken");
        let (m, events) = w.manager(&host);
        launch(&m, &host, &app, "bob", UpdateMode::Sync)
            .expect("launch")
            .handle
            .close();

        // 1.0.1's first page throws as it loads.
        let src = tempfile::tempdir().expect("dir");
        copy_dir(&mpkit_sample_app::miniprogram_dir(), src.path()).expect("copy");
        std::fs::write(
            src.path().join("pages/index/index.js"),
            "throw new Error('broken build');\n",
        )
        .expect("write");
        let id = w.approved("1.0.1", src.path());
        w.block(w.owner.full(&id)).expect("full");

        let l = launch(&m, &host, &app, "bob", UpdateMode::Sync).expect("fell back");
        assert_eq!(l.version, v("1.0.0"));
        match &l.from {
            LaunchedFrom::FellBack { failed, error } => {
                assert_eq!(failed, "1.0.1");
                assert!(error.contains("failed to start"), "{error}");
            }
            other => panic!("{other:?}"),
        }
        l.handle.close();
        assert_eq!(
            host.store().current(&app).expect("current"),
            Some(v("1.0.0"))
        );
        {
            let ev = events.lock().expect("events");
            assert!(ev.iter().any(
                |e| matches!(e, UpdateEvent::MarkedBad { version, .. } if version == "1.0.1")
            ));
            assert!(ev.iter().any(|e| matches!(e, UpdateEvent::FellBack { from, to, .. } if from == "1.0.1" && to == "1.0.0")));
        }
        // The bad package is not tried again.
        let l = launch(&m, &host, &app, "bob", UpdateMode::Sync).expect("cached");
        assert_eq!(l.version, v("1.0.0"));
        assert!(
            matches!(&l.from, LaunchedFrom::Cached { reason } if reason.contains("not tried again"))
        );
        l.handle.close();
    });
}

#[test]
fn a_takedown_refuses_to_launch_and_package_management_removes() {
    big_stack(|| {
        let w = World::new();
        let app = w.app.clone();
        let host = w.host("takedown");
        let (m, events) = w.manager(&host);
        launch(&m, &host, &app, "bob", UpdateMode::Sync)
            .expect("launch")
            .handle
            .close();
        let t = w
            .block(w.owner.takedown(app.as_str(), TARGET))
            .expect("takedown");
        assert_eq!(t.stable, None);
        match launch(&m, &host, &app, "bob", UpdateMode::Sync) {
            Err(e @ UpdateError::NotAvailable { .. }) => assert_eq!(e.code(), "not_available"),
            other => panic!("{:?}", other.map(|l| l.version)),
        }
        assert!(events
            .lock()
            .expect("events")
            .contains(&UpdateEvent::NotAvailable {
                app: app.to_string()
            }));

        assert_eq!(m.installed().expect("list").len(), 1);
        assert!(m.remove(&app).expect("remove"));
        assert!(!m.remove(&app).expect("again"));
        assert!(m.installed().expect("list").is_empty());
        assert_eq!(m.clear().expect("clear"), 0);
        assert_eq!(host.store().current(&app).expect("current"), None);
    });
}

#[test]
fn the_client_retries_only_idempotent_calls_and_keeps_the_server_code() {
    big_stack(|| {
        let w = World::new();
        let c = Client::with_config(
            &w.proxy,
            None,
            mpkit_platform_client::Config {
                retries: 3,
                backoff: Duration::from_millis(5),
                ..mpkit_platform_client::Config::default()
            },
        )
        .expect("client");

        w.fault(Fault::AllStatus(503));
        let before = w.hits.load(Ordering::SeqCst);
        let e = w.block(c.targets()).expect_err("503");
        assert_eq!((e.status(), e.code()), (Some(503), "http_503"));
        assert_eq!(
            w.hits.load(Ordering::SeqCst) - before,
            4,
            "a GET: 1 try + 3 retries"
        );
        let before = w.hits.load(Ordering::SeqCst);
        let e = w
            .block(c.create_workspace("x", mpkit_platform_client::wire::WorkspaceKind::Merchant))
            .expect_err("503");
        assert_eq!(e.status(), Some(503));
        assert_eq!(
            w.hits.load(Ordering::SeqCst) - before,
            1,
            "a POST is never retried"
        );

        // Through a healthy path, the server's own status and code arrive intact.
        w.fault(Fault::None);
        let e = w.block(c.me()).expect_err("no token");
        assert_eq!(e.status(), Some(401));
        let e = w
            .block(
                w.reviewer
                    .create_workspace("", mpkit_platform_client::wire::WorkspaceKind::Merchant),
            )
            .expect_err("bad name");
        assert_eq!((e.status(), e.code()), (Some(400), "bad_request"), "{e}");
        let e = w
            .block(w.reviewer.app(w.app.as_str()))
            .expect_err("not theirs");
        assert_eq!(e.status(), Some(404), "{e}");
    });
}
