//! `faaslab benchmark invoke`: deploy a benchmark and invoke it, no script needed.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;

use super::session::{Session, SessionOptions};
use crate::benchmarks::Validation;
use crate::benchmarks::services::HostServices;
use crate::config::InputSize;
use crate::driver::{BatchTarget, run_batch};
use crate::measure::{DeploymentInfo, RunStatus, RunSummary, ScriptInfo};
use crate::providers::{TriggerKind, get_function};

#[derive(Debug, Clone)]
pub struct InvokeOptions {
    pub benchmark: String,
    pub size: InputSize,
    pub repetitions: u32,
    pub concurrency: u32,
    pub memory_mb: Option<u32>,
    /// Replaces the generated payload.
    pub payload: Option<String>,
    pub cold: bool,
    /// Language of the function [None: the config's `function.language`].
    pub language: Option<String>,
    /// Placeholders replaced in the payload, e.g. the address of a host service
    /// (`benchmarks::services`).
    pub payload_vars: Vec<(String, String)>,
}

pub struct InvokeReport {
    pub run_dir: PathBuf,
    pub summary: RunSummary,
    pub validation: Option<Validation>,
    pub deployment: DeploymentInfo,
    /// The payload every invocation got (placeholders replaced).
    pub payload: String,
}

pub async fn invoke_benchmark(
    opts: &InvokeOptions,
    session_opts: &SessionOptions,
) -> anyhow::Result<InvokeReport> {
    let script = ScriptInfo {
        path: "(built-in: benchmark invoke)".into(),
        sha256: String::new(),
        bytes: 0,
        declared: None,
    };
    let mut session = Session::open(session_opts, &opts.benchmark, script).await?;
    let ctx = session.ctx.clone();
    let bench = ctx.catalog.get(&opts.benchmark)?;
    let mut config = ctx.config.function.clone();
    if let Some(m) = opts.memory_mb {
        config.memory_mb = m;
    }
    if let Some(language) = &opts.language {
        config.language = language.clone();
    }
    config.validate().map_err(|(field, msg)| {
        let flag = if field == "language" {
            "--language"
        } else {
            "--memory"
        };
        anyhow::anyhow!("{flag}: function.{field}: {msg}")
    })?;
    let python = ctx.config.platforms.local_process.python.clone();
    let payload = match &opts.payload {
        Some(p) => {
            serde_json::from_str::<serde_json::Value>(p).context("--payload is not valid JSON")?;
            p.clone()
        }
        None => {
            ctx.catalog
                .run_input(
                    &bench,
                    opts.size,
                    &python,
                    &ctx.cache,
                    ctx.storage.storage(),
                )
                .await?
        }
    };
    // A benchmark that talks to host services gets them for this run, unless the
    // caller (regression) already runs them and passed their addresses.
    let services = match (
        bench.config.host_services.is_empty(),
        opts.payload_vars.is_empty(),
    ) {
        (false, true) => HostServices::start_for(ctx.provider.name(), None).await?,
        _ => None,
    };
    let vars = services
        .as_ref()
        .map(HostServices::vars)
        .unwrap_or_default();
    let payload = opts
        .payload_vars
        .iter()
        .chain(&vars)
        .fold(payload, |p, (var, value)| p.replace(var, value));
    let deployment = get_function(
        ctx.provider.as_ref(),
        &ctx.cache,
        &ctx.resources,
        &bench,
        &config,
        ctx.config.force_rebuild,
    )
    .await?;
    let info = DeploymentInfo {
        function: deployment.function.name().to_string(),
        benchmark: bench.id.clone(),
        action: deployment.action.as_str().to_string(),
        code_hash: deployment.code_hash.clone(),
        package_built: deployment.package_built,
    };
    ctx.deployments
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(info.clone());
    if opts.cold {
        ctx.provider
            .enforce_cold_start(std::slice::from_ref(&deployment.function))
            .await?;
    }
    let trigger = ctx
        .provider
        .create_trigger(&deployment.function, TriggerKind::Http)
        .await?;
    let target = Arc::new(BatchTarget {
        trigger,
        function: deployment.function.clone(),
        platform: ctx.provider.name().to_string(),
        series: format!("invoke-{}mb", config.memory_mb),
    });
    let payloads = vec![Bytes::from(payload.clone()); opts.repetitions as usize];
    let outcome = run_batch(
        &ctx.recorder,
        &target,
        payloads,
        opts.concurrency.max(1) as usize,
    )
    .await;
    let first_ok = outcome
        .results
        .iter()
        .find(|r| r.failure.is_none() && !r.output_truncated);
    let validation = match first_ok {
        Some(r) => Some(
            ctx.catalog
                .validate(&bench, &payload, &r.output, &python)
                .await?,
        ),
        None => None,
    };
    let error = outcome.budget_exhausted.map(|e| e.detail);
    let status = if error.is_some() {
        RunStatus::Failed
    } else {
        RunStatus::Completed
    };
    let summary = session.finish(status, error).await?;
    Ok(InvokeReport {
        run_dir: session.run_dir.clone(),
        summary,
        validation,
        deployment: info,
        payload,
    })
}
