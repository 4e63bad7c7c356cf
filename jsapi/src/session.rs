//! One mini program's JSAPI session: the dispatcher with its handlers, the
//! host's identity and resolved policy for this (app, user), where consent
//! decisions live and who asks the user. The host builds one per launch and
//! every `my.*` call of that launch goes through it.

use crate::dispatch::{AppContext, ConsentStore, Dispatcher, Outcome, Prompter};
use crate::error::ApiError;
use mpkit_sandbox::acl::ScopeDecision;
use mpkit_sandbox::net::NetPolicy;
use serde_json::Value;
use std::collections::BTreeSet;
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
    /// A session that offers navigation alone, for a mini program run
    /// without the host's APIs (tests, benchmarks): every other name is
    /// not available (error 1), and nobody is ever asked anything.
    pub fn navigation_only(app_id: &str) -> Session {
        let mut dispatcher = Dispatcher::new();
        dispatcher.register_navigation();
        dispatcher.register_view();
        let acl = dispatcher.resolve(&BTreeSet::new(), &BTreeSet::new());
        Session {
            dispatcher: Rc::new(dispatcher),
            context: AppContext {
                app_id: app_id.to_owned(),
                user: String::new(),
                acl,
                net: NetPolicy::default(),
            },
            consents: Rc::new(NoConsent),
            prompter: Rc::new(NoConsent),
        }
    }

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

/// Keeps no consent decision and grants nothing when asked: the stores of a
/// session whose APIs need no user scope.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoConsent;

impl ConsentStore for NoConsent {
    fn decision(&self, _user: &str, _app: &str, _scope: &str) -> Option<ScopeDecision> {
        None
    }

    fn record(&self, _user: &str, _app: &str, _scope: &str, _decision: ScopeDecision) {}
}

impl Prompter for NoConsent {
    fn ask(&self, _app: &str, _scope: &str) -> bool {
        false
    }
}
