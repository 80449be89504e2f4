//! Per-series statistics derived from `results.jsonl` + `events.jsonl`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use faaslab_stats::Summary;
use serde::{Deserialize, Serialize};

use super::hdr::{EXACT_MAX_SAMPLES, HDR_SIGNIFICANT_DIGITS, Sample, StatsMethod};
use super::record::Event;
use super::stream::JsonlStream;
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
    /// `exact` if every summary of the series was computed from all its values;
    /// `hdr` if at least one (each one with `count` above the run's
    /// `exact_max_samples`) came from an HDR histogram (see docs/statistics.md).
    #[serde(default)]
    pub stats_method: StatsMethod,
    pub client_time: Option<Summary>,
    pub exec_time: Option<Summary>,
    pub provider_time: Option<Summary>,
    pub client_time_cold: Option<Summary>,
    pub client_time_warm: Option<Summary>,
    #[serde(default)]
    pub exec_time_cold: Option<Summary>,
    #[serde(default)]
    pub exec_time_warm: Option<Summary>,
    #[serde(default)]
    pub provider_time_cold: Option<Summary>,
    #[serde(default)]
    pub provider_time_warm: Option<Summary>,
    /// Open-loop series: actual − intended send time of every invocation sent.
    #[serde(default)]
    pub send_lateness: Option<Summary>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSummary {
    pub invocations: u64,
    pub discarded: u64,
    pub failed: u64,
    /// Summaries of at most this many values are exact; larger ones use an HDR
    /// histogram with `hdr_significant_digits` significant digits.
    #[serde(default = "default_exact_max")]
    pub exact_max_samples: u64,
    #[serde(default = "default_hdr_digits")]
    pub hdr_significant_digits: u8,
    /// Invocations whose provider time comes from merged provider metrics
    /// (`experiment process`, provider-metrics.jsonl) instead of the run's record.
    #[serde(default)]
    pub provider_metrics_merged: u64,
    pub series: Vec<SeriesSummary>,
}

fn default_exact_max() -> u64 {
    EXACT_MAX_SAMPLES as u64
}

fn default_hdr_digits() -> u8 {
    HDR_SIGNIFICANT_DIGITS
}

/// One metric of a series, all accepted values and split by cold / warm.
#[derive(Default)]
struct Split {
    all: Sample,
    cold: Sample,
    warm: Sample,
}

impl Split {
    fn new(exact_max: usize) -> Self {
        Self {
            all: Sample::with_exact_max(exact_max),
            cold: Sample::with_exact_max(exact_max),
            warm: Sample::with_exact_max(exact_max),
        }
    }

    fn push(&mut self, v: u64, cold: bool) {
        self.all.push(v);
        if cold {
            self.cold.push(v)
        } else {
            self.warm.push(v)
        }
    }

    fn hdr(&self) -> bool {
        [&self.all, &self.cold, &self.warm]
            .iter()
            .any(|s| s.method() == StatsMethod::Hdr)
    }
}

struct Acc {
    invocations: u64,
    failed: u64,
    discarded: BTreeMap<String, u64>,
    client: Split,
    exec: Split,
    provider: Split,
    lateness: Sample,
}

/// The fields of a result line the summary needs; the rest of the line (the
/// function's output above all) is skipped by the parser, never held.
#[derive(Deserialize)]
pub(crate) struct SummaryFields {
    pub series: String,
    pub request_id: String,
    pub cold: bool,
    pub failure: Option<String>,
    pub client_time_us: u64,
    pub exec_time_us: u64,
    pub provider_time_us: u64,
    pub send_time_us: u64,
    #[serde(default)]
    pub intended_send_time_us: Option<u64>,
}

/// Streaming per-series accumulation of a run's results.
pub struct Summarizer {
    exact_max: usize,
    discards: HashMap<String, String>,
    order: Vec<String>,
    acc: HashMap<String, Acc>,
    invocations: u64,
    discarded: u64,
    failed: u64,
}

