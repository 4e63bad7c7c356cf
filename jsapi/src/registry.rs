//! APIs declared once, as data: name, kind, parameters, permission key, user
//! scope and network list. The dispatcher, `canIUse` and docs/jsapi.md all
//! come from these declarations. Navigation is declared here too, as [`Nav`]:
//! the only spelling of its names in mpkit.

use crate::error::ApiError;
use mpkit_sandbox::net::NetKind;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Async (callbacks or a Promise), Sync (returns or throws), or Nav.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Kind {
    /// `my.x({success, fail, complete})` or a Promise.
    Async,
    /// `my.xSync(...)`.
    Sync,
    /// A navigation ([`Nav`]): called as an async API, gated like every
    /// API, then carried out by the host's page stack, never by a handler.
    Nav,
    /// A call on the page's view ([`ViewApi`]): a selector query's `exec`,
    /// a component context's method. Built by the runtime from the object
    /// the `my.*` factory returned, gated like every API, then answered by
    /// the host's page and its surface, never by a handler.
    View,
}

/// The page stack's navigations: `my.navigateTo` and friends, and the
/// `open-type` of a `<navigator>`. Their names are spelled here and nowhere
/// else; the JS prelude gets them from [`Nav::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Nav {
    /// `my.navigateTo({url})`: pushes a page (at most 10).
    To,
    /// `my.redirectTo({url})`: replaces the current page.
    Redirect,
    /// `my.navigateBack({delta})`: pops pages.
    Back,
    /// `my.reLaunch({url})`: closes every page and opens one.
    ReLaunch,
    /// `my.switchTab({url})`: opens a tabBar page.
    SwitchTab,
}

/// The APIs Alipay's typings declare synchronous (they return their result)
/// whose names do not end in `Sync`; every other `*Sync` name is
/// synchronous too, and the rest take callbacks or return a Promise.
pub const SYNC_WITHOUT_SUFFIX: &[&str] = &["getWindowInfo", "getAppBaseInfo", "getSystemSetting"];

impl Nav {
    /// Every navigation, in the order the reference lists them.
    pub const ALL: [Nav; 5] = [
        Nav::To,
        Nav::Redirect,
        Nav::Back,
        Nav::ReLaunch,
        Nav::SwitchTab,
    ];

    /// Its `my.*` name.
    pub const fn name(self) -> &'static str {
        match self {
            Nav::To => "navigateTo",
            Nav::Redirect => "redirectTo",
            Nav::Back => "navigateBack",
            Nav::ReLaunch => "reLaunch",
            Nav::SwitchTab => "switchTab",
        }
    }

    /// The navigation a `my.*` name names.
    pub fn from_name(name: &str) -> Option<Nav> {
        Nav::ALL.into_iter().find(|n| n.name() == name)
    }

    /// Its `<navigator open-type>` value.
    pub const fn open_type(self) -> &'static str {
        match self {
            Nav::To => "navigate",
            Nav::Redirect => "redirect",
            Nav::Back => "navigateBack",
            Nav::ReLaunch => "reLaunch",
            Nav::SwitchTab => "switchTab",
        }
    }

    /// The navigation an `open-type` value asks for.
    pub fn from_open_type(open_type: &str) -> Option<Nav> {
        Nav::ALL.into_iter().find(|n| n.open_type() == open_type)
    }

    /// Whether it opens the page its `url` names (all but `navigateBack`).
    pub fn opens_url(self) -> bool {
        self != Nav::Back
    }

    /// Its declaration.
    pub fn decl(self) -> ApiDecl {
        let summary = match self {
            Nav::To => "Pushes a page (at most 10).",
            Nav::Redirect => "Replaces the current page.",
            Nav::Back => "Pops pages.",
            Nav::ReLaunch => "Closes every page and opens one.",
            Nav::SwitchTab => "Opens a tabBar page.",
        };
        let decl = ApiDecl::new(self.name(), Kind::Nav, summary);
        if self.opens_url() {
            decl.param("url", ParamType::String, true)
        } else {
            decl.param("delta", ParamType::Number, false)
        }
    }
}

impl std::fmt::Display for Nav {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A navigation crosses the worker pipe as its `my.*` name.
impl Serialize for Nav {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Nav {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Nav, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Nav::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("{name:?} is not a navigation")))
    }
}

