//! `faaslab benchmark regression`: deploy, invoke (one cold and one warm call) and
//! validate every benchmark in every language it declares, on each platform asked
//! for; a table of verdicts, and whether all passed.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

use super::services::{HostServices, PROVIDED};
use super::{Benchmark, Catalog, default_benchmarks_dir};
use crate::config::{EMBEDDED_DEFAULT, InputSize, RunConfig};
use crate::measure::{ExecutionRecord, read_all};
use crate::run::{InvokeOptions, SessionOptions, invoke_benchmark};

pub struct RegressionOptions {
    pub size: InputSize,
    /// Platforms to test [empty: the config's platform].
    pub platforms: Vec<String>,
    /// Benchmarks to test [empty: all].
    pub benchmarks: Vec<String>,
    /// Base configuration (storage, NoSQL, platform settings) [None: embedded].
    pub config_path: Option<PathBuf>,
    /// One run directory per benchmark, language and platform is made below this.
    pub output_dir: PathBuf,
    pub cache_dir: Option<PathBuf>,
    pub benchmarks_dir: Option<PathBuf>,
    /// Address the host services listen on for containers (local-docker) [None: the
    /// gateway of Docker's bridge network; without one, benchmarks needing them are
    /// skipped there].
    pub container_services_ip: Option<IpAddr>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", content = "reason", rename_all = "lowercase")]
pub enum Verdict {
    Passed,
    Failed(String),
    Skipped(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct RegressionRow {
    pub benchmark: String,
    pub language: String,
    pub platform: String,
    pub cold_ok: Option<bool>,
    pub warm_ok: Option<bool>,
    pub cold_client_ms: Option<f64>,
    pub warm_client_ms: Option<f64>,
    pub verdict: Verdict,
    pub run_dir: Option<PathBuf>,
}

impl RegressionRow {
    fn new(b: &Benchmark, language: &str, platform: &str, verdict: Verdict) -> Self {
        Self {
            benchmark: b.id.clone(),
            language: language.into(),
            platform: platform.into(),
            cold_ok: None,
            warm_ok: None,
            cold_client_ms: None,
            warm_client_ms: None,
            verdict,
            run_dir: None,
        }
    }
}

/// Whether no row failed (skipped rows do not fail the regression).
pub fn all_passed(rows: &[RegressionRow]) -> bool {
    rows.iter()
        .all(|r| !matches!(r.verdict, Verdict::Failed(_)))
}

pub async fn run_regression(opts: &RegressionOptions) -> anyhow::Result<Vec<RegressionRow>> {
    let base = base_config(opts.config_path.as_deref())?;
    let catalog = Catalog::open(
        opts.benchmarks_dir
            .clone()
            .unwrap_or_else(default_benchmarks_dir),
    )?;
    let ids = if opts.benchmarks.is_empty() {
        catalog.ids()
    } else {
        opts.benchmarks.clone()
    };
    let benchmarks = ids
        .iter()
        .map(|id| catalog.get(id))
        .collect::<Result<Vec<_>, _>>()?;
    let platforms = if opts.platforms.is_empty() {
        vec![
            base["platform"]
                .as_str()
                .unwrap_or("local-process")
                .to_string(),
        ]
    } else {
        opts.platforms.clone()
    };
    std::fs::create_dir_all(&opts.output_dir)
        .with_context(|| format!("creating {}", opts.output_dir.display()))?;
    let mut rows = Vec::new();
    for platform in &platforms {
        let services = HostServices::start_for(platform, opts.container_services_ip).await?;
        for b in &benchmarks {
            for language in &b.config.languages {
                let row = match skip_reason(b, language, platform, services.is_some()) {
                    Some(why) => RegressionRow::new(b, language, platform, Verdict::Skipped(why)),
                    None => {
                        check_one(
                            opts,
                            &base,
                            &catalog,
                            b,
                            language,
                            platform,
                            services.as_ref(),
                        )
                        .await
                    }
                };
                tracing::info!(
                    "{} {} {}: {:?}",
                    row.benchmark,
                    row.language,
                    row.platform,
                    row.verdict
                );
                rows.push(row);
            }
        }
    }
    Ok(rows)
}

/// Where the payload a check invoked with is kept: `<output>/<label>.payload.json`,
/// label `<benchmark>-<language>-<platform>` (its run directory is `<output>/<label>`).
pub fn payload_file(output_dir: &Path, label: &str) -> PathBuf {
    output_dir.join(format!("{label}.payload.json"))
}

fn base_config(path: Option<&Path>) -> anyhow::Result<serde_json::Value> {
    let text = match path {
        Some(p) => {
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?
        }
        None => EMBEDDED_DEFAULT.to_string(),
    };
    // Full validation happens when each run loads its derived config.
    serde_json::from_str(&text).with_context(|| match path {
        Some(p) => format!("{}: not valid JSON", p.display()),
        None => "the embedded config: not valid JSON".into(),
    })
}

fn skip_reason(b: &Benchmark, language: &str, platform: &str, services: bool) -> Option<String> {
    if let Some(s) = b
        .config
        .host_services
        .iter()
        .find(|s| !PROVIDED.contains(&s.as_str()))
    {
        return Some(format!("needs {s}"));
    }
    if !b.config.host_services.is_empty() && !services {
        return Some(format!(
            "needs {} reachable from {platform} functions",
            b.config.host_services.join(", ")
        ));
    }
    if !crate::providers::local_process::LANGUAGES.contains(&language) {
        return Some(format!("no {language} runtime on {platform}"));
    }
    if platform == "local-process"
        && let Some(tool) = b.config.host_tools.iter().find(|t| !on_path(t))
    {
        return Some(format!("needs {tool} on PATH"));
    }
    None
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
}

/// The run config of one check: the base with this benchmark, platform and language,
/// and the benchmark's own timeout.
fn derived_config(
    base: &serde_json::Value,
    b: &Benchmark,
    language: &str,
    platform: &str,
    size: InputSize,
) -> serde_json::Value {
    let mut c = base.clone();
    c["benchmark"] = b.id.clone().into();
    c["platform"] = platform.into();
    c["input_size"] = size.as_str().into();
    if !c["function"].is_object() {
        c["function"] = serde_json::json!({});
    }
    c["function"]["language"] = language.into();
    c["function"]["timeout_s"] = b.config.timeout_s.into();
    c["function"]["memory_mb"] = b.config.memory_mb.into();
    c
}

async fn check_one(
    opts: &RegressionOptions,
    base: &serde_json::Value,
    catalog: &Catalog,
    b: &Benchmark,
    language: &str,
    platform: &str,
    services: Option<&HostServices>,
) -> RegressionRow {
    let mut row = RegressionRow::new(b, language, platform, Verdict::Passed);
    let label = format!("{}-{language}-{platform}", b.id);
    let run_dir = opts.output_dir.join(&label);
    row.run_dir = Some(run_dir.clone());
    let result = async {
        let config_path = opts.output_dir.join(format!("{label}.config.json"));
        let config = derived_config(base, b, language, platform, opts.size);
        std::fs::write(&config_path, serde_json::to_vec_pretty(&config)?)
            .with_context(|| format!("writing {}", config_path.display()))?;
        let python = RunConfig::load(Some(&config_path))?
            .platforms
            .local_process
            .python;
        let session = SessionOptions {
            config_path: Some(config_path),
            output_dir: Some(run_dir.clone()),
            cache_dir: opts.cache_dir.clone(),
            benchmarks_dir: opts.benchmarks_dir.clone(),
            ..SessionOptions::default()
        };
        let invoke = InvokeOptions {
            benchmark: b.id.clone(),
            size: opts.size,
            repetitions: 2,
            concurrency: 1,
            memory_mb: None,
            payload: None,
            cold: true,
            language: None,
            payload_vars: services.map(HostServices::vars).unwrap_or_default(),
        };
        let report = invoke_benchmark(&invoke, &session).await?;
        let payload_path = payload_file(&opts.output_dir, &label);
        std::fs::write(&payload_path, &report.payload)
            .with_context(|| format!("writing {}", payload_path.display()))?;
        let records: Vec<ExecutionRecord> =
            read_all(&report.run_dir.join(crate::measure::RESULTS))?;
        anyhow::Ok((records, report.payload, python))
    }
    .await;
    let (records, payload, python) = match result {
        Ok(r) => r,
        Err(e) => {
            row.verdict = Verdict::Failed(crate::cli::one_line(&e));
            return row;
        }
    };
    let mut problems = Vec::new();
    for (i, want_cold) in [(0usize, true), (1, false)] {
        let which = if want_cold { "cold" } else { "warm" };
        let ok = match records.get(i) {
            None => {
                problems.push(format!("no {which} invocation recorded"));
                false
            }
            Some(r) => {
                let ms = r.client_time_us as f64 / 1000.0;
                if want_cold {
                    row.cold_client_ms = Some(ms);
                } else {
                    row.warm_client_ms = Some(ms);
                }
                match check_record(catalog, b, &payload, r, want_cold, &python).await {
                    Ok(()) => true,
                    Err(why) => {
                        problems.push(format!("{which}: {why}"));
                        false
                    }
                }
            }
        };
        if want_cold {
            row.cold_ok = Some(ok);
        } else {
            row.warm_ok = Some(ok);
        }
    }
    if !problems.is_empty() {
        row.verdict = Verdict::Failed(problems.join("; "));
    }
    row
}

async fn check_record(
    catalog: &Catalog,
    b: &Benchmark,
    payload: &str,
    r: &ExecutionRecord,
    want_cold: bool,
    python: &str,
) -> Result<(), String> {
    if let Some(f) = &r.failure {
        return Err(f.lines().next().unwrap_or(f).to_string());
    }
    if r.cold != want_cold {
        return Err(format!("cold is {}, expected {want_cold}", r.cold));
    }
    if r.output_truncated {
        return Err(format!(
            "output of {} bytes was truncated; cannot validate",
            r.output_bytes
        ));
    }
    if r.breakdown.is_none() {
        return Err("the output has no `measurement` breakdown".into());
    }
    let v = catalog
        .validate(b, payload, &r.output, python)
        .await
        .map_err(|e| e.to_string())?;
    if v.valid {
        Ok(())
    } else {
        Err(format!("output invalid: {}", v.reason))
    }
}

/// The table `faaslab benchmark regression` prints.
pub fn render(rows: &[RegressionRow]) -> String {
    let flag = |v: Option<bool>| match v {
        Some(true) => "ok",
        Some(false) => "FAIL",
        None => "-",
    };
    let ms = |v: Option<f64>| v.map(|m| format!("{m:.1}")).unwrap_or_else(|| "-".into());
    let mut out = format!(
        "{:<26} {:<8} {:<14} {:<5} {:<5} {:>10} {:>10}  {}\n",
        "benchmark", "language", "platform", "cold", "warm", "cold ms", "warm ms", "verdict"
    );
    for r in rows {
        let verdict = match &r.verdict {
            Verdict::Passed => "passed".to_string(),
            Verdict::Failed(why) => format!("FAILED: {why}"),
            Verdict::Skipped(why) => format!("skipped: {why}"),
        };
        out.push_str(&format!(
            "{:<26} {:<8} {:<14} {:<5} {:<5} {:>10} {:>10}  {}\n",
            r.benchmark,
            r.language,
            r.platform,
            flag(r.cold_ok),
            flag(r.warm_ok),
            ms(r.cold_client_ms),
            ms(r.warm_client_ms),
            verdict
        ));
    }
    let count = |f: fn(&Verdict) -> bool| rows.iter().filter(|r| f(&r.verdict)).count();
    out.push_str(&format!(
        "benchmarks passed: {}, failed: {}, skipped: {}\n",
        count(|v| matches!(v, Verdict::Passed)),
        count(|v| matches!(v, Verdict::Failed(_))),
        count(|v| matches!(v, Verdict::Skipped(_)))
    ));
    out
}
