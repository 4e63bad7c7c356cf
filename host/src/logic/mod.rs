//! The isolation unit: a mini program's JS in boa (the logic layer) and its
//! view (templates rendered and diffed), isolated from the host and from
//! every other mini program, in a worker process (default) or on a thread.

mod components;
pub(crate) mod convert;
pub(crate) mod engine;
mod files;
mod lines;
pub(crate) mod protocol;
pub(crate) mod query;
mod rounds;
mod select;
mod sjs;
mod sourcemap;
pub(crate) mod unit;
pub(crate) mod view;
pub(crate) mod worker;

pub(crate) use engine::SyncHandler;
use protocol::{FromLogic, ScriptError, ToLogic};
use std::time::Duration;

/// Why a logic layer stopped for good. Reported to the embedding app; the host
/// and every other mini program keep running.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Stopped {
    /// One message ran longer than the watchdog allows.
    #[error("the mini program ran for more than {after:?} without yielding and was stopped")]
    Timeout {
        /// The limit.
        after: Duration,
    },
    /// The worker ran out of its memory cap.
    #[error("the mini program exceeded its memory cap and was stopped")]
    OutOfMemory,
    /// The worker died or misbehaved.
    #[error("the mini program's worker stopped: {0}")]
    Crashed(String),
    /// A page took longer to render than its budget allows.
    #[error("the page {route} did not finish rendering within {after:?} and the mini program was stopped")]
    RenderBudget {
        /// The page's route.
        route: String,
        /// The budget.
        after: Duration,
    },
}

/// A logic layer, wherever it runs.
pub(crate) trait Logic {
    /// Evaluates one script; the outer error means the layer is gone.
    fn load_script(
        &mut self,
        file: &str,
        source: &str,
        route: Option<&str>,
    ) -> Result<Result<(), ScriptError>, Stopped>;
    /// Handles one message.
    fn handle(&mut self, msg: &ToLogic) -> Result<Vec<FromLogic>, Stopped>;
    /// Sets who answers `my.*Sync` calls.
    fn set_sync_handler(&mut self, handler: SyncHandler);
}

#[cfg(test)]
mod tests;
