//! A local-docker function: a pool of containers, one instance each. Like local-process
//! an invocation takes the most recently used idle container (warm) or creates one
//! (cold), so cold/warm is ground truth; enforcing a cold start, new code and new limits
//! bump a generation and retire every older container.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bollard::Docker;
use tokio::sync::Semaphore;

use super::container::{Addressing, Container, ContainerSpec};
use crate::providers::local_process::fill_from_reply;
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
}

struct PoolState {
    package_dir: PathBuf,
    code_hash: String,
    config: FunctionConfig,
    generation: u64,
    idle: Vec<Container>,
}

pub struct DockerFunction {
    name: String,
    benchmark: String,
    settings: Arc<DockerSettings>,
    state: Mutex<PoolState>,
    permits: Semaphore,
    next_instance: AtomicU64,
    /// Containers this function created (the engine's events say the same).
    pub containers_created: AtomicU64,
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
            permits: Semaphore::new(settings.max_instances as usize),
            name,
            benchmark,
            settings,
            state: Mutex::new(PoolState {
                package_dir,
                code_hash,
                config,
                generation: 0,
                idle: Vec::new(),
            }),
            next_instance: AtomicU64::new(1),
            containers_created: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Retire every container: the next invocations get new ones.
    pub fn retire_instances(&self) {
        let idle = {
            let mut s = self.lock();
            s.generation += 1;
            std::mem::take(&mut s.idle)
        };
        idle.into_iter().for_each(Container::kill);
    }

    pub fn set_code(&self, package_dir: PathBuf, code_hash: String) {
        {
            let mut s = self.lock();
            s.package_dir = package_dir;
            s.code_hash = code_hash;
        }
        self.retire_instances();
    }

    /// New limits: containers are recreated with them on the next invocations.
    pub fn set_config(&self, config: FunctionConfig) {
        self.lock().config = config;
        self.retire_instances();
    }

    pub fn idle_instances(&self) -> usize {
        self.lock().idle.len()
    }

    fn release(&self, mut c: Container) {
        c.last_used = Instant::now();
        let mut s = self.lock();
        if c.generation == s.generation && s.idle.len() < self.settings.max_instances as usize {
            s.idle.push(c);
        } else {
            drop(s);
            c.kill();
        }
    }

    async fn start_container(&self) -> Result<Container, String> {
        let (package_dir, memory_mb, generation) = {
            let s = self.lock();
            (s.package_dir.clone(), s.config.memory_mb, s.generation)
        };
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
                image: &s.run_image,
                package_dir: &package_dir,
                memory_mb,
                session: &s.session,
                function: &self.name,
                ready_timeout: s.ready_timeout,
                addressing: s.addressing,
            },
            generation,
        )
        .await
        .inspect(|c| {
            tracing::debug!(instance = %c.instance_id, addr = %c.addr, init_us = c.init_time_us, "container ready");
        })
    }

    pub fn shutdown(&self) {
        let idle = std::mem::take(&mut self.lock().idle);
        idle.into_iter().for_each(Container::kill);
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
        self.lock().config.clone()
    }
    fn code_hash(&self) -> String {
        self.lock().code_hash.clone()
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
        let Ok(_permit) = self.permits.acquire().await else {
            inv.failure = Some("function is shutting down".into());
            return inv;
        };
        let t0 = Instant::now();
        let idle = self.lock().idle.pop();
        let (mut c, cold) = match idle {
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
        self.release(c);
        inv
    }
}
