//! The images local-docker runs and builds on, made without a registry: a Python base
//! image imported from a debootstrap root filesystem (or a public base image named in
//! the config), and the run and build images committed on top of it. Every image is
//! labelled with the faaslab version, its purpose and the hash of its recipe; an image
//! whose recipe hash matches is never rebuilt, and the root filesystem tarball is kept
//! in the cache so a rebuild of the images does not rerun debootstrap.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bollard::Docker;
use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CommitContainerOptions, CreateContainerOptions, CreateImageOptions, RemoveContainerOptions,
    UploadToContainerOptions, WaitContainerOptions,
};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::{DockerError, LABEL_MANAGED, LABEL_PURPOSE, LABEL_RECIPE, LABEL_VERSION, is_not_found};
use crate::config::LocalDockerConfig;

/// Bump when the way images are made changes.
const RECIPE_VERSION: &str = "faaslab-python-images-v1";
/// Packages debootstrap adds to the minimal Debian: the Python and Node.js runtimes of
/// functions (Debian's nodejs; no npm: Node functions use the standard library only),
/// pip for Python requirements, ffmpeg for the media benchmarks.
const PACKAGES: &str = "python3,python3-pip,nodejs,ffmpeg";

/// Where the base comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseSource {
    Debootstrap { suite: String, mirror: String },
    Public(String),
}

/// The images of one configuration.
#[derive(Debug, Clone)]
pub struct ImageSet {
    pub source: BaseSource,
    /// sha256 of the recipe; every image of the set carries it.
    pub recipe: String,
    pub base: String,
    pub run: String,
    pub build: String,
}

impl ImageSet {
    pub fn from_config(config: &LocalDockerConfig) -> Result<Self, DockerError> {
        let source = match &config.base_image {
            Some(image) => BaseSource::Public(image.clone()),
            None => BaseSource::Debootstrap {
                suite: config.debian_suite.clone(),
                mirror: match &config.debian_mirror {
                    Some(m) => m.clone(),
                    None => apt_mirror().ok_or_else(|| {
                        DockerError::Failed(
                            "no Debian mirror in /etc/apt/sources.list(.d); set \
                             platforms.local-docker.debian_mirror"
                                .into(),
                        )
                    })?,
                },
            },
        };
        let mut h = Sha256::new();
        h.update(RECIPE_VERSION);
        match &source {
            BaseSource::Debootstrap { suite, mirror } => {
                h.update(format!("debootstrap|minbase|{suite}|{mirror}|{PACKAGES}"))
            }
            BaseSource::Public(image) => h.update(format!("public|{image}")),
        }
        let recipe = hex::encode(h.finalize());
        let tag = &recipe[..12];
        let base = match &source {
            BaseSource::Debootstrap { suite, .. } => format!("faaslab/python-base:{suite}-{tag}"),
            BaseSource::Public(image) => image.clone(),
        };
        Ok(Self {
            source,
            base,
            run: format!("faaslab/python-run:{tag}"),
            build: format!("faaslab/python-build:{tag}"),
            recipe,
        })
    }
}

/// The first Debian mirror in the machine's apt sources.
pub fn apt_mirror() -> Option<String> {
    let mut files = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(dir) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<_> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        more.sort();
        files.extend(more);
    }
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for line in text.lines().map(str::trim) {
            let uri = if let Some(rest) = line.strip_prefix("URIs:") {
                rest.split_whitespace().next()
            } else if let Some(rest) = line.strip_prefix("deb ") {
                rest.split_whitespace().find(|w| !w.starts_with('['))
            } else {
                None
            };
            if let Some(uri) = uri
                && uri.contains("debian")
                && !uri.contains("security")
            {
                return Some(uri.to_string());
            }
        }
    }
    None
}

/// The recipe label of an image, or None when the image does not exist.
pub async fn recipe_of(docker: &Docker, image: &str) -> Result<Option<String>, DockerError> {
    match docker.inspect_image(image).await {
        Ok(info) => Ok(Some(
            info.config
                .and_then(|c| c.labels)
                .and_then(|mut l| l.remove(LABEL_RECIPE))
                .unwrap_or_default(),
        )),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(DockerError::api(format!("inspecting image {image}"), e)),
    }
}

