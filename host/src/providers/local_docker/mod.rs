//! `local-docker`: every function instance is a container of the run image (built by
//! `faaslab images build`) running the local-process instance server of the function's
//! language (python3 or node, both in the run image), with the code
//! package mounted read-only and the function memory as the container's memory limit.
//! Containers carry labels (session, function) so shutdown removes exactly ours.

pub(crate) mod container;
mod function;

pub use container::{Addressing, cpu_shares, logs_text, remove_now as remove_container};
pub use function::{DockerFunction, DockerSettings};

use crate::storage::Storage;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bollard::Docker;
use bollard::query_parameters::ListContainersOptions;

use super::{
    Function, FunctionConfig, Provider, ProviderError, ProviderMetrics, ProviderResult, Resources,
    Trigger, TriggerKind, sanitize_name,
};
use crate::benchmarks::Benchmark;
use crate::cache::{Cache, FunctionRecord};
use crate::config::LocalDockerConfig;
use crate::docker::{self, LABEL_MANAGED, LABEL_PURPOSE, LABEL_SESSION, images};
use crate::packaging::CodePackage;

pub const NAME: &str = "local-docker";

pub struct LocalDockerProvider {
    settings: Arc<DockerSettings>,
    storage: Option<Arc<Storage>>,
    images: images::ImageSet,
    functions: Mutex<HashMap<String, Arc<DockerFunction>>>,
}

impl LocalDockerProvider {
    /// Connects to the engine and checks the run image exists (else: what to run).
    pub async fn new(config: &LocalDockerConfig, logs_dir: PathBuf) -> ProviderResult<Self> {
        let docker = docker::connect().await?;
        let set = images::ImageSet::from_config(config)?;
        images::require(&docker, &set, false).await?;
        // What killed runs left behind goes first.
        match remove_abandoned(&docker).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("removed {n} containers left behind by killed runs"),
            Err(e) => tracing::warn!("cannot remove containers left behind by killed runs: {e}"),
        }
        let addressing = match config.address.as_str() {
            "ip" => Addressing::Ip,
            "port" => Addressing::Port,
            _ => Addressing::Auto,
        };
        Ok(Self {
            settings: Arc::new(DockerSettings {
                docker,
                run_image: set.run.clone(),
                session: super::owner::new_session(),
                logs_dir,
                max_instances: config.max_instances,
                ready_timeout: Duration::from_secs(config.ready_timeout_s),
                addressing,
                env: Vec::new(),
                binds: Vec::new(),
            }),
            functions: Mutex::new(HashMap::new()),
            images: set,
            storage: None,
        })
    }

    /// The run's storage: containers get how to reach it in their environment, and the
    /// local backend's directory is mounted at the same path. An S3 endpoint on the
    /// host's loopback is given to containers as `host.docker.internal` (the bridge
    /// gateway), and so is a Redis `host:port` of the NoSQL store: the server must
    /// listen on an address the bridge reaches (e.g. 0.0.0.0).
    pub fn with_storage(mut self, storage: Arc<Storage>) -> Self {
        let env: Vec<(String, String)> = storage
            .function_env()
            .into_iter()
            .map(|(k, v)| match k.as_str() {
                "FAASLAB_STORAGE_ENDPOINT" => {
                    let v = endpoint_for_containers(&v);
                    (k, v)
                }
                "FAASLAB_NOSQL_REDIS" => {
                    let v = address_for_containers(&v);
                    (k, v)
                }
                _ => (k, v),
            })
            .collect();
        let binds = env
            .iter()
            .filter(|(k, _)| k == "FAASLAB_STORAGE_ROOT")
            .map(|(_, root)| format!("{root}:{root}:rw"))
            .collect();
        let s = Arc::make_mut(&mut self.settings);
        s.env = env;
        s.binds = binds;
        self.storage = Some(storage);
        self
    }

    /// A session not owned by this process (`faaslab local start`'s containers outlive
    /// it and are removed by `local stop`, never as leftovers).
    pub fn detached(mut self) -> Self {
        Arc::make_mut(&mut self.settings).session =
            format!("detached-{}", uuid::Uuid::new_v4().simple());
        self
    }

    /// The label value of this session's containers.
    pub fn session(&self) -> &str {
        &self.settings.session
    }

    /// The run image containers are created from.
    pub fn run_image(&self) -> &str {
        &self.settings.run_image
    }

    pub fn docker(&self) -> &Docker {
        &self.settings.docker
    }

    /// A registered function, for tests and reports.
    pub fn function(&self, name: &str) -> ProviderResult<Arc<DockerFunction>> {
        self.functions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
            .ok_or_else(|| ProviderError::NotFound(format!("function {name} on {NAME}")))
    }

    fn register(&self, f: DockerFunction) -> Arc<DockerFunction> {
        let mut map = self.functions.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(f.name().to_string())
            .or_insert_with(|| Arc::new(f))
            .clone()
    }
}

