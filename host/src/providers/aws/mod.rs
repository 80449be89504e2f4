//! `aws`: AWS Lambda through the official AWS SDK for Rust (docs/aws.md). Zip packages
//! are built in the local-docker build image and deployed inline or through S3; each
//! create / update is followed by the service's waiter; functions are reached through
//! the SDK (library trigger) or a Function URL (HTTP trigger); provider times, init
//! durations, memory and billing come from the REPORT lines in CloudWatch Logs.

mod cleanup;
mod clients;
pub mod config;
pub mod container;
mod deploy;
pub mod emulator;
pub mod emulator_logs;
mod function;
pub mod metrics;
pub mod naming;
mod package;
pub mod report;
mod role;

pub use cleanup::CleanupReport;
pub use clients::Clients;
pub use config::{AwsConfig, DeploymentKind, Price, PriceTable};
pub use function::{AwsFunction, FunctionState, SdkTrigger, UrlTrigger};
pub use report::{Billing, Report, parse_report, reports_in};

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bollard::Docker;

use super::{
    Architecture, Function, FunctionConfig, Provider, ProviderError, ProviderMetrics,
    ProviderResult, Resources, Trigger, TriggerKind,
};
use crate::benchmarks::Benchmark;
use crate::cache::{Cache, FunctionRecord};
use crate::config::LocalDockerConfig;
use crate::docker::{self, images};
use crate::packaging::{CodePackage, WrapperFile};
use crate::storage::Storage;
use clients::sdk_failure;
use deploy::Target;

pub const NAME: &str = "aws";

/// The environment variable whose change forces new sandboxes (enforce_cold_start).
pub const COLD_START_VARIABLE: &str = "FAASLAB_COLD_START";

const HANDLER_FILE: WrapperFile = WrapperFile {
    name: "faaslab_lambda.py",
    content: include_bytes!("faaslab_lambda.py"),
};

const WRAPPER: &[WrapperFile] = &[
    HANDLER_FILE,
    crate::storage::FUNCTION_CLIENT,
    crate::storage::FUNCTION_CLIENT_S3,
];

/// Container images also carry their Runtime API client (the entry point).
const CONTAINER_WRAPPER: &[WrapperFile] = &[
    HANDLER_FILE,
    crate::storage::FUNCTION_CLIENT,
    crate::storage::FUNCTION_CLIENT_S3,
    WrapperFile {
        name: "faaslab_runtime.py",
        content: include_bytes!("faaslab_runtime.py"),
    },
];

/// What `initialize` found or created for the resource id.
#[derive(Debug, Clone)]
struct Owned {
    resource_id: String,
    role_arn: String,
    /// The role faaslab manages (None: `role_arn` was configured).
    role_name: Option<String>,
    bucket: String,
    /// The ECR repository of container deployments.
    repository: String,
}

pub struct AwsProvider {
    config: AwsConfig,
    clients: Clients,
    docker: Docker,
    images: images::ImageSet,
    storage: Option<Arc<Storage>>,
    owned: Mutex<Option<Owned>>,
    functions: Mutex<HashMap<String, Arc<AwsFunction>>>,
    http: reqwest::Client,
}

