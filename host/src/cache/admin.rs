//! `faaslab cache list|clean`: what the cache holds, and removing parts of it.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Cache, FunctionRecord};

/// A cached deployment; `record` is `None` when the file is corrupt (it will be rebuilt).
#[derive(Debug, Clone, Serialize)]
pub struct FunctionEntry {
    pub platform: String,
    pub name: String,
    pub path: PathBuf,
    pub record: Option<FunctionRecord>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PackageEntry {
    pub platform: String,
    pub benchmark: String,
    pub code_hash: String,
    pub path: PathBuf,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputEntry {
    pub benchmark: String,
    pub file: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComponentEntry {
    pub file: String,
    pub bytes: u64,
}

/// Everything the cache holds, for `faaslab cache list`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CacheListing {
    pub root: PathBuf,
    pub functions: Vec<FunctionEntry>,
    pub packages: Vec<PackageEntry>,
    pub inputs: Vec<InputEntry>,
    pub components: Vec<ComponentEntry>,
}

/// Which entries `faaslab cache clean` removes: everything matching both filters
/// (no filter: the whole cache).
#[derive(Debug, Clone, Default)]
pub struct CleanFilter {
    pub benchmark: Option<String>,
    pub platform: Option<String>,
}

/// What `clean` removed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CleanReport {
    pub functions: usize,
    pub packages: usize,
    pub inputs: usize,
    pub components: usize,
    pub bytes: u64,
}

/// Visible entries of a directory, sorted by name (temp files and in-progress builds,
/// which start with '.', are skipped).
fn entries(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, PathBuf)> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .filter(|(n, _)| !n.starts_with('.'))
        .collect();
    out.sort();
    out
}

/// Bytes below `path` (a file or a directory tree; symlinks not followed).
pub fn tree_size(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| tree_size(&e.path()))
                .sum()
        })
        .unwrap_or(0)
}

fn remove(path: &Path) -> std::io::Result<u64> {
    let bytes = tree_size(path);
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() {
        std::fs::remove_dir_all(path)?;
    } else {
        std::fs::remove_file(path)?;
    }
    Ok(bytes)
}

impl Cache {
    /// Every entry of the cache, corrupt ones included (marked with their error).
    pub fn listing(&self) -> CacheListing {
        let root = self.root();
        let mut out = CacheListing {
            root: root.to_path_buf(),
            ..Default::default()
        };
        for (platform, dir) in entries(&root.join("functions")) {
            for (file, path) in entries(&dir) {
                let Some(name) = file.strip_suffix(".json") else {
                    continue;
                };
                let parsed = std::fs::read(&path)
                    .map_err(|e| e.to_string())
                    .and_then(|b| {
                        serde_json::from_slice::<FunctionRecord>(&b).map_err(|e| e.to_string())
                    });
                let (record, error) = match parsed {
                    Ok(r) => (Some(r), None),
                    Err(e) => (None, Some(e)),
                };
                out.functions.push(FunctionEntry {
                    platform: platform.clone(),
                    name: name.to_string(),
                    path,
                    record,
                    error,
                });
            }
        }
        for (platform, pdir) in entries(&root.join("packages")) {
            for (benchmark, bdir) in entries(&pdir) {
                for (code_hash, path) in entries(&bdir) {
                    out.packages.push(PackageEntry {
                        platform: platform.clone(),
                        benchmark: benchmark.clone(),
                        bytes: tree_size(&path),
                        code_hash,
                        path,
                    });
                }
            }
        }
        for (benchmark, dir) in entries(&root.join("inputs")) {
            for (file, path) in entries(&dir) {
                out.inputs.push(InputEntry {
                    benchmark: benchmark.clone(),
                    bytes: tree_size(&path),
                    file,
                });
            }
        }
        for (file, path) in entries(&root.join("components")) {
            out.components.push(ComponentEntry {
                bytes: tree_size(&path),
                file,
            });
        }
        out
    }

    /// Remove the entries matching `filter`. Call on a cache opened with
    /// [`Cache::open_exclusive`], so no running session loses entries it uses.
    /// Temp files of interrupted writes go with the directories that hold them.
    pub fn clean(&self, filter: &CleanFilter) -> std::io::Result<CleanReport> {
        let root = self.root();
        let mut report = CleanReport::default();
        let platform_ok = |p: &str| filter.platform.as_deref().is_none_or(|f| f == p);
        let benchmark_ok = |b: &str| filter.benchmark.as_deref().is_none_or(|f| f == b);
        let unfiltered = filter.platform.is_none() && filter.benchmark.is_none();

        let functions = root.join("functions");
        for (platform, dir) in entries(&functions) {
            if !platform_ok(&platform) {
                continue;
            }
            if filter.benchmark.is_none() {
                report.functions += entries(&dir).len();
                report.bytes += remove(&dir)?;
                continue;
            }
            for (_, path) in entries(&dir) {
                // A corrupt record names no benchmark: it goes only without --benchmark.
                let record: Option<FunctionRecord> = std::fs::read(&path)
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok());
                if record.is_some_and(|r| benchmark_ok(&r.benchmark)) {
                    report.functions += 1;
                    report.bytes += remove(&path)?;
                }
            }
        }
        for (platform, pdir) in entries(&root.join("packages")) {
            if !platform_ok(&platform) {
                continue;
            }
            for (benchmark, bdir) in entries(&pdir) {
                if benchmark_ok(&benchmark) {
                    report.packages += entries(&bdir).len();
                    report.bytes += remove(&bdir)?;
                }
            }
            if filter.benchmark.is_none() {
                report.bytes += remove(&pdir)?;
            }
        }
        if filter.platform.is_none() {
            for (benchmark, dir) in entries(&root.join("inputs")) {
                if benchmark_ok(&benchmark) {
                    report.inputs += entries(&dir).len();
                    report.bytes += remove(&dir)?;
                }
            }
        }
        if unfiltered {
            let components = root.join("components");
            report.components = entries(&components).len();
            report.bytes += remove(&components)?;
            std::fs::create_dir_all(&components)?;
            let interpreters = root.join("interpreters");
            if interpreters.exists() {
                report.bytes += remove(&interpreters)?;
            }
        }
        Ok(report)
    }
}
