//! Delete everything one resource id owns: its functions (with their Function URLs
//! and log groups), the deployment bucket with its objects, and the execution role.

use serde::Serialize;

use super::clients::{Clients, sdk_failure};
use super::{naming, role};
use crate::providers::ProviderResult;

#[derive(Debug, Default, Clone, Serialize)]
pub struct CleanupReport {
    pub functions: Vec<String>,
    pub log_groups: Vec<String>,
    pub objects: usize,
    pub bucket: Option<String>,
    pub role: Option<String>,
    /// The ECR repository of container deployments (with its images).
    pub repository: Option<String>,
    /// Tags of function images on this machine (made for pushing) removed.
    pub local_images: usize,
}

/// Names of the functions whose name starts with `prefix`.
pub async fn functions_with_prefix(clients: &Clients, prefix: &str) -> ProviderResult<Vec<String>> {
    let mut names = Vec::new();
    let mut pages = clients.lambda.list_functions().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sdk_failure("Lambda ListFunctions", e))?;
        names.extend(
            page.functions()
                .iter()
                .filter_map(|f| f.function_name())
                .filter(|n| n.starts_with(prefix))
                .map(str::to_string),
        );
    }
    Ok(names)
}

pub async fn delete_function(clients: &Clients, name: &str) -> ProviderResult<bool> {
    match clients
        .lambda
        .delete_function()
        .function_name(name)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(sdk_failure(&format!("Lambda DeleteFunction {name}"), e)),
    }
}

async fn delete_log_group(clients: &Clients, group: &str) -> ProviderResult<bool> {
    match clients
        .logs
        .delete_log_group()
        .log_group_name(group)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(sdk_failure(
            &format!("CloudWatch Logs DeleteLogGroup {group}"),
            e,
        )),
    }
}

/// Empty and delete a bucket; returns how many objects it held (None: no bucket).
async fn delete_bucket(clients: &Clients, bucket: &str) -> ProviderResult<Option<usize>> {
    let mut deleted = 0;
    let mut pages = clients
        .s3
        .list_objects_v2()
        .bucket(bucket)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_bucket()) => {
                return Ok(None);
            }
            Err(e) => return Err(sdk_failure(&format!("S3 ListObjectsV2 {bucket}"), e)),
        };
        for object in page.contents() {
            if let Some(key) = object.key() {
                clients
                    .s3
                    .delete_object()
                    .bucket(bucket)
                    .key(key)
                    .send()
                    .await
                    .map_err(|e| sdk_failure(&format!("S3 DeleteObject s3://{bucket}/{key}"), e))?;
                deleted += 1;
            }
        }
    }
    clients
        .s3
        .delete_bucket()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| sdk_failure(&format!("S3 DeleteBucket {bucket}"), e))?;
    Ok(Some(deleted))
}

pub async fn cleanup(
    clients: &Clients,
    resource_id: &str,
    bucket: &str,
    role_name: Option<&str>,
) -> ProviderResult<CleanupReport> {
    let mut report = CleanupReport::default();
    for name in functions_with_prefix(clients, &naming::function_prefix(resource_id)).await? {
        if delete_function(clients, &name).await? {
            report.functions.push(name.clone());
        }
        let group = naming::log_group(&name);
        if delete_log_group(clients, &group).await? {
            report.log_groups.push(group);
        }
    }
    if let Some(n) = delete_bucket(clients, bucket).await? {
        report.objects = n;
        report.bucket = Some(bucket.to_string());
    }
    if let Some(name) = role_name
        && role::delete(&clients.iam, name).await?
    {
        report.role = Some(name.to_string());
    }
    Ok(report)
}
