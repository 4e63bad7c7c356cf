//! `mpkit new`: a mini program project exactly as Alipay's tools would write
//! one (mini.project.json, app.json with Alipay's fields only, a page,
//! package.json), which `mpkit run` and `mpkit preview` run at once.

use crate::error::Coded;
use crate::output::Output;
use anyhow::{Context as _, Result};
use clap::{Args, ValueEnum};
use serde_json::json;
use std::path::{Path, PathBuf};

/// `mpkit new`.
#[derive(Debug, Args)]
pub(crate) struct NewArgs {
    /// The folder to create (it must not exist, or be empty).
    dir: PathBuf,
    /// What to start from.
    #[arg(long, value_enum, default_value_t = Template::Blank)]
    template: Template,
}

/// A starting point.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Template {
    /// One page.
    Blank,
    /// A tab bar with two pages, and a detail page pushed from the first.
    Tabs,
    /// A page built from custom components: props, events, a slot, sjs.
    Components,
}

const MINI_PROJECT: &str = r#"{
  "format": 2,
  "compileOptions": {
    "component2": true,
    "enableNodeModuleBabelTransform": true
  },
  "uploadExclude": [],
  "assetsInclude": [],
  "developOptions": {
    "hotReload": true
  }
}
"#;

const APP_JS: &str = r#"App({
  globalData: {},
  onLaunch(options) {
    console.info('launched with', options.query);
  },
  onShow(options) {},
});
"#;

const APP_ACSS: &str = "page {\n  background: #f5f5f5;\n  font-size: 28rpx;\n}\n";

const INDEX_JS: &str = r#"const { greet } = require('../../utils/greet');

Page({
  data: {
    greeting: greet('mini program'),
    taps: 0,
  },
  onLoad(query) {},
  onTap() {
    this.setData({ taps: this.data.taps + 1 });
  },
});
"#;

const INDEX_AXML: &str = r#"<view class="page">
  <text class="greeting">{{greeting}}</text>
  <button id="tap" type="primary" onTap="onTap">Tapped {{taps}} times</button>
</view>
"#;

const INDEX_ACSS: &str =
    ".page {\n  padding: 32rpx;\n}\n.greeting {\n  display: block;\n  margin-bottom: 24rpx;\n}\n";

const GREET_JS: &str = "export function greet(who) {\n  return `Hello, ${who}!`;\n}\n";

const TAB_INDEX_JS: &str = r#"const { greet } = require('../../utils/greet');

Page({
  data: {
    greeting: greet('mini program'),
    items: [
      { id: 'a', name: 'First item' },
      { id: 'b', name: 'Second item' },
    ],
  },
  open(e) {
    my.navigateTo({ url: '../detail/detail?id=' + e.currentTarget.dataset.id });
  },
});
"#;

const TAB_INDEX_AXML: &str = r#"<view class="page">
  <text class="greeting">{{greeting}}</text>
  <view a:for="{{items}}" a:key="id" class="row" data-id="{{item.id}}" onTap="open">{{item.name}}</view>
</view>
"#;

const DETAIL_JS: &str = "Page({\n  data: { id: '' },\n  onLoad(query) {\n    this.setData({ id: query.id });\n  },\n});\n";

const DETAIL_AXML: &str = "<view class=\"page\"><text class=\"detail\">Item {{id}}</text></view>\n";

const CARD_JSON: &str = "{\n  \"component\": true\n}\n";

const CARD_AXML: &str = r#"<import-sjs from="./card.sjs" name="{ badge }"/>
<view class="card {{className}}">
  <view class="card-head">
    <text class="card-title">{{title}}</text>
    <text class="card-badge">{{badge(count)}}</text>
  </view>
  <view class="card-body"><slot>Nothing here yet.</slot></view>
  <button class="card-add" onTap="add">Add</button>
</view>
"#;

const CARD_JS: &str = r#"Component({
  props: {
    title: '',
    step: 1,
    onChange: null,
  },
  data: {
    count: 0,
  },
  didMount() {},
  methods: {
    add() {
      const count = this.data.count + this.props.step;
      this.setData({ count });
      if (this.props.onChange) this.props.onChange(count);
    },
  },
});
"#;

const CARD_SJS: &str =
    "export function badge(count) {\n  return count > 99 ? '99+' : String(count);\n}\n";

const CARD_ACSS: &str = ".card {\n  background: #fff;\n  border-radius: 16rpx;\n  padding: 24rpx;\n  margin-bottom: 24rpx;\n}\n.card-head {\n  display: flex;\n  justify-content: space-between;\n}\n";

const COMP_INDEX_JSON: &str =
    "{\n  \"usingComponents\": {\n    \"card\": \"/components/card/card\"\n  }\n}\n";

const COMP_INDEX_JS: &str = r#"Page({
  data: {
    total: 0,
  },
  onChange(count) {
    this.setData({ total: count });
  },
});
"#;

const COMP_INDEX_AXML: &str = r#"<view class="page">
  <card title="Coffee" step="{{2}}" onChange="onChange">
    <text class="hint">Tap Add to count cups.</text>
  </card>
  <card title="Tea"/>
  <text class="total">Coffee cups: {{total}}</text>
</view>
"#;

