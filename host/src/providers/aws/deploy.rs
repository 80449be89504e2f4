//! Create, update code and update configuration of Lambda functions, each followed by
//! the service's waiter (function active / last update successful). Packages up to the
//! direct-upload limit go inline; larger ones are put into the deployment bucket first
//! and Lambda reads them from there.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_lambda::client::Waiters;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    Architecture as LambdaArch, Environment, FunctionCode, PackageType, Runtime,
};

use super::clients::{Clients, sdk_failure};
use crate::providers::{Architecture, FunctionConfig, ProviderError, ProviderResult};

pub const HANDLER: &str = "faaslab_lambda.handler";
/// The tag carrying the resource id on every function.
pub const OWNER_TAG: &str = "faaslab-resource-id";

/// Where a package's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeSource {
    Inline(Vec<u8>),
    S3 {
        bucket: String,
        key: String,
    },
    /// A container image (PackageType Image) by URI.
    Image(String),
}

/// Everything a deployment needs besides the clients.
pub struct Target<'a> {
    pub name: &'a str,
    pub role_arn: &'a str,
    pub resource_id: &'a str,
    pub wait: Duration,
}

pub fn lambda_arch(arch: Architecture) -> LambdaArch {
    match arch {
        Architecture::X86_64 => LambdaArch::X8664,
        Architecture::Arm64 => LambdaArch::Arm64,
    }
}

pub fn runtime(language: &str, version: &str) -> Runtime {
    Runtime::from(format!("{language}{version}").as_str())
}

/// Inline bytes, or an upload to `bucket` under `<function>/<hash>.zip`.
pub async fn code_source(
    clients: &Clients,
    zip: &Path,
    hash: &str,
    function: &str,
    limit: u64,
    bucket: impl AsyncFnOnce() -> ProviderResult<String>,
) -> ProviderResult<CodeSource> {
    let bytes = std::fs::read(zip)
        .map_err(|e| ProviderError::io(format!("reading {}", zip.display()), e))?;
    if bytes.len() as u64 <= limit {
        return Ok(CodeSource::Inline(bytes));
    }
    let bucket = bucket().await?;
    let key = format!("{function}/{hash}.zip");
    clients
        .s3
        .put_object()
        .bucket(&bucket)
        .key(&key)
        .body(aws_sdk_s3::primitives::ByteStream::from(bytes))
        .send()
        .await
        .map_err(|e| sdk_failure(&format!("S3 PutObject s3://{bucket}/{key}"), e))?;
    tracing::info!(%bucket, %key, "package above the direct-upload limit: uploaded to S3");
    Ok(CodeSource::S3 { bucket, key })
}

/// The code fields CreateFunction (inside `FunctionCode`) and UpdateFunctionCode share:
/// exactly one of the zip bytes, the S3 location or the image URI is set.
#[derive(Default)]
struct CodeFields {
    zip_file: Option<Blob>,
    s3_bucket: Option<String>,
    s3_key: Option<String>,
    image_uri: Option<String>,
}

fn code_fields(source: &CodeSource) -> CodeFields {
    match source {
        CodeSource::Inline(bytes) => CodeFields {
            zip_file: Some(Blob::new(bytes.clone())),
            ..Default::default()
        },
        CodeSource::S3 { bucket, key } => CodeFields {
            s3_bucket: Some(bucket.clone()),
            s3_key: Some(key.clone()),
            ..Default::default()
        },
        CodeSource::Image(uri) => CodeFields {
            image_uri: Some(uri.clone()),
            ..Default::default()
        },
    }
}

fn function_code(source: &CodeSource) -> FunctionCode {
    let f = code_fields(source);
    FunctionCode::builder()
        .set_zip_file(f.zip_file)
        .set_s3_bucket(f.s3_bucket)
        .set_s3_key(f.s3_key)
        .set_image_uri(f.image_uri)
        .build()
}

fn environment(env: &HashMap<String, String>) -> Environment {
    Environment::builder()
        .set_variables(Some(env.clone()))
        .build()
}

