//! Webhooks end to end: registration by a workspace's Master, signed
//! deliveries of release results to a receiver on 127.0.0.1, retries with
//! backoff, the outbox across a restart, and refusals.

mod common;

use axum::http::HeaderMap;
use common::*;
use hmac::{Hmac, Mac};
use mpkit_platform_client::wire::{
    DeliveryStatus, Webhook, WebhookCreated, WebhookDelivery, WebhookEvent, WebhookPayload,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A webhook receiver on 127.0.0.1: records every request and answers with
/// the scripted statuses, then 200.
#[derive(Clone)]
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    async fn start(script: &[u16]) -> Receiver {
        let r = Receiver {
            url: String::new(),
            got: Arc::default(),
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
        };
        let state = r.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let state = state.clone();
                async move {
                    state.got.lock().expect("lock").push((headers, body));
                    let code = state
                        .script
                        .lock()
                        .expect("lock")
                        .pop_front()
                        .unwrap_or(200);
                    StatusCode::from_u16(code).expect("status")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            url: format!("http://{addr}/hook"),
            ..r
        }
    }

    fn requests(&self) -> Vec<(HeaderMap, String)> {
        self.got.lock().expect("lock").clone()
    }

    async fn wait_for(&self, n: usize) -> Vec<(HeaderMap, String)> {
        let ok = eventually(Duration::from_secs(10), || async {
            self.got.lock().expect("lock").len() >= n
        })
        .await;
        let got = self.requests();
        assert!(ok, "{n} requests arrived (got {})", got.len());
        got
    }
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("header {name}"))
}

/// Checks `X-Mpkit-Signature` against the secret, as a receiver would.
fn check_signature(secret: &str, h: &HeaderMap, body: &str) {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body.as_bytes());
    let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(header(h, "x-mpkit-signature"), want, "the body is signed");
    // And a wrong secret would not match.
    let mut other = Hmac::<sha2::Sha256>::new_from_slice(b"whsec_wrong").expect("key");
    other.update(body.as_bytes());
    assert_ne!(
        header(h, "x-mpkit-signature"),
        format!("sha256={}", hex::encode(other.finalize().into_bytes()))
    );
}

async fn register(s: &Srv, token: &str, ws: &str, body: Value) -> (StatusCode, Value) {
    s.post(&format!("/v1/workspaces/{ws}/webhooks"), token, body)
        .await
}

async fn deliveries(s: &Srv, token: &str, hook: &str) -> Vec<WebhookDelivery> {
    answer(
        s.get(&format!("/v1/webhooks/{hook}/deliveries"), token)
            .await,
        StatusCode::OK,
    )
}

