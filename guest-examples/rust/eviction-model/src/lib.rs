//! eviction-model: how long does an idle instance stay warm?
//!
//! For each idle time t in `sleeps_s` (and each of `repetitions` rounds): invoke once
//! to have a warm instance (discarded as "priming"), sleep host-side for t, invoke
//! again and record whether that probe was served warm (by an instance that already
//! existed). The probes are labelled series "eviction-<t>s", so results.csv holds one
//! row per probe with its `cold` flag; each also gives a measurement
//! (series "eviction-model", name "warm@<t>s", 1 = warm, 0 = cold) and a row of the
//! returned `rows` table (`sleep_s`, `repetition`, `warm`, `same_instance`).
//!
//! `experiment` fields: `sleeps_s` (list of seconds, required), `repetitions` (1),
//! `payload` (an object; default: the benchmark's generated input).

wit_bindgen::generate!({ path: "../../../wit", world: "experiment" });
include!("../../shared/host_call.rs");

use faaslab::host::log::{Level, log};
use faaslab::host::{clock, platform, results};
use serde_json::{Value, json};

struct EvictionModel;
export!(EvictionModel);

impl Guest for EvictionModel {
    fn run(config: String) -> Result<String, String> {
        let (root, exp) = parse_config(&config)?;
        let exp = &exp;
        let sleeps: Vec<f64> = match exp.get("sleeps_s") {
            Some(Value::Array(a)) if !a.is_empty() => a
                .iter()
                .map(|v| {
                    v.as_f64()
                        .filter(|s| s.is_finite() && *s >= 0.0)
                        .ok_or("experiment.sleeps_s: expected non-negative numbers of seconds")
                })
                .collect::<Result<_, _>>()?,
            _ => return Err("experiment.sleeps_s: expected a non-empty list of seconds".into()),
        };
        let repetitions = match exp.get("repetitions") {
            None => 1,
            Some(v) => v
                .as_u64()
                .filter(|&n| n > 0)
                .ok_or("experiment.repetitions: expected a positive integer")?,
        };
        let benchmark = root
            .get("benchmark")
            .and_then(Value::as_str)
            .ok_or("benchmark: expected a string")?;
        let payload = match exp.get("payload") {
            Some(p) if p.is_object() => p.to_string(),
            Some(_) => return Err("experiment.payload: expected an object".into()),
            None => {
                let size = root
                    .get("input_size")
                    .and_then(Value::as_str)
                    .unwrap_or("test");
                host(
                    "benchmark-input",
                    platform::benchmark_input(benchmark, size),
                )?
            }
        };
        let function = host("deploy", platform::deploy(benchmark, None))?;

        let mut rows = Vec::new();
        let mut csv = String::from("sleep_s,repetition,warm,same_instance\n");
        for repetition in 0..repetitions {
            for &sleep_s in &sleeps {
                results::begin_series("priming");
                let prime = host("invoke", function.invoke(&payload))?;
                results::discard(&prime.request_id, "priming");
                if let Some(f) = &prime.failure {
                    return Err(format!("priming invocation failed: {f}"));
                }
                host("sleep", clock::sleep_us((sleep_s * 1e6).round() as u64))?;
                results::begin_series(&format!("eviction-{sleep_s}s"));
                let probe = host("invoke", function.invoke(&payload))?;
                if let Some(f) = &probe.failure {
                    results::note(&format!("probe after {sleep_s} s failed: {f}"));
                    continue;
                }
                let warm = !probe.cold;
                let same = probe.instance_id == prime.instance_id;
                results::measurement(
                    "eviction-model",
                    &format!("warm@{sleep_s}s"),
                    if warm { 1.0 } else { 0.0 },
                    "bool",
                );
                csv.push_str(&format!("{sleep_s},{repetition},{warm},{same}\n"));
                rows.push(json!({
                    "sleep_s": sleep_s,
                    "repetition": repetition,
                    "warm": warm,
                    "same_instance": same,
                    "client_time_us": probe.client_time_us,
                }));
                log(
                    Level::Info,
                    &format!(
                        "after {sleep_s} s idle: {}",
                        if warm { "warm" } else { "cold" }
                    ),
                );
            }
        }
        results::note(&format!("eviction-model results (CSV):\n{csv}"));
        Ok(json!({ "rows": rows, "csv": csv }).to_string())
    }
}
