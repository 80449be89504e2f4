//! Order statistics: sorting, percentiles, median.

/// Copies `samples` and sorts them ascending (by [`f64::total_cmp`]).
pub fn sort_samples(samples: &[f64]) -> Vec<f64> {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    sorted
}

/// The `q`-th percentile (`q` in `[0, 100]`) of an ascending-sorted slice,
/// by numpy's default `"linear"` method (Hyndman & Fan type 7): with
/// `h = (n - 1) * q / 100`, it interpolates linearly between `sorted[⌊h⌋]`
/// and `sorted[⌊h⌋ + 1]`.
///
/// The arithmetic follows numpy's own (`(n - 1) * (q / 100)`, and its
/// two-sided `lerp`), so results agree with `numpy.percentile` to the last
/// bit or so rather than merely to rounding error.
///
/// # Panics
/// If `sorted` is empty, or `q` is NaN or outside `[0, 100]` (numpy raises
/// for both). In debug builds, also if `sorted` is not sorted.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    assert!(!sorted.is_empty(), "percentile of an empty sample");
    assert!(
        (0.0..=100.0).contains(&q),
        "percentile q must be in [0, 100], got {q}"
    );
    debug_assert!(
        sorted.is_sorted_by(|a, b| a <= b),
        "percentile needs ascending-sorted samples"
    );
    let last = sorted.len() - 1;
    let h = last as f64 * (q / 100.0);
    let lo = h.floor();
    // 0 <= lo <= last because 0 <= q / 100 <= 1.
    let i = lo as usize;
    lerp(sorted[i], sorted[(i + 1).min(last)], h - lo)
}

/// numpy's `_lerp`: `a + t (b - a)`, computed from the nearer end so that
/// `t = 1` gives exactly `b`.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// The median of an ascending-sorted slice as numpy's `median` computes it:
/// the middle element, or the mean `(a + b) / 2` of the two middle ones.
/// (It can differ from `percentile(sorted, 50.0)` in the last bit.)
///
/// # Panics
/// If `sorted` is empty.
pub fn median(sorted: &[f64]) -> f64 {
    assert!(!sorted.is_empty(), "median of an empty sample");
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_interpolates_like_numpy() {
        let x = [1.0, 2.0, 3.0, 4.0];
        // h = 3 * q / 100
        assert_eq!(percentile(&x, 0.0), 1.0);
        assert_eq!(percentile(&x, 100.0), 4.0);
        assert_eq!(percentile(&x, 50.0), 2.5);
        assert_eq!(percentile(&x, 25.0), 1.75);
        assert_eq!(percentile(&x, 90.0), 3.7);
    }

    #[test]
    fn percentile_of_one_sample_is_that_sample() {
        for q in [0.0, 12.5, 50.0, 99.9, 100.0] {
            assert_eq!(percentile(&[7.5], q), 7.5);
        }
    }

    #[test]
    #[should_panic(expected = "empty")]
    fn percentile_of_nothing_panics() {
        percentile(&[], 50.0);
    }

    #[test]
    #[should_panic(expected = "[0, 100]")]
    fn percentile_above_100_panics() {
        percentile(&[1.0], 100.5);
    }

    #[test]
    #[should_panic(expected = "[0, 100]")]
    fn percentile_nan_q_panics() {
        percentile(&[1.0], f64::NAN);
    }

    #[test]
    fn median_odd_and_even() {
        assert_eq!(median(&[1.0, 5.0, 9.0]), 5.0);
        assert_eq!(median(&[1.0, 2.0, 5.0, 9.0]), 3.5);
    }

    #[test]
    fn sort_samples_sorts_ascending() {
        assert_eq!(sort_samples(&[3.0, -1.0, 2.0]), vec![-1.0, 2.0, 3.0]);
    }
}
