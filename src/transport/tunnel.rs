//! Tunnels: IP packets and Ethernet frames carried inside other IP packets, as captured on
//! the hosts of overlay networks (Kubernetes nodes: flannel and Cilium VXLAN, Calico IP in
//! IP), on cloud traffic mirrors (VXLAN, GENEVE) and from switch port mirrors (ERSPAN).
//! [`decap`] strips one such header; the packet decoder then decodes what was inside as it
//! would a captured frame, up to a fixed depth.
//!
//! Written by hand, like the link layers: each header is a few bytes with a length or two,
//! and every one is checked against what was captured before it is used.

use super::link::{be16, Network, ETHERTYPE_IPV4, ETHERTYPE_IPV6};

/// IP protocol numbers of the tunnels decoded here.
pub mod proto {
    /// IPv4 in IP (RFC 2003; Calico's "IPIP" mode).
    pub const IPV4: u8 = 4;
    /// IPv6 in IP (RFC 4213 "6in4", and IPv6 in IPv6).
    pub const IPV6: u8 = 41;
    /// Generic Routing Encapsulation (RFC 2784, RFC 2890).
    pub const GRE: u8 = 47;
    /// UDP, which carries VXLAN and GENEVE.
    pub const UDP: u8 = 17;
}

/// UDP destination ports of VXLAN: 4789 (IANA, RFC 7348) and 8472 (the Linux kernel's
/// default, used by flannel and Cilium).
pub const VXLAN_PORTS: [u16; 2] = [4789, 8472];
/// UDP destination port of GENEVE (RFC 8926).
pub const GENEVE_PORT: u16 = 6081;

/// Transparent Ethernet bridging: an Ethernet frame follows (gretap, GENEVE).
const ETHERTYPE_TEB: u16 = 0x6558;
/// ERSPAN type I and II (type I has no ERSPAN header and no GRE sequence number).
const ETHERTYPE_ERSPAN_2: u16 = 0x88be;
/// ERSPAN type III.
const ETHERTYPE_ERSPAN_3: u16 = 0x22eb;

/// The kinds of tunnel, for the capture summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TunnelKind {
    /// IPv4 or IPv6 straight inside IP.
    IpInIp,
    /// GRE carrying IP or Ethernet.
    Gre,
    /// ERSPAN (over GRE): mirrored Ethernet frames.
    Erspan,
    /// VXLAN (over UDP): Ethernet frames.
    Vxlan,
    /// GENEVE (over UDP): Ethernet frames or IP.
    Geneve,
}

impl TunnelKind {
    /// The kind's name, as the capture summary writes it.
    pub fn name(self) -> &'static str {
        match self {
            TunnelKind::IpInIp => "IP in IP",
            TunnelKind::Gre => "GRE",
            TunnelKind::Erspan => "ERSPAN",
            TunnelKind::Vxlan => "VXLAN",
            TunnelKind::Geneve => "GENEVE",
        }
    }
}

/// The tunnel a packet came out of: its kind and the network segment or session its
/// header names, shown with the connection so that a capture of many overlays says which
/// one each connection was in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tunnel {
    /// The kind of header.
    pub kind: TunnelKind,
    /// The VNI of VXLAN and GENEVE, GRE's key, ERSPAN's session ID; `None` for IP in IP,
    /// GRE without a key and ERSPAN type I, which name none.
    pub id: Option<u32>,
}

impl Tunnel {
    /// What the header calls its `id`: "VNI", "key", "session".
    pub fn id_name(&self) -> &'static str {
        match self.kind {
            TunnelKind::Vxlan | TunnelKind::Geneve => "VNI",
            TunnelKind::Gre => "key",
            TunnelKind::Erspan => "session",
            TunnelKind::IpInIp => "id",
        }
    }
}

impl std::fmt::Display for Tunnel {
    /// "VXLAN VNI 42", "GRE key 7", "IP in IP".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.id {
            Some(id) => write!(f, "{} {} {id}", self.kind.name(), self.id_name()),
            None => f.write_str(self.kind.name()),
        }
    }
}

