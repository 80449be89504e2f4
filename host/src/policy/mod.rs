//! Policies: small pure components (worlds `retry-policy`, `sampler`,
//! `cold-start-policy` in wit/policies.wit) the host's drivers consult at decision
//! points. A policy that fails is disabled for the run and the host applies a safe
//! default (give up / continue / the platform's cold start), recorded in
//! `events.jsonl` and the manifest. See docs/policies.md.

pub mod bindings;
mod cold_start;
mod config;
mod hooks;
mod resolve;
mod sandbox;
mod series_stats;

pub use cold_start::enforce_cold_start;
pub use config::PoliciesConfig;
pub use hooks::PolicyHooks;
pub use resolve::{ResolveError, guest_dirs, resolve_guest};
pub use sandbox::{PolicyCell, PolicyError, PolicyState, PolicyWorld};

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use bindings::cold_start::{ColdStartOutcome, ColdStartPlan, ColdStartPolicy, ColdStartRequest};
use bindings::retry::{FailedAttempt, RetryDecision, RetryPolicy};
use bindings::sampler::{SampleDecision, Sampler};
use series_stats::SeriesStats;

use crate::config::GuestLimits;
use crate::engine::{GuestEngine, LoadError};

/// What a run's manifest says about its policies.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PolicyReport {
    pub policies: Vec<PolicyUse>,
    /// Series the sampler ended, in the order it ended them.
    pub stopped_series: Vec<SeriesStop>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PolicyUse {
    /// `retry`, `sampler` or `cold-start`.
    pub role: String,
    pub path: String,
    pub sha256: String,
    /// Answers the policy gave, by kind (e.g. `retry`, `give-up`, `more`, `stop`,
    /// `config-update`), and `default` for decisions the host made because the
    /// policy had failed.
    pub decisions: BTreeMap<String, u64>,
    /// Why the policy was disabled, if it failed.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeriesStop {
    pub series: String,
    pub policy: String,
    pub reason: String,
    /// Completed invocations of the series when it was stopped.
    pub invocations: u64,
    /// Of them, successful and not discarded.
    pub accepted: u64,
}

/// Which policy a decision came from, for the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Retry,
    Sampler,
    ColdStart,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Retry => "retry",
            Role::Sampler => "sampler",
            Role::ColdStart => "cold-start",
        }
    }
}

/// A retry decision as the host applies it.
#[derive(Debug, Clone, PartialEq)]
pub enum Retry {
    After(Duration),
    GiveUp(String),
}

/// A policy failed: the host applied its default.
#[derive(Debug, Clone)]
pub struct Fallback {
    pub role: Role,
    pub policy: String,
    pub error: String,
    /// Whether this is the failure itself (first) rather than a later call of the
    /// already disabled policy.
    pub first: bool,
}

#[derive(Default)]
struct SamplerSeries {
    stats: SeriesStats,
    /// Ask the sampler when `stats.invocations` reaches this.
    due_at: u64,
    stopped: Option<String>,
}

/// Cold starts forced for one function (by the name it is invoked under).
#[derive(Default, Clone)]
struct ColdStartHistory {
    enforced: u32,
    previous: Option<ColdStartOutcome>,
    /// The next completed invocation tells whether the last one worked.
    awaiting: bool,
}

