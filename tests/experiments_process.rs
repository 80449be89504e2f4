//! `faaslab experiment process`: provider metrics (local-process: the instances'
//! per-request report lines) merged into a finished run, idempotently, and reflected
//! in its statistics.

mod common;

use std::collections::HashMap;
use std::process::Command;

use common::*;
use faaslab::config::InputSize;
use faaslab::run::{InvokeOptions, invoke_benchmark};
use serde_json::{Value, json};

fn faaslab(sb: &Sandbox, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_faaslab"))
        .arg("--cache-dir")
        .arg(sb.path().join("cache"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn merged_lines(run_dir: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(run_dir.join("provider-metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_merges_provider_metrics_once_and_stats_use_them() {
    let sb = Sandbox::new();
    let cfg = sb.write_config("c.json", &json!({"benchmark": "010.sleep"}));
    let opts = InvokeOptions {
        benchmark: "010.sleep".into(),
        size: InputSize::Test,
        repetitions: 6,
        concurrency: 2,
        memory_mb: None,
        payload: Some(r#"{"sleep": 0.01}"#.into()),
        cold: false,
        language: None,
        payload_vars: Vec::new(),
    };
    let report = invoke_benchmark(&opts, &sb.options(&cfg, "run"))
        .await
        .unwrap();
    let run_dir = report.run_dir.to_str().unwrap().to_string();
    assert!(!report.run_dir.join("provider-metrics.jsonl").exists());

    let (ok, stdout, stderr) = faaslab(&sb, &["experiment", "process", &run_dir, "--json"]);
    assert!(ok, "{stderr}");
    let first: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(first["merged"]["added"], 6, "{stdout}");
    assert_eq!(first["summary"]["provider_metrics_merged"], 6);

    let recs = records(&report.run_dir);
    let merged = merged_lines(&report.run_dir);
    assert_eq!(merged.len(), 6);
    let by_id: HashMap<&str, &Value> = merged
        .iter()
        .map(|m| (m["request_id"].as_str().unwrap(), m))
        .collect();
    for r in &recs {
        let m = by_id[r.request_id.as_str()];
        let duration = m["provider_time_us"].as_u64().unwrap();
        // The report line's duration runs until the reply was written: never shorter
        // than the time the instance reported in the reply itself.
        assert!(
            duration >= r.provider_time_us,
            "{m} vs {}",
            r.provider_time_us
        );
        assert!(duration >= 10_000, "slept 10 ms: {m}");
        assert!(m["memory_peak_kib"].as_u64().unwrap() > 1024, "{m}");
        assert_eq!(m["function"], r.function.as_str());
    }

    // Again: nothing is duplicated, nothing changes.
    let (ok, stdout, stderr) = faaslab(&sb, &["experiment", "process", &run_dir]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("0 added, 0 updated, 6 unchanged, 6 in all"),
        "{stdout}"
    );
    assert_eq!(merged_lines(&report.run_dir), merged);

    // The statistics (summary.json and `results stats`) use the merged provider times.
    let (ok, stdout, stderr) = faaslab(&sb, &["results", "stats", &run_dir, "--json"]);
    assert!(ok, "{stderr}");
    let stats: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(stats["provider_metrics_merged"], 6);
    let mut durations: Vec<f64> = merged
        .iter()
        .map(|m| m["provider_time_us"].as_f64().unwrap())
        .collect();
    durations.sort_by(f64::total_cmp);
    let series = &stats["series"][0];
    assert_eq!(
        series["provider_time"]["max_us"].as_f64().unwrap(),
        durations[5]
    );
    assert_eq!(
        series["provider_time"]["min_us"].as_f64().unwrap(),
        durations[0]
    );
    let on_disk: Value =
        serde_json::from_slice(&std::fs::read(report.run_dir.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(on_disk["provider_metrics_merged"], 6);
}

#[test]
fn process_of_a_directory_without_a_run_is_a_one_line_error() {
    let sb = Sandbox::new();
    let dir = sb.path().join("empty");
    std::fs::create_dir_all(&dir).unwrap();
    let (ok, _, stderr) = faaslab(&sb, &["experiment", "process", dir.to_str().unwrap()]);
    assert!(!ok);
    assert!(stderr.contains("manifest.json"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
