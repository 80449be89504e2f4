//! Google Cloud Storage. Objects go through object_store's `GoogleCloudStorage`;
//! buckets are created, checked and deleted with single JSON-API requests
//! (`/storage/v1/b`) carrying the same credentials. Tested against fake-gcs-server
//! (`storage.gcs.emulator`); against Google's servers the requests are the documented
//! ones but unverified here (no account reachable).

mod credentials;
mod emulator;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use object_store::gcp::{GcpCredential, GoogleCloudStorage, GoogleCloudStorageBuilder};
use object_store::{ObjectStore, StaticCredentialProvider};
use reqwest::{Method, StatusCode};

use super::config::GcsConfig;
use super::{Backend, BackendKind, StorageError, StorageResult, check_bucket_name};
use credentials::GcsAuth;

const GOOGLE_BASE_URL: &str = "https://storage.googleapis.com";

/// The project an emulator's buckets are created in when none is configured.
const EMULATOR_PROJECT: &str = "faaslab";

pub struct GcsBackend {
    base_url: String,
    auth: GcsAuth,
    project: Option<String>,
    location: Option<String>,
    emulator: bool,
    http: reqwest::Client,
}

impl GcsBackend {
    pub fn new(config: &GcsConfig) -> StorageResult<Self> {
        let base_url = match &config.endpoint {
            Some(e) if e.starts_with("http://") || e.starts_with("https://") => {
                e.trim_end_matches('/').to_string()
            }
            Some(e) => {
                return Err(StorageError::Config(format!(
                    "storage.gcs.endpoint `{e}` must start with http:// or https://"
                )));
            }
            None if config.emulator => {
                return Err(StorageError::Config(
                    "storage.gcs.emulator needs storage.gcs.endpoint (the emulator's URL)".into(),
                ));
            }
            None => GOOGLE_BASE_URL.to_string(),
        };
        let auth = GcsAuth::load(config)?;
        let project = config
            .project
            .clone()
            .or_else(|| auth.project_id().map(str::to_string))
            .or_else(|| config.emulator.then(|| EMULATOR_PROJECT.to_string()));
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| StorageError::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            base_url,
            auth,
            project,
            location: config.location.clone(),
            emulator: config.emulator,
            http,
        })
    }

    fn client(&self, bucket: &str) -> StorageResult<GoogleCloudStorage> {
        check_bucket_name(bucket)?;
        let mut b = GoogleCloudStorageBuilder::new()
            .with_bucket_name(bucket)
            .with_base_url(&self.base_url);
        b = match &self.auth {
            GcsAuth::Anonymous => b.with_credentials(static_bearer("")),
            GcsAuth::Token(t) => b.with_credentials(static_bearer(t.expose())),
            GcsAuth::ServiceAccount { path, .. } => {
                b.with_service_account_path(path.display().to_string())
            }
        };
        if self.emulator {
            b = b.with_http_connector(emulator::EmulatorConnector);
        }
        b.build()
            .map_err(|e| StorageError::Config(format!("GCS bucket {bucket}: {e}")))
    }

    /// The bearer token for a JSON-API request (none: anonymous).
    async fn bearer(&self, bucket: &str) -> StorageResult<Option<String>> {
        match &self.auth {
            GcsAuth::Anonymous => Ok(None),
            GcsAuth::Token(t) => Ok(Some(t.expose().to_string())),
            GcsAuth::ServiceAccount { .. } => {
                let credential = self
                    .client(bucket)?
                    .credentials()
                    .get_credential()
                    .await
                    .map_err(|e| StorageError::Backend(format!("GCS credentials: {e}")))?;
                Ok(Some(credential.bearer.clone()))
            }
        }
    }

    /// One JSON-API request about a bucket; (status, `error.message` or body).
    async fn bucket_request(
        &self,
        method: Method,
        url: String,
        bucket: &str,
        body: Option<serde_json::Value>,
    ) -> StorageResult<(StatusCode, String)> {
        let mut request = self.http.request(method.clone(), url);
        if let Some(token) = self.bearer(bucket).await? {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.map_err(|e| {
            StorageError::Backend(format!("{method} bucket {bucket}: {}", e.without_url()))
        })?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        Ok((status, error_message(&text)))
    }

    fn bucket_url(&self, bucket: &str) -> String {
        format!("{}/storage/v1/b/{bucket}", self.base_url)
    }
}

