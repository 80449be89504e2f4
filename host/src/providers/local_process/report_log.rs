//! Provider metrics from instance logs: every instance writes one `FAASLAB-REPORT {…}`
//! line per request to its log (server.py), as a cloud platform writes a report line
//! per request to its log service. `download_metrics` reads them back after a run.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;

use crate::providers::ProviderMetrics;

const PREFIX: &str = "FAASLAB-REPORT ";

#[derive(Deserialize)]
struct ReportLine {
    request_id: String,
    duration_us: u64,
    max_rss_kib: Option<u64>,
}

/// The report lines of every `*.log` in `dir` for the wanted requests (all when empty).
/// Unreadable lines are skipped; a missing directory yields nothing.
pub fn read_reports(dir: &Path, wanted: &[String]) -> std::io::Result<Vec<ProviderMetrics>> {
    let wanted: HashSet<&str> = wanted.iter().map(String::as_str).collect();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)?;
        for line in text.lines() {
            let Some(json) = line.strip_prefix(PREFIX) else {
                continue;
            };
            let Ok(r) = serde_json::from_str::<ReportLine>(json) else {
                continue;
            };
            if !wanted.is_empty() && !wanted.contains(r.request_id.as_str()) {
                continue;
            }
            out.push(ProviderMetrics {
                request_id: r.request_id,
                provider_time_us: Some(r.duration_us),
                billed_time_us: None,
                init_time_us: None,
                memory_peak_kib: r.max_rss_kib,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_report_lines_of_wanted_requests() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("f-i1.log"),
            "Traceback noise\nFAASLAB-REPORT {\"request_id\": \"a\", \"duration_us\": 120, \"max_rss_kib\": 9000}\n\
             FAASLAB-REPORT {\"request_id\": \"b\", \"duration_us\": 7, \"max_rss_kib\": 9100}\nFAASLAB-REPORT {torn",
        )
        .unwrap();
        std::fs::write(dir.path().join("other.txt"), "FAASLAB-REPORT {}").unwrap();
        let got = read_reports(dir.path(), &["a".to_string()]).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].provider_time_us, Some(120));
        assert_eq!(got[0].memory_peak_kib, Some(9000));
        assert_eq!(read_reports(dir.path(), &[]).unwrap().len(), 2);
        assert!(
            read_reports(&dir.path().join("none"), &[])
                .unwrap()
                .is_empty()
        );
    }
}
