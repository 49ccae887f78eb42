//! Getting bytes in: capture files, link/IP/TCP layers and hex text. Knows nothing of MQTT.
//!
//! The capture side works as a pipeline, each stage usable on its own:
//!
//! - [`read_capture`] streams a pcap or pcapng file from any [`std::io::Read`] and feeds
//!   each frame to a [`PacketDecoder`];
//! - [`PacketDecoder`] peels the link layer ([`link`]), IPv4/IPv6 ([`ip`], with fragment
//!   reassembly in [`frag`]), tunnels ([`tunnel`]: VXLAN, GENEVE, GRE, ERSPAN, IP in IP) and
//!   TCP ([`tcp`]), and hands segments to a [`TcpReassembler`];
//! - [`TcpReassembler`] turns segments into ordered per-direction byte streams and reports
//!   everything that was not simply in order (gaps, retransmissions, overlaps, closes).
//!
//! All output is a sequence of [`TransportEvent`]s given to a callback, and a
//! [`CaptureSummary`] at the end.

pub mod capture;
mod conntable;
pub mod event;
pub mod frag;
pub mod hextext;
pub mod ip;
pub mod link;
pub mod packet;
pub mod reassembly;
pub mod tcp;
pub mod testing;
pub mod tunnel;

pub use capture::{read_capture, CaptureError};
pub use event::{
    CaptureSummary, CloseKind, Endpoint, FragmentDiscard, FragmentOutcome, GapReason, IgnoreReason,
    RecordProblem, Side, StreamDir, TcpStats, Timestamp, TransportEvent,
};
pub use packet::PacketDecoder;
pub use reassembly::TcpReassembler;
pub use tcp::{TcpFlags, TcpSegment};
pub use tunnel::{Tunnel, TunnelKind};

/// Limits and knobs of the transport layer. `Default` gives sensible values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportConfig {
    /// Most out-of-order bytes buffered per TCP direction before the oldest hole is
    /// given up as a gap (default 4 MiB).
    pub max_buffer_per_direction: usize,
    /// Most TCP connections tracked at once; the least recently active one is dropped
    /// to make room (default 100 000).
    pub max_connections: usize,
    /// Bytes of already delivered data kept per direction to tell whether a
    /// retransmission or overlap carries different bytes (default 64 KiB; 0 disables).
    pub retain_delivered: usize,
    /// Most IP datagrams being reassembled from fragments at once (default 1024).
    pub max_fragment_datagrams: usize,
    /// Most fragment bytes held at once (default 8 MiB).
    pub max_fragment_bytes: usize,
    /// Seconds after its first fragment that an incomplete datagram is dropped (default 60).
    pub fragment_timeout_secs: u64,
    /// Largest capture record accepted; the read buffer grows up to this (default 16 MiB).
    pub max_record_size: usize,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            max_buffer_per_direction: 4 << 20,
            max_connections: 100_000,
            retain_delivered: 64 << 10,
            max_fragment_datagrams: 1024,
            max_fragment_bytes: 8 << 20,
            fragment_timeout_secs: 60,
            max_record_size: 16 << 20,
        }
    }
}
