//! The budgets of a run: invocations (reservations never exceed the limit, even from
//! concurrent batches), function GB-seconds and estimated cost (charged as invocations
//! complete), and the record of which budget was used up.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::{GuestLimits, Price};

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

/// A budget that was used up: which (named after its config field), how far.
#[derive(Debug, Clone, PartialEq)]
pub struct Exhausted {
    /// Config field of the budget, e.g. `max_gb_seconds`.
    pub budget: &'static str,
    pub used: f64,
    pub limit: f64,
    /// What the guest is told.
    pub detail: String,
}

/// Function compute used so far and its limits.
#[derive(Debug, Default)]
struct Compute {
    gb_seconds: f64,
    cost_usd: f64,
    max_gb_seconds: Option<f64>,
    max_cost_usd: Option<f64>,
    price: Price,
}

/// Every budget of a run that the driver and the capabilities share.
pub struct Budgets {
    pub invocations: InvocationBudget,
    compute: Mutex<Compute>,
    /// Invocations sent and not yet answered, and the most allowed at once.
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    /// First exhaustion of each budget (kept for the manifest).
    exhausted: Mutex<BTreeMap<&'static str, Exhausted>>,
    /// Budgets whose exhaustion is already in events.jsonl.
    reported: Mutex<std::collections::BTreeSet<&'static str>>,
}

impl Budgets {
    /// Only the invocation budget; compute is unlimited until `set_compute`.
    pub fn new(max_invocations: u64) -> Self {
        Self {
            invocations: InvocationBudget::new(max_invocations),
            compute: Mutex::new(Compute::default()),
            in_flight: AtomicU64::new(0),
            peak_in_flight: AtomicU64::new(0),
            max_in_flight: AtomicU64::new(u64::MAX),
            exhausted: Mutex::new(BTreeMap::new()),
            reported: Mutex::new(Default::default()),
        }
    }

    /// Compute limits from the run's limits and the platform's price.
    pub fn set_compute(&self, limits: &GuestLimits, price: Price) {
        let mut c = self.compute.lock().unwrap_or_else(|e| e.into_inner());
        c.max_gb_seconds = limits.max_gb_seconds;
        c.max_cost_usd = limits.max_cost_usd;
        c.price = price;
        self.max_in_flight
            .store(u64::from(limits.max_concurrency), Ordering::Release);
    }

