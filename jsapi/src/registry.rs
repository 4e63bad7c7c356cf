//! APIs declared once, as data: name, kind, parameters, permission key, user
//! scope and network list. The dispatcher, `canIUse` and docs/jsapi.md all
//! come from these declarations.

use crate::error::ApiError;
use mpkit_sandbox::net::NetKind;
use serde::Serialize;
use serde_json::{Map, Value};

/// Async (callbacks or a Promise) or Sync (returns or throws).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Kind {
    /// `my.x({success, fail, complete})` or a Promise.
    Async,
    /// `my.xSync(...)`.
    Sync,
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
    use Kind::*;
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
    use Kind::*;
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
            "Writes a file in the app's file space (utf8 or base64).",
        )
        .param("filePath", T::String, true)
        .param("data", T::String, true)
        .param("encoding", T::String, false),
        ApiDecl::new(
            "readFile",
            Async,
            "Reads a file from the app's file space (utf8 or base64).",
        )
        .param("filePath", T::String, true)
        .param("encoding", T::String, false),
        ApiDecl::new("unlink", Async, "Removes a file from the app's file space.").param(
            "filePath",
            T::String,
            true,
        ),
        ApiDecl::new(
            "readdir",
            Async,
            "Lists a directory of the app's file space.",
        )
        .param("dirPath", T::String, true),
        ApiDecl::new(
            "getFileInfo",
            Async,
            "The size of a file in the app's file space.",
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
        ApiDecl::new("navigateTo", Async, "Pushes a page (at most 10).").param(
            "url",
            T::String,
            true,
        ),
        ApiDecl::new("redirectTo", Async, "Replaces the current page.").param(
            "url",
            T::String,
            true,
        ),
        ApiDecl::new("navigateBack", Async, "Pops pages.").param("delta", T::Number, false),
        ApiDecl::new("reLaunch", Async, "Closes every page and opens one.").param(
            "url",
            T::String,
            true,
        ),
        ApiDecl::new("switchTab", Async, "Opens a tabBar page.").param("url", T::String, true),
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
