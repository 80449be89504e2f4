//! The `aws` provider against moto's server mode (a local emulator of the AWS APIs,
//! started on loopback by the test): every provider call, then its effect read back
//! through the emulator's own API. moto runs function code in Docker, in the Lambda-like
//! runtime image built from the local-docker base (`aws::emulator`). docs/aws.md says
//! what only a real account can verify.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use common::moto::{ACCESS_KEY_ID, Moto, SECRET_ACCESS_KEY};
use common::repo_root;
use faaslab::benchmarks::Catalog;
use faaslab::cache::Cache;
use faaslab::config::LocalDockerConfig;
use faaslab::docker::{self, images};
use faaslab::providers::aws::{self, AwsConfig, AwsProvider, metrics, reports_in};
use faaslab::providers::{
    Architecture, DeployAction, FunctionConfig, Invocation, InvocationRequest, Provider, Resources,
    TriggerKind, get_function,
};

fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64
}

#[test]
fn report_lines_from_recorded_logs_merge_by_request_id() {
    let text =
        std::fs::read_to_string(repo_root().join("tests/reference/aws-report-lines.log")).unwrap();
    let reports = reports_in(&text);
    // Four REPORT lines; the application line mentioning REPORT is not one.
    assert_eq!(reports.len(), 4, "{reports:?}");
    let cold = &reports[0];
    assert_eq!(cold.request_id, "8f5f8a34-1c3e-4d44-9d1b-0b1c7a0d6f21");
    assert_eq!(cold.duration_us, 103_270);
    assert_eq!(cold.billed_duration_us, 104_000);
    assert_eq!(cold.memory_size_mb, 256);
    assert_eq!(cold.max_memory_used_mb, 48);
    assert_eq!(cold.init_duration_us, Some(231_840));
    assert_eq!(reports[1].init_duration_us, None);
    assert_eq!(
        reports[2].billed_duration_us, 3000,
        "XRAY fields are skipped"
    );
    let timeout = &reports[3];
    assert_eq!(timeout.status.as_deref(), Some("timeout"));
    assert_eq!(timeout.duration_us, 3_000_000);
    assert_eq!(timeout.init_duration_us, Some(412_060));

    // Billing: 104 ms at 256 MB = 0.026 GB-s on x86_64; 3 s at 128 MB = 0.375 GB-s.
    let prices = aws::PriceTable::default();
    let b = cold.billing(prices.of(Architecture::X86_64));
    assert!((b.gb_seconds - 0.104 * 0.25).abs() < 1e-12, "{b:?}");
    let expected = 0.026 * prices.x86_64.gb_second + prices.x86_64.per_request;
    assert!((b.cost_usd - expected).abs() < 1e-15, "{b:?}");
    let t = timeout.billing(prices.of(Architecture::Arm64));
    assert!((t.gb_seconds - 0.375).abs() < 1e-12);
    assert!(t.cost_usd < b.cost_usd * 20.0 && t.cost_usd > b.cost_usd);

    // Merge by request id: faaslab's ids map to Lambda's; an unmatched one stays as is.
    let ours = ["run-1", "run-2", "run-4", "run-unmatched"];
    let lambda_ids = [0, 1, 3];
    let metrics: Vec<_> = lambda_ids
        .iter()
        .zip(ours)
        .map(|(&i, id)| reports[i].metrics(id))
        .collect();
    let mut invocations: Vec<Invocation> = ours
        .iter()
        .map(|id| Invocation {
            request_id: id.to_string(),
            provider_time_us: 7,
            ..Default::default()
        })
        .collect();
    assert_eq!(metrics::merge_into(&mut invocations, &metrics), 3);
    assert_eq!(invocations[0].provider_time_us, 103_270);
    assert!(invocations[0].cold);
    assert_eq!(invocations[0].init_time_us, Some(231_840));
    assert_eq!(invocations[0].memory_peak_kib, Some(48 * 1024));
    assert_eq!(invocations[1].provider_time_us, 1_860);
    assert!(!invocations[1].cold);
    assert_eq!(invocations[2].provider_time_us, 3_000_000);
    assert_eq!(invocations[3].provider_time_us, 7);
    assert_eq!(invocations[3].memory_peak_kib, None);
}

