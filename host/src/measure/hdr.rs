//! One latency sample, accumulated as it streams in: exact while small, an HDR
//! histogram once large, so a summary of millions of invocations needs a few hundred
//! KiB per sample instead of 8 bytes per invocation.
//!
//! * Up to [`EXACT_MAX_SAMPLES`] values: every value is kept, and the summary is
//!   `faaslab_stats::summarize` (numpy/scipy-exact).
//! * Above: the values move into an HDR histogram with [`HDR_SIGNIFICANT_DIGITS`]
//!   significant digits (a value is known to within 1 part in 2048 or better; it is
//!   reported as the middle of its bucket, so within ±0.05 %). Count, mean, std, min
//!   and max stay exact (running Welford moments, not the histogram); percentiles,
//!   the median and its Le Boudec interval are the same order statistics as the exact
//!   path, read from the histogram.

use faaslab_stats::{Summary, median_ci_le_boudec_indices, student_t_quantile, summarize};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Largest sample summarised exactly.
pub const EXACT_MAX_SAMPLES: usize = 100_000;
/// Precision of the HDR histogram used above [`EXACT_MAX_SAMPLES`].
pub const HDR_SIGNIFICANT_DIGITS: u8 = 3;

/// How a summary's order statistics were computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum StatsMethod {
    /// Every value kept; numpy/scipy-exact.
    #[default]
    Exact,
    /// HDR histogram, 3 significant digits (percentiles and median CI to ±0.05 %).
    Hdr,
}

/// A sample of durations (µs) being accumulated.
pub struct Sample {
    exact_max: usize,
    values: Vec<f64>,
    sorted: bool,
    hdr: Option<Histogram<u64>>,
    n: u64,
    mean: f64,
    m2: f64,
    min: u64,
    max: u64,
}

/// Records `v`, growing the histogram as needed (it auto-resizes); values beyond what
/// it can ever track (near `u64::MAX`, not a duration) are clamped.
fn hdr_record(h: &mut Histogram<u64>, v: u64) {
    if h.record(v).is_err() {
        h.saturating_record(v);
    }
}

impl Default for Sample {
    fn default() -> Self {
        Self::with_exact_max(EXACT_MAX_SAMPLES)
    }
}

impl Sample {
    /// A sample that switches to the HDR histogram above `exact_max` values.
    pub fn with_exact_max(exact_max: usize) -> Self {
        Self {
            exact_max,
            values: Vec::new(),
            sorted: true,
            hdr: None,
            n: 0,
            mean: 0.0,
            m2: 0.0,
            min: u64::MAX,
            max: 0,
        }
    }

    pub fn push(&mut self, v: u64) {
        self.n += 1;
        let x = v as f64;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        match &mut self.hdr {
            Some(h) => hdr_record(h, v),
            None => {
                self.values.push(x);
                self.sorted = false;
                if self.values.len() > self.exact_max {
                    self.switch_to_hdr();
                }
            }
        }
    }

    fn switch_to_hdr(&mut self) {
        let mut h = Histogram::<u64>::new(HDR_SIGNIFICANT_DIGITS)
            .expect("3 significant digits is a valid HDR precision");
        for &x in &self.values {
            hdr_record(&mut h, x as u64);
        }
        self.values = Vec::new();
        self.hdr = Some(h);
    }

