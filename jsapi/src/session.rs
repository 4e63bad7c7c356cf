//! One mini program's JSAPI session: the dispatcher with its handlers, the
//! host's identity and resolved policy for this (app, user), where consent
//! decisions live and who asks the user. The host builds one per launch and
//! every `my.*` call of that launch goes through it.

use crate::dispatch::{AppContext, ConsentStore, Dispatcher, Outcome, Prompter};
use crate::error::ApiError;
use serde_json::Value;
use std::rc::Rc;

/// What a running mini program dispatches its `my.*` calls through.
///
/// The clock is the caller's: `now` (Unix seconds) dates consent decisions
/// and decides whether a time-limited grant still holds.
#[derive(Clone)]
pub struct Session {
    /// The registry with its handlers.
    pub dispatcher: Rc<Dispatcher>,
    /// Identity and resolved policy, from the host (never from JS).
    pub context: AppContext,
    /// Where consent decisions live.
    pub consents: Rc<dyn ConsentStore>,
    /// Who asks the user.
    pub prompter: Rc<dyn Prompter>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("app", &self.context.app_id)
            .field("user", &self.context.user)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A Sync call: gated, then run to the end.
    pub fn call(&self, api: &str, params: &Value, now: u64) -> Result<Value, ApiError> {
        self.dispatcher.dispatch(
            &self.context,
            api,
            params,
            &*self.consents,
            &*self.prompter,
            now,
        )
    }

    /// An async call: gated, then started; its result may arrive later
    /// ([`Outcome::Pending`]).
    pub fn start(&self, api: &str, params: &Value, now: u64) -> Outcome {
        self.dispatcher.start(
            &self.context,
            api,
            params,
            &*self.consents,
            &*self.prompter,
            now,
        )
    }
}
