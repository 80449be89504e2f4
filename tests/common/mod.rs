//! Shared helpers of the integration tests (real processes, real guests).
#![allow(dead_code)]

pub mod fake_gcs;
pub mod listening;
pub mod moto;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use faaslab::engine::GuestEngine;
use faaslab::measure::{Event, ExecutionRecord, read_all};
use faaslab::run::SessionOptions;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A built guest component; the tests need `scripts/build-guests.sh` to have run.
pub fn guest(name: &str) -> PathBuf {
    let p = repo_root()
        .join("build/guests")
        .join(format!("{name}.wasm"));
    assert!(
        p.is_file(),
        "{} is missing: run `bash scripts/install-toolchain.sh && bash scripts/build-guests.sh`",
        p.display()
    );
    p
}

/// Compiled guests are content-addressed, so all tests share one component cache.
pub fn engine() -> GuestEngine {
    let dir = repo_root().join("target/test-cache/components");
    std::fs::create_dir_all(&dir).unwrap();
    GuestEngine::new(dir).unwrap()
}

/// A temp dir holding a cache, a run dir and a config file.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write_config(&self, name: &str, json: &serde_json::Value) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, serde_json::to_string_pretty(json).unwrap()).unwrap();
        p
    }

    pub fn options(&self, config: &Path, run: &str) -> SessionOptions {
        SessionOptions {
            config_path: Some(config.to_path_buf()),
            output_dir: Some(self.path().join(run)),
            cache_dir: Some(self.path().join("cache")),
            benchmarks_dir: None,
            seed: Some(7),
            force_rebuild: false,
            update_storage: false,
            progress: false,
            process_start: None,
            resume: None,
            grants: Default::default(),
        }
    }
}

pub fn records(run_dir: &Path) -> Vec<ExecutionRecord> {
    read_all(&run_dir.join("results.jsonl")).unwrap()
}

pub fn discards(run_dir: &Path) -> HashMap<String, String> {
    read_all::<Event>(&run_dir.join("events.jsonl"))
        .unwrap()
        .into_iter()
        .filter_map(|e| match e {
            Event::Discard { request_id, reason } => Some((request_id, reason)),
            _ => None,
        })
        .collect()
}

pub fn manifest(run_dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(run_dir.join("manifest.json")).unwrap()).unwrap()
}

/// One budget's entry (`limits.max_…`) in a run's manifest.
pub fn budget_use(run_dir: &Path, name: &str) -> serde_json::Value {
    let m = manifest(run_dir);
    m["budgets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["budget"] == name)
        .unwrap_or_else(|| panic!("no budget {name} in {:#}", m["budgets"]))
        .clone()
}

/// Every file below `dir`, recursively.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            out.extend(files_below(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

/// The real `faaslab` binary run in `cwd`, with its cache there and no guests directory
/// from the environment: (exit code, stdout, stderr).
pub fn faaslab_cli(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_faaslab"))
        .args(args)
        .current_dir(cwd)
        .env("FAASLAB_CACHE_DIR", cwd.join("cache"))
        .env_remove("FAASLAB_GUESTS_DIR")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The one `error:` line of a command's stderr (there must be exactly one).
pub fn error_line(stderr: &str) -> String {
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "expected one error line in: {stderr}");
    errors[0].to_string()
}

/// `output` with the value at JSON `pointer` made wrong: numbers grow by 1, strings get
/// a character, lists lose their last element (for checking that validators reject).
pub fn corrupt_at(benchmark: &str, output: &str, pointer: &str) -> String {
    use serde_json::{Value, json};
    let mut v: Value = serde_json::from_str(output).unwrap();
    let target = v
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{benchmark}: output has no {pointer}: {output}"));
    *target = match target.take() {
        Value::Number(n) if n.is_u64() => json!(n.as_u64().unwrap() + 1),
        Value::Number(n) => json!(n.as_f64().unwrap() + 1.0),
        Value::String(s) => json!(format!("{s}x")),
        Value::Array(mut a) => {
            assert!(a.pop().is_some(), "{benchmark}: {pointer} is empty");
            Value::Array(a)
        }
        other => panic!("{benchmark}: cannot corrupt {other}"),
    };
    v.to_string()
}
