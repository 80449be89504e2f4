//! Guests named by a bare name (`perf-cost`, `ci-2pct.wasm`): the built component of
//! that name in `$FAASLAB_GUESTS_DIR`, `./build/guests`, the source tree's
//! `build/guests`, or an installation's `<prefix>/share/faaslab/guests`.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ResolveError(String);

/// Where built guests are looked for, in order.
pub fn guest_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os("FAASLAB_GUESTS_DIR") {
        dirs.push(PathBuf::from(d));
    }
    dirs.push(PathBuf::from("build/guests"));
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../build/guests"));
    if let Ok(exe) = std::env::current_exe()
        && let Some(prefix) = exe.parent().and_then(Path::parent)
    {
        dirs.push(prefix.join("share/faaslab/guests"));
    }
    dirs
}

/// `path` itself if it is a file or not a bare name; else the built guest of that name.
pub fn resolve_guest(path: &Path) -> Result<PathBuf, ResolveError> {
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    let name = path.display().to_string();
    let stem = name.strip_suffix(".wasm").unwrap_or(&name).to_string();
    let bare = path.components().count() == 1 && !stem.is_empty();
    let dirs = guest_dirs();
    if bare {
        for dir in &dirs {
            let candidate = dir.join(format!("{stem}.wasm"));
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    if !bare {
        // A path: the loader says what is wrong with it.
        return Ok(path.to_path_buf());
    }
    let searched: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    Err(ResolveError(format!(
        "{name}: cannot read: no such file, and no built guest `{stem}.wasm` in {} (build the guests with \
         scripts/build-guests.sh, or give a path)",
        searched.join(", ")
    )))
}