    pub fn len(&self) -> u64 {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    pub fn method(&self) -> StatsMethod {
        if self.hdr.is_some() {
            StatsMethod::Hdr
        } else {
            StatsMethod::Exact
        }
    }

    fn sort(&mut self) {
        if !self.sorted {
            self.values.sort_unstable_by(f64::total_cmp);
            self.sorted = true;
        }
    }

    /// The values of the given 1-based order statistics (`ranks` in any order, each in
    /// `1..=len`).
    pub fn values_at_ranks(&mut self, ranks: &[u64]) -> Vec<f64> {
        self.sort();
        let Some(h) = &self.hdr else {
            return ranks.iter().map(|&r| self.values[r as usize - 1]).collect();
        };
        let mut order: Vec<usize> = (0..ranks.len()).collect();
        order.sort_by_key(|&i| ranks[i]);
        let mut out = vec![0.0; ranks.len()];
        let mut next = order.into_iter().peekable();
        let mut cum = 0u64;
        for bucket in h.iter_recorded() {
            cum += bucket.count_at_value();
            let v = h
                .median_equivalent(bucket.value_iterated_to())
                .clamp(self.min, self.max) as f64;
            while let Some(&i) = next.peek() {
                if ranks[i] > cum {
                    break;
                }
                out[i] = v;
                next.next();
            }
        }
        for i in next {
            out[i] = self.max as f64; // rank beyond what was recorded: cannot happen
        }
        out
    }

    /// numpy's linear percentiles `qs` (in `[0, 100]`); empty sample: empty.
    pub fn percentiles(&mut self, qs: &[f64]) -> Vec<f64> {
        if self.n == 0 {
            return Vec::new();
        }
        let n = self.n;
        let mut ranks = Vec::with_capacity(qs.len() * 2);
        let mut weights = Vec::with_capacity(qs.len());
        for &q in qs {
            let h = (n - 1) as f64 * (q / 100.0);
            let lo = h.floor();
            ranks.push(lo as u64 + 1);
            ranks.push((lo as u64 + 2).min(n));
            weights.push(h - lo);
        }
        let v = self.values_at_ranks(&ranks);
        weights
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let (a, b) = (v[2 * i], v[2 * i + 1]);
                if t >= 0.5 {
                    b - (b - a) * (1.0 - t)
                } else {
                    a + (b - a) * t
                }
            })
            .collect()
    }

    /// numpy's median.
    pub fn median(&mut self) -> Option<f64> {
        let n = self.n;
        match n {
            0 => None,
            _ if n % 2 == 1 => Some(self.values_at_ranks(&[n.div_ceil(2)])[0]),
            _ => {
                let v = self.values_at_ranks(&[n / 2, n / 2 + 1]);
                Some((v[0] + v[1]) / 2.0)
            }
        }
    }

    /// Le Boudec's distribution-free interval for the median at `confidence`.
    pub fn median_ci(&mut self, confidence: f64) -> Option<(f64, f64)> {
        let (j, k) = median_ci_le_boudec_indices(self.n as usize, confidence)?;
        let v = self.values_at_ranks(&[j as u64, k as u64]);
        Some((v[0], v[1]))
    }

    /// About `points` points `(value, fraction of the sample <= value)` of the
    /// empirical CDF, from the smallest to the largest value.
    pub fn cdf_points(&mut self, points: usize) -> Vec<(f64, f64)> {
        let n = self.n;
        if n == 0 {
            return Vec::new();
        }
        let k = (points.max(2) as u64).min(n);
        let mut ranks: Vec<u64> = (1..=k).map(|i| (i * n).div_ceil(k)).collect();
        ranks.insert(0, 1);
        ranks.dedup();
        let values = self.values_at_ranks(&ranks);
        ranks
            .iter()
            .zip(values)
            .map(|(&r, v)| (v, r as f64 / n as f64))
            .collect()
    }

    /// How many values fall in each bin `[edges[i], edges[i + 1])` (the last bin
    /// includes its upper edge).
    pub fn bin_counts(&self, edges: &[f64]) -> Vec<u64> {
        let bins = edges.len().saturating_sub(1);
        let mut counts = vec![0u64; bins];
        let mut add = |v: f64, c: u64| {
            if bins == 0 || v < edges[0] || v > edges[bins] {
                return;
            }
            let i = edges
                .partition_point(|&e| e <= v)
                .saturating_sub(1)
                .min(bins - 1);
            counts[i] += c;
        };
        match &self.hdr {
            None => self.values.iter().for_each(|&v| add(v, 1)),
            Some(h) => {
                for b in h.iter_recorded() {
                    let v = h
                        .median_equivalent(b.value_iterated_to())
                        .clamp(self.min, self.max);
                    add(v as f64, b.count_at_value());
                }
            }
        }
        counts
    }

    pub fn min(&self) -> Option<u64> {
        (self.n > 0).then_some(self.min)
    }

    pub fn max(&self) -> Option<u64> {
        (self.n > 0).then_some(self.max)
    }

    /// The summary: exact below the threshold, HDR-based above (see the module doc).
    pub fn summary(&mut self) -> Option<Summary> {
        if self.n == 0 {
            return None;
        }
        if self.hdr.is_none() {
            return summarize(&self.values);
        }
        let n = self.n;
        let mean_us = self.mean;
        let std_us = if n > 1 {
            (self.m2 / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        let cv = if std_us == 0.0 { 0.0 } else { std_us / mean_us };
        let t_ci = |c: f64| {
            let half =
                student_t_quantile((1.0 + c) / 2.0, (n - 1) as f64) * std_us / (n as f64).sqrt();
            Some([mean_us - half, mean_us + half])
        };
        let p = self.percentiles(&[50.0, 90.0, 95.0, 99.0, 99.9]);
        let mci = |s: &mut Self, c| s.median_ci(c).map(|(a, b)| [a, b]);
        Some(Summary {
            count: n as usize,
            mean_us,
            median_us: self.median()?,
            std_us,
            cv,
            min_us: self.min as f64,
            max_us: self.max as f64,
            p50_us: p[0],
            p90_us: p[1],
            p95_us: p[2],
            p99_us: p[3],
            p999_us: p[4],
            t_ci95_us: t_ci(0.95),
            t_ci99_us: t_ci(0.99),
            median_ci95_us: mci(self, 0.95),
            median_ci99_us: mci(self, 0.99),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic, skewed (log-uniform-ish) latency sample, µs.
    fn synthetic(n: usize) -> Vec<u64> {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let u = (x >> 11) as f64 / (1u64 << 53) as f64;
                (800.0 * (6.0 * u).exp()) as u64 // 0.8 ms .. 320 ms
            })
            .collect()
    }

    #[test]
    fn exact_below_threshold_matches_faaslab_stats() {
        let v = synthetic(1000);
        let mut s = Sample::default();
        v.iter().for_each(|&x| s.push(x));
        assert_eq!(s.method(), StatsMethod::Exact);
        let f: Vec<f64> = v.iter().map(|&x| x as f64).collect();
        assert_eq!(s.summary(), summarize(&f));
        let mut sorted = f.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(s.median(), Some(faaslab_stats::median(&sorted)));
        assert_eq!(
            s.percentiles(&[12.5, 99.9]),
            vec![
                faaslab_stats::percentile(&sorted, 12.5),
                faaslab_stats::percentile(&sorted, 99.9)
            ]
        );
    }

    #[test]
    fn hdr_agrees_with_exact_within_a_tenth_of_a_percent() {
        let v = synthetic(300_000);
        let f: Vec<f64> = v.iter().map(|&x| x as f64).collect();
        let exact = summarize(&f).unwrap();
        let mut s = Sample::with_exact_max(10_000);
        v.iter().for_each(|&x| s.push(x));
        assert_eq!(s.method(), StatsMethod::Hdr);
        let hdr = s.summary().unwrap();
        let close = |a: f64, b: f64, what: &str| {
            assert!(
                (a - b).abs() <= 1e-3 * b.abs(),
                "{what}: hdr {a} vs exact {b}"
            );
        };
        assert_eq!(hdr.count, exact.count);
        assert_eq!((hdr.min_us, hdr.max_us), (exact.min_us, exact.max_us));
        close(hdr.mean_us, exact.mean_us, "mean");
        close(hdr.std_us, exact.std_us, "std");
        close(hdr.median_us, exact.median_us, "median");
        for (a, b, w) in [
            (hdr.p50_us, exact.p50_us, "p50"),
            (hdr.p90_us, exact.p90_us, "p90"),
            (hdr.p95_us, exact.p95_us, "p95"),
            (hdr.p99_us, exact.p99_us, "p99"),
            (hdr.p999_us, exact.p999_us, "p99.9"),
        ] {
            close(a, b, w);
        }
        for (a, b) in [
            (hdr.median_ci95_us, exact.median_ci95_us),
            (hdr.median_ci99_us, exact.median_ci99_us),
            (hdr.t_ci95_us, exact.t_ci95_us),
        ] {
            let (a, b) = (a.unwrap(), b.unwrap());
            close(a[0], b[0], "ci lo");
            close(a[1], b[1], "ci hi");
        }
    }

    #[test]
    fn cdf_and_bins_cover_the_sample() {
        let v = synthetic(50_000);
        for exact_max in [usize::MAX, 1000] {
            let mut s = Sample::with_exact_max(exact_max);
            v.iter().for_each(|&x| s.push(x));
            let cdf = s.cdf_points(200);
            assert!(cdf.len() >= 100 && cdf.len() <= 201);
            assert_eq!(cdf.last().unwrap().1, 1.0);
            assert!(cdf.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 < w[1].1));
            let edges = [0.0, 1000.0, 10_000.0, 1e6];
            assert_eq!(s.bin_counts(&edges).iter().sum::<u64>(), 50_000);
        }
    }
}
