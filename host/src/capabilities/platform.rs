//! `platform`: deploy benchmarks and invoke functions. Invocations run in the driver;
//! each is recorded before the guest sees it.

use std::sync::Arc;

use bytes::Bytes;
use wasmtime::component::Resource;

use super::HostState;
use super::convert::{config_from_wit, config_to_wit, error_to_wit, result_to_wit};
use crate::config::InputSize;
use crate::driver::{BatchOutcome, BatchTarget, run_batch_with, run_schedule_with};
use crate::engine::bindings::platform;
use crate::engine::bindings::types::{Error, ExecutionResult, FunctionConfig};
use crate::measure::{DeploymentInfo, Event};
use crate::providers::{Function, Trigger, TriggerKind, get_function, remember_config};

/// A deployed function as a guest holds it.
pub struct FunctionHandle {
    pub function: Arc<dyn Function>,
    pub trigger: Arc<dyn Trigger>,
}

type WitResult<T> = wasmtime::Result<Result<T, Error>>;

/// How a set of payloads is sent.
enum Execution {
    /// Closed loop with this many in flight.
    Batch(u32),
    /// Open loop at these offsets (µs from the schedule's start).
    Schedule(Vec<u64>),
}

impl HostState {
    fn handle(&self, f: &Resource<FunctionHandle>) -> wasmtime::Result<&FunctionHandle> {
        Ok(self.table.get(f)?)
    }

    async fn execute(
        &mut self,
        f: &Resource<FunctionHandle>,
        how: Execution,
        payloads: Vec<Bytes>,
    ) -> WitResult<Vec<ExecutionResult>> {
        let h = self.handle(f)?;
        let target = Arc::new(BatchTarget {
            trigger: h.trigger.clone(),
            function: h.function.clone(),
            platform: self.ctx.provider.name().to_string(),
            series: self.series.clone(),
        });
        let recorder = self.ctx.recorder.clone();
        // A series the sampler ended gets nothing more sent (docs/policies.md).
        if self.ctx.policies.series_stop(&self.series).is_some() {
            return Ok(Ok(Vec::new()));
        }
        let hooks = crate::policy::PolicyHooks::for_run(self.ctx.clone());
        let BatchOutcome {
            results,
            budget_exhausted,
        } = match how {
            Execution::Batch(concurrency) => {
                run_batch_with(&recorder, &target, payloads, concurrency as usize, &hooks).await
            }
            Execution::Schedule(offsets) => {
                run_schedule_with(&recorder, &target, offsets, payloads, &hooks).await
            }
        };
        if budget_exhausted {
            let detail = format!(
                "the run's {} invocations (limits.max_invocations) are used up",
                recorder.budget().limit()
            );
            self.ctx.event(&Event::BudgetExhausted {
                budget: "max_invocations".into(),
                detail: detail.clone(),
            });
            return Ok(Err(Error::BudgetExhausted(detail)));
        }
        Ok(Ok(results.into_iter().map(result_to_wit).collect()))
    }
}

impl platform::Host for HostState {
    async fn platform_name(&mut self) -> wasmtime::Result<String> {
        Ok(self.ctx.provider.name().to_string())
    }

    async fn default_config(&mut self) -> wasmtime::Result<FunctionConfig> {
        Ok(config_to_wit(&self.ctx.config.function))
    }

    async fn deploy(
        &mut self,
        benchmark: String,
        config: Option<FunctionConfig>,
    ) -> WitResult<Resource<FunctionHandle>> {
        self.check_arg("benchmark", benchmark.len())?;
        let max = self.ctx.config.limits.max_resources;
        if self.live_functions >= max {
            return Err(wasmtime::Error::msg(format!(
                "guest holds {max} function handles, the cap (limits.max_resources)"
            )));
        }
        let ctx = self.ctx.clone();
        let bench = match ctx.catalog.get(&benchmark) {
            Ok(b) => b,
            Err(e) => return Ok(Err(Error::NotFound(e.to_string()))),
        };
        let config = config
            .map(config_from_wit)
            .unwrap_or_else(|| ctx.config.function.clone());
        if let Err((field, msg)) = config.validate() {
            return Ok(Err(Error::Invalid(format!("config.{field}: {msg}"))));
        }
        let first_time = !ctx
            .deployments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|d| d.benchmark == bench.id);
        let force = ctx.config.force_rebuild && first_time;
        let deployment = match get_function(
            ctx.provider.as_ref(),
            &ctx.cache,
            &ctx.resources,
            &bench,
            &config,
            force,
        )
        .await
        {
            Ok(d) => d,
            Err(e) => return Ok(Err(error_to_wit(e))),
        };
        let info = DeploymentInfo {
            function: deployment.function.name().to_string(),
            benchmark: bench.id.clone(),
            action: deployment.action.as_str().to_string(),
            code_hash: deployment.code_hash.clone(),
            package_built: deployment.package_built,
        };
        ctx.record_deployment(info);
        let trigger = match ctx
            .provider
            .create_trigger(&deployment.function, TriggerKind::Http)
            .await
        {
            Ok(t) => t,
            Err(e) => return Ok(Err(error_to_wit(e))),
        };
        let handle = self.table.push(FunctionHandle {
            function: deployment.function,
            trigger,
        })?;
        self.live_functions += 1;
        Ok(Ok(handle))
    }

    async fn benchmark_input(&mut self, benchmark: String, size: String) -> WitResult<String> {
        self.check_arg("benchmark", benchmark.len())?;
        self.check_arg("size", size.len())?;
        let Some(size) = InputSize::parse(&size) else {
            return Ok(Err(Error::Invalid(format!(
                "unknown input size `{size}` (known: test, small, large)"
            ))));
        };
        let ctx = self.ctx.clone();
        let bench = match ctx.catalog.get(&benchmark) {
            Ok(b) => b,
            Err(e) => return Ok(Err(Error::NotFound(e.to_string()))),
        };
        let python = ctx.config.platforms.local_process.python.clone();
        Ok(ctx
            .catalog
            .run_input(&bench, size, &python, &ctx.cache, ctx.storage.storage())
            .await
            .map_err(|e| Error::Provider(e.to_string())))
    }
}

