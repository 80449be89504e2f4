//! network-ping-pong: UDP round-trip times between a function and the host.
//!
//! The host opens an echo endpoint (`network.open-udp`); the script deploys
//! 020.network-benchmark and invokes it `invocations` times, each doing `repetitions`
//! round trips of `packet_size` bytes to the endpoint. Every RTT the function measured
//! becomes a measurement (series "ping-pong", name "rtt", µs); the host's own count of
//! received datagrams is checked against the function's report.
//!
//! `experiment` fields: `benchmark` (default "020.network-benchmark"), `invocations`
//! (5), `repetitions` (100), `packet_size` (64), `timeout_ms` (1000).

wit_bindgen::generate!({ path: "../../../wit", world: "experiment" });
include!("../../shared/host_call.rs");

use faaslab::host::log::{Level, log};
use faaslab::host::network::{ReplyMode, open_udp};
use faaslab::host::{platform, results};
use serde_json::{Value, json};

struct PingPong;
export!(PingPong);

const SERIES: &str = "ping-pong";

impl Guest for PingPong {
    fn run(config: String) -> Result<String, String> {
        let (_, exp) = parse_config(&config)?;
        let exp = &exp;
        let benchmark = benchmark_or(exp, "020.network-benchmark")?;
        let invocations = positive(exp, "invocations", 5)?;
        let repetitions = positive(exp, "repetitions", 100)?;
        let packet_size = positive(exp, "packet_size", 64)?;
        let timeout_ms = positive(exp, "timeout_ms", 1000)?;

        let endpoint = host("open-udp", open_udp(ReplyMode::Echo))?;
        let server = endpoint.address();
        let function = host("deploy", platform::deploy(benchmark, None))?;
        results::begin_series(SERIES);
        let payload = json!({
            "server": server,
            "repetitions": repetitions,
            "packet_size": packet_size,
            "timeout_ms": timeout_ms,
        })
        .to_string();
        let mut rtts: Vec<u64> = Vec::new();
        let (mut lost, mut failed, mut host_received) = (0u64, 0u64, 0u64);
        for _ in 0..invocations {
            let r = host("invoke", function.invoke(&payload))?;
            host_received += endpoint.take_received().len() as u64;
            if let Some(failure) = &r.failure {
                failed += 1;
                results::discard(&r.request_id, &format!("failed: {failure}"));
                continue;
            }
            let out: Value = serde_json::from_str(&r.output)
                .map_err(|e| format!("020 output is not JSON: {e}"))?;
            let got: Vec<u64> = out
                .get("rtts_us")
                .and_then(Value::as_array)
                .ok_or("020 output has no `rtts_us`")?
                .iter()
                .filter_map(Value::as_u64)
                .collect();
            for &rtt in &got {
                results::measurement(SERIES, "rtt", rtt as f64, "us");
            }
            lost += out.get("lost").and_then(Value::as_u64).unwrap_or(0);
            rtts.extend(got);
        }
        let stats = endpoint.stats();
        if stats.dropped > 0 {
            results::note(&format!(
                "the echo endpoint dropped {} datagrams (network.max_packets / max_packet_bytes)",
                stats.dropped
            ));
        }
        rtts.sort_unstable();
        let pick = |q: f64| {
            rtts.get(((rtts.len() as f64 - 1.0) * q).round() as usize)
                .copied()
        };
        log(
            Level::Info,
            &format!(
                "{} round trips, {lost} lost; median RTT {:?} µs",
                rtts.len(),
                pick(0.5)
            ),
        );
        Ok(json!({
            "server": server,
            "invocations": invocations,
            "failed_invocations": failed,
            "round_trips": rtts.len(),
            "lost": lost,
            "host_received": host_received,
            "host_answered": stats.answered,
            "rtt_min_us": rtts.first(),
            "rtt_p50_us": pick(0.5),
            "rtt_p99_us": pick(0.99),
            "rtt_max_us": rtts.last(),
        })
        .to_string())
    }
}
