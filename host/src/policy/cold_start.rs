//! `enforce-cold-start` as the run's cold-start policy plans it, executed by the host:
//! the platform's own way, a configuration update, a fresh copy of the function under
//! a new name, or a host-side wait for eviction.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::bindings::cold_start::{ColdStartOutcome, ColdStartPlan, ColdStartStrategy};
use super::hooks::record_fallback;
use crate::capabilities::RunContext;
use crate::capabilities::platform::FunctionHandle;
use crate::measure::{DeploymentInfo, Event};
use crate::providers::{ProviderError, ProviderResult, TriggerKind, remember_config};

pub(super) fn plan_name(plan: &ColdStartPlan) -> &'static str {
    match plan {
        ColdStartPlan::Platform => "platform",
        ColdStartPlan::ConfigUpdate => "config-update",
        ColdStartPlan::FreshCopy => "fresh-copy",
        ColdStartPlan::WaitEvictionUs(_) => "wait-eviction",
    }
}

/// Force a cold start of the function `handle` holds; with a fresh copy, `handle`
/// then holds the copy.
pub async fn enforce_cold_start(
    ctx: &Arc<RunContext>,
    handle: &mut FunctionHandle,
) -> ProviderResult<()> {
    let from = handle.function.name().to_string();
    let (mut plan, fallback) = ctx
        .policies
        .plan_cold_start(&from, ctx.provider.name())
        .await;
    if let Some(f) = &fallback {
        record_fallback(ctx, f, "platform");
    }
    if let ColdStartPlan::WaitEvictionUs(us) = plan {
        let wait = Duration::from_micros(us);
        let problem = if wait.as_secs_f64() > ctx.config.limits.max_sleep_s {
            Some("over limits.max_sleep_s")
        } else if Instant::now() + wait >= ctx.deadline {
            Some("past the run's wall-time budget (limits.max_wall_time_s)")
        } else {
            None
        };
        if let Some(problem) = problem {
            tracing::warn!(
                "cold-start policy asked to wait {} s, {problem}: using the platform's cold start",
                wait.as_secs_f64()
            );
            ctx.event(&Event::Note {
                text: format!(
                    "cold-start policy asked to wait {} s for eviction, {problem}; the platform's cold start was used",
                    wait.as_secs_f64()
                ),
            });
            plan = ColdStartPlan::Platform;
        }
    }
    let (strategy, wait_us) = match plan {
        ColdStartPlan::Platform => {
            ctx.provider
                .enforce_cold_start(std::slice::from_ref(&handle.function))
                .await?;
            (ColdStartStrategy::Platform, 0)
        }
        ColdStartPlan::ConfigUpdate => {
            let mut config = handle.function.config();
            // Toggle within the pair (2k, 2k+1): a real change the platform must
            // deploy, that the next toggle undoes.
            config.timeout_s = if config.timeout_s % 2 == 1 && config.timeout_s > 1 {
                config.timeout_s - 1
            } else {
                config.timeout_s + 1
            };
            ctx.provider
                .update_function_configuration(&handle.function, &config)
                .await?;
            remember_config(
                &ctx.cache,
                ctx.provider.name(),
                handle.function.as_ref(),
                &config,
            )
            .await?;
            (ColdStartStrategy::ConfigUpdate, 0)
        }
        ColdStartPlan::FreshCopy => {
            fresh_copy(ctx, handle).await?;
            (ColdStartStrategy::FreshCopy, 0)
        }
        ColdStartPlan::WaitEvictionUs(us) => {
            tokio::time::sleep(Duration::from_micros(us)).await;
            (ColdStartStrategy::WaitEviction, us)
        }
    };
    let function = handle.function.name().to_string();
    ctx.event(&Event::ColdStart {
        function: function.clone(),
        strategy: plan_name(&plan).to_string(),
        wait_us,
        policy: ctx.policies.cold_start_policy_name(),
    });
    ctx.policies.cold_start_done(
        &from,
        &function,
        ColdStartOutcome {
            strategy,
            wait_us,
            cold: None,
        },
    );
    Ok(())
}

/// Deploy a copy of the function under a new name (same package and configuration)
/// and point the handle at it. The copy is recorded as a deployment of the run.
async fn fresh_copy(ctx: &Arc<RunContext>, handle: &mut FunctionHandle) -> ProviderResult<()> {
    let original = handle.function.clone();
    let bench = ctx
        .catalog
        .get(original.benchmark())
        .map_err(|e| ProviderError::NotFound(e.to_string()))?;
    let config = original.config();
    let package = ctx
        .provider
        .package_code(&bench, &config, &ctx.cache, false)
        .await?;
    let short = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let base = original
        .name()
        .split("-copy-")
        .next()
        .unwrap_or(original.name());
    let name = format!("{base}-copy-{short}");
    let function = ctx
        .provider
        .create_function(&package, &name, &config)
        .await?;
    let trigger = ctx
        .provider
        .create_trigger(&function, TriggerKind::Http)
        .await?;
    let info = DeploymentInfo {
        function: name.clone(),
        benchmark: bench.id.clone(),
        action: "fresh-copy".into(),
        code_hash: package.hash.clone(),
        package_built: package.built,
    };
    ctx.record_deployment(info);
    handle.function = function;
    handle.trigger = trigger;
    Ok(())
}
