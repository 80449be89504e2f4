//! Code packages: benchmark sources + platform wrapper (+ dependencies), hashed over
//! everything that changes the result, built once into the cache.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::benchmarks::Benchmark;
use crate::providers::{ProviderError, ProviderResult};

/// A built code package.
#[derive(Debug, Clone)]
pub struct CodePackage {
    /// Benchmark the package was built from.
    pub benchmark: String,
    /// sha256 over sources, wrapper, requirements and the packaging format.
    pub hash: String,
    /// Directory holding the package.
    pub location: PathBuf,
    /// Whether it was built by this call (false: it was already in the cache).
    pub built: bool,
}

/// sha256 over (name, content) pairs, in the given order.
pub fn hash_files(files: &[(String, PathBuf)]) -> std::io::Result<String> {
    let mut h = Sha256::new();
    let mut buf = Vec::new();
    for (name, path) in files {
        buf.clear();
        std::fs::File::open(path)?.read_to_end(&mut buf)?;
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update((buf.len() as u64).to_le_bytes());
        h.update(&buf);
    }
    Ok(hex::encode(h.finalize()))
}

/// Every regular file below `dir` as (relative path, path), sorted; caches skipped.
pub fn list_tree(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            if name == "__pycache__" || name.to_string_lossy().ends_with(".pyc") {
                continue;
            }
            let path = entry.path();
            let ty = entry.file_type()?;
            if ty.is_dir() {
                walk(root, &path, out)?;
            } else if ty.is_file() {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, path));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

/// Written last into every package: each file's size, checked before a cached package
/// is reused (a package truncated or partly deleted is rebuilt).
pub const PACKAGE_MANIFEST: &str = ".faaslab-package.json";

fn write_package_manifest(dir: &Path) -> std::io::Result<()> {
    let files: std::collections::BTreeMap<String, u64> = list_tree(dir)?
        .into_iter()
        .map(|(rel, path)| Ok((rel, std::fs::metadata(path)?.len())))
        .collect::<std::io::Result<_>>()?;
    let json = serde_json::to_vec_pretty(&files).map_err(std::io::Error::other)?;
    std::fs::write(dir.join(PACKAGE_MANIFEST), json)
}

/// Whether a cached package is whole: every file of its manifest there with its size.
pub fn check_package(dir: &Path) -> Result<(), String> {
    let bytes = std::fs::read(dir.join(PACKAGE_MANIFEST))
        .map_err(|e| format!("{PACKAGE_MANIFEST}: {e}"))?;
    let files: std::collections::BTreeMap<String, u64> =
        serde_json::from_slice(&bytes).map_err(|e| format!("{PACKAGE_MANIFEST}: {e}"))?;
    for (rel, size) in files {
        match std::fs::metadata(dir.join(&rel)) {
            Ok(m) if m.len() == size => {}
            Ok(m) => return Err(format!("{rel} has {} bytes, expected {size}", m.len())),
            Err(e) => return Err(format!("{rel}: {e}")),
        }
    }
    Ok(())
}

/// A file the platform adds to every package (its wrapper / server).
pub struct WrapperFile {
    pub name: &'static str,
    pub content: &'static [u8],
}

/// The files of `benchmark`'s package in `language` (its code directory and the shared
/// files its config names; `Benchmark::sources`).
pub fn package_sources(
    benchmark: &Benchmark,
    language: &str,
) -> ProviderResult<Vec<(String, PathBuf)>> {
    benchmark
        .sources(language)
        .map_err(|e| ProviderError::Invalid(e.to_string()))
}

/// Build (or find in `packages_dir`) the package of a benchmark in `language`: its
/// sources (`package_sources`) under `function/`, the wrapper files (the language's
/// server and clients) at the top; for Python, requirements installed into `deps/`
/// with `python`'s pip (Node.js functions use the standard library only: nothing is
/// installed). The hash covers the language, sources and wrapper. Concurrent builders
/// of the same hash are safe: each builds in its own temp dir and the first rename wins.
pub async fn code_package(
    language: &str,
    benchmark: &str,
    sources: &[(String, PathBuf)],
    wrapper: &[WrapperFile],
    packages_dir: &Path,
    python: &str,
    force_rebuild: bool,
) -> ProviderResult<CodePackage> {
    let mut h = Sha256::new();
    h.update(format!("faaslab-{language}-package-v1"));
    h.update(
        hash_files(sources)
            .map_err(|e| ProviderError::io(format!("hashing the sources of {benchmark}"), e))?,
    );
    for w in wrapper {
        h.update(w.name.as_bytes());
        h.update(w.content);
    }
    let hash = hex::encode(h.finalize());
    let location = packages_dir.join(&hash);
    let mut force_rebuild = force_rebuild;
    if location.is_dir() && !force_rebuild {
        match check_package(&location) {
            Ok(()) => {
                return Ok(CodePackage {
                    benchmark: benchmark.to_string(),
                    hash,
                    location,
                    built: false,
                });
            }
            Err(why) => {
                tracing::warn!(
                    "cached code package {} is damaged ({why}); rebuilding it",
                    location.display()
                );
                force_rebuild = true;
            }
        }
    }
    let tmp = packages_dir.join(format!(".build-{}", uuid::Uuid::new_v4().simple()));
    let pip = (language == "python").then_some(python);
    let result = build_into(&tmp, sources, wrapper, pip).await;
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    move_into_place(&tmp, &location, force_rebuild)?;
    tracing::info!(package = %location.display(), "built code package");
    Ok(CodePackage {
        benchmark: benchmark.to_string(),
        hash,
        location,
        built: true,
    })
}

