//! faaslab: deploy benchmark functions, invoke and measure them, with the experiment
//! logic in sandboxed WebAssembly components. See DESIGN in the repository.

pub mod benchmarks;
pub mod cache;
pub mod capabilities;
pub mod cli;
pub mod config;
pub mod docker;
pub mod driver;
pub mod engine;
pub mod measure;
pub mod netprobe;
pub mod nosql;
pub mod packaging;
pub mod policy;
pub mod providers;
pub mod run;
pub mod script;
pub mod storage;
