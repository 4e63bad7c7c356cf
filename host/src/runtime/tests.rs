//! The runtime end to end on the headless surface: lifecycle, setData, events,
//! the page stack, timers, and every bad input the runtime issue names.

use super::files::MemFiles;
use super::{LaunchOptions, Runtime, MAX_PAGES};
use crate::surface::headless::HeadlessSurface;
use std::collections::BTreeMap;
use std::time::Duration;

fn app(extra: &[(&str, &str)]) -> MemFiles {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let base: &[(&str, &str)] = &[
        (
            "app.json",
            r#"{"pages": ["pages/index/index", "pages/item/item", "pages/cart/cart", "pages/bad/bad", "pages/nofile/nofile"],
                "window": {"defaultTitle": "Shop"},
                "tabBar": {"items": [{"pagePath": "pages/index/index", "name": "Home"}, {"pagePath": "pages/cart/cart", "name": "Cart"}]}}"#,
        ),
        ("app.js", "App({ onLaunch() { this.globalData.n = 0; }, onError(m) { this.globalData.errors = (this.globalData.errors || 0) + 1; console.log('onError', m); } });"),
        ("app.acss", ".title { font-size: 36rpx }"),
        (
            "pages/index/index.axml",
            r#"<view class="title">{{title}}</view>
<view a:for="{{items}}" a:key="id" class="row" data-id="{{item.id}}" onTap="open"><text>{{item.name}}</text></view>
<text id="count">{{count}}</text>
<button id="inc" onTap="inc">+</button>
<button id="later" onTap="later">later</button>
<text id="done" a:if="{{done}}">done</text>
<button id="missing" onTap="noSuchHandler">x</button>
<button id="nowhere" onTap="nowhere">x</button>"#,
        ),
        (
            "pages/index/index.js",
            r#"Page({
  data: { title: 'Menu', count: 0, items: [{ id: 'latte', name: 'Latte' }, { id: 'mocha', name: 'Mocha' }] },
  inc() { this.setData({ count: this.data.count + 1 }); },
  open(e) { my.navigateTo({ url: '/pages/item/item?id=' + e.currentTarget.dataset.id }); },
  later() { setTimeout(() => this.setData({ done: true }), 20); },
  nowhere() { my.navigateTo({ url: '/pages/ghost/ghost', fail: (e) => this.setData({ navError: e.error }) }); }
});"#,
        ),
        ("pages/item/item.axml", r#"<view id="name">{{id}}</view><button id="back" onTap="back">back</button><button id="deeper" onTap="deeper">more</button>"#),
        (
            "pages/item/item.js",
            r#"Page({ onLoad(q) { this.setData({ id: q.id }); }, back() { my.navigateBack(); }, deeper() { my.navigateTo({ url: '/pages/item/item?id=again' }); } });"#,
        ),
        ("pages/cart/cart.axml", "<text id=\"cart\">cart</text>"),
        ("pages/bad/bad.axml", "<view>\n  <text>{{ oops }</text>\n</view>"),
    ];
    for (k, v) in base.iter().chain(extra) {
        files.insert((*k).to_string(), v.as_bytes().to_vec());
    }
    MemFiles(files)
}

fn on_error_ran(rt: &Runtime<HeadlessSurface>) -> bool {
    rt.console().iter().any(|(_, t)| t.starts_with("onError"))
}

fn launch(files: MemFiles) -> Runtime<HeadlessSurface> {
    // Unit tests run the logic layer on this thread; tests/isolation.rs covers workers.
    let opts = LaunchOptions {
        isolation: super::Isolation::Thread(super::ThreadOptIn::ACCEPT_UNCONTAINED),
        ..LaunchOptions::default()
    };
    Runtime::launch(Box::new(files), HeadlessSurface::new(), opts).expect("launches")
}

#[test]
fn renders_taps_and_navigates() {
    let mut rt = launch(app(&[]));
    assert_eq!(rt.route(), Some("pages/index/index"));
    assert_eq!(rt.text(".title").expect("title"), "Menu");
    assert_eq!(rt.surface().chrome().expect("chrome").title, "Shop");
    assert!(rt.surface().css().expect("css").contains("font-size: 18px"));
    rt.tap("#inc").expect("tap");
    rt.tap("#inc").expect("tap");
    assert_eq!(rt.text("#count").expect("count"), "2");
    // The surface got the same DOM through patch ops.
    assert_eq!(rt.surface().text("#count").expect("sel"), Some("2".into()));
    rt.tap(".row[data-id=mocha]").expect("tap row");
    assert_eq!(rt.routes(), ["pages/index/index", "pages/item/item"]);
    assert_eq!(rt.text("#name").expect("name"), "mocha");
    rt.tap("#back").expect("back");
    assert_eq!(rt.routes(), ["pages/index/index"]);
    assert_eq!(
        rt.text("#count").expect("count"),
        "2",
        "the page kept its state"
    );
    assert!(rt.errors().is_empty(), "{:?}", rt.errors());
}

#[test]
fn timers_fire_and_wait_for_sees_the_result() {
    let mut rt = launch(app(&[]));
    rt.tap("#later").expect("tap");
    assert!(rt.text("#done").is_err());
    rt.wait_for("#done", Duration::from_secs(5))
        .expect("timer fired");
}

#[test]
fn page_stack_is_capped_at_ten() {
    let mut rt = launch(app(&[]));
    rt.tap(".row").expect("open item");
    for _ in 0..20 {
        rt.tap("#deeper").expect("deeper");
    }
    assert_eq!(rt.routes().len(), MAX_PAGES);
    let refused = rt
        .calls()
        .iter()
        .filter(|c| c.api == "navigateTo" && !c.ok)
        .count();
    assert_eq!(refused, 20 - (MAX_PAGES - 2));
    rt.back(100);
    assert_eq!(rt.routes(), ["pages/index/index"]);
}

#[test]
fn axml_syntax_error_shows_an_error_state_with_position() {
    let mut rt = launch(app(&[
        (
            "pages/index/index.js",
            "Page({ go() { my.redirectTo({ url: '/pages/bad/bad' }); } });",
        ),
        (
            "pages/index/index.axml",
            "<button id=\"go\" onTap=\"go\">go</button>",
        ),
    ]));
    rt.tap("#go").expect("tap");
    assert_eq!(rt.route(), Some("pages/bad/bad"));
    let e = rt.page_error().expect("error state");
    assert_eq!((e.file.as_str(), e.line), ("pages/bad/bad.axml", 2));
    assert!(e.column > 0);
    assert!(
        rt.html()
            .contains("<error file=\"pages/bad/bad.axml\" line=\"2\""),
        "{}",
        rt.html()
    );
    assert_eq!(
        rt.errors().last().expect("recorded").file,
        "pages/bad/bad.axml"
    );
    assert!(on_error_ran(&rt));
}

