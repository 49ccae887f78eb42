//! IPv4 and IPv6 headers, IPv6 extension headers, and fragment information.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IP protocol number of TCP.
pub const PROTO_TCP: u8 = 6;

/// Where a fragment sits in its datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FragInfo {
    /// IPv4 identification (16 bits) or IPv6 fragment identification.
    pub id: u32,
    /// Offset of this fragment's data in the datagram's payload, in bytes.
    pub offset: u32,
    /// More fragments follow.
    pub more: bool,
}

/// An IP packet with its headers peeled off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpPacket<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Upper-layer protocol (after IPv6 extension headers; for an IPv6 fragment, the
    /// fragment header's next header).
    pub proto: u8,
    /// Upper-layer bytes (for a fragment: this fragment's part of the datagram payload).
    /// Link-layer padding after the IP total length is removed.
    pub payload: &'a [u8],
    /// The capture holds fewer bytes than the IP header announces.
    pub truncated: bool,
    /// Set when this packet is a fragment.
    pub fragment: Option<FragInfo>,
}

/// Why an IP header could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpError {
    /// The header (or an extension header) does not fit in the captured bytes.
    Truncated,
    /// The version nibble is not the expected one.
    BadVersion,
    /// IPv4 header length below 20 bytes or total length below the header length.
    BadLength,
}

impl IpError {
    /// Whether the error only means the capture was cut short.
    pub fn is_truncation(self) -> bool {
        self == IpError::Truncated
    }
}

/// Parses an IPv4 header at the start of `d`.
#[inline]
pub fn parse_ipv4(d: &[u8]) -> Result<IpPacket<'_>, IpError> {
    let h = d.get(..20).ok_or(IpError::Truncated)?;
    if h[0] >> 4 != 4 {
        return Err(IpError::BadVersion);
    }
    let ihl = usize::from(h[0] & 0x0f) * 4;
    if ihl < 20 {
        return Err(IpError::BadLength);
    }
    if d.len() < ihl {
        return Err(IpError::Truncated);
    }
    let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
    // A total length of 0 is what TCP segmentation offload leaves: use what was captured.
    let (end, truncated) = if total == 0 {
        (d.len(), false)
    } else if total < ihl {
        return Err(IpError::BadLength);
    } else if total > d.len() {
        (d.len(), true)
    } else {
        (total, false)
    };
    let ff = u16::from_be_bytes([h[6], h[7]]);
    // More fragments, or an offset: a fragment.
    let fragment = (ff & 0x3fff != 0).then(|| FragInfo {
        id: u32::from(u16::from_be_bytes([h[4], h[5]])),
        offset: u32::from(ff & 0x1fff) * 8,
        more: ff & 0x2000 != 0,
    });
    Ok(IpPacket {
        src: IpAddr::V4(Ipv4Addr::new(h[12], h[13], h[14], h[15])),
        dst: IpAddr::V4(Ipv4Addr::new(h[16], h[17], h[18], h[19])),
        proto: h[9],
        payload: &d[ihl..end],
        truncated,
        fragment,
    })
}

/// Walks IPv6 extension headers starting with next-header `next` at the start of `d`.
/// Returns the upper-layer protocol, the offset of its first byte in `d`, and the
/// fragment header's information if one was crossed (the walk stops after it: the rest
/// is fragment data).
pub fn walk_ipv6_ext(mut next: u8, d: &[u8]) -> Result<(u8, usize, Option<FragInfo>), IpError> {
    let mut at = 0usize;
    loop {
        match next {
            // Hop-by-hop, routing, destination options, mobility, HIP, shim6.
            0 | 43 | 60 | 135 | 139 | 140 => {
                let h = d.get(at..at + 2).ok_or(IpError::Truncated)?;
                let len = (usize::from(h[1]) + 1) * 8;
                if d.len() < at + len {
                    return Err(IpError::Truncated);
                }
                next = h[0];
                at += len;
            }
            // Authentication header: length in 4-byte units, minus 2.
            51 => {
                let h = d.get(at..at + 2).ok_or(IpError::Truncated)?;
                let len = (usize::from(h[1]) + 2) * 4;
                if d.len() < at + len {
                    return Err(IpError::Truncated);
                }
                next = h[0];
                at += len;
            }
            44 => {
                let h = d.get(at..at + 8).ok_or(IpError::Truncated)?;
                let fo = u16::from_be_bytes([h[2], h[3]]);
                let info = FragInfo {
                    id: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
                    offset: u32::from(fo & 0xfff8),
                    more: fo & 1 != 0,
                };
                return Ok((h[0], at + 8, Some(info)));
            }
            proto => return Ok((proto, at, None)),
        }
    }
}

