//! Names of everything the provider creates (docs/aws.md, "Naming"). Every name starts
//! with `faaslab-<resource id>`, so cleanup finds exactly what one resource id owns, and
//! the function name carries the region, so the cache (keyed by platform and name)
//! never mistakes a function of one region for one of another.

use sha2::{Digest, Sha256};

use crate::providers::{Architecture, sanitize_name};

/// Lambda function names: at most 64 of [A-Za-z0-9-_].
const FUNCTION_NAME_MAX: usize = 64;
/// IAM role names: at most 64.
const ROLE_NAME_MAX: usize = 64;
/// S3 bucket names: at most 63 of [a-z0-9-].
const BUCKET_NAME_MAX: usize = 63;

pub fn arch_tag(arch: Architecture) -> &'static str {
    match arch {
        Architecture::X86_64 => "x86",
        Architecture::Arm64 => "arm",
    }
}

/// `faaslab-<rid>-<benchmark>-<language>-<version>-<arch>-<region>`, sanitized; a
/// name over 64 characters keeps its start and ends in 8 hex digits of its sha256.
pub fn function_name(
    resource_id: &str,
    benchmark: &str,
    language: &str,
    version: &str,
    arch: Architecture,
    region: &str,
) -> String {
    let raw = format!(
        "faaslab-{resource_id}-{benchmark}-{language}-{version}-{}-{region}",
        arch_tag(arch)
    );
    shorten(&sanitize_name(&raw), FUNCTION_NAME_MAX)
}

/// The prefix every function of a resource id starts with (cleanup lists by it).
pub fn function_prefix(resource_id: &str) -> String {
    format!("faaslab-{}-", sanitize_name(resource_id))
}

/// The execution role faaslab finds or creates.
pub fn role_name(resource_id: &str) -> String {
    shorten(
        &sanitize_name(&format!("faaslab-{resource_id}-lambda-role")),
        ROLE_NAME_MAX,
    )
}

/// The deployment bucket of large packages: bucket names are global, so the account
/// and region are part of it.
pub fn code_bucket(resource_id: &str, account: &str, region: &str) -> String {
    shorten(
        &sanitize_name(&format!("faaslab-{resource_id}-code-{account}-{region}")),
        BUCKET_NAME_MAX,
    )
}

/// The ECR repository of container deployments.
pub fn repository(resource_id: &str) -> String {
    sanitize_name(&format!("faaslab-{resource_id}-functions"))
}

/// The CloudWatch Logs group Lambda writes a function's logs to.
pub fn log_group(function: &str) -> String {
    format!("/aws/lambda/{function}")
}

fn shorten(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let digest = hex::encode(Sha256::digest(name.as_bytes()));
    let keep = name[..max - 9].trim_end_matches('-');
    format!("{keep}-{}", &digest[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_owner_region_and_arch() {
        let n = function_name(
            "ci",
            "110.dynamic-html",
            "python",
            "3.12",
            Architecture::Arm64,
            "eu-west-1",
        );
        assert_eq!(n, "faaslab-ci-110-dynamic-html-python-3-12-arm-eu-west-1");
        assert!(n.starts_with(&function_prefix("ci")));
    }

    #[test]
    fn long_names_are_shortened_uniquely() {
        let a = function_name(
            "a-very-long-resource-identifier",
            "504.dna-visualisation",
            "python",
            "3.12",
            Architecture::X86_64,
            "ap-southeast-1",
        );
        let b = function_name(
            "a-very-long-resource-identifier",
            "504.dna-visualisation",
            "python",
            "3.12",
            Architecture::X86_64,
            "ap-southeast-2",
        );
        assert!(a.len() <= 64 && b.len() <= 64, "{a} {b}");
        assert_ne!(a, b);
        assert!(a.starts_with("faaslab-a-very-long-resource-identifier-"));
        assert!(code_bucket("x", "123456789012", "us-east-1").len() <= 63);
    }
}
