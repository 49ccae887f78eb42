//! Link layers: from a captured frame to the IP packet inside it.
//!
//! Written by hand rather than with `etherparse`: each of these headers is a fixed
//! few bytes, the bounds checks are explicit and few, and we need link types
//! (SLL2, NULL/LOOP with either byte order) that a general crate handles differently.

/// Link type numbers (LINKTYPE_* from tcpdump.org) this module decodes.
pub mod linktype {
    /// BSD loopback: 4-byte address family in the writer's byte order.
    pub const NULL: u32 = 0;
    /// Ethernet II / 802.3.
    pub const ETHERNET: u32 = 1;
    /// Raw IP (DLT_RAW on most BSDs, found in some pcap files).
    pub const RAW_12: u32 = 12;
    /// Raw IP (DLT_RAW on OpenBSD, found in some pcap files).
    pub const RAW_14: u32 = 14;
    /// Raw IP.
    pub const RAW: u32 = 101;
    /// OpenBSD loopback: 4-byte address family in network byte order.
    pub const LOOP: u32 = 108;
    /// Linux cooked capture v1.
    pub const LINUX_SLL: u32 = 113;
    /// Raw IPv4.
    pub const IPV4: u32 = 228;
    /// Raw IPv6.
    pub const IPV6: u32 = 229;
    /// Linux cooked capture v2 (`tcpdump -i any` since libpcap 1.10).
    pub const LINUX_SLL2: u32 = 276;
}

pub(super) const ETHERTYPE_IPV4: u16 = 0x0800;
pub(super) const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;

/// Which network protocol a frame carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
}

/// What the link layer held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkPayload<'a> {
    /// An IP packet (the slice starts at its first byte).
    Ip(Network, &'a [u8]),
    /// Something that is not IP (ARP, LLDP, 802.3 frames…), with its protocol number
    /// where the link layer has one.
    NotIp(u32),
    /// The frame is shorter than its link header.
    Truncated,
    /// A link type this module does not know.
    UnknownLinkType,
}

pub(super) fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]))
}

fn ethertype(t: u16, rest: &[u8]) -> LinkPayload<'_> {
    match t {
        ETHERTYPE_IPV4 => LinkPayload::Ip(Network::Ipv4, rest),
        ETHERTYPE_IPV6 => LinkPayload::Ip(Network::Ipv6, rest),
        other => LinkPayload::NotIp(u32::from(other)),
    }
}

fn raw_ip(d: &[u8]) -> LinkPayload<'_> {
    match d.first().map(|b| b >> 4) {
        Some(4) => LinkPayload::Ip(Network::Ipv4, d),
        Some(6) => LinkPayload::Ip(Network::Ipv6, d),
        Some(v) => LinkPayload::NotIp(u32::from(v)),
        None => LinkPayload::Truncated,
    }
}

fn ethernet(d: &[u8]) -> LinkPayload<'_> {
    let Some(mut t) = be16(d, 12) else {
        return LinkPayload::Truncated;
    };
    if t == ETHERTYPE_IPV4 {
        // The commonest frame, ahead of the tag checks.
        return LinkPayload::Ip(Network::Ipv4, &d[14..]);
    }
    let mut at = 14;
    // 802.1Q and 802.1ad tags, any depth (each one is 4 bytes, so this is bounded).
    while matches!(t, ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD) {
        let Some(inner) = be16(d, at + 2) else {
            return LinkPayload::Truncated;
        };
        t = inner;
        at += 4;
    }
    ethertype(t, &d[at..])
}

/// BSD loopback address family, in whichever byte order it was written.
fn loopback(d: &[u8]) -> LinkPayload<'_> {
    let Some(h) = d.get(..4) else {
        return LinkPayload::Truncated;
    };
    let rest = &d[4..];
    let le = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
    let be = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let family = |af: u32| match af {
        2 => Some(Network::Ipv4),
        10 | 24 | 28 | 30 => Some(Network::Ipv6),
        _ => None,
    };
    match family(le).or_else(|| family(be)) {
        Some(n) => LinkPayload::Ip(n, rest),
        None => LinkPayload::NotIp(le.min(be)),
    }
}

