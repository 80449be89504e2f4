//! open-loop: arrival patterns as schedules the host fires precisely.
//!
//! The script only computes offsets (constant rate, Poisson, bursts as STeLLAR does,
//! or a per-minute trace) and hands them to `invoke-schedule`; the host sends each
//! request at its intended time whether or not earlier ones returned, and records
//! intended and actual send times, so latencies are free of coordinated omission.
//!
//! `experiment` fields: `pattern` ("constant" | "poisson" | "bursty" | "trace"),
//! `rate_per_s`, `duration_s`, `burst_size`, `burst_interval_ms`, `trace` (CSV text
//! `minute,count` per line), `trace_minute_s` (seconds one trace minute lasts, default
//! 60), `payload` (instead of the benchmark's generated input), `stall_every` +
//! `stall_payload` (every n-th request sends that payload instead), `prewarm` (that many
//! concurrent warm-up invocations first, discarded).

wit_bindgen::generate!({ path: "../../../wit", world: "experiment" });

include!("../../shared/host_call.rs");

// What this script needs beyond the run's platform and benchmark: no storage bucket
// (`faaslab script inspect` shows it; the host narrows the run's grants to it).
faaslab_manifest::declare!(r#"{"buckets": []}"#);

use faaslab::host::log::{Level, log};
use faaslab::host::{platform, random, results};
use serde_json::{Map, Value, json};

struct OpenLoop;
export!(OpenLoop);

impl Guest for OpenLoop {
    fn run(config: String) -> Result<String, String> {
        let root: Value =
            serde_json::from_str(&config).map_err(|e| format!("config: invalid JSON: {e}"))?;
        let empty = Map::new();
        let exp = root
            .get("experiment")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let pattern = Pattern::parse(exp, || random::next_f64())?;
        let offsets = pattern.offsets_us();
        if offsets.is_empty() {
            return Err("experiment: the pattern yields no requests".into());
        }
        let benchmark = root
            .get("benchmark")
            .and_then(Value::as_str)
            .ok_or("benchmark: expected a string")?;
        let size = root
            .get("input_size")
            .and_then(Value::as_str)
            .unwrap_or("test");
        let payload = match exp.get("payload") {
            Some(p) if p.is_object() => p.to_string(),
            Some(_) => return Err("experiment.payload: expected an object".into()),
            None => host(
                "benchmark-input",
                platform::benchmark_input(benchmark, size),
            )?,
        };
        let payloads = match (exp.get("stall_every").and_then(Value::as_u64), exp.get("stall_payload")) {
            (Some(every), Some(stall)) if every > 0 => (0..offsets.len() as u64)
                .map(|i| if (i + 1) % every == 0 { stall.to_string() } else { payload.clone() })
                .collect(),
            (None, None) => vec![payload],
            _ => return Err("experiment.stall_every / stall_payload: give both (a positive integer and a payload object)".into()),
        };
        let function = host("deploy", platform::deploy(benchmark, None))?;
        let series = format!("open-loop-{}", pattern.name());
        results::begin_series(&series);
        if let Some(n) = exp
            .get("prewarm")
            .and_then(Value::as_u64)
            .filter(|&n| n > 0)
        {
            // Start instances before the schedule so it measures steady state; these
            // results stay in the record, discarded as "warm-up".
            let n = u32::try_from(n).map_err(|_| "experiment.prewarm: too large")?;
            let warm = host(
                "invoke-batch",
                function.invoke_batch(&vec![payloads[0].clone(); n as usize], n),
            )?;
            for r in warm {
                results::discard(&r.request_id, "warm-up");
            }
        }
        log(
            Level::Info,
            &format!(
                "{series}: firing {} requests over {:.1} s",
                offsets.len(),
                *offsets.last().unwrap_or(&0) as f64 / 1e6
            ),
        );
        let done = host(
            "invoke-schedule",
            function.invoke_schedule(&offsets, &payloads),
        )?;
        let mut lateness: Vec<u64> = done
            .iter()
            .filter_map(|r| {
                r.intended_send_time_us
                    .map(|i| r.send_time_us.saturating_sub(i))
            })
            .collect();
        lateness.sort_unstable();
        let pick = |q: f64| {
            lateness
                .get(((lateness.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or(0)
        };
        Ok(json!({
            "series": series,
            "scheduled": offsets.len(),
            "fired": done.len(),
            "failed": done.iter().filter(|r| r.failure.is_some()).count(),
            "cold": done.iter().filter(|r| r.cold).count(),
            "lateness_p50_us": pick(0.5),
            "lateness_p99_us": pick(0.99),
        })
        .to_string())
    }
}

/// An arrival pattern, ready to turn into offsets.
#[derive(Debug, Clone, PartialEq)]
enum Pattern {
    Constant {
        rate: f64,
        duration_s: f64,
    },
    /// Inter-arrival times drawn up front (deterministic for a seed).
    Poisson {
        gaps_us: Vec<f64>,
    },
    Bursty {
        size: u64,
        interval_us: u64,
        duration_s: f64,
    },
    Trace {
        counts: Vec<u64>,
        minute_us: u64,
    },
}

fn number(exp: &Map<String, Value>, key: &str, default: Option<f64>) -> Result<f64, String> {
    match exp.get(key) {
        None | Some(Value::Null) => default.ok_or_else(|| format!("experiment.{key}: required")),
        Some(v) => v
            .as_f64()
            .filter(|x| x.is_finite() && *x > 0.0)
            .ok_or_else(|| format!("experiment.{key}: expected a positive number")),
    }
}

impl Pattern {
    fn parse(
        exp: &Map<String, Value>,
        mut uniform: impl FnMut() -> f64,
    ) -> Result<Pattern, String> {
        let name = exp
            .get("pattern")
            .and_then(Value::as_str)
            .unwrap_or("constant");
        let duration_s = number(exp, "duration_s", Some(5.0))?;
        Ok(match name {
            "constant" => Pattern::Constant {
                rate: number(exp, "rate_per_s", Some(100.0))?,
                duration_s,
            },
            "poisson" => {
                let rate = number(exp, "rate_per_s", Some(100.0))?;
                let mut gaps_us = Vec::new();
                let mut t = 0.0;
                loop {
                    // Exponential inter-arrival time with mean 1/rate.
                    let gap = -(1.0 - uniform()).ln() / rate * 1e6;
                    t += gap;
                    if t >= duration_s * 1e6 {
                        break;
                    }
                    gaps_us.push(gap);
                }
                Pattern::Poisson { gaps_us }
            }
            "bursty" => Pattern::Bursty {
                size: number(exp, "burst_size", Some(10.0))? as u64,
                interval_us: (number(exp, "burst_interval_ms", Some(1000.0))? * 1e3) as u64,
                duration_s,
            },
            "trace" => {
                let text = exp
                    .get("trace")
                    .and_then(Value::as_str)
                    .ok_or("experiment.trace: expected CSV text `minute,count`")?;
                Pattern::Trace {
                    counts: parse_trace(text)?,
                    minute_us: (number(exp, "trace_minute_s", Some(60.0))? * 1e6) as u64,
                }
            }
            other => {
                return Err(format!(
                    "experiment.pattern: unknown pattern `{other}` (constant, poisson, bursty, trace)"
                ));
            }
        })
    }

    fn name(&self) -> &'static str {
        match self {
            Pattern::Constant { .. } => "constant",
            Pattern::Poisson { .. } => "poisson",
            Pattern::Bursty { .. } => "bursty",
            Pattern::Trace { .. } => "trace",
        }
    }

    fn offsets_us(&self) -> Vec<u64> {
        match self {
            Pattern::Constant { rate, duration_s } => {
                let n = (rate * duration_s).floor() as u64;
                (0..n).map(|i| (i as f64 * 1e6 / rate) as u64).collect()
            }
            Pattern::Poisson { gaps_us } => {
                let mut t = 0.0;
                gaps_us
                    .iter()
                    .map(|g| {
                        t += g;
                        t as u64
                    })
                    .collect()
            }
            Pattern::Bursty {
                size,
                interval_us,
                duration_s,
            } => {
                let bursts = ((duration_s * 1e6) as u64).div_ceil(*interval_us.max(&1));
                (0..bursts)
                    .flat_map(|b| std::iter::repeat_n(b * interval_us, *size as usize))
                    .collect()
            }
            Pattern::Trace { counts, minute_us } => counts
                .iter()
                .enumerate()
                .flat_map(|(m, &c)| {
                    (0..c).map(move |i| m as u64 * minute_us + i * minute_us / c.max(1))
                })
                .collect(),
        }
    }
}

/// `minute,count` lines (a header line is allowed); minutes must start at 0 and be consecutive.
fn parse_trace(text: &str) -> Result<Vec<u64>, String> {
    let mut counts = Vec::new();
    for (i, line) in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let mut parts = line.split(',').map(str::trim);
        let (Some(m), Some(c)) = (parts.next(), parts.next()) else {
            return Err(format!(
                "experiment.trace line {}: expected `minute,count`",
                i + 1
            ));
        };
        match (m.parse::<u64>(), c.parse::<u64>()) {
            (Ok(m), Ok(c)) if m as usize == counts.len() => counts.push(c),
            (Ok(m), Ok(_)) => {
                return Err(format!(
                    "experiment.trace line {}: minute {m} out of order",
                    i + 1
                ));
            }
            _ if i == 0 => continue,
            _ => return Err(format!("experiment.trace line {}: not two integers", i + 1)),
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exp(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn constant_rate_spacing() {
        let p = Pattern::parse(
            &exp(json!({"pattern": "constant", "rate_per_s": 4, "duration_s": 1})),
            || 0.5,
        )
        .unwrap();
        assert_eq!(p.offsets_us(), vec![0, 250_000, 500_000, 750_000]);
    }

    #[test]
    fn poisson_mean_rate_is_close() {
        let mut x = 0.123_f64;
        let p = Pattern::parse(
            &exp(json!({"pattern": "poisson", "rate_per_s": 500, "duration_s": 20})),
            || {
                x = (x * 9301.0 + 0.49297).fract();
                x
            },
        )
        .unwrap();
        let n = p.offsets_us().len() as f64;
        assert!((n / 20.0 - 500.0).abs() < 25.0, "{n}");
        assert!(p.offsets_us().windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn bursts_and_trace() {
        let b = Pattern::parse(&exp(json!({"pattern": "bursty", "burst_size": 3, "burst_interval_ms": 100, "duration_s": 0.2})), || 0.5).unwrap();
        assert_eq!(b.offsets_us(), vec![0, 0, 0, 100_000, 100_000, 100_000]);
        let t = Pattern::parse(
            &exp(
                json!({"pattern": "trace", "trace": "minute,count\n0,2\n1,1", "trace_minute_s": 1}),
            ),
            || 0.5,
        )
        .unwrap();
        assert_eq!(t.offsets_us(), vec![0, 500_000, 1_000_000]);
        assert!(parse_trace("0,1\n2,1").is_err());
    }
}