/// The view's own APIs: `my.createSelectorQuery` and the component contexts
/// (`my.createCanvasContext` and friends). Each `my.*` factory returns an
/// object built in the logic layer; what that object does to the page
/// (a query's `exec`, a context's method) is one call under the factory's
/// name, which the host's page and surface answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ViewApi {
    /// `my.createSelectorQuery()`: its `exec` reads nodes of the page.
    SelectorQuery,
    /// `my.createCanvasContext(id)`: its `draw` paints a `<canvas>`.
    Canvas,
    /// `my.createMapContext(id)`: a `<map>` (a placeholder in this host).
    Map,
    /// `my.createVideoContext(id)`: a `<video>` (a placeholder in this host).
    Video,
    /// `my.createWebViewContext(id)`: a `<web-view>` (a placeholder in this host).
    WebView,
    /// `my.createLottieContext(id)`: a `<lottie>` (a placeholder in this host).
    Lottie,
    /// `my.createIntersectionObserver(options)`: built in the logic layer
    /// over selector queries; it makes no call of its own.
    IntersectionObserver,
}

impl ViewApi {
    /// Every view API.
    pub const ALL: [ViewApi; 7] = [
        ViewApi::SelectorQuery,
        ViewApi::Canvas,
        ViewApi::Map,
        ViewApi::Video,
        ViewApi::WebView,
        ViewApi::Lottie,
        ViewApi::IntersectionObserver,
    ];

    /// Its `my.*` name (the factory's).
    pub const fn name(self) -> &'static str {
        match self {
            ViewApi::SelectorQuery => "createSelectorQuery",
            ViewApi::Canvas => "createCanvasContext",
            ViewApi::Map => "createMapContext",
            ViewApi::Video => "createVideoContext",
            ViewApi::WebView => "createWebViewContext",
            ViewApi::Lottie => "createLottieContext",
            ViewApi::IntersectionObserver => "createIntersectionObserver",
        }
    }

    /// The view API a `my.*` name names.
    pub fn from_name(name: &str) -> Option<ViewApi> {
        ViewApi::ALL.into_iter().find(|v| v.name() == name)
    }

    /// The built-in component a context drives (none for a selector query).
    pub const fn component(self) -> Option<&'static str> {
        match self {
            ViewApi::SelectorQuery | ViewApi::IntersectionObserver => None,
            ViewApi::Canvas => Some("canvas"),
            ViewApi::Map => Some("map"),
            ViewApi::Video => Some("video"),
            ViewApi::WebView => Some("web-view"),
            ViewApi::Lottie => Some("lottie"),
        }
    }

    /// Its declaration: the parameters of the call the runtime makes.
    pub fn decl(self) -> ApiDecl {
        match self {
            ViewApi::SelectorQuery => ApiDecl::new(
                self.name(),
                Kind::View,
                "A query of the page's nodes; `exec` answers each selection's rect, scroll offset, id and dataset (zero rects where the surface has no layout).",
            )
            .param("queries", ParamType::Array, true),
            ViewApi::IntersectionObserver => ApiDecl::new(
                self.name(),
                Kind::View,
                "An observer of how much of an element is inside the viewport or another element; `observe` measures through createSelectorQuery when it is called (later scrolling is not observed in this host). The factory makes no call of its own.",
            ),
            ViewApi::Canvas => ApiDecl::new(
                self.name(),
                Kind::View,
                "A `<canvas>`'s 2D context; `draw` paints the recorded actions in the webview and records them headless.",
            )
            .param("id", ParamType::String, true)
            .param("method", ParamType::String, true)
            .param("args", ParamType::Any, false),
            ViewApi::Map | ViewApi::Video | ViewApi::WebView | ViewApi::Lottie => ApiDecl::new(
                self.name(),
                Kind::View,
                "The component's context; its methods fail with \"not available in this host\" (the component is a placeholder here).",
            )
            .param("id", ParamType::String, true)
            .param("method", ParamType::String, true)
            .param("args", ParamType::Any, false),
        }
    }
}