impl AwsProvider {
    /// Loads credentials and region (no request yet) and connects to the Docker engine
    /// that builds packages.
    pub async fn new(
        config: &AwsConfig,
        docker_config: &LocalDockerConfig,
    ) -> ProviderResult<Self> {
        config
            .validate()
            .map_err(|(field, msg)| ProviderError::Invalid(format!("{field}: {msg}")))?;
        let docker = docker::connect().await?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(900))
            .build()
            .map_err(|e| ProviderError::Failed(format!("HTTP client: {e}")))?;
        Ok(Self {
            config: config.clone(),
            clients: Clients::load(config).await,
            docker,
            images: images::ImageSet::from_config(docker_config)?,
            storage: None,
            owned: Mutex::new(None),
            functions: Mutex::new(HashMap::new()),
            http,
        })
    }

    /// The run's storage: functions get its FAASLAB_* settings (never AWS_* variables,
    /// which Lambda reserves: functions reach AWS with their execution role).
    pub fn with_storage(mut self, storage: Arc<Storage>) -> Self {
        self.storage = Some(storage);
        self
    }

    pub fn clients(&self) -> &Clients {
        &self.clients
    }

    pub fn config(&self) -> &AwsConfig {
        &self.config
    }

    /// The deployment bucket of large packages (known after `initialize`).
    pub fn code_bucket(&self) -> ProviderResult<String> {
        Ok(self.owned()?.bucket)
    }

    /// The execution role's ARN (known after `initialize`).
    pub fn role_arn(&self) -> ProviderResult<String> {
        Ok(self.owned()?.role_arn)
    }

    fn owned(&self) -> ProviderResult<Owned> {
        self.owned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| ProviderError::Invalid("aws: initialize the provider first".into()))
    }

    /// A function of this provider session.
    pub fn function(&self, name: &str) -> ProviderResult<Arc<AwsFunction>> {
        self.functions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
            .ok_or_else(|| ProviderError::NotFound(format!("function {name} on {NAME}")))
    }

    /// The session's function of that name, with `f`'s state. A function adopted again
    /// (each `get_function` of a cached one) stays the same object, so the triggers made
    /// before keep filling the Lambda request ids `download_metrics` matches by.
    fn register(&self, f: AwsFunction) -> Arc<AwsFunction> {
        let mut functions = self.functions.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = functions.get(f.name()) {
            let state = f.state();
            known.update(|s| *s = state);
            return known.clone();
        }
        let f = Arc::new(f);
        functions.insert(f.name().to_string(), f.clone());
        f
    }

    fn base_env(&self) -> HashMap<String, String> {
        self.storage
            .as_ref()
            .map(|s| s.function_env())
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| !k.starts_with("AWS_"))
            .collect()
    }

    fn target<'a>(&self, name: &'a str, owned: &'a Owned) -> Target<'a> {
        Target {
            name,
            role_arn: &owned.role_arn,
            resource_id: &owned.resource_id,
            wait: Duration::from_secs(self.config.wait_timeout_s),
        }
    }

    /// The Python version of a function's runtime (the configured default when unset).
    fn python_version<'a>(&'a self, config: &'a FunctionConfig) -> &'a str {
        if config.language_version.is_empty() {
            &self.config.default_python_version
        } else {
            &config.language_version
        }
    }

    /// The managed runtime of zip functions (an image brings its own).
    fn runtime(&self, config: &FunctionConfig) -> Option<aws_sdk_lambda::types::Runtime> {
        (self.config.deployment == DeploymentKind::Zip)
            .then(|| deploy::runtime(&config.language, self.python_version(config)))
    }

    async fn ensure_bucket(&self, bucket: &str) -> ProviderResult<String> {
        let mut request = self.clients.s3.create_bucket().bucket(bucket);
        if self.config.region != "us-east-1" {
            request = request.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                        self.config.region.as_str(),
                    ))
                    .build(),
            );
        }
        match request.send().await {
            Ok(_) => Ok(bucket.to_string()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_bucket_already_owned_by_you()) =>
            {
                Ok(bucket.to_string())
            }
            Err(e) => Err(sdk_failure(&format!("S3 CreateBucket {bucket}"), e)),
        }
    }

    async fn code_source(
        &self,
        package: &CodePackage,
        function: &str,
        arch: Architecture,
        owned: &Owned,
    ) -> ProviderResult<deploy::CodeSource> {
        if self.config.deployment == DeploymentKind::Container {
            self.check_image_architecture(arch).await?;
            return self.image_source(package, function, owned).await;
        }
        let zip = package::ensure_zip(package)?;
        deploy::code_source(
            &self.clients,
            &zip,
            &package.hash,
            function,
            self.config.direct_upload_limit,
            async || self.ensure_bucket(&owned.bucket).await,
        )
        .await
    }

    /// Images are built on the local-docker run image: only for its architecture.
    async fn check_image_architecture(&self, arch: Architecture) -> ProviderResult<()> {
        let base = &self.images.run;
        let base_arch = self
            .docker
            .inspect_image(base)
            .await
            .map_err(|e| docker::DockerError::api(format!("inspecting image {base}"), e))?
            .architecture
            .unwrap_or_default();
        let wanted = match arch {
            Architecture::X86_64 => "amd64",
            Architecture::Arm64 => "arm64",
        };
        if base_arch != wanted {
            return Err(ProviderError::Unsupported(format!(
                "function.architecture: container images are built on {base} ({base_arch}); \
                 a {wanted} function needs platforms.aws.deployment `zip` or a {wanted} machine"
            )));
        }
        Ok(())
    }

    /// The package as an image in the resource id's ECR repository (or in
    /// `platforms.aws.registry`), built on the local-docker run image.
    async fn image_source(
        &self,
        package: &CodePackage,
        function: &str,
        owned: &Owned,
    ) -> ProviderResult<deploy::CodeSource> {
        let repository_uri =
            container::ensure_repository(&self.clients, &owned.repository, &owned.resource_id)
                .await?;
        let (push_to, credentials) = match &self.config.registry {
            Some(registry) => (format!("{registry}/{}", owned.repository), None),
            None => (
                repository_uri,
                Some(container::registry_credentials(&self.clients).await?),
            ),
        };
        let image = container::image_ref(&push_to, function, &package.hash);
        container::build_image(&self.docker, &self.images.run, package, &image).await?;
        container::push(&self.docker, &image, credentials).await?;
        Ok(deploy::CodeSource::Image(image))
    }

    /// REPORT lines of requests made in a window, keyed by faaslab's request ids.
    pub async fn download_reports(
        &self,
        function: &AwsFunction,
        start_us: u64,
        end_us: u64,
        request_ids: &[String],
    ) -> ProviderResult<HashMap<String, Report>> {
        let aws_ids: HashMap<String, String> = request_ids
            .iter()
            .map(|id| (function.aws_request_id(id), id.clone()))
            .collect();
        let wanted: HashSet<String> = aws_ids.keys().cloned().collect();
        // REPORT lines are stamped when the invocation ends; leave room for the
        // longest possible invocation and for clock skew.
        let start_ms = (start_us / 1000).saturating_sub(60_000) as i64;
        let end_ms = (end_us / 1000) as i64 + (i64::from(function.config().timeout_s) + 60) * 1000;
        let found = metrics::wait_for_reports(
            &self.clients.logs,
            &naming::log_group(function.name()),
            start_ms,
            end_ms,
            &wanted,
            Duration::from_secs(self.config.logs_wait_s),
        )
        .await?;
        Ok(found
            .into_iter()
            .filter_map(|(aws_id, r)| aws_ids.get(&aws_id).map(|ours| (ours.clone(), r)))
            .collect())
    }

    /// What one invocation cost at the configured prices.
    pub fn billing(&self, report: &Report, arch: Architecture) -> Billing {
        report.billing(self.config.prices.of(arch))
    }

    /// Delete every function, log group, deployment object and the bucket and the
    /// role the resource id owns.
    pub async fn cleanup(&self) -> ProviderResult<CleanupReport> {
        let owned = self.owned()?;
        let mut report = cleanup::cleanup(
            &self.clients,
            &owned.resource_id,
            &owned.bucket,
            owned.role_name.as_deref(),
        )
        .await?;
        if container::delete_repository(&self.clients, &owned.repository).await? {
            report.repository = Some(owned.repository.clone());
        }
        report.local_images =
            container::remove_local_images(&self.docker, &owned.repository).await?;
        self.functions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        Ok(report)
    }

    async fn url_trigger(&self, function: Arc<AwsFunction>) -> ProviderResult<UrlTrigger> {
        let name = function.name().to_string();
        let lambda = &self.clients.lambda;
        let url = match lambda
            .get_function_url_config()
            .function_name(&name)
            .send()
            .await
        {
            Ok(found) => found.function_url,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                let created = lambda
                    .create_function_url_config()
                    .function_name(&name)
                    .auth_type(aws_sdk_lambda::types::FunctionUrlAuthType::None)
                    .send()
                    .await
                    .map_err(|e| {
                        sdk_failure(&format!("Lambda CreateFunctionUrlConfig {name}"), e)
                    })?;
                lambda
                    .add_permission()
                    .function_name(&name)
                    .statement_id("faaslab-function-url")
                    .action("lambda:InvokeFunctionUrl")
                    .principal("*")
                    .function_url_auth_type(aws_sdk_lambda::types::FunctionUrlAuthType::None)
                    .send()
                    .await
                    .map_err(|e| sdk_failure(&format!("Lambda AddPermission {name}"), e))?;
                created.function_url
            }
            Err(e) => {
                return Err(sdk_failure(
                    &format!("Lambda GetFunctionUrlConfig {name}"),
                    e,
                ));
            }
        };
        Ok(UrlTrigger {
            function,
            url,
            http: self.http.clone(),
        })
    }
}

