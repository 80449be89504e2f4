//! The local backend: one directory per bucket below a root (the embedded default).
//! Function instances on this machine reach it through `FAASLAB_STORAGE_ROOT`.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;

use super::{Backend, BackendKind, StorageError, StorageResult, check_bucket_name};

pub struct LocalBackend {
    root: PathBuf,
}

impl LocalBackend {
    pub fn new(root: PathBuf) -> StorageResult<Self> {
        std::fs::create_dir_all(&root).map_err(|e| {
            StorageError::Config(format!("storage.local.path {}: {e}", root.display()))
        })?;
        let root = root.canonicalize().map_err(|e| {
            StorageError::Config(format!("storage.local.path {}: {e}", root.display()))
        })?;
        Ok(Self { root })
    }

    fn dir(&self, bucket: &str) -> StorageResult<PathBuf> {
        check_bucket_name(bucket)?;
        Ok(self.root.join(bucket))
    }
}

#[async_trait]
impl Backend for LocalBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Local
    }

    fn open_bucket(&self, bucket: &str) -> StorageResult<Arc<dyn ObjectStore>> {
        let dir = self.dir(bucket)?;
        if !dir.is_dir() {
            return Err(StorageError::NotFound(format!("bucket {bucket}")));
        }
        let fs = LocalFileSystem::new_with_prefix(&dir)
            .map_err(|e| StorageError::Backend(format!("{bucket}: {e}")))?
            .with_automatic_cleanup(true);
        Ok(Arc::new(fs))
    }

    async fn create_bucket(&self, bucket: &str) -> StorageResult<()> {
        let dir = self.dir(bucket)?;
        std::fs::create_dir_all(&dir)
            .map_err(|e| StorageError::Backend(format!("creating {}: {e}", dir.display())))
    }

    async fn bucket_exists(&self, bucket: &str) -> StorageResult<bool> {
        Ok(self.dir(bucket)?.is_dir())
    }

    async fn delete_bucket(&self, bucket: &str) -> StorageResult<()> {
        let dir = self.dir(bucket)?;
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StorageError::Backend(format!(
                "removing {}: {e}",
                dir.display()
            ))),
        }
    }

    fn function_env(&self) -> Vec<(String, String)> {
        vec![
            ("FAASLAB_STORAGE_BACKEND".into(), "local".into()),
            (
                "FAASLAB_STORAGE_ROOT".into(),
                self.root.display().to_string(),
            ),
        ]
    }
}
