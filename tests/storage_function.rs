//! Function-side storage on local-process and local-docker (S3 on moto, GCS on
//! fake-gcs-server), through the real binary: 311.compression's
//! generator uploads its inputs (skipped when present, unless --update-storage), the
//! function reads them from storage and writes its archive back.

mod common;

use std::path::Path;
use std::process::Command;

use common::fake_gcs::{self, FakeGcs};
use common::moto::{self, Moto};
use faaslab::storage::{BucketKind, Storage, StorageConfig};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const BENCH: &str = "311.compression";

fn invoke(dir: &Path, run: &str, extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_faaslab"))
        .args([
            "benchmark",
            "invoke",
            BENCH,
            "test",
            "--config",
            "c.json",
            "-o",
            run,
        ])
        .args(extra)
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success() && stdout.contains("output valid"),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    stderr
}

fn output_of(run_dir: &Path) -> Value {
    let text = std::fs::read_to_string(run_dir.join("results.jsonl")).unwrap();
    let record: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert!(record["failure"].is_null(), "{record}");
    serde_json::from_str(record["output"].as_str().unwrap()).unwrap()
}

async fn run_compression(storage_config: Value, secret: Option<&str>) {
    run_compression_on("local-process", storage_config, secret).await;
}

async fn run_compression_on(platform: &str, storage_config: Value, secret: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let config = json!({"benchmark": BENCH, "platform": platform, "resource_id": "fn-test", "storage": storage_config});
    std::fs::write(dir.path().join("c.json"), config.to_string()).unwrap();

    let stderr = invoke(dir.path(), "run1", &[]);
    assert!(
        stderr.contains("inputs of 311.compression: 3 uploaded, 0 already present"),
        "{stderr}"
    );
    let stderr = invoke(dir.path(), "run2", &[]);
    assert!(stderr.contains("0 uploaded, 3 already present"), "{stderr}");
    let stderr = invoke(dir.path(), "run3", &["--update-storage"]);
    assert!(stderr.contains("3 uploaded, 0 already present"), "{stderr}");

    // The archive the function wrote is in storage, as it described it.
    let out = output_of(&dir.path().join("run3"));
    assert_eq!(out["output_key"], "311.compression-0-output/test.zip");
    assert_eq!(out["files"], 3);
    let sc: StorageConfig = serde_json::from_value(storage_config).unwrap();
    let storage = Storage::open(&sc, "fn-test", &dir.path().join("cache")).unwrap();
    let bucket = storage.bucket(BucketKind::Benchmarks);
    let inputs = storage
        .list(&bucket, "311.compression-0-input")
        .await
        .unwrap();
    assert_eq!(inputs.len(), 3, "{inputs:?}");
    let archive = storage
        .download(&bucket, "311.compression-0-output/test.zip")
        .await
        .unwrap();
    assert_eq!(archive.len() as u64, out["archive_bytes"].as_u64().unwrap());
    assert_eq!(hex::encode(Sha256::digest(&archive)), out["archive_sha256"]);
    assert_eq!(&archive[..2], b"PK");

    if let Some(secret) = secret {
        for run in ["run1", "run2", "run3"] {
            for f in common::files_below(&dir.path().join(run)) {
                let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
                assert!(!text.contains(secret), "credential in {}", f.display());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_function_reads_and_writes_s3_storage() {
    let moto = Moto::start();
    let creds_dir = tempfile::tempdir().unwrap();
    let s3 = json!({"endpoint": moto.endpoint, "credentials_file": Moto::credentials_file(creds_dir.path())});
    run_compression(
        json!({"backend": "s3", "s3": s3}),
        Some(moto::SECRET_ACCESS_KEY),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_function_reads_and_writes_the_local_backend() {
    let root = tempfile::tempdir().unwrap();
    run_compression(json!({"local": {"path": root.path()}}), None).await;
    let archive = root
        .path()
        .join("faaslab-benchmarks-fn-test/311.compression-0-output/test.zip");
    assert!(archive.is_file());
}

/// local-docker containers reach an S3 server on the host: the loopback endpoint of
/// the config is given to them as the host gateway (moto listens on all addresses).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_function_reads_and_writes_s3_storage() {
    let moto = Moto::start_bound("0.0.0.0");
    let creds_dir = tempfile::tempdir().unwrap();
    let s3 = json!({"endpoint": moto.endpoint, "credentials_file": Moto::credentials_file(creds_dir.path())});
    run_compression_on(
        "local-docker",
        json!({"backend": "s3", "s3": s3}),
        Some(moto::SECRET_ACCESS_KEY),
    )
    .await;
}

fn gcs_storage(gcs: &FakeGcs, token_dir: &Path) -> Value {
    json!({"backend": "gcs", "gcs": {
        "endpoint": gcs.endpoint,
        "emulator": true,
        "access_token_file": FakeGcs::access_token_file(token_dir),
    }})
}

/// The function reads its inputs from and writes its archive to GCS (the emulator)
/// through faaslab_storage.py's JSON-API client, with the run's access token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_function_reads_and_writes_gcs_storage() {
    let gcs = FakeGcs::start();
    let token_dir = tempfile::tempdir().unwrap();
    run_compression(
        gcs_storage(&gcs, token_dir.path()),
        Some(fake_gcs::ACCESS_TOKEN),
    )
    .await;
}

/// The same from containers: the loopback endpoint is given to them as the host
/// gateway (the emulator listens on all addresses).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_function_reads_and_writes_gcs_storage() {
    let gcs = FakeGcs::start_bound("0.0.0.0");
    let token_dir = tempfile::tempdir().unwrap();
    run_compression_on(
        "local-docker",
        gcs_storage(&gcs, token_dir.path()),
        Some(fake_gcs::ACCESS_TOKEN),
    )
    .await;
}
