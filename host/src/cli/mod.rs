//! The `faaslab` command line.

mod cache;
mod commands;
mod docker_commands;
mod regression;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::InputSize;

#[derive(Parser, Debug)]
#[command(
    name = "faaslab",
    version,
    about = "Serverless benchmarking with sandboxed WebAssembly experiment scripts"
)]
pub struct Cli {
    /// More log output (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// Cache directory [default: $FAASLAB_CACHE_DIR or ~/.cache/faaslab].
    #[arg(long, global = true, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Benchmark definitions [default: $FAASLAB_BENCHMARKS_DIR or the source tree's benchmarks/].
    #[arg(long, global = true, value_name = "DIR")]
    pub benchmarks_dir: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run experiment scripts.
    #[command(subcommand)]
    Experiment(ExperimentCommand),
    /// List, invoke and inspect benchmarks.
    #[command(subcommand)]
    Benchmark(BenchmarkCommand),
    /// Statistics of finished runs.
    #[command(subcommand)]
    Results(ResultsCommand),
    /// Inspect and clean the cache (docs/cache.md).
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Containers of a benchmark left running for outside tools (SeBS `local`).
    #[command(subcommand)]
    Local(LocalCommand),
    /// Docker images of the local-docker platform.
    #[command(subcommand)]
    Images(ImagesCommand),
    /// Guest scripts as artifacts (docs/sandbox.md).
    #[command(subcommand)]
    Script(ScriptCommand),
}

