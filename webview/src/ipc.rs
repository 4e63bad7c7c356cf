//! What a page may say over IPC, and the checks it passes on the UI thread
//! before anything reaches an app thread:
//! - the sender must be the app's own shell (WebKitGTK reports the top
//!   document's URL, and the top frame can never leave the shell);
//! - the message must be one [`FromView`];
//! - a page's event, back, tab or reach-bottom must carry the random key of
//!   the page on top, and an answer to a question the window's key.
//!
//! The keys are made here too: 128 bits from the OS, or nothing opens.

use crate::msg::UiAnswer;
use mpkit_bundle::AppId;
use mpkit_host::EventKind;
use mpkit_host::PageId;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

/// A message a page posts over IPC.
#[derive(Debug, Deserialize)]
#[serde(tag = "t", rename_all = "camelCase")]
pub(crate) enum FromView {
    Ready,
    Painted,
    Applied {
        seq: u64,
        #[serde(default)]
        rtt: Option<f64>,
    },
    Event {
        page: PageId,
        key: String,
        kind: EventKind,
        target: u64,
        #[serde(default)]
        detail: Value,
    },
    Back {
        page: PageId,
        key: String,
    },
    Tab {
        page: PageId,
        key: String,
        path: String,
    },
    ReachBottom {
        page: PageId,
        key: String,
    },
    Ui {
        id: u64,
        key: String,
        reply: UiAnswer,
    },
    ViewError {
        message: String,
    },
}

/// The keys one window's messages must carry.
#[derive(Debug)]
pub(crate) struct Keys<'a> {
    /// The window's pages, bottom first, with their routes.
    pub(crate) stack: &'a [(PageId, String)],
    /// Each page's key.
    pub(crate) pages: &'a HashMap<PageId, String>,
    /// The window's key, for answers to its questions.
    pub(crate) ui: &'a str,
}

impl Keys<'_> {
    /// Whether `key` is the key of `page`, and `page` is on top.
    fn page(&self, page: PageId, key: &str) -> bool {
        self.stack.last().map(|(p, _)| *p) == Some(page)
            && self.pages.get(&page).is_some_and(|k| k == key)
    }
}

/// Reads a message that `uri` posted to the window of `app`. `None`: refused,
/// because it came from anywhere but the app's shell, is not a [`FromView`],
/// or lacks the key it needs.
pub(crate) fn read(app: &AppId, uri: &str, body: &str, keys: &Keys<'_>) -> Option<FromView> {
    // Only the app's own shell, in the top frame, speaks.
    if uri != crate::protocol::shell_url(app) {
        tracing::warn!(uri, "IPC from another origin refused");
        return None;
    }
    let msg: FromView = match serde_json::from_str(body) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!("malformed IPC refused: {e}");
            return None;
        }
    };
    let keyed = match &msg {
        FromView::Event { page, key, .. }
        | FromView::Back { page, key }
        | FromView::Tab { page, key, .. }
        | FromView::ReachBottom { page, key } => keys.page(*page, key),
        FromView::Ui { key, .. } => key == keys.ui,
        FromView::Ready
        | FromView::Painted
        | FromView::Applied { .. }
        | FromView::ViewError { .. } => true,
    };
    keyed.then_some(msg)
}

/// A fresh random key: 128 bits, hex. `None` without an OS random source,
/// and then what needs the key is not opened: a guessable key would let a
/// page forge IPC.
pub(crate) fn random_key() -> Option<String> {
    let mut b = [0u8; 16];
    match getrandom::getrandom(&mut b) {
        Ok(()) => Some(hex::encode(b)),
        Err(e) => {
            tracing::error!("no random source for IPC keys: {e}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> AppId {
        AppId::new("2021000000000001").expect("app")
    }

    #[test]
    fn only_the_shell_with_the_top_pages_key_is_heard() {
        let shell = crate::protocol::shell_url(&app());
        let stack = [(1, "pages/a/a".to_owned()), (2, "pages/b/b".to_owned())];
        let pages = HashMap::from([(1, "k1".to_owned()), (2, "k2".to_owned())]);
        let keys = Keys {
            stack: &stack,
            pages: &pages,
            ui: "window-key",
        };
        let read = |uri: &str, body: &str| read(&app(), uri, body, &keys);
        let tap = |page: u64, key: &str| {
            format!(r#"{{"t":"event","page":{page},"key":"{key}","kind":"tap","target":3}}"#)
        };
        assert!(matches!(
            read(&shell, &tap(2, "k2")),
            Some(FromView::Event { page: 2, .. })
        ));
        // Another sender, a page under the top one, a wrong key, garbage.
        assert!(read("mpkit://2021000000000002/__mpkit/shell.html", &tap(2, "k2")).is_none());
        assert!(read(&format!("{shell}#x"), &tap(2, "k2")).is_none());
        assert!(read(&shell, &tap(1, "k1")).is_none());
        assert!(read(&shell, &tap(2, "k1")).is_none());
        assert!(read(&shell, &tap(9, "k2")).is_none());
        assert!(read(&shell, "not json").is_none());
        assert!(read(&shell, r#"{"t":"back","page":2}"#).is_none());
        assert!(read(&shell, r#"{"t":"back","page":2,"key":"k2"}"#).is_some());
        assert!(read(&shell, r#"{"t":"tab","page":2,"key":"k1","path":"p"}"#).is_none());
        assert!(read(&shell, r#"{"t":"reachBottom","page":2,"key":"k2"}"#).is_some());
        // Answers carry the window's key, not a page's.
        let answer = |key: &str| format!(r#"{{"t":"ui","id":1,"key":"{key}","reply":{{}}}}"#);
        assert!(read(&shell, &answer("window-key")).is_some());
        assert!(read(&shell, &answer("k2")).is_none());
        // What the page reports about itself needs no key.
        assert!(read(&shell, r#"{"t":"applied","seq":3}"#).is_some());
        assert!(read(&shell, r#"{"t":"ready"}"#).is_some());
    }

    #[test]
    fn keys_are_128_random_bits() {
        let (a, b) = (random_key().expect("key"), random_key().expect("key"));
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
