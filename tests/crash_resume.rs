//! kill -9 in the middle of a run loses no completed invocation, leaves no function
//! instance behind, and `--resume` finishes the run without repeating anything.

mod common;

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

fn lines(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// Processes whose command line mentions `needle` (our instances carry the cache path).
fn processes_mentioning(needle: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(needle))
                .unwrap_or(false)
        })
        .collect()
}

#[test]
fn kill_9_then_resume_gives_every_invocation_exactly_once() {
    let sb = Sandbox::new();
    let cfg = sb.write_config(
        "c.json",
        &json!({
            "benchmark": "010.sleep",
            "seed": 11,
            "experiment": {
                "repetitions": 200, "concurrent_invocations": 4, "kinds": ["burst"],
                "max_rounds": 60, "payload": {"sleep": 0.03}
            }
        }),
    );
    let cache = sb.path().join("cache");
    let run = sb.path().join("run");
    let faaslab = |extra: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_faaslab"));
        c.args(["experiment", "run"])
            .arg(guest("perf-cost"))
            .args(extra)
            .env("FAASLAB_CACHE_DIR", &cache)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    };
    let mut child = faaslab(&[
        "--config",
        cfg.to_str().unwrap(),
        "-o",
        run.to_str().unwrap(),
    ])
    .spawn()
    .unwrap();
    let t0 = Instant::now();
    while lines(&run.join("results.jsonl")) < 60 {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "run made no progress"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "run ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = records(&run);
    assert!(
        before.len() >= 60 && before.len() < 200,
        "{} recorded at the kill",
        before.len()
    );

    // Instances die with the host (PR_SET_PDEATHSIG): nothing of this run is left.
    let needle = cache.to_str().unwrap().to_string();
    let t1 = Instant::now();
    while !processes_mentioning(&needle).is_empty() && t1.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        processes_mentioning(&needle),
        Vec::<u32>::new(),
        "instances survived kill -9"
    );

    let out = faaslab(&["--resume", run.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let after = records(&run);
    assert_eq!(after.len(), 200, "200 invocations in all");
    let ids: HashSet<_> = after.iter().map(|r| r.request_id.clone()).collect();
    assert_eq!(ids.len(), 200, "no request recorded twice");
    let indices: HashSet<_> = after.iter().map(|r| r.request_index.unwrap()).collect();
    assert_eq!(
        indices,
        (0..200).collect(),
        "every request index exactly once"
    );
    for r in &before {
        assert!(
            after.contains(r),
            "a record from before the kill changed: {r:?}"
        );
    }
    let m = manifest(&run);
    assert_eq!(m["status"], "completed");
    assert_eq!(m["resumed_at"].as_array().unwrap().len(), 1);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["series"][0]["accepted"], 200);
}

#[test]
fn resume_refuses_another_script() {
    let sb = Sandbox::new();
    let cfg = sb.write_config(
        "c.json",
        &json!({"benchmark": "110.dynamic-html", "experiment": {"repetitions": 1, "concurrent_invocations": 1, "kinds": ["burst"]}}),
    );
    let run = sb.path().join("run");
    let ok = Command::new(env!("CARGO_BIN_EXE_faaslab"))
        .args(["experiment", "run"])
        .arg(guest("perf-cost"))
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "-o",
            run.to_str().unwrap(),
        ])
        .env("FAASLAB_CACHE_DIR", sb.path().join("cache"))
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_faaslab"))
        .args(["experiment", "run"])
        .arg(guest("open-loop"))
        .args(["--resume", run.to_str().unwrap()])
        .env("FAASLAB_CACHE_DIR", sb.path().join("cache"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("resume it with the same script"), "{err}");
}
