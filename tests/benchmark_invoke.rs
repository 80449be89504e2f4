//! `benchmark invoke` on local-process: timing of 010.sleep, cache reuse, failures.

mod common;

use common::*;
use faaslab::config::InputSize;
use faaslab::run::{InvokeOptions, invoke_benchmark};
use serde_json::json;

fn invoke(benchmark: &str, repetitions: u32) -> InvokeOptions {
    InvokeOptions {
        benchmark: benchmark.into(),
        size: InputSize::Test,
        repetitions,
        concurrency: 1,
        memory_mb: None,
        payload: None,
        cold: false,
        language: None,
        payload_vars: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sleep_one_second_is_timed_inside_the_handler() {
    let sb = Sandbox::new();
    let cfg = sb.write_config("c.json", &json!({"benchmark": "010.sleep"}));
    let report = invoke_benchmark(&invoke("010.sleep", 2), &sb.options(&cfg, "run"))
        .await
        .unwrap();
    assert!(report.validation.unwrap().valid);
    let recs = records(&report.run_dir);
    assert_eq!(recs.len(), 2);
    for r in &recs {
        assert!(r.failure.is_none(), "{r:?}");
        let off = (r.exec_time_us as i64 - 1_000_000).abs();
        assert!(
            off <= 5_000,
            "exec time {} µs is not within 5 ms of 1 s",
            r.exec_time_us
        );
        assert!(r.client_time_us >= r.exec_time_us, "{r:?}");
        assert!(r.provider_time_us >= r.exec_time_us, "{r:?}");
        assert!(r.memory_peak_kib.unwrap() > 1000);
    }
    assert!(recs[0].cold && recs[0].init_time_us.is_some());
    assert!(!recs[1].cold && recs[1].init_time_us.is_none());
    assert_eq!(recs[0].instance_id, recs[1].instance_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_identical_run_reuses_the_deployment() {
    let sb = Sandbox::new();
    let cfg = sb.write_config("c.json", &json!({"benchmark": "110.dynamic-html"}));
    let first = invoke_benchmark(&invoke("110.dynamic-html", 1), &sb.options(&cfg, "run1"))
        .await
        .unwrap();
    assert_eq!(first.deployment.action, "created");
    assert!(first.deployment.package_built);
    let package_dir = sb
        .path()
        .join("cache/packages/local-process/110.dynamic-html")
        .join(&first.deployment.code_hash);
    let built_at = std::fs::metadata(&package_dir).unwrap().modified().unwrap();

    let second = invoke_benchmark(&invoke("110.dynamic-html", 1), &sb.options(&cfg, "run2"))
        .await
        .unwrap();
    assert_eq!(second.deployment.action, "reused");
    assert!(!second.deployment.package_built);
    assert_eq!(second.deployment.code_hash, first.deployment.code_hash);
    assert_eq!(
        std::fs::metadata(&package_dir).unwrap().modified().unwrap(),
        built_at
    );

    // A different memory size is a configuration update, not a new deployment.
    let mut opts = invoke("110.dynamic-html", 1);
    opts.memory_mb = Some(512);
    let third = invoke_benchmark(&opts, &sb.options(&cfg, "run3"))
        .await
        .unwrap();
    assert_eq!(third.deployment.action, "config-updated");
    assert!(!third.deployment.package_built);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn function_timeout_kills_the_instance_and_is_a_recorded_failure() {
    let sb = Sandbox::new();
    let cfg = sb.write_config(
        "c.json",
        &json!({"benchmark": "010.sleep", "function": {"timeout_s": 1}}),
    );
    let mut opts = invoke("010.sleep", 2);
    opts.payload = Some(r#"{"sleep": 3}"#.into());
    let report = invoke_benchmark(&opts, &sb.options(&cfg, "run"))
        .await
        .unwrap();
    let recs = records(&report.run_dir);
    assert_eq!(recs.len(), 2);
    for r in &recs {
        let f = r.failure.as_deref().unwrap();
        assert!(f.starts_with("timeout"), "{f}");
        assert!(
            r.client_time_us >= 1_000_000 && r.client_time_us < 2_500_000,
            "{r:?}"
        );
    }
    // The timed-out instance was killed: the second invocation needed a new one.
    assert_ne!(recs[0].instance_id, recs[1].instance_id);
    assert!(recs[1].cold);
    assert_eq!(report.summary.failed, 2);
    // Instance logs are kept in the run directory.
    let logs = std::fs::read_dir(report.run_dir.join("logs"))
        .unwrap()
        .count();
    assert_eq!(logs, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_exception_is_a_failure_and_the_instance_stays_warm() {
    let sb = Sandbox::new();
    let cfg = sb.write_config("c.json", &json!({"benchmark": "010.sleep"}));
    let mut opts = invoke("010.sleep", 2);
    opts.payload = Some(r#"{"sleep": -1}"#.into());
    let report = invoke_benchmark(&opts, &sb.options(&cfg, "run"))
        .await
        .unwrap();
    let recs = records(&report.run_dir);
    assert!(
        recs.iter()
            .all(|r| r.failure.as_deref() == Some("ValueError: sleep must be non-negative"))
    );
    assert!(recs[0].cold && !recs[1].cold);
    assert!(report.validation.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforced_cold_start_replaces_every_instance() {
    let sb = Sandbox::new();
    let cfg = sb.write_config("c.json", &json!({"benchmark": "110.dynamic-html"}));
    let mut opts = invoke("110.dynamic-html", 6);
    opts.concurrency = 3;
    let first = invoke_benchmark(&opts, &sb.options(&cfg, "run1"))
        .await
        .unwrap();
    opts.cold = true;
    let second = invoke_benchmark(&opts, &sb.options(&cfg, "run2"))
        .await
        .unwrap();
    let a: std::collections::HashSet<_> = records(&first.run_dir)
        .into_iter()
        .map(|r| r.instance_id)
        .collect();
    let b = records(&second.run_dir);
    assert!(b.iter().all(|r| !a.contains(&r.instance_id)));
    assert_eq!(
        b.iter().filter(|r| r.cold).count(),
        3,
        "3 concurrent → 3 new instances"
    );
}
