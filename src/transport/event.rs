//! What the transport layer tells its caller: events, timestamps, endpoints and the
//! end-of-capture summary.

use super::tunnel::{Tunnel, TunnelCounts};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

/// A capture timestamp: seconds since the Unix epoch and nanoseconds within the second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z (may be negative with odd `if_tsoffset`s).
    pub secs: i64,
    /// Nanoseconds, always below 1_000_000_000.
    pub nanos: u32,
}

impl Timestamp {
    /// Builds a timestamp, carrying excess nanoseconds into the seconds.
    #[inline]
    pub fn new(secs: i64, nanos: u64) -> Timestamp {
        if let Ok(nanos) = u32::try_from(nanos) {
            if nanos < 1_000_000_000 {
                return Timestamp { secs, nanos };
            }
        }
        let carry = i64::try_from(nanos / 1_000_000_000).unwrap_or(i64::MAX);
        Timestamp {
            secs: secs.saturating_add(carry),
            // The remainder is below 10^9, so it fits.
            nanos: u32::try_from(nanos % 1_000_000_000).unwrap_or(0),
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.secs, self.nanos)
    }
}

/// One end of a TCP connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Endpoint {
    /// IPv4 or IPv6 address.
    pub addr: IpAddr,
    /// TCP port.
    pub port: u16,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.addr {
            IpAddr::V4(a) => write!(f, "{}:{}", a, self.port),
            IpAddr::V6(a) => write!(f, "[{}]:{}", a, self.port),
        }
    }
}

/// Which of the two endpoints of a connection.
///
/// `A` is the initiator (the sender of the SYN) when the handshake was seen, or the
/// receiver of the SYN-ACK when only that was seen; otherwise (mid-stream pickup) it is
/// the sender of the first segment seen, which says nothing about roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// The first endpoint (see the type's documentation).
    A,
    /// The other endpoint.
    B,
}

impl Side {
    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
    /// 0 for `A`, 1 for `B`: handy to index per-direction arrays.
    pub fn index(self) -> usize {
        match self {
            Side::A => 0,
            Side::B => 1,
        }
    }
}

/// One direction of one TCP connection: the key under which the upper layer keeps
/// its per-direction byte stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StreamDir {
    /// Connection number: 1, 2, … in order of first appearance.
    pub conn: u64,
    /// Which side sends in this direction.
    pub side: Side,
    /// The sender.
    pub from: Endpoint,
    /// The receiver.
    pub to: Endpoint,
    /// `Some(true)` when the sender is the connection's initiator (client), `Some(false)`
    /// when it is the responder, `None` when no handshake was seen.
    pub from_initiator: Option<bool>,
}

/// Why a range of a stream was given up as missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GapReason {
    /// The receiver acknowledged bytes beyond the hole: they were sent but not captured.
    AckedUnseen,
    /// The out-of-order buffer reached its cap (see [`TransportEvent::BufferCapReached`]).
    BufferCap,
    /// The sender's FIN came after the hole and nothing filled it.
    Fin,
    /// The connection was reset.
    Rst,
    /// The capture ended with the hole still open.
    EndOfCapture,
    /// The connection was dropped from a full connection table.
    Evicted,
    /// A new connection (a new SYN) reused the same addresses and ports.
    Reused,
}

/// How a direction or a whole connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseKind {
    /// The sender of this direction sent FIN and every byte before it was accounted for.
    Fin,
    /// The sender reset the connection (ends both directions).
    Rst,
    /// The capture ended while the connection was open.
    EndOfCapture,
    /// The connection was dropped to make room in a full connection table.
    Evicted,
    /// A new SYN reused the 4-tuple; the old connection ends here.
    Reused,
}

/// Why TCP payload bytes were neither delivered nor counted as retransmitted/overlapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IgnoreReason {
    /// Bytes after the sender's FIN.
    AfterFin,
    /// Payload carried by a RST segment.
    RstPayload,
}

/// Why a group of IP fragments did not become a datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FragmentDiscard {
    /// Not completed within the configured timeout.
    Timeout,
    /// Too many datagrams or fragment bytes pending: the oldest was dropped.
    TooManyPending,
    /// Fragments claim a datagram larger than 65535 bytes, or too many pieces.
    TooLarge,
    /// Two fragments overlap with different offsets or lengths (RFC 5722 says drop).
    Overlap,
    /// Inconsistent end: a second "last fragment" with a different total length.
    Inconsistent,
    /// The capture ended first.
    EndOfCapture,
}

