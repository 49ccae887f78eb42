//! Framing packets out of a byte stream: several packets back to back, and a trailing
//! partial packet reported as "need N more bytes" (even when the Remaining Length itself
//! is cut short).

use super::decode::{decode, DecodeOptions, Decoded};
use super::packet::Packet;
use super::primitives::{self, VbiError};
use super::types::PacketType;

/// How many more bytes a partial packet needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needed {
    /// Exactly this many more bytes complete the packet.
    Exactly(usize),
    /// The Remaining Length is incomplete: at least this many more bytes are needed, and
    /// the total is known only once it is complete.
    AtLeast(usize),
}

/// Where the packet at the start of a buffer ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole packet of `len` bytes is present.
    Complete {
        /// Total length (fixed header + remaining length).
        len: usize,
    },
    /// The buffer holds only the start of a packet.
    Incomplete(Needed),
    /// The Remaining Length is not a valid Variable Byte Integer (5 bytes or more): the
    /// stream cannot be framed past this point.
    Invalid,
}

/// Frames the packet at the start of `buf` without decoding it. O(1): looks at ≤ 5 bytes.
pub fn frame(buf: &[u8]) -> Frame {
    if buf.is_empty() {
        return Frame::Incomplete(Needed::AtLeast(2));
    }
    match primitives::vbi(&buf[1..]) {
        Ok((_, v)) => {
            let total = 1 + v.len + v.value as usize;
            if buf.len() >= total {
                Frame::Complete { len: total }
            } else {
                Frame::Incomplete(Needed::Exactly(total - buf.len()))
            }
        }
        Err(VbiError::Incomplete(_)) => Frame::Incomplete(Needed::AtLeast(1)),
        Err(VbiError::TooLong) => Frame::Invalid,
    }
}

/// One item of a decoded stream.
#[derive(Clone, Debug)]
pub enum StreamItem<'a> {
    /// A whole packet, decoded, at `offset` in the buffer.
    Packet {
        /// Offset of the packet's first byte in the buffer.
        offset: usize,
        /// The decoded packet.
        decoded: Decoded<'a>,
    },
    /// The buffer ends inside a packet that starts at `offset`.
    Incomplete {
        /// Offset of the partial packet.
        offset: usize,
        /// Bytes of it present.
        have: usize,
        /// What is missing.
        needed: Needed,
    },
    /// The bytes at `offset` cannot be framed (Remaining Length of 5+ bytes).
    Invalid {
        /// Offset of the unframeable bytes; everything from here on is left undecoded.
        offset: usize,
    },
}

/// Decodes every packet of `buf` in order. A CONNECT sets the version for the packets
/// after it, as it does on a connection.
pub fn decode_stream<'a>(buf: &'a [u8], opts: DecodeOptions) -> Packets<'a> {
    Packets {
        buf,
        pos: 0,
        opts,
        done: false,
    }
}

/// Iterator returned by [`decode_stream`].
#[derive(Clone, Debug)]
pub struct Packets<'a> {
    buf: &'a [u8],
    pos: usize,
    opts: DecodeOptions,
    done: bool,
}

impl<'a> Packets<'a> {
    /// The options (and version) that the next packet will be decoded with.
    pub fn options(&self) -> DecodeOptions {
        self.opts
    }
}

impl<'a> Iterator for Packets<'a> {
    type Item = StreamItem<'a>;

    fn next(&mut self) -> Option<StreamItem<'a>> {
        if self.done || self.pos >= self.buf.len() {
            return None;
        }
        let rest = &self.buf[self.pos..];
        let offset = self.pos;
        match frame(rest) {
            Frame::Complete { len } => {
                self.pos += len;
                let bytes = &rest[..len];
                if bytes[0] >> 4 != PacketType::CONNECT.0 {
                    // Decoded straight into the item: nothing needs a look at it first.
                    return Some(StreamItem::Packet {
                        offset,
                        decoded: decode(bytes, &self.opts),
                    });
                }
                let decoded = decode(bytes, &self.opts);
                if let Some(Packet::Connect(_)) = &decoded.packet {
                    self.opts.version = decoded.version;
                }
                Some(StreamItem::Packet { offset, decoded })
            }
            Frame::Incomplete(needed) => {
                self.done = true;
                Some(StreamItem::Incomplete {
                    offset,
                    have: rest.len(),
                    needed,
                })
            }
            Frame::Invalid => {
                self.done = true;
                Some(StreamItem::Invalid { offset })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames() {
        assert_eq!(frame(&[0xc0, 0x00]), Frame::Complete { len: 2 });
        assert_eq!(
            frame(&[0x30, 0x05, 0, 1]),
            Frame::Incomplete(Needed::Exactly(3))
        );
        assert_eq!(frame(&[0x30, 0x80]), Frame::Incomplete(Needed::AtLeast(1)));
        assert_eq!(frame(&[0x30]), Frame::Incomplete(Needed::AtLeast(1)));
        assert_eq!(frame(&[]), Frame::Incomplete(Needed::AtLeast(2)));
        assert_eq!(frame(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), Frame::Invalid);
        // A packet claiming 268 MB costs nothing until its bytes arrive.
        assert_eq!(
            frame(&[0x30, 0xff, 0xff, 0xff, 0x7f]),
            Frame::Incomplete(Needed::Exactly(268_435_455))
        );
    }
}