async fn review(s: &Srv, w: &World, id: &str, body: Value) {
    let (st, v) = s
        .post(&format!("/v1/releases/{id}/review"), &w.reviewer.1, body)
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

fn fast(c: &mut mpkit_platform::Config) {
    c.webhook_allow_loopback = true;
    c.webhook_backoff = Duration::from_millis(50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_receives_signed_release_results() {
    for db in Db::all() {
        let s = start_with(db, fast).await;
        let w = world(&s).await;
        let all = Receiver::start(&[]).await;
        let approvals = Receiver::start(&[]).await;
        let hook: WebhookCreated = answer(
            register(&s, &w.master.1, &w.merchant, json!({"url": all.url})).await,
            StatusCode::CREATED,
        );
        assert!(hook.secret.starts_with("whsec_") && hook.secret.len() > 60);
        assert_eq!(
            hook.events,
            WebhookEvent::ALL.to_vec(),
            "every event by default"
        );
        let only: WebhookCreated = answer(
            register(
                &s,
                &w.master.1,
                &w.merchant,
                json!({"url": approvals.url, "events": ["release.approved"]}),
            )
            .await,
            StatusCode::CREATED,
        );
        assert_ne!(only.secret, hook.secret);

        // Listed without secrets.
        let (st, list) = s
            .get(
                &format!("/v1/workspaces/{}/webhooks", w.merchant),
                &w.master.1,
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(!list.to_string().contains("whsec_"), "{list}");
        let listed: Vec<Webhook> = answer((st, list), StatusCode::OK);
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].id, hook.id);
        assert_eq!(listed[0].created_by, w.master.0);

        // A rejection.
        let id = to_review(&s, &w, "1.0.0", 1).await;
        review(
            &s,
            &w,
            &id,
            json!({"decision": "reject", "reason": "icon missing"}),
        )
        .await;
        let got = all.wait_for(1).await;
        let (h, body) = &got[0];
        check_signature(&hook.secret, h, body);
        assert_eq!(header(h, "x-mpkit-event"), "release.rejected");
        assert_eq!(header(h, "content-type"), "application/json");
        let p: WebhookPayload = wire(&serde_json::from_str(body).expect("json"));
        assert_eq!(p.event, WebhookEvent::ReleaseRejected);
        assert_eq!(p.release, id);
        assert_eq!((p.app_id.as_str(), p.target_app.as_str()), (APP, TARGET));
        assert!(p.text.contains("rejected: icon missing"), "{}", p.text);
        assert!((p.at - mpkit_platform::now()).abs() < 60);
        // The same text as the creator's inbox.
        let (_, inbox) = s.get("/v1/inbox", &w.owner.1).await;
        assert!(inbox.to_string().contains(&p.text), "{inbox}");

        // Applied again and approved: both webhooks hear of it.
        let (st, _) = s
            .post(&format!("/v1/releases/{id}/apply"), &w.owner.1, json!({}))
            .await;
        assert_eq!(st, StatusCode::OK);
        review(&s, &w, &id, json!({"decision": "approve"})).await;
        let got = all.wait_for(2).await;
        let (h, body) = &got[1];
        check_signature(&hook.secret, h, body);
        assert_eq!(header(h, "x-mpkit-event"), "release.approved");
        let approved: WebhookPayload = serde_json::from_str(body).expect("payload");
        assert_eq!(approved.event, WebhookEvent::ReleaseApproved);
        assert!(approved.text.ends_with("was approved"), "{}", approved.text);
        let got = approvals.wait_for(1).await;
        check_signature(&only.secret, &got[0].0, &got[0].1);
        let p: WebhookPayload = serde_json::from_str(&got[0].1).expect("payload");
        assert_eq!(p.id, approved.id, "one event id for every webhook");
        assert_ne!(
            header(&got[0].0, "x-mpkit-delivery"),
            header(&all.requests()[1].0, "x-mpkit-delivery"),
            "one delivery id per webhook"
        );

        // The deliveries, newest first, each with its one attempt.
        let ds = eventually(Duration::from_secs(5), || async {
            let ds = deliveries(&s, &w.master.1, &hook.id).await;
            ds.len() == 2 && ds.iter().all(|d| d.status == DeliveryStatus::Delivered)
        })
        .await;
        assert!(ds, "both deliveries are recorded as delivered");
        let ds = deliveries(&s, &w.master.1, &hook.id).await;
        assert_eq!(ds[0].event, WebhookEvent::ReleaseApproved);
        assert_eq!(ds[1].event, WebhookEvent::ReleaseRejected);
        for d in &ds {
            assert_eq!(d.attempts.len(), 1, "{d:?}");
            assert_eq!(d.attempts[0].status, Some(200));
            assert!(d.attempts[0].error.is_none());
            assert!(d.next_attempt_at_ms.is_none());
            assert_eq!(d.webhook, hook.id);
        }
        assert_eq!(
            ds[1].payload,
            serde_json::from_str::<WebhookPayload>(&all.requests()[0].1).expect("p")
        );
        assert_eq!(ds[1].id, header(&all.requests()[0].0, "x-mpkit-delivery"));
        assert_eq!(ds[1].event_id, ds[1].payload.id);
        assert_eq!(all.requests().len(), 2, "{db}: nothing else was sent");
        assert_eq!(approvals.requests().len(), 1, "{db}: only approvals");

        // The typed client reads the same.
        let client =
            mpkit_platform_client::Client::new(&s.base, Some(w.master.1.clone())).expect("client");
        assert_eq!(client.webhooks(&w.merchant).await.expect("list"), listed);
        assert_eq!(
            client
                .webhook_deliveries(&hook.id)
                .await
                .expect("deliveries"),
            ds
        );
        let err = client
            .with_token(w.owner.1.clone())
            .webhook_deliveries(&hook.id)
            .await
            .expect_err("an Owner is refused");
        assert_eq!((err.status(), err.code()), (Some(403), "forbidden"));
        let made = client
            .create_webhook(
                &w.merchant,
                &mpkit_platform_client::wire::NewWebhook {
                    url: "http://127.0.0.1:9/hook".into(),
                    events: Some(vec![WebhookEvent::ReleaseRejected]),
                },
            )
            .await
            .expect("create through the client");
        assert!(made.secret.starts_with("whsec_"), "{db}");
        let gone = client
            .delete_webhook(&made.id)
            .await
            .expect("delete through the client");
        assert_eq!(
            (gone.id.as_str(), gone.url.as_str()),
            (made.id.as_str(), made.url.as_str())
        );
        assert_eq!(client.webhooks(&w.merchant).await.expect("list"), listed);

        // Registration is audited without the secret.
        let (_, audit) = s.get("/v1/audit", &s.admin).await;
        let created: Vec<&Value> = audit
            .as_array()
            .expect("audit")
            .iter()
            .filter(|e| e["action"] == "webhook.create")
            .collect();
        assert_eq!(created.len(), 3, "two at the start, one through the client");
        assert!(!audit.to_string().contains("whsec_"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_is_retried_with_backoff() {
    for db in Db::all() {
        let s = start_with(db, |c| {
            fast(c);
            c.webhook_max_attempts = 3;
        })
        .await;
        let w = world(&s).await;
        let flaky = Receiver::start(&[500, 500]).await;
        let broken = Receiver::start(&[500; 10]).await;
        let a: WebhookCreated = answer(
            register(&s, &w.master.1, &w.merchant, json!({"url": flaky.url})).await,
            StatusCode::CREATED,
        );
        let b: WebhookCreated = answer(
            register(&s, &w.master.1, &w.merchant, json!({"url": broken.url})).await,
            StatusCode::CREATED,
        );
        let id = to_review(&s, &w, "1.0.0", 1).await;
        review(&s, &w, &id, json!({"decision": "reject", "reason": "no"})).await;

        // 500, 500, 200: exactly three attempts, then delivered.
        let got = flaky.wait_for(3).await;
        let ok = eventually(Duration::from_secs(5), || async {
            deliveries(&s, &w.master.1, &a.id).await[0].status == DeliveryStatus::Delivered
        })
        .await;
        assert!(ok, "{db}: delivered on the third attempt");
        let d = &deliveries(&s, &w.master.1, &a.id).await[0];
        let codes: Vec<Option<u16>> = d.attempts.iter().map(|x| x.status).collect();
        assert_eq!(codes, [Some(500), Some(500), Some(200)], "{db}: {d:?}");
        assert_eq!(
            d.attempts.iter().map(|x| x.n).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert!(d.attempts[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("500")));
        // The same delivery, body and signature each time.
        for (h, body) in &got {
            assert_eq!(header(h, "x-mpkit-delivery"), d.id);
            assert_eq!(body, &got[0].1);
            check_signature(&a.secret, h, body);
        }

        // Always 500: three attempts, then failed, and no fourth.
        broken.wait_for(3).await;
        let failed = eventually(Duration::from_secs(5), || async {
            deliveries(&s, &w.master.1, &b.id).await[0].status == DeliveryStatus::Failed
        })
        .await;
        assert!(failed, "{db}: marked failed after the last attempt");
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(
            broken.requests().len(),
            3,
            "{db}: no attempt after the last"
        );
        assert_eq!(flaky.requests().len(), 3, "{db}: none after success");
        let d = &deliveries(&s, &w.master.1, &b.id).await[0];
        assert_eq!(d.attempts.len(), 3);
        assert!(d.next_attempt_at_ms.is_none());
        // The attempts are recorded in order.
        assert!(d.attempts.windows(2).all(|x| x[0].at <= x[1].at));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_survive_a_restart() {
    for db in Db::all() {
        let s = start_with(db, |c| {
            c.webhook_allow_loopback = true;
            c.webhook_backoff = Duration::from_millis(1500);
        })
        .await;
        let w = world(&s).await;
        let rx = Receiver::start(&[503]).await;
        let hook: WebhookCreated = answer(
            register(&s, &w.master.1, &w.merchant, json!({"url": rx.url})).await,
            StatusCode::CREATED,
        );
        let id = to_review(&s, &w, "1.0.0", 1).await;
        review(&s, &w, &id, json!({"decision": "approve"})).await;
        rx.wait_for(1).await;
        let first = eventually(Duration::from_secs(5), || async {
            deliveries(&s, &w.master.1, &hook.id).await[0]
                .attempts
                .len()
                == 1
        })
        .await;
        assert!(first, "{db}: the first attempt is recorded");
        // The instance stops before its retry; the delivery waits in the outbox.
        s.platform.stop_tasks();
        let d = &deliveries(&s, &w.master.1, &hook.id).await[0];
        assert_eq!(d.status, DeliveryStatus::Pending);
        assert!(d.next_attempt_at_ms.is_some());

        // A new instance on the same database delivers it.
        let again = s.second(|_| {}).await;
        let got = rx.wait_for(2).await;
        assert_eq!(
            header(&got[0].0, "x-mpkit-delivery"),
            header(&got[1].0, "x-mpkit-delivery")
        );
        check_signature(&hook.secret, &got[1].0, &got[1].1);
        let ok = eventually(Duration::from_secs(5), || async {
            deliveries(&again, &w.master.1, &hook.id).await[0].status == DeliveryStatus::Delivered
        })
        .await;
        assert!(ok, "{db}: delivered after the restart");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(rx.requests().len(), 2, "{db}: sent once more, not twice");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_webhooks_are_refused_and_nothing_is_stored() {
    for db in Db::all() {
        // Loopback is not allowed here (the default).
        let s = start(db).await;
        let w = world(&s).await;
        let audit = s.audit_count().await;
        let ws = &w.merchant;
        for body in [
            json!({"url": "http://127.0.0.1:9/hook"}),
            json!({"url": "http://localhost:9/hook"}),
            json!({"url": "http://[::1]:9/hook"}),
            json!({"url": "http://10.0.0.8/hook"}),
            json!({"url": "http://192.168.1.1/hook"}),
            json!({"url": "http://169.254.169.254/latest/meta-data"}),
            json!({"url": "http://0x7f000001/hook"}),
            json!({"url": "https://user:pw@example.com/hook"}),
            json!({"url": "ftp://example.com/hook"}),
            json!({"url": "file:///etc/passwd"}),
            json!({"url": "not a url"}),
            json!({"url": ""}),
            json!({"url": "https://example.com/hook", "events": []}),
            json!({"url": "https://example.com/hook", "events": ["release.*"]}),
            json!({"url": "https://example.com/hook", "secret": "mine"}),
            json!({"url": "https://example.com/hook", "id": "x"}),
            json!({"events": ["release.approved"]}),
        ] {
            let (st, v) = register(&s, &w.master.1, ws, body.clone()).await;
            assert_eq!(st, StatusCode::BAD_REQUEST, "{db}: {body}: {v}");
            assert_eq!(v["code"], "bad_request");
        }
        let (st, list) = s
            .get(&format!("/v1/workspaces/{ws}/webhooks"), &w.master.1)
            .await;
        assert_eq!(
            (st, list),
            (StatusCode::OK, json!([])),
            "{db}: nothing stored"
        );
        assert_eq!(s.audit_count().await, audit, "{db}: nothing audited");
        // A public URL is fine.
        let (st, v) = register(
            &s,
            &w.master.1,
            ws,
            json!({"url": "https://hooks.example.com/mpkit"}),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_master_manages_webhooks() {
    for db in Db::all() {
        let s = start_with(db, fast).await;
        let w = world(&s).await;
        let ws = &w.merchant;
        let hook: WebhookCreated = answer(
            register(
                &s,
                &w.master.1,
                ws,
                json!({"url": "https://hooks.example.com/a"}),
            )
            .await,
            StatusCode::CREATED,
        );
        let audit = s.audit_count().await;
        let body = json!({"url": "https://hooks.example.com/b"});
        // Members without the Master role: 403; anyone else: 404.
        for (who, token, status) in [
            ("owner", &w.owner.1, StatusCode::FORBIDDEN),
            ("developer", &w.dev.1, StatusCode::FORBIDDEN),
            ("other merchant", &w.other.1, StatusCode::NOT_FOUND),
            ("isv master", &w.isv_master.1, StatusCode::NOT_FOUND),
            ("reviewer", &w.reviewer.1, StatusCode::NOT_FOUND),
        ] {
            let calls = [
                register(&s, token, ws, body.clone()).await,
                s.get(&format!("/v1/workspaces/{ws}/webhooks"), token).await,
                s.get(&format!("/v1/webhooks/{}/deliveries", hook.id), token)
                    .await,
                s.call(
                    Method::DELETE,
                    &format!("/v1/webhooks/{}", hook.id),
                    Some(token),
                    None,
                )
                .await,
            ];
            for (i, (st, v)) in calls.into_iter().enumerate() {
                assert_eq!(st, status, "{db}: {who}, call {i}: {v}");
                assert!(!v.to_string().contains("whsec_"));
            }
        }
        let (st, _) = s
            .call(
                Method::GET,
                &format!("/v1/workspaces/{ws}/webhooks"),
                None,
                None,
            )
            .await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
        // Nothing changed.
        let listed: Vec<Webhook> = answer(
            s.get(&format!("/v1/workspaces/{ws}/webhooks"), &w.master.1)
                .await,
            StatusCode::OK,
        );
        assert_eq!(listed.len(), 1);
        assert_eq!(s.audit_count().await, audit, "{db}");
        // Another merchant's Master manages only their own.
        let (st, _) = register(&s, &w.other.1, &w.other_merchant, body.clone()).await;
        assert_eq!(st, StatusCode::CREATED);
        let (_, theirs) = s
            .get(
                &format!("/v1/workspaces/{}/webhooks", w.other_merchant),
                &w.other.1,
            )
            .await;
        assert_eq!(theirs.as_array().map(Vec::len), Some(1));
        assert_ne!(theirs[0]["id"], json!(hook.id));

        // The Master deletes it: audited, and it is gone.
        let gone: Webhook = answer(
            s.call(
                Method::DELETE,
                &format!("/v1/webhooks/{}", hook.id),
                Some(&w.master.1),
                None,
            )
            .await,
            StatusCode::OK,
        );
        assert_eq!(gone.id, hook.id);
        let (st, _) = s
            .get(&format!("/v1/webhooks/{}/deliveries", hook.id), &w.master.1)
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (_, audit) = s
            .get(
                &format!("/v1/audit?object=workspace:{ws}/webhook:{}", hook.id),
                &s.admin,
            )
            .await;
        let actions: Vec<&str> = audit
            .as_array()
            .expect("audit")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(actions, ["webhook.create", "webhook.delete"], "{db}");
    }
}

/// A third-party mini program's results go to the developing ISV's webhooks
/// too, while the merchant authorizes the ISV to read it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorized_isv_hears_of_its_releases() {
    let s = start_with(Db::Sqlite, fast).await;
    let w = world(&s).await;
    let merchant_rx = Receiver::start(&[]).await;
    let isv_rx = Receiver::start(&[]).await;
    let (st, _) = register(
        &s,
        &w.master.1,
        &w.merchant,
        json!({"url": merchant_rx.url}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, _) = register(&s, &w.isv_master.1, &w.isv, json!({"url": isv_rx.url})).await;
    assert_eq!(st, StatusCode::CREATED);
    let release = |version: &'static str, build: u64| {
        let (s, w) = (&s, &w);
        async move {
            let (st, v) =
                upload_version(s, &w.isv_master.1, ISV_APP, version, build, &w.isv_key).await;
            assert_eq!(st, StatusCode::CREATED, "{v}");
            let (st, v) = s
                .post(
                    &format!("/v1/apps/{ISV_APP}/releases"),
                    &w.isv_master.1,
                    json!({"targetApp": TARGET, "version": version}),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{v}");
            let id = v["id"].as_str().expect("id").to_owned();
            s.post(
                &format!("/v1/releases/{id}/compat-report"),
                &w.isv_master.1,
                json!({}),
            )
            .await;
            let (st, v) = s
                .post(
                    &format!("/v1/releases/{id}/apply"),
                    &w.isv_master.1,
                    json!({}),
                )
                .await;
            assert_eq!(st, StatusCode::OK, "{v}");
            id
        }
    };
    let id = release("1.0.0", 1).await;
    review(&s, &w, &id, json!({"decision": "reject", "reason": "x"})).await;
    merchant_rx.wait_for(1).await;
    isv_rx.wait_for(1).await;
    // After the merchant revokes the authorization, the ISV hears nothing more.
    let (st, _) = s
        .call(
            Method::DELETE,
            &format!("/v1/isv-authorizations/{}", w.isv_auth),
            Some(&w.master.1),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s
        .post(&format!("/v1/releases/{id}/apply"), &w.master.1, json!({}))
        .await;
    assert_eq!(st, StatusCode::OK);
    review(&s, &w, &id, json!({"decision": "approve"})).await;
    merchant_rx.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        isv_rx.requests().len(),
        1,
        "the revoked ISV heard nothing more"
    );
}
