//! Compatibility testing through the engine (`mpkit_compat`): the
//! fixtures under `tests/fixtures/compat/`, the sample app against every
//! default profile, the simulated network conditions against a server on
//! 127.0.0.1, and a profile's missing APIs really missing at run time.
//! Nothing leaves the machine: compatibility runs resolve no names.

use mpkit_compat::{self as compat, Input, Options, Problem, Report, Severity, Status};
use mpkit_testkit::{big_stack, MiniProgram};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn fixture(name: &str) -> PathBuf {
    mpkit_testkit::fixture(&format!("compat/{name}"))
}

fn profiles(names: &[&str]) -> Vec<compat::Profile> {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    compat::select(&compat::default_profiles(), &names).expect("profiles")
}

fn check(dir: PathBuf, names: &[&str], opts: &Options) -> Report {
    compat::check(&Input::Dir(dir), &profiles(names), opts).expect("report")
}

fn profile<'a>(r: &'a Report, name: &str) -> &'a compat::report::ProfileReport {
    r.profiles
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", r.to_json()))
}

fn of_kind<'a>(p: &'a compat::report::ProfileReport, kind: &str) -> Vec<&'a Problem> {
    p.problems.iter().filter(|x| x.kind == kind).collect()
}

const ALL: &[&str] = &[
    "ios-17-iphone15",
    "android-14-pixel8",
    "android-10-lowend",
    "harmonyos-4",
    "desktop-macos",
];

/// A tiny HTTP server on 127.0.0.1 that answers `GET /menu` with a JSON menu
/// and counts the requests it saw.
struct Server {
    port: u16,
    hits: Arc<AtomicUsize>,
}

fn serve() -> Server {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for conn in l.incoming().flatten() {
            let h = h.clone();
            std::thread::spawn(move || answer(conn, &h));
        }
    });
    Server { port, hits }
}

fn answer(conn: TcpStream, hits: &AtomicUsize) {
    let mut r = BufReader::new(conn.try_clone().expect("clone"));
    let mut line = String::new();
    if r.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; len];
    let _ = r.read_exact(&mut body);
    hits.fetch_add(1, Ordering::SeqCst);
    let out = json!({"items": ["espresso", "latte"]}).to_string();
    let mut c = conn;
    let _ = write!(
        c,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{out}",
        out.len()
    );
}

#[test]
fn an_api_missing_from_one_profile_fails_that_profile_only() {
    big_stack(|| {
        let r = check(fixture("missing-api"), ALL, &Options::new());
        assert_eq!(r.schema, "mpkit.compat/1");
        let low = profile(&r, "android-10-lowend");
        assert_eq!(low.status, Status::Fail, "{:#?}", low.problems);
        // Static: found by parsing, with its position.
        let missing = of_kind(low, "api-missing");
        assert_eq!(missing.len(), 1, "{missing:#?}");
        assert_eq!(missing[0].severity, Severity::Error);
        assert_eq!(missing[0].file.as_deref(), Some("pages/index/index.js"));
        assert_eq!(missing[0].line, Some(6));
        assert!(missing[0].message.contains("my.setClipboard"));
        // Dynamic: the API really is missing during that profile's run:
        // `my.setClipboard` is undefined there, as on a host without it, so
        // the tap that calls it throws a TypeError at that line.
        let thrown = of_kind(low, "uncaught-error");
        assert!(
            thrown.iter().any(|p| p.message.contains("TypeError")
                && p.file.as_deref() == Some("pages/index/index.js")
                && p.line == Some(6)),
            "{thrown:#?}"
        );
        for other in ALL.iter().filter(|n| **n != "android-10-lowend") {
            let p = profile(&r, other);
            assert_eq!(p.status, Status::Pass, "{other}: {:#?}", p.problems);
            // There it exists; the headless user declines the consent prompt.
            assert!(p
                .problems
                .iter()
                .any(|x| x.severity == Severity::Info && x.message.contains("error 11")));
        }
        assert_eq!(r.status, Status::Fail);
        assert!(r.failed());
    });
}

