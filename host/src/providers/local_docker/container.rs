//! One function instance of local-docker: a container of the run image running the
//! same instance server as local-process (bound to FAASLAB_PORT instead of fd 3), with
//! the code package mounted read-only, the function memory as its memory limit and a
//! CPU share proportional to it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::query_parameters::{
    CreateContainerOptions, LogsOptions, RemoveContainerOptions, StartContainerOptions,
    StatsOptions,
};
use bytes::Bytes;
use futures_util::StreamExt;

use crate::docker::{LABEL_FUNCTION, LABEL_MANAGED, LABEL_PURPOSE, LABEL_SESSION, LABEL_VERSION};
use crate::providers::http_client::{HttpConnection, HttpError, HttpReply};
use crate::providers::local_process::Runtime;

/// How containers name the host (Docker's `host-gateway`).
pub const HOST_ALIAS: &str = "host.docker.internal";

/// Port the server binds inside the container.
pub const PORT: u16 = 8080;

/// How the host reaches a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressing {
    /// Bridge IP, else the published port.
    Auto,
    Ip,
    Port,
}

pub struct ContainerSpec<'a> {
    pub instance_id: String,
    /// The function's language runtime: which server the container runs.
    pub runtime: Runtime,
    pub image: &'a str,
    pub package_dir: &'a Path,
    pub memory_mb: u32,
    pub session: &'a str,
    pub function: &'a str,
    pub ready_timeout: Duration,
    pub addressing: Addressing,
    pub env: &'a [(String, String)],
    pub binds: &'a [String],
}

pub struct Container {
    pub instance_id: String,
    pub container_id: String,
    docker: Docker,
    conn: HttpConnection,
    /// Where the host reaches it (bridge IP or published port).
    pub addr: SocketAddr,
    /// Create → readiness probe answered.
    pub init_time_us: u64,
    pub connect_time_us: u64,
    pub generation: u64,
    pub last_used: Instant,
}

/// The CPU share of a function with this much memory (1024 = one default share at 1 GiB).
pub fn cpu_shares(memory_mb: u32) -> i64 {
    i64::from(memory_mb).max(2)
}

