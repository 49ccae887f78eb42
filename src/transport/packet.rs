//! From a captured frame to TCP segments: link layer, IP (with fragments), TCP.

use super::event::{CaptureSummary, Timestamp, TransportEvent};
use super::frag::FragReassembler;
use super::ip::{self, IpError, IpPacket, PROTO_TCP};
use super::link::{self, LinkPayload, Network};
use super::reassembly::{Sink, TcpReassembler};
use super::tcp::{self, TcpError};
use super::tunnel::{self, Decap, Inner, Tunnel};
use super::TransportConfig;
use std::collections::BTreeSet;
use std::net::IpAddr;

/// Decodes frames of any supported link type and feeds their TCP segments to a
/// [`TcpReassembler`], counting everything else in a [`CaptureSummary`].
pub struct PacketDecoder {
    tcp: TcpReassembler,
    frag: FragReassembler,
    summary: CaptureSummary,
    reported_linktypes: BTreeSet<u32>,
    /// Frames of the current run of one link type, not yet in `frames_per_linktype`
    /// (a map update per frame costs more than the rest of a frame's counting).
    linktype_run: (u32, u64),
    last_frame: u64,
    last_ts: Timestamp,
    /// Tunnels around the packet at hand (0 for what the link layer carried).
    depth: u8,
    /// The innermost of them.
    tunnel: Option<Tunnel>,
}

impl PacketDecoder {
    /// A decoder with the limits of `cfg`.
    pub fn new(cfg: &TransportConfig) -> PacketDecoder {
        PacketDecoder {
            tcp: TcpReassembler::new(cfg),
            frag: FragReassembler::new(cfg),
            summary: CaptureSummary::default(),
            reported_linktypes: BTreeSet::new(),
            linktype_run: (0, 0),
            last_frame: 0,
            last_ts: Timestamp::default(),
            depth: 0,
            tunnel: None,
        }
    }

    /// The counters so far (the TCP part is filled in by [`PacketDecoder::finish`]).
    pub fn summary_mut(&mut self) -> &mut CaptureSummary {
        self.flush_linktype_run();
        &mut self.summary
    }

    fn flush_linktype_run(&mut self) {
        let (linktype, n) = std::mem::take(&mut self.linktype_run);
        if n > 0 {
            self.summary.frames += n;
            *self
                .summary
                .frames_per_linktype
                .entry(linktype)
                .or_insert(0) += n;
        }
    }

    /// Timestamp of the last frame given to [`PacketDecoder::frame`].
    pub fn last_ts(&self) -> Timestamp {
        self.last_ts
    }

    /// Number of the last frame given to [`PacketDecoder::frame`].
    pub fn last_frame(&self) -> u64 {
        self.last_frame
    }

    /// Processes one captured frame.
    pub fn frame(
        &mut self,
        frame: u64,
        ts: Timestamp,
        linktype: u32,
        data: &[u8],
        sink: &mut Sink<'_>,
    ) {
        self.last_frame = frame;
        self.last_ts = ts;
        if self.linktype_run.0 != linktype {
            self.flush_linktype_run();
            self.linktype_run.0 = linktype;
        }
        self.linktype_run.1 += 1;
        let s = &mut self.summary;
        s.captured_bytes += data.len() as u64;
        match link::parse_link(linktype, data) {
            LinkPayload::Ip(net, d) => self.ip(frame, ts, net, d, sink),
            LinkPayload::NotIp(_) => s.non_ip_frames += 1,
            LinkPayload::Truncated => s.truncated_frames += 1,
            LinkPayload::UnknownLinkType => {
                s.unknown_linktype_frames += 1;
                if self.reported_linktypes.insert(linktype) {
                    sink(TransportEvent::UnknownLinkType { frame, linktype });
                }
            }
        }
    }