impl Summarizer {
    /// `discards`: request id → the guest's discard reason.
    pub fn new(discards: HashMap<String, String>, exact_max: usize) -> Self {
        Self {
            exact_max,
            discards,
            order: Vec::new(),
            acc: HashMap::new(),
            invocations: 0,
            discarded: 0,
            failed: 0,
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        series: &str,
        request_id: &str,
        failed: bool,
        cold: bool,
        client_time_us: u64,
        exec_time_us: u64,
        provider_time_us: u64,
        lateness_us: Option<u64>,
    ) {
        self.invocations += 1;
        if !self.acc.contains_key(series) {
            self.order.push(series.to_string());
            let split = || Split::new(self.exact_max);
            let acc = Acc {
                invocations: 0,
                failed: 0,
                discarded: BTreeMap::new(),
                client: split(),
                exec: split(),
                provider: split(),
                lateness: Sample::with_exact_max(self.exact_max),
            };
            self.acc.insert(series.to_string(), acc);
        }
        let a = self.acc.get_mut(series).expect("inserted above");
        a.invocations += 1;
        if let Some(late) = lateness_us {
            a.lateness.push(late);
        }
        if let Some(reason) = self.discards.get(request_id) {
            let category = reason.split(':').next().unwrap_or("").trim().to_string();
            *a.discarded.entry(category).or_default() += 1;
            self.discarded += 1;
            return;
        }
        if failed {
            a.failed += 1;
            self.failed += 1;
            return;
        }
        a.client.push(client_time_us, cold);
        a.exec.push(exec_time_us, cold);
        a.provider.push(provider_time_us, cold);
    }

    pub fn finish(mut self) -> RunSummary {
        let series = self
            .order
            .into_iter()
            .map(|name| {
                let mut a = self
                    .acc
                    .remove(&name)
                    .expect("every ordered series has an acc");
                let hdr = a.client.hdr() || a.exec.hdr() || a.provider.hdr();
                SeriesSummary {
                    accepted: a.client.all.len(),
                    accepted_cold: a.client.cold.len(),
                    accepted_warm: a.client.warm.len(),
                    invocations: a.invocations,
                    failed: a.failed,
                    discarded: a.discarded,
                    stats_method: if hdr {
                        StatsMethod::Hdr
                    } else {
                        StatsMethod::Exact
                    },
                    client_time: a.client.all.summary(),
                    exec_time: a.exec.all.summary(),
                    provider_time: a.provider.all.summary(),
                    client_time_cold: a.client.cold.summary(),
                    client_time_warm: a.client.warm.summary(),
                    exec_time_cold: a.exec.cold.summary(),
                    exec_time_warm: a.exec.warm.summary(),
                    provider_time_cold: a.provider.cold.summary(),
                    provider_time_warm: a.provider.warm.summary(),
                    send_lateness: a.lateness.summary(),
                    series: name,
                }
            })
            .collect();
        RunSummary {
            invocations: self.invocations,
            discarded: self.discarded,
            failed: self.failed,
            exact_max_samples: self.exact_max as u64,
            hdr_significant_digits: HDR_SIGNIFICANT_DIGITS,
            provider_metrics_merged: 0,
            series,
        }
    }
}

/// Request id → discard reason, from a run's `events.jsonl` (streamed).
pub fn read_discards(run_dir: &Path) -> std::io::Result<HashMap<String, String>> {
    let mut discards = HashMap::new();
    for e in JsonlStream::<Event>::open(&run_dir.join(EVENTS))? {
        if let Event::Discard { request_id, reason } = e? {
            discards.insert(request_id, reason);
        }
    }
    Ok(discards)
}

/// Compute the summary of a run directory, streaming `results.jsonl`.
pub fn summarize_run(run_dir: &Path) -> std::io::Result<RunSummary> {
    summarize_run_with(run_dir, EXACT_MAX_SAMPLES)
}

/// [`summarize_run`] with summaries of more than `exact_max` values from HDR histograms.
pub fn summarize_run_with(run_dir: &Path, exact_max: usize) -> std::io::Result<RunSummary> {
    let mut s = Summarizer::new(read_discards(run_dir)?, exact_max);
    let merged = super::read_provider_metrics(run_dir)?;
    let mut overlaid = 0;
    for r in JsonlStream::<SummaryFields>::open(&run_dir.join(RESULTS))? {
        let r = r?;
        let provider_time_us = match merged.get(&r.request_id).and_then(|m| m.provider_time_us) {
            Some(t) => {
                overlaid += 1;
                t
            }
            None => r.provider_time_us,
        };
        s.add(
            &r.series,
            &r.request_id,
            r.failure.is_some(),
            r.cold,
            r.client_time_us,
            r.exec_time_us,
            provider_time_us,
            r.intended_send_time_us
                .map(|i| r.send_time_us.saturating_sub(i)),
        );
    }
    let mut summary = s.finish();
    summary.provider_metrics_merged = overlaid;
    Ok(summary)
}

fn ms(us: f64) -> String {
    format!("{:.2}", us / 1000.0)
}

fn ci(ci: Option<[f64; 2]>) -> String {
    ci.map(|[a, b]| format!("[{}, {}]", ms(a), ms(b)))
        .unwrap_or_else(|| "n/a".into())
}

impl RunSummary {
    /// A human-readable table (client times in ms): per series, all accepted
    /// invocations, then cold and warm apart.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} invocations, {} discarded by the script, {} failed",
            self.invocations, self.discarded, self.failed
        );
        let _ = writeln!(
            out,
            "{:<22} {:>6} {:>5} {:>9} {:>9} {:>9} {:>6} {:>9} {:>9}  {:<22} {:<22}",
            "series (client ms)",
            "n",
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
        let mut hdr = false;
        for s in &self.series {
            let disc: u64 = s.discarded.values().sum();
            hdr |= s.stats_method == StatsMethod::Hdr;
            let mark = if s.stats_method == StatsMethod::Hdr {
                "*"
            } else {
                ""
            };
            let Some(c) = &s.client_time else {
                let _ = writeln!(
                    out,
                    "{:<22} {:>6} {:>5}  (no accepted results; {} failed)",
                    s.series, 0, disc, s.failed
                );
                continue;
            };
            let mut rows = vec![(format!("{}{mark}", s.series), c, disc.to_string())];
            // Cold and warm apart, when the series has both (otherwise the
            // row above is one of them, and says which).
            match (&s.client_time_cold, &s.client_time_warm) {
                (Some(cold), Some(warm)) => {
                    rows.push(("  cold".into(), cold, String::new()));
                    rows.push(("  warm".into(), warm, String::new()));
                }
                (Some(_), None) => rows[0].0.push_str(" (cold)"),
                _ => rows[0].0.push_str(" (warm)"),
            }
            for (label, c, disc) in rows {
                let _ = writeln!(
                    out,
                    "{:<22} {:>6} {:>5} {:>9} {:>9} {:>9} {:>6.3} {:>9} {:>9}  {:<22} {:<22}",
                    label,
                    c.count,
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
        }
        if hdr {
            let _ = writeln!(
                out,
                "* percentiles and median CI of samples above {} values from an HDR histogram \
                 ({} significant digits)",
                self.exact_max_samples, self.hdr_significant_digits
            );
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