pub async fn create(
    clients: &Clients,
    target: &Target<'_>,
    source: &CodeSource,
    config: &FunctionConfig,
    runtime: Option<Runtime>,
    env: &HashMap<String, String>,
) -> ProviderResult<String> {
    // An image brings its runtime and handler (ENTRYPOINT / CMD).
    let image = matches!(source, CodeSource::Image(_));
    let started = Instant::now();
    loop {
        let result = clients
            .lambda
            .create_function()
            .function_name(target.name)
            .package_type(if image {
                PackageType::Image
            } else {
                PackageType::Zip
            })
            .set_runtime(runtime.clone())
            .set_handler((!image).then(|| HANDLER.to_string()))
            .role(target.role_arn)
            .code(function_code(source))
            .memory_size(config.memory_mb as i32)
            .timeout(config.timeout_s as i32)
            .architectures(lambda_arch(config.architecture))
            .environment(environment(env))
            .tags(OWNER_TAG, target.resource_id)
            .description("faaslab benchmark function")
            .send()
            .await;
        match result {
            Ok(created) => {
                wait_active(clients, target).await?;
                return Ok(created.function_arn.unwrap_or_default());
            }
            // A role created a moment ago is not yet assumable by Lambda.
            Err(e)
                if started.elapsed() < Duration::from_secs(90)
                    && e.as_service_error().is_some_and(|s| {
                        s.is_invalid_parameter_value_exception()
                            && s.to_string().contains("cannot be assumed")
                    }) =>
            {
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
            Err(e) => {
                return Err(sdk_failure(
                    &format!("Lambda CreateFunction {}", target.name),
                    e,
                ));
            }
        }
    }
}

pub async fn update_code(
    clients: &Clients,
    target: &Target<'_>,
    source: &CodeSource,
    arch: Architecture,
) -> ProviderResult<()> {
    let f = code_fields(source);
    clients
        .lambda
        .update_function_code()
        .function_name(target.name)
        .architectures(lambda_arch(arch))
        .set_zip_file(f.zip_file)
        .set_s3_bucket(f.s3_bucket)
        .set_s3_key(f.s3_key)
        .set_image_uri(f.image_uri)
        .send()
        .await
        .map_err(|e| sdk_failure(&format!("Lambda UpdateFunctionCode {}", target.name), e))?;
    wait_updated(clients, target).await
}

pub async fn update_configuration(
    clients: &Clients,
    target: &Target<'_>,
    config: &FunctionConfig,
    runtime: Option<Runtime>,
    env: &HashMap<String, String>,
) -> ProviderResult<()> {
    clients
        .lambda
        .update_function_configuration()
        .function_name(target.name)
        .memory_size(config.memory_mb as i32)
        .timeout(config.timeout_s as i32)
        .set_runtime(runtime)
        .environment(environment(env))
        .send()
        .await
        .map_err(|e| {
            sdk_failure(
                &format!("Lambda UpdateFunctionConfiguration {}", target.name),
                e,
            )
        })?;
    wait_updated(clients, target).await
}

async fn wait_active(clients: &Clients, target: &Target<'_>) -> ProviderResult<()> {
    clients
        .lambda
        .wait_until_function_active_v2()
        .function_name(target.name)
        .wait(target.wait)
        .await
        .map_err(|e| {
            ProviderError::Timeout(format!(
                "function {} did not become active: {e}",
                target.name
            ))
        })?;
    Ok(())
}

/// Wait until the last update is live (LastUpdateStatus Successful).
pub async fn wait_updated(clients: &Clients, target: &Target<'_>) -> ProviderResult<()> {
    clients
        .lambda
        .wait_until_function_updated_v2()
        .function_name(target.name)
        .wait(target.wait)
        .await
        .map_err(|e| {
            ProviderError::Timeout(format!(
                "update of function {} did not finish: {e}",
                target.name
            ))
        })?;
    Ok(())
}
