//! The logic layer on its own: lifecycle, setData, timers, host calls, errors and limits.

use super::convert::MAX_DEPTH;
use super::engine::{JsLimits, LogicLayer};
use super::protocol::{FromLogic, ScriptError, ToLogic};
use mpkit_jsapi::{ApiError, Nav};
use serde_json::{json, Map, Value};

/// The `my.*` names the tests' layers offer.
fn apis() -> Vec<String> {
    let mut v: Vec<String> = [
        "getStorageSync",
        "setStorageSync",
        "request",
        "showToast",
        "getSystemInfoSync",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    v.push(Nav::To.name().into());
    v
}

fn layer(app: &str, page: &str) -> LogicLayer {
    let mut l = LogicLayer::new(JsLimits::default(), apis()).expect("layer");
    l.load_script("app.js", app, None).expect("app.js");
    l.load_script("pages/index/index.js", page, Some("pages/index/index"))
        .expect("page js");
    l
}

fn create(l: &mut LogicLayer, query: Value) -> Vec<FromLogic> {
    let query: Map<String, Value> = serde_json::from_value(query).expect("map");
    let mut out = l.handle(&ToLogic::PageCreate {
        page: 1,
        route: "pages/index/index".into(),
        query: query.clone(),
    });
    out.extend(l.handle(&ToLogic::PageHook {
        page: 1,
        hook: "onLoad".into(),
        args: vec![Value::Object(query)],
    }));
    out
}

fn errors(out: &[FromLogic]) -> Vec<ScriptError> {
    out.iter()
        .filter_map(|m| match m {
            FromLogic::Error { error } => Some(error.clone()),
            _ => None,
        })
        .collect()
}

fn logs(out: &[FromLogic]) -> Vec<String> {
    out.iter()
        .filter_map(|m| match m {
            FromLogic::Console { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn lifecycle_and_set_data_with_paths() {
    let mut l = layer(
        "App({ onLaunch(o) { console.log('launch', o.query.x); }, onShow() { console.log('show'); } });",
        r#"Page({
            data: { list: [{ name: 'a' }, { name: 'b' }], n: 1 },
            onLoad(q) {
                this.setData({ 'list[1].name': 'B', 'deep.x.y': q.id }, () => console.log('flushed', this.data.list[1].name));
                console.log(this.route, JSON.stringify(this.options), this.data.deep.x.y, getCurrentPages().length);
            }
        });"#,
    );
    let out = l.handle(&ToLogic::AppLaunch {
        options: json!({"path": "pages/index/index", "query": {"x": "1"}}),
    });
    assert_eq!(logs(&out), ["launch 1", "show"]);
    l.handle(&ToLogic::Stack { pages: vec![1] });
    let out = create(&mut l, json!({"id": "42"}));
    assert!(errors(&out).is_empty(), "{out:?}");
    assert!(matches!(&out[0], FromLogic::InitialData { page: 1, data } if data["n"] == 1));
    let FromLogic::SetData {
        patch, callback, ..
    } = &out[1]
    else {
        panic!("{out:?}")
    };
    assert_eq!(
        Value::Object(patch.clone()),
        json!({"list[1].name": "B", "deep.x.y": "42"})
    );
    assert_eq!(logs(&out), ["pages/index/index {\"id\":\"42\"} 42 1"]);
    let out = l.handle(&ToLogic::Flushed {
        callbacks: vec![*callback],
    });
    assert_eq!(logs(&out), ["flushed B"]);
}

#[test]
fn infinite_loop_is_stopped_and_the_layer_survives() {
    let mut l = layer(
        "App({});",
        "Page({ spin() { while (true) {} }, ok() { console.log('still alive'); } });",
    );
    create(&mut l, json!({}));
    let out = l.handle(&ToLogic::Event {
        page: 1,
        handler: "spin".into(),
        event: json!({}),
        site: String::new(),
    });
    let errs = errors(&out);
    assert_eq!(errs.len(), 1, "{out:?}");
    assert_eq!(errs[0].kind, "limit", "{errs:?}");
    let out = l.handle(&ToLogic::Event {
        page: 1,
        handler: "ok".into(),
        event: json!({}),
        site: String::new(),
    });
    assert_eq!(logs(&out), ["still alive"]);
}

#[test]
fn unbounded_recursion_is_stopped() {
    let mut l = layer(
        "App({});",
        "function f(n) { return f(n + 1) + 1; } Page({ go() { f(0); } });",
    );
    create(&mut l, json!({}));
    let out = l.handle(&ToLogic::Event {
        page: 1,
        handler: "go".into(),
        event: json!({}),
        site: String::new(),
    });
    let errs = errors(&out);
    assert_eq!(errs.len(), 1, "{out:?}");
    assert!(
        errs[0].kind == "limit"
            || errs[0].message.contains("recursi")
            || errs[0].message.contains("stack"),
        "{errs:?}"
    );
}

#[test]
fn syntax_error_has_file_line_and_column() {
    let mut l = LogicLayer::new(JsLimits::default(), vec![]).expect("layer");
    let e = l
        .load_script(
            "pages/bad/bad.js",
            "Page({\n  data: {,\n});",
            Some("pages/bad/bad"),
        )
        .expect_err("syntax");
    assert_eq!(e.kind, "syntax");
    assert_eq!(e.file, "pages/bad/bad.js");
    assert_eq!(e.line, 2, "{e:?}");
    assert!(e.column > 0, "{e:?}");
}

#[test]
fn throw_in_on_load_reaches_on_error_with_location() {
    let mut l = layer(
        "App({ onError(m) { console.log('onError:', m); } });",
        "Page({\n  onLoad() {\n    throw new Error('boom');\n  }\n});",
    );
    let out = create(&mut l, json!({}));
    let errs = errors(&out);
    assert_eq!(errs.len(), 1, "{out:?}");
    assert_eq!(errs[0].message, "Error: boom");
    assert_eq!(
        (errs[0].file.as_str(), errs[0].line),
        ("pages/index/index.js", 3),
        "{errs:?}"
    );
    assert_eq!(logs(&out), ["onError: Error: boom"]);
}

#[test]
fn oversized_set_data_is_refused() {
    let mut l = layer(
        "App({});",
        "Page({ big() { this.setData({ blob: 'x'.repeat(1100000) }); } });",
    );
    create(&mut l, json!({}));
    let out = l.handle(&ToLogic::Event {
        page: 1,
        handler: "big".into(),
        event: json!({}),
        site: String::new(),
    });
    let errs = errors(&out);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].message.contains("over the 1 MB limit"), "{errs:?}");
    assert!(!out.iter().any(|m| matches!(m, FromLogic::SetData { .. })));
}

/// Builds an object nested 100,000 levels deep.
const DEEP: &str =
    "function deep() { let o = {}; for (let i = 0; i < 100000; i++) o = { o: o }; return o; } ";

fn event(l: &mut LogicLayer, handler: &str) -> Vec<FromLogic> {
    l.handle(&ToLogic::Event {
        page: 1,
        handler: handler.into(),
        event: json!({}),
        site: String::new(),
    })
}

#[test]
fn data_nested_without_bound_is_refused_and_the_layer_lives_on() {
    // boa's own conversion recursed once per level: 100,000 levels overflowed
    // the thread's stack and took the host down with the mini program.
    let mut l = layer(
        "App({});",
        &[
            DEEP,
            "Page({ \
           big() { this.setData({ tree: deep() }); }, \
           caught() { try { this.setData({ tree: deep() }); } catch (e) { console.log('caught', e.name); } }, \
           sync() { try { my.getStorageSync(deep()); } catch (e) { console.log('sync', e.name); } }, \
           fine() { this.setData({ ok: 1 }); } });",
        ]
        .concat(),
    );
    create(&mut l, json!({}));
    let out = event(&mut l, "big");
    let errs = errors(&out);
    assert_eq!(errs.len(), 1, "{out:?}");
    assert!(
        errs[0]
            .message
            .contains(&format!("data nested deeper than {MAX_DEPTH} levels")),
        "{errs:?}"
    );
    assert!(!out.iter().any(|m| matches!(m, FromLogic::SetData { .. })));
    assert_eq!(logs(&event(&mut l, "caught")), ["caught RangeError"]);
    assert_eq!(logs(&event(&mut l, "sync")), ["sync RangeError"]);
    let out = event(&mut l, "fine");
    assert!(errors(&out).is_empty(), "{out:?}");
    assert!(out
        .iter()
        .any(|m| matches!(m, FromLogic::SetData { patch, .. } if patch["ok"] == 1)));
}

#[test]
fn a_worker_sends_set_data_as_json_text_with_the_same_checks() {
    let mut l = layer(
        "App({});",
        &[
            DEEP,
            "Page({ \
           ok() { this.setData({ 'list[2].name': 'x\"y', n: 1.5, f() {}, u: undefined }, () => 1); }, \
           big() { this.setData({ blob: 'x'.repeat(1100000) }); }, \
           arr() { this.setData([1]); }, \
           deep() { this.setData({ tree: deep() }); } });",
        ]
        .concat(),
    );
    l.send_patches_as_json();
    create(&mut l, json!({}));
    let out = event(&mut l, "ok");
    let Some(FromLogic::SetDataJson {
        page,
        comp: 0,
        patch,
        callback,
        size,
    }) = out
        .iter()
        .find(|m| matches!(m, FromLogic::SetDataJson { .. }))
    else {
        panic!("no patch text: {out:?}");
    };
    assert_eq!((*page, *callback > 0), (1, true));
    assert_eq!(patch.text(), r#"{"list[2].name":"x\"y","n":1.5}"#);
    assert_eq!(*size, patch.text().len());
    assert_eq!(
        patch.to_map().expect("map"),
        serde_json::from_value::<Map<String, Value>>(json!({"list[2].name": "x\"y", "n": 1.5}))
            .expect("map")
    );
    // It is the view's, in the same unit: it never crosses to the host.
    assert!(serde_json::to_string(&out).is_err());
    for (h, want) in [
        ("big", "over the 1 MB limit"),
        ("arr", "setData expects an object"),
        ("deep", "data nested deeper than 100 levels"),
    ] {
        let out = event(&mut l, h);
        let errs = errors(&out);
        assert!(
            errs.len() == 1 && errs[0].message.contains(want),
            "{h}: {errs:?}"
        );
        assert!(
            !out.iter()
                .any(|m| matches!(m, FromLogic::SetDataJson { .. } | FromLogic::SetData { .. })),
            "{h}"
        );
    }
}

#[test]
fn missing_handler_is_reported() {
    let mut l = layer("App({});", "Page({});");
    create(&mut l, json!({}));
    let out = l.handle(&ToLogic::Event {
        page: 1,
        handler: "nope".into(),
        event: json!({}),
        site: String::new(),
    });
    assert!(errors(&out)[0]
        .message
        .contains("handler \"nope\" is not a function"));
}

#[test]
fn timers_and_promised_host_calls() {
    let mut l = layer(
        "App({});",
        r#"Page({ onLoad() {
            setTimeout((a) => console.log('timer', a), 10, 'x');
            my.navigateTo({ url: '/pages/b/b' }).then(() => console.log('navigated'), (e) => console.log('failed', e.error));
        } });"#,
    );
    let out = create(&mut l, json!({}));
    let (timer, call) = (
        out.iter().find_map(|m| match m {
            FromLogic::SetTimer {
                id,
                delay_ms: 10,
                repeat: false,
            } => Some(*id),
            _ => None,
        }),
        out.iter().find_map(|m| match m {
            FromLogic::Call {
                name,
                id,
                params,
                site,
            } if Nav::from_name(name) == Some(Nav::To) => {
                assert_eq!(params["url"], "/pages/b/b");
                // Where the page called from, for errors in the call.
                assert!(site.contains("pages/index/index.js:3:"), "{site}");
                Some(*id)
            }
            _ => None,
        }),
    );
    let out = l.handle(&ToLogic::Timer {
        id: timer.expect("timer"),
        repeat: false,
    });
    assert_eq!(logs(&out), ["timer x"]);
    let out = l.handle(&ToLogic::Reply {
        id: call.expect("call"),
        ok: false,
        result: ApiError::Navigation("no".into()).to_js(),
    });
    assert_eq!(logs(&out), ["failed 4"]);
}

