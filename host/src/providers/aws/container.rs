//! Container deployment (`platforms.aws.deployment: "container"`): the code package on
//! top of the local-docker Python base as a Lambda image (entry point
//! `faaslab_runtime.py`, a Runtime API client; CMD the handler), pushed to the ECR
//! repository the resource id owns, then deployed by image URI.
//!
//! The registry is the repository's (credentials from ECR GetAuthorizationToken), or
//! `platforms.aws.registry` for an emulator whose repository URIs lead nowhere: then
//! the image is pushed there, without credentials, and the function's ImageUri names it.

use base64::Engine as _;
use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::query_parameters::{ListImagesOptions, PushImageOptions, RemoveImageOptions};
use futures_util::StreamExt;

use super::clients::{Clients, sdk_failure};
use super::deploy::OWNER_TAG;
use crate::docker::images::{CommitOnTop, commit_on_top};
use crate::docker::{DockerError, LABEL_MANAGED, LABEL_PURPOSE};
use crate::packaging::CodePackage;
use crate::providers::{ProviderError, ProviderResult};

/// The image's entry point and the handler Lambda passes to it.
pub const ENTRY_POINT: &str = "/var/task/faaslab_runtime.py";

/// The URI of the resource id's repository, created (tagged with the owner) if missing.
pub async fn ensure_repository(
    clients: &Clients,
    name: &str,
    resource_id: &str,
) -> ProviderResult<String> {
    let found = clients
        .ecr
        .describe_repositories()
        .repository_names(name)
        .send()
        .await;
    let repository = match found {
        Ok(out) => out.repositories.unwrap_or_default().into_iter().next(),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_repository_not_found_exception()) =>
        {
            None
        }
        Err(e) => return Err(sdk_failure(&format!("ECR DescribeRepositories {name}"), e)),
    };
    let repository = match repository {
        Some(r) => r,
        None => clients
            .ecr
            .create_repository()
            .repository_name(name)
            .tags(
                aws_sdk_ecr::types::Tag::builder()
                    .key(OWNER_TAG)
                    .value(resource_id)
                    .build()
                    .map_err(|e| ProviderError::Failed(format!("ECR tag: {e}")))?,
            )
            .send()
            .await
            .map_err(|e| sdk_failure(&format!("ECR CreateRepository {name}"), e))?
            .repository
            .ok_or_else(|| {
                ProviderError::Failed(format!("ECR CreateRepository {name}: no repository"))
            })?,
    };
    repository
        .repository_uri
        .ok_or_else(|| ProviderError::Failed(format!("ECR repository {name} has no URI")))
}

/// Delete the repository with its images; false when there was none.
pub async fn delete_repository(clients: &Clients, name: &str) -> ProviderResult<bool> {
    match clients
        .ecr
        .delete_repository()
        .repository_name(name)
        .force(true)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_repository_not_found_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(sdk_failure(&format!("ECR DeleteRepository {name}"), e)),
    }
}

/// Push credentials of the account's registry (ECR GetAuthorizationToken: base64 of
/// `AWS:<password>`).
pub async fn registry_credentials(clients: &Clients) -> ProviderResult<DockerCredentials> {
    let out = clients
        .ecr
        .get_authorization_token()
        .send()
        .await
        .map_err(|e| sdk_failure("ECR GetAuthorizationToken", e))?;
    let data = out
        .authorization_data
        .unwrap_or_default()
        .into_iter()
        .next()
        .ok_or_else(|| ProviderError::Failed("ECR GetAuthorizationToken: no token".into()))?;
    let token = data.authorization_token.unwrap_or_default();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| ProviderError::Failed("ECR authorization token is not base64".into()))?;
    let (user, password) = decoded
        .split_once(':')
        .ok_or_else(|| ProviderError::Failed("ECR authorization token has no user".into()))?;
    Ok(DockerCredentials {
        username: Some(user.to_string()),
        password: Some(password.to_string()),
        serveraddress: data.proxy_endpoint,
        ..Default::default()
    })
}

