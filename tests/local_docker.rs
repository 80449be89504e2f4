//! local-docker against the real engine (images from `faaslab images build`, which
//! scripts/test.sh runs first): cold/warm checked through the engine's own events,
//! OOM kills, package rebuilds and code updates, and that nothing of ours is left.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use bollard::query_parameters::EventsOptions;
use common::*;
use faaslab::config::InputSize;
use faaslab::docker;
use faaslab::providers::local_docker;
use faaslab::run::{InvokeOptions, invoke_benchmark, run_experiment};
use futures_util::StreamExt;
use serde_json::json;

fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Names of the containers the engine created for a function in [since, until].
async fn created_containers(function: &str, since: i64, until: i64) -> Vec<String> {
    let docker = docker::connect().await.unwrap();
    let filters = HashMap::from([
        ("type".to_string(), vec!["container".to_string()]),
        ("event".to_string(), vec!["create".to_string()]),
        (
            "label".to_string(),
            vec![format!("{}={function}", docker::LABEL_FUNCTION)],
        ),
    ]);
    let mut events = docker.events(Some(EventsOptions {
        since: Some(since.to_string()),
        until: Some(until.to_string()),
        filters: Some(filters),
    }));
    let mut names = Vec::new();
    while let Some(e) = events.next().await {
        let e = e.unwrap();
        if let Some(name) = e
            .actor
            .and_then(|a| a.attributes)
            .and_then(|mut a| a.remove("name"))
        {
            names.push(name);
        }
    }
    names
}

/// Containers of a function that still exist.
async fn leftover(function: &str) -> Vec<String> {
    let docker = docker::connect().await.unwrap();
    local_docker::containers_labelled(&docker, &[format!("{}={function}", docker::LABEL_FUNCTION)])
        .await
        .unwrap()
}

/// The repository's benchmarks plus test ones, in the sandbox.
fn benchmarks_copy(sb: &Sandbox) -> PathBuf {
    let dst = sb.path().join("benchmarks");
    copy_dir(&repo_root().join("benchmarks"), &dst);
    let alloc = dst.join("901.alloc");
    copy_dir(&dst.join("010.sleep"), &alloc);
    std::fs::write(
        alloc.join("python/function.py"),
        "def handler(event):\n    block = bytearray(int(event['mb']) * 1024 * 1024)\n    \
         for i in range(0, len(block), 4096):\n        block[i] = 1\n    return {'mb': event['mb']}\n",
    )
    .unwrap();
    dst
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        if e.file_name() == "__pycache__" {
            continue;
        }
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
        }
    }
}

