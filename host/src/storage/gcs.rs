//! Google Cloud Storage. Wired from configuration; not tested here (no GCS server can
//! be reached from the test machines). Buckets must be created outside faaslab.

use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use object_store::ObjectStore;
use object_store::gcp::GoogleCloudStorageBuilder;

use super::config::GcsConfig;
use super::secret::env_var;
use super::{Backend, BackendKind, StorageError, StorageResult, check_bucket_name};

pub struct GcsBackend {
    /// Path of the service-account key file (not its content).
    credentials_file: String,
}

impl GcsBackend {
    pub fn new(config: &GcsConfig) -> StorageResult<Self> {
        let credentials_file = config
            .credentials_file
            .as_ref()
            .map(|p| p.display().to_string())
            .or_else(|| env_var("GOOGLE_APPLICATION_CREDENTIALS"))
            .ok_or_else(|| {
                StorageError::Config(
                    "GCS credentials: name a service-account key in storage.gcs.credentials_file \
                     or set GOOGLE_APPLICATION_CREDENTIALS"
                        .into(),
                )
            })?;
        Ok(Self { credentials_file })
    }
}

#[async_trait]
impl Backend for GcsBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Gcs
    }

    fn open_bucket(&self, bucket: &str) -> StorageResult<Arc<dyn ObjectStore>> {
        check_bucket_name(bucket)?;
        let store = GoogleCloudStorageBuilder::new()
            .with_bucket_name(bucket)
            .with_service_account_path(&self.credentials_file)
            .build()
            .map_err(|e| StorageError::Config(format!("GCS bucket {bucket}: {e}")))?;
        Ok(Arc::new(store))
    }

    async fn create_bucket(&self, bucket: &str) -> StorageResult<()> {
        if self.bucket_exists(bucket).await? {
            return Ok(());
        }
        Err(StorageError::Unsupported(format!(
            "faaslab cannot create GCS buckets yet: create `{bucket}` with \
             `gcloud storage buckets create gs://{bucket}`"
        )))
    }

    async fn bucket_exists(&self, bucket: &str) -> StorageResult<bool> {
        first_listing_says_exists(self.open_bucket(bucket)?, bucket).await
    }

    async fn delete_bucket(&self, bucket: &str) -> StorageResult<()> {
        Err(StorageError::Unsupported(format!(
            "faaslab cannot delete GCS buckets yet: it emptied `{bucket}`; delete it with \
             `gcloud storage buckets delete gs://{bucket}`"
        )))
    }

    fn function_env(&self) -> Vec<(String, String)> {
        vec![
            ("FAASLAB_STORAGE_BACKEND".into(), "gcs".into()),
            (
                "GOOGLE_APPLICATION_CREDENTIALS".into(),
                self.credentials_file.clone(),
            ),
        ]
    }
}

/// Whether a bucket exists, from the first page of a listing (404: it does not).
pub(crate) async fn first_listing_says_exists(
    store: Arc<dyn ObjectStore>,
    bucket: &str,
) -> StorageResult<bool> {
    match store.list(None).next().await {
        None | Some(Ok(_)) => Ok(true),
        Some(Err(object_store::Error::NotFound { .. })) => Ok(false),
        Some(Err(e)) => Err(StorageError::Backend(format!("{bucket}: {e}"))),
    }
}
