//! The benchmark catalog (`benchmarks/<id>/`), input generation and output validation.

pub mod regression;
pub mod services;
mod storage_inputs;

pub use storage_inputs::BenchmarkStorage;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cache::{Cache, read_json_text, write_atomic};
use crate::config::InputSize;
use crate::packaging::{hash_files, list_tree};

/// Directory of the catalog holding files several benchmarks ship (`shared_files`).
pub const SHARED_DIR: &str = "_shared";

/// Inputs are generated with a fixed seed so every run of a benchmark uses the same data.
pub const INPUT_SEED: u64 = 42;

#[derive(Debug, thiserror::Error)]
pub enum BenchmarkError {
    #[error("unknown benchmark `{0}` (known: {1})")]
    Unknown(String, String),
    #[error("{path}: {message}")]
    BadDefinition { path: String, message: String },
    #[error("benchmarks directory {0} does not exist (set FAASLAB_BENCHMARKS_DIR)")]
    NoCatalog(String),
    #[error("input generator of {benchmark} failed: {message}")]
    Generator { benchmark: String, message: String },
}

/// `benchmarks/<id>/config.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchmarkConfig {
    pub description: String,
    pub timeout_s: u32,
    pub memory_mb: u32,
    pub languages: Vec<String>,
    /// Input and output prefixes the benchmark needs in the benchmarks bucket.
    #[serde(default)]
    pub storage: Option<BenchmarkStorage>,
    /// Servers the host must run for the benchmark (`reply-server`, `http-origin`; see
    /// `services`); the generator writes `${name}` where their address goes.
    #[serde(default)]
    pub host_services: Vec<String>,
    /// Programs the function runs, which the platform must provide (e.g. `ffmpeg`).
    #[serde(default)]
    pub host_tools: Vec<String>,
    /// Key-value tables the function uses (faaslab_nosql; docs/benchmarks.md).
    #[serde(default)]
    pub nosql: Option<BenchmarkNoSql>,
    /// Per language, files of `benchmarks/_shared/<language>/` shipped at the top of
    /// the function's code (and hashed with it), e.g. `{"python": ["graph_load.py"]}`.
    #[serde(default)]
    pub shared_files: BTreeMap<String, Vec<String>>,
}

/// `nosql` in a benchmark's `config.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchmarkNoSql {
    pub tables: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Benchmark {
    /// e.g. "010.sleep"
    pub id: String,
    pub dir: PathBuf,
    pub config: BenchmarkConfig,
    /// The catalog's `_shared` directory.
    pub shared_dir: PathBuf,
}

impl Benchmark {
    /// Directory holding the function code for a language.
    pub fn code_dir(&self, language: &str) -> PathBuf {
        self.dir.join(language)
    }

    /// The files of a code package in `language`, as (path in the package, file):
    /// the code directory's tree, then the shared files the config names, at the top.
    pub fn sources(&self, language: &str) -> Result<Vec<(String, PathBuf)>, BenchmarkError> {
        let code_dir = self.code_dir(language);
        let mut files = list_tree(&code_dir).map_err(|e| BenchmarkError::BadDefinition {
            path: code_dir.display().to_string(),
            message: e.to_string(),
        })?;
        for name in self.config.shared_files.get(language).into_iter().flatten() {
            let file = shared_file(&self.shared_dir, language, name)
                .map_err(|message| self.bad_config(message))?;
            if files.iter().any(|(rel, _)| rel == name) {
                return Err(self.bad_config(format!(
                    "shared_files.{language}: `{name}` is also in {}",
                    code_dir.display()
                )));
            }
            files.push((name.clone(), file));
        }
        Ok(files)
    }

    fn bad_config(&self, message: String) -> BenchmarkError {
        BenchmarkError::BadDefinition {
            path: self.dir.join("config.json").display().to_string(),
            message,
        }
    }
}

/// `<shared_dir>/<language>/<name>`, if `name` is a plain relative path to a file there.
fn shared_file(shared_dir: &Path, language: &str, name: &str) -> Result<PathBuf, String> {
    let plain = !name.is_empty()
        && Path::new(name)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !plain {
        return Err(format!(
            "shared_files.{language}: `{name}` is not a relative path inside {SHARED_DIR}/{language}"
        ));
    }
    let file = shared_dir.join(language).join(name);
    if file.is_file() {
        Ok(file)
    } else {
        Err(format!(
            "shared_files.{language}: `{name}` does not exist ({} is not a file)",
            file.display()
        ))
    }
}

/// Verdict of a benchmark's validator on one output.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Validation {
    pub valid: bool,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    root: PathBuf,
}

/// Where the benchmark definitions live: `$FAASLAB_BENCHMARKS_DIR`, else the
/// source tree this binary was built from.
pub fn default_benchmarks_dir() -> PathBuf {
    std::env::var_os("FAASLAB_BENCHMARKS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../benchmarks"))
}

