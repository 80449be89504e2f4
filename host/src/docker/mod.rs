//! The Docker engine as faaslab uses it (bollard): connecting with one clear error,
//! the images faaslab builds from local parts, and the labels that mark what is ours.

pub mod build;
pub mod images;
pub mod local;

use bollard::Docker;

/// Label on every container and image faaslab creates.
pub const LABEL_MANAGED: &str = "faaslab.managed";
/// faaslab version that created it.
pub const LABEL_VERSION: &str = "faaslab.version";
/// `base`, `run` or `build` (images); `instance` or `build` (containers).
pub const LABEL_PURPOSE: &str = "faaslab.purpose";
/// Session (provider instance) a container belongs to.
pub const LABEL_SESSION: &str = "faaslab.session";
/// Function a container serves.
pub const LABEL_FUNCTION: &str = "faaslab.function";
/// Hash of the recipe an image was built from.
pub const LABEL_RECIPE: &str = "faaslab.recipe";

#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error(
        "the Docker engine is unreachable ({0}); start it (or set DOCKER_HOST), then run `faaslab images build`"
    )]
    Unreachable(String),
    #[error("image `{0}` is missing or stale; run `faaslab images build`")]
    ImageMissing(String),
    #[error("Docker: {context}: {source}")]
    Api {
        context: String,
        #[source]
        source: bollard::errors::Error,
    },
    #[error("{0}")]
    Failed(String),
}

impl DockerError {
    pub fn api(context: impl Into<String>, source: bollard::errors::Error) -> Self {
        DockerError::Api {
            context: context.into(),
            source,
        }
    }
}

impl From<DockerError> for crate::providers::ProviderError {
    fn from(e: DockerError) -> Self {
        crate::providers::ProviderError::Failed(e.to_string())
    }
}

/// Connect to the local engine (DOCKER_HOST or the default socket) and check it answers.
pub async fn connect() -> Result<Docker, DockerError> {
    let docker = Docker::connect_with_local_defaults()
        .map_err(|e| DockerError::Unreachable(e.to_string()))?;
    docker
        .ping()
        .await
        .map_err(|e| DockerError::Unreachable(e.to_string()))?;
    Ok(docker)
}

/// Whether an API error is the engine's 404.
pub fn is_not_found(e: &bollard::errors::Error) -> bool {
    matches!(
        e,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}
