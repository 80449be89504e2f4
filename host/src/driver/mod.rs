//! Executes invocations the guest asked for: closed-loop batches with a concurrency,
//! every result recorded (durably) the moment it completes.

mod budget;
mod hooks;
mod recorder;
mod schedule;

pub use budget::InvocationBudget;
pub use hooks::{Hooks, NoHooks};
pub use recorder::{Recorder, SendInfo};
pub use schedule::{run_schedule, run_schedule_with};

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
    run_batch_with(recorder, target, payloads, concurrency, &no_hooks()).await
}

pub fn no_hooks() -> Arc<dyn Hooks> {
    Arc::new(NoHooks)
}

/// [`run_batch`] asking `hooks` at the decision points: failed attempts may be retried,
/// and once the series has ended no further payload is sent (the results hold the
/// requests that were sent).
pub async fn run_batch_with(
    recorder: &Arc<Recorder>,
    target: &Arc<BatchTarget>,
    payloads: Vec<Bytes>,
    concurrency: usize,
    hooks: &Arc<dyn Hooks>,
) -> BatchOutcome {
    let n = payloads.len();
    let Pending {
        mut slots,
        live,
        budget_exhausted,
    } = pending(recorder, payloads);
    let live = Arc::new(live);
    let next = Arc::new(AtomicUsize::new(0));
    let workers = concurrency.clamp(1, live.len().max(1));
    let mut set = tokio::task::JoinSet::new();
    let unsent = Arc::new(AtomicUsize::new(0));
    for _ in 0..workers {
        let (recorder, target, live, next, hooks, unsent) = (
            recorder.clone(),
            target.clone(),
            live.clone(),
            next.clone(),
            hooks.clone(),
            unsent.clone(),
        );
        set.spawn(async move {
            let mut done = Vec::new();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some((i, index, payload)) = live.get(k) else {
                    break;
                };
                if hooks.series_ended(&target.series) {
                    unsent.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let r =
                    invoke_request(&recorder, &target, &hooks, payload.clone(), *index, None).await;
                done.push((*i, r));
            }
            done
        });
    }
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(done) => done.into_iter().for_each(|(i, r)| slots[i] = Some(r)),
            Err(e) => tracing::error!("invocation worker failed: {e}"),
        }
    }
    debug_assert_eq!(slots.len(), n);
    recorder
        .budget()
        .release(unsent.load(Ordering::Relaxed) as u64);
    BatchOutcome {
        results: slots.into_iter().flatten().collect(),
        budget_exhausted,
    }
}

/// A batch split into results replayed from an interrupted run and payloads to send.
struct Pending {
    slots: Vec<Option<ExecutionRecord>>,
    /// (position in the batch, request index, payload), within the budget.
    live: Vec<(usize, u64, Bytes)>,
    budget_exhausted: bool,
}

fn pending(recorder: &Recorder, payloads: Vec<Bytes>) -> Pending {
    let base = recorder.claim_requests(payloads.len() as u64);
    let mut slots = vec![None; payloads.len()];
    let mut live = Vec::new();
    for (i, payload) in payloads.into_iter().enumerate() {
        let index = base + i as u64;
        match recorder.take_replayed(index) {
            Some(r) => slots[i] = Some(r),
            None => live.push((i, index, payload)),
        }
    }
    let granted = recorder.budget().reserve(live.len() as u64) as usize;
    let budget_exhausted = granted < live.len();
    live.truncate(granted);
    Pending {
        slots,
        live,
        budget_exhausted,
    }
}

/// One request: its attempts (each recorded), retried while `hooks` says so and the
/// invocation budget allows; then `hooks` hears it completed. Returns the last attempt.
pub async fn invoke_request(
    recorder: &Recorder,
    target: &BatchTarget,
    hooks: &Arc<dyn Hooks>,
    payload: Bytes,
    request_index: u64,
    intended_send_time_us: Option<u64>,
) -> ExecutionRecord {
    let first_send = std::time::Instant::now();
    let mut attempt = 1;
    let mut intended = intended_send_time_us;
    loop {
        let r = invoke_attempt(
            recorder,
            target,
            payload.clone(),
            request_index,
            intended,
            attempt,
        )
        .await;
        if r.failure.is_none() {
            hooks.completed(&r).await;
            return r;
        }
        let elapsed_us = first_send.elapsed().as_micros() as u64;
        let Some(delay) = hooks.retry_after(target, &r, elapsed_us).await else {
            hooks.completed(&r).await;
            return r;
        };
        if recorder.budget().reserve(1) == 0 {
            tracing::warn!(
                "request {request_index}: no retry, the invocation budget (limits.max_invocations) is used up"
            );
            hooks.completed(&r).await;
            return r;
        }
        tokio::time::sleep(delay).await;
        attempt += 1;
        // A retry is not part of an open-loop schedule.
        intended = None;
    }
}

/// One invocation, recorded before it is returned. `intended_send_time_us` is set
/// for open-loop schedules.
pub async fn invoke_one_at(
    recorder: &Recorder,
    target: &BatchTarget,
    payload: Bytes,
    request_index: u64,
    intended_send_time_us: Option<u64>,
) -> ExecutionRecord {
    invoke_attempt(
        recorder,
        target,
        payload,
        request_index,
        intended_send_time_us,
        1,
    )
    .await
}

async fn invoke_attempt(
    recorder: &Recorder,
    target: &BatchTarget,
    payload: Bytes,
    request_index: u64,
    intended_send_time_us: Option<u64>,
    attempt: u32,
) -> ExecutionRecord {
    let request_id = uuid::Uuid::new_v4().to_string();
    let payload_bytes = payload.len() as u64;
    let memory_mb = target.function.config().memory_mb;
    let send = SendInfo {
        send_time_us: recorder.mark_send(),
        intended_send_time_us,
        request_index,
    };
    let inv = target
        .trigger
        .invoke(InvocationRequest {
            request_id,
            payload,
        })
        .await;
    recorder.record_attempt(target, memory_mb, send, attempt, payload_bytes, inv)
}
