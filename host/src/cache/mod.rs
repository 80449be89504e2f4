//! The on-disk cache: code packages, deployed functions, compiled guests, inputs.
//!
//! Layout (see docs/cache.md):
//! ```text
//! <root>/packages/<platform>/<benchmark>/<code-hash>/   built code packages
//! <root>/functions/<platform>/<function>.json           deployed functions
//! <root>/components/<sha256>-<engine>.cwasm             compiled guests
//! <root>/inputs/<benchmark>/<hash>-<size>.json          generated payloads
//! <root>/locks/<key>.lock                               cross-process locks
//! <root>/locks/cache.lock                               shared by every session, exclusive for `cache clean`
//! ```
//! Every file is written atomically (temp file + rename). A corrupt entry is reported
//! as a warning and treated as absent, so it is rebuilt.

mod admin;
mod lock;

pub use admin::{CacheListing, CleanFilter, CleanReport, ComponentEntry, InputEntry, PackageEntry};
pub use lock::CacheLock;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::providers::FunctionConfig;

/// A deployed function as the cache remembers it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FunctionRecord {
    pub name: String,
    pub platform: String,
    pub benchmark: String,
    pub code_hash: String,
    pub code_location: PathBuf,
    pub config: FunctionConfig,
    /// Seconds since the epoch.
    pub created_at: u64,
    pub updated_at: u64,
}

/// Subdirectories of the cache root.
const SUBDIRS: [&str; 5] = ["packages", "functions", "components", "inputs", "locks"];

#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
    /// Shared hold on `locks/cache.lock` for as long as any clone is alive, so that
    /// `faaslab cache clean` never removes entries a running session uses.
    _session: Option<Arc<CacheLock>>,
}

impl Cache {
    /// Open (creating it if needed) for a session: holds the cache's shared lock.
    pub fn open(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        for sub in SUBDIRS {
            std::fs::create_dir_all(root.join(sub))?;
        }
        let session = CacheLock::acquire_shared(&Self::session_lock_path(&root))?;
        Ok(Self {
            root,
            _session: Some(Arc::new(session)),
        })
    }

    /// Open with the cache's exclusive lock (for cleaning); `Ok(None)` while another
    /// faaslab process has the cache open.
    pub fn open_exclusive(root: impl Into<PathBuf>) -> std::io::Result<Option<Self>> {
        let root = root.into();
        for sub in SUBDIRS {
            std::fs::create_dir_all(root.join(sub))?;
        }
        Ok(
            CacheLock::try_acquire(&Self::session_lock_path(&root))?.map(|lock| Self {
                root,
                _session: Some(Arc::new(lock)),
            }),
        )
    }

    /// Look at a cache without creating or locking anything (for listing).
    pub fn inspect(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            _session: None,
        }
    }

    fn session_lock_path(root: &Path) -> PathBuf {
        root.join("locks").join("cache.lock")
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn packages_dir(&self, platform: &str, benchmark: &str) -> PathBuf {
        self.root.join("packages").join(platform).join(benchmark)
    }

    pub fn components_dir(&self) -> PathBuf {
        self.root.join("components")
    }

    pub fn inputs_dir(&self, benchmark: &str) -> PathBuf {
        self.root.join("inputs").join(benchmark)
    }

    pub fn function_path(&self, platform: &str, name: &str) -> PathBuf {
        self.root
            .join("functions")
            .join(platform)
            .join(format!("{name}.json"))
    }

    /// Take the cross-process lock named `key` (blocks until it is free).
    pub fn lock(&self, key: &str) -> std::io::Result<CacheLock> {
        CacheLock::acquire(&self.root.join("locks").join(format!("{key}.lock")))
    }

    /// The cached deployment, if any. A corrupt record is a warning and `None`.
    pub fn load_function(&self, platform: &str, name: &str) -> Option<FunctionRecord> {
        read_json(&self.function_path(platform, name))
    }

    pub fn save_function(&self, record: &FunctionRecord) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(record).map_err(std::io::Error::other)?;
        write_atomic(&self.function_path(&record.platform, &record.name), &bytes)
    }

    /// Every cached deployment of a platform (corrupt ones are skipped with a warning).
    pub fn list_functions(&self, platform: &str) -> Vec<FunctionRecord> {
        let dir = self.root.join("functions").join(platform);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut out: Vec<FunctionRecord> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .filter_map(|e| read_json(&e.path()))
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}

/// Read a JSON cache entry; unreadable or corrupt → warning + `None` (rebuilt by caller).
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    read_entry(path, |b| {
        serde_json::from_slice(b).map_err(|e| e.to_string())
    })
}

/// A JSON cache entry as text, if it is valid JSON (else as [`read_json`]).
pub fn read_json_text(path: &Path) -> Option<String> {
    read_entry(path, |b| {
        serde_json::from_slice::<serde::de::IgnoredAny>(b).map_err(|e| e.to_string())?;
        String::from_utf8(b.to_vec()).map_err(|e| e.to_string())
    })
}

fn read_entry<T>(path: &Path, parse: impl FnOnce(&[u8]) -> Result<T, String>) -> Option<T> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(
                "cache entry {} is unreadable ({e}); rebuilding it",
                path.display()
            );
            return None;
        }
    };
    match parse(&bytes) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!(
                "cache entry {} is corrupt ({e}); rebuilding it",
                path.display()
            );
            None
        }
    }
}

/// Write a file so readers see either the old or the new content, never a torn one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("entry"),
        uuid::Uuid::new_v4().simple()
    ));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Seconds since the Unix epoch.
pub fn now_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> FunctionRecord {
        FunctionRecord {
            name: "f".into(),
            platform: "local-process".into(),
            benchmark: "010.sleep".into(),
            code_hash: "abc".into(),
            code_location: "/x".into(),
            config: FunctionConfig::default(),
            created_at: 1,
            updated_at: 2,
        }
    }

    #[test]
    fn function_record_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        cache.save_function(&record()).unwrap();
        assert_eq!(cache.load_function("local-process", "f"), Some(record()));
        assert_eq!(cache.list_functions("local-process").len(), 1);
    }

    #[test]
    fn truncated_record_is_treated_as_absent() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        cache.save_function(&record()).unwrap();
        let path = cache.function_path("local-process", "f");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert_eq!(cache.load_function("local-process", "f"), None);
    }
}
