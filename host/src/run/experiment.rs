//! `faaslab experiment run`: a guest script drives the run.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::session::{Session, SessionOptions};
use crate::capabilities::{HostState, log::sanitize};
use crate::engine::{GuestEngine, RunError};
use crate::measure::{self, RunStatus, RunSummary, ScriptInfo};

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
    let script = engine.load(script_path)?;
    let info = ScriptInfo {
        path: script_path.display().to_string(),
        sha256: script.sha256.clone(),
        bytes: script.bytes,
    };
    let label = script_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "experiment".into());
    let mut session = Session::open(opts, &label, info).await?;
    session.manifest.guest_compile_cached = script.from_cache;
    let config_json = serde_json::to_string(&session.ctx.config)?;
    let run = engine
        .run(&script, HostState::new(session.ctx.clone()), &config_json)
        .await;
    keep_guest_output(&session.run_dir, &run.state)?;
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
