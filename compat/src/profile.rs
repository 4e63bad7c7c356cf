//! Compatibility profiles: target environments as data files
//! (`mpkit.compat.profile/1`). Parsed strictly: an unknown field anywhere is an
//! error that names the file, so a typo never silently widens a profile.

use crate::net::NetCondition;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The schema every profile names in its `schema` field.
pub const PROFILE_SCHEMA: &str = "mpkit.compat.profile/1";

/// The default set, shipped with mpkit (the files in `compat/profiles/`).
const DEFAULTS: &[(&str, &str)] = &[
    (
        "ios-17-iphone15.json",
        include_str!("../profiles/ios-17-iphone15.json"),
    ),
    (
        "android-14-pixel8.json",
        include_str!("../profiles/android-14-pixel8.json"),
    ),
    (
        "android-10-lowend.json",
        include_str!("../profiles/android-10-lowend.json"),
    ),
    (
        "harmonyos-4.json",
        include_str!("../profiles/harmonyos-4.json"),
    ),
    (
        "desktop-macos.json",
        include_str!("../profiles/desktop-macos.json"),
    ),
];

/// A target environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Profile {
    /// Always [`PROFILE_SCHEMA`].
    pub schema: String,
    /// Unique name: lowercase letters, digits, `-` and `.`.
    pub name: String,
    /// What it stands for.
    #[serde(default)]
    pub description: String,
    /// The host app and its SDK.
    pub host: HostApp,
    /// The operating system.
    pub os: Os,
    /// The device.
    #[serde(default)]
    pub device: Device,
    /// Screen sizes, the first being the primary one.
    pub screens: Vec<Screen>,
    /// Limits the host enforces.
    pub limits: Limits,
    /// The `my.*` APIs this host offers, each with its version.
    pub apis: BTreeMap<String, String>,
    /// The network conditions to run under.
    pub network: Vec<Network>,
}

/// The host app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HostApp {
    /// The app's name (what `my.getSystemInfo` reports as `app`).
    pub app: String,
    /// The app's version.
    pub app_version: String,
    /// The mini program SDK version, compared with a bundle's `minHostVersion`.
    pub sdk_version: semver::Version,
}

/// Operating system families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OsFamily {
    /// iOS.
    Ios,
    /// Android.
    Android,
    /// HarmonyOS.
    Harmonyos,
    /// A desktop OS (macOS, Windows, Linux).
    Desktop,
}

/// The operating system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Os {
    /// The family.
    pub family: OsFamily,
    /// Its name as `my.getSystemInfo` reports `platform` (default from the family).
    #[serde(default)]
    pub name: Option<String>,
    /// Its version.
    pub version: String,
}

impl Os {
    /// The platform name apps see.
    pub fn platform(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            match self.family {
                OsFamily::Ios => "iOS",
                OsFamily::Android => "Android",
                OsFamily::Harmonyos => "HarmonyOS",
                OsFamily::Desktop => "desktop",
            }
            .to_owned()
        })
    }
}

/// The device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Device {
    /// Brand.
    pub brand: String,
    /// Model.
    pub model: String,
}

impl Default for Device {
    fn default() -> Device {
        Device {
            brand: "generic".into(),
            model: "generic".into(),
        }
    }
}

/// A screen size in px (CSS pixels) and its pixel ratio.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Screen {
    /// Width (750rpx).
    pub width: f64,
    /// Height.
    pub height: f64,
    /// Device pixels per px.
    pub pixel_ratio: f64,
}

/// Limits of the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Limits {
    /// The largest package (the signed bundle) the host accepts.
    pub package_bytes: u64,
    /// An event handler that runs longer than this (measured on the machine
    /// running the check) is reported as slow.
    pub slow_handler_ms: u64,
}

/// A network condition, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "lowercase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Network {
    /// The network as it is (compatibility runs reach dev origins only).
    Online {
        /// Its name in reports (default `online`).
        #[serde(default)]
        name: Option<String>,
    },
    /// Added latency, and optionally a response bandwidth.
    Slow {
        /// Its name in reports (default `slow`), e.g. `slow-2g`.
        #[serde(default)]
        name: Option<String>,
        /// Added before each request, in ms.
        latency_ms: u64,
        /// Response bandwidth in bytes per second.
        #[serde(default)]
        bytes_per_sec: Option<u64>,
    },
    /// Every request fails with a network error.
    Offline {
        /// Its name in reports (default `offline`).
        #[serde(default)]
        name: Option<String>,
    },
    /// Requests alternate between a 5xx answer and a stall that times out.
    Flaky {
        /// Its name in reports (default `flaky`).
        #[serde(default)]
        name: Option<String>,
        /// How long a stalled request hangs before it times out, in ms.
        stall_ms: u64,
        /// The status of failed answers (default 503).
        #[serde(default = "default_status")]
        status: u16,
    },
}

