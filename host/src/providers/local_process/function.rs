//! A local-process function: a pool of instances. An invocation takes the most recently
//! used idle instance (warm) or starts a new one (cold) — so the host knows the ground
//! truth of every cold start. Cold-start enforcement and redeploys bump a generation:
//! idle instances of older generations are killed, busy ones when they return.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Deserialize;

use super::instance::{Instance, InstanceSpec};
use super::runtime::Runtime;
use crate::providers::pool::{Deployed, Pool, Pooled};
use crate::providers::{
    Function, FunctionConfig, Invocation, InvocationRequest, Trigger, TriggerKind,
};

/// Settings shared by every function of one provider session.
#[derive(Debug, Clone)]
pub struct RuntimeSettings {
    pub python: PathBuf,
    /// The Node.js binary, or why there is none (reported when a nodejs instance starts).
    pub node: Result<PathBuf, String>,
    pub logs_dir: PathBuf,
    pub max_instances: u32,
    pub ready_timeout: Duration,
    pub idle_timeout: Option<Duration>,
    /// Extra environment of every instance (storage endpoint and credentials).
    pub env: Vec<(String, String)>,
}

pub struct LocalFunction {
    name: String,
    benchmark: String,
    settings: Arc<RuntimeSettings>,
    pool: Pool<Instance>,
    next_instance: AtomicU64,
}

/// The instance server's reply (docs/handler-protocol.md).
#[derive(Deserialize)]
struct Reply<'a> {
    request_id: String,
    instance_id: String,
    is_cold: bool,
    begin_us: u64,
    end_us: u64,
    exec_time_us: u64,
    provider_time_us: u64,
    #[serde(borrow)]
    output: Option<&'a serde_json::value::RawValue>,
    failure: Option<String>,
}

impl Pooled for Instance {
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
        Instance::kill(self)
    }
}

impl LocalFunction {
    pub fn new(
        name: String,
        benchmark: String,
        package_dir: PathBuf,
        code_hash: String,
        config: FunctionConfig,
        settings: Arc<RuntimeSettings>,
    ) -> Self {
        let pool = Pool::new(
            Deployed {
                package_dir,
                code_hash,
                config,
            },
            settings.max_instances,
            settings.idle_timeout,
        );
        Self {
            name,
            benchmark,
            settings,
            pool,
            next_instance: AtomicU64::new(1),
        }
    }

    /// Retire every instance: the next invocations are cold.
    pub fn retire_instances(&self) {
        self.pool.retire_instances();
    }

    pub fn set_code(&self, package_dir: PathBuf, code_hash: String) {
        self.pool.set_code(package_dir, code_hash);
    }

    pub fn set_config(&self, config: FunctionConfig) {
        self.pool.set_config(config);
    }

    /// Idle instances right now (for tests and reports).
    pub fn idle_instances(&self) -> usize {
        self.pool.idle_instances()
    }

    async fn start_instance(&self) -> Result<Instance, String> {
        let (package_dir, memory_mb, generation) = self.pool.start_params();
        let language = self.pool.config().language;
        let runtime = Runtime::of(&language)
            .ok_or_else(|| format!("no local runtime for language `{language}`"))?;
        let program = match runtime {
            Runtime::Python => &self.settings.python,
            Runtime::Nodejs => self.settings.node.as_ref().map_err(Clone::clone)?,
        };
        let n = self.next_instance.fetch_add(1, Ordering::Relaxed);
        let id = format!(
            "{}-i{n}-{}",
            self.name,
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let spec = InstanceSpec {
            log_path: self
                .settings
                .logs_dir
                .join(&self.name)
                .join(format!("{id}.log")),
            id,
            runtime,
            program,
            package_dir: &package_dir,
            memory_mb,
            ready_timeout: self.settings.ready_timeout,
            env: &self.settings.env,
        };
        Instance::start(spec, generation)
            .await
            .map_err(|e| e.to_string())
    }

    /// Kill idle instances (end of a session).
    pub fn shutdown(&self) {
        self.pool.shutdown();
    }
}

impl Function for LocalFunction {
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
impl Trigger for LocalFunction {
    fn kind(&self) -> TriggerKind {
        TriggerKind::Http
    }

    async fn invoke(&self, request: InvocationRequest) -> Invocation {
        let mut inv = Invocation {
            request_id: request.request_id.clone(),
            ..Default::default()
        };
        // Client time starts before waiting for an instance slot: with every instance
        // busy the client waits, as it would for a throttled platform.
        let t0 = Instant::now();
        let Ok(_permit) = self.pool.permits.acquire().await else {
            inv.failure = Some("function is shutting down".into());
            return inv;
        };
        let (mut instance, cold) = match self.pool.take_idle() {
            Some(i) => (i, false),
            None => match self.start_instance().await {
                Ok(i) => (i, true),
                Err(e) => {
                    inv.cold = true;
                    inv.client_time_us = t0.elapsed().as_micros() as u64;
                    inv.failure = Some(e);
                    return inv;
                }
            },
        };
        inv.cold = cold;
        inv.instance_id = instance.id.clone();
        if cold {
            inv.init_time_us = Some(instance.init_time_us);
            inv.connection_time_us = instance.connect_time_us;
        }
        let timeout = Duration::from_secs(u64::from(self.config().timeout_s));
        let call =
            tokio::time::timeout(timeout, instance.call(&request.request_id, request.payload))
                .await;
        inv.client_time_us = t0.elapsed().as_micros() as u64;
        let reply = match call {
            Err(_) => {
                inv.failure = Some(format!(
                    "timeout: no reply within the function timeout of {} s; instance killed",
                    timeout.as_secs()
                ));
                instance.kill();
                return inv;
            }
            Ok(Err(e)) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                let status = instance
                    .exit_status()
                    .unwrap_or_else(|| "still running".into());
                inv.failure = Some(format!(
                    "instance failed ({e}; process {status}); log: {}",
                    instance.log_tail()
                ));
                instance.kill();
                return inv;
            }
            Ok(Ok(reply)) => reply,
        };
        inv.memory_peak_kib = instance.memory_peak_kib();
        fill_from_reply(&mut inv, &reply, &instance.id);
        self.pool.release(instance);
        inv
    }
}

/// Fill an invocation from an instance server's reply (docs/handler-protocol.md);
/// shared by the local platforms.
pub(crate) fn fill_from_reply(
    inv: &mut Invocation,
    reply: &crate::providers::http_client::HttpReply,
    instance_id: &str,
) {
    match serde_json::from_slice::<Reply>(&reply.body) {
        Ok(r) if r.request_id != inv.request_id => {
            inv.failure = Some(format!("reply for request {} instead", r.request_id));
        }
        Ok(r) => {
            inv.reported_cold = Some(r.is_cold);
            inv.begin_us = Some(r.begin_us);
            inv.end_us = Some(r.end_us);
            inv.exec_time_us = r.exec_time_us;
            inv.provider_time_us = r.provider_time_us;
            inv.output = r.output.map(|o| o.get().to_string()).unwrap_or_default();
            inv.failure = r.failure;
            if r.instance_id != instance_id {
                inv.failure = Some(format!("reply from instance {}", r.instance_id));
            }
        }
        Err(e) => {
            inv.failure = Some(format!("malformed reply (status {}): {e}", reply.status));
        }
    }
}
