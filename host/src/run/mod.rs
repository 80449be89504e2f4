//! A run from start to finish: open a session (config, cache, provider, run directory,
//! manifest), let a guest or a built-in driver work, then finish it (summary, CSV,
//! manifest) whatever happened, so nothing measured is lost.

mod experiment;
mod invoke;
mod session;

pub use experiment::{ExperimentReport, run_experiment};
pub use invoke::{InvokeOptions, InvokeReport, invoke_benchmark};
pub use session::{GrantFlags, Session, SessionOptions};
