//! `cargo xtask bench resolve`: `/v1/resolve` under load from wrk in a second
//! process, against nginx serving a static file of the same size in the same
//! run; and the in-process decision against a plain hash-set lookup.

use super::platform::Api;
use crate::report::table;
use crate::report::Output;
use anyhow::{bail, Context as _, Result};
use clap::Args;
use mpkit_bundle::SecretKey;
use mpkit_platform_client::rollout;
use mpkit_platform_client::wire::{Grayscale, PinnedVersion, ReleasePolicy};
use serde_json::json;
use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const APP: &str = "2021000000000001";
const TARGET: &str = "bench.wallet";

/// Sets up Coffee Club in a target app: 1.0.0 fully released, 1.1.0 in pilot
/// with `testers` tester ids (`u-0` .. `u-{testers-1}`).
fn setup(api: &Api, admin: &str, tmp: &Path, testers: usize) -> Result<()> {
    let master = api.post("/v1/accounts", admin, json!({"name": "bench master"}))?;
    let reviewer = api.post("/v1/accounts", admin, json!({"name": "bench reviewer"}))?;
    let (mt, rt) = (
        master["token"].as_str().unwrap_or_default().to_owned(),
        reviewer["token"].as_str().unwrap_or_default().to_owned(),
    );
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
    api.post(
        &format!("/v1/workspaces/{ws}/apps"),
        &mt,
        json!({"appId": APP, "name": "Coffee Club"}),
    )?;
    api.post("/v1/target-apps", admin, json!({"id": TARGET, "name": "Bench wallet", "allowedPermissions": ["request", "getAuthCode", "tradePay"]}))?;
    api.post(
        &format!("/v1/target-apps/{TARGET}/reviewers"),
        admin,
        json!({"accountId": reviewer["id"]}),
    )?;
    let src = mpkit_sample_app::miniprogram_dir();
    let release = |version: &str, build: u64| -> Result<String> {
        api.upload(&src, &key, APP, version, build, &mt)?;
        Ok(api.approved_release(APP, TARGET, version, &mt, &rt)?.0)
    };
    let first = release("1.0.0", 1)?;
    api.post(&format!("/v1/releases/{first}/full"), &mt, json!({}))?;
    let second = release("1.1.0", 2)?;
    let list: Vec<String> = (0..testers).map(|i| format!("u-{i}")).collect();
    api.post(
        &format!("/v1/releases/{second}/pilot"),
        &mt,
        json!({"testers": list}),
    )?;
    let _ = tmp;
    Ok(())
}

struct WrkResult {
    rps: f64,
    p99_ms: f64,
    errors: u64,
    requests: u64,
}

fn parse_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Some(v) = s.strip_suffix("us") {
        return v.parse::<f64>().ok().map(|x| x / 1000.0);
    }
    if let Some(v) = s.strip_suffix("ms") {
        return v.parse().ok();
    }
    if let Some(v) = s.strip_suffix('s') {
        return v.parse::<f64>().ok().map(|x| x * 1000.0);
    }
    None
}

fn wrk(exe: &Path, url: &str, script: Option<&Path>, secs: u64, conns: u32) -> Result<WrkResult> {
    let mut cmd = Command::new(exe);
    cmd.args([
        "-t2",
        &format!("-c{conns}"),
        &format!("-d{secs}s"),
        "--latency",
    ]);
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    let out = cmd
        .arg(url)
        .output()
        .with_context(|| format!("running {}", exe.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut r = WrkResult {
        rps: 0.0,
        p99_ms: f64::NAN,
        errors: 0,
        requests: 0,
    };
    for line in text.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("Requests/sec:") {
            r.rps = v.trim().parse().unwrap_or(0.0);
        } else if let Some(v) = t.strip_prefix("99%") {
            r.p99_ms = parse_ms(v).unwrap_or(f64::NAN);
        } else if let Some(v) = t.strip_prefix("Non-2xx or 3xx responses:") {
            r.errors += v.trim().parse::<u64>().unwrap_or(0);
        } else if let Some(v) = t.strip_prefix("Socket errors:") {
            r.errors += v
                .split(',')
                .filter_map(|p| p.split_whitespace().last()?.parse::<u64>().ok())
                .sum::<u64>();
        } else if t.contains("requests in") {
            r.requests = t
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        }
    }
    if r.rps == 0.0 {
        bail!(
            "could not read wrk's output:\n{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(r)
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

struct Nginx(std::process::Child);
impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn nginx(exe: &Path, dir: &Path, body: &[u8]) -> Result<(Nginx, u16)> {
    use std::os::unix::fs::PermissionsExt;
    let www = dir.join("www");
    std::fs::create_dir_all(&www)?;
    std::fs::write(www.join("resolve.json"), body)?;
    for p in [dir, &www] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755))?;
    }
    std::fs::set_permissions(
        www.join("resolve.json"),
        std::fs::Permissions::from_mode(0o644),
    )?;
    let port = free_port()?;
    let user = if rustix::process::geteuid().is_root() {
        "user root;\n"
    } else {
        ""
    };
    let conf = format!(
        "{user}daemon off;\nworker_processes 2;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{ worker_connections 1024; }}\n\
         http {{\n access_log off;\n default_type application/json;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n fastcgi_temp_path {d}/fcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
         server {{ listen 127.0.0.1:{port}; location / {{ root {w}; }} }}\n}}\n",
        d = dir.display(),
        w = www.display()
    );
    std::fs::write(dir.join("nginx.conf"), conf)?;
    let child = Command::new(exe)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-p")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", exe.display()))?;
    let n = Nginx(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok((n, port));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    bail!("nginx did not start; see {}/error.log", dir.display())
}

