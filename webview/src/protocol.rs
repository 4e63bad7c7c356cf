//! The `mpkit://` protocol as pure policy: which request names which resource
//! of which app, the MIME type it is served with, and the CSP every response
//! carries. No I/O here: [`crate::serve`] reads the files this decides on.

use mpkit_bundle::AppId;

/// The custom scheme pages are served from.
pub(crate) const SCHEME: &str = "mpkit";

/// Responses above this many bytes are pulled by the view script over the
/// protocol instead of being pushed through `evaluate_script` (WebKitGTK keeps
/// the memory of large evaluated scripts).
pub(crate) const PUSH_LIMIT: usize = 64 * 1024;

/// What a request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resource {
    /// The page shell: chrome and the view script.
    Shell,
    /// The view script.
    ViewJs,
    /// The chrome's stylesheet.
    ViewCss,
    /// Base styles of components, linked inside each page's shadow root.
    ComponentsCss,
    /// One page's stylesheet (ACSS after rpx conversion), by page id.
    PageCss(u64),
    /// A large patch waiting to be pulled, by its number.
    Pull(u64),
    /// A static asset of the bundle, as a normalised relative path.
    Asset(String),
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refused {
    /// Not an `mpkit://` URL.
    #[error("not an mpkit:// URL")]
    Scheme,
    /// The URL names another app than the one this webview runs.
    #[error("the URL names app {0:?}, not this one")]
    OtherApp(String),
    /// A `.` or `..` segment, decoded or not, or an encoded separator.
    #[error("the path leaves the bundle root")]
    Traversal,
    /// Malformed: bad percent-encoding, a NUL, a backslash, an empty segment.
    #[error("malformed path: {0}")]
    Malformed(&'static str),
    /// A file the render layer never gets: logic JS, templates, configs, the
    /// signature, or a type outside the static-asset list.
    #[error("{0} is not served to pages")]
    NotServed(String),
    /// Something under `__mpkit/` that does not exist.
    #[error("no such host resource")]
    NoSuchResource,
}

/// The shell's URL for `app`.
pub(crate) fn shell_url(app: &AppId) -> String {
    format!("{SCHEME}://{app}/__mpkit/shell.html")
}

/// The origin pages of `app` have.
pub(crate) fn origin(app: &AppId) -> String {
    format!("{SCHEME}://{app}")
}

/// Decides what `url` names for a webview running `app`.
pub(crate) fn resolve(url: &str, app: &AppId) -> Result<Resource, Refused> {
    let rest = url
        .strip_prefix(SCHEME)
        .and_then(|r| r.strip_prefix("://"))
        .ok_or(Refused::Scheme)?;
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    // WebKit keeps an opaque host's case; app ids compare exactly.
    if host != app.as_str() {
        return Err(Refused::OtherApp(host.to_owned()));
    }
    let mut segments = Vec::new();
    for raw in path.split('/') {
        let seg = decode(raw)?;
        if seg == "." || seg == ".." {
            return Err(Refused::Traversal);
        }
        if seg.contains('/') {
            return Err(Refused::Traversal);
        }
        if seg.is_empty() {
            return Err(Refused::Malformed("empty segment"));
        }
        if seg.contains('\\') {
            return Err(Refused::Malformed("backslash"));
        }
        if seg.contains('\0') || seg.chars().any(char::is_control) {
            return Err(Refused::Malformed("control character"));
        }
        segments.push(seg);
    }
    if segments.first().map(String::as_str) == Some("__mpkit") {
        return match segments[1..]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["shell.html"] => Ok(Resource::Shell),
            ["view.js"] => Ok(Resource::ViewJs),
            ["view.css"] => Ok(Resource::ViewCss),
            ["components.css"] => Ok(Resource::ComponentsCss),
            ["page", f] => numbered(f, ".css").map(Resource::PageCss),
            ["pull", f] => numbered(f, ".json").map(Resource::Pull),
            _ => Err(Refused::NoSuchResource),
        };
    }
    let rel = segments.join("/");
    if segments.first().map(String::as_str) == Some("mpkit") {
        return Err(Refused::NotServed(rel));
    }
    if mime(&rel).is_none() {
        return Err(Refused::NotServed(rel));
    }
    Ok(Resource::Asset(rel))
}

fn numbered(file: &str, ext: &str) -> Result<u64, Refused> {
    file.strip_suffix(ext)
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && n.len() < 20)
        .and_then(|n| n.parse().ok())
        .ok_or(Refused::NoSuchResource)
}

fn decode(seg: &str) -> Result<String, Refused> {
    let b = seg.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(Refused::Malformed("bad percent-encoding"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Refused::Malformed("not UTF-8"))
}

/// The MIME type of a static asset, or `None` for anything pages never load
/// from the bundle (`.js`, `.axml`, `.json`, `.acss` and unknown types).
pub(crate) fn mime(path: &str) -> Option<&'static str> {
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "bmp" => "image/bmp",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "ogg" => "audio/ogg",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "txt" => "text/plain; charset=utf-8",
        _ => return None,
    })
}

/// The MIME type of a host resource.
pub(crate) fn resource_mime(r: &Resource) -> &'static str {
    match r {
        Resource::Shell => "text/html; charset=utf-8",
        Resource::ViewJs => "text/javascript; charset=utf-8",
        Resource::ViewCss | Resource::ComponentsCss | Resource::PageCss(_) => {
            "text/css; charset=utf-8"
        }
        Resource::Pull(_) => "application/json",
        Resource::Asset(p) => mime(p).unwrap_or("application/octet-stream"),
    }
}

