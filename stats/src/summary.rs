//! One-call summary of a latency sample.

use serde::{Deserialize, Serialize};

use crate::{mean, median, median_ci_le_boudec, percentile, sample_std, sort_samples};

/// Descriptive statistics of one latency sample; durations in µs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of samples (>= 1).
    pub count: usize,
    pub mean_us: f64,
    /// numpy's median: the middle sample, or the mean of the two middle ones.
    pub median_us: f64,
    /// Sample standard deviation (ddof = 1); 0 for a single sample.
    pub std_us: f64,
    /// Coefficient of variation, `std_us / mean_us`; defined as 0 whenever
    /// `std_us` is 0 (a single sample, or all samples equal, even all zero).
    /// Only samples of mean exactly 0 with nonzero spread, which durations
    /// cannot produce, would make it infinite.
    pub cv: f64,
    pub min_us: f64,
    pub max_us: f64,
    /// Percentiles, numpy's default linear method (see [`percentile`]).
    pub p50_us: f64,
    pub p90_us: f64,
    pub p95_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    /// Student-t interval for the mean, 95 % and 99 %; `None` for one sample.
    pub t_ci95_us: Option<[f64; 2]>,
    pub t_ci99_us: Option<[f64; 2]>,
    /// Le Boudec's interval for the median, 95 % and 99 %; `None` below 6
    /// (95 %) or 8 (99 %) samples. See [`median_ci_le_boudec_indices`](crate::median_ci_le_boudec_indices).
    pub median_ci95_us: Option<[f64; 2]>,
    pub median_ci99_us: Option<[f64; 2]>,
}

/// Summarizes `samples` (µs, in any order).
///
/// Returns `None` for an empty slice, and also if any sample is NaN or
/// infinite. Callers never pass such values: a NaN duration is a bug
/// upstream. Rejecting the whole sample, rather than filtering the bad
/// values out, keeps `count` honest and makes the bug visible instead of
/// silently summarizing what is left; and a summary with NaN fields could
/// not round-trip through JSON (serde_json writes NaN as `null`).
pub fn summarize(samples: &[f64]) -> Option<Summary> {
    if samples.is_empty() || samples.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let sorted = sort_samples(samples);
    let mean_us = mean(&sorted);
    let std_us = sample_std(&sorted, mean_us).unwrap_or(0.0);
    let cv = if std_us == 0.0 { 0.0 } else { std_us / mean_us };
    let t_ci = |c| crate::student_t_ci(&sorted, c).map(|(lo, hi)| [lo, hi]);
    let median_ci = |c| median_ci_le_boudec(&sorted, c).map(|(lo, hi)| [lo, hi]);
    Some(Summary {
        count: sorted.len(),
        mean_us,
        median_us: median(&sorted),
        std_us,
        cv,
        min_us: sorted[0],
        max_us: sorted[sorted.len() - 1],
        p50_us: percentile(&sorted, 50.0),
        p90_us: percentile(&sorted, 90.0),
        p95_us: percentile(&sorted, 95.0),
        p99_us: percentile(&sorted, 99.0),
        p999_us: percentile(&sorted, 99.9),
        t_ci95_us: t_ci(0.95),
        t_ci99_us: t_ci(0.99),
        median_ci95_us: median_ci(0.95),
        median_ci99_us: median_ci(0.99),
    })
}
