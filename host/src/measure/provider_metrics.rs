//! `provider-metrics.jsonl`: what the platform reported per request after the run
//! (`faaslab experiment process`), kept beside the host's own record. One line per
//! request id; merging again replaces a request's line, never duplicates it. The
//! summary prefers these provider times to the ones measured during the run.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::JsonlStream;
use crate::providers::ProviderMetrics;

pub const PROVIDER_METRICS: &str = "provider-metrics.jsonl";

/// One request's provider-side figures as merged into a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergedMetrics {
    pub request_id: String,
    pub function: String,
    pub provider_time_us: Option<u64>,
    pub billed_time_us: Option<u64>,
    pub init_time_us: Option<u64>,
    pub memory_peak_kib: Option<u64>,
}

impl MergedMetrics {
    pub fn new(function: &str, m: ProviderMetrics) -> Self {
        Self {
            request_id: m.request_id,
            function: function.to_string(),
            provider_time_us: m.provider_time_us,
            billed_time_us: m.billed_time_us,
            init_time_us: m.init_time_us,
            memory_peak_kib: m.memory_peak_kib,
        }
    }
}

/// How a merge changed the file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MergeCounts {
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub total: u64,
}

/// The merged metrics of a run by request id (none merged: empty).
pub fn read_provider_metrics(run_dir: &Path) -> std::io::Result<HashMap<String, MergedMetrics>> {
    let mut out = HashMap::new();
    for m in JsonlStream::<MergedMetrics>::open(&run_dir.join(PROVIDER_METRICS))? {
        let m = m?;
        out.insert(m.request_id.clone(), m);
    }
    Ok(out)
}

/// Merge `new` into the run's file: one line per request id, rewritten atomically
/// (an interrupted merge leaves the previous file).
pub fn merge_provider_metrics(
    run_dir: &Path,
    new: impl IntoIterator<Item = MergedMetrics>,
) -> std::io::Result<MergeCounts> {
    let mut all: BTreeMap<String, MergedMetrics> =
        read_provider_metrics(run_dir)?.into_iter().collect();
    let mut counts = MergeCounts::default();
    for m in new {
        match all.get(&m.request_id) {
            None => counts.added += 1,
            Some(old) if old == &m => counts.unchanged += 1,
            Some(_) => counts.updated += 1,
        }
        all.insert(m.request_id.clone(), m);
    }
    counts.total = all.len() as u64;
    let mut text = String::new();
    for m in all.values() {
        text.push_str(&serde_json::to_string(m).map_err(std::io::Error::other)?);
        text.push('\n');
    }
    crate::cache::write_atomic(&run_dir.join(PROVIDER_METRICS), text.as_bytes())?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: &str, t: u64) -> MergedMetrics {
        MergedMetrics {
            request_id: id.into(),
            function: "f".into(),
            provider_time_us: Some(t),
            billed_time_us: None,
            init_time_us: None,
            memory_peak_kib: Some(1),
        }
    }

    #[test]
    fn merging_twice_keeps_one_line_per_request() {
        let dir = tempfile::tempdir().unwrap();
        let c = merge_provider_metrics(dir.path(), [m("a", 1), m("b", 2)]).unwrap();
        assert_eq!((c.added, c.total), (2, 2));
        let c = merge_provider_metrics(dir.path(), [m("a", 1), m("b", 3)]).unwrap();
        assert_eq!((c.added, c.unchanged, c.updated, c.total), (0, 1, 1, 2));
        let text = std::fs::read_to_string(dir.path().join(PROVIDER_METRICS)).unwrap();
        assert_eq!(text.lines().count(), 2);
        let read = read_provider_metrics(dir.path()).unwrap();
        assert_eq!(read["b"].provider_time_us, Some(3));
    }
}