/// Check the run (and optionally build) image exist and match the recipe; return the
/// run image's id.
pub async fn require(
    docker: &Docker,
    set: &ImageSet,
    build_too: bool,
) -> Result<String, DockerError> {
    let mut wanted = vec![&set.run];
    if build_too {
        wanted.push(&set.build);
    }
    for image in wanted {
        if recipe_of(docker, image).await?.as_deref() != Some(set.recipe.as_str()) {
            return Err(DockerError::ImageMissing(image.clone()));
        }
    }
    image_id(docker, &set.run).await
}

pub async fn image_id(docker: &Docker, image: &str) -> Result<String, DockerError> {
    docker
        .inspect_image(image)
        .await
        .map_err(|e| {
            if is_not_found(&e) {
                DockerError::ImageMissing(image.to_string())
            } else {
                DockerError::api(format!("inspecting image {image}"), e)
            }
        })?
        .id
        .ok_or_else(|| DockerError::Failed(format!("image {image} has no id")))
}

/// What `build` did.
#[derive(Debug, Default)]
pub struct BuildReport {
    /// Images built by this call (the others were already there).
    pub built: Vec<String>,
    pub reused: Vec<String>,
}

fn labels(purpose: &str, recipe: &str) -> Vec<String> {
    vec![
        format!("LABEL {LABEL_MANAGED}=true"),
        format!("LABEL {LABEL_VERSION}={}", env!("CARGO_PKG_VERSION")),
        format!("LABEL {LABEL_PURPOSE}={purpose}"),
        format!("LABEL {LABEL_RECIPE}={recipe}"),
    ]
}

/// Build whatever of the set is missing or stale (`force`: all of it).
pub async fn build(
    docker: &Docker,
    set: &ImageSet,
    cache_dir: &Path,
    force: bool,
) -> Result<BuildReport, DockerError> {
    let mut report = BuildReport::default();
    match &set.source {
        BaseSource::Debootstrap { suite, mirror } => {
            if force || recipe_of(docker, &set.base).await?.as_deref() != Some(&set.recipe) {
                let tar = rootfs_tarball(cache_dir, &set.recipe, suite, mirror, force).await?;
                import(docker, &tar, &set.base, &set.recipe).await?;
                report.built.push(set.base.clone());
            } else {
                report.reused.push(set.base.clone());
            }
        }
        BaseSource::Public(image) => {
            if recipe_of(docker, image).await?.is_none() {
                pull(docker, image).await?;
            }
        }
    }
    for (image, purpose, check) in [
        (
            &set.run,
            "run",
            "python3 -c 'import sys; print(sys.version)' && node --version",
        ),
        (
            &set.build,
            "build",
            "python3 -c 'import pip, sys; print(sys.version, pip.__version__)'",
        ),
    ] {
        if !force && recipe_of(docker, image).await?.as_deref() == Some(&set.recipe) {
            report.reused.push(image.clone());
            continue;
        }
        let mut changes = labels(purpose, &set.recipe);
        changes.extend([
            "ENV PYTHONDONTWRITEBYTECODE=1".to_string(),
            "ENV LANG=C.UTF-8".to_string(),
            "CMD [\"python3\"]".to_string(),
        ]);
        commit_on_top(
            docker,
            CommitOnTop {
                base: &set.base,
                image,
                upload: None,
                cmd: vec!["sh".into(), "-c".into(), check.into()],
                changes,
                comment: format!("faaslab {purpose} image"),
                failure: format!(
                    "{} fails `{check}`: it needs python3{}",
                    set.base,
                    if purpose == "build" {
                        " and pip"
                    } else {
                        " and node"
                    }
                ),
            },
        )
        .await?;
        report.built.push(image.clone());
    }
    Ok(report)
}