/// Ids of containers with all these labels (`key=value`), running or not.
pub async fn containers_labelled(
    docker: &Docker,
    labels: &[String],
) -> ProviderResult<Vec<String>> {
    let list = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(HashMap::from([("label".to_string(), labels.to_vec())])),
            ..Default::default()
        }))
        .await
        .map_err(|e| docker::DockerError::api("listing containers", e))?;
    Ok(list.into_iter().filter_map(|c| c.id).collect())
}

/// Remove the instance containers of runs whose process is gone (killed runs leave
/// them behind); returns how many. Containers of live runs and of `local start` stay.
pub async fn remove_abandoned(docker: &Docker) -> ProviderResult<usize> {
    let list = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(HashMap::from([(
                "label".to_string(),
                vec![
                    format!("{LABEL_MANAGED}=true"),
                    format!("{LABEL_PURPOSE}=instance"),
                ],
            )])),
            ..Default::default()
        }))
        .await
        .map_err(|e| docker::DockerError::api("listing containers", e))?;
    let sessions: HashSet<String> = list
        .into_iter()
        .filter_map(|c| c.labels?.get(LABEL_SESSION).cloned())
        .filter(|s| super::owner::is_abandoned(s))
        .collect();
    let mut removed = 0;
    for session in sessions {
        removed += remove_instances(docker, Some(&session)).await?;
    }
    Ok(removed)
}

/// Remove every instance container of one session (None: of every faaslab session).
pub async fn remove_instances(docker: &Docker, session: Option<&str>) -> ProviderResult<usize> {
    let mut labels = vec![
        format!("{LABEL_MANAGED}=true"),
        format!("{LABEL_PURPOSE}=instance"),
    ];
    if let Some(s) = session {
        labels.push(format!("{LABEL_SESSION}={s}"));
    }
    // Removals started in the background (retired containers) may still be in
    // progress: remove and list again until none is left.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut removed = HashSet::new();
    loop {
        let ids = containers_labelled(docker, &labels).await?;
        if ids.is_empty() {
            return Ok(removed.len());
        }
        if std::time::Instant::now() > deadline {
            return Err(ProviderError::Failed(format!(
                "containers still there after removing them: {ids:?}"
            )));
        }
        for id in ids {
            container::remove_now(docker, &id).await;
            removed.insert(id);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `endpoint` with a loopback host replaced by the name containers have for the host.
fn endpoint_for_containers(endpoint: &str) -> String {
    let Some((scheme, rest)) = endpoint.split_once("://") else {
        return endpoint.to_string();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        v6.split_once(']').unwrap_or((v6, ""))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, &authority[h.len()..][..p.len() + 1]),
            None => (authority, ""),
        }
    };
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        format!("{scheme}://{}{port}{path}", container::HOST_ALIAS)
    } else {
        endpoint.to_string()
    }
}

/// `host:port` with a loopback host replaced by the name containers have for the host.
fn address_for_containers(address: &str) -> String {
    let url = endpoint_for_containers(&format!("tcp://{address}"));
    url.strip_prefix("tcp://").unwrap_or(&url).to_string()
}

#[async_trait]
impl Provider for LocalDockerProvider {
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
        let (runtime, sources) = super::local_process::runtime_code(benchmark, &config.language)?;
        let docker = &self.settings.docker;
        images::require(docker, &self.images, true).await?;
        let image_id = images::image_id(docker, &self.images.build).await?;
        docker::build::package_in_container(
            runtime.language(),
            &docker::build::BuildImage {
                docker,
                image: &self.images.build,
                image_id: &image_id,
                host_python: "python3",
                pip_target: None,
            },
            &benchmark.id,
            &sources,
            runtime.wrapper(),
            &cache.packages_dir(NAME, &benchmark.id),
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
        Ok(self.register(DockerFunction::new(
            name.to_string(),
            package.benchmark.clone(),
            package.location.clone(),
            package.hash.clone(),
            config.clone(),
            self.settings.clone(),
        )))
    }