impl platform::HostFunction for HostState {
    async fn name(&mut self, f: Resource<FunctionHandle>) -> wasmtime::Result<String> {
        Ok(self.handle(&f)?.function.name().to_string())
    }

    async fn benchmark(&mut self, f: Resource<FunctionHandle>) -> wasmtime::Result<String> {
        Ok(self.handle(&f)?.function.benchmark().to_string())
    }

    async fn config(&mut self, f: Resource<FunctionHandle>) -> wasmtime::Result<FunctionConfig> {
        Ok(config_to_wit(&self.handle(&f)?.function.config()))
    }

    async fn invoke(
        &mut self,
        f: Resource<FunctionHandle>,
        payload: String,
    ) -> WitResult<ExecutionResult> {
        self.check_arg("payload", payload.len())?;
        let series = self.series.clone();
        let stopped = self.ctx.policies.series_stop(&series);
        Ok(self
            .execute(&f, Execution::Batch(1), vec![Bytes::from(payload)])
            .await?
            .and_then(|mut v| {
                v.pop().ok_or_else(|| {
                    Error::BudgetExhausted(format!(
                        "series `{series}` was ended by the sampler: {}",
                        stopped.unwrap_or_default()
                    ))
                })
            }))
    }

    async fn invoke_batch(
        &mut self,
        f: Resource<FunctionHandle>,
        payloads: Vec<String>,
        concurrency: u32,
    ) -> WitResult<Vec<ExecutionResult>> {
        let limits = &self.ctx.config.limits;
        if payloads.len() as u64 > limits.max_batch {
            return Ok(Err(Error::Invalid(format!(
                "batch of {} payloads is over the cap of {} (limits.max_batch)",
                payloads.len(),
                limits.max_batch
            ))));
        }
        if concurrency == 0 || concurrency > limits.max_concurrency {
            return Ok(Err(Error::Invalid(format!(
                "concurrency {concurrency} is outside 1..={} (limits.max_concurrency)",
                limits.max_concurrency
            ))));
        }
        for p in &payloads {
            self.check_arg("payloads", p.len())?;
        }
        let payloads = payloads.into_iter().map(Bytes::from).collect();
        self.execute(&f, Execution::Batch(concurrency), payloads)
            .await
    }

    async fn invoke_schedule(
        &mut self,
        f: Resource<FunctionHandle>,
        offsets_us: Vec<u64>,
        payloads: Vec<String>,
    ) -> WitResult<Vec<ExecutionResult>> {
        let limits = &self.ctx.config.limits;
        if offsets_us.len() as u64 > limits.max_batch {
            return Ok(Err(Error::Invalid(format!(
                "schedule of {} requests is over the cap of {} (limits.max_batch)",
                offsets_us.len(),
                limits.max_batch
            ))));
        }
        if payloads.is_empty() || (payloads.len() != 1 && payloads.len() != offsets_us.len()) {
            return Ok(Err(Error::Invalid(format!(
                "{} payloads for {} offsets: give one per offset, or one for all",
                payloads.len(),
                offsets_us.len()
            ))));
        }
        if offsets_us.windows(2).any(|w| w[1] < w[0]) {
            return Ok(Err(Error::Invalid("offsets-us must not decrease".into())));
        }
        let wall_left = self
            .ctx
            .deadline
            .saturating_duration_since(std::time::Instant::now());
        if let Some(&last) = offsets_us.last()
            && std::time::Duration::from_micros(last) > wall_left
        {
            return Ok(Err(Error::BudgetExhausted(format!(
                "the schedule lasts {} s, past the run's wall-time budget (limits.max_wall_time_s)",
                last as f64 / 1e6
            ))));
        }
        for p in &payloads {
            self.check_arg("payloads", p.len())?;
        }
        let payloads = payloads.into_iter().map(Bytes::from).collect();
        self.execute(&f, Execution::Schedule(offsets_us), payloads)
            .await
    }

    async fn update_config(
        &mut self,
        f: Resource<FunctionHandle>,
        config: FunctionConfig,
    ) -> WitResult<()> {
        let config = config_from_wit(config);
        if let Err((field, msg)) = config.validate() {
            return Ok(Err(Error::Invalid(format!("config.{field}: {msg}"))));
        }
        let function = self.handle(&f)?.function.clone();
        let ctx = self.ctx.clone();
        if let Err(e) = ctx
            .provider
            .update_function_configuration(&function, &config)
            .await
        {
            return Ok(Err(error_to_wit(e)));
        }
        Ok(
            remember_config(&ctx.cache, ctx.provider.name(), function.as_ref(), &config)
                .await
                .map_err(error_to_wit),
        )
    }

    async fn enforce_cold_start(&mut self, f: Resource<FunctionHandle>) -> WitResult<()> {
        let ctx = self.ctx.clone();
        let handle = self.table.get_mut(&f)?;
        Ok(crate::policy::enforce_cold_start(&ctx, handle)
            .await
            .map_err(error_to_wit))
    }

    async fn drop(&mut self, f: Resource<FunctionHandle>) -> wasmtime::Result<()> {
        self.table.delete(f)?;
        self.live_functions = self.live_functions.saturating_sub(1);
        Ok(())
    }
}

impl crate::engine::bindings::types::Host for HostState {}
