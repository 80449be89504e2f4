//! `local-process`: every function instance is a local OS process running a small HTTP
//! server (Python or Node.js standard library, by the function's language; `runtime`)
//! around the benchmark handler. The embedded default: needs nothing but python3.

mod function;
mod instance;
mod interpreter;
mod report_log;
mod runtime;

pub(crate) use function::fill_from_reply;
pub use function::{LocalFunction, RuntimeSettings};
pub use runtime::{LANGUAGES, MemoryRlimit, Runtime, code_of as runtime_code};

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::{
    Function, FunctionConfig, Provider, ProviderError, ProviderMetrics, ProviderResult, Resources,
    Trigger, TriggerKind, sanitize_name,
};
use crate::benchmarks::Benchmark;
use crate::cache::{Cache, FunctionRecord};
use crate::config::LocalProcessConfig;
use crate::packaging::{CodePackage, code_package};
use crate::storage::Storage;

pub const NAME: &str = "local-process";

pub struct LocalProcessProvider {
    settings: Arc<RuntimeSettings>,
    storage: Option<Arc<Storage>>,
    functions: Mutex<HashMap<String, Arc<LocalFunction>>>,
}

impl LocalProcessProvider {
    /// `logs_dir` receives one log file per instance (the run directory's `logs/`).
    pub async fn new(config: &LocalProcessConfig, logs_dir: PathBuf) -> ProviderResult<Self> {
        Self::with_interpreter_cache(config, logs_dir, None).await
    }

    /// Like `new`, remembering how a wrapper such as a pyenv shim resolved in
    /// `<cache_root>/interpreters/` so an unchanged re-run starts without asking it.
    pub async fn with_interpreter_cache(
        config: &LocalProcessConfig,
        logs_dir: PathBuf,
        cache_root: Option<&std::path::Path>,
    ) -> ProviderResult<Self> {
        let python = interpreter::resolve_python(&config.python, cache_root).await?;
        Ok(Self {
            settings: Arc::new(RuntimeSettings {
                python,
                node: interpreter::find_node(&config.node),
                logs_dir,
                max_instances: config.max_instances,
                ready_timeout: Duration::from_secs(config.ready_timeout_s),
                idle_timeout: config.idle_timeout_s.map(Duration::from_secs_f64),
                env: Vec::new(),
            }),
            functions: Mutex::new(HashMap::new()),
            storage: None,
        })
    }

    /// The run's storage: instances get how to reach it in their environment.
    pub fn with_storage(mut self, storage: Arc<Storage>) -> Self {
        Arc::make_mut(&mut self.settings).env = storage.function_env();
        self.storage = Some(storage);
        self
    }

    fn registered(&self, name: &str) -> ProviderResult<Arc<LocalFunction>> {
        self.functions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
            .ok_or_else(|| ProviderError::NotFound(format!("function {name} on {NAME}")))
    }

    fn register(&self, f: LocalFunction) -> Arc<LocalFunction> {
        let mut map = self.functions.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(f.name().to_string())
            .or_insert_with(|| Arc::new(f))
            .clone()
    }
}

#[async_trait]
impl Provider for LocalProcessProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn storage(&self) -> Option<Arc<Storage>> {
        self.storage.clone()
    }

    async fn initialize(&self, _resources: &Resources) -> ProviderResult<()> {
        std::fs::create_dir_all(&self.settings.logs_dir)
            .map_err(|e| ProviderError::io("creating the instance log directory", e))
    }

    async fn package_code(
        &self,
        benchmark: &Benchmark,
        config: &FunctionConfig,
        cache: &Cache,
        force_rebuild: bool,
    ) -> ProviderResult<CodePackage> {
        let (runtime, sources) = runtime_code(benchmark, &config.language)?;
        code_package(
            runtime.language(),
            &benchmark.id,
            &sources,
            runtime.wrapper(),
            &cache.packages_dir(NAME, &benchmark.id),
            &self.settings.python.display().to_string(),
            force_rebuild,
        )
        .await
    }

    async fn create_function(
        &self,
        package: &CodePackage,
        name: &str,
        config: &FunctionConfig,
    ) -> ProviderResult<Arc<dyn Function>> {
        Ok(self.register(LocalFunction::new(
            name.to_string(),
            package.benchmark.clone(),
            package.location.clone(),
            package.hash.clone(),
            config.clone(),
            self.settings.clone(),
        )))
    }

    async fn cached_function(&self, record: &FunctionRecord) -> ProviderResult<Arc<dyn Function>> {
        Ok(self.register(LocalFunction::new(
            record.name.clone(),
            record.benchmark.clone(),
            record.code_location.clone(),
            record.code_hash.clone(),
            record.config.clone(),
            self.settings.clone(),
        )))
    }

    async fn update_function_code(
        &self,
        function: &Arc<dyn Function>,
        package: &CodePackage,
    ) -> ProviderResult<()> {
        self.registered(function.name())?
            .set_code(package.location.clone(), package.hash.clone());
        Ok(())
    }

    async fn update_function_configuration(
        &self,
        function: &Arc<dyn Function>,
        config: &FunctionConfig,
    ) -> ProviderResult<()> {
        config
            .validate()
            .map_err(|(field, msg)| ProviderError::Invalid(format!("{field}: {msg}")))?;
        self.registered(function.name())?.set_config(config.clone());
        Ok(())
    }

    fn default_function_name(
        &self,
        resources: &Resources,
        benchmark: &Benchmark,
        config: &FunctionConfig,
    ) -> String {
        sanitize_name(&format!(
            "faaslab-{}-{}-{}-{}",
            resources.resource_id,
            benchmark.id,
            config.language,
            if config.language_version.is_empty() {
                "default"
            } else {
                &config.language_version
            }
        ))
    }

    async fn enforce_cold_start(&self, functions: &[Arc<dyn Function>]) -> ProviderResult<()> {
        for f in functions {
            self.registered(f.name())?.retire_instances();
        }
        Ok(())
    }

    /// Local instances report every metric inline with each invocation (provider
    /// time, memory peak, init time), so there is nothing left to download.
    async fn download_metrics(
        &self,
        function: &Arc<dyn Function>,
        _start_us: u64,
        _end_us: u64,
        request_ids: &[String],
    ) -> ProviderResult<Vec<ProviderMetrics>> {
        // The instances' report lines (server.py); the window is implied by the run's
        // own log directory.
        let name = self.registered(function.name())?.name().to_string();
        let dir = self.settings.logs_dir.join(&name);
        report_log::read_reports(&dir, request_ids)
            .map_err(|e| ProviderError::io(format!("reading {}", dir.display()), e))
    }

    async fn create_trigger(
        &self,
        function: &Arc<dyn Function>,
        kind: TriggerKind,
    ) -> ProviderResult<Arc<dyn Trigger>> {
        match kind {
            TriggerKind::Http => Ok(self.registered(function.name())?),
            TriggerKind::Library => Err(ProviderError::Unsupported(
                "local-process functions have only an HTTP trigger".into(),
            )),
        }
    }

    async fn host_address_for_functions(&self) -> ProviderResult<std::net::IpAddr> {
        Ok(std::net::Ipv4Addr::LOCALHOST.into())
    }

    async fn shutdown(&self) -> ProviderResult<()> {
        let functions: Vec<_> = self
            .functions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        functions.iter().for_each(|f| f.shutdown());
        Ok(())
    }
}
