//! perf-cost: SeBS's perf-cost experiment as a faaslab experiment script.
//!
//! For every memory size and every kind of invocation (cold, warm, burst, sequential)
//! it fills the series `<kind>-<mem>mb` with exactly `repetitions` accepted results.
//! The host times and records every invocation; this script only decides what to
//! invoke and discards the results that do not belong in a series, with the reason.

wit_bindgen::generate!({ path: "../../../wit", world: "experiment" });

include!("../../shared/host_call.rs");

// What this script needs beyond the run's platform and benchmark: no storage bucket
// (`faaslab script inspect` shows it; the host narrows the run's grants to it).
faaslab_manifest::declare!(r#"{"buckets": []}"#);

use faaslab::host::log::{Level, log};
use faaslab::host::platform::{self, Function};
use faaslab::host::results;
use faaslab::host::types::{ExecutionResult, FunctionConfig};
use serde_json::{Map, Value, json};

struct PerfCost;
export!(PerfCost);

impl Guest for PerfCost {
    fn run(config: String) -> Result<String, String> {
        let config = Config::parse(&config)?;
        perf_cost(&config).map(|summary| summary.to_string())
    }
}

fn perf_cost(config: &Config) -> Result<Value, String> {
    let payload = match &config.payload {
        Some(p) => p.clone(),
        None => host(
            "benchmark-input",
            platform::benchmark_input(&config.benchmark, &config.input_size),
        )?,
    };
    let function = host("deploy", platform::deploy(&config.benchmark, None))?;
    let base = function.config();
    let memory_sizes = config
        .memory_sizes
        .clone()
        .unwrap_or_else(|| vec![base.memory_mb]);

    let mut series = Map::new();
    for memory_mb in memory_sizes {
        let deployment = FunctionConfig {
            memory_mb,
            ..base.clone()
        };
        host("update-config", function.update_config(&deployment))?;
        for &kind in &config.kinds {
            let name = format!("{}-{memory_mb}mb", kind.name());
            let stats = run_series(&function, kind, &name, &payload, config)?;
            let message = format!(
                "{name}: {}/{} accepted in {} round(s)",
                stats.accepted, config.repetitions, stats.rounds
            );
            if stats.ended_by_sampler {
                log(
                    Level::Info,
                    &format!("{message}; ended by the run's sampler policy"),
                );
            } else if stats.accepted < config.repetitions {
                let warning = format!("{message}; max_rounds ({}) reached", config.max_rounds);
                log(Level::Warn, &warning);
                results::note(&warning);
            } else {
                log(Level::Info, &message);
            }
            series.insert(name, stats.to_json(config.repetitions));
        }
    }
    Ok(json!({ "benchmark": config.benchmark, "series": series }))
}

/// Rounds of invocations until `repetitions` results are accepted or `max_rounds` ran.
fn run_series(
    function: &Function,
    kind: Kind,
    name: &str,
    payload: &str,
    config: &Config,
) -> Result<Stats, String> {
    results::begin_series(name);
    let batch = vec![payload.to_owned(); config.concurrency as usize];
    let invoke_batch = || {
        host(
            "invoke-batch",
            function.invoke_batch(&batch, config.concurrency),
        )
    };
    let mut stats = Stats::default();
    while stats.accepted < config.repetitions && stats.rounds < config.max_rounds {
        stats.rounds += 1;
        let round = match kind {
            Kind::Cold => {
                host("enforce-cold-start", function.enforce_cold_start())?;
                invoke_batch()?
            }
            Kind::Warm => {
                if stats.rounds == 1 {
                    for result in invoke_batch()? {
                        results::discard(&result.request_id, "warm-up");
                        stats.warm_up += 1;
                    }
                }
                invoke_batch()?
            }
            Kind::Burst => invoke_batch()?,
            // One after another: a batch with concurrency 1 (a sampler policy can end
            // it early, see docs/policies.md).
            Kind::Sequential => {
                let payloads =
                    vec![payload.to_owned(); (config.repetitions - stats.accepted) as usize];
                host("invoke-batch", function.invoke_batch(&payloads, 1))?
            }
        };
        if round.is_empty() {
            // The host sent nothing: a sampler policy ended the series.
            results::note(&format!("{name}: ended by the run's sampler policy"));
            stats.ended_by_sampler = true;
            break;
        }
        for result in &round {
            if let Some(reason) = stats.judge(result, kind.wants_cold(), config.repetitions) {
                results::discard(&result.request_id, &reason);
            }
        }
    }
    Ok(stats)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Cold,
    Warm,
    Burst,
    Sequential,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Cold, Kind::Warm, Kind::Burst, Kind::Sequential];

    fn name(self) -> &'static str {
        match self {
            Kind::Cold => "cold",
            Kind::Warm => "warm",
            Kind::Burst => "burst",
            Kind::Sequential => "sequential",
        }
    }

    /// `Some(cold)` when only cold (or only warm) results count; `None`: any.
    fn wants_cold(self) -> Option<bool> {
        match self {
            Kind::Cold => Some(true),
            Kind::Warm | Kind::Sequential => Some(false),
            Kind::Burst => None,
        }
    }
}