#[test]
fn unknown_component_is_an_error_state() {
    let rt = launch(app(&[(
        "pages/index/index.axml",
        "<view>\n  <marquee>hi</marquee>\n</view>",
    )]));
    let e = rt.page_error().expect("error state");
    assert_eq!((e.line, e.column), (2, 3));
    assert!(e.message.contains("unknown component <marquee>"));
    assert!(on_error_ran(&rt));
}

#[test]
fn missing_page_file_is_an_error_state() {
    let mut rt = launch(app(&[
        (
            "pages/index/index.js",
            "Page({ go() { my.navigateTo({ url: '/pages/nofile/nofile' }); } });",
        ),
        (
            "pages/index/index.axml",
            "<button id=\"go\" onTap=\"go\">go</button>",
        ),
    ]));
    rt.tap("#go").expect("tap");
    assert_eq!(rt.route(), Some("pages/nofile/nofile"));
    assert!(rt
        .page_error()
        .expect("error")
        .message
        .contains("pages/nofile/nofile.axml is missing"));
    assert!(on_error_ran(&rt));
}

#[test]
fn js_syntax_error_is_reported_with_position_and_the_host_survives() {
    let mut rt = launch(app(&[(
        "pages/index/index.js",
        "Page({\n  data: { a: 1 },\n  oops() { return ; ; }}\n  broken(\n});",
    )]));
    let e = rt.errors().first().expect("syntax error");
    assert_eq!(
        (e.kind.as_str(), e.file.as_str()),
        ("syntax", "pages/index/index.js")
    );
    assert!(e.line >= 3, "{e:?}");
    assert!(rt.page_error().is_some());
    // The page has no usable script, so it shows its error instead of a half-working UI.
    let err = rt.tap("#inc").expect_err("no DOM");
    assert!(
        matches!(&err, super::AutomationError::NoMatch { selector, .. } if selector == "#inc"),
        "{err}"
    );
    assert!(on_error_ran(&rt));
}

#[test]
fn throw_in_on_load_is_reported_and_on_error_runs() {
    let rt = launch(app(&[("pages/index/index.js", "Page({\n  data: { title: 'still renders' },\n  onLoad() {\n    throw new Error('load failed');\n  }\n});")]));
    let e = rt.errors().first().expect("error");
    assert_eq!(
        (e.file.as_str(), e.line),
        ("pages/index/index.js", 4),
        "{e:?}"
    );
    assert!(e.message.contains("load failed"));
    // The page shows the error over what it could render.
    let shown = rt.page_error().expect("error state");
    assert_eq!(
        (shown.file.as_str(), shown.line, shown.column),
        ("pages/index/index.js", 4, e.column)
    );
    assert!(e.column > 0, "{e:?}");
    assert!(
        rt.html()
            .contains("<error file=\"pages/index/index.js\" line=\"4\""),
        "{}",
        rt.html()
    );
    assert_eq!(rt.text(".title").expect("title"), "still renders");
    assert!(on_error_ran(&rt));
}

#[test]
fn missing_handler_is_reported_not_fatal() {
    let mut rt = launch(app(&[]));
    assert!(rt.page_error().is_none());
    rt.tap("#missing").expect("tap");
    let e = rt.errors()[0].clone();
    assert!(
        e.message
            .contains("handler \"noSuchHandler\" is not a function"),
        "{e:?}"
    );
    // Where the template names the handler: `onTap` on line 7.
    assert_eq!(
        (e.file.as_str(), e.line, e.column),
        ("pages/index/index.axml", 7, 22),
        "{e:?}"
    );
    let shown = rt.page_error().expect("error state");
    assert_eq!(shown.message, e.message);
    assert!(rt.html().contains("noSuchHandler"), "{}", rt.html());
    assert!(on_error_ran(&rt));
    rt.tap("#inc").expect("still works");
    assert_eq!(rt.text("#count").expect("count"), "1");
}

#[test]
fn a_setdata_path_with_too_many_segments_is_a_range_error_and_nothing_is_set() {
    let mut rt = launch(app(&[
        (
            "pages/index/index.axml",
            r#"<text id="err">{{err}}</text><button id="long" onTap="long">x</button>"#,
        ),
        (
            "pages/index/index.js",
            r#"Page({
  data: { err: '' },
  long() {
    // Freed recursively, data this deep would overflow the host's stack.
    try { this.setData({ ['a' + '.a'.repeat(200000)]: 1, ok: 1 }); }
    catch (e) { this.setData({ err: e.name + ': ' + e.message }); }
    this.setData({ ['b' + '.b'.repeat(63)]: 2 });
  }
});"#,
        ),
    ]));
    rt.tap("#long").expect("tap");
    assert_eq!(
        rt.text("#err").expect("err"),
        "RangeError: setData path has 200001 segments, more than 64"
    );
    let data = rt.data().expect("data").clone();
    assert!(
        data.get("a").is_none() && data.get("ok").is_none(),
        "{data}"
    );
    let mut v = &data["b"];
    for _ in 0..63 {
        v = &v["b"];
    }
    assert_eq!(v, &serde_json::json!(2), "64 segments are allowed");
    assert!(rt.errors().is_empty(), "{:?}", rt.errors());
    assert!(rt.stopped().is_none());
}

/// Captures what tracing writes while `f` runs.
fn traced(f: impl FnOnce()) -> String {
    use std::sync::{Arc, Mutex};
    #[derive(Clone)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf(Arc::new(Mutex::new(Vec::new())));
    let out = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || out.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let bytes = buf.0.lock().expect("lock").clone();
    String::from_utf8(bytes).expect("utf8")
}

