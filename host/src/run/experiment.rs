//! `faaslab experiment run`: a guest script drives the run.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::session::{Session, SessionOptions, read_manifest};
use crate::capabilities::{HostState, log::sanitize};
use crate::config::RunConfig;
use crate::engine::{GuestEngine, RunError};
use crate::measure::{self, RunStatus, RunSummary, ScriptInfo};
use crate::policy::{PoliciesConfig, RunPolicies};

/// Policies named outside the config file (CLI flags); each replaces the config's.
#[derive(Debug, Clone, Default)]
pub struct PolicyOverrides {
    pub retry: Option<PathBuf>,
    pub sampler: Option<PathBuf>,
    pub cold_start: Option<PathBuf>,
}

pub struct ExperimentReport {
    pub run_dir: PathBuf,
    pub summary: RunSummary,
    /// What `run` returned, when it succeeded.
    pub guest_result: Option<String>,
    /// How the guest failed, if it did (the run directory is complete either way).
    pub error: Option<RunError>,
    pub compile_cached: bool,
    pub instantiate_us: Option<u64>,
}

pub async fn run_experiment(
    engine: &GuestEngine,
    script_path: &Path,
    opts: &SessionOptions,
) -> anyhow::Result<ExperimentReport> {
    run_experiment_with(engine, script_path, opts, &PolicyOverrides::default()).await
}

/// The policies of a run: the config's `policies` section (paths relative to the
/// config file) with the overrides (relative to the working directory), bare names
/// resolved to built guests, every path made absolute so `--resume` finds them.
fn policies_config(
    opts: &SessionOptions,
    overrides: &PolicyOverrides,
) -> anyhow::Result<PoliciesConfig> {
    if let Some(dir) = &opts.resume {
        return Ok(read_manifest(dir)?.config.policies);
    }
    let config = RunConfig::load(opts.config_path.as_deref())?;
    let config_dir = opts.config_path.as_deref().and_then(Path::parent);
    let name = opts
        .config_path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| crate::config::EMBEDDED_NAME.to_string());
    let from_file = config
        .policies
        .resolved(config_dir)
        .with_context(|| format!("{name}: field `policies`"))?;
    let flags = PoliciesConfig {
        retry: overrides.retry.clone(),
        sampler: overrides.sampler.clone(),
        cold_start: overrides.cold_start.clone(),
        ..PoliciesConfig::default()
    }
    .resolved(None)?;
    let absolute = |p: Option<PathBuf>| p.map(|p| std::fs::canonicalize(&p).unwrap_or(p));
    Ok(PoliciesConfig {
        retry: absolute(flags.retry.or(from_file.retry)),
        sampler: absolute(flags.sampler.or(from_file.sampler)),
        cold_start: absolute(flags.cold_start.or(from_file.cold_start)),
        call_timeout_ms: from_file.call_timeout_ms,
    })
}

/// [`run_experiment`] with retry / sampler / cold-start policies (docs/policies.md).
pub async fn run_experiment_with(
    engine: &GuestEngine,
    script_path: &Path,
    opts: &SessionOptions,
    overrides: &PolicyOverrides,
) -> anyhow::Result<ExperimentReport> {
    let script = engine.load(script_path)?;
    let policies_config = policies_config(opts, overrides)?;
    let info = ScriptInfo {
        path: script_path.display().to_string(),
        sha256: script.sha256.clone(),
        bytes: script.bytes,
    };
    let label = script_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "experiment".into());
    let limits = match &opts.resume {
        Some(dir) => read_manifest(dir)?.config.limits,
        None => RunConfig::load(opts.config_path.as_deref())?.limits,
    };
    let policies = RunPolicies::load(engine, &policies_config, &limits)?;
    let mut session = Session::open_with(opts, &label, info, policies).await?;
    session.manifest.guest_compile_cached = script.from_cache;
    let config_json = serde_json::to_string(&session.ctx.config)?;
    let run = engine
        .run(&script, HostState::new(session.ctx.clone()), &config_json)
        .await;
    keep_guest_output(&session.run_dir, &run.state)?;
    let policy_output = session.ctx.policies.output();
    if !policy_output.is_empty() {
        std::fs::write(session.run_dir.join("policies.log"), policy_output)
            .context("writing policies.log")?;
    }
    session.manifest.guest_instantiate_us = run.instantiate_us;
    let (status, error_text) = match &run.result {
        Ok(_) => (RunStatus::Completed, None),
        Err(RunError::Guest(m)) => (RunStatus::GuestError, Some(m.clone())),
        Err(e) => (RunStatus::GuestTrapped, Some(e.to_string())),
    };
    if let Ok(text) = &run.result {
        session.manifest.guest_result = Some(
            serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.clone())),
        );
    }
    let summary = session.finish(status, error_text).await?;
    Ok(ExperimentReport {
        run_dir: session.run_dir.clone(),
        summary,
        guest_result: run.result.as_ref().ok().cloned(),
        error: run.result.err(),
        compile_cached: script.from_cache,
        instantiate_us: run.instantiate_us,
    })
}

/// Guest stdout/stderr (capped by the pipes) into `guest.log` and the log output.
fn keep_guest_output(run_dir: &Path, state: &HostState) -> anyhow::Result<()> {
    let mut text = String::new();
    for (stream, pipe) in [("stdout", &state.stdout), ("stderr", &state.stderr)] {
        let bytes = pipe.contents();
        for line in String::from_utf8_lossy(&bytes).lines() {
            let line = sanitize(line);
            tracing::info!(target: "guest", "[{stream}] {line}");
            text.push_str(&format!("[{stream}] {line}\n"));
        }
    }
    std::fs::write(run_dir.join(measure::GUEST_LOG), text).context("writing guest.log")
}
