//! Opening and finishing a run session.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::ProgressBar;

use crate::benchmarks::{Catalog, default_benchmarks_dir};
use crate::cache::{Cache, write_atomic};
use crate::capabilities::RunContext;
use crate::capabilities::storage::StorageCapability;
use crate::config::{RunConfig, default_cache_dir};
use crate::driver::Recorder;
use crate::measure::{
    self, JsonlWriter, MachineInfo, Manifest, RunStatus, RunSummary, ScriptInfo, now_rfc3339,
};
use crate::policy::RunPolicies;
use crate::providers::{
    PLATFORMS, Provider, Resources, http_endpoint_provider, local_docker, local_process,
};
use crate::storage::Storage;

/// Where a session reads and writes.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// None: the embedded default configuration.
    pub config_path: Option<PathBuf>,
    /// None: `runs/<time>-<label>` in the current directory.
    pub output_dir: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    pub benchmarks_dir: Option<PathBuf>,
    pub seed: Option<u64>,
    pub force_rebuild: bool,
    /// Upload benchmark inputs even when already present in storage.
    pub update_storage: bool,
    pub progress: bool,
    /// When the process started (for the first-invocation latency in the manifest).
    pub process_start: Option<Instant>,
    /// Continue the interrupted run in this directory (its manifest gives the config
    /// and seed; recorded invocations are replayed, not repeated).
    pub resume: Option<PathBuf>,
    /// Grants from the command line; they narrow the config's (docs/sandbox.md).
    pub grants: GrantFlags,
}

/// `--allow-platform`, `--allow-benchmark`, `--max-invocations`.
#[derive(Debug, Clone, Default)]
pub struct GrantFlags {
    pub grants: crate::config::Grants,
    pub max_invocations: Option<u64>,
}

pub struct Session {
    pub ctx: Arc<RunContext>,
    pub run_dir: PathBuf,
    pub manifest: Manifest,
    process_start: Instant,
}

fn default_run_dir(label: &str) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let short = &uuid::Uuid::new_v4().simple().to_string()[..6];
    PathBuf::from("runs").join(format!("{stamp}-{label}-{short}"))
}

impl Session {
    /// Load and check the configuration, prepare the run directory and the platform.
    pub async fn open(
        opts: &SessionOptions,
        label: &str,
        script: ScriptInfo,
    ) -> anyhow::Result<Self> {
        Self::open_with(opts, label, script, RunPolicies::none()).await
    }

    /// [`Session::open`] with the policies the run's drivers consult.
    pub async fn open_with(
        opts: &SessionOptions,
        label: &str,
        script: ScriptInfo,
        policies: RunPolicies,
    ) -> anyhow::Result<Self> {
        let previous = match &opts.resume {
            Some(dir) => Some(read_manifest(dir)?),
            None => None,
        };
        let (mut config, config_name) = match (&previous, &opts.resume) {
            (Some(m), Some(dir)) => (
                m.config.clone(),
                dir.join(measure::MANIFEST).display().to_string(),
            ),
            _ => (
                RunConfig::load(opts.config_path.as_deref())?,
                opts.config_path
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| crate::config::EMBEDDED_NAME.to_string()),
            ),
        };
        if let Some(m) = &previous
            && m.script.sha256 != script.sha256
        {
            bail!(
                "{config_name}: the run was made by a script with sha256 {}, not {} ({}); resume it with the same script",
                m.script.sha256,
                script.sha256,
                script.path
            );
        }
        let catalog = Catalog::open(
            opts.benchmarks_dir
                .clone()
                .unwrap_or_else(default_benchmarks_dir),
        )?;
        config.check_names(&config_name, &catalog.ids(), PLATFORMS)?;
        if previous.is_none() {
            if let Some(seed) = opts.seed {
                config.seed = Some(seed);
            }
            config.force_rebuild |= opts.force_rebuild;
            config.storage.update_inputs |= opts.update_storage;
            // Grants only narrow: config ∩ command line ∩ what the script declares.
            config.grants.narrow(&opts.grants.grants);
            if let Some(max) = opts.grants.max_invocations {
                config.limits.max_invocations = config.limits.max_invocations.min(max);
            }
            if let Some(declared) = &script.declared {
                declared.manifest.narrow(&mut config);
            }
        }
        if !policies.is_empty() {
            config.policies = policies.config().clone();
        }
        let seed = config.seed.unwrap_or_else(rand::random);
        config.seed = Some(seed);

