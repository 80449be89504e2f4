//! Code packages built in a build container (the build image of `faaslab images
//! build`): sources + the platform wrapper staged on the host, dependencies from the
//! benchmark's requirements installed into `deps/` inside the container. The
//! container's network cannot verify PyPI's certificates on every machine, so the
//! host fetches the distributions (`pip download`) and the container installs them
//! offline (`pip install --no-index --find-links`). The package hash covers sources,
//! wrapper, requirements and the build image id; an unchanged benchmark is never rebuilt.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptions, StartContainerOptions, WaitContainerOptions,
};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::images::tail;
use super::{DockerError, LABEL_MANAGED, LABEL_PURPOSE, LABEL_VERSION};
use crate::packaging::{
    CodePackage, WrapperFile, has_requirements, hash_files, move_into_place, stage_sources,
};
use crate::providers::{ProviderError, ProviderResult};

/// What a package build needs to know about the build image.
pub struct BuildImage<'a> {
    pub docker: &'a Docker,
    pub image: &'a str,
    pub image_id: &'a str,
    /// Python on the host that fetches distributions for offline installation.
    pub host_python: &'a str,
    /// Requirements as wheels for this platform (a cloud runtime's); None: the build
    /// container's own.
    pub pip_target: Option<&'a PipTarget>,
}

/// The package hash: language, sources (requirements included), wrapper, build image id.
pub fn package_hash(
    language: &str,
    sources: &[(String, std::path::PathBuf)],
    wrapper: &[WrapperFile],
    build_image_id: &str,
) -> std::io::Result<String> {
    let mut h = Sha256::new();
    h.update(format!("faaslab-docker-{language}-package-v1"));
    h.update(hash_files(sources)?);
    for w in wrapper {
        h.update(w.name.as_bytes());
        h.update(w.content);
    }
    h.update(build_image_id.as_bytes());
    Ok(hex::encode(h.finalize()))
}

/// Requirements for another platform than the build container's own (a cloud
/// runtime's): pip's cross-platform options, which take binary wheels only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipTarget {
    /// pip platform tags, e.g. `manylinux2014_aarch64`.
    pub platforms: Vec<String>,
    /// The runtime's Python version, e.g. `3.12`.
    pub python_version: String,
}

impl PipTarget {
    fn args(&self) -> Vec<String> {
        let mut args = vec![
            "--only-binary=:all:".to_string(),
            "--implementation".into(),
            "cp".into(),
            "--python-version".into(),
            self.python_version.clone(),
        ];
        for p in &self.platforms {
            args.extend(["--platform".to_string(), p.clone()]);
        }
        args
    }
}

