//! The webview surface for real: WebKitGTK under Xvfb (the test command runs
//! this binary under xvfb-run). One event loop owns the main thread; the
//! scenarios run on a driver thread, in order, and the first failure ends the
//! run with its message. This binary is its own harness because GTK wants the
//! main thread and logic workers re-enter it through `enter_if_worker`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use mpkit_bundle::AppId;
use mpkit_host::Isolation;
use mpkit_host::{enter_if_worker, WorkerConfig};
use mpkit_host::{Host, LaunchSource};
use mpkit_host::{NoDelegate, PayResult};
use mpkit_testkit::{copy_dir, offline_network};
use mpkit_webview::{Driver, LaunchFn, OpenOptions, Slot, WebviewApp, WebviewConfig};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

type Check = Result<(), String>;

const WAIT: Duration = Duration::from_secs(30);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-app/miniprogram")
}

/// A dev-mode host launching `dir` onto the window, in a worker process,
/// with every name lookup refused (tests stay on this machine).
fn launcher(dir: PathBuf, storage: PathBuf) -> LaunchFn {
    launcher_with(dir, storage, Duration::from_secs(5))
}

fn launcher_with(dir: PathBuf, storage: PathBuf, watchdog: Duration) -> LaunchFn {
    launcher_full(dir, storage, watchdog, Arc::new(|| Rc::new(NoDelegate)))
}

/// Makes the embedding app's delegate, on the app thread (it is `!Send`).
type MakeDelegate = Arc<dyn Fn() -> Rc<dyn mpkit_host::HostDelegate> + Send + Sync>;

/// A delegate that shows allowlisted web views itself and records them.
struct WebViews(Arc<std::sync::Mutex<Vec<String>>>);

impl mpkit_host::HostDelegate for WebViews {
    fn open_web_view(&self, _app: &AppId, url: &str) -> bool {
        if let Ok(mut v) = self.0.lock() {
            v.push(url.to_owned());
        }
        true
    }
}

/// A wallet whose own payment check passes and whose payments go through:
/// what a mini program's tradePay gets then depends on the chrome's sheet.
struct Payer;

impl mpkit_host::HostDelegate for Payer {
    fn confirm_payment(&self, _app: &AppId, _user: &str, _trade_no: &str) -> bool {
        true
    }
    fn pay(&self, _app: &AppId, _user: &str, _trade_no: &str) -> PayResult {
        PayResult::Paid
    }
}

fn launcher_full(
    dir: PathBuf,
    storage: PathBuf,
    watchdog: Duration,
    make_delegate: MakeDelegate,
) -> LaunchFn {
    Arc::new(move |ctx| {
        let delegate = make_delegate();
        // Dev mode: each launch signs the directory with a throwaway key.
        let unused = mpkit_bundle::SecretKey::generate()?;
        let host = Host::builder()
            .trust(mpkit_bundle::Trust::Developer(vec![unused
                .public()
                .clone()]))
            .storage_dir(storage.clone())
            .isolation(Isolation::Process(WorkerConfig {
                timeout: watchdog,
                ..WorkerConfig::default()
            }))
            .dev_mode(true)
            .delegate(ctx.chrome(delegate))
            .network(offline_network())
            .build()?;
        host.launch_at(
            LaunchSource::DevDir(dir.clone()),
            &ctx.user,
            ctx.route.as_deref(),
            ctx.query.clone(),
            ctx.surface,
        )
    })
}

fn ensure(ok: bool, what: impl Into<String>) -> Check {
    if ok {
        Ok(())
    } else {
        Err(what.into())
    }
}

struct Env {
    d: Driver,
    tmp: PathBuf,
}

impl Env {
    fn open(&self, dir: PathBuf, user: &str) -> Result<Slot, String> {
        // A host owns its storage directory exclusively: one per window here.
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("app")
            .to_owned();
        let storage = self.tmp.join(format!("store-{user}-{name}"));
        let opts = OpenOptions {
            user: user.into(),
            ..OpenOptions::default()
        };
        let slot = self
            .d
            .open(opts, launcher(dir, storage))
            .map_err(|e| e.to_string())?;
        self.d
            .wait_painted(slot, WAIT)
            .map_err(|e| format!("first paint: {e}"))?;
        Ok(slot)
    }

    fn eval(&self, slot: Slot, js: &str) -> Result<String, String> {
        self.d.eval(slot, js).map_err(|e| format!("{js}: {e}"))
    }

    fn wait(&self, slot: Slot, js: &str) -> Check {
        self.d.wait_js(slot, js, WAIT).map_err(|e| e.to_string())
    }

    fn text(&self, slot: Slot, sel: &str) -> Result<String, String> {
        let js = format!(
            "(function(){{const p=document.querySelector('.mp-page:not([hidden])');const e=p&&p.shadowRoot.querySelector({});return e?e.textContent:null}})()",
            serde_json::to_string(sel).unwrap_or_default()
        );
        self.eval(slot, &js)
    }

    fn click(&self, slot: Slot, sel: &str) -> Check {
        let js = format!(
            "(function(){{const p=document.querySelector('.mp-page:not([hidden])');const e=p&&p.shadowRoot.querySelector({0});if(!e)return false;e.click();return true}})()",
            serde_json::to_string(sel).unwrap_or_default()
        );
        ensure(
            self.eval(slot, &js)? == "true",
            format!("nothing to click at {sel}"),
        )
    }
}

