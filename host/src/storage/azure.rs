//! Azure Blob Storage (a bucket is a container). Wired from configuration; not tested
//! here (no Azure endpoint or emulator can be reached from the test machines).
//! Containers must be created outside faaslab.

use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use object_store::ObjectStore;
use object_store::azure::MicrosoftAzureBuilder;
use serde::Deserialize;

use super::config::AzureConfig;
use super::secret::{Secret, env_var, read_credentials_file};
use super::{Backend, BackendKind, StorageError, StorageResult, check_bucket_name};

/// `storage.azure.credentials_file`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    access_key: String,
}

pub struct AzureBackend {
    account: String,
    access_key: Secret,
    endpoint: Option<String>,
}

impl AzureBackend {
    pub fn new(config: &AzureConfig) -> StorageResult<Self> {
        let account = config
            .account
            .clone()
            .or_else(|| env_var("AZURE_STORAGE_ACCOUNT_NAME"))
            .ok_or_else(|| {
                StorageError::Config(
                    "Azure: set storage.azure.account or AZURE_STORAGE_ACCOUNT_NAME".into(),
                )
            })?;
        let access_key = match &config.credentials_file {
            Some(path) => {
                let f: CredentialsFile =
                    read_credentials_file(path, "storage.azure.credentials_file")?;
                Secret::new(f.access_key)
            }
            None => env_var("AZURE_STORAGE_ACCOUNT_KEY")
                .map(Secret::new)
                .ok_or_else(|| {
                    StorageError::Config(
                        "Azure credentials: set AZURE_STORAGE_ACCOUNT_KEY or name a file in \
                         storage.azure.credentials_file"
                            .into(),
                    )
                })?,
        };
        Ok(Self {
            account,
            access_key,
            endpoint: config.endpoint.clone(),
        })
    }
}

#[async_trait]
impl Backend for AzureBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Azure
    }

    fn open_bucket(&self, bucket: &str) -> StorageResult<Arc<dyn ObjectStore>> {
        check_bucket_name(bucket)?;
        let mut b = MicrosoftAzureBuilder::new()
            .with_account(&self.account)
            .with_access_key(self.access_key.expose())
            .with_container_name(bucket);
        if let Some(e) = &self.endpoint {
            b = b
                .with_endpoint(e.clone())
                .with_allow_http(e.starts_with("http://"));
        }
        let store = b
            .build()
            .map_err(|e| StorageError::Config(format!("Azure container {bucket}: {e}")))?;
        Ok(Arc::new(store))
    }

    async fn create_bucket(&self, bucket: &str) -> StorageResult<()> {
        if self.bucket_exists(bucket).await? {
            return Ok(());
        }
        Err(StorageError::Unsupported(format!(
            "faaslab cannot create Azure containers yet: create `{bucket}` with \
             `az storage container create --name {bucket}`"
        )))
    }

    async fn bucket_exists(&self, bucket: &str) -> StorageResult<bool> {
        first_listing_says_exists(self.open_bucket(bucket)?, bucket).await
    }

    async fn delete_bucket(&self, bucket: &str) -> StorageResult<()> {
        Err(StorageError::Unsupported(format!(
            "faaslab cannot delete Azure containers yet: it emptied `{bucket}`; delete it \
             with `az storage container delete --name {bucket}`"
        )))
    }

    fn function_env(&self) -> Vec<(String, String)> {
        vec![
            ("FAASLAB_STORAGE_BACKEND".into(), "azure".into()),
            ("AZURE_STORAGE_ACCOUNT_NAME".into(), self.account.clone()),
            (
                "AZURE_STORAGE_ACCOUNT_KEY".into(),
                self.access_key.expose().to_string(),
            ),
        ]
    }
}

/// Whether a container exists, from the first page of a listing (404: it does not).
async fn first_listing_says_exists(
    store: Arc<dyn ObjectStore>,
    bucket: &str,
) -> StorageResult<bool> {
    match store.list(None).next().await {
        None | Some(Ok(_)) => Ok(true),
        Some(Err(object_store::Error::NotFound { .. })) => Ok(false),
        Some(Err(e)) => Err(StorageError::Backend(format!("{bucket}: {e}"))),
    }
}
