//! The device, through the delegate: location, scanning, the clipboard,
//! phone calls and vibration.

use super::common::{reg, s};
use super::ApiEnv;
use crate::delegate::DeviceRequest;
use mpkit_jsapi::registry::ApiDecl;
use mpkit_jsapi::{ApiError, Call, Dispatcher};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub(super) fn register_device(d: &mut Dispatcher, decls: &BTreeMap<String, ApiDecl>, env: &ApiEnv) {
    let dev = |make: fn(&Map<String, Value>) -> Result<DeviceRequest, ApiError>| {
        let (delegate, app) = (env.delegate.clone(), env.app.clone());
        move |c: &Call<'_>| -> Result<Value, ApiError> {
            let req = make(c.params)?;
            delegate.device(&app, &req).map_err(|e| {
                tracing::debug!(api = c.api, error = %e, "device request refused");
                ApiError::NotAvailable(c.api.to_owned())
            })
        }
    };
    reg(
        d,
        decls,
        "getLocation",
        dev(|_| Ok(DeviceRequest::Location)),
    );
    reg(d, decls, "scan", dev(|_| Ok(DeviceRequest::Scan)));
    reg(
        d,
        decls,
        "setClipboard",
        dev(|p| {
            let text = s(p, "text");
            if text.len() > 64 * 1024 {
                return Err(ApiError::InvalidParam {
                    param: "text".into(),
                    reason: "is longer than 64 KB".into(),
                });
            }
            Ok(DeviceRequest::SetClipboard { text })
        }),
    );
    reg(
        d,
        decls,
        "getClipboard",
        dev(|_| Ok(DeviceRequest::GetClipboard)),
    );
    reg(
        d,
        decls,
        "makePhoneCall",
        dev(|p| {
            let number = s(p, "number");
            if number.is_empty()
                || number.len() > 32
                || !number
                    .chars()
                    .all(|c| c.is_ascii_digit() || "+-() ".contains(c))
            {
                return Err(ApiError::InvalidParam {
                    param: "number".into(),
                    reason: "must be a phone number".into(),
                });
            }
            Ok(DeviceRequest::PhoneCall { number })
        }),
    );
    reg(d, decls, "vibrate", dev(|_| Ok(DeviceRequest::Vibrate)));
}