        let cache_dir = opts.cache_dir.clone().unwrap_or_else(default_cache_dir);
        let cache = Cache::open(&cache_dir)
            .with_context(|| format!("cannot open the cache at {}", cache_dir.display()))?;
        let run_dir = match (&opts.resume, &opts.output_dir) {
            (Some(dir), _) => dir.clone(),
            (None, Some(dir)) => dir.clone(),
            (None, None) => default_run_dir(label),
        };
        if previous.is_none() && run_dir.join(measure::RESULTS).exists() {
            bail!(
                "{}: already holds a run's results; choose another --output-dir or --resume it",
                run_dir.display()
            );
        }
        let recorded = if previous.is_some() {
            for file in [measure::RESULTS, measure::EVENTS] {
                let cut = measure::truncate_torn_tail(&run_dir.join(file))
                    .with_context(|| format!("repairing {}", run_dir.join(file).display()))?;
                if cut > 0 {
                    tracing::warn!(
                        "{file}: cut a torn last line of {cut} bytes left by the interruption"
                    );
                }
            }
            measure::read_all::<measure::ExecutionRecord>(&run_dir.join(measure::RESULTS))?
        } else {
            Vec::new()
        };
        std::fs::create_dir_all(run_dir.join(measure::LOGS_DIR))
            .with_context(|| format!("cannot create the run directory {}", run_dir.display()))?;

        let storage = Arc::new(
            Storage::open(&config.storage, &config.resource_id, cache.root())
                .with_context(|| format!("{config_name}: field `storage`"))?,
        );
        let provider = open_provider(
            &config,
            &config_name,
            &run_dir.join(measure::LOGS_DIR),
            storage.clone(),
            Some(cache.root()),
        )
        .await?;
        let resources = Resources {
            resource_id: config.resource_id.clone(),
            reuse_deployments: true,
        };
        provider.initialize(&resources).await?;

