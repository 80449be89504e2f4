//! The invocation budget of a run: reservations never exceed the limit, even from
//! concurrent batches.

use std::sync::atomic::{AtomicU64, Ordering};

pub struct InvocationBudget {
    limit: u64,
    used: AtomicU64,
}

impl InvocationBudget {
    pub fn new(limit: u64) -> Self {
        Self {
            limit,
            used: AtomicU64::new(0),
        }
    }

    /// Reserve up to `n` invocations; returns how many were granted.
    pub fn reserve(&self, n: u64) -> u64 {
        let mut granted = 0;
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                granted = n.min(self.limit.saturating_sub(used));
                Some(used + granted)
            });
        granted
    }

    /// Give back reserved invocations that were not made (a series the sampler
    /// ended before they were sent).
    pub fn release(&self, n: u64) {
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                Some(used.saturating_sub(n))
            });
    }

    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Acquire)
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_stop_at_the_limit() {
        let b = InvocationBudget::new(10);
        assert_eq!(b.reserve(4), 4);
        assert_eq!(b.reserve(10), 6);
        assert_eq!(b.reserve(1), 0);
        assert_eq!(b.used(), 10);
        b.release(3);
        assert_eq!(b.reserve(5), 3);
    }
}
