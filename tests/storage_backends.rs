//! The storage backends against real storage: a local directory, a real
//! S3-compatible server (moto) and a real GCS emulator (fake-gcs-server) on loopback.

mod common;

use bytes::Bytes;
use common::fake_gcs::{self, FakeGcs};
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
        .arg(root.join("host/src/storage/faaslab_storage_s3.py"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A JSON-API document straight from the emulator (not through faaslab).
async fn json_get(url: &str) -> serde_json::Value {
    let text = reqwest::Client::new()
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"))
}

fn gcs_config(gcs: &FakeGcs, extra: serde_json::Value) -> StorageConfig {
    let mut section = serde_json::json!({"endpoint": gcs.endpoint, "emulator": true});
    section
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    serde_json::from_value(serde_json::json!({"backend": "gcs", "gcs": section})).unwrap()
}

/// object_store's GCS client (XML API) and faaslab's bucket requests (JSON API) against
/// fake-gcs-server, anonymously as an emulator allows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gcs_backend_round_trip_against_an_emulator() {
    let gcs = FakeGcs::start();
    let dir = tempfile::tempdir().unwrap();
    let storage =
        Storage::open(&gcs_config(&gcs, serde_json::json!({})), "t4", dir.path()).unwrap();
    assert_eq!(storage.kind(), BackendKind::Gcs);
    round_trip(&storage).await;

    // Buckets faaslab created are really there for other clients too (JSON API).
    let other = Storage::open(&gcs_config(&gcs, serde_json::json!({})), "t5", dir.path()).unwrap();
    other.create_run_buckets().await.unwrap();
    let listed = json_get(&format!("{}/storage/v1/b", gcs.endpoint)).await;
    let mut names: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "faaslab-benchmarks-t5",
            "faaslab-deployment-t5",
            "faaslab-experiments-t5"
        ]
    );
    // A large object (object_store may split it) and a key needing escapes.
    let b = other.bucket(BucketKind::Experiments);
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 241) as u8).collect();
    other
        .upload(&b, "runs/a b+c.bin", Bytes::from(big.clone()))
        .await
        .unwrap();
    assert_eq!(
        other.download(&b, "runs/a b+c.bin").await.unwrap().as_ref(),
        big.as_slice()
    );
    assert_eq!(
        other.list(&b, "runs").await.unwrap(),
        vec![ObjectInfo {
            key: "runs/a b+c.bin".into(),
            size: big.len() as u64
        }]
    );
    other.remove_bucket(&b).await.unwrap();
    assert!(!other.bucket_exists(&b).await.unwrap());
}

/// A service-account key names the project new buckets belong to; object_store reads
/// the key (`disable_oauth`: an emulator's, no token exchange).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gcs_service_account_key_against_an_emulator() {
    let gcs = FakeGcs::start();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.json");
    std::fs::write(
        &key,
        serde_json::json!({
            "type": "service_account",
            "project_id": "faaslab-key-project",
            "private_key_id": "1",
            "private_key": "not used: disable_oauth",
            "client_email": "runner@faaslab-key-project.iam.gserviceaccount.com",
            "disable_oauth": true
        })
        .to_string(),
    )
    .unwrap();
    let storage = Storage::open(
        &gcs_config(&gcs, serde_json::json!({"credentials_file": key})),
        "t6",
        dir.path(),
    )
    .unwrap();
    let b = storage.bucket(BucketKind::Benchmarks);
    storage.create_bucket(&b).await.unwrap();
    storage
        .upload(&b, "x/1.txt", Bytes::from_static(b"one"))
        .await
        .unwrap();
    assert_eq!(storage.list(&b, "x").await.unwrap().len(), 1);
    let bucket = json_get(&format!("{}/storage/v1/b/{b}", gcs.endpoint)).await;
    assert_eq!(bucket["name"], b.as_str());
    // Functions get no key (they could not use it) and no token.
    let env = storage.function_env();
    assert!(
        env.iter().all(|(k, _)| k != "FAASLAB_GCS_ACCESS_TOKEN"),
        "{env:?}"
    );
    storage.remove_bucket(&b).await.unwrap();
    assert!(!storage.bucket_exists(&b).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gcs_credentials_are_checked_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let open = |gcs: serde_json::Value| {
        let config: StorageConfig =
            serde_json::from_value(serde_json::json!({"backend": "gcs", "gcs": gcs})).unwrap();
        Storage::open(&config, "t", dir.path())
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    let e = open(serde_json::json!({"access_token_file": dir.path().join("missing.json")}));
    assert!(
        e.contains("storage.gcs.access_token_file") && e.contains("missing.json"),
        "{e}"
    );
    // A malformed file: the error names the file and field, not the content.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"access_token": 12345678}"#).unwrap();
    let e = open(serde_json::json!({"access_token_file": bad}));
    assert!(e.contains("access_token") && !e.contains("12345678"), "{e}");
    let bad_key = dir.path().join("bad-key.json");
    std::fs::write(&bad_key, r#"{"private_key": "-----BEGIN secret-7f3a"}"#).unwrap();
    let e = open(serde_json::json!({"credentials_file": bad_key}));
    assert!(
        e.contains("storage.gcs.credentials_file") && !e.contains("secret-7f3a"),
        "{e}"
    );
    let e = open(serde_json::json!({"emulator": true}));
    assert!(e.contains("storage.gcs.endpoint"), "{e}");
    let e = open(serde_json::json!({"endpoint": "127.0.0.1:4443", "emulator": true}));
    assert!(e.contains("must start with http://"), "{e}");
    if std::env::var_os("GOOGLE_OAUTH_ACCESS_TOKEN").is_none()
        && std::env::var_os("GOOGLE_APPLICATION_CREDENTIALS").is_none()
    {
        let e = open(serde_json::json!({}));
        assert!(e.contains("GOOGLE_OAUTH_ACCESS_TOKEN"), "{e}");
    }

    // The token reaches functions (their way to the storage) and nothing else.
    let gcs = FakeGcs::start();
    let token_file = FakeGcs::access_token_file(dir.path());
    let storage = Storage::open(
        &gcs_config(&gcs, serde_json::json!({"access_token_file": token_file})),
        "t7",
        dir.path(),
    )
    .unwrap();
    assert!(!format!("{storage:?}").contains(fake_gcs::ACCESS_TOKEN));
    let env = storage.function_env();
    assert!(
        env.iter()
            .any(|(k, v)| k == "FAASLAB_GCS_ACCESS_TOKEN" && v == fake_gcs::ACCESS_TOKEN)
    );
    assert!(
        env.iter()
            .any(|(k, v)| k == "FAASLAB_STORAGE_ENDPOINT" && v == &gcs.endpoint)
    );
    // With the token the backend works as anonymously (the emulator checks none).
    let b = storage.bucket(BucketKind::Benchmarks);
    storage.create_bucket(&b).await.unwrap();
    storage
        .upload(&b, "k/v", Bytes::from_static(b"v"))
        .await
        .unwrap();
    assert_eq!(storage.download(&b, "k/v").await.unwrap().as_ref(), b"v");
}