#[test]
fn a_page_that_throws_on_a_slow_network_fails_under_slow_2g_only() {
    big_stack(|| {
        let srv = serve();
        let origin = format!("http://127.0.0.1:{}", srv.port);
        let opts = Options::new()
            .dev_origins(vec![origin.clone()])
            .query("base", &origin);
        let started = Instant::now();
        let r = check(fixture("slow-network"), &["ios-17-iphone15"], &opts);
        let p = profile(&r, "ios-17-iphone15");
        assert_eq!(p.status, Status::Fail, "{:#?}", p.problems);
        let errors: Vec<&Problem> = p
            .problems
            .iter()
            .filter(|x| x.severity == Severity::Error)
            .collect();
        assert_eq!(errors.len(), 1, "{errors:#?}");
        let e = errors[0];
        assert_eq!(e.kind, "uncaught-error");
        assert_eq!(e.conditions, ["slow-2g"], "{e:#?}");
        assert_eq!(e.page.as_deref(), Some("pages/index/index"));
        assert_eq!(e.file.as_deref(), Some("pages/index/index.js"));
        assert!(e.message.contains("did not arrive within a second"));
        // Online, the request reached the server and succeeded; slow-2g reached
        // it late; offline and flaky (a 503 first) never reached it.
        assert_eq!(srv.hits.load(Ordering::SeqCst), 2);
        let flaky: Vec<&Problem> = p
            .problems
            .iter()
            .filter(|x| x.conditions.contains(&"flaky".to_string()))
            .collect();
        assert!(
            flaky
                .iter()
                .any(|x| x.message.contains("my.request failed with error 19")),
            "{flaky:#?}"
        );
        let offline: Vec<&Problem> = p
            .problems
            .iter()
            .filter(|x| x.conditions.contains(&"offline".to_string()))
            .collect();
        assert!(
            offline
                .iter()
                .any(|x| x.message.contains("my.request failed with error 12")),
            "{offline:#?}"
        );
        assert!(
            !p.problems
                .iter()
                .any(|x| x.conditions.contains(&"online".to_string())),
            "{:#?}",
            p.problems
        );
        assert!(started.elapsed() < Duration::from_secs(60));
    });
}

#[test]
fn a_300_kb_set_data_is_flagged() {
    big_stack(|| {
        let r = check(
            fixture("big-setdata"),
            &["ios-17-iphone15", "desktop-macos"],
            &Options::new(),
        );
        for p in &r.profiles {
            assert_eq!(p.status, Status::Warn, "{}: {:#?}", p.name, p.problems);
            let big = of_kind(p, "set-data-size");
            assert_eq!(big.len(), 1, "{big:#?}");
            assert_eq!(big[0].page.as_deref(), Some("pages/index/index"));
            assert!(big[0].message.contains("301 KB"), "{}", big[0].message);
            // Merged across every run of the profile.
            assert_eq!(big[0].conditions.len(), p.runs.len());
        }
    });
}

#[test]
fn the_sample_app_passes_every_default_profile() {
    big_stack(|| {
        let r = check(mpkit_sample_app::miniprogram_dir(), ALL, &Options::new());
        for p in &r.profiles {
            assert_eq!(p.status, Status::Pass, "{}: {:#?}", p.name, p.problems);
            assert!(!p.runs.is_empty());
            for run in &p.runs {
                assert_eq!(run.pages, 7, "{run:?}");
                assert!(run.taps > 0, "{run:?}");
            }
        }
        assert_eq!(r.status, Status::Pass);
        // Its menu request fails (no backend, no names resolve) and it falls
        // back to the built-in menu: handled, so a note, never a failure.
        let ios = profile(&r, "ios-17-iphone15");
        assert!(ios.problems.iter().any(|x| x.severity == Severity::Info
            && x.message.contains("my.request failed with error 12")));
        // The wallet's own API is guarded with my.canIUse: a note, not an error.
        let guarded = of_kind(ios, "api-missing");
        assert!(guarded.iter().all(|x| x.severity == Severity::Info));
        assert!(guarded
            .iter()
            .any(|x| x.message.contains("my.getWalletBalance")));
        // The compat section's query opened the item page on an item; the
        // stores subpackage's page is visited too.
        assert_eq!(r.app.pages.len(), 7);
        assert!(r.js_files >= 7);
    });
}

#[test]
fn a_bundle_whose_js_does_not_parse_is_a_static_problem_with_its_position() {
    big_stack(|| {
        let r = check(fixture("broken-js"), &["ios-17-iphone15"], &Options::new());
        let p = profile(&r, "ios-17-iphone15");
        assert_eq!(p.status, Status::Fail);
        let parse = of_kind(p, "parse-error");
        assert_eq!(parse.len(), 1, "{:#?}", p.problems);
        assert_eq!(parse[0].file.as_deref(), Some("pages/index/index.js"));
        assert_eq!(parse[0].line, Some(4));
        assert!(parse[0].column.is_some());
        // Not reported again by every dynamic run.
        assert_eq!(
            p.problems
                .iter()
                .filter(|x| x.severity == Severity::Error)
                .count(),
            1,
            "{:#?}",
            p.problems
        );
    });
}

