//! Measurements: records appended as they complete, the run directory and manifest,
//! and everything derived from them (summary, CSV, plots, comparisons).

mod compare;
mod csv_export;
mod hdr;
mod jsonl;
mod manifest;
mod plot;
mod provider_metrics;
mod record;
mod stream;
mod summary;

pub use compare::{Comparison, SeriesComparison, Verdict, compare_runs};
pub use csv_export::write_csv;
pub use hdr::{EXACT_MAX_SAMPLES, HDR_SIGNIFICANT_DIGITS, Sample, StatsMethod};
pub use jsonl::{JsonlWriter, read_all, truncate_torn_tail};
pub use manifest::{
    BudgetUse, DeploymentInfo, MachineInfo, Manifest, RunStatus, ScriptInfo, now_rfc3339,
};
pub use plot::{PlotFormat, PlotKind, plot_run};
pub use provider_metrics::{
    MergeCounts, MergedMetrics, PROVIDER_METRICS, merge_provider_metrics, read_provider_metrics,
};
pub use record::{Breakdown, Event, ExecutionRecord, OUTPUT_CAP_BYTES, RecordContext};
pub use stream::JsonlStream;
pub use summary::{
    RunSummary, SeriesStoppedBy, SeriesSummary, Summarizer, read_discards, summarize_run,
    summarize_run_with,
};

/// File names inside a run directory.
pub const MANIFEST: &str = "manifest.json";
pub const RESULTS: &str = "results.jsonl";
pub const EVENTS: &str = "events.jsonl";
pub const RESULTS_CSV: &str = "results.csv";
pub const SUMMARY: &str = "summary.json";
pub const GUEST_LOG: &str = "guest.log";
pub const LOGS_DIR: &str = "logs";
