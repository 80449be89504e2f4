//! The hostile-guest catalogue (docs/sandbox.md): each case is stopped or refused with
//! a clear error of the right kind, what was recorded before stays recorded, and a good
//! guest runs afterwards on the same engine, in the same process.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use faaslab::engine::GuestEngine;
use faaslab::run::{ExperimentReport, run_experiment};
use serde_json::{Value, json};

/// A config for the `hostile` guest: `case` and the rest of `experiment`, `limits`,
/// and other top-level fields merged in.
fn config(sb: &Sandbox, name: &str, experiment: Value, top: Value) -> PathBuf {
    let mut c = json!({
        "benchmark": "110.dynamic-html",
        "experiment": experiment,
        "limits": {"max_wasm_time_s": 5.0, "max_memory_mb": 128, "max_wall_time_s": 120}
    });
    for (k, v) in top.as_object().unwrap() {
        if k == "limits" {
            for (lk, lv) in v.as_object().unwrap() {
                c["limits"][lk] = lv.clone();
            }
        } else {
            c[k] = v.clone();
        }
    }
    sb.write_config(&format!("{name}.json"), &c)
}

async fn run(
    engine: &GuestEngine,
    sb: &Sandbox,
    guest_name: &str,
    cfg: &Path,
    run: &str,
) -> ExperimentReport {
    run_experiment(engine, &guest(guest_name), &sb.options(cfg, run))
        .await
        .unwrap()
}

/// What the guest returned (it reports what each host call answered).
fn returned(report: &ExperimentReport) -> Value {
    assert!(report.error.is_none(), "{:?}", report.error);
    serde_json::from_str(report.guest_result.as_deref().unwrap()).unwrap()
}