fn sample_renders_its_first_page(e: &Env) -> Check {
    let s = e.open(sample(), "alice")?;
    // Coffee Club shows its built-in menu when its API cannot be reached.
    e.wait(
        s,
        "document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelectorAll('.menu-item').length > 0",
    )?;
    let title = e.eval(s, "document.getElementById('mp-title').textContent")?;
    ensure(title == "\"Menu\"", format!("title {title}"))?;
    let tabs = e.eval(s, "document.querySelectorAll('#mp-tabs button').length")?;
    ensure(tabs == "3", format!("tabBar buttons {tabs}"))?;
    // Images come from the bundle over mpkit://.
    e.wait(
        s,
        "Array.from(document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelectorAll('img')).some(i => i.complete && i.naturalWidth > 0 && i.src.startsWith('mpkit://2021000000000001/'))",
    )?;
    let status = e.d.status(s).map_err(|x| x.to_string())?.ok_or("closed")?;
    ensure(
        status.refused_requests.is_empty(),
        format!("refused {:?}", status.refused_requests),
    )?;
    e.d.close(s).map_err(|x| x.to_string())
}

fn tap_set_data_and_navigation(e: &Env) -> Check {
    let s = e.open(fixture("counter"), "bob")?;
    ensure(e.text(s, "#count")? == "\"0\"", "count starts at 0")?;
    e.click(s, "#inc")?;
    e.wait(
        s,
        "document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelector('#count').textContent === '1'",
    )?;
    e.click(s, "#inc")?;
    e.wait(
        s,
        "document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelector('#count').textContent === '2'",
    )?;
    // Patches reach the page as a JSON string: quotes, backslashes, line
    // separators and script tags arrive as text, and nothing runs.
    e.click(s, "#quotes")?;
    e.wait(
        s,
        "document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelector('#answer').textContent.length > 0",
    )?;
    let want = "\"),alert(1),(\" \\ \u{2028} \u{2029} </script> ${x} ' `";
    ensure(
        e.text(s, "#answer")? == serde_json::to_string(want).unwrap_or_default(),
        format!("hostile text arrived as text: {}", e.text(s, "#answer")?),
    )?;
    // The page's ACSS arrived, rpx converted, from the app's own origin.
    let colour = e.eval(
        s,
        "getComputedStyle(document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelector('#count')).color",
    )?;
    ensure(
        colour == "\"rgb(204, 0, 0)\"",
        format!("page css colour {colour}"),
    )?;
    // navigateTo, then the back button.
    e.click(s, "#go")?;
    e.wait(
        s,
        "document.getElementById('mp-title').textContent === 'Second'",
    )?;
    ensure(
        e.text(s, "#second")? == "\"Second page from index\"",
        "second page text",
    )?;
    ensure(
        e.eval(s, "document.querySelectorAll('.mp-page').length")? == "2",
        "two pages on the stack",
    )?;
    ensure(
        e.eval(s, "document.getElementById('mp-back').hidden")? == "false",
        "back button shown",
    )?;
    e.eval(s, "document.getElementById('mp-back').click()")?;
    e.wait(s, "document.querySelectorAll('.mp-page').length === 1")?;
    ensure(
        e.text(s, "#count")? == "\"2\"",
        "the first page kept its data",
    )?;
    // The stack holds ten pages at most: the eleventh navigateTo fails.
    e.click(s, "#go")?;
    e.wait(s, "document.querySelectorAll('.mp-page').length === 2")?;
    for depth in 3..=10 {
        e.click(s, "#deeper")?;
        e.wait(
            s,
            &format!("document.querySelectorAll('.mp-page').length === {depth}"),
        )?;
    }
    e.click(s, "#deeper")?;
    e.wait(
        s,
        "document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelector('#refused').textContent.startsWith('refused')",
    )?;
    ensure(
        e.eval(s, "document.querySelectorAll('.mp-page').length")? == "10",
        "ten pages, not eleven",
    )?;
    e.eval(s, "document.getElementById('mp-back').click()")?;
    e.wait(s, "document.querySelectorAll('.mp-page').length === 9")?;
    for depth in (1..=8).rev() {
        e.eval(s, "document.getElementById('mp-back').click()")?;
        e.wait(
            s,
            &format!("document.querySelectorAll('.mp-page').length === {depth}"),
        )?;
    }
    // The back key works the same way.
    e.click(s, "#go")?;
    e.wait(s, "document.querySelectorAll('.mp-page').length === 2")?;
    e.eval(
        s,
        "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'}))",
    )?;
    e.wait(s, "document.querySelectorAll('.mp-page').length === 1")?;
    // A modal question answered in the chrome reaches the JS callback.
    e.click(s, "#ask")?;
    e.wait(s, "!document.getElementById('mp-modal').hidden")?;
    let q = e.eval(s, "document.querySelector('#mp-modal p').textContent")?;
    ensure(q == "\"Really add ten?\"", format!("modal text {q}"))?;
    e.eval(s, "document.querySelector('#mp-modal .mp-ok').click()")?;
    e.wait(
        s,
        "document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelector('#answer').textContent === 'yes'",
    )?;
    // A form submits what the user typed, from its submit button.
    e.eval(
        s,
        "(() => { const i = document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelector('#who'); \
           i.value = 'Zoe'; i.dispatchEvent(new Event('input', { bubbles: true })); return 1; })()",
    )?;
    e.click(s, "#send")?;
    e.wait(
        s,
        "document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelector('#answer').textContent === 'sent Zoe'",
    )?;
    // A toast shows in the chrome.
    e.click(s, "#toast")?;
    e.wait(
        s,
        "!document.getElementById('mp-toast').hidden && document.getElementById('mp-toast').textContent === 'Saved'",
    )?;
    // An uncaught JS error shows over the page with its file and line; the
    // page keeps working under it.
    e.click(s, "#boom")?;
    e.wait(s, "!document.getElementById('mp-overlay').hidden")?;
    let where_ = e.eval(
        s,
        "document.querySelector('#mp-overlay .mp-where').textContent",
    )?;
    ensure(
        where_.starts_with("\"pages/index/index.js:")
            && where_.len() > "\"pages/index/index.js:\"".len(),
        format!("overlay names the file and line: {where_}"),
    )?;
    let text = e.eval(s, "document.getElementById('mp-overlay').textContent")?;
    ensure(
        text.contains("TypeError"),
        format!("overlay message: {text}"),
    )?;
    e.eval(s, "document.getElementById('mp-overlay').click()")?;
    e.wait(s, "document.getElementById('mp-overlay').hidden")?;
    // An action sheet's choice reaches the JS callback.
    e.click(s, "#sheet")?;
    e.wait(s, "!document.getElementById('mp-modal').hidden")?;
    e.eval(
        s,
        "document.querySelectorAll('#mp-modal .mp-list button')[1].click()",
    )?;
    e.wait(
        s,
        "document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelector('#answer').textContent === 'picked 1'",
    )?;
    // 256 KB of data goes over the protocol (pulled), not through evaluate_script.
    e.click(s, "#big")?;
    e.wait(
        s,
        "document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelectorAll('.big-cell').length === 4096",
    )?;
    let status = e.d.status(s).map_err(|x| x.to_string())?.ok_or("closed")?;
    ensure(
        status.applied.iter().any(|(b, _)| *b > 64 * 1024),
        "a patch above 64 KB was applied",
    )?;
    // It was pulled over mpkit://, not pushed through evaluate_script.
    ensure(
        status.pulled_patches == 1,
        format!("one patch pulled, not {}", status.pulled_patches),
    )?;
    ensure(!status.round_trips.is_empty(), "event round trips measured")?;
    ensure(
        !status.event_trips.is_empty() && status.event_trips.iter().all(|d| !d.is_zero()),
        format!(
            "event round trips timed in the UI process: {:?}",
            status.event_trips
        ),
    )?;
    ensure(status.rejected_ipc == 0, "no IPC was refused so far")?;
    e.d.close(s).map_err(|x| x.to_string())
}

