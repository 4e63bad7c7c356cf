//! How much work one render may do.
//!
//! The render core counts steps: an element, a text, a loop item, a
//! template call, an expression evaluated. Every [`CHECK_EVERY`] steps it
//! asks the caller whether to go on; the caller reads its clock (the core
//! reads none), so a page that would take seconds, or forever, to render
//! stops its own app with a typed reason instead of holding a thread.

/// How many steps pass between two questions to the caller.
pub const CHECK_EVERY: u64 = 1024;

/// A render's allowance: a step limit, and a question asked every
/// [`CHECK_EVERY`] steps whose `false` ends the render.
pub struct Budget {
    steps: u64,
    max_steps: u64,
    next_check: u64,
    go_on: Box<dyn FnMut() -> bool>,
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("steps", &self.steps)
            .field("max_steps", &self.max_steps)
            .finish_non_exhaustive()
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::unlimited()
    }
}

impl Budget {
    /// No limit at all (tools and tests that render trusted templates).
    pub fn unlimited() -> Budget {
        Budget::new(u64::MAX, || true)
    }

    /// At most `max_steps` steps, and only while `go_on` answers true.
    pub fn new(max_steps: u64, go_on: impl FnMut() -> bool + 'static) -> Budget {
        Budget {
            steps: 0,
            max_steps,
            next_check: CHECK_EVERY,
            go_on: Box::new(go_on),
        }
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Takes one step; `false` when the budget is spent.
    pub(crate) fn step(&mut self) -> bool {
        self.steps += 1;
        if self.steps > self.max_steps {
            return false;
        }
        if self.steps >= self.next_check {
            self.next_check = self.steps + CHECK_EVERY;
            return (self.go_on)();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_stop_at_the_limit_and_the_caller_is_asked_every_batch() {
        let mut b = Budget::new(3, || true);
        assert!(b.step() && b.step() && b.step());
        assert!(!b.step(), "the fourth step is over the limit");

        let asked = std::rc::Rc::new(std::cell::Cell::new(0));
        let counter = asked.clone();
        let mut b = Budget::new(u64::MAX, move || {
            counter.set(counter.get() + 1);
            counter.get() < 3
        });
        let mut taken = 0;
        while b.step() {
            taken += 1;
        }
        assert_eq!(taken, 3 * CHECK_EVERY - 1, "the third question said stop");
        assert_eq!(asked.get(), 3);
    }
}
