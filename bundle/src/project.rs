//! A mini program project as Alipay's tools lay it out: `mini.project.json`
//! (whose `miniprogramRoot` may put the app in a subfolder), `app.json` with
//! only Alipay's fields, `package.json`, and mpkit's own settings in
//! `mpkit.json` beside app.json or at the project root.
//!
//! Identity (appId, name, version, build) never has to be in app.json; it
//! comes, first hit wins, from the packer's flags, `mpkit.json`, the legacy
//! app.json fields, and, for development runs only, a development identity
//! derived from the folder.

use crate::error::{Error, Result};
use crate::manifest::{AppId, Permissions};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The file that holds mpkit's own settings, outside app.json.
pub const SETTINGS_FILE: &str = "mpkit.json";

/// app.json keys Alipay documents (or tolerates) that mpkit reads or may ignore silently.
const ALIPAY_KEYS: &[&str] = &[
    "pages",
    "window",
    "tabBar",
    "subPackages",
    "subpackages",
    "usingComponents",
    "preloadRule",
    "plugins",
    "behavior",
    "lazyCodeLoading",
    "subPackageBuildType",
    "useDynamicPlugins",
    "sitemapLocation",
    "style",
    "entryPagePath",
    "component2",
];

/// mpkit's own fields the first wave kept in app.json: still read, with a warning.
const LEGACY_KEYS: &[&str] = &[
    "appId",
    "name",
    "version",
    "build",
    "minHostVersion",
    "permissions",
];

/// The build number used when none is given: `major*1_000_000 + minor*1_000 + patch`.
pub fn default_build(v: &semver::Version) -> u64 {
    v.major * 1_000_000 + v.minor.min(999) * 1_000 + v.patch.min(999)
}

/// Identity given on the command line; each field wins over every other source.
#[derive(Debug, Clone, Default)]
pub struct IdentityFlags {
    /// `--app-id`.
    pub app_id: Option<String>,
    /// `--name`.
    pub name: Option<String>,
    /// `--version`.
    pub version: Option<semver::Version>,
    /// `--build`.
    pub build: Option<u64>,
}

/// Where the app id came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// The packer's flags.
    Flags,
    /// `mpkit.json` at this path.
    Settings(PathBuf),
    /// The legacy fields of app.json.
    AppJson,
    /// Derived from the folder, for a development run.
    Development,
}

/// A mini program's identity, resolved.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The app id.
    pub app_id: AppId,
    /// Display name.
    pub name: String,
    /// Version.
    pub version: semver::Version,
    /// Build number.
    pub build: u64,
    /// Where the app id came from.
    pub source: IdentitySource,
}

/// mpkit's own settings (`mpkit.json`); every field optional, unknown fields refused.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// The app id the program is uploaded under.
    pub app_id: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Version.
    pub version: Option<semver::Version>,
    /// Build number.
    pub build: Option<u64>,
    /// The lowest host version the program runs on.
    pub min_host_version: Option<semver::Version>,
    /// What the program asks for; the platform approves a subset.
    #[serde(default)]
    pub permissions: Option<Permissions>,
    /// Settings for `mpkit compat` (free form; read by the compat tool).
    #[serde(default)]
    pub compat: Option<Value>,
}

/// An opened project: where the package is, its routes, settings and warnings.
#[derive(Debug, Clone)]
pub struct Project {
    /// The folder given (the project root).
    pub dir: PathBuf,
    /// The package root: the folder that holds app.json.
    pub root: PathBuf,
    /// app.json as written.
    pub app_json: Map<String, Value>,
    /// Main-package pages, in app.json order; the first is the launch page.
    pub pages: Vec<String>,
    /// Every route: the main pages, then each subpackage's (`root/page`).
    pub routes: Vec<String>,
    /// mpkit.json, when there is one, and where it is.
    pub settings: Settings,
    /// The file the settings came from.
    pub settings_path: Option<PathBuf>,
    /// package.json's `version`, when it is valid semver.
    package_version: Option<semver::Version>,
    /// What is accepted but worth saying: unknown fields, legacy fields.
    pub warnings: Vec<String>,
}

