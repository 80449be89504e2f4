//! The Node.js runtime of the local platforms, with real `node` processes and real
//! containers: every Node benchmark passes the regression (cold then warm, validated)
//! on local-process and local-docker and its validator rejects a wrong output; the UDP
//! benchmarks against the host's real endpoints; handler exceptions, timeouts and
//! memory exhaustion recorded as failures like Python's; S3 storage from a Node
//! function against moto, chosen with `benchmark invoke --language nodejs`.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::moto::{self, Moto};
use common::{Sandbox, records, repo_root};
use faaslab::benchmarks::regression::{
    RegressionOptions, RegressionRow, Verdict, payload_file, render, run_regression,
};
use faaslab::benchmarks::{Catalog, default_benchmarks_dir};
use faaslab::config::InputSize;
use faaslab::measure::ExecutionRecord;
use faaslab::netprobe::{ProbeLimits, ReplyMode, UdpEndpoint};
use faaslab::run::{InvokeOptions, invoke_benchmark};
use faaslab::storage::{BucketKind, Storage, StorageConfig};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The benchmarks with a Node.js implementation, and where to corrupt each one's output
/// (a JSON pointer: numbers grow by 1, strings get a character, lists lose an element).
const NODE_BENCHMARKS: &[(&str, &str)] = &[
    ("010.sleep", "/slept_s"),
    ("020.network-benchmark", "/rtts_us"),
    ("030.clock-synchronization", "/samples"),
    ("040.server-reply", "/replies/0"),
    ("110.dynamic-html", "/rows"),
    ("120.uploader", "/sha256"),
    ("220.video-processing", "/video/frames"),
    ("311.compression", "/files"),
    ("504.dna-visualisation", "/sha256"),
];

fn shared_cache() -> PathBuf {
    repo_root().join("target/test-cache/nodejs")
}

fn corrupt(benchmark: &str, output: &str) -> String {
    let (_, pointer) = NODE_BENCHMARKS
        .iter()
        .find(|(b, _)| *b == benchmark)
        .unwrap();
    common::corrupt_at(benchmark, output, pointer)
}

/// The validator accepts `output` and rejects its corrupted copy.
async fn assert_validator_judges(benchmark: &str, payload: &str, output: &str) {
    let catalog = Catalog::open(default_benchmarks_dir()).unwrap();
    let bench = catalog.get(benchmark).unwrap();
    let ok = catalog
        .validate(&bench, payload, output, "python3")
        .await
        .unwrap();
    assert!(ok.valid, "{benchmark}: {} ({output})", ok.reason);
    let wrong = corrupt(benchmark, output);
    let v = catalog
        .validate(&bench, payload, &wrong, "python3")
        .await
        .unwrap();
    assert!(!v.valid, "{benchmark}: the validator accepted {wrong}");
    assert!(!v.reason.is_empty() && v.reason != "ok", "{benchmark}");
}

/// Cold then warm, the instance's own report agreeing, each with a breakdown.
fn assert_cold_then_warm(what: &str, records: &[ExecutionRecord]) {
    assert_eq!(records.len(), 2, "{what}");
    assert!(records[0].cold && !records[1].cold, "{what}");
    for r in records {
        assert_eq!(r.reported_cold, Some(r.cold), "{what}");
        assert!(r.failure.is_none(), "{what}: {:?}", r.failure);
        assert!(r.breakdown.is_some(), "{what}: no breakdown");
    }
    assert_eq!(records[0].instance_id, records[1].instance_id, "{what}");
}

