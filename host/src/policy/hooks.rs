//! The drivers' decision points answered by the run's policies, every decision that
//! changes the run recorded in `events.jsonl`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::bindings::retry::FailedAttempt;
use super::{Fallback, Retry};
use crate::capabilities::RunContext;
use crate::driver::{BatchTarget, Hooks};
use crate::measure::{Event, ExecutionRecord};

pub struct PolicyHooks {
    pub ctx: Arc<RunContext>,
}

impl PolicyHooks {
    pub fn for_run(ctx: Arc<RunContext>) -> Arc<dyn Hooks> {
        Arc::new(Self { ctx })
    }
}

/// Record a policy's failure (once) and the default the host applied.
pub(super) fn record_fallback(ctx: &RunContext, f: &Fallback, default: &str) {
    if f.first {
        ctx.event(&Event::PolicyFailed {
            role: f.role.as_str().to_string(),
            policy: f.policy.clone(),
            error: f.error.clone(),
            fallback: default.to_string(),
        });
    }
}

#[async_trait]
impl Hooks for PolicyHooks {
    fn series_ended(&self, series: &str) -> bool {
        self.ctx.policies.series_stop(series).is_some()
    }

    async fn retry_after(
        &self,
        target: &BatchTarget,
        record: &ExecutionRecord,
        elapsed_us: u64,
    ) -> Option<Duration> {
        let attempt = FailedAttempt {
            series: record.series.clone(),
            function: record.function.clone(),
            attempt: record.attempt,
            failure: record.failure.clone().unwrap_or_default(),
            elapsed_us,
        };
        let decision = match self.ctx.policies.retry(attempt).await? {
            Ok(d) => d,
            Err(f) => {
                record_fallback(&self.ctx, &f, "give up");
                Retry::GiveUp(format!("retry policy failed: {}", f.error))
            }
        };
        let limits = &self.ctx.config.limits;
        let decision = match decision {
            Retry::After(d) if d.as_secs_f64() > limits.max_sleep_s => Retry::GiveUp(format!(
                "the policy asked to wait {} s, over limits.max_sleep_s",
                d.as_secs_f64()
            )),
            Retry::After(d) if Instant::now() + d >= self.ctx.deadline => Retry::GiveUp(
                "the retry would start past the run's wall-time budget (limits.max_wall_time_s)"
                    .into(),
            ),
            d => d,
        };
        let (delay_us, reason) = match &decision {
            Retry::After(d) => (Some(d.as_micros() as u64), String::new()),
            Retry::GiveUp(reason) => (None, reason.clone()),
        };
        self.ctx.event(&Event::Retry {
            series: target.series.clone(),
            request_id: record.request_id.clone(),
            attempt: record.attempt,
            delay_us,
            reason,
        });
        match decision {
            Retry::After(d) => Some(d),
            Retry::GiveUp(_) => None,
        }
    }

    async fn completed(&self, record: &ExecutionRecord) {
        let policies = &self.ctx.policies;
        policies.observe_invocation(&record.function, record.cold);
        let answer = policies
            .completed(
                &record.series,
                &record.request_id,
                record.failure.is_some(),
                record.cold,
                record.client_time_us,
                record.send_time_us,
            )
            .await;
        match answer {
            None => {}
            Some(Ok(stop)) => {
                tracing::info!(
                    "series {}: stopped by the sampler {} after {} invocations: {}",
                    stop.series,
                    stop.policy,
                    stop.invocations,
                    stop.reason
                );
                self.ctx.event(&Event::SeriesStopped {
                    series: stop.series,
                    policy: stop.policy,
                    reason: stop.reason,
                    invocations: stop.invocations,
                    accepted: stop.accepted,
                });
            }
            Some(Err(f)) => record_fallback(&self.ctx, &f, "continue"),
        }
    }
}
