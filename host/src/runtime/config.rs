//! `app.json` and page `.json`: what the runtime reads of them.

use serde::Deserialize;
use serde_json::{Map, Value};

/// The window configuration (app-wide, overridable per page).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WindowConfig {
    /// Navigation bar title.
    #[serde(default)]
    pub default_title: Option<String>,
    /// WeChat's name for the title, which ported programs use.
    #[serde(default)]
    pub navigation_bar_title_text: Option<String>,
    /// Navigation bar colour.
    #[serde(default)]
    pub title_bar_color: Option<String>,
    /// The page's background colour.
    #[serde(default)]
    pub background_color: Option<String>,
}

/// One tab of the tabBar.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TabItem {
    /// The page route.
    pub page_path: String,
    /// Label.
    #[serde(default)]
    pub name: String,
}

/// The tabBar.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TabBar {
    /// Tabs, in order.
    #[serde(default)]
    pub items: Vec<TabItem>,
    /// A tab's label colour.
    #[serde(default)]
    pub text_color: Option<String>,
    /// The selected tab's label colour.
    #[serde(default)]
    pub selected_color: Option<String>,
    /// The bar's background colour.
    #[serde(default)]
    pub background_color: Option<String>,
}

/// One subpackage: its pages are routes `root/page`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub(crate) struct SubPackage {
    /// The folder.
    pub root: String,
    /// Its pages, relative to `root`.
    #[serde(default)]
    pub pages: Vec<String>,
}

/// What the runtime reads of `app.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppConfig {
    /// Page routes; the first is the home page. After parsing, the
    /// subpackages' routes follow the main package's.
    pub pages: Vec<String>,
    /// Subpackages (Alipay spells the key both ways).
    #[serde(default, alias = "subpackages")]
    sub_packages: Vec<SubPackage>,
    /// Window configuration.
    #[serde(default)]
    pub window: WindowConfig,
    /// The tabBar, if any.
    #[serde(default)]
    pub tab_bar: Option<TabBar>,
}

impl AppConfig {
    /// Parses `app.json`.
    pub(crate) fn parse(bytes: &[u8]) -> Result<AppConfig, String> {
        // Both spellings may be present; serde's alias takes one, so read both here.
        let v: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| format!("app.json: {e}"))?;
        let mut subs = Vec::new();
        for key in ["subPackages", "subpackages"] {
            if let Some(s) = v.get(key) {
                let s: Vec<SubPackage> = serde_json::from_value(s.clone())
                    .map_err(|e| format!("app.json: {key}: {e}"))?;
                subs.extend(s);
            }
        }
        let mut v = v;
        if let Some(o) = v.as_object_mut() {
            o.remove("subPackages");
            o.remove("subpackages");
        }
        let mut c: AppConfig = serde_json::from_value(v).map_err(|e| format!("app.json: {e}"))?;
        if c.pages.is_empty() {
            return Err("app.json: pages is empty".into());
        }
        for p in &mut c.pages {
            *p = p.trim_start_matches('/').to_owned();
        }
        for s in &subs {
            let root = s.root.trim_matches('/');
            for p in &s.pages {
                let r = format!("{root}/{}", p.trim_start_matches('/'));
                if !c.pages.contains(&r) {
                    c.pages.push(r);
                }
            }
        }
        c.sub_packages = subs;
        if c.window.default_title.is_none() {
            c.window.default_title = c.window.navigation_bar_title_text.clone();
        }
        Ok(c)
    }

    /// True when `route` is a tab page.
    pub(crate) fn is_tab(&self, route: &str) -> bool {
        self.tab_bar
            .as_ref()
            .is_some_and(|t| t.items.iter().any(|i| i.page_path == route))
    }
}

/// Splits `/pages/a/a?x=1&y=2` into a route and a query map.
pub(crate) fn parse_url(url: &str) -> (String, Map<String, Value>) {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let route = path.trim_start_matches('/').to_owned();
    let mut q = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        q.insert(decode(k), Value::String(decode(v)));
    }
    (route, q)
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
                {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let (r, q) = parse_url("/pages/item/item?id=latte&name=Caf%C3%A9+au+lait");
        assert_eq!(r, "pages/item/item");
        assert_eq!(q["id"], "latte");
        assert_eq!(q["name"], "Café au lait");
        assert_eq!(parse_url("pages/a/a").0, "pages/a/a");
        assert_eq!(parse_url("/a?x=%zz%").1["x"], "%zz%");
    }
}
