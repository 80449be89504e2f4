//! Cross-process exclusive locks on files in the cache (flock via fs4).

use std::fs::File;
use std::path::Path;

use fs4::fs_std::FileExt;

/// Held while alive; released on drop (and by the kernel if the process dies).
#[derive(Debug)]
pub struct CacheLock {
    file: File,
}

impl CacheLock {
    pub fn acquire(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        file.lock_exclusive()?;
        Ok(Self { file })
    }
}

impl Drop for CacheLock {
    fn drop(&mut self) {
        let _ = FileExt::unlock(&self.file);
    }
}