const MINE_AXML: &str = "<view class=\"page\"><text class=\"mine\">My account</text></view>\n";

fn files(name: &str, template: Template) -> Vec<(&'static str, String)> {
    let package = json!({
        "name": name,
        "version": "1.0.0",
        "private": true,
        "dependencies": {}
    });
    let mut out = vec![
        ("mini.project.json", MINI_PROJECT.to_string()),
        ("package.json", format!("{:#}\n", package)),
        ("app.js", APP_JS.to_string()),
        ("app.acss", APP_ACSS.to_string()),
        ("utils/greet.js", GREET_JS.to_string()),
        ("pages/index/index.acss", INDEX_ACSS.to_string()),
        ("pages/index/index.json", "{}\n".to_string()),
    ];
    match template {
        Template::Blank => {
            let app = json!({
                "pages": ["pages/index/index"],
                "window": { "defaultTitle": name }
            });
            out.push(("app.json", format!("{:#}\n", app)));
            out.push(("pages/index/index.js", INDEX_JS.to_string()));
            out.push(("pages/index/index.axml", INDEX_AXML.to_string()));
        }
        Template::Tabs => {
            let app = json!({
                "pages": ["pages/index/index", "pages/mine/mine", "pages/detail/detail"],
                "window": { "defaultTitle": name },
                "tabBar": {
                    "textColor": "#999999",
                    "selectedColor": "#1677ff",
                    "items": [
                        { "pagePath": "pages/index/index", "name": "Home" },
                        { "pagePath": "pages/mine/mine", "name": "Mine" }
                    ]
                }
            });
            out.push(("app.json", format!("{:#}\n", app)));
            out.push(("pages/index/index.js", TAB_INDEX_JS.to_string()));
            out.push(("pages/index/index.axml", TAB_INDEX_AXML.to_string()));
            out.push(("pages/mine/mine.axml", MINE_AXML.to_string()));
            out.push(("pages/mine/mine.js", "Page({});\n".to_string()));
            out.push(("pages/detail/detail.js", DETAIL_JS.to_string()));
            out.push(("pages/detail/detail.axml", DETAIL_AXML.to_string()));
        }
        Template::Components => {
            let app = json!({
                "pages": ["pages/index/index"],
                "window": { "defaultTitle": name }
            });
            out.retain(|(p, _)| *p != "pages/index/index.json");
            out.push(("app.json", format!("{:#}\n", app)));
            out.push(("pages/index/index.json", COMP_INDEX_JSON.to_string()));
            out.push(("pages/index/index.js", COMP_INDEX_JS.to_string()));
            out.push(("pages/index/index.axml", COMP_INDEX_AXML.to_string()));
            out.push(("components/card/card.json", CARD_JSON.to_string()));
            out.push(("components/card/card.axml", CARD_AXML.to_string()));
            out.push(("components/card/card.js", CARD_JS.to_string()));
            out.push(("components/card/card.sjs", CARD_SJS.to_string()));
            out.push(("components/card/card.acss", CARD_ACSS.to_string()));
        }
    }
    out
}

/// The package name npm would accept, from the folder's name.
fn package_name(dir: &Path) -> String {
    let raw = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_matches(|c| c == '-' || c == '.' || c == '_');
    if name.is_empty() {
        "mini-program".into()
    } else {
        name.chars().take(64).collect()
    }
}

pub(crate) fn run(args: NewArgs, o: &mut Output<'_>) -> Result<()> {
    let dir = args.dir;
    match std::fs::symlink_metadata(&dir) {
        Ok(m) if !m.is_dir() => {
            return Err(Coded::err(
                "bad_input",
                format!("{} exists and is not a folder", dir.display()),
            ))
        }
        Ok(_) => {
            let mut entries =
                std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?;
            if entries.next().is_some() {
                return Err(Coded::err(
                    "bad_input",
                    format!(
                        "{} is not empty: mpkit new writes only into a new or empty folder",
                        dir.display()
                    ),
                ));
            }
        }
        Err(_) => {}
    }
    let name = package_name(&dir);
    let files = files(&name, args.template);
    // Written into a sibling temporary folder first, then moved in place, so
    // a failure halfway leaves nothing behind.
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".mpkit-new-")
        .tempdir_in(parent)
        .with_context(|| format!("a temporary folder in {}", parent.display()))?;
    for (path, text) in &files {
        let p = staging.path().join(path);
        std::fs::create_dir_all(p.parent().expect("a parent"))?;
        std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?;
    }
    if dir.exists() {
        std::fs::remove_dir(&dir).with_context(|| format!("replacing {}", dir.display()))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, &dir).with_context(|| format!("creating {}", dir.display()))?;
    let written: Vec<&str> = files.iter().map(|(p, _)| *p).collect();
    o.emit(
        &json!({"dir": dir, "name": name, "files": written}),
        || {
            format!(
                "created {} ({} files)\nrun it:      mpkit run {} --headless\npreview it:  mpkit preview {}\npack it:     mpkit pack {} --app-id YOUR_APP_ID --key KEY --out app.mpk",
                dir.display(),
                written.len(),
                dir.display(),
                dir.display(),
                dir.display()
            )
        },
    )?;
    Ok(())
}
