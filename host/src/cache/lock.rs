//! Cross-process locks on files in the cache (flock via fs4).

use std::fs::File;
use std::path::Path;

use fs4::fs_std::FileExt;

/// Held while alive; released on drop (and by the kernel if the process dies).
#[derive(Debug)]
pub struct CacheLock {
    file: File,
}

fn open_lock_file(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
}

impl CacheLock {
    /// Exclusive lock; blocks until it is free.
    pub fn acquire(path: &Path) -> std::io::Result<Self> {
        let file = open_lock_file(path)?;
        file.lock_exclusive()?;
        Ok(Self { file })
    }

    /// Shared lock; blocks while someone holds it exclusively.
    pub fn acquire_shared(path: &Path) -> std::io::Result<Self> {
        let file = open_lock_file(path)?;
        file.lock_shared()?;
        Ok(Self { file })
    }

    /// Exclusive lock if nobody holds the file locked, else `None`.
    pub fn try_acquire(path: &Path) -> std::io::Result<Option<Self>> {
        let file = open_lock_file(path)?;
        match file.try_lock_exclusive() {
            Ok(true) => Ok(Some(Self { file })),
            Ok(false) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Drop for CacheLock {
    fn drop(&mut self) {
        let _ = FileExt::unlock(&self.file);
    }
}