/// Packets taken out of each kind of tunnel (a packet in two tunnels counts in both).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TunnelCounts {
    /// IP in IP (IPv4 or IPv6 inside IPv4 or IPv6).
    pub ip_in_ip: u64,
    /// GRE.
    pub gre: u64,
    /// ERSPAN.
    pub erspan: u64,
    /// VXLAN.
    pub vxlan: u64,
    /// GENEVE.
    pub geneve: u64,
    /// Packets nested in more tunnels than [`MAX_DEPTH`], not decoded further.
    pub too_deep: u64,
}

impl TunnelCounts {
    /// Counts one packet out of a `kind` tunnel.
    pub fn add(&mut self, kind: TunnelKind) {
        *match kind {
            TunnelKind::IpInIp => &mut self.ip_in_ip,
            TunnelKind::Gre => &mut self.gre,
            TunnelKind::Erspan => &mut self.erspan,
            TunnelKind::Vxlan => &mut self.vxlan,
            TunnelKind::Geneve => &mut self.geneve,
        } += 1;
    }

    /// Packets taken out of tunnels, all kinds.
    pub fn total(&self) -> u64 {
        self.ip_in_ip + self.gre + self.erspan + self.vxlan + self.geneve
    }

    /// Each kind with its count, those with packets only: `[("VXLAN", 12)]`.
    pub fn named(&self) -> Vec<(&'static str, u64)> {
        [
            (TunnelKind::IpInIp, self.ip_in_ip),
            (TunnelKind::Gre, self.gre),
            (TunnelKind::Erspan, self.erspan),
            (TunnelKind::Vxlan, self.vxlan),
            (TunnelKind::Geneve, self.geneve),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| (k.name(), n))
        .collect()
    }
}

/// Tunnels inside tunnels decoded, at most (an overlay over an overlay is two; the bound
/// keeps a crafted packet of nested headers from costing more than a few frames).
pub const MAX_DEPTH: u8 = 4;

/// What a tunnel carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inner<'a> {
    /// An IP packet (the slice starts at its first byte).
    Ip(Network, &'a [u8]),
    /// An Ethernet frame.
    Ethernet(&'a [u8]),
}

/// What [`decap`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decap<'a> {
    /// One tunnel header stripped.
    Inner(Tunnel, Inner<'a>),
    /// A tunnel header cut short by the capture.
    Truncated(TunnelKind),
    /// A tunnel header with an impossible field (a length beyond its packet, an unknown
    /// version), or carrying a protocol not decoded here (PPTP's PPP, MPLS…).
    Unusable(TunnelKind),
    /// Not a tunnel this module knows (plain UDP, ICMP, ESP…).
    NotTunnel,
}

const IP_IN_IP: Tunnel = Tunnel {
    kind: TunnelKind::IpInIp,
    id: None,
};

/// Strips the tunnel header of an IP payload of protocol `proto`, if it is one.
pub fn decap(proto: u8, payload: &[u8]) -> Decap<'_> {
    match proto {
        proto::IPV4 => Decap::Inner(IP_IN_IP, Inner::Ip(Network::Ipv4, payload)),
        proto::IPV6 => Decap::Inner(IP_IN_IP, Inner::Ip(Network::Ipv6, payload)),
        proto::GRE => gre(payload),
        proto::UDP => udp(payload),
        _ => Decap::NotTunnel,
    }
}

/// What an EtherType names inside a tunnel.
fn by_ethertype(tunnel: Tunnel, t: u16, rest: &[u8]) -> Decap<'_> {
    match t {
        ETHERTYPE_IPV4 => Decap::Inner(tunnel, Inner::Ip(Network::Ipv4, rest)),
        ETHERTYPE_IPV6 => Decap::Inner(tunnel, Inner::Ip(Network::Ipv6, rest)),
        ETHERTYPE_TEB => Decap::Inner(tunnel, Inner::Ethernet(rest)),
        _ => Decap::Unusable(tunnel.kind),
    }
}

