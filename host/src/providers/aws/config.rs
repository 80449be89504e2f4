//! `platforms.aws` in a run configuration (docs/aws.md): region, endpoint, how code is
//! deployed, and the price table billing is computed from.

use serde::{Deserialize, Serialize};

use crate::providers::Architecture;

/// Lambda's limit for a zip sent inline in CreateFunction / UpdateFunctionCode.
pub const DIRECT_UPLOAD_LIMIT: u64 = 50 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeploymentKind {
    /// A zip package (inline, or through the deployment bucket when large).
    Zip,
    /// A container image pushed to an ECR repository the resource id owns.
    Container,
}

/// Price of one GB-second and one request, per architecture (USD).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub gb_second: f64,
    pub per_request: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    pub x86_64: Price,
    pub arm64: Price,
}

impl Default for PriceTable {
    /// us-east-1 on-demand prices of the first tier (Lambda pricing page, 2024–2026).
    fn default() -> Self {
        Self {
            x86_64: Price {
                gb_second: 0.000_016_666_7,
                per_request: 0.000_000_2,
            },
            arm64: Price {
                gb_second: 0.000_013_333_4,
                per_request: 0.000_000_2,
            },
        }
    }
}

impl PriceTable {
    pub fn of(&self, arch: Architecture) -> &Price {
        match arch {
            Architecture::X86_64 => &self.x86_64,
            Architecture::Arm64 => &self.arm64,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    /// Region of every resource; part of every function name (and so of the cache key).
    #[serde(default = "default_region")]
    pub region: String,
    /// Endpoint of every AWS API (an emulator); `AWS_ENDPOINT_URL` works too.
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// Profile of ~/.aws/config and ~/.aws/credentials [default: `AWS_PROFILE` or default].
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default = "default_deployment")]
    pub deployment: DeploymentKind,
    /// `host[:port]` to push container images to instead of the ECR repository's own
    /// registry (an emulator's stand-in); the function's ImageUri then names it.
    #[serde(default)]
    pub registry: Option<String>,
    /// Packages up to this size (bytes) go inline; larger ones through S3.
    #[serde(default = "default_direct_upload_limit")]
    pub direct_upload_limit: u64,
    /// Python runtime when `function.language_version` is empty.
    #[serde(default = "default_python_runtime")]
    pub default_python_version: String,
    /// An existing execution role (ARN) instead of the one faaslab finds or creates.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// Longest wait for a function to become active / finish an update (seconds).
    #[serde(default = "default_wait_s")]
    pub wait_timeout_s: u64,
    /// Longest wait for REPORT lines to appear in CloudWatch Logs (seconds).
    #[serde(default = "default_logs_wait_s")]
    pub logs_wait_s: u64,
    #[serde(default)]
    pub prices: PriceTable,
}

impl Default for AwsConfig {
    fn default() -> Self {
        Self {
            region: default_region(),
            endpoint_url: None,
            profile: None,
            deployment: default_deployment(),
            registry: None,
            direct_upload_limit: default_direct_upload_limit(),
            default_python_version: default_python_runtime(),
            role_arn: None,
            wait_timeout_s: default_wait_s(),
            logs_wait_s: default_logs_wait_s(),
            prices: PriceTable::default(),
        }
    }
}

impl AwsConfig {
    /// Returns the offending field (below `platforms.aws`) and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let region_ok = !self.region.is_empty()
            && self
                .region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !region_ok {
            return Err((
                "platforms.aws.region",
                format!("`{}` is not a region name like us-east-1", self.region),
            ));
        }
        if let Some(e) = &self.endpoint_url
            && !(e.starts_with("http://") || e.starts_with("https://"))
        {
            return Err((
                "platforms.aws.endpoint_url",
                format!("`{e}` must start with http:// or https://"),
            ));
        }
        if let Some(r) = &self.registry
            && (r.is_empty() || r.contains("://") || r.contains(char::is_whitespace))
        {
            return Err((
                "platforms.aws.registry",
                format!("`{r}` must be host[:port] without a scheme, e.g. 127.0.0.1:5000"),
            ));
        }
        if self.direct_upload_limit > DIRECT_UPLOAD_LIMIT {
            return Err((
                "platforms.aws.direct_upload_limit",
                format!("Lambda accepts at most {DIRECT_UPLOAD_LIMIT} bytes inline"),
            ));
        }
        if !self.default_python_version.starts_with("3.") {
            return Err((
                "platforms.aws.default_python_version",
                "must be a Python 3 version such as 3.12".into(),
            ));
        }
        for (field, p) in [
            ("platforms.aws.prices.x86_64", &self.prices.x86_64),
            ("platforms.aws.prices.arm64", &self.prices.arm64),
        ] {
            let valid = |v: f64| v.is_finite() && v >= 0.0;
            if !valid(p.gb_second) || !valid(p.per_request) {
                return Err((field, "prices must be non-negative numbers".into()));
            }
        }
        Ok(())
    }
}

fn default_region() -> String {
    "us-east-1".into()
}
fn default_deployment() -> DeploymentKind {
    DeploymentKind::Zip
}
fn default_direct_upload_limit() -> u64 {
    DIRECT_UPLOAD_LIMIT
}
fn default_python_runtime() -> String {
    "3.12".into()
}
fn default_wait_s() -> u64 {
    300
}
fn default_logs_wait_s() -> u64 {
    60
}

#[cfg(test)]
mod tests {
    use crate::config::RunConfig;
    use crate::providers::Architecture;

    #[test]
    fn the_example_config_parses() {
        let c = RunConfig::parse(
            include_str!("../../../../config/aws.json"),
            "config/aws.json",
        )
        .unwrap();
        assert_eq!(c.platform, "aws");
        assert_eq!(c.platforms.aws.region, "eu-central-1");
        assert_eq!(c.function.architecture, Architecture::Arm64);
        assert!(c.platforms.aws.prices.arm64.gb_second < c.platforms.aws.prices.x86_64.gb_second);
    }

    #[test]
    fn bad_settings_name_their_field() {
        let e = RunConfig::parse(
            r#"{"benchmark": "010.sleep", "platforms": {"aws": {"region": "Mars 1"}}}"#,
            "x.json",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "x.json: field `platforms.aws.region`: `Mars 1` is not a region name like us-east-1"
        );
        let e = RunConfig::parse(
            r#"{"benchmark": "010.sleep", "platforms": {"aws": {"direct_upload_limit": 99999999999}}}"#,
            "x.json",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("x.json: field `platforms.aws.direct_upload_limit`"),
            "{e}"
        );
    }
}
