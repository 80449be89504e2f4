//! Summary statistics and confidence intervals for latency samples.
//!
//! Every sample is an `f64` duration in microseconds. Functions whose
//! parameter is named `sorted` need the slice sorted ascending (use
//! [`sort_samples`]); the others take samples in any order.
//!
//! The numbers match numpy/scipy (see `tests/reference.rs` and
//! `tests/reference/stats_reference.py` at the repository root):
//!
//! * [`percentile`]: `numpy.percentile(x, q)` with its default `"linear"` method.
//! * [`student_t_ci`]: `scipy.stats.t.interval(c, n - 1, loc=mean, scale=sem)`.
//! * [`median_ci_le_boudec`]: the distribution-free median interval of
//!   Le Boudec, *Performance Evaluation of Computer and Communication Systems*,
//!   Theorem 2.1 and Table A.1.
//! * [`summarize`]: all of the above in one serialisable [`Summary`].
//!
//! ```
//! let s = faaslab_stats::summarize(&[812.0, 790.5, 1004.2, 799.9, 805.1, 950.0]).unwrap();
//! assert_eq!(s.count, 6);
//! assert_eq!(s.median_us, 808.55);
//! // Six samples are the fewest with a 95 % median interval: [x_(1), x_(6)].
//! assert_eq!(s.median_ci95_us, Some([790.5, 1004.2]));
//! assert_eq!(s.median_ci99_us, None);
//! ```

mod ci;
mod quantile;
mod summary;

pub use ci::{
    LE_BOUDEC_EXACT_MAX_N, median_ci_le_boudec, median_ci_le_boudec_indices, student_t_ci,
    student_t_quantile,
};
pub use quantile::{median, percentile, sort_samples};
pub use summary::{Summary, summarize};

/// Arithmetic mean; NaN for an empty slice.
pub fn mean(samples: &[f64]) -> f64 {
    samples.iter().sum::<f64>() / samples.len() as f64
}

/// Sample standard deviation (ddof = 1, numpy's `std(x, ddof=1)`), computed
/// in two passes around `mean`. `None` for fewer than two samples.
pub fn sample_std(samples: &[f64], mean: f64) -> Option<f64> {
    let n = samples.len();
    if n < 2 {
        return None;
    }
    let ss: f64 = samples.iter().map(|x| (x - mean) * (x - mean)).sum();
    Some((ss / (n - 1) as f64).sqrt())
}
