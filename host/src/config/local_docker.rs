//! Settings of the `local-docker` platform and of the images it runs on.

use serde::{Deserialize, Serialize};

/// `platforms.local-docker` in a run configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalDockerConfig {
    /// A public base image with python3 + pip (e.g. `python:3.11-slim`) to build the
    /// run and build images on, instead of a debootstrap root filesystem.
    #[serde(default)]
    pub base_image: Option<String>,
    /// Debian suite for the debootstrap base image.
    #[serde(default = "default_suite")]
    pub debian_suite: String,
    /// Debian mirror for debootstrap [default: the machine's apt sources].
    #[serde(default)]
    pub debian_mirror: Option<String>,
    /// Most containers one function may run at once.
    #[serde(default = "default_max_instances")]
    pub max_instances: u32,
    /// How long a container may take from create to answering its readiness probe.
    #[serde(default = "default_ready_timeout")]
    pub ready_timeout_s: u64,
    /// How the host reaches containers: `auto` (bridge IP, else published port),
    /// `ip` or `port`.
    #[serde(default = "default_address")]
    pub address: String,
}

impl Default for LocalDockerConfig {
    fn default() -> Self {
        Self {
            base_image: None,
            debian_suite: default_suite(),
            debian_mirror: None,
            max_instances: default_max_instances(),
            ready_timeout_s: default_ready_timeout(),
            address: default_address(),
        }
    }
}

impl LocalDockerConfig {
    /// Field errors as (field, message).
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.max_instances == 0 {
            return Err((
                "platforms.local-docker.max_instances",
                "must be at least 1".into(),
            ));
        }
        if !["auto", "ip", "port"].contains(&self.address.as_str()) {
            return Err((
                "platforms.local-docker.address",
                format!("`{}`: expected auto, ip or port", self.address),
            ));
        }
        Ok(())
    }
}

fn default_suite() -> String {
    "bookworm".into()
}
fn default_max_instances() -> u32 {
    16
}
fn default_ready_timeout() -> u64 {
    30
}
fn default_address() -> String {
    "auto".into()
}