/// A copy of the benchmark catalog whose 010.sleep can be edited (code updates).
fn benchmarks_copy(dir: &Path) -> PathBuf {
    let dst = dir.join("benchmarks");
    copy_dir(&repo_root().join("benchmarks"), &dst);
    dst
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

/// The Lambda-like image for moto (built from the local-docker base when missing).
async fn emulator_image() -> String {
    let docker = docker::connect().await.expect("a Docker engine");
    let set = images::ImageSet::from_config(&LocalDockerConfig::default()).unwrap();
    images::require(&docker, &set, true)
        .await
        .expect("run `bash scripts/docker-images.sh` first (local-docker images)");
    aws::emulator::ensure_images(&docker, &set).await.unwrap()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn set_test_credentials() {
    // SAFETY: set before any thread of this test reads the environment; every test
    // of this binary sets the same values.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID);
        std::env::set_var("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY);
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::remove_var("AWS_PROFILE");
    }
}

async fn invoke(
    trigger: &Arc<dyn faaslab::providers::Trigger>,
    id: &str,
    body: &str,
) -> Invocation {
    trigger
        .invoke(InvocationRequest {
            request_id: id.into(),
            payload: Bytes::from(body.to_string()),
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_lifecycle_against_moto() {
    set_test_credentials();
    let image = emulator_image().await;
    let moto = Moto::start_with_env(&[
        ("MOTO_DOCKER_LAMBDA_IMAGE", image.as_str()),
        ("MOTO_LAMBDA_STUB_ECR", "TRUE"),
        // AWS managed policies (AWSLambdaBasicExecutionRole) exist as in AWS.
        ("MOTO_IAM_LOAD_MANAGED_POLICIES", "true"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(benchmarks_copy(dir.path())).unwrap();
    let cache = Cache::open(dir.path().join("cache")).unwrap();
    let resource_id = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let resources = Resources {
        resource_id: resource_id.clone(),
        reuse_deployments: true,
    };
    let config = AwsConfig {
        endpoint_url: Some(moto.endpoint.clone()),
        wait_timeout_s: 60,
        logs_wait_s: 20,
        ..Default::default()
    };
    let provider = AwsProvider::new(&config, &LocalDockerConfig::default())
        .await
        .unwrap();
    provider.initialize(&resources).await.unwrap();
    let c = provider.clients().clone();

    // The execution role was created and trusts Lambda.
    let role = c
        .iam
        .get_role()
        .role_name(aws::naming::role_name(&resource_id))
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(role.arn, provider.role_arn().unwrap());
    assert!(
        role.assume_role_policy_document
            .unwrap_or_default()
            .contains("lambda.amazonaws.com")
    );

    // Create.
    let bench = catalog.get("010.sleep").unwrap();
    let mut fconfig = FunctionConfig::default();
    let d = get_function(&provider, &cache, &resources, &bench, &fconfig, false)
        .await
        .unwrap();
    assert_eq!(d.action, DeployAction::Created);
    let name = d.function.name().to_string();
    assert!(name.ends_with("-x86-us-east-1"), "{name}");
    let got = c
        .lambda
        .get_function()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    let conf = got.configuration.unwrap();
    assert_eq!(conf.state.as_ref().map(|s| s.as_str()), Some("Active"));
    assert_eq!(conf.memory_size, Some(256));
    assert_eq!(conf.timeout, Some(30));
    assert_eq!(conf.handler.as_deref(), Some("faaslab_lambda.handler"));
    assert_eq!(
        conf.runtime.as_ref().map(|r| r.as_str()),
        Some("python3.12")
    );
    assert_eq!(
        conf.architectures().first().map(|a| a.as_str()),
        Some("x86_64")
    );
    assert_eq!(
        got.tags.unwrap_or_default().get("faaslab-resource-id"),
        Some(&resource_id)
    );
    let first_sha = conf.code_sha256.unwrap();
    // A small package goes inline: nothing was put into the deployment bucket.
    assert!(
        c.s3.head_bucket()
            .bucket(provider.code_bucket().unwrap())
            .send()
            .await
            .is_err()
    );

    // Invoke through the SDK: moto runs the package in the emulator image.
    let trigger = provider
        .create_trigger(&d.function, TriggerKind::Library)
        .await
        .unwrap();
    let t0 = now_us();
    let inv = invoke(&trigger, "req-1", r#"{"sleep": 0.05}"#).await;
    let t1 = now_us();
    assert_eq!(inv.failure, None, "{inv:?}");
    assert_eq!(json(&inv.output)["slept_s"], serde_json::json!(0.05));
    assert_eq!(inv.reported_cold, Some(true));
    assert!(inv.exec_time_us >= 50_000, "{inv:?}");
    assert!(inv.provider_time_us >= inv.exec_time_us, "{inv:?}");
    assert!(inv.client_time_us >= inv.provider_time_us, "{inv:?}");
    assert!(inv.init_time_us.is_some_and(|t| t > 0), "{inv:?}");
    assert!(inv.memory_peak_kib.is_some_and(|m| m > 1024), "{inv:?}");

    // download_metrics (CloudWatch Logs FilterLogEvents) cannot be checked here: moto
    // 5.2.5 answers with timestamps the SDK rejects ("invalid number"); docs/aws.md.
    let _ = (t0, t1);

    // Update code: an edited handler is deployed (new hash), and runs.
    let code = bench.code_dir("python").join("function.py");
    let text = std::fs::read_to_string(&code).unwrap();
    std::fs::write(
        &code,
        format!(
            "{text}\n\n_first = handler\n\n\ndef handler(event):\n    \
             out = _first(event)\n    out[\"version\"] = 2\n    return out\n"
        ),
    )
    .unwrap();
    let d2 = get_function(&provider, &cache, &resources, &bench, &fconfig, false)
        .await
        .unwrap();
    assert_eq!(d2.action, DeployAction::CodeUpdated);
    let conf = c
        .lambda
        .get_function_configuration()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    assert_ne!(conf.code_sha256.as_deref(), Some(first_sha.as_str()));
    assert_eq!(
        conf.last_update_status.as_ref().map(|s| s.as_str()),
        Some("Successful")
    );
    let inv = invoke(&trigger, "req-2", r#"{"sleep": 0}"#).await;
    assert_eq!(inv.failure, None, "{inv:?}");
    let out = json(&inv.output);
    assert_eq!(
        (&out["slept_s"], &out["version"]),
        (&serde_json::json!(0.0), &serde_json::json!(2)),
        "{out}"
    );

    // Update configuration: more memory, seen by the emulator's API and the function.
    fconfig.memory_mb = 512;
    fconfig.timeout_s = 20;
    let d3 = get_function(&provider, &cache, &resources, &bench, &fconfig, false)
        .await
        .unwrap();
    assert_eq!(d3.action, DeployAction::ConfigUpdated);
    let conf = c
        .lambda
        .get_function_configuration()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(conf.memory_size, Some(512));
    assert_eq!(conf.timeout, Some(20));
    let inv = invoke(&trigger, "req-3", r#"{"sleep": 0}"#).await;
    assert_eq!(inv.failure, None, "{inv:?}");
    // Unchanged: reused, nothing sent.
    let d4 = get_function(&provider, &cache, &resources, &bench, &fconfig, false)
        .await
        .unwrap();
    assert_eq!(d4.action, DeployAction::Reused);

    // Enforce a cold start: a new FAASLAB_COLD_START value, live when it returns.
    let before = conf
        .environment
        .and_then(|e| e.variables)
        .unwrap_or_default()
        .get(aws::COLD_START_VARIABLE)
        .cloned();
    provider
        .enforce_cold_start(std::slice::from_ref(&d3.function))
        .await
        .unwrap();
    let conf = c
        .lambda
        .get_function_configuration()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    let after = conf
        .environment
        .and_then(|e| e.variables)
        .unwrap_or_default()
        .get(aws::COLD_START_VARIABLE)
        .cloned();
    assert!(after.is_some() && after != before, "{before:?} → {after:?}");
    assert_eq!(
        conf.last_update_status.as_ref().map(|s| s.as_str()),
        Some("Successful")
    );
    assert_eq!(conf.memory_size, Some(512), "the configuration is kept");
    let inv = invoke(&trigger, "req-4", r#"{"sleep": 0}"#).await;
    assert_eq!(inv.failure, None, "{inv:?}");
    assert_eq!(inv.reported_cold, Some(true));

    // The HTTP trigger: a Function URL with public invoke permission.
    let _http = provider
        .create_trigger(&d3.function, TriggerKind::Http)
        .await
        .unwrap();
    let url = c
        .lambda
        .get_function_url_config()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(url.auth_type.as_str(), "NONE");
    let policy = c
        .lambda
        .get_policy()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    assert!(
        policy
            .policy
            .unwrap_or_default()
            .contains("lambda:InvokeFunctionUrl"),
        "public invoke permission"
    );

    // Large package path: above the direct-upload limit the zip goes through the
    // deployment bucket (arm64 this time: another function).
    let small_limit = AwsConfig {
        direct_upload_limit: 64,
        ..config.clone()
    };
    let large = AwsProvider::new(&small_limit, &LocalDockerConfig::default())
        .await
        .unwrap();
    large.initialize(&resources).await.unwrap();
    let arm = FunctionConfig {
        architecture: Architecture::Arm64,
        ..FunctionConfig::default()
    };
    let d5 = get_function(&large, &cache, &resources, &bench, &arm, false)
        .await
        .unwrap();
    assert_eq!(d5.action, DeployAction::Created);
    let arm_name = d5.function.name().to_string();
    assert!(arm_name.ends_with("-arm-us-east-1"), "{arm_name}");
    let bucket = large.code_bucket().unwrap();
    let key = format!("{arm_name}/{}.zip", d5.code_hash);
    let head =
        c.s3.head_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
            .unwrap();
    assert!(head.content_length.unwrap_or(0) > 64);
    let got = c
        .lambda
        .get_function()
        .function_name(&arm_name)
        .send()
        .await
        .unwrap();
    let code = got.code.unwrap();
    assert_eq!(code.repository_type.as_deref(), Some("S3"));
    assert!(code.location.unwrap_or_default().ends_with(&key));
    assert_eq!(
        got.configuration
            .unwrap()
            .architectures()
            .first()
            .map(|a| a.as_str()),
        Some("arm64")
    );
    let arm_trigger = large
        .create_trigger(&d5.function, TriggerKind::Library)
        .await
        .unwrap();
    let inv = invoke(&arm_trigger, "req-5", r#"{"sleep": 0}"#).await;
    assert_eq!(inv.failure, None, "{inv:?}");

    // Cleanup: everything the resource id owns is gone.
    let report = provider.cleanup().await.unwrap();
    let mut deleted = report.functions.clone();
    deleted.sort();
    let mut expected = vec![name.clone(), arm_name.clone()];
    expected.sort();
    assert_eq!(deleted, expected);
    assert_eq!(report.bucket.as_deref(), Some(bucket.as_str()));
    assert!(report.objects >= 1);
    let left: Vec<String> = c
        .lambda
        .list_functions()
        .send()
        .await
        .unwrap()
        .functions()
        .iter()
        .filter_map(|f| f.function_name().map(str::to_string))
        .filter(|n| n.starts_with(&aws::naming::function_prefix(&resource_id)))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert!(c.s3.head_bucket().bucket(&bucket).send().await.is_err());
    assert!(
        c.iam
            .get_role()
            .role_name(aws::naming::role_name(&resource_id))
            .send()
            .await
            .is_err()
    );
    let groups = c
        .logs
        .describe_log_groups()
        .log_group_name_prefix(aws::naming::log_group(&name))
        .send()
        .await
        .unwrap();
    assert!(groups.log_groups().is_empty());
}
