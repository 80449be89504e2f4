//! `manifest.json`: what ran, with what, where, and how it ended.

use serde::{Deserialize, Serialize};

use crate::config::RunConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    Running,
    Completed,
    /// The guest returned an error.
    GuestError,
    /// The guest trapped or hit a limit; its Store was discarded.
    GuestTrapped,
    /// The host failed (deployment, I/O).
    Failed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScriptInfo {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MachineInfo {
    pub hostname: String,
    pub os: String,
    pub arch: String,
    pub kernel: String,
    pub cpus: usize,
}

impl MachineInfo {
    pub fn current() -> Self {
        let read = |p: &str| {
            std::fs::read_to_string(p)
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        Self {
            hostname: read("/proc/sys/kernel/hostname"),
            os: std::env::consts::OS.into(),
            arch: std::env::consts::ARCH.into(),
            kernel: read("/proc/sys/kernel/osrelease"),
            cpus: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeploymentInfo {
    pub function: String,
    pub benchmark: String,
    pub action: String,
    pub code_hash: String,
    pub package_built: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub faaslab_version: String,
    pub run_id: String,
    pub script: ScriptInfo,
    pub config: RunConfig,
    pub seed: u64,
    pub platform: String,
    pub machine: MachineInfo,
    /// RFC 3339.
    pub started_at: String,
    pub ended_at: Option<String>,
    pub status: RunStatus,
    pub error: Option<String>,
    /// What the guest's `run` returned on success.
    pub guest_result: Option<serde_json::Value>,
    pub deployments: Vec<DeploymentInfo>,
    pub invocations: u64,
    /// Whether the compiled guest came from the cache, and instantiate time.
    pub guest_compile_cached: bool,
    pub guest_instantiate_us: Option<u64>,
    /// µs from process start to the first invocation being sent.
    pub first_invocation_after_us: Option<u64>,
    /// When the run was resumed after an interruption (RFC 3339), oldest first.
    #[serde(default)]
    pub resumed_at: Vec<String>,
    /// The run's retry / sampler / cold-start policies, their decisions, and the
    /// series the sampler stopped (docs/policies.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<crate::policy::PolicyReport>,
}

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
