//! Rate limits (issue 22, item 8), GCRA by `governor`, keyed per client IP
//! and per token:
//!
//! - **Failed authentication** (any 401: a wrong token, a wrong app secret)
//!   counts against the client's IP; once its allowance is spent every
//!   call from it is refused with 429 and `Retry-After` until the allowance
//!   returns, so tokens and secrets cannot be guessed at speed.
//! - **Expensive calls** (uploads, tester files, pilots, dry runs, QR codes,
//!   the audit log, new tokens, new mini programs, auth codes issued and exchanged) count per
//!   IP and per bearer credential.
//!
//! The key maps are pruned of idle keys and hard-capped, so random tokens
//! or many addresses cannot grow them without bound.

use crate::error::Error;
use axum::extract::{MatchedPath, Request};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use mpkit_platform_client::paths;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How many calls a client may make; `None` turns a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Failed authentications per IP per minute (the burst is the same).
    /// Default 30.
    pub auth_failures_per_minute: Option<u32>,
    /// Expensive calls per IP per minute. Default 300.
    pub expensive_per_ip_per_minute: Option<u32>,
    /// Expensive calls per bearer credential per minute. Default 120.
    pub expensive_per_token_per_minute: Option<u32>,
}

impl Default for RateLimits {
    fn default() -> RateLimits {
        RateLimits {
            auth_failures_per_minute: Some(30),
            expensive_per_ip_per_minute: Some(300),
            expensive_per_token_per_minute: Some(120),
        }
    }
}

impl RateLimits {
    /// No limits (benchmarks that measure throughput from one address).
    pub fn off() -> RateLimits {
        RateLimits {
            auth_failures_per_minute: None,
            expensive_per_ip_per_minute: None,
            expensive_per_token_per_minute: None,
        }
    }
}

/// The routes that cost the platform real work per call.
const EXPENSIVE: &[paths::Route] = &[
    paths::UPLOAD_VERSION,
    paths::PUT_TESTERS,
    paths::START_PILOT,
    paths::DRY_RUN,
    paths::QR,
    paths::AUDIT,
    paths::CREATE_TOKEN,
    // Each answer says whether an appId is free.
    paths::CREATE_APP,
    paths::ISSUE_AUTH_CODE,
    paths::EXCHANGE_AUTH_CODE,
];

/// The most keys one limiter keeps; past it, idle keys are dropped, and if
/// that is not enough the map starts over (an attack with that many keys
/// gains one fresh allowance per key, and no memory).
const MAX_KEYS: usize = 100_000;

/// A keyed limiter that can start over when it holds too many keys.
struct Keyed<K: std::hash::Hash + Eq + Clone> {
    quota: Quota,
    inner: RwLock<DefaultKeyedRateLimiter<K>>,
}

impl<K: std::hash::Hash + Eq + Clone> Keyed<K> {
    /// Counts a call for `key`; the wait when over the limit.
    fn check(&self, key: &K) -> Result<(), Duration> {
        let l = self.inner.read().unwrap_or_else(|e| e.into_inner());
        l.check_key(key)
            .map_err(|n| n.wait_time_from(DefaultClock::default().now()))
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    fn prune(&self) {
        let mut l = self.inner.write().unwrap_or_else(|e| e.into_inner());
        l.retain_recent();
        if l.len() > MAX_KEYS {
            *l = DefaultKeyedRateLimiter::hashmap(self.quota);
        }
    }
}

fn per_minute<K: std::hash::Hash + Eq + Clone>(n: Option<u32>) -> Option<Keyed<K>> {
    let quota = Quota::per_minute(NonZeroU32::new(n?)?);
    Some(Keyed {
        quota,
        inner: RwLock::new(DefaultKeyedRateLimiter::hashmap(quota)),
    })
}

/// The limiters of one platform.
pub(crate) struct Limiters {
    auth_failures: Option<Keyed<IpAddr>>,
    /// Addresses refused until the instant: their failures spent the
    /// allowance.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
    per_ip: Option<Keyed<IpAddr>>,
    per_token: Option<Keyed<[u8; 16]>>,
    /// Calls seen, to prune now and then.
    calls: AtomicU64,
}

impl std::fmt::Debug for Limiters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiters").finish_non_exhaustive()
    }
}

impl Limiters {
    pub(crate) fn new(r: RateLimits) -> Limiters {
        Limiters {
            auth_failures: per_minute(r.auth_failures_per_minute),
            blocked: Mutex::new(HashMap::new()),
            per_ip: per_minute(r.expensive_per_ip_per_minute),
            per_token: per_minute(r.expensive_per_token_per_minute),
            calls: AtomicU64::new(0),
        }
    }

