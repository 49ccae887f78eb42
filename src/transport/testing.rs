//! Builders for tests: pcap and pcapng writers and packet constructors (IPv4/IPv6,
//! TCP, Ethernet with VLAN tags, Linux cooked SLL/SLL2, BSD loopback).
//!
//! Public so that integration tests, fuzz seeds and the upper layers' tests can make
//! captures in code. Checksums are computed, so tools like Wireshark accept the output.

use super::event::{Side, Timestamp, TransportEvent};
use super::tcp::TcpFlags;
use std::net::{IpAddr, SocketAddr};

/// Writes a legacy pcap file in memory.
pub struct PcapWriter {
    buf: Vec<u8>,
    big_endian: bool,
    nanos: bool,
}

impl PcapWriter {
    /// Starts a file: link type, byte order, and micro- or nanosecond timestamps.
    pub fn new(linktype: u32, big_endian: bool, nanos: bool) -> PcapWriter {
        let mut w = PcapWriter {
            buf: Vec::new(),
            big_endian,
            nanos,
        };
        w.u32(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
        w.u16(2);
        w.u16(4);
        w.u32(0); // thiszone
        w.u32(0); // sigfigs
        w.u32(262_144); // snaplen
        w.u32(linktype);
        w
    }

    fn u16(&mut self, v: u16) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.buf.extend_from_slice(&b);
    }

    fn u32(&mut self, v: u32) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.buf.extend_from_slice(&b);
    }

    /// Appends a record.
    pub fn packet(&mut self, ts: Timestamp, data: &[u8]) -> &mut PcapWriter {
        let len = data.len() as u32;
        self.record(ts, len, len, data)
    }

    /// Appends a record with explicit (possibly lying) caplen and origlen fields.
    pub fn record(
        &mut self,
        ts: Timestamp,
        caplen: u32,
        origlen: u32,
        data: &[u8],
    ) -> &mut PcapWriter {
        self.u32(ts.secs as u32);
        self.u32(if self.nanos {
            ts.nanos
        } else {
            ts.nanos / 1000
        });
        self.u32(caplen);
        self.u32(origlen);
        self.buf.extend_from_slice(data);
        self
    }

    /// The file so far.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The finished file.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

/// Writes a pcapng file in memory: sections, interfaces, EPBs and SPBs.
pub struct PcapNgWriter {
    buf: Vec<u8>,
    big_endian: bool,
}

impl Default for PcapNgWriter {
    fn default() -> Self {
        PcapNgWriter::new()
    }
}

impl PcapNgWriter {
    /// An empty file; start it with [`PcapNgWriter::section`].
    pub fn new() -> PcapNgWriter {
        PcapNgWriter {
            buf: Vec::new(),
            big_endian: false,
        }
    }