/// Strips the link header of a frame of link type `linktype`.
#[inline]
pub fn parse_link(linktype: u32, d: &[u8]) -> LinkPayload<'_> {
    match linktype {
        linktype::ETHERNET => ethernet(d),
        linktype::NULL | linktype::LOOP => loopback(d),
        linktype::RAW | linktype::RAW_12 | linktype::RAW_14 | linktype::IPV4 | linktype::IPV6 => {
            raw_ip(d)
        }
        linktype::LINUX_SLL => match be16(d, 14) {
            Some(t) if d.len() >= 16 => ethertype(t, &d[16..]),
            _ => LinkPayload::Truncated,
        },
        linktype::LINUX_SLL2 => match be16(d, 0) {
            Some(t) if d.len() >= 20 => ethertype(t, &d[20..]),
            _ => LinkPayload::Truncated,
        },
        _ => LinkPayload::UnknownLinkType,
    }
}

/// Whether [`parse_link`] knows `linktype`.
pub fn is_supported(linktype: u32) -> bool {
    !matches!(parse_link(linktype, &[]), LinkPayload::UnknownLinkType)
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP4: &[u8] = &[0x45, 0, 0, 20];
    const IP6: &[u8] = &[0x60, 0, 0, 0];

    #[test]
    fn ethernet_plain_vlan_qinq() {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(IP4);
        assert_eq!(parse_link(1, &f), LinkPayload::Ip(Network::Ipv4, IP4));
        let mut v = vec![0u8; 12];
        v.extend_from_slice(&[0x88, 0xa8, 0, 10, 0x81, 0x00, 0, 20, 0x86, 0xdd]);
        v.extend_from_slice(IP6);
        assert_eq!(parse_link(1, &v), LinkPayload::Ip(Network::Ipv6, IP6));
        assert_eq!(parse_link(1, &v[..17]), LinkPayload::Truncated);
        assert_eq!(parse_link(1, &f[..13]), LinkPayload::Truncated);
        let mut arp = vec![0u8; 12];
        arp.extend_from_slice(&[0x08, 0x06, 1, 2]);
        assert_eq!(parse_link(1, &arp), LinkPayload::NotIp(0x0806));
    }

    #[test]
    fn loopback_both_byte_orders() {
        for lt in [0, 108] {
            let mut le = vec![2, 0, 0, 0];
            le.extend_from_slice(IP4);
            assert_eq!(parse_link(lt, &le), LinkPayload::Ip(Network::Ipv4, IP4));
            for af in [24u32, 28, 30] {
                let mut be = af.to_be_bytes().to_vec();
                be.extend_from_slice(IP6);
                assert_eq!(parse_link(lt, &be), LinkPayload::Ip(Network::Ipv6, IP6));
            }
            assert_eq!(parse_link(lt, &[2, 0]), LinkPayload::Truncated);
            assert_eq!(parse_link(lt, &[7, 0, 0, 0]), LinkPayload::NotIp(7));
        }
    }

    #[test]
    fn sll_sll2_raw_unknown() {
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(IP4);
        assert_eq!(parse_link(113, &sll), LinkPayload::Ip(Network::Ipv4, IP4));
        assert_eq!(parse_link(113, &sll[..15]), LinkPayload::Truncated);
        let mut sll2 = vec![0x86, 0xdd];
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.extend_from_slice(IP6);
        assert_eq!(parse_link(276, &sll2), LinkPayload::Ip(Network::Ipv6, IP6));
        assert_eq!(parse_link(276, &sll2[..19]), LinkPayload::Truncated);
        for lt in [12, 14, 101] {
            assert_eq!(parse_link(lt, IP6), LinkPayload::Ip(Network::Ipv6, IP6));
            assert_eq!(parse_link(lt, &[]), LinkPayload::Truncated);
        }
        assert_eq!(parse_link(147, IP4), LinkPayload::UnknownLinkType);
        assert!(is_supported(276) && !is_supported(147));
    }
}
