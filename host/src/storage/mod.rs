//! Object storage behind one interface, on the `object_store` crate: a local directory
//! (the embedded default), S3 and S3-compatible servers, Google Cloud Storage and Azure
//! Blob Storage. Buckets are named from the run's resource id and their kind, as SeBS's
//! `Resources`; benchmarks get numbered input and output prefixes in the benchmarks
//! bucket. Object operations are written once here; backends only say how to reach a
//! bucket and how to create and delete one.

mod azure;
pub mod config;
mod gcs;
mod local;
mod s3;
mod secret;

pub use config::{Access, BackendKind, Grant, StorageConfig};
pub use secret::Secret;

use std::collections::HashMap;
use std::path::Path as FsPath;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};

/// The function-side storage client shipped into code packages (Python, stdlib only):
/// `import faaslab_storage; faaslab_storage.get().download(bucket, key)`.
pub const FUNCTION_CLIENT: crate::packaging::WrapperFile = crate::packaging::WrapperFile {
    name: "faaslab_storage.py",
    content: include_bytes!("faaslab_storage.py"),
};

/// Its S3 backend, imported only by functions whose run uses S3.
pub const FUNCTION_CLIENT_S3: crate::packaging::WrapperFile = crate::packaging::WrapperFile {
    name: "faaslab_storage_s3.py",
    content: include_bytes!("faaslab_storage_s3.py"),
};

/// Its GCS backend, imported only by functions whose run uses GCS.
pub const FUNCTION_CLIENT_GCS: crate::packaging::WrapperFile = crate::packaging::WrapperFile {
    name: "faaslab_storage_gcs.py",
    content: include_bytes!("faaslab_storage_gcs.py"),
};

/// Failures of storage operations. Messages never contain credentials.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("not supported: {0}")]
    Unsupported(String),
    #[error("storage configuration: {0}")]
    Config(String),
    #[error("storage backend: {0}")]
    Backend(String),
}

pub type StorageResult<T> = Result<T, StorageError>;

impl StorageError {
    fn from_store(bucket: &str, e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { path, .. } => {
                StorageError::NotFound(format!("{bucket}/{path}"))
            }
            other => StorageError::Backend(format!("{bucket}: {other}")),
        }
    }
}

/// The three buckets a run's resources own (SeBS `Resources.StorageBucketType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BucketKind {
    /// Benchmark inputs and outputs.
    Benchmarks,
    /// What experiments store (results, traces).
    Experiments,
    /// Code packages too large to upload directly.
    Deployment,
}

impl BucketKind {
    pub const ALL: [BucketKind; 3] = [
        BucketKind::Benchmarks,
        BucketKind::Experiments,
        BucketKind::Deployment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BucketKind::Benchmarks => "benchmarks",
            BucketKind::Experiments => "experiments",
            BucketKind::Deployment => "deployment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// `<prefix>-<kind>-<resource id>`, lowercase, at most 63 characters (valid on S3,
/// GCS and Azure alike).
pub fn bucket_name(prefix: &str, kind: BucketKind, resource_id: &str) -> String {
    let mut name = format!("{prefix}-{}-{}", kind.as_str(), resource_id).to_ascii_lowercase();
    name.truncate(63);
    name.trim_end_matches('-').to_string()
}

/// The `index`-th input prefix of a benchmark (SeBS: `<benchmark>-<i>-input`).
pub fn input_prefix(benchmark: &str, index: usize) -> String {
    format!("{benchmark}-{index}-input")
}

/// The `index`-th output prefix of a benchmark (SeBS: `<benchmark>-<i>-output`).
pub fn output_prefix(benchmark: &str, index: usize) -> String {
    format!("{benchmark}-{index}-output")
}

/// An object key checked the way every backend needs it: '/'-separated segments, none
/// empty, `.` or `..`. The empty key is the bucket's root (as a prefix).
pub fn key_path(key: &str) -> StorageResult<Path> {
    let trimmed = key.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(Path::default());
    }
    if trimmed.starts_with('/') {
        return Err(StorageError::Invalid(format!(
            "key `{key}` starts with '/'"
        )));
    }
    Path::parse(trimmed).map_err(|e| StorageError::Invalid(format!("key `{key}`: {e}")))
}

/// One object in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
}

