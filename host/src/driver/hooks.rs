//! Decision points of the drivers: a run's policies (host/src/policy) answer them.
//! Without policies ([`NoHooks`]) a failed invocation is not retried and a series
//! never ends early.

use std::time::Duration;

use async_trait::async_trait;

use super::BatchTarget;
use crate::measure::ExecutionRecord;

#[async_trait]
pub trait Hooks: Send + Sync {
    /// Whether `series` has ended (the sampler stopped it): nothing more is sent in it.
    fn series_ended(&self, series: &str) -> bool;
    /// An attempt failed (`record.failure` is set): `Some(delay)` sends it again after
    /// the delay (the invocation budget is checked by the driver), `None` gives up.
    async fn retry_after(
        &self,
        target: &BatchTarget,
        record: &ExecutionRecord,
        elapsed_us: u64,
    ) -> Option<Duration>;
    /// A request is complete: `record` is its last attempt.
    async fn completed(&self, record: &ExecutionRecord);
}

pub struct NoHooks;

#[async_trait]
impl Hooks for NoHooks {
    fn series_ended(&self, _series: &str) -> bool {
        false
    }

    async fn retry_after(&self, _: &BatchTarget, _: &ExecutionRecord, _: u64) -> Option<Duration> {
        None
    }

    async fn completed(&self, _record: &ExecutionRecord) {}
}
