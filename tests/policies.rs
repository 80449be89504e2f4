//! Policy worlds (docs/policies.md): sampler, retry and cold-start policies in Rust,
//! Python and C, consulted by the host's drivers while perf-cost runs on
//! local-process; hostile policies; the CLI flags through the real binary.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use faaslab::measure::{Event, ExecutionRecord, read_all};
use faaslab::run::{ExperimentReport, PolicyOverrides, read_manifest, run_experiment_with};
use serde_json::{Value, json};

/// perf-cost on one memory size, with a fixed payload.
fn perf_cost_config(benchmark: &str, kind: &str, payload: Value, experiment: Value) -> Value {
    let mut exp = json!({
        "repetitions": 3,
        "concurrent_invocations": 1,
        "memory_sizes": [128],
        "kinds": [kind],
        "payload": payload,
    });
    for (k, v) in experiment.as_object().unwrap() {
        exp[k] = v.clone();
    }
    json!({
        "benchmark": benchmark,
        "function": {"memory_mb": 128, "timeout_s": 30},
        "experiment": exp,
    })
}

/// The benchmarks a run uses: the shipped ones, or the tests' own (`900.flaky`).
#[derive(PartialEq)]
enum Catalog {
    Shipped,
    Tests,
}

fn overrides(retry: Option<&str>, sampler: Option<&str>, cold: Option<&str>) -> PolicyOverrides {
    PolicyOverrides {
        retry: retry.map(guest),
        sampler: sampler.map(guest),
        cold_start: cold.map(guest),
    }
}

/// Run perf-cost on `config` (written to `c.json`, run directory `run`) with these
/// policies; it must succeed.
async fn run_perf_cost(
    sb: &Sandbox,
    config: &Value,
    catalog: Catalog,
    overrides: &PolicyOverrides,
) -> ExperimentReport {
    let cfg = sb.write_config("c.json", config);
    let mut opts = sb.options(&cfg, "run");
    if catalog == Catalog::Tests {
        opts.benchmarks_dir = Some(repo_root().join("tests/benchmarks"));
    }
    let report = run_experiment_with(&engine(), &guest("perf-cost"), &opts, overrides)
        .await
        .unwrap();
    assert!(report.error.is_none(), "{:?}", report.error);
    report
}

fn events(run_dir: &Path) -> Vec<Event> {
    read_all(&run_dir.join("events.jsonl")).unwrap()
}