/// The package of a benchmark in `language`; only Python has dependencies to install
/// (Node.js functions use the standard library only), as wheels for `target` (None:
/// the build container's own platform; the target is part of the package hash).
pub async fn package_in_container(
    language: &str,
    build: &BuildImage<'_>,
    benchmark: &str,
    sources: &[(String, PathBuf)],
    wrapper: &[WrapperFile],
    packages_dir: &Path,
    force_rebuild: bool,
) -> ProviderResult<CodePackage> {
    let mut hash = package_hash(language, sources, wrapper, build.image_id)
        .map_err(|e| ProviderError::io(format!("hashing the sources of {benchmark}"), e))?;
    let target = build.pip_target;
    if let Some(t) = target {
        hash = hex::encode(Sha256::digest(format!("{hash}|{:?}", t.args())));
    }
    let location = packages_dir.join(&hash);
    let package = |built| CodePackage {
        benchmark: benchmark.to_string(),
        hash: hash.clone(),
        location: location.clone(),
        built,
    };
    if location.is_dir() && !force_rebuild {
        return Ok(package(false));
    }
    std::fs::create_dir_all(packages_dir)
        .map_err(|e| ProviderError::io(format!("creating {}", packages_dir.display()), e))?;
    let tmp = packages_dir.join(format!(".build-{}", uuid::Uuid::new_v4().simple()));
    let result = async {
        let requirements = stage_sources(&tmp, sources, wrapper)?;
        if language == "python" && has_requirements(&requirements) {
            install_requirements(build, &tmp, target).await?;
        }
        Ok::<_, ProviderError>(())
    }
    .await;
    if let Err(e) = result {
        // Keep the log of the failed build beside the packages.
        let _ = std::fs::copy(tmp.join("build.log"), packages_dir.join("failed-build.log"));
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    move_into_place(&tmp, &location, force_rebuild)?;
    tracing::info!(package = %location.display(), "built code package in a build container");
    Ok(package(true))
}

/// `pip download` on the host into `dir/.wheels`, then `pip install --no-index` in a
/// build container into `dir/deps`; the whole log goes to `dir/build.log`.
async fn install_requirements(
    build: &BuildImage<'_>,
    dir: &Path,
    target: Option<&PipTarget>,
) -> ProviderResult<()> {
    let log_path = dir.join("build.log");
    let wheels = dir.join(".wheels");
    let target_args = target.map(PipTarget::args).unwrap_or_default();
    let out = tokio::process::Command::new(build.host_python)
        .args(["-m", "pip", "download", "--quiet", "--no-input", "-d"])
        .arg(&wheels)
        .args(&target_args)
        .arg("-r")
        .arg(dir.join("function/requirements.txt"))
        .output()
        .await
        .map_err(|e| ProviderError::io("running pip download on the host", e))?;
    let mut log = out.stdout;
    log.extend_from_slice(&out.stderr);
    if !out.status.success() {
        let _ = std::fs::write(&log_path, &log);
        return Err(ProviderError::Failed(format!(
            "fetching requirements on the host failed ({}): {}",
            out.status,
            tail(&String::from_utf8_lossy(&log), 5)
        )));
    }
    let labels = HashMap::from([
        (LABEL_MANAGED.to_string(), "true".to_string()),
        (
            LABEL_VERSION.to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        ),
        (LABEL_PURPOSE.to_string(), "build".to_string()),
    ]);
    // SAFETY: getuid/getgid cannot fail.
    let user = unsafe { format!("{}:{}", libc::getuid(), libc::getgid()) };
    let docker = build.docker;
    let created = docker
        .create_container(
            None::<CreateContainerOptions>,
            ContainerCreateBody {
                image: Some(build.image.to_string()),
                cmd: Some(
                    [
                        "python3",
                        "-m",
                        "pip",
                        "install",
                        "--no-input",
                        "--no-index",
                        "--disable-pip-version-check",
                        "--find-links",
                        "/pkg/.wheels",
                        "--target",
                        "/pkg/deps",
                        "-r",
                        "/pkg/function/requirements.txt",
                    ]
                    .map(String::from)
                    .into_iter()
                    .chain(target_args.iter().cloned())
                    .collect(),
                ),
                env: Some(vec!["HOME=/tmp".into(), "PIP_NO_CACHE_DIR=1".into()]),
                user: Some(user),
                labels: Some(labels),
                network_disabled: Some(true),
                host_config: Some(HostConfig {
                    binds: Some(vec![format!("{}:/pkg", dir.display())]),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| {
            DockerError::api(format!("creating a build container of {}", build.image), e)
        })?;
    let id = created.id;
    let result = async {
        docker
            .start_container(&id, None::<StartContainerOptions>)
            .await
            .map_err(|e| DockerError::api("starting the build container", e))?;
        let mut code = 0;
        let mut wait = docker.wait_container(&id, None::<WaitContainerOptions>);
        while let Some(item) = wait.next().await {
            match item {
                Ok(r) => code = r.status_code,
                Err(bollard::errors::Error::DockerContainerWaitError { code: c, .. }) => code = c,
                Err(e) => return Err(DockerError::api("waiting for the build container", e)),
            }
        }
        Ok(code)
    }
    .await;
    let text = crate::providers::local_docker::logs_text(docker, &id).await;
    crate::providers::local_docker::remove_container(docker, &id).await;
    log.extend_from_slice(text.as_bytes());
    let _ = std::fs::write(&log_path, &log);
    let _ = std::fs::remove_dir_all(&wheels);
    let code = result?;
    if code != 0 {
        return Err(ProviderError::Failed(format!(
            "build container failed (exit {code}); log kept as failed-build.log beside the packages: {}",
            tail(&text, 5)
        )));
    }
    Ok(())
}