#[test]
fn each_script_has_its_own_scope() {
    let mut l = LogicLayer::new(JsLimits::default(), vec![]).expect("layer");
    l.load_script("app.js", "const app = 1; App({});", None)
        .expect("app");
    l.load_script(
        "pages/a/a.js",
        "const app = getApp();\nconst MIN = 1;\nPage({});",
        Some("pages/a/a"),
    )
    .expect("a");
    l.load_script(
        "pages/b/b.js",
        "const app = getApp();\nconst MIN = 2;\nPage({});",
        Some("pages/b/b"),
    )
    .expect("b");
}

#[test]
fn unhandled_rejections_are_reported_and_handled_ones_are_not() {
    let mut l = layer(
        "App({ onUnhandledRejection(r) { console.log('unhandled', r.reason.message); } });",
        r#"Page({
            bad() { Promise.reject(new Error('lost')); },
            good() { Promise.reject(new Error('caught')).catch(() => console.log('handled')); }
        });"#,
    );
    create(&mut l, json!({}));
    let out = l.handle(&ToLogic::Event {
        page: 1,
        handler: "bad".into(),
        event: json!({}),
        site: String::new(),
    });
    let errs = errors(&out);
    assert_eq!(errs.len(), 1, "{out:?}");
    assert_eq!(
        (errs[0].kind.as_str(), errs[0].message.as_str()),
        ("rejection", "Error: lost")
    );
    assert_eq!(logs(&out), ["unhandled lost"]);
    let out = l.handle(&ToLogic::Event {
        page: 1,
        handler: "good".into(),
        event: json!({}),
        site: String::new(),
    });
    assert!(errors(&out).is_empty(), "{out:?}");
    assert_eq!(logs(&out), ["handled"]);
}

