//! UDP endpoints on the host for network experiments (020.network-benchmark,
//! 030.clock-synchronization): a function sends datagrams to an address the host
//! hands it; the host timestamps every datagram on arrival and answers it.
//!
//! A plain Rust API (no WIT): the `network` capability builds on it, and so can any
//! host-side driver that needs an echo or timestamp service (`UdpEndpoint::start`).

mod endpoint;

pub use endpoint::{EndpointStats, ProbeLimits, ReceivedPacket, ReplyMode, UdpEndpoint};

/// The reply of `ReplyMode::Timestamp`: host receive and send time (wall clock, µs
/// since the epoch, big-endian u64 each) followed by the datagram that was received.
pub const TIMESTAMP_HEADER_BYTES: usize = 16;
