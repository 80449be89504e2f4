//! faaslab's performance targets, measured and printed (not asserted).
//!
//! `cargo bench -p faaslab --bench targets` (needs `bash scripts/build-guests.sh` and
//! `wrk` for the driver comparison: `apt-get install wrk`). Each section prints one
//! line per figure; `FAASLAB_BENCH=calls,driver,schedule,local,memory` runs a subset.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use faaslab::config::InputSize;
use faaslab::driver::{BatchTarget, Recorder, SendInfo, run_batch, run_schedule};
use faaslab::engine::GuestEngine;
use faaslab::measure::{ExecutionRecord, read_all};
use faaslab::providers::http_endpoint::HttpEndpoint;
use faaslab::providers::{Function, Invocation, Trigger};
use faaslab::run::{InvokeOptions, SessionOptions, invoke_benchmark, run_experiment};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    faaslab_stats::percentile(&v, 50.0)
}

fn p99(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    faaslab_stats::percentile(&v, 99.0)
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn config(&self, json: serde_json::Value) -> PathBuf {
        let p = self
            .dir
            .path()
            .join(format!("c-{}.json", uuid::Uuid::new_v4().simple()));
        std::fs::write(&p, json.to_string()).unwrap();
        p
    }
    fn opts(&self, config: &Path) -> SessionOptions {
        SessionOptions {
            config_path: Some(config.to_path_buf()),
            output_dir: Some(
                self.dir
                    .path()
                    .join(format!("run-{}", uuid::Uuid::new_v4().simple())),
            ),
            cache_dir: Some(self.dir.path().join("cache")),
            benchmarks_dir: None,
            seed: Some(1),
            force_rebuild: false,
            progress: false,
            process_start: None,
            resume: None,
            grants: Default::default(),
            update_storage: false,
        }
    }
}

/// Guest→host call cost and instantiation time of a cached guest.
async fn calls(engine: &GuestEngine, guest: &str, n: u64) {
    let s = Scratch::new();
    let path = root().join("build/guests").join(format!("{guest}.wasm"));
    let timed = |calls: u64| {
        let cfg =
            s.config(serde_json::json!({"benchmark": "010.sleep", "experiment": {"calls": calls}}));
        let opts = s.opts(&cfg);
        let path = path.clone();
        async move {
            let t0 = Instant::now();
            let r = run_experiment(engine, &path, &opts).await.unwrap();
            assert!(r.error.is_none(), "{:?}", r.error);
            (
                t0.elapsed().as_secs_f64(),
                r.instantiate_us.unwrap_or(0) as f64,
            )
        }
    };
    timed(0).await; // compile + cache
    let mut inst = Vec::new();
    let mut base = Vec::new();
    for _ in 0..15 {
        let (t, i) = timed(0).await;
        base.push(t);
        inst.push(i);
    }
    let mut full = Vec::new();
    for _ in 0..5 {
        full.push(timed(n).await.0);
    }
    let per_call_ns = (median(full) - median(base)) / n as f64 * 1e9;
    println!(
        "{guest}: instantiate (cached component) median {:.0} µs, p99 {:.0} µs",
        median(inst.clone()),
        p99(inst)
    );
    println!(
        "{guest}: guest→host call (clock.monotonic-now-us) {per_call_ns:.0} ns over {n} calls"
    );
}

/// A no-op HTTP server in a child process (this binary with `noop-server`).
fn spawn_noop_server() -> (std::process::Child, SocketAddr) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["noop-server", &addr.to_string()])
        .spawn()
        .unwrap();
    for _ in 0..200 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return (child, addr);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("noop server did not start");
}