#[test]
fn the_report_escapes_hostile_titles_and_messages() {
    big_stack(|| {
        let r = check(
            fixture("hostile-title"),
            &["ios-17-iphone15"],
            &Options::new(),
        );
        assert_eq!(r.app.pages[0].title, "<script>alert(3)</script>");
        let p = profile(&r, "ios-17-iphone15");
        assert!(p
            .problems
            .iter()
            .any(|x| x.message.contains("<img src=x onerror=alert(5)>")));
        let html = r.to_html();
        for raw in ["<script>", "<img", "</td><script>"] {
            assert!(!html.contains(raw), "{raw} in the HTML");
        }
        // alert(2) is the app's default title, which the page's own replaces.
        for n in [1, 3, 4, 5] {
            assert!(
                html.contains(&format!("alert({n})")),
                "alert({n}) is shown, escaped"
            );
        }
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains(compat::VISUAL_UNAVAILABLE));
        // The JSON round-trips through its own types.
        let v: Value = r.to_json();
        let back: Report = serde_json::from_value(v).expect("schema types");
        assert_eq!(back, r);
    });
}

#[test]
fn compat_section_queries_reach_the_page_and_bad_entries_are_warned() {
    big_stack(|| {
        let dir = tempfile::tempdir().expect("tmp");
        let app = MiniProgram::new(&json!({
            "appId": "test.compat.query", "name": "Query", "version": "1.0.0",
            "pages": ["pages/item/item"],
            "compat": {"queries": {"pages/item/item": {"id": "latte"}, "pages/nope/nope": {}}, "screens": 1}
        }))
        .page(
            "pages/item/item",
            "<text>{{id}}</text>",
            "Page({ onLoad(q) { if (q.id !== 'latte') throw new Error('no id: ' + JSON.stringify(q)); this.setData({id: q.id}); } });",
        )
        .write(&dir.path().join("app"));
        let mut only_online = profiles(&["ios-17-iphone15"]);
        only_online[0].network.truncate(1);
        let r = compat::check(&Input::Dir(app), &only_online, &Options::new()).expect("report");
        let p = &r.profiles[0];
        assert!(of_kind(p, "uncaught-error").is_empty(), "{:#?}", p.problems);
        let config = of_kind(p, "compat-config");
        assert_eq!(config.len(), 2, "{config:#?}");
        assert_eq!(p.status, Status::Warn);
    });
}