    fn prune(&self) {
        fn keep<K: std::hash::Hash + Eq + Clone>(l: &Option<Keyed<K>>) {
            if let Some(l) = l {
                l.prune();
            }
        }
        keep(&self.auth_failures);
        keep(&self.per_ip);
        keep(&self.per_token);
        if let Ok(mut b) = self.blocked.lock() {
            let now = Instant::now();
            b.retain(|_, until| *until > now);
            if b.len() > MAX_KEYS {
                b.clear();
            }
        }
    }

    /// When `ip` may call again, if it is blocked now.
    fn blocked_for(&self, ip: IpAddr) -> Option<Duration> {
        let b = self.blocked.lock().ok()?;
        let until = b.get(&ip)?;
        until.checked_duration_since(Instant::now())
    }

    /// Counts a failed authentication from `ip`; blocks it when its
    /// allowance is spent.
    fn failed(&self, ip: IpAddr) {
        let Some(l) = &self.auth_failures else {
            return;
        };
        if let Err(wait) = l.check(&ip) {
            if let Ok(mut b) = self.blocked.lock() {
                b.insert(ip, Instant::now() + wait);
            }
        }
    }

    /// Counts an expensive call; the wait when over a limit.
    fn expensive(&self, ip: IpAddr, credential: Option<&str>) -> Result<(), Duration> {
        if let Some(l) = &self.per_ip {
            l.check(&ip)?;
        }
        if let (Some(l), Some(c)) = (&self.per_token, credential) {
            let mut key = [0u8; 16];
            key.copy_from_slice(&Sha256::digest(c.as_bytes())[..16]);
            l.check(&key)?;
        }
        Ok(())
    }
}

/// The client's address: the connection's peer (set by the platform's own
/// server), or unspecified when served some other way.
fn client_ip(req: &Request) -> IpAddr {
    req.extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

fn too_many(wait: Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    let mut r = Error::TooManyRequests(secs).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// The middleware: refuses a blocked address, counts expensive calls, and
/// counts each 401 it answers against the address.
pub(crate) async fn limit(
    axum::extract::State(l): axum::extract::State<Arc<Limiters>>,
    req: Request,
    next: Next,
) -> Response {
    if l.calls.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
        l.prune();
    }
    let ip = client_ip(&req);
    if let Some(wait) = l.blocked_for(ip) {
        return too_many(wait);
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let expensive = route.as_deref().is_some_and(|p| {
        EXPENSIVE
            .iter()
            .any(|r| r.template == p && r.method.as_str() == req.method().as_str())
    });
    if expensive {
        let credential = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if let Err(wait) = l.expensive(ip, credential.as_deref()) {
            return too_many(wait);
        }
    }
    let resp = next.run(req).await;
    if resp.status() == StatusCode::UNAUTHORIZED {
        l.failed(ip);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_block_an_address_until_its_allowance_returns() {
        let l = Limiters::new(RateLimits {
            auth_failures_per_minute: Some(3),
            ..RateLimits::off()
        });
        let ip: IpAddr = "192.0.2.7".parse().expect("ip");
        let other: IpAddr = "192.0.2.8".parse().expect("ip");
        for _ in 0..3 {
            l.failed(ip);
            assert!(l.blocked_for(ip).is_none());
        }
        l.failed(ip);
        let wait = l.blocked_for(ip).expect("blocked");
        assert!(
            wait <= Duration::from_secs(20) && wait > Duration::ZERO,
            "{wait:?}"
        );
        assert!(l.blocked_for(other).is_none(), "another address is not");
    }

    #[test]
    fn expensive_calls_count_per_address_and_per_credential() {
        let l = Limiters::new(RateLimits {
            expensive_per_ip_per_minute: Some(5),
            expensive_per_token_per_minute: Some(2),
            ..RateLimits::off()
        });
        let ip: IpAddr = "192.0.2.7".parse().expect("ip");
        assert!(l.expensive(ip, Some("Bearer a")).is_ok());
        assert!(l.expensive(ip, Some("Bearer a")).is_ok());
        assert!(
            l.expensive(ip, Some("Bearer a")).is_err(),
            "the token's allowance"
        );
        assert!(l.expensive(ip, Some("Bearer b")).is_ok(), "another token");
        assert!(l.expensive(ip, None).is_ok());
        assert!(
            l.expensive(ip, None).is_err(),
            "the address's allowance (5 with the refused one)"
        );
        let off = Limiters::new(RateLimits::off());
        for _ in 0..1000 {
            assert!(off.expensive(ip, Some("Bearer a")).is_ok());
        }
    }

    #[test]
    fn the_key_maps_stay_bounded() {
        let l = Limiters::new(RateLimits::default());
        for i in 0..(MAX_KEYS as u32 + 10) {
            let _ = l.expensive(IpAddr::V4(Ipv4Addr::from(i)), None);
        }
        l.prune();
        assert!(l.per_ip.as_ref().expect("on").len() <= MAX_KEYS);
    }
}