/// A refused Sync call throws an `Error` carrying exactly what the host's
/// `ApiError::to_js` made: its code, its message, nothing hand-built.
#[test]
fn a_refused_sync_call_throws_the_hosts_js_error() {
    let mut l = layer(
        "App({});",
        r#"Page({ onLoad() {
            try { my.getStorageSync({ key: 'k' }); }
            catch (e) { console.log(e instanceof Error, e.error, e.errorMessage, e.message, Object.keys(e).join()); }
        } });"#,
    );
    let without = create(&mut l, json!({}));
    let mut l = layer(
        "App({});",
        r#"Page({ onLoad() {
            try { my.getStorageSync({ key: 'k' }); }
            catch (e) { console.log(e instanceof Error, e.error, e.errorMessage, e.message); }
        } });"#,
    );
    l.set_sync_handler(Box::new(|_: &str, _: &Value| {
        Err(ApiError::InvalidParam {
            param: "key".into(),
            reason: "is required".into(),
        }
        .to_js())
    }));
    let with = create(&mut l, json!({}));
    assert_eq!(
        (logs(&without), logs(&with)),
        (
            vec!["true 1 my.getStorageSync is not available in this host my.getStorageSync is not available in this host error,errorMessage".to_string()],
            vec!["true 2 invalid parameter key: is required invalid parameter key: is required".to_string()]
        )
    );
}