/// What happened to a group of IP fragments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FragmentOutcome {
    /// All pieces arrived; the datagram was processed as if it had arrived whole, in
    /// the frame of this event.
    Reassembled {
        /// Number of fragments it was made of.
        fragments: u32,
        /// Length of the reassembled IP payload.
        len: u32,
    },
    /// The pieces were dropped.
    Discarded {
        /// Why.
        reason: FragmentDiscard,
        /// Number of fragments dropped.
        fragments: u32,
        /// Payload bytes dropped.
        bytes: u32,
    },
}

/// A problem with a capture record (not with the packet inside it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordProblem {
    /// A pcapng block failed to parse (bad lengths, bad trailer); it was skipped.
    MalformedBlock,
    /// A pcapng packet block names an interface no IDB described; it was skipped.
    UnknownInterface(u32),
    /// A record longer than the configured maximum record size; reading stops there.
    TooLarge,
    /// The record cannot be parsed and the reader cannot find the next one; reading stops.
    Unrecoverable,
}

/// Everything the transport layer reports, in capture order.
///
/// `Data` borrows the bytes: from the frame itself for in-order segments (no copy),
/// from the reassembly buffer for segments that arrived out of order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportEvent<'a> {
    /// A new TCP connection was seen (its first SYN, or its first payload-carrying segment).
    ConnectionOpened {
        /// Connection number.
        conn: u64,
        /// Frame that opened it.
        frame: u64,
        /// Timestamp of that frame.
        ts: Timestamp,
        /// Endpoint `A` (see [`Side`]).
        a: Endpoint,
        /// Endpoint `B`.
        b: Endpoint,
        /// Whether the initiator's SYN was seen.
        syn_seen: bool,
        /// Which side initiated, when known (SYN or SYN-ACK seen).
        initiator: Option<Side>,
        /// The innermost tunnel of the segment that opened it, if any. Connections are
        /// told apart by their endpoints alone: the two directions of one connection may
        /// travel in different tunnels (an ERSPAN session per direction, GRE keys that
        /// differ), and splitting them would lose the connection.
        tunnel: Option<Tunnel>,
    },
    /// In-order stream bytes.
    Data {
        /// The direction.
        dir: StreamDir,
        /// Frame that carried these bytes.
        frame: u64,
        /// Timestamp of that frame.
        ts: Timestamp,
        /// Stream offset of `data[0]`: bytes since ISN+1, or since the first byte seen
        /// when the SYN was not seen.
        offset: u64,
        /// The bytes (borrowed: a slice of the frame, or of the reassembly buffer).
        data: Cow<'a, [u8]>,
    },
    /// Bytes that were never captured; delivery continues after them.
    Gap {
        /// The direction.
        dir: StreamDir,
        /// Frame being processed when the gap was decided.
        frame: u64,
        /// Its timestamp.
        ts: Timestamp,
        /// Stream offset of the first missing byte.
        offset: u64,
        /// Number of missing bytes.
        len: u64,
        /// Sequence number of the first missing byte.
        seq_start: u32,
        /// Sequence number just after the last missing byte (wrapping).
        seq_end: u32,
        /// Why the bytes were given up.
        reason: GapReason,
    },
    /// A segment whose bytes had all been seen before; dropped.
    Retransmission {
        /// The direction.
        dir: StreamDir,
        /// Frame of the retransmission.
        frame: u64,
        /// Its timestamp.
        ts: Timestamp,
        /// Sequence number of its first byte.
        seq: u32,
        /// Payload length.
        len: u32,
        /// Whether its bytes differ from the first-seen ones (`None` when those are no
        /// longer kept, or were before the start of the stream).
        differs: Option<bool>,
    },
    /// A segment partly covering bytes already seen: the first-seen bytes are kept and
    /// only the new part is delivered.
    Overlap {
        /// The direction.
        dir: StreamDir,
        /// Frame of the overlapping segment.
        frame: u64,
        /// Its timestamp.
        ts: Timestamp,
        /// Sequence number of the segment's first byte.
        seq: u32,
        /// Bytes of the segment that were already seen (and dropped).
        overlap_len: u32,
        /// Bytes of the segment that were new.
        new_len: u32,
        /// Whether the overlapping bytes differ from the first-seen ones (`None` when
        /// those are no longer kept).
        differs: Option<bool>,
    },
    /// Payload bytes dropped for another reason.
    Ignored {
        /// The direction.
        dir: StreamDir,
        /// Frame.
        frame: u64,
        /// Timestamp.
        ts: Timestamp,
        /// Number of bytes.
        len: u32,
        /// Why.
        reason: IgnoreReason,
    },
    /// A direction (FIN) or a whole connection (every other kind) ended.
    Closed {
        /// Connection number.
        conn: u64,
        /// Who closed: the direction for FIN and RST, `None` for the others.
        by: Option<StreamDir>,
        /// How.
        kind: CloseKind,
        /// Frame (for end of capture: the last frame).
        frame: u64,
        /// Timestamp.
        ts: Timestamp,
    },
    /// A direction's out-of-order buffer would exceed its cap; the oldest hole is given
    /// up (a `Gap` with [`GapReason::BufferCap`] follows).
    BufferCapReached {
        /// The direction.
        dir: StreamDir,
        /// Frame.
        frame: u64,
        /// Bytes buffered at that moment.
        buffered: u64,
    },
    /// The connection table was full: connection `evicted` (least recently active) was
    /// dropped to make room.
    ConnectionTableFull {
        /// Frame that needed a new slot.
        frame: u64,
        /// The connection dropped.
        evicted: u64,
    },
    /// A frame with a link type this crate cannot decode. Reported once per link type
    /// (the summary counts every frame).
    UnknownLinkType {
        /// First frame with that link type.
        frame: u64,
        /// The link type number (LINKTYPE_*).
        linktype: u32,
    },
    /// The capture ends in the middle of a record; everything before it was delivered.
    TruncatedRecord {
        /// Number the record would have had.
        frame: u64,
        /// Bytes of the record present in the file.
        available: u64,
    },
    /// A capture record that could not be used.
    BadRecord {
        /// Number the record would have had (packet records) or the last frame number.
        frame: u64,
        /// What was wrong.
        problem: RecordProblem,
    },
    /// IP fragments were reassembled or dropped.
    Fragment {
        /// Frame of the last fragment (or being processed when dropped).
        frame: u64,
        /// Its timestamp.
        ts: Timestamp,
        /// Source address.
        src: IpAddr,
        /// Destination address.
        dst: IpAddr,
        /// IP identification.
        id: u32,
        /// What happened.
        outcome: FragmentOutcome,
    },
}