fn default_status() -> u16 {
    503
}

impl Network {
    /// Its name in reports.
    pub fn name(&self) -> String {
        let (name, kind) = match self {
            Network::Online { name } => (name, "online"),
            Network::Slow { name, .. } => (name, "slow"),
            Network::Offline { name } => (name, "offline"),
            Network::Flaky { name, .. } => (name, "flaky"),
        };
        name.clone().unwrap_or_else(|| kind.to_owned())
    }

    /// The condition the host's network layer simulates.
    pub fn condition(&self) -> NetCondition {
        match self {
            Network::Online { .. } => NetCondition::Online,
            Network::Offline { .. } => NetCondition::Offline,
            Network::Slow {
                latency_ms,
                bytes_per_sec,
                ..
            } => NetCondition::Slow {
                latency: Duration::from_millis(*latency_ms),
                bytes_per_sec: *bytes_per_sec,
            },
            Network::Flaky {
                stall_ms, status, ..
            } => NetCondition::Flaky {
                stall: Duration::from_millis(*stall_ms),
                status: *status,
            },
        }
    }

    /// What `my.getNetworkType` reports under it.
    pub fn network_type(&self) -> &'static str {
        match self {
            Network::Online { .. } | Network::Flaky { .. } => "WIFI",
            Network::Slow { .. } => "2G",
            Network::Offline { .. } => "NOTREACHABLE",
        }
    }
}

/// A profile file that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("profile {}: {message}", file.display())]
pub struct ProfileError {
    /// The file (for the default set, its name in `compat/profiles/`).
    pub file: PathBuf,
    /// What is wrong.
    pub message: String,
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
}

fn valid_api(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
}

impl Profile {
    /// Parses and checks one profile; `file` names it in errors.
    pub fn parse(file: &Path, text: &str) -> Result<Profile, ProfileError> {
        let err = |message: String| ProfileError {
            file: file.to_owned(),
            message,
        };
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| err(format!("not JSON: {e}")))?;
        match v.get("schema") {
            Some(serde_json::Value::String(s)) if s == PROFILE_SCHEMA => {}
            Some(serde_json::Value::String(s)) => {
                return Err(err(format!(
                    "schema {s:?} is not supported; this mpkit reads {PROFILE_SCHEMA:?}"
                )))
            }
            _ => {
                return Err(err(format!(
                    "no \"schema\" field (expected {PROFILE_SCHEMA:?})"
                )))
            }
        }
        let p: Profile = serde_json::from_str(text).map_err(|e| err(e.to_string()))?;
        p.check().map_err(err)?;
        Ok(p)
    }

    fn check(&self) -> Result<(), String> {
        if !valid_name(&self.name) {
            return Err(format!(
                "name {:?} must be 1 to 64 lowercase letters, digits, '-' or '.'",
                self.name
            ));
        }
        if self.screens.is_empty() {
            return Err("screens is empty; give at least one".into());
        }
        for s in &self.screens {
            for (what, v, max) in [
                ("width", s.width, 10_000.0),
                ("height", s.height, 10_000.0),
                ("pixelRatio", s.pixel_ratio, 10.0),
            ] {
                if !(v.is_finite() && v > 0.0 && v <= max) {
                    return Err(format!(
                        "screen {what} {v} must be above 0 and at most {max}"
                    ));
                }
            }
        }
        if self.limits.package_bytes == 0 || self.limits.slow_handler_ms == 0 {
            return Err("limits must be above 0".into());
        }
        for (name, version) in &self.apis {
            if !valid_api(name) {
                return Err(format!("API name {name:?} is not a lowerCamelCase name"));
            }
            if version.is_empty() || version.len() > 32 || version.chars().any(char::is_control) {
                return Err(format!(
                    "the version of {name} must be 1 to 32 printable characters"
                ));
            }
        }
        if self.network.is_empty() {
            return Err("network is empty; give at least {\"kind\": \"online\"}".into());
        }
        let mut names = BTreeSet::new();
        for n in &self.network {
            let name = n.name();
            if !valid_name(&name) {
                return Err(format!(
                    "network name {name:?} must be lowercase letters, digits, '-' or '.'"
                ));
            }
            if !names.insert(name.clone()) {
                return Err(format!("network {name:?} is listed twice"));
            }
            match n {
                Network::Slow {
                    latency_ms,
                    bytes_per_sec,
                    ..
                } => {
                    if *latency_ms > 60_000 {
                        return Err(format!("{name}: latencyMs is at most 60000"));
                    }
                    if *bytes_per_sec == Some(0) {
                        return Err(format!("{name}: bytesPerSec must be above 0"));
                    }
                }
                Network::Flaky {
                    stall_ms, status, ..
                } => {
                    if *stall_ms > 60_000 {
                        return Err(format!("{name}: stallMs is at most 60000"));
                    }
                    if !(500..=599).contains(status) {
                        return Err(format!("{name}: status {status} is not a 5xx status"));
                    }
                }
                Network::Online { .. } | Network::Offline { .. } => {}
            }
        }
        for (what, s) in [
            ("host.app", &self.host.app),
            ("host.appVersion", &self.host.app_version),
            ("os.version", &self.os.version),
            ("device.brand", &self.device.brand),
            ("device.model", &self.device.model),
        ] {
            if s.len() > 128 || s.chars().any(char::is_control) {
                return Err(format!("{what} must be at most 128 printable characters"));
            }
        }
        Ok(())
    }
}

