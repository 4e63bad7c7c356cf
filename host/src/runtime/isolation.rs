//! Where a mini program's isolation unit runs, and the opt-in thread mode
//! takes.

use crate::logic::worker::WorkerConfig;

/// Where a mini program's JS runs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Isolation {
    /// In a worker process with a memory cap and a watchdog (desktop default). The
    /// executable must call `mpkit_host::enter_if_worker()` first in `main`.
    Process(WorkerConfig),
    /// On the caller's thread, for targets that cannot spawn processes:
    /// boa's loop, recursion and stack limits, the render depth limit and
    /// the render budget hold, but what [`ThreadOptIn`] lists is not
    /// contained, so it takes that explicit opt-in.
    Thread(ThreadOptIn),
}

/// The explicit opt-in thread mode needs. boa 0.22 has no interrupt, so on
/// a thread nothing stops a mini program that
///
/// - iterates natively with a JS callback (`a.forEach(() => a.forEach(() =>
///   {}))` over 100,000 items: the loop limit counts only JS loops),
/// - backtracks in a regular expression (`/^(a+)+$/.test('a'.repeat(40) +
///   'b')`: the time doubles with each character),
/// - or allocates without bound (`s += s` forty times: the allocator aborts
///   the whole process).
///
/// The first two hang the thread that drives the runtime; the third ends
/// the host. Process mode stops all three (watchdog and memory cap). Only
/// launch programs you trust this way (your own, in development) or where
/// no process can be spawned; docs/runtime.md measures each case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadOptIn {
    _accepted: (),
}

impl ThreadOptIn {
    /// "I accept that a mini program in thread mode can hang this thread
    /// and abort this process."
    pub const ACCEPT_UNCONTAINED: ThreadOptIn = ThreadOptIn { _accepted: () };
}