#[test]
fn console_output_and_errors_reach_tracing_tagged_with_the_app_id() {
    let log = traced(|| {
        let opts = LaunchOptions {
            isolation: super::Isolation::Thread(super::ThreadOptIn::ACCEPT_UNCONTAINED),
            app_id: Some("2021000000000042".into()),
            ..LaunchOptions::default()
        };
        let mut rt =
            Runtime::launch(Box::new(app(&[])), HeadlessSurface::new(), opts).expect("launch");
        rt.tap("#missing").expect("tap");
    });
    // app.js's onError logs through console.log; the missing handler is an error.
    let console = log
        .lines()
        .find(|l| l.contains("miniprogram") && l.contains("onError"))
        .unwrap_or_else(|| panic!("no console line in:\n{log}"));
    assert!(
        console.contains("INFO") && console.contains("app=2021000000000042"),
        "{console}"
    );
    let error = log
        .lines()
        .find(|l| l.contains("noSuchHandler"))
        .unwrap_or_else(|| panic!("no error line in:\n{log}"));
    assert!(
        error.contains("WARN") && error.contains("app=2021000000000042"),
        "{error}"
    );
}

#[test]
fn a_failed_call_nobody_awaited_is_reported_with_its_error_message() {
    let mut rt = launch(app(&[
        (
            "pages/index/index.axml",
            r#"<button id="go" onTap="go">go</button>"#,
        ),
        (
            "pages/index/index.js",
            "Page({\n  go() {\n    my.navigateTo({ url: '/pages/ghost/ghost' });\n  }\n});",
        ),
    ]));
    rt.tap("#go").expect("tap");
    let kinds: Vec<(&str, &str)> = rt
        .errors()
        .iter()
        .map(|e| (e.kind.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [(
            "navigation",
            "navigateTo: page \"pages/ghost/ghost\" is not in app.json"
        ),]
    );
    // The rejection nobody handled is a warning, as Alipay counts it.
    let warned: Vec<(&str, &str)> = rt
        .warnings()
        .iter()
        .map(|e| (e.kind.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        warned,
        [(
            "rejection",
            "error 4: navigateTo: page \"pages/ghost/ghost\" is not in app.json"
        )]
    );
    // The page shows the first, with where the call was made.
    let shown = rt.page_error().expect("error state");
    assert_eq!(
        (shown.file.as_str(), shown.line),
        ("pages/index/index.js", 3)
    );
}

#[test]
fn navigating_outside_app_json_fails_cleanly() {
    let mut rt = launch(app(&[]));
    rt.tap("#nowhere").expect("tap");
    assert_eq!(rt.routes(), ["pages/index/index"]);
    assert_eq!(rt.data().expect("data")["navError"], 4);
    let e = rt.errors().last().expect("recorded");
    assert!(
        e.message
            .contains("\"pages/ghost/ghost\" is not in app.json"),
        "{e:?}"
    );
    // Where the page called `my.navigateTo`: line 6 of index.js.
    assert_eq!(
        (e.file.as_str(), e.line),
        ("pages/index/index.js", 6),
        "{e:?}"
    );
    assert!(e.column > 0, "{e:?}");
    let shown = rt.page_error().expect("error state");
    assert_eq!((shown.line, shown.column), (e.line, e.column));
    assert!(on_error_ran(&rt));
}

#[test]
fn runaway_handler_is_stopped_and_the_app_keeps_working() {
    let mut rt = launch(app(&[(
        "pages/index/index.js",
        "Page({ data: { count: 0 }, inc() { while (true) {} }, later() { this.setData({ count: 5 }); } });",
    )]));
    rt.tap("#inc").expect("tap");
    assert_eq!(rt.errors()[0].kind, "limit");
    // The app's onError hears of it, and the page shows it.
    assert!(on_error_ran(&rt));
    assert_eq!(
        rt.page_error().expect("error state").message,
        rt.errors()[0].message
    );
    rt.tap("#later").expect("tap");
    assert_eq!(rt.text("#count").expect("count"), "5");
}

#[test]
fn pull_down_and_reach_bottom_reach_the_page() {
    let mut rt = launch(app(&[(
        "pages/index/index.js",
        "Page({ data: { count: 0 }, onPullDownRefresh() { this.setData({ count: 10 }); }, onReachBottom() { this.setData({ count: this.data.count + 1 }); } });",
    )]));
    rt.pull_down_refresh();
    assert_eq!(rt.text("#count").expect("count"), "10");
    rt.reach_bottom();
    assert_eq!(rt.text("#count").expect("count"), "11");
}

mod jsapi {
    use super::super::files::MemFiles;
    use super::super::{Isolation, LaunchOptions, Runtime, ThreadOptIn};
    use crate::surface::headless::HeadlessSurface;
    use mpkit_jsapi::registry::{builtin_decls, ApiDecl, Kind};
    use mpkit_jsapi::{AppContext, Call, ConsentStore, Dispatcher, Prompter, Session};
    use mpkit_sandbox::acl::ScopeDecision;
    use mpkit_sandbox::net::NetPolicy;
    use serde_json::{json, Value};
    use std::cell::RefCell;
    use std::collections::{BTreeMap, HashMap};
    use std::rc::Rc;

    #[derive(Default)]
    struct Store(RefCell<HashMap<String, ScopeDecision>>);
    impl ConsentStore for Store {
        fn decision(&self, _: &str, _: &str, scope: &str) -> Option<ScopeDecision> {
            self.0.borrow().get(scope).cloned()
        }
        fn record(&self, _: &str, _: &str, scope: &str, d: ScopeDecision) {
            self.0.borrow_mut().insert(scope.into(), d);
        }
    }
    struct Yes;
    impl Prompter for Yes {
        fn ask(&self, _: &str, _: &str) -> bool {
            true
        }
    }

    fn setup(toasts: Rc<RefCell<Vec<String>>>) -> Session {
        let mut d = Dispatcher::new();
        for decl in builtin_decls() {
            let name = decl.name.clone();
            let toasts = toasts.clone();
            d.register(
                decl,
                Box::new(
                    move |c: &Call<'_>| -> Result<Value, mpkit_jsapi::ApiError> {
                        match name.as_str() {
                            "showToast" => {
                                toasts.borrow_mut().push(
                                    c.params["content"].as_str().unwrap_or_default().to_owned(),
                                );
                                Ok(json!({}))
                            }
                            "getStorageSync" => {
                                Ok(json!({"data": format!("stored for {}", c.user)}))
                            }
                            _ => Err(mpkit_jsapi::ApiError::Internal("not in this test".into())),
                        }
                    },
                ),
            );
        }
        d.register(
            ApiDecl::new("getWalletBalance", Kind::Async, "balance")
                .permission("getWalletBalance")
                .scope("scope.walletBalance"),
            Box::new(|_: &Call<'_>| Ok(json!({"balance": 42}))),
        );
        let approved = ["getWalletBalance".to_string()].into_iter().collect();
        let scopes = ["scope.walletBalance".to_string()].into_iter().collect();
        Session {
            context: AppContext {
                app_id: "test.app".into(),
                user: "alice".into(),
                acl: d.resolve(&approved, &scopes),
                net: NetPolicy::from_lists(&BTreeMap::new()).expect("net"),
            },
            dispatcher: Rc::new(d),
            consents: Rc::new(Store::default()),
            prompter: Rc::new(Yes),
        }
    }

    #[test]
    fn my_calls_go_through_the_dispatcher() {
        let mut m = BTreeMap::new();
        m.insert(
            "app.json".to_string(),
            br#"{"pages": ["pages/index/index"]}"#.to_vec(),
        );
        m.insert("app.js".to_string(), b"App({});".to_vec());
        m.insert(
            "pages/index/index.axml".to_string(),
            br#"<text id="out">{{out}}</text><button id="go" onTap="go">go</button>"#.to_vec(),
        );
        m.insert(
            "pages/index/index.js".to_string(),
            br#"Page({ data: { out: '' }, async go() {
                my.showToast({ content: 'hello', appId: 'spoofed' });
                const s = my.getStorageSync({ key: 'k' });
                const b = await my.getWalletBalance();
                let loc = 'none';
                try { await my.getLocation(); } catch (e) { loc = 'error ' + e.error; }
                this.setData({ out: s.data + ' / ' + b.balance + ' / ' + loc });
            } });"#
                .to_vec(),
        );
        let toasts = Rc::new(RefCell::new(Vec::new()));
        let opts = LaunchOptions {
            isolation: Isolation::Thread(ThreadOptIn::ACCEPT_UNCONTAINED),
            session: Some(setup(toasts.clone())),
            ..LaunchOptions::default()
        };
        let mut rt =
            Runtime::launch(Box::new(MemFiles(m)), HeadlessSurface::new(), opts).expect("launch");
        rt.tap("#go").expect("tap");
        assert_eq!(
            rt.text("#out").expect("out"),
            "stored for alice / 42 / error 4"
        );
        assert_eq!(toasts.borrow().as_slice(), ["hello"]);
        let calls: Vec<(String, bool, Option<i64>)> = rt
            .calls()
            .iter()
            .map(|c| (c.api.clone(), c.ok, c.error))
            .collect();
        assert_eq!(
            calls,
            // Recorded as they end: the async toast is answered after the Sync read.
            [
                ("getStorageSync".to_string(), true, None),
                ("showToast".to_string(), true, None),
                ("getWalletBalance".to_string(), true, None),
                ("getLocation".to_string(), false, Some(4)),
            ]
        );
        assert!(rt.errors().is_empty(), "{:?}", rt.errors());
    }
}

