//! Turns measured invocations into records and appends them to `results.jsonl`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use indicatif::ProgressBar;

use super::{BatchTarget, InvocationBudget};
use crate::measure::{ExecutionRecord, JsonlWriter, RecordContext};
use crate::providers::Invocation;

/// When and in which order an invocation was sent.
#[derive(Debug, Clone, Copy)]
pub struct SendInfo {
    /// µs since the run started.
    pub send_time_us: u64,
    pub intended_send_time_us: Option<u64>,
    pub request_index: u64,
}

pub struct Recorder {
    results: JsonlWriter,
    next_request: AtomicU64,
    /// Results of an interrupted run, by request index, handed back instead of
    /// invoking again when the run is resumed.
    replay: Mutex<HashMap<u64, ExecutionRecord>>,
    started: Instant,
    seq: AtomicU64,
    write_errors: AtomicU64,
    first_send: OnceLock<Instant>,
    budget: InvocationBudget,
    progress: ProgressBar,
}

impl Recorder {
    /// `started` is the run's time origin (send times are µs since it).
    pub fn open(
        results_path: &Path,
        started: Instant,
        max_invocations: u64,
        progress: ProgressBar,
    ) -> std::io::Result<Self> {
        Ok(Self {
            results: JsonlWriter::open(results_path)?,
            next_request: AtomicU64::new(0),
            replay: Mutex::new(HashMap::new()),
            started,
            seq: AtomicU64::new(0),
            write_errors: AtomicU64::new(0),
            first_send: OnceLock::new(),
            budget: InvocationBudget::new(max_invocations),
            progress,
        })
    }

    /// Continue an interrupted run: its records are replayed by request index, the
    /// sequence numbers and the invocation budget go on from where it stopped.
    pub fn resume_from(&self, recorded: Vec<ExecutionRecord>) {
        let max_seq = recorded.iter().map(|r| r.seq).max().unwrap_or(0);
        self.seq.store(max_seq, Ordering::Release);
        self.budget.reserve(recorded.len() as u64);
        let mut replay = self.replay.lock().unwrap_or_else(|e| e.into_inner());
        for r in recorded {
            let Some(i) = r.request_index else { continue };
            // A retried request is replayed as its last attempt.
            if replay.get(&i).is_none_or(|old| old.attempt <= r.attempt) {
                replay.insert(i, r);
            }
        }
    }

    /// Claim `n` consecutive request indices; returns the first.
    pub fn claim_requests(&self, n: u64) -> u64 {
        self.next_request.fetch_add(n, Ordering::AcqRel)
    }

    /// The recorded result of request `index`, if an interrupted run already made it.
    pub fn take_replayed(&self, index: u64) -> Option<ExecutionRecord> {
        let mut replay = self.replay.lock().unwrap_or_else(|e| e.into_inner());
        if replay.is_empty() {
            return None;
        }
        replay.remove(&index)
    }

    pub fn budget(&self) -> &InvocationBudget {
        &self.budget
    }

    pub fn started(&self) -> Instant {
        self.started
    }

    /// µs since the run started.
    pub fn now_us(&self) -> u64 {
        self.started.elapsed().as_micros() as u64
    }

    /// Stamp a send; returns µs since the run started.
    pub fn mark_send(&self) -> u64 {
        let now = Instant::now();
        let _ = self.first_send.set(now);
        now.duration_since(self.started).as_micros() as u64
    }

    /// When the first invocation was sent.
    pub fn first_send(&self) -> Option<Instant> {
        self.first_send.get().copied()
    }

    pub fn recorded(&self) -> u64 {
        self.seq.load(Ordering::Acquire)
    }

    /// Records that could not be written (disk full…): the run reports them.
    pub fn write_errors(&self) -> u64 {
        self.write_errors.load(Ordering::Acquire)
    }

    pub fn progress(&self) -> &ProgressBar {
        &self.progress
    }

    pub fn record(
        &self,
        target: &BatchTarget,
        memory_mb: u32,
        send: SendInfo,
        payload_bytes: u64,
        inv: Invocation,
    ) -> ExecutionRecord {
        self.record_attempt(target, memory_mb, send, 1, payload_bytes, inv)
    }

    /// [`Recorder::record`] of attempt `attempt` (from 1) of a request.
    pub fn record_attempt(
        &self,
        target: &BatchTarget,
        memory_mb: u32,
        send: SendInfo,
        attempt: u32,
        payload_bytes: u64,
        inv: Invocation,
    ) -> ExecutionRecord {
        let seq = self.seq.fetch_add(1, Ordering::AcqRel) + 1;
        let record = ExecutionRecord::new(
            RecordContext {
                seq,
                request_index: Some(send.request_index),
                attempt,
                series: &target.series,
                platform: &target.platform,
                benchmark: target.function.benchmark(),
                function: target.function.name(),
                memory_mb,
                send_time_us: send.send_time_us,
                intended_send_time_us: send.intended_send_time_us,
                payload_bytes,
            },
            inv,
        );
        if let Err(e) = self.results.append(&record) {
            self.write_errors.fetch_add(1, Ordering::AcqRel);
            tracing::error!("cannot append to {}: {e}", self.results.path().display());
        }
        self.progress.inc(1);
        record
    }
}