/// `<repository>:<function>-<hash>`: one tag per function and code version.
pub fn image_ref(repository: &str, function: &str, hash: &str) -> String {
    format!("{repository}:{function}-{}", &hash[..hash.len().min(16)])
}

/// The package as a tar archive of `var/task/…` (unpacked at `/`: the engine unpacks
/// only into directories that exist), build leftovers left out.
async fn package_tar(package: &CodePackage) -> ProviderResult<Vec<u8>> {
    let out = tokio::process::Command::new("tar")
        .args([
            "--exclude=./build.log",
            "--exclude=./.wheels",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            "--transform=s,^\\.,var/task,",
            "-C",
        ])
        .arg(&package.location)
        .args(["-cf", "-", "."])
        .output()
        .await
        .map_err(|e| ProviderError::io("running tar", e))?;
    if !out.status.success() {
        return Err(ProviderError::Failed(format!(
            "tar of {} failed: {}",
            package.location.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}

/// Commit the package onto `base` as `image` (checked: the handler file is there).
pub async fn build_image(
    docker: &Docker,
    base: &str,
    package: &CodePackage,
    image: &str,
) -> ProviderResult<()> {
    let tar = package_tar(package).await?;
    commit_on_top(
        docker,
        CommitOnTop {
            base,
            image,
            upload: Some(("/", tar)),
            cmd: vec![
                "python3".into(),
                "-c".into(),
                format!("import os; assert os.path.isfile({ENTRY_POINT:?})"),
            ],
            changes: vec![
                format!("LABEL {LABEL_MANAGED}=true"),
                format!("LABEL {LABEL_PURPOSE}=lambda-function"),
                "ENV PYTHONDONTWRITEBYTECODE=1".into(),
                "ENV LANG=C.UTF-8".into(),
                "ENV LAMBDA_TASK_ROOT=/var/task".into(),
                "WORKDIR /var/task".into(),
                format!("ENTRYPOINT [\"python3\", \"{ENTRY_POINT}\"]"),
                format!("CMD [\"{}\"]", super::deploy::HANDLER),
            ],
            comment: format!("faaslab Lambda function {}", package.benchmark),
            failure: format!("the image of {} lacks {ENTRY_POINT}", package.benchmark),
        },
    )
    .await?;
    Ok(())
}

/// Push `image` (`<registry>/<repository>:<tag>`).
pub async fn push(
    docker: &Docker,
    image: &str,
    credentials: Option<DockerCredentials>,
) -> ProviderResult<()> {
    let (name, tag) = image
        .rsplit_once(':')
        .ok_or_else(|| ProviderError::Invalid(format!("image `{image}` has no tag")))?;
    let mut stream = docker.push_image(
        name,
        Some(PushImageOptions {
            tag: Some(tag.to_string()),
            ..Default::default()
        }),
        credentials,
    );
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| DockerError::api(format!("pushing {image}"), e))?;
        if let Some(error) = info.error_detail.and_then(|d| d.message) {
            return Err(ProviderError::Failed(format!("pushing {image}: {error}")));
        }
    }
    tracing::info!(%image, "pushed the function image");
    Ok(())
}

/// Remove this machine's tags of the repository's images (built for pushing); returns
/// how many.
pub async fn remove_local_images(docker: &Docker, repository: &str) -> ProviderResult<usize> {
    let images = docker
        .list_images(Some(ListImagesOptions {
            filters: Some(std::collections::HashMap::from([(
                "label".to_string(),
                vec![format!("{LABEL_PURPOSE}=lambda-function")],
            )])),
            ..Default::default()
        }))
        .await
        .map_err(|e| DockerError::api("listing function images", e))?;
    let mut removed = 0;
    let ours = format!("/{repository}:");
    for tag in images
        .iter()
        .flat_map(|i| i.repo_tags.iter())
        .filter(|t| t.contains(&ours))
    {
        docker
            .remove_image(tag, None::<RemoveImageOptions>, None)
            .await
            .map_err(|e| DockerError::api(format!("removing image {tag}"), e))?;
        removed += 1;
    }
    Ok(removed)
}
