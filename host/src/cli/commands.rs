//! What each command does.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

use super::{
    BenchmarkCommand, Cli, Command, CommonArgs, ExperimentCommand, ResultsCommand, RunArgs,
};
use crate::benchmarks::{Catalog, default_benchmarks_dir};
use crate::config::default_cache_dir;
use crate::engine::GuestEngine;
use crate::measure::{self, summarize_run};
use crate::policy::resolve_guest;
use crate::run::{
    InvokeOptions, PolicyOverrides, SessionOptions, invoke_benchmark, run_experiment_with,
};

pub async fn dispatch(cli: Cli, process_start: Instant) -> anyhow::Result<ExitCode> {
    let common = cli.common;
    match cli.command {
        Command::Images(cmd) => super::docker_commands::images(&common, cmd).await,
        Command::Local(cmd) => super::docker_commands::local(&common, cmd).await,
        Command::Benchmark(BenchmarkCommand::Package {
            benchmark,
            config,
            platform,
            force_rebuild,
        }) => {
            super::docker_commands::package(&common, &benchmark, config, platform, force_rebuild)
                .await
        }
        Command::Benchmark(BenchmarkCommand::Regression(args)) => {
            super::regression::run(&common, args).await
        }
        Command::Experiment(ExperimentCommand::Process { run_dir, json }) => {
            let opts = crate::run::ProcessOptions {
                cache_dir: common.cache_dir.clone(),
            };
            let report = crate::run::process_run(&run_dir, &opts).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                for (function, (requests, metrics)) in &report.functions {
                    println!(
                        "{function}: {metrics} provider metrics for {requests} recorded requests"
                    );
                }
                let m = report.merged;
                println!(
                    "{}: {} added, {} updated, {} unchanged, {} in all",
                    crate::measure::PROVIDER_METRICS,
                    m.added,
                    m.updated,
                    m.unchanged,
                    m.total
                );
                println!("{}", report.summary.render());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Experiment(ExperimentCommand::Run(args)) => {
            let args = *args;
            let mut opts = session_options(&common, &args.run, process_start, cli.quiet);
            opts.resume = args.resume.resume;
            let some = |v: Vec<String>| (!v.is_empty()).then_some(v);
            opts.grants = crate::run::GrantFlags {
                grants: crate::config::Grants {
                    platforms: some(args.grants.allow_platform),
                    benchmarks: some(args.grants.allow_benchmark),
                },
                max_invocations: args.grants.max_invocations,
            };
            let cache_dir = opts.cache_dir.clone().unwrap_or_else(default_cache_dir);
            let engine = GuestEngine::new(cache_dir.join("components"))
                .map_err(|e| anyhow::anyhow!("cannot create the wasm engine: {e}"))?;
            let script = resolve_guest(&args.script)?;
            let overrides = PolicyOverrides {
                retry: args.policies.retry,
                sampler: args.policies.sampler,
                cold_start: args.policies.cold_start,
            };
            let report = run_experiment_with(&engine, &script, &opts, &overrides).await?;
            println!("{}", report.summary.render());
            let manifest = crate::run::read_manifest(&report.run_dir)?;
            for p in manifest.policies.iter().flat_map(|p| &p.policies) {
                if let Some(e) = &p.error {
                    eprintln!("warning: {} policy {}: {e}", p.role, p.path);
                }
            }
            println!("run directory: {}", report.run_dir.display());
            match report.error {
                None => Ok(ExitCode::SUCCESS),
                Some(e) => {
                    eprintln!("error: {e}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Benchmark(BenchmarkCommand::List) => {
            let catalog = Catalog::open(
                common
                    .benchmarks_dir
                    .clone()
                    .unwrap_or_else(default_benchmarks_dir),
            )?;
            for id in catalog.ids() {
                let b = catalog.get(&id)?;
                println!(
                    "{:<20} {:>5} MB {:>4} s  {:<10} {}",
                    b.id,
                    b.config.memory_mb,
                    b.config.timeout_s,
                    b.config.languages.join(","),
                    b.config.description
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Benchmark(BenchmarkCommand::Invoke(args)) => {
            let opts = session_options(&common, &args.run, process_start, cli.quiet);
            let invoke = InvokeOptions {
                benchmark: args.benchmark,
                size: args.size,
                repetitions: args.repetitions,
                concurrency: args.concurrency,
                memory_mb: args.memory,
                payload: args.payload,
                cold: args.cold,
                language: args.language,
                payload_vars: Vec::new(),
            };
            let report = invoke_benchmark(&invoke, &opts).await?;
            println!(
                "function {} ({})",
                report.deployment.function, report.deployment.action
            );
            println!("{}", report.summary.render());
            println!("run directory: {}", report.run_dir.display());
            match report.validation {
                Some(v) if v.valid => {
                    println!("output valid");
                    Ok(ExitCode::SUCCESS)
                }
                Some(v) => {
                    eprintln!("error: output invalid: {}", v.reason);
                    Ok(ExitCode::FAILURE)
                }
                None => {
                    eprintln!("error: no successful invocation to validate");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Cache(command) => super::cache::run(&common, command),
        Command::Script(super::ScriptCommand::Inspect { script, json }) => {
            let inspection = crate::script::inspect(&script)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&inspection)?);
            } else {
                print!("{}", inspection.render());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Results(ResultsCommand::Stats { run_dir, json }) => {
            if !run_dir.join(measure::RESULTS).is_file() {
                anyhow::bail!("{}: no {} here", run_dir.display(), measure::RESULTS);
            }
            let summary = summarize_run(&run_dir)
                .with_context(|| format!("reading {}", run_dir.display()))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                println!("{}", summary.render());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Results(ResultsCommand::Plot { run_dir, format }) => {
            for path in measure::plot_run(&run_dir, format)? {
                println!("{}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Results(ResultsCommand::Compare {
            run_a,
            run_b,
            series,
            confidence,
            json,
        }) => {
            let cmp = measure::compare_runs(&run_a, &run_b, series.as_deref(), confidence)?;
            if let Some(s) = &series
                && cmp.series.is_empty()
            {
                anyhow::bail!("series `{s}` is not in both runs");
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&cmp)?);
            } else {
                print!("{}", cmp.render());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn session_options(
    common: &CommonArgs,
    run: &RunArgs,
    process_start: Instant,
    quiet: bool,
) -> SessionOptions {
    SessionOptions {
        config_path: run.config.clone(),
        output_dir: run.output_dir.clone(),
        cache_dir: common.cache_dir.clone(),
        benchmarks_dir: common.benchmarks_dir.clone(),
        seed: run.seed,
        force_rebuild: run.force_rebuild,
        update_storage: run.update_storage,
        progress: !quiet && std::io::stderr().is_terminal(),
        process_start: Some(process_start),
        resume: None,
        grants: Default::default(),
    }
}