/// The console lines that start with `>`, the test apps' lifecycle log.
fn hooks(rt: &Runtime<HeadlessSurface>) -> Vec<String> {
    rt.console()
        .iter()
        .filter_map(|(_, t)| t.strip_prefix("> ").map(str::to_owned))
        .collect()
}

const LOGGED: &str = r#"function logged(name, extra) {
  const o = Object.assign({}, extra || {});
  for (const h of ['onLoad', 'onShow', 'onReady', 'onHide', 'onUnload']) {
    o[h] = function (q) { console.log('> ' + name + '.' + h + (h === 'onLoad' ? ' ' + JSON.stringify(q) : '')); };
  }
  return o;
}
"#;

#[test]
fn lifecycle_hooks_run_in_the_documented_order() {
    let index = format!(
        "{LOGGED}Page(logged('index', {{ go() {{ my.navigateTo({{ url: '/pages/item/item?id=7' }}); }} }}));"
    );
    let item = format!(
        "{LOGGED}Page(logged('item', {{ back() {{ my.navigateBack(); }}, deeper() {{ my.redirectTo({{ url: '/pages/cart/cart' }}); }} }}));"
    );
    let cart = format!("{LOGGED}Page(logged('cart'));");
    let mut rt = launch(app(&[
        (
            "app.js",
            "App({ onLaunch(o) { console.log('> app.onLaunch ' + o.path); }, onShow() { console.log('> app.onShow'); }, onHide() { console.log('> app.onHide'); } });",
        ),
        ("pages/index/index.axml", r#"<button id="go" onTap="go">go</button>"#),
        ("pages/index/index.js", &index),
        (
            "pages/item/item.axml",
            r#"<button id="back" onTap="back">back</button><button id="deeper" onTap="deeper">r</button>"#,
        ),
        ("pages/item/item.js", &item),
        ("pages/cart/cart.js", &cart),
    ]));
    assert_eq!(
        hooks(&rt),
        [
            "app.onLaunch pages/index/index",
            "app.onShow",
            "index.onLoad {}",
            "index.onShow",
            "index.onReady"
        ]
    );
    let seen = |rt: &Runtime<HeadlessSurface>, from: usize| hooks(rt)[from..].to_vec();
    let n = hooks(&rt).len();
    rt.tap("#go").expect("tap");
    assert_eq!(
        seen(&rt, n),
        [
            "index.onHide",
            "item.onLoad {\"id\":\"7\"}",
            "item.onShow",
            "item.onReady"
        ]
    );
    let n = hooks(&rt).len();
    rt.tap("#deeper").expect("redirect");
    assert_eq!(
        seen(&rt, n),
        [
            "item.onUnload",
            "cart.onLoad {}",
            "cart.onShow",
            "cart.onReady"
        ]
    );
    let n = hooks(&rt).len();
    rt.back(1);
    assert_eq!(seen(&rt, n), ["cart.onUnload", "index.onShow"]);
    // The embedding app hides and shows the mini program.
    let n = hooks(&rt).len();
    rt.hide();
    rt.show();
    assert_eq!(
        seen(&rt, n),
        ["index.onHide", "app.onHide", "app.onShow", "index.onShow"]
    );
    let n = hooks(&rt).len();
    rt.close();
    assert_eq!(seen(&rt, n), ["index.onUnload"]);
    assert!(rt.errors().is_empty(), "{:?}", rt.errors());
}

#[test]
fn intervals_repeat_until_cleared_and_cleared_timeouts_never_fire() {
    let mut rt = launch(app(&[
        (
            "pages/index/index.js",
            "Page({ data: { ticks: 0, late: 'no' },
  go() {
    const never = setTimeout(() => this.setData({ late: 'fired' }), 5);
    clearTimeout(never);
    const every = setInterval(() => {
      this.setData({ ticks: this.data.ticks + 1 });
      if (this.data.ticks === 3) { clearInterval(every); setTimeout(() => this.setData({ done: true }), 40); }
    }, 5);
  } });",
        ),
        (
            "pages/index/index.axml",
            r#"<text id="ticks">{{ticks}}</text><text id="late">{{late}}</text><text id="done" a:if="{{done}}">done</text><button id="go" onTap="go">go</button>"#,
        ),
    ]));
    rt.tap("#go").expect("tap");
    rt.wait_for("#done", Duration::from_secs(5)).expect("done");
    // 40 ms after the third tick, an interval still running would have ticked again.
    assert_eq!(rt.text("#ticks").expect("ticks"), "3");
    assert_eq!(rt.text("#late").expect("late"), "no");
    assert!(rt.errors().is_empty(), "{:?}", rt.errors());
}

