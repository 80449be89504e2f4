//! Budgets the host enforces: exceeding one gives the guest `budget-exhausted`, is an
//! event and is in the manifest (which budget, used / limit); never a crash.

mod common;

use std::path::Path;

use common::*;
use faaslab::run::run_experiment;
use serde_json::{Value, json};

/// Runs the `hostile` guest's `spend` case (batches until a budget says no).
async fn spend(sb: &Sandbox, experiment: Value, top: Value) -> (Value, std::path::PathBuf) {
    let mut c = json!({"benchmark": "010.sleep", "experiment": experiment});
    for (k, v) in top.as_object().unwrap() {
        c[k] = v.clone();
    }
    c["experiment"]["case"] = json!("spend");
    c["experiment"]["target"] = json!("010.sleep");
    let cfg = sb.write_config("c.json", &c);
    let report = run_experiment(&engine(), &guest("hostile"), &sb.options(&cfg, "run"))
        .await
        .unwrap();
    assert!(report.error.is_none(), "{:?}", report.error);
    let r = serde_json::from_str(report.guest_result.as_deref().unwrap()).unwrap();
    (r, report.run_dir)
}

fn events_about(run_dir: &Path, budget: &str) -> usize {
    std::fs::read_to_string(run_dir.join("events.jsonl"))
        .unwrap()
        .matches(&format!("\"budget\":\"{budget}\""))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gb_seconds_budget_stops_invocations() {
    let sb = Sandbox::new();
    // 1 GiB functions sleeping 0.1 s: each invocation bills at least 0.1 GB-s.
    let (r, dir) = spend(
        &sb,
        json!({"batch": 2, "payload_sleep": "1"}),
        json!({"function": {"memory_mb": 1024}, "limits": {"max_gb_seconds": 0.5}}),
    )
    .await;
    let stopped = r["stopped"].as_str().unwrap();
    assert!(
        stopped.starts_with("budget-exhausted: ") && stopped.contains("limits.max_gb_seconds"),
        "{stopped}"
    );
    let n = records(&dir).len();
    // Stopped once 0.5 GB-s were used: at most 5 invocations, plus none past the check.
    assert!((4..=5).contains(&n), "{n} invocations");
    let b = budget_use(&dir, "limits.max_gb_seconds");
    assert_eq!(b["exhausted"], true);
    assert!(b["used"].as_f64().unwrap() >= 0.4, "{b}");
    assert_eq!(b["limit"], 0.5);
    assert_eq!(events_about(&dir, "max_gb_seconds"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cost_budget_uses_the_platform_price() {
    let sb = Sandbox::new();
    let (r, dir) = spend(
        &sb,
        json!({"batch": 4}),
        json!({
            "prices": {"local-process": {"gb_second_usd": 0.0, "request_usd": 0.01}},
            "limits": {"max_cost_usd": 0.05}
        }),
    )
    .await;
    let stopped = r["stopped"].as_str().unwrap();
    assert!(stopped.contains("limits.max_cost_usd"), "{stopped}");
    assert_eq!(records(&dir).len(), 5, "0.01 USD each, stopped at 0.05");
    assert_eq!(r["made"], "4", "the second batch was cut off");
    let b = budget_use(&dir, "limits.max_cost_usd");
    assert_eq!(b["exhausted"], true);
    assert!((b["used"].as_f64().unwrap() - 0.05).abs() < 1e-9, "{b}");
    // GB-seconds are counted on a free platform too.
    assert!(
        budget_use(&dir, "limits.max_gb_seconds")["used"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_over_the_budget_is_refused() {
    let sb = Sandbox::new();
    let (r, dir) = spend(
        &sb,
        json!({"batch": 8, "concurrency": 8}),
        json!({"limits": {"max_concurrency": 4}}),
    )
    .await;
    let stopped = r["stopped"].as_str().unwrap();
    assert!(
        stopped.starts_with("budget-exhausted: ") && stopped.contains("limits.max_concurrency"),
        "{stopped}"
    );
    assert_eq!(r["made"], "0");
    assert!(records(&dir).is_empty());
    assert_eq!(
        budget_use(&dir, "limits.max_concurrency")["exhausted"],
        true
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invocation_budget_is_in_the_manifest() {
    let sb = Sandbox::new();
    let (r, dir) = spend(
        &sb,
        json!({"batch": 4}),
        json!({"limits": {"max_invocations": 10}}),
    )
    .await;
    assert!(
        r["stopped"]
            .as_str()
            .unwrap()
            .contains("limits.max_invocations")
    );
    assert_eq!(records(&dir).len(), 10);
    let b = budget_use(&dir, "limits.max_invocations");
    assert_eq!(
        (b["used"].as_f64(), b["limit"].as_f64()),
        (Some(10.0), Some(10.0))
    );
    assert_eq!(b["exhausted"], true);
    assert_eq!(
        budget_use(&dir, "limits.max_gb_seconds")["exhausted"],
        false
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_budget_is_in_the_manifest() {
    let sb = Sandbox::new();
    let cfg = sb.write_config(
        "c.json",
        &json!({
            "benchmark": "110.dynamic-html",
            "experiment": {"case": "many-objects", "n": 5},
            "storage": {
                "local": {"path": sb.path().join("objects")},
                "grants": [{"bucket": "experiments", "prefix": "", "access": "read-write"}],
                "max_total_kib": 0
            }
        }),
    );
    let report = run_experiment(&engine(), &guest("hostile"), &sb.options(&cfg, "run"))
        .await
        .unwrap();
    let r: Value = serde_json::from_str(report.guest_result.as_deref().unwrap()).unwrap();
    let uploads = r["uploads"].as_str().unwrap();
    assert!(uploads.starts_with("budget-exhausted: "), "{uploads}");
    assert!(uploads.contains("storage.max_total_kib"), "{uploads}");
    let b = budget_use(&report.run_dir, "storage.max_total_kib");
    assert_eq!(b["exhausted"], true);
    assert_eq!(events_about(&report.run_dir, "max_total_kib"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_loop_schedule_stops_at_the_concurrency_budget() {
    let sb = Sandbox::new();
    let cfg = sb.write_config(
        "c.json",
        &json!({
            "benchmark": "010.sleep",
            "experiment": {"case": "open-loop", "target": "010.sleep", "n": 20, "payload_sleep": "5"},
            "limits": {"max_concurrency": 3}
        }),
    );
    let report = run_experiment(&engine(), &guest("hostile"), &sb.options(&cfg, "run"))
        .await
        .unwrap();
    let r: Value = serde_json::from_str(report.guest_result.as_deref().unwrap()).unwrap();
    let v = r["schedule"].as_str().unwrap();
    assert!(
        v.starts_with("budget-exhausted: ") && v.contains("limits.max_concurrency"),
        "{v}"
    );
    // Requests 10 ms apart taking 0.5 s each: the 4th finds 3 in flight.
    assert_eq!(records(&report.run_dir).len(), 3);
    let b = budget_use(&report.run_dir, "limits.max_concurrency");
    assert_eq!(b["exhausted"], true);
    assert_eq!(b["used"], 3.0, "{b}");
}
