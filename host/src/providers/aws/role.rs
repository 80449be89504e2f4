//! The functions' execution role: found by name, else created with Lambda as its only
//! trusted principal and the basic execution policy (CloudWatch Logs) attached.

use aws_sdk_iam::Client;

use super::clients::sdk_failure;
use crate::providers::ProviderResult;

const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const BASIC_EXECUTION: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

/// The role's ARN, and whether it was created now (a new role takes a few seconds
/// before Lambda may assume it).
pub async fn find_or_create(
    iam: &Client,
    name: &str,
    resource_id: &str,
) -> ProviderResult<(String, bool)> {
    match iam.get_role().role_name(name).send().await {
        Ok(found) => {
            if let Some(role) = found.role {
                return Ok((role.arn, false));
            }
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception()) => {}
        Err(e) => return Err(sdk_failure(&format!("IAM GetRole {name}"), e)),
    }
    let created = iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(TRUST_POLICY)
        .description("faaslab: execution role of benchmark functions")
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("faaslab-resource-id")
                .value(resource_id)
                .build()
                .map_err(|e| crate::providers::ProviderError::Invalid(format!("IAM tag: {e}")))?,
        )
        .send()
        .await
        .map_err(|e| sdk_failure(&format!("IAM CreateRole {name}"), e))?;
    iam.attach_role_policy()
        .role_name(name)
        .policy_arn(BASIC_EXECUTION)
        .send()
        .await
        .map_err(|e| sdk_failure(&format!("IAM AttachRolePolicy {name}"), e))?;
    let arn = created.role.map(|r| r.arn).ok_or_else(|| {
        crate::providers::ProviderError::Failed(format!("IAM CreateRole {name}: no role"))
    })?;
    tracing::info!(role = %name, "created the Lambda execution role");
    Ok((arn, true))
}

/// Detach the policies and delete the role (missing: nothing to do).
pub async fn delete(iam: &Client, name: &str) -> ProviderResult<bool> {
    let attached = match iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
    {
        Ok(a) => a,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception()) =>
        {
            return Ok(false);
        }
        Err(e) => {
            return Err(sdk_failure(
                &format!("IAM ListAttachedRolePolicies {name}"),
                e,
            ));
        }
    };
    for policy in attached.attached_policies() {
        if let Some(arn) = policy.policy_arn() {
            iam.detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| sdk_failure(&format!("IAM DetachRolePolicy {name}"), e))?;
        }
    }
    iam.delete_role()
        .role_name(name)
        .send()
        .await
        .map_err(|e| sdk_failure(&format!("IAM DeleteRole {name}"), e))?;
    Ok(true)
}
