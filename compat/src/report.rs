//! The report: JSON with a versioned schema (`mpkit.compat/1`), and a
//! self-contained HTML page. Everything a bundle controls (titles, messages,
//! file names, handler names, text) is escaped: a bundle is hostile input.

use serde::{Deserialize, Serialize};

/// The schema every report names in its `schema` field.
pub const REPORT_SCHEMA: &str = "mpkit.compat/1";

/// Why there are no screenshots in the report yet.
pub const VISUAL_UNAVAILABLE: &str =
    "visual checks: not run (mpkit compat --screenshots DIR takes them, with a display)";

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the profile.
    Error,
    /// Worth a look; the profile is `warn`.
    Warn,
    /// For the record; does not change the status.
    Info,
}

/// A profile's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// No errors, no warnings.
    Pass,
    /// Warnings, no errors.
    Warn,
    /// At least one error.
    Fail,
}

impl Status {
    /// `pass`, `warn` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }

    /// The status a list of problems earns.
    pub fn of(problems: &[Problem]) -> Status {
        if problems.iter().any(|p| p.severity == Severity::Error) {
            Status::Fail
        } else if problems.iter().any(|p| p.severity == Severity::Warn) {
            Status::Warn
        } else {
            Status::Pass
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// What kind: `parse-error`, `api-missing`, `api-dynamic`, `api-alias`,
    /// `min-host-version`, `package-size`, `compat-config`, `launch-failed`,
    /// `uncaught-error`, `render-error`, `stopped`, `jsapi-failed`, `timeout`,
    /// `slow-handler`, `set-data-size`, `page-stack`, `taps-capped`, `truncated`.
    pub kind: String,
    /// How bad.
    pub severity: Severity,
    /// The page being exercised (dynamic checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    /// The file at fault, bundle-relative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Line from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Column from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// What happened.
    pub message: String,
    /// What the checker was doing (`opening the page`, `tapping ...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The network conditions (and extra screens) it happened under; empty for static checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
}

impl Problem {
    /// A problem with only a kind, a severity and a message.
    pub fn new(kind: &str, severity: Severity, message: impl Into<String>) -> Problem {
        Problem {
            kind: kind.to_owned(),
            severity,
            page: None,
            file: None,
            line: None,
            column: None,
            message: message.into(),
            context: None,
            conditions: Vec::new(),
        }
    }
}

/// The app under test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// appId.
    pub app_id: String,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// `minHostVersion`.
    pub min_host_version: String,
    /// The signed package's size.
    pub package_bytes: u64,
    /// Pages, in app.json order.
    pub pages: Vec<PageInfo>,
}

/// A page of the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    /// Its route.
    pub route: String,
    /// Its navigation bar title (the page's `defaultTitle`, else the app's).
    pub title: String,
}

/// One run of a profile: a network condition on a screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    /// The condition's name (with the screen when it is not the primary one).
    pub name: String,
    /// The screen, `WxH@R`.
    pub screen: String,
    /// Pages launched.
    pub pages: usize,
    /// Elements tapped.
    pub taps: usize,
    /// Wall time.
    pub elapsed_ms: u64,
}

/// One profile's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileReport {
    /// The profile's name.
    pub name: String,
    /// Its description.
    #[serde(default)]
    pub description: String,
    /// `pass`, `warn` or `fail`.
    pub status: Status,
    /// `Host app version (SDK x)`.
    pub host: String,
    /// `OS version`.
    pub os: String,
    /// The runs, in order.
    pub runs: Vec<RunSummary>,
    /// Findings, errors first.
    pub problems: Vec<Problem>,
}

/// Visual checks (webview screenshots).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Visual {
    /// Whether screenshots were taken.
    pub available: bool,
    /// What was done, or why not.
    pub note: String,
    /// One screenshot per (profile, page).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shots: Vec<Shot>,
}

/// One page's screenshot under one profile's first screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shot {
    /// The profile.
    pub profile: String,
    /// The screen, `WxH`.
    pub screen: String,
    /// The page's route.
    pub page: String,
    /// The PNG, as given on the command line.
    pub file: String,
    /// Distinct colours (a blank page has one).
    pub colours: usize,
    /// Launch to first paint, in ms.
    pub first_paint_ms: u64,
    /// Errors the page showed (template, script, navigation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

impl Report {
    /// Adds visual results: the shots, and each problem to its profile, whose
    /// status and the report's are recomputed.
    pub fn add_visual(&mut self, note: String, shots: Vec<Shot>, problems: Vec<(String, Problem)>) {
        self.visual = Visual {
            available: true,
            note,
            shots,
        };
        for (profile, p) in problems {
            if let Some(r) = self.profiles.iter_mut().find(|r| r.name == profile) {
                r.problems.push(p);
                r.problems.sort_by_key(|x| x.severity);
                r.status = Status::of(&r.problems);
            }
        }
        self.status = self
            .profiles
            .iter()
            .map(|p| p.status)
            .max()
            .unwrap_or(Status::Pass);
    }
}