impl std::fmt::Display for ViewApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A parameter's JSON type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ParamType {
    /// A string.
    String,
    /// A number.
    Number,
    /// A boolean.
    Bool,
    /// An object.
    Object,
    /// An array.
    Array,
    /// Any JSON value.
    Any,
}

impl ParamType {
    fn accepts(self, v: &Value) -> bool {
        match self {
            ParamType::String => v.is_string(),
            ParamType::Number => v.is_number(),
            ParamType::Bool => v.is_boolean(),
            ParamType::Object => v.is_object(),
            ParamType::Array => v.is_array(),
            ParamType::Any => true,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Number => "number",
            ParamType::Bool => "boolean",
            ParamType::Object => "object",
            ParamType::Array => "array",
            ParamType::Any => "any",
        }
    }
}

/// One declared parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Param {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: ParamType,
    /// Whether it must be given.
    pub required: bool,
}

/// One API's declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiDecl {
    /// The name after `my.`.
    pub name: String,
    /// Async or Sync.
    pub kind: Kind,
    /// Parameters (properties of the one argument object).
    pub params: Vec<Param>,
    /// The platform permission key, if approval is needed.
    pub permission: Option<String>,
    /// The user scope, if consent is needed.
    pub scope: Option<String>,
    /// A scope named by an argument: when parameter `.0` is (or contains) the
    /// string `.1`, the call needs scope `.2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope_if: Option<(&'static str, &'static str, &'static str)>,
    /// The network list its `url` is checked against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net: Option<&'static str>,
    /// One line of documentation.
    pub summary: String,
}

impl ApiDecl {
    /// Starts a declaration.
    pub fn new(name: &str, kind: Kind, summary: &str) -> ApiDecl {
        ApiDecl {
            name: name.to_owned(),
            kind,
            params: Vec::new(),
            permission: None,
            scope: None,
            scope_if: None,
            net: None,
            summary: summary.to_owned(),
        }
    }

    /// Adds a parameter.
    pub fn param(mut self, name: &str, ty: ParamType, required: bool) -> ApiDecl {
        self.params.push(Param {
            name: name.to_owned(),
            ty,
            required,
        });
        self
    }

    /// Needs this platform permission key.
    pub fn permission(mut self, key: &str) -> ApiDecl {
        self.permission = Some(key.to_owned());
        self
    }

    /// Needs this user scope.
    pub fn scope(mut self, scope: &str) -> ApiDecl {
        self.scope = Some(scope.to_owned());
        self
    }

    /// Needs `scope` when parameter `param` is, or contains, `value`.
    pub fn scope_if(
        mut self,
        param: &'static str,
        value: &'static str,
        scope: &'static str,
    ) -> ApiDecl {
        self.scope_if = Some((param, value, scope));
        self
    }

