//! Containers a killed run leaves behind: `kill -9` of faaslab during a local-docker
//! run leaves its function containers running (nothing kills them with the host);
//! `faaslab local cleanup` removes them (live runs' are kept: `owner::is_abandoned`).

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use faaslab::docker;
use faaslab::providers::local_docker;
use serde_json::json;

/// Instance containers whose session belongs to process `pid`.
async fn containers_of(pid: u32) -> Vec<String> {
    let docker = docker::connect().await.unwrap();
    let list = docker
        .list_containers(Some(bollard::query_parameters::ListContainersOptions {
            all: true,
            filters: Some(std::collections::HashMap::from([(
                "label".to_string(),
                vec![format!("{}=instance", docker::LABEL_PURPOSE)],
            )])),
            ..Default::default()
        }))
        .await
        .unwrap();
    let prefix = format!("run-{pid}-");
    list.into_iter()
        .filter(|c| {
            c.labels
                .as_ref()
                .and_then(|l| l.get(docker::LABEL_SESSION))
                .is_some_and(|s| s.starts_with(&prefix))
        })
        .filter_map(|c| c.id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn containers_of_a_killed_run_are_removed_by_local_cleanup() {
    let sb = Sandbox::new();
    let cfg = sb.write_config(
        "c.json",
        &json!({
            "benchmark": "010.sleep",
            "platform": "local-docker",
            "experiment": {
                "repetitions": 400, "concurrent_invocations": 2, "kinds": ["sequential"],
                "max_rounds": 1, "payload": {"sleep": 0.05}
            }
        }),
    );
    let cache = sb.path().join("cache");
    let faaslab = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_faaslab"));
        c.args(args)
            .env("FAASLAB_CACHE_DIR", &cache)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    };
    let mut child = faaslab(&["experiment", "run", guest("perf-cost").to_str().unwrap()])
        .args(["--config", cfg.to_str().unwrap(), "-o"])
        .arg(sb.path().join("run"))
        .spawn()
        .unwrap();
    let pid = child.id();
    let t0 = Instant::now();
    let mut ours = Vec::new();
    while ours.is_empty() {
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "no container appeared"
        );
        assert!(child.try_wait().unwrap().is_none(), "the run ended first");
        tokio::time::sleep(Duration::from_millis(100)).await;
        ours = containers_of(pid).await;
    }
    child.kill().unwrap(); // SIGKILL: no shutdown runs
    child.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !containers_of(pid).await.is_empty(),
        "the killed run's containers are still there (nothing else removes them)"
    );

    let docker = docker::connect().await.unwrap();
    let out = faaslab(&["local", "cleanup"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("removed "), "{stdout}");
    assert_eq!(containers_of(pid).await, Vec::<String>::new());
    // Idempotent: nothing left of dead runs.
    assert_eq!(local_docker::remove_abandoned(&docker).await.unwrap(), 0);
}