/// The policies of one run and their state.
#[derive(Default)]
pub struct RunPolicies {
    retry: Option<PolicyCell<RetryPolicy>>,
    sampler: Option<PolicyCell<Sampler>>,
    cold_start: Option<PolicyCell<ColdStartPolicy>>,
    config: PoliciesConfig,
    series: Mutex<HashMap<String, SamplerSeries>>,
    functions: Mutex<HashMap<String, ColdStartHistory>>,
    decisions: Mutex<BTreeMap<(Role, String), u64>>,
    errors: Mutex<BTreeMap<Role, String>>,
    stops: Mutex<Vec<SeriesStop>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl RunPolicies {
    /// No policies: the built-in behaviour (no retries, no early stop, platform cold
    /// starts).
    pub fn none() -> Self {
        Self::default()
    }

    /// Load the configured policies (paths already resolved, see
    /// [`PoliciesConfig::resolved`]) with the run's sandbox limits.
    pub fn load(
        engine: &GuestEngine,
        config: &PoliciesConfig,
        limits: &GuestLimits,
    ) -> Result<Self, LoadError> {
        let timeout = Duration::from_millis(config.call_timeout_ms);
        fn load<W: PolicyWorld>(
            engine: &GuestEngine,
            path: &Option<std::path::PathBuf>,
            limits: &GuestLimits,
            timeout: Duration,
        ) -> Result<Option<PolicyCell<W>>, LoadError> {
            path.as_deref()
                .map(|p| PolicyCell::load(engine, p, limits, timeout))
                .transpose()
        }
        Ok(Self {
            retry: load(engine, &config.retry, limits, timeout)?,
            sampler: load(engine, &config.sampler, limits, timeout)?,
            cold_start: load(engine, &config.cold_start, limits, timeout)?,
            config: config.clone(),
            ..Self::default()
        })
    }

    /// The configuration the policies were loaded from (paths resolved).
    pub fn config(&self) -> &PoliciesConfig {
        &self.config
    }

    pub fn is_empty(&self) -> bool {
        self.retry.is_none() && self.sampler.is_none() && self.cold_start.is_none()
    }

    fn count(&self, role: Role, decision: &str) {
        *lock(&self.decisions)
            .entry((role, decision.to_string()))
            .or_default() += 1;
    }

    fn fallback(&self, role: Role, e: PolicyError) -> Fallback {
        self.count(role, "default");
        let (policy, error, first) = match e {
            PolicyError::Failed { policy, message } => (policy, message, true),
            PolicyError::Disabled { policy, message } => (policy, message, false),
        };
        lock(&self.errors)
            .entry(role)
            .or_insert_with(|| error.clone());
        Fallback {
            role,
            policy,
            error,
            first,
        }
    }

    /// Whether the sampler ended `series`, and why.
    pub fn series_stop(&self, series: &str) -> Option<String> {
        self.sampler.as_ref()?;
        lock(&self.series).get(series)?.stopped.clone()
    }

    /// Ask the retry policy about a failed attempt; `None` when there is none.
    pub async fn retry(&self, attempt: FailedAttempt) -> Option<Result<Retry, Fallback>> {
        let cell = self.retry.as_ref()?;
        let answer = cell
            .call(move |w, store| Box::pin(async move { w.call_retry(store, &attempt).await }))
            .await;
        Some(match answer {
            Ok(RetryDecision::RetryAfterUs(us)) => {
                self.count(Role::Retry, "retry");
                Ok(Retry::After(Duration::from_micros(us)))
            }
            Ok(RetryDecision::GiveUp(reason)) => {
                self.count(Role::Retry, "give-up");
                Ok(Retry::GiveUp(reason))
            }
            Err(e) => Err(self.fallback(Role::Retry, e)),
        })
    }

    /// A request of `series` completed. Asks the sampler when it is due; returns the
    /// stop it decided (once per series) or the fallback when it failed.
    pub async fn completed(
        &self,
        series: &str,
        request_id: &str,
        failed: bool,
        cold: bool,
        client_time_us: u64,
        send_time_us: u64,
    ) -> Option<Result<SeriesStop, Fallback>> {
        let cell = self.sampler.as_ref()?;
        let summary = {
            let mut all = lock(&self.series);
            let s = all.entry(series.to_string()).or_default();
            s.stats
                .add(request_id, failed, cold, client_time_us, send_time_us);
            if s.stopped.is_some() || s.stats.invocations < s.due_at {
                return None;
            }
            // Not again before this call answered.
            s.due_at = u64::MAX;
            s.stats.summary(series)
        };
        let at = summary.invocations;
        let answer = cell
            .call(move |w, store| Box::pin(async move { w.call_sample(store, &summary).await }))
            .await;
        let mut all = lock(&self.series);
        let s = all.entry(series.to_string()).or_default();
        match answer {
            Ok(SampleDecision::More(n)) => {
                self.count(Role::Sampler, "more");
                s.due_at = at + u64::from(n.max(1));
                None
            }
            Ok(SampleDecision::Stop(reason)) => {
                self.count(Role::Sampler, "stop");
                s.stopped = Some(reason.clone());
                let stop = SeriesStop {
                    series: series.to_string(),
                    policy: cell.name(),
                    reason,
                    invocations: s.stats.invocations,
                    accepted: s.stats.count(),
                };
                lock(&self.stops).push(stop.clone());
                Some(Ok(stop))
            }
            Err(e) => {
                // Continue, and never ask again (the sampler is disabled).
                s.due_at = u64::MAX;
                Some(Err(self.fallback(Role::Sampler, e)))
            }
        }
    }

    /// The script discarded an invocation: it leaves the sampler's statistics.
    pub fn discarded(&self, request_id: &str) {
        if self.sampler.is_none() {
            return;
        }
        for s in lock(&self.series).values_mut() {
            if s.stats.discard(request_id) {
                return;
            }
        }
    }

    /// How to force a cold start of `function`: the policy's plan, the platform's
    /// way without a policy, or the platform's way (with the fallback) if it failed.
    pub async fn plan_cold_start(
        &self,
        function: &str,
        platform: &str,
    ) -> (ColdStartPlan, Option<Fallback>) {
        let Some(cell) = self.cold_start.as_ref() else {
            return (ColdStartPlan::Platform, None);
        };
        let history = lock(&self.functions)
            .get(function)
            .cloned()
            .unwrap_or_default();
        let request = ColdStartRequest {
            function: function.to_string(),
            platform: platform.to_string(),
            enforced: history.enforced,
            previous: history.previous,
        };
        let answer = cell
            .call(move |w, store| {
                Box::pin(async move { w.call_plan_cold_start(store, &request).await })
            })
            .await;
        match answer {
            Ok(plan) => {
                self.count(Role::ColdStart, cold_start::plan_name(&plan));
                (plan, None)
            }
            Err(e) => (
                ColdStartPlan::Platform,
                Some(self.fallback(Role::ColdStart, e)),
            ),
        }
    }

    pub fn cold_start_policy_name(&self) -> Option<String> {
        self.cold_start.as_ref().map(|c| c.name())
    }

    /// A cold start was forced; `function` is the name invoked from now on (a fresh
    /// copy's), `from` the one it was forced for.
    pub fn cold_start_done(&self, from: &str, function: &str, outcome: ColdStartOutcome) {
        let mut all = lock(&self.functions);
        let mut h = all.remove(from).unwrap_or_default();
        h.enforced += 1;
        h.previous = Some(outcome);
        h.awaiting = true;
        all.insert(function.to_string(), h);
    }

    /// The first invocation after a forced cold start tells whether it worked.
    pub fn observe_invocation(&self, function: &str, cold: bool) {
        if self.cold_start.is_none() {
            return;
        }
        if let Some(h) = lock(&self.functions).get_mut(function)
            && h.awaiting
        {
            h.awaiting = false;
            if let Some(p) = h.previous.as_mut() {
                p.cold = Some(cold);
            }
        }
    }

    /// What the manifest records; `None` without policies.
    pub fn report(&self) -> Option<PolicyReport> {
        if self.is_empty() {
            return None;
        }
        let decisions = lock(&self.decisions);
        let errors = lock(&self.errors);
        let mut policies = Vec::new();
        let mut add = |role: Role, path: &Path, sha256: &str| {
            policies.push(PolicyUse {
                role: role.as_str().to_string(),
                path: path.display().to_string(),
                sha256: sha256.to_string(),
                decisions: decisions
                    .iter()
                    .filter(|((r, _), _)| *r == role)
                    .map(|((_, d), n)| (d.clone(), *n))
                    .collect(),
                error: errors.get(&role).cloned(),
            })
        };
        if let Some(c) = &self.retry {
            add(Role::Retry, &c.path, &c.sha256);
        }
        if let Some(c) = &self.sampler {
            add(Role::Sampler, &c.path, &c.sha256);
        }
        if let Some(c) = &self.cold_start {
            add(Role::ColdStart, &c.path, &c.sha256);
        }
        Some(PolicyReport {
            policies,
            stopped_series: lock(&self.stops).clone(),
        })
    }

    /// The policies' stdout/stderr, one `[role stream] line` per line.
    pub fn output(&self) -> String {
        let mut text = String::new();
        let mut add = |role: Role, (out, err): (Vec<u8>, Vec<u8>)| {
            for (stream, bytes) in [("stdout", out), ("stderr", err)] {
                for line in String::from_utf8_lossy(&bytes).lines() {
                    text.push_str(&format!("[{} {stream}] {line}\n", role.as_str()));
                }
            }
        };
        if let Some(c) = &self.retry {
            add(Role::Retry, c.output());
        }
        if let Some(c) = &self.sampler {
            add(Role::Sampler, c.output());
        }
        if let Some(c) = &self.cold_start {
            add(Role::ColdStart, c.output());
        }
        text
    }
}
