//! The SeBS experiments as guest scripts (Rust and Python) on local-process, with the
//! host's UDP endpoints: eviction-model against a configured idle timeout,
//! network-ping-pong and invocation-overhead on loopback.

mod common;

use common::*;
use faaslab::measure::{Event, read_all};
use faaslab::run::{ExperimentReport, run_experiment};
use serde_json::{Value, json};

async fn run(guest_name: &str, config: Value) -> (Sandbox, ExperimentReport, Value) {
    let sb = Sandbox::new();
    let cfg = sb.write_config("c.json", &config);
    let report = run_experiment(&engine(), &guest(guest_name), &sb.options(&cfg, "run"))
        .await
        .unwrap();
    assert!(report.error.is_none(), "{guest_name}: {:?}", report.error);
    let result = serde_json::from_str(report.guest_result.as_deref().unwrap()).unwrap();
    (sb, report, result)
}

/// (series, name, value, unit) of every measurement the script made.
fn measurements(run_dir: &std::path::Path) -> Vec<(String, String, f64, String)> {
    read_all::<Event>(&run_dir.join("events.jsonl"))
        .unwrap()
        .into_iter()
        .filter_map(|e| match e {
            Event::Measurement {
                series,
                name,
                value,
                unit,
            } => Some((series, name, value, unit)),
            _ => None,
        })
        .collect()
}

fn eviction_config(idle_timeout_s: Option<f64>, sleeps: &[f64]) -> Value {
    json!({
        "benchmark": "010.sleep",
        "platforms": {"local-process": {"idle_timeout_s": idle_timeout_s}},
        "experiment": {"sleeps_s": sleeps, "payload": {"sleep": 0}},
    })
}

