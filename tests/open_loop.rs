//! Open-loop schedules on local-process: every request is fired at its intended time,
//! and a stalling function does not delay the requests after it.

mod common;

use common::*;
use faaslab::run::run_experiment;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poisson_500_per_s_fires_every_request_on_time_despite_stalls() {
    let sb = Sandbox::new();
    let cfg = sb.write_config(
        "c.json",
        &json!({
            "benchmark": "010.sleep",
            "platforms": {"local-process": {"max_instances": 16}},
            "experiment": {
                "pattern": "poisson", "rate_per_s": 500, "duration_s": 5,
                "payload": {"sleep": 0},
                "prewarm": 12,
                "stall_every": 100, "stall_payload": {"sleep": 0.5}
            }
        }),
    );
    let engine = engine();
    let report = run_experiment(&engine, &guest("open-loop"), &sb.options(&cfg, "run"))
        .await
        .unwrap();
    assert!(report.error.is_none(), "{:?}", report.error);
    let guest: serde_json::Value =
        serde_json::from_str(report.guest_result.as_deref().unwrap()).unwrap();
    let scheduled = guest["scheduled"].as_u64().unwrap();
    assert!(
        (2200..2800).contains(&scheduled),
        "a 500/s Poisson schedule over 5 s: {scheduled}"
    );

    let discards = discards(&report.run_dir);
    assert_eq!(discards.len(), 12, "the warm-up is recorded and discarded");
    let mut recs: Vec<_> = records(&report.run_dir)
        .into_iter()
        .filter(|r| r.intended_send_time_us.is_some())
        .collect();
    assert_eq!(
        recs.len() as u64,
        scheduled,
        "every scheduled request is fired and recorded"
    );
    assert_eq!(guest["fired"], scheduled);
    recs.sort_by_key(|r| r.intended_send_time_us.unwrap());
    let late: Vec<u64> = recs
        .iter()
        .map(|r| {
            r.send_time_us
                .saturating_sub(r.intended_send_time_us.unwrap())
        })
        .collect();
    // A closed loop would start the request after a 0.5 s stall up to 0.5 s late; open
    // loop sends it on time. 100 ms tolerates a loaded machine and still tells them apart.
    let stalls = recs.iter().filter(|r| r.exec_time_us >= 500_000).count();
    assert!(stalls >= 20, "{stalls} stalled requests");
    for (i, r) in recs.iter().enumerate() {
        if r.exec_time_us >= 500_000 && i + 1 < recs.len() {
            assert!(
                late[i + 1] < 100_000,
                "request after a stall sent {} µs late",
                late[i + 1]
            );
        }
    }
    let series = &report.summary.series[0];
    let lateness = series.send_lateness.as_ref().expect("lateness is reported");
    assert_eq!(lateness.count as u64, scheduled);
    assert!(
        lateness.p99_us < 100_000.0,
        "p99 lateness {} µs",
        lateness.p99_us
    );
    assert!(report.summary.render().contains("open-loop send lateness"));
    let csv = std::fs::read_to_string(report.run_dir.join("results.csv")).unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains("intended_send_time_us")
    );
}
