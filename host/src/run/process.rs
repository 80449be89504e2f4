//! `faaslab experiment process <run-dir>`: after a run, ask the platform for what it
//! knows about each recorded request (`Provider::download_metrics`: a cloud's logs or
//! metrics API; local-process: its instances' report lines), merge it into the run
//! directory (`provider-metrics.jsonl`, one line per request, so re-running replaces
//! and never duplicates) and rewrite `summary.json` with it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};

use super::session::{open_provider, read_manifest};
use crate::cache::{Cache, write_atomic};
use crate::config::default_cache_dir;
use crate::measure::{
    self, ExecutionRecord, JsonlStream, MergeCounts, MergedMetrics, RunSummary,
    merge_provider_metrics,
};
use crate::providers::Resources;
use crate::storage::Storage;

/// Margin around the run's time window for log services that stamp late.
const WINDOW_MARGIN_US: u64 = 60_000_000;

#[derive(Debug, Clone, Default)]
pub struct ProcessOptions {
    pub cache_dir: Option<PathBuf>,
}

/// What `process` did, per function and in all.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProcessReport {
    /// Function → (requests recorded, metrics the provider returned).
    pub functions: BTreeMap<String, (u64, u64)>,
    pub merged: MergeCounts,
    pub summary: RunSummary,
}

/// Recorded requests of one function and their time span on the run's clock.
#[derive(Default)]
struct FunctionRequests {
    ids: Vec<String>,
    first_send_us: u64,
    last_reply_us: u64,
}

pub async fn process_run(run_dir: &Path, opts: &ProcessOptions) -> anyhow::Result<ProcessReport> {
    let manifest = read_manifest(run_dir)?;
    let results = run_dir.join(measure::RESULTS);
    if !results.is_file() {
        bail!("{}: no {} here", run_dir.display(), measure::RESULTS);
    }
    let mut by_function: BTreeMap<String, FunctionRequests> = BTreeMap::new();
    for r in JsonlStream::<ExecutionRecord>::open(&results)? {
        let r = r.with_context(|| format!("reading {}", results.display()))?;
        let f = by_function
            .entry(r.function.clone())
            .or_insert(FunctionRequests {
                first_send_us: u64::MAX,
                ..Default::default()
            });
        f.first_send_us = f.first_send_us.min(r.send_time_us);
        f.last_reply_us = f.last_reply_us.max(r.send_time_us + r.client_time_us);
        f.ids.push(r.request_id);
    }
    let started_us = rfc3339_us(&manifest.started_at)
        .with_context(|| format!("{}: field `started_at`", measure::MANIFEST))?;
    let ended_us = manifest.ended_at.as_deref().and_then(rfc3339_us);

    let config = &manifest.config;
    let config_name = run_dir.join(measure::MANIFEST).display().to_string();
    let cache_dir = opts.cache_dir.clone().unwrap_or_else(default_cache_dir);
    let cache = Cache::open(&cache_dir)
        .with_context(|| format!("cannot open the cache at {}", cache_dir.display()))?;
    let storage = Arc::new(
        Storage::open(&config.storage, &config.resource_id, cache.root())
            .with_context(|| format!("{config_name}: field `storage`"))?,
    );
    let provider = open_provider(
        config,
        &config_name,
        &run_dir.join(measure::LOGS_DIR),
        storage,
        Some(cache.root()),
    )
    .await?;
    provider
        .initialize(&Resources {
            resource_id: config.resource_id.clone(),
            reuse_deployments: true,
        })
        .await?;

    let mut functions = BTreeMap::new();
    let mut merged = Vec::new();
    for (name, requests) in &by_function {
        let record = cache.load_function(&manifest.platform, name).with_context(|| {
            format!(
                "function {name} on {} is not in the cache at {} (cleaned?): its metrics cannot be fetched",
                manifest.platform,
                cache_dir.display()
            )
        })?;
        let function = provider.cached_function(&record).await?;
        let start = (started_us + requests.first_send_us).saturating_sub(WINDOW_MARGIN_US);
        let end = (started_us + requests.last_reply_us)
            .max(ended_us.unwrap_or(0))
            .saturating_add(WINDOW_MARGIN_US);
        let metrics = provider
            .download_metrics(&function, start, end, &requests.ids)
            .await
            .with_context(|| format!("download_metrics of {name}"))?;
        functions.insert(
            name.clone(),
            (requests.ids.len() as u64, metrics.len() as u64),
        );
        merged.extend(metrics.into_iter().map(|m| MergedMetrics::new(name, m)));
    }
    if let Err(e) = provider.shutdown().await {
        tracing::warn!("platform shutdown: {e}");
    }
    let merged = merge_provider_metrics(run_dir, merged).with_context(|| {
        format!(
            "writing {}",
            run_dir.join(measure::PROVIDER_METRICS).display()
        )
    })?;
    let summary = measure::summarize_run(run_dir).context("summarising the run")?;
    write_atomic(
        &run_dir.join(measure::SUMMARY),
        &serde_json::to_vec_pretty(&summary)?,
    )
    .context("writing summary.json")?;
    Ok(ProcessReport {
        functions,
        merged,
        summary,
    })
}

fn rfc3339_us(text: &str) -> Option<u64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .and_then(|t| u64::try_from(t.timestamp_micros()).ok())
}
