//! Measurements: records appended as they complete, the run directory and manifest,
//! and everything derived from them (summary, CSV).

mod csv_export;
mod jsonl;
mod manifest;
mod record;
mod summary;

pub use csv_export::write_csv;
pub use jsonl::{JsonlWriter, read_all, truncate_torn_tail};
pub use manifest::{DeploymentInfo, MachineInfo, Manifest, RunStatus, ScriptInfo, now_rfc3339};
pub use record::{Event, ExecutionRecord, OUTPUT_CAP_BYTES, RecordContext};
pub use summary::{RunSummary, SeriesSummary, summarize_run};

/// File names inside a run directory.
pub const MANIFEST: &str = "manifest.json";
pub const RESULTS: &str = "results.jsonl";
pub const EVENTS: &str = "events.jsonl";
pub const RESULTS_CSV: &str = "results.csv";
pub const SUMMARY: &str = "summary.json";
pub const GUEST_LOG: &str = "guest.log";
pub const LOGS_DIR: &str = "logs";