/// Below the idle timeout the probe finds the primed instance; above it, a new one.
async fn eviction_model_follows_the_idle_timeout(guest_name: &str) {
    let (_sb, report, result) = run(guest_name, eviction_config(Some(1.0), &[0.2, 2.5])).await;
    let rows = result["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{result}");
    assert_eq!(rows[0]["sleep_s"], 0.2);
    assert_eq!(rows[0]["warm"], true, "0.2 s idle < 1 s timeout: {result}");
    assert_eq!(rows[0]["same_instance"], true);
    assert_eq!(rows[1]["sleep_s"], 2.5);
    assert_eq!(rows[1]["warm"], false, "2.5 s idle > 1 s timeout: {result}");
    assert_eq!(rows[1]["same_instance"], false);
    assert_eq!(
        result["csv"],
        "sleep_s,repetition,warm,same_instance\n0.2,0,true,true\n2.5,0,false,false\n"
    );

    // The host's record agrees: the probes are their own series with the cold flag.
    let recs = records(&report.run_dir);
    let probe = |series: &str| {
        let r: Vec<_> = recs.iter().filter(|r| r.series == series).collect();
        assert_eq!(r.len(), 1, "one probe in {series}");
        r[0].cold
    };
    assert!(!probe("eviction-0.2s"));
    assert!(probe("eviction-2.5s"));
    let discards = discards(&report.run_dir);
    assert_eq!(discards.values().filter(|r| *r == "priming").count(), 2);
    let m = measurements(&report.run_dir);
    let warm_at = |name: &str| {
        m.iter()
            .find(|(s, n, _, _)| s == "eviction-model" && n == name)
            .map(|x| x.2)
    };
    assert_eq!(warm_at("warm@0.2s"), Some(1.0));
    assert_eq!(warm_at("warm@2.5s"), Some(0.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eviction_model_rust_warm_below_idle_timeout_cold_above() {
    eviction_model_follows_the_idle_timeout("eviction-model").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eviction_model_python_warm_below_idle_timeout_cold_above() {
    eviction_model_follows_the_idle_timeout("eviction-model-py").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eviction_model_without_idle_timeout_stays_warm() {
    let (_sb, _report, result) = run("eviction-model", eviction_config(None, &[1.5])).await;
    assert_eq!(result["rows"][0]["warm"], true, "{result}");
}

fn ping_pong_config() -> Value {
    json!({
        "benchmark": "020.network-benchmark",
        "experiment": {"invocations": 3, "repetitions": 40, "packet_size": 128},
    })
}

/// Every round trip arrives on loopback, the host saw every datagram, RTTs are sane.
async fn ping_pong_on_loopback(guest_name: &str) {
    let (_sb, report, result) = run(guest_name, ping_pong_config()).await;
    assert!(
        result["server"].as_str().unwrap().starts_with("127.0.0.1:"),
        "{result}"
    );
    assert_eq!(result["round_trips"], 120, "{result}");
    assert_eq!(result["lost"], 0);
    assert_eq!(
        result["host_received"], 120,
        "the host counted every datagram"
    );
    assert_eq!(result["host_answered"], 120);
    let p50 = result["rtt_p50_us"].as_u64().unwrap();
    let max = result["rtt_max_us"].as_u64().unwrap();
    assert!(p50 > 0 && max < 100_000, "loopback RTTs: {result}");
    let rtts: Vec<f64> = measurements(&report.run_dir)
        .into_iter()
        .filter(|(s, n, _, u)| s == "ping-pong" && n == "rtt" && u == "us")
        .map(|m| m.2)
        .collect();
    assert_eq!(rtts.len(), 120);
    assert!(rtts.iter().all(|&r| r > 0.0 && r < 100_000.0));
    assert_eq!(records(&report.run_dir).len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_ping_pong_rust_measures_loopback_rtts() {
    ping_pong_on_loopback("network-ping-pong").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_ping_pong_python_measures_loopback_rtts() {
    ping_pong_on_loopback("network-ping-pong-py").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invocation_overhead_finds_no_clock_offset_on_one_machine() {
    let (_sb, report, result) = run(
        "invocation-overhead",
        json!({
            "benchmark": "030.clock-synchronization",
            "experiment": {"sync_repetitions": 30, "payload_sizes": [0, 65536], "repetitions": 3},
        }),
    )
    .await;
    // Host and function read the same clock: the true offset is 0, and the estimate's
    // error is bounded by half the lowest round-trip delay.
    let offset = result["offset_us"].as_f64().unwrap();
    let error = result["offset_error_us"].as_f64().unwrap();
    assert!((0.0..5_000.0).contains(&error), "{result}");
    assert!(
        offset.abs() <= error + 1_000.0,
        "offset {offset} µs: {result}"
    );
    assert!(result["offset_after_us"].as_f64().unwrap().abs() < 6_000.0);
    let payloads = result["payloads"].as_array().unwrap();
    assert_eq!(payloads.len(), 2);
    for p in payloads {
        assert_eq!(p["samples"], 3, "{result}");
        let median = p["one_way_median_us"].as_f64().unwrap();
        assert!(
            median > 0.0 && median < 1_000_000.0,
            "corrected one-way latency {median} µs: {result}"
        );
    }
    let m = measurements(&report.run_dir);
    assert_eq!(
        m.iter()
            .filter(|(s, n, _, _)| s == "payload-65536B" && n == "one_way")
            .count(),
        3
    );
    assert_eq!(
        m.iter()
            .filter(|(s, n, _, _)| s == "clock-sync" && n == "offset")
            .count(),
        2,
        "synchronised before and after the sweep"
    );
    let recs = records(&report.run_dir);
    let big: Vec<_> = recs
        .iter()
        .filter(|r| r.series == "payload-65536B")
        .collect();
    assert_eq!(big.len(), 3);
    assert!(big.iter().all(|r| r.payload_bytes > 65536));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_endpoints_are_budgeted() {
    let sb = Sandbox::new();
    let mut config = ping_pong_config();
    config["network"] = json!({"max_endpoints": 0});
    let cfg = sb.write_config("c.json", &config);
    let report = run_experiment(
        &engine(),
        &guest("network-ping-pong"),
        &sb.options(&cfg, "run"),
    )
    .await
    .unwrap();
    let error = report.error.expect("no endpoint may be opened").to_string();
    assert!(
        error.contains("budget-exhausted") && error.contains("network.max_endpoints"),
        "{error}"
    );
    assert!(records(&report.run_dir).is_empty(), "nothing was deployed");
}