/// `this` in an arrow nested in another arrow is the enclosing function's,
/// whether or not the outer arrow uses `this` itself (boa_ast 0.22.0 gave
/// the global object: vendor/boa_ast/MPKIT.md). Everyday mini program code:
/// a forEach inside a request's success callback.
#[test]
fn this_in_an_arrow_nested_in_an_arrow_is_the_enclosing_functions() {
    let page = r#"
const seen = [];
const probe = {
  name: 'probe',
  viaForEach() { [1].forEach(() => { [2].forEach(() => { seen.push(this.name); }); }); },
  direct() { const f = () => () => this.name; seen.push(f()()); },
  deep() { const f = () => () => () => () => this.name; seen.push(f()()()()); },
  withDefault(e = {}) { const f = () => { const g = () => this.name; return g(); }; seen.push(f()); },
};
function Ctor() { this.name = 'ctor'; const f = () => () => this.name; seen.push(f()()); }
probe.viaForEach(); probe.direct(); probe.deep(); probe.withDefault(); new Ctor();
Page({ onLoad() { const later = () => { [0].map(() => console.log(seen.join(',') + '|' + this.route)); }; later(); } });
"#;
    let mut l = layer("App({});", page);
    let out = create(&mut l, json!({}));
    assert!(errors(&out).is_empty(), "{:?}", errors(&out));
    assert_eq!(
        logs(&out),
        ["probe,probe,probe,probe,ctor|pages/index/index"]
    );
}

