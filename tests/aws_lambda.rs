//! The `aws` provider against moto's server mode (a local emulator of the AWS APIs,
//! started on loopback by the test): every provider call, then its effect read back
//! through the emulator's own API. moto runs function code in Docker, in the Lambda-like
//! runtime image built from the local-docker base (`aws::emulator`). docs/aws.md says
//! what only a real account can verify; with `FAASLAB_AWS_REAL=1` the lifecycle test
//! runs against the real account of the usual AWS credentials instead.

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

/// Where the lifecycle runs: moto on loopback (the default), or the AWS account of
/// the usual credentials when `FAASLAB_AWS_REAL=1` (region from `AWS_REGION`,
/// default us-east-1).
enum Backend {
    Moto(Moto),
    Real { region: String },
}

impl Backend {
    async fn start() -> Backend {
        if std::env::var("FAASLAB_AWS_REAL").is_ok_and(|v| v == "1") {
            let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into());
            return Backend::Real { region };
        }
        // SAFETY: set before any thread of this test reads the environment; every test
        // of this binary sets the same values.
        unsafe {
            std::env::set_var("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID);
            std::env::set_var("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY);
            std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
            std::env::remove_var("AWS_PROFILE");
        }
        let image = emulator_image().await;
        Backend::Moto(Moto::start_with_env(&[
            ("MOTO_DOCKER_LAMBDA_IMAGE", image.as_str()),
            ("MOTO_LAMBDA_STUB_ECR", "TRUE"),
            // AWS managed policies (AWSLambdaBasicExecutionRole) exist as in AWS.
            ("MOTO_IAM_LOAD_MANAGED_POLICIES", "true"),
        ]))
    }

    fn is_real(&self) -> bool {
        matches!(self, Backend::Real { .. })
    }

    fn config(&self) -> AwsConfig {
        match self {
            Backend::Moto(moto) => AwsConfig {
                endpoint_url: Some(moto.endpoint.clone()),
                wait_timeout_s: 60,
                logs_wait_s: 20,
                ..Default::default()
            },
            Backend::Real { region } => AwsConfig {
                region: region.clone(),
                // CloudWatch Logs shows REPORT lines seconds to minutes late.
                logs_wait_s: 180,
                ..Default::default()
            },
        }
    }
}

/// GetFunction as the emulator (or the account) answers it.
async fn lambda_function(
    c: &aws::Clients,
    name: &str,
) -> aws_sdk_lambda::operation::get_function::GetFunctionOutput {
    c.lambda
        .get_function()
        .function_name(name)
        .send()
        .await
        .unwrap()
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
    let backend = Backend::start().await;
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(benchmarks_copy(dir.path())).unwrap();
    let cache = Cache::open(dir.path().join("cache")).unwrap();
    let resource_id = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let resources = Resources {
        resource_id: resource_id.clone(),
        reuse_deployments: true,
    };
    let config = backend.config();
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
    assert!(name.ends_with(&format!("-x86-{}", config.region)), "{name}");
    let got = lambda_function(&c, &name).await;
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
    assert_eq!(inv.failure, None, "{inv:?}");
    assert_eq!(json(&inv.output)["slept_s"], serde_json::json!(0.05));
    assert_eq!(inv.reported_cold, Some(true));
    assert!(inv.exec_time_us >= 50_000, "{inv:?}");
    assert!(inv.provider_time_us >= inv.exec_time_us, "{inv:?}");
    assert!(inv.client_time_us >= inv.provider_time_us, "{inv:?}");
    assert!(inv.init_time_us.is_some_and(|t| t > 0), "{inv:?}");
    assert!(inv.memory_peak_kib.is_some_and(|m| m > 1024), "{inv:?}");
    let mut invoked = vec![inv];

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
    invoked.push(inv.clone());
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
    invoked.push(inv.clone());
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
    invoked.push(inv.clone());
    assert_eq!(inv.reported_cold, Some(true));

    // download_metrics: the REPORT lines of the four invocations, read back from
    // CloudWatch Logs (FilterLogEvents) and matched to faaslab's ids through Lambda's.
    let ids: Vec<String> = invoked.iter().map(|i| i.request_id.clone()).collect();
    let t1 = now_us();
    let found = provider
        .download_metrics(&d3.function, t0, t1, &ids)
        .await
        .unwrap();
    assert_eq!(found.len(), ids.len(), "{found:?}");
    let mut blank: Vec<Invocation> = ids
        .iter()
        .map(|id| Invocation {
            request_id: id.clone(),
            ..Default::default()
        })
        .collect();
    assert_eq!(metrics::merge_into(&mut blank, &found), ids.len());
    for (merged, inv) in blank.iter().zip(&invoked) {
        // The very REPORT line the invocation's log tail carried.
        assert_eq!(merged.provider_time_us, inv.provider_time_us, "{merged:?}");
        assert_eq!(merged.init_time_us, inv.init_time_us, "{merged:?}");
        assert_eq!(merged.memory_peak_kib, inv.memory_peak_kib, "{merged:?}");
        assert!(
            merged.cold,
            "an init duration marks a new sandbox: {merged:?}"
        );
        let m = found
            .iter()
            .find(|m| m.request_id == inv.request_id)
            .unwrap();
        let billed = m.billed_time_us.unwrap();
        assert!(
            billed >= inv.provider_time_us && billed < inv.provider_time_us + 1000,
            "billed to the next millisecond: {m:?}"
        );
    }
    let aws_function = provider.function(&name).unwrap();
    let reports = provider
        .download_reports(&aws_function, t0, t1, &ids)
        .await
        .unwrap();
    let (first, third) = (&reports["req-1"], &reports["req-3"]);
    assert_eq!((first.memory_size_mb, third.memory_size_mb), (256, 512));
    let bill = provider.billing(third, Architecture::X86_64);
    let expected = third.billed_duration_us as f64 / 1e6 * 0.5;
    assert!((bill.gb_seconds - expected).abs() < 1e-12, "{bill:?}");
    assert!(bill.cost_usd > config.prices.x86_64.per_request, "{bill:?}");

    // The HTTP trigger: a Function URL with public invoke permission. moto creates the
    // URL but does not serve it (requests with its host reach moto's S3): only a real
    // account answers (docs/aws.md).
    let http = provider
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
    assert!(
        url.function_url
            .contains(&format!(".lambda-url.{}.on.aws", config.region)),
        "{}",
        url.function_url
    );
    if backend.is_real() {
        let inv = invoke(&http, "req-url", r#"{"sleep": 0}"#).await;
        assert_eq!(inv.failure, None, "{inv:?}");
        assert_eq!(json(&inv.output)["slept_s"], serde_json::json!(0.0));
    }
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
    assert!(
        arm_name.ends_with(&format!("-arm-{}", config.region)),
        "{arm_name}"
    );
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
    let got = lambda_function(&c, &arm_name).await;
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

/// `e_machine` of every ELF shared object below `dir` (relative path → machine).
fn shared_object_machines(dir: &Path) -> Vec<(String, u16)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().unwrap().to_string_lossy().contains(".so") {
                let bytes = std::fs::read(&path).unwrap();
                if bytes.len() > 20 && bytes.starts_with(b"\x7fELF") {
                    let rel = path.strip_prefix(dir).unwrap().display().to_string();
                    out.push((rel, u16::from_le_bytes([bytes[18], bytes[19]])));
                }
            }
        }
    }
    out
}