async fn regression_on(platform: &str) {
    let dir = tempfile::tempdir().unwrap();
    let opts = RegressionOptions {
        size: InputSize::Test,
        platforms: vec![platform.to_string()],
        benchmarks: NODE_BENCHMARKS.iter().map(|(b, _)| b.to_string()).collect(),
        config_path: None,
        output_dir: dir.path().join("runs"),
        cache_dir: Some(shared_cache()),
        benchmarks_dir: None,
        container_services_ip: None,
    };
    let rows = run_regression(&opts).await.unwrap();
    let table = render(&rows);
    println!("{table}");
    for (id, _) in NODE_BENCHMARKS {
        for language in ["python", "nodejs"] {
            let row: &RegressionRow = rows
                .iter()
                .find(|r| r.benchmark == *id && r.language == language)
                .unwrap_or_else(|| panic!("{id} {language} missing from\n{table}"));
            match &row.verdict {
                Verdict::Passed => {}
                v => panic!("{id} {language} on {platform}: {v:?}\n{table}"),
            }
            if language != "nodejs" {
                continue;
            }
            let label = format!("{id}-{language}-{platform}");
            let recs = records(row.run_dir.as_ref().unwrap());
            assert_cold_then_warm(&label, &recs);
            let payload = std::fs::read_to_string(payload_file(&opts.output_dir, &label)).unwrap();
            assert_validator_judges(id, &payload, &recs[0].output).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_benchmarks_pass_the_regression_on_local_process() {
    regression_on("local-process").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_benchmarks_pass_the_regression_on_local_docker() {
    regression_on("local-docker").await;
}

fn invoke_options(benchmark: &str, repetitions: u32, payload: Option<String>) -> InvokeOptions {
    InvokeOptions {
        benchmark: benchmark.into(),
        size: InputSize::Test,
        repetitions,
        concurrency: 1,
        memory_mb: None,
        payload,
        cold: true,
        language: Some("nodejs".into()),
        payload_vars: Vec::new(),
    }
}

/// 020 and 030 in Node against the host's UDP endpoints (echo, timestamp), cold then
/// warm, validated, and a corrupted output rejected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_benchmarks_run_against_the_host_endpoints() {
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let sandbox = Sandbox::new();
    let config = sandbox.write_config(
        "c.json",
        &json!({"benchmark": "020.network-benchmark", "platform": "local-process",
                "resource_id": "node-udp"}),
    );
    for (benchmark, mode) in [
        ("020.network-benchmark", ReplyMode::Echo),
        ("030.clock-synchronization", ReplyMode::Timestamp),
    ] {
        let endpoint = UdpEndpoint::start(loopback, mode, ProbeLimits::default(), Instant::now())
            .await
            .unwrap();
        let payload = json!({
            "server": endpoint.local_addr().to_string(),
            "repetitions": 10,
            "packet_size": 64,
            "timeout_ms": 1000,
        })
        .to_string();
        let report = invoke_benchmark(
            &invoke_options(benchmark, 2, Some(payload.clone())),
            &sandbox.options(&config, benchmark),
        )
        .await
        .unwrap();
        let recs = records(&report.run_dir);
        assert_cold_then_warm(benchmark, &recs);
        let out: Value = serde_json::from_str(&recs[0].output).unwrap();
        let answered = match mode {
            ReplyMode::Echo => out["rtts_us"].as_array().unwrap().len(),
            _ => out["samples"].as_array().unwrap().len(),
        };
        assert_eq!(answered, 10, "{benchmark}: {out}");
        assert_eq!(endpoint.stats().received, 20, "{benchmark}");
        assert_validator_judges(benchmark, &payload, &recs[0].output).await;
    }
}

/// A catalog with one Node benchmark whose handler fails on demand.
fn faults_catalog(root: &Path) -> PathBuf {
    let dst = root.join("benchmarks");
    let src = repo_root().join("benchmarks");
    std::fs::create_dir_all(dst.join("_tools")).unwrap();
    for f in std::fs::read_dir(src.join("_tools")).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "py") {
            std::fs::copy(&f, dst.join("_tools").join(f.file_name().unwrap())).unwrap();
        }
    }
    let b = dst.join("013.node-faults");
    std::fs::create_dir_all(b.join("nodejs")).unwrap();
    std::fs::write(
        b.join("config.json"),
        r#"{"description": "fails on demand", "timeout_s": 2, "memory_mb": 128, "languages": ["nodejs"]}"#,
    )
    .unwrap();
    std::fs::write(
        b.join("input.py"),
        "def generate_input(size, seed):\n    return {\"mode\": \"ok\"}\n\n\
         def validate_output(payload, output):\n    return output == {\"ok\": True}, \"ok\"\n",
    )
    .unwrap();
    std::fs::write(
        b.join("nodejs/function.js"),
        r#"exports.handler = async (event) => {
  if (event.mode === "throw") throw new TypeError("the handler failed on purpose");
  if (event.mode === "hang") for (;;) {}
  if (event.mode === "allocate") {
    const kept = [];
    for (let i = 0; i < 64; i++) kept.push(Buffer.alloc(16 << 20, 1));
    return { kept: kept.length };
  }
  return { ok: true };
};
"#,
    )
    .unwrap();
    dst
}