#[test]
fn change_long_tap_and_submit_reach_their_handlers_with_the_event_object() {
    let mut rt = launch(app(&[
        (
            "pages/index/index.axml",
            r#"<form id="f" onSubmit="submitted">
  <input name="who" value="{{who}}" />
  <switch id="sw" name="on" checked="{{on}}" onChange="changed" data-k="v" />
  <view id="press" onLongTap="pressed">hold</view>
  <button id="send" form-type="submit">send</button>
</form>
<text id="log">{{log}}</text>"#,
        ),
        (
            "pages/index/index.js",
            "Page({ data: { log: '', who: 'ann', on: false },
  changed(e) { this.setData({ on: e.detail.value, log: this.data.log + 'change:' + e.type + ':' + JSON.stringify(e.detail) + ':' + e.currentTarget.dataset.k + ';' }); },
  pressed(e) { this.setData({ log: this.data.log + 'long:' + e.type + ':' + e.target.id + ';' }); },
  submitted(e) { this.setData({ log: this.data.log + 'submit:' + e.type + ':' + JSON.stringify(e.detail.value) + ';' }); } });",
        ),
    ]));
    rt.change("#sw", serde_json::json!({"value": true}))
        .expect("change");
    rt.long_tap("#press").expect("long tap");
    rt.tap("#send").expect("submit");
    assert_eq!(
        rt.text("#log").expect("log"),
        "change:change:{\"value\":true}:v;long:longTap:press;submit:submit:{\"on\":true,\"who\":\"ann\"};"
    );
    assert!(rt.errors().is_empty(), "{:?}", rt.errors());
}

#[test]
fn relaunch_switch_tab_and_navigate_back_by_delta() {
    let mut rt = launch(app(&[
        (
            "pages/item/item.js",
            r#"Page({ onLoad(q) { this.setData({ id: q.id }); },
  back() { my.navigateBack({ delta: 2 }); },
  deeper() { my.navigateTo({ url: '/pages/item/item?id=again' }); } });"#,
        ),
        (
            "pages/cart/cart.axml",
            r#"<text id="cart">cart</text><button id="home" onTap="home">home</button><button id="tabbed" onTap="tabbed">t</button><button id="relaunch" onTap="relaunch">r</button>"#,
        ),
        (
            "pages/cart/cart.js",
            r#"Page({ home() { my.switchTab({ url: '/pages/index/index' }); },
  tabbed() { my.navigateTo({ url: '/pages/index/index', fail: (e) => this.setData({ err: e.error + ' ' + e.errorMessage }) }); },
  relaunch() { my.reLaunch({ url: '/pages/item/item?id=fresh' }); } });"#,
        ),
    ]));
    // navigateBack({delta: 2}) pops two pages.
    rt.tap(".row").expect("open item");
    rt.tap("#deeper").expect("deeper");
    rt.tap("#deeper").expect("deeper");
    assert_eq!(rt.routes().len(), 4);
    rt.tap("#back").expect("back 2");
    assert_eq!(rt.routes(), ["pages/index/index", "pages/item/item"]);
    // switchTab from JS replaces the whole stack with the tab page; tapping
    // the tabBar does the same.
    rt.switch_tab("pages/cart/cart").expect("tab");
    assert_eq!(rt.routes(), ["pages/cart/cart"]);
    let chrome = rt.surface().chrome().expect("chrome");
    let tabs: Vec<(&str, bool)> = chrome
        .tabs
        .iter()
        .map(|t| (t.page_path.as_str(), t.selected))
        .collect();
    assert_eq!(
        tabs,
        [("pages/index/index", false), ("pages/cart/cart", true)]
    );
    assert!(!chrome.can_go_back);
    // navigateTo a tab page is refused.
    rt.tap("#tabbed").expect("tap");
    assert_eq!(
        rt.data().expect("data")["err"],
        "4 pages/index/index is a tab page; use switchTab"
    );
    assert_eq!(rt.routes(), ["pages/cart/cart"]);
    rt.tap("#home").expect("switchTab");
    assert_eq!(rt.routes(), ["pages/index/index"]);
    assert!(rt.switch_tab("pages/item/item").is_err(), "not a tab page");
    // reLaunch closes everything and opens the page with its query.
    rt.switch_tab("pages/cart/cart").expect("tab");
    rt.tap("#relaunch").expect("relaunch");
    assert_eq!(rt.routes(), ["pages/item/item"]);
    assert_eq!(rt.text("#name").expect("name"), "fresh");
    assert!(rt.surface().chrome().expect("chrome").tabs.is_empty());
}

