//! The Lambda-like runtime image the moto emulator runs functions in, made from the
//! local-docker Python base (no registry needed): the base plus
//! `/var/runtime/bootstrap.py` (emulator_runtime.py) as its entry point. moto also
//! starts a `busybox` container (`sleep`) to fill a code volume; without a registry a
//! `busybox:latest` tag of the same base serves (it has `sleep`), made only when no
//! busybox image exists. See docs/aws.md.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CommitContainerOptions, CreateContainerOptions, RemoveContainerOptions, TagImageOptions,
    WaitContainerOptions,
};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::docker::images::ImageSet;
use crate::docker::{DockerError, LABEL_MANAGED, LABEL_PURPOSE, LABEL_RECIPE, is_not_found};

const RUNTIME: &str = include_str!("emulator_runtime.py");
pub const BUSYBOX: &str = "busybox:latest";

/// The image name for `MOTO_DOCKER_LAMBDA_IMAGE` (tagged by the recipe).
pub fn runtime_image(set: &ImageSet) -> String {
    format!("faaslab/lambda-python:{}", &recipe(set)[..12])
}

fn recipe(set: &ImageSet) -> String {
    let mut h = Sha256::new();
    h.update(b"faaslab-lambda-emulator-v1");
    h.update(set.recipe.as_bytes());
    h.update(RUNTIME.as_bytes());
    hex::encode(h.finalize())
}

async fn label_of(docker: &Docker, image: &str) -> Result<Option<String>, DockerError> {
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

/// Build the runtime image (and the busybox stand-in) unless there; returns the
/// runtime image name. The base image must exist (`faaslab images build`).
pub async fn ensure_images(docker: &Docker, set: &ImageSet) -> Result<String, DockerError> {
    if label_of(docker, &set.base).await?.is_none() {
        return Err(DockerError::ImageMissing(set.base.clone()));
    }
    if label_of(docker, BUSYBOX).await?.is_none() {
        docker
            .tag_image(
                &set.base,
                Some(TagImageOptions {
                    repo: Some("busybox".into()),
                    tag: Some("latest".into()),
                }),
            )
            .await
            .map_err(|e| DockerError::api("tagging the base image as busybox", e))?;
    }
    let image = runtime_image(set);
    let recipe = recipe(set);
    if label_of(docker, &image).await?.as_deref() == Some(recipe.as_str()) {
        return Ok(image);
    }
    let labels = HashMap::from([
        (LABEL_MANAGED.to_string(), "true".to_string()),
        (LABEL_PURPOSE.to_string(), "image-build".to_string()),
    ]);
    let script = "import os, sys; os.makedirs('/var/runtime', exist_ok=True); \
                  open('/var/runtime/bootstrap.py', 'w').write(sys.argv[1])";
    let created = docker
        .create_container(
            None::<CreateContainerOptions>,
            ContainerCreateBody {
                image: Some(set.base.clone()),
                cmd: Some(vec![
                    "python3".into(),
                    "-c".into(),
                    script.into(),
                    RUNTIME.into(),
                ]),
                labels: Some(labels),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| DockerError::api("creating the emulator image container", e))?;
    let id = created.id;
    let result = async {
        docker
            .start_container(
                &id,
                None::<bollard::query_parameters::StartContainerOptions>,
            )
            .await
            .map_err(|e| DockerError::api("starting the emulator image container", e))?;
        let mut wait = docker.wait_container(&id, None::<WaitContainerOptions>);
        while let Some(item) = wait.next().await {
            match item {
                Ok(r) if r.status_code == 0 => {}
                Ok(r) => {
                    return Err(DockerError::Failed(format!(
                        "writing the emulator runtime failed (exit {})",
                        r.status_code
                    )));
                }
                Err(e) => {
                    return Err(DockerError::api(
                        "waiting for the emulator image container",
                        e,
                    ));
                }
            }
        }
        let (repo, tag) = image.rsplit_once(':').unwrap_or((&image, "latest"));
        let changes = [
            format!("LABEL {LABEL_MANAGED}=true"),
            format!("LABEL {LABEL_PURPOSE}=lambda-emulator"),
            format!("LABEL {LABEL_RECIPE}={recipe}"),
            "ENV PYTHONDONTWRITEBYTECODE=1".into(),
            "ENV LANG=C.UTF-8".into(),
            "WORKDIR /var/task".into(),
            "ENTRYPOINT [\"python3\", \"/var/runtime/bootstrap.py\"]".into(),
            "CMD []".into(),
        ];
        docker
            .commit_container(
                CommitContainerOptions {
                    container: Some(id.clone()),
                    repo: Some(repo.to_string()),
                    tag: Some(tag.to_string()),
                    changes: Some(changes.join("\n")),
                    comment: Some("faaslab Lambda emulator runtime".into()),
                    ..Default::default()
                },
                bollard::models::ContainerConfig::default(),
            )
            .await
            .map_err(|e| DockerError::api(format!("committing {image}"), e))?;
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
    result.map(|()| image)
}
