//! The `storage` capability: a guest gets exactly what the run grants; anything else
//! is `denied`. Run on the local backend, on a real S3-compatible server (moto) and on
//! a real GCS emulator (fake-gcs-server).

mod common;

use common::fake_gcs::{self, FakeGcs};
use common::moto::{self, Moto};
use common::*;
use faaslab::run::run_experiment;
use faaslab::storage::{BucketKind, Storage, StorageConfig};
use serde_json::{Value, json};

fn probe_config(sb: &Sandbox, storage: Value) -> std::path::PathBuf {
    let mut storage = storage;
    storage["grants"] =
        json!([{"bucket": "experiments", "prefix": "probe", "access": "read-write"}]);
    storage["max_object_kib"] = json!(4);
    sb.write_config(
        "c.json",
        &json!({"benchmark": "110.dynamic-html", "resource_id": "probe", "storage": storage}),
    )
}

/// Runs the storage-probe guest; returns what it reported and the run directory.
async fn probe(sb: &Sandbox, cfg: &std::path::Path) -> (Value, std::path::PathBuf) {
    let report = run_experiment(&engine(), &guest("storage-probe"), &sb.options(cfg, "run"))
        .await
        .unwrap();
    assert!(report.error.is_none(), "{:?}", report.error);
    let result: Value = serde_json::from_str(report.guest_result.as_deref().unwrap()).unwrap();
    (result, report.run_dir)
}

fn check_verdicts(r: &Value) {
    assert_eq!(r["granted_upload"], "ok", "{r:#}");
    assert_eq!(r["read_back"], "ok", "{r:#}");
    assert_eq!(r["listed"], "probe/hello.txt:18", "{r:#}");
    for denied in ["other_bucket", "other_prefix", "unknown_bucket"] {
        let v = r[denied].as_str().unwrap();
        assert!(v.starts_with("denied: "), "{denied}: {v}");
    }
    assert!(
        r["escape"].as_str().unwrap().starts_with("invalid: "),
        "{r:#}"
    );
    let too_big = r["too_big"].as_str().unwrap();
    assert!(
        too_big.starts_with("invalid: ") && too_big.contains("max_object_kib"),
        "{too_big}"
    );
    assert_eq!(r["grants"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_gets_granted_storage_and_denied_everything_else_local() {
    let sb = Sandbox::new();
    let root = sb.path().join("objects");
    let cfg = probe_config(&sb, json!({"local": {"path": root}}));
    let (result, _) = probe(&sb, &cfg).await;
    check_verdicts(&result);
    let stored = root.join("faaslab-experiments-probe/probe/hello.txt");
    assert_eq!(std::fs::read(stored).unwrap(), b"hello from a guest");
    assert!(!root.join("faaslab-benchmarks-probe/probe/x").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_gets_granted_storage_and_denied_everything_else_s3() {
    let moto = Moto::start();
    let sb = Sandbox::new();
    let creds = Moto::credentials_file(sb.path());
    let s3 = json!({"endpoint": moto.endpoint, "credentials_file": creds});
    let cfg = probe_config(&sb, json!({"backend": "s3", "s3": s3}));
    let (result, run_dir) = probe(&sb, &cfg).await;
    check_verdicts(&result);

    // The object is really in the server, in the run's experiments bucket.
    let config: StorageConfig = serde_json::from_value(json!({"backend": "s3", "s3": s3})).unwrap();
    let storage = Storage::open(&config, "probe", sb.path()).unwrap();
    let bucket = storage.bucket(BucketKind::Experiments);
    let got = storage.download(&bucket, "probe/hello.txt").await.unwrap();
    assert_eq!(got.as_ref(), b"hello from a guest");

    // No credential anywhere in what the run wrote.
    for entry in common::files_below(&run_dir) {
        let text = String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned();
        assert!(
            !text.contains(moto::SECRET_ACCESS_KEY) && !text.contains(moto::ACCESS_KEY_ID),
            "credential in {}",
            entry.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_gets_granted_storage_and_denied_everything_else_gcs() {
    let gcs = FakeGcs::start();
    let sb = Sandbox::new();
    let token = FakeGcs::access_token_file(sb.path());
    let section = json!({"endpoint": gcs.endpoint, "emulator": true, "access_token_file": token});
    let cfg = probe_config(&sb, json!({"backend": "gcs", "gcs": section}));
    let (result, run_dir) = probe(&sb, &cfg).await;
    check_verdicts(&result);

    let config: StorageConfig =
        serde_json::from_value(json!({"backend": "gcs", "gcs": section})).unwrap();
    let storage = Storage::open(&config, "probe", sb.path()).unwrap();
    let bucket = storage.bucket(BucketKind::Experiments);
    let got = storage.download(&bucket, "probe/hello.txt").await.unwrap();
    assert_eq!(got.as_ref(), b"hello from a guest");
    assert!(
        storage
            .list(&storage.bucket(BucketKind::Benchmarks), "probe")
            .await
            .map(|l| l.is_empty())
            .unwrap_or(true),
        "a denied write reached the benchmarks bucket"
    );

    for entry in common::files_below(&run_dir) {
        let text = String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned();
        assert!(
            !text.contains(fake_gcs::ACCESS_TOKEN),
            "credential in {}",
            entry.display()
        );
    }
}
