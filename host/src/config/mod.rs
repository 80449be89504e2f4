//! Run configuration: load, validate and merge. Every error names the file and field.

pub mod grants;
mod limits;
mod local_docker;
mod network;

pub use grants::Grants;
pub use limits::{GuestLimits, Price, PriceTable, price_of};

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::providers::FunctionConfig;
pub use local_docker::LocalDockerConfig;
pub use network::NetworkConfig;

/// The embedded default configuration (`config/local.json`).
pub const EMBEDDED_DEFAULT: &str = include_str!("../../../config/local.json");
/// Name used for the embedded default in messages.
pub const EMBEDDED_NAME: &str = "<embedded config/local.json>";

/// A configuration error, always one line naming the source and field.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct ConfigError {
    pub source_name: String,
    pub message: String,
}

impl ConfigError {
    pub fn field(source_name: &str, field: &str, message: impl std::fmt::Display) -> Self {
        Self {
            source_name: source_name.to_string(),
            message: format!("field `{field}`: {message}"),
        }
    }
}

/// Input sizes every benchmark provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputSize {
    Test,
    Small,
    Large,
}

impl InputSize {
    pub fn as_str(self) -> &'static str {
        match self {
            InputSize::Test => "test",
            InputSize::Small => "small",
            InputSize::Large => "large",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "test" => Some(InputSize::Test),
            "small" => Some(InputSize::Small),
            "large" => Some(InputSize::Large),
            _ => None,
        }
    }
}

/// Everything a run needs. Unknown fields are rejected (typos must not be ignored);
/// `experiment` is the script's own section and is passed through untouched.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Benchmark the script deploys by default, e.g. "110.dynamic-html".
    pub benchmark: String,
    #[serde(default = "default_input_size")]
    pub input_size: InputSize,
    /// Platform to deploy to.
    #[serde(default = "default_platform")]
    pub platform: String,
    /// Seed of the run's random source; chosen and recorded when absent.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Owner tag of every resource the run creates (function names, buckets).
    #[serde(default = "default_resource_id")]
    pub resource_id: String,
    /// Default function configuration.
    #[serde(default)]
    pub function: FunctionConfig,
    /// The experiment script's own settings.
    #[serde(default = "empty_object")]
    pub experiment: serde_json::Value,
    /// Sandbox limits and budgets of the script.
    #[serde(default)]
    pub limits: GuestLimits,
    /// Per-platform settings.
    #[serde(default)]
    pub platforms: PlatformsConfig,
    /// Rebuild and redeploy even when the cache says nothing changed.
    #[serde(default)]
    pub force_rebuild: bool,
    /// Object storage: backend, and what the script may touch (docs/storage.md).
    #[serde(default)]
    pub storage: crate::storage::StorageConfig,
    /// Retry, sampler and cold-start policy components (docs/policies.md).
    #[serde(
        default,
        skip_serializing_if = "crate::policy::PoliciesConfig::is_empty"
    )]
    pub policies: crate::policy::PoliciesConfig,
    /// Host-side UDP endpoints for network experiments (docs/experiments.md).
    #[serde(default)]
    pub network: NetworkConfig,
    /// Platforms and benchmarks the script may deploy (docs/sandbox.md).
    #[serde(default)]
    pub grants: Grants,
    /// Price per platform, for the cost budget (`limits.max_cost_usd`).
    #[serde(default, skip_serializing_if = "PriceTable::is_empty")]
    pub prices: PriceTable,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformsConfig {
    #[serde(default, rename = "local-process")]
    pub local_process: LocalProcessConfig,
    #[serde(default, rename = "local-docker")]
    pub local_docker: LocalDockerConfig,
    #[serde(default, rename = "http-endpoint")]
    pub http_endpoint: crate::providers::http_endpoint_provider::HttpEndpointConfig,
    #[serde(default)]
    pub aws: crate::providers::aws::AwsConfig,
}

/// Settings of the `local-process` platform.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalProcessConfig {
    /// Python interpreter that runs function instances.
    #[serde(default = "default_python")]
    pub python: String,
    /// Node.js binary that runs nodejs function instances.
    #[serde(default = "default_node")]
    pub node: String,
    /// Most instances one function may run at once.
    #[serde(default = "default_max_instances")]
    pub max_instances: u32,
    /// How long an instance may take to become ready.
    #[serde(default = "default_ready_timeout")]
    pub ready_timeout_s: u64,
    /// Idle instances older than this are evicted (none: never).
    #[serde(default)]
    pub idle_timeout_s: Option<f64>,
}

impl Default for LocalProcessConfig {
    fn default() -> Self {
        Self {
            python: default_python(),
            node: default_node(),
            max_instances: default_max_instances(),
            ready_timeout_s: default_ready_timeout(),
            idle_timeout_s: None,
        }
    }
}

fn default_input_size() -> InputSize {
    InputSize::Test
}
fn default_platform() -> String {
    "local-process".into()
}
fn default_resource_id() -> String {
    "default".into()
}
fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(Default::default())
}
fn default_python() -> String {
    "python3".into()
}
fn default_node() -> String {
    "node".into()
}
fn default_max_instances() -> u32 {
    64
}
fn default_ready_timeout() -> u64 {
    10
}

