//! `faaslab benchmark regression <size> [--platform P]… [--benchmark B]…`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{CommonArgs, parse_size};
use crate::benchmarks::regression::{RegressionOptions, all_passed, render, run_regression};
use crate::config::InputSize;

#[derive(Args, Debug)]
pub struct RegressionArgs {
    /// Input size.
    #[arg(value_parser = parse_size)]
    pub size: InputSize,
    /// Platform to test (repeatable) [default: the config's platform].
    #[arg(long = "platform", value_name = "P")]
    pub platforms: Vec<String>,
    /// Benchmark to test (repeatable) [default: all].
    #[arg(long = "benchmark", value_name = "B")]
    pub benchmarks: Vec<String>,
    /// Base run configuration (storage, NoSQL, platform settings).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory of the runs [default: runs/<time>-regression].
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Address on which the host services (reply-server, http-origin) listen for
    /// local-docker functions [default: the gateway of Docker's bridge network].
    #[arg(long, value_name = "IP")]
    pub services_ip: Option<std::net::IpAddr>,
    /// Print the rows as JSON instead of the table.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(common: &CommonArgs, args: RegressionArgs) -> anyhow::Result<ExitCode> {
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let opts = RegressionOptions {
        size: args.size,
        platforms: args.platforms,
        benchmarks: args.benchmarks,
        config_path: args.config,
        output_dir: args
            .output_dir
            .unwrap_or_else(|| PathBuf::from("runs").join(format!("{stamp}-regression"))),
        cache_dir: common.cache_dir.clone(),
        benchmarks_dir: common.benchmarks_dir.clone(),
        container_services_ip: args.services_ip,
    };
    let rows = run_regression(&opts).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print!("{}", render(&rows));
        println!("runs: {}", opts.output_dir.display());
    }
    Ok(if all_passed(&rows) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
