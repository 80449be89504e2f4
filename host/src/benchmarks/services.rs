//! Servers the host runs for benchmarks that talk to the network, so nothing leaves
//! the machine: `reply-server` (040.server-reply: answers each line `<text>` with
//! `faaslab-reply <text>`) and `http-origin` (120.uploader: `GET /bytes/<n>/<seed>`
//! returns `n` bytes of sha256("<seed>:0") ‖ sha256("<seed>:1") ‖ …), and two UDP
//! endpoints of `netprobe`: `udp-echo` (020.network-benchmark: each datagram sent
//! back unchanged) and `udp-timestamp` (030.clock-synchronization: host receive and
//! send times, then the datagram). A benchmark names the ones it needs in
//! `config.json` (`host_services`); its generator writes `${reply-server}`,
//! `${udp-echo}`, `${udp-timestamp}` (`ip:port`) or `${http-origin}` (`http://ip:port`)
//! in the payload and [`HostServices::vars`] gives the addresses to put in.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use anyhow::Context;
use std::time::Instant;

use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::netprobe::{ProbeLimits, ReplyMode, UdpEndpoint};

/// Services this host provides.
pub const PROVIDED: &[&str] = &["reply-server", "http-origin", "udp-echo", "udp-timestamp"];

/// Largest body the origin serves, bytes.
const MAX_ORIGIN_BYTES: u64 = 256 * 1024 * 1024;
/// Lines one reply-server connection may send.
const MAX_REPLY_LINES: usize = 100_000;
/// Longest request head or line accepted, bytes.
const MAX_LINE: usize = 8 * 1024;

/// The running services; they stop when this is dropped.
pub struct HostServices {
    reply: SocketAddr,
    origin: SocketAddr,
    udp_echo: UdpEndpoint,
    udp_timestamp: UdpEndpoint,
    tasks: Vec<JoinHandle<()>>,
}

impl HostServices {
    /// Start every service on `ip` (loopback for local processes; an address
    /// containers can reach for local-docker).
    pub async fn start(ip: IpAddr) -> std::io::Result<Self> {
        let udp = |mode| UdpEndpoint::start(ip, mode, ProbeLimits::default(), Instant::now());
        let udp_echo = udp(ReplyMode::Echo).await?;
        let udp_timestamp = udp(ReplyMode::Timestamp).await?;
        let reply = TcpListener::bind((ip, 0)).await?;
        let origin = TcpListener::bind((ip, 0)).await?;
        let (reply_addr, origin_addr) = (reply.local_addr()?, origin.local_addr()?);
        let tasks = vec![
            tokio::spawn(accept_loop(reply, serve_replies)),
            tokio::spawn(accept_loop(origin, serve_origin)),
        ];
        Ok(Self {
            reply: reply_addr,
            origin: origin_addr,
            udp_echo,
            udp_timestamp,
            tasks,
        })
    }

    /// The services for functions on `platform`: on loopback for local-process, on
    /// `container_ip` or else Docker's bridge gateway for local-docker; `None` where
    /// the platform's functions cannot reach this host.
    pub async fn start_for(
        platform: &str,
        container_ip: Option<IpAddr>,
    ) -> anyhow::Result<Option<Self>> {
        let ip = match (platform, container_ip) {
            ("local-process", _) => Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            (_, Some(ip)) => Some(ip),
            ("local-docker", None) => bridge_gateway().await,
            _ => None,
        };
        let Some(ip) = ip else { return Ok(None) };
        let services = Self::start(ip)
            .await
            .with_context(|| format!("starting the host services on {ip}"))?;
        Ok(Some(services))
    }

    /// The placeholders and their values (for `InvokeOptions::payload_vars`).
    pub fn vars(&self) -> Vec<(String, String)> {
        vec![
            ("${reply-server}".into(), self.reply.to_string()),
            ("${http-origin}".into(), format!("http://{}", self.origin)),
            ("${udp-echo}".into(), self.udp_echo.local_addr().to_string()),
            (
                "${udp-timestamp}".into(),
                self.udp_timestamp.local_addr().to_string(),
            ),
        ]
    }
}