async fn invoke_faults(
    sandbox: &Sandbox,
    platform: &str,
    mode: &str,
    run: &str,
) -> Vec<ExecutionRecord> {
    let config = sandbox.write_config(
        &format!("{run}.json"),
        &json!({"benchmark": "013.node-faults", "platform": platform, "resource_id": "node-faults",
                "function": {"timeout_s": 2, "memory_mb": 128}}),
    );
    let mut session = sandbox.options(&config, run);
    session.benchmarks_dir = Some(faults_catalog(sandbox.path()));
    let payload = json!({ "mode": mode }).to_string();
    let report = invoke_benchmark(
        &invoke_options("013.node-faults", 1, Some(payload)),
        &session,
    )
    .await
    .unwrap();
    records(&report.run_dir)
}

async fn faults_are_failures_on(platform: &str) {
    let sandbox = Sandbox::new();
    let thrown = invoke_faults(&sandbox, platform, "throw", "throw").await;
    assert_eq!(
        thrown[0].failure.as_deref(),
        Some("TypeError: the handler failed on purpose"),
        "{platform}"
    );
    assert!(thrown[0].cold && thrown[0].output.is_empty(), "{platform}");

    let hung = invoke_faults(&sandbox, platform, "hang", "hang").await;
    let failure = hung[0].failure.as_deref().unwrap_or_default();
    assert!(failure.starts_with("timeout: "), "{platform}: {failure}");
    assert!(hung[0].client_time_us >= 2_000_000, "{platform}");

    let greedy = invoke_faults(&sandbox, platform, "allocate", "allocate").await;
    assert!(
        greedy[0].failure.is_some(),
        "{platform}: 1 GiB allocated within 128 MB: {:?}",
        greedy[0].output
    );

    let fine = invoke_faults(&sandbox, platform, "ok", "ok").await;
    assert_eq!(fine[0].failure, None, "{platform}");
    assert_eq!(fine[0].output, r#"{"ok":true}"#, "{platform}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_exceptions_timeouts_and_memory_exhaustion_are_failures_on_local_process() {
    faults_are_failures_on("local-process").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_exceptions_timeouts_and_memory_exhaustion_are_failures_on_local_docker() {
    faults_are_failures_on("local-docker").await;
}

/// 311.compression in Node on S3 (moto), through `benchmark invoke --language nodejs`:
/// the function lists, downloads and uploads with its own SigV4 client; the archive
/// it describes is in the bucket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_function_reads_and_writes_s3_storage() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let s3 =
        json!({"endpoint": moto.endpoint, "credentials_file": Moto::credentials_file(dir.path())});
    let storage_config = json!({"backend": "s3", "s3": s3});
    let config = json!({"benchmark": "311.compression", "platform": "local-process",
                        "resource_id": "node-s3", "storage": storage_config});
    std::fs::write(dir.path().join("c.json"), config.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_faaslab"))
        .args([
            "benchmark",
            "invoke",
            "311.compression",
            "test",
            "--language",
            "nodejs",
        ])
        .args(["--config", "c.json", "-o", "run"])
        .arg("--cache-dir")
        .arg(dir.path().join("cache"))
        .current_dir(dir.path())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("output valid"),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    let recs = records(&dir.path().join("run"));
    assert!(recs[0].function.contains("nodejs"), "{}", recs[0].function);
    let out: Value = serde_json::from_str(&recs[0].output).unwrap();
    let sc: StorageConfig = serde_json::from_value(storage_config).unwrap();
    let storage = Storage::open(&sc, "node-s3", &dir.path().join("cache")).unwrap();
    let bucket = storage.bucket(BucketKind::Benchmarks);
    let archive = storage
        .download(&bucket, out["output_key"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(archive.len() as u64, out["archive_bytes"].as_u64().unwrap());
    assert_eq!(hex::encode(Sha256::digest(&archive)), out["archive_sha256"]);
    assert_eq!(out["files"], 3);
    // The credential reached the function through its environment only.
    for f in common::files_below(&dir.path().join("run")) {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        assert!(
            !text.contains(moto::SECRET_ACCESS_KEY),
            "credential in {}",
            f.display()
        );
    }
}

/// A missing Node.js binary is one clear failure naming the setting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_node_binary_names_the_setting() {
    let sandbox = Sandbox::new();
    let config = sandbox.write_config(
        "c.json",
        &json!({"benchmark": "010.sleep", "platform": "local-process", "resource_id": "node-missing",
                "platforms": {"local-process": {"node": "no-such-node-xyz"}}}),
    );
    let report = invoke_benchmark(
        &invoke_options("010.sleep", 1, Some("{\"sleep\": 0}".into())),
        &sandbox.options(&config, "run"),
    )
    .await
    .unwrap();
    let recs = records(&report.run_dir);
    let failure = recs[0].failure.as_deref().unwrap_or_default();
    assert!(
        failure.contains("platforms.local-process.node"),
        "{failure}"
    );
}
