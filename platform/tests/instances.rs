//! Several platform instances on one database: a change through one is seen
//! by the others' resolve (PostgreSQL: promptly, by NOTIFY; both backends:
//! within the revalidation interval), and resolve makes no database query
//! while nothing changed.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};

const HOUR: Duration = Duration::from_secs(3600);

/// Waits until the instance's PostgreSQL listener listens (no-op on SQLite).
async fn listening(s: &Srv) {
    let ok = eventually(Duration::from_secs(10), || async {
        s.platform.policy_cache_stats().listening != Some(false)
    })
    .await;
    assert!(ok, "the policy listener listens");
}

async fn takedown(s: &Srv, w: &World) {
    let (st, v) = s
        .post(
            &format!("/v1/apps/{APP}/targets/{TARGET}/takedown"),
            &w.owner.1,
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

async fn rollback(s: &Srv, w: &World, version: &str) {
    let (st, v) = s
        .post(
            &format!("/v1/apps/{APP}/targets/{TARGET}/rollback"),
            &w.owner.1,
            json!({"version": version}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

/// Lets the notifications of changes made so far arrive (PostgreSQL delivers
/// them a moment after the commit; one that arrives after a rebuild drops a
/// fresh entry, which costs a rebuild but would upset a count).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// Polls B's resolve until it answers `seq`; how long that took.
async fn seen(b: &Srv, seq: u64, limit: Duration) -> Option<Duration> {
    let t = Instant::now();
    eventually(limit, || async { resolved(b, "u-1").await.seq == seq })
        .await
        .then(|| t.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_through_one_instance_is_seen_by_another() {
    for db in Db::all() {
        // PostgreSQL: revalidation is an hour away, so only NOTIFY can tell B.
        // SQLite (two processes on one file have no notifications): the
        // revalidation interval is the bound.
        let revalidate = if db == Db::Postgres {
            HOUR
        } else {
            Duration::from_millis(300)
        };
        let a = start_with(db, |c| c.policy_revalidate = revalidate).await;
        let b = a.second(|_| {}).await;
        listening(&a).await;
        listening(&b).await;
        let w = world(&a).await;
        let id = to_review(&a, &w, "1.0.0", 1).await;
        approve_and_release(&a, &w, &id).await;
        settle().await;

        // B warms its cache.
        let first = resolved(&b, "u-1").await;
        assert_eq!(
            first.version.as_ref().map(|v| v.version.as_str()),
            Some("1.0.0"),
            "{db}"
        );
        let seq = first.seq;
        assert_eq!(b.platform.policy_cache_stats().entries, 1, "{db}");

        // A takes it down; B sees it.
        takedown(&a, &w).await;
        let took = seen(&b, seq + 1, Duration::from_secs(2)).await;
        let took = took.unwrap_or_else(|| panic!("{db}: B saw the takedown within 2 s"));
        let now = resolved(&b, "u-1").await;
        assert!(now.version.is_none(), "{db}: {now:?}");

        // And a rollback after it.
        rollback(&a, &w, "1.0.0").await;
        seen(&b, seq + 2, Duration::from_secs(2))
            .await
            .unwrap_or_else(|| panic!("{db}: B saw the rollback within 2 s"));
        let now = resolved(&b, "u-1").await;
        assert_eq!(now.version.map(|v| v.version), Some("1.0.0".into()), "{db}");
        eprintln!("{db}: B saw A's change after {took:?}");

        // The same the other way round.
        rollback(&b, &w, "1.0.0").await;
        seen(&a, seq + 3, Duration::from_secs(2))
            .await
            .unwrap_or_else(|| panic!("{db}: A saw B's change within 2 s"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_makes_no_query_when_nothing_changed() {
    for db in Db::all() {
        let s = start_with(db, |c| c.policy_revalidate = HOUR).await;
        listening(&s).await;
        let w = world(&s).await;
        let id = to_review(&s, &w, "1.0.0", 1).await;
        approve_and_release(&s, &w, &id).await;
        settle().await;
        let warm = resolved(&s, "u-0").await;
        let before = s.platform.policy_cache_stats();
        for i in 0..50 {
            let a = resolved(&s, &format!("u-{i}")).await;
            assert_eq!(a.seq, warm.seq);
        }
        let (st, _) = s
            .call(
                Method::GET,
                &format!("/v1/apps/{APP}/targets/{TARGET}/policy"),
                None,
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let after = s.platform.policy_cache_stats();
        assert_eq!(
            after.db_reads, before.db_reads,
            "{db}: 51 calls on a warm cache made no database read"
        );
        assert_eq!(after.entries, 1);

        // A change is read once, then served from the cache again.
        takedown(&s, &w).await;
        assert_eq!(resolved(&s, "u-1").await.seq, warm.seq + 1);
        settle().await;
        resolved(&s, "u-1").await;
        let rebuilt = s.platform.policy_cache_stats().db_reads;
        assert!(rebuilt > after.db_reads, "{db}: the change was read");
        for i in 0..20 {
            resolved(&s, &format!("u-{i}")).await;
        }
        assert_eq!(s.platform.policy_cache_stats().db_reads, rebuilt, "{db}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revalidation_is_one_read_per_interval_not_per_request() {
    let s = start_with(Db::Sqlite, |c| {
        c.policy_revalidate = Duration::from_millis(200)
    })
    .await;
    let w = world(&s).await;
    let id = to_review(&s, &w, "1.0.0", 1).await;
    approve_and_release(&s, &w, &id).await;
    resolved(&s, "u-0").await;
    let before = s.platform.policy_cache_stats().db_reads;
    let t = Instant::now();
    let mut calls = 0u64;
    while t.elapsed() < Duration::from_millis(1000) {
        resolved(&s, &format!("u-{}", calls % 7)).await;
        calls += 1;
    }
    let elapsed = t.elapsed();
    let reads = s.platform.policy_cache_stats().db_reads - before;
    // One sequence check per 200 ms at most (plus one for rounding).
    let bound = elapsed.as_millis() as u64 / 200 + 1;
    assert!(calls > 20, "{calls} calls");
    assert!(
        reads <= bound,
        "{reads} reads for {calls} calls in {elapsed:?}"
    );
    assert!(reads >= 1, "the entry was revalidated");
}

/// On PostgreSQL, a lost listener connection drops the whole cache once it
/// listens again (notifications sent meanwhile are lost), and changes are
/// seen through NOTIFY afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_listener_connection_drops_the_cache() {
    if !Db::all().contains(&Db::Postgres) {
        return;
    }
    let a = start_with(Db::Postgres, |c| c.policy_revalidate = HOUR).await;
    let b = a.second(|_| {}).await;
    listening(&a).await;
    listening(&b).await;
    let w = world(&a).await;
    let id = to_review(&a, &w, "1.0.0", 1).await;
    approve_and_release(&a, &w, &id).await;
    settle().await;
    let seq = resolved(&b, "u-1").await.seq;
    let stats = b.platform.policy_cache_stats();
    assert_eq!(stats.entries, 1);

    // Kill every listener connection on this database.
    let admin = sqlx::AnyPool::connect(&a.config.db).await.expect("connect");
    let killed = sqlx::query(
        "SELECT pg_terminate_backend(pid) AS k FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()",
    )
    .fetch_all(&admin)
    .await
    .expect("terminate");
    assert!(
        killed.len() >= 2,
        "both listeners were found: {}",
        killed.len()
    );
    let reset = eventually(Duration::from_secs(10), || async {
        let now = b.platform.policy_cache_stats();
        now.resets > stats.resets && now.listening == Some(true)
    })
    .await;
    assert!(
        reset,
        "B listens again: {:?}",
        b.platform.policy_cache_stats()
    );
    assert_eq!(
        b.platform.policy_cache_stats().entries,
        0,
        "and dropped its cache"
    );

    // Notifications work again.
    assert_eq!(resolved(&b, "u-1").await.seq, seq);
    takedown(&a, &w).await;
    seen(&b, seq + 1, Duration::from_secs(2))
        .await
        .expect("B saw the takedown after the reconnect");
    admin.close().await;
}

/// Policy changes made at the same moment, through two instances on one
/// database, each get their own sequence number: a host that saw one of them
/// could otherwise refuse the other as a replay, or take an older policy for
/// the newer. The bump is one atomic statement (`… seq = seq + 1 RETURNING
/// seq`), not a read and a write that two transactions can interleave.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_changes_never_share_a_sequence_number() {
    for db in Db::all() {
        let a = start(db).await;
        let w = world(&a).await;
        let id = to_review(&a, &w, "1.0.0", 1).await;
        approve_and_release(&a, &w, &id).await;
        let b = a.second(|_| {}).await;
        let before = resolved(&a, "u-1").await.seq;
        const CHANGES: usize = 16;
        let calls = (0..CHANGES).map(|i| {
            let (s, token) = (if i % 2 == 0 { &a } else { &b }, &w.owner.1);
            async move {
                s.post(
                    &format!("/v1/apps/{APP}/targets/{TARGET}/rollback"),
                    token,
                    json!({"version": "1.0.0"}),
                )
                .await
            }
        });
        let answers = futures_util::future::join_all(calls).await;
        let mut seqs: Vec<u64> = answers
            .iter()
            .map(|(st, v)| {
                assert_eq!(*st, StatusCode::OK, "{db}: {v}");
                v["seq"].as_u64().expect("seq")
            })
            .collect();
        seqs.sort_unstable();
        let expected: Vec<u64> = (before + 1..=before + CHANGES as u64).collect();
        assert_eq!(seqs, expected, "{db}: every change has its own number");
        settle().await;
        assert_eq!(
            resolved(&b, "u-1").await.seq,
            before + CHANGES as u64,
            "{db}"
        );
    }
}

/// The resolve answers kept in memory are bounded in bytes over every
/// policy (issue 22, item 6): random user ids for an app with nothing to
/// serve are answered and never kept; for a released one, what is kept
/// stays within `Config::resolve_cache_bytes` however many users ask, every
/// answer still correct; a change gives back all its policy held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_answers_are_kept_within_a_byte_budget() {
    const BUDGET: usize = 16 * 1024;
    for db in Db::all() {
        let s = start_with(db, |c| {
            c.policy_revalidate = HOUR;
            c.resolve_cache_bytes = BUDGET;
        })
        .await;
        listening(&s).await;
        let w = world(&s).await;
        for i in 0..100 {
            let a = resolved(&s, &format!("nobody-{i}")).await;
            assert!(a.version.is_none(), "{db}: nothing released yet");
        }
        let st = s.platform.policy_cache_stats();
        assert_eq!((st.answers, st.answer_bytes), (0, 0), "{db}: nothing kept");

        let id = to_review(&s, &w, "1.0.0", 1).await;
        approve_and_release(&s, &w, &id).await;
        settle().await;
        for i in 0..300 {
            let a = resolved(&s, &format!("user-{i}")).await;
            assert_eq!(
                a.version.map(|v| v.version).as_deref(),
                Some("1.0.0"),
                "{db}: user-{i}"
            );
            let st = s.platform.policy_cache_stats();
            assert!(st.answer_bytes <= BUDGET, "{db}: {st:?}");
        }
        let st = s.platform.policy_cache_stats();
        assert!(st.answers > 0 && st.answers < 300, "{db}: {st:?}");
        // A user asked again is answered alike, from the cache or not.
        assert_eq!(resolved(&s, "user-299").await.user, "user-299");

        takedown(&s, &w).await;
        settle().await;
        resolved(&s, "user-1").await;
        let st = s.platform.policy_cache_stats();
        assert_eq!((st.answers, st.answer_bytes), (0, 0), "{db}: {st:?}");
    }
}