/// ELF machine numbers (System V ABI).
const EM_X86_64: u16 = 62;
const EM_AARCH64: u16 = 183;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packages_carry_wheels_of_the_function_architecture() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(repo_root().join("benchmarks")).unwrap();
    let cache = Cache::open(dir.path().join("cache")).unwrap();
    let provider = AwsProvider::new(&AwsConfig::default(), &LocalDockerConfig::default())
        .await
        .unwrap();
    // 501.graph-pagerank needs igraph, a compiled extension.
    let bench = catalog.get("501.graph-pagerank").unwrap();
    let mut hashes = Vec::new();
    for (arch, machine) in [
        (Architecture::Arm64, EM_AARCH64),
        (Architecture::X86_64, EM_X86_64),
    ] {
        let config = FunctionConfig {
            architecture: arch,
            ..FunctionConfig::default()
        };
        let package = provider
            .package_code(&bench, &config, &cache, false)
            .await
            .unwrap_or_else(|e| panic!("{arch:?}: {e}"));
        let machines = shared_object_machines(&package.location.join("deps"));
        assert!(
            machines.iter().any(|(p, _)| p.starts_with("igraph/")),
            "{arch:?}: igraph's extension is in the package: {machines:?}"
        );
        let wrong: Vec<_> = machines.iter().filter(|(_, m)| *m != machine).collect();
        assert!(
            wrong.is_empty(),
            "{arch:?}: foreign shared objects {wrong:?}"
        );
        // The zip Lambda receives holds them too.
        let zip = std::fs::File::open(package.location.with_extension("zip")).unwrap();
        let archive = zip::ZipArchive::new(zip).unwrap();
        assert!(
            archive
                .file_names()
                .any(|n| n.unwrap().starts_with("deps/igraph/_igraph"))
        );
        hashes.push(package.hash);
    }
    assert_ne!(hashes[0], hashes[1], "the architecture is part of the hash");
}

