//! Confidence intervals: Student-t for the mean, Le Boudec's order-statistic
//! interval for the median.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::{mean, sample_std};

/// Largest `n` for which [`median_ci_le_boudec`] uses the exact binomial
/// interval (Le Boudec's Table A.1 stops at 70); above it, the normal
/// approximation.
pub const LE_BOUDEC_EXACT_MAX_N: usize = 70;

fn valid_confidence(confidence: f64) -> bool {
    confidence > 0.0 && confidence < 1.0
}

/// Student-t confidence interval for the mean,
/// `mean ± t_{(1+c)/2, n-1} · s / √n` with `s` the sample standard deviation
/// (ddof = 1). Same numbers as
/// `scipy.stats.t.interval(c, n - 1, loc=mean, scale=scipy.stats.sem(x))`
/// to about 1e-11 relative (the t quantile is [`student_t_quantile`]'s).
///
/// Samples may be in any order. Returns `None` for fewer than two samples,
/// for a `confidence` outside the open interval `(0, 1)`, or if any sample is
/// NaN or infinite. All-equal samples give the zero-width interval
/// `(mean, mean)`.
pub fn student_t_ci(samples: &[f64], confidence: f64) -> Option<(f64, f64)> {
    let n = samples.len();
    if n < 2 || !valid_confidence(confidence) || samples.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let p = (1.0 + confidence) / 2.0;
    if p >= 1.0 {
        return None; // confidence within 1e-16 of 1: the quantile is infinite
    }
    let m = mean(samples);
    let sem = sample_std(samples, m)? / (n as f64).sqrt();
    let half = student_t_quantile(p, (n - 1) as f64) * sem;
    Some((m - half, m + half))
}

/// Degrees of freedom from which [`student_t_quantile`] uses the asymptotic
/// expansion instead of statrs.
const T_EXPANSION_MIN_DF: f64 = 500.0;

/// The `p`-quantile of Student's t distribution with `df` degrees of freedom
/// (scipy's `t.ppf(p, df)`).
///
/// Below 500 degrees of freedom this is statrs'
/// `StudentsT::inverse_cdf`. From 500 on it is the Cornish-Fisher-type
/// expansion in powers of `1/df` around the normal quantile `x`
/// (Abramowitz & Stegun 26.7.5, terms to `df⁻⁴`), because statrs 0.18 loses
/// accuracy there: against scipy, statrs is off by 3e-8 relative at
/// df = 2000, 2e-5 at df = 1e5 and 3e-3 at df = 1e6 (its incomplete-beta
/// inversion), while the expansion's truncation error is 1e-11 at df = 500
/// and below 1e-15 from df = 3000. Checked against scipy for
/// `p` in `[0.75, 0.99995]` (confidence 0.5 to 0.9999) and df from 1 to 1e7:
/// worst relative error 4e-12 (`tests/reference.rs`).
///
/// # Panics
/// If `df` is not positive, or `p` is outside `[0, 1]`.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    assert!(df > 0.0, "Student-t needs df > 0, got {df}");
    if df < T_EXPANSION_MIN_DF {
        return StudentsT::new(0.0, 1.0, df)
            .expect("df > 0 is a valid Student-t")
            .inverse_cdf(p);
    }
    let x = Normal::standard().inverse_cdf(p);
    let x2 = x * x;
    let g1 = (x2 + 1.0) * x / 4.0;
    let g2 = ((5.0 * x2 + 16.0) * x2 + 3.0) * x / 96.0;
    let g3 = (((3.0 * x2 + 19.0) * x2 + 17.0) * x2 - 15.0) * x / 384.0;
    let g4 = ((((79.0 * x2 + 776.0) * x2 + 1482.0) * x2 - 1920.0) * x2 - 945.0) * x / 92160.0;
    x + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df
}

/// Distribution-free confidence interval for the median, from Le Boudec,
/// *Performance Evaluation of Computer and Communication Systems*
/// (EPFL Press, 2010), Theorem 2.1 and Table A.1. Returns the values
/// `(x_(j), x_(k))` for the order statistics given by
/// [`median_ci_le_boudec_indices`], whose doc says how `j` and `k` are chosen.
///
/// `sorted` must be sorted ascending and free of NaN (see
/// [`sort_samples`](crate::sort_samples)). Returns `None` when `n` is too
/// small for any interval at this `confidence` (`n < 6` at 95 %, `n < 8` at
/// 99 %) or when `confidence` is outside the open interval `(0, 1)`.
///
/// # Panics
/// In debug builds, if `sorted` is not sorted.
pub fn median_ci_le_boudec(sorted: &[f64], confidence: f64) -> Option<(f64, f64)> {
    debug_assert!(
        sorted.is_sorted_by(|a, b| a <= b),
        "median_ci_le_boudec needs ascending-sorted samples"
    );
    let (j, k) = median_ci_le_boudec_indices(sorted.len(), confidence)?;
    Some((sorted[j - 1], sorted[k - 1]))
}

