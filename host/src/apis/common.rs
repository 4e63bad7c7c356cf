//! What every `register_*` uses: registering a declared API with its
//! handler, reading a string parameter, and sharing the embedding app's own
//! handlers with the dispatcher.

use mpkit_jsapi::registry::ApiDecl;
use mpkit_jsapi::{ApiError, Call, Dispatcher, Handler};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::rc::Rc;

/// The embedding app's handler, shared with the dispatcher.
pub(super) struct Shared(pub(super) Rc<dyn Handler>);
impl Handler for Shared {
    fn call(&self, call: &Call<'_>) -> Result<Value, ApiError> {
        self.0.call(call)
    }
    fn start(&self, call: &Call<'_>) -> mpkit_jsapi::Outcome {
        self.0.start(call)
    }
}

/// A string parameter, empty when absent or not a string.
pub(super) fn s(p: &Map<String, Value>, k: &str) -> String {
    p.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Registers `name` with `f` when this host declares it.
pub(super) fn reg<F>(d: &mut Dispatcher, decls: &BTreeMap<String, ApiDecl>, name: &str, f: F)
where
    F: Fn(&Call<'_>) -> Result<Value, ApiError> + 'static,
{
    if let Some(decl) = decls.get(name) {
        d.register(decl.clone(), Box::new(f));
    }
}