/// The host's side of a profile: `available_apis` removes the rest for
/// `my.canIUse` and the dispatcher alike, and the simulated conditions apply
/// through the host's network hook (`HostBuilder::net_shaper`) without reaching
/// the server.
#[test]
fn a_hosts_api_subset_and_network_conditions_hold_at_run_time() {
    use mpkit_compat::NetCondition;
    use mpkit_host::HeadlessSurface;
    use mpkit_host::{Host, LaunchSource};
    use mpkit_host::{Isolation, ThreadOptIn};
    big_stack(|| {
        let srv = serve();
        let origin = format!("http://127.0.0.1:{}", srv.port);
        let dir = tempfile::tempdir().expect("tmp");
        let js = format!(
                "Page({{ data: {{out: ''}}, onLoad() {{
                  const seen = [my.canIUse('vibrate'), my.canIUse('showToast'), my.canIUse('navigateTo')];
                  const t0 = Date.now();
                  const go = (n, acc) => n === 0
                    ? this.setData({{out: JSON.stringify({{seen, acc}})}})
                    : my.request({{url: '{origin}/menu', timeout: 1000,
                        success: (r) => go(n - 1, acc.concat(['ok ' + (Date.now() - t0)])),
                        fail: (e) => go(n - 1, acc.concat([e.error + ' ' + (Date.now() - t0)]))}});
                  // A host without the API has no such property, as on Alipay.
                  if (my.vibrate) my.vibrate({{fail: (e) => {{ seen.push('vibrate ' + e.error); go(3, []); }}}});
                  else {{ seen.push('vibrate ' + typeof my.vibrate); go(3, []); }}
                }} }});"
        );
        let app = MiniProgram::new(&json!({
            "appId": "test.compat.subset", "name": "Subset", "version": "1.0.0",
            "pages": ["pages/index/index"],
            "permissions": {"jsapi": ["request", "vibrate"]}}))
        .page(
            "pages/index/index",
            "<text class=\"out\" a:if=\"{{out}}\">{{out}}</text>",
            &js,
        )
        .write(&dir.path().join("app"));
        let run = |condition: NetCondition| -> Value {
            let store = tempfile::tempdir().expect("tmp");
            let unused = mpkit_bundle::SecretKey::generate().expect("key");
            let host = Host::builder()
                .trust(mpkit_bundle::Trust::Developer(vec![unused
                    .public()
                    .clone()]))
                .storage_dir(store.path())
                .isolation(Isolation::Thread(ThreadOptIn::ACCEPT_UNCONTAINED))
                .dev_mode(true)
                .dev_origins([origin.as_str()])
                .available_apis(["request", "showToast"])
                .net_shaper(Arc::new(condition))
                .build()
                .expect("host");
            let mut h = host
                .launch(
                    LaunchSource::DevDir(app.clone()),
                    "u",
                    Default::default(),
                    HeadlessSurface::new(),
                )
                .expect("launch");
            h.wait_for(".out", Duration::from_secs(20))
                .unwrap_or_else(|e| panic!("{e}: {}", h.html()));
            let text = h.text(".out").expect("out");
            serde_json::from_str(&text).expect("json")
        };
        let before = srv.hits.load(Ordering::SeqCst);
        let v = run(NetCondition::Offline);
        assert_eq!(
            v["seen"],
            json!([false, true, true, "vibrate undefined"]),
            "{v}"
        );
        let acc: Vec<String> = serde_json::from_value(v["acc"].clone()).expect("acc");
        assert!(acc.iter().all(|a| a.starts_with("12 ")), "{acc:?}");
        assert_eq!(
            srv.hits.load(Ordering::SeqCst),
            before,
            "offline never connects"
        );

        let v = run(NetCondition::Flaky {
            stall: Duration::from_millis(300),
            status: 503,
        });
        let acc: Vec<String> = serde_json::from_value(v["acc"].clone()).expect("acc");
        assert!(acc[0].starts_with("19 "), "{acc:?}");
        assert!(acc[1].starts_with("13 "), "{acc:?}");
        let stalled: u64 = acc[1][3..].parse().expect("ms");
        assert!(stalled >= 300, "{acc:?}");
        assert!(acc[2].starts_with("19 "), "{acc:?}");
        assert_eq!(
            srv.hits.load(Ordering::SeqCst),
            before,
            "flaky never connects"
        );

        let v = run(NetCondition::Slow {
            latency: Duration::from_millis(250),
            bytes_per_sec: None,
        });
        let acc: Vec<String> = serde_json::from_value(v["acc"].clone()).expect("acc");
        let times: Vec<u64> = acc
            .iter()
            .map(|a| {
                assert!(a.starts_with("ok "), "{acc:?}");
                a[3..].parse().expect("ms")
            })
            .collect();
        assert!(times[0] >= 250 && times[2] >= 750, "{times:?}");
        assert_eq!(srv.hits.load(Ordering::SeqCst), before + 3);

        let v = run(NetCondition::Slow {
            latency: Duration::from_millis(1500),
            bytes_per_sec: None,
        });
        let acc: Vec<String> = serde_json::from_value(v["acc"].clone()).expect("acc");
        assert!(
            acc[0].starts_with("13 "),
            "latency past the timeout: {acc:?}"
        );
    });
}

#[test]
fn a_ticking_clock_is_not_busy_but_an_endless_timeout_chain_is() {
    big_stack(|| {
        let dir = tempfile::tempdir().expect("tmp");
        let app = MiniProgram::new(&json!({
            "appId": "test.compat.timers", "name": "Timers", "version": "1.0.0",
            "pages": ["pages/clock/clock", "pages/chain/chain"]}))
        .page(
            "pages/clock/clock",
            "<view><text>{{t}}</text><button onTap=\"reset\">reset</button></view>",
            "Page({ data: {t: 0}, onLoad() { setInterval(() => this.setData({t: this.data.t + 1}), 200); }, reset() { this.setData({t: 0}); } });",
        )
        .page(
            "pages/chain/chain",
            "<view>busy</view>",
            "Page({ onLoad() { const again = () => setTimeout(again, 100); again(); } });",
        )
        .write(&dir.path().join("app"));
        let mut online = profiles(&["ios-17-iphone15"]);
        online[0].network.truncate(1);
        let mut opts = Options::new();
        opts.page_timeout = Duration::from_secs(2);
        let started = Instant::now();
        let r = compat::check(&Input::Dir(app), &online, &opts).expect("report");
        let p = &r.profiles[0];
        let timeouts = of_kind(p, "timeout");
        assert_eq!(timeouts.len(), 1, "{:#?}", p.problems);
        assert_eq!(timeouts[0].page.as_deref(), Some("pages/chain/chain"));
        assert_eq!(p.status, Status::Warn);
        assert_eq!(p.runs[0].taps, 1);
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{:?}",
            started.elapsed()
        );
    });
}

