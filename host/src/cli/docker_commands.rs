//! Commands of the Docker platform: images, packaging, local start/stop.

use std::process::ExitCode;

use super::{CommonArgs, ImagesCommand};
use crate::config::{RunConfig, default_cache_dir};
use crate::docker::{self, images};

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
