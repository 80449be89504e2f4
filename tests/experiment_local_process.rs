//! perf-cost and warm-sweep guests on local-process, checked against instance identity.

mod common;

use std::collections::HashSet;

use common::*;
use faaslab::run::run_experiment;
use serde_json::json;

fn config(benchmark: &str, kinds: &[&str]) -> serde_json::Value {
    json!({
        "benchmark": benchmark,
        "input_size": "test",
        "function": {"memory_mb": 128, "timeout_s": 30},
        "experiment": {
            "repetitions": 4,
            "concurrent_invocations": 3,
            "memory_sizes": [128, 192],
            "kinds": kinds
        }
    })
}

/// Every accepted "cold" result is the first request its instance served; every
/// accepted "warm" one comes from an instance that served before. The function's own
/// report agrees with the host's ground truth.
fn assert_cold_warm_truth(run_dir: &std::path::Path) {
    let records = records(run_dir);
    let discards = discards(run_dir);
    let mut seen = HashSet::new();
    let mut sorted = records.clone();
    sorted.sort_by_key(|r| r.seq);
    for r in &sorted {
        let first_of_instance = seen.insert(r.instance_id.clone());
        if r.failure.is_none() {
            assert_eq!(r.cold, first_of_instance, "cold flag wrong for {r:?}");
            assert_eq!(r.reported_cold, Some(r.cold), "function disagrees: {r:?}");
        }
        if discards.contains_key(&r.request_id) {
            continue;
        }
        if r.series.starts_with("cold-") {
            assert!(r.cold, "accepted cold result is warm: {r:?}");
        }
        if r.series.starts_with("warm-") || r.series.starts_with("sequential-") {
            assert!(!r.cold, "accepted warm result is cold: {r:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn perf_cost_counts_and_cold_warm_are_exact() {
    let sb = Sandbox::new();
    let cfg = sb.write_config(
        "c.json",
        &config("110.dynamic-html", &["cold", "warm", "burst", "sequential"]),
    );
    let engine = engine();
    let report = run_experiment(&engine, &guest("perf-cost"), &sb.options(&cfg, "run"))
        .await
        .unwrap();
    assert!(report.error.is_none(), "{:?}", report.error);
    let mut names: Vec<&str> = report
        .summary
        .series
        .iter()
        .map(|s| s.series.as_str())
        .collect();
    names.sort();
    for kind in ["cold", "warm", "burst", "sequential"] {
        for mem in [128, 192] {
            let name = format!("{kind}-{mem}mb");
            let s = report
                .summary
                .series
                .iter()
                .find(|s| s.series == name)
                .unwrap_or_else(|| panic!("no series {name} in {names:?}"));
            assert_eq!(s.accepted, 4, "{name}: {s:?}");
            assert_eq!(s.failed, 0, "{name}");
            if kind == "cold" {
                assert_eq!(s.accepted_cold, 4);
            }
            if kind == "warm" || kind == "sequential" {
                assert_eq!(s.accepted_warm, 4);
            }
            let c = s.client_time.as_ref().unwrap();
            assert!(c.median_us > 0.0);
        }
    }
    assert_cold_warm_truth(&report.run_dir);
    // Memory configuration reached the instances' records.
    let recs = records(&report.run_dir);
    assert!(
        recs.iter()
            .any(|r| r.memory_mb == 192 && r.series == "cold-192mb")
    );
    // Derived files exist and agree with the record.
    let csv = std::fs::read_to_string(report.run_dir.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), recs.len() + 1);
    let m = manifest(&report.run_dir);
    assert_eq!(m["status"], "completed");
    assert_eq!(m["seed"], 7);
    assert_eq!(m["invocations"], recs.len() as u64);
    assert_eq!(m["script"]["sha256"].as_str().unwrap().len(), 64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_warm_sweep_runs_warm_only() {
    let sb = Sandbox::new();
    let cfg = sb.write_config("c.json", &config("110.dynamic-html", &["warm"]));
    let engine = engine();
    let report = run_experiment(&engine, &guest("warm-sweep"), &sb.options(&cfg, "run"))
        .await
        .unwrap();
    assert!(report.error.is_none(), "{:?}", report.error);
    for mem in [128, 192] {
        let name = format!("warm-{mem}mb");
        let s = report
            .summary
            .series
            .iter()
            .find(|s| s.series == name)
            .unwrap();
        assert_eq!(s.accepted, 4, "{name}");
        assert_eq!(s.accepted_warm, 4, "{name}");
    }
    assert_cold_warm_truth(&report.run_dir);
}
