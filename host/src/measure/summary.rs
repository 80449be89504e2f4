//! Per-series statistics derived from `results.jsonl` + `events.jsonl`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use faaslab_stats::{Summary, summarize};
use serde::{Deserialize, Serialize};

use super::jsonl::read_all;
use super::record::{Event, ExecutionRecord};
use super::{EVENTS, RESULTS};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeriesSummary {
    pub series: String,
    /// Every invocation recorded in the series.
    pub invocations: u64,
    /// Successful and not discarded: what the statistics describe.
    pub accepted: u64,
    pub accepted_cold: u64,
    pub accepted_warm: u64,
    /// Failed invocations the guest did not discard itself.
    pub failed: u64,
    /// Discarded by the guest, by reason (text before the first ':').
    pub discarded: BTreeMap<String, u64>,
    pub client_time: Option<Summary>,
    pub exec_time: Option<Summary>,
    pub provider_time: Option<Summary>,
    pub client_time_cold: Option<Summary>,
    pub client_time_warm: Option<Summary>,
    /// Open-loop series: actual − intended send time of every invocation sent.
    pub send_lateness: Option<Summary>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSummary {
    pub invocations: u64,
    pub discarded: u64,
    pub failed: u64,
    pub series: Vec<SeriesSummary>,
}

#[derive(Default)]
struct Acc {
    invocations: u64,
    failed: u64,
    discarded: BTreeMap<String, u64>,
    client: Vec<f64>,
    exec: Vec<f64>,
    provider: Vec<f64>,
    cold: Vec<f64>,
    warm: Vec<f64>,
    lateness: Vec<f64>,
}

/// Compute the summary of a run directory.
pub fn summarize_run(run_dir: &Path) -> std::io::Result<RunSummary> {
    let events: Vec<Event> = read_all(&run_dir.join(EVENTS))?;
    let discards: HashMap<String, String> = events
        .into_iter()
        .filter_map(|e| match e {
            Event::Discard { request_id, reason } => Some((request_id, reason)),
            _ => None,
        })
        .collect();
    let records: Vec<ExecutionRecord> = read_all(&run_dir.join(RESULTS))?;
    Ok(summarize_records(&records, &discards))
}

pub fn summarize_records(
    records: &[ExecutionRecord],
    discards: &HashMap<String, String>,
) -> RunSummary {
    let mut order: Vec<String> = Vec::new();
    let mut acc: HashMap<String, Acc> = HashMap::new();
    let (mut total_discarded, mut total_failed) = (0, 0);
    for r in records {
        let a = acc.entry(r.series.clone()).or_insert_with(|| {
            order.push(r.series.clone());
            Acc::default()
        });
        a.invocations += 1;
        if let Some(intended) = r.intended_send_time_us {
            a.lateness
                .push(r.send_time_us.saturating_sub(intended) as f64);
        }
        if let Some(reason) = discards.get(&r.request_id) {
            let category = reason.split(':').next().unwrap_or("").trim().to_string();
            *a.discarded.entry(category).or_default() += 1;
            total_discarded += 1;
            continue;
        }
        if r.failure.is_some() {
            a.failed += 1;
            total_failed += 1;
            continue;
        }
        let client = r.client_time_us as f64;
        a.client.push(client);
        a.exec.push(r.exec_time_us as f64);
        a.provider.push(r.provider_time_us as f64);
        if r.cold {
            a.cold.push(client);
        } else {
            a.warm.push(client);
        }
    }
    let series = order
        .into_iter()
        .map(|name| {
            let a = acc.remove(&name).unwrap_or_default();
            SeriesSummary {
                accepted: a.client.len() as u64,
                accepted_cold: a.cold.len() as u64,
                accepted_warm: a.warm.len() as u64,
                invocations: a.invocations,
                failed: a.failed,
                discarded: a.discarded,
                client_time: summarize(&a.client),
                exec_time: summarize(&a.exec),
                provider_time: summarize(&a.provider),
                client_time_cold: summarize(&a.cold),
                client_time_warm: summarize(&a.warm),
                send_lateness: summarize(&a.lateness),
                series: name,
            }
        })
        .collect();
    RunSummary {
        invocations: records.len() as u64,
        discarded: total_discarded,
        failed: total_failed,
        series,
    }
}

fn ms(us: f64) -> String {
    format!("{:.2}", us / 1000.0)
}

fn ci(ci: Option<[f64; 2]>) -> String {
    ci.map(|[a, b]| format!("[{}, {}]", ms(a), ms(b)))
        .unwrap_or_else(|| "n/a".into())
}

impl RunSummary {
    /// A human-readable table (times in ms).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} invocations, {} discarded by the script, {} failed",
            self.invocations, self.discarded, self.failed
        );
        let _ = writeln!(
            out,
            "{:<22} {:>5} {:>5} {:>5} {:>9} {:>9} {:>9} {:>6} {:>9} {:>9}  {:<22} {:<22}",
            "series (client ms)",
            "n",
            "cold",
            "disc",
            "median",
            "mean",
            "std",
            "cv",
            "p90",
            "p99",
            "median 95% CI",
            "mean 95% CI (t)"
        );
        for s in &self.series {
            let disc: u64 = s.discarded.values().sum();
            match &s.client_time {
                Some(c) => {
                    let _ = writeln!(
                        out,
                        "{:<22} {:>5} {:>5} {:>5} {:>9} {:>9} {:>9} {:>6.3} {:>9} {:>9}  {:<22} {:<22}",
                        s.series,
                        s.accepted,
                        s.accepted_cold,
                        disc,
                        ms(c.median_us),
                        ms(c.mean_us),
                        ms(c.std_us),
                        c.cv,
                        ms(c.p90_us),
                        ms(c.p99_us),
                        ci(c.median_ci95_us),
                        ci(c.t_ci95_us),
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "{:<22} {:>5} {:>5} {:>5}  (no accepted results; {} failed)",
                        s.series, 0, 0, disc, s.failed
                    );
                }
            }
        }
        for s in &self.series {
            if let Some(l) = &s.send_lateness {
                let _ = writeln!(
                    out,
                    "{}: open-loop send lateness median {:.0} µs, p99 {:.0} µs, max {:.0} µs over {} sends",
                    s.series, l.median_us, l.p99_us, l.max_us, l.count
                );
            }
        }
        out
    }
}