    /// Processes one IP packet (what a link layer carried).
    #[inline]
    pub fn ip(&mut self, frame: u64, ts: Timestamp, net: Network, d: &[u8], sink: &mut Sink<'_>) {
        let parsed = match net {
            Network::Ipv4 => ip::parse_ipv4(d),
            Network::Ipv6 => ip::parse_ipv6(d),
        };
        let pkt: IpPacket<'_> = match parsed {
            Ok(p) => p,
            Err(IpError::Truncated) => {
                self.summary.truncated_frames += 1;
                return;
            }
            Err(_) => {
                self.summary.malformed_frames += 1;
                return;
            }
        };
        if pkt.truncated {
            self.summary.truncated_frames += 1;
        }
        let Some(info) = pkt.fragment else {
            self.l4(frame, ts, (pkt.src, pkt.dst), pkt.proto, pkt.payload, sink);
            return;
        };
        self.summary.ip_fragments += 1;
        if pkt.truncated {
            // A cut fragment cannot be put back together; it was counted as truncated.
            return;
        }
        let v4_proto = (net == Network::Ipv4).then_some(pkt.proto);
        let whole = self.frag.add(
            frame,
            ts,
            pkt.src,
            pkt.dst,
            v4_proto,
            pkt.proto,
            info,
            pkt.payload,
            sink,
        );
        let Some(whole) = whole else { return };
        self.summary.reassembled_datagrams += 1;
        match net {
            Network::Ipv4 => self.l4(
                frame,
                ts,
                (pkt.src, pkt.dst),
                whole.proto,
                &whole.data,
                sink,
            ),
            Network::Ipv6 => match ip::walk_ipv6_ext(whole.proto, &whole.data) {
                Ok((proto, at, None)) => {
                    self.l4(
                        frame,
                        ts,
                        (pkt.src, pkt.dst),
                        proto,
                        &whole.data[at..],
                        sink,
                    );
                }
                Ok((_, _, Some(_))) => self.summary.malformed_frames += 1,
                Err(_) => self.summary.truncated_frames += 1,
            },
        }
    }

    #[inline]
    fn l4(
        &mut self,
        frame: u64,
        ts: Timestamp,
        (src, dst): (IpAddr, IpAddr),
        proto: u8,
        payload: &[u8],
        sink: &mut Sink<'_>,
    ) {
        if proto != PROTO_TCP {
            self.not_tcp(frame, ts, proto, payload, sink);
            return;
        }
        match tcp::parse_tcp(src, dst, payload) {
            Ok(mut seg) => {
                seg.tunnel = self.tunnel;
                self.tcp.segment(frame, ts, &seg, sink)
            }
            Err(TcpError::Truncated) => self.summary.truncated_frames += 1,
            Err(TcpError::BadDataOffset) => self.summary.malformed_frames += 1,
        }
    }

    /// What is not TCP: a tunnel, whose packet is decoded as if captured, or something else.
    // Out of line: the TCP path stays small.
    #[cold]
    #[inline(never)]
    fn not_tcp(
        &mut self,
        frame: u64,
        ts: Timestamp,
        proto: u8,
        payload: &[u8],
        sink: &mut Sink<'_>,
    ) {
        let s = &mut self.summary;
        let (tunnel, inner) = match tunnel::decap(proto, payload) {
            Decap::Inner(tunnel, inner) => (tunnel, inner),
            Decap::Truncated(_) => return s.truncated_frames += 1,
            Decap::Unusable(_) | Decap::NotTunnel => return s.non_tcp_packets += 1,
        };
        if self.depth >= tunnel::MAX_DEPTH {
            s.tunnels.too_deep += 1;
            return;
        }
        s.tunnels.add(tunnel.kind);
        let (net, d) = match inner {
            Inner::Ip(net, d) => (net, d),
            Inner::Ethernet(d) => match link::parse_link(link::linktype::ETHERNET, d) {
                LinkPayload::Ip(net, d) => (net, d),
                LinkPayload::Truncated => return s.truncated_frames += 1,
                LinkPayload::NotIp(_) | LinkPayload::UnknownLinkType => {
                    return s.non_ip_frames += 1
                }
            },
        };
        let outer = self.tunnel.replace(tunnel);
        self.depth += 1;
        self.ip(frame, ts, net, d, sink);
        self.depth -= 1;
        self.tunnel = outer;
    }

    /// End of input: drops pending fragments, flushes every connection, and returns
    /// the summary.
    pub fn finish(mut self, sink: &mut Sink<'_>) -> CaptureSummary {
        self.flush_linktype_run();
        self.frag.finish(self.last_frame, self.last_ts, sink);
        self.tcp.finish(self.last_frame, self.last_ts, sink);
        self.summary.tcp = self.tcp.stats().clone();
        self.summary
    }
}
