//! The SDK clients of one provider, all from one `SdkConfig`: credentials from the
//! usual AWS sources (environment, shared config/credentials files and profiles,
//! credential processes, web identity, ECS and EC2 instance metadata), the configured
//! region, and an endpoint override for emulators (`platforms.aws.endpoint_url` or
//! `AWS_ENDPOINT_URL`). Credentials stay inside the SDK: never logged (the SDK redacts
//! them in Debug output), never recorded, never passed to functions or guests.

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::ProvideCredentials;

use super::config::AwsConfig;
use super::emulator_logs::WholeMillis;
use crate::providers::{ProviderError, ProviderResult};

#[derive(Clone)]
pub struct Clients {
    pub lambda: aws_sdk_lambda::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub iam: aws_sdk_iam::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub s3: aws_sdk_s3::Client,
    pub sts: aws_sdk_sts::Client,
    pub sdk: aws_config::SdkConfig,
}

impl Clients {
    pub async fn load(config: &AwsConfig) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()));
        if let Some(profile) = &config.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(endpoint) = &config.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        let sdk = loader.load().await;
        // Emulators serve buckets under the path, not as virtual hosts.
        let s3_conf = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(sdk.endpoint_url().is_some())
            .build();
        // Emulators may answer with fractional log timestamps (emulator_logs.rs).
        let mut logs_conf = aws_sdk_cloudwatchlogs::config::Builder::from(&sdk);
        if sdk.endpoint_url().is_some() {
            logs_conf = logs_conf.http_client(WholeMillis::new(https_client()));
        }
        Self {
            lambda: aws_sdk_lambda::Client::new(&sdk),
            ecr: aws_sdk_ecr::Client::new(&sdk),
            iam: aws_sdk_iam::Client::new(&sdk),
            logs: aws_sdk_cloudwatchlogs::Client::from_conf(logs_conf.build()),
            s3: aws_sdk_s3::Client::from_conf(s3_conf),
            sts: aws_sdk_sts::Client::new(&sdk),
            sdk,
        }
    }

    /// Fail early, with a one-line error naming where credentials come from, when none
    /// resolve (the error never contains a secret).
    pub async fn check_credentials(&self) -> ProviderResult<()> {
        let provider = self.sdk.credentials_provider().ok_or_else(|| {
            ProviderError::Invalid("AWS credentials: no credentials provider configured".into())
        })?;
        provider.provide_credentials().await.map_err(|e| {
            ProviderError::Invalid(format!(
                "AWS credentials: none found ({e}); set AWS_ACCESS_KEY_ID / \
                 AWS_SECRET_ACCESS_KEY, AWS_PROFILE or platforms.aws.profile"
            ))
        })?;
        Ok(())
    }

    /// The account id of the credentials (STS GetCallerIdentity).
    pub async fn account(&self) -> ProviderResult<String> {
        let who = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| sdk_failure("STS GetCallerIdentity", e))?;
        who.account
            .ok_or_else(|| ProviderError::Failed("STS GetCallerIdentity: no account".into()))
    }
}

/// The HTTPS client the SDK uses by default (hyper 1, rustls with aws-lc), made
/// explicitly so that it can be wrapped.
fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls;
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build_https()
}

/// An SDK error as a provider error, with the service's own code and message.
pub fn sdk_failure<E, R>(what: &str, e: aws_sdk_lambda::error::SdkError<E, R>) -> ProviderError
where
    E: std::error::Error + aws_sdk_lambda::error::ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    match e.as_service_error() {
        Some(service) if service.code().is_some() => ProviderError::Failed(format!(
            "{what}: {} {}",
            service.code().unwrap_or("error"),
            service.message().unwrap_or("")
        )),
        _ => ProviderError::Failed(format!(
            "{what}: {}",
            aws_sdk_lambda::error::DisplayErrorContext(&e)
        )),
    }
}
