//! One UDP endpoint: a socket and the task that receives, records and answers.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

use super::TIMESTAMP_HEADER_BYTES;

/// How the endpoint answers a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    /// Send the datagram back unchanged (ping-pong round trips).
    Echo,
    /// Send back receive and send timestamps, then the datagram (clock offset probes).
    Timestamp,
    /// Record only; never answer.
    Silent,
}

/// Caps of one endpoint. Datagrams past `max_packets` are counted and dropped
/// unanswered; longer than `max_packet_bytes` are dropped and counted too.
#[derive(Debug, Clone, Copy)]
pub struct ProbeLimits {
    pub max_packets: u64,
    pub max_packet_bytes: usize,
    /// Most received packets kept for `take_received` (the oldest stay, the rest are
    /// only counted), so a flood cannot grow the host's memory.
    pub max_kept: usize,
}

impl Default for ProbeLimits {
    fn default() -> Self {
        Self {
            max_packets: 100_000,
            max_packet_bytes: 1472,
            max_kept: 10_000,
        }
    }
}

/// One datagram as the host received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPacket {
    pub from: SocketAddr,
    /// Host wall clock at receipt, µs since the epoch.
    pub received_wall_us: u64,
    /// Host monotonic clock at receipt, µs since the endpoint's reference instant.
    pub received_us: u64,
    pub data: Vec<u8>,
}

/// Counters of one endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointStats {
    pub received: u64,
    pub answered: u64,
    /// Over the packet budget or the size cap: not answered.
    pub dropped: u64,
}

#[derive(Default)]
struct Shared {
    kept: Vec<ReceivedPacket>,
    stats: EndpointStats,
}

/// A bound UDP socket served by a background task; dropping it stops the task.
pub struct UdpEndpoint {
    addr: SocketAddr,
    mode: ReplyMode,
    shared: Arc<Mutex<Shared>>,
    task: JoinHandle<()>,
}

impl UdpEndpoint {
    /// Bind `ip:0` and start answering. `reference` is the instant monotonic receive
    /// times count from (a run's start). Needs a tokio runtime.
    pub async fn start(
        ip: IpAddr,
        mode: ReplyMode,
        limits: ProbeLimits,
        reference: Instant,
    ) -> std::io::Result<Self> {
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
        let addr = socket.local_addr()?;
        let shared = Arc::new(Mutex::new(Shared::default()));
        let task = tokio::spawn(serve(socket, mode, limits, reference, shared.clone()));
        Ok(Self {
            addr,
            mode,
            shared,
            task,
        })
    }

    /// The address functions send to.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn mode(&self) -> ReplyMode {
        self.mode
    }

    /// The packets received since the last call (at most `max_kept` in all).
    pub fn take_received(&self) -> Vec<ReceivedPacket> {
        std::mem::take(&mut lock(&self.shared).kept)
    }

    pub fn stats(&self) -> EndpointStats {
        lock(&self.shared).stats
    }
}

impl Drop for UdpEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(m: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn wall_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

async fn serve(
    socket: UdpSocket,
    mode: ReplyMode,
    limits: ProbeLimits,
    reference: Instant,
    shared: Arc<Mutex<Shared>>,
) {
    // One byte more than the cap, so an oversized datagram is seen as such.
    let mut buf = vec![0u8; limits.max_packet_bytes + 1];
    let mut reply = Vec::with_capacity(limits.max_packet_bytes + TIMESTAMP_HEADER_BYTES);
    let mut kept_total = 0usize;
    loop {
        let (n, from) = match socket.recv_from(&mut buf).await {
            Ok(x) => x,
            // ICMP errors of earlier sends surface here on some systems: keep serving.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => continue,
            Err(e) => {
                tracing::warn!("netprobe: receive failed, endpoint stops: {e}");
                return;
            }
        };
        let received_wall_us = wall_us();
        let received_us = reference.elapsed().as_micros() as u64;
        let accept = {
            let mut s = lock(&shared);
            s.stats.received += 1;
            let ok = n <= limits.max_packet_bytes && s.stats.received <= limits.max_packets;
            if !ok {
                s.stats.dropped += 1;
            } else if kept_total < limits.max_kept {
                kept_total += 1;
                s.kept.push(ReceivedPacket {
                    from,
                    received_wall_us,
                    received_us,
                    data: buf[..n].to_vec(),
                });
            }
            ok
        };
        if !accept {
            continue;
        }
        let sent = match mode {
            ReplyMode::Silent => continue,
            ReplyMode::Echo => socket.send_to(&buf[..n], from).await,
            ReplyMode::Timestamp => {
                reply.clear();
                reply.extend_from_slice(&received_wall_us.to_be_bytes());
                reply.extend_from_slice(&wall_us().to_be_bytes());
                reply.extend_from_slice(&buf[..n]);
                socket.send_to(&reply, from).await
            }
        };
        match sent {
            Ok(_) => lock(&shared).stats.answered += 1,
            Err(e) => tracing::debug!("netprobe: reply to {from} failed: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use std::time::Duration;

    async fn exchange(ep: &UdpEndpoint, data: &[u8]) -> Option<Vec<u8>> {
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        client.send_to(data, ep.local_addr()).await.unwrap();
        let mut buf = [0u8; 2048];
        tokio::time::timeout(Duration::from_millis(300), client.recv(&mut buf))
            .await
            .ok()
            .map(|r| buf[..r.unwrap()].to_vec())
    }

    #[tokio::test]
    async fn echo_answers_and_records_with_timestamps() {
        let ep = UdpEndpoint::start(
            Ipv4Addr::LOCALHOST.into(),
            ReplyMode::Echo,
            ProbeLimits::default(),
            Instant::now(),
        )
        .await
        .unwrap();
        let before = wall_us();
        assert_eq!(
            exchange(&ep, b"ping-1").await.as_deref(),
            Some(&b"ping-1"[..])
        );
        let got = ep.take_received();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].data, b"ping-1");
        assert!(got[0].received_wall_us >= before);
        assert!(ep.take_received().is_empty(), "taken packets are gone");
        assert_eq!(ep.stats().answered, 1);
    }

    #[tokio::test]
    async fn timestamp_reply_carries_receive_and_send_times() {
        let ep = UdpEndpoint::start(
            Ipv4Addr::LOCALHOST.into(),
            ReplyMode::Timestamp,
            ProbeLimits::default(),
            Instant::now(),
        )
        .await
        .unwrap();
        let t1 = wall_us();
        let r = exchange(&ep, b"x").await.unwrap();
        let t4 = wall_us();
        let t2 = u64::from_be_bytes(r[..8].try_into().unwrap());
        let t3 = u64::from_be_bytes(r[8..16].try_into().unwrap());
        assert!(t1 <= t2 && t2 <= t3 && t3 <= t4, "{t1} {t2} {t3} {t4}");
        assert_eq!(&r[16..], b"x");
    }

    #[tokio::test]
    async fn packets_over_budget_or_size_are_dropped_unanswered() {
        let limits = ProbeLimits {
            max_packets: 2,
            max_packet_bytes: 8,
            max_kept: 10,
        };
        let ep = UdpEndpoint::start(
            Ipv4Addr::LOCALHOST.into(),
            ReplyMode::Echo,
            limits,
            Instant::now(),
        )
        .await
        .unwrap();
        assert!(exchange(&ep, b"too-long-for-cap").await.is_none());
        assert!(exchange(&ep, b"ok").await.is_some());
        assert!(
            exchange(&ep, b"over").await.is_none(),
            "third packet is over the budget"
        );
        let s = ep.stats();
        assert_eq!((s.received, s.answered, s.dropped), (3, 1, 2));
    }
}