#[derive(Subcommand, Debug)]
pub enum ScriptCommand {
    /// Print a component's imports, exports, declared needs and sha256, without running it.
    Inspect {
        script: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Grants on the command line: they only narrow the config's `grants` and `limits`.
#[derive(Args, Debug, Default)]
pub struct GrantArgs {
    /// Let the script deploy to this platform only (repeatable).
    #[arg(long = "allow-platform", value_name = "PLATFORM")]
    pub allow_platform: Vec<String>,
    /// Let the script deploy this benchmark only (repeatable).
    #[arg(long = "allow-benchmark", value_name = "BENCHMARK")]
    pub allow_benchmark: Vec<String>,
    /// At most this many invocations (lowers `limits.max_invocations`).
    #[arg(long, value_name = "N")]
    pub max_invocations: Option<u64>,
}

#[derive(Subcommand, Debug)]
pub enum CacheCommand {
    /// List deployed functions, code packages, inputs and compiled guests.
    List {
        /// Print JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Remove cache entries (all of them, or those of a benchmark and/or platform).
    Clean {
        /// Only entries of this benchmark (functions, packages, inputs).
        #[arg(long)]
        benchmark: Option<String>,
        /// Only entries of this platform (functions, packages).
        #[arg(long)]
        platform: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum LocalCommand {
    /// Start containers of a benchmark; write their endpoints and the input to OUT.
    Start {
        benchmark: String,
        #[arg(value_parser = parse_size)]
        size: InputSize,
        out: PathBuf,
        /// How many containers.
        #[arg(long, default_value_t = 1)]
        instances: u32,
        /// Sample the containers' memory every this many ms (until `local stop`).
        #[arg(long, value_name = "MS")]
        measure_interval: Option<u64>,
        /// Run configuration (`function`, `platforms.local-docker`).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Remove the containers OUT names; write OUT's memory statistics.
    Stop { out: PathBuf },
    /// Remove function containers left behind by killed runs (a run does this when it
    /// starts, too); `--all` removes every faaslab function container, even of live runs.
    Cleanup {
        #[arg(long)]
        all: bool,
    },
    /// (internal) the memory sampler `local start` detaches.
    #[command(hide = true)]
    Sample { out: PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum ImagesCommand {
    /// Build the Python base, run and build images (debootstrap or the configured
    /// public base image); images already built from the same recipe are kept.
    Build {
        /// Run configuration whose `platforms.local-docker` section to use.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Rebuild even when the images exist (debootstrap too).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ExperimentCommand {
    /// Run an experiment script (a WebAssembly component of the `experiment` world).
    Run(Box<ExperimentRunArgs>),
    /// Merge the platform's per-request metrics (download_metrics) into a finished
    /// run: provider-metrics.jsonl, and summary.json recomputed with them. Idempotent.
    Process {
        run_dir: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Run configuration (JSON) [default: the embedded config/local.json].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Run directory [default: runs/<time>-<name>-<id>].
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Seed of the run's random source (overrides the config).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Rebuild the code package and redeploy even if the cache says nothing changed.
    #[arg(long)]
    pub force_rebuild: bool,
    /// Upload benchmark inputs to storage even when they are already there.
    #[arg(long)]
    pub update_storage: bool,
}

#[derive(Args, Debug)]
pub struct ResumeArgs {
    /// Continue an interrupted run in this directory: its config and seed are reused,
    /// recorded invocations are replayed to the script instead of being made again.
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = ["config", "output_dir", "seed", "force_rebuild", "allow_platform", "allow_benchmark", "max_invocations"])]
    pub resume: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ExperimentRunArgs {
    /// The experiment component: a .wasm path, or the name of a built guest
    /// (`perf-cost` → build/guests/perf-cost.wasm; see docs/policies.md).
    pub script: PathBuf,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub resume: ResumeArgs,
    #[command(flatten)]
    pub policies: PolicyArgs,
    #[command(flatten)]
    pub grants: GrantArgs,
}

/// Policy components the drivers consult (docs/policies.md); each replaces the
/// config's `policies` entry. A path or a built guest's name.
#[derive(Args, Debug)]
pub struct PolicyArgs {
    /// `sampler` policy: ends a series when it has enough samples.
    #[arg(long, value_name = "WASM", conflicts_with = "resume")]
    pub sampler: Option<PathBuf>,
    /// `retry-policy`: whether and when a failed invocation is sent again.
    #[arg(long, value_name = "WASM", conflicts_with = "resume")]
    pub retry: Option<PathBuf>,
    /// `cold-start-policy`: how enforce-cold-start forces a cold start.
    #[arg(long, value_name = "WASM", conflicts_with = "resume")]
    pub cold_start: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum BenchmarkCommand {
    /// List the benchmarks.
    List,
    /// Deploy a benchmark and invoke it.
    Invoke(InvokeArgs),
    /// Build a benchmark's code package for the configured platform (cached).
    Package {
        /// Benchmark id, e.g. 110.dynamic-html.
        benchmark: String,
        /// Run configuration (its `platform` and `function.language`).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Platform instead of the config's.
        #[arg(long)]
        platform: Option<String>,
        /// Rebuild even if the cache holds the package.
        #[arg(long)]
        force_rebuild: bool,
    },
    /// Deploy, invoke (cold, then warm) and validate every benchmark in every
    /// language it declares; print a table; fail if any check fails.
    Regression(regression::RegressionArgs),
}

#[derive(Args, Debug)]
pub struct InvokeArgs {
    /// Benchmark id, e.g. 010.sleep.
    pub benchmark: String,
    /// Input size.
    #[arg(value_parser = parse_size)]
    pub size: InputSize,
    /// How many invocations.
    #[arg(long, short = 'n', default_value_t = 1)]
    pub repetitions: u32,
    /// Invocations in flight at once.
    #[arg(long, short = 'c', default_value_t = 1)]
    pub concurrency: u32,
    /// Function memory, MB [default: from the config].
    #[arg(long)]
    pub memory: Option<u32>,
    /// JSON payload instead of the generated input.
    #[arg(long)]
    pub payload: Option<String>,
    /// Enforce a cold start before invoking.
    #[arg(long)]
    pub cold: bool,
    /// Language of the function (python, nodejs) [default: the config's
    /// `function.language`].
    #[arg(long)]
    pub language: Option<String>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Subcommand, Debug)]
pub enum ResultsCommand {
    /// Recompute and print the statistics of a run directory.
    Stats {
        run_dir: PathBuf,
        /// Print summary.json instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Plot a run into <run-dir>/plots/: latency CDF per series, cold-vs-warm
    /// histogram, latency over time.
    Plot {
        run_dir: PathBuf,
        /// svg, png or both.
        #[arg(long, default_value = "both", value_parser = parse_plot_format)]
        format: crate::measure::PlotFormat,
    },
    /// Compare two runs: per common series, the median client time ratio b / a with
    /// a confidence interval and a verdict.
    Compare {
        run_a: PathBuf,
        run_b: PathBuf,
        /// Only this series.
        #[arg(long)]
        series: Option<String>,
        /// Confidence level of the ratio's interval.
        #[arg(long, default_value_t = 0.95, value_parser = parse_confidence)]
        confidence: f64,
        /// Print JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
}

fn parse_plot_format(s: &str) -> Result<crate::measure::PlotFormat, String> {
    crate::measure::PlotFormat::parse(s)
        .ok_or_else(|| format!("unknown format `{s}` (known: svg, png, both)"))
}

fn parse_confidence(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(c) if c > 0.0 && c < 1.0 => Ok(c),
        _ => Err(format!(
            "`{s}` is not a confidence between 0 and 1 (e.g. 0.95)"
        )),
    }
}

fn parse_size(s: &str) -> Result<InputSize, String> {
    InputSize::parse(s).ok_or_else(|| format!("unknown size `{s}` (known: test, small, large)"))
}

pub fn main() -> ExitCode {
    let process_start = std::time::Instant::now();
    let cli = Cli::parse();
    init_tracing(cli.verbose, cli.quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::dispatch(cli, process_start)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line.
pub(crate) fn one_line(e: &anyhow::Error) -> String {
    let parts: Vec<String> = e.chain().map(|c| c.to_string()).collect();
    let mut out: Vec<String> = Vec::new();
    for p in parts {
        if !out.iter().any(|o| o.contains(&p)) {
            out.push(p);
        }
    }
    out.join(": ").replace('\n', " ")
}

fn init_tracing(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "info,wasmtime=warn,cranelift=warn",
        (false, 1) => "debug,wasmtime=info,cranelift=info,hyper=info",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}