/// The default set shipped with mpkit, in a stable order.
pub fn default_profiles() -> Vec<Profile> {
    DEFAULTS
        .iter()
        .map(|(file, text)| {
            // The files are part of the source tree and tested; a broken one
            // is a build defect, not user input.
            Profile::parse(Path::new(file), text)
                .unwrap_or_else(|e| panic!("default compatibility profile: {e}"))
        })
        .collect()
}

/// Every `*.json` profile in `dir`, by file name. Any bad file is an error.
pub fn load_dir(dir: &Path) -> Result<Vec<Profile>, ProfileError> {
    let err = |file: &Path, message: String| ProfileError {
        file: file.to_owned(),
        message,
    };
    let rd = std::fs::read_dir(dir).map_err(|e| err(dir, format!("cannot list: {e}")))?;
    let mut files = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| err(dir, format!("cannot list: {e}")))?;
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "json") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    let mut out: Vec<Profile> = Vec::new();
    for f in files {
        let meta = std::fs::metadata(&f).map_err(|e| err(&f, e.to_string()))?;
        if meta.len() > 1024 * 1024 {
            return Err(err(&f, "is over 1 MB".into()));
        }
        let text = std::fs::read_to_string(&f).map_err(|e| err(&f, e.to_string()))?;
        let p = Profile::parse(&f, &text)?;
        if out.iter().any(|o| o.name == p.name) {
            return Err(err(
                &f,
                format!(
                    "another file in {} is also named {:?}",
                    dir.display(),
                    p.name
                ),
            ));
        }
        out.push(p);
    }
    Ok(out)
}

/// The defaults, with `extra` added (one of the same name replaces the default).
pub fn with_defaults(extra: Vec<Profile>) -> Vec<Profile> {
    let mut all = default_profiles();
    for p in extra {
        match all.iter_mut().find(|o| o.name == p.name) {
            Some(slot) => *slot = p,
            None => all.push(p),
        }
    }
    all
}

/// Keeps the profiles named in `names` (in that order); an unknown name is an error.
pub fn select(all: &[Profile], names: &[String]) -> Result<Vec<Profile>, String> {
    if names.is_empty() {
        return Ok(all.to_vec());
    }
    let mut out = Vec::new();
    for n in names {
        match all.iter().find(|p| &p.name == n) {
            Some(p) if !out.iter().any(|o: &Profile| o.name == p.name) => out.push(p.clone()),
            Some(_) => {}
            None => {
                return Err(format!(
                    "no profile named {n:?}; known: {}",
                    all.iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_set_parses_and_names_only_known_or_plain_apis() {
        let all = default_profiles();
        assert_eq!(all.len(), 5);
        let builtin: BTreeSet<String> = mpkit_jsapi::registry::builtin_decls()
            .into_iter()
            .map(|d| d.name)
            .collect();
        for p in &all {
            for api in p.apis.keys() {
                assert!(builtin.contains(api), "{}: {api} is not a built-in", p.name);
            }
            assert!(p.network.iter().any(|n| n.name() == "online"));
        }
    }

    #[test]
    fn unknown_fields_are_refused_with_the_file_named() {
        let text = include_str!("../profiles/ios-17-iphone15.json").replacen(
            "\"limits\": {",
            "\"limits\": {\"maxFoo\": 1, ",
            1,
        );
        let e = Profile::parse(Path::new("mine/ios.json"), &text).expect_err("refused");
        let s = e.to_string();
        assert!(s.starts_with("profile mine/ios.json: "), "{s}");
        assert!(s.contains("unknown field `maxFoo`"), "{s}");
        let text = include_str!("../profiles/ios-17-iphone15.json").replacen(
            "{\n      \"kind\": \"offline\"",
            "{\"kind\": \"offline\", \"loss\": 1",
            1,
        );
        let e = Profile::parse(Path::new("x.json"), &text).expect_err("refused");
        assert!(e.to_string().contains("unknown field `loss`"), "{e}");
        let text = include_str!("../profiles/ios-17-iphone15.json").replacen(
            "mpkit.compat.profile/1",
            "mpkit.compat.profile/9",
            1,
        );
        let e = Profile::parse(Path::new("x.json"), &text).expect_err("refused");
        assert!(e.to_string().contains("not supported"), "{e}");
    }
}