    async fn cached_function(&self, record: &FunctionRecord) -> ProviderResult<Arc<dyn Function>> {
        Ok(self.register(DockerFunction::new(
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
        self.function(function.name())?
            .pool()
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
        self.function(function.name())?
            .pool()
            .set_config(config.clone());
        Ok(())
    }

    fn default_function_name(
        &self,
        resources: &Resources,
        benchmark: &Benchmark,
        config: &FunctionConfig,
    ) -> String {
        sanitize_name(&format!(
            "faaslab-docker-{}-{}-{}-{}",
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
            self.function(f.name())?.pool().retire_instances();
        }
        Ok(())
    }

    /// Containers report every metric inline with each invocation.
    async fn download_metrics(
        &self,
        function: &Arc<dyn Function>,
        _start_us: u64,
        _end_us: u64,
        _request_ids: &[String],
    ) -> ProviderResult<Vec<ProviderMetrics>> {
        self.function(function.name())?;
        Ok(Vec::new())
    }

    async fn create_trigger(
        &self,
        function: &Arc<dyn Function>,
        kind: TriggerKind,
    ) -> ProviderResult<Arc<dyn Trigger>> {
        match kind {
            TriggerKind::Http => Ok(self.function(function.name())?),
            TriggerKind::Library => Err(ProviderError::Unsupported(
                "local-docker functions have only an HTTP trigger".into(),
            )),
        }
    }

    /// Remove every container of this session (idle ones and any left behind).
    /// Containers run on the default bridge network: they reach the host at its gateway.
    async fn host_address_for_functions(&self) -> ProviderResult<std::net::IpAddr> {
        let net = self
            .docker()
            .inspect_network(
                "bridge",
                None::<bollard::query_parameters::InspectNetworkOptions>,
            )
            .await
            .map_err(|e| ProviderError::Failed(format!("inspect the bridge network: {e}")))?;
        net.ipam
            .and_then(|ipam| ipam.config)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|c| c.gateway)
            .find_map(|g| g.parse::<std::net::Ipv4Addr>().ok())
            .map(Into::into)
            .ok_or_else(|| ProviderError::Failed("the bridge network has no IPv4 gateway".into()))
    }

    async fn shutdown(&self) -> ProviderResult<()> {
        let functions: Vec<_> = self
            .functions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        functions.iter().for_each(|f| f.pool().shutdown());
        remove_instances(&self.settings.docker, Some(&self.settings.session)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod endpoint_tests {
    use super::endpoint_for_containers as f;

    #[test]
    fn loopback_addresses_name_the_host_gateway() {
        let f = super::address_for_containers;
        assert_eq!(f("127.0.0.1:6379"), "host.docker.internal:6379");
        assert_eq!(f("localhost:6380"), "host.docker.internal:6380");
        assert_eq!(f("[::1]:6379"), "host.docker.internal:6379");
        assert_eq!(f("10.1.2.3:6379"), "10.1.2.3:6379");
        assert_eq!(f("redis.example:6379"), "redis.example:6379");
    }

    #[test]
    fn loopback_endpoints_name_the_host_gateway() {
        assert_eq!(
            f("http://127.0.0.1:9000"),
            "http://host.docker.internal:9000"
        );
        assert_eq!(
            f("http://localhost:5000/base"),
            "http://host.docker.internal:5000/base"
        );
        assert_eq!(f("http://[::1]:9000"), "http://host.docker.internal:9000");
        assert_eq!(f("http://127.0.0.1"), "http://host.docker.internal");
    }

    #[test]
    fn other_endpoints_are_kept() {
        for e in [
            "https://s3.eu-west-1.amazonaws.com",
            "http://10.0.0.5:9000",
            "http://minio.lan:9000/x",
            "not a url",
        ] {
            assert_eq!(f(e), e);
        }
    }
}