/// An integrator's profile lists its own API, and `host_setup` provides it in
/// every run: the sample wallet's `my.getWalletBalance`.
#[test]
fn a_wallets_own_api_is_provided_through_the_host_setup() {
    big_stack(|| {
        let mut wallet = profiles(&["ios-17-iphone15"]);
        wallet[0].name = "sample-wallet".into();
        wallet[0].network.truncate(1);
        wallet[0]
            .apis
            .insert(mpkit_sample_app::wallet::BALANCE_API.into(), "1.0".into());
        let opts = Options::new().host_setup(Arc::new(|b: mpkit_host::HostBuilder| {
            b.register_api(
                mpkit_sample_app::wallet::balance_api(),
                |_: &mpkit_jsapi::Call<'_>| -> Result<Value, mpkit_jsapi::ApiError> {
                    Ok(json!({"balance": 1250, "currency": "SGD"}))
                },
            )
        }));
        let r = compat::check(
            &Input::Dir(mpkit_sample_app::miniprogram_dir()),
            &wallet,
            &opts,
        )
        .expect("report");
        let p = &r.profiles[0];
        assert_eq!(p.status, Status::Pass, "{:#?}", p.problems);
        assert!(of_kind(p, "api-missing").is_empty(), "{:#?}", p.problems);
        // Called for real: the headless user declines its scope.
        assert!(
            p.problems.iter().any(|x| x
                .message
                .contains("my.getWalletBalance failed with error 11")),
            "{:#?}",
            p.problems
        );
    });
}

/// The hostile pages of issue 21 fail their compatibility run, with the
/// reason: a `{{ }}` chain of 25,000 links or sums is a render error at its
/// line and column (it used to overflow the host's stack, and the report
/// never came), and a page whose render would take minutes is stopped at
/// its budget.
#[test]
fn hostile_templates_fail_with_their_reason() {
    big_stack(|| {
        let work = tempfile::tempdir().expect("dir");
        let write = |name: &str, axml: String, data: &str| {
            MiniProgram::new(
                &json!({"appId": format!("test.compat.{name}"), "name": name,
                                     "version": "1.0.0", "pages": ["pages/index/index"]}),
            )
            .page(
                "pages/index/index",
                &axml,
                &format!("Page({{ data: {data} }});"),
            )
            .write(&work.path().join(name))
        };
        for (name, chain) in [
            ("links", ".b".repeat(25_000)),
            ("sums", "+1".repeat(25_000)),
        ] {
            let dir = write(
                name,
                format!("<view>\n<text>{{{{ a{chain} }}}}</text></view>"),
                "{}",
            );
            let r = check(dir, &["ios-17-iphone15"], &Options::new());
            let p = profile(&r, "ios-17-iphone15");
            assert_eq!(p.status, Status::Fail, "{name}");
            let render = of_kind(p, "render-error");
            assert!(!render.is_empty(), "{name}: {:#?}", p.problems);
            assert_eq!(render[0].file.as_deref(), Some("pages/index/index.axml"));
            assert_eq!(render[0].line, Some(2));
            assert!(
                render[0]
                    .message
                    .starts_with("in expression: expression too long: more than 256"),
                "{name}: {}",
                render[0].message
            );
        }
        let dir = write(
            "runaway",
            r#"<block a:for="{{n}}"><view a:for="{{n}}" a:if="{{false}}"/></block>"#.into(),
            "{ n: 100000 }",
        );
        let started = Instant::now();
        let r = check(dir, &["ios-17-iphone15"], &Options::new());
        let p = profile(&r, "ios-17-iphone15");
        assert_eq!(p.status, Status::Fail);
        let stopped = of_kind(p, "stopped");
        assert!(!stopped.is_empty(), "{:#?}", p.problems);
        assert!(
            stopped[0]
                .message
                .contains("did not finish rendering within 2s and the mini program was stopped"),
            "{}",
            stopped[0].message
        );
        assert!(started.elapsed() < Duration::from_secs(60));
    });
}
