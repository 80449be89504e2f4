//! `results.csv`: every recorded invocation with its discard verdict, for spreadsheets
//! and pandas.

use std::collections::HashMap;
use std::path::Path;

use super::record::ExecutionRecord;
use super::stream::JsonlStream;
use super::summary::read_discards;
use super::{RESULTS, RESULTS_CSV};

/// Writes `results.csv`, streaming `results.jsonl` (one record in memory at a time).
pub fn write_csv(run_dir: &Path) -> std::io::Result<()> {
    let discards: HashMap<String, String> = read_discards(run_dir)?;
    let records = JsonlStream::<ExecutionRecord>::open(&run_dir.join(RESULTS))?;
    let tmp = run_dir.join(format!(".{RESULTS_CSV}.tmp"));
    let mut w = csv::Writer::from_path(&tmp).map_err(std::io::Error::other)?;
    w.write_record([
        "seq",
        "request_id",
        "series",
        "platform",
        "benchmark",
        "function",
        "memory_mb",
        "cold",
        "reported_cold",
        "instance_id",
        "send_time_us",
        "intended_send_time_us",
        "client_time_us",
        "exec_time_us",
        "provider_time_us",
        "connection_time_us",
        "init_time_us",
        "memory_peak_kib",
        "payload_bytes",
        "output_bytes",
        "failure",
        "discarded",
        "discard_reason",
    ])
    .map_err(std::io::Error::other)?;
    let opt = |v: Option<u64>| v.map(|x| x.to_string()).unwrap_or_default();
    for r in records {
        let r = r?;
        let reason = discards.get(&r.request_id);
        w.write_record([
            r.seq.to_string(),
            r.request_id.clone(),
            r.series.clone(),
            r.platform.clone(),
            r.benchmark.clone(),
            r.function.clone(),
            r.memory_mb.to_string(),
            r.cold.to_string(),
            r.reported_cold.map(|c| c.to_string()).unwrap_or_default(),
            r.instance_id.clone(),
            r.send_time_us.to_string(),
            opt(r.intended_send_time_us),
            r.client_time_us.to_string(),
            r.exec_time_us.to_string(),
            r.provider_time_us.to_string(),
            r.connection_time_us.to_string(),
            opt(r.init_time_us),
            opt(r.memory_peak_kib),
            r.payload_bytes.to_string(),
            r.output_bytes.to_string(),
            r.failure.clone().unwrap_or_default(),
            reason.is_some().to_string(),
            reason.cloned().unwrap_or_default(),
        ])
        .map_err(std::io::Error::other)?;
    }
    w.flush()?;
    drop(w);
    std::fs::rename(&tmp, run_dir.join(RESULTS_CSV))
}
