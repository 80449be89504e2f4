//! S3 and S3-compatible servers (MinIO, moto, Ceph…). Objects go through
//! `object_store`'s `AmazonS3`; bucket creation, existence and deletion, which
//! `object_store` does not offer, are single requests on URLs presigned by the same
//! client (SigV4), so every request is signed by one implementation.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use object_store::ObjectStore;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::signer::Signer;
use reqwest::{Method, StatusCode};
use serde::Deserialize;

use super::config::S3Config;
use super::secret::{Secret, env_var, read_credentials_file};
use super::{Backend, BackendKind, StorageError, StorageResult, check_bucket_name};

/// `storage.s3.credentials_file`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    access_key_id: String,
    secret_access_key: String,
    #[serde(default)]
    session_token: Option<String>,
}

#[derive(Debug, Clone)]
struct Credentials {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Option<Secret>,
}

impl Credentials {
    fn load(config: &S3Config) -> StorageResult<Self> {
        if let Some(path) = &config.credentials_file {
            let f: CredentialsFile = read_credentials_file(path, "storage.s3.credentials_file")?;
            return Ok(Self {
                access_key_id: f.access_key_id,
                secret_access_key: Secret::new(f.secret_access_key),
                session_token: f.session_token.map(Secret::new),
            });
        }
        match (
            env_var("AWS_ACCESS_KEY_ID"),
            env_var("AWS_SECRET_ACCESS_KEY"),
        ) {
            (Some(id), Some(secret)) => Ok(Self {
                access_key_id: id,
                secret_access_key: Secret::new(secret),
                session_token: env_var("AWS_SESSION_TOKEN").map(Secret::new),
            }),
            _ => Err(StorageError::Config(
                "S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a \
                 file in storage.s3.credentials_file"
                    .into(),
            )),
        }
    }
}

pub struct S3Backend {
    config: S3Config,
    credentials: Credentials,
    http: reqwest::Client,
}

impl S3Backend {
    pub fn new(config: &S3Config) -> StorageResult<Self> {
        if let Some(e) = &config.endpoint
            && !(e.starts_with("http://") || e.starts_with("https://"))
        {
            return Err(StorageError::Config(format!(
                "storage.s3.endpoint `{e}` must start with http:// or https://"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| StorageError::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            config: config.clone(),
            credentials: Credentials::load(config)?,
            http,
        })
    }

    fn client(&self, bucket: &str) -> StorageResult<AmazonS3> {
        check_bucket_name(bucket)?;
        let c = &self.credentials;
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(&self.config.region)
            .with_access_key_id(&c.access_key_id)
            .with_secret_access_key(c.secret_access_key.expose());
        if let Some(t) = &c.session_token {
            b = b.with_token(t.expose());
        }
        if let Some(e) = &self.config.endpoint {
            b = b
                .with_endpoint(e)
                .with_allow_http(e.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        b.build()
            .map_err(|e| StorageError::Config(format!("S3 bucket {bucket}: {e}")))
    }

    /// One signed request on the bucket itself (path-style `<endpoint>/<bucket>/`).
    async fn bucket_request(
        &self,
        method: Method,
        bucket: &str,
        body: Option<String>,
    ) -> StorageResult<(StatusCode, String)> {
        let url = self
            .client(bucket)?
            .signed_url(method.clone(), &Path::default(), Duration::from_secs(300))
            .await
            .map_err(|e| StorageError::Backend(format!("signing a request for {bucket}: {e}")))?;
        let mut request = self.http.request(method.clone(), url);
        if method == Method::PUT {
            // S3 wants a Content-Length on every PUT, even an empty one.
            let body = body.unwrap_or_default();
            request = request
                .header(reqwest::header::CONTENT_LENGTH, body.len())
                .body(body);
        }
        // Errors must not carry the URL: it holds a signature.
        let response = request.send().await.map_err(|e| {
            StorageError::Backend(format!("{method} bucket {bucket}: {}", e.without_url()))
        })?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        Ok((status, text))
    }
}

/// The `<Code>` of an S3 error document.
fn error_code(body: &str) -> &str {
    body.split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code)
        .unwrap_or("")
}

#[async_trait]
impl Backend for S3Backend {
    fn kind(&self) -> BackendKind {
        BackendKind::S3
    }

    fn open_bucket(&self, bucket: &str) -> StorageResult<Arc<dyn ObjectStore>> {
        Ok(Arc::new(self.client(bucket)?))
    }

    async fn create_bucket(&self, bucket: &str) -> StorageResult<()> {
        let body = (self.config.region != "us-east-1").then(|| {
            format!(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                 <LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                self.config.region
            )
        });
        let (status, text) = self.bucket_request(Method::PUT, bucket, body).await?;
        match (status, error_code(&text)) {
            (s, _) if s.is_success() => Ok(()),
            (_, "BucketAlreadyOwnedByYou") => Ok(()),
            (_, "BucketAlreadyExists") => Err(StorageError::Invalid(format!(
                "bucket {bucket} exists and belongs to another account; choose another \
                 resource_id or storage.bucket_prefix"
            ))),
            (s, code) => Err(StorageError::Backend(format!(
                "creating bucket {bucket}: HTTP {s} {code}"
            ))),
        }
    }

    async fn bucket_exists(&self, bucket: &str) -> StorageResult<bool> {
        let (status, _) = self.bucket_request(Method::HEAD, bucket, None).await?;
        match status {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            s => Err(StorageError::Backend(format!(
                "checking bucket {bucket}: HTTP {s}"
            ))),
        }
    }

    async fn delete_bucket(&self, bucket: &str) -> StorageResult<()> {
        let (status, text) = self.bucket_request(Method::DELETE, bucket, None).await?;
        match status {
            s if s.is_success() => Ok(()),
            StatusCode::NOT_FOUND => Ok(()),
            s => Err(StorageError::Backend(format!(
                "deleting bucket {bucket}: HTTP {s} {}",
                error_code(&text)
            ))),
        }
    }

    fn function_env(&self) -> Vec<(String, String)> {
        let c = &self.credentials;
        let endpoint = self
            .config
            .endpoint
            .clone()
            .unwrap_or_else(|| format!("https://s3.{}.amazonaws.com", self.config.region));
        let mut env = vec![
            ("FAASLAB_STORAGE_BACKEND".to_string(), "s3".to_string()),
            ("FAASLAB_STORAGE_ENDPOINT".into(), endpoint),
            ("AWS_REGION".into(), self.config.region.clone()),
            ("AWS_ACCESS_KEY_ID".into(), c.access_key_id.clone()),
            (
                "AWS_SECRET_ACCESS_KEY".into(),
                c.secret_access_key.expose().to_string(),
            ),
        ];
        if let Some(t) = &c.session_token {
            env.push(("AWS_SESSION_TOKEN".into(), t.expose().to_string()));
        }
        env
    }
}