/// The order statistics `(j, k)` of Le Boudec's median confidence interval
/// `[x_(j), x_(k)]` for `n` samples.
///
/// # Index convention
///
/// `j` and `k` are **1-based** order statistics, `x_(1) <= … <= x_(n)`,
/// exactly as in the book, so that the book's formulas and Table A.1 can be
/// checked against this code without an off-by-one translation; in a sorted
/// slice they are `sorted[j - 1]` and `sorted[k - 1]`. Always
/// `1 <= j < k <= n` and `j + k = n + 1`. The book's `x_(0) = -∞` and
/// `x_(n+1) = +∞` are never used: where only they would reach the
/// confidence, the result is `None` (an infinite bound says nothing, and
/// does not survive JSON).
///
/// # How `j` and `k` are chosen
///
/// Theorem 2.1: for `X_1 … X_n` i.i.d. with a continuous distribution and
/// median `m`, `P(x_(j) <= m <= x_(k)) = B(k - 1) - B(j - 1)`, where `B` is
/// the CDF of Binomial(n, 1/2).
///
/// * `n <= 70` ([`LE_BOUDEC_EXACT_MAX_N`]), exact: among the symmetric
///   intervals `k = n + 1 - j`, the narrowest (largest `j`) whose coverage
///   `B(n - j) - B(j - 1) = 1 - 2 B(j - 1)` is at least `confidence`.
///   Binomial(n, 1/2) is symmetric, so each tail gets `B(j - 1) <= (1 - c)/2`:
///   the interval is equal-tailed, symmetric in rank like the book's table
///   for the median and its large-`n` formula (`j + k = n + 1` there too).
///   A narrower asymmetric interval can sometimes reach the confidence too
///   (n = 8, 95 %: `[x_(1), x_(7)]` covers 96.1 %, but puts 3.5 % in one
///   tail); it is not used, since which end to trim would be arbitrary.
///   These indices were checked against an independent scipy evaluation of
///   Theorem 2.1 (`tests/reference.rs`), not against a printed copy of
///   Table A.1. `B` is summed exactly in integers (`u128`; sums stay below
///   2^70), so the choice near the boundary does not hang on rounding in an
///   incomplete beta function.
/// * `n > 70`, normal approximation as in the book:
///   `j = ⌊0.5 n − 0.5 z √n⌋`, `k = ⌈0.5 n + 0.5 z √n⌉ + 1`, with
///   `z = Φ⁻¹((1 + c) / 2)` computed, not the book's rounded `0.5 z` of 0.980
///   (95 %) or 1.288 (99 %); the two agree up to n = 1665 at 95 % and
///   n = 1476 at 99 %. The `+ 1` is the book's (1-based `k`); it makes
///   `j + k = n + 1`. Checked against the exact binomial for n = 71..5000 at
///   90/95/99 %: the formula is never narrower than the exact interval and
///   about half the time one order statistic wider on each side (coverage
///   >= 0.9517 at 95 %), i.e. it is conservative.
///
/// `None` if `n` is too small for any interval (`n < 6` at 95 %, `n < 8` at
/// 99 %; for `n > 70`, only for confidences within about 1e-16 of 1), or if
/// `confidence` is outside the open interval `(0, 1)`.
pub fn median_ci_le_boudec_indices(n: usize, confidence: f64) -> Option<(usize, usize)> {
    if !valid_confidence(confidence) || n == 0 {
        return None;
    }
    let j = if n <= LE_BOUDEC_EXACT_MAX_N {
        exact_lower_index(n, confidence)?
    } else {
        let z = Normal::standard().inverse_cdf((1.0 + confidence) / 2.0);
        let nf = n as f64;
        let half_width = 0.5 * z * nf.sqrt();
        let j = (0.5 * nf - half_width).floor();
        let k = (0.5 * nf + half_width).ceil() + 1.0;
        if j < 1.0 || k > nf {
            return None;
        }
        let (j, k) = (j as usize, k as usize);
        debug_assert_eq!(j + k, n + 1);
        j
    };
    let k = n + 1 - j;
    (j < k).then_some((j, k))
}

