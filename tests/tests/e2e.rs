//! The release flow end to end, as a merchant, an ISV, a reviewer and a
//! wallet see it: the real platform on 127.0.0.1, the typed client, and a
//! host's update manager.

mod common;

use common::*;
use mpkit_bundle::{AppId, PackOptions, SecretKey};
use mpkit_platform_client::wire::{self, Rule};
use mpkit_platform_client::Client;
use mpkit_testkit::{big_stack, copy_dir};
use mpkit_update::{verify_answer, LaunchedFrom, UpdateMode};
use std::collections::{BTreeSet, HashMap};

/// Starts a release of `version` (uploaded) and walks it to in-review.
fn applied(w: &World, by: &Client, version: &str) -> String {
    let r = w
        .block(by.start_release(
            w.app.as_str(),
            &wire::NewRelease {
                target_app: TARGET.into(),
                version: version.into(),
                basic_info: Some(serde_json::json!({"releaseNotes": format!("{version} notes")})),
            },
        ))
        .expect("start");
    let report = serde_json::json!({"suite": "mpkit", "passed": 1, "failed": 0});
    w.block(by.compat_report(&r.id, &report)).expect("report");
    w.block(by.apply(&r.id)).expect("apply");
    r.id
}

fn upload(w: &mut World, version: &str) {
    w.build += 1;
    let opts = PackOptions {
        version: Some(version.parse().expect("semver")),
        build: Some(w.build),
        ..PackOptions::default()
    };
    let (_, bytes) =
        mpkit_bundle::pack_dir(&mpkit_sample_app::miniprogram_dir(), &w.dev_key, &opts)
            .expect("pack");
    w.block(w.owner.upload_version(w.app.as_str(), bytes.into(), None))
        .expect("upload");
}

#[test]
fn a_rejected_release_is_fixed_by_editing_and_reapplying_or_with_a_new_version() {
    big_stack(|| {
        let mut w = World::new();
        let app = w.app.clone();
        let host = w.host("wallet");
        let (m, _) = w.manager(&host);

        upload(&mut w, "1.1.0");
        let id = applied(&w, &w.owner, "1.1.0");
        let r = w
            .block(
                w.reviewer
                    .reject(&id, "the checkout button is hidden on small screens"),
            )
            .expect("reject");
        assert_eq!(r.state, wire::ReleaseState::Rejected);
        let shown = w.block(w.owner.release(&id)).expect("release");
        assert_eq!(
            shown.reject_reason.as_deref(),
            Some("the checkout button is hidden on small screens")
        );
        let inbox = w.block(w.owner.inbox()).expect("inbox");
        assert!(
            inbox.iter().any(|n| n.release.as_deref() == Some(&id)),
            "{inbox:?}"
        );
        // Nobody gets a rejected version.
        assert_eq!(
            m.check(&app, "u1")
                .expect("check")
                .version
                .expect("v")
                .version,
            "1.0.0"
        );

        // Fix 1: edit the basic info and apply again; the reviewer rejects once more.
        w.block(w.owner.basic_info(
            &id,
            &serde_json::json!({"description": "explains the layout"}),
        ))
        .expect("edit");
        w.block(w.owner.apply(&id)).expect("apply again");
        w.block(w.reviewer.reject(&id, "still hidden"))
            .expect("reject");
        // Fix 2: cancel it and release a new version.
        w.block(w.owner.cancel(&id)).expect("cancel");
        upload(&mut w, "1.1.1");
        let fixed = applied(&w, &w.owner, "1.1.1");
        assert_eq!(
            w.block(w.reviewer.approve(&fixed)).expect("approve").state,
            wire::ReleaseState::Approved
        );
        w.block(w.owner.full(&fixed)).expect("full");
        let l = m
            .launch(
                &host,
                &app,
                "u1",
                Default::default(),
                UpdateMode::Sync,
                mpkit_host::HeadlessSurface::new,
            )
            .expect("launch");
        assert_eq!(l.version, v("1.1.1"));
        l.handle.close();
        // 1.1.0 was never released: it cannot be rolled back to either.
        let e = w
            .block(w.owner.rollback(app.as_str(), TARGET, "1.1.0"))
            .expect_err("never released");
        assert!(matches!(e.status(), Some(400 | 404 | 409)), "{e}");
    });
}