#[async_trait]
impl Provider for AwsProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn storage(&self) -> Option<Arc<Storage>> {
        self.storage.clone()
    }

    /// Check credentials, find the account, find or create the execution role.
    async fn initialize(&self, resources: &Resources) -> ProviderResult<()> {
        self.clients.check_credentials().await?;
        let account = self.clients.account().await?;
        let rid = &resources.resource_id;
        let (role_arn, role_name) = match &self.config.role_arn {
            Some(arn) => (arn.clone(), None),
            None => {
                let name = naming::role_name(rid);
                let (arn, _created) = role::find_or_create(&self.clients.iam, &name, rid).await?;
                (arn, Some(name))
            }
        };
        let owned = Owned {
            resource_id: rid.clone(),
            role_arn,
            role_name,
            bucket: naming::code_bucket(rid, &account, &self.config.region),
            repository: naming::repository(rid),
        };
        tracing::info!(account = %account, region = %self.config.region, role = %owned.role_arn, "aws provider ready");
        *self.owned.lock().unwrap_or_else(|e| e.into_inner()) = Some(owned);
        Ok(())
    }

    async fn package_code(
        &self,
        benchmark: &Benchmark,
        config: &FunctionConfig,
        cache: &Cache,
        force_rebuild: bool,
    ) -> ProviderResult<CodePackage> {
        if config.language != "python" {
            return Err(ProviderError::Unsupported(format!(
                "{NAME} packages python functions only, not {}",
                config.language
            )));
        }
        let code_dir = benchmark.code_dir(&config.language);
        if !code_dir.is_dir() {
            return Err(ProviderError::NotFound(format!(
                "{} has no {} implementation",
                benchmark.id, config.language
            )));
        }
        images::require(&self.docker, &self.images, true).await?;
        let image_id = images::image_id(&self.docker, &self.images.build).await?;
        // Zip packages run on Lambda's managed runtime: wheels for its architecture and
        // Python. Images run the build image's own Python on its own architecture.
        let target = (self.config.deployment == DeploymentKind::Zip)
            .then(|| package::pip_target(config.architecture, self.python_version(config)));
        let package = docker::build::package_in_container(
            "python",
            &docker::build::BuildImage {
                docker: &self.docker,
                image: &self.images.build,
                image_id: &image_id,
                host_python: "python3",
                pip_target: target.as_ref(),
            },
            &benchmark.id,
            &crate::packaging::package_sources(benchmark, &config.language)?,
            match self.config.deployment {
                DeploymentKind::Zip => WRAPPER,
                DeploymentKind::Container => CONTAINER_WRAPPER,
            },
            &cache.packages_dir(
                NAME,
                &format!("{}-{}", benchmark.id, naming::arch_tag(config.architecture)),
            ),
            force_rebuild,
        )
        .await?;
        if self.config.deployment == DeploymentKind::Zip {
            package::ensure_zip(&package)?;
        }
        Ok(package)
    }

    async fn create_function(
        &self,
        package: &CodePackage,
        name: &str,
        config: &FunctionConfig,
    ) -> ProviderResult<Arc<dyn Function>> {
        config
            .validate()
            .map_err(|(field, msg)| ProviderError::Invalid(format!("{field}: {msg}")))?;
        let owned = self.owned()?;
        let target = self.target(name, &owned);
        let source = self
            .code_source(package, name, config.architecture, &owned)
            .await?;
        let env = self.base_env();
        deploy::create(
            &self.clients,
            &target,
            &source,
            config,
            self.runtime(config),
            &env,
        )
        .await?;
        tracing::info!(function = %name, "created the Lambda function");
        Ok(self.register(AwsFunction::new(
            name.to_string(),
            package.benchmark.clone(),
            FunctionState {
                config: config.clone(),
                code_hash: package.hash.clone(),
                env,
            },
        )))
    }

    /// Adopt a function of an earlier run; its environment is read back from Lambda.
    async fn cached_function(&self, record: &FunctionRecord) -> ProviderResult<Arc<dyn Function>> {
        let found = self
            .clients
            .lambda
            .get_function_configuration()
            .function_name(&record.name)
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception())
                {
                    ProviderError::NotFound(format!(
                        "function {} is in the cache but not in Lambda ({}); deploy again \
                         with reuse of deployments off",
                        record.name, self.config.region
                    ))
                } else {
                    sdk_failure(
                        &format!("Lambda GetFunctionConfiguration {}", record.name),
                        e,
                    )
                }
            })?;
        let env = found
            .environment
            .and_then(|e| e.variables)
            .unwrap_or_default();
        Ok(self.register(AwsFunction::new(
            record.name.clone(),
            record.benchmark.clone(),
            FunctionState {
                config: record.config.clone(),
                code_hash: record.code_hash.clone(),
                env,
            },
        )))
    }

    async fn update_function_code(
        &self,
        function: &Arc<dyn Function>,
        package: &CodePackage,
    ) -> ProviderResult<()> {
        let f = self.function(function.name())?;
        let owned = self.owned()?;
        let target = self.target(f.name(), &owned);
        let source = self
            .code_source(package, f.name(), f.config().architecture, &owned)
            .await?;
        deploy::update_code(&self.clients, &target, &source, f.config().architecture).await?;
        f.update(|s| s.code_hash = package.hash.clone());
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
        let f = self.function(function.name())?;
        let owned = self.owned()?;
        let target = self.target(f.name(), &owned);
        let mut env = f.state().env;
        env.extend(self.base_env());
        deploy::update_configuration(&self.clients, &target, config, self.runtime(config), &env)
            .await?;
        f.update(|s| {
            s.config = config.clone();
            s.env = env;
        });
        Ok(())
    }

    /// Architecture too: it is part of the function name, so a change means another
    /// function, but a cached record of an older faaslab may lack it.
    fn is_configuration_changed(&self, cached: &FunctionConfig, wanted: &FunctionConfig) -> bool {
        cached.memory_mb != wanted.memory_mb
            || cached.timeout_s != wanted.timeout_s
            || cached.language_version != wanted.language_version
            || cached.language != wanted.language
            || cached.architecture != wanted.architecture
    }

    fn default_function_name(
        &self,
        resources: &Resources,
        benchmark: &Benchmark,
        config: &FunctionConfig,
    ) -> String {
        naming::function_name(
            &resources.resource_id,
            &benchmark.id,
            &config.language,
            self.python_version(config),
            config.architecture,
            &self.config.region,
        )
    }

    /// A new value of FAASLAB_COLD_START makes Lambda retire every sandbox of the
    /// function; returns once the update is live (LastUpdateStatus Successful).
    async fn enforce_cold_start(&self, functions: &[Arc<dyn Function>]) -> ProviderResult<()> {
        let owned = self.owned()?;
        for function in functions {
            let f = self.function(function.name())?;
            let state = f.state();
            let mut env = state.env.clone();
            env.insert(
                COLD_START_VARIABLE.into(),
                uuid::Uuid::new_v4().simple().to_string(),
            );
            let target = self.target(f.name(), &owned);
            deploy::update_configuration(
                &self.clients,
                &target,
                &state.config,
                self.runtime(&state.config),
                &env,
            )
            .await?;
            f.update(|s| s.env = env);
        }
        Ok(())
    }

    /// REPORT lines from CloudWatch Logs; `request_ids` are the invocations'
    /// `request_id`s (faaslab's), and so are the ids of the metrics returned.
    async fn download_metrics(
        &self,
        function: &Arc<dyn Function>,
        start_us: u64,
        end_us: u64,
        request_ids: &[String],
    ) -> ProviderResult<Vec<ProviderMetrics>> {
        let f = self.function(function.name())?;
        let reports = self
            .download_reports(&f, start_us, end_us, request_ids)
            .await?;
        Ok(reports.iter().map(|(ours, r)| r.metrics(ours)).collect())
    }

    async fn create_trigger(
        &self,
        function: &Arc<dyn Function>,
        kind: TriggerKind,
    ) -> ProviderResult<Arc<dyn Trigger>> {
        let f = self.function(function.name())?;
        match kind {
            TriggerKind::Library => Ok(Arc::new(SdkTrigger {
                function: f,
                lambda: self.clients.lambda.clone(),
            })),
            TriggerKind::Http => Ok(Arc::new(self.url_trigger(f).await?)),
        }
    }

    /// Nothing runs locally; deployed functions stay (cached) until `cleanup`.
    async fn shutdown(&self) -> ProviderResult<()> {
        Ok(())
    }
}
