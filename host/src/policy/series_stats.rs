//! The running statistics of one series the sampler is shown: kept incrementally
//! (sorted client times, Welford mean/variance) so a summary costs O(1) besides the
//! sorted insert, and only built when the sampler is due.

use std::collections::HashMap;

use faaslab_stats::{median, median_ci_le_boudec_indices, student_t_quantile};

use super::bindings::sampler::SeriesSummary;

#[derive(Debug, Default)]
pub struct SeriesStats {
    /// Accepted client times, ascending.
    sorted: Vec<f64>,
    /// Accepted request id → (client time, cold), so a discard can take it out.
    accepted: HashMap<String, (f64, bool)>,
    mean: f64,
    m2: f64,
    pub invocations: u64,
    pub failed: u64,
    cold: u64,
    first_send_us: Option<u64>,
    last_end_us: u64,
}

impl SeriesStats {
    /// A completed invocation (its final attempt).
    pub fn add(
        &mut self,
        request_id: &str,
        failed: bool,
        cold: bool,
        client_us: u64,
        send_us: u64,
    ) {
        self.invocations += 1;
        self.first_send_us.get_or_insert(send_us);
        self.last_end_us = self.last_end_us.max(send_us + client_us);
        if failed {
            self.failed += 1;
            return;
        }
        let x = client_us as f64;
        let at = self.sorted.partition_point(|&v| v <= x);
        self.sorted.insert(at, x);
        let n = self.sorted.len() as f64;
        let delta = x - self.mean;
        self.mean += delta / n;
        self.m2 += delta * (x - self.mean);
        self.cold += u64::from(cold);
        self.accepted.insert(request_id.to_string(), (x, cold));
    }

    /// The script discarded an invocation: it leaves the statistics.
    pub fn discard(&mut self, request_id: &str) -> bool {
        let Some((x, cold)) = self.accepted.remove(request_id) else {
            return false;
        };
        let at = self.sorted.partition_point(|&v| v < x);
        if self.sorted.get(at) == Some(&x) {
            self.sorted.remove(at);
        }
        let n = self.sorted.len() as f64;
        if n == 0.0 {
            self.mean = 0.0;
            self.m2 = 0.0;
        } else {
            let old_mean = self.mean;
            self.mean = (old_mean * (n + 1.0) - x) / n;
            self.m2 = (self.m2 - (x - old_mean) * (x - self.mean)).max(0.0);
        }
        self.cold -= u64::from(cold);
        true
    }

    pub fn count(&self) -> u64 {
        self.sorted.len() as u64
    }

    pub fn summary(&self, series: &str) -> SeriesSummary {
        let n = self.sorted.len();
        let std = if n >= 2 {
            (self.m2 / (n as f64 - 1.0)).sqrt()
        } else {
            0.0
        };
        let (med, min, max) = if n == 0 {
            (0.0, 0.0, 0.0)
        } else {
            (median(&self.sorted), self.sorted[0], self.sorted[n - 1])
        };
        let median_half = |confidence: f64| {
            median_ci_le_boudec_indices(n, confidence)
                .map(|(j, k)| (med - self.sorted[j - 1]).max(self.sorted[k - 1] - med))
        };
        let mean_half =
            (n >= 2).then(|| student_t_quantile(0.975, n as f64 - 1.0) * std / (n as f64).sqrt());
        SeriesSummary {
            series: series.to_string(),
            invocations: self.invocations,
            count: n as u64,
            failed: self.failed,
            cold: self.cold,
            median_us: med,
            mean_us: if n == 0 { 0.0 } else { self.mean },
            std_us: std,
            min_us: min,
            max_us: max,
            median_ci95_half_width_us: median_half(0.95),
            median_ci99_half_width_us: median_half(0.99),
            mean_ci95_half_width_us: mean_half,
            elapsed_us: self
                .first_send_us
                .map_or(0, |s| self.last_end_us.saturating_sub(s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_summary_matches_the_batch_statistics() {
        let mut s = SeriesStats::default();
        let values = [5u64, 1, 4, 2, 3, 9, 7, 8, 6, 10];
        for (i, v) in values.iter().enumerate() {
            s.add(&format!("r{i}"), false, i == 0, *v, i as u64 * 100);
        }
        s.add("failed", true, false, 1000, 2000);
        let sum = s.summary("x");
        assert_eq!(sum.count, 10);
        assert_eq!(sum.invocations, 11);
        assert_eq!(sum.failed, 1);
        assert_eq!(sum.cold, 1);
        assert_eq!(sum.median_us, 5.5);
        assert!((sum.mean_us - 5.5).abs() < 1e-12);
        let xs: Vec<f64> = (1..=10).map(f64::from).collect();
        let m = faaslab_stats::mean(&xs);
        let sd = faaslab_stats::sample_std(&xs, m).unwrap();
        assert!((sum.std_us - sd).abs() < 1e-12);
        let (lo, hi) = faaslab_stats::student_t_ci(&xs, 0.95).unwrap();
        assert!((sum.mean_ci95_half_width_us.unwrap() - (hi - lo) / 2.0).abs() < 1e-9);
        let (lo, hi) = faaslab_stats::median_ci_le_boudec(&xs, 0.95).unwrap();
        let half = (5.5 - lo).max(hi - 5.5);
        assert_eq!(sum.median_ci95_half_width_us, Some(half));
        // Discarding the 10 takes it out of every statistic.
        assert!(s.discard("r9"));
        assert!(!s.discard("r9"));
        let sum = s.summary("x");
        assert_eq!(sum.count, 9);
        assert_eq!(sum.median_us, 5.0);
        assert!((sum.mean_us - 5.0).abs() < 1e-12);
        let xs: Vec<f64> = (1..=9).map(f64::from).collect();
        let sd = faaslab_stats::sample_std(&xs, 5.0).unwrap();
        assert!((sum.std_us - sd).abs() < 1e-9);
        assert_eq!(sum.max_us, 9.0);
    }
}