#[test]
fn several_set_data_calls_in_one_handler_render_once_and_callbacks_run_after_the_surface_has_them()
{
    use crate::surface::Surface;
    /// A headless surface that counts patch batches and records the text
    /// it holds when each batch arrives.
    #[derive(Default)]
    struct Counting {
        inner: HeadlessSurface,
        batches: usize,
    }
    impl Surface for Counting {
        fn page_shown(
            &mut self,
            page: crate::surface::PageId,
            chrome: &crate::surface::PageChrome,
            css: &str,
        ) {
            self.inner.page_shown(page, chrome, css);
        }
        fn page_closed(&mut self, page: crate::surface::PageId) {
            self.inner.page_closed(page);
        }
        fn apply(
            &mut self,
            page: crate::surface::PageId,
            ops: &[mpkit_render::diff::PatchOp],
        ) -> Result<(), String> {
            self.batches += 1;
            self.inner.apply(page, ops)
        }
        fn draw_canvas(
            &mut self,
            page: crate::surface::PageId,
            node: u64,
            actions: &[crate::surface::CanvasAction],
            reserve: bool,
        ) {
            self.inner.draw_canvas(page, node, actions, reserve);
        }
        fn show_error(&mut self, page: crate::surface::PageId, error: &crate::surface::ErrorView) {
            self.inner.show_error(page, error);
        }
    }
    let files = app(&[
        (
            "pages/index/index.axml",
            r#"<text id="a">{{a}}</text><text id="b">{{b}}</text><text id="seen">{{seen}}</text><button id="go" onTap="go">go</button>"#,
        ),
        (
            "pages/index/index.js",
            "Page({ data: { a: 0, b: 0, seen: '' },
  go() {
    this.setData({ a: 1 });
    this.setData({ b: 2 }, () => this.setData({ seen: 'callback after ' + this.data.a + this.data.b }));
    this.setData({ a: 3 });
  } });",
        ),
    ]);
    let opts = LaunchOptions {
        isolation: super::Isolation::Thread(super::ThreadOptIn::ACCEPT_UNCONTAINED),
        ..LaunchOptions::default()
    };
    let mut rt = Runtime::launch(Box::new(files), Counting::default(), opts).expect("launch");
    let before = rt.surface().batches;
    rt.tap("#go").expect("tap");
    // One batch for the three calls, then one for what the callback set.
    assert_eq!(rt.surface().batches - before, 2);
    assert_eq!(
        rt.surface().inner.text("#a").expect("sel"),
        Some("3".into())
    );
    assert_eq!(
        rt.surface().inner.text("#b").expect("sel"),
        Some("2".into())
    );
    assert_eq!(
        rt.surface().inner.text("#seen").expect("sel"),
        Some("callback after 32".into())
    );
}

#[test]
fn window_and_tab_bar_colours_come_from_app_json_and_each_page_may_override_them() {
    let mut rt = launch(app(&[
        (
            "app.json",
            r##"{"pages": ["pages/index/index", "pages/item/item", "pages/cart/cart"],
                "window": {"defaultTitle": "Shop", "titleBarColor": "#112233", "backgroundColor": "#f5f5f5"},
                "tabBar": {"textColor": "#999999", "selectedColor": "#ff0000", "backgroundColor": "#ffffff",
                           "items": [{"pagePath": "pages/index/index", "name": "Home"}, {"pagePath": "pages/cart/cart", "name": "Cart"}]}}"##,
        ),
        (
            "pages/item/item.json",
            r##"{"defaultTitle": "Item", "titleBarColor": "#000000", "backgroundColor": "#fafafa"}"##,
        ),
    ]));
    let chrome = rt.surface().chrome().expect("chrome").clone();
    assert_eq!(
        (
            chrome.title.as_str(),
            chrome.title_bar_color.as_deref(),
            chrome.background_color.as_deref()
        ),
        ("Shop", Some("#112233"), Some("#f5f5f5"))
    );
    assert_eq!(
        chrome.tab_colors,
        crate::surface::TabColors {
            text: Some("#999999".into()),
            selected: Some("#ff0000".into()),
            background: Some("#ffffff".into()),
        }
    );
    rt.tap(".row").expect("open item");
    let chrome = rt.surface().chrome().expect("chrome").clone();
    assert_eq!(
        (
            chrome.title.as_str(),
            chrome.title_bar_color.as_deref(),
            chrome.background_color.as_deref()
        ),
        ("Item", Some("#000000"), Some("#fafafa"))
    );
    assert!(chrome.tabs.is_empty(), "not a tab page");
    assert!(chrome.can_go_back);
}

#[test]
fn a_tap_in_a_navigator_navigates_by_its_open_type_after_its_handlers() {
    let mut rt = launch(app(&[
        (
            "pages/index/index.axml",
            r#"<navigator id="to" url="/pages/item/item?id=nav" onTap="tapped"><text id="label">open</text></navigator>
<navigator id="ghost" url="/pages/ghost/ghost">ghost</navigator>
<navigator id="tab" url="/pages/cart/cart" open-type="switchTab">cart</navigator>
<text id="taps">{{taps}}</text>"#,
        ),
        (
            "pages/index/index.js",
            "Page({ data: { taps: 0 }, tapped() { this.setData({ taps: this.data.taps + 1 }); } });",
        ),
        (
            "pages/item/item.axml",
            r#"<view id="name">{{id}}</view><navigator id="up" open-type="navigateBack" delta="5">back</navigator><navigator id="swap" url="/pages/item/item?id=swapped" open-type="redirect">swap</navigator>"#,
        ),
    ]));
    // A tap on a child of the navigator: the handler runs, then it navigates.
    rt.tap("#label").expect("tap");
    assert_eq!(rt.routes(), ["pages/index/index", "pages/item/item"]);
    assert_eq!(rt.text("#name").expect("name"), "nav");
    rt.tap("#swap").expect("redirect");
    assert_eq!(rt.routes(), ["pages/index/index", "pages/item/item"]);
    assert_eq!(rt.text("#name").expect("name"), "swapped");
    rt.tap("#up").expect("back");
    assert_eq!(rt.routes(), ["pages/index/index"]);
    assert_eq!(rt.text("#taps").expect("taps"), "1", "the handler ran once");
    // A page not in app.json is refused and shown, as from JS.
    rt.tap("#ghost").expect("tap");
    assert_eq!(rt.routes(), ["pages/index/index"]);
    let e = rt.errors().last().expect("error");
    assert_eq!(
        (e.kind.as_str(), e.file.as_str()),
        ("navigation", "pages/index/index.axml")
    );
    assert!(rt.page_error().is_some());
    rt.tap("#tab").expect("tab");
    assert_eq!(rt.routes(), ["pages/cart/cart"]);
    let navigations: Vec<(&str, bool)> =
        rt.calls().iter().map(|c| (c.api.as_str(), c.ok)).collect();
    assert_eq!(
        navigations,
        [
            ("navigateTo", true),
            ("redirectTo", true),
            ("navigateBack", true),
            ("navigateTo", false),
            ("switchTab", true)
        ]
    );
}

