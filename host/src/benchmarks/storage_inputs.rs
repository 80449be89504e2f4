//! The input contract of benchmarks that use object storage: `config.json` declares
//! how many input and output prefixes they need (`"storage": {"inputs": 1, "outputs":
//! 1}`); the generator gets the bucket and prefixes and stages its input files; the host
//! uploads them to the run's benchmarks bucket, skipping objects already there with
//! the same size unless `--update-storage`.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::{Benchmark, BenchmarkError, Catalog};
use crate::cache::Cache;
use crate::config::InputSize;
use crate::storage::{BucketKind, Storage, input_prefix, output_prefix};

/// `storage` in a benchmark's `config.json`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchmarkStorage {
    pub inputs: usize,
    pub outputs: usize,
}

#[derive(Deserialize)]
struct Generated {
    payload: serde_json::Value,
    uploads: Vec<Staged>,
}

#[derive(Deserialize)]
struct Staged {
    input: usize,
    key: String,
    file: std::path::PathBuf,
}

impl Catalog {
    /// The payload of a benchmark for `size`: generated and cached, or — for a benchmark
    /// that uses storage — generated with its inputs uploaded to `storage`.
    pub async fn run_input(
        &self,
        benchmark: &Benchmark,
        size: InputSize,
        python: &str,
        cache: &Cache,
        storage: &Storage,
    ) -> Result<String, BenchmarkError> {
        match benchmark.config.storage {
            None => self.input(benchmark, size, python, cache).await,
            Some(spec) => {
                self.storage_input(benchmark, spec, size, python, storage)
                    .await
            }
        }
    }

    async fn storage_input(
        &self,
        benchmark: &Benchmark,
        spec: BenchmarkStorage,
        size: InputSize,
        python: &str,
        storage: &Storage,
    ) -> Result<String, BenchmarkError> {
        let err = |message: String| BenchmarkError::Generator {
            benchmark: benchmark.id.clone(),
            message,
        };
        let bucket = storage.bucket(BucketKind::Benchmarks);
        storage
            .create_bucket(&bucket)
            .await
            .map_err(|e| err(e.to_string()))?;
        let inputs: Vec<String> = (0..spec.inputs)
            .map(|i| input_prefix(&benchmark.id, i))
            .collect();
        let outputs: Vec<String> = (0..spec.outputs)
            .map(|i| output_prefix(&benchmark.id, i))
            .collect();
        let staging = super::tempfile_dir()?;
        let spec_json = serde_json::json!({"bucket": bucket, "inputs": inputs, "outputs": outputs});
        let spec_json = spec_json.to_string();
        let staging_arg = staging.display().to_string();
        let out = self
            .generate(benchmark, size, python, &[&spec_json, &staging_arg])
            .await;
        let result = async {
            let generated: Generated = serde_json::from_str(out?.trim())
                .map_err(|e| err(format!("generator printed no payload: {e}")))?;
            let (mut uploaded, mut present) = (0, 0);
            for s in &generated.uploads {
                let prefix = inputs
                    .get(s.input)
                    .ok_or_else(|| err(format!("upload to undeclared input prefix {}", s.input)))?;
                let key = format!("{prefix}/{}", s.key);
                let data = std::fs::read(&s.file).map_err(|e| err(e.to_string()))?;
                let existing = storage
                    .size(&bucket, &key)
                    .await
                    .map_err(|e| err(e.to_string()))?;
                if !storage.config().update_inputs && existing == Some(data.len() as u64) {
                    present += 1;
                    continue;
                }
                storage
                    .upload(&bucket, &key, Bytes::from(data))
                    .await
                    .map_err(|e| err(e.to_string()))?;
                uploaded += 1;
            }
            tracing::info!(
                "inputs of {}: {uploaded} uploaded, {present} already present in {bucket}",
                benchmark.id
            );
            Ok(generated.payload.to_string())
        }
        .await;
        let _ = std::fs::remove_dir_all(&staging);
        result
    }
}