async fn pull(docker: &Docker, image: &str) -> Result<(), DockerError> {
    let mut stream = docker.create_image(
        Some(CreateImageOptions {
            from_image: Some(image.to_string()),
            ..Default::default()
        }),
        None,
        None,
    );
    while let Some(item) = stream.next().await {
        item.map_err(|e| {
            DockerError::Failed(format!(
                "cannot pull the base image `{image}` (platforms.local-docker.base_image): {e}; \
                 without a registry, leave base_image unset to build it with debootstrap"
            ))
        })?;
    }
    Ok(())
}

/// `<cache>/images/rootfs-<recipe>.tar`, made by debootstrap unless already there.
async fn rootfs_tarball(
    cache_dir: &Path,
    recipe: &str,
    suite: &str,
    mirror: &str,
    force: bool,
) -> Result<PathBuf, DockerError> {
    let dir = cache_dir.join("images");
    std::fs::create_dir_all(&dir)
        .map_err(|e| DockerError::Failed(format!("creating {}: {e}", dir.display())))?;
    let tar = dir.join(format!("rootfs-{recipe}.tar"));
    if tar.is_file() && !force {
        tracing::info!(tarball = %tar.display(), "reusing the cached root filesystem");
        return Ok(tar);
    }
    let tmp = dir.join(format!(".rootfs-{}", uuid::Uuid::new_v4().simple()));
    let log = dir.join(format!("debootstrap-{recipe}.log"));
    let _ = std::fs::remove_file(&log);
    tracing::info!(%suite, %mirror, "debootstrap (takes a few minutes)");
    let result = async {
        run_logged(
            tokio::process::Command::new("debootstrap")
                .args(["--variant=minbase", &format!("--include={PACKAGES}"), suite])
                .arg(&tmp)
                .arg(mirror),
            &log,
            "debootstrap",
        )
        .await?;
        // Keep the image small: no apt lists or package archives.
        let _ = std::fs::remove_dir_all(tmp.join("var/cache/apt/archives"));
        let _ = std::fs::remove_dir_all(tmp.join("var/lib/apt/lists"));
        let part = tar.with_extension("tar.part");
        run_logged(
            tokio::process::Command::new("tar")
                .arg("--numeric-owner")
                .arg("-C")
                .arg(&tmp)
                .arg("-cf")
                .arg(&part)
                .arg("."),
            &log,
            "tar",
        )
        .await?;
        std::fs::rename(&part, &tar)
            .map_err(|e| DockerError::Failed(format!("moving {}: {e}", part.display())))
    }
    .await;
    let _ = std::fs::remove_dir_all(&tmp);
    result.map(|()| tar)
}

async fn run_logged(
    cmd: &mut tokio::process::Command,
    log: &Path,
    what: &str,
) -> Result<(), DockerError> {
    let out = cmd
        .output()
        .await
        .map_err(|e| DockerError::Failed(format!("cannot run {what}: {e}")))?;
    let mut text = out.stdout;
    text.extend_from_slice(&out.stderr);
    // One log for all steps of a build.
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
    {
        let _ = std::io::Write::write_all(&mut f, &text);
    }
    if !out.status.success() {
        return Err(DockerError::Failed(format!(
            "{what} failed ({}); log {}: {}",
            out.status,
            log.display(),
            tail(&String::from_utf8_lossy(&text), 5)
        )));
    }
    Ok(())
}

/// Last `n` non-empty lines, joined on one line.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