/// Parses an IPv6 header and its extension headers at the start of `d`.
///
/// An atomic fragment (offset 0, no more fragments) is returned as a plain packet.
#[inline]
pub fn parse_ipv6(d: &[u8]) -> Result<IpPacket<'_>, IpError> {
    let h = d.get(..40).ok_or(IpError::Truncated)?;
    if h[0] >> 4 != 6 {
        return Err(IpError::BadVersion);
    }
    let plen = usize::from(u16::from_be_bytes([h[4], h[5]]));
    let body = &d[40..];
    // Payload length 0: a jumbogram or offloaded segment; use what was captured.
    let (body, truncated) = if plen == 0 {
        (body, false)
    } else if plen > body.len() {
        (body, true)
    } else {
        (&body[..plen], false)
    };
    let mut src = [0u8; 16];
    src.copy_from_slice(&h[8..24]);
    let mut dst = [0u8; 16];
    dst.copy_from_slice(&h[24..40]);
    let (proto, at, mut fragment) = walk_ipv6_ext(h[6], body)?;
    if fragment.is_some_and(|f| f.offset == 0 && !f.more) {
        fragment = None;
    }
    Ok(IpPacket {
        src: IpAddr::V6(Ipv6Addr::from(src)),
        dst: IpAddr::V6(Ipv6Addr::from(dst)),
        proto,
        payload: &body[at..],
        truncated,
        fragment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(total: u16, ihl: u8, ff: u16, payload: &[u8]) -> Vec<u8> {
        let mut d = vec![
            0x40 | ihl,
            0,
            0,
            0,
            0x12,
            0x34,
            0,
            0,
            64,
            6,
            0,
            0,
            1,
            2,
            3,
            4,
            5,
            6,
            7,
            8,
        ];
        d[2..4].copy_from_slice(&total.to_be_bytes());
        d[6..8].copy_from_slice(&ff.to_be_bytes());
        d.resize(usize::from(ihl) * 4, 1); // options: NOPs
        d.extend_from_slice(payload);
        d
    }

    #[test]
    fn ipv4_options_padding_truncation_fragments() {
        let d = v4(24 + 3, 6, 0, b"abc\0\0\0"); // options + Ethernet padding
        let p = parse_ipv4(&d).unwrap();
        assert_eq!(p.payload, b"abc");
        assert_eq!(p.src, IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4)));
        assert_eq!((p.proto, p.truncated, p.fragment), (6, false, None));
        let d = v4(100, 5, 0, b"abc");
        let p = parse_ipv4(&d).unwrap();
        assert_eq!((p.payload, p.truncated), (&b"abc"[..], true));
        assert_eq!(parse_ipv4(&v4(10, 5, 0, b"")), Err(IpError::BadLength));
        assert_eq!(parse_ipv4(&v4(40, 4, 0, b"abcd")), Err(IpError::BadLength));
        assert_eq!(
            parse_ipv4(&v4(40, 15, 0, b"")[..30]),
            Err(IpError::Truncated)
        );
        let fr = v4(28, 5, 0x2000 | 3, b"12345678");
        let p = parse_ipv4(&fr).unwrap();
        assert_eq!(
            p.fragment,
            Some(FragInfo {
                id: 0x1234,
                offset: 24,
                more: true
            })
        );
        let mut bad = v4(20, 5, 0, b"");
        bad[0] = 0x65;
        assert_eq!(parse_ipv4(&bad), Err(IpError::BadVersion));
    }

    fn v6(next: u8, body: &[u8]) -> Vec<u8> {
        let mut d = vec![0x60, 0, 0, 0, 0, 0, next, 64];
        d[4..6].copy_from_slice(&(body.len() as u16).to_be_bytes());
        d.extend_from_slice(&[0u8; 15]);
        d.push(1);
        d.extend_from_slice(&[0u8; 15]);
        d.push(2);
        d.extend_from_slice(body);
        d
    }

    #[test]
    fn ipv6_extension_headers() {
        let mut body = vec![60, 0, 0, 0, 0, 0, 0, 0]; // hop-by-hop → dest opts
        body.extend_from_slice(&[43, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // → routing (16 bytes)
        body.extend_from_slice(&[51, 0, 0, 0, 0, 0, 0, 0]); // → AH
        body.extend_from_slice(&[6, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // AH: 12 bytes → TCP
        body.extend_from_slice(b"tcp!");
        let d = v6(0, &body);
        let p = parse_ipv6(&d).unwrap();
        assert_eq!((p.proto, p.payload, p.fragment), (6, &b"tcp!"[..], None));
        assert_eq!(p.dst, "::2".parse::<IpAddr>().unwrap());
        assert_eq!(parse_ipv6(&d[..50]), Err(IpError::Truncated));
        let frag = [6, 0, 0x01, 0x01, 0, 0, 0, 9, b'x', b'y'];
        let fr = v6(44, &frag);
        let p = parse_ipv6(&fr).unwrap();
        assert_eq!(
            p.fragment,
            Some(FragInfo {
                id: 9,
                offset: 256,
                more: true
            })
        );
        assert_eq!((p.proto, p.payload), (6, &b"xy"[..]));
        let atomic = [6, 0, 0, 0, 0, 0, 0, 9, b'x'];
        assert_eq!(parse_ipv6(&v6(44, &atomic)).unwrap().fragment, None);
    }
}
