//! Edge cases: empty, single, all-equal, unsorted and non-finite input, and
//! the serialised form of `Summary`.

use faaslab_stats::{
    Summary, median_ci_le_boudec, percentile, sort_samples, student_t_ci, summarize,
};

#[test]
fn empty_input() {
    assert_eq!(summarize(&[]), None);
    assert_eq!(student_t_ci(&[], 0.95), None);
    assert_eq!(median_ci_le_boudec(&[], 0.95), None);
}

#[test]
fn single_sample() {
    let s = summarize(&[42.5]).unwrap();
    assert_eq!(s.count, 1);
    assert_eq!(s.std_us, 0.0);
    assert_eq!(s.cv, 0.0);
    for v in [
        s.mean_us,
        s.median_us,
        s.min_us,
        s.max_us,
        s.p50_us,
        s.p90_us,
        s.p95_us,
        s.p99_us,
        s.p999_us,
    ] {
        assert_eq!(v, 42.5);
    }
    assert_eq!(s.t_ci95_us, None);
    assert_eq!(s.t_ci99_us, None);
    assert_eq!(s.median_ci95_us, None);
    assert_eq!(s.median_ci99_us, None);
    assert_eq!(student_t_ci(&[42.5], 0.95), None);
}

#[test]
fn all_equal_samples() {
    let x = vec![250.0; 80];
    let s = summarize(&x).unwrap();
    assert_eq!(s.count, 80);
    assert_eq!(s.std_us, 0.0);
    assert_eq!(s.cv, 0.0);
    for v in [
        s.mean_us,
        s.median_us,
        s.min_us,
        s.max_us,
        s.p50_us,
        s.p90_us,
        s.p999_us,
    ] {
        assert_eq!(v, 250.0);
    }
    // Zero spread: zero-width intervals, not None.
    assert_eq!(s.t_ci95_us, Some([250.0, 250.0]));
    assert_eq!(s.t_ci99_us, Some([250.0, 250.0]));
    assert_eq!(s.median_ci95_us, Some([250.0, 250.0]));
    assert_eq!(s.median_ci99_us, Some([250.0, 250.0]));
}

#[test]
fn all_zero_samples_have_zero_cv() {
    let s = summarize(&[0.0; 10]).unwrap();
    assert_eq!((s.mean_us, s.std_us, s.cv), (0.0, 0.0, 0.0));
}

#[test]
fn input_order_does_not_matter() {
    let sorted: Vec<f64> = (1..=101).map(|i| (i * i) as f64 / 7.0).collect();
    let reversed: Vec<f64> = sorted.iter().rev().copied().collect();
    // A fixed interleaving: odd positions first, then even ones.
    let shuffled: Vec<f64> = sorted
        .iter()
        .step_by(2)
        .chain(sorted.iter().skip(1).step_by(2))
        .copied()
        .collect();
    let want = summarize(&sorted).unwrap();
    assert_eq!(summarize(&reversed).unwrap(), want);
    assert_eq!(summarize(&shuffled).unwrap(), want);
    assert_eq!(want.min_us, 1.0 / 7.0);
    assert_eq!(want.max_us, 101.0 * 101.0 / 7.0);
    assert_eq!(want.median_us, 51.0 * 51.0 / 7.0);
    assert_eq!(sort_samples(&shuffled), sorted);
}

#[test]
fn nan_and_infinity_are_rejected() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let x = [100.0, bad, 300.0, 200.0, 150.0, 120.0, 110.0];
        assert_eq!(summarize(&x), None, "{bad}");
        assert_eq!(student_t_ci(&x, 0.95), None, "{bad}");
    }
}

#[test]
fn intervals_contain_their_estimate() {
    // Skewed, latency-like: 1000 + i^3 / 1000.
    let x: Vec<f64> = (0..500)
        .map(|i| 1000.0 + (i * i * i) as f64 / 1000.0)
        .collect();
    let s = summarize(&x).unwrap();
    for [lo, hi] in [s.t_ci95_us.unwrap(), s.t_ci99_us.unwrap()] {
        assert!(lo < s.mean_us && s.mean_us < hi);
    }
    for [lo, hi] in [s.median_ci95_us.unwrap(), s.median_ci99_us.unwrap()] {
        assert!(lo < s.median_us && s.median_us < hi);
    }
    // 99 % intervals are wider than 95 % ones.
    let (t95, t99) = (s.t_ci95_us.unwrap(), s.t_ci99_us.unwrap());
    assert!(t99[0] < t95[0] && t95[1] < t99[1]);
    let (m95, m99) = (s.median_ci95_us.unwrap(), s.median_ci99_us.unwrap());
    assert!(m99[0] < m95[0] && m95[1] < m99[1]);
    assert!(s.min_us <= s.p50_us && s.p50_us <= s.p90_us && s.p90_us <= s.p95_us);
    assert!(s.p95_us <= s.p99_us && s.p99_us <= s.p999_us && s.p999_us <= s.max_us);
}

#[test]
fn median_ci_thresholds() {
    let x: Vec<f64> = (1..=8).map(f64::from).collect();
    assert_eq!(median_ci_le_boudec(&x[..5], 0.95), None);
    assert_eq!(median_ci_le_boudec(&x[..6], 0.95), Some((1.0, 6.0)));
    assert_eq!(median_ci_le_boudec(&x[..7], 0.99), None);
    assert_eq!(median_ci_le_boudec(&x, 0.99), Some((1.0, 8.0)));
}

#[test]
fn percentile_on_ties() {
    let x = sort_samples(&[3.0, 1.0, 3.0, 3.0, 2.0]);
    assert_eq!(percentile(&x, 50.0), 3.0);
    assert_eq!(percentile(&x, 12.5), 1.5);
}

#[test]
fn summary_json_round_trip_and_field_names() {
    for x in [vec![42.5], (1..=20).map(f64::from).collect::<Vec<_>>()] {
        let s = summarize(&x).unwrap();
        let json = serde_json::to_string(&s).unwrap();
        let back: Summary = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
    }
    let json = serde_json::to_value(summarize(&[1.0, 2.0, 3.0]).unwrap()).unwrap();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "count",
            "cv",
            "max_us",
            "mean_us",
            "median_ci95_us",
            "median_ci99_us",
            "median_us",
            "min_us",
            "p50_us",
            "p90_us",
            "p95_us",
            "p999_us",
            "p99_us",
            "std_us",
            "t_ci95_us",
            "t_ci99_us",
        ]
    );
    assert_eq!(json["median_ci95_us"], serde_json::Value::Null);
    assert_eq!(json["t_ci95_us"].as_array().unwrap().len(), 2);
}