/// A real image registry (Debian's `docker-registry`, the CNCF distribution server)
/// on a free loopback port, with its storage in a temp dir; killed when dropped.
struct Registry {
    child: std::process::Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Registry {
    fn start() -> Registry {
        let bin = Path::new("/usr/bin/docker-registry");
        assert!(
            bin.is_file(),
            "{} is missing: run `bash scripts/install-toolchain.sh` (apt package docker-registry)",
            bin.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let address = format!("127.0.0.1:{port}");
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {address}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let child = std::process::Command::new(bin)
            .arg("serve")
            .arg(&config)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let t0 = std::time::Instant::now();
        while std::net::TcpStream::connect(&address).is_err() {
            assert!(
                t0.elapsed() < std::time::Duration::from_secs(30),
                "docker-registry did not listen on {address}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Registry {
            child,
            address,
            _dir: dir,
        }
    }

    /// The manifest of `repository:tag`, if the registry holds it.
    async fn manifest(&self, repository: &str, tag: &str) -> Option<String> {
        let response = reqwest::Client::new()
            .get(format!(
                "http://{}/v2/{repository}/manifests/{tag}",
                self.address
            ))
            .header(
                "Accept",
                "application/vnd.docker.distribution.manifest.v2+json",
            )
            .send()
            .await
            .unwrap();
        if !response.status().is_success() {
            return None;
        }
        Some(response.text().await.unwrap())
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn container_deployment_through_a_registry() {
    let backend = Backend::start().await;
    // Against moto, images go to a real registry on loopback (moto's repository URIs
    // name AWS hosts); against a real account, to the ECR repository itself.
    let registry = (!backend.is_real()).then(Registry::start);
    let config = AwsConfig {
        deployment: aws::DeploymentKind::Container,
        registry: registry.as_ref().map(|r| r.address.clone()),
        ..backend.config()
    };
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(benchmarks_copy(dir.path())).unwrap();
    let cache = Cache::open(dir.path().join("cache")).unwrap();
    let resource_id = format!("c{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let resources = Resources {
        resource_id: resource_id.clone(),
        reuse_deployments: true,
    };
    let provider = AwsProvider::new(&config, &LocalDockerConfig::default())
        .await
        .unwrap();
    provider.initialize(&resources).await.unwrap();
    let c = provider.clients().clone();
    let bench = catalog.get("010.sleep").unwrap();
    let fconfig = FunctionConfig::default();

    // Create: the image is built, pushed, and the function deployed from it.
    let d = get_function(&provider, &cache, &resources, &bench, &fconfig, false)
        .await
        .unwrap();
    assert_eq!(d.action, DeployAction::Created);
    let name = d.function.name().to_string();
    let repository = aws::naming::repository(&resource_id);
    let repos = c
        .ecr
        .describe_repositories()
        .repository_names(&repository)
        .send()
        .await
        .unwrap();
    let repository_uri = repos.repositories()[0]
        .repository_uri()
        .unwrap()
        .to_string();
    let got = lambda_function(&c, &name).await;
    let conf = got.configuration.unwrap();
    assert_eq!(
        conf.package_type.as_ref().map(|p| p.as_str()),
        Some("Image")
    );
    assert_eq!(conf.handler, None, "an image brings its own handler");
    let code = got.code.unwrap();
    assert_eq!(code.repository_type.as_deref(), Some("ECR"));
    let image_uri = code.image_uri.unwrap();
    let tag = format!("{name}-{}", &d.code_hash[..16]);
    let pushed_to = match &registry {
        Some(r) => format!("{}/{repository}", r.address),
        None => repository_uri.clone(),
    };
    assert_eq!(image_uri, format!("{pushed_to}:{tag}"));
    if let Some(r) = &registry {
        let manifest = r.manifest(&repository, &tag).await;
        assert!(
            manifest.is_some_and(|m| m.contains("\"layers\"")),
            "the registry holds the image"
        );
    }

    // The image is a Lambda runtime: run as Lambda runs it (ENTRYPOINT + CMD, the
    // Runtime API's address in AWS_LAMBDA_RUNTIME_API) against a Runtime API served
    // here, it fetches an event, calls the handler and posts the reply.
    let reply = run_image_once(
        &image_uri,
        r#"{"faaslab_request_id": "img-0", "event": {"sleep": 0}}"#,
    )
    .await;
    assert_eq!(reply["request_id"], "img-0", "{reply}");
    assert_eq!(reply["aws_request_id"], "rapid-1", "{reply}");
    assert_eq!(
        reply["output"]["slept_s"],
        serde_json::json!(0.0),
        "{reply}"
    );

    // Update code: a new image under a new tag.
    let code_file = bench.code_dir("python").join("function.py");
    let text = std::fs::read_to_string(&code_file).unwrap();
    std::fs::write(&code_file, format!("{text}\n# version 2\n")).unwrap();
    let d2 = get_function(&provider, &cache, &resources, &bench, &fconfig, false)
        .await
        .unwrap();
    assert_eq!(d2.action, DeployAction::CodeUpdated);
    let tag2 = format!("{name}-{}", &d2.code_hash[..16]);
    assert_ne!(tag, tag2);
    let got = lambda_function(&c, &name).await;
    assert_eq!(
        got.code.unwrap().image_uri.as_deref(),
        Some(format!("{pushed_to}:{tag2}").as_str())
    );
    if let Some(r) = &registry {
        assert!(r.manifest(&repository, &tag2).await.is_some());
    }

    // Only Lambda itself runs images (moto 5.2.5 cannot invoke PackageType Image).
    if backend.is_real() {
        let trigger = provider
            .create_trigger(&d2.function, TriggerKind::Library)
            .await
            .unwrap();
        let inv = invoke(&trigger, "img-1", r#"{"sleep": 0}"#).await;
        assert_eq!(inv.failure, None, "{inv:?}");
        assert_eq!(json(&inv.output)["slept_s"], serde_json::json!(0.0));
    }

    // arm64 images cannot be built on this machine's base: one clear error.
    let arm = FunctionConfig {
        architecture: Architecture::Arm64,
        ..FunctionConfig::default()
    };
    let refused = get_function(&provider, &cache, &resources, &bench, &arm, false).await;
    if std::env::consts::ARCH == "x86_64" {
        let e = refused.err().expect("refused").to_string();
        assert!(e.contains("function.architecture"), "{e}");
    }

    // Cleanup removes the repository with the function.
    let report = provider.cleanup().await.unwrap();
    assert_eq!(report.repository.as_deref(), Some(repository.as_str()));
    assert_eq!(report.local_images, 2, "both tags built here are removed");
    assert!(report.functions.contains(&name));
    assert!(
        c.ecr
            .describe_repositories()
            .repository_names(&repository)
            .send()
            .await
            .is_err()
    );
}

/// Serve one event of the Lambda Runtime API on a free loopback port to a container of
/// `image` (host network), and return the body it posts as the reply.
async fn run_image_once(image: &str, event: &str) -> serde_json::Value {
    use bollard::models::{ContainerCreateBody, HostConfig};
    use std::io::{BufRead, BufReader, Read, Write};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let event = event.to_string();
    let server = std::thread::spawn(move || {
        // GET /runtime/invocation/next, then POST /runtime/invocation/<id>/response.
        for _ in 0..2 {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let mut stream = stream;
            if request_line.starts_with("GET /2018-06-01/runtime/invocation/next") {
                write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: rapid-1\r\n\
                     Lambda-Runtime-Deadline-Ms: 99999999999999\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{event}",
                    event.len()
                )
                .unwrap();
            } else {
                assert!(
                    request_line
                        .starts_with("POST /2018-06-01/runtime/invocation/rapid-1/response"),
                    "{request_line}"
                );
                write!(
                    stream,
                    "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
                .unwrap();
                return body;
            }
        }
        unreachable!()
    });
    let docker = docker::connect().await.unwrap();
    let id = docker
        .create_container(
            None::<bollard::query_parameters::CreateContainerOptions>,
            ContainerCreateBody {
                image: Some(image.to_string()),
                env: Some(vec![format!("AWS_LAMBDA_RUNTIME_API=127.0.0.1:{port}")]),
                host_config: Some(HostConfig {
                    network_mode: Some("host".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
    docker
        .start_container(
            &id,
            None::<bollard::query_parameters::StartContainerOptions>,
        )
        .await
        .unwrap();
    let t0 = std::time::Instant::now();
    while !server.is_finished() && t0.elapsed() < std::time::Duration::from_secs(60) {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = docker
        .remove_container(
            &id,
            Some(bollard::query_parameters::RemoveContainerOptions {
                force: true,
                ..Default::default()
            }),
        )
        .await;
    assert!(
        server.is_finished(),
        "the image did not post a reply within 60 s"
    );
    let body = server.join().unwrap();
    serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)))
}
