//! Simulated network conditions: [`NetCondition`] is a [`NetShaper`] that a
//! compatibility run (or a test) installs with `HostBuilder::net_shaper`.
//! Nothing here reaches any address the policy would not allow: an offline or
//! failed call never leaves the machine.

use mpkit_host::{NetCall, NetRefusal, NetShaper};
use std::time::Duration;

/// A network condition, simulated around the real call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum NetCondition {
    /// Calls go out as they are.
    #[default]
    Online,
    /// Every call fails at once with a network error (12), without connecting.
    Offline,
    /// Each call waits `latency` before it goes out, and its response body is
    /// delivered at `bytes_per_sec` at most. Both count against the call's
    /// timeout, which fails it with error 13 as a real slow network would.
    Slow {
        /// Added before the request is sent.
        latency: Duration,
        /// Response bandwidth; `None` for no limit.
        bytes_per_sec: Option<u64>,
    },
    /// Calls alternate, counted per launch: the 1st, 3rd, ... are answered
    /// with HTTP `status` (a 5xx) without reaching the server; the 2nd, 4th, ...
    /// stall and fail with a timeout (13) after `stall`, or after their own
    /// timeout when that is shorter.
    Flaky {
        /// How long a stalled call hangs before it times out.
        stall: Duration,
        /// The status of the failed answers (500 to 599).
        status: u16,
    },
}

impl NetShaper for NetCondition {
    fn before_request(&self, call: &NetCall<'_>) -> Result<(), NetRefusal> {
        match self {
            NetCondition::Online => Ok(()),
            NetCondition::Offline => Err(NetRefusal::Network(
                "the network is unreachable (simulated: offline)".into(),
            )),
            NetCondition::Slow { latency, .. } => {
                if *latency >= call.timeout {
                    std::thread::sleep(call.timeout);
                    return Err(NetRefusal::Timeout(call.timeout));
                }
                std::thread::sleep(*latency);
                Ok(())
            }
            NetCondition::Flaky { stall, status } => {
                if call.nth.is_multiple_of(2) {
                    Err(NetRefusal::Http(*status))
                } else {
                    let after = (*stall).min(call.timeout);
                    std::thread::sleep(after);
                    Err(NetRefusal::Timeout(after))
                }
            }
        }
    }

    fn after_response(&self, call: &NetCall<'_>, body_bytes: usize) -> Result<(), NetRefusal> {
        let NetCondition::Slow {
            bytes_per_sec: Some(bps),
            ..
        } = self
        else {
            return Ok(());
        };
        // The body arrives at the simulated rate; past the timeout it never did.
        let transfer = Duration::from_secs_f64(body_bytes as f64 / (*bps).max(1) as f64);
        let left = call.remaining();
        if transfer >= left {
            std::thread::sleep(left);
            return Err(NetRefusal::Timeout(call.timeout));
        }
        std::thread::sleep(transfer);
        Ok(())
    }
}
