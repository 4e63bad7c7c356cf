//! `my.*` calls as they leave the logic layer, and what one turn may queue
//! for the host (issue 22, item 15): each call's arguments are capped, and
//! so are the calls, their bytes and the console lines one turn queues, so
//! a flood (`for (;;) my.showToast(...)`) is a `RangeError` in the mini
//! program, not memory in the host.

use super::*;

/// The largest arguments one `my.*` call may carry, serialized: as much as
/// a setData. A call past it throws a `RangeError` where it was made, and
/// nothing reaches the host.
pub(crate) const MAX_CALL_BYTES: usize = 1024 * 1024;

/// The most `my.*` calls one turn (an event, a reply, a timer) may queue:
/// the host answers them between turns.
pub(crate) const MAX_CALLS_PER_TURN: usize = 1_000;

/// The most argument bytes the calls of one turn may queue.
pub(crate) const MAX_TURN_CALL_BYTES: usize = 8 * 1024 * 1024;

/// The most console lines one turn queues; later ones are dropped.
pub(crate) const MAX_CONSOLE_PER_TURN: usize = 10_000;

/// What one turn has queued so far.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Turn {
    calls: usize,
    call_bytes: usize,
    console: usize,
}

/// The size of `params` serialized, or a `RangeError` past
/// [`MAX_CALL_BYTES`]; it counts as it writes and stops at the cap
/// (nothing is allocated for the count).
pub(super) fn check_call_size(name: &str, params: &Value) -> JsResult<usize> {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            if self.0 > MAX_CALL_BYTES {
                return Err(std::io::Error::other("over the cap"));
            }
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut n = Count(0);
    if serde_json::to_writer(&mut n, params).is_err() {
        return Err(JsNativeError::range()
            .with_message(format!(
                "my.{name} arguments are over the 1 MB limit; send less data per call"
            ))
            .into());
    }
    Ok(n.0)
}

/// Counts one call of `bytes` against the turn, or refuses it.
fn count_call(ctx: &Context, name: &str, bytes: usize) -> JsResult<()> {
    let st = state(ctx)?;
    let mut st = st.borrow_mut();
    let t = &mut st.turn;
    if t.calls >= MAX_CALLS_PER_TURN {
        return Err(JsNativeError::range()
            .with_message(format!(
                "my.{name}: more than {MAX_CALLS_PER_TURN} my.* calls in one turn; \
                 the host answers them between turns, so wait for some to finish"
            ))
            .into());
    }
    if t.call_bytes + bytes > MAX_TURN_CALL_BYTES {
        return Err(JsNativeError::range()
            .with_message(format!(
                "my.{name}: the my.* calls of one turn carry more than 8 MB; send less data"
            ))
            .into());
    }
    t.calls += 1;
    t.call_bytes += bytes;
    Ok(())
}

/// Whether another console line fits in this turn.
pub(super) fn console_line(ctx: &Context) -> JsResult<bool> {
    let st = state(ctx)?;
    let mut st = st.borrow_mut();
    if st.turn.console >= MAX_CONSOLE_PER_TURN {
        return Ok(false);
    }
    st.turn.console += 1;
    Ok(true)
}

pub(super) fn native_call(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let name = arg_string(args, 0, ctx)?;
    let params = to_json(&arg(args, 1), ctx)?;
    let bytes = check_call_size(&name, &params)?;
    count_call(ctx, &name, bytes)?;
    let id = arg_u64(args, 2, ctx)?;
    let site = match args.get(3) {
        Some(v) if v.is_string() => arg_string(args, 3, ctx)?,
        _ => String::new(),
    };
    push(
        ctx,
        FromLogic::Call {
            name,
            params,
            id,
            site,
        },
    )
}
