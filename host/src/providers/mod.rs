//! The provider contract (SeBS's `System`, in Rust form) and the platforms behind it.

pub mod aws;
mod function_config;
mod get_function;
pub mod http_client;
pub mod http_endpoint;
pub mod http_endpoint_provider;
pub mod local_docker;
pub mod local_process;
pub mod owner;
pub mod pool;

pub use function_config::{Architecture, FunctionConfig};
pub use get_function::{DeployAction, Deployment, get_function, remember_config};

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::benchmarks::Benchmark;
use crate::cache::{Cache, FunctionRecord};
use crate::packaging::CodePackage;

/// Names of the platforms this build supports.
pub const PLATFORMS: &[&str] = &["local-process", "local-docker", "http-endpoint", aws::NAME];

/// Failures of provider operations.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("not supported by this platform: {0}")]
    Unsupported(String),
    #[error("{0}")]
    Failed(String),
    #[error("I/O: {context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl ProviderError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        ProviderError::Io {
            context: context.into(),
            source,
        }
    }
}

pub type ProviderResult<T> = Result<T, ProviderError>;

/// The resources a run owns on a platform.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resources {
    /// Owner tag put into every name the run creates.
    pub resource_id: String,
    /// Reuse functions deployed by earlier runs (from the cache).
    pub reuse_deployments: bool,
}

/// How a function is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TriggerKind {
    Http,
    Library,
}

/// One request to a function.
#[derive(Debug, Clone)]
pub struct InvocationRequest {
    pub request_id: String,
    pub payload: Bytes,
}

/// What a trigger measured for one invocation. A failed invocation is still an
/// `Invocation` (with `failure` set): every attempt is a measurement.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Invocation {
    pub request_id: String,
    /// Ground truth where the platform knows it, else the function's report.
    pub cold: bool,
    /// What the function itself reported, if it reported.
    pub reported_cold: Option<bool>,
    pub instance_id: String,
    pub client_time_us: u64,
    pub exec_time_us: u64,
    pub provider_time_us: u64,
    pub connection_time_us: u64,
    pub init_time_us: Option<u64>,
    pub memory_peak_kib: Option<u64>,
    /// Handler begin/end on the function's wall clock, µs since the epoch.
    pub begin_us: Option<u64>,
    pub end_us: Option<u64>,
    /// Output JSON text (possibly truncated by the recorder).
    pub output: String,
    pub failure: Option<String>,
}

/// Provider-side figures for one request, from the platform's logs or metrics API.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProviderMetrics {
    pub request_id: String,
    pub provider_time_us: Option<u64>,
    pub billed_time_us: Option<u64>,
    pub init_time_us: Option<u64>,
    pub memory_peak_kib: Option<u64>,
}

/// A way to invoke a deployed function.
#[async_trait]
pub trait Trigger: Send + Sync {
    fn kind(&self) -> TriggerKind;
    /// Invoke and measure. Never fails: failures are recorded in the `Invocation`.
    async fn invoke(&self, request: InvocationRequest) -> Invocation;
}

/// A deployed function as the host sees it.
pub trait Function: Send + Sync {
    fn name(&self) -> &str;
    fn benchmark(&self) -> &str;
    fn config(&self) -> FunctionConfig;
    fn code_hash(&self) -> String;
    fn as_any(&self) -> &dyn Any;
}

/// The operations every platform provides (SeBS `System`).
#[async_trait]
pub trait Provider: Send + Sync {
    /// Platform name, e.g. "local-process".
    fn name(&self) -> &'static str;

    /// Create or find the resources the run owns (ids, buckets, roles).
    async fn initialize(&self, resources: &Resources) -> ProviderResult<()>;

    /// The run's persistent object storage that functions read and write (SeBS
    /// `get_storage`); `None` for a provider made without one (e.g. only to package).
    fn storage(&self) -> Option<Arc<crate::storage::Storage>>;

    /// Build the code package of a benchmark for this platform (cached by hash).
    async fn package_code(
        &self,
        benchmark: &Benchmark,
        config: &FunctionConfig,
        cache: &Cache,
        force_rebuild: bool,
    ) -> ProviderResult<CodePackage>;

    /// Deploy a new function from a package.
    async fn create_function(
        &self,
        package: &CodePackage,
        name: &str,
        config: &FunctionConfig,
    ) -> ProviderResult<Arc<dyn Function>>;

    /// Adopt a function deployed by an earlier run, as the cache remembers it.
    async fn cached_function(&self, record: &FunctionRecord) -> ProviderResult<Arc<dyn Function>>;

    /// Replace a function's code with a new package.
    async fn update_function_code(
        &self,
        function: &Arc<dyn Function>,
        package: &CodePackage,
    ) -> ProviderResult<()>;

    /// Change memory / timeout of a function.
    async fn update_function_configuration(
        &self,
        function: &Arc<dyn Function>,
        config: &FunctionConfig,
    ) -> ProviderResult<()>;

    /// Whether a cached deployment must be reconfigured to match `wanted`.
    fn is_configuration_changed(&self, cached: &FunctionConfig, wanted: &FunctionConfig) -> bool {
        cached.memory_mb != wanted.memory_mb
            || cached.timeout_s != wanted.timeout_s
            || cached.language_version != wanted.language_version
            || cached.language != wanted.language
    }

    /// The name a benchmark's function gets on this platform.
    fn default_function_name(
        &self,
        resources: &Resources,
        benchmark: &Benchmark,
        config: &FunctionConfig,
    ) -> String;

    /// Make the next invocations of these functions cold.
    async fn enforce_cold_start(&self, functions: &[Arc<dyn Function>]) -> ProviderResult<()>;

    /// Provider-side metrics for requests made in a time window (µs since the epoch).
    async fn download_metrics(
        &self,
        function: &Arc<dyn Function>,
        start_us: u64,
        end_us: u64,
        request_ids: &[String],
    ) -> ProviderResult<Vec<ProviderMetrics>>;

    /// A trigger of the given kind for a function.
    async fn create_trigger(
        &self,
        function: &Arc<dyn Function>,
        kind: TriggerKind,
    ) -> ProviderResult<Arc<dyn Trigger>>;

    /// The host's address as this platform's functions reach it, for host-side
    /// services they talk to (the `network` capability's UDP endpoints).
    async fn host_address_for_functions(&self) -> ProviderResult<std::net::IpAddr> {
        Err(ProviderError::Unsupported(format!(
            "{}: functions cannot reach host-side endpoints (set network.host_address)",
            self.name()
        )))
    }

    /// Release what the run holds (instances, connections); deployments stay cached.
    async fn shutdown(&self) -> ProviderResult<()>;
}

/// Function names every platform accepts: lowercase letters, digits and '-'.
pub fn sanitize_name(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::sanitize_name;

    #[test]
    fn names_are_sanitized() {
        assert_eq!(
            sanitize_name("faaslab-default-110.dynamic-html-python-3.11"),
            "faaslab-default-110-dynamic-html-python-3-11"
        );
    }
}