/// The host's address on Docker's default bridge network, which containers on it
/// reach: the IPAM gateway, or (when the engine does not say) the subnet's first
/// address — used only if this host can bind it, i.e. it is really one of ours.
async fn bridge_gateway() -> Option<IpAddr> {
    let docker = crate::docker::connect().await.ok()?;
    let network = docker
        .inspect_network(
            "bridge",
            None::<bollard::query_parameters::InspectNetworkOptions>,
        )
        .await
        .ok()?;
    let config = network.ipam?.config?;
    let gateway = config
        .iter()
        .find_map(|c| c.gateway.as_deref()?.parse().ok());
    let first = || {
        config.iter().find_map(|c| {
            let (net, _) = c.subnet.as_deref()?.split_once('/')?;
            let net: Ipv4Addr = net.parse().ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(u32::from(net) + 1)))
        })
    };
    let ip = gateway.or_else(first)?;
    std::net::TcpListener::bind((ip, 0)).ok().map(|_| ip)
}

impl Drop for HostServices {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn accept_loop<F, Fut>(listener: TcpListener, serve: F)
where
    F: Fn(TcpStream) -> Fut,
    Fut: std::future::Future<Output = std::io::Result<()>> + Send + 'static,
{
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let fut = serve(stream);
                tokio::spawn(async move {
                    if let Err(e) = fut.await {
                        tracing::debug!("host service connection: {e}");
                    }
                });
            }
            Err(e) => {
                tracing::warn!("host service stopped accepting: {e}");
                return;
            }
        }
    }
}

async fn serve_replies(stream: TcpStream) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read.take((MAX_LINE * MAX_REPLY_LINES) as u64)).lines();
    while let Some(line) = lines.next_line().await? {
        write
            .write_all(format!("faaslab-reply {line}\n").as_bytes())
            .await?;
    }
    Ok(())
}

/// The origin's content for `/bytes/<n>/<seed>`.
pub fn seeded_bytes(n: u64, seed: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(n as usize + 32);
    let mut i = 0u64;
    while (out.len() as u64) < n {
        out.extend_from_slice(&Sha256::digest(format!("{seed}:{i}").as_bytes()));
        i += 1;
    }
    out.truncate(n as usize);
    out
}

async fn serve_origin(stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut request = String::new();
    (&mut reader)
        .take(MAX_LINE as u64)
        .read_line(&mut request)
        .await?;
    // Skip the headers: the request line says everything we serve.
    loop {
        let mut header = String::new();
        let n = (&mut reader)
            .take(MAX_LINE as u64)
            .read_line(&mut header)
            .await?;
        if n == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let body = parse_bytes_path(&request).map(|(n, seed)| seeded_bytes(n, seed));
    let stream = reader.get_mut();
    match body {
        Some(body) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body).await?;
        }
        None => {
            let msg = "only GET /bytes/<n>/<seed> is served\n";
            let head = format!(
                "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{msg}",
                msg.len()
            );
            stream.write_all(head.as_bytes()).await?;
        }
    }
    stream.shutdown().await
}

/// `GET /bytes/<n>/<seed> HTTP/1.x` → (n, seed).
fn parse_bytes_path(request_line: &str) -> Option<(u64, &str)> {
    let mut parts = request_line.split_whitespace();
    if parts.next()? != "GET" {
        return None;
    }
    let path = parts.next()?.strip_prefix("/bytes/")?;
    let (n, seed) = path.split_once('/')?;
    let n: u64 = n.parse().ok()?;
    let valid_seed =
        !seed.is_empty() && seed.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    (n <= MAX_ORIGIN_BYTES && valid_seed).then_some((n, seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines_are_parsed() {
        assert_eq!(
            parse_bytes_path("GET /bytes/10/42 HTTP/1.1\r\n"),
            Some((10, "42"))
        );
        assert_eq!(parse_bytes_path("POST /bytes/10/42 HTTP/1.1"), None);
        assert_eq!(parse_bytes_path("GET /bytes/x/42 HTTP/1.1"), None);
        assert_eq!(parse_bytes_path("GET /bytes/10/../x HTTP/1.1"), None);
        assert_eq!(parse_bytes_path("GET /bytes/999999999999/1 HTTP/1.1"), None);
    }

    #[test]
    fn seeded_bytes_follow_the_documented_recipe() {
        let b = seeded_bytes(40, "7");
        assert_eq!(&b[..32], Sha256::digest(b"7:0").as_slice());
        assert_eq!(&b[32..], &Sha256::digest(b"7:1")[..8]);
    }
}