/// What a backend must provide; object operations are shared ([`Storage`]).
#[async_trait]
pub trait Backend: Send + Sync {
    /// "local", "s3", "gcs" or "azure".
    fn kind(&self) -> BackendKind;
    /// An object store for one (existing) bucket.
    fn open_bucket(&self, bucket: &str) -> StorageResult<Arc<dyn ObjectStore>>;
    /// Create a bucket; succeeds when it exists already.
    async fn create_bucket(&self, bucket: &str) -> StorageResult<()>;
    async fn bucket_exists(&self, bucket: &str) -> StorageResult<bool>;
    /// Delete an empty bucket.
    async fn delete_bucket(&self, bucket: &str) -> StorageResult<()>;
    /// Environment a function instance needs to reach this storage itself
    /// (FAASLAB_STORAGE_* and the backend's own credential variables).
    fn function_env(&self) -> Vec<(String, String)>;
}

/// The run's object storage.
pub struct Storage {
    backend: Box<dyn Backend>,
    config: StorageConfig,
    resource_id: String,
    stores: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("backend", &self.backend.kind())
            .field("resource_id", &self.resource_id)
            .finish_non_exhaustive()
    }
}

impl Storage {
    /// Build the configured backend. `cache_root` holds the local backend's buckets
    /// unless `storage.local.path` says otherwise. Credentials are read now.
    pub fn open(
        config: &StorageConfig,
        resource_id: &str,
        cache_root: &FsPath,
    ) -> StorageResult<Self> {
        let backend: Box<dyn Backend> = match config.backend {
            BackendKind::Local => Box::new(local::LocalBackend::new(
                config
                    .local
                    .path
                    .clone()
                    .unwrap_or_else(|| cache_root.join("storage")),
            )?),
            BackendKind::S3 => Box::new(s3::S3Backend::new(&config.s3)?),
            BackendKind::Gcs => Box::new(gcs::GcsBackend::new(&config.gcs)?),
            BackendKind::Azure => Box::new(azure::AzureBackend::new(&config.azure)?),
        };
        Ok(Self {
            backend,
            config: config.clone(),
            resource_id: resource_id.to_string(),
            stores: Mutex::new(HashMap::new()),
        })
    }

    pub fn kind(&self) -> BackendKind {
        self.backend.kind()
    }

    pub fn config(&self) -> &StorageConfig {
        &self.config
    }

    /// The real name of one of the run's buckets.
    pub fn bucket(&self, kind: BucketKind) -> String {
        bucket_name(&self.config.bucket_prefix, kind, &self.resource_id)
    }

    /// Environment for function instances (see [`Backend::function_env`]).
    pub fn function_env(&self) -> Vec<(String, String)> {
        let mut env = self.backend.function_env();
        env.push((
            "FAASLAB_STORAGE_BENCHMARKS_BUCKET".into(),
            self.bucket(BucketKind::Benchmarks),
        ));
        env.extend(self.config.nosql.function_env());
        env
    }

    fn store(&self, bucket: &str) -> StorageResult<Arc<dyn ObjectStore>> {
        let mut stores = self.stores.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = stores.get(bucket) {
            return Ok(s.clone());
        }
        let s = self.backend.open_bucket(bucket)?;
        stores.insert(bucket.to_string(), s.clone());
        Ok(s)
    }

    /// Create a bucket if it does not exist (idempotent).
    pub async fn create_bucket(&self, bucket: &str) -> StorageResult<()> {
        self.backend.create_bucket(bucket).await
    }

    pub async fn bucket_exists(&self, bucket: &str) -> StorageResult<bool> {
        self.backend.bucket_exists(bucket).await
    }

    /// Create the run's three buckets.
    pub async fn create_run_buckets(&self) -> StorageResult<()> {
        for kind in BucketKind::ALL {
            self.create_bucket(&self.bucket(kind)).await?;
        }
        Ok(())
    }

