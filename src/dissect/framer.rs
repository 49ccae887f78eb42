//! Frames MQTT packets out of one direction of a TCP stream, whatever the segmentation:
//! several packets in one segment, one packet over many, a Remaining Length split across
//! segments. Whole packets inside one segment are handed out without copying; only a
//! packet that spans segments is assembled in a buffer. Linear in the bytes pushed: a
//! partial packet whose length is known is only appended to, never re-scanned.

use crate::codec::stream::{frame, Frame, Needed};

/// What the framer found.
#[derive(Debug, PartialEq, Eq)]
pub enum Framed<'a> {
    /// A whole packet.
    Packet {
        /// Its bytes, fixed header included.
        bytes: &'a [u8],
        /// Stream offset of its first byte.
        offset: u64,
        /// Frame that carried its first byte.
        first_frame: u64,
    },
    /// Bytes that cannot start a packet (a Remaining Length of 5+ bytes, or garbage while
    /// looking for the next packet after a gap); they are skipped.
    Skipped {
        /// Stream offset of the first skipped byte.
        offset: u64,
        /// How many bytes.
        len: u64,
        /// Why.
        reason: SkipReason,
    },
    /// A packet larger than the buffer cap: its bytes are skipped, its length recorded.
    TooLarge {
        /// Stream offset of the packet.
        offset: u64,
        /// Its total length as announced.
        len: u64,
        /// The cap.
        cap: usize,
    },
}

/// Why bytes were skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// The Remaining Length has a 5th byte: the stream cannot be framed from here.
    InvalidLength,
    /// After lost bytes: no packet boundary could be recognised in these bytes.
    Resync,
    /// A partial packet was cut by lost bytes (a gap) and can never be completed.
    CutByGap,
}

/// The state of one direction.
#[derive(Debug)]
pub struct Framer {
    partial: Vec<u8>,
    partial_offset: u64,
    partial_frame: u64,
    /// Total length of the partial packet, once its Remaining Length is complete.
    need: Option<usize>,
    /// Bytes of an oversized packet still to skip.
    skip: u64,
    /// Looking for a packet boundary (after a gap or unframeable bytes).
    lost: bool,
    cap: usize,
}

/// Decides whether bytes at a candidate boundary really are a packet (used after a gap).
pub trait Validate {
    /// True when `packet` (a complete, framed packet) decodes without errors.
    fn is_valid(&mut self, packet: &[u8]) -> bool;
}

impl<F: FnMut(&[u8]) -> bool> Validate for F {
    fn is_valid(&mut self, packet: &[u8]) -> bool {
        self(packet)
    }
}

/// Where the framer's findings go: any `FnMut(Framed)`, or a type of the caller's whose
/// handler [`Framer::push`] can inline.
pub trait FramedOut {
    /// Takes one finding.
    fn framed(&mut self, f: Framed<'_>);
}

impl<F: FnMut(Framed<'_>)> FramedOut for F {
    fn framed(&mut self, f: Framed<'_>) {
        self(f)
    }
}

/// How far to look for a packet boundary in one segment after a gap.
const RESYNC_SCAN: usize = 64 * 1024;

impl Framer {
    /// A framer that buffers partial packets up to `cap` bytes.
    pub fn new(cap: usize) -> Framer {
        Framer {
            partial: Vec::new(),
            partial_offset: 0,
            partial_frame: 0,
            need: None,
            skip: 0,
            lost: false,
            cap,
        }
    }

    /// Bytes of an incomplete packet held, and where it starts.
    pub fn pending(&self) -> Option<(u64, usize, Option<usize>)> {
        (!self.partial.is_empty()).then_some((self.partial_offset, self.partial.len(), self.need))
    }

    /// True while looking for a packet boundary after lost bytes.
    pub fn is_lost(&self) -> bool {
        self.lost
    }