impl RunConfig {
    /// Parse configuration text; `source_name` is used in error messages.
    pub fn parse(text: &str, source_name: &str) -> Result<Self, ConfigError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let config: RunConfig = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." || path.is_empty() {
                ConfigError {
                    source_name: source_name.to_string(),
                    message: inner.to_string(),
                }
            } else {
                ConfigError::field(source_name, &path, inner)
            }
        })?;
        config.validate(source_name)?;
        Ok(config)
    }

    /// Load from a file, or the embedded default when `path` is `None`.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        match path {
            None => Self::parse(EMBEDDED_DEFAULT, EMBEDDED_NAME),
            Some(p) => {
                let name = p.display().to_string();
                let text = std::fs::read_to_string(p).map_err(|e| ConfigError {
                    source_name: name.clone(),
                    message: format!("cannot read: {e}"),
                })?;
                Self::parse(&text, &name)
            }
        }
    }

    fn validate(&self, src: &str) -> Result<(), ConfigError> {
        if !self.experiment.is_object() {
            return Err(ConfigError::field(src, "experiment", "must be an object"));
        }
        if self.resource_id.is_empty()
            || !self
                .resource_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(ConfigError::field(
                src,
                "resource_id",
                "must be non-empty ASCII letters, digits and '-'",
            ));
        }
        self.function
            .validate()
            .map_err(|(field, msg)| ConfigError::field(src, &format!("function.{field}"), msg))?;
        self.limits
            .validate()
            .map_err(|(field, msg)| ConfigError::field(src, &format!("limits.{field}"), msg))?;
        self.storage
            .validate()
            .map_err(|(field, msg)| ConfigError::field(src, &format!("storage.{field}"), msg))?;
        self.policies
            .validate()
            .map_err(|(field, msg)| ConfigError::field(src, &format!("policies.{field}"), msg))?;
        self.network
            .validate()
            .map_err(|(field, msg)| ConfigError::field(src, field, msg))?;
        self.platforms
            .local_docker
            .validate()
            .map_err(|(field, msg)| ConfigError::field(src, field, msg))?;
        limits::validate_prices(&self.prices)
            .map_err(|(field, msg)| ConfigError::field(src, &field, msg))?;
        self.platforms
            .aws
            .validate()
            .map_err(|(field, msg)| ConfigError::field(src, field, msg))?;
        let lp = &self.platforms.local_process;
        if lp.max_instances == 0 {
            return Err(ConfigError::field(
                src,
                "platforms.local-process.max_instances",
                "must be at least 1",
            ));
        }
        if lp
            .idle_timeout_s
            .is_some_and(|t| !(t.is_finite() && (0.0..=1e9).contains(&t)))
        {
            return Err(ConfigError::field(
                src,
                "platforms.local-process.idle_timeout_s",
                "must be a non-negative number of seconds, at most 1e9",
            ));
        }
        Ok(())
    }

    /// Check names that depend on what is installed (benchmarks, platforms).
    pub fn check_names(
        &self,
        src: &str,
        benchmarks: &[String],
        platforms: &[&str],
    ) -> Result<(), ConfigError> {
        if !benchmarks.iter().any(|b| b == &self.benchmark) {
            return Err(ConfigError::field(
                src,
                "benchmark",
                format!(
                    "unknown benchmark `{}` (known: {})",
                    self.benchmark,
                    benchmarks.join(", ")
                ),
            ));
        }
        self.grants
            .check_names(benchmarks, platforms)
            .map_err(|(field, msg)| ConfigError::field(src, &field, msg))?;
        if !platforms.contains(&self.platform.as_str()) {
            return Err(ConfigError::field(
                src,
                "platform",
                format!(
                    "unknown platform `{}` (known: {})",
                    self.platform,
                    platforms.join(", ")
                ),
            ));
        }
        Ok(())
    }
}

/// Where faaslab keeps its cache: `$FAASLAB_CACHE_DIR`, else `$XDG_CACHE_HOME/faaslab`,
/// else `~/.cache/faaslab`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("FAASLAB_CACHE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("faaslab");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| ".".into());
    home.join(".cache").join("faaslab")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_parses() {
        let c = RunConfig::load(None).unwrap();
        assert_eq!(c.platform, "local-process");
    }

    #[test]
    fn wrong_type_names_the_field() {
        let text = r#"{"benchmark": "010.sleep", "function": {"memory_mb": "lots"}}"#;
        let e = RunConfig::parse(text, "x.json").unwrap_err().to_string();
        assert!(
            e.starts_with("x.json: field `function.memory_mb`: invalid type"),
            "{e}"
        );
        assert!(!e.contains('\n'));
    }

    #[test]
    fn unknown_field_is_rejected() {
        let text = r#"{"benchmark": "010.sleep", "fucntion": {}}"#;
        let e = RunConfig::parse(text, "x.json").unwrap_err().to_string();
        assert!(e.contains("unknown field `fucntion`"), "{e}");
    }

    #[test]
    fn unknown_benchmark_names_it() {
        let c = RunConfig::parse(r#"{"benchmark": "999.nope"}"#, "x.json").unwrap();
        let e = c
            .check_names("x.json", &["010.sleep".into()], &["local-process"])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "x.json: field `benchmark`: unknown benchmark `999.nope` (known: 010.sleep)"
        );
    }
}
