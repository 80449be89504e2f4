//! What a guest may ask of the host, one module per WIT interface. Each checks the
//! run's grants and budgets and converts WIT types to domain types at the edge.

mod clock;
mod convert;
pub mod log;
pub mod network;
pub mod platform;
mod random;
mod results;
pub mod storage;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::ChaCha12Rng;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::benchmarks::Catalog;
use crate::cache::Cache;
use crate::config::RunConfig;
use crate::driver::Recorder;
use crate::engine::sandbox::GuestLimiter;
use crate::measure::{DeploymentInfo, Event, JsonlWriter};
use crate::providers::{Provider, Resources};

/// Everything a run shares between its capabilities (and outlives the guest's Store).
pub struct RunContext {
    pub config: RunConfig,
    pub config_name: String,
    pub seed: u64,
    pub provider: Arc<dyn Provider>,
    pub cache: Cache,
    pub catalog: Catalog,
    pub resources: Resources,
    pub recorder: Arc<Recorder>,
    pub events: JsonlWriter,
    pub deployments: Mutex<Vec<DeploymentInfo>>,
    /// The run's object storage, as granted to the script.
    pub storage: Arc<storage::StorageCapability>,
    /// Wall-clock deadline of the whole run.
    pub deadline: Instant,
    /// Retry, sampler and cold-start policies the drivers consult (docs/policies.md).
    pub policies: Arc<crate::policy::RunPolicies>,
}

impl RunContext {
    /// A deployment made or reused for the run: an event now, the manifest at the end.
    pub fn record_deployment(&self, info: DeploymentInfo) {
        self.event(&Event::Deployment {
            function: info.function.clone(),
            benchmark: info.benchmark.clone(),
            action: info.action.clone(),
            code_hash: info.code_hash.clone(),
            package_built: info.package_built,
        });
        self.deployments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(info);
    }

    /// Append an event; a write failure is logged, never fatal to the guest.
    pub fn event(&self, event: &Event) {
        if let Err(e) = self.events.append(event) {
            tracing::error!("cannot append to {}: {e}", self.events.path().display());
        }
    }
}

/// The data of one guest Store. Thrown away with the Store after the run.
pub struct HostState {
    pub ctx: Arc<RunContext>,
    pub wasi: WasiCtx,
    pub table: ResourceTable,
    pub limiter: GuestLimiter,
    pub rng: ChaCha12Rng,
    pub series: String,
    /// Epoch ticks spent running wasm; compared against the wasm-time budget.
    pub wasm_ticks: u64,
    pub wasm_time_exceeded: bool,
    pub live_functions: u64,
    /// UDP endpoints opened so far (budget: `network.max_endpoints`).
    pub udp_endpoints_opened: u64,
    pub stdout: MemoryOutputPipe,
    pub stderr: MemoryOutputPipe,
}

impl HostState {
    pub fn new(ctx: Arc<RunContext>) -> Self {
        let limits = &ctx.config.limits;
        let cap = (limits.max_output_kib as usize).saturating_mul(1024);
        let stdout = MemoryOutputPipe::new(cap);
        let stderr = MemoryOutputPipe::new(cap);
        // No preopens, no environment, no arguments, no network; WASI randomness is
        // seeded from the run seed so guests that use it stay reproducible.
        let wasi = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .secure_random(ChaCha12Rng::seed_from_u64(ctx.seed ^ 0x5EC0_5EED))
            .insecure_random(ChaCha12Rng::seed_from_u64(ctx.seed ^ 0x1A5E_C0DE))
            .insecure_random_seed(u128::from(ctx.seed))
            .build();
        Self {
            limiter: GuestLimiter::new(limits),
            rng: ChaCha12Rng::seed_from_u64(ctx.seed),
            series: "default".into(),
            wasm_ticks: 0,
            wasm_time_exceeded: false,
            live_functions: 0,
            udp_endpoints_opened: 0,
            table: ResourceTable::new(),
            wasi,
            stdout,
            stderr,
            ctx,
        }
    }

    /// Trap the guest if a host-call argument is larger than the run allows.
    pub(crate) fn check_arg(&self, what: &str, bytes: usize) -> wasmtime::Result<()> {
        let cap = (self.ctx.config.limits.max_arg_kib as usize).saturating_mul(1024);
        if bytes > cap {
            return Err(wasmtime::Error::msg(format!(
                "host-call argument `{what}` is {bytes} bytes, over the cap of {cap} bytes (limits.max_arg_kib)"
            )));
        }
        Ok(())
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
