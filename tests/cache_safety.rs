//! The cache under concurrent faaslab processes (the real binary), damaged entries,
//! and `faaslab cache list|clean`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use faaslab::cache::Cache;
use faaslab::packaging::check_package;

const BENCH: &str = "110.dynamic-html";

fn faaslab(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_faaslab"));
    cmd.args(args)
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .current_dir(dir)
        .env_remove("RUST_LOG");
    cmd
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `benchmark invoke` into run directory `run`; returns (deploy action, stdout, stderr).
fn invoke(dir: &Path, benchmark: &str, run: &str, extra: &[&str]) -> (String, String, String) {
    let out = faaslab(dir, &["benchmark", "invoke", benchmark, "test", "-o", run])
        .args(extra)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "invoke {run} failed\nstdout: {stdout}\nstderr: {stderr}"
    );
    assert!(stdout.contains("output valid"), "{stdout}");
    (action(&stdout), stdout, stderr)
}

/// The action of the `function NAME (ACTION)` line.
fn action(stdout: &str) -> String {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("function "))
        .unwrap_or_else(|| panic!("no `function` line in {stdout}"));
    line.rsplit('(')
        .next()
        .unwrap()
        .trim_end_matches(')')
        .to_string()
}

fn listing(dir: &Path) -> serde_json::Value {
    let out = faaslab(dir, &["cache", "list", "--json"]).output().unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Temp files and in-progress builds anywhere below `dir`.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.contains(".tmp-") || name.starts_with(".build-") {
                out.push(e.path());
            }
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
        }
    }
    out
}

fn only_package(dir: &Path) -> PathBuf {
    let l = listing(dir);
    let packages = l["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 1, "{l:#}");
    PathBuf::from(packages[0]["path"].as_str().unwrap())
}

#[test]
fn eight_concurrent_processes_deploy_the_function_once() {
    let dir = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..8)
        .map(|i| {
            faaslab(
                dir.path(),
                &[
                    "benchmark",
                    "invoke",
                    BENCH,
                    "test",
                    "-o",
                    &format!("run{i}"),
                ],
            )
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let mut actions = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
        assert!(stdout.contains("output valid"), "{stdout}");
        assert!(!stderr.contains("WARN"), "{stderr}");
        actions.push(action(&stdout));
    }
    actions.sort();
    let mut expected = vec!["created".to_string()];
    expected.extend(std::iter::repeat_n("reused".to_string(), 7));
    assert_eq!(actions, expected);

    // A valid cache: one record that parses, one whole package, no temp files.
    let l = listing(dir.path());
    let functions = l["functions"].as_array().unwrap();
    assert_eq!(functions.len(), 1, "{l:#}");
    assert!(functions[0]["error"].is_null(), "{l:#}");
    assert_eq!(functions[0]["record"]["benchmark"], BENCH);
    assert_eq!(l["inputs"].as_array().unwrap().len(), 1, "{l:#}");
    check_package(&only_package(dir.path())).unwrap();
    assert_eq!(leftovers(&dir.path().join("cache")), Vec::<PathBuf>::new());
    let (action, _, _) = invoke(dir.path(), BENCH, "run8", &[]);
    assert_eq!(action, "reused");
}

fn truncate(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    std::fs::write(path, &bytes[..bytes.len() / 2]).unwrap();
}

#[test]
fn truncated_cache_files_are_reported_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let (first, _, _) = invoke(dir.path(), BENCH, "run1", &[]);
    assert_eq!(first, "created");
    let l = listing(dir.path());
    let record = PathBuf::from(l["functions"][0]["path"].as_str().unwrap());
    let input = dir
        .path()
        .join("cache/inputs")
        .join(BENCH)
        .join(l["inputs"][0]["file"].as_str().unwrap());

    // The deployment record: warning, deployed again, a valid record afterwards.
    truncate(&record);
    let (action, _, stderr) = invoke(dir.path(), BENCH, "run2", &[]);
    assert!(
        stderr.contains("is corrupt") && stderr.contains("rebuilding it"),
        "{stderr}"
    );
    assert_eq!(action, "created");
    serde_json::from_slice::<serde_json::Value>(&std::fs::read(&record).unwrap()).unwrap();

    // A file of the code package: warning, package rebuilt, correct run.
    let package = only_package(dir.path());
    truncate(&package.join("function/function.py"));
    assert!(check_package(&package).is_err());
    let (action, _, stderr) = invoke(dir.path(), BENCH, "run3", &[]);
    assert!(stderr.contains("is damaged"), "{stderr}");
    assert_eq!(action, "reused", "same code hash: the deployment is reused");
    check_package(&package).unwrap();

    // The generated input.
    truncate(&input);
    let (_, _, stderr) = invoke(dir.path(), BENCH, "run4", &[]);
    assert!(stderr.contains("is corrupt"), "{stderr}");
    serde_json::from_slice::<serde_json::Value>(&std::fs::read(&input).unwrap()).unwrap();

    let (action, _, stderr) = invoke(dir.path(), BENCH, "run5", &[]);
    assert_eq!(action, "reused");
    assert!(!stderr.contains("WARN"), "{stderr}");
}

#[test]
fn cache_list_and_clean_by_benchmark_and_platform() {
    let dir = tempfile::tempdir().unwrap();
    invoke(dir.path(), BENCH, "run1", &[]);
    invoke(
        dir.path(),
        "010.sleep",
        "run2",
        &["--payload", r#"{"sleep": 0}"#],
    );
    let count = |l: &serde_json::Value, k: &str| l[k].as_array().unwrap().len();
    let l = listing(dir.path());
    assert_eq!(
        (count(&l, "functions"), count(&l, "packages")),
        (2, 2),
        "{l:#}"
    );
    assert_eq!(count(&l, "inputs"), 1, "{l:#}");

    let out = faaslab(dir.path(), &["cache", "list"]).output().unwrap();
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("functions (2)") && stdout.contains("010.sleep"),
        "{stdout}"
    );

    // Not while a session has the cache open.
    {
        let _session = Cache::open(dir.path().join("cache")).unwrap();
        let out = faaslab(dir.path(), &["cache", "clean"]).output().unwrap();
        let (_, stderr) = text(&out);
        assert!(!out.status.success());
        assert!(
            stderr.contains("in use by another faaslab process"),
            "{stderr}"
        );
    }

    let clean = |args: &[&str]| {
        let out = faaslab(dir.path(), &[&["cache", "clean"], args].concat())
            .output()
            .unwrap();
        assert!(out.status.success(), "{:?}", text(&out));
        text(&out).0
    };
    let said = clean(&["--benchmark", "010.sleep"]);
    assert!(
        said.starts_with("removed 1 functions, 1 packages, 0 inputs"),
        "{said}"
    );
    let l = listing(dir.path());
    assert_eq!(l["functions"][0]["record"]["benchmark"], BENCH);
    assert_eq!((count(&l, "functions"), count(&l, "packages")), (1, 1));

    clean(&["--platform", "other-platform"]);
    assert_eq!(count(&listing(dir.path()), "functions"), 1);
    let said = clean(&["--platform", "local-process"]);
    assert!(
        said.starts_with("removed 1 functions, 1 packages, 0 inputs"),
        "{said}"
    );
    let l = listing(dir.path());
    assert_eq!((count(&l, "functions"), count(&l, "inputs")), (0, 1));

    clean(&[]);
    let l = listing(dir.path());
    assert_eq!(count(&l, "inputs") + count(&l, "packages"), 0, "{l:#}");
    // The cache works again after cleaning.
    let (action, _, _) = invoke(dir.path(), BENCH, "run3", &[]);
    assert_eq!(action, "created");
}