/// The 24-bit VNI of VXLAN and GENEVE, in bytes 4 to 6 of their headers.
fn vni(h: &[u8]) -> Option<u32> {
    match h.get(4..7)? {
        &[a, b, c] => Some(u32::from_be_bytes([0, a, b, c])),
        _ => None,
    }
}

/// GRE (RFC 2784 with RFC 2890's key and sequence number; RFC 1701's routing is not
/// decoded), and ERSPAN inside it.
fn gre(d: &[u8]) -> Decap<'_> {
    let kind = TunnelKind::Gre;
    let (Some(&flags), Some(&ver), Some(ptype)) = (d.first(), d.get(1), be16(d, 2)) else {
        return Decap::Truncated(kind);
    };
    let (checksum, routing, key, seq) = (
        flags & 0x80 != 0,
        flags & 0x40 != 0,
        flags & 0x20 != 0,
        flags & 0x10 != 0,
    );
    // Version 1 is PPTP's enhanced GRE (PPP inside); routing has variable-length entries.
    if ver & 0x07 != 0 || routing {
        return Decap::Unusable(kind);
    }
    let len = 4 + 4 * (usize::from(checksum) + usize::from(key) + usize::from(seq));
    let Some(rest) = d.get(len..) else {
        return Decap::Truncated(kind);
    };
    // The key follows the checksum word when both are present (RFC 2890).
    let at = 4 + 4 * usize::from(checksum);
    let id = key.then(|| u32::from_be_bytes([d[at], d[at + 1], d[at + 2], d[at + 3]]));
    match ptype {
        ETHERTYPE_ERSPAN_2 if !seq => {
            // Type I: the mirrored frame follows GRE directly; no session ID.
            let tunnel = Tunnel {
                kind: TunnelKind::Erspan,
                id: None,
            };
            Decap::Inner(tunnel, Inner::Ethernet(rest))
        }
        ETHERTYPE_ERSPAN_2 => erspan(rest, 1, 8),
        ETHERTYPE_ERSPAN_3 => erspan(rest, 2, 12),
        _ => by_ethertype(Tunnel { kind, id }, ptype, rest),
    }
}

/// The ERSPAN header of version `version` (1 for type II, 2 for type III), `len` bytes,
/// then the mirrored Ethernet frame. Type III may add an 8-byte platform subheader.
fn erspan(d: &[u8], version: u8, len: usize) -> Decap<'_> {
    let kind = TunnelKind::Erspan;
    let Some(h) = d.get(..len) else {
        return Decap::Truncated(kind);
    };
    if h[0] >> 4 != version {
        return Decap::Unusable(kind);
    }
    // Type III's O flag (last bit of the header): the optional subheader follows.
    let sub = if version == 2 && h[11] & 0x01 != 0 {
        8
    } else {
        0
    };
    // Both types put the 10-bit session ID at the end of their first word.
    let tunnel = Tunnel {
        kind,
        id: Some(u32::from(u16::from_be_bytes([h[2], h[3]]) & 0x03ff)),
    };
    match d.get(len + sub..) {
        Some(frame) => Decap::Inner(tunnel, Inner::Ethernet(frame)),
        None => Decap::Truncated(kind),
    }
}

/// UDP to VXLAN or GENEVE by destination port; other UDP is no tunnel.
fn udp(d: &[u8]) -> Decap<'_> {
    let (Some(dport), Some(ulen)) = (be16(d, 2), be16(d, 4)) else {
        // Too short to tell what it is.
        return Decap::NotTunnel;
    };
    let kind = if VXLAN_PORTS.contains(&dport) {
        TunnelKind::Vxlan
    } else if dport == GENEVE_PORT {
        TunnelKind::Geneve
    } else {
        return Decap::NotTunnel;
    };
    let ulen = usize::from(ulen);
    if ulen < 8 {
        return Decap::Unusable(kind);
    }
    // The UDP length bounds the datagram; a capture cut short holds less.
    let body = &d[8.min(d.len())..ulen.min(d.len())];
    match kind {
        TunnelKind::Vxlan => vxlan(body),
        _ => geneve(body),
    }
}