    fn u32(&mut self, v: u32) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.buf.extend_from_slice(&b);
    }

    fn block(&mut self, kind: u32, body: &[u8]) {
        let len = 12 + body.len().div_ceil(4) * 4;
        self.u32(kind);
        self.u32(len as u32);
        self.buf.extend_from_slice(body);
        self.buf.resize(self.buf.len() + (len - 12 - body.len()), 0);
        self.u32(len as u32);
    }

    fn enc16(&self, v: u16) -> [u8; 2] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    fn enc32(&self, v: u32) -> [u8; 4] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    /// Starts a section (interfaces of earlier sections are forgotten).
    pub fn section(&mut self, big_endian: bool) -> &mut PcapNgWriter {
        self.big_endian = big_endian;
        let mut body = Vec::new();
        body.extend_from_slice(&self.enc32(0x1a2b_3c4d));
        body.extend_from_slice(&self.enc16(1));
        body.extend_from_slice(&self.enc16(0));
        body.extend_from_slice(&[0xff; 8]); // section length: unknown
        self.block(0x0a0d_0d0a, &body);
        self
    }

    /// Adds an interface with a link type and, optionally, an `if_tsresol` option.
    pub fn interface(&mut self, linktype: u16, tsresol: Option<u8>) -> &mut PcapNgWriter {
        let mut body = Vec::new();
        body.extend_from_slice(&self.enc16(linktype));
        body.extend_from_slice(&self.enc16(0));
        body.extend_from_slice(&self.enc32(0)); // snaplen: none
        if let Some(r) = tsresol {
            body.extend_from_slice(&self.enc16(9));
            body.extend_from_slice(&self.enc16(1));
            body.extend_from_slice(&[r, 0, 0, 0]);
            body.extend_from_slice(&[0, 0, 0, 0]); // opt_endofopt
        }
        self.block(1, &body);
        self
    }

    /// Adds an Enhanced Packet Block; `ts` is in the interface's units.
    pub fn epb(&mut self, if_id: u32, ts: u64, data: &[u8]) -> &mut PcapNgWriter {
        let mut body = Vec::new();
        body.extend_from_slice(&self.enc32(if_id));
        body.extend_from_slice(&self.enc32((ts >> 32) as u32));
        body.extend_from_slice(&self.enc32(ts as u32));
        body.extend_from_slice(&self.enc32(data.len() as u32));
        body.extend_from_slice(&self.enc32(data.len() as u32));
        body.extend_from_slice(data);
        self.block(6, &body);
        self
    }

    /// Adds a Simple Packet Block (interface 0).
    pub fn spb(&mut self, data: &[u8]) -> &mut PcapNgWriter {
        let mut body = Vec::new();
        body.extend_from_slice(&self.enc32(data.len() as u32));
        body.extend_from_slice(data);
        self.block(3, &body);
        self
    }

    /// Adds a block of any type with a raw body (padded to 4 bytes).
    pub fn raw_block(&mut self, kind: u32, body: &[u8]) -> &mut PcapNgWriter {
        self.block(kind, body);
        self
    }

    /// The file so far.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The finished file.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u64 = 0;
    for p in parts {
        for c in p.chunks(2) {
            let w = u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]);
            sum += u64::from(w);
        }
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An IPv4 header (no options) around `payload`, with `proto`, identification and
/// fragment field (flags and offset in 8-byte units) given.
pub fn ipv4(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    id: u16,
    frag_field: u16,
    payload: &[u8],
) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut h = vec![0x45, 0];
    h.extend_from_slice(&total.to_be_bytes());
    h.extend_from_slice(&id.to_be_bytes());
    h.extend_from_slice(&frag_field.to_be_bytes());
    h.extend_from_slice(&[64, proto, 0, 0]);
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    let c = checksum(&[&h]);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h.extend_from_slice(payload);
    h
}

/// An IPv6 header around `body` whose first header is `next`.
pub fn ipv6(src: [u8; 16], dst: [u8; 16], next: u8, body: &[u8]) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&(body.len() as u16).to_be_bytes());
    h.extend_from_slice(&[next, 64]);
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    h.extend_from_slice(body);
    h
}

/// A TCP header (20 bytes, no options) plus payload, with the checksum for the
/// given addresses.
pub fn tcp(
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    flags: TcpFlags,
    payload: &[u8],
) -> Vec<u8> {
    let mut t = Vec::with_capacity(20 + payload.len());
    t.extend_from_slice(&src.port().to_be_bytes());
    t.extend_from_slice(&dst.port().to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.extend_from_slice(&[0x50, flags.0, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    let len = (t.len() as u32).to_be_bytes();
    let c = match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            checksum(&[&s.octets(), &d.octets(), &[0, 6, len[2], len[3]], &t])
        }
        (s, d) => {
            let (s, d) = (v6_octets(s), v6_octets(d));
            checksum(&[&s, &d, &len, &[0, 0, 0, 6], &t])
        }
    };
    t[16..18].copy_from_slice(&c.to_be_bytes());
    t
}

fn v6_octets(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V6(a) => a.octets(),
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
    }
}

/// A whole IP packet (v4 or v6, from the addresses) carrying one TCP segment.
pub fn tcp_packet(
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    flags: TcpFlags,
    payload: &[u8],
) -> Vec<u8> {
    let t = tcp(src, dst, seq, ack, flags, payload);
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => ipv4(s.octets(), d.octets(), 6, 0, 0x4000, &t),
        (s, d) => ipv6(v6_octets(s), v6_octets(d), 6, &t),
    }
}

/// Ethertype for an IP packet, from its version nibble.
fn ethertype_of(ip: &[u8]) -> u16 {
    if ip.first().map(|b| b >> 4) == Some(6) {
        0x86dd
    } else {
        0x0800
    }
}

