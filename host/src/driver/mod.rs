//! Executes invocations the guest asked for: closed-loop batches with a concurrency,
//! every result recorded (durably) the moment it completes.

mod budget;
mod recorder;
mod schedule;

pub use budget::InvocationBudget;
pub use recorder::Recorder;
pub use schedule::run_schedule;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;

use crate::measure::ExecutionRecord;
use crate::providers::{Function, InvocationRequest, Trigger};

/// What the invocations of a batch are recorded under.
pub struct BatchTarget {
    pub trigger: Arc<dyn Trigger>,
    pub function: Arc<dyn Function>,
    pub platform: String,
    pub series: String,
}

/// Results of a batch, in payload order, and whether the invocation budget stopped it
/// early (then only the first `results.len()` payloads were sent).
pub struct BatchOutcome {
    pub results: Vec<ExecutionRecord>,
    pub budget_exhausted: bool,
}

/// Invoke once per payload with at most `concurrency` in flight.
pub async fn run_batch(
    recorder: &Arc<Recorder>,
    target: &Arc<BatchTarget>,
    payloads: Vec<Bytes>,
    concurrency: usize,
) -> BatchOutcome {
    let wanted = payloads.len() as u64;
    let granted = recorder.budget().reserve(wanted) as usize;
    let payloads: Arc<Vec<Bytes>> = Arc::new(payloads.into_iter().take(granted).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let workers = concurrency.clamp(1, granted.max(1));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..workers {
        let (recorder, target, payloads, next) = (
            recorder.clone(),
            target.clone(),
            payloads.clone(),
            next.clone(),
        );
        set.spawn(async move {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(payload) = payloads.get(i) else {
                    break;
                };
                done.push((i, invoke_one(&recorder, &target, payload.clone()).await));
            }
            done
        });
    }
    let mut slots: Vec<Option<ExecutionRecord>> = vec![None; payloads.len()];
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(done) => done.into_iter().for_each(|(i, r)| slots[i] = Some(r)),
            Err(e) => tracing::error!("invocation worker failed: {e}"),
        }
    }
    BatchOutcome {
        results: slots.into_iter().flatten().collect(),
        budget_exhausted: (granted as u64) < wanted,
    }
}

/// One invocation, recorded before it is returned.
pub async fn invoke_one(
    recorder: &Recorder,
    target: &BatchTarget,
    payload: Bytes,
) -> ExecutionRecord {
    invoke_one_at(recorder, target, payload, None).await
}

/// One invocation with the time it was meant to be sent (open-loop schedules).
pub async fn invoke_one_at(
    recorder: &Recorder,
    target: &BatchTarget,
    payload: Bytes,
    intended_send_time_us: Option<u64>,
) -> ExecutionRecord {
    let request_id = uuid::Uuid::new_v4().to_string();
    let payload_bytes = payload.len() as u64;
    let memory_mb = target.function.config().memory_mb;
    let send_time_us = recorder.mark_send();
    let inv = target
        .trigger
        .invoke(InvocationRequest {
            request_id,
            payload,
        })
        .await;
    recorder.record(
        target,
        memory_mb,
        (send_time_us, intended_send_time_us),
        payload_bytes,
        inv,
    )
}