/// Import a root filesystem tarball as an image (the engine's `docker import`).
async fn import(docker: &Docker, tar: &Path, image: &str, recipe: &str) -> Result<(), DockerError> {
    let (repo, tag) = image.rsplit_once(':').unwrap_or((image, "latest"));
    let file = tokio::fs::File::open(tar)
        .await
        .map_err(|e| DockerError::Failed(format!("opening {}: {e}", tar.display())))?;
    let body = bollard::body_try_stream(tokio_util::io::ReaderStream::new(file));
    let mut changes = labels("base", recipe);
    changes.extend([
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
        "ENV LANG=C.UTF-8".to_string(),
        "CMD [\"python3\"]".to_string(),
    ]);
    let mut stream = docker.create_image(
        Some(CreateImageOptions {
            from_src: Some("-".into()),
            repo: Some(repo.to_string()),
            tag: Some(tag.to_string()),
            changes,
            ..Default::default()
        }),
        Some(body),
        None,
    );
    while let Some(item) = stream.next().await {
        item.map_err(|e| DockerError::api(format!("importing {}", tar.display()), e))?;
    }
    tracing::info!(%image, "imported the base image");
    Ok(())
}

/// A container of `base` that runs `cmd` and, when it exits 0, is committed as `image`
/// with `changes` (Dockerfile instructions: LABEL, ENV, WORKDIR, ENTRYPOINT, CMD).
pub struct CommitOnTop<'a> {
    pub base: &'a str,
    pub image: &'a str,
    /// A tar archive unpacked into the given directory before `cmd` runs.
    pub upload: Option<(&'a str, Vec<u8>)>,
    pub cmd: Vec<String>,
    pub changes: Vec<String>,
    pub comment: String,
    /// What a failing `cmd` means, for the error (the exit code follows it).
    pub failure: String,
}

/// Create a container for `step`, run it, commit it, and remove the container.
pub async fn commit_on_top(docker: &Docker, mut step: CommitOnTop<'_>) -> Result<(), DockerError> {
    let upload = step.upload.take();
    let mut label_map = HashMap::new();
    label_map.insert(LABEL_MANAGED.to_string(), "true".to_string());
    label_map.insert(LABEL_PURPOSE.to_string(), "image-build".to_string());
    let created = docker
        .create_container(
            None::<CreateContainerOptions>,
            ContainerCreateBody {
                image: Some(step.base.to_string()),
                cmd: Some(step.cmd.clone()),
                labels: Some(label_map),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| DockerError::api(format!("creating a container of {}", step.base), e))?;
    let id = created.id;
    let result = async {
        if let Some((dir, tar)) = upload {
            docker
                .upload_to_container(
                    &id,
                    Some(UploadToContainerOptions {
                        path: dir.to_string(),
                        ..Default::default()
                    }),
                    bollard::body_full(tar.into()),
                )
                .await
                .map_err(|e| DockerError::api(format!("copying files into {dir}"), e))?;
        }
        docker
            .start_container(
                &id,
                None::<bollard::query_parameters::StartContainerOptions>,
            )
            .await
            .map_err(|e| DockerError::api(format!("starting a container for {}", step.image), e))?;
        let mut wait = docker.wait_container(&id, None::<WaitContainerOptions>);
        let mut code = 0;
        while let Some(item) = wait.next().await {
            match item {
                Ok(r) => code = r.status_code,
                Err(bollard::errors::Error::DockerContainerWaitError { code: c, .. }) => code = c,
                Err(e) => {
                    return Err(DockerError::api(
                        format!("waiting for the container of {}", step.image),
                        e,
                    ));
                }
            }
        }
        if code != 0 {
            return Err(DockerError::Failed(format!(
                "{} (exit {code})",
                step.failure
            )));
        }
        let (repo, tag) = step
            .image
            .rsplit_once(':')
            .unwrap_or((step.image, "latest"));
        docker
            .commit_container(
                CommitContainerOptions {
                    container: Some(id.clone()),
                    repo: Some(repo.to_string()),
                    tag: Some(tag.to_string()),
                    changes: Some(step.changes.join("\n")),
                    comment: Some(step.comment.clone()),
                    ..Default::default()
                },
                bollard::models::ContainerConfig::default(),
            )
            .await
            .map_err(|e| DockerError::api(format!("committing {}", step.image), e))?;
        tracing::info!(image = %step.image, "built");
        Ok(())
    }
    .await;
    let _ = docker
        .remove_container(
            &id,
            Some(RemoveContainerOptions {
                force: true,
                ..Default::default()
            }),
        )
        .await;
    result
}