/// An Ethernet frame around `ip`, with the given VLAN tags `(tpid, tci)` outermost
/// first (e.g. `[(0x88a8, 100), (0x8100, 200)]` for QinQ). Short frames are padded to
/// 60 bytes as on the wire.
pub fn ethernet(tags: &[(u16, u16)], ip: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    for (tpid, tci) in tags {
        f.extend_from_slice(&tpid.to_be_bytes());
        f.extend_from_slice(&tci.to_be_bytes());
    }
    f.extend_from_slice(&ethertype_of(ip).to_be_bytes());
    f.extend_from_slice(ip);
    if f.len() < 60 {
        f.resize(60, 0);
    }
    f
}

/// A Linux cooked (SLL, link type 113) frame around `ip`.
pub fn sll(ip: &[u8]) -> Vec<u8> {
    let mut f = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0];
    f.extend_from_slice(&ethertype_of(ip).to_be_bytes());
    f.extend_from_slice(ip);
    f
}

/// A Linux cooked v2 (SLL2, link type 276) frame around `ip`.
pub fn sll2(ip: &[u8]) -> Vec<u8> {
    let mut f = ethertype_of(ip).to_be_bytes().to_vec();
    f.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
    f.extend_from_slice(ip);
    f
}

/// A BSD loopback (NULL/LOOP) frame: the address family in the chosen byte order.
pub fn loopback(af: u32, big_endian: bool, ip: &[u8]) -> Vec<u8> {
    let mut f = if big_endian {
        af.to_be_bytes().to_vec()
    } else {
        af.to_le_bytes().to_vec()
    };
    f.extend_from_slice(ip);
    f
}

/// Splits an IPv4 packet (no options) into fragments carrying at most `size` payload
/// bytes each (rounded down to a multiple of 8).
pub fn ipv4_fragments(packet: &[u8], size: usize) -> Vec<Vec<u8>> {
    let size = (size / 8).max(1) * 8;
    let (h, payload) = packet.split_at(20);
    let src = [h[12], h[13], h[14], h[15]];
    let dst = [h[16], h[17], h[18], h[19]];
    let id = u16::from_be_bytes([h[4], h[5]]);
    let chunks: Vec<&[u8]> = payload.chunks(size).collect();
    let n = chunks.len();
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let more = if i + 1 < n { 0x2000 } else { 0 };
            let off = (i * size / 8) as u16;
            ipv4(src, dst, h[9], id, more | off, c)
        })
        .collect()
}

/// Timestamp helper: `secs` seconds and `micros` microseconds.
pub fn ts(secs: i64, micros: u32) -> Timestamp {
    Timestamp {
        secs,
        nanos: micros * 1000,
    }
}

/// Collects events (owned) and per-direction streams, and checks that every stream
/// offset is covered exactly once by `Data` or `Gap` events.
#[derive(Default, Debug)]
pub struct Recorder {
    /// Every event, in order.
    pub events: Vec<TransportEvent<'static>>,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Recorder {
        Recorder::default()
    }

    /// Records one event.
    pub fn push(&mut self, ev: TransportEvent<'_>) {
        self.events.push(ev.into_owned());
    }

    /// The bytes delivered for connection `conn`, direction `side`, with each gap
    /// shown as `len` bytes of `fill`. Panics (this is test code) when offsets of
    /// successive `Data`/`Gap` events are not contiguous.
    pub fn stream(&self, conn: u64, side: Side, fill: u8) -> Vec<u8> {
        let mut out = Vec::new();
        for ev in &self.events {
            match ev {
                TransportEvent::Data {
                    dir, offset, data, ..
                } if dir.conn == conn && dir.side == side => {
                    assert_eq!(*offset, out.len() as u64, "data offset not contiguous");
                    out.extend_from_slice(data);
                }
                TransportEvent::Gap {
                    dir, offset, len, ..
                } if dir.conn == conn && dir.side == side => {
                    assert_eq!(*offset, out.len() as u64, "gap offset not contiguous");
                    out.resize(out.len() + *len as usize, fill);
                }
                _ => {}
            }
        }
        out
    }

    /// Events other than `Data`, for compact assertions.
    pub fn non_data(&self) -> Vec<TransportEvent<'static>> {
        self.events
            .iter()
            .filter(|e| !matches!(e, TransportEvent::Data { .. }))
            .cloned()
            .collect()
    }
}
