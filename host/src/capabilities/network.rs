//! `network`: host-side UDP endpoints that functions talk to. The guest only ever
//! holds a handle and an address string; the host binds, answers and timestamps.

use wasmtime::component::Resource;

use super::HostState;
use super::convert::error_to_wit;
use crate::engine::bindings::network::{self, EndpointStats, Packet, ReplyMode};
use crate::engine::bindings::types::Error;
use crate::measure::Event;
use crate::netprobe::{self, ProbeLimits, UdpEndpoint};

/// An open endpoint as a guest holds it.
pub struct UdpEndpointHandle {
    endpoint: UdpEndpoint,
}

fn mode_from_wit(mode: ReplyMode) -> netprobe::ReplyMode {
    match mode {
        ReplyMode::Echo => netprobe::ReplyMode::Echo,
        ReplyMode::Timestamp => netprobe::ReplyMode::Timestamp,
        ReplyMode::Silent => netprobe::ReplyMode::Silent,
    }
}

impl network::Host for HostState {
    async fn open_udp(
        &mut self,
        mode: ReplyMode,
    ) -> wasmtime::Result<Result<Resource<UdpEndpointHandle>, Error>> {
        let cfg = self.ctx.config.network.clone();
        if self.udp_endpoints_opened >= u64::from(cfg.max_endpoints) {
            let detail = format!(
                "the run's {} UDP endpoints (network.max_endpoints) are used up",
                cfg.max_endpoints
            );
            self.ctx.event(&Event::BudgetExhausted {
                budget: "network.max_endpoints".into(),
                detail: detail.clone(),
            });
            return Ok(Err(Error::BudgetExhausted(detail)));
        }
        let ip = match cfg.host_address {
            Some(ip) => ip,
            None => match self.ctx.provider.host_address_for_functions().await {
                Ok(ip) => ip,
                Err(e) => return Ok(Err(error_to_wit(e))),
            },
        };
        let limits = ProbeLimits {
            max_packets: cfg.max_packets,
            max_packet_bytes: cfg.max_packet_bytes as usize,
            max_kept: cfg.max_kept_packets as usize,
        };
        let endpoint =
            match UdpEndpoint::start(ip, mode_from_wit(mode), limits, self.ctx.recorder.started())
                .await
            {
                Ok(e) => e,
                Err(e) => {
                    return Ok(Err(Error::Provider(format!(
                        "cannot bind a UDP endpoint on {ip}: {e}"
                    ))));
                }
            };
        self.udp_endpoints_opened += 1;
        tracing::debug!("network: UDP endpoint {} ({mode:?})", endpoint.local_addr());
        Ok(Ok(self.table.push(UdpEndpointHandle { endpoint })?))
    }
}

impl network::HostUdpEndpoint for HostState {
    async fn address(&mut self, e: Resource<UdpEndpointHandle>) -> wasmtime::Result<String> {
        Ok(self.table.get(&e)?.endpoint.local_addr().to_string())
    }

    async fn take_received(
        &mut self,
        e: Resource<UdpEndpointHandle>,
    ) -> wasmtime::Result<Vec<Packet>> {
        Ok(self
            .table
            .get(&e)?
            .endpoint
            .take_received()
            .into_iter()
            .map(|p| Packet {
                source: p.from.to_string(),
                received_wall_us: p.received_wall_us,
                received_us: p.received_us,
                data: p.data,
            })
            .collect())
    }

    async fn stats(&mut self, e: Resource<UdpEndpointHandle>) -> wasmtime::Result<EndpointStats> {
        let s = self.table.get(&e)?.endpoint.stats();
        Ok(EndpointStats {
            received: s.received,
            answered: s.answered,
            dropped: s.dropped,
        })
    }

    async fn drop(&mut self, e: Resource<UdpEndpointHandle>) -> wasmtime::Result<()> {
        // Dropping the endpoint stops its task and closes the socket.
        self.table.delete(e)?;
        Ok(())
    }
}
