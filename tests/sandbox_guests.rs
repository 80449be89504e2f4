//! Hostile guests are stopped with a clear error; the host keeps running guests.

mod common;

use common::*;
use faaslab::run::run_experiment;
use serde_json::json;

fn limited_config(sb: &Sandbox) -> std::path::PathBuf {
    sb.write_config(
        "c.json",
        &json!({
            "benchmark": "110.dynamic-html",
            "experiment": {"repetitions": 2, "concurrent_invocations": 2, "kinds": ["warm"]},
            "limits": {"max_wasm_time_s": 1.0, "max_memory_mb": 64, "max_wall_time_s": 60}
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_guests_stop_and_a_good_guest_runs_after_them() {
    let sb = Sandbox::new();
    let cfg = limited_config(&sb);
    let engine = engine();
    let cases = [
        ("spin", "wasm-time", "max_wasm_time_s"),
        ("memory-bomb", "memory", "max_memory_mb"),
        ("trap", "trap", "unreachable"),
    ];
    for (i, (guest_name, kind, mention)) in cases.iter().enumerate() {
        let report = run_experiment(
            &engine,
            &guest(guest_name),
            &sb.options(&cfg, &format!("bad{i}")),
        )
        .await
        .unwrap();
        let err = report
            .error
            .unwrap_or_else(|| panic!("{guest_name} was not stopped"));
        assert_eq!(err.kind(), *kind, "{guest_name}: {err}");
        let text = err.to_string();
        assert!(text.contains(mention), "{guest_name}: {text}");
        assert!(!text.contains('\n'), "{guest_name}: {text}");
        let m = manifest(&report.run_dir);
        assert_eq!(m["status"], "guest-trapped");
    }
    let good = run_experiment(&engine, &guest("perf-cost"), &sb.options(&cfg, "good"))
        .await
        .unwrap();
    assert!(good.error.is_none(), "{:?}", good.error);
    assert_eq!(good.summary.series[0].accepted, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_blocked_in_host_sleeps_hits_the_wall_time_limit() {
    let sb = Sandbox::new();
    let cfg = sb.write_config(
        "c.json",
        &json!({"benchmark": "110.dynamic-html", "limits": {"max_wall_time_s": 2.5}}),
    );
    let engine = engine();
    let t0 = std::time::Instant::now();
    let report = run_experiment(&engine, &guest("sleep-forever"), &sb.options(&cfg, "run"))
        .await
        .unwrap();
    let err = report.error.unwrap();
    assert!(matches!(err.kind(), "wall-time" | "guest-error"), "{err}");
    assert!(t0.elapsed().as_secs_f64() < 10.0);
}

#[test]
fn precompiled_and_core_modules_are_rejected() {
    let sb = Sandbox::new();
    let engine = engine();
    let core = sb.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let e = engine.load(&core).err().unwrap().to_string();
    assert!(e.contains("core WebAssembly module"), "{e}");
    let junk = sb.path().join("junk.wasm");
    std::fs::write(&junk, b"hello").unwrap();
    let e = engine.load(&junk).err().unwrap().to_string();
    assert!(e.contains("not a WebAssembly file"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invocation_budget_stops_a_script_with_budget_exhausted() {
    let sb = Sandbox::new();
    let cfg = sb.write_config(
        "c.json",
        &json!({
            "benchmark": "110.dynamic-html",
            "experiment": {"repetitions": 1000, "kinds": ["sequential"], "max_rounds": 1},
            "limits": {"max_invocations": 10}
        }),
    );
    let engine = engine();
    let report = run_experiment(&engine, &guest("perf-cost"), &sb.options(&cfg, "run"))
        .await
        .unwrap();
    let err = report
        .error
        .expect("the script cannot finish within its budget");
    assert_eq!(err.kind(), "guest-error");
    assert!(err.to_string().contains("budget-exhausted"), "{err}");
    assert_eq!(records(&sb.path().join("run")).len(), 10);
    let events = std::fs::read_to_string(sb.path().join("run/events.jsonl")).unwrap();
    assert_eq!(
        events.matches("\"type\":\"budget-exhausted\"").count(),
        1,
        "{events}"
    );
    let m = manifest(&report.run_dir);
    assert_eq!(m["status"], "guest-error");
    assert_eq!(m["invocations"], 10);
}