/// The in-process decision: the shared `rollout::decide` over a policy with a
/// 10,000-user pilot list and a grayscale, against a bare `HashSet` lookup.
fn decision_ns(testers: usize) -> (f64, f64, f64) {
    let pinned = |v: &str| PinnedVersion {
        version: v.into(),
        sha256: "00".repeat(32),
        length: 1,
    };
    let policy = ReleasePolicy {
        kind: "policy".into(),
        app_id: APP.into(),
        target_app: TARGET.into(),
        seq: 1,
        expires: i64::MAX,
        stable: Some(pinned("1.0.0")),
        grayscale: Some(Grayscale {
            version: pinned("1.2.0"),
            percent_bp: 1250,
            salt: format!("{APP}:bench"),
        }),
        pilot: Some(pinned("1.1.0")),
    };
    let list: HashSet<String> = (0..testers).map(|i| format!("u-{i}")).collect();
    let users: Vec<String> = (0..4096).map(|i| format!("u-{}", i * 7)).collect();
    let n = 2_000_000usize;
    let t = Instant::now();
    let mut hits = 0usize;
    for i in 0..n {
        let u = &users[i & 4095];
        let d = rollout::decide(&policy, list.contains(u.as_str()), u);
        hits += d.2.map_or(0, usize::from) & 1;
    }
    let decide = t.elapsed().as_nanos() as f64 / n as f64;
    let t = Instant::now();
    for i in 0..n {
        hits += usize::from(list.contains(users[i & 4095].as_str()));
    }
    let lookup = t.elapsed().as_nanos() as f64 / n as f64;
    // The peer: Unleash's engine (unleash-yggdrasil) evaluating the same
    // rollout — a userWithId strategy with the pilot list, then a 12%
    // flexibleRollout on userId.
    let ids: Vec<String> = (0..testers).map(|i| format!("u-{i}")).collect();
    let features = json!({"version": 2, "features": [{
    "name": "coffee-club", "type": "release", "enabled": true, "strategies": [
        {"name": "userWithId", "parameters": {"userIds": ids.join(",")}},
        {"name": "flexibleRollout", "parameters": {"rollout": "12", "stickiness": "userId", "groupId": "coffee-club"}}
    ]}]});
    let engine = unleash_yggdrasil::EngineState::default();
    let peer = serde_json::from_value::<unleash_yggdrasil::ClientFeatures>(features)
        .ok()
        .map(|f| {
            let _ = engine.take_state(unleash_yggdrasil::UpdateMessage::FullResponse(f));
            let contexts: Vec<unleash_yggdrasil::Context> = users
                .iter()
                .map(|u| unleash_yggdrasil::Context { user_id: Some(u.clone()), ..Default::default() })
                .collect();
            let enabled = contexts.iter().filter(|c| engine.is_enabled("coffee-club", c, &None)).count();
            // Sanity: the pilot ids (about 1,430 of these users) plus about 12% of the rest.
            if !(1430..=2200).contains(&enabled) {
                eprintln!("warning: unleash-yggdrasil enabled {enabled} of 4096 users; the comparison may not be equivalent");
            }
            let m = n / 10;
            let t = Instant::now();
            for i in 0..m {
                hits += usize::from(engine.is_enabled("coffee-club", &contexts[i & 4095], &None));
            }
            t.elapsed().as_nanos() as f64 / m as f64
        });
    std::hint::black_box(hits);
    (decide, lookup, peer.unwrap_or(f64::NAN))
}

