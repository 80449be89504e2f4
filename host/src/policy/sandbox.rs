//! One policy component in its own Store: instantiated on first use, reused across
//! calls, limited like an experiment (memory, tables, instances) plus a per-call time
//! limit. A call that traps, hits a limit or runs too long discards the Store and
//! disables the policy for the rest of the run; the caller applies its safe default.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

use wasmtime::component::{InstancePre, Linker, ResourceTable};
use wasmtime::{Store, UpdateDeadline};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::config::GuestLimits;
use crate::engine::sandbox::{GuestLimiter, LimitHit};
use crate::engine::{GuestEngine, LoadError, TICK};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The data of a policy's Store: WASI with nothing granted, and the limits.
pub struct PolicyState {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: GuestLimiter,
    ticks: u64,
    max_ticks: u64,
    wasm_time_exceeded: bool,
}

impl WasiView for PolicyState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// A policy world the host can instantiate.
pub trait PolicyWorld: Sized + Send + Sync + 'static {
    type Pre: Send + Sync + 'static;
    /// World name in wit/policies.wit.
    const WORLD: &'static str;
    fn pre(pre: InstancePre<PolicyState>) -> wasmtime::Result<Self::Pre>;
    fn instantiate<'a>(
        pre: &'a Self::Pre,
        store: &'a mut Store<PolicyState>,
    ) -> BoxFuture<'a, wasmtime::Result<Self>>;
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum PolicyError {
    #[error("{policy}: {message}")]
    Failed { policy: String, message: String },
    #[error("{policy}: disabled after an earlier failure ({message})")]
    Disabled { policy: String, message: String },
}

struct Slot<W> {
    live: Option<(Store<PolicyState>, W)>,
    disabled: Option<String>,
}

/// A loaded policy of world `W`.
pub struct PolicyCell<W: PolicyWorld> {
    pub path: PathBuf,
    pub sha256: String,
    engine: wasmtime::Engine,
    pre: W::Pre,
    limits: GuestLimits,
    call_timeout: Duration,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
    slot: tokio::sync::Mutex<Slot<W>>,
}

impl<W: PolicyWorld> PolicyCell<W> {
    /// Compile (cached) and link a policy component of world `W`.
    pub fn load(
        engine: &GuestEngine,
        path: &Path,
        limits: &GuestLimits,
        call_timeout: Duration,
    ) -> Result<Self, LoadError> {
        let name = path.display().to_string();
        let reject = |message: String| LoadError::Rejected {
            path: name.clone(),
            message,
        };
        let compiled = engine.compile(path)?;
        let mut linker: Linker<PolicyState> = Linker::new(engine.wasmtime());
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| reject(format!("cannot link WASI: {e:#}")))?;
        let pre = linker.instantiate_pre(&compiled.component).map_err(|e| {
            reject(format!(
                "needs imports a `{}` policy does not get (only WASI, empty): {e:#}",
                W::WORLD
            ))
        })?;
        let pre = W::pre(pre).map_err(|e| {
            reject(format!(
                "is not a `{}` policy (wit/policies.wit): {e:#}",
                W::WORLD
            ))
        })?;
        let cap = (limits.max_output_kib as usize).saturating_mul(1024);
        Ok(Self {
            path: path.to_path_buf(),
            sha256: compiled.sha256,
            engine: engine.wasmtime().clone(),
            pre,
            limits: limits.clone(),
            call_timeout,
            stdout: MemoryOutputPipe::new(cap),
            stderr: MemoryOutputPipe::new(cap),
            slot: tokio::sync::Mutex::new(Slot {
                live: None,
                disabled: None,
            }),
        })
    }

    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }

    /// What the policy wrote to stdout / stderr (capped).
    pub fn output(&self) -> (Vec<u8>, Vec<u8>) {
        (
            self.stdout.contents().to_vec(),
            self.stderr.contents().to_vec(),
        )
    }

    fn new_store(&self) -> Store<PolicyState> {
        let wasi = WasiCtx::builder()
            .stdout(self.stdout.clone())
            .stderr(self.stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let max_ticks = (self.call_timeout.as_secs_f64() / TICK.as_secs_f64()).ceil() as u64;
        let state = PolicyState {
            wasi,
            table: ResourceTable::new(),
            limiter: GuestLimiter::new(&self.limits),
            ticks: 0,
            max_ticks: max_ticks.max(1),
            wasm_time_exceeded: false,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.epoch_deadline_callback(|mut ctx| {
            let s = ctx.data_mut();
            s.ticks += 1;
            if s.ticks > s.max_ticks {
                s.wasm_time_exceeded = true;
                return Err(wasmtime::Error::msg("policy call time limit used up"));
            }
            Ok(UpdateDeadline::Yield(1))
        });
        store
    }

    /// Call the policy: `f` gets the instance and its Store. Any failure disables it.
    pub async fn call<R: Send>(
        &self,
        f: impl for<'a> FnOnce(&'a W, &'a mut Store<PolicyState>) -> BoxFuture<'a, wasmtime::Result<R>>
        + Send,
    ) -> Result<R, PolicyError> {
        let mut slot = self.slot.lock().await;
        if let Some(message) = &slot.disabled {
            return Err(PolicyError::Disabled {
                policy: self.name(),
                message: message.clone(),
            });
        }
        let timeout = self.call_timeout;
        let outcome = {
            let slot = &mut *slot;
            tokio::time::timeout(timeout, async {
                if slot.live.is_none() {
                    let mut store = self.new_store();
                    store.set_epoch_deadline(1);
                    let instance = W::instantiate(&self.pre, &mut store)
                        .await
                        .map_err(|e| (format!("cannot be instantiated: {e:#}"), None))?;
                    slot.live = Some((store, instance));
                }
                let (store, instance) = slot.live.as_mut().expect("instantiated above");
                store.data_mut().ticks = 0;
                store.set_epoch_deadline(1);
                f(instance, store).await.map_err(|e| {
                    let s = store.data();
                    (
                        format!("{e:#}"),
                        Some((s.wasm_time_exceeded, s.limiter.hit.clone())),
                    )
                })
            })
            .await
        };
        let message = match outcome {
            Ok(Ok(r)) => return Ok(r),
            Ok(Err((message, seen))) => self.classify(&message, seen),
            Err(_) => format!(
                "did not answer within {} ms (policies.call_timeout_ms) and was stopped",
                timeout.as_millis()
            ),
        };
        slot.live = None;
        slot.disabled = Some(message.clone());
        tracing::warn!("policy {}: {message}", self.name());
        Err(PolicyError::Failed {
            policy: self.name(),
            message,
        })
    }

    fn classify(&self, message: &str, seen: Option<(bool, Option<LimitHit>)>) -> String {
        let first = message.lines().next().unwrap_or(message);
        match seen {
            Some((true, _)) => format!(
                "used up its call time limit of {} ms (policies.call_timeout_ms) and was stopped",
                self.call_timeout.as_millis()
            ),
            Some((_, Some(LimitHit::Memory { .. }))) => format!(
                "exceeded its memory limit of {} MiB (limits.max_memory_mb) and was stopped",
                self.limits.max_memory_mb
            ),
            Some((_, Some(LimitHit::Table { .. }))) => format!(
                "exceeded its table limit of {} elements (limits.max_table_elements) and was stopped",
                self.limits.max_table_elements
            ),
            _ => format!("trapped: {first}"),
        }
    }
}
