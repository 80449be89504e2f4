//! The real binary: bad input gets one clear line naming the file and field.

mod common;

use common::{error_line, faaslab_cli as faaslab};

#[test]
fn wrong_field_type_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.json"),
        r#"{"benchmark": "010.sleep", "function": {"memory_mb": "big"}}"#,
    )
    .unwrap();
    let (code, _, err) = faaslab(
        &[
            "benchmark",
            "invoke",
            "010.sleep",
            "test",
            "--config",
            "bad.json",
        ],
        dir.path(),
    );
    assert_ne!(code, 0);
    let line = error_line(&err);
    assert!(
        line.starts_with(
            "error: bad.json: field `function.memory_mb`: invalid type: string \"big\""
        ),
        "{line}"
    );
}

#[test]
fn unknown_benchmark_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.json"), r#"{"benchmark": "999.nope"}"#).unwrap();
    let (code, _, err) = faaslab(
        &[
            "benchmark",
            "invoke",
            "010.sleep",
            "test",
            "--config",
            "bad.json",
        ],
        dir.path(),
    );
    assert_ne!(code, 0);
    let line = error_line(&err);
    assert!(
        line.contains(
            "bad.json: field `benchmark`: unknown benchmark `999.nope` (known: 010.sleep, "
        ) && line.contains("110.dynamic-html"),
        "{line}"
    );
}

#[test]
fn missing_script_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = faaslab(&["experiment", "run", "nope.wasm"], dir.path());
    assert_ne!(code, 0);
    let line = error_line(&err);
    assert!(line.starts_with("error: nope.wasm: cannot read"), "{line}");
}

#[test]
fn benchmark_list_shows_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = faaslab(&["benchmark", "list"], dir.path());
    assert_eq!(code, 0);
    assert!(
        out.contains("010.sleep") && out.contains("110.dynamic-html"),
        "{out}"
    );
}

#[test]
fn invoke_prints_a_summary_and_validates() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = faaslab(
        &[
            "benchmark",
            "invoke",
            "110.dynamic-html",
            "test",
            "-n",
            "3",
            "-o",
            "run",
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("output valid"), "{out}");
    assert!(out.contains("invoke-256mb"), "{out}");
    let (code, out, _) = faaslab(&["results", "stats", "run"], dir.path());
    assert_eq!(code, 0);
    assert!(out.starts_with("3 invocations"), "{out}");
}
