//! What a script may do is what it declares (custom section `faaslab:manifest` or a
//! sidecar file) ∩ what the config grants ∩ the command line's flags; anything else is
//! `denied`. `faaslab script inspect` shows it all without running the script; bad
//! component files are refused at load with one line.

mod common;

use std::path::Path;

use common::*;
use faaslab::run::run_experiment;
use serde_json::{Value, json};
use sha2::Digest;

/// Runs the `hostile` guest's `deploy` case for `target` with extra config fields.
async fn deploy_as(sb: &Sandbox, script: &Path, target: &str, top: Value, run: &str) -> Value {
    let mut c = json!({
        "benchmark": "110.dynamic-html",
        "experiment": {"case": "deploy", "target": target}
    });
    for (k, v) in top.as_object().unwrap() {
        c[k] = v.clone();
    }
    let cfg = sb.write_config(&format!("{run}.json"), &c);
    let report = run_experiment(&engine(), script, &sb.options(&cfg, run))
        .await
        .unwrap();
    assert!(report.error.is_none(), "{:?}", report.error);
    serde_json::from_str(report.guest_result.as_deref().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeclared_benchmarks_and_ungranted_ones_are_denied() {
    let sb = Sandbox::new();
    let hostile = guest("hostile");
    // Declared by the guest, granted by default.
    let r = deploy_as(&sb, &hostile, "010.sleep", json!({}), "declared").await;
    assert_eq!(r["deploy"], "ok", "{r:#}");
    // Exists, but the guest did not declare it.
    let r = deploy_as(&sb, &hostile, "311.compression", json!({}), "undeclared").await;
    for what in ["deploy", "input"] {
        let v = r[what].as_str().unwrap();
        assert!(
            v.starts_with("denied: benchmark `311.compression` is not granted"),
            "{what}: {v}"
        );
    }
    // Declared, but the config grants less.
    let r = deploy_as(
        &sb,
        &hostile,
        "110.dynamic-html",
        json!({"grants": {"benchmarks": ["010.sleep"]}}),
        "ungranted",
    )
    .await;
    let v = r["deploy"].as_str().unwrap();
    assert!(v.starts_with("denied: benchmark `110.dynamic-html`"), "{v}");
    assert!(v.contains("granted: 010.sleep"), "{v}");
    // The run's platform is not granted.
    let r = deploy_as(
        &sb,
        &hostile,
        "010.sleep",
        json!({"grants": {"platforms": ["local-docker"]}}),
        "platform",
    )
    .await;
    let v = r["deploy"].as_str().unwrap();
    assert!(v.starts_with("denied: platform `local-process`"), "{v}");
    // The manifest keeps the effective grants and what the script declared.
    let m = manifest(&sb.path().join("ungranted"));
    assert_eq!(m["config"]["grants"]["benchmarks"], json!(["010.sleep"]));
    assert_eq!(
        m["script"]["declared"]["manifest"]["benchmarks"],
        json!(["110.dynamic-html", "010.sleep"])
    );
    assert_eq!(
        m["config"]["storage"]["grants"],
        json!([]),
        "no bucket granted, none kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sidecar_file_narrows_a_script_too() {
    let sb = Sandbox::new();
    let script = sb.path().join("h.wasm");
    std::fs::copy(guest("hostile"), &script).unwrap();
    std::fs::write(
        sb.path().join("h.faaslab.json"),
        r#"{"benchmarks": ["010.sleep"], "max_invocations": 3}"#,
    )
    .unwrap();
    let r = deploy_as(&sb, &script, "110.dynamic-html", json!({}), "run").await;
    assert!(
        r["deploy"].as_str().unwrap().starts_with("denied: "),
        "{r:#}"
    );
    let m = manifest(&sb.path().join("run"));
    assert_eq!(m["config"]["limits"]["max_invocations"], 3);
    assert_eq!(m["config"]["grants"]["benchmarks"], json!(["010.sleep"]));

    // A malformed sidecar is refused, naming the file and the field.
    std::fs::write(sb.path().join("h.faaslab.json"), r#"{"benchmarks": "all"}"#).unwrap();
    let e = engine().load(&script).err().unwrap().to_string();
    assert!(
        e.contains("h.faaslab.json: field `benchmarks`: invalid type"),
        "{e}"
    );
    assert!(!e.contains('\n'));
}

#[test]
fn command_line_grants_narrow_the_config() {
    let sb = Sandbox::new();
    let cfg = sb.write_config(
        "c.json",
        &json!({
            "benchmark": "110.dynamic-html",
            "experiment": {"case": "deploy", "target": "110.dynamic-html"}
        }),
    );
    let hostile = guest("hostile");
    let (code, out, err) = faaslab_cli(
        &[
            "experiment",
            "run",
            hostile.to_str().unwrap(),
            "--config",
            cfg.to_str().unwrap(),
            "-o",
            "run",
            "--allow-benchmark",
            "010.sleep",
            "--max-invocations",
            "7",
        ],
        sb.path(),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let m = manifest(&sb.path().join("run"));
    let deploy = m["guest_result"]["deploy"].as_str().unwrap();
    assert!(
        deploy.starts_with("denied: benchmark `110.dynamic-html`"),
        "{deploy}"
    );
    assert_eq!(m["config"]["limits"]["max_invocations"], 7);
}

#[test]
fn script_inspect_prints_imports_exports_needs_and_hash() {
    let sb = Sandbox::new();
    let hostile = guest("hostile");
    let sha = hex::encode(sha2::Sha256::digest(std::fs::read(&hostile).unwrap()));
    let (code, out, err) =
        faaslab_cli(&["script", "inspect", hostile.to_str().unwrap()], sb.path());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&sha), "{out}");
    assert!(out.contains("faaslab:host/platform@0.1.0"), "{out}");
    assert!(
        out.contains("benchmarks       110.dynamic-html, 010.sleep"),
        "{out}"
    );
    assert!(
        out.contains("from custom section faaslab:manifest"),
        "{out}"
    );

    let (code, out, err) = faaslab_cli(
        &["script", "inspect", hostile.to_str().unwrap(), "--json"],
        sb.path(),
    );
    assert_eq!(code, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["sha256"], sha);
    assert_eq!(j["exports"], json!(["run"]));
    let imports: Vec<&str> = j["imports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    assert!(imports.contains(&"faaslab:host/log@0.1.0"), "{imports:?}");
    assert!(
        !imports.iter().any(|i| i.starts_with("wasi:")),
        "a Rust guest without WASI imports none: {imports:?}"
    );
    assert_eq!(j["declared"]["manifest"]["buckets"], json!(["experiments"]));

    // The example scripts declare their needs too.
    let perf_cost = guest("perf-cost");
    let (_, out, _) = faaslab_cli(
        &["script", "inspect", perf_cost.to_str().unwrap()],
        sb.path(),
    );
    assert!(out.contains("buckets          none"), "{out}");
    // A guest without a declaration says so.
    let spin = guest("spin");
    let (_, out, _) = faaslab_cli(&["script", "inspect", spin.to_str().unwrap()], sb.path());
    assert!(out.contains("declares nothing"), "{out}");
}

#[test]
fn an_unknown_import_is_rejected_at_load_naming_it() {
    let e = engine()
        .load(&guest("unknown-import"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("imports `evil:corp/exfiltrate@1.0.0`") && e.contains("does not offer"),
        "{e}"
    );
    assert!(!e.contains('\n'), "{e}");
}

#[test]
fn malformed_and_enormous_components_are_refused_with_one_line() {
    let sb = Sandbox::new();
    let engine = engine();
    // A component header followed by garbage.
    let bad = sb.path().join("bad.wasm");
    std::fs::write(&bad, b"\0asm\x0d\0\x01\0\x07\xff\xff\xffgarbage").unwrap();
    let e = engine.load(&bad).err().unwrap().to_string();
    assert!(e.starts_with(&format!("{}: ", bad.display())), "{e}");
    assert!(
        e.contains("malformed") || e.contains("invalid component"),
        "{e}"
    );
    assert!(!e.contains('\n'), "{e}");
    // Over the size cap: refused before reading it (the file is sparse).
    let huge = sb.path().join("huge.wasm");
    let f = std::fs::File::create(&huge).unwrap();
    f.set_len(300 * 1024 * 1024).unwrap();
    let e = engine.load(&huge).err().unwrap().to_string();
    assert!(
        e.contains("over the 256 MiB limit for guest components"),
        "{e}"
    );
    let (code, _, err) = faaslab_cli(&["script", "inspect", huge.to_str().unwrap()], sb.path());
    assert_ne!(code, 0);
    assert!(err.contains("over the 256 MiB limit"), "{err}");
    let (code, _, err) = faaslab_cli(&["script", "inspect", bad.to_str().unwrap()], sb.path());
    assert_ne!(code, 0);
    assert_eq!(err.lines().count(), 1, "{err}");
}