/// Date strings as Alipay's engines read them (dates.js): the slash and
/// space forms are local time, ISO stays boa's, what is no date stays NaN,
/// and `Date` still behaves as `Date` (instanceof, called without `new`,
/// subclassed, `Date.now`, `Date.UTC`, `Date.parse`).
#[test]
fn date_strings_in_the_forms_mini_programs_write_are_read() {
    let mut l = layer(
        "App({});",
        r#"Page({ onLoad() {
          const t = (s) => new Date(s).getTime();
          const same = (a, b) => t(a) === new Date(...b).getTime();
          class Later extends Date {}
          console.log([
            same('2024/03/01', [2024, 2, 1]),
            same('2024/3/1 08:05', [2024, 2, 1, 8, 5]),
            same('2024-03-01 08:05:09', [2024, 2, 1, 8, 5, 9]),
            same('2024/03/01 08:05:09.5', [2024, 2, 1, 8, 5, 9, 500]),
            same('03/01/2024', [2024, 2, 1]),
            t('2024-03-01T00:00:00Z') === Date.UTC(2024, 2, 1),
            isNaN(t('2024/13/01')), isNaN(t('yesterday')), isNaN(t('2024/03/01 25:00')),
            new Date('2024/03/01') instanceof Date, typeof Date(), Object.prototype.toString.call(new Date()),
            new Later('2024/03/01').getDate(), new Later() instanceof Later,
            Date.parse('2024/03/01') === new Date(2024, 2, 1).getTime(), typeof Date.now(), Date.name, Date.length,
            new Date(2024, 0).getMonth(), new Date(0).getTime(), new Date(new Date(5)).getTime()
          ].join(','));
        } });"#,
    );
    let out = create(&mut l, json!({}));
    assert!(errors(&out).is_empty(), "{:?}", errors(&out));
    assert_eq!(
        logs(&out),
        ["true,true,true,true,true,true,true,true,true,true,string,[object Date],1,true,true,number,Date,7,0,0,5"]
    );
}

/// The loop limit counts every loop iteration of one function call
/// together (boa counts per call frame), as docs/miniprogram-format.md
/// says: two loops in one call share it, a loop in each of two calls does
/// not, and a call past it throws where it runs while the layer lives on.
#[test]
fn the_loop_limit_counts_per_function_call() {
    let limits = JsLimits {
        loop_iterations: 1_000,
        ..JsLimits::default()
    };
    let mut l = LogicLayer::new(limits, apis()).expect("layer");
    l.load_script("app.js", "App({});", None).expect("app.js");
    l.load_script(
        "pages/index/index.js",
        r#"function spin(n) { let x = 0; for (let i = 0; i < n; i++) { x++; } return x; }
Page({
  twoInOne() { let x = 0; for (let i = 0; i < 600; i++) { x++; } for (let i = 0; i < 600; i++) { x++; } },
  oneEach() { spin(600); spin(600); this.setData({ ok: true }); },
});"#,
        Some("pages/index/index"),
    )
    .expect("page js");
    create(&mut l, json!({}));
    let errs = errors(&event(&mut l, "twoInOne"));
    assert!(
        errs.len() == 1 && errs[0].message.contains("loop"),
        "two loops of 600 in one call pass 1,000: {errs:?}"
    );
    let out = event(&mut l, "oneEach");
    assert!(errors(&out).is_empty(), "{:?}", errors(&out));
}
