//! Lambda zip packages: the package directory built in the build container (wrapper at
//! the top, `function/`, `deps/`) zipped next to it as `<hash>.zip`, with fixed
//! timestamps and sorted entries so a package always zips to the same bytes.

use std::io::Write;
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;

use crate::docker::build::PipTarget;
use crate::packaging::{CodePackage, list_tree};
use crate::providers::{Architecture, ProviderError, ProviderResult};

/// What requirements are installed for: the function's architecture and Python
/// version, whatever the build machine is. Lambda's python3.12+ runtimes run on Amazon
/// Linux 2023 (glibc 2.34), older ones on Amazon Linux 2 (glibc 2.26): manylinux2014
/// (glibc 2.17) wheels fit all, manylinux_2_28 wheels only the newer runtimes.
pub fn pip_target(arch: Architecture, python_version: &str) -> PipTarget {
    let machine = match arch {
        Architecture::X86_64 => "x86_64",
        Architecture::Arm64 => "aarch64",
    };
    let mut platforms = vec![format!("manylinux2014_{machine}")];
    let minor = python_version
        .strip_prefix("3.")
        .and_then(|m| m.parse::<u32>().ok());
    if minor.is_some_and(|m| m >= 12) {
        platforms.push(format!("manylinux_2_28_{machine}"));
    }
    PipTarget {
        platforms,
        python_version: python_version.to_string(),
    }
}

/// Build leftovers that are not part of what Lambda runs.
fn skipped(rel: &str) -> bool {
    rel == "build.log" || rel.starts_with(".wheels/")
}

/// The zip of a package (made once; reused while its size is right).
pub fn zip_path(package: &CodePackage) -> PathBuf {
    package.location.with_extension("zip")
}

pub fn ensure_zip(package: &CodePackage) -> ProviderResult<PathBuf> {
    let path = zip_path(package);
    if path.is_file() && !package.built {
        return Ok(path);
    }
    let tmp = path.with_extension(format!("zip.{}", uuid::Uuid::new_v4().simple()));
    let result = write_zip(&package.location, &tmp);
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(ProviderError::io(
            format!("zipping {}", package.location.display()),
            e,
        ));
    }
    std::fs::rename(&tmp, &path)
        .map_err(|e| ProviderError::io(format!("moving the zip to {}", path.display()), e))?;
    Ok(path)
}

fn write_zip(dir: &Path, out: &Path) -> std::io::Result<()> {
    let file = std::fs::File::create(out)?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (rel, path) in list_tree(dir)? {
        if skipped(&rel) {
            continue;
        }
        zip.start_file(rel.as_str(), options)
            .map_err(std::io::Error::other)?;
        zip.write_all(&std::fs::read(&path)?)?;
    }
    zip.finish().map_err(std::io::Error::other)?.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheels_follow_the_architecture_and_the_runtime() {
        let arm = pip_target(Architecture::Arm64, "3.12");
        assert_eq!(
            arm.platforms,
            ["manylinux2014_aarch64", "manylinux_2_28_aarch64"]
        );
        assert_eq!(arm.python_version, "3.12");
        let old = pip_target(Architecture::X86_64, "3.11");
        assert_eq!(old.platforms, ["manylinux2014_x86_64"]);
    }

    #[test]
    fn zips_are_reproducible_and_skip_build_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("abc");
        std::fs::create_dir_all(pkg.join("function")).unwrap();
        std::fs::create_dir_all(pkg.join(".wheels")).unwrap();
        std::fs::write(pkg.join("function/function.py"), "def handler(e): return e").unwrap();
        std::fs::write(pkg.join(".wheels/x.whl"), "x").unwrap();
        std::fs::write(pkg.join("build.log"), "log").unwrap();
        let (a, b) = (dir.path().join("a.zip"), dir.path().join("b.zip"));
        write_zip(&pkg, &a).unwrap();
        write_zip(&pkg, &b).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        let archive = zip::ZipArchive::new(std::fs::File::open(&a).unwrap()).unwrap();
        let names: Vec<String> = archive
            .file_names()
            .map(|n| n.unwrap().to_string())
            .collect();
        assert_eq!(names, ["function/function.py"]);
    }
}
