//! The TCP header: just enough to reassemble streams.

use super::event::Endpoint;
use super::tunnel::Tunnel;
use std::net::IpAddr;

/// TCP flag bits (the low byte of the flags field).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// No more data from sender.
    pub const FIN: TcpFlags = TcpFlags(0x01);
    /// Synchronize sequence numbers.
    pub const SYN: TcpFlags = TcpFlags(0x02);
    /// Reset the connection.
    pub const RST: TcpFlags = TcpFlags(0x04);
    /// Push function.
    pub const PSH: TcpFlags = TcpFlags(0x08);
    /// Acknowledgment field is significant.
    pub const ACK: TcpFlags = TcpFlags(0x10);
    /// Urgent pointer field is significant.
    pub const URG: TcpFlags = TcpFlags(0x20);

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for TcpFlags {
    type Output = TcpFlags;
    fn bitor(self, rhs: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 | rhs.0)
    }
}

/// One TCP segment, as the reassembler needs it. The payload borrows the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    /// Sender.
    pub src: Endpoint,
    /// Receiver.
    pub dst: Endpoint,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (meaningful when `flags` has ACK).
    pub ack: u32,
    /// Flags.
    pub flags: TcpFlags,
    /// Payload bytes (as captured; may be shorter than sent when the snapshot length cut it).
    pub payload: &'a [u8],
    /// The innermost tunnel the segment came out of, if any.
    pub tunnel: Option<Tunnel>,
}

/// Why a TCP header could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpError {
    /// Fewer than 20 bytes, or fewer than the data offset says.
    Truncated,
    /// Data offset below 5 words.
    BadDataOffset,
}

/// Parses a TCP header at the start of `data` (the IP payload).
#[inline]
pub fn parse_tcp(src: IpAddr, dst: IpAddr, data: &[u8]) -> Result<TcpSegment<'_>, TcpError> {
    let h = data.get(..20).ok_or(TcpError::Truncated)?;
    let sport = u16::from_be_bytes([h[0], h[1]]);
    let dport = u16::from_be_bytes([h[2], h[3]]);
    let seq = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
    let ack = u32::from_be_bytes([h[8], h[9], h[10], h[11]]);
    let doff = usize::from(h[12] >> 4) * 4;
    if doff < 20 {
        return Err(TcpError::BadDataOffset);
    }
    let payload = data.get(doff..).ok_or(TcpError::Truncated)?;
    Ok(TcpSegment {
        src: Endpoint {
            addr: src,
            port: sport,
        },
        dst: Endpoint {
            addr: dst,
            port: dport,
        },
        seq,
        ack,
        flags: TcpFlags(h[13]),
        payload,
        tunnel: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn parses_header_with_options() {
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        let mut d = vec![
            0x04, 0xd2, 0x07, 0x5b, 0, 0, 0, 1, 0, 0, 0, 2, 0x60, 0x18, 0xff, 0xff, 0, 0, 0, 0,
        ];
        d.extend_from_slice(&[1, 1, 1, 0]); // options: NOP NOP NOP EOL
        d.extend_from_slice(b"hi");
        let s = parse_tcp(a, b, &d).unwrap();
        assert_eq!(
            s.src,
            Endpoint {
                addr: a,
                port: 1234
            }
        );
        assert_eq!(
            s.dst,
            Endpoint {
                addr: b,
                port: 1883
            }
        );
        assert_eq!((s.seq, s.ack), (1, 2));
        assert_eq!(s.flags, TcpFlags::PSH | TcpFlags::ACK);
        assert_eq!(s.payload, b"hi");
        assert_eq!(parse_tcp(a, b, &d[..19]), Err(TcpError::Truncated));
        d[12] = 0xf0;
        assert_eq!(parse_tcp(a, b, &d), Err(TcpError::Truncated));
        d[12] = 0x40;
        assert_eq!(parse_tcp(a, b, &d), Err(TcpError::BadDataOffset));
    }
}