async fn good_guest_runs(engine: &GuestEngine, sb: &Sandbox) {
    let cfg = sb.write_config(
        "good.json",
        &json!({
            "benchmark": "110.dynamic-html",
            "experiment": {"repetitions": 2, "concurrent_invocations": 2, "kinds": ["warm"]}
        }),
    );
    let good = run(engine, sb, "perf-cost", &cfg, "good").await;
    assert!(good.error.is_none(), "{:?}", good.error);
    assert_eq!(good.summary.series[0].accepted, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trapping_cases_are_stopped_with_their_kind_and_a_good_guest_runs_after() {
    let sb = Sandbox::new();
    let engine = engine();
    // (guest, case, limits, expected kind, one of these must be in the message)
    let cases: Vec<(&str, &str, Value, &str, Vec<&str>)> = vec![
        (
            "table-bomb",
            "",
            json!({}),
            "table",
            vec!["max_table_elements"],
        ),
        (
            "instance-bomb",
            "",
            json!({}),
            "instantiate",
            vec!["limits.max_instances"],
        ),
        (
            "hostile",
            "deep-recursion",
            json!({}),
            "trap",
            vec!["stack", "out of bounds"],
        ),
        (
            "hostile",
            "forged-handle",
            json!({}),
            "trap",
            vec!["handle"],
        ),
        (
            "hostile",
            "dropped-handle",
            json!({}),
            "trap",
            vec!["handle"],
        ),
        (
            "wrong-type-handle",
            "",
            json!({}),
            "trap",
            vec!["handle", "type"],
        ),
        (
            "hostile",
            "huge-argument",
            json!({"max_arg_kib": 1024}),
            "trap",
            vec!["max_arg_kib"],
        ),
        (
            "hostile",
            "handle-exhaustion",
            json!({"max_resources": 5}),
            "trap",
            vec!["max_resources"],
        ),
    ];
    for (i, (guest_name, case, limits, kind, mentions)) in cases.iter().enumerate() {
        let cfg = config(
            &sb,
            &format!("c{i}"),
            json!({"case": case}),
            json!({"limits": limits}),
        );
        let report = run(&engine, &sb, guest_name, &cfg, &format!("bad{i}")).await;
        let err = report
            .error
            .unwrap_or_else(|| panic!("{guest_name} {case} was not stopped"));
        let text = err.to_string();
        eprintln!("{guest_name} {case}: {text}");
        assert_eq!(err.kind(), *kind, "{guest_name} {case}: {text}");
        assert!(
            mentions.iter().any(|m| text.contains(m)),
            "{guest_name} {case}: {text}"
        );
        assert!(!text.contains('\n'), "{guest_name} {case}: {text}");
        let m = manifest(&report.run_dir);
        assert_eq!(m["status"], "guest-trapped", "{guest_name} {case}");
    }
    good_guest_runs(&engine, &sb).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handles_dropped_properly_can_be_deployed_past_the_handle_cap() {
    let sb = Sandbox::new();
    let cfg = config(
        &sb,
        "c",
        json!({"case": "handle-churn", "n": 12}),
        json!({"limits": {"max_resources": 5}}),
    );
    let r = returned(&run(&engine(), &sb, "hostile", &cfg, "run").await);
    assert_eq!(r["deployed"], "12");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trap_after_a_batch_keeps_the_batch_recorded() {
    let sb = Sandbox::new();
    let engine = engine();
    let cfg = config(
        &sb,
        "c",
        json!({"case": "batch-then-trap", "n": 4}),
        json!({}),
    );
    let report = run(&engine, &sb, "hostile", &cfg, "run").await;
    let err = report.error.unwrap();
    assert_eq!(err.kind(), "trap", "{err}");
    assert_eq!(records(&report.run_dir).len(), 4);
    let m = manifest(&report.run_dir);
    assert_eq!(m["status"], "guest-trapped");
    assert_eq!(m["invocations"], 4);
    good_guest_runs(&engine, &sb).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wall_time_limit_in_the_middle_of_a_batch_keeps_finished_invocations() {
    let sb = Sandbox::new();
    let cfg = config(
        &sb,
        "c",
        json!({"case": "slow-batch", "target": "010.sleep", "n": 40}),
        json!({"benchmark": "010.sleep", "limits": {"max_wall_time_s": 4.0}}),
    );
    let t0 = std::time::Instant::now();
    let report = run(&engine(), &sb, "hostile", &cfg, "run").await;
    assert!(t0.elapsed().as_secs_f64() < 30.0);
    let err = report.error.unwrap();
    assert_eq!(err.kind(), "wall-time", "{err}");
    // 0.5 s each, one at a time, cut off after 4 s (deploying takes part of it).
    let recs = records(&report.run_dir);
    assert!((1..8).contains(&recs.len()), "{} recorded", recs.len());
    assert!(recs.iter().all(|r| r.failure.is_none()));
    let m = manifest(&report.run_dir);
    assert_eq!(m["invocations"], recs.len());
    assert_eq!(
        budget_use(&report.run_dir, "limits.max_wall_time_s")["exhausted"],
        true
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_result_requests_are_refused_before_any_work() {
    let sb = Sandbox::new();
    let cfg = config(
        &sb,
        "c",
        json!({"case": "huge-requests", "n": 1_000_000}),
        json!({
            "limits": {"max_memory_mb": 256},
            "storage": {
                "local": {"path": sb.path().join("objects")},
                "grants": [{"bucket": "experiments", "prefix": "", "access": "read-write"}]
            }
        }),
    );
    let report = run(&engine(), &sb, "hostile", &cfg, "run").await;
    let r = returned(&report);
    for what in ["batch", "schedule"] {
        let v = r[what].as_str().unwrap();
        assert!(
            v.starts_with("invalid: ") && v.contains("max_batch"),
            "{what}: {v}"
        );
    }
    assert_eq!(r["list"], "ok");
    assert!(records(&report.run_dir).is_empty());

    // A listing with more objects than one answer may carry.
    let cfg = config(
        &sb,
        "many",
        json!({"case": "many-objects", "n": 5}),
        json!({
            "limits": {"max_batch": 3},
            "storage": {
                "local": {"path": sb.path().join("objects")},
                "grants": [{"bucket": "experiments", "prefix": "", "access": "read-write"}]
            }
        }),
    );
    let r = returned(&run(&engine(), &sb, "hostile", &cfg, "many").await);
    assert_eq!(r["uploads"], "ok,ok,ok,ok,ok");
    let list = r["list"].as_str().unwrap();
    assert!(
        list.starts_with("invalid: ") && list.contains("limits.max_batch"),
        "{list}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absurd_sleeps_are_invalid_and_long_ones_exhaust_the_wall_time_budget() {
    let sb = Sandbox::new();
    let cfg = config(
        &sb,
        "c",
        json!({"case": "absurd-sleep"}),
        json!({"limits": {"max_sleep_s": 1e9}}),
    );
    let r = returned(&run(&engine(), &sb, "hostile", &cfg, "run").await);
    let max = r["max"].as_str().unwrap();
    assert!(
        max.starts_with("invalid: ") && max.contains("max_sleep_s"),
        "{max}"
    );
    let ten_days = r["ten_days"].as_str().unwrap();
    assert!(
        ten_days.starts_with("budget-exhausted: ") && ten_days.contains("max_wall_time_s"),
        "{ten_days}"
    );
}

/// A current-thread runtime: the guest must yield (epoch ticks) for the ticker to run.
#[tokio::test(flavor = "current_thread")]
async fn millions_of_cheap_host_calls_leave_the_host_responsive() {
    let sb = Sandbox::new();
    let cfg = config(
        &sb,
        "c",
        json!({"calls": 2_000_000}),
        json!({"limits": {"max_wasm_time_s": 60.0}}),
    );
    let engine = engine();
    let ticker = tokio::spawn(async {
        let mut worst = std::time::Duration::ZERO;
        let mut last = std::time::Instant::now();
        for _ in 0..200 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            worst = worst.max(last.elapsed());
            last = std::time::Instant::now();
        }
        worst
    });
    let report = run(&engine, &sb, "host-calls", &cfg, "run").await;
    match &report.error {
        None => assert_eq!(returned(&report)["calls"], 2_000_000),
        Some(e) => assert_eq!(e.kind(), "wasm-time", "{e}"),
    }
    let worst = ticker.await.unwrap();
    assert!(
        worst < std::time::Duration::from_millis(500),
        "the runtime was blocked for {worst:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_flood_is_capped_sanitised_and_recorded_as_a_budget() {
    let sb = Sandbox::new();
    let cfg = config(
        &sb,
        "c",
        json!({"case": "log-flood", "lines": 10_000}),
        json!({"limits": {"max_log_kib": 64}}),
    );
    let report = run(&engine(), &sb, "hostile", &cfg, "run").await;
    assert_eq!(returned(&report)["logged"], "10000");
    let b = budget_use(&report.run_dir, "limits.max_log_kib");
    assert_eq!(b["exhausted"], true, "{b}");
    assert_eq!(b["limit"], 65536.0);
    let events = std::fs::read_to_string(report.run_dir.join("events.jsonl")).unwrap();
    assert_eq!(
        events.matches("\"budget\":\"max_log_kib\"").count(),
        1,
        "one event, not one per dropped line"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wasi_guest_sees_no_files_environment_or_network_and_its_flood_is_capped() {
    let sb = Sandbox::new();
    // Something listening, so a refused connection is the sandbox, not an empty port.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let cfg = config(
        &sb,
        "c",
        json!({"port": port, "flood_lines": 2000}),
        json!({"limits": {"max_output_kib": 16, "max_wasm_time_s": 60.0}}),
    );
    let report = run(&engine(), &sb, "wasi-probe", &cfg, "run").await;
    let r = returned(&report);
    for what in [
        "read_passwd",
        "read_cwd_file",
        "list_root",
        "write_file",
        "socket_connect",
        "dns",
    ] {
        let v = r[what].as_str().unwrap();
        assert!(!v.starts_with("ok"), "{what}: {v}");
    }
    assert_eq!(r["environ"], "ok: {}", "{r:#}");
    assert_eq!(r["getenv_home"], "ok: None", "{r:#}");
    assert_eq!(r["after_flood"], "still running");
    assert!(!std::path::Path::new("/tmp/faaslab-escape").exists());
    let log = std::fs::read_to_string(report.run_dir.join("guest.log")).unwrap();
    assert!(
        log.len() < 2 * 16 * 1024 + 4096,
        "guest.log is {} bytes",
        log.len()
    );
    assert!(
        !log.contains('\u{1b}') && !log.contains('\u{7}'),
        "escapes reached guest.log"
    );
    assert!(
        log.contains("more bytes dropped (limits.max_output_kib = 16 KiB)"),
        "{log}"
    );
    assert_eq!(
        budget_use(&report.run_dir, "limits.max_output_kib")["exhausted"],
        true
    );
}