impl TransportEvent<'_> {
    /// The same event owning its bytes, to keep it after the callback returns.
    pub fn into_owned(self) -> TransportEvent<'static> {
        match self {
            TransportEvent::Data {
                dir,
                frame,
                ts,
                offset,
                data,
            } => TransportEvent::Data {
                dir,
                frame,
                ts,
                offset,
                data: Cow::Owned(data.into_owned()),
            },
            TransportEvent::ConnectionOpened {
                conn,
                frame,
                ts,
                a,
                b,
                syn_seen,
                initiator,
                tunnel,
            } => TransportEvent::ConnectionOpened {
                conn,
                frame,
                ts,
                a,
                b,
                syn_seen,
                initiator,
                tunnel,
            },
            TransportEvent::Gap {
                dir,
                frame,
                ts,
                offset,
                len,
                seq_start,
                seq_end,
                reason,
            } => TransportEvent::Gap {
                dir,
                frame,
                ts,
                offset,
                len,
                seq_start,
                seq_end,
                reason,
            },
            TransportEvent::Retransmission {
                dir,
                frame,
                ts,
                seq,
                len,
                differs,
            } => TransportEvent::Retransmission {
                dir,
                frame,
                ts,
                seq,
                len,
                differs,
            },
            TransportEvent::Overlap {
                dir,
                frame,
                ts,
                seq,
                overlap_len,
                new_len,
                differs,
            } => TransportEvent::Overlap {
                dir,
                frame,
                ts,
                seq,
                overlap_len,
                new_len,
                differs,
            },
            TransportEvent::Ignored {
                dir,
                frame,
                ts,
                len,
                reason,
            } => TransportEvent::Ignored {
                dir,
                frame,
                ts,
                len,
                reason,
            },
            TransportEvent::Closed {
                conn,
                by,
                kind,
                frame,
                ts,
            } => TransportEvent::Closed {
                conn,
                by,
                kind,
                frame,
                ts,
            },
            TransportEvent::BufferCapReached {
                dir,
                frame,
                buffered,
            } => TransportEvent::BufferCapReached {
                dir,
                frame,
                buffered,
            },
            TransportEvent::ConnectionTableFull { frame, evicted } => {
                TransportEvent::ConnectionTableFull { frame, evicted }
            }
            TransportEvent::UnknownLinkType { frame, linktype } => {
                TransportEvent::UnknownLinkType { frame, linktype }
            }
            TransportEvent::TruncatedRecord { frame, available } => {
                TransportEvent::TruncatedRecord { frame, available }
            }
            TransportEvent::BadRecord { frame, problem } => {
                TransportEvent::BadRecord { frame, problem }
            }
            TransportEvent::Fragment {
                frame,
                ts,
                src,
                dst,
                id,
                outcome,
            } => TransportEvent::Fragment {
                frame,
                ts,
                src,
                dst,
                id,
                outcome,
            },
        }
    }
}