/// Navigation passes the session's gate like every API: the argument shape
/// is checked before the page stack sees it, and a host whose session does
/// not offer navigation has none, from JS or from a `<navigator>`.
#[test]
fn navigation_passes_the_gate_before_the_page_stack() {
    let files = || {
        app(&[
            (
                "pages/index/index.axml",
                r#"<text id="out">{{out}}</text><button id="bad" onTap="bad">bad</button><button id="go" onTap="go">go</button><navigator id="nav" url="/pages/item/item?id=nav">open</navigator>"#,
            ),
            (
                "pages/index/index.js",
                r#"Page({ data: { out: '' },
  bad() { my.navigateTo({ fail: (e) => this.setData({ out: e.error + ' ' + e.errorMessage }) }); },
  go() { my.navigateTo({ url: '/pages/item/item?id=js', fail: (e) => this.setData({ out: e.error + ' ' + e.errorMessage }) }); } });"#,
            ),
        ])
    };
    // Without the host's APIs: navigation alone, checked as declared.
    let mut rt = launch(files());
    rt.tap("#bad").expect("tap");
    assert_eq!(
        rt.text("#out").expect("out"),
        "2 invalid parameter url: is required"
    );
    assert_eq!(rt.routes(), ["pages/index/index"]);
    assert!(
        rt.page_error().is_none(),
        "a refused call is the caller's to handle"
    );
    // A session whose dispatcher offers no navigation: the host gate refuses.
    let session = mpkit_jsapi::Session {
        dispatcher: std::rc::Rc::new(mpkit_jsapi::Dispatcher::new()),
        ..mpkit_jsapi::Session::navigation_only("test.app")
    };
    let opts = LaunchOptions {
        isolation: super::Isolation::Thread(super::ThreadOptIn::ACCEPT_UNCONTAINED),
        session: Some(session),
        ..LaunchOptions::default()
    };
    let mut rt = Runtime::launch(Box::new(files()), HeadlessSurface::new(), opts).expect("launch");
    rt.tap("#go").expect("tap");
    assert_eq!(
        rt.text("#out").expect("out"),
        "1 my.navigateTo is not available in this host"
    );
    rt.tap("#nav").expect("tap");
    assert_eq!(rt.routes(), ["pages/index/index"]);
    let calls: Vec<(&str, Option<i64>)> = rt
        .calls()
        .iter()
        .map(|c| (c.api.as_str(), c.error))
        .collect();
    assert_eq!(calls, [("navigateTo", Some(1)), ("navigateTo", Some(1))]);
}

#[test]
fn a_surfaces_events_keep_what_its_user_typed_and_a_submit_button_sends_it() {
    use mpkit_render::events::EventKind;
    use serde_json::json;
    let mut rt = launch(app(&[
        (
            "pages/index/index.axml",
            r#"<form id="f" onSubmit="submitted">
  <input id="who" name="who" />
  <switch id="sw" name="on" />
  <button id="send" form-type="submit"><text id="label">send</text></button>
  <button id="other" onTap="other">other</button>
</form>
<text id="log">{{log}}</text>"#,
        ),
        (
            "pages/index/index.js",
            "Page({ data: { log: '' },
  other() { this.setData({ log: this.data.log + 'other;' }); },
  submitted(e) { this.setData({ log: this.data.log + JSON.stringify(e.detail.value) + ';' }); } });",
        ),
    ]));
    let id = |rt: &Runtime<HeadlessSurface>, sel: &str| rt.surface().query(sel).expect("sel")[0];
    // What a webview reports: the field already shows the text, and only
    // the event arrives.
    let (who, sw) = (id(&rt, "#who"), id(&rt, "#sw"));
    rt.dispatch(who, EventKind::Input, json!({"value": "bob"}));
    rt.dispatch(sw, EventKind::Change, json!({"value": true}));
    // A re-render the fields are not bound in keeps what the user did.
    let other = id(&rt, "#other");
    rt.dispatch(other, EventKind::Tap, json!({}));
    // A tap on the submit button's label submits its form.
    let label = id(&rt, "#label");
    rt.dispatch(label, EventKind::Tap, json!({}));
    assert_eq!(
        rt.text("#log").expect("log"),
        "other;{\"on\":true,\"who\":\"bob\"};"
    );
    // A submit event a surface sends without the fields gets them from the page.
    let form = id(&rt, "#f");
    rt.dispatch(form, EventKind::Submit, json!({"value": {}}));
    assert!(
        rt.text("#log")
            .expect("log")
            .ends_with(";{\"on\":true,\"who\":\"bob\"};"),
        "{}",
        rt.text("#log").expect("log")
    );
    assert!(rt.errors().is_empty(), "{:?}", rt.errors());
}

