//! `faaslab benchmark regression`: every shipped benchmark deployed, invoked cold and
//! warm, and validated on the real platforms; every validator rejects a wrong output;
//! 130.crud-api against a real Redis server; the CLI's table and exit code.

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{error_line, faaslab_cli, repo_root};
use faaslab::benchmarks::regression::{
    RegressionOptions, RegressionRow, Verdict, all_passed, payload_file, render, run_regression,
};
use faaslab::benchmarks::{Catalog, default_benchmarks_dir};
use faaslab::config::InputSize;
use faaslab::measure::{ExecutionRecord, read_all};
use serde_json::{Value, json};

/// Code packages (with their PyPI requirements) persist between test runs here, so a
/// re-run installs nothing.
fn shared_cache() -> PathBuf {
    repo_root().join("target/test-cache/regression")
}

fn options(
    dir: &Path,
    config: Option<PathBuf>,
    platform: &str,
    benchmarks: &[&str],
) -> RegressionOptions {
    RegressionOptions {
        size: InputSize::Test,
        platforms: vec![platform.to_string()],
        benchmarks: benchmarks.iter().map(|b| b.to_string()).collect(),
        config_path: config,
        output_dir: dir.join("runs"),
        cache_dir: Some(shared_cache()),
        benchmarks_dir: None,
        container_services_ip: None,
    }
}

