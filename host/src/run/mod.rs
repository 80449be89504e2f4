//! A run from start to finish: open a session (config, cache, provider, run directory,
//! manifest), let a guest or a built-in driver work, then finish it (summary, CSV,
//! manifest) whatever happened, so nothing measured is lost.

mod experiment;
mod invoke;
mod process;
mod session;

pub use experiment::{ExperimentReport, PolicyOverrides, run_experiment, run_experiment_with};
pub use invoke::{InvokeOptions, InvokeReport, invoke_benchmark};
pub use process::{ProcessOptions, ProcessReport, process_run};
pub use session::{Session, SessionOptions, read_manifest};