/// The hostile pages of issue 21, each in an app of its own: a `{{ }}`
/// chain of 25,000 links (a 75 KB file), one of 25,000 sums, and a page
/// whose loops would run 10^10 times.
pub(crate) fn hostile_apps() -> Vec<(&'static str, MemFiles)> {
    let page = |axml: String| {
        let mut files = BTreeMap::new();
        files.insert(
            "app.json".to_string(),
            br#"{"pages": ["pages/index/index"]}"#.to_vec(),
        );
        files.insert("app.js".to_string(), b"App({});".to_vec());
        files.insert("pages/index/index.axml".to_string(), axml.into_bytes());
        files.insert(
            "pages/index/index.js".to_string(),
            b"Page({ data: { n: 100000 } });".to_vec(),
        );
        MemFiles(files)
    };
    vec![
        (
            "links",
            page(format!(
                "<view>\n<text>{{{{ a{} }}}}</text></view>",
                ".b".repeat(25_000)
            )),
        ),
        (
            "sums",
            page(format!(
                "<view>\n<text>{{{{ 1{} }}}}</text></view>",
                "+1".repeat(25_000)
            )),
        ),
        (
            "runaway",
            page(r#"<block a:for="{{n}}"><view a:for="{{n}}" a:if="{{false}}"/></block>"#.into()),
        ),
    ]
}

/// Runs `f` on a thread with `stack` bytes of stack, as an embedding app's
/// thread might have.
fn on_stack(stack: usize, f: impl FnOnce() + Send + 'static) {
    let t = std::thread::Builder::new()
        .stack_size(stack)
        .spawn(f)
        .expect("spawn");
    if let Err(p) = t.join() {
        std::panic::resume_unwind(p);
    }
}

/// In thread mode the unit runs on the app's own thread: the hostile pages
/// are an error with their position, or stop their own app when the render
/// runs past its budget, and an app beside them on the same thread keeps
/// working; on an 8 MB thread and on a 2 MB one. (boa's own parser needs
/// more than 1 MB of stack for the prelude in this unoptimised build; the
/// view half alone is tested on 1 MB in `logic::view`.)
#[test]
fn hostile_templates_stop_only_their_own_app_in_thread_mode() {
    for stack in [8 << 20, 2 << 20] {
        on_stack(stack, move || {
            let opts = || LaunchOptions {
                isolation: super::Isolation::Thread(super::ThreadOptIn::ACCEPT_UNCONTAINED),
                render_budget: Duration::from_millis(300),
                ..LaunchOptions::default()
            };
            let mut good =
                Runtime::launch(Box::new(app(&[])), HeadlessSurface::new(), opts()).expect("good");
            for (what, files) in hostile_apps() {
                let started = std::time::Instant::now();
                let rt = Runtime::launch(Box::new(files), HeadlessSurface::new(), opts())
                    .expect("launches");
                let took = started.elapsed();
                match what {
                    "runaway" => {
                        assert_eq!(
                            rt.stopped(),
                            Some(&crate::logic::Stopped::RenderBudget {
                                route: "pages/index/index".into(),
                                after: Duration::from_millis(300),
                            }),
                            "{what}"
                        );
                        assert!(took < Duration::from_secs(5), "{what}: {took:?}");
                    }
                    _ => {
                        assert!(rt.stopped().is_none(), "{what}");
                        let e = rt.page_error().expect("error state");
                        assert_eq!((e.file.as_str(), e.line), ("pages/index/index.axml", 2));
                        assert!(e.column > 500, "{what}: {e:?}");
                        assert!(
                            e.message
                                .starts_with("in expression: expression too long: more than 256"),
                            "{what}: {e:?}"
                        );
                    }
                }
                assert!(rt.html().contains("<error"), "{what}");
            }
            good.tap("#inc").expect("tap");
            assert_eq!(good.text("#count").expect("count"), "1");
            assert!(good.stopped().is_none());
        });
    }
}

/// A tap on a checkbox, radio or switch changes it, as on a phone, and so
/// does a tap in a `label` around one (its first); a disabled one does not.
#[test]
fn a_tap_on_a_control_or_its_label_changes_it() {
    let mut rt = launch(app(&[
        (
            "pages/index/index.axml",
            r#"<label id="l"><text id="lt">agree</text><checkbox onChange="box"/></label>
<radio id="r" onChange="radio"/>
<switch id="s" disabled="{{true}}" onChange="sw"/>
<text id="log">{{log}}</text>"#,
        ),
        (
            "pages/index/index.js",
            r#"Page({ data: { log: '' },
  note(s) { this.setData({ log: this.data.log + s + ';' }); },
  box(e) { this.note('box:' + e.detail.value); },
  radio(e) { this.note('radio:' + e.detail.value); },
  sw(e) { this.note('sw:' + e.detail.value); } });"#,
        ),
    ]));
    rt.tap("#lt").expect("tap the label's text");
    rt.tap("#l").expect("tap the label");
    rt.tap("#r").expect("tap the radio");
    rt.tap("#s").expect("tap the disabled switch");
    assert_eq!(
        rt.text("#log").expect("log"),
        "box:true;box:false;radio:true;"
    );
    assert!(rt.errors().is_empty(), "{:?}", rt.errors());
}

/// A canvas context's draw reaches the surface as checked actions: without
/// `reserve` the canvas is cleared first, with it the actions add up. A
/// context told more than it may hold throws where the program called it,
/// and nothing of that context is drawn.
#[test]
fn a_canvas_draw_reaches_the_surface_and_an_overfull_context_draws_nothing() {
    let mut rt = launch(app(&[
        (
            "pages/index/index.axml",
            r#"<canvas id="c"/><text id="r">{{r}}</text><button id="more" onTap="more">m</button><button id="flood" onTap="flood">f</button>"#,
        ),
        (
            "pages/index/index.js",
            r#"Page({
  data: { r: '' },
  onReady() {
    var c = my.createCanvasContext('c');
    c.setFillStyle('#0f0');
    c.fillRect(1, 2, 3, 4);
    c.lineWidth = 2;
    c.draw(false, () => this.setData({ r: 'one' }));
  },
  more() {
    var c = my.createCanvasContext('c');
    c.beginPath();
    c.draw(true, () => this.setData({ r: 'two' }));
  },
  flood() {
    var c = my.createCanvasContext('c');
    try { for (var i = 0; i < 10001; i++) c.moveTo(i, i); }
    catch (e) { this.setData({ r: e.name + ': ' + e.message }); return; }
    c.draw();
  }
});"#,
        ),
    ]));
    rt.wait_for("#r", Duration::from_secs(5)).expect("rendered");
    assert_eq!(rt.text("#r").expect("r"), "one");
    let canvas = rt.surface().query("#c").expect("selector")[0];
    let drawn = |rt: &Runtime<HeadlessSurface>| -> Vec<String> {
        rt.surface()
            .canvas(canvas)
            .iter()
            .map(|a| format!("{}{}", a.0, serde_json::Value::Array(a.1.clone())))
            .collect()
    };
    assert_eq!(
        drawn(&rt),
        [
            "setFillStyle[\"#0f0\"]",
            "fillRect[1,2,3,4]",
            "=lineWidth[2]"
        ]
    );
    rt.tap("#more").expect("tap");
    assert_eq!(rt.text("#r").expect("r"), "two");
    assert_eq!(drawn(&rt).len(), 4, "reserve keeps what was drawn");
    rt.tap("#flood").expect("tap");
    assert_eq!(
        rt.text("#r").expect("r"),
        "RangeError: a canvas context holds at most 10000 actions before draw()"
    );
    assert_eq!(drawn(&rt).len(), 4, "nothing of the flood was drawn");
    assert!(rt.errors().is_empty(), "{:?}", rt.errors());
}
