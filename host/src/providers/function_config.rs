//! Deployment configuration of a function.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Architecture {
    #[serde(rename = "x86_64")]
    X86_64,
    #[serde(rename = "arm64")]
    Arm64,
}

/// Memory, timeout and runtime of a function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FunctionConfig {
    pub memory_mb: u32,
    pub timeout_s: u32,
    pub language: String,
    /// Empty: the platform's default version.
    pub language_version: String,
    pub architecture: Architecture,
}

impl Default for FunctionConfig {
    fn default() -> Self {
        Self {
            memory_mb: 256,
            timeout_s: 30,
            language: "python".into(),
            language_version: String::new(),
            architecture: Architecture::X86_64,
        }
    }
}

impl FunctionConfig {
    /// Returns the offending field and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(32..=10_240).contains(&self.memory_mb) {
            return Err(("memory_mb", "must be between 32 and 10240".into()));
        }
        if !(1..=900).contains(&self.timeout_s) {
            return Err(("timeout_s", "must be between 1 and 900 seconds".into()));
        }
        let supported = crate::providers::local_process::LANGUAGES;
        if !supported.contains(&self.language.as_str()) {
            return Err((
                "language",
                format!(
                    "unsupported language `{}` (supported: {})",
                    self.language,
                    supported.join(", ")
                ),
            ));
        }
        Ok(())
    }
}
