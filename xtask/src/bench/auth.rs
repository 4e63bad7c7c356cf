//! `cargo xtask bench auth`: auth codes on a platform served on loopback, against
//! their floor in the same run.
//!
//! - issue: `POST /v1/auth-codes` as an operator (the eligibility decision,
//!   the open id, one committed insert).
//! - exchange: `POST /v1/auth-codes/exchange` with an app secret (one
//!   conditional, committed update).
//! - the floor: an authenticated round trip that writes nothing
//!   (`GET /v1/me` with the same token), plus one durable write of the same
//!   disk (append and `fdatasync`), since a single-use code has to survive a
//!   restart and SQLite runs with `synchronous=FULL`.

use super::platform::LocalPlatform;
use crate::report::table;
use crate::report::Output;
use anyhow::{bail, Result};
use clap::Args;
use mpkit_bundle::{PackOptions, SecretKey};
use serde_json::{json, Value};
use std::io::Write as _;
use std::time::Instant;

const TARGET: &str = "bench.wallet";

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// `cargo xtask bench auth`.
#[derive(Debug, Args)]
pub(crate) struct AuthArgs {
    /// Measured codes (the median is reported; at least 20).
    #[arg(long, default_value_t = 200)]
    runs: usize,
}

pub(crate) fn run(args: AuthArgs, o: &mut Output) -> Result<()> {
    let AuthArgs { runs } = args;
    let runs = runs.max(20);
    let tmp = tempfile::tempdir()?;
    let local = LocalPlatform::start(&tmp.path().join("platform"))?;
    let api = &local.api;
    let admin = local.admin.clone();
    let token = |v: &Value| v["token"].as_str().unwrap_or_default().to_owned();

    // Coffee Club, fully released; an operator; an app secret.
    let master = api.post("/v1/accounts", &admin, json!({"name": "bench master"}))?;
    let reviewer = api.post("/v1/accounts", &admin, json!({"name": "bench reviewer"}))?;
    let operator = api.post(
        "/v1/accounts",
        &admin,
        json!({"name": "bench wallet server"}),
    )?;
    let (mt, rt, ot) = (token(&master), token(&reviewer), token(&operator));
    let ws = api.post(
        "/v1/workspaces",
        &mt,
        json!({"name": "Bench", "kind": "merchant"}),
    )?;
    let ws = ws["id"].as_str().unwrap_or_default().to_owned();
    let key = SecretKey::generate()?;
    api.post(
        &format!("/v1/workspaces/{ws}/keys"),
        &mt,
        json!({"publicKeyHex": key.public().to_hex()}),
    )?;
    let src = mpkit_sample_app::miniprogram_dir();
    let (m, _) = mpkit_bundle::pack_dir(&src, &key, &PackOptions::default())?;
    let app = m.app_id.to_string();
    api.post(
        &format!("/v1/workspaces/{ws}/apps"),
        &mt,
        json!({"appId": app, "name": "Coffee Club"}),
    )?;
    api.post(
        "/v1/target-apps",
        &admin,
        json!({"id": TARGET, "name": "Bench wallet", "allowedPermissions": ["getAuthCode"]}),
    )?;
    api.post(
        &format!("/v1/target-apps/{TARGET}/reviewers"),
        &admin,
        json!({"accountId": reviewer["id"]}),
    )?;
    api.post(
        &format!("/v1/target-apps/{TARGET}/operators"),
        &admin,
        json!({"accountId": operator["id"]}),
    )?;
    api.upload(&src, &key, &app, "1.0.0", 1, &mt)?;
    let (id, _) = api.approved_release(&app, TARGET, "1.0.0", &mt, &rt)?;
    api.post(&format!("/v1/releases/{id}/full"), &mt, json!({}))?;
    let secret = api.post(
        &format!("/v1/apps/{app}/secrets"),
        &mt,
        json!({"name": "bench backend"}),
    )?;
    let secret = secret["secret"].as_str().unwrap_or_default().to_owned();

    let issue = |user: &str| -> Result<String> {
        let v = api.post(
            "/v1/auth-codes",
            &ot,
            json!({"appId": app, "targetApp": TARGET, "userId": user, "scopes": ["auth_base"]}),
        )?;
        Ok(v["authCode"].as_str().unwrap_or_default().to_owned())
    };
    let me = || api.call(reqwest::Method::GET, "/v1/me", &ot, None, None);
    // The durable write of the floor: the platform's own disk.
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(tmp.path().join("platform").join("floor.log"))?;
    let mut durable = |i: usize| -> Result<()> {
        writeln!(log, "{i:08} a single-use code's row")?;
        log.sync_data()?;
        Ok(())
    };

    // Warm every path; users are new per run, so each issue makes an open id
    // the first time, as a wallet's first code for a user does.
    let warm = issue("warm")?;
    api.post("/v1/auth-codes/exchange", &secret, json!({"code": warm}))?;
    me()?;
    durable(0)?;

    let (mut issued, mut exchanged, mut reads, mut writes) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..runs {
        let user = format!("user-{i}");
        let t = Instant::now();
        let code = issue(&user)?;
        issued.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let who = api.post("/v1/auth-codes/exchange", &secret, json!({"code": code}))?;
        exchanged.push(t.elapsed().as_secs_f64());
        if who["openId"].as_str().is_none_or(str::is_empty) {
            bail!("the exchange named nobody: {who}");
        }
        let t = Instant::now();
        me()?;
        reads.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        durable(i + 1)?;
        writes.push(t.elapsed().as_secs_f64());
    }
    let (i, x, r, w) = (
        median(issued),
        median(exchanged),
        median(reads),
        median(writes),
    );
    let floor = r + w;
    let ms = |s: f64| format!("{:.3} ms", s * 1e3);
    let rows = vec![
        vec![
            "issue a code vs authenticated read + durable write".into(),
            ms(i),
            ms(floor),
            format!("{:.2}x", i / floor),
        ],
        vec![
            "exchange a code vs authenticated read + durable write".into(),
            ms(x),
            ms(floor),
            format!("{:.2}x", x / floor),
        ],
        vec![
            "  (the floor: GET /v1/me, fdatasync)".into(),
            ms(r),
            ms(w),
            String::new(),
        ],
    ];
    drop(local);
    o.emit(
        &json!({
            "runs": runs,
            "issue": {"ms": i * 1e3, "floorMs": floor * 1e3, "ratio": i / floor},
            "exchange": {"ms": x * 1e3, "floorMs": floor * 1e3, "ratio": x / floor},
            "floor": {"readMs": r * 1e3, "durableWriteMs": w * 1e3},
        }),
        || table(&["path", "mpkit", "floor", "ratio"], &rows),
    )?;
    Ok(())
}