fn labels(spec: &ContainerSpec<'_>) -> HashMap<String, String> {
    [
        (LABEL_MANAGED, "true"),
        (LABEL_VERSION, env!("CARGO_PKG_VERSION")),
        (LABEL_PURPOSE, "instance"),
        (LABEL_SESSION, spec.session),
        (LABEL_FUNCTION, spec.function),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Remove a container (force), in the background.
pub fn remove_later(docker: &Docker, container_id: String) {
    let docker = docker.clone();
    tokio::spawn(async move { remove_now(&docker, &container_id).await });
}

pub async fn remove_now(docker: &Docker, container_id: &str) {
    let _ = docker
        .remove_container(
            container_id,
            Some(RemoveContainerOptions {
                force: true,
                v: true,
                ..Default::default()
            }),
        )
        .await;
}

impl Container {
    pub async fn start(
        docker: &Docker,
        spec: ContainerSpec<'_>,
        generation: u64,
    ) -> Result<Container, String> {
        let t0 = Instant::now();
        let port_key = format!("{PORT}/tcp");
        let memory = i64::from(spec.memory_mb) * 1024 * 1024;
        let body = ContainerCreateBody {
            image: Some(spec.image.to_string()),
            cmd: Some(
                std::iter::once(spec.runtime.container_program().to_string())
                    .chain(
                        spec.runtime
                            .server_args(Path::new("/code"), spec.memory_mb)
                            .into_iter()
                            .map(|a| a.to_string_lossy().into_owned()),
                    )
                    .collect(),
            ),
            env: Some(
                vec![
                    "PATH=/usr/local/bin:/usr/bin:/bin".into(),
                    "LANG=C.UTF-8".into(),
                    format!("FAASLAB_INSTANCE_ID={}", spec.instance_id),
                    "FAASLAB_CODE_DIR=/code".into(),
                    format!("FAASLAB_PORT={PORT}"),
                ]
                .into_iter()
                .chain(spec.runtime.env().iter().map(|(k, v)| format!("{k}={v}")))
                .chain(spec.env.iter().map(|(k, v)| format!("{k}={v}")))
                .collect(),
            ),
            working_dir: Some("/code".into()),
            labels: Some(labels(&spec)),
            exposed_ports: Some(HashMap::from([(port_key.clone(), HashMap::new())])),
            host_config: Some(HostConfig {
                binds: Some(
                    std::iter::once(format!("{}:/code:ro", spec.package_dir.display()))
                        .chain(spec.binds.iter().cloned())
                        .collect(),
                ),
                // The host, for services on it (an S3 endpoint): see `with_storage`.
                extra_hosts: Some(vec![format!("{HOST_ALIAS}:host-gateway")]),
                memory: Some(memory),
                memory_swap: Some(memory),
                cpu_shares: Some(cpu_shares(spec.memory_mb)),
                port_bindings: Some(HashMap::from([(
                    port_key.clone(),
                    Some(vec![PortBinding {
                        host_ip: Some("127.0.0.1".into()),
                        host_port: Some(String::new()),
                    }]),
                )])),
                ..Default::default()
            }),
            ..Default::default()
        };
        let created = docker
            .create_container(
                Some(CreateContainerOptions {
                    name: Some(spec.instance_id.clone()),
                    ..Default::default()
                }),
                body,
            )
            .await
            .map_err(|e| format!("cannot create a container of {}: {e}", spec.image))?;
        let container_id = created.id;
        let fail = |msg: String| {
            remove_later(docker, container_id.clone());
            msg
        };
        if let Err(e) = docker
            .start_container(&container_id, None::<StartContainerOptions>)
            .await
        {
            return Err(fail(format!(
                "cannot start container {}: {e}",
                spec.instance_id
            )));
        }
        let info = match docker
            .inspect_container(
                &container_id,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
        {
            Ok(i) => i,
            Err(e) => return Err(fail(format!("cannot inspect {}: {e}", spec.instance_id))),
        };
        let net = info.network_settings.unwrap_or_default();
        let ip = net
            .ip_address
            .clone()
            .filter(|s| !s.is_empty())
            .or_else(|| {
                net.networks.as_ref().and_then(|n| {
                    n.values()
                        .find_map(|e| e.ip_address.clone().filter(|s| !s.is_empty()))
                })
            })
            .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
            .map(|ip| SocketAddr::new(ip, PORT));
        let published = net
            .ports
            .as_ref()
            .and_then(|p| p.get(&port_key).cloned().flatten())
            .and_then(|b| b.into_iter().find_map(|b| b.host_port))
            .and_then(|p| p.parse::<u16>().ok())
            .map(|p| SocketAddr::from(([127, 0, 0, 1], p)));
        let candidates: Vec<SocketAddr> = match spec.addressing {
            Addressing::Ip => ip.into_iter().collect(),
            Addressing::Port => published.into_iter().collect(),
            Addressing::Auto => ip.into_iter().chain(published).collect(),
        };
        if candidates.is_empty() {
            return Err(fail(format!(
                "container {} has neither a bridge IP nor a published port",
                spec.instance_id
            )));
        }
        let deadline = t0 + spec.ready_timeout;
        let mut last_err = String::from("no attempt");
        loop {
            for addr in &candidates {
                match probe(*addr).await {
                    Ok((conn, connect)) => {
                        return Ok(Container {
                            instance_id: spec.instance_id,
                            container_id,
                            docker: docker.clone(),
                            conn,
                            addr: *addr,
                            init_time_us: t0.elapsed().as_micros() as u64,
                            connect_time_us: connect.as_micros() as u64,
                            generation,
                            last_used: Instant::now(),
                        });
                    }
                    Err(e) => last_err = format!("{addr}: {e}"),
                }
            }
            if Instant::now() >= deadline {
                let logs = logs_text(docker, &container_id).await;
                return Err(fail(format!(
                    "container {} did not become ready within {} s ({last_err}); log: {}",
                    spec.instance_id,
                    spec.ready_timeout.as_secs(),
                    crate::docker::images::tail(&logs, 3)
                )));
            }
            if let Ok(c) = docker
                .inspect_container(
                    &container_id,
                    None::<bollard::query_parameters::InspectContainerOptions>,
                )
                .await
                && c.state.as_ref().and_then(|s| s.running) == Some(false)
            {
                let logs = logs_text(docker, &container_id).await;
                return Err(fail(format!(
                    "container {} exited before it was ready; log: {}",
                    spec.instance_id,
                    crate::docker::images::tail(&logs, 3)
                )));
            }
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
    }

    pub async fn call(&mut self, request_id: &str, payload: Bytes) -> Result<HttpReply, HttpError> {
        self.conn.invoke(request_id, payload).await
    }

    /// Peak memory of the container so far (cgroup v1 max_usage, else the stats API).
    pub async fn memory_peak_kib(&self) -> Option<u64> {
        memory_peak_kib(&self.docker, &self.container_id).await
    }

    /// Why the container is gone or broken: OOM kill, exit code.
    pub async fn diagnose(&self) -> String {
        match self
            .docker
            .inspect_container(
                &self.container_id,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
        {
            Ok(info) => {
                let state = info.state.unwrap_or_default();
                if state.oom_killed == Some(true) {
                    format!(
                        "OOM-killed: container exceeded its memory limit ({} MiB)",
                        info.host_config.and_then(|h| h.memory).unwrap_or(0) / (1024 * 1024)
                    )
                } else if state.running == Some(true) {
                    "container still running".into()
                } else {
                    format!(
                        "container exited with code {}",
                        state.exit_code.unwrap_or(-1)
                    )
                }
            }
            Err(e) => format!("container not inspectable: {e}"),
        }
    }

    /// Write the container's stdout/stderr to `path`.
    pub async fn save_logs(&self, path: &Path) -> String {
        let text = logs_text(&self.docker, &self.container_id).await;
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = std::fs::write(path, &text);
        text
    }

    pub fn kill(self) {
        remove_later(&self.docker, self.container_id);
    }
}

async fn probe(addr: SocketAddr) -> Result<(HttpConnection, Duration), String> {
    let attempt = async {
        let (mut conn, connect) = HttpConnection::connect(addr).await?;
        let reply = conn
            .request(hyper::Method::GET, "/health", &[], Bytes::new())
            .await?;
        Ok::<_, HttpError>((conn, connect, reply))
    };
    match tokio::time::timeout(Duration::from_millis(500), attempt).await {
        Err(_) => Err("probe timed out".into()),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok((conn, connect, reply))) if reply.status == 200 => Ok((conn, connect)),
        Ok(Ok((_, _, reply))) => Err(format!("status {}", reply.status)),
    }
}

pub async fn logs_text(docker: &Docker, container_id: &str) -> String {
    let mut out = String::new();
    let mut stream = docker.logs(
        container_id,
        Some(LogsOptions {
            stdout: true,
            stderr: true,
            tail: "all".into(),
            ..Default::default()
        }),
    );
    while let Some(Ok(chunk)) = stream.next().await {
        out.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
    }
    out
}

pub async fn memory_peak_kib(docker: &Docker, container_id: &str) -> Option<u64> {
    let cgroup = PathBuf::from(format!(
        "/sys/fs/cgroup/memory/docker/{container_id}/memory.max_usage_in_bytes"
    ));
    if let Ok(text) = std::fs::read_to_string(&cgroup)
        && let Ok(bytes) = text.trim().parse::<u64>()
    {
        return Some(bytes / 1024);
    }
    let mut stream = docker.stats(
        container_id,
        Some(StatsOptions {
            stream: false,
            one_shot: true,
        }),
    );
    let stats = stream.next().await?.ok()?;
    let mem = stats.memory_stats?;
    mem.max_usage.or(mem.usage).map(|b| b / 1024)
}
