//! The cache-aware deployment logic shared by every platform (not repeated per provider):
//! not cached → create; code hash differs or rebuild forced → update code; config
//! differs → update config; else reuse. Runs under a cross-process lock per function.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Function, FunctionConfig, Provider, ProviderError, ProviderResult, Resources};
use crate::benchmarks::Benchmark;
use crate::cache::{Cache, CacheLock, FunctionRecord, now_s};

/// What `get_function` had to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeployAction {
    Created,
    CodeUpdated,
    ConfigUpdated,
    Reused,
}

impl DeployAction {
    pub fn as_str(self) -> &'static str {
        match self {
            DeployAction::Created => "created",
            DeployAction::CodeUpdated => "code-updated",
            DeployAction::ConfigUpdated => "config-updated",
            DeployAction::Reused => "reused",
        }
    }
}

/// A function ready to invoke and how it got there.
#[derive(Clone)]
pub struct Deployment {
    pub function: Arc<dyn Function>,
    pub action: DeployAction,
    /// Whether the code package was built now (false: taken from the cache).
    pub package_built: bool,
    pub code_hash: String,
}

pub async fn get_function(
    provider: &dyn Provider,
    cache: &Cache,
    resources: &Resources,
    benchmark: &Benchmark,
    config: &FunctionConfig,
    force_rebuild: bool,
) -> ProviderResult<Deployment> {
    let name = provider.default_function_name(resources, benchmark, config);
    let platform = provider.name();
    let _lock = lock_function(cache, platform, &name).await?;

    let package = provider
        .package_code(benchmark, config, cache, force_rebuild)
        .await?;
    let cached = if resources.reuse_deployments {
        cache.load_function(platform, &name)
    } else {
        None
    };
    let now = now_s();
    let (function, action, created_at) = match cached {
        None => {
            let f = provider.create_function(&package, &name, config).await?;
            (f, DeployAction::Created, now)
        }
        Some(record) => {
            let f = provider.cached_function(&record).await?;
            if record.code_hash != package.hash || force_rebuild {
                provider.update_function_code(&f, &package).await?;
                if provider.is_configuration_changed(&record.config, config) {
                    provider.update_function_configuration(&f, config).await?;
                }
                (f, DeployAction::CodeUpdated, record.created_at)
            } else if provider.is_configuration_changed(&record.config, config) {
                provider.update_function_configuration(&f, config).await?;
                (f, DeployAction::ConfigUpdated, record.created_at)
            } else {
                (f, DeployAction::Reused, record.created_at)
            }
        }
    };
    let record = FunctionRecord {
        name: function.name().to_string(),
        platform: platform.to_string(),
        benchmark: benchmark.id.clone(),
        code_hash: package.hash.clone(),
        code_location: package.location.clone(),
        config: function.config(),
        created_at,
        updated_at: now,
    };
    if action != DeployAction::Reused {
        cache
            .save_function(&record)
            .map_err(|e| ProviderError::io("saving the deployment to the cache", e))?;
    }
    tracing::info!(function = %record.name, ?action, package_built = package.built, "deployment ready");
    Ok(Deployment {
        function,
        action,
        package_built: package.built,
        code_hash: package.hash,
    })
}

/// The cross-process lock of one function's cache entry (taken without blocking the
/// async runtime).
async fn lock_function(cache: &Cache, platform: &str, name: &str) -> ProviderResult<CacheLock> {
    let lock_cache = cache.clone();
    let lock_key = format!("function-{platform}-{name}");
    tokio::task::spawn_blocking(move || lock_cache.lock(&lock_key))
        .await
        .map_err(|e| ProviderError::Failed(format!("cache lock task: {e}")))?
        .map_err(|e| ProviderError::io("taking the cache lock", e))
}

/// Remember a configuration change made during a run (e.g. by a memory sweep), under
/// the function's lock so a concurrent deployment is not overwritten.
pub async fn remember_config(
    cache: &Cache,
    platform: &str,
    function: &dyn Function,
    config: &FunctionConfig,
) -> ProviderResult<()> {
    let _lock = lock_function(cache, platform, function.name()).await?;
    let Some(mut record) = cache.load_function(platform, function.name()) else {
        return Ok(());
    };
    record.config = config.clone();
    record.updated_at = now_s();
    cache
        .save_function(&record)
        .map_err(|e| ProviderError::io("saving the deployment to the cache", e))
}