        let started = Instant::now();
        let progress = if opts.progress {
            let pb = ProgressBar::new_spinner();
            pb.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {pos} invocations recorded ({per_sec}) {elapsed}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            pb.enable_steady_tick(Duration::from_millis(120));
            pb
        } else {
            ProgressBar::hidden()
        };
        let recorder = Arc::new(Recorder::open(
            &run_dir.join(measure::RESULTS),
            started,
            config.limits.max_invocations,
            progress,
        )?);
        recorder.budget().set_compute(
            &config.limits,
            crate::config::price_of(&config.prices, &config.platform),
        );
        if previous.is_some() {
            tracing::info!(
                "resuming {}: {} recorded invocations will be replayed, not repeated",
                run_dir.display(),
                recorded.len()
            );
            recorder.resume_from(recorded);
        }
        let events = JsonlWriter::open(&run_dir.join(measure::EVENTS))?;
        let manifest = match previous {
            Some(mut m) => {
                m.resumed_at.push(now_rfc3339());
                m.status = RunStatus::Running;
                m.ended_at = None;
                m.error = None;
                m
            }
            None => Manifest {
                faaslab_version: env!("CARGO_PKG_VERSION").to_string(),
                run_id: uuid::Uuid::new_v4().to_string(),
                script,
                config: config.clone(),
                seed,
                platform: config.platform.clone(),
                machine: MachineInfo::current(),
                started_at: now_rfc3339(),
                ended_at: None,
                status: RunStatus::Running,
                error: None,
                guest_result: None,
                deployments: Vec::new(),
                invocations: 0,
                guest_compile_cached: false,
                guest_instantiate_us: None,
                first_invocation_after_us: None,
                resumed_at: Vec::new(),
                policies: None,
                budgets: Vec::new(),
            },
        };
        write_manifest(&run_dir, &manifest)?;
        let deadline = started + Duration::from_secs_f64(config.limits.max_wall_time_s);
        let ctx = Arc::new(RunContext {
            config,
            config_name,
            seed,
            provider,
            cache,
            catalog,
            resources,
            recorder,
            events,
            deployments: Mutex::new(Vec::new()),
            storage: Arc::new(StorageCapability::new(storage)),
            deadline,
            policies: Arc::new(policies),
        });
        Ok(Self {
            ctx,
            run_dir,
            manifest,
            process_start: opts.process_start.unwrap_or(started),
        })
    }

    /// Shut the platform down and derive everything from what was recorded.
    pub async fn finish(
        &mut self,
        status: RunStatus,
        error: Option<String>,
    ) -> anyhow::Result<RunSummary> {
        self.ctx.recorder.progress().finish_and_clear();
        if let Err(e) = self.ctx.provider.shutdown().await {
            tracing::warn!("platform shutdown: {e}");
        }
        let recorder = &self.ctx.recorder;
        let m = &mut self.manifest;
        m.ended_at = Some(now_rfc3339());
        m.status = status;
        m.error = error;
        m.invocations = recorder.recorded();
        m.deployments = self
            .ctx
            .deployments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        m.policies = self.ctx.policies.report();
        m.first_invocation_after_us = recorder
            .first_send()
            .map(|t| t.saturating_duration_since(self.process_start).as_micros() as u64);
        if recorder.write_errors() > 0 && m.error.is_none() {
            m.status = RunStatus::Failed;
            m.error = Some(format!(
                "{} results could not be written to {}",
                recorder.write_errors(),
                measure::RESULTS
            ));
        }
        write_manifest(&self.run_dir, m)?;
        measure::write_csv(&self.run_dir).context("writing results.csv")?;
        let summary = measure::summarize_run(&self.run_dir).context("summarising the run")?;
        let json = serde_json::to_vec_pretty(&summary)?;
        write_atomic(&self.run_dir.join(measure::SUMMARY), &json)
            .context("writing summary.json")?;
        Ok(summary)
    }
}

/// The platform a run config names, with the run's storage; instance logs go to
/// `logs_dir`. Also used after a run (`experiment process`) to reach the same functions.
pub(crate) async fn open_provider(
    config: &RunConfig,
    config_name: &str,
    logs_dir: &Path,
    storage: Arc<Storage>,
    cache_root: Option<&Path>,
) -> anyhow::Result<Arc<dyn Provider>> {
    Ok(match config.platform.as_str() {
        local_process::NAME => Arc::new(
            local_process::LocalProcessProvider::with_interpreter_cache(
                &config.platforms.local_process,
                logs_dir.to_path_buf(),
                cache_root,
            )
            .await?
            .with_storage(storage),
        ),
        local_docker::NAME => Arc::new(
            local_docker::LocalDockerProvider::new(
                &config.platforms.local_docker,
                logs_dir.to_path_buf(),
            )
            .await?
            .with_storage(storage),
        ),
        http_endpoint_provider::NAME => Arc::new(
            http_endpoint_provider::HttpEndpointProvider::new(&config.platforms.http_endpoint)
                .map_err(|e| anyhow::anyhow!("{config_name}: {e}"))?,
        ),
        crate::providers::aws::NAME => Arc::new(
            crate::providers::aws::AwsProvider::new(
                &config.platforms.aws,
                &config.platforms.local_docker,
            )
            .await?
            .with_storage(storage),
        ),
        other => bail!("{config_name}: field `platform`: unsupported platform `{other}`"),
    })
}

pub fn read_manifest(run_dir: &Path) -> anyhow::Result<Manifest> {
    let path = run_dir.join(measure::MANIFEST);
    let bytes = std::fs::read(&path)
        .with_context(|| format!("{}: cannot read (is this a run directory?)", path.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not a faaslab manifest", path.display()))
}

pub fn write_manifest(run_dir: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(manifest)?;
    write_atomic(&run_dir.join(measure::MANIFEST), &json).context("writing manifest.json")
}