/// `cargo xtask bench resolve`.
#[derive(Debug, Args)]
pub(crate) struct ResolveArgs {
    /// Seconds of load per server (the figure holds it for 60).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    connections: u32,
    /// Pilot testers in the policy.
    #[arg(long, default_value_t = 10_000)]
    testers: usize,
}

pub(crate) fn run(args: ResolveArgs, o: &mut Output) -> Result<()> {
    let ResolveArgs {
        seconds: secs,
        connections: conns,
        testers,
    } = args;
    if secs == 0 || conns == 0 {
        bail!("--seconds and --connections must be at least 1");
    }
    // The load generator and the peer, before any work.
    let tools = super::tools::require("resolve", &[super::tools::WRK, super::tools::NGINX])?;
    let (wrk_exe, nginx_exe) = (tools[0].as_path(), tools[1].as_path());
    let tmp = tempfile::tempdir()?;
    let local = super::platform::LocalPlatform::start(&tmp.path().join("platform"))?;
    let (rt, api, admin, addr) = (local.rt, local.api, local.admin, local.addr);
    setup(&api, &admin, tmp.path(), testers)?;
    // One answer, to size nginx's file the same.
    let sample = api
        .http
        .get(format!(
            "{}/v1/resolve?app={APP}&targetApp={TARGET}&user=u-123456",
            api.base
        ))
        .send()?
        .bytes()?;
    let script = tmp.path().join("users.lua");
    std::fs::write(
        &script,
        format!(
            "local n = 0\nrequest = function()\n  n = n + 1\n  return wrk.format(\"GET\", \"/v1/resolve?app={APP}&targetApp={TARGET}&user=u-\" .. (n % {}))\nend\n",
            testers * 2
        ),
    )?;
    // Warm up, then measure.
    wrk(wrk_exe, &format!("http://{addr}/"), Some(&script), 2, conns)?;
    let ours = wrk(
        wrk_exe,
        &format!("http://{addr}/"),
        Some(&script),
        secs,
        conns,
    )?;
    drop(rt);
    let ng_dir = tmp.path().join("nginx");
    std::fs::create_dir_all(&ng_dir)?;
    let (_ng, port) = nginx(nginx_exe, &ng_dir, &sample)?;
    wrk(
        wrk_exe,
        &format!("http://127.0.0.1:{port}/resolve.json"),
        None,
        2,
        conns,
    )?;
    let peer = wrk(
        wrk_exe,
        &format!("http://127.0.0.1:{port}/resolve.json"),
        None,
        secs,
        conns,
    )?;
    let (decide, lookup, ygg) = decision_ns(testers);
    let ratio = ours.rps / peer.rps.max(1.0);
    let v = json!({
        "seconds": secs, "connections": conns, "testers": testers, "answerBytes": sample.len(),
        "resolve": {"rps": ours.rps, "p99Ms": ours.p99_ms, "errors": ours.errors, "requests": ours.requests},
        "nginxStatic": {"rps": peer.rps, "p99Ms": peer.p99_ms, "errors": peer.errors},
        "resolveToNginx": ratio,
        "decisionNs": decide, "hashSetLookupNs": lookup, "yggdrasilNs": ygg, "decisionToYggdrasil": decide / ygg,
        "goals": {"atLeast40kRps": ours.rps >= 40_000.0, "p99AtMost10ms": ours.p99_ms <= 10.0, "zeroErrors": ours.errors == 0, "decisionAtMost100ns": decide <= 100.0},
    });
    o.emit(&v, || {
        let rows = vec![
            vec!["/v1/resolve (signed, per user)".into(), format!("{:.0}", ours.rps), format!("{:.2} ms", ours.p99_ms), ours.errors.to_string()],
            vec!["nginx, static file of the same size".into(), format!("{:.0}", peer.rps), format!("{:.2} ms", peer.p99_ms), peer.errors.to_string()],
        ];
        format!(
            "{secs} s, {conns} connections, {testers} pilot testers, {} B answers\n{}resolve / nginx: {ratio:.2}\nin-process decision: {decide:.1} ns; unleash-yggdrasil on the same rollout: {ygg:.1} ns ({:.2}x); a HashSet lookup alone: {lookup:.1} ns\n",
            sample.len(),
            table(&["what", "requests/s", "p99", "errors"], &rows),
            decide / ygg
        )
    })?;
    Ok(())
}