fn read_json(path: &Path) -> Result<Option<Value>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::Pack {
                path: path.to_owned(),
                reason: format!("not valid JSON: {e}"),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path, e)),
    }
}

fn pack_err(path: &Path, reason: impl Into<String>) -> Error {
    Error::Pack {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// A relative folder from mini.project.json: `miniprogram`, `./miniprogram/`, never `..` or absolute.
fn relative_folder(path: &Path, field: &str, value: &str) -> Result<PathBuf> {
    let mut out = PathBuf::new();
    for seg in value.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => {
                return Err(pack_err(
                    path,
                    format!("{field} {value:?} leaves the project"),
                ))
            }
            s => out.push(s),
        }
    }
    if value.starts_with('/') || value.contains(':') {
        return Err(pack_err(
            path,
            format!("{field} {value:?} must be a folder inside the project"),
        ));
    }
    Ok(out)
}

/// A route as app.json writes it: `pages/index/index`, no leading `/`, no extension.
fn route(path: &Path, r: &str) -> Result<String> {
    let r = r.trim_start_matches('/');
    crate::path::check(r).map_err(|e| pack_err(path, format!("page {r:?}: {e}")))?;
    Ok(r.to_owned())
}

impl Project {
    /// Opens the project in `dir`: mini.project.json, app.json, mpkit.json, package.json.
    pub fn open(dir: &Path) -> Result<Project> {
        let mut warnings = Vec::new();
        let mp_path = dir.join("mini.project.json");
        let mut root = dir.to_path_buf();
        if let Some(mp) = read_json(&mp_path)? {
            let obj = mp
                .as_object()
                .ok_or_else(|| pack_err(&mp_path, "must be a JSON object"))?;
            if obj.get("compileType").and_then(Value::as_str) == Some("plugin") {
                return Err(pack_err(
                    &mp_path,
                    "this is a plugin project (compileType \"plugin\"); mpkit runs mini programs, not plugins",
                ));
            }
            if let Some(v) = obj.get("miniprogramRoot") {
                let s = v
                    .as_str()
                    .ok_or_else(|| pack_err(&mp_path, "miniprogramRoot must be a string"))?;
                root = dir.join(relative_folder(&mp_path, "miniprogramRoot", s)?);
            }
        }
        let app_path = root.join("app.json");
        let app = read_json(&app_path)?.ok_or_else(|| {
            pack_err(
                &app_path,
                if root == dir {
                    "no app.json here: a mini program's folder holds app.json (or mini.project.json with miniprogramRoot)".to_string()
                } else {
                    "no app.json in the folder mini.project.json's miniprogramRoot names".to_string()
                },
            )
        })?;
        let Value::Object(app_json) = app else {
            return Err(pack_err(&app_path, "must be a JSON object"));
        };
        for k in app_json.keys() {
            if LEGACY_KEYS.contains(&k.as_str()) {
                warnings.push(format!(
                    "app.json: {k:?} is mpkit's own field; it belongs in {SETTINGS_FILE} (app.json holds only Alipay's fields)"
                ));
            } else if !ALIPAY_KEYS.contains(&k.as_str()) {
                warnings.push(format!("app.json: unknown field {k:?} is ignored"));
            }
        }
        let pages: Vec<String> = match app_json.get("pages") {
            Some(Value::Array(a)) => a
                .iter()
                .map(|p| {
                    p.as_str()
                        .ok_or_else(|| pack_err(&app_path, "pages must be strings"))
                        .and_then(|s| route(&app_path, s))
                })
                .collect::<Result<_>>()?,
            Some(_) => return Err(pack_err(&app_path, "pages must be an array of routes")),
            None => return Err(pack_err(&app_path, "pages is missing")),
        };
        if pages.is_empty() {
            return Err(pack_err(&app_path, "pages is empty"));
        }
        let mut routes = pages.clone();
        for key in ["subPackages", "subpackages"] {
            let Some(subs) = app_json.get(key) else {
                continue;
            };
            let subs = subs
                .as_array()
                .ok_or_else(|| pack_err(&app_path, format!("{key} must be an array")))?;
            for s in subs {
                let sroot = s.get("root").and_then(Value::as_str).ok_or_else(|| {
                    pack_err(&app_path, format!("{key}: every entry needs a root"))
                })?;
                let sroot = sroot.trim_matches('/');
                let spages = s.get("pages").and_then(Value::as_array).ok_or_else(|| {
                    pack_err(
                        &app_path,
                        format!("{key} {sroot:?}: pages must be an array"),
                    )
                })?;
                for p in spages {
                    let p = p.as_str().ok_or_else(|| {
                        pack_err(&app_path, format!("{key} {sroot:?}: pages must be strings"))
                    })?;
                    let r = route(&app_path, &format!("{sroot}/{}", p.trim_start_matches('/')))?;
                    if routes.contains(&r) {
                        warnings.push(format!("app.json: page {r:?} is listed twice"));
                    } else {
                        routes.push(r);
                    }
                }
            }
        }
        // mpkit.json beside app.json wins over one at the project root.
        let mut settings = Settings::default();
        let mut settings_path = None;
        for candidate in [root.join(SETTINGS_FILE), dir.join(SETTINGS_FILE)] {
            if let Some(v) = read_json(&candidate)? {
                settings =
                    serde_json::from_value(v).map_err(|e| pack_err(&candidate, format!("{e}")))?;
                settings_path = Some(candidate);
                break;
            }
        }
        let package_version = [root.join("package.json"), dir.join("package.json")]
            .iter()
            .find_map(|p| read_json(p).ok().flatten())
            .and_then(|v| v.get("version").and_then(Value::as_str).map(str::to_owned))
            .and_then(|v| semver::Version::parse(&v).ok());
        Ok(Project {
            dir: dir.to_path_buf(),
            root,
            app_json,
            pages,
            routes,
            settings,
            settings_path,
            package_version,
            warnings,
        })
    }