fn write_config(dir: &Path, value: &Value) -> PathBuf {
    let p = dir.join("base.json");
    std::fs::write(&p, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    p
}

fn label(r: &RegressionRow) -> String {
    format!("{}-{}-{}", r.benchmark, r.language, r.platform)
}

/// The records of a row's run: a cold then a warm invocation, each with a breakdown.
fn assert_cold_then_warm(r: &RegressionRow) -> Vec<ExecutionRecord> {
    let run = r
        .run_dir
        .as_ref()
        .expect("a checked row has a run directory");
    let records: Vec<ExecutionRecord> = read_all(&run.join("results.jsonl")).unwrap();
    assert_eq!(records.len(), 2, "{}", label(r));
    assert!(records[0].cold && !records[1].cold, "{}", label(r));
    for rec in &records {
        let b = rec
            .breakdown
            .as_ref()
            .unwrap_or_else(|| panic!("{}: no breakdown", label(r)));
        assert!(
            b.compute_us + b.download_us + b.upload_us > 0 || rec.benchmark == "010.sleep",
            "{}: empty breakdown {b:?}",
            label(r)
        );
    }
    records
}

/// Where to corrupt each benchmark's output (a JSON pointer); numbers grow by 1,
/// strings get a character, lists lose their last element. A benchmark not listed
/// keeps only its `measurement`.
const CORRUPT: &[(&str, &str)] = &[
    ("010.sleep", "/slept_s"),
    ("020.network-benchmark", "/lost"),
    ("030.clock-synchronization", "/offset_us"),
    ("040.server-reply", "/replies/0"),
    ("110.dynamic-html", "/rows"),
    ("120.uploader", "/sha256"),
    ("130.crud-api", "/replies"),
    ("210.thumbnailer", "/size/0"),
    ("220.video-processing", "/video/frames"),
    ("311.compression", "/files"),
    ("411.image-recognition", "/predictions/0/probabilities/0"),
    ("501.graph-pagerank", "/top/0/1"),
    ("502.graph-mst", "/weight"),
    ("503.graph-bfs", "/depth_sum"),
    ("504.dna-visualisation", "/sha256"),
];

fn corrupt(benchmark: &str, output: &str) -> String {
    match CORRUPT.iter().find(|(b, _)| *b == benchmark) {
        Some((_, pointer)) => common::corrupt_at(benchmark, output, pointer),
        None => {
            let v: Value = serde_json::from_str(output).unwrap();
            json!({ "measurement": v["measurement"] }).to_string()
        }
    }
}

/// Every validator accepts the real output (the regression passed) and rejects it
/// once corrupted.
async fn assert_validators_reject_corrupted_outputs(dir: &Path, rows: &[RegressionRow]) {
    let catalog = Catalog::open(default_benchmarks_dir()).unwrap();
    for r in rows.iter().filter(|r| r.verdict == Verdict::Passed) {
        let records = assert_cold_then_warm(r);
        let payload = std::fs::read_to_string(payload_file(&dir.join("runs"), &label(r))).unwrap();
        let bench = catalog.get(&r.benchmark).unwrap();
        let ok = catalog
            .validate(&bench, &payload, &records[0].output, "python3")
            .await
            .unwrap();
        assert!(ok.valid, "{}: {}", label(r), ok.reason);
        let wrong = corrupt(&r.benchmark, &records[0].output);
        let v = catalog
            .validate(&bench, &payload, &wrong, "python3")
            .await
            .unwrap();
        assert!(!v.valid, "{}: the validator accepted {wrong}", label(r));
        assert!(!v.reason.is_empty() && v.reason != "ok", "{}", label(r));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_benchmark_passes_on_local_process_and_validators_reject_wrong_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let rows = run_regression(&options(dir.path(), None, "local-process", &[]))
        .await
        .unwrap();
    let table = render(&rows);
    println!("{table}");
    let catalog = Catalog::open(default_benchmarks_dir()).unwrap();
    for id in catalog.ids() {
        let b = catalog.get(&id).unwrap();
        for language in &b.config.languages {
            let row = rows
                .iter()
                .find(|r| r.benchmark == id && &r.language == language)
                .unwrap_or_else(|| panic!("{id} {language} missing from\n{table}"));
            match &row.verdict {
                Verdict::Passed => {
                    assert_eq!((row.cold_ok, row.warm_ok), (Some(true), Some(true)));
                }
                // Only what this host cannot offer may be skipped: a service it does
                // not run, or a language it has no runtime for.
                Verdict::Skipped(why) => assert!(
                    (why.starts_with("needs ") && !why.contains(" on PATH"))
                        || why.starts_with("no "),
                    "{id}: {why}\n{table}"
                ),
                Verdict::Failed(why) => panic!("{id} {language}: {why}\n{table}"),
            }
        }
    }
    assert_suite_passed(&rows, &table);
    assert!(all_passed(&rows));
    assert_validators_reject_corrupted_outputs(dir.path(), &rows).await;
}

/// A real Redis server (Debian's `redis-server`) on a free port, without persistence,
/// killed when dropped.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    /// Listening on `bind` ("127.0.0.1", or "0.0.0.0" so containers reach it through
    /// the bridge gateway).
    fn start(bind: &str) -> Redis {
        let bin = Path::new("/usr/bin/redis-server");
        assert!(
            bin.is_file(),
            "redis-server is missing: run `bash scripts/install-toolchain.sh`"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(bin)
            .args([
                "--bind",
                bind,
                // Unauthenticated clients from the bridge are the point of the test.
                "--protected-mode",
                "no",
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "redis-server did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Redis { child, port }
    }

    /// `HLEN key` over RESP.
    fn hlen(&self, key: &str) -> i64 {
        use std::io::{BufRead, BufReader, Write};
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(s, "*2\r\n$4\r\nHLEN\r\n${}\r\n{key}\r\n", key.len()).unwrap();
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).unwrap();
        line.trim().trim_start_matches(':').parse().unwrap()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Regression of 130.crud-api on `platform` with `storage.nosql` = `nosql`.
async fn crud_api_with(dir: &Path, nosql: Value, platform: &str) -> Vec<RegressionRow> {
    let config = write_config(dir, &json!({"storage": {"nosql": nosql}}));
    let opts = options(dir, Some(config), platform, &["130.crud-api"]);
    run_regression(&opts).await.unwrap()
}

/// 130.crud-api on `platform` against `redis` given as `127.0.0.1:<port>`: passes, and
/// the cart (5 items of the test size, in one hash) is in that server.
async fn assert_crud_api_uses(redis: &Redis, platform: &str) {
    let dir = tempfile::tempdir().unwrap();
    let address = format!("127.0.0.1:{}", redis.port);
    let nosql = json!({"backend": "redis", "redis": address});
    let rows = crud_api_with(dir.path(), nosql, platform).await;
    assert_eq!(rows.len(), 1, "{}", render(&rows));
    assert_eq!(rows[0].verdict, Verdict::Passed, "{}", render(&rows));
    assert_cold_then_warm(&rows[0]);
    assert_eq!(redis.hlen("shopping_cart:cart-test-42"), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crud_api_passes_against_a_real_redis_server() {
    assert_crud_api_uses(&Redis::start("127.0.0.1"), "local-process").await;
}

/// The containers get the loopback address as `host.docker.internal` (the bridge
/// gateway), where this server also listens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crud_api_on_local_docker_reaches_a_redis_server_on_the_host() {
    assert_crud_api_uses(&Redis::start("0.0.0.0"), "local-docker").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_backend_without_an_address_is_a_config_error_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let rows = crud_api_with(dir.path(), json!({"backend": "redis"}), "local-process").await;
    match &rows[0].verdict {
        Verdict::Failed(why) => assert!(why.contains("storage.nosql.redis"), "{why}"),
        v => panic!("{v:?}"),
    }
}

/// A benchmarks directory with 010.sleep, one whose validator rejects everything and
/// one needing a service no host provides.
fn odd_catalog(root: &Path) -> PathBuf {
    let src = repo_root().join("benchmarks");
    let dst = root.join("benchmarks");
    let copy = |from: &Path, to: &Path| {
        std::fs::create_dir_all(to.join("python")).unwrap();
        std::fs::create_dir_all(to.join("nodejs")).unwrap();
        for f in [
            "config.json",
            "input.py",
            "python/function.py",
            "nodejs/function.js",
        ] {
            std::fs::copy(from.join(f), to.join(f)).unwrap();
        }
    };
    std::fs::create_dir_all(dst.join("_tools")).unwrap();
    for f in std::fs::read_dir(src.join("_tools")).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "py") {
            std::fs::copy(&f, dst.join("_tools").join(f.file_name().unwrap())).unwrap();
        }
    }
    copy(&src.join("010.sleep"), &dst.join("010.sleep"));
    copy(&src.join("010.sleep"), &dst.join("011.always-wrong"));
    let input = dst.join("011.always-wrong/input.py");
    let text = std::fs::read_to_string(&input).unwrap();
    std::fs::write(
        &input,
        format!("{text}\n\ndef validate_output(payload, output):\n    return False, \"this validator rejects everything\"\n"),
    )
    .unwrap();
    copy(&src.join("010.sleep"), &dst.join("012.needs-clock"));
    std::fs::write(
        dst.join("012.needs-clock/config.json"),
        r#"{"description": "x", "timeout_s": 10, "memory_mb": 128, "languages": ["python"], "host_services": ["udp-clock"]}"#,
    )
    .unwrap();
    dst
}

/// `faaslab benchmark regression test --platform local-process <args>` on `benchmarks`:
/// (exit code, stdout).
fn cli_regression(
    dir: &Path,
    benchmarks: &Path,
    run: &str,
    args: &[&str],
) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_faaslab"))
        .args([
            "--quiet",
            "benchmark",
            "regression",
            "test",
            "--platform",
            "local-process",
        ])
        .args(args)
        .arg("--benchmarks-dir")
        .arg(benchmarks)
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .arg("-o")
        .arg(dir.join(run))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn cli_prints_the_table_and_fails_when_a_benchmark_fails() {
    let dir = tempfile::tempdir().unwrap();
    let benchmarks = odd_catalog(dir.path());
    let (code, stdout) = cli_regression(dir.path(), &benchmarks, "runs", &[]);
    assert_eq!(code, Some(1), "{stdout}");
    let line = |id: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("no row for {id}:\n{stdout}"))
            .to_string()
    };
    let sleep = line("010.sleep");
    assert!(
        sleep.contains("passed") && sleep.contains("local-process"),
        "{sleep}"
    );
    assert_eq!(sleep.split_whitespace().nth(3), Some("ok"), "cold: {sleep}");
    assert_eq!(sleep.split_whitespace().nth(4), Some("ok"), "warm: {sleep}");
    let node_sleep = stdout
        .lines()
        .find(|l| l.starts_with("010.sleep") && l.split_whitespace().nth(1) == Some("nodejs"))
        .unwrap_or_else(|| panic!("no nodejs row for 010.sleep:\n{stdout}"));
    assert!(node_sleep.contains("passed"), "{node_sleep}");
    let wrong = line("011.always-wrong");
    assert!(
        wrong.contains("FAILED") && wrong.contains("this validator rejects everything"),
        "{wrong}"
    );
    let clock = line("012.needs-clock");
    assert!(clock.contains("skipped: needs udp-clock"), "{clock}");
    assert!(
        stdout.contains("benchmarks passed: 2, failed: 2, skipped: 1"),
        "{stdout}"
    );

    // Only the good and the skipped one: success.
    let only = ["--benchmark", "010.sleep", "--benchmark", "012.needs-clock"];
    let (code, stdout) = cli_regression(dir.path(), &benchmarks, "runs2", &only);
    assert_eq!(code, Some(0), "{stdout}");
}

/// The benchmarks of this suite, which must pass (not be skipped) on both local platforms.
const SUITE: &[&str] = &[
    "010.sleep",
    "020.network-benchmark",
    "030.clock-synchronization",
    "040.server-reply",
    "110.dynamic-html",
    "120.uploader",
    "130.crud-api",
    "210.thumbnailer",
    "220.video-processing",
    "311.compression",
    "411.image-recognition",
    "501.graph-pagerank",
    "502.graph-mst",
    "503.graph-bfs",
    "504.dna-visualisation",
];

fn assert_suite_passed(rows: &[RegressionRow], table: &str) {
    for id in SUITE {
        assert!(
            rows.iter()
                .any(|r| r.benchmark == *id && r.verdict == Verdict::Passed),
            "{id} did not pass\n{table}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_benchmark_passes_on_local_docker() {
    let dir = tempfile::tempdir().unwrap();
    // The host services listen on the bridge's gateway, where the containers reach them.
    let rows = run_regression(&options(dir.path(), None, "local-docker", &[]))
        .await
        .unwrap();
    let table = render(&rows);
    println!("{table}");
    for r in &rows {
        match &r.verdict {
            Verdict::Passed => {
                assert_cold_then_warm(r);
            }
            // A service no host provides or a language without a runtime, never one
            // this host runs but the containers cannot reach.
            Verdict::Skipped(why) => assert!(
                why.starts_with("no ") || (why.starts_with("needs ") && !why.contains("reachable")),
                "{}: {why}\n{table}",
                label(r)
            ),
            Verdict::Failed(why) => panic!("{}: {why}\n{table}", label(r)),
        }
    }
    assert_suite_passed(&rows, &table);
}

/// A benchmark, a JSON pointer into its output and the wrong value put there.
type Corruption = (&'static str, &'static str, fn(&Value) -> Value);

/// Outputs of 020 and 030 changed the ways a broken function or transport would: each
/// must be rejected.
const NETWORK_CORRUPTIONS: &[Corruption] = &[
    ("020.network-benchmark", "/rtts_us/0", |_| json!(5_000_000)),
    ("020.network-benchmark", "/rtts_us/0", |_| json!(-3)),
    ("020.network-benchmark", "/rtts_us", |_| json!([])),
    ("020.network-benchmark", "/packet_size", |v| {
        json!(v.as_u64().unwrap() * 2)
    }),
    ("030.clock-synchronization", "/samples/0/2", |_| json!(0)),
    ("030.clock-synchronization", "/samples/0/3", |_| {
        json!(1_000)
    }),
    ("030.clock-synchronization", "/samples/1/0", |v| {
        json!(v.as_u64().unwrap() - 10_000_000)
    }),
    ("030.clock-synchronization", "/delay_us", |v| {
        json!(v.as_f64().unwrap() + 7.0)
    }),
    ("030.clock-synchronization", "/handler_start_us", |_| {
        json!("now")
    }),
];

/// 020 and 030 against the host's UDP echo and timestamp endpoints, on both local
/// platforms (loopback, and the bridge gateway for containers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_benchmarks_reach_the_host_udp_endpoints_on_both_local_platforms() {
    let network = ["020.network-benchmark", "030.clock-synchronization"];
    let catalog = Catalog::open(default_benchmarks_dir()).unwrap();
    for platform in ["local-process", "local-docker"] {
        let dir = tempfile::tempdir().unwrap();
        let rows = run_regression(&options(dir.path(), None, platform, &network))
            .await
            .unwrap();
        let table = render(&rows);
        // Each in Python and in Node.js.
        assert_eq!(rows.len(), 2 * network.len(), "{table}");
        for r in &rows {
            assert_eq!(r.verdict, Verdict::Passed, "{}\n{table}", label(r));
        }
        assert_validators_reject_corrupted_outputs(dir.path(), &rows).await;
        for r in &rows {
            let records = assert_cold_then_warm(r);
            let output: Value = serde_json::from_str(&records[1].output).unwrap();
            let payload_text =
                std::fs::read_to_string(payload_file(&dir.path().join("runs"), &label(r))).unwrap();
            let payload: Value = serde_json::from_str(&payload_text).unwrap();
            // The placeholder became the endpoint's address, and every datagram came back.
            let server = payload["server"].as_str().unwrap();
            assert!(server.parse::<std::net::SocketAddr>().is_ok(), "{server}");
            assert_eq!(output["lost"], 0, "{}: {output}", label(r));
            let bench = catalog.get(&r.benchmark).unwrap();
            for (id, pointer, change) in NETWORK_CORRUPTIONS.iter().filter(|c| c.0 == r.benchmark) {
                let mut wrong = output.clone();
                let target = wrong
                    .pointer_mut(pointer)
                    .unwrap_or_else(|| panic!("{id}: no {pointer}"));
                *target = change(target);
                let v = catalog
                    .validate(&bench, &payload_text, &wrong.to_string(), "python3")
                    .await
                    .unwrap();
                assert!(
                    !v.valid,
                    "{id} on {platform}: accepted {pointer} = {}",
                    wrong.pointer(pointer).unwrap()
                );
            }
        }
    }
}

/// A catalog of three benchmarks answering a greeting: 601 and 602 take it from the
/// shared file `_shared/python/greeting.py`, 603 from its own code. Each validator
/// requires the greeting its code has now (for 601/602: the shared file's).
fn greeting_catalog(root: &Path) -> PathBuf {
    let src = repo_root().join("benchmarks");
    let dst = root.join("benchmarks");
    std::fs::create_dir_all(dst.join("_tools")).unwrap();
    std::fs::copy(
        src.join("_tools/faaslab_input.py"),
        dst.join("_tools/faaslab_input.py"),
    )
    .unwrap();
    std::fs::create_dir_all(dst.join("_shared/python")).unwrap();
    std::fs::write(dst.join("_shared/python/greeting.py"), "GREETING = 'one'\n").unwrap();
    let function = |module: &str| {
        format!(
            "import faaslab_storage\nimport {module}\n\n\ndef handler(event):\n    m = faaslab_storage.Measurement()\n    return {{\"greeting\": {module}.GREETING, \"measurement\": m.as_dict()}}\n"
        )
    };
    let input = |module_path: &str| {
        format!(
            "import os\nimport runpy\n\n\ndef generate_input(size, seed):\n    return {{}}\n\n\ndef validate_output(payload, output):\n    here = os.path.dirname(os.path.abspath(__file__))\n    want = runpy.run_path(os.path.join(here, {module_path:?}))[\"GREETING\"]\n    if output.get(\"greeting\") != want:\n        return False, f\"greeting {{output.get('greeting')!r}}, expected {{want!r}}\"\n    return True, \"ok\"\n"
        )
    };
    for (id, shared) in [
        ("601.shared-a", true),
        ("602.shared-b", true),
        ("603.own", false),
    ] {
        let dir = dst.join(id);
        std::fs::create_dir_all(dir.join("python")).unwrap();
        let mut config = json!({"description": "greeting", "timeout_s": 10, "memory_mb": 128, "languages": ["python"]});
        if shared {
            config["shared_files"] = json!({"python": ["greeting.py"]});
            std::fs::write(dir.join("python/function.py"), function("greeting")).unwrap();
            std::fs::write(dir.join("input.py"), input("../_shared/python/greeting.py")).unwrap();
        } else {
            std::fs::write(dir.join("python/own.py"), "GREETING = 'own'\n").unwrap();
            std::fs::write(dir.join("python/function.py"), function("own")).unwrap();
            std::fs::write(dir.join("input.py"), input("python/own.py")).unwrap();
        }
        std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    }
    dst
}

/// Regression of the greeting catalog: per benchmark, (code hash, package built).
async fn greeting_regression(
    dir: &Path,
    benchmarks: &Path,
    run: &str,
) -> Vec<(String, String, bool)> {
    let mut opts = options(dir, None, "local-process", &[]);
    opts.output_dir = dir.join(run);
    opts.cache_dir = Some(dir.join("cache"));
    opts.benchmarks_dir = Some(benchmarks.to_path_buf());
    let rows = run_regression(&opts).await.unwrap();
    let table = render(&rows);
    assert_eq!(rows.len(), 3, "{table}");
    rows.iter()
        .map(|r| {
            assert_eq!(r.verdict, Verdict::Passed, "{}\n{table}", label(r));
            let manifest: Value = serde_json::from_slice(
                &std::fs::read(r.run_dir.as_ref().unwrap().join("manifest.json")).unwrap(),
            )
            .unwrap();
            let d = &manifest["deployments"][0];
            (
                r.benchmark.clone(),
                d["code_hash"].as_str().unwrap().to_string(),
                d["package_built"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_shared_file_rebuilds_and_redeploys_exactly_the_benchmarks_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let benchmarks = greeting_catalog(dir.path());
    let first = greeting_regression(dir.path(), &benchmarks, "runs1").await;
    assert!(first.iter().all(|(_, _, built)| *built), "{first:?}");

    std::fs::write(
        benchmarks.join("_shared/python/greeting.py"),
        "GREETING = 'two'\n",
    )
    .unwrap();
    // The validators now want 'two' from 601 and 602: they pass only if redeployed.
    let second = greeting_regression(dir.path(), &benchmarks, "runs2").await;
    for ((id, hash1, _), (_, hash2, built)) in first.iter().zip(&second) {
        let uses_shared = id != "603.own";
        assert_eq!(hash1 != hash2, uses_shared, "{id}: {hash1} → {hash2}");
        assert_eq!(*built, uses_shared, "{id}: package built again?");
    }
}

#[test]
fn a_missing_shared_file_is_one_error_naming_the_config_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let benchmarks = greeting_catalog(dir.path());
    std::fs::remove_file(benchmarks.join("_shared/python/greeting.py")).unwrap();
    let catalog = benchmarks.display().to_string();
    let args = ["--quiet", "benchmark", "package", "602.shared-b"];
    let (code, _, err) = faaslab_cli(
        &[
            &args[..],
            &["--platform", "local-process", "--benchmarks-dir", &catalog],
        ]
        .concat(),
        dir.path(),
    );
    assert_eq!(code, 1, "{err}");
    let line = error_line(&err);
    let config = benchmarks.join("602.shared-b/config.json");
    assert!(
        line.contains(&config.display().to_string())
            && line.contains("shared_files.python: `greeting.py` does not exist"),
        "{line}"
    );
}
