//! The `http-endpoint` platform: a guest's schedule aimed at a fixed URL (here a
//! counting HTTP server in this process) is fired and recorded in full.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use common::*;
use faaslab::run::run_experiment;
use serde_json::json;

/// A no-op HTTP server on loopback that counts the POSTs it answers.
async fn counting_server() -> (std::net::SocketAddr, Arc<AtomicU64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicU64::new(0));
    let counted = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let counted = counted.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: hyper::Request<_>| {
                    if req.method() == hyper::Method::POST && req.uri().path() == "/noop" {
                        counted.fetch_add(1, Ordering::SeqCst);
                    }
                    async {
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(
                            http_body_util::Full::new(Bytes::from_static(b"{}")),
                        ))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_guest_fires_its_schedule_at_a_fixed_url() {
    let (addr, count) = counting_server().await;
    let sb = Sandbox::new();
    let cfg = sb.write_config(
        "c.json",
        &json!({
            "benchmark": "010.sleep",
            "platform": "http-endpoint",
            "platforms": {"http-endpoint": {"url": format!("http://{addr}/noop")}},
            "experiment": {"pattern": "constant", "rate_per_s": 200, "duration_s": 1, "payload": {}},
        }),
    );
    let report = run_experiment(&engine(), &guest("open-loop"), &sb.options(&cfg, "run"))
        .await
        .unwrap();
    assert!(report.error.is_none(), "{:?}", report.error);
    let out: serde_json::Value =
        serde_json::from_str(report.guest_result.as_deref().unwrap()).unwrap();
    assert_eq!(out["fired"], 200, "{out}");
    assert_eq!(out["failed"], 0, "{out}");
    assert_eq!(
        count.load(Ordering::SeqCst),
        200,
        "the server saw every request"
    );
    let recs = records(&report.run_dir);
    assert_eq!(recs.len(), 200);
    assert!(
        recs.iter()
            .all(|r| r.platform == "http-endpoint" && !r.cold)
    );
    assert_eq!(manifest(&report.run_dir)["platform"], "http-endpoint");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_endpoint_without_url_is_a_config_error_naming_the_field() {
    let sb = Sandbox::new();
    let cfg = sb.write_config(
        "c.json",
        &json!({"benchmark": "010.sleep", "platform": "http-endpoint"}),
    );
    let err = match run_experiment(&engine(), &guest("open-loop"), &sb.options(&cfg, "run")).await {
        Ok(_) => panic!("a run without platforms.http-endpoint.url must not start"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("platforms.http-endpoint.url"), "{err}");
}
