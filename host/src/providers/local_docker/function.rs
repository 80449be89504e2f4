//! A local-docker function: a pool of containers, one instance each. Like local-process
//! an invocation takes the most recently used idle container (warm) or creates one
//! (cold), so cold/warm is ground truth; enforcing a cold start, new code and new limits
//! bump a generation and retire every older container.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bollard::Docker;

use super::container::{Addressing, Container, ContainerSpec};
use crate::providers::local_process::{Runtime, fill_from_reply};
use crate::providers::pool::{Deployed, Pool, Pooled};
use crate::providers::{
    Function, FunctionConfig, Invocation, InvocationRequest, Trigger, TriggerKind,
};

/// Settings shared by the functions of one provider session.
#[derive(Debug, Clone)]
pub struct DockerSettings {
    pub docker: Docker,
    pub run_image: String,
    pub session: String,
    pub logs_dir: PathBuf,
    pub max_instances: u32,
    pub ready_timeout: Duration,
    pub addressing: Addressing,
    /// Extra environment and bind mounts of every container (the run's storage).
    pub env: Vec<(String, String)>,
    pub binds: Vec<String>,
}

pub struct DockerFunction {
    name: String,
    benchmark: String,
    settings: Arc<DockerSettings>,
    pool: Pool<Container>,
    next_instance: AtomicU64,
    /// Containers this function created (the engine's events say the same).
    pub containers_created: AtomicU64,
}

impl Pooled for Container {
    fn generation(&self) -> u64 {
        self.generation
    }
    fn last_used(&self) -> Instant {
        self.last_used
    }
    fn touch(&mut self) {
        self.last_used = Instant::now();
    }
    fn kill(self) {
        Container::kill(self)
    }
}

impl DockerFunction {
    pub fn new(
        name: String,
        benchmark: String,
        package_dir: PathBuf,
        code_hash: String,
        config: FunctionConfig,
        settings: Arc<DockerSettings>,
    ) -> Self {
        Self {
            pool: Pool::new(
                Deployed {
                    package_dir,
                    code_hash,
                    config,
                },
                settings.max_instances,
                None,
            ),
            name,
            benchmark,
            settings,
            next_instance: AtomicU64::new(1),
            containers_created: AtomicU64::new(0),
        }
    }

    /// The container pool (retire, set code / config, idle count).
    pub fn pool(&self) -> &Pool<Container> {
        &self.pool
    }

    async fn start_container(&self) -> Result<Container, String> {
        let (package_dir, memory_mb, generation) = self.pool.start_params();
        let language = self.pool.config().language;
        let runtime = Runtime::of(&language)
            .ok_or_else(|| format!("no local runtime for language `{language}`"))?;
        let n = self.next_instance.fetch_add(1, Ordering::Relaxed);
        let instance_id = format!(
            "{}-c{n}-{}",
            self.name,
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        self.containers_created.fetch_add(1, Ordering::Relaxed);
        let s = &self.settings;
        Container::start(
            &s.docker,
            ContainerSpec {
                instance_id,
                runtime,
                image: &s.run_image,
                package_dir: &package_dir,
                memory_mb,
                session: &s.session,
                function: &self.name,
                ready_timeout: s.ready_timeout,
                addressing: s.addressing,
                env: &s.env,
                binds: &s.binds,
            },
            generation,
        )
        .await
        .inspect(|c| {
            tracing::debug!(instance = %c.instance_id, addr = %c.addr, init_us = c.init_time_us, "container ready");
        })
    }

    fn log_path(&self, instance_id: &str) -> PathBuf {
        self.settings
            .logs_dir
            .join(&self.name)
            .join(format!("{instance_id}.log"))
    }
}

impl Function for DockerFunction {
    fn name(&self) -> &str {
        &self.name
    }
    fn benchmark(&self) -> &str {
        &self.benchmark
    }
    fn config(&self) -> FunctionConfig {
        self.pool.config()
    }
    fn code_hash(&self) -> String {
        self.pool.code_hash()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[async_trait]
impl Trigger for DockerFunction {
    fn kind(&self) -> TriggerKind {
        TriggerKind::Http
    }

    async fn invoke(&self, request: InvocationRequest) -> Invocation {
        let mut inv = Invocation {
            request_id: request.request_id.clone(),
            ..Default::default()
        };
        let Ok(_permit) = self.pool.permits.acquire().await else {
            inv.failure = Some("function is shutting down".into());
            return inv;
        };
        let t0 = Instant::now();
        let (mut c, cold) = match self.pool.take_idle() {
            Some(c) => (c, false),
            None => match self.start_container().await {
                Ok(c) => (c, true),
                Err(e) => {
                    inv.cold = true;
                    inv.client_time_us = t0.elapsed().as_micros() as u64;
                    inv.failure = Some(e);
                    return inv;
                }
            },
        };
        inv.cold = cold;
        inv.instance_id = c.instance_id.clone();
        if cold {
            inv.init_time_us = Some(c.init_time_us);
            inv.connection_time_us = c.connect_time_us;
        }
        let timeout = Duration::from_secs(u64::from(self.config().timeout_s));
        let call =
            tokio::time::timeout(timeout, c.call(&request.request_id, request.payload)).await;
        inv.client_time_us = t0.elapsed().as_micros() as u64;
        let reply = match call {
            Err(_) => {
                inv.failure = Some(format!(
                    "timeout: no reply within the function timeout of {} s; container removed",
                    timeout.as_secs()
                ));
                c.save_logs(&self.log_path(&c.instance_id)).await;
                c.kill();
                return inv;
            }
            Ok(Err(e)) => {
                // Give the engine a moment to record an OOM kill or exit.
                tokio::time::sleep(Duration::from_millis(50)).await;
                let why = c.diagnose().await;
                let path = self.log_path(&c.instance_id);
                let logs = c.save_logs(&path).await;
                inv.memory_peak_kib = c.memory_peak_kib().await;
                inv.failure = Some(format!(
                    "{why} ({e}); log {}: {}",
                    path.display(),
                    crate::docker::images::tail(&logs, 3)
                ));
                c.kill();
                return inv;
            }
            Ok(Ok(reply)) => reply,
        };
        inv.memory_peak_kib = c.memory_peak_kib().await;
        fill_from_reply(&mut inv, &reply, &c.instance_id);
        if inv.failure.is_some() {
            c.save_logs(&self.log_path(&c.instance_id)).await;
        }
        self.pool.release(c);
        inv
    }
}
