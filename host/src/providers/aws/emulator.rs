//! The Lambda-like runtime image the moto emulator runs functions in, made from the
//! local-docker Python base (no registry needed): the base plus
//! `/var/runtime/bootstrap.py` (emulator_runtime.py) as its entry point. moto also
//! starts a `busybox` container (`sleep`) to fill a code volume; without a registry a
//! `busybox:latest` tag of the same base serves (it has `sleep`), made only when no
//! busybox image exists. See docs/aws.md.

use bollard::Docker;
use bollard::query_parameters::TagImageOptions;
use sha2::{Digest, Sha256};

use crate::docker::images::{CommitOnTop, ImageSet, commit_on_top, recipe_of};
use crate::docker::{DockerError, LABEL_MANAGED, LABEL_PURPOSE, LABEL_RECIPE};

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

/// Build the runtime image (and the busybox stand-in) unless there; returns the
/// runtime image name. The base image must exist (`faaslab images build`).
pub async fn ensure_images(docker: &Docker, set: &ImageSet) -> Result<String, DockerError> {
    if recipe_of(docker, &set.base).await?.is_none() {
        return Err(DockerError::ImageMissing(set.base.clone()));
    }
    if recipe_of(docker, BUSYBOX).await?.is_none() {
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
    if recipe_of(docker, &image).await?.as_deref() == Some(recipe.as_str()) {
        return Ok(image);
    }
    let script = "import os, sys; os.makedirs('/var/runtime', exist_ok=True); \
                  open('/var/runtime/bootstrap.py', 'w').write(sys.argv[1])";
    commit_on_top(
        docker,
        CommitOnTop {
            base: &set.base,
            image: &image,
            upload: None,
            cmd: vec!["python3".into(), "-c".into(), script.into(), RUNTIME.into()],
            changes: vec![
                format!("LABEL {LABEL_MANAGED}=true"),
                format!("LABEL {LABEL_PURPOSE}=lambda-emulator"),
                format!("LABEL {LABEL_RECIPE}={recipe}"),
                "ENV PYTHONDONTWRITEBYTECODE=1".into(),
                "ENV LANG=C.UTF-8".into(),
                "WORKDIR /var/task".into(),
                "ENTRYPOINT [\"python3\", \"/var/runtime/bootstrap.py\"]".into(),
                "CMD []".into(),
            ],
            comment: "faaslab Lambda emulator runtime".into(),
            failure: "writing the emulator runtime into the image failed".into(),
        },
    )
    .await?;
    Ok(image)
}
