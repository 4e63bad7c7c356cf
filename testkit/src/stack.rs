//! Running a test body where boa has room.

/// The stack [`big_stack`] gives its closure: 64 MiB.
pub const BIG_STACK: usize = 64 * 1024 * 1024;

/// Runs `f` on a thread with a [`BIG_STACK`] and returns what it returns; a
/// panic in `f` continues in the caller, with its message.
///
/// In thread isolation boa's recursive-descent parser runs on the caller's
/// stack, and debug builds need more than the test harness's 2 MiB for
/// ordinary nesting. The thread carries the caller's name (the test's).
pub fn big_stack<T, F>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let mut b = std::thread::Builder::new().stack_size(BIG_STACK);
    if let Some(name) = std::thread::current().name() {
        b = b.name(name.to_owned());
    }
    match b
        .spawn(f)
        .expect("spawn a thread with a large stack")
        .join()
    {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recurses with a kilobyte frame `depth` times.
    fn deep(depth: usize) -> usize {
        let frame = std::hint::black_box([1u8; 1024]);
        if depth == 0 {
            return frame[0] as usize;
        }
        deep(depth - 1) + std::hint::black_box(frame[depth % 1024]) as usize
    }

    #[test]
    fn the_closure_gets_the_large_stack_and_its_result_comes_back() {
        // 16 MiB of frames: more than the harness's thread has.
        assert_eq!(big_stack(|| deep(16 * 1024)), 16 * 1024 + 1);
    }

    #[test]
    fn a_panic_reaches_the_caller_with_its_message() {
        let caught = std::panic::catch_unwind(|| big_stack(|| panic!("the body failed")));
        let p = caught.expect_err("the panic crosses the thread");
        assert_eq!(p.downcast_ref::<&str>(), Some(&"the body failed"));
    }

    #[test]
    fn the_thread_carries_the_callers_name() {
        let outer = std::thread::current().name().map(str::to_owned);
        let inner = big_stack(|| std::thread::current().name().map(str::to_owned));
        assert_eq!(inner, outer);
    }
}
