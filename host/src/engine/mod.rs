//! The wasmtime engine: loads guest components (compiled once, cached on disk by
//! content hash + engine compatibility), and runs each in a fresh, limited Store.

pub mod bindings;
mod load;
pub mod sandbox;

pub use load::{CompiledComponent, LoadError, LoadedScript};

use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Store, UpdateDeadline};

use crate::capabilities::HostState;
use crate::engine::sandbox::LimitHit;
use bindings::Experiment;

/// Epoch tick: the granularity of the wasm-time budget.
pub const TICK: Duration = Duration::from_millis(2);

/// How a guest run ended, when it did not end with `Ok` from `run`.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "guest used up its wasm execution budget of {0} s (limits.max_wasm_time_s) and was stopped"
    )]
    WasmTime(f64),
    #[error(
        "guest exceeded the run's wall-time limit of {0} s (limits.max_wall_time_s) and was stopped"
    )]
    WallTime(f64),
    #[error("guest exceeded its memory limit of {0} MiB (limits.max_memory_mb) and was stopped")]
    Memory(u64),
    #[error(
        "guest exceeded its table limit of {0} elements (limits.max_table_elements) and was stopped"
    )]
    Table(u64),
    #[error("guest cannot be instantiated: {0}")]
    Instantiate(String),
    #[error("guest trapped: {0}")]
    Trap(String),
    #[error("guest returned an error: {0}")]
    Guest(String),
}

impl RunError {
    /// Short machine-readable kind (for manifests and tests).
    pub fn kind(&self) -> &'static str {
        match self {
            RunError::WasmTime(_) => "wasm-time",
            RunError::WallTime(_) => "wall-time",
            RunError::Memory(_) => "memory",
            RunError::Table(_) => "table",
            RunError::Instantiate(_) => "instantiate",
            RunError::Trap(_) => "trap",
            RunError::Guest(_) => "guest-error",
        }
    }
}

/// The result of one guest run and what the sandbox saw.
pub struct GuestRun {
    pub result: Result<String, RunError>,
    pub instantiate_us: Option<u64>,
    /// The Store's data after the run (the Store itself is gone).
    pub state: HostState,
}

pub struct GuestEngine {
    engine: wasmtime::Engine,
    linker: Linker<HostState>,
    components_dir: PathBuf,
    stop_ticker: Arc<AtomicBool>,
}

impl GuestEngine {
    pub fn new(components_dir: PathBuf) -> wasmtime::Result<Self> {
        let mut cfg = wasmtime::Config::new();
        cfg.epoch_interruption(true);
        cfg.wasm_component_model(true);
        let engine = wasmtime::Engine::new(&cfg)?;
        let mut linker: Linker<HostState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        Experiment::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)?;
        let stop_ticker = Arc::new(AtomicBool::new(false));
        let (stop, ticking) = (stop_ticker.clone(), engine.clone());
        std::thread::Builder::new()
            .name("faaslab-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    ticking.increment_epoch();
                }
            })
            .map_err(wasmtime::Error::msg)?;
        Ok(Self {
            engine,
            linker,
            components_dir,
            stop_ticker,
        })
    }

    /// The wasmtime engine every guest (experiments and policies) runs in.
    pub fn wasmtime(&self) -> &wasmtime::Engine {
        &self.engine
    }

    /// A short hex digest of what makes compiled code compatible with this engine.
    pub fn compatibility_key(&self) -> String {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.engine.precompile_compatibility_hash().hash(&mut h);
        env!("CARGO_PKG_VERSION").hash(&mut h);
        format!("{:016x}", h.finish())
    }

    /// Run `run(config_json)` of a loaded script in a fresh Store.
    pub async fn run(
        &self,
        script: &LoadedScript,
        state: HostState,
        config_json: &str,
    ) -> GuestRun {
        let limits = state.ctx.config.limits.clone();
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(1);
        let tick_s = TICK.as_secs_f64();
        let max_ticks = (limits.max_wasm_time_s / tick_s).ceil() as u64;
        store.epoch_deadline_callback(move |mut ctx| {
            let s = ctx.data_mut();
            s.wasm_ticks += 1;
            if s.wasm_ticks > max_ticks {
                s.wasm_time_exceeded = true;
                return Err(wasmtime::Error::msg("wasm execution budget used up"));
            }
            Ok(UpdateDeadline::Yield(1))
        });
        let mut instantiate_us = None;
        let wall = Duration::from_secs_f64(limits.max_wall_time_s);
        let outcome = tokio::time::timeout(wall, async {
            let t0 = Instant::now();
            let instance = script
                .pre
                .instantiate_async(&mut store)
                .await
                .map_err(|e| RunError::Instantiate(format!("{e:#}")))?;
            instantiate_us = Some(t0.elapsed().as_micros() as u64);
            Ok::<_, RunError>(instance.call_run(&mut store, config_json).await)
        })
        .await;
        let state = store.into_data();
        let result = match outcome {
            Err(_) => Err(RunError::WallTime(limits.max_wall_time_s)),
            Ok(Err(e)) => Err(e),
            Ok(Ok(Ok(Ok(summary)))) => Ok(summary),
            Ok(Ok(Ok(Err(message)))) => Err(RunError::Guest(message)),
            Ok(Ok(Err(trap))) => Err(classify_trap(&state, &limits, trap)),
        };
        GuestRun {
            result,
            instantiate_us,
            state,
        }
    }
}

fn classify_trap(
    state: &HostState,
    limits: &crate::config::GuestLimits,
    error: wasmtime::Error,
) -> RunError {
    if state.wasm_time_exceeded {
        return RunError::WasmTime(limits.max_wasm_time_s);
    }
    match state.limiter.hit {
        Some(LimitHit::Memory { .. }) => return RunError::Memory(limits.max_memory_mb),
        Some(LimitHit::Table { .. }) => return RunError::Table(limits.max_table_elements),
        None => {}
    }
    let mut message = format!("{error:#}");
    if let Some(trap) = error.downcast_ref::<wasmtime::Trap>() {
        message = format!("{trap} ({})", first_line(&message));
    }
    RunError::Trap(first_line(&message).to_string())
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

impl Drop for GuestEngine {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
}