fn series<'a>(
    summary: &'a faaslab::measure::RunSummary,
    name: &str,
) -> &'a faaslab::measure::SeriesSummary {
    summary
        .series
        .iter()
        .find(|s| s.series == name)
        .unwrap_or_else(|| panic!("no series {name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sampler_stops_a_series_once_the_median_ci_is_within_2pct() {
    let sb = Sandbox::new();
    let config = perf_cost_config(
        "010.sleep",
        "warm",
        json!({"sleep": 0.02}),
        json!({"repetitions": 300, "max_rounds": 400}),
    );
    let report = run_perf_cost(
        &sb,
        &config,
        Catalog::Shipped,
        &overrides(None, Some("ci-2pct"), None),
    )
    .await;
    let m = read_manifest(&report.run_dir).unwrap();
    let policies = m.policies.expect("the manifest reports the policies");
    assert_eq!(policies.stopped_series.len(), 1, "{policies:?}");
    let stop = &policies.stopped_series[0];
    assert_eq!(stop.series, "warm-128mb");
    assert_eq!(stop.policy, "ci-2pct.wasm");
    assert!(
        stop.reason.contains("95% CI half-width of the median"),
        "{}",
        stop.reason
    );
    // Stopped early: far fewer than the 300 repetitions perf-cost asked for, and no
    // invocation of the series after the stop (one at a time).
    let s = series(&report.summary, "warm-128mb");
    assert!(
        s.accepted >= 10 && s.accepted < 300,
        "accepted {}",
        s.accepted
    );
    assert_eq!(s.invocations, stop.invocations);
    assert_eq!(s.accepted, stop.accepted);
    // The criterion holds on what the run recorded.
    let c = s.client_time.as_ref().unwrap();
    let [lo, hi] = c.median_ci95_us.unwrap();
    let half = (c.median_us - lo).max(hi - c.median_us);
    assert!(
        half <= 0.02 * c.median_us,
        "half-width {half} of median {}",
        c.median_us
    );
    // summary.json says it too.
    let stopped = s
        .stopped_by
        .as_ref()
        .expect("summary says which sampler stopped it");
    assert_eq!(stopped.policy, "ci-2pct.wasm");
    assert_eq!(stopped.reason, stop.reason);
    let on_disk: Value =
        serde_json::from_slice(&std::fs::read(report.run_dir.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(on_disk["series"][0]["stopped_by"]["policy"], "ci-2pct.wasm");
    assert!(events(&report.run_dir).iter().any(
        |e| matches!(e, Event::SeriesStopped { series, policy, .. } if series == "warm-128mb" && policy == "ci-2pct.wasm")
    ));
    let sampler = &policies.policies[0];
    assert_eq!(sampler.role, "sampler");
    assert_eq!(sampler.decisions.get("stop"), Some(&1));
    assert!(sampler.error.is_none());
    assert_eq!(sampler.sha256.len(), 64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sampler_stops_at_its_fixed_sample() {
    let sb = Sandbox::new();
    let config = perf_cost_config(
        "010.sleep",
        "warm",
        json!({"sleep": 0}),
        json!({"repetitions": 30, "max_rounds": 40}),
    );
    let report = run_perf_cost(
        &sb,
        &config,
        Catalog::Shipped,
        &overrides(None, Some("enough-samples"), None),
    )
    .await;
    let s = series(&report.summary, "warm-128mb");
    assert_eq!(s.accepted, 8, "{s:?}");
    let m = read_manifest(&report.run_dir).unwrap();
    let stop = &m.policies.unwrap().stopped_series[0];
    assert_eq!(stop.policy, "enough-samples.wasm");
    assert!(
        stop.reason.contains("enough-samples stops at 8"),
        "{}",
        stop.reason
    );
    // The guest saw the series end and said so.
    assert!(events(&report.run_dir).iter().any(
        |e| matches!(e, Event::Note { text } if text.contains("warm-128mb: ended by the run's sampler policy"))
    ));
}

/// Records of a run by request index, attempts in order.
fn attempts_by_request(run_dir: &Path) -> Vec<Vec<ExecutionRecord>> {
    let mut recs = records(run_dir);
    recs.sort_by_key(|r| (r.request_index, r.attempt));
    let mut out: Vec<Vec<ExecutionRecord>> = Vec::new();
    for r in recs {
        match out.last_mut() {
            Some(last) if last[0].request_index == r.request_index => last.push(r),
            _ => out.push(vec![r]),
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_policy_retries_until_the_third_attempt_succeeds() {
    let sb = Sandbox::new();
    let config = perf_cost_config(
        "900.flaky",
        "sequential",
        json!({"succeed_every": 3}),
        json!({}),
    );
    let report = run_perf_cost(
        &sb,
        &config,
        Catalog::Tests,
        &overrides(Some("backoff"), None, None),
    )
    .await;
    let requests = attempts_by_request(&report.run_dir);
    assert_eq!(requests.len(), 3, "{requests:?}");
    for attempts in &requests {
        let numbers: Vec<u32> = attempts.iter().map(|r| r.attempt).collect();
        assert_eq!(numbers, [1, 2, 3]);
        assert!(
            attempts[0]
                .failure
                .as_deref()
                .unwrap()
                .contains("flaky: call")
        );
        assert!(attempts[1].failure.is_some());
        assert!(attempts[2].failure.is_none(), "{:?}", attempts[2]);
        // Every attempt is its own result: its own request id, in the same series.
        assert!(attempts.iter().all(|r| r.series == "sequential-128mb"));
        assert_ne!(attempts[0].request_id, attempts[2].request_id);
        // Backoff waited 10 ms, then 20 ms, between attempts.
        let gap = |a: &ExecutionRecord, b: &ExecutionRecord| {
            b.send_time_us - (a.send_time_us + a.client_time_us)
        };
        assert!(gap(&attempts[0], &attempts[1]) >= 10_000);
        assert!(gap(&attempts[1], &attempts[2]) >= 20_000);
    }
    let retries: Vec<Option<u64>> = events(&report.run_dir)
        .into_iter()
        .filter_map(|e| match e {
            Event::Retry { delay_us, .. } => Some(delay_us),
            _ => None,
        })
        .collect();
    assert_eq!(retries, [Some(10_000), Some(20_000)].repeat(3));
    // The series keeps every attempt; the script saw three successes.
    let s = series(&report.summary, "sequential-128mb");
    assert_eq!((s.invocations, s.accepted, s.failed), (9, 3, 6));
    let guest_result: Value =
        serde_json::from_str(report.guest_result.as_deref().unwrap()).unwrap();
    assert_eq!(guest_result["series"]["sequential-128mb"]["accepted"], 3);
    assert_eq!(guest_result["series"]["sequential-128mb"]["failed"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_retry_policy_gives_up_after_three_attempts() {
    let sb = Sandbox::new();
    let config = perf_cost_config(
        "900.flaky",
        "sequential",
        json!({"succeed_every": 4}),
        json!({"repetitions": 1, "max_rounds": 2}),
    );
    let report = run_perf_cost(
        &sb,
        &config,
        Catalog::Tests,
        &overrides(Some("retry-fixed"), None, None),
    )
    .await;
    // Request 1: calls 1-3 fail and the C policy gives up after its 3 attempts;
    // request 2 is call 4, which succeeds at once.
    let requests = attempts_by_request(&report.run_dir);
    let shape: Vec<Vec<(u32, bool)>> = requests
        .iter()
        .map(|a| a.iter().map(|r| (r.attempt, r.failure.is_none())).collect())
        .collect();
    assert_eq!(
        shape,
        [vec![(1, false), (2, false), (3, false)], vec![(1, true)]]
    );
    let decisions: Vec<(Option<u64>, String)> = events(&report.run_dir)
        .into_iter()
        .filter_map(|e| match e {
            Event::Retry {
                delay_us, reason, ..
            } => Some((delay_us, reason)),
            _ => None,
        })
        .collect();
    assert_eq!(decisions.len(), 3, "{decisions:?}");
    assert_eq!(decisions[0], (Some(5000), String::new()));
    assert_eq!(decisions[1], (Some(5000), String::new()));
    assert_eq!(decisions[2].0, None);
    assert!(
        decisions[2]
            .1
            .starts_with("retry-fixed: gave up after 3 attempts: RuntimeError: flaky: call 3"),
        "{}",
        decisions[2].1
    );
    let m = read_manifest(&report.run_dir).unwrap();
    let retry = &m.policies.unwrap().policies[0];
    let canonical = std::fs::canonicalize(guest("retry-fixed")).unwrap();
    assert_eq!(retry.path, canonical.display().to_string());
    assert_eq!(retry.decisions.get("retry"), Some(&2));
    assert_eq!(retry.decisions.get("give-up"), Some(&1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trapping_and_spinning_policies_fall_back_and_the_run_completes() {
    let sb = Sandbox::new();
    let mut config = perf_cost_config(
        "900.flaky",
        "sequential",
        json!({"succeed_every": 2}),
        json!({"repetitions": 2, "max_rounds": 4}),
    );
    // The config file's `policies` section, paths relative to the config file.
    let guests = sb.path().join("guests");
    std::fs::create_dir_all(&guests).unwrap();
    for name in ["trap-sampler", "spin-retry"] {
        std::fs::copy(guest(name), guests.join(format!("{name}.wasm"))).unwrap();
    }
    config["policies"] = json!({
        "sampler": "guests/trap-sampler.wasm",
        "retry": "guests/spin-retry.wasm",
        "call_timeout_ms": 300,
    });
    let report = run_perf_cost(&sb, &config, Catalog::Tests, &PolicyOverrides::default()).await;
    let m = read_manifest(&report.run_dir).unwrap();
    assert_eq!(m.status, faaslab::measure::RunStatus::Completed);
    let policies = m.policies.unwrap();
    assert!(
        policies.stopped_series.is_empty(),
        "{:?}",
        policies.stopped_series
    );
    let by_role = |role: &str| policies.policies.iter().find(|p| p.role == role).unwrap();
    let sampler = by_role("sampler");
    assert!(
        sampler.error.as_deref().unwrap().starts_with("trapped:"),
        "{:?}",
        sampler.error
    );
    assert_eq!(
        sampler.decisions.get("default"),
        Some(&1),
        "asked once, then disabled"
    );
    let retry = by_role("retry");
    assert!(
        retry
            .error
            .as_deref()
            .unwrap()
            .contains("policies.call_timeout_ms"),
        "{:?}",
        retry.error
    );
    // Default: give up, so no request was retried.
    let recs = records(&report.run_dir);
    assert!(recs.iter().all(|r| r.attempt == 1));
    assert!(recs.iter().any(|r| r.failure.is_some()));
    assert!(retry.decisions.get("default").copied().unwrap_or(0) >= 2);
    let failures: Vec<(String, String)> = events(&report.run_dir)
        .into_iter()
        .filter_map(|e| match e {
            Event::PolicyFailed { role, fallback, .. } => Some((role, fallback)),
            _ => None,
        })
        .collect();
    assert_eq!(
        failures.len(),
        2,
        "each failure recorded once: {failures:?}"
    );
    assert!(failures.contains(&("sampler".into(), "continue".into())));
    assert!(failures.contains(&("retry".into(), "give up".into())));
    // The series went on to its end: 2 accepted (every 2nd call succeeds).
    assert_eq!(series(&report.summary, "sequential-128mb").accepted, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cold_start_policy_forces_cold_starts_by_config_update() {
    let sb = Sandbox::new();
    let config = perf_cost_config(
        "010.sleep",
        "cold",
        json!({"sleep": 0}),
        json!({"repetitions": 4, "concurrent_invocations": 2}),
    );
    let report = run_perf_cost(
        &sb,
        &config,
        Catalog::Shipped,
        &overrides(None, None, Some("cold-start")),
    )
    .await;
    let s = series(&report.summary, "cold-128mb");
    assert_eq!(s.accepted_cold, 4, "{s:?}");
    let strategies: Vec<String> = events(&report.run_dir)
        .into_iter()
        .filter_map(|e| match e {
            Event::ColdStart {
                strategy, policy, ..
            } => {
                assert_eq!(policy.as_deref(), Some("cold-start.wasm"));
                Some(strategy)
            }
            _ => None,
        })
        .collect();
    assert!(!strategies.is_empty());
    assert!(
        strategies.iter().all(|s| s == "config-update"),
        "config updates always worked on local-process: {strategies:?}"
    );
    // Every invocation right after a forced cold start was cold (ground truth).
    assert!(
        records(&report.run_dir)
            .iter()
            .filter(|r| r.failure.is_none())
            .all(|r| r.cold)
    );
}

#[test]
fn cli_flags_take_policies_by_name_from_any_language() {
    let sb = Sandbox::new();
    sb.write_config(
        "c.json",
        &perf_cost_config(
            "010.sleep",
            "warm",
            json!({"sleep": 0.02}),
            json!({"repetitions": 200, "max_rounds": 300}),
        ),
    );
    let (code, out, err) = faaslab_cli(
        &[
            "experiment",
            "run",
            "perf-cost",
            "--sampler",
            "ci-2pct.wasm",
            "--retry",
            "retry-fixed",
            "--cold-start",
            "cold-start",
            "--config",
            "c.json",
            "-o",
            "run",
            "--seed",
            "3",
        ],
        sb.path(),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.lines()
            .any(|l| l
                .starts_with("warm-128mb: stopped by the sampler ci-2pct.wasm: 95% CI half-width")),
        "{out}"
    );
    let m = read_manifest(&sb.path().join("run")).unwrap();
    let built = |name: &str| -> PathBuf { std::fs::canonicalize(guest(name)).unwrap() };
    assert_eq!(m.config.policies.sampler, Some(built("ci-2pct")));
    assert_eq!(m.config.policies.retry, Some(built("retry-fixed")));
    assert_eq!(m.config.policies.cold_start, Some(built("cold-start")));
    assert!(m.script.path.ends_with("build/guests/perf-cost.wasm"));
    let roles: Vec<String> = m
        .policies
        .unwrap()
        .policies
        .into_iter()
        .map(|p| p.role)
        .collect();
    assert_eq!(roles, ["retry", "sampler", "cold-start"]);
}

#[test]
fn cli_rejects_a_policy_of_the_wrong_world_or_name() {
    let sb = Sandbox::new();
    sb.write_config(
        "c.json",
        &perf_cost_config("010.sleep", "warm", json!({"sleep": 0}), json!({})),
    );
    let (code, _, err) = faaslab_cli(
        &[
            "experiment",
            "run",
            "perf-cost",
            "--sampler",
            "backoff",
            "--config",
            "c.json",
        ],
        sb.path(),
    );
    assert_ne!(code, 0);
    let line = error_line(&err);
    assert!(
        line.contains("backoff.wasm") && line.contains("is not a `sampler` policy"),
        "{line}"
    );
    let (code, _, err) = faaslab_cli(
        &[
            "experiment",
            "run",
            "perf-cost",
            "--retry",
            "no-such-policy",
            "--config",
            "c.json",
        ],
        sb.path(),
    );
    assert_ne!(code, 0);
    let line = error_line(&err);
    assert!(
        line.starts_with(
            "error: no-such-policy: cannot read: no such file, and no built guest `no-such-policy.wasm` in "
        ),
        "{line}"
    );
    assert!(!sb.path().join("runs").exists(), "no run was started");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cold_start_strategies_are_executed_by_the_host() {
    let sb = Sandbox::new();
    let mut config = perf_cost_config(
        "010.sleep",
        "cold",
        json!({"sleep": 0}),
        json!({"repetitions": 4}),
    );
    // Idle instances are evicted after 0.1 s, so waiting 0.3 s gives a cold start.
    config["platforms"] = json!({"local-process": {"idle_timeout_s": 0.1}});
    let report = run_perf_cost(
        &sb,
        &config,
        Catalog::Shipped,
        &overrides(None, None, Some("cold-start-cycle")),
    )
    .await;
    let forced: Vec<(String, String, u64)> = events(&report.run_dir)
        .into_iter()
        .filter_map(|e| match e {
            Event::ColdStart {
                function,
                strategy,
                wait_us,
                ..
            } => Some((function, strategy, wait_us)),
            _ => None,
        })
        .collect();
    let strategies: Vec<&str> = forced.iter().map(|f| f.1.as_str()).collect();
    assert_eq!(
        strategies,
        ["fresh-copy", "wait-eviction", "platform", "config-update"]
    );
    assert_eq!(forced[1].2, 300_000);
    // The fresh copy is a deployment of the run, and every invocation went to it.
    let copy = &forced[0].0;
    assert!(copy.contains("-copy-"), "{copy}");
    let m = read_manifest(&report.run_dir).unwrap();
    assert!(
        m.deployments
            .iter()
            .any(|d| &d.function == copy && d.action == "fresh-copy"),
        "{:?}",
        m.deployments
    );
    let recs = records(&report.run_dir);
    assert_eq!(recs.len(), 4, "each strategy gave a cold start at once");
    assert!(
        recs.iter().all(|r| r.cold && &r.function == copy),
        "{recs:?}"
    );
    // The wait really happened host-side, between the first and second invocation.
    let mut by_time = recs.clone();
    by_time.sort_by_key(|r| r.send_time_us);
    let gap = by_time[1].send_time_us - (by_time[0].send_time_us + by_time[0].client_time_us);
    assert!(gap >= 300_000, "waited {gap} µs");
    assert_eq!(series(&report.summary, "cold-128mb").accepted_cold, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sampler_stop_leaves_the_rest_of_an_open_loop_schedule_unsent() {
    let sb = Sandbox::new();
    let cfg = sb.write_config(
        "c.json",
        &json!({
            "benchmark": "010.sleep",
            "function": {"memory_mb": 128, "timeout_s": 30},
            "experiment": {
                "pattern": "constant",
                "rate_per_s": 5,
                "duration_s": 40,
                "payload": {"sleep": 0},
            },
        }),
    );
    let report = run_experiment_with(
        &engine(),
        &guest("open-loop"),
        &sb.options(&cfg, "run"),
        &overrides(None, Some("enough-samples"), None),
    )
    .await
    .unwrap();
    assert!(report.error.is_none(), "{:?}", report.error);
    let result: Value = serde_json::from_str(report.guest_result.as_deref().unwrap()).unwrap();
    assert_eq!(result["scheduled"], 200);
    let fired = result["fired"].as_u64().unwrap();
    let recs = records(&report.run_dir);
    assert_eq!(fired, recs.len() as u64, "the call returned what was sent");
    // At 5/s the 8th success comes after about 2 s (cold starts take longer on a
    // loaded machine), long before the 200th request's time (40 s).
    assert!(
        (8..100).contains(&fired),
        "stopped after 8 accepted, fired {fired}"
    );
    let m = read_manifest(&report.run_dir).unwrap();
    let stop = &m.policies.unwrap().stopped_series[0];
    assert_eq!(stop.series, "open-loop-constant");
    assert_eq!(stop.accepted, 8);
}
