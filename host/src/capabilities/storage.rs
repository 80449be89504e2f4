//! `storage`: objects in the buckets and below the prefixes the run grants, with size
//! caps. Buckets are named by kind; the real names (and the credentials) stay here.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::HostState;
use crate::engine::bindings::storage as wit;
use crate::engine::bindings::types::Error;
use crate::storage::{BucketKind, Grant, Storage, StorageError, key_path};

/// The run's storage as guests see it (shared by the run, outlives the Store).
pub struct StorageCapability {
    storage: Arc<Storage>,
    uploaded_bytes: AtomicU64,
    created: Mutex<HashSet<String>>,
}

type WitResult<T> = wasmtime::Result<Result<T, Error>>;

fn to_wit(e: StorageError) -> Error {
    match e {
        StorageError::NotFound(m) => Error::NotFound(m),
        StorageError::Invalid(m) => Error::Invalid(m),
        other => Error::Provider(other.to_string()),
    }
}

/// Whether `grants` let the run read (or write) `key` in `bucket`; `key` may be a
/// prefix (for listing). Both are compared as normalised paths, segment by segment.
pub fn is_granted(grants: &[Grant], bucket: BucketKind, key: &str, write: bool) -> bool {
    let Ok(key) = key_path(key) else {
        return false;
    };
    let key = key.as_ref();
    grants.iter().any(|g| {
        let Ok(prefix) = key_path(&g.prefix) else {
            return false;
        };
        let prefix = prefix.as_ref();
        let inside = prefix.is_empty()
            || key == prefix
            || key
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'));
        g.bucket == bucket
            && inside
            && if write {
                g.access.allows_write()
            } else {
                g.access.allows_read()
            }
    })
}

impl StorageCapability {
    pub fn new(storage: Arc<Storage>) -> Self {
        Self {
            storage,
            uploaded_bytes: AtomicU64::new(0),
            created: Mutex::new(HashSet::new()),
        }
    }

    pub fn storage(&self) -> &Arc<Storage> {
        &self.storage
    }

    /// Bytes the guest uploaded so far (the `storage.max_total_kib` budget).
    pub fn uploaded_bytes(&self) -> u64 {
        self.uploaded_bytes.load(Ordering::SeqCst)
    }

    pub fn max_total_bytes(&self) -> u64 {
        self.storage.config().max_total_kib.saturating_mul(1024)
    }

    /// The real bucket behind `bucket` if the run grants this access, else `denied`
    /// (or `invalid` for a malformed key).
    fn check(&self, bucket: &str, key: &str, write: bool) -> Result<String, Error> {
        let what = if write { "write" } else { "read" };
        let Some(kind) = BucketKind::parse(bucket) else {
            return Err(Error::Denied(format!(
                "bucket `{bucket}` is not one of the run's (benchmarks, experiments, deployment)"
            )));
        };
        if let Err(e) = key_path(key) {
            return Err(to_wit(e));
        }
        if !is_granted(&self.storage.config().grants, kind, key, write) {
            return Err(Error::Denied(format!(
                "the run grants no {what} access to `{key}` in bucket `{bucket}` (storage.grants)"
            )));
        }
        Ok(self.storage.bucket(kind))
    }

    fn max_object_bytes(&self) -> u64 {
        self.storage.config().max_object_kib.saturating_mul(1024)
    }

    async fn upload(&self, bucket: &str, key: &str, data: Vec<u8>) -> Result<(), Error> {
        let real = self.check(bucket, key, true)?;
        let len = data.len() as u64;
        if len > self.max_object_bytes() {
            return Err(Error::Invalid(format!(
                "object of {len} bytes is over the cap of {} bytes (storage.max_object_kib)",
                self.max_object_bytes()
            )));
        }
        let cap = self.storage.config().max_total_kib.saturating_mul(1024);
        let before = self.uploaded_bytes.fetch_add(len, Ordering::SeqCst);
        if before + len > cap {
            self.uploaded_bytes.fetch_sub(len, Ordering::SeqCst);
            return Err(Error::BudgetExhausted(format!(
                "uploading {len} more bytes would pass the run's {cap} bytes (storage.max_total_kib)"
            )));
        }
        let first = self
            .created
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(real.clone());
        if first && let Err(e) = self.storage.create_bucket(&real).await {
            self.created
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&real);
            return Err(to_wit(e));
        }
        self.storage
            .upload(&real, key, Bytes::from(data))
            .await
            .map_err(to_wit)
    }

    async fn download(&self, bucket: &str, key: &str) -> Result<Vec<u8>, Error> {
        let real = self.check(bucket, key, false)?;
        match self.storage.size(&real, key).await {
            Ok(Some(size)) if size > self.max_object_bytes() => {
                return Err(Error::Invalid(format!(
                    "object of {size} bytes is over the cap of {} bytes (storage.max_object_kib)",
                    self.max_object_bytes()
                )));
            }
            Ok(Some(_)) => {}
            Ok(None) => return Err(Error::NotFound(format!("{bucket}/{key}"))),
            Err(e) => return Err(to_wit(e)),
        }
        self.storage
            .download(&real, key)
            .await
            .map(|b| b.to_vec())
            .map_err(to_wit)
    }
}