    pub async fn upload(&self, bucket: &str, key: &str, data: Bytes) -> StorageResult<()> {
        let path = object_key(key)?;
        self.store(bucket)?
            .put(&path, PutPayload::from_bytes(data))
            .await
            .map_err(|e| StorageError::from_store(bucket, e))?;
        Ok(())
    }

    pub async fn download(&self, bucket: &str, key: &str) -> StorageResult<Bytes> {
        let path = object_key(key)?;
        let store = self.store(bucket)?;
        let got = store
            .get(&path)
            .await
            .map_err(|e| StorageError::from_store(bucket, e))?;
        got.bytes()
            .await
            .map_err(|e| StorageError::from_store(bucket, e))
    }

    /// Size of an object, `None` if it does not exist.
    pub async fn size(&self, bucket: &str, key: &str) -> StorageResult<Option<u64>> {
        let path = object_key(key)?;
        match self.store(bucket)?.head(&path).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(StorageError::from_store(bucket, e)),
        }
    }

    /// Every object below `prefix` (whole segments; "" = the bucket), sorted by key.
    pub async fn list(&self, bucket: &str, prefix: &str) -> StorageResult<Vec<ObjectInfo>> {
        let prefix = key_path(prefix)?;
        let store = self.store(bucket)?;
        let prefix = (!prefix.as_ref().is_empty()).then_some(prefix);
        let mut out: Vec<ObjectInfo> = store
            .list(prefix.as_ref())
            .map_ok(|m| ObjectInfo {
                key: m.location.to_string(),
                size: m.size,
            })
            .try_collect()
            .await
            .map_err(|e| StorageError::from_store(bucket, e))?;
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    /// Remove one object (absent is not an error).
    pub async fn remove(&self, bucket: &str, key: &str) -> StorageResult<()> {
        let path = object_key(key)?;
        match self.store(bucket)?.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(StorageError::from_store(bucket, e)),
        }
    }

    /// Remove every object below `prefix`; returns how many.
    pub async fn clean(&self, bucket: &str, prefix: &str) -> StorageResult<usize> {
        let objects = self.list(bucket, prefix).await?;
        for o in &objects {
            self.remove(bucket, &o.key).await?;
        }
        Ok(objects.len())
    }

    /// Empty a bucket and delete it (absent is not an error).
    pub async fn remove_bucket(&self, bucket: &str) -> StorageResult<()> {
        if !self.bucket_exists(bucket).await? {
            return Ok(());
        }
        self.clean(bucket, "").await?;
        self.stores
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(bucket);
        self.backend.delete_bucket(bucket).await
    }
}

/// A key naming an object (not the bucket root).
fn object_key(key: &str) -> StorageResult<Path> {
    let p = key_path(key)?;
    if p.as_ref().is_empty() || key.ends_with('/') {
        return Err(StorageError::Invalid(format!(
            "`{key}` is not an object key"
        )));
    }
    Ok(p)
}

/// Bucket names every backend accepts: 3-63 lowercase letters, digits and '-'.
pub(crate) fn check_bucket_name(bucket: &str) -> StorageResult<()> {
    let ok = (3..=63).contains(&bucket.len())
        && bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !bucket.starts_with('-')
        && !bucket.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(StorageError::Invalid(format!(
            "bucket name `{bucket}`: 3-63 lowercase letters, digits and '-'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_resources() {
        assert_eq!(
            bucket_name("faaslab", BucketKind::Benchmarks, "Default"),
            "faaslab-benchmarks-default"
        );
        let long = bucket_name("faaslab", BucketKind::Experiments, &"x".repeat(80));
        assert_eq!(long.len(), 63);
        assert!(check_bucket_name(&long).is_ok());
        assert_eq!(
            input_prefix("311.compression", 0),
            "311.compression-0-input"
        );
        assert_eq!(
            output_prefix("311.compression", 1),
            "311.compression-1-output"
        );
    }

    #[test]
    fn keys_are_checked() {
        assert!(key_path("a/b.txt").is_ok());
        assert!(key_path("").unwrap().as_ref().is_empty());
        assert!(key_path("a/../b").is_err());
        assert!(key_path("/etc/passwd").is_err());
        assert!(key_path("a//b").is_err());
        assert!(object_key("dir/").is_err());
    }
}
