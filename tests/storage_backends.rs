//! The storage backends against real storage: a local directory and a real
//! S3-compatible server (moto) on loopback.

mod common;

use bytes::Bytes;
use common::moto::{self, Moto};
use faaslab::storage::{
    BackendKind, BucketKind, ObjectInfo, Storage, StorageConfig, StorageError, input_prefix,
    output_prefix,
};

/// create, upload, download, list, clean, remove, remove bucket — the same on every backend.
async fn round_trip(storage: &Storage) {
    let bucket = storage.bucket(BucketKind::Benchmarks);
    assert!(bucket.starts_with("faaslab-benchmarks-"), "{bucket}");
    assert!(!storage.bucket_exists(&bucket).await.unwrap());
    storage.create_run_buckets().await.unwrap();
    storage.create_bucket(&bucket).await.unwrap(); // idempotent
    assert!(storage.bucket_exists(&bucket).await.unwrap());

    let input = input_prefix("311.compression", 0);
    let output = output_prefix("311.compression", 0);
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    storage
        .upload(
            &bucket,
            &format!("{input}/a.txt"),
            Bytes::from_static(b"hello"),
        )
        .await
        .unwrap();
    storage
        .upload(
            &bucket,
            &format!("{input}/sub/big.bin"),
            Bytes::from(big.clone()),
        )
        .await
        .unwrap();
    storage
        .upload(
            &bucket,
            &format!("{output}/r.json"),
            Bytes::from_static(b"{}"),
        )
        .await
        .unwrap();

    let got = storage
        .download(&bucket, &format!("{input}/sub/big.bin"))
        .await
        .unwrap();
    assert_eq!(got.as_ref(), big.as_slice());
    assert_eq!(
        storage
            .size(&bucket, &format!("{input}/a.txt"))
            .await
            .unwrap(),
        Some(5)
    );
    assert_eq!(storage.size(&bucket, "nope/x").await.unwrap(), None);
    assert!(matches!(
        storage.download(&bucket, "nope/x").await,
        Err(StorageError::NotFound(_))
    ));

    let listed = storage.list(&bucket, &input).await.unwrap();
    assert_eq!(
        listed,
        vec![
            ObjectInfo {
                key: format!("{input}/a.txt"),
                size: 5
            },
            ObjectInfo {
                key: format!("{input}/sub/big.bin"),
                size: big.len() as u64
            },
        ]
    );
    assert_eq!(storage.list(&bucket, "").await.unwrap().len(), 3);
    // Prefixes are whole segments: "…-0-in" is not a prefix of "…-0-input/a.txt".
    assert!(
        storage
            .list(&bucket, "311.compression-0-in")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        storage.upload(&bucket, "../escape", Bytes::new()).await,
        Err(StorageError::Invalid(_))
    ));

    storage
        .remove(&bucket, &format!("{input}/a.txt"))
        .await
        .unwrap();
    storage
        .remove(&bucket, &format!("{input}/a.txt"))
        .await
        .unwrap(); // absent: fine
    assert_eq!(storage.list(&bucket, &input).await.unwrap().len(), 1);
    assert_eq!(storage.clean(&bucket, &input).await.unwrap(), 1);
    assert_eq!(
        storage.list(&bucket, "").await.unwrap().len(),
        1,
        "output stays"
    );

    for kind in BucketKind::ALL {
        storage.remove_bucket(&storage.bucket(kind)).await.unwrap();
        assert!(!storage.bucket_exists(&storage.bucket(kind)).await.unwrap());
    }
    assert!(matches!(
        storage.upload(&bucket, "k", Bytes::new()).await,
        Err(StorageError::NotFound(_) | StorageError::Backend(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_backend_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(&StorageConfig::default(), "t1", dir.path()).unwrap();
    assert_eq!(storage.kind(), BackendKind::Local);
    round_trip(&storage).await;
    // The default root is below the cache.
    assert!(dir.path().join("storage").is_dir());
}

fn s3_config(moto: &Moto, dir: &std::path::Path) -> StorageConfig {
    serde_json::from_value(serde_json::json!({
        "backend": "s3",
        "s3": {
            "endpoint": moto.endpoint,
            "region": "us-east-1",
            "credentials_file": Moto::credentials_file(dir),
        }
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_backend_round_trip_against_a_real_server() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(&s3_config(&moto, dir.path()), "t2", dir.path()).unwrap();
    assert_eq!(storage.kind(), BackendKind::S3);
    round_trip(&storage).await;

    // Another region needs a location constraint when creating buckets.
    let mut config = s3_config(&moto, dir.path());
    config.s3.region = "eu-west-1".into();
    let eu = Storage::open(&config, "t3", dir.path()).unwrap();
    eu.create_run_buckets().await.unwrap();
    let b = eu.bucket(BucketKind::Experiments);
    eu.upload(&b, "x/y", Bytes::from_static(b"1"))
        .await
        .unwrap();
    assert_eq!(eu.download(&b, "x/y").await.unwrap().as_ref(), b"1");
    eu.remove_bucket(&b).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_credentials_are_required_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let mut config: StorageConfig =
        serde_json::from_value(serde_json::json!({"backend": "s3"})).unwrap();
    config.s3.credentials_file = Some(dir.path().join("missing.json"));
    let e = Storage::open(&config, "t", dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("storage.s3.credentials_file") && e.contains("missing.json"),
        "{e}"
    );

    // A malformed file: the error names the file and field, not the content.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"access_key_id": "id", "secret_access_key": 42}"#).unwrap();
    config.s3.credentials_file = Some(bad);
    let e = Storage::open(&config, "t", dir.path())
        .unwrap_err()
        .to_string();
    assert!(e.contains("secret_access_key") && !e.contains("42"), "{e}");

    let moto = Moto::start();
    let storage = Storage::open(&s3_config(&moto, dir.path()), "t", dir.path()).unwrap();
    assert!(!format!("{storage:?}").contains(moto::SECRET_ACCESS_KEY));
    let env = storage.function_env();
    assert!(
        env.iter()
            .any(|(k, v)| k == "AWS_SECRET_ACCESS_KEY" && v == moto::SECRET_ACCESS_KEY)
    );
    assert!(
        env.iter()
            .any(|(k, v)| k == "FAASLAB_STORAGE_ENDPOINT" && v == &moto.endpoint)
    );
}

/// moto does not check signatures, so the function-side S3 client's SigV4 is checked
/// against botocore's (installed with moto in the project venv).
#[test]
fn function_side_s3_signatures_match_botocore() {
    let root = common::repo_root();
    let python = root.join(".toolchain/venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run `bash scripts/install-toolchain.sh`",
        python.display()
    );
    let out = std::process::Command::new(python)
        .arg(root.join("tests/reference/storage_sigv4.py"))
        .arg(root.join("host/src/storage/faaslab_storage.py"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