fn invoke(benchmark: &str, n: u32, memory: Option<u32>, payload: Option<&str>) -> InvokeOptions {
    InvokeOptions {
        benchmark: benchmark.into(),
        size: InputSize::Test,
        repetitions: n,
        concurrency: 1,
        memory_mb: memory,
        payload: payload.map(str::to_string),
        cold: false,
        language: None,
        payload_vars: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn perf_cost_cold_results_are_the_containers_the_engine_created() {
    let sb = Sandbox::new();
    let cfg = sb.write_config(
        "c.json",
        &json!({
            "benchmark": "110.dynamic-html",
            "platform": "local-docker",
            "resource_id": "t-perfcost",
            "function": {"memory_mb": 128, "timeout_s": 30},
            "experiment": {
                "repetitions": 3,
                "concurrent_invocations": 2,
                "memory_sizes": [128],
                "kinds": ["cold", "warm", "burst", "sequential"]
            }
        }),
    );
    let since = now_s() - 1;
    let report = run_experiment(&engine(), &guest("perf-cost"), &sb.options(&cfg, "run"))
        .await
        .unwrap();
    assert!(report.error.is_none(), "{:?}", report.error);
    let until = now_s() + 1;
    let recs = records(&report.run_dir);
    assert!(!recs.is_empty());
    let function = recs[0].function.clone();
    let created = created_containers(&function, since, until).await;
    let cold: Vec<_> = recs.iter().filter(|r| r.cold).collect();
    assert!(recs.iter().all(|r| r.failure.is_none()), "{recs:?}");
    assert_eq!(
        cold.len(),
        created.len(),
        "cold results vs containers created"
    );
    let created: HashSet<_> = created.into_iter().collect();
    let cold_ids: HashSet<_> = cold.iter().map(|r| r.instance_id.clone()).collect();
    assert_eq!(
        cold_ids, created,
        "each cold result has its own new container"
    );
    let mut seen = HashSet::new();
    let mut sorted = recs.clone();
    sorted.sort_by_key(|r| r.seq);
    for r in &sorted {
        assert_eq!(r.cold, seen.insert(r.instance_id.clone()), "{r:?}");
        assert_eq!(r.reported_cold, Some(r.cold), "{r:?}");
        assert!(
            created.contains(&r.instance_id),
            "warm result from a container we did not create: {r:?}"
        );
        assert!(r.memory_peak_kib.unwrap_or(0) > 1000, "{r:?}");
    }
    assert!(recs.iter().any(|r| !r.cold), "no warm result");
    assert!(
        leftover(&function).await.is_empty(),
        "containers left behind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oom_killed_invocation_is_a_failure_and_the_run_goes_on() {
    let sb = Sandbox::new();
    let bench = benchmarks_copy(&sb);
    let cfg = sb.write_config(
        "c.json",
        &json!({"benchmark": "901.alloc", "platform": "local-docker", "resource_id": "t-oom"}),
    );
    let mut opts = sb.options(&cfg, "run");
    opts.benchmarks_dir = Some(bench);
    let report = invoke_benchmark(
        &invoke("901.alloc", 2, Some(64), Some(r#"{"mb": 200}"#)),
        &opts,
    )
    .await
    .unwrap();
    let recs = records(&report.run_dir);
    assert_eq!(recs.len(), 2, "the run went on after the first OOM kill");
    for r in &recs {
        let failure = r.failure.as_deref().unwrap_or("");
        assert!(failure.contains("OOM-killed"), "{r:?}");
        assert!(r.cold, "an OOM-killed container is never reused: {r:?}");
        let log = report
            .run_dir
            .join("logs")
            .join(&r.function)
            .join(format!("{}.log", r.instance_id));
        assert!(log.is_file(), "no container log at {}", log.display());
    }
    // Within the limit it works.
    let mut opts = sb.options(&cfg, "run2");
    opts.benchmarks_dir = Some(sb.path().join("benchmarks"));
    let ok = invoke_benchmark(
        &invoke("901.alloc", 1, Some(256), Some(r#"{"mb": 32}"#)),
        &opts,
    )
    .await
    .unwrap();
    let recs = records(&ok.run_dir);
    assert!(recs[0].failure.is_none(), "{:?}", recs[0]);
    assert_eq!(ok.deployment.action, "config-updated");
    assert!(
        recs[0].memory_peak_kib.unwrap() > 32 * 1024,
        "{:?}",
        recs[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_byte_change_rebuilds_once_and_updates_code_once() {
    let sb = Sandbox::new();
    let bench = benchmarks_copy(&sb);
    let cfg = sb.write_config(
        "c.json",
        &json!({"benchmark": "010.sleep", "platform": "local-docker", "resource_id": "t-rebuild"}),
    );
    let run = |name: &str| {
        let mut o = sb.options(&cfg, name);
        o.benchmarks_dir = Some(bench.clone());
        o
    };
    let inv = invoke("010.sleep", 1, None, Some(r#"{"sleep": 0}"#));
    let mut seen = Vec::new();
    for (name, touch) in [("r1", false), ("r2", false), ("r3", true), ("r4", false)] {
        if touch {
            let f = bench.join("010.sleep/python/function.py");
            let mut text = std::fs::read(&f).unwrap();
            text.push(b'\n');
            std::fs::write(&f, text).unwrap();
        }
        let r = invoke_benchmark(&inv, &run(name)).await.unwrap();
        let recs = records(&r.run_dir);
        assert!(recs[0].failure.is_none(), "{:?}", recs[0]);
        seen.push((r.deployment.action.clone(), r.deployment.package_built));
    }
    assert_eq!(
        seen,
        vec![
            ("created".to_string(), true),
            ("reused".to_string(), false),
            ("code-updated".to_string(), true),
            ("reused".to_string(), false),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requirements_are_installed_in_a_build_container_and_failures_show_the_log() {
    let sb = Sandbox::new();
    let bench = benchmarks_copy(&sb);
    let dep = bench.join("902.deps");
    copy_dir(&bench.join("010.sleep"), &dep);
    std::fs::write(dep.join("python/requirements.txt"), "six==1.17.0\n").unwrap();
    std::fs::write(
        dep.join("python/function.py"),
        "import six\n\ndef handler(event):\n    return {'six': six.__version__, 'file': six.__file__}\n",
    )
    .unwrap();
    let cfg = sb.write_config(
        "c.json",
        &json!({"benchmark": "902.deps", "platform": "local-docker", "resource_id": "t-deps"}),
    );
    let mut opts = sb.options(&cfg, "run");
    opts.benchmarks_dir = Some(bench.clone());
    let r = invoke_benchmark(&invoke("902.deps", 1, None, Some("{}")), &opts)
        .await
        .unwrap();
    let recs = records(&r.run_dir);
    assert!(recs[0].failure.is_none(), "{:?}", recs[0]);
    assert!(recs[0].output.contains("1.17.0"), "{:?}", recs[0]);
    assert!(
        recs[0].output.contains("/code/deps/six.py"),
        "{:?}",
        recs[0]
    );
    let pkg = sb
        .path()
        .join("cache/packages/local-docker/902.deps")
        .join(&r.deployment.code_hash);
    assert!(pkg.join("build.log").is_file());

    // A requirement that cannot be installed: the error carries the log's tail.
    std::fs::write(
        dep.join("python/requirements.txt"),
        "six==1.17.0\n/nonexistent/not-a-package.whl\n",
    )
    .unwrap();
    let mut opts = sb.options(&cfg, "run2");
    opts.benchmarks_dir = Some(bench);
    let Err(err) = invoke_benchmark(&invoke("902.deps", 1, None, Some("{}")), &opts).await else {
        panic!("a broken requirement built");
    };
    let msg = format!("{err:#}");
    assert!(msg.contains("not-a-package"), "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_start_stop_round_trip_leaves_no_container() {
    let sb = Sandbox::new();
    let out = sb.path().join("local.json");
    let cfg = sb.write_config(
        "c.json",
        &json!({"benchmark": "110.dynamic-html", "resource_id": "t-local"}),
    );
    let faaslab = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_faaslab"))
            .arg("--cache-dir")
            .arg(sb.path().join("cache"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    let out_s = out.to_str().unwrap();
    faaslab(&[
        "local",
        "start",
        "110.dynamic-html",
        "test",
        out_s,
        "--instances",
        "2",
        "--measure-interval",
        "50",
        "--config",
        cfg.to_str().unwrap(),
    ]);
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let endpoints = file["endpoints"].as_array().unwrap();
    assert_eq!(endpoints.len(), 2);
    let function = file["function"].as_str().unwrap().to_string();
    assert_eq!(leftover(&function).await.len(), 2);
    // The endpoint serves the input.
    let url = endpoints[0]["url"].as_str().unwrap();
    let addr: std::net::SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let (mut conn, _) = faaslab::providers::http_client::HttpConnection::connect(addr)
        .await
        .unwrap();
    let reply = conn
        .request(
            hyper::Method::POST,
            "/",
            &[("x-faaslab-request-id", "r1")],
            bytes::Bytes::from(file["input"].to_string()),
        )
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert!(body["failure"].is_null(), "{body}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    faaslab(&["local", "stop", out_s]);
    assert!(
        leftover(&function).await.is_empty(),
        "containers left behind"
    );
    let stats: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.with_extension("memory-stats.json")).unwrap())
            .unwrap();
    for s in stats.as_array().unwrap() {
        assert!(s["samples"].as_u64().unwrap() >= 2, "{s}");
        assert!(s["max_kib"].as_u64().unwrap() > 1000, "{s}");
    }
}

#[test]
fn missing_image_or_engine_says_what_to_run() {
    let sb = Sandbox::new();
    // Another suite: its images were never built.
    let cfg = sb.write_config(
        "c.json",
        &json!({"benchmark": "010.sleep", "platform": "local-docker",
                "platforms": {"local-docker": {"debian_suite": "trixie"}}}),
    );
    let run = |envs: &[(&str, &str)], args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_faaslab"))
            .arg("--cache-dir")
            .arg(sb.path().join("cache"))
            .args(args)
            .envs(envs.iter().copied())
            .output()
            .unwrap();
        assert!(!o.status.success());
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let cfg_s = cfg.to_str().unwrap();
    let err = run(
        &[],
        &[
            "benchmark",
            "invoke",
            "010.sleep",
            "test",
            "--config",
            cfg_s,
        ],
    );
    assert!(
        err.contains("missing or stale") && err.contains("faaslab images build"),
        "{err}"
    );
    let err = run(
        &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")],
        &["images", "build", "--config", cfg_s],
    );
    assert!(err.contains("Docker engine is unreachable"), "{err}");
    assert!(err.lines().count() == 1, "one line: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn containers_read_and_write_the_local_storage_backend() {
    let sb = Sandbox::new();
    let root = sb.path().join("storage");
    let cfg = sb.write_config(
        "c.json",
        &json!({
            "benchmark": "311.compression", "platform": "local-docker", "resource_id": "t-store",
            "storage": {"local": {"path": root}}
        }),
    );
    let report = invoke_benchmark(
        &invoke("311.compression", 1, None, None),
        &sb.options(&cfg, "run"),
    )
    .await
    .unwrap();
    let recs = records(&report.run_dir);
    assert!(recs[0].failure.is_none(), "{:?}", recs[0]);
    assert!(report.validation.unwrap().valid);
    // The function, inside its container, wrote the archive into the host's storage.
    let archive = root.join("faaslab-benchmarks-t-store/311.compression-0-output/test.zip");
    let bytes = std::fs::read(&archive).unwrap();
    assert_eq!(&bytes[..2], b"PK");
    let out: serde_json::Value = serde_json::from_str(&recs[0].output).unwrap();
    assert_eq!(out["archive_bytes"].as_u64().unwrap(), bytes.len() as u64);
}
