//! What goes into `results.jsonl` and `events.jsonl`. Durations are integer µs.

use serde::{Deserialize, Serialize};

use crate::providers::Invocation;

/// Function output kept in a record (and returned to guests), bytes.
pub const OUTPUT_CAP_BYTES: usize = 64 * 1024;

/// One invocation, as written to `results.jsonl` the moment it completes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExecutionRecord {
    /// Order of completion within the run, from 1.
    pub seq: u64,
    /// Order in which the script asked for the invocation, from 0 (a batch asks for
    /// its payloads in order). `--resume` replays recorded results by this index.
    #[serde(default)]
    pub request_index: Option<u64>,
    /// 1 for the first attempt of a request; a retry (by the run's retry policy) is
    /// recorded as its own result with the same `request_index` and the next attempt.
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    pub request_id: String,
    pub series: String,
    pub platform: String,
    pub benchmark: String,
    pub function: String,
    pub memory_mb: u32,
    pub cold: bool,
    pub reported_cold: Option<bool>,
    pub instance_id: String,
    /// µs since the run started (host monotonic clock).
    pub send_time_us: u64,
    /// When an open-loop schedule meant to send it, µs since the run started.
    #[serde(default)]
    pub intended_send_time_us: Option<u64>,
    pub client_time_us: u64,
    pub exec_time_us: u64,
    pub provider_time_us: u64,
    pub connection_time_us: u64,
    pub init_time_us: Option<u64>,
    pub memory_peak_kib: Option<u64>,
    /// Handler begin / end on the function's wall clock, µs since the epoch.
    pub begin_us: Option<u64>,
    pub end_us: Option<u64>,
    pub payload_bytes: u64,
    pub output_bytes: u64,
    pub output_truncated: bool,
    pub output: String,
    pub failure: Option<String>,
    /// Where the function says its time went (`output.measurement`, docs/benchmarks.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
}

/// Download / compute / upload time and bytes a benchmark function reports for one
/// invocation as `"measurement"` in its output.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Breakdown {
    #[serde(default)]
    pub download_us: u64,
    #[serde(default)]
    pub download_bytes: u64,
    #[serde(default)]
    pub compute_us: u64,
    #[serde(default)]
    pub upload_us: u64,
    #[serde(default)]
    pub upload_bytes: u64,
}

impl Breakdown {
    /// The `measurement` object of a function's JSON output, if it has a valid one.
    pub fn from_output(output: &str) -> Option<Self> {
        #[derive(Deserialize)]
        struct WithMeasurement {
            measurement: Option<Breakdown>,
        }
        serde_json::from_str::<WithMeasurement>(output)
            .ok()
            .and_then(|o| o.measurement)
    }
}

/// Context an invocation is recorded under.
pub struct RecordContext<'a> {
    pub seq: u64,
    pub request_index: Option<u64>,
    pub attempt: u32,
    pub series: &'a str,
    pub platform: &'a str,
    pub benchmark: &'a str,
    pub function: &'a str,
    pub memory_mb: u32,
    pub send_time_us: u64,
    pub intended_send_time_us: Option<u64>,
    pub payload_bytes: u64,
}

impl ExecutionRecord {
    pub fn new(ctx: RecordContext<'_>, inv: Invocation) -> Self {
        let output_bytes = inv.output.len() as u64;
        let breakdown = Breakdown::from_output(&inv.output);
        let (output, output_truncated) = truncate_utf8(inv.output, OUTPUT_CAP_BYTES);
        Self {
            seq: ctx.seq,
            request_index: ctx.request_index,
            attempt: ctx.attempt,
            request_id: inv.request_id,
            series: ctx.series.to_string(),
            platform: ctx.platform.to_string(),
            benchmark: ctx.benchmark.to_string(),
            function: ctx.function.to_string(),
            memory_mb: ctx.memory_mb,
            cold: inv.cold,
            reported_cold: inv.reported_cold,
            instance_id: inv.instance_id,
            send_time_us: ctx.send_time_us,
            intended_send_time_us: ctx.intended_send_time_us,
            client_time_us: inv.client_time_us,
            exec_time_us: inv.exec_time_us,
            provider_time_us: inv.provider_time_us,
            connection_time_us: inv.connection_time_us,
            init_time_us: inv.init_time_us,
            memory_peak_kib: inv.memory_peak_kib,
            begin_us: inv.begin_us,
            end_us: inv.end_us,
            payload_bytes: ctx.payload_bytes,
            output_bytes,
            output_truncated,
            output,
            failure: inv.failure,
            breakdown,
        }
    }
}

fn first_attempt() -> u32 {
    1
}

fn truncate_utf8(mut s: String, cap: usize) -> (String, bool) {
    if s.len() <= cap {
        return (s, false);
    }
    let mut end = cap;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    (s, true)
}

/// Everything else a run records, in `events.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Event {
    /// The guest began a series.
    Series {
        name: String,
        at_us: u64,
    },
    /// The guest excluded an invocation from its series' statistics.
    Discard {
        request_id: String,
        reason: String,
    },
    /// A measurement of the guest's own.
    Measurement {
        series: String,
        name: String,
        value: f64,
        unit: String,
    },
    Note {
        text: String,
    },
    /// A deployment made or reused for the run.
    Deployment {
        function: String,
        benchmark: String,
        action: String,
        code_hash: String,
        package_built: bool,
    },
    /// A budget was used up (the guest got `budget-exhausted`).
    BudgetExhausted {
        budget: String,
        detail: String,
    },
    /// The retry policy decided about a failed attempt (`delay_us` none: gave up).
    Retry {
        series: String,
        request_id: String,
        attempt: u32,
        delay_us: Option<u64>,
        reason: String,
    },
    /// The sampler ended a series.
    SeriesStopped {
        series: String,
        policy: String,
        reason: String,
        invocations: u64,
        accepted: u64,
    },
    /// A cold start was forced (`function` is the one invoked from now on).
    ColdStart {
        function: String,
        strategy: String,
        wait_us: u64,
        policy: Option<String>,
    },
    /// A policy failed; the host applied `fallback` instead.
    PolicyFailed {
        role: String,
        policy: String,
        error: String,
        fallback: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakdown_is_read_from_the_output() {
        let b = Breakdown::from_output(
            r#"{"x": 1, "measurement": {"download_us": 5, "download_bytes": 7, "compute_us": 3, "upload_us": 0, "upload_bytes": 0}}"#,
        )
        .unwrap();
        assert_eq!((b.download_us, b.download_bytes, b.compute_us), (5, 7, 3));
        assert_eq!(Breakdown::from_output(r#"{"x": 1}"#), None);
        assert_eq!(Breakdown::from_output("[1, 2]"), None);
        assert_eq!(
            Breakdown::from_output(r#"{"measurement": {"compute_us": -1}}"#),
            None
        );
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        let (s, t) = truncate_utf8("aé".repeat(10), 4);
        assert!(t);
        assert_eq!(s, "aéa");
        let (s, t) = truncate_utf8("abc".into(), 4);
        assert!(!t);
        assert_eq!(s, "abc");
    }
}