    /// The user scope this call needs: the static one, else one its arguments name.
    pub fn scope_for(&self, params: &Map<String, Value>) -> Option<String> {
        if let Some(s) = &self.scope {
            return Some(s.clone());
        }
        let (param, value, scope) = self.scope_if?;
        let hit = match params.get(param) {
            Some(Value::String(s)) => s == value,
            Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(value)),
            _ => false,
        };
        hit.then(|| scope.to_owned())
    }

    /// Its `url` parameter is checked against this network list.
    pub fn net(mut self, kind: NetKind) -> ApiDecl {
        self.net = Some(kind.name());
        self
    }

    /// Checks arguments against the declaration: required ones present, every
    /// declared one of the right type. Undeclared extra properties are ignored.
    pub fn validate(&self, params: &Map<String, Value>) -> Result<(), ApiError> {
        for p in &self.params {
            match params.get(&p.name) {
                None | Some(Value::Null) if p.required => {
                    return Err(ApiError::InvalidParam {
                        param: p.name.clone(),
                        reason: "is required".into(),
                    })
                }
                Some(v) if !v.is_null() && !p.ty.accepts(v) => {
                    return Err(ApiError::InvalidParam {
                        param: p.name.clone(),
                        reason: format!("must be a {}", p.ty.name()),
                    })
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn storage() -> Vec<ApiDecl> {
    use Kind::{Async, Sync};
    use ParamType as T;
    let mut v = Vec::new();
    for (kind, suffix) in [(Async, ""), (Sync, "Sync")] {
        v.push(
            ApiDecl::new(
                &format!("setStorage{suffix}"),
                kind,
                "Stores a value under a key in the app's own space.",
            )
            .param("key", T::String, true)
            .param("data", T::Any, true),
        );
        v.push(
            ApiDecl::new(
                &format!("getStorage{suffix}"),
                kind,
                "Reads a value; `{data}` is null when absent.",
            )
            .param("key", T::String, true),
        );
        v.push(
            ApiDecl::new(&format!("removeStorage{suffix}"), kind, "Removes a key.").param(
                "key",
                T::String,
                true,
            ),
        );
        v.push(ApiDecl::new(
            &format!("clearStorage{suffix}"),
            kind,
            "Removes every key of the app.",
        ));
        v.push(ApiDecl::new(
            &format!("getStorageInfo{suffix}"),
            kind,
            "Keys, current size and limit in KB.",
        ));
    }
    v
}

/// The declarations of every built-in API. Hosts attach handlers; an API
/// without a handler is not available.
pub fn builtin_decls() -> Vec<ApiDecl> {
    use Kind::{Async, Sync};
    use ParamType as T;
    let request = ApiDecl::new("request", Async, "HTTPS request to an allowed domain.")
        .permission("request")
        .net(NetKind::Request)
        .param("url", T::String, true)
        .param("method", T::String, false)
        .param("headers", T::Object, false)
        .param("data", T::Any, false)
        .param("dataType", T::String, false)
        .param("timeout", T::Number, false);
    let http_request = ApiDecl {
        name: "httpRequest".into(),
        summary: "The earlier name of request.".into(),
        ..request.clone()
    };
    let mut v = storage();
    v.extend([
        request,
        http_request,
        ApiDecl::new(
            "downloadFile",
            Async,
            "Downloads into the app's file space.",
        )
        .permission("downloadFile")
        .net(NetKind::DownloadFile)
        .param("url", T::String, true)
        .param("header", T::Object, false),
        ApiDecl::new(
            "uploadFile",
            Async,
            "Uploads a file from the app's file space.",
        )
        .permission("uploadFile")
        .net(NetKind::UploadFile)
        .param("url", T::String, true)
        .param("filePath", T::String, true)
        .param("fileName", T::String, true)
        .param("fileType", T::String, false)
        .param("formData", T::Object, false),
        ApiDecl::new(
            "writeFile",
            Async,
            "Writes a file in the app's file space (utf8 or base64); on my.getFileSystemManager(), not on my.",
        )
        .param("filePath", T::String, true)
        .param("data", T::String, true)
        .param("encoding", T::String, false),
        ApiDecl::new(
            "readFile",
            Async,
            "Reads a file from the app's file space (utf8 or base64); on my.getFileSystemManager(), not on my.",
        )
        .param("filePath", T::String, true)
        .param("encoding", T::String, false),
        ApiDecl::new(
            "unlink",
            Async,
            "Removes a file from the app's file space; on my.getFileSystemManager(), not on my.",
        )
        .param("filePath", T::String, true),
        ApiDecl::new(
            "readdir",
            Async,
            "Lists a directory of the app's file space; on my.getFileSystemManager(), not on my.",
        )
        .param("dirPath", T::String, true),
        ApiDecl::new(
            "getFileInfo",
            Async,
            "The size of a file in the app's file space (also on my.getFileSystemManager()).",
        )
        .param("filePath", T::String, true),
        ApiDecl::new("showToast", Async, "Shows a toast.")
            .param("content", T::String, false)
            .param("type", T::String, false)
            .param("duration", T::Number, false),
        ApiDecl::new("showLoading", Async, "Shows a loading indicator.").param(
            "content",
            T::String,
            false,
        ),
        ApiDecl::new("hideLoading", Async, "Hides the loading indicator."),
        ApiDecl::new("alert", Async, "Shows an alert.")
            .param("title", T::String, false)
            .param("content", T::String, false)
            .param("buttonText", T::String, false),
        ApiDecl::new("confirm", Async, "Asks to confirm.")
            .param("title", T::String, false)
            .param("content", T::String, false)
            .param("confirmButtonText", T::String, false)
            .param("cancelButtonText", T::String, false),
        ApiDecl::new("prompt", Async, "Asks for text.")
            .param("title", T::String, false)
            .param("message", T::String, false)
            .param("placeholder", T::String, false),
        ApiDecl::new("showActionSheet", Async, "Offers a list of choices.")
            .param("items", T::Array, true)
            .param("title", T::String, false),
        ApiDecl::new("setNavigationBar", Async, "Sets the title and colours.")
            .param("title", T::String, false)
            .param("backgroundColor", T::String, false),
    ]);
    // Navigation sits between the UI and the system APIs in the reference.
    v.extend(Nav::ALL.map(Nav::decl));
    v.extend(ViewApi::ALL.map(ViewApi::decl));
    v.extend([
        ApiDecl::new(
            "getSystemInfo",
            Async,
            "Device, screen and host information.",
        ),
        ApiDecl::new(
            "getSystemInfoSync",
            Sync,
            "Device, screen and host information.",
        ),
        ApiDecl::new("getNetworkType", Async, "The network type."),
        // Sync in Alipay without the `Sync` suffix: see `SYNC_WITHOUT_SUFFIX`.
        ApiDecl::new(
            "getWindowInfo",
            Sync,
            "The window: size, pixel ratio, status bar height and safe area.",
        ),
        ApiDecl::new(
            "getAppBaseInfo",
            Sync,
            "The host app: its version, base library version and language.",
        ),
        ApiDecl::new(
            "getSystemSetting",
            Sync,
            "Whether Bluetooth, location and Wi-Fi are on.",
        ),
        ApiDecl::new(
            "getAccountInfoSync",
            Sync,
            "The mini program's appId, version and build (release or develop).",
        ),
        ApiDecl::new("getAppIdSync", Sync, "The mini program's appId."),
        ApiDecl::new(
            "getExtConfig",
            Async,
            "The `ext` field of the bundle's ext.json (a template's custom data), as {data, extConfig}.",
        ),
        ApiDecl::new(
            "getExtConfigSync",
            Sync,
            "The `ext` field of the bundle's ext.json (a template's custom data).",
        ),
        ApiDecl::new(
            "getRunScene",
            Async,
            "Which build runs: release, develop, trial or gray.",
        ),
        ApiDecl::new(
            "canIUse",
            Sync,
            "Whether an API or API.parameter exists in this host.",
        ),
        ApiDecl::new(
            "getAuthCode",
            Async,
            "A single-use, expiring code bound to appId and user.",
        )
        .permission("getAuthCode")
        .scope_if("scopes", "auth_user", "scope.userInfo")
        .param("scopes", T::Any, false),
        ApiDecl::new(
            "getOpenUserInfo",
            Async,
            "The user's public profile, with consent.",
        )
        .permission("getOpenUserInfo")
        .scope("scope.userInfo"),
        ApiDecl::new(
            "getSetting",
            Async,
            "The user's authorization settings for this app.",
        ),
        ApiDecl::new(
            "openSetting",
            Async,
            "Lets the user change this app's authorizations.",
        ),
        ApiDecl::new("authorize", Async, "Asks for a scope ahead of use.").param(
            "scope",
            T::String,
            true,
        ),
        ApiDecl::new("getLocation", Async, "The device location, with consent.")
            .permission("getLocation")
            .scope("scope.location"),
        ApiDecl::new("scan", Async, "Scans a code with the camera, with consent.")
            .permission("scan")
            .scope("scope.camera"),
        ApiDecl::new("setClipboard", Async, "Writes the clipboard, with consent.")
            .permission("setClipboard")
            .scope("scope.clipboard")
            .param("text", T::String, true),
        ApiDecl::new("getClipboard", Async, "Reads the clipboard, with consent.")
            .permission("getClipboard")
            .scope("scope.clipboard"),
        ApiDecl::new("makePhoneCall", Async, "Offers to call a number.")
            .permission("makePhoneCall")
            .param("number", T::String, true),
        ApiDecl::new("vibrate", Async, "Vibrates the device.").permission("vibrate"),
        ApiDecl::new(
            "tradePay",
            Async,
            "Starts a payment the user always confirms; the result JS sees is informational.",
        )
        .permission("tradePay")
        .param("tradeNO", T::String, true),
    ]);
    v
}