/// VXLAN (RFC 7348): 8 bytes, the I flag set, then an Ethernet frame.
fn vxlan(d: &[u8]) -> Decap<'_> {
    let kind = TunnelKind::Vxlan;
    let Some(h) = d.get(..8) else {
        return Decap::Truncated(kind);
    };
    // Without the I flag the VNI is not valid: not a VXLAN packet (perhaps other traffic on
    // the port).
    if h[0] & 0x08 == 0 {
        return Decap::Unusable(kind);
    }
    Decap::Inner(Tunnel { kind, id: vni(h) }, Inner::Ethernet(&d[8..]))
}

/// GENEVE (RFC 8926): 8 bytes and the options, then what the protocol type names.
fn geneve(d: &[u8]) -> Decap<'_> {
    let kind = TunnelKind::Geneve;
    let (Some(&first), Some(ptype)) = (d.first(), be16(d, 2)) else {
        return Decap::Truncated(kind);
    };
    if first >> 6 != 0 {
        return Decap::Unusable(kind);
    }
    let len = 8 + usize::from(first & 0x3f) * 4;
    match d.get(len..) {
        Some(rest) => by_ethertype(Tunnel { kind, id: vni(d) }, ptype, rest),
        None => Decap::Truncated(kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tun(kind: TunnelKind, id: Option<u32>) -> Tunnel {
        Tunnel { kind, id }
    }

    fn udp_to(port: u16, body: &[u8]) -> Vec<u8> {
        let mut d = vec![0x30, 0x39];
        d.extend_from_slice(&port.to_be_bytes());
        d.extend_from_slice(&((8 + body.len()) as u16).to_be_bytes());
        d.extend_from_slice(&[0, 0]);
        d.extend_from_slice(body);
        d
    }

    #[test]
    fn ip_in_ip_both_families() {
        assert_eq!(
            decap(4, b"\x45ab"),
            Decap::Inner(IP_IN_IP, Inner::Ip(Network::Ipv4, b"\x45ab"))
        );
        assert_eq!(
            decap(41, b"\x60"),
            Decap::Inner(IP_IN_IP, Inner::Ip(Network::Ipv6, b"\x60"))
        );
        assert_eq!(decap(1, b"icmp"), Decap::NotTunnel);
    }

    #[test]
    fn gre_plain_with_optional_fields_and_unusable_versions() {
        let ip = Inner::Ip(Network::Ipv4, b"IP");
        assert_eq!(
            decap(47, b"\x00\x00\x08\x00IP"),
            Decap::Inner(tun(TunnelKind::Gre, None), ip)
        );
        // Checksum, key (300) and sequence number: 12 more bytes.
        let mut d = vec![0xb0, 0x00, 0x08, 0x00];
        d.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0, 1, 0x2c, 0, 0, 0, 9]);
        d.extend_from_slice(b"IP");
        assert_eq!(
            decap(47, &d),
            Decap::Inner(tun(TunnelKind::Gre, Some(300)), ip)
        );
        assert_eq!(decap(47, &d[..15]), Decap::Truncated(TunnelKind::Gre));
        // Without the checksum the key comes first.
        let mut k = vec![0x20, 0x00, 0x08, 0x00, 0, 0, 0, 5];
        k.extend_from_slice(b"IP");
        assert_eq!(
            decap(47, &k),
            Decap::Inner(tun(TunnelKind::Gre, Some(5)), ip)
        );
        assert_eq!(decap(47, &k[..7]), Decap::Truncated(TunnelKind::Gre));
        assert_eq!(
            decap(47, b"\x00\x00\x65\x58eth"),
            Decap::Inner(tun(TunnelKind::Gre, None), Inner::Ethernet(b"eth"))
        );
        // PPTP (version 1), routing present, PPP inside: not decoded.
        assert_eq!(
            decap(47, b"\x30\x01\x88\x0b\0\0\0\0\0\0\0\0"),
            Decap::Unusable(TunnelKind::Gre)
        );
        assert_eq!(
            decap(47, b"\x40\x00\x08\x00\0\0\0\0"),
            Decap::Unusable(TunnelKind::Gre)
        );
        assert_eq!(
            decap(47, b"\x00\x00\x08"),
            Decap::Truncated(TunnelKind::Gre)
        );
    }

    #[test]
    fn erspan_types_one_two_three() {
        let eth = |id, d| Decap::Inner(tun(TunnelKind::Erspan, id), Inner::Ethernet(d));
        // Type I: no sequence number, no ERSPAN header, no session ID.
        assert_eq!(decap(47, b"\x00\x00\x88\xbeF"), eth(None, b"F"));
        // Type II: sequence number, 8-byte header of version 1.
        let mut d = b"\x10\x00\x88\xbe\0\0\0\x01".to_vec();
        d.extend_from_slice(&[0x10, 0, 0, 7, 0, 0, 0, 0]);
        d.push(b'F');
        assert_eq!(decap(47, &d), eth(Some(7), b"F"));
        // The session ID is the first word's low 10 bits (COS, encapsulation and T above).
        d[10..12].copy_from_slice(&[0xfe, 0x01]);
        assert_eq!(decap(47, &d), eth(Some(0x201), b"F"));
        d[8] = 0x20; // version 2 is not type II
        assert_eq!(decap(47, &d), Decap::Unusable(TunnelKind::Erspan));
        assert_eq!(decap(47, &d[..12]), Decap::Truncated(TunnelKind::Erspan));
        // Type III: 12 bytes, then 8 more when the O flag is set.
        let mut d = b"\x10\x00\x22\xeb\0\0\0\x01".to_vec();
        d.extend_from_slice(&[0x20, 0, 0, 7, 1, 2, 3, 4, 0, 0, 0, 0]);
        d.push(b'F');
        assert_eq!(decap(47, &d), eth(Some(7), b"F"));
        d[19] = 0x01;
        assert_eq!(decap(47, &d), Decap::Truncated(TunnelKind::Erspan));
        d.splice(20..20, [9; 8]);
        assert_eq!(decap(47, &d), eth(Some(7), b"F"));
    }

    #[test]
    fn vxlan_on_both_ports_needs_the_i_flag() {
        for port in VXLAN_PORTS {
            let d = udp_to(port, b"\x08\0\0\0\0\0\x2a\0eth");
            assert_eq!(
                decap(17, &d),
                Decap::Inner(tun(TunnelKind::Vxlan, Some(42)), Inner::Ethernet(b"eth"))
            );
        }
        let d = udp_to(4789, b"\x00\0\0\0\0\0\x2a\0eth");
        assert_eq!(decap(17, &d), Decap::Unusable(TunnelKind::Vxlan));
        let d = udp_to(4789, b"\x08\0\0");
        assert_eq!(decap(17, &d), Decap::Truncated(TunnelKind::Vxlan));
        // DNS is not a tunnel; neither is a UDP header cut short.
        assert_eq!(decap(17, &udp_to(53, b"q")), Decap::NotTunnel);
        assert_eq!(decap(17, b"\0\0\x12"), Decap::NotTunnel);
        // A UDP length below its header; a UDP length beyond the capture (cut short).
        let mut d = udp_to(4789, b"\x08\0\0\0\0\0\x2a\0eth");
        d[5] = 7;
        assert_eq!(decap(17, &d), Decap::Unusable(TunnelKind::Vxlan));
        d[5] = 200;
        assert_eq!(
            decap(17, &d),
            Decap::Inner(tun(TunnelKind::Vxlan, Some(42)), Inner::Ethernet(b"eth"))
        );
    }

    #[test]
    fn udp_length_bounds_the_tunnel() {
        // Link padding after the datagram is not part of the frame inside.
        let mut d = udp_to(4789, b"\x08\0\0\0\0\0\x2a\0eth");
        d.extend_from_slice(b"pad");
        assert_eq!(
            decap(17, &d),
            Decap::Inner(tun(TunnelKind::Vxlan, Some(42)), Inner::Ethernet(b"eth"))
        );
    }

    #[test]
    fn geneve_with_options_and_each_payload() {
        let d = udp_to(6081, b"\x00\x00\x65\x58\0\0\x4d\0eth");
        assert_eq!(
            decap(17, &d),
            Decap::Inner(tun(TunnelKind::Geneve, Some(77)), Inner::Ethernet(b"eth"))
        );
        // Two 4-byte words of options, then IPv6.
        let d = udp_to(6081, b"\x02\x00\x86\xdd\0\0\x4d\0optsopts\x60");
        assert_eq!(
            decap(17, &d),
            Decap::Inner(
                tun(TunnelKind::Geneve, Some(77)),
                Inner::Ip(Network::Ipv6, b"\x60")
            )
        );
        // Options longer than the packet; version 1; a protocol not decoded here.
        let d = udp_to(6081, b"\x3f\x00\x65\x58\0\0\x4d\0");
        assert_eq!(decap(17, &d), Decap::Truncated(TunnelKind::Geneve));
        let d = udp_to(6081, b"\x40\x00\x65\x58\0\0\x4d\0");
        assert_eq!(decap(17, &d), Decap::Unusable(TunnelKind::Geneve));
        let d = udp_to(6081, b"\x00\x00\x88\x47\0\0\x4d\0mpls");
        assert_eq!(decap(17, &d), Decap::Unusable(TunnelKind::Geneve));
        let d = udp_to(6081, b"\x00\x00\x65");
        assert_eq!(decap(17, &d), Decap::Truncated(TunnelKind::Geneve));
    }

    #[test]
    fn a_vni_is_three_bytes_and_names_the_tunnel() {
        let d = udp_to(4789, b"\x08\0\0\0\xab\xcd\xef\xffeth");
        let Decap::Inner(t, _) = decap(17, &d) else {
            panic!("not VXLAN")
        };
        assert_eq!(t, tun(TunnelKind::Vxlan, Some(0xab_cdef)));
        assert_eq!(t.to_string(), "VXLAN VNI 11259375");
        assert_eq!(tun(TunnelKind::Gre, Some(7)).to_string(), "GRE key 7");
        assert_eq!(
            tun(TunnelKind::Erspan, Some(3)).to_string(),
            "ERSPAN session 3"
        );
        assert_eq!(tun(TunnelKind::Gre, None).to_string(), "GRE");
        assert_eq!(IP_IN_IP.to_string(), "IP in IP");
    }

    #[test]
    fn no_input_panics() {
        // Every prefix of every shape above, and every byte value in the flag positions.
        let mut cases: Vec<(u8, Vec<u8>)> = Vec::new();
        for b in 0..=255u8 {
            cases.push((
                47,
                vec![b, 0, 0x88, 0xbe, 0, 0, 0, 0, b, 0, 0, 0, 0, 0, 0, 0],
            ));
            cases.push((
                47,
                vec![0x10, 0, 0x22, 0xeb, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, b],
            ));
            cases.push((17, udp_to(6081, &[b, 0, 0x65, 0x58, 0, 0, 0, 0])));
            cases.push((17, udp_to(4789, &[b, 0, 0, 0, 0, 0, 0, 0])));
        }
        for (p, d) in cases {
            for n in 0..=d.len() {
                let _ = decap(p, &d[..n]);
            }
        }
    }
}