fn static_bearer(token: &str) -> object_store::gcp::GcpCredentialProvider {
    Arc::new(StaticCredentialProvider::new(GcpCredential {
        bearer: token.to_string(),
    }))
}

/// `error.message` of a JSON-API error document, else the body itself (shortened).
fn error_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| body.chars().take(200).collect())
}

#[async_trait]
impl Backend for GcsBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Gcs
    }

    fn open_bucket(&self, bucket: &str) -> StorageResult<Arc<dyn ObjectStore>> {
        Ok(Arc::new(self.client(bucket)?))
    }

    async fn create_bucket(&self, bucket: &str) -> StorageResult<()> {
        check_bucket_name(bucket)?;
        let project = self.project.as_deref().ok_or_else(|| {
            StorageError::Config(format!(
                "creating GCS bucket {bucket}: set storage.gcs.project (the key file names none)"
            ))
        })?;
        let mut body = serde_json::json!({ "name": bucket });
        if let Some(location) = &self.location {
            body["location"] = location.clone().into();
        }
        let url = format!("{}/storage/v1/b?project={project}", self.base_url);
        let (status, message) = self
            .bucket_request(Method::POST, url, bucket, Some(body))
            .await?;
        match status {
            s if s.is_success() => Ok(()),
            // Taken: fine if it is one this account can use (created earlier).
            StatusCode::CONFLICT if self.bucket_exists(bucket).await? => Ok(()),
            StatusCode::CONFLICT => Err(StorageError::Invalid(format!(
                "GCS bucket {bucket} exists and belongs to another project; choose another \
                 resource_id or storage.bucket_prefix"
            ))),
            s => Err(StorageError::Backend(format!(
                "creating GCS bucket {bucket}: HTTP {s}: {message}"
            ))),
        }
    }

    async fn bucket_exists(&self, bucket: &str) -> StorageResult<bool> {
        check_bucket_name(bucket)?;
        let (status, message) = self
            .bucket_request(Method::GET, self.bucket_url(bucket), bucket, None)
            .await?;
        match status {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            s => Err(StorageError::Backend(format!(
                "checking GCS bucket {bucket}: HTTP {s}: {message}"
            ))),
        }
    }

    async fn delete_bucket(&self, bucket: &str) -> StorageResult<()> {
        check_bucket_name(bucket)?;
        let (status, message) = self
            .bucket_request(Method::DELETE, self.bucket_url(bucket), bucket, None)
            .await?;
        match status {
            s if s.is_success() => Ok(()),
            StatusCode::NOT_FOUND => Ok(()),
            // Google answers 409, fake-gcs-server 412.
            StatusCode::CONFLICT | StatusCode::PRECONDITION_FAILED => Err(StorageError::Invalid(
                format!("GCS bucket {bucket} is not empty: {message}"),
            )),
            s => Err(StorageError::Backend(format!(
                "deleting GCS bucket {bucket}: HTTP {s}: {message}"
            ))),
        }
    }

    /// Functions reach GCS through its JSON API with the configured access token; a
    /// service-account key is not handed to them (they would need to sign JWTs).
    fn function_env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("FAASLAB_STORAGE_BACKEND".to_string(), "gcs".to_string()),
            ("FAASLAB_STORAGE_ENDPOINT".into(), self.base_url.clone()),
        ];
        if let GcsAuth::Token(t) = &self.auth {
            env.push(("FAASLAB_GCS_ACCESS_TOKEN".into(), t.expose().to_string()));
        }
        env
    }
}
