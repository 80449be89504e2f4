//! `faaslab local start` / `local stop` (SeBS's `local start/stop`): containers of a
//! benchmark left running for outside tools, their endpoints and input written to a
//! JSON file; optionally a detached sampler records their memory every interval; stop
//! removes exactly those containers (by their session label) and writes memory
//! statistics.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::benchmarks::Catalog;
use crate::cache::Cache;
use crate::config::{InputSize, RunConfig};
use crate::providers::local_docker::container::{Addressing, Container, ContainerSpec};
use crate::providers::local_docker::{self, LocalDockerProvider, containers_labelled};
use crate::providers::{Provider, Resources};

/// One running container, as written to the start file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Endpoint {
    pub instance_id: String,
    pub container_id: String,
    /// `http://<addr>/`: POST the input here (docs/handler-protocol.md).
    pub url: String,
    pub memory_mb: u32,
}

/// The file `local start` writes and `local stop` reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StartFile {
    pub benchmark: String,
    pub size: String,
    pub session: String,
    pub function: String,
    pub code_hash: String,
    pub input: serde_json::Value,
    pub endpoints: Vec<Endpoint>,
    /// Memory sampler, when `--measure-interval` was given.
    pub measure_interval_ms: Option<u64>,
    pub memory_samples: Option<PathBuf>,
    pub sampler_pid: Option<u32>,
}

/// One line of the memory samples file.
#[derive(Debug, Serialize, Deserialize)]
struct Sample {
    time_us: u64,
    container_id: String,
    usage_kib: u64,
}

/// Per container: what `local stop` writes.
#[derive(Debug, Serialize, Deserialize)]
pub struct MemoryStats {
    pub instance_id: String,
    pub container_id: String,
    pub samples: u64,
    pub mean_kib: u64,
    pub max_kib: u64,
    /// The cgroup's own peak (max_usage), read at stop.
    pub peak_kib: Option<u64>,
}

pub struct StartOptions<'a> {
    pub config: &'a RunConfig,
    pub catalog: &'a Catalog,
    pub cache: &'a Cache,
    pub benchmark: &'a str,
    pub size: InputSize,
    pub instances: u32,
    pub measure_interval_ms: Option<u64>,
    pub out: &'a Path,
}

pub async fn start(opts: StartOptions<'_>) -> anyhow::Result<StartFile> {
    let bench = opts.catalog.get(opts.benchmark)?;
    let logs = opts
        .out
        .parent()
        .unwrap_or(Path::new("."))
        .join("faaslab-local-logs");
    let provider = LocalDockerProvider::new(&opts.config.platforms.local_docker, logs)
        .await?
        .detached();
    let resources = Resources {
        resource_id: opts.config.resource_id.clone(),
        reuse_deployments: true,
    };
    let fc = &opts.config.function;
    let package = provider
        .package_code(&bench, fc, opts.cache, opts.config.force_rebuild)
        .await?;
    let function = provider.default_function_name(&resources, &bench, fc);
    let input = opts
        .catalog
        .input(
            &bench,
            opts.size,
            &opts.config.platforms.local_process.python,
            opts.cache,
        )
        .await?;
    let runtime = crate::providers::local_process::Runtime::of(&fc.language)
        .with_context(|| format!("function.language: no local runtime for `{}`", fc.language))?;
    let mut endpoints = Vec::new();
    let addressing = match opts.config.platforms.local_docker.address.as_str() {
        "ip" => Addressing::Ip,
        "port" => Addressing::Port,
        _ => Addressing::Auto,
    };
    for i in 0..opts.instances {
        let instance_id = format!(
            "{function}-l{i}-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let started = Container::start(
            provider.docker(),
            ContainerSpec {
                instance_id,
                runtime,
                image: provider.run_image(),
                package_dir: &package.location,
                memory_mb: fc.memory_mb,
                session: provider.session(),
                function: &function,
                ready_timeout: Duration::from_secs(
                    opts.config.platforms.local_docker.ready_timeout_s,
                ),
                addressing,
                env: &[],
                binds: &[],
            },
            0,
        )
        .await;
        let c = match started {
            Ok(c) => c,
            Err(e) => {
                local_docker::remove_instances(provider.docker(), Some(provider.session())).await?;
                anyhow::bail!(e);
            }
        };
        endpoints.push(Endpoint {
            url: format!("http://{}/", c.addr),
            instance_id: c.instance_id.clone(),
            container_id: c.container_id.clone(),
            memory_mb: fc.memory_mb,
        });
    }
    let mut file = StartFile {
        benchmark: bench.id.clone(),
        size: format!("{:?}", opts.size).to_lowercase(),
        session: provider.session().to_string(),
        function,
        code_hash: package.hash.clone(),
        input: serde_json::from_str(&input).context("benchmark input is not JSON")?,
        endpoints,
        measure_interval_ms: opts.measure_interval_ms,
        memory_samples: None,
        sampler_pid: None,
    };
    if let Some(ms) = opts.measure_interval_ms {
        let samples = opts.out.with_extension("memory.jsonl");
        let exe = std::env::current_exe().context("locating the faaslab executable")?;
        let mut cmd = std::process::Command::new(exe);
        cmd.args(["local", "sample"])
            .arg(opts.out)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        // SAFETY: setsid is async-signal-safe; the sampler outlives this process.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                libc::setsid();
                Ok(())
            });
        }
        file.memory_samples = Some(samples);
        file.measure_interval_ms = Some(ms);
        write_json(opts.out, &file)?;
        let child = cmd.spawn().context("starting the memory sampler")?;
        file.sampler_pid = Some(child.id());
    }
    write_json(opts.out, &file)?;
    Ok(file)
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    crate::cache::write_atomic(path, &serde_json::to_vec_pretty(value)?)
        .with_context(|| format!("writing {}", path.display()))
}

