//! The run config's `policies` section (CLI: `--retry`, `--sampler`, `--cold-start`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::resolve::{ResolveError, resolve_guest};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoliciesConfig {
    /// `retry-policy` component: a path (relative to the config file) or a built
    /// guest's name (`backoff`).
    #[serde(default)]
    pub retry: Option<PathBuf>,
    /// `sampler` component.
    #[serde(default)]
    pub sampler: Option<PathBuf>,
    /// `cold-start-policy` component.
    #[serde(default)]
    pub cold_start: Option<PathBuf>,
    /// Longest a policy may take to answer one call (instantiation included).
    #[serde(default = "default_call_timeout_ms")]
    pub call_timeout_ms: u64,
}

fn default_call_timeout_ms() -> u64 {
    1000
}

impl Default for PoliciesConfig {
    fn default() -> Self {
        Self {
            retry: None,
            sampler: None,
            cold_start: None,
            call_timeout_ms: default_call_timeout_ms(),
        }
    }
}

impl PoliciesConfig {
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.call_timeout_ms == 0 || self.call_timeout_ms > 600_000 {
            return Err((
                "call_timeout_ms",
                "must be between 1 and 600000 milliseconds".into(),
            ));
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.retry.is_none() && self.sampler.is_none() && self.cold_start.is_none()
    }

    /// Every policy as a path to an existing file: config paths relative to
    /// `config_dir`, bare names resolved to built guests.
    pub fn resolved(&self, config_dir: Option<&Path>) -> Result<Self, ResolveError> {
        let resolve = |p: &Option<PathBuf>| -> Result<Option<PathBuf>, ResolveError> {
            let Some(p) = p else { return Ok(None) };
            let relative = match config_dir {
                Some(dir) if p.is_relative() && p.components().count() > 1 => dir.join(p),
                Some(dir) if p.is_relative() && dir.join(p).is_file() => dir.join(p),
                _ => p.clone(),
            };
            resolve_guest(&relative).map(Some)
        };
        Ok(Self {
            retry: resolve(&self.retry)?,
            sampler: resolve(&self.sampler)?,
            cold_start: resolve(&self.cold_start)?,
            call_timeout_ms: self.call_timeout_ms,
        })
    }
}
