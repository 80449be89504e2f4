//! `faaslab results compare <run-a> <run-b>`: per common series, the ratio of the
//! median client times b / a with a distribution-free confidence interval, and a
//! verdict. Method (docs/statistics.md): each run's median gets Le Boudec's
//! order-statistic interval at level √c; the two runs are independent, so both
//! intervals hold at once with probability ≥ √c · √c = c, and then the true ratio of
//! medians lies in `[lo_b / hi_a, hi_b / lo_a]`. The interval is conservative (its
//! coverage is at least c), needs no resampling, and works unchanged on the HDR path.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::RESULTS;
use super::hdr::{EXACT_MAX_SAMPLES, Sample};
use super::stream::JsonlStream;
use super::summary::{SummaryFields, read_discards};

/// b relative to a.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// b's median is smaller: the whole interval of the ratio is below 1.
    Faster,
    /// b's median is larger: the whole interval is above 1.
    Slower,
    /// The interval contains 1.
    NoSignificantDifference,
    /// Too few accepted invocations for an interval at this confidence.
    Undetermined,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Faster => "faster",
            Verdict::Slower => "slower",
            Verdict::NoSignificantDifference => "no significant difference",
            Verdict::Undetermined => "undetermined (too few samples)",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeriesComparison {
    pub series: String,
    pub n_a: u64,
    pub n_b: u64,
    pub median_a_us: f64,
    pub median_b_us: f64,
    /// median b / median a.
    pub ratio: f64,
    /// Confidence interval of the ratio at [`Comparison::confidence`].
    pub ratio_ci: Option<[f64; 2]>,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    pub run_a: PathBuf,
    pub run_b: PathBuf,
    /// Which time is compared (accepted invocations only, as in the summary).
    pub metric: String,
    pub confidence: f64,
    pub method: String,
    pub series: Vec<SeriesComparison>,
    /// Series present in only one of the runs (not compared).
    pub only_in_a: Vec<String>,
    pub only_in_b: Vec<String>,
}

pub const COMPARE_METHOD: &str = "ratio of medians b/a; CI [lo_b/hi_a, hi_b/lo_a] from Le Boudec \
     median intervals at level sqrt(confidence) per run (coverage >= confidence)";

/// Accepted (not discarded, not failed) client times per series, in the order the
/// series first appear.
fn accepted_client_times(run_dir: &Path) -> std::io::Result<Vec<(String, Sample)>> {
    let results = run_dir.join(RESULTS);
    if !results.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{}: no {RESULTS} here", run_dir.display()),
        ));
    }
    let discards = read_discards(run_dir)?;
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<(String, Sample)> = Vec::new();
    for r in JsonlStream::<SummaryFields>::open(&results)? {
        let r = r?;
        let i = *index.entry(r.series.clone()).or_insert_with(|| {
            out.push((r.series.clone(), Sample::with_exact_max(EXACT_MAX_SAMPLES)));
            out.len() - 1
        });
        if r.failure.is_none() && !discards.contains_key(&r.request_id) {
            out[i].1.push(r.client_time_us);
        }
    }
    Ok(out)
}

/// Compare the client times of two runs, per common series (or only `only_series`),
/// at `confidence` (e.g. 0.95).
pub fn compare_runs(
    run_a: &Path,
    run_b: &Path,
    only_series: Option<&str>,
    confidence: f64,
) -> std::io::Result<Comparison> {
    let mut a = accepted_client_times(run_a)?;
    let mut b = accepted_client_times(run_b)?;
    if let Some(s) = only_series {
        a.retain(|(name, _)| name == s);
        b.retain(|(name, _)| name == s);
    }
    let only_in_b = b
        .iter()
        .filter(|(n, _)| !a.iter().any(|(m, _)| m == n))
        .map(|(n, _)| n.clone())
        .collect();
    let mut only_in_a = Vec::new();
    let mut series = Vec::new();
    let level = confidence.sqrt();
    for (name, sa) in &mut a {
        let Some((_, sb)) = b.iter_mut().find(|(m, _)| m == name) else {
            only_in_a.push(name.clone());
            continue;
        };
        let (Some(ma), Some(mb)) = (sa.median(), sb.median()) else {
            continue; // no accepted invocation on one side
        };
        let ratio_ci = match (sa.median_ci(level), sb.median_ci(level)) {
            (Some((lo_a, hi_a)), Some((lo_b, hi_b))) if lo_a > 0.0 => {
                Some([lo_b / hi_a, hi_b / lo_a])
            }
            _ => None,
        };
        let verdict = match ratio_ci {
            None => Verdict::Undetermined,
            Some([_, hi]) if hi < 1.0 => Verdict::Faster,
            Some([lo, _]) if lo > 1.0 => Verdict::Slower,
            Some(_) => Verdict::NoSignificantDifference,
        };
        series.push(SeriesComparison {
            series: name.clone(),
            n_a: sa.len(),
            n_b: sb.len(),
            median_a_us: ma,
            median_b_us: mb,
            ratio: mb / ma,
            ratio_ci,
            verdict,
        });
    }
    Ok(Comparison {
        run_a: run_a.to_path_buf(),
        run_b: run_b.to_path_buf(),
        metric: "client_time_us".into(),
        confidence,
        method: COMPARE_METHOD.into(),
        series,
        only_in_a,
        only_in_b,
    })
}

impl Comparison {
    /// A human-readable table.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "a = {}\nb = {}\nmedian client time, b / a, {:.0}% CI",
            self.run_a.display(),
            self.run_b.display(),
            self.confidence * 100.0
        );
        let _ = writeln!(
            out,
            "{:<22} {:>6} {:>6} {:>10} {:>10} {:>7} {:<17} verdict (b vs a)",
            "series", "n a", "n b", "median a", "median b", "b/a", "CI"
        );
        for s in &self.series {
            let ci = s
                .ratio_ci
                .map(|[lo, hi]| format!("[{lo:.3}, {hi:.3}]"))
                .unwrap_or_else(|| "n/a".into());
            let _ = writeln!(
                out,
                "{:<22} {:>6} {:>6} {:>10.2} {:>10.2} {:>7.3} {:<17} {}",
                s.series,
                s.n_a,
                s.n_b,
                s.median_a_us / 1000.0,
                s.median_b_us / 1000.0,
                s.ratio,
                ci,
                s.verdict.as_str()
            );
        }
        if self.series.is_empty() {
            let _ = writeln!(out, "(no series in common)");
        }
        for (which, list) in [("a", &self.only_in_a), ("b", &self.only_in_b)] {
            if !list.is_empty() {
                let _ = writeln!(out, "only in {which}: {}", list.join(", "));
            }
        }
        out
    }
}