#[derive(Debug, Default, PartialEq)]
struct Stats {
    accepted: u32,
    discarded_wrong_kind: u32,
    failed: u32,
    surplus: u32,
    warm_up: u32,
    rounds: u32,
    /// The host sent nothing more: a sampler policy ended the series.
    ended_by_sampler: bool,
}

impl Stats {
    /// Accept `result` (`None`) or say why it is discarded.
    fn judge(
        &mut self,
        result: &ExecutionResult,
        wants_cold: Option<bool>,
        repetitions: u32,
    ) -> Option<String> {
        let temperature = |cold: bool| if cold { "cold" } else { "warm" };
        if let Some(failure) = &result.failure {
            self.failed += 1;
            Some(format!("failed: {failure}"))
        } else if let Some(cold) = wants_cold.filter(|&cold| cold != result.cold) {
            self.discarded_wrong_kind += 1;
            Some(format!(
                "expected {}, got {}",
                temperature(cold),
                temperature(result.cold)
            ))
        } else if self.accepted >= repetitions {
            self.surplus += 1;
            Some("surplus".to_owned())
        } else {
            self.accepted += 1;
            None
        }
    }

    fn to_json(&self, repetitions: u32) -> Value {
        json!({
            "accepted": self.accepted,
            "discarded_wrong_kind": self.discarded_wrong_kind,
            "failed": self.failed,
            "surplus": self.surplus,
            "warm_up": self.warm_up,
            "rounds": self.rounds,
            "complete": self.accepted >= repetitions,
            "ended_by_sampler": self.ended_by_sampler,
        })
    }
}

/// The parts of the run configuration this script uses; unknown fields are ignored.
#[derive(Debug, PartialEq)]
struct Config {
    benchmark: String,
    input_size: String,
    repetitions: u32,
    concurrency: u32,
    /// `None`: the deployed function's memory size.
    memory_sizes: Option<Vec<u32>>,
    kinds: Vec<Kind>,
    max_rounds: u32,
    /// `experiment.payload`: used instead of the benchmark's generated input.
    payload: Option<String>,
}

impl Config {
    fn parse(text: &str) -> Result<Config, String> {
        let root: Value =
            serde_json::from_str(text).map_err(|e| format!("config: invalid JSON: {e}"))?;
        let empty = Map::new();
        let experiment = match root.get("experiment") {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(map)) => map,
            Some(_) => return Err("experiment: expected an object".into()),
        };
        let field = |key: &str| experiment.get(key).filter(|v| !v.is_null());
        let number =
            |key: &str, default: u32| field(key).map_or(Ok(default), |v| positive_u32(v, key));
        Ok(Config {
            benchmark: string(&root, "benchmark", None)?,
            input_size: string(&root, "input_size", Some("test"))?,
            repetitions: number("repetitions", 5)?,
            concurrency: number("concurrent_invocations", 5)?,
            max_rounds: number("max_rounds", 20)?,
            payload: match field("payload") {
                None => None,
                Some(v) if v.is_object() => Some(v.to_string()),
                Some(_) => return Err("experiment.payload: expected an object".into()),
            },
            memory_sizes: field("memory_sizes")
                .map(|v| list(v, "memory_sizes", |v| positive_u32(v, "memory_sizes")))
                .transpose()?,
            kinds: field("kinds").map_or(Ok(Kind::ALL.to_vec()), |v| {
                list(v, "kinds", |v| {
                    Kind::ALL.into_iter().find(|k| Some(k.name()) == v.as_str()).ok_or_else(|| {
                        format!("experiment.kinds: unknown kind {v} (expected cold, warm, burst or sequential)")
                    })
                })
            })?,
        })
    }
}

fn string(root: &Value, key: &str, default: Option<&str>) -> Result<String, String> {
    match (root.get(key), default) {
        (Some(Value::String(s)), _) if !s.is_empty() => Ok(s.clone()),
        (None | Some(Value::Null), Some(default)) => Ok(default.to_owned()),
        (None | Some(Value::Null), None) => Err(format!("{key}: missing (expected a string)")),
        _ => Err(format!("{key}: expected a non-empty string")),
    }
}

fn positive_u32(value: &Value, key: &str) -> Result<u32, String> {
    value
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("experiment.{key}: expected a positive integer"))
}

