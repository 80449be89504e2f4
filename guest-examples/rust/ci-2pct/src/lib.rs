//! ci-2pct: a `sampler` policy. A series ends once the 95% confidence interval of its
//! median client time (Le Boudec, computed by the host) has a half-width within 2% of
//! the median, and it has at least `MIN_SAMPLE` accepted results.

wit_bindgen::generate!({ path: "../../../wit", world: "sampler" });

/// Fewer accepted results than this never end a series.
pub const MIN_SAMPLE: u64 = 10;
/// Largest half-width of the median's 95% CI, relative to the median.
pub const MAX_RELATIVE_HALF_WIDTH: f64 = 0.02;

struct Ci2Pct;
export!(Ci2Pct);

impl Guest for Ci2Pct {
    fn sample(summary: SeriesSummary) -> SampleDecision {
        decide(&summary)
    }
}

fn decide(s: &SeriesSummary) -> SampleDecision {
    if s.count < MIN_SAMPLE {
        // Not worth asking before the minimum sample is there.
        return SampleDecision::More((MIN_SAMPLE - s.count).min(u64::from(u32::MAX)) as u32);
    }
    match s.median_ci95_half_width_us {
        Some(half) if s.median_us > 0.0 && half <= MAX_RELATIVE_HALF_WIDTH * s.median_us => {
            SampleDecision::Stop(format!(
                "95% CI half-width of the median is {:.2}% of the median ({:.0} µs of {:.0} µs, at most 2%) after {} accepted results",
                100.0 * half / s.median_us,
                half,
                s.median_us,
                s.count
            ))
        }
        _ => SampleDecision::More(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(count: u64, median: f64, half: Option<f64>) -> SeriesSummary {
        SeriesSummary {
            series: "s".into(),
            invocations: count,
            count,
            failed: 0,
            cold: 0,
            median_us: median,
            mean_us: median,
            std_us: 0.0,
            min_us: median,
            max_us: median,
            median_ci95_half_width_us: half,
            median_ci99_half_width_us: None,
            mean_ci95_half_width_us: None,
            elapsed_us: 0,
        }
    }

    #[test]
    fn waits_for_the_minimum_sample() {
        assert!(matches!(
            decide(&summary(3, 100.0, Some(0.0))),
            SampleDecision::More(7)
        ));
    }

    #[test]
    fn stops_within_two_percent_only() {
        assert!(matches!(
            decide(&summary(10, 1000.0, Some(20.0))),
            SampleDecision::Stop(_)
        ));
        assert!(matches!(
            decide(&summary(10, 1000.0, Some(20.5))),
            SampleDecision::More(1)
        ));
        assert!(matches!(
            decide(&summary(50, 1000.0, None)),
            SampleDecision::More(1)
        ));
    }
}
