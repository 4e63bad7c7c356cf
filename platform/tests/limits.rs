//! Connection timeouts, the connection cap and rate limits (issue 22,
//! item 8), over real sockets: slow and idle sockets are closed, a full
//! server recovers when they are, guessed tokens and expensive calls get
//! 429 with `Retry-After`, and a body that trickles in gets 408.

mod common;

use common::*;
use mpkit_platform::RateLimits;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn addr(s: &Srv) -> String {
    s.base.trim_start_matches("http://").to_owned()
}

/// Whether the server closed `sock` within `limit` (a read returns 0 or fails).
async fn closed_within(sock: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 512];
    match tokio::time::timeout(limit, sock.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => true,
        // hyper may answer 408 before closing: read on to the end.
        Ok(Ok(_)) => tokio::time::timeout(limit, sock.read_to_end(&mut Vec::new()))
            .await
            .is_ok(),
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_sockets_are_closed_and_a_full_server_recovers() {
    let s = start_with(Db::Sqlite, |c| {
        c.header_timeout = Duration::from_secs(1);
        c.max_connections = 2;
    })
    .await;
    // Slowloris: half a request head, then nothing.
    let mut slow = TcpStream::connect(addr(&s)).await.expect("connect");
    slow.write_all(b"GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .expect("write");
    // Idle: connected, nothing sent.
    let mut idle = TcpStream::connect(addr(&s)).await.expect("connect");
    // Both slots are taken: a third client is not served meanwhile.
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(600))
        .build()
        .expect("client");
    let r = quick
        .get(format!("{}/v1/trust/root.json", s.base))
        .send()
        .await;
    assert!(r.is_err(), "served past the cap: {r:?}");
    let t = Instant::now();
    assert!(
        closed_within(&mut slow, Duration::from_secs(4)).await,
        "slow socket held"
    );
    assert!(
        closed_within(&mut idle, Duration::from_secs(4)).await,
        "idle socket held"
    );
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    // Freed: the next client is served.
    let r = reqwest::get(format!("{}/v1/trust/root.json", s.base))
        .await
        .expect("served after the sockets closed");
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_trickles_in_gets_408() {
    let s = start_with(Db::Sqlite, |c| c.body_timeout = Duration::from_secs(1)).await;
    let mut sock = TcpStream::connect(addr(&s)).await.expect("connect");
    let head = format!(
        "POST /v1/workspaces HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\"",
        s.admin
    );
    let before = s.audit_count().await;
    sock.write_all(head.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), sock.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"code\":\"timeout\""), "{text}");
    assert_eq!(s.audit_count().await, before, "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessed_tokens_get_429_with_retry_after() {
    for db in Db::all() {
        let s = start_with(db, |c| {
            c.rate_limits = RateLimits {
                auth_failures_per_minute: Some(5),
                ..RateLimits::default()
            }
        })
        .await;
        let mut statuses = Vec::new();
        for i in 0..8 {
            let (st, _) = s
                .call(Method::GET, "/v1/me", Some(&format!("guess-{i}")), None)
                .await;
            statuses.push(st.as_u16());
        }
        assert_eq!(&statuses[..5], [401; 5], "{db}: {statuses:?}");
        assert_eq!(statuses[7], 429, "{db}: {statuses:?}");
        // The address is refused whatever it sends until the allowance
        // returns, with the wait in Retry-After and a JSON error.
        let r = s
            .http
            .get(format!("{}/v1/me", s.base))
            .bearer_auth(&s.admin)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{db}");
        let wait: u64 = r
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("Retry-After");
        assert!((1..=12).contains(&wait), "{db}: {wait}");
        let v: serde_json::Value = r.json().await.expect("json");
        assert_eq!(v["code"], "too_many_requests", "{db}: {v}");
        // Wrong app secrets count the same way: a fresh platform, 5 wrong
        // exchanges, then 429.
        let s = start_with(db, |c| {
            c.rate_limits = RateLimits {
                auth_failures_per_minute: Some(5),
                ..RateLimits::default()
            }
        })
        .await;
        let mut last = 0;
        for _ in 0..8 {
            let (st, _) = s
                .call(
                    Method::POST,
                    "/v1/auth-codes/exchange",
                    Some("not-a-secret"),
                    Some(json!({"code": "x"})),
                )
                .await;
            last = st.as_u16();
        }
        assert_eq!(last, 429, "{db}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expensive_calls_are_limited_per_token_and_per_address() {
    let s = start_with(Db::Sqlite, |c| {
        c.rate_limits = RateLimits {
            expensive_per_token_per_minute: Some(3),
            expensive_per_ip_per_minute: Some(7),
            ..RateLimits::default()
        }
    })
    .await;
    let (_, a) = s.account("a").await;
    let (_, b) = s.account("b").await;
    let before = s.audit_count().await;
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(s.post("/v1/me/tokens", &a, json!({})).await.0.as_u16());
    }
    assert_eq!(seen, [201, 201, 201, 429], "per token");
    assert_eq!(
        s.audit_count().await,
        before + 3,
        "the refused call wrote nothing"
    );
    // Another token from the same address has its own allowance, until the
    // address's is spent (7: the two audit reads and the refused call
    // count too).
    assert_eq!(
        s.post("/v1/me/tokens", &b, json!({})).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        s.post("/v1/me/tokens", &b, json!({})).await.0,
        StatusCode::TOO_MANY_REQUESTS,
        "per address"
    );
    // Cheap calls are not counted.
    for _ in 0..20 {
        assert_eq!(s.get("/v1/me", &b).await.0, StatusCode::OK);
    }
}