/// A compatibility report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Always [`REPORT_SCHEMA`].
    pub schema: String,
    /// `mpkit X.Y.Z`.
    pub generator: String,
    /// Unix seconds.
    pub generated_at: u64,
    /// The app.
    pub app: AppInfo,
    /// `fail` if any profile failed, else `warn` if any warned, else `pass`.
    pub status: Status,
    /// Static-check totals: JS files parsed.
    pub js_files: usize,
    /// Visual checks.
    pub visual: Visual,
    /// One entry per profile, in the order asked.
    pub profiles: Vec<ProfileReport>,
    /// Wall time of the whole check.
    pub elapsed_ms: u64,
}

impl Report {
    /// True when any profile failed (the CLI exits 1).
    pub fn failed(&self) -> bool {
        self.profiles.iter().any(|p| p.status == Status::Fail)
    }

    /// The report as a JSON value.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// A self-contained HTML page (no scripts, no external resources).
    pub fn to_html(&self) -> String {
        html(self)
    }
}

/// Screenshots above this size are named, not embedded, in the HTML.
const MAX_EMBEDDED_PNG: usize = 4 << 20;

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2em;color:#222}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}table{border-collapse:collapse;margin:.5em 0}\
td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f5f5f5}\
.pass{color:#fff;background:#2e7d32}.warn{color:#000;background:#f9a825}.fail{color:#fff;background:#c62828}\
.badge{display:inline-block;padding:1px 8px;border-radius:4px;font-weight:600;text-transform:uppercase;font-size:12px}\
.sev-error{color:#c62828;font-weight:600}.sev-warn{color:#a66f00;font-weight:600}.sev-info{color:#666}\
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;white-space:pre-wrap;word-break:break-word}\
.note{color:#555}";

fn badge(s: Status) -> String {
    format!("<span class=\"badge {0}\">{0}</span>", escape(s.as_str()))
}

fn html(r: &Report) -> String {
    let mut h = String::new();
    let title = format!(
        "Compatibility report: {} {} ({})",
        r.app.name, r.app.version, r.app.app_id
    );
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">");
    h.push_str(&format!(
        "<title>{}</title><style>{CSS}</style></head><body>\n",
        escape(&title)
    ));
    h.push_str(&format!(
        "<h1>{} {}</h1>\n",
        escape(&title),
        badge(r.status)
    ));
    h.push_str(&format!(
        "<p class=\"note\">{} · schema {} · {} JS files parsed · {} pages · package {} bytes · minHostVersion {} · {} ms</p>\n",
        escape(&r.generator),
        escape(&r.schema),
        r.js_files,
        r.app.pages.len(),
        r.app.package_bytes,
        escape(&r.app.min_host_version),
        r.elapsed_ms
    ));
    h.push_str(&format!(
        "<p class=\"note\">{}</p>\n",
        escape(&r.visual.note)
    ));
    if !r.visual.shots.is_empty() {
        h.push_str("<details open><summary>screenshots</summary><table><tr><th>profile</th><th>screen</th><th>page</th><th>screenshot</th><th>colours</th><th>first paint</th></tr>\n");
        for s in &r.visual.shots {
            // Embedded, so the page stays self-contained; a missing or
            // oversized file is named instead.
            let image = std::fs::read(&s.file)
                .ok()
                .filter(|b| b.len() <= MAX_EMBEDDED_PNG && b.starts_with(b"\x89PNG"))
                .map(|b| {
                    format!(
                        "<img alt=\"{}\" width=\"180\" src=\"data:image/png;base64,{}\">",
                        escape(&s.page),
                        base64(&b)
                    )
                })
                .unwrap_or_else(|| format!("<code>{}</code>", escape(&s.file)));
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{image}</td><td>{}</td><td>{} ms</td></tr>\n",
                escape(&s.profile),
                escape(&s.screen),
                escape(&s.page),
                s.colours,
                s.first_paint_ms
            ));
        }
        h.push_str("</table></details>\n");
    }
    h.push_str("<details><summary>pages</summary><table><tr><th>route</th><th>title</th></tr>\n");
    for p in &r.app.pages {
        h.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td></tr>\n",
            escape(&p.route),
            escape(&p.title)
        ));
    }
    h.push_str("</table></details>\n");
    h.push_str("<table><tr><th>profile</th><th>status</th><th>host</th><th>OS</th><th>errors</th><th>warnings</th><th>notes</th><th>runs</th></tr>\n");
    for p in &r.profiles {
        let count = |s: Severity| p.problems.iter().filter(|x| x.severity == s).count();
        h.push_str(&format!(
            "<tr><td><a href=\"#p-{0}\">{1}</a></td><td>{2}</td><td>{3}</td><td>{4}</td><td>{5}</td><td>{6}</td><td>{7}</td><td>{8}</td></tr>\n",
            escape(&p.name),
            escape(&p.name),
            badge(p.status),
            escape(&p.host),
            escape(&p.os),
            count(Severity::Error),
            count(Severity::Warn),
            count(Severity::Info),
            escape(
                &p.runs
                    .iter()
                    .map(|r| r.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    h.push_str("</table>\n");
    for p in &r.profiles {
        h.push_str(&format!(
            "<h2 id=\"p-{0}\">{1} {2}</h2>\n<p>{3}</p>\n",
            escape(&p.name),
            escape(&p.name),
            badge(p.status),
            escape(&p.description)
        ));
        h.push_str(
            "<table><tr><th>run</th><th>screen</th><th>pages</th><th>taps</th><th>ms</th></tr>\n",
        );
        for run in &p.runs {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(&run.name),
                escape(&run.screen),
                run.pages,
                run.taps,
                run.elapsed_ms
            ));
        }
        h.push_str("</table>\n");
        if p.problems.is_empty() {
            h.push_str("<p>No problems found.</p>\n");
            continue;
        }
        h.push_str("<table><tr><th>severity</th><th>kind</th><th>where</th><th>under</th><th>message</th></tr>\n");
        for x in &p.problems {
            let mut at = String::new();
            if let Some(page) = &x.page {
                at.push_str(&format!("page <code>{}</code>", escape(page)));
            }
            if let Some(file) = &x.file {
                if !at.is_empty() {
                    at.push_str("<br>");
                }
                let mut loc = file.clone();
                if let Some(l) = x.line {
                    loc.push_str(&format!(":{l}"));
                    if let Some(c) = x.column {
                        loc.push_str(&format!(":{c}"));
                    }
                }
                at.push_str(&format!("<code>{}</code>", escape(&loc)));
            }
            let mut msg = format!("<pre>{}</pre>", escape(&x.message));
            if let Some(c) = &x.context {
                msg.push_str(&format!("<span class=\"note\">{}</span>", escape(c)));
            }
            let sev = match x.severity {
                Severity::Error => "error",
                Severity::Warn => "warn",
                Severity::Info => "info",
            };
            h.push_str(&format!(
                "<tr><td class=\"sev-{sev}\">{sev}</td><td>{}</td><td>{at}</td><td>{}</td><td>{msg}</td></tr>\n",
                escape(&x.kind),
                escape(&x.conditions.join(", ")),
            ));
        }
        h.push_str("</table>\n");
    }
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn html_escapes_everything_from_the_bundle() {
        let mut p = Problem::new(
            "uncaught-error",
            Severity::Error,
            "<img src=x onerror=alert(1)>",
        );
        p.page = Some("pages/<script>/x".into());
        p.file = Some("a\"b.js".into());
        p.context = Some("tapping <button onTap=\"x\">".into());
        let r = Report {
            schema: REPORT_SCHEMA.into(),
            generator: "mpkit test".into(),
            generated_at: 0,
            app: AppInfo {
                app_id: "1".into(),
                name: "<script>alert(1)</script>".into(),
                version: "1.0.0".into(),
                min_host_version: "0.1.0".into(),
                package_bytes: 1,
                pages: vec![PageInfo {
                    route: "pages/a/a".into(),
                    title: "<script>alert(2)</script>".into(),
                }],
            },
            status: Status::Fail,
            js_files: 1,
            visual: Visual {
                available: false,
                note: VISUAL_UNAVAILABLE.into(),
                shots: Vec::new(),
            },
            profiles: vec![ProfileReport {
                name: "x".into(),
                description: "'quoted'".into(),
                status: Status::Fail,
                host: "h".into(),
                os: "o".into(),
                runs: vec![],
                problems: vec![p],
            }],
            elapsed_ms: 1,
        };
        let h = r.to_html();
        assert!(!h.contains("<script>"), "{h}");
        assert!(!h.contains("<img"), "{h}");
        assert!(h.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(h.contains("&lt;script&gt;alert(2)&lt;/script&gt;"));
        assert!(h.contains("a&quot;b.js"));
        assert!(h.contains("&#39;quoted&#39;"));
        assert!(h.contains(VISUAL_UNAVAILABLE));
    }
}
