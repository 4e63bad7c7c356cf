//! `my.setStorage` and friends, async and Sync, over the host's store.

use super::common::reg;
use super::store::UserData;
use mpkit_jsapi::registry::ApiDecl;
use mpkit_jsapi::{ApiError, Dispatcher};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::rc::Rc;

fn key(p: &Map<String, Value>) -> &str {
    p.get("key").and_then(Value::as_str).unwrap_or_default()
}

pub(super) fn register_storage(
    d: &mut Dispatcher,
    decls: &BTreeMap<String, ApiDecl>,
    data: &Rc<UserData>,
) {
    for suffix in ["", "Sync"] {
        let db = data.clone();
        reg(d, decls, &format!("setStorage{suffix}"), move |c| {
            let v = c.params.get("data").cloned().unwrap_or(Value::Null);
            db.set(c.user, c.app_id, key(c.params), &v.to_string())?;
            Ok(json!({}))
        });
        let db = data.clone();
        reg(d, decls, &format!("getStorage{suffix}"), move |c| {
            let data = match db.get(c.user, c.app_id, key(c.params))? {
                Some(text) => serde_json::from_str(&text)
                    .map_err(|e| ApiError::Internal(format!("stored value unreadable: {e}")))?,
                None => Value::Null,
            };
            // Moved in, not re-serialized as `json!` would.
            let mut out = serde_json::Map::new();
            out.insert("data".into(), data);
            Ok(Value::Object(out))
        });
        let db = data.clone();
        reg(d, decls, &format!("removeStorage{suffix}"), move |c| {
            db.remove(c.user, c.app_id, key(c.params))?;
            Ok(json!({}))
        });
        let db = data.clone();
        reg(d, decls, &format!("clearStorage{suffix}"), move |c| {
            db.clear(c.user, c.app_id)?;
            Ok(json!({}))
        });
        let db = data.clone();
        reg(d, decls, &format!("getStorageInfo{suffix}"), move |c| {
            let info = db.info(c.user, c.app_id)?;
            Ok(json!({
                "keys": info.keys,
                "currentSize": info.used.div_ceil(1024),
                "limitSize": info.limit / 1024,
            }))
        });
    }
}