fn hostile_page_inputs_are_refused(e: &Env) -> Check {
    let s = e.open(fixture("counter"), "carol")?;
    let app = "3000000000000001";
    // Navigation away, new windows and other schemes stay blocked. One at a
    // time: a new navigation cancels one still waiting for its decision.
    // (WebKit refuses file:// from this origin before asking anyone.)
    for (js, recorded) in [
        ("location.href = 'https://example.com/'", true),
        ("location.href = 'file:///etc/passwd'", false),
        ("location.href = 'data:text/html,<p>hi</p>'", true),
        ("window.open('https://example.com/popup')", true),
        (
            "location.href = 'mpkit://2021000000000001/__mpkit/shell.html'",
            true,
        ),
    ] {
        let before =
            e.d.status(s)
                .map_err(|x| x.to_string())?
                .ok_or("closed")?
                .blocked
                .len();
        e.eval(s, js)?;
        if recorded {
            e.d.wait_status(s, WAIT, js, |st| st.blocked.len() > before)
                .map_err(|x| x.to_string())?;
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    let href = e.eval(s, "location.href")?;
    ensure(
        href == format!("\"mpkit://{app}/__mpkit/shell.html\""),
        format!("still on the shell: {href}"),
    )?;
    let st = e.d.status(s).map_err(|x| x.to_string())?.ok_or("closed")?;
    for want in [
        "https://example.com/",
        "data:text/html",
        "mpkit://2021000000000001/",
    ] {
        ensure(
            st.blocked.iter().any(|b| b.starts_with(want)),
            format!("{want} not in blocked {:?}", st.blocked),
        )?;
    }
    // javascript: URLs never navigate.
    e.eval(s, "location.href = 'javascript:document.title=\"pwned\"'")?;
    std::thread::sleep(Duration::from_millis(200));
    ensure(
        e.eval(s, "document.title")? != "\"pwned\"",
        "a javascript: URL ran",
    )?;
    // The protocol: the own asset is served; other apps, traversal and logic
    // files are refused.
    let fetch = |url: &str| -> Result<String, String> {
        let js = format!(
            "(function(){{const x=new XMLHttpRequest();try{{x.open('GET',{},false);x.send();return x.status}}catch(err){{return 'error'}}}})()",
            serde_json::to_string(url).unwrap_or_default()
        );
        e.eval(s, &js)
    };
    ensure(fetch("/assets/dot.svg")? == "200", "own asset served")?;
    for url in [
        "mpkit://2021000000000001/assets/latte.svg",
        "/..%2f..%2fapp.json",
        "/assets%2f..%2f..%2fapp.js",
        "/app.js",
        "/pages/index/index.axml",
        "/mpkit/manifest.json",
    ] {
        let got = fetch(url)?;
        ensure(got != "200", format!("{url} was served ({got})"))?;
    }
    let st = e.d.status(s).map_err(|x| x.to_string())?.ok_or("closed")?;
    for want in [
        "leaves the bundle root",
        "app.js is not served",
        "mpkit/manifest.json is not served",
    ] {
        ensure(
            st.refused_requests.iter().any(|r| r.contains(want)),
            format!("{want:?} not in refused {:?}", st.refused_requests),
        )?;
    }
    // Remote content from a page is refused by the CSP or never requested,
    // and nothing a page styles covers or hides the host's chrome.
    e.eval(
        s,
        "window.__violations = []; document.addEventListener('securitypolicyviolation', ev => window.__violations.push(ev.blockedURI), true); true",
    )?;
    e.click(s, "#hostile")?;
    e.wait(
        s,
        "window.__violations.some(u => u.startsWith('https://127.0.0.1:9/'))",
    )?;
    ensure(
        e.eval(s, "document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelector('#remote-img').hasAttribute('src')")? == "false",
        "a remote image src was set",
    )?;
    e.wait(
        s,
        "!!document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelector('.cover')",
    )?;
    let on_nav = e.eval(
        s,
        "(function(){const r=document.getElementById('mp-nav').getBoundingClientRect();const el=document.elementFromPoint(r.left+r.width/2,r.top+r.height/2);return !!el && document.getElementById('mp-nav').contains(el) && getComputedStyle(document.getElementById('mp-nav')).display !== 'none'})()",
    )?;
    ensure(
        on_nav == "true",
        "the page covered or hid the navigation bar",
    )?;
    // Forged IPC: a wrong key, another page, garbage. None reaches the app.
    let before = e.text(s, "#count")?;
    for msg in [
        r#"{"t":"event","page":1,"key":"0000","kind":"tap","target":3,"detail":{}}"#,
        r#"{"t":"event","page":99,"key":"0000","kind":"tap","target":3,"detail":{}}"#,
        r#"{"t":"ui","id":1,"key":"guess","reply":{"confirmed":true}}"#,
        "not json",
    ] {
        e.eval(
            s,
            &format!(
                "window.ipc.postMessage({})",
                serde_json::to_string(msg).unwrap_or_default()
            ),
        )?;
    }
    e.d.wait_status(s, WAIT, "forged IPC refused", |st| st.rejected_ipc >= 4)
        .map_err(|x| x.to_string())?;
    ensure(
        e.text(s, "#count")? == before,
        "a forged tap changed the page",
    )?;
    e.d.close(s).map_err(|x| x.to_string())
}

/// A page's navigation to an allowlisted https origin goes to the embedding
/// app's delegate, which shows it itself here; anything off the list stays
/// blocked and the delegate never hears of it.
fn allowlisted_web_views_go_to_the_delegate(e: &Env) -> Check {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let opts = OpenOptions {
        user: "hana".into(),
        web_allowlist: vec!["https://pay.example.com".into()],
        ..OpenOptions::default()
    };
    let launch = launcher_full(
        fixture("counter"),
        e.tmp.join("store-hana"),
        Duration::from_secs(5),
        {
            let seen = seen.clone();
            Arc::new(move || Rc::new(WebViews(seen.clone())))
        },
    );
    let s = e.d.open(opts, launch).map_err(|x| x.to_string())?;
    e.d.wait_painted(s, WAIT).map_err(|x| x.to_string())?;
    e.eval(
        s,
        "location.href = 'https://pay.example.com/checkout?order=7'",
    )?;
    e.d.wait_status(s, WAIT, "the delegate's web view", |_| {
        seen.lock().is_ok_and(|v| !v.is_empty())
    })
    .map_err(|x| x.to_string())?;
    e.eval(s, "location.href = 'https://pay.example.com.evil.com/'")?;
    let st =
        e.d.wait_status(s, WAIT, "the blocked navigation", |st| {
            !st.blocked.is_empty()
        })
        .map_err(|x| x.to_string())?;
    let got = seen.lock().map(|v| v.clone()).unwrap_or_default();
    ensure(
        got == ["https://pay.example.com/checkout?order=7"],
        format!("the delegate was offered {got:?}"),
    )?;
    ensure(
        st.blocked == ["https://pay.example.com.evil.com/"],
        format!("blocked {:?}", st.blocked),
    )?;
    ensure(
        st.web_views.is_empty(),
        format!(
            "the surface opened {:?} although the delegate showed it",
            st.web_views
        ),
    )?;
    e.d.close(s).map_err(|x| x.to_string())
}

/// Records each question the chrome shows as it appears, and taps its
/// confirm button at once, as a tap meant for the page would land; then when
/// its buttons come alive, and when it closes.
const WATCH_QUESTIONS: &str = "(function(){\
    window.__asked = [];\
    const m = document.getElementById('mp-modal');\
    new MutationObserver(() => {\
      const last = window.__asked[window.__asked.length - 1];\
      const bs = Array.from(m.querySelectorAll('button'));\
      if (!m.hidden && (!last || last.closed)) {\
        const text = (sel) => { const x = m.querySelector(sel); return x ? x.textContent : null; };\
        window.__asked.push({ at: performance.now(), disabled: bs.length > 0 && bs.every(b => b.disabled),\
          marked: m.querySelector('.mp-sheet').classList.contains('mp-consent'), host: text('.mp-host'),\
          title: text('h2'), text: text('p'), buttons: bs.map(b => b.textContent), enabledAt: 0, closed: false });\
        const ok = m.querySelector('.mp-ok');\
        if (ok) ok.click();\
      } else if (m.hidden && last && !last.closed) {\
        last.closed = true;\
      } else if (last && !last.closed && !last.enabledAt && bs.length > 0 && bs.every(b => !b.disabled)) {\
        last.enabledAt = performance.now();\
      }\
    }).observe(m, { attributes: true, attributeFilter: ['hidden', 'disabled'], childList: true, subtree: true });\
    return true;\
  })()";

/// Waits for question `n` to be shown, checks it is marked as the host's
/// and that its buttons were dead when it appeared (the tap that landed
/// at once did nothing) and came alive 600 ms later, then answers it.
fn host_question(
    e: &Env,
    s: Slot,
    n: usize,
    want: (&str, &str, &str, [&str; 2]),
    answer: &str,
) -> Check {
    let (host, title, text, buttons) = want;
    e.wait(s, &format!("window.__asked.length === {}", n + 1))?;
    let q: serde_json::Value = serde_json::from_str(&e.eval(s, &format!("window.__asked[{n}]"))?)
        .map_err(|x| x.to_string())?;
    ensure(
        q["marked"] == true,
        format!("not marked as the host's: {q}"),
    )?;
    ensure(q["host"] == host, format!("host label: {q}"))?;
    ensure(q["title"] == title, format!("title: {q}"))?;
    ensure(q["text"] == text, format!("text: {q}"))?;
    ensure(
        q["buttons"] == serde_json::json!(buttons),
        format!("buttons: {q}"),
    )?;
    ensure(q["disabled"] == true, format!("buttons live at once: {q}"))?;
    // The tap that landed at once was not an answer.
    ensure(
        e.eval(
            s,
            &format!("!document.getElementById('mp-modal').hidden && !window.__asked[{n}].closed"),
        )? == "true",
        "an early tap answered the question",
    )?;
    e.wait(s, &format!("window.__asked[{n}].enabledAt > 0"))?;
    let alive = e.eval(
        s,
        &format!("window.__asked[{n}].enabledAt - window.__asked[{n}].at"),
    )?;
    let ms: f64 = alive
        .parse()
        .map_err(|_| format!("enabled after {alive}"))?;
    ensure(ms >= 590.0, format!("buttons came alive after {ms} ms"))?;
    e.eval(
        s,
        &format!("document.querySelector('#mp-modal {answer}').click()"),
    )?;
    e.wait(s, &format!("window.__asked[{n}].closed"))
}

fn consent_and_payment_are_the_hosts_questions(e: &Env) -> Check {
    let opts = OpenOptions {
        user: "ivan".into(),
        ..OpenOptions::default()
    };
    let launch = launcher_full(
        fixture("asks"),
        e.tmp.join("store-ivan-asks"),
        Duration::from_secs(5),
        Arc::new(|| Rc::new(Payer)),
    );
    let s = e.d.open(opts, launch).map_err(|x| x.to_string())?;
    e.d.wait_painted(s, WAIT).map_err(|x| x.to_string())?;
    e.eval(s, WATCH_QUESTIONS)?;
    let consent = "Wallet permission request";
    let answered = |want: &str| {
        format!(
            "document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelector('#answer').textContent === {}",
            serde_json::to_string(want).unwrap_or_default()
        )
    };
    // Consent, refused.
    e.click(s, "#locate")?;
    host_question(
        e,
        s,
        0,
        (
            consent,
            "Allow access?",
            "This mini program asks to use your location.",
            ["Deny", "Allow"],
        ),
        ".mp-cancel",
    )?;
    e.wait(s, &answered("scope.location denied"))?;
    // Consent, granted.
    e.click(s, "#profile")?;
    host_question(
        e,
        s,
        1,
        (
            consent,
            "Allow access?",
            "This mini program asks to use your profile (name and avatar).",
            ["Deny", "Allow"],
        ),
        ".mp-ok",
    )?;
    e.wait(s, &answered("scope.userInfo allowed"))?;
    // The payment sheet, confirmed, then cancelled.
    let sheet = (
        "Wallet payment",
        "Confirm payment",
        "Pay for order T-42?",
        ["Cancel", "Pay"],
    );
    e.click(s, "#pay")?;
    host_question(e, s, 2, sheet, ".mp-ok")?;
    e.wait(s, &answered("paid 9000"))?;
    e.click(s, "#pay")?;
    host_question(e, s, 3, sheet, ".mp-cancel")?;
    e.wait(s, &answered("paid 6001"))?;
    let st = e.d.status(s).map_err(|x| x.to_string())?.ok_or("closed")?;
    ensure(
        st.open_questions == 0,
        format!("{} questions open", st.open_questions),
    )?;
    ensure(st.rejected_ipc == 0, "no IPC was refused")?;
    e.d.close(s).map_err(|x| x.to_string())
}

fn storage_is_not_shared(e: &Env) -> Check {
    let a = e.open(fixture("counter"), "dave")?;
    let b = e.open(sample(), "dave")?;
    e.eval(a, "localStorage.setItem('secret', 'counter-only')")?;
    e.eval(a, "document.cookie = 'c=counter-only'")?;
    let got = e.eval(b, "localStorage.getItem('secret')")?;
    ensure(got == "null", format!("the other app read {got}"))?;
    let cookie = e.eval(b, "document.cookie")?;
    ensure(
        !cookie.contains("counter-only"),
        format!("cookie shared: {cookie}"),
    )?;
    e.eval(b, "localStorage.setItem('secret', 'sample')")?;
    ensure(
        e.eval(a, "localStorage.getItem('secret')")? == "\"counter-only\"",
        "the first app's value changed",
    )?;
    // The same app for another user: the same mpkit:// origin, so only
    // the data directory per (user, app) keeps them apart.
    let c = e.open(fixture("counter"), "erin")?;
    let got = e.eval(c, "localStorage.getItem('secret')")?;
    ensure(
        got == "null",
        format!("another user of the same app read {got}"),
    )?;
    let cookie = e.eval(c, "document.cookie")?;
    ensure(
        !cookie.contains("counter-only"),
        format!("cookie shared between users: {cookie}"),
    )?;
    e.d.close(c).map_err(|x| x.to_string())?;
    e.d.close(a).map_err(|x| x.to_string())?;
    // The first user's data is still there when the app opens again.
    let a = e.open(fixture("counter"), "dave")?;
    ensure(
        e.eval(a, "localStorage.getItem('secret')")? == "\"counter-only\"",
        "the first user's data was kept",
    )?;
    e.d.close(a).map_err(|x| x.to_string())?;
    e.d.close(b).map_err(|x| x.to_string())
}

fn screenshot_is_not_blank(e: &Env) -> Check {
    let s = e.open(fixture("counter"), "erin")?;
    let png = e.tmp.join("counter.png");
    e.d.screenshot(s, &png).map_err(|x| x.to_string())?;
    let facts = mpkit_webview::describe_png(&png)?;
    ensure(
        facts.width >= 300 && facts.height >= 500,
        format!("screenshot size {facts:?}"),
    )?;
    ensure(
        facts.colours >= 8,
        format!("screenshot looks blank: {facts:?}"),
    )?;
    e.d.close(s).map_err(|x| x.to_string())
}

fn prewarmed_webview_is_used(e: &Env) -> Check {
    let app = AppId::new("3000000000000001").map_err(|x| x.to_string())?;
    e.d.prewarm(app.clone(), "frank")
        .map_err(|x| x.to_string())?;
    std::thread::sleep(Duration::from_millis(500));
    let opts = OpenOptions {
        user: "frank".into(),
        app: Some(app),
        ..OpenOptions::default()
    };
    let s =
        e.d.open(
            opts,
            launcher(fixture("counter"), e.tmp.join("store-frank")),
        )
        .map_err(|x| x.to_string())?;
    e.d.wait_painted(s, WAIT).map_err(|x| x.to_string())?;
    ensure(e.text(s, "#count")? == "\"0\"", "pooled webview renders")?;
    // Opening a different app in a window made for this one is refused.
    let wrong = OpenOptions {
        user: "frank".into(),
        app: Some(AppId::new("someone.else").map_err(|x| x.to_string())?),
        ..OpenOptions::default()
    };
    let w =
        e.d.open(
            wrong,
            launcher(fixture("counter"), e.tmp.join("store-frank-2")),
        )
        .map_err(|x| x.to_string())?;
    match e.d.wait_painted(w, WAIT) {
        Err(mpkit_webview::WebviewError::Failed(m))
            if m.contains("not the app the window was opened for") => {}
        other => return Err(format!("mismatched app: {other:?}")),
    }
    e.d.close(w).map_err(|x| x.to_string())?;
    e.d.close(s).map_err(|x| x.to_string())
}

fn live_reload_keeps_the_route(e: &Env) -> Check {
    let dir = e.tmp.join("reload-app");
    copy_dir(&fixture("counter"), &dir).map_err(|e| e.to_string())?;
    let s = e.open(dir.clone(), "gina")?;
    e.click(s, "#go")?;
    e.wait(
        s,
        "document.getElementById('mp-title').textContent === 'Second'",
    )?;
    std::fs::write(
        dir.join("pages/second/second.axml"),
        r#"<view id="second">Edited {{from}}</view>"#,
    )
    .map_err(|x| x.to_string())?;
    e.d.reload(s).map_err(|x| x.to_string())?;
    e.wait(
        s,
        // The route and its query (`?from=index`) are kept.
        "(function(){const el=document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelector('#second');return !!el && el.textContent === 'Edited index'})()",
    )
    .map_err(|x| {
        let html = e.eval(s, "document.getElementById('mp-pages').innerHTML").unwrap_or_default();
        format!("{x}; status {:?}; pages {html}", e.d.status(s))
    })?;
    // An AXML error shows in the overlay with its file and line.
    std::fs::write(
        dir.join("pages/second/second.axml"),
        "<view id=\"second\">\n  <view a:if=\"{{\">broken</view>\n</view>",
    )
    .map_err(|x| x.to_string())?;
    e.d.reload(s).map_err(|x| x.to_string())?;
    e.wait(s, "!document.getElementById('mp-overlay').hidden")?;
    let where_ = e.eval(
        s,
        "document.querySelector('#mp-overlay .mp-where').textContent",
    )?;
    ensure(
        where_.contains("pages/second/second.axml:2"),
        format!("overlay names {where_}"),
    )?;
    e.d.close(s).map_err(|x| x.to_string())
}

fn a_hostile_mini_program_only_kills_itself(e: &Env) -> Check {
    let good = e.open(fixture("counter"), "hank")?;
    let opts = OpenOptions {
        user: "hank".into(),
        ..OpenOptions::default()
    };
    let bad =
        e.d.open(
            opts,
            launcher_with(
                fixture("spinner"),
                e.tmp.join("store-hank-spinner"),
                Duration::from_millis(800),
            ),
        )
        .map_err(|x| x.to_string())?;
    e.d.wait_painted(bad, WAIT).map_err(|x| x.to_string())?;
    e.click(bad, "#spin")?;
    // Either the watchdog kills its worker, or boa's loop limit ends the
    // handler first (whichever trips first on a loaded machine).
    let st =
        e.d.wait_status(bad, WAIT, "the watchdog or the loop limit", |st| {
            st.failure.is_some() || st.page_errors.iter().any(|p| p.contains("limit"))
        })
        .or_else(|x| match x {
            mpkit_webview::WebviewError::Failed(m) => Ok(mpkit_webview::Status {
                failure: Some(m),
                ..mpkit_webview::Status::default()
            }),
            other => Err(format!("{other}: {:?}", e.d.status(bad))),
        })?;
    match &st.failure {
        Some(f) => ensure(
            f.contains("was stopped") && f.contains("without yielding"),
            format!("failure {f}"),
        )?,
        None => ensure(
            st.page_errors.iter().any(|p| p.contains("limit")),
            format!("errors {:?}", st.page_errors),
        )?,
    }
    // Killed: its window says so, and stays responsive.
    if st.failure.is_some() {
        e.wait(bad, "!document.getElementById('mp-overlay').hidden")?;
    }
    // The other mini program never noticed.
    e.click(good, "#inc")?;
    e.wait(
        good,
        "document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelector('#count').textContent === '1'",
    )?;
    e.d.close(bad).map_err(|x| x.to_string())?;
    e.d.close(good).map_err(|x| x.to_string())
}

/// my.createSelectorQuery measures the page as laid out in the webview,
/// and a canvas context's draw paints the real `<canvas>`.
fn selector_queries_measure_and_canvases_paint(e: &Env) -> Check {
    let s = e.open(fixture("views"), "carol")?;
    e.wait(
        s,
        "document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelector('#drawn').textContent === 'yes'",
    )?;
    let rect = e.text(s, "#rect")?;
    ensure(rect == "\"6,10,120,40\"", format!("rect {rect}"))?;
    let red = e.eval(
        s,
        "(function(){const c=document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelector('canvas');return Array.from(c.getContext('2d').getImageData(5,5,1,1).data).join(',')})()",
    )?;
    ensure(red == "\"255,0,0,255\"", format!("canvas pixel {red}"))?;
    e.d.close(s).map_err(|x| x.to_string())
}

/// Ant Design Mini's gallery (tests/antd-gallery, installed by the test
/// command) in the webview: its form page, its overlays page and the page
/// of all 72 components render with no error overlay, each screenshot is
/// not blank, a tap on the Switch reaches the page's handler and one on
/// "open modal" shows the Modal.
fn ant_design_mini_renders_in_the_webview(e: &Env) -> Check {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/antd-gallery");
    if !dir.join("node_modules/antd-mini/package.json").is_file() {
        return Err(
            "tests/antd-gallery/node_modules is missing: scripts/test runs npm ci there".into(),
        );
    }
    let s = e.open(dir, "dana")?;
    let page = "document.querySelector('.mp-page:not([hidden])').shadowRoot";
    e.wait(s, &format!("!!{page}.querySelector('.ant-switch')"))?;
    let shot = |name: &str| -> Check {
        let png = e.tmp.join(format!("antd-{name}.png"));
        e.d.screenshot(s, &png).map_err(|x| x.to_string())?;
        let facts = mpkit_webview::describe_png(&png)?;
        ensure(facts.colours >= 8, format!("{name} looks blank: {facts:?}"))
    };
    shot("form")?;
    e.click(s, ".ant-switch")?;
    e.wait(
        s,
        &format!("{page}.querySelector('#out').textContent === 'switch:true'"),
    )?;
    e.click(s, ".to-overlay")?;
    e.wait(s, &format!("!!{page}.querySelector('.open-popup')"))?;
    shot("overlay")?;
    // A Popup closes when its CSS animation ends, which the page reports:
    // a second open and close works only if the first finished.
    for n in 1..=2 {
        e.click(s, ".open-popup")?;
        e.wait(
            s,
            &format!("!!{page}.querySelector('#pop .ant-popup-mask')"),
        )?;
        e.click(s, "#pop .ant-popup-mask")?;
        e.wait(
            s,
            &format!("{page}.querySelector('#out').textContent === 'popup:close:p1:{n}'"),
        )?;
        e.wait(s, &format!("!{page}.querySelector('#pop .ant-popup-mask')"))?;
    }
    e.click(s, ".open-modal")?;
    e.wait(
        s,
        &format!("!!{page}.querySelector('.ant-modal-body-title')"),
    )?;
    e.click(s, ".to-all")?;
    e.wait(s, &format!("!!{page}.querySelector('.gallery')"))?;
    let cases = e.eval(s, &format!("{page}.querySelectorAll('.case').length"))?;
    ensure(cases == "72", format!("{cases} cases on the gallery page"))?;
    let hidden = e.eval(s, "document.getElementById('mp-overlay').hidden")?;
    ensure(hidden == "true", "an error overlay is shown")?;
    shot("all")?;
    // Each family page: every component with its documented props, the
    // page reached from the gallery's links and left by its Back button.
    let families = [
        ("general", 5),
        ("layout", 3),
        ("navigation", 7),
        ("data-entry", 13),
        ("data-display", 13),
        ("feedback", 14),
        ("business", 6),
        ("other", 4),
        ("ai", 7),
    ];
    let mut names: Vec<String> = Vec::new();
    for (family, n) in families {
        e.click(s, &format!(".to-family[data-page={family}]"))?;
        e.wait(
            s,
            &format!("!!{page}.querySelector('.family[data-family={family}]')"),
        )?;
        // Every case holds its component's element, with content rendered
        // in it: the names of the cases that do not, none once all render.
        let empty = format!(
            "[...{page}.querySelectorAll('.case')].filter(c=>{{const h=c.querySelector('[data-mp-is=\"/node_modules/antd-mini/es/'+c.dataset.name+'/index\"]');return !h||h.children.length===0}}).map(c=>c.dataset.name).join(',')"
        );
        if let Err(x) = e.wait(
            s,
            &format!("{page}.querySelectorAll('.case').length==={n}&&{empty}===''"),
        ) {
            let left = e.eval(s, &empty)?;
            return Err(format!("{family}: {x}; empty cases: {left}"));
        }
        let hidden = e.eval(s, "document.getElementById('mp-overlay').hidden")?;
        ensure(
            hidden == "true",
            format!("an error overlay is shown on {family}"),
        )?;
        shot(family)?;
        let on = e.eval(
            s,
            &format!("[...{page}.querySelectorAll('.case')].map(c=>c.dataset.name).join(',')"),
        )?;
        names.extend(on.trim_matches('"').split(',').map(str::to_owned));
        e.click(s, ".back")?;
        e.wait(s, &format!("!!{page}.querySelector('.gallery')"))?;
    }
    // The 72 components, each on one family page.
    let count = names.len();
    names.sort();
    names.dedup();
    ensure(
        count == 72 && names.len() == 72,
        format!(
            "{count} cases, {} components on the family pages",
            names.len()
        ),
    )?;
    e.d.close(s).map_err(|x| x.to_string())
}

type Scenario = (&'static str, fn(&Env) -> Check);

fn main() {
    enter_if_worker();
    let tmp = tempfile::tempdir().expect("tempdir");
    let app = WebviewApp::new(WebviewConfig {
        data_dir: tmp.path().join("webdata"),
        exit_when_closed: false,
    })
    .expect("a display (the test command runs this under xvfb-run)");
    let driver = app.driver();
    let env = Env {
        d: driver.clone(),
        tmp: tmp.path().to_owned(),
    };
    let scenarios: Vec<Scenario> = vec![
        (
            "the sample mini program renders its first page",
            sample_renders_its_first_page,
        ),
        (
            "taps, setData, navigateTo/Back, the 10-page stack, modals, a form, a toast, an action sheet, a JS error overlay and a pulled 256 KB patch",
            tap_set_data_and_navigation,
        ),
        (
            "blocked navigations, refused requests and forged IPC",
            hostile_page_inputs_are_refused,
        ),
        (
            "two mini programs, or two users of one, do not share localStorage or cookies",
            storage_is_not_shared,
        ),
        (
            "an allowlisted web view goes to the delegate, anything else stays blocked",
            allowlisted_web_views_go_to_the_delegate,
        ),
        (
            "consent prompts and the payment sheet are marked as the host's, answered only after 600 ms",
            consent_and_payment_are_the_hosts_questions,
        ),
        ("the screenshot PNG is not blank", screenshot_is_not_blank),
        (
            "Ant Design Mini's gallery renders in the webview, its screenshots not blank",
            ant_design_mini_renders_in_the_webview,
        ),
        (
            "selector queries measure the laid-out page and canvas contexts paint",
            selector_queries_measure_and_canvases_paint,
        ),
        (
            "a pre-warmed webview is used, and only for its app",
            prewarmed_webview_is_used,
        ),
        (
            "live reload keeps the route and its query and shows AXML errors",
            live_reload_keeps_the_route,
        ),
        (
            "a hostile mini program only kills itself",
            a_hostile_mini_program_only_kills_itself,
        ),
    ];
    let runner = std::thread::spawn(move || {
        let mut failed = Vec::new();
        for (name, f) in &scenarios {
            let t = std::time::Instant::now();
            match f(&env) {
                Ok(()) => println!("test {name} ... ok ({:.1?})", t.elapsed()),
                Err(e) => {
                    println!("test {name} ... FAILED: {e}");
                    failed.push(*name);
                }
            }
        }
        let _ = env.d.exit();
        (scenarios.len(), failed)
    });
    app.run();
    let (n, failed) = runner.join().expect("scenario thread");
    if failed.is_empty() {
        println!("\ntest result: ok. {n} passed; 0 failed");
    } else {
        println!(
            "\ntest result: FAILED. {} passed; {} failed",
            n - failed.len(),
            failed.len()
        );
        std::process::exit(1);
    }
}
