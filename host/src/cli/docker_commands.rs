//! Commands of the Docker platform: images, packaging, local start/stop.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};

use super::{CommonArgs, ImagesCommand, LocalCommand};
use crate::benchmarks::{Catalog, default_benchmarks_dir};
use crate::cache::Cache;
use crate::config::{RunConfig, default_cache_dir};
use crate::docker::{self, images};
use crate::providers::{PLATFORMS, Provider, local_docker, local_process};

pub async fn images(common: &CommonArgs, cmd: ImagesCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ImagesCommand::Build { config, force } => {
            let config = RunConfig::load(config.as_deref())?;
            let set = images::ImageSet::from_config(&config.platforms.local_docker)?;
            let docker = docker::connect().await?;
            let cache_dir = common.cache_dir.clone().unwrap_or_else(default_cache_dir);
            let report = images::build(&docker, &set, &cache_dir, force).await?;
            for image in &report.built {
                println!("built   {image}");
            }
            for image in &report.reused {
                println!("present {image}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `faaslab benchmark package`: build (or find) the code package of a benchmark.
pub async fn package(
    common: &CommonArgs,
    benchmark: &str,
    config: Option<PathBuf>,
    platform: Option<String>,
    force_rebuild: bool,
) -> anyhow::Result<ExitCode> {
    let config = RunConfig::load(config.as_deref())?;
    let platform = platform.unwrap_or_else(|| config.platform.clone());
    let (catalog, cache) = catalog_and_cache(common)?;
    let bench = catalog.get(benchmark)?;
    let logs = std::env::temp_dir().join("faaslab-package-logs");
    let provider: Box<dyn Provider> = match platform.as_str() {
        local_docker::NAME => Box::new(
            local_docker::LocalDockerProvider::new(&config.platforms.local_docker, logs).await?,
        ),
        local_process::NAME => Box::new(
            local_process::LocalProcessProvider::new(&config.platforms.local_process, logs).await?,
        ),
        crate::providers::aws::NAME => Box::new(
            crate::providers::aws::AwsProvider::new(
                &config.platforms.aws,
                &config.platforms.local_docker,
            )
            .await?,
        ),
        other => bail!(
            "unsupported platform `{other}` (known: {})",
            PLATFORMS.join(", ")
        ),
    };
    let package = provider
        .package_code(&bench, &config.function, &cache, force_rebuild)
        .await?;
    println!(
        "{} {} {}\n{}",
        package.benchmark,
        if package.built { "built" } else { "cached" },
        package.hash,
        package.location.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `faaslab local start|stop`.
pub async fn local(common: &CommonArgs, cmd: LocalCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        LocalCommand::Start {
            benchmark,
            size,
            out,
            instances,
            measure_interval,
            config,
        } => {
            let config = RunConfig::load(config.as_deref())?;
            let (catalog, cache) = catalog_and_cache(common)?;
            let file = docker::local::start(docker::local::StartOptions {
                config: &config,
                catalog: &catalog,
                cache: &cache,
                benchmark: &benchmark,
                size,
                instances,
                measure_interval_ms: measure_interval,
                out: &out,
            })
            .await?;
            for e in &file.endpoints {
                println!("{} {}", e.instance_id, e.url);
            }
            println!("written: {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        LocalCommand::Stop { out } => {
            let (stats, path) = docker::local::stop(&out).await?;
            for s in &stats {
                println!(
                    "{} samples {} mean {} KiB max {} KiB peak {} KiB",
                    s.instance_id,
                    s.samples,
                    s.mean_kib,
                    s.max_kib,
                    s.peak_kib.unwrap_or(0)
                );
            }
            println!("written: {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        LocalCommand::Cleanup { all } => {
            let docker = docker::connect().await?;
            let removed = if all {
                crate::providers::local_docker::remove_instances(&docker, None).await?
            } else {
                crate::providers::local_docker::remove_abandoned(&docker).await?
            };
            println!("removed {removed} function containers");
            Ok(ExitCode::SUCCESS)
        }
        LocalCommand::Sample { out } => {
            docker::local::sample(&out).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn catalog_and_cache(common: &CommonArgs) -> anyhow::Result<(Catalog, Cache)> {
    let catalog = Catalog::open(
        common
            .benchmarks_dir
            .clone()
            .unwrap_or_else(default_benchmarks_dir),
    )?;
    let cache_dir = common.cache_dir.clone().unwrap_or_else(default_cache_dir);
    let cache = Cache::open(&cache_dir)
        .with_context(|| format!("cannot open the cache at {}", cache_dir.display()))?;
    Ok((catalog, cache))
}
