//! Sandbox limits and budgets a run grants its script.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Longest time limit accepted (about 31 years): larger values cannot be deadlines.
const MAX_SECONDS: f64 = 1e9;

/// Limits of one guest run. Exceeding a budget is a WIT error; abusing a limit traps.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuestLimits {
    /// Linear memory the guest may grow to, MiB.
    pub max_memory_mb: u64,
    /// Wasm execution time (not time blocked in host calls), seconds.
    pub max_wasm_time_s: f64,
    /// Whole run, seconds, including time in host calls.
    pub max_wall_time_s: f64,
    /// Invocations the script may make in total.
    pub max_invocations: u64,
    /// Most invocations in flight at once (a batch's `concurrency`, an open-loop
    /// schedule's outstanding requests).
    pub max_concurrency: u32,
    /// Longest single host-side sleep, seconds.
    pub max_sleep_s: f64,
    /// Guest stdout + stderr kept, KiB (the rest is dropped and counted).
    pub max_output_kib: u64,
    /// Table elements, instances and live resource handles.
    pub max_table_elements: u64,
    pub max_instances: u64,
    pub max_resources: u64,
    /// Largest single argument (string or list) to a host call, KiB.
    pub max_arg_kib: u64,
    /// Most payloads in one batch.
    pub max_batch: u64,
    /// Function compute (memory GB × billed seconds) the run may use; none: unlimited.
    pub max_gb_seconds: Option<f64>,
    /// Estimated cost (from `prices`) the run may run up, USD; none: unlimited.
    pub max_cost_usd: Option<f64>,
    /// Bytes the guest may write through the `log` interface, KiB (later lines dropped).
    pub max_log_kib: u64,
}

impl Default for GuestLimits {
    fn default() -> Self {
        Self {
            max_memory_mb: 256,
            max_wasm_time_s: 60.0,
            max_wall_time_s: 3600.0,
            max_invocations: 100_000,
            max_concurrency: 1024,
            max_sleep_s: 3600.0,
            max_output_kib: 256,
            max_table_elements: 100_000,
            max_instances: 64,
            max_resources: 1024,
            max_arg_kib: 1024,
            max_batch: 100_000,
            max_gb_seconds: None,
            max_cost_usd: None,
            max_log_kib: 1024,
        }
    }
}

impl GuestLimits {
    /// Returns the offending field and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let positive = [
            ("max_wasm_time_s", self.max_wasm_time_s),
            ("max_wall_time_s", self.max_wall_time_s),
            ("max_sleep_s", self.max_sleep_s),
        ];
        for (name, v) in positive {
            if !(v.is_finite() && v > 0.0 && v <= MAX_SECONDS) {
                return Err((
                    name,
                    format!("must be a positive number of seconds, at most {MAX_SECONDS}"),
                ));
            }
        }
        if self.max_memory_mb == 0 || self.max_memory_mb > 16 * 1024 {
            return Err(("max_memory_mb", "must be between 1 and 16384".into()));
        }
        let optional = [
            ("max_gb_seconds", self.max_gb_seconds),
            ("max_cost_usd", self.max_cost_usd),
        ];
        for (name, v) in optional {
            if v.is_some_and(|v| !(v.is_finite() && v >= 0.0)) {
                return Err((name, "must be a non-negative number".into()));
            }
        }
        if self.max_concurrency == 0 {
            return Err(("max_concurrency", "must be at least 1".into()));
        }
        Ok(())
    }
}

/// What a platform charges, for the cost budget. Local platforms cost nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// USD per GB-second of function compute.
    #[serde(default)]
    pub gb_second_usd: f64,
    /// USD per invocation.
    #[serde(default)]
    pub request_usd: f64,
}

/// Prices by platform name (`prices` in the run config); absent platforms cost 0.
pub type PriceTable = BTreeMap<String, Price>;

/// The price of `platform` in `table` (0 when it has none).
pub fn price_of(table: &PriceTable, platform: &str) -> Price {
    table.get(platform).copied().unwrap_or_default()
}

/// Returns the offending field (below `prices`) and why.
pub fn validate_prices(table: &PriceTable) -> Result<(), (String, String)> {
    for (platform, p) in table {
        for (name, v) in [
            ("gb_second_usd", p.gb_second_usd),
            ("request_usd", p.request_usd),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err((
                    format!("prices.{platform}.{name}"),
                    "must be a non-negative number of USD".into(),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_limits_take_defaults() {
        let l: GuestLimits = serde_json::from_str(r#"{"max_invocations": 10}"#).unwrap();
        assert_eq!(l.max_invocations, 10);
        assert_eq!(l.max_memory_mb, GuestLimits::default().max_memory_mb);
    }
}
