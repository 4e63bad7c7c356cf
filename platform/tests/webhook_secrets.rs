//! Webhook signing secrets at rest: encrypted in the database (never the
//! plaintext), still signing deliveries, plaintext rows from before
//! encrypted on the next start, a changed value failing only its own
//! deliveries, and the key a private file in the keys folder.

mod common;

use axum::http::HeaderMap;
use common::*;
use hmac::{Hmac, Mac};
use mpkit_platform_client::wire::{DeliveryStatus, WebhookCreated, WebhookDelivery};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The key file, in `<storage>/keys/`.
const KEY_FILE: &str = "webhook-secrets.key";
/// What an attempt records when the secret does not decrypt.
const UNREADABLE: &str =
    "internal: the webhook's signing secret could not be decrypted; nothing was sent";

/// A webhook receiver on 127.0.0.1 that records every request and answers 200.
#[derive(Clone)]
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
}

impl Receiver {
    async fn start() -> Receiver {
        let got: Arc<Mutex<Vec<(HeaderMap, String)>>> = Arc::default();
        let state = got.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let state = state.clone();
                async move {
                    state.lock().expect("lock").push((headers, body));
                    StatusCode::OK
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
            got,
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

/// Checks `X-Mpkit-Signature` against the secret, as a receiver would.
fn check_signature(secret: &str, h: &HeaderMap, body: &str) {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body.as_bytes());
    let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let got = h
        .get("x-mpkit-signature")
        .and_then(|v| v.to_str().ok())
        .expect("a signature header");
    assert_eq!(
        got, want,
        "the body is signed with the secret shown at creation"
    );
}

fn fast(c: &mut mpkit_platform::Config) {
    c.webhook_allow_loopback = true;
    c.webhook_backoff = Duration::from_millis(50);
}

async fn register(s: &Srv, w: &World, url: &str) -> WebhookCreated {
    answer(
        s.post(
            &format!("/v1/workspaces/{}/webhooks", w.merchant),
            &w.master.1,
            json!({"url": url}),
        )
        .await,
        StatusCode::CREATED,
    )
}

async fn deliveries(s: &Srv, w: &World, hook: &str) -> Vec<WebhookDelivery> {
    answer(
        s.get(&format!("/v1/webhooks/{hook}/deliveries"), &w.master.1)
            .await,
        StatusCode::OK,
    )
}

/// A release result every webhook of the merchant hears of: `version` of
/// APP taken to review and rejected.
async fn reject(s: &Srv, w: &World, version: &str, build: u64) {
    let id = to_review(s, w, version, build).await;
    let (st, v) = s
        .post(
            &format!("/v1/releases/{id}/review"),
            &w.reviewer.1,
            json!({"decision": "reject", "reason": "no"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

/// The platform's database, opened directly (SQLite or PostgreSQL).
async fn database(s: &Srv) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&s.config.db)
        .await
        .expect("open the database")
}

async fn stored_secret(db: &sqlx::AnyPool, hook: &str) -> String {
    use sqlx::Row;
    sqlx::query("SELECT secret FROM webhooks WHERE id = $1")
        .bind(hook)
        .fetch_one(db)
        .await
        .expect("the webhook row")
        .try_get("secret")
        .expect("text")
}

async fn set_secret(db: &sqlx::AnyPool, hook: &str, value: &str) {
    let n = sqlx::query("UPDATE webhooks SET secret = $1 WHERE id = $2")
        .bind(value)
        .bind(hook)
        .execute(db)
        .await
        .expect("update")
        .rows_affected();
    assert_eq!(n, 1);
}

/// `v1:<24 hex digits>:<hex>`: a 96-bit nonce, and the ciphertext of
/// `plaintext` with its 16-byte tag; neither the secret nor its random part
/// appears.
fn assert_encrypted(stored: &str, plaintext: &str) {
    assert!(!stored.contains(plaintext), "{stored}");
    let random = plaintext.trim_start_matches("whsec_");
    assert!(!stored.contains(random), "{stored}");
    let parts: Vec<&str> = stored.split(':').collect();
    assert_eq!(parts.len(), 3, "{stored}");
    assert_eq!(parts[0], "v1");
    assert_eq!(parts[1].len(), 24, "a 96-bit nonce: {stored}");
    assert_eq!(parts[2].len(), 2 * (plaintext.len() + 16), "{stored}");
    assert!(hex::decode(parts[1]).is_ok() && hex::decode(parts[2]).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_are_encrypted_at_rest_and_still_sign_deliveries() {
    for db in Db::all() {
        let s = start_with(db, fast).await;
        let w = world(&s).await;
        let rx = Receiver::start().await;
        let other_rx = Receiver::start().await;
        let hook = register(&s, &w, &rx.url).await;
        let other = register(&s, &w, &other_rx.url).await;
        assert!(hook.secret.starts_with("whsec_"), "{db}");

        // The column holds v1 ciphertexts, each with a nonce of its own.
        let pool = database(&s).await;
        let stored = stored_secret(&pool, &hook.id).await;
        assert_encrypted(&stored, &hook.secret);
        let stored_other = stored_secret(&pool, &other.id).await;
        assert_encrypted(&stored_other, &other.secret);
        assert_ne!(
            stored.split(':').nth(1),
            stored_other.split(':').nth(1),
            "{db}: a random nonce per secret"
        );
        if db == Db::Sqlite {
            // Nowhere in the database files either (the WAL included).
            let random = hook.secret.trim_start_matches("whsec_");
            for name in ["platform.sqlite", "platform.sqlite-wal"] {
                let file = s.config.storage.join(name);
                let Ok(bytes) = std::fs::read(&file) else {
                    continue;
                };
                assert!(
                    !bytes.windows(random.len()).any(|b| b == random.as_bytes()),
                    "the plaintext secret is in {}",
                    file.display()
                );
            }
        }

        // Deliveries are signed with the plaintext secret.
        reject(&s, &w, "1.0.0", 1).await;
        let got = rx.wait_for(1).await;
        check_signature(&hook.secret, &got[0].0, &got[0].1);
        let got = other_rx.wait_for(1).await;
        check_signature(&other.secret, &got[0].0, &got[0].1);

        // The key: one private file in the keys folder, 32 bytes in hex.
        let keys = s.config.storage.join("keys");
        let key_file = keys.join(KEY_FILE);
        let key = std::fs::read_to_string(&key_file).expect("the key file");
        assert_eq!(key.trim().len(), 64, "{db}");
        assert!(hex::decode(key.trim()).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key_file)
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{db}: {mode:o}");
        }
        let leftovers: Vec<String> = std::fs::read_dir(&keys)
            .expect("keys")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");

        // Another instance on the same storage loads the same key (it does
        // not make a new one) and reads the secrets: it signs alike.
        s.platform.stop_tasks();
        let again = s.second(|_| {}).await;
        assert_eq!(
            std::fs::read_to_string(&key_file).expect("key"),
            key,
            "{db}"
        );
        assert_eq!(stored_secret(&pool, &hook.id).await, stored, "{db}");
        reject(&again, &w, "1.0.1", 2).await;
        let got = rx.wait_for(2).await;
        check_signature(&hook.secret, &got[1].0, &got[1].1);
        pool.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_secrets_from_before_are_encrypted_on_the_next_start() {
    for db in Db::all() {
        let s = start_with(db, fast).await;
        let w = world(&s).await;
        let (rx_a, rx_b) = (Receiver::start().await, Receiver::start().await);
        let a = register(&s, &w, &rx_a.url).await;
        let b = register(&s, &w, &rx_b.url).await;
        // Rows as an older platform wrote them: the plaintext secret.
        let pool = database(&s).await;
        for h in [&a, &b] {
            set_secret(&pool, &h.id, &h.secret).await;
            assert_eq!(stored_secret(&pool, &h.id).await, h.secret);
        }
        s.platform.stop_tasks();

        // Two instances start at once on the same database and storage:
        // both succeed, and every row ends encrypted once.
        let (one, two) = tokio::join!(s.second(fast), s.second(fast));
        let ea = stored_secret(&pool, &a.id).await;
        let eb = stored_secret(&pool, &b.id).await;
        assert_encrypted(&ea, &a.secret);
        assert_encrypted(&eb, &b.secret);
        // A further start changes nothing (idempotent).
        two.platform.stop_tasks();
        drop(two);
        let three = s.second(fast).await;
        three.platform.stop_tasks();
        assert_eq!(stored_secret(&pool, &a.id).await, ea, "{db}");
        assert_eq!(stored_secret(&pool, &b.id).await, eb, "{db}");

        // Deliveries still verify with the secrets shown at creation.
        reject(&one, &w, "1.0.0", 1).await;
        let got = rx_a.wait_for(1).await;
        check_signature(&a.secret, &got[0].0, &got[0].1);
        let got = rx_b.wait_for(1).await;
        check_signature(&b.secret, &got[0].0, &got[0].1);
        let delivered = eventually(Duration::from_secs(5), || async {
            deliveries(&one, &w, &a.id)
                .await
                .first()
                .is_some_and(|d| d.status == DeliveryStatus::Delivered)
        })
        .await;
        assert!(delivered, "{db}");
        pool.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_secret_fails_its_own_deliveries_and_nothing_else() {
    for db in Db::all() {
        let s = start_with(db, |c| {
            fast(c);
            c.webhook_max_attempts = 2;
        })
        .await;
        let w = world(&s).await;
        let (good_rx, tampered_rx, copied_rx) = (
            Receiver::start().await,
            Receiver::start().await,
            Receiver::start().await,
        );
        let good = register(&s, &w, &good_rx.url).await;
        let tampered = register(&s, &w, &tampered_rx.url).await;
        let copied = register(&s, &w, &copied_rx.url).await;
        let pool = database(&s).await;
        // One ciphertext with a byte changed; another row's value copied
        // over a third (it was encrypted for the other webhook's id).
        let stored = stored_secret(&pool, &tampered.id).await;
        let (head, last) = stored.split_at(stored.len() - 2);
        let flipped = format!("{head}{}", if last == "00" { "01" } else { "00" });
        set_secret(&pool, &tampered.id, &flipped).await;
        let good_stored = stored_secret(&pool, &good.id).await;
        set_secret(&pool, &copied.id, &good_stored).await;

        reject(&s, &w, "1.0.0", 1).await;
        let got = good_rx.wait_for(1).await;
        check_signature(&good.secret, &got[0].0, &got[0].1);
        for hook in [&tampered, &copied] {
            let failed = eventually(Duration::from_secs(10), || async {
                deliveries(&s, &w, &hook.id)
                    .await
                    .first()
                    .is_some_and(|d| d.status == DeliveryStatus::Failed)
            })
            .await;
            assert!(failed, "{db}: the delivery fails after its attempts");
            let ds = deliveries(&s, &w, &hook.id).await;
            assert_eq!(ds.len(), 1, "{db}");
            assert_eq!(ds[0].attempts.len(), 2, "{db}: {:?}", ds[0]);
            for a in &ds[0].attempts {
                assert_eq!(a.status, None, "{db}: nothing answered");
                assert_eq!(a.error.as_deref(), Some(UNREADABLE), "{db}");
            }
        }
        // Nothing was sent unsigned or signed with anything else.
        assert!(tampered_rx.requests().is_empty(), "{db}");
        assert!(copied_rx.requests().is_empty(), "{db}");
        // The good webhook's delivery was unaffected, and the worker still
        // runs: the next result reaches it too.
        let ds = deliveries(&s, &w, &good.id).await;
        assert_eq!(ds[0].status, DeliveryStatus::Delivered, "{db}");
        assert_eq!(ds[0].attempts.len(), 1);
        reject(&s, &w, "1.0.1", 2).await;
        let got = good_rx.wait_for(2).await;
        check_signature(&good.secret, &got[1].0, &got[1].1);
        // The delivery list does not show the stored value.
        let (_, list) = s
            .get(
                &format!("/v1/webhooks/{}/deliveries", tampered.id),
                &w.master.1,
            )
            .await;
        assert!(!list.to_string().contains(&flipped[3..]), "{db}");
        pool.close().await;
    }
}
