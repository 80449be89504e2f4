//! invocation-overhead: how long an invocation takes to reach the handler, with the
//! function's clock corrected to the host's.
//!
//! 1. Clock synchronisation: the host opens a UDP endpoint in timestamp mode; the
//!    script invokes 030.clock-synchronization, which runs `sync_repetitions` NTP-style
//!    exchanges with it and reports the offset (host clock − function clock) of its
//!    lowest-delay exchange. Done before and after the sweep, so the drift between the
//!    two clocks is estimated too (series "clock-sync": `offset`, `delay`, `drift`).
//! 2. Payload-size sweep: for every size in `payload_sizes` (bytes of padding),
//!    `repetitions` warm invocations; each reports its handler start on the function's
//!    clock. Corrected one-way latency = handler start + offset (interpolated over time
//!    between the two syncs) − host send time on the wall clock. Series
//!    "payload-<n>B", measurement `one_way`, µs.
//!
//! `experiment` fields: `benchmark` (default "030.clock-synchronization"),
//! `sync_repetitions` (50), `payload_sizes` ([0, 1024, 16384, 131072]), `repetitions` (5).

wit_bindgen::generate!({ path: "../../../wit", world: "experiment" });
include!("../../shared/host_call.rs");

use faaslab::host::log::{Level, log};
use faaslab::host::network::{ReplyMode, open_udp};
use faaslab::host::platform::Function;
use faaslab::host::{clock, platform, results};
use serde_json::{Value, json};

struct InvocationOverhead;
export!(InvocationOverhead);

/// One clock synchronisation: offset of the function's clock at a host wall time.
#[derive(Clone, Copy)]
struct Sync {
    at_wall_us: f64,
    offset_us: f64,
    delay_us: f64,
}

impl Guest for InvocationOverhead {
    fn run(config: String) -> Result<String, String> {
        let (_, exp) = parse_config(&config)?;
        let exp = &exp;
        let benchmark = benchmark_or(exp, "030.clock-synchronization")?;
        let sync_repetitions = positive(exp, "sync_repetitions", 50)?;
        let repetitions = positive(exp, "repetitions", 5)?;
        let sizes: Vec<u64> = match exp.get("payload_sizes") {
            None => vec![0, 1024, 16384, 131_072],
            Some(Value::Array(a)) if !a.is_empty() => a
                .iter()
                .map(|v| {
                    v.as_u64()
                        .ok_or("experiment.payload_sizes: expected byte counts")
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("experiment.payload_sizes: expected a non-empty list".into()),
        };

        let endpoint = host("open-udp", open_udp(ReplyMode::Timestamp))?;
        let server = endpoint.address();
        let function = host("deploy", platform::deploy(benchmark, None))?;
        results::begin_series("warm-up");
        let warm = host("invoke", function.invoke("{}"))?;
        results::discard(&warm.request_id, "warm-up");

        results::begin_series("clock-sync");
        let first = synchronise(&function, &server, sync_repetitions)?;
        let _ = endpoint.take_received();

        let mut per_size = Vec::new();
        let mut pending = Vec::new();
        for &size in &sizes {
            let series = format!("payload-{size}B");
            results::begin_series(&series);
            let payload = json!({ "padding": "x".repeat(size as usize) }).to_string();
            for _ in 0..repetitions {
                // Host wall clock at the run's time origin, to map send times to it.
                let origin_wall = clock::wall_now_us() as f64 - clock::monotonic_now_us() as f64;
                let r = host("invoke", function.invoke(&payload))?;
                if let Some(failure) = &r.failure {
                    results::discard(&r.request_id, &format!("failed: {failure}"));
                    continue;
                }
                if r.cold {
                    results::discard(&r.request_id, "cold: a new instance has another clock");
                    continue;
                }
                let out: Value = serde_json::from_str(&r.output)
                    .map_err(|e| format!("030 output is not JSON: {e}"))?;
                let start = out
                    .get("handler_start_us")
                    .and_then(Value::as_u64)
                    .ok_or("030 output has no `handler_start_us`")?;
                pending.push((size, origin_wall + r.send_time_us as f64, start as f64));
            }
        }

        results::begin_series("clock-sync");
        let last = synchronise(&function, &server, sync_repetitions)?;
        let span_s = (last.at_wall_us - first.at_wall_us) / 1e6;
        let drift_us_per_s = if span_s > 0.0 {
            (last.offset_us - first.offset_us) / span_s
        } else {
            0.0
        };
        results::measurement("clock-sync", "drift", drift_us_per_s, "us/s");
        // Offset at a host wall time, interpolated between the two synchronisations.
        let offset_at =
            |wall: f64| first.offset_us + drift_us_per_s * (wall - first.at_wall_us) / 1e6;

        for &size in &sizes {
            let series = format!("payload-{size}B");
            let mut lat: Vec<f64> = Vec::new();
            for (_, sent, start) in pending.iter().filter(|p| p.0 == size) {
                let one_way = start + offset_at(*start) - sent;
                results::measurement(&series, "one_way", one_way, "us");
                lat.push(one_way);
            }
            lat.sort_by(f64::total_cmp);
            per_size.push(json!({
                "payload_bytes": size,
                "samples": lat.len(),
                "one_way_median_us": lat.get(lat.len() / 2),
                "one_way_min_us": lat.first(),
            }));
        }
        log(
            Level::Info,
            &format!(
                "clock offset {:.1} µs (±{:.1}), drift {drift_us_per_s:.3} µs/s",
                first.offset_us,
                first.delay_us / 2.0
            ),
        );
        Ok(json!({
            "server": server,
            "offset_us": first.offset_us,
            "offset_error_us": first.delay_us / 2.0,
            "offset_after_us": last.offset_us,
            "drift_us_per_s": drift_us_per_s,
            // Both offsets are only known to ± half their delay: over a short sweep the
            // drift estimate is mostly this uncertainty.
            "drift_error_us_per_s": if span_s > 0.0 {
                (first.delay_us + last.delay_us) / 2.0 / span_s
            } else {
                f64::INFINITY
            },
            "payloads": per_size,
        })
        .to_string())
    }
}

/// One 030 invocation against the timestamp endpoint; records offset and delay.
fn synchronise(function: &Function, server: &str, repetitions: u64) -> Result<Sync, String> {
    let payload = json!({ "server": server, "repetitions": repetitions, "timeout_ms": 1000 });
    let r = host("invoke", function.invoke(&payload.to_string()))?;
    if let Some(failure) = r.failure {
        return Err(format!("clock synchronisation failed: {failure}"));
    }
    let out: Value =
        serde_json::from_str(&r.output).map_err(|e| format!("030 output is not JSON: {e}"))?;
    let field = |k: &str| {
        out.get(k).and_then(Value::as_f64).ok_or(format!(
            "clock synchronisation: no `{k}` (every exchange lost?)"
        ))
    };
    let sync = Sync {
        at_wall_us: clock::wall_now_us() as f64,
        offset_us: field("offset_us")?,
        delay_us: field("delay_us")?,
    };
    results::measurement("clock-sync", "offset", sync.offset_us, "us");
    results::measurement("clock-sync", "delay", sync.delay_us, "us");
    Ok(sync)
}