/// Move a package built in `tmp` to `location` (the cache entry of its hash).
pub fn move_into_place(tmp: &Path, location: &Path, force_rebuild: bool) -> ProviderResult<()> {
    if force_rebuild && location.is_dir() {
        let _ = std::fs::remove_dir_all(location);
    }
    if std::fs::rename(tmp, location).is_err() {
        // Another process finished the same package first; theirs is identical.
        let _ = std::fs::remove_dir_all(tmp);
        if !location.is_dir() {
            return Err(ProviderError::Failed(format!(
                "cannot move the package into {}",
                location.display()
            )));
        }
    }
    Ok(())
}

/// Copy the sources under `dir/function/` and the wrapper files into `dir`; returns
/// the path the requirements file has in the package.
pub fn stage_sources(
    dir: &Path,
    sources: &[(String, PathBuf)],
    wrapper: &[WrapperFile],
) -> ProviderResult<PathBuf> {
    let io = |what: &str, e| ProviderError::io(format!("{what} in {}", dir.display()), e);
    let function_dir = dir.join("function");
    for (rel, src) in sources {
        let dst = function_dir.join(rel);
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io("creating directories", e))?;
        }
        std::fs::copy(src, &dst).map_err(|e| io("copying sources", e))?;
    }
    for w in wrapper {
        let dst = dir.join(w.name);
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io("creating directories", e))?;
        }
        std::fs::write(dst, w.content).map_err(|e| io("writing the wrapper", e))?;
    }
    Ok(function_dir.join("requirements.txt"))
}

/// Whether a requirements file names anything.
pub fn has_requirements(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .map(|t| {
            t.lines()
                .any(|l| !l.trim().is_empty() && !l.trim().starts_with('#'))
        })
        .unwrap_or(false)
}

async fn build_into(
    dir: &Path,
    sources: &[(String, PathBuf)],
    wrapper: &[WrapperFile],
    pip: Option<&str>,
) -> ProviderResult<()> {
    let io = |what: &str, e| ProviderError::io(format!("{what} in {}", dir.display()), e);
    let requirements = stage_sources(dir, sources, wrapper)?;
    if let Some(python) = pip
        && has_requirements(&requirements)
    {
        let log = dir.join("build.log");
        let out = tokio::process::Command::new(python)
            .args(["-m", "pip", "install", "--quiet", "--no-input", "--target"])
            .arg(dir.join("deps"))
            .arg("-r")
            .arg(&requirements)
            .output()
            .await
            .map_err(|e| io("running pip", e))?;
        let mut text = out.stdout;
        text.extend_from_slice(&out.stderr);
        let _ = std::fs::write(&log, &text);
        if !out.status.success() {
            let text = String::from_utf8_lossy(&text);
            let tail: Vec<&str> = text.lines().rev().take(5).collect();
            return Err(ProviderError::Failed(format!(
                "installing requirements failed ({}): {}",
                out.status,
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            )));
        }
    }
    write_package_manifest(dir).map_err(|e| io("writing the package manifest", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRAPPER: &[WrapperFile] = &[
        WrapperFile {
            name: "faaslab_server.js",
            content: b"// server",
        },
        WrapperFile {
            name: "node_modules/helper.js",
            content: b"// helper",
        },
    ];

    async fn package(code: &Path, packages: &Path) -> CodePackage {
        code_package(
            "nodejs",
            "010.sleep",
            &list_tree(code).unwrap(),
            WRAPPER,
            packages,
            "python3",
            false,
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_nodejs_package_is_rehashed_when_a_source_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let code = dir.path().join("nodejs");
        std::fs::create_dir_all(code.join("lib")).unwrap();
        std::fs::write(code.join("function.js"), "exports.handler = () => 1;\n").unwrap();
        std::fs::write(code.join("lib/util.js"), "module.exports = 1;\n").unwrap();
        let packages = dir.path().join("packages");
        let first = package(&code, &packages).await;
        assert!(first.built);
        // The layout a Node server expects; nothing installed.
        for file in [
            "function/function.js",
            "function/lib/util.js",
            "faaslab_server.js",
            "node_modules/helper.js",
        ] {
            assert!(first.location.join(file).is_file(), "{file}");
        }
        assert!(!first.location.join("deps").exists());
        let again = package(&code, &packages).await;
        assert_eq!(
            (again.hash.as_str(), again.built),
            (first.hash.as_str(), false)
        );

        std::fs::write(code.join("lib/util.js"), "module.exports = 2;\n").unwrap();
        let changed = package(&code, &packages).await;
        assert_ne!(
            changed.hash, first.hash,
            "a changed nodejs file changes the hash"
        );
        assert!(changed.built);
        let text = std::fs::read_to_string(changed.location.join("function/lib/util.js")).unwrap();
        assert_eq!(text, "module.exports = 2;\n");

        // The same sources packaged as another language are another package.
        let python = code_package(
            "python",
            "010.sleep",
            &list_tree(&code).unwrap(),
            WRAPPER,
            &packages,
            "python3",
            false,
        )
        .await
        .unwrap();
        assert_ne!(python.hash, changed.hash);
    }
}