/// Largest `j` in `1..=n/2` with `1 - 2 B(j - 1) >= confidence`, where `B` is
/// the Binomial(n, 1/2) CDF; `None` if not even `j = 1` qualifies.
fn exact_lower_index(n: usize, confidence: f64) -> Option<usize> {
    debug_assert!(n <= LE_BOUDEC_EXACT_MAX_N);
    let total = 2f64.powi(n as i32); // 2^n, exact in f64
    let mut coef: u128 = 1; // C(n, i), starting at i = 0
    let mut cum: u128 = 0; // sum of C(n, i') for i' < j
    let mut best = None;
    for j in 1..=n / 2 {
        let i = (j - 1) as u128;
        cum += coef; // now the sum over i' <= j - 1
        coef = coef * (n as u128 - i) / (i + 1); // C(n, i + 1), exact
        let coverage = 1.0 - 2.0 * (cum as f64 / total);
        if coverage >= confidence {
            best = Some(j);
        } else {
            break; // coverage only falls as j grows
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_ci_none_when_confidence_rounds_to_one() {
        let c = 1.0 - f64::EPSILON / 2.0; // (1 + c) / 2 rounds to 1
        assert_eq!(student_t_ci(&[1.0, 2.0, 3.0], c), None);
    }

    #[test]
    fn t_quantile_expansion_continues_statrs() {
        // Both methods agree where they meet.
        let statrs = StudentsT::new(0.0, 1.0, T_EXPANSION_MIN_DF)
            .unwrap()
            .inverse_cdf(0.975);
        let expansion = student_t_quantile(0.975, T_EXPANSION_MIN_DF);
        assert!((statrs - expansion).abs() < 1e-10 * statrs);
    }

    #[test]
    fn t_quantile_known_values() {
        // Cauchy (df = 1): tan(pi (p - 1/2)); df = 2: closed form.
        assert!((student_t_quantile(0.75, 1.0) - 1.0).abs() < 1e-12);
        let p: f64 = 0.975;
        let df2 = (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt();
        assert!((student_t_quantile(p, 2.0) - df2).abs() < 1e-12 * df2);
    }

    #[test]
    fn exact_indices_small_n_at_95() {
        // 1 - 2 B(0) = 1 - 2^(1-n) >= 0.95 first holds at n = 6.
        for n in 1..=5 {
            assert_eq!(median_ci_le_boudec_indices(n, 0.95), None, "n = {n}");
        }
        assert_eq!(median_ci_le_boudec_indices(6, 0.95), Some((1, 6)));
        assert_eq!(median_ci_le_boudec_indices(8, 0.95), Some((1, 8)));
        // n = 9: B(1) = 10/512 = 0.0195 <= 0.025, B(2) = 46/512 > 0.025.
        assert_eq!(median_ci_le_boudec_indices(9, 0.95), Some((2, 8)));
        assert_eq!(median_ci_le_boudec_indices(7, 0.99), None);
        assert_eq!(median_ci_le_boudec_indices(8, 0.99), Some((1, 8)));
    }

    #[test]
    fn formula_indices_large_n() {
        // 0.5 * 1.959964 * sqrt(100) = 9.79982: j = floor(40.2) = 40, k = ceil(59.8) + 1 = 61.
        assert_eq!(median_ci_le_boudec_indices(100, 0.95), Some((40, 61)));
        // 0.5 * 2.575829 * 10 = 12.879: j = 37, k = 64.
        assert_eq!(median_ci_le_boudec_indices(100, 0.99), Some((37, 64)));
    }

    #[test]
    fn invalid_confidence_is_none() {
        for c in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
            assert_eq!(median_ci_le_boudec_indices(100, c), None);
            assert_eq!(student_t_ci(&[1.0, 2.0, 3.0], c), None);
        }
    }

    #[test]
    fn indices_always_symmetric_and_in_range() {
        for c in [0.5, 0.8, 0.9, 0.95, 0.99, 0.999] {
            for n in 1..=2000 {
                if let Some((j, k)) = median_ci_le_boudec_indices(n, c) {
                    assert!(1 <= j && j < k && k <= n, "n = {n}, c = {c}");
                    assert_eq!(j + k, n + 1, "n = {n}, c = {c}");
                }
            }
        }
    }

    #[test]
    fn extreme_confidence_for_large_n_is_none() {
        // n = 71 needs 0.5 z sqrt(71) > 34.5, i.e. z > 8.19: confidences
        // within about 1e-16 of 1, where (1 + c) / 2 rounds to 1 and z = inf.
        let c = 1.0 - f64::EPSILON / 2.0; // the largest f64 below 1
        assert_eq!(median_ci_le_boudec_indices(71, c), None);
        assert_eq!(median_ci_le_boudec_indices(71, 1.0 - 1e-15), Some((1, 71)));
    }
}