/// Counters for a whole capture, returned at the end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaptureSummary {
    /// `"pcap"` or `"pcapng"`.
    pub format: &'static str,
    /// Packet records read (legacy records, EPBs, SPBs).
    pub frames: u64,
    /// Captured bytes in those records.
    pub captured_bytes: u64,
    /// Frames per link type number.
    pub frames_per_linktype: BTreeMap<u32, u64>,
    /// Frames with a link type this crate does not decode.
    pub unknown_linktype_frames: u64,
    /// Frames whose link layer carries something other than IPv4/IPv6.
    pub non_ip_frames: u64,
    /// IP packets carrying something other than TCP (UDP, ICMP, ESP, …).
    pub non_tcp_packets: u64,
    /// Frames cut short by the snapshot length or with headers that do not fit.
    pub truncated_frames: u64,
    /// Frames with an impossible header (bad version, lengths below minimums).
    pub malformed_frames: u64,
    /// IP fragments seen (v4 and v6).
    pub ip_fragments: u64,
    /// Datagrams reassembled from fragments.
    pub reassembled_datagrams: u64,
    /// pcapng blocks skipped as malformed or naming an unknown interface.
    pub bad_records: u64,
    /// Whether the file ended in the middle of a record.
    pub truncated_last_record: bool,
    /// When reading stopped at a record that could not be used (larger than the limit, or
    /// unparseable with no way to find the next one), the frame before it: the rest of the
    /// file was not read.
    pub stopped_after_frame: Option<u64>,
    /// Packets taken out of tunnels (VXLAN, GRE, IP in IP…) and decoded as captured.
    pub tunnels: TunnelCounts,
    /// TCP counters.
    pub tcp: TcpStats,
}

/// TCP reassembly counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TcpStats {
    /// TCP segments processed.
    pub segments: u64,
    /// Their payload bytes (as captured).
    pub payload_bytes: u64,
    /// Bytes delivered in `Data` events.
    pub delivered_bytes: u64,
    /// Bytes reported missing in `Gap` events.
    pub gap_bytes: u64,
    /// Payload bytes of fully retransmitted segments.
    pub retransmitted_bytes: u64,
    /// Payload bytes dropped because they overlapped bytes already seen.
    pub overlap_bytes: u64,
    /// Payload bytes dropped for another reason (see [`IgnoreReason`]).
    pub ignored_bytes: u64,
    /// Connections opened.
    pub connections: u64,
    /// Connections still open at the end of the capture.
    pub open_at_end: u64,
    /// Connections dropped from a full table.
    pub evicted: u64,
    /// Times an out-of-order buffer reached its cap.
    pub buffer_cap_reached: u64,
    /// Segments without payload that matched no connection (late ACKs, lone FINs).
    pub orphan_segments: u64,
}