/// The Content-Security-Policy of every response for `app`: scripts, styles,
/// images, fonts, media and fetches from the app's own origin only; no
/// frames, objects, forms or base changes.
pub(crate) fn csp(app: &AppId) -> String {
    let o = origin(app);
    format!(
        "default-src 'none'; script-src {o}; style-src {o}; img-src {o}; font-src {o}; \
         media-src {o}; connect-src {o}; frame-src 'none'; child-src 'none'; \
         object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

/// Whether the top frame may navigate to `url`: only the app's own shell.
pub(crate) fn navigation_allowed(url: &str, app: &AppId) -> bool {
    url == shell_url(app)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> AppId {
        AppId::new("coffee").expect("app id")
    }

    #[test]
    fn host_resources_resolve() {
        let a = app();
        assert_eq!(
            resolve("mpkit://coffee/__mpkit/shell.html", &a),
            Ok(Resource::Shell)
        );
        assert_eq!(
            resolve("mpkit://coffee/__mpkit/view.js?v=1", &a),
            Ok(Resource::ViewJs)
        );
        assert_eq!(
            resolve("mpkit://coffee/__mpkit/page/12.css", &a),
            Ok(Resource::PageCss(12))
        );
        assert_eq!(
            resolve("mpkit://coffee/__mpkit/pull/3.json#x", &a),
            Ok(Resource::Pull(3))
        );
        assert_eq!(
            resolve("mpkit://coffee/__mpkit/pull/x.json", &a),
            Err(Refused::NoSuchResource)
        );
        assert_eq!(
            resolve("mpkit://coffee/__mpkit/secret", &a),
            Err(Refused::NoSuchResource)
        );
    }

    #[test]
    fn assets_resolve_with_their_type() {
        let a = app();
        assert_eq!(
            resolve("mpkit://coffee/images/cup%20big.png", &a),
            Ok(Resource::Asset("images/cup big.png".into()))
        );
        assert_eq!(mime("a/B.PNG"), Some("image/png"));
        assert_eq!(mime("f.woff2"), Some("font/woff2"));
        assert_eq!(
            resource_mime(&Resource::ViewJs),
            "text/javascript; charset=utf-8"
        );
    }

    #[test]
    fn another_app_is_refused() {
        let a = app();
        assert_eq!(
            resolve("mpkit://wallet/images/a.png", &a),
            Err(Refused::OtherApp("wallet".into()))
        );
        assert_eq!(
            resolve("mpkit://COFFEE/images/a.png", &a),
            Err(Refused::OtherApp("COFFEE".into()))
        );
        assert_eq!(
            resolve("mpkit://coffee.evil/images/a.png", &a),
            Err(Refused::OtherApp("coffee.evil".into()))
        );
        assert_eq!(resolve("file:///etc/passwd", &a), Err(Refused::Scheme));
        assert_eq!(resolve("https://coffee/a.png", &a), Err(Refused::Scheme));
    }

    #[test]
    fn traversal_is_refused_in_every_spelling() {
        let a = app();
        for url in [
            "mpkit://coffee/../wallet/a.png",
            "mpkit://coffee/images/../../a.png",
            "mpkit://coffee/%2e%2e/a.png",
            "mpkit://coffee/%2E%2e/a.png",
            "mpkit://coffee/.%2e/a.png",
            "mpkit://coffee/images/./a.png",
            "mpkit://coffee/..%2fwallet%2fa.png",
            "mpkit://coffee/images%2f..%2f..%2fa.png",
        ] {
            assert_eq!(resolve(url, &a), Err(Refused::Traversal), "{url}");
        }
        for (url, why) in [
            ("mpkit://coffee/images//a.png", "empty segment"),
            ("mpkit://coffee/images/..%5ca.png", "backslash"),
            ("mpkit://coffee/a%00.png", "control character"),
            ("mpkit://coffee/a%zz.png", "bad percent-encoding"),
            ("mpkit://coffee/a%ff.png", "not UTF-8"),
            ("mpkit://coffee/", "empty segment"),
        ] {
            assert_eq!(resolve(url, &a), Err(Refused::Malformed(why)), "{url}");
        }
    }

    #[test]
    fn logic_and_config_files_are_never_served() {
        let a = app();
        for (url, rel) in [
            ("mpkit://coffee/app.js", "app.js"),
            (
                "mpkit://coffee/pages/index/index.axml",
                "pages/index/index.axml",
            ),
            ("mpkit://coffee/app.json", "app.json"),
            ("mpkit://coffee/app.acss", "app.acss"),
            ("mpkit://coffee/mpkit/signature.png", "mpkit/signature.png"),
            ("mpkit://coffee/noext", "noext"),
        ] {
            assert_eq!(
                resolve(url, &a),
                Err(Refused::NotServed(rel.into())),
                "{url}"
            );
        }
    }

    #[test]
    fn only_the_shell_is_a_navigation_target() {
        let a = app();
        assert!(navigation_allowed("mpkit://coffee/__mpkit/shell.html", &a));
        for url in [
            "https://example.com/",
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "mpkit://wallet/__mpkit/shell.html",
            "mpkit://coffee/images/a.svg",
            "about:blank",
        ] {
            assert!(!navigation_allowed(url, &a), "{url}");
        }
    }

    #[test]
    fn csp_names_only_the_own_origin() {
        let c = csp(&app());
        assert!(c.starts_with("default-src 'none'; script-src mpkit://coffee;"));
        assert!(!c.contains("unsafe"));
        assert!(c.contains("frame-src 'none'"));
    }
}