#[test]
fn a_rollback_brings_users_back_to_the_earlier_version() {
    big_stack(|| {
        let mut w = World::new();
        let app = w.app.clone();
        let host = w.host("wallet");
        let (m, _) = w.manager(&host);
        let launch = |user: &str| {
            let l = m
                .launch(
                    &host,
                    &app,
                    user,
                    Default::default(),
                    UpdateMode::Sync,
                    mpkit_host::HeadlessSurface::new,
                )
                .expect("launch");
            let out = (l.version.clone(), l.from.clone());
            l.handle.close();
            out
        };
        assert_eq!(launch("u1").0, v("1.0.0"));
        upload(&mut w, "1.1.0");
        let id = applied(&w, &w.owner, "1.1.0");
        w.block(w.reviewer.approve(&id)).expect("approve");
        w.block(w.owner.full(&id)).expect("full");
        let seq_before = m.check(&app, "u1").expect("check").seq;
        assert_eq!(launch("u1").0, v("1.1.0"));

        let rb = w
            .block(w.owner.rollback(app.as_str(), TARGET, "1.0.0"))
            .expect("rollback");
        assert_eq!(rb.stable.as_deref(), Some("1.0.0"));
        assert!(
            rb.seq > seq_before,
            "a rollback is a newer policy, not an older one"
        );
        let e = w
            .block(w.owner.explain(app.as_str(), TARGET, "u1"))
            .expect("explain");
        assert_eq!(
            (e.rule, e.version.map(|p| p.version)),
            (Rule::Stable, Some("1.0.0".into()))
        );
        // The host accepts the newer policy and runs the kept 1.0.0 without a download.
        assert_eq!(launch("u1"), (v("1.0.0"), LaunchedFrom::UpToDate));
        assert_eq!(
            host.store().current(&app).expect("current"),
            Some(v("1.0.0"))
        );
    });
}

#[test]
fn a_revoked_isv_can_no_longer_upload() {
    big_stack(|| {
        let w = World::new();
        // The merchant's second mini program, developed by an ISV.
        let src = tempfile::tempdir().expect("dir");
        copy_dir(&mpkit_sample_app::miniprogram_dir(), src.path()).expect("copy");
        // Its identity is in mpkit.json, as Alipay's tools keep it out of app.json.
        let settings = src.path().join("mpkit.json");
        let text = std::fs::read_to_string(&settings).expect("mpkit.json");
        std::fs::write(
            &settings,
            text.replace("2021000000000001", "2021000000000042"),
        )
        .expect("w");
        let third = AppId::new("2021000000000042").expect("app");

        let acct = w
            .block(w.admin.create_account("ISV master"))
            .expect("account");
        let isv = w.admin.with_token(acct.token);
        let iws = w
            .block(isv.create_workspace("Brew Studio", wire::WorkspaceKind::Isv))
            .expect("ws");
        let key = SecretKey::generate().expect("key");
        w.block(isv.register_key(&iws.id, &key.public().to_hex()))
            .expect("key");
        w.block(w.owner.create_app(
            &w.workspace,
            &wire::NewApp {
                app_id: Some(third.to_string()),
                name: "Coffee Club Express".into(),
                developer_workspace: Some(iws.id.clone()),
            },
        ))
        .expect("app");
        let pack = |version: &str, build: u64| {
            let opts = PackOptions {
                version: Some(version.parse().expect("semver")),
                build: Some(build),
                ..PackOptions::default()
            };
            mpkit_bundle::pack_dir(src.path(), &key, &opts)
                .expect("pack")
                .1
        };
        // Before any authorization the ISV cannot upload.
        let e = w
            .block(isv.upload_version(third.as_str(), pack("1.0.0", 1).into(), None))
            .expect_err("not yet authorized");
        assert!(matches!(e.status(), Some(403 | 404)), "{e}");

        let auth = w
            .block(w.owner.authorize_isv(
                &w.workspace,
                &wire::NewAuth {
                    isv_workspace: iws.id.clone(),
                    app_id: Some(third.to_string()),
                    actions: vec![wire::IsvAction::Read, wire::IsvAction::Upload],
                },
            ))
            .expect("authorize");
        w.block(isv.upload_version(third.as_str(), pack("1.0.0", 1).into(), None))
            .expect("authorized upload");

        w.block(w.owner.revoke_isv(&auth.id)).expect("revoke");
        let e = w
            .block(isv.upload_version(third.as_str(), pack("1.0.1", 2).into(), None))
            .expect_err("revoked");
        assert!(matches!(e.status(), Some(403 | 404)), "{e}");
        assert!(matches!(e.code(), "forbidden" | "not_found"), "{e}");
        // Nothing was stored: the merchant still sees only 1.0.0.
        let versions: Vec<String> = w
            .block(w.owner.versions(third.as_str()))
            .expect("versions")
            .into_iter()
            .map(|x| x.version)
            .collect();
        assert_eq!(versions, vec!["1.0.0"]);
    });
}

