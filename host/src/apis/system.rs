//! What the host tells about itself: `my.getSystemInfo`, `my.getWindowInfo`,
//! `my.getAppBaseInfo`, `my.getSystemSetting`, the account and run scene,
//! `my.getNetworkType`
//! and `my.canIUse`.

use super::common::reg;
use super::ApiEnv;
use mpkit_jsapi::registry::ApiDecl;
use mpkit_jsapi::Dispatcher;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// What `my.getSystemInfo` reports about the device and the host.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemInfo {
    /// Device brand.
    pub brand: String,
    /// Device model.
    pub model: String,
    /// `iOS`, `Android`, `Linux`, ...
    pub platform: String,
    /// OS version.
    pub system: String,
    /// The embedding app's name.
    pub app: String,
    /// The embedding app's version.
    pub version: String,
    /// Language tag.
    pub language: String,
    /// Device pixel ratio.
    pub pixel_ratio: f64,
    /// Screen width in px.
    pub screen_width: f64,
    /// Screen height in px.
    pub screen_height: f64,
    /// `WIFI`, `4G`, `NOTREACHABLE`, ...
    pub network_type: String,
    /// The status bar's height in px (the top of the safe area).
    pub status_bar_height: f64,
    /// What the device keeps at the bottom of the screen in px (a home
    /// indicator), under the safe area.
    pub bottom_inset: f64,
}

impl Default for SystemInfo {
    fn default() -> SystemInfo {
        SystemInfo {
            brand: "mpkit".into(),
            model: "headless".into(),
            platform: std::env::consts::OS.into(),
            system: std::env::consts::ARCH.into(),
            app: "mpkit".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            language: "en-US".into(),
            pixel_ratio: 2.0,
            screen_width: 375.0,
            screen_height: 812.0,
            network_type: "WIFI".into(),
            status_bar_height: 44.0,
            bottom_inset: 34.0,
        }
    }
}

impl SystemInfo {
    /// The safe area as the typings shape it (`IMyGetWindowInfoSafeArea`).
    fn safe_area(&self) -> Value {
        let (top, bottom) = (
            self.status_bar_height,
            self.screen_height - self.bottom_inset,
        );
        json!({
            "left": 0.0,
            "right": self.screen_width,
            "top": top,
            "bottom": bottom,
            "width": self.screen_width,
            "height": bottom - top,
        })
    }
}

pub(super) fn register_system(d: &mut Dispatcher, decls: &BTreeMap<String, ApiDecl>, env: &ApiEnv) {
    let info = env.system.clone();
    let value = json!({
        "brand": info.brand,
        "model": info.model,
        "platform": info.platform,
        "system": info.system,
        "app": info.app,
        "version": info.version,
        "SDKVersion": env!("CARGO_PKG_VERSION"),
        "language": info.language,
        "pixelRatio": info.pixel_ratio,
        "screenWidth": info.screen_width,
        "screenHeight": info.screen_height,
        "windowWidth": info.screen_width,
        "windowHeight": info.screen_height,
        "statusBarHeight": info.status_bar_height,
        "titleBarHeight": 44.0,
        "fontSizeSetting": 16,
        "safeArea": info.safe_area(),
    });
    for name in ["getSystemInfo", "getSystemInfoSync"] {
        let v = value.clone();
        reg(d, decls, name, move |_| Ok(v.clone()));
    }
    let window = json!({
        "pixelRatio": info.pixel_ratio,
        "screenWidth": info.screen_width,
        "screenHeight": info.screen_height,
        "windowWidth": info.screen_width,
        "windowHeight": info.screen_height,
        "statusBarHeight": info.status_bar_height,
        "safeArea": info.safe_area(),
        "screenTop": 0.0,
    });
    reg(d, decls, "getWindowInfo", move |_| Ok(window.clone()));
    let base = json!({
        "SDKVersion": env!("CARGO_PKG_VERSION"),
        "language": info.language,
        "version": info.version,
    });
    reg(d, decls, "getAppBaseInfo", move |_| Ok(base.clone()));
    let setting = json!({
        "bluetoothEnabled": false,
        "locationEnabled": true,
        "wifiEnabled": info.network_type == "WIFI",
    });
    reg(d, decls, "getSystemSetting", move |_| Ok(setting.clone()));
    // Identity from the host: the verified bundle it launched, never JS.
    let account = json!({"miniProgram": {
        "appId": env.app.as_str(),
        "envVersion": env.env_version,
        "version": env.version,
    }});
    reg(d, decls, "getAccountInfoSync", move |_| Ok(account.clone()));
    let app_id = json!({"appId": env.app.as_str()});
    reg(d, decls, "getAppIdSync", move |_| Ok(app_id.clone()));
    let ext = env.ext.clone();
    reg(d, decls, "getExtConfigSync", move |_| Ok(ext.clone()));
    let ext = json!({"data": env.ext, "extConfig": env.ext});
    reg(d, decls, "getExtConfig", move |_| Ok(ext.clone()));
    let scene = json!({"envVersion": env.env_version});
    reg(d, decls, "getRunScene", move |_| Ok(scene.clone()));
    let network = info.network_type.clone();
    reg(d, decls, "getNetworkType", move |_| {
        Ok(json!({"networkType": network, "networkAvailable": network != "NOTREACHABLE"}))
    });
}

/// `my.canIUse`, answered from the finished table: registered last, after
/// every other API and any subset.
pub(super) fn register_can_i_use(d: &mut Dispatcher, decls: &BTreeMap<String, ApiDecl>) {
    let mut table: BTreeSet<String> = d.can_i_use_table().into_iter().collect();
    table.insert("canIUse".into());
    let t = table.clone();
    reg(d, decls, "canIUse", move |c| {
        let q = c
            .params
            .get("name")
            .or_else(|| c.params.get("api"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let key: String = q.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
        Ok(Value::Bool(t.contains(&key)))
    });
}