/// A non-empty JSON array without duplicates, each item parsed by `item`.
fn list<T: PartialEq>(
    value: &Value,
    key: &str,
    item: impl Fn(&Value) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let items = value.as_array().filter(|a| !a.is_empty());
    let items = items.ok_or_else(|| format!("experiment.{key}: expected a non-empty list"))?;
    let mut parsed: Vec<T> = Vec::with_capacity(items.len());
    for value in items {
        let item = item(value)?;
        if parsed.contains(&item) {
            return Err(format!("experiment.{key}: {value} is listed twice"));
        }
        parsed.push(item);
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"{"benchmark":"010.sleep","input_size":"test","platform":"local-process","seed":42,
        "function":{"memory_mb":256,"timeout_s":30,"language":"python","language_version":"","architecture":"x86-64"},
        "experiment":{"repetitions":5,"concurrent_invocations":5,"memory_sizes":[128,256],
                      "kinds":["cold","warm","burst","sequential"],"max_rounds":20,"unknown":true}}"#;

    #[test]
    fn parses_the_example_config() {
        let config = Config::parse(EXAMPLE).unwrap();
        assert_eq!(config.benchmark, "010.sleep");
        assert_eq!(config.memory_sizes, Some(vec![128, 256]));
        assert_eq!(config.kinds, Kind::ALL);
        assert_eq!(
            (config.repetitions, config.concurrency, config.max_rounds),
            (5, 5, 20)
        );
    }

    #[test]
    fn experiment_fields_have_defaults() {
        let config = Config::parse(r#"{"benchmark":"010.sleep"}"#).unwrap();
        let expected = Config {
            benchmark: "010.sleep".into(),
            input_size: "test".into(),
            repetitions: 5,
            concurrency: 5,
            memory_sizes: None,
            kinds: Kind::ALL.to_vec(),
            max_rounds: 20,
            payload: None,
        };
        assert_eq!(config, expected);
    }

    #[test]
    fn errors_name_the_field() {
        let error = |experiment: &str| {
            Config::parse(&format!(r#"{{"benchmark":"b","experiment":{experiment}}}"#)).unwrap_err()
        };
        assert_eq!(
            error(r#"{"repetitions":"5"}"#),
            "experiment.repetitions: expected a positive integer"
        );
        assert_eq!(
            error(r#"{"concurrent_invocations":0}"#),
            "experiment.concurrent_invocations: expected a positive integer"
        );
        assert_eq!(
            error(r#"{"memory_sizes":[]}"#),
            "experiment.memory_sizes: expected a non-empty list"
        );
        assert_eq!(
            error(r#"{"memory_sizes":[128,-1]}"#),
            "experiment.memory_sizes: expected a positive integer"
        );
        assert_eq!(
            error(r#"{"memory_sizes":[128,128]}"#),
            "experiment.memory_sizes: 128 is listed twice"
        );
        assert!(
            error(r#"{"kinds":["hot"]}"#).starts_with("experiment.kinds: unknown kind \"hot\"")
        );
        assert_eq!(error("[]"), "experiment: expected an object");
        assert_eq!(
            Config::parse("{}").unwrap_err(),
            "benchmark: missing (expected a string)"
        );
        assert!(
            Config::parse("{")
                .unwrap_err()
                .starts_with("config: invalid JSON")
        );
    }

    fn result(cold: bool, failure: Option<&str>) -> ExecutionResult {
        ExecutionResult {
            request_id: "r".into(),
            series: "s".into(),
            cold,
            instance_id: "i".into(),
            send_time_us: 0,
            intended_send_time_us: None,
            client_time_us: 0,
            exec_time_us: 0,
            provider_time_us: 0,
            connection_time_us: 0,
            init_time_us: None,
            memory_peak_kib: None,
            output: String::new(),
            failure: failure.map(str::to_owned),
        }
    }

    #[test]
    fn judges_results() {
        let mut stats = Stats::default();
        let mut judge = |cold, failure, wants| stats.judge(&result(cold, failure), wants, 2);
        assert_eq!(
            judge(true, None, Some(false)).as_deref(),
            Some("expected warm, got cold")
        );
        assert_eq!(
            judge(false, Some("boom"), Some(false)).as_deref(),
            Some("failed: boom")
        );
        assert_eq!(
            judge(false, None, Some(true)).as_deref(),
            Some("expected cold, got warm")
        );
        assert_eq!(judge(true, None, None), None);
        assert_eq!(judge(false, None, None), None);
        assert_eq!(judge(false, None, None).as_deref(), Some("surplus"));
        let expected = Stats {
            accepted: 2,
            discarded_wrong_kind: 2,
            failed: 1,
            surplus: 1,
            ..Stats::default()
        };
        assert_eq!(stats, expected);
    }
}