    /// Bytes were lost before the next push: a partial packet is dropped (reported), and the
    /// next bytes are searched for a packet boundary.
    pub fn gap(&mut self, out: &mut dyn FnMut(Framed<'_>)) {
        if !self.partial.is_empty() {
            out(Framed::Skipped {
                offset: self.partial_offset,
                len: self.partial.len() as u64,
                reason: SkipReason::CutByGap,
            });
            self.partial.clear();
            self.need = None;
        }
        // An oversized packet being skipped stays skipped by its length only if no bytes
        // were lost; after a gap its end is unknown.
        self.skip = 0;
        self.lost = true;
    }

    /// Feeds the next in-order bytes of the stream.
    ///
    /// Generic in `out` for the usual segment (whole packets, nothing pending): those are
    /// handed out here, where the caller's handler can be inlined, rather than through a
    /// call per packet; anything else takes the general path.
    #[inline]
    pub fn push<O: FramedOut>(
        &mut self,
        data: &[u8],
        offset: u64,
        frame_no: u64,
        validate: &mut dyn Validate,
        out: &mut O,
    ) {
        let mut data = data;
        let mut off = offset;
        if self.skip == 0 && self.partial.is_empty() && !self.lost {
            while let Some(len) = whole_len(data) {
                let (packet, rest) = data.split_at(len);
                out.framed(Framed::Packet {
                    bytes: packet,
                    offset: off,
                    first_frame: frame_no,
                });
                data = rest;
                off += len as u64;
            }
            if data.is_empty() {
                return;
            }
        }
        self.push_general(data, off, frame_no, validate, out);
    }

    /// [`Self::push`], whatever the state and the bytes.
    fn push_general(
        &mut self,
        data: &[u8],
        offset: u64,
        frame_no: u64,
        validate: &mut dyn Validate,
        out: &mut dyn FramedOut,
    ) {
        let mut data = data;
        let mut off = offset;
        if self.skip > 0 {
            let n = usize::try_from(self.skip)
                .unwrap_or(usize::MAX)
                .min(data.len());
            self.skip -= n as u64;
            data = &data[n..];
            off += n as u64;
        }
        if !self.partial.is_empty() {
            let used = self.continue_partial(data, out);
            data = &data[used..];
            off += used as u64;
            if !self.partial.is_empty() || data.is_empty() {
                return;
            }
        }
        if self.lost {
            match resync(data, validate) {
                Some(at) => {
                    if at > 0 {
                        out.framed(Framed::Skipped {
                            offset: off,
                            len: at as u64,
                            reason: SkipReason::Resync,
                        });
                    }
                    self.lost = false;
                    data = &data[at..];
                    off += at as u64;
                }
                None => {
                    out.framed(Framed::Skipped {
                        offset: off,
                        len: data.len() as u64,
                        reason: SkipReason::Resync,
                    });
                    return;
                }
            }
        }
        while !data.is_empty() {
            match frame(data) {
                Frame::Complete { len } => {
                    out.framed(Framed::Packet {
                        bytes: &data[..len],
                        offset: off,
                        first_frame: frame_no,
                    });
                    data = &data[len..];
                    off += len as u64;
                }
                Frame::Incomplete(needed) => {
                    let total = match needed {
                        Needed::Exactly(n) => Some(data.len() + n),
                        Needed::AtLeast(_) => None,
                    };
                    if let Some(total) = total.filter(|&t| t > self.cap) {
                        out.framed(Framed::TooLarge {
                            offset: off,
                            len: total as u64,
                            cap: self.cap,
                        });
                        self.skip = (total - data.len()) as u64;
                        return;
                    }
                    self.partial.extend_from_slice(data);
                    self.partial_offset = off;
                    self.partial_frame = frame_no;
                    self.need = total;
                    return;
                }
                Frame::Invalid => {
                    // Nothing tells where this non-packet ends: look for the next packet
                    // boundary after its first byte, in this segment first (a packet that
                    // follows in the same segment is not lost with it).
                    match resync(&data[1..], validate) {
                        Some(at) => {
                            out.framed(Framed::Skipped {
                                offset: off,
                                len: at as u64 + 1,
                                reason: SkipReason::InvalidLength,
                            });
                            data = &data[at + 1..];
                            off += at as u64 + 1;
                        }
                        None => {
                            self.unframeable(data, off, out);
                            return;
                        }
                    }
                }
            }
        }
    }

    /// Adds bytes to the partial packet; returns how many of `data` were used.
    fn continue_partial(&mut self, data: &[u8], out: &mut dyn FramedOut) -> usize {
        let mut used = 0;
        // Complete the Remaining Length first: at most 4 more bytes, one at a time.
        while self.need.is_none() {
            let Some(&b) = data.get(used) else {
                return used;
            };
            self.partial.push(b);
            used += 1;
            match frame(&self.partial) {
                Frame::Complete { len } => self.need = Some(len),
                Frame::Incomplete(Needed::Exactly(n)) => self.need = Some(self.partial.len() + n),
                Frame::Incomplete(Needed::AtLeast(_)) => {}
                Frame::Invalid => {
                    let bytes = std::mem::take(&mut self.partial);
                    let at = self.partial_offset;
                    self.unframeable(&bytes, at, out);
                    self.partial = bytes;
                    self.partial.clear();
                    return used;
                }
            }
        }
        let need = self.need.unwrap_or(0);
        if need > self.cap {
            out.framed(Framed::TooLarge {
                offset: self.partial_offset,
                len: need as u64,
                cap: self.cap,
            });
            self.skip = (need - self.partial.len()) as u64;
            self.partial.clear();
            self.need = None;
            let n = usize::try_from(self.skip)
                .unwrap_or(usize::MAX)
                .min(data.len() - used);
            self.skip -= n as u64;
            return used + n;
        }
        let take = (need - self.partial.len()).min(data.len() - used);
        self.partial.extend_from_slice(&data[used..used + take]);
        used += take;
        if self.partial.len() == need {
            out.framed(Framed::Packet {
                bytes: &self.partial,
                offset: self.partial_offset,
                first_frame: self.partial_frame,
            });
            self.partial.clear();
            self.need = None;
        }
        used
    }

    fn unframeable(&mut self, data: &[u8], off: u64, out: &mut dyn FramedOut) {
        out.framed(Framed::Skipped {
            offset: off,
            len: data.len() as u64,
            reason: SkipReason::InvalidLength,
        });
        self.lost = true;
    }
}

/// The length of the packet at the start of `data` when `data` holds it whole: what
/// [`frame`] says, with the usual one-byte Remaining Length read on the spot.
#[inline]
fn whole_len(data: &[u8]) -> Option<usize> {
    match data {
        [_, rl, ..] if rl & 0x80 == 0 => {
            let len = 2 + usize::from(*rl);
            (data.len() >= len).then_some(len)
        }
        _ => match frame(data) {
            Frame::Complete { len } => Some(len),
            _ => None,
        },
    }
}

/// A fixed-header first byte that some packet type can have (flags as the type requires).
fn plausible_first_byte(b: u8) -> bool {
    let flags = b & 0x0f;
    match b >> 4 {
        3 => (flags >> 1) & 3 != 3,
        6 | 8 | 10 => flags == 2,
        1 | 2 | 4 | 5 | 7 | 9 | 11 | 12 | 13 | 14 | 15 => flags == 0,
        _ => false,
    }
}

/// The first offset in `data` where a packet starts that decodes cleanly and is followed by
/// the end of the data or by another plausible fixed header.
fn resync(data: &[u8], validate: &mut dyn Validate) -> Option<usize> {
    for i in 0..data.len().min(RESYNC_SCAN) {
        let rest = &data[i..];
        if !plausible_first_byte(rest[0]) {
            continue;
        }
        let Frame::Complete { len } = frame(rest) else {
            continue;
        };
        let next_ok = match rest.get(len) {
            None => true,
            Some(&b) => plausible_first_byte(b),
        };
        if next_ok && validate.is_valid(&rest[..len]) {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum Got {
        P(Vec<u8>, u64, u64),
        S(u64, u64, SkipReason),
        L(u64, u64),
    }

    fn got(x: Framed<'_>) -> Got {
        match x {
            Framed::Packet {
                bytes,
                offset,
                first_frame,
            } => Got::P(bytes.to_vec(), offset, first_frame),
            Framed::Skipped {
                offset,
                len,
                reason,
            } => Got::S(offset, len, reason),
            Framed::TooLarge { offset, len, .. } => Got::L(offset, len),
        }
    }

    fn run(f: &mut Framer, chunks: &[(&[u8], u64)]) -> Vec<Got> {
        run_with(f, chunks, false)
    }

    /// [`run`], through the general path only when `general`.
    fn run_with(f: &mut Framer, chunks: &[(&[u8], u64)], general: bool) -> Vec<Got> {
        let mut got = Vec::new();
        let mut off = 0;
        for (c, frame_no) in chunks {
            let mut yes = |_: &[u8]| true;
            let mut out = |x: Framed<'_>| got.push(self::got(x));
            if general {
                f.push_general(c, off, *frame_no, &mut yes, &mut out);
            } else {
                f.push(c, off, *frame_no, &mut yes, &mut out);
            }
            off += c.len() as u64;
        }
        got
    }

    #[test]
    fn the_fast_path_frames_as_the_general_one() {
        // Whole packets, a packet across segments, an unframeable byte run, a packet over
        // the cap: every way to leave the fast path, at every split of the stream.
        let mut stream = vec![0xc0, 0x00];
        stream.extend_from_slice(PUB);
        stream.extend_from_slice(&[0xd0, 0x00]);
        stream.extend_from_slice(PUB);
        stream.extend_from_slice(&[0x30, 0x40]);
        stream.extend(std::iter::repeat_n(b'x', 0x40));
        stream.extend_from_slice(&[0x30, 0x80, 0x01]);
        stream.extend(std::iter::repeat_n(b'y', 0x80));
        stream.extend_from_slice(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
        stream.extend_from_slice(PUB);
        for a in 0..stream.len() {
            for b in a..stream.len() {
                let chunks = [(&stream[..a], 1), (&stream[a..b], 2), (&stream[b..], 3)];
                let fast = run(&mut Framer::new(0x30), &chunks);
                let general = run_with(&mut Framer::new(0x30), &chunks, true);
                assert_eq!(fast, general, "split at {a} and {b}");
            }
        }
    }

    const PUB: &[u8] = &[0x30, 0x05, 0x00, 0x01, b't', b'h', b'i'];

    #[test]
    fn several_packets_in_one_segment_and_one_across_many() {
        let mut f = Framer::new(1 << 20);
        let mut seg = vec![0xc0, 0x00];
        seg.extend_from_slice(PUB);
        seg.extend_from_slice(&PUB[..3]);
        let got = run(&mut f, &[(&seg, 1), (&PUB[3..5], 2), (&PUB[5..], 3)]);
        assert_eq!(
            got,
            vec![
                Got::P(vec![0xc0, 0x00], 0, 1),
                Got::P(PUB.to_vec(), 2, 1),
                Got::P(PUB.to_vec(), 9, 1),
            ]
        );
    }

    #[test]
    fn remaining_length_split_across_segments() {
        let mut pkt = vec![0x30, 0x80, 0x01, 0x00, 0x01, b't'];
        pkt.extend(std::iter::repeat_n(b'x', 125));
        assert_eq!(pkt.len(), 131);
        let mut f = Framer::new(1 << 20);
        let got = run(&mut f, &[(&pkt[..2], 7), (&pkt[2..3], 8), (&pkt[3..], 9)]);
        assert_eq!(got, vec![Got::P(pkt.clone(), 0, 7)]);
        assert_eq!(f.pending(), None);
    }

    #[test]
    fn one_megabyte_packet_one_byte_per_segment_is_linear() {
        let body = 1 << 20;
        let mut pkt = vec![0x30];
        crate::codec::encode::push_vbi(&mut pkt, body as u32);
        pkt.extend_from_slice(&[0x00, 0x01, b't']);
        pkt.resize(pkt.len() + body - 3, b'x');
        let mut f = Framer::new(4 << 20);
        let start = std::time::Instant::now();
        let mut n = 0;
        let mut yes = |_: &[u8]| true;
        for (i, b) in pkt.iter().enumerate() {
            f.push(
                std::slice::from_ref(b),
                i as u64,
                i as u64,
                &mut yes,
                &mut |x: Framed<'_>| {
                    if let Framed::Packet { bytes, .. } = x {
                        assert_eq!(bytes.len(), pkt.len());
                        n += 1;
                    }
                },
            );
        }
        assert_eq!(n, 1);
        // Generous for debug builds; release takes a few milliseconds.
        assert!(start.elapsed().as_secs() < 5, "{:?}", start.elapsed());
    }

    #[test]
    fn oversized_packet_is_skipped_by_its_length() {
        let mut f = Framer::new(8);
        let mut big = vec![0x30, 0x0a, 0x00, 0x01, b't'];
        big.extend_from_slice(&[b'x'; 7]);
        let got = run(
            &mut f,
            &[(&big[..6], 1), (&big[6..], 2), (&[0xd0, 0x00], 3)],
        );
        assert_eq!(got, vec![Got::L(0, 12), Got::P(vec![0xd0, 0x00], 12, 3)]);
    }

    #[test]
    fn gap_drops_the_partial_packet_and_resyncs() {
        let mut f = Framer::new(1 << 20);
        let got = run(&mut f, &[(&PUB[..4], 1)]);
        assert!(got.is_empty());
        let mut got = Vec::new();
        f.gap(&mut |x| {
            if let Framed::Skipped {
                offset,
                len,
                reason,
            } = x
            {
                got.push(Got::S(offset, len, reason));
            }
        });
        assert_eq!(got, vec![Got::S(0, 4, SkipReason::CutByGap)]);
        // After the gap: the tail of some packet, then a PINGREQ and a PUBLISH.
        let mut seg = vec![b'z', b'z', 0x7f];
        seg.extend_from_slice(&[0xc0, 0x00]);
        seg.extend_from_slice(PUB);
        let mut got = Vec::new();
        let mut yes = |_: &[u8]| true;
        f.push(&seg, 100, 5, &mut yes, &mut |x: Framed<'_>| {
            got.push(self::got(x))
        });
        assert_eq!(
            got,
            vec![
                Got::S(100, 3, SkipReason::Resync),
                Got::P(vec![0xc0, 0x00], 103, 5),
                Got::P(PUB.to_vec(), 105, 5),
            ]
        );
    }

    #[test]
    fn five_byte_remaining_length_is_skipped() {
        let mut f = Framer::new(1 << 20);
        let got = run(&mut f, &[(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00], 1)]);
        assert_eq!(got, vec![Got::S(0, 7, SkipReason::InvalidLength)]);
        assert!(f.is_lost());
    }

    #[test]
    fn packet_after_five_byte_remaining_length_in_same_segment_is_kept() {
        let mut f = Framer::new(1 << 20);
        let mut seg = vec![0x30, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00];
        seg.extend_from_slice(&[0xc0, 0x00, 0xe0, 0x00]);
        let got = run(&mut f, &[(&seg, 1)]);
        assert_eq!(
            got,
            vec![
                Got::S(0, 7, SkipReason::InvalidLength),
                Got::P(vec![0xc0, 0x00], 7, 1),
                Got::P(vec![0xe0, 0x00], 9, 1),
            ]
        );
        assert!(!f.is_lost());
    }
}