fn read_start(path: &Path) -> anyhow::Result<StartFile> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&text)
        .with_context(|| format!("{}: not a `local start` file", path.display()))
}

/// The detached sampler: every interval, each container's memory usage, until they
/// are gone (or `local stop` ends it).
pub async fn sample(path: &Path) -> anyhow::Result<()> {
    let file = read_start(path)?;
    let (Some(ms), Some(out)) = (file.measure_interval_ms, file.memory_samples.clone()) else {
        return Ok(());
    };
    let mut w = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&out)?;
    let docker = super::connect().await?;
    loop {
        let mut alive = 0;
        for e in &file.endpoints {
            if let Some(kib) = usage_kib(&docker, &e.container_id).await {
                alive += 1;
                let s = Sample {
                    time_us: std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_micros() as u64)
                        .unwrap_or(0),
                    container_id: e.container_id.clone(),
                    usage_kib: kib,
                };
                writeln!(w, "{}", serde_json::to_string(&s)?)?;
            }
        }
        if alive == 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

async fn usage_kib(docker: &bollard::Docker, container_id: &str) -> Option<u64> {
    let cg = format!("/sys/fs/cgroup/memory/docker/{container_id}/memory.usage_in_bytes");
    if let Ok(t) = std::fs::read_to_string(cg) {
        return t.trim().parse::<u64>().ok().map(|b| b / 1024);
    }
    let info = docker
        .inspect_container(
            container_id,
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
        .ok()?;
    if info.state.and_then(|s| s.running) != Some(true) {
        return None;
    }
    crate::providers::local_docker::container::memory_peak_kib(docker, container_id).await
}

/// Stop the sampler, remove the containers, write `<out>.memory-stats.json`.
pub async fn stop(path: &Path) -> anyhow::Result<(Vec<MemoryStats>, PathBuf)> {
    let file = read_start(path)?;
    let docker = super::connect().await?;
    if let Some(pid) = file.sampler_pid {
        // SAFETY: plain kill(2) of the sampler this file names.
        unsafe {
            libc::kill(pid as i32, libc::SIGTERM);
        }
    }
    let mut stats = Vec::new();
    let samples: Vec<Sample> = file
        .memory_samples
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| {
            t.lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()
        })
        .unwrap_or_default();
    for e in &file.endpoints {
        let mine: Vec<u64> = samples
            .iter()
            .filter(|s| s.container_id == e.container_id)
            .map(|s| s.usage_kib)
            .collect();
        let peak =
            crate::providers::local_docker::container::memory_peak_kib(&docker, &e.container_id)
                .await;
        stats.push(MemoryStats {
            instance_id: e.instance_id.clone(),
            container_id: e.container_id.clone(),
            samples: mine.len() as u64,
            mean_kib: if mine.is_empty() {
                0
            } else {
                mine.iter().sum::<u64>() / mine.len() as u64
            },
            max_kib: mine.iter().copied().max().unwrap_or(0),
            peak_kib: peak,
        });
    }
    local_docker::remove_instances(&docker, Some(&file.session)).await?;
    let left = containers_labelled(
        &docker,
        &[format!("{}={}", super::LABEL_SESSION, file.session)],
    )
    .await?;
    if !left.is_empty() {
        anyhow::bail!(
            "containers of session {} still exist: {left:?}",
            file.session
        );
    }
    let out = path.with_extension("memory-stats.json");
    write_json(&out, &stats)?;
    Ok((stats, out))
}
