//! The run config's `network` section: budgets of the host-side UDP endpoints a
//! script may open (the `network` capability, see docs/experiments.md).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// Endpoints a script may open in one run.
    pub max_endpoints: u32,
    /// Datagrams one endpoint answers; later ones are dropped and counted.
    pub max_packets: u64,
    /// Largest datagram answered (bytes); longer ones are dropped and counted.
    pub max_packet_bytes: u32,
    /// Datagrams one endpoint keeps for `take-received` between two calls.
    pub max_kept_packets: u32,
    /// Address to bind instead of the one the platform names (the host as its
    /// functions reach it: loopback for local-process, the bridge gateway for
    /// local-docker).
    pub host_address: Option<IpAddr>,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        Self {
            max_endpoints: 8,
            max_packets: 100_000,
            max_packet_bytes: 1472,
            max_kept_packets: 10_000,
            host_address: None,
        }
    }
}

impl NetworkConfig {
    /// Returns the offending field and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(1..=65_507).contains(&self.max_packet_bytes) {
            return Err((
                "network.max_packet_bytes",
                "must be 1..=65507 (a UDP datagram's payload)".into(),
            ));
        }
        if self.max_kept_packets > 1_000_000 {
            return Err(("network.max_kept_packets", "must be at most 1000000".into()));
        }
        Ok(())
    }
}