impl wit::Host for HostState {
    async fn grants(&mut self) -> wasmtime::Result<Vec<wit::Grant>> {
        Ok(self
            .ctx
            .storage
            .storage
            .config()
            .grants
            .iter()
            .map(|g| wit::Grant {
                bucket: g.bucket.as_str().to_string(),
                prefix: g.prefix.clone(),
                read: g.access.allows_read(),
                write: g.access.allows_write(),
            })
            .collect())
    }

    async fn upload(&mut self, bucket: String, key: String, data: Vec<u8>) -> WitResult<()> {
        self.check_arg("bucket", bucket.len())?;
        self.check_arg("key", key.len())?;
        let ctx = self.ctx.clone();
        let result = ctx.storage.upload(&bucket, &key, data).await;
        if let Err(Error::BudgetExhausted(detail)) = &result {
            let used = ctx.storage.uploaded_bytes() as f64;
            let limit = ctx.storage.max_total_bytes() as f64;
            let hit = crate::driver::Exhausted {
                budget: "max_total_kib",
                used,
                limit,
                detail: detail.clone(),
            };
            return Ok(Err(self.exhausted(&hit)));
        }
        Ok(result)
    }

    async fn download(&mut self, bucket: String, key: String) -> WitResult<Vec<u8>> {
        self.check_arg("bucket", bucket.len())?;
        self.check_arg("key", key.len())?;
        let ctx = self.ctx.clone();
        Ok(ctx.storage.download(&bucket, &key).await)
    }

    async fn list_objects(
        &mut self,
        bucket: String,
        prefix: String,
    ) -> WitResult<Vec<wit::ObjectInfo>> {
        self.check_arg("bucket", bucket.len())?;
        self.check_arg("prefix", prefix.len())?;
        let ctx = self.ctx.clone();
        let cap = &ctx.storage;
        let real = match cap.check(&bucket, &prefix, false) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let max = ctx.config.limits.max_batch;
        Ok(match cap.storage.list(&real, &prefix).await {
            Ok(objects) if objects.len() as u64 > max => Err(Error::Invalid(format!(
                "`{prefix}` holds {} objects, more than one answer may carry ({max}, limits.max_batch); list a narrower prefix",
                objects.len()
            ))),
            Ok(objects) => Ok(objects
                .into_iter()
                .map(|o| wit::ObjectInfo {
                    key: o.key,
                    size: o.size,
                })
                .collect()),
            Err(StorageError::NotFound(_)) => Ok(Vec::new()),
            Err(e) => Err(to_wit(e)),
        })
    }

    async fn remove(&mut self, bucket: String, key: String) -> WitResult<()> {
        self.check_arg("bucket", bucket.len())?;
        self.check_arg("key", key.len())?;
        let ctx = self.ctx.clone();
        let cap = &ctx.storage;
        let real = match cap.check(&bucket, &key, true) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        Ok(cap.storage.remove(&real, &key).await.map_err(to_wit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Access;

    #[test]
    fn grants_cover_whole_segments_and_access_kinds() {
        let grants = vec![
            Grant {
                bucket: BucketKind::Experiments,
                prefix: "results/run1".into(),
                access: Access::ReadWrite,
            },
            Grant {
                bucket: BucketKind::Benchmarks,
                prefix: "".into(),
                access: Access::Read,
            },
        ];
        let e = BucketKind::Experiments;
        assert!(is_granted(&grants, e, "results/run1/a.json", true));
        assert!(is_granted(&grants, e, "results/run1", false));
        assert!(!is_granted(&grants, e, "results/run10/a.json", true));
        assert!(!is_granted(&grants, e, "results", false));
        assert!(!is_granted(&grants, e, "results/run1/../x", false));
        assert!(is_granted(
            &grants,
            BucketKind::Benchmarks,
            "any/thing",
            false
        ));
        assert!(!is_granted(
            &grants,
            BucketKind::Benchmarks,
            "any/thing",
            true
        ));
        assert!(!is_granted(&grants, BucketKind::Deployment, "x", false));
    }
}