#[test]
fn grayscale_shares_hold_within_tolerance_and_nobody_leaves_as_the_percentage_rises() {
    big_stack(|| {
        let mut w = World::new();
        let app = w.app.clone();
        upload(&mut w, "1.1.0");
        let id = applied(&w, &w.owner, "1.1.0");
        w.block(w.reviewer.approve(&id)).expect("approve");
        let keys = w
            .root
            .role(mpkit_bundle::Role::Policy)
            .expect("policy role")
            .0;
        let users: Vec<String> = (0..10_000).map(|i| format!("wallet-user-{i}")).collect();
        let client = Client::new(&w.platform, None).expect("client");
        // Every user's signed answer, verified as a host would.
        let cohort = |w: &World| -> BTreeSet<String> {
            use futures_util::StreamExt as _;
            // The public answer says which version, not why: the
            // grayscale's users are those given 1.1.0 while 1.0.0 is stable.
            let answers: Vec<(String, Option<String>)> = w.block(
                futures_util::stream::iter(users.iter())
                    .map(|u| {
                        let (client, keys, app) = (&client, &keys, &app);
                        async move {
                            let s = client
                                .resolve(app.as_str(), TARGET, u)
                                .await
                                .expect("resolve");
                            let a =
                                verify_answer(keys, &s, app.as_str(), TARGET, u).expect("verified");
                            (u.clone(), a.version.map(|p| p.version))
                        }
                    })
                    .buffer_unordered(32)
                    .collect(),
            );
            answers
                .into_iter()
                .filter(|(_, v)| v.as_deref() == Some("1.1.0"))
                .map(|(u, _)| u)
                .collect()
        };
        let mut previous: BTreeSet<String> = BTreeSet::new();
        let mut shares = HashMap::new();
        // A named salt, so the cohort, and with it the share, is the same in
        // every run. The spread over minted salts is binomial (0.5 pp at 50%
        // for 10,000 users): rollout's shares_spread_over_salts_as_a_fair_coin_would.
        const SALT: &str = "e2e-cohort:000000000001";
        for percent in ["5", "20", "50"] {
            let changed = w
                .block(w.owner.grayscale_with_salt(&id, percent, Some(SALT)))
                .expect("gray");
            assert_eq!(changed.salt.as_deref(), Some(SALT));
            let inside = cohort(&w);
            // Exactly the users the recipe puts below the percentage.
            let bp = mpkit_platform_client::rollout::percent_to_bp(percent).expect("bp");
            let predicted: BTreeSet<String> = users
                .iter()
                .filter(|u| mpkit_platform_client::rollout::in_grayscale(SALT, u, bp))
                .cloned()
                .collect();
            assert_eq!(inside, predicted, "{percent}%");
            let share = inside.len() as f64 / users.len() as f64 * 100.0;
            let target: f64 = percent.parse().expect("number");
            assert!(
                (share - target).abs() <= 1.5,
                "{percent}%: {share:.2}% of 10,000 users"
            );
            let left: Vec<&String> = previous.difference(&inside).collect();
            assert!(
                left.is_empty(),
                "{} users left the cohort at {percent}%",
                left.len()
            );
            shares.insert(percent, share);
            previous = inside;
        }
        // Lowering is refused, and changes nothing.
        let e = w.block(w.owner.grayscale(&id, "30")).expect_err("lowered");
        assert_eq!(e.status(), Some(409), "{e}");
        assert_eq!(cohort(&w), previous);
        assert_eq!(shares.len(), 3);
    });
}