fn noop_server(addr: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(|_req| async {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(
                        http_body_util::Full::new(Bytes::from_static(b"{}")),
                    ))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
}

fn wrk_rate(addr: SocketAddr) -> Option<f64> {
    let out = std::process::Command::new("wrk")
        .args(["-t2", "-c32", "-d5s", &format!("http://{addr}/")])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
}

/// A recorder writing to `path` and a target aimed at `endpoint`, for driver runs
/// without a session.
fn endpoint_run(
    path: &Path,
    endpoint: &Arc<HttpEndpoint>,
    series: &str,
) -> (Arc<Recorder>, Arc<BatchTarget>) {
    let recorder = Recorder::open(
        path,
        Instant::now(),
        u64::MAX,
        indicatif::ProgressBar::hidden(),
    )
    .unwrap();
    let target = BatchTarget {
        trigger: endpoint.clone() as Arc<dyn Trigger>,
        function: endpoint.clone() as Arc<dyn Function>,
        platform: "http-endpoint".into(),
        series: series.into(),
    };
    (Arc::new(recorder), Arc::new(target))
}

/// Closed loop at concurrency 32 against a no-op endpoint, every result recorded.
async fn driver() {
    let (mut server, addr) = spawn_noop_server();
    let wrk = wrk_rate(addr);
    let s = Scratch::new();
    let endpoint = Arc::new(HttpEndpoint::new("noop", addr, "/"));
    let mut rates = Vec::new();
    for _ in 0..3 {
        let path = s
            .dir
            .path()
            .join(format!("r-{}.jsonl", uuid::Uuid::new_v4().simple()));
        let (recorder, target) = endpoint_run(&path, &endpoint, "noop");
        let n = 100_000;
        let t0 = Instant::now();
        let out = run_batch(&recorder, &target, vec![Bytes::from_static(b"{}"); n], 32).await;
        let secs = t0.elapsed().as_secs_f64();
        let recorded: Vec<ExecutionRecord> = read_all(&path).unwrap();
        assert_eq!(recorded.len(), n);
        assert!(out.results.iter().all(|r| r.failure.is_none()));
        rates.push(n as f64 / secs);
    }
    let _ = server.kill();
    let _ = server.wait();
    let ours = median(rates);
    match wrk {
        Some(w) => println!(
            "driver: {ours:.0} invocations/s recorded at concurrency 32 vs wrk {w:.0} req/s (ratio {:.2})",
            ours / w
        ),
        None => println!(
            "driver: {ours:.0} invocations/s recorded at concurrency 32 (wrk not installed)"
        ),
    }
}

/// Open-loop schedule precision: constant-rate schedules against a no-op HTTP endpoint;
/// lateness = actual − intended send time of every request, all of them recorded.
async fn schedule_precision() {
    let (mut server, addr) = spawn_noop_server();
    let s = Scratch::new();
    let endpoint = Arc::new(HttpEndpoint::new("noop", addr, "/"));
    let duration_s = 4u64;
    for rate in [500u64, 2_000, 5_000] {
        let path = s.dir.path().join(format!("schedule-{rate}.jsonl"));
        let (recorder, target) = endpoint_run(&path, &endpoint, &format!("constant-{rate}"));
        let n = rate * duration_s;
        // Start 100 ms from now, so the schedule does not begin behind.
        let offsets: Vec<u64> = (0..n).map(|i| 100_000 + i * 1_000_000 / rate).collect();
        let out = run_schedule(&recorder, &target, offsets, vec![Bytes::from_static(b"{}")]).await;
        let recorded: Vec<ExecutionRecord> = read_all(&path).unwrap();
        assert_eq!(
            recorded.len() as u64,
            n,
            "every scheduled request is recorded"
        );
        let failed = out.results.iter().filter(|r| r.failure.is_some()).count();
        let late: Vec<f64> = recorded
            .iter()
            .map(|r| {
                r.send_time_us
                    .saturating_sub(r.intended_send_time_us.unwrap()) as f64
            })
            .collect();
        let max = late.iter().copied().fold(0.0, f64::max);
        println!(
            "schedule: {rate}/s constant for {duration_s} s ({n} requests, {failed} failed): lateness p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
            median(late.clone()),
            p99(late),
            max
        );
    }
    // The same through a guest: the open-loop script on the `http-endpoint` platform.
    let engine = GuestEngine::new(s.dir.path().join("components")).unwrap();
    for rate in [500u64, 2_000, 5_000] {
        let cfg = s.config(serde_json::json!({
            "benchmark": "010.sleep",
            "platform": "http-endpoint",
            "platforms": {"http-endpoint": {"url": format!("http://{addr}/")}},
            "experiment": {"pattern": "constant", "rate_per_s": rate, "duration_s": duration_s, "payload": {}},
        }));
        let r = run_experiment(
            &engine,
            &root().join("build/guests/open-loop.wasm"),
            &s.opts(&cfg),
        )
        .await
        .unwrap();
        assert!(r.error.is_none(), "{:?}", r.error);
        let out: serde_json::Value =
            serde_json::from_str(r.guest_result.as_deref().unwrap()).unwrap();
        println!(
            "schedule (open-loop guest, platform http-endpoint): {rate}/s: {} fired, {} failed, lateness p50 {} µs, p99 {} µs",
            out["fired"], out["failed"], out["lateness_p50_us"], out["lateness_p99_us"]
        );
    }
    let _ = server.kill();
    let _ = server.wait();
}

/// local-process: cold start, warm latency, no-op throughput, re-run to first invocation.
async fn local_process() {
    let s = Scratch::new();
    let cfg = s.config(serde_json::json!({"benchmark": "010.sleep"}));
    let noop = |n: u32, c: u32, cold: bool| InvokeOptions {
        benchmark: "010.sleep".into(),
        size: InputSize::Test,
        repetitions: n,
        concurrency: c,
        memory_mb: None,
        payload: Some(r#"{"sleep": 0}"#.into()),
        cold,
        language: None,
        payload_vars: Vec::new(),
    };
    let mut init = Vec::new();
    let mut cold_client = Vec::new();
    for _ in 0..20 {
        let r = invoke_benchmark(&noop(1, 1, true), &s.opts(&cfg))
            .await
            .unwrap();
        let rec: Vec<ExecutionRecord> = read_all(&r.run_dir.join("results.jsonl")).unwrap();
        init.push(rec[0].init_time_us.unwrap() as f64);
        cold_client.push(rec[0].client_time_us as f64);
    }
    println!(
        "local-process: cold start (spawn → ready) median {:.1} ms p99 {:.1} ms; cold client time median {:.1} ms",
        median(init.clone()) / 1e3,
        p99(init) / 1e3,
        median(cold_client) / 1e3
    );
    let r = invoke_benchmark(&noop(2000, 1, false), &s.opts(&cfg))
        .await
        .unwrap();
    let rec: Vec<ExecutionRecord> = read_all(&r.run_dir.join("results.jsonl")).unwrap();
    let warm: Vec<f64> = rec
        .iter()
        .filter(|r| !r.cold)
        .map(|r| r.client_time_us as f64)
        .collect();
    println!(
        "local-process: warm no-op client time median {:.0} µs p99 {:.0} µs",
        median(warm.clone()),
        p99(warm)
    );
    let n = 20_000;
    let t0 = Instant::now();
    let r = invoke_benchmark(&noop(n, 32, false), &s.opts(&cfg))
        .await
        .unwrap();
    let secs = t0.elapsed().as_secs_f64();
    let rec: Vec<ExecutionRecord> = read_all(&r.run_dir.join("results.jsonl")).unwrap();
    assert_eq!(rec.len(), n as usize);
    let span_us = rec
        .iter()
        .map(|r| r.send_time_us + r.client_time_us)
        .max()
        .unwrap()
        - rec.iter().map(|r| r.send_time_us).min().unwrap();
    println!(
        "local-process: no-op at concurrency 32: {:.0} invocations/s (first send → last reply), {:.0}/s including deploy",
        n as f64 / (span_us as f64 / 1e6),
        n as f64 / secs
    );
    // An unchanged re-run: time from the start of the command's work to its first send.
    let engine_cfg = s.config(serde_json::json!({
        "benchmark": "110.dynamic-html",
        "experiment": {"repetitions": 1, "concurrent_invocations": 1, "kinds": ["sequential"]}
    }));
    let mut firsts = Vec::new();
    for i in 0..6 {
        let t0 = Instant::now();
        let engine = GuestEngine::new(s.dir.path().join("cache/components")).unwrap();
        let mut opts = s.opts(&engine_cfg);
        opts.process_start = Some(t0);
        let r = run_experiment(&engine, &root().join("build/guests/perf-cost.wasm"), &opts)
            .await
            .unwrap();
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(r.run_dir.join("manifest.json")).unwrap())
                .unwrap();
        if i > 0 {
            firsts.push(m["first_invocation_after_us"].as_f64().unwrap());
        }
    }
    println!(
        "re-run (cached guest and deployment): engine + load + deploy → first invocation median {:.1} ms",
        median(firsts) / 1e3
    );
}

/// Recording 1M results keeps memory flat.
fn recording_memory() {
    let s = Scratch::new();
    let path = s.dir.path().join("r.jsonl");
    let recorder = Recorder::open(
        &path,
        Instant::now(),
        u64::MAX,
        indicatif::ProgressBar::hidden(),
    )
    .unwrap();
    let endpoint = Arc::new(HttpEndpoint::new(
        "none",
        "127.0.0.1:9".parse().unwrap(),
        "/",
    ));
    let target = BatchTarget {
        trigger: endpoint.clone(),
        function: endpoint,
        platform: "bench".into(),
        series: "memory".into(),
    };
    let before = vm_hwm_kib();
    let t0 = Instant::now();
    for i in 0..1_000_000u64 {
        let inv = Invocation {
            request_id: uuid::Uuid::new_v4().to_string(),
            instance_id: "i-1".into(),
            client_time_us: 1000 + i % 977,
            exec_time_us: 900,
            output: r#"{"ok":true}"#.into(),
            ..Default::default()
        };
        recorder.record(
            &target,
            256,
            SendInfo {
                send_time_us: i,
                intended_send_time_us: None,
                request_index: i,
            },
            2,
            inv,
        );
    }
    let secs = t0.elapsed().as_secs_f64();
    let size = std::fs::metadata(&path).unwrap().len();
    println!(
        "recording: 1M results in {secs:.1} s ({:.0}/s), {} MiB on disk; peak RSS {} MiB before, {} MiB after",
        1e6 / secs,
        size >> 20,
        before >> 10,
        vm_hwm_kib() >> 10
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("noop-server") {
        noop_server(&args[2]);
        return;
    }
    let only = std::env::var("FAASLAB_BENCH").unwrap_or_default();
    let want = |name: &str| only.is_empty() || only.split(',').any(|s| s == name);
    if want("memory") {
        recording_memory();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        if want("calls") {
            let engine = GuestEngine::new(root().join("target/test-cache/components")).unwrap();
            calls(&engine, "host-calls", 1_000_000).await;
            calls(&engine, "host-calls-py", 100_000).await;
        }
        if want("driver") {
            driver().await;
        }
        if want("schedule") {
            schedule_precision().await;
        }
        if want("local") {
            local_process().await;
        }
    });
}
