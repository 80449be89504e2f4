//! Open-loop schedules: each request is fired at its intended time whether or not
//! earlier ones returned (no coordinated omission). A dedicated thread with 1 ns timer
//! slack sleeps until shortly before each intended time, spins the rest, and hands the
//! request to the async runtime; every record keeps both intended and actual send time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::{
    BatchOutcome, BatchTarget, Hooks, Pending, Recorder, invoke_request, no_hooks, pending,
};

/// Sleep below this much of the remaining time; spin the last stretch.
const SPIN: Duration = Duration::from_micros(150);
/// Time between accepting a schedule and its offset 0.
const LEAD: Duration = Duration::from_millis(5);

fn set_precise_timer_slack() {
    // SAFETY: prctl with PR_SET_TIMERSLACK only changes this thread's timer slack.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong);
    }
}

fn wait_until(t: Instant) {
    loop {
        let now = Instant::now();
        if now >= t {
            return;
        }
        let left = t - now;
        if left > SPIN {
            std::thread::sleep(left - SPIN);
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Fire payload `i` (or the single payload) at `offsets_us[i]` after the schedule start.
/// Offsets must be non-decreasing.
pub async fn run_schedule(
    recorder: &Arc<Recorder>,
    target: &Arc<BatchTarget>,
    offsets_us: Vec<u64>,
    payloads: Vec<Bytes>,
) -> BatchOutcome {
    run_schedule_with(recorder, target, offsets_us, payloads, &no_hooks()).await
}

/// [`run_schedule`] asking `hooks` at the decision points: a failed request may be
/// retried (outside the schedule), and once the series has ended the requests not yet
/// fired are not sent.
pub async fn run_schedule_with(
    recorder: &Arc<Recorder>,
    target: &Arc<BatchTarget>,
    offsets_us: Vec<u64>,
    payloads: Vec<Bytes>,
    hooks: &Arc<dyn Hooks>,
) -> BatchOutcome {
    let n = offsets_us.len();
    let payload_for = |i: usize| {
        payloads
            .get(i)
            .or_else(|| payloads.first())
            .cloned()
            .unwrap_or_default()
    };
    let Pending {
        mut slots,
        live,
        budget_exhausted,
    } = pending(recorder, (0..n).map(payload_for).collect());
    let to_fire: Vec<(usize, u64, Bytes, u64)> = live
        .into_iter()
        .map(|(i, index, payload)| (i, index, payload, offsets_us[i]))
        .collect();
    let firing = to_fire.len();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handle = tokio::runtime::Handle::current();
    let start = Instant::now() + LEAD;
    let (rec, tgt, hk) = (recorder.clone(), target.clone(), hooks.clone());
    let fire_thread = std::thread::Builder::new()
        .name("faaslab-schedule".into())
        .spawn(move || {
            set_precise_timer_slack();
            let mut unsent = 0;
            for (i, index, payload, offset) in to_fire {
                let intended = start + Duration::from_micros(offset);
                if !hk.series_ended(&tgt.series) {
                    wait_until(intended);
                }
                if hk.series_ended(&tgt.series) {
                    unsent += 1;
                    continue;
                }
                let intended_us = intended.duration_since(rec.started()).as_micros() as u64;
                let (rec, tgt, tx, hk) = (rec.clone(), tgt.clone(), tx.clone(), hk.clone());
                handle.spawn(async move {
                    let r =
                        invoke_request(&rec, &tgt, &hk, payload, index, Some(intended_us)).await;
                    let _ = tx.send((i, r));
                });
            }
            rec.budget().release(unsent);
        });
    if let Err(e) = fire_thread {
        tracing::error!("cannot start the schedule thread: {e}");
        return BatchOutcome {
            results: slots.into_iter().flatten().collect(),
            budget_exhausted,
        };
    }
    for _ in 0..firing {
        match rx.recv().await {
            Some((i, r)) => slots[i] = Some(r),
            None => break,
        }
    }
    BatchOutcome {
        results: slots.into_iter().flatten().collect(),
        budget_exhausted,
    }
}