    fn legacy<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        match self.app_json.get(key) {
            None => Ok(None),
            Some(v) => serde_json::from_value(v.clone())
                .map(Some)
                .map_err(|e| pack_err(&self.root.join("app.json"), format!("{key}: {e}"))),
        }
    }

    /// The permissions asked for: mpkit.json's, else the legacy app.json field, else none.
    pub fn permissions(&self) -> Result<Permissions> {
        if let Some(p) = &self.settings.permissions {
            return Ok(p.clone());
        }
        Ok(self.legacy("permissions")?.unwrap_or_default())
    }

    /// The lowest host version: mpkit.json's, else app.json's, else 0.1.0.
    pub fn min_host_version(&self) -> Result<semver::Version> {
        if let Some(v) = &self.settings.min_host_version {
            return Ok(v.clone());
        }
        Ok(self
            .legacy("minHostVersion")?
            .unwrap_or_else(|| semver::Version::new(0, 1, 0)))
    }

    /// The development identity of this folder: `dev.` and 12 hex digits of
    /// the sha256 of its canonical path, stable per folder.
    pub fn development_app_id(&self) -> Result<AppId> {
        let canon = self
            .dir
            .canonicalize()
            .map_err(|e| Error::io("resolve", &self.dir, e))?;
        let digest = hex::encode(Sha256::digest(canon.to_string_lossy().as_bytes()));
        AppId::new(format!("dev.{}", &digest[..12]))
    }

    /// Resolves the identity: `flags`, then mpkit.json, then legacy app.json
    /// fields, then (only when `development`) one derived from the folder.
    /// Packing for upload (`development` false) never invents an app id.
    pub fn identity(&self, flags: &IdentityFlags, development: bool) -> Result<Identity> {
        let (app_id, source) = if let Some(id) = &flags.app_id {
            (AppId::new(id.clone())?, IdentitySource::Flags)
        } else if let Some(id) = &self.settings.app_id {
            (
                AppId::new(id.clone())?,
                IdentitySource::Settings(self.settings_path.clone().unwrap_or_default()),
            )
        } else if let Some(id) = self.legacy::<String>("appId")? {
            (AppId::new(id)?, IdentitySource::AppJson)
        } else if development {
            (self.development_app_id()?, IdentitySource::Development)
        } else {
            return Err(Error::Pack {
                path: self.root.join("app.json"),
                reason: format!("no appId: pass --app-id or add {SETTINGS_FILE}"),
            });
        };
        let name = flags
            .name
            .clone()
            .or_else(|| self.settings.name.clone())
            .or(self.legacy::<String>("name")?)
            .or_else(|| {
                self.app_json
                    .get("window")
                    .and_then(|w| w.get("defaultTitle"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .or_else(|| {
                self.dir
                    .canonicalize()
                    .ok()
                    .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            })
            .unwrap_or_else(|| app_id.to_string());
        let version = flags
            .version
            .clone()
            .or_else(|| self.settings.version.clone())
            .or(self.legacy::<semver::Version>("version")?)
            .or_else(|| self.package_version.clone())
            .unwrap_or_else(|| {
                if development {
                    semver::Version::parse("0.0.0-dev").expect("valid")
                } else {
                    semver::Version::new(0, 1, 0)
                }
            });
        let build = flags
            .build
            .or(self.settings.build)
            .or(self.legacy::<u64>("build")?)
            .unwrap_or_else(|| default_build(&version));
        Ok(Identity {
            app_id,
            name,
            version,
            build,
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, path: &str, text: &str) {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("ok")).expect("ok");
        std::fs::write(p, text).expect("ok");
    }

    #[test]
    fn alipay_layout_without_identity_gets_a_stable_development_one() {
        let t = tempfile::tempdir().expect("ok");
        write(
            t.path(),
            "app.json",
            r#"{"pages":["pages/index/index"],"window":{"defaultTitle":"Shop"}}"#,
        );
        write(
            t.path(),
            "package.json",
            r#"{"name":"shop","version":"1.4.2"}"#,
        );
        let p = Project::open(t.path()).expect("ok");
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let a = p.identity(&IdentityFlags::default(), true).expect("ok");
        let b = Project::open(t.path())
            .expect("ok")
            .identity(&IdentityFlags::default(), true)
            .expect("ok");
        assert_eq!(a.app_id, b.app_id);
        assert!(a.app_id.as_str().starts_with("dev.") && a.app_id.as_str().len() == 16);
        assert_eq!(a.name, "Shop");
        assert_eq!(a.version.to_string(), "1.4.2");
        assert_eq!(a.source, IdentitySource::Development);
        // Packing for upload never invents one.
        let e = p
            .identity(&IdentityFlags::default(), false)
            .expect_err("an error");
        assert!(
            e.to_string()
                .contains("no appId: pass --app-id or add mpkit.json"),
            "{e}"
        );
    }

    #[test]
    fn flags_win_over_settings_which_win_over_app_json() {
        let t = tempfile::tempdir().expect("ok");
        write(
            t.path(),
            "app.json",
            r#"{"pages":["a"],"appId":"legacy","name":"L","version":"0.0.1"}"#,
        );
        let p = Project::open(t.path()).expect("ok");
        assert_eq!(
            p.identity(&IdentityFlags::default(), false)
                .expect("ok")
                .app_id
                .as_str(),
            "legacy"
        );
        assert_eq!(p.warnings.len(), 3, "{:?}", p.warnings);
        write(
            t.path(),
            "mpkit.json",
            r#"{"appId":"from.settings","version":"2.0.0"}"#,
        );
        let p = Project::open(t.path()).expect("ok");
        let id = p.identity(&IdentityFlags::default(), false).expect("ok");
        assert_eq!(
            (id.app_id.as_str(), id.name.as_str(), id.version.to_string()),
            ("from.settings", "L", "2.0.0".into())
        );
        let flags = IdentityFlags {
            app_id: Some("from.flags".into()),
            version: Some(semver::Version::new(3, 0, 0)),
            ..IdentityFlags::default()
        };
        let id = p.identity(&flags, false).expect("ok");
        assert_eq!(
            (id.app_id.as_str(), id.version.major, id.build),
            ("from.flags", 3, 3_000_000)
        );
        assert_eq!(id.source, IdentitySource::Flags);
    }

    #[test]
    fn miniprogram_root_and_subpackages() {
        let t = tempfile::tempdir().expect("ok");
        write(
            t.path(),
            "mini.project.json",
            r#"{"miniprogramRoot":"./src/","compileType":"mini","unknownThing":1}"#,
        );
        write(
            t.path(),
            "src/app.json",
            r#"{"pages":["pages/a/a"],"subPackages":[{"root":"shop","pages":["list/list"]}],"subpackages":[{"root":"/more/","pages":["x"]}],"preloadRule":{"pages/a/a":{"packages":["shop"]}},"whatever":true}"#,
        );
        let p = Project::open(t.path()).expect("ok");
        assert_eq!(p.root, t.path().join("src"));
        assert_eq!(p.routes, ["pages/a/a", "shop/list/list", "more/x"]);
        assert_eq!(p.pages, ["pages/a/a"]);
        assert_eq!(
            p.warnings,
            [r#"app.json: unknown field "whatever" is ignored"#]
        );
    }

    #[test]
    fn hostile_projects_are_refused_with_the_reason() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "mini.project.json",
                r#"{"miniprogramRoot":"../elsewhere"}"#,
                "leaves the project",
            ),
            (
                "mini.project.json",
                r#"{"miniprogramRoot":"/etc"}"#,
                "must be a folder inside the project",
            ),
            (
                "mini.project.json",
                r#"{"compileType":"plugin","pluginRoot":"plugin"}"#,
                "plugin project",
            ),
            (
                "mini.project.json",
                r#"{"miniprogramRoot":"missing"}"#,
                "no app.json in the folder",
            ),
            ("app.json", r#"{"pages":["../../etc/passwd"]}"#, "page"),
            ("app.json", r#"{"pages":[]}"#, "pages is empty"),
            (
                "app.json",
                r#"{"pages":["a"],"subPackages":[{"root":"s","pages":["../../x"]}]}"#,
                "page",
            ),
            (
                "app.json",
                r#"{"pages":["a"],"subPackages":[{"pages":["x"]}]}"#,
                "needs a root",
            ),
            ("app.json", "[1]", "must be a JSON object"),
            ("app.json", "{", "not valid JSON"),
        ];
        for (file, text, want) in cases {
            let t = tempfile::tempdir().expect("ok");
            if *file != "app.json" {
                write(t.path(), "app.json", r#"{"pages":["a"]}"#);
            }
            write(t.path(), file, text);
            let e = Project::open(t.path()).expect_err("an error").to_string();
            assert!(e.contains(want), "{file} {text}: {e}");
        }
        let t = tempfile::tempdir().expect("ok");
        write(t.path(), "app.json", r#"{"pages":["a"]}"#);
        write(t.path(), "mpkit.json", r#"{"appId":"x","apiKey":"secret"}"#);
        let e = Project::open(t.path()).expect_err("an error").to_string();
        assert!(e.contains("unknown field `apiKey`"), "{e}");
        write(t.path(), "mpkit.json", r#"{"appId":"../x"}"#);
        let e = Project::open(t.path())
            .expect("ok")
            .identity(&IdentityFlags::default(), false)
            .expect_err("an error");
        assert!(e.to_string().contains("appId"), "{e}");
    }
}