    /// Count an invocation in flight until the guard is dropped.
    pub fn start_invocation(&self) -> InFlight<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        self.peak_in_flight.fetch_max(now, Ordering::AcqRel);
        InFlight(self)
    }

    /// Most invocations that were in flight at once.
    pub fn peak_in_flight(&self) -> u64 {
        self.peak_in_flight.load(Ordering::Acquire)
    }

    /// The concurrency budget as exhausted (recorded) when `limits.max_concurrency`
    /// invocations are in flight; None while there is room.
    pub fn concurrency_exhausted(&self) -> Option<Exhausted> {
        let (now, max) = (
            self.in_flight.load(Ordering::Acquire),
            self.max_in_flight.load(Ordering::Acquire),
        );
        (now >= max).then(|| self.concurrency_hit(now, max))
    }

    /// A request for `asked` concurrent invocations over `max` (recorded).
    pub fn concurrency_hit(&self, asked: u64, max: u64) -> Exhausted {
        let hit = Exhausted {
            budget: "max_concurrency",
            used: asked as f64,
            limit: max as f64,
            detail: format!(
                "{asked} concurrent invocations asked, the run allows {max} (limits.max_concurrency)"
            ),
        };
        self.mark(hit.clone());
        hit
    }

    /// Reserve up to `n` invocations; returns how many were granted.
    pub fn reserve(&self, n: u64) -> u64 {
        self.invocations.reserve(n)
    }

    /// Give back reserved invocations that were not made (see [`InvocationBudget::release`]).
    pub fn release(&self, n: u64) {
        self.invocations.release(n)
    }

    /// The invocation limit (`limits.max_invocations`).
    pub fn limit(&self) -> u64 {
        self.invocations.limit()
    }

    /// Charge one finished invocation: `memory_mb` for `billed_us`.
    pub fn charge(&self, memory_mb: u32, billed_us: u64) {
        let gb_s = f64::from(memory_mb) / 1024.0 * billed_us as f64 / 1e6;
        let mut c = self.compute.lock().unwrap_or_else(|e| e.into_inner());
        c.gb_seconds += gb_s;
        c.cost_usd += gb_s * c.price.gb_second_usd + c.price.request_usd;
    }

    /// (GB-seconds, estimated cost in USD) used so far.
    pub fn compute_used(&self) -> (f64, f64) {
        let c = self.compute.lock().unwrap_or_else(|e| e.into_inner());
        (c.gb_seconds, c.cost_usd)
    }

    /// The compute budget that is used up, if one is; recorded as exhausted.
    pub fn compute_exhausted(&self) -> Option<Exhausted> {
        let hit = {
            let c = self.compute.lock().unwrap_or_else(|e| e.into_inner());
            match (c.max_gb_seconds, c.max_cost_usd) {
                (Some(max), _) if c.gb_seconds >= max => Some(Exhausted {
                    budget: "max_gb_seconds",
                    used: c.gb_seconds,
                    limit: max,
                    detail: format!(
                        "the run's {max} function GB-seconds (limits.max_gb_seconds) are used up ({:.6} used)",
                        c.gb_seconds
                    ),
                }),
                (_, Some(max)) if c.cost_usd >= max => Some(Exhausted {
                    budget: "max_cost_usd",
                    used: c.cost_usd,
                    limit: max,
                    detail: format!(
                        "the run's estimated cost budget of {max} USD (limits.max_cost_usd) is used up ({:.6} USD)",
                        c.cost_usd
                    ),
                }),
                _ => None,
            }
        }?;
        self.mark(hit.clone());
        Some(hit)
    }

    /// The invocation budget as exhausted (recorded).
    pub fn invocations_exhausted(&self) -> Exhausted {
        let limit = self.invocations.limit();
        let hit = Exhausted {
            budget: "max_invocations",
            used: self.invocations.used() as f64,
            limit: limit as f64,
            detail: format!("the run's {limit} invocations (limits.max_invocations) are used up"),
        };
        self.mark(hit.clone());
        hit
    }

    /// Record that a budget was used up; returns true the first time for that budget.
    pub fn mark(&self, hit: Exhausted) -> bool {
        let mut map = self.exhausted.lock().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(hit.budget) {
            Some(old) => {
                old.used = old.used.max(hit.used);
                false
            }
            None => {
                map.insert(hit.budget, hit);
                true
            }
        }
    }

    /// True the first time it is asked for `budget` (one event per budget, however
    /// often a guest runs into it).
    pub fn first_report(&self, budget: &'static str) -> bool {
        self.reported
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(budget)
    }

    /// Every budget used up so far, by name.
    pub fn exhausted(&self) -> Vec<Exhausted> {
        let map = self.exhausted.lock().unwrap_or_else(|e| e.into_inner());
        map.values().cloned().collect()
    }
}

/// An invocation in flight (see `Budgets::start_invocation`).
pub struct InFlight<'a>(&'a Budgets);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
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

    #[test]
    fn gb_seconds_and_cost_accumulate_and_exhaust() {
        let b = Budgets::new(100);
        let limits = GuestLimits {
            max_gb_seconds: Some(1.0),
            ..Default::default()
        };
        b.set_compute(
            &limits,
            Price {
                gb_second_usd: 2.0,
                request_usd: 0.5,
            },
        );
        b.charge(512, 1_000_000);
        let (gb_s, cost) = b.compute_used();
        assert!((gb_s - 0.5).abs() < 1e-12);
        assert!((cost - 1.5).abs() < 1e-12);
        assert!(b.compute_exhausted().is_none());
        b.charge(1024, 600_000);
        let hit = b.compute_exhausted().unwrap();
        assert_eq!(hit.budget, "max_gb_seconds");
        assert!(
            hit.detail.contains("limits.max_gb_seconds"),
            "{}",
            hit.detail
        );
        assert_eq!(b.exhausted().len(), 1);
    }

    #[test]
    fn a_budget_is_marked_once() {
        let b = Budgets::new(1);
        assert_eq!(b.reserve(2), 1);
        b.invocations_exhausted();
        b.invocations_exhausted();
        assert_eq!(b.exhausted().len(), 1);
        assert_eq!(b.exhausted()[0].limit, 1.0);
    }
}