fn is_benchmark_id(name: &str) -> bool {
    let mut parts = name.splitn(2, '.');
    let (Some(num), Some(rest)) = (parts.next(), parts.next()) else {
        return false;
    };
    num.len() == 3
        && num.chars().all(|c| c.is_ascii_digit())
        && !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl Catalog {
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, BenchmarkError> {
        let root = root.into();
        if !root.is_dir() {
            return Err(BenchmarkError::NoCatalog(root.display().to_string()));
        }
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Ids of every benchmark, sorted.
    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = std::fs::read_dir(&self.root)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter(|n| {
                        is_benchmark_id(n) && self.root.join(n).join("config.json").is_file()
                    })
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        ids
    }

    pub fn get(&self, id: &str) -> Result<Benchmark, BenchmarkError> {
        if !is_benchmark_id(id) || !self.root.join(id).join("config.json").is_file() {
            return Err(BenchmarkError::Unknown(
                id.to_string(),
                self.ids().join(", "),
            ));
        }
        let dir = self.root.join(id);
        let path = dir.join("config.json");
        let text = std::fs::read_to_string(&path).map_err(|e| BenchmarkError::BadDefinition {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let config: BenchmarkConfig =
            serde_json::from_str(&text).map_err(|e| BenchmarkError::BadDefinition {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
        let shared_dir = self.root.join(SHARED_DIR);
        for (language, names) in &config.shared_files {
            let bad = |message| BenchmarkError::BadDefinition {
                path: path.display().to_string(),
                message,
            };
            if !config.languages.contains(language) {
                return Err(bad(format!(
                    "shared_files: `{language}` is not one of the benchmark's languages"
                )));
            }
            for name in names {
                shared_file(&shared_dir, language, name).map_err(bad)?;
            }
        }
        Ok(Benchmark {
            id: id.to_string(),
            dir,
            config,
            shared_dir,
        })
    }

    fn tool(&self) -> PathBuf {
        self.root.join("_tools").join("faaslab_input.py")
    }

    /// The invocation payload for `size`, generated once and cached by the hash of
    /// the generator.
    pub async fn input(
        &self,
        benchmark: &Benchmark,
        size: InputSize,
        python: &str,
        cache: &Cache,
    ) -> Result<String, BenchmarkError> {
        let input_py = benchmark.dir.join("input.py");
        let generator_hash = hash_files(&[
            ("input.py".to_string(), input_py.clone()),
            ("tool".to_string(), self.tool()),
        ])
        .map_err(|e| BenchmarkError::BadDefinition {
            path: input_py.display().to_string(),
            message: e.to_string(),
        })?;
        let cached = cache.inputs_dir(&benchmark.id).join(format!(
            "{}-{}-{INPUT_SEED}.json",
            &generator_hash[..16],
            size.as_str()
        ));
        if let Some(text) = read_json_text(&cached) {
            return Ok(text);
        }
        let out = self.generate(benchmark, size, python, &[]).await?;
        let text = out.trim().to_string();
        if let Err(e) = write_atomic(&cached, text.as_bytes()) {
            tracing::warn!("cannot cache the input of {}: {e}", benchmark.id);
        }
        Ok(text)
    }

    /// Run the benchmark's validator on one output.
    pub async fn validate(
        &self,
        benchmark: &Benchmark,
        payload: &str,
        output: &str,
        python: &str,
    ) -> Result<Validation, BenchmarkError> {
        let dir = tempfile_dir()?;
        let p = dir.join("payload.json");
        let o = dir.join("output.json");
        let write = |path: &Path, text: &str| {
            std::fs::write(path, text).map_err(|e| BenchmarkError::Generator {
                benchmark: benchmark.id.clone(),
                message: e.to_string(),
            })
        };
        write(&p, payload)?;
        write(&o, output)?;
        let out = self
            .run_tool(
                benchmark,
                python,
                &[
                    "validate",
                    &benchmark.dir.display().to_string(),
                    &p.display().to_string(),
                    &o.display().to_string(),
                ],
            )
            .await;
        let _ = std::fs::remove_dir_all(&dir);
        serde_json::from_str(out?.trim()).map_err(|e| BenchmarkError::Generator {
            benchmark: benchmark.id.clone(),
            message: format!("validator printed no verdict: {e}"),
        })
    }

    /// Run the benchmark's generator (with `extra` arguments after the seed).
    async fn generate(
        &self,
        benchmark: &Benchmark,
        size: InputSize,
        python: &str,
        extra: &[&str],
    ) -> Result<String, BenchmarkError> {
        let dir = benchmark.dir.display().to_string();
        let seed = INPUT_SEED.to_string();
        let mut args = vec!["generate", &dir, size.as_str(), &seed];
        args.extend_from_slice(extra);
        self.run_tool(benchmark, python, &args).await
    }

    async fn run_tool(
        &self,
        benchmark: &Benchmark,
        python: &str,
        args: &[&str],
    ) -> Result<String, BenchmarkError> {
        let err = |message: String| BenchmarkError::Generator {
            benchmark: benchmark.id.clone(),
            message,
        };
        let out = tokio::process::Command::new(python)
            .arg(self.tool())
            .args(args)
            .output()
            .await
            .map_err(|e| err(format!("cannot run {python}: {e}")))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let tail = stderr.lines().last().unwrap_or("").to_string();
            return Err(err(format!("{} ({tail})", out.status)));
        }
        String::from_utf8(out.stdout).map_err(|e| err(e.to_string()))
    }
}

fn tempfile_dir() -> Result<PathBuf, BenchmarkError> {
    let dir = std::env::temp_dir().join(format!(
        "faaslab-validate-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| BenchmarkError::Generator {
        benchmark: String::new(),
        message: e.to_string(),
    })?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_recognised() {
        assert!(is_benchmark_id("010.sleep"));
        assert!(is_benchmark_id("110.dynamic-html"));
        assert!(!is_benchmark_id("_tools"));
        assert!(!is_benchmark_id("10.sleep"));
        assert!(!is_benchmark_id("../010.sleep"));
    }

    #[test]
    fn catalog_lists_shipped_benchmarks() {
        let c = Catalog::open(default_benchmarks_dir()).unwrap();
        let ids = c.ids();
        assert!(ids.contains(&"010.sleep".to_string()), "{ids:?}");
        assert!(ids.contains(&"110.dynamic-html".to_string()), "{ids:?}");
        assert!(matches!(
            c.get("999.nope"),
            Err(BenchmarkError::Unknown(..))
        ));
    }
}
