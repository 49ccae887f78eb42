//! WebSocket frames (RFC 6455) out of one direction of a TCP stream, after the opening
//! handshake: frame headers with 7-, 16- and 64-bit payload lengths, masking, fragmented
//! messages and the control frames that may interleave with them. The payloads of data
//! frames, unmasked, form the MQTT byte stream of that direction [MQTT-6.0.0-2]; MQTT
//! packets may span frames and frames may hold several packets, so the caller frames MQTT
//! out of that stream exactly as out of a TCP stream.
//!
//! Streaming and bounded: a frame header (at most 14 bytes) and a control frame's payload
//! (at most 125 bytes) are the only things held between pushes; data payloads are unmasked
//! into one reused buffer per direction and handed out at once, whatever the frame length
//! says. No length read from the stream is used to allocate.

/// Frames announcing more payload than this are taken as a sign that the stream is not
/// WebSocket (or is out of step); decoding of the direction stops. It is above the largest
/// MQTT packet (256 MiB) plus its fixed header.
pub const MAX_FRAME: u64 = (256 << 20) + 16;

/// Longest control frame payload (RFC 6455 5.5).
const MAX_CONTROL: usize = 125;

/// Opcodes.
mod op {
    pub const CONTINUATION: u8 = 0x0;
    pub const TEXT: u8 = 0x1;
    pub const BINARY: u8 = 0x2;
    pub const CLOSE: u8 = 0x8;
    pub const PING: u8 = 0x9;
    pub const PONG: u8 = 0xA;
}

/// A finding of the frame decoder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsNote {
    /// A text data message: MQTT must be sent in binary frames [MQTT-6.0.0-1]. Its bytes are
    /// decoded as MQTT all the same.
    Text,
    /// A ping, with its payload length.
    Ping {
        /// Payload bytes.
        len: usize,
    },
    /// A pong, with its payload length.
    Pong {
        /// Payload bytes.
        len: usize,
    },
    /// A close frame: status code and reason, when present.
    Close {
        /// The status code (absent in an empty close frame).
        code: Option<u16>,
        /// The reason text (escaped).
        reason: String,
    },
    /// A frame whose masking is wrong for its direction: client frames must be masked,
    /// server frames must not be (RFC 6455 5.1). Reported once per direction.
    Masking {
        /// Whether the frame was masked.
        masked: bool,
    },
    /// A frame that breaks RFC 6455 but can be stepped over (the frame is still decoded).
    Violation {
        /// A short name.
        what: &'static str,
    },
    /// A data frame with RSV1 set (a compressed message, permessage-deflate): its payload
    /// is not MQTT as sent and is skipped; the MQTT stream has a hole there.
    Compressed {
        /// Payload bytes skipped.
        len: u64,
    },
    /// A frame with a reserved opcode: its payload is skipped.
    ReservedOpcode {
        /// The opcode.
        opcode: u8,
        /// Payload bytes skipped.
        len: u64,
    },
    /// A frame length above [`MAX_FRAME`] or with the top bit set: the stream is out of
    /// step; decoding of this direction stops.
    BadLength {
        /// The length as announced.
        len: u64,
    },
}

impl WsNote {
    /// True for notes that are problems rather than ordinary traffic.
    pub fn is_problem(&self) -> bool {
        !matches!(
            self,
            WsNote::Ping { .. } | WsNote::Pong { .. } | WsNote::Close { .. }
        )
    }
}

/// What the decoder hands out, in stream order.
#[derive(Debug, PartialEq, Eq)]
pub enum WsOut<'a> {
    /// MQTT stream bytes (unmasked data payloads).
    Data {
        /// The bytes.
        bytes: &'a [u8],
        /// Their offset in the MQTT stream of this direction (payload bytes of data frames
        /// counted from the first one).
        offset: u64,
        /// Frames decoded so far in this direction.
        frames: u64,
    },
    /// MQTT stream bytes that will never be seen (a skipped compressed payload): the MQTT
    /// framer must resynchronise.
    Hole,
    /// A finding about the frame whose header starts at `offset` in the TCP stream.
    Note {
        /// What.
        note: WsNote,
        /// TCP stream offset of the frame header.
        offset: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Payload {
    /// Data frame: unmasked into the MQTT stream.
    Data,
    /// Control frame: collected (first 125 bytes).
    Control,
    /// Skipped.
    Skip,
}

/// Decodes the frames of one direction.
#[derive(Debug)]
pub struct WsDecoder {
    /// Frames in this direction must be masked (client to server).
    expect_masked: bool,
    hdr: [u8; 14],
    hdr_len: usize,
    /// In a payload: bytes still to come.
    remaining: u64,
    in_payload: bool,
    kind: Payload,
    opcode: u8,
    fin: bool,
    key: Option<[u8; 4]>,
    /// Payload bytes of the current frame already unmasked (selects the key byte).
    done: u64,
    /// TCP offset of the current frame header.
    frame_offset: u64,
    ctrl: Vec<u8>,
    ctrl_len: u64,
    /// The opcode of the data message in progress (its first frame had FIN clear).
    message: Option<u8>,
    /// MQTT stream offset of the next data byte.
    mqtt_offset: u64,
    buf: Vec<u8>,
    /// MQTT stream offset of the first byte in `buf`.
    buf_offset: u64,
    mask_noted: bool,
    closed: bool,
    stopped: bool,
    frames: u64,
}

impl WsDecoder {
    /// A decoder for one direction; `client` when the bytes are sent by the client.
    pub fn new(client: bool) -> WsDecoder {
        WsDecoder {
            expect_masked: client,
            hdr: [0; 14],
            hdr_len: 0,
            remaining: 0,
            in_payload: false,
            kind: Payload::Skip,
            opcode: 0,
            fin: true,
            key: None,
            done: 0,
            frame_offset: 0,
            ctrl: Vec::new(),
            ctrl_len: 0,
            message: None,
            mqtt_offset: 0,
            buf: Vec::new(),
            buf_offset: 0,
            mask_noted: false,
            closed: false,
            stopped: false,
            frames: 0,
        }
    }

    /// True once decoding of this direction has stopped (bad length, or lost bytes).
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Frames decoded so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Bytes of an unfinished frame held: a partial header, or the payload still missing.
    pub fn pending(&self) -> Option<(u64, u64)> {
        if self.stopped {
            None
        } else if self.in_payload {
            Some((self.frame_offset, self.remaining))
        } else if self.hdr_len > 0 {
            Some((self.frame_offset, 0))
        } else {
            None
        }
    }

    /// Bytes of the stream were lost: framing cannot be recovered, decoding stops.
    pub fn lost(&mut self) {
        self.stopped = true;
    }

    /// Feeds the next bytes of the direction's TCP stream, which start at TCP stream
    /// offset `offset`. Data payloads in it are handed out together (one `Data` per run of
    /// data between notes), unmasked into a buffer reused from push to push.
    pub fn push(&mut self, data: &[u8], offset: u64, out: &mut dyn FnMut(WsOut<'_>)) {
        let mut pos = 0usize;
        self.buf.clear();
        self.buf_offset = self.mqtt_offset;
        while pos < data.len() && !self.stopped {
            if !self.in_payload {
                if self.hdr_len == 0 {
                    self.frame_offset = offset + pos as u64;
                }
                let need = header_len(&self.hdr[..self.hdr_len]);
                let take = (need - self.hdr_len).min(data.len() - pos);
                self.hdr[self.hdr_len..self.hdr_len + take].copy_from_slice(&data[pos..pos + take]);
                self.hdr_len += take;
                pos += take;
                if self.hdr_len < header_len(&self.hdr[..self.hdr_len]) {
                    continue;
                }
                self.start_frame(out);
                if !self.stopped && self.remaining == 0 {
                    // Empty payload: the frame ends here.
                    self.end_frame(out);
                }
                continue;
            }
            let n = usize::try_from(self.remaining)
                .unwrap_or(usize::MAX)
                .min(data.len() - pos);
            let chunk = &data[pos..pos + n];
            match self.kind {
                Payload::Data => {
                    let start = self.buf.len();
                    self.buf.extend_from_slice(chunk);
                    if let Some(key) = self.key {
                        unmask(&mut self.buf[start..], key, self.done);
                    }
                    self.mqtt_offset += n as u64;
                }
                Payload::Control => {
                    let room = MAX_CONTROL.saturating_sub(self.ctrl.len()).min(n);
                    let s = self.ctrl.len();
                    self.ctrl.extend_from_slice(&chunk[..room]);
                    if let Some(key) = self.key {
                        unmask(&mut self.ctrl[s..], key, self.done);
                    }
                }
                Payload::Skip => {}
            }
            self.done += n as u64;
            self.remaining -= n as u64;
            pos += n;
            if self.remaining == 0 {
                self.end_frame(out);
            }
        }
        self.flush(out);
    }

    /// Hands out the data collected so far.
    fn flush(&mut self, out: &mut dyn FnMut(WsOut<'_>)) {
        if !self.buf.is_empty() {
            out(WsOut::Data {
                bytes: &self.buf,
                offset: self.buf_offset,
                frames: self.frames,
            });
            self.buf.clear();
        }
        self.buf_offset = self.mqtt_offset;
    }

    /// Reports a finding, after the data before it.
    fn note(&mut self, note: WsNote, out: &mut dyn FnMut(WsOut<'_>)) {
        self.flush(out);
        out(WsOut::Note {
            note,
            offset: self.frame_offset,
        });
    }

    /// The header is complete: read it.
    fn start_frame(&mut self, out: &mut dyn FnMut(WsOut<'_>)) {
        let h = self.hdr;
        let hl = self.hdr_len;
        self.hdr_len = 0;
        self.frames += 1;
        let fin = h[0] & 0x80 != 0;
        let rsv = h[0] & 0x70;
        let opcode = h[0] & 0x0f;
        let masked = h[1] & 0x80 != 0;
        let len7 = u64::from(h[1] & 0x7f);
        let (len, minimal) = match len7 {
            126 => {
                let l = u64::from(u16::from_be_bytes([h[2], h[3]]));
                (l, l >= 126)
            }
            127 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&h[2..10]);
                let l = u64::from_be_bytes(b);
                (l, l > 0xffff)
            }
            l => (l, true),
        };
        if len > MAX_FRAME {
            // Includes a 64-bit length with its top bit set (RFC 6455 5.2).
            self.note(WsNote::BadLength { len }, out);
            self.stopped = true;
            return;
        }
        self.key = masked.then(|| {
            let k = hl - 4;
            [h[k], h[k + 1], h[k + 2], h[k + 3]]
        });
        self.remaining = len;
        self.in_payload = true;
        self.done = 0;
        self.fin = fin;
        self.opcode = opcode;
        if masked != self.expect_masked && !self.mask_noted {
            self.mask_noted = true;
            self.note(WsNote::Masking { masked }, out);
        }
        if !minimal {
            self.note(
                WsNote::Violation {
                    what: "non-minimal-length",
                },
                out,
            );
        }
        let control = opcode & 0x08 != 0;
        if control {
            self.kind = Payload::Control;
            self.ctrl.clear();
            self.ctrl_len = len;
            if !matches!(opcode, op::CLOSE | op::PING | op::PONG) {
                self.kind = Payload::Skip;
                self.note(WsNote::ReservedOpcode { opcode, len }, out);
                return;
            }
            if !fin {
                self.note(
                    WsNote::Violation {
                        what: "fragmented-control-frame",
                    },
                    out,
                );
            }
            if len > MAX_CONTROL as u64 {
                self.note(
                    WsNote::Violation {
                        what: "control-frame-too-long",
                    },
                    out,
                );
            }
            if rsv != 0 {
                self.note(
                    WsNote::Violation {
                        what: "reserved-bits",
                    },
                    out,
                );
            }
            return;
        }
        if !matches!(opcode, op::CONTINUATION | op::TEXT | op::BINARY) {
            self.kind = Payload::Skip;
            self.note(WsNote::ReservedOpcode { opcode, len }, out);
            return;
        }
        if self.closed {
            self.note(
                WsNote::Violation {
                    what: "data-after-close",
                },
                out,
            );
        }
        let message = match (opcode, self.message) {
            (op::CONTINUATION, Some(m)) => m,
            (op::CONTINUATION, None) => {
                self.note(
                    WsNote::Violation {
                        what: "continuation-without-message",
                    },
                    out,
                );
                op::BINARY
            }
            (o, Some(_)) => {
                self.note(
                    WsNote::Violation {
                        what: "message-interrupted",
                    },
                    out,
                );
                o
            }
            (o, None) => o,
        };
        if opcode == op::TEXT {
            self.note(WsNote::Text, out);
        }
        self.message = if fin { None } else { Some(message) };
        if rsv & 0x40 != 0 {
            self.kind = Payload::Skip;
            self.note(WsNote::Compressed { len }, out);
            self.flush(out);
            out(WsOut::Hole);
            return;
        }
        if rsv != 0 {
            self.note(
                WsNote::Violation {
                    what: "reserved-bits",
                },
                out,
            );
        }
        self.kind = Payload::Data;
    }

    /// The payload is complete.
    fn end_frame(&mut self, out: &mut dyn FnMut(WsOut<'_>)) {
        self.in_payload = false;
        if self.kind != Payload::Control {
            return;
        }
        let p = std::mem::take(&mut self.ctrl);
        let len = usize::try_from(self.ctrl_len).unwrap_or(usize::MAX);
        let note = match self.opcode {
            op::PING => WsNote::Ping { len },
            op::PONG => WsNote::Pong { len },
            _ => {
                self.closed = true;
                match p.len() {
                    0 => WsNote::Close {
                        code: None,
                        reason: String::new(),
                    },
                    1 => {
                        self.note(
                            WsNote::Violation {
                                what: "close-payload-of-one-byte",
                            },
                            out,
                        );
                        WsNote::Close {
                            code: None,
                            reason: String::new(),
                        }
                    }
                    _ => WsNote::Close {
                        code: Some(u16::from_be_bytes([p[0], p[1]])),
                        reason: crate::codec::text::escape_bytes(&p[2..]),
                    },
                }
            }
        };
        self.ctrl = p;
        self.ctrl.clear();
        self.note(note, out);
    }
}

/// Length of the frame header whose first bytes are `h` (2 until the second byte is known).
fn header_len(h: &[u8]) -> usize {
    let Some(&b1) = h.get(1) else {
        return 2;
    };
    let ext = match b1 & 0x7f {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    2 + ext + if b1 & 0x80 != 0 { 4 } else { 0 }
}

/// True when `data` starts with a masked binary frame (what a client sends) whose payload
/// starts with an MQTT CONNECT: MQTT over WebSocket whose handshake was not captured.
pub fn starts_with_masked_connect(data: &[u8]) -> bool {
    let (Some(&b0), Some(&b1)) = (data.first(), data.get(1)) else {
        return false;
    };
    if b0 & 0x0f != 0x2 || b1 & 0x80 == 0 {
        return false;
    }
    let at = header_len(data);
    let (Some(key), Some(payload)) = (data.get(at - 4..at), data.get(at..)) else {
        return false;
    };
    // "MQTT" and "MQIsdp" CONNECTs are told apart within their first 12 bytes.
    let mut head = [0u8; 12];
    let n = payload.len().min(head.len());
    head[..n].copy_from_slice(&payload[..n]);
    let key = [key[0], key[1], key[2], key[3]];
    unmask(&mut head[..n], key, 0);
    super::capture::looks_like_connect(&head[..n])
}

/// XORs `data` with the masking key, `done` bytes into the payload. Works a word at a time.
pub fn unmask(data: &mut [u8], key: [u8; 4], done: u64) {
    let shift = (done % 4) as usize;
    let k = [
        key[shift],
        key[(shift + 1) % 4],
        key[(shift + 2) % 4],
        key[(shift + 3) % 4],
    ];
    let word = u64::from_ne_bytes([k[0], k[1], k[2], k[3], k[0], k[1], k[2], k[3]]);
    let mut chunks = data.chunks_exact_mut(8);
    for c in &mut chunks {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        c.copy_from_slice(&(u64::from_ne_bytes(b) ^ word).to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= k[i % 4];
    }
}

/// Builds frames, for tests and fuzz seeds.
pub mod build {
    /// One frame: FIN, opcode, masking key (client frames), payload; the shortest length
    /// encoding unless `long` forces the 64-bit form.
    pub fn frame(
        fin: bool,
        opcode: u8,
        key: Option<[u8; 4]>,
        payload: &[u8],
        long: bool,
    ) -> Vec<u8> {
        let mut f = vec![if fin { 0x80 } else { 0 } | (opcode & 0x0f)];
        let m = if key.is_some() { 0x80 } else { 0 };
        let n = payload.len();
        if long {
            f.push(m | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        } else if n < 126 {
            f.push(m | n as u8);
        } else if n <= 0xffff {
            f.push(m | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        } else {
            f.push(m | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
        match key {
            Some(k) => {
                f.extend_from_slice(&k);
                f.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4]));
            }
            None => f.extend_from_slice(payload),
        }
        f
    }

    /// A final binary frame.
    pub fn binary(key: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
        frame(true, 0x2, key, payload, false)
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;

    const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    fn run(client: bool, stream: &[u8], cut: &[usize]) -> (Vec<u8>, Vec<WsNote>) {
        let mut d = WsDecoder::new(client);
        let mut data = Vec::new();
        let mut notes = Vec::new();
        let mut last = 0;
        let mut cuts = cut.to_vec();
        cuts.push(stream.len());
        for c in cuts {
            d.push(&stream[last..c], last as u64, &mut |o| match o {
                WsOut::Data { bytes, offset, .. } => {
                    assert_eq!(offset, data.len() as u64);
                    data.extend_from_slice(bytes)
                }
                WsOut::Hole => {}
                WsOut::Note { note, .. } => notes.push(note),
            });
            last = c;
        }
        (data, notes)
    }

    #[test]
    fn masked_fragmented_with_ping_at_every_cut() {
        let mut s = frame(false, 0x2, Some(KEY), b"hello ", false);
        s.extend(frame(true, 0x9, Some(KEY), b"p", false));
        s.extend(frame(false, 0x0, Some([1, 2, 3, 4]), &[7u8; 300], false));
        s.extend(frame(true, 0x0, Some(KEY), b"world", true));
        let mut want = b"hello ".to_vec();
        want.extend([7u8; 300]);
        want.extend(b"world");
        for cut in 0..s.len() {
            let (data, notes) = run(true, &s, &[cut]);
            assert_eq!(data, want, "cut {cut}");
            assert_eq!(
                notes,
                [
                    WsNote::Ping { len: 1 },
                    WsNote::Violation {
                        what: "non-minimal-length"
                    }
                ]
            );
        }
    }

    #[test]
    fn close_and_masking() {
        let mut s = binary(None, b"abc");
        s.extend(frame(true, 0x8, None, b"\x03\xe8bye", false));
        let (data, notes) = run(true, &s, &[1, 2]);
        assert_eq!(data, b"abc");
        assert_eq!(
            notes,
            [
                WsNote::Masking { masked: false },
                WsNote::Close {
                    code: Some(1000),
                    reason: "bye".into()
                }
            ]
        );
    }

    #[test]
    fn compressed_and_reserved_frames_are_skipped() {
        let mut s = binary(None, b"ab");
        let mut z = frame(true, 0x2, None, b"zzz", false);
        z[0] |= 0x40; // RSV1: permessage-deflate
        s.extend(z);
        s.extend(frame(true, 0x3, None, b"rr", false));
        s.extend(frame(true, 0x0, None, b"cd", false));
        let mut d = WsDecoder::new(false);
        let mut got = Vec::new();
        d.push(&s, 100, &mut |o| {
            got.push(match o {
                WsOut::Data { bytes, offset, .. } => format!("data {offset} {bytes:?}"),
                WsOut::Hole => "hole".into(),
                WsOut::Note { note, offset } => format!("{offset} {note:?}"),
            })
        });
        assert_eq!(
            got,
            [
                "data 0 [97, 98]",
                "104 Compressed { len: 3 }",
                "hole",
                "109 ReservedOpcode { opcode: 3, len: 2 }",
                "113 Violation { what: \"continuation-without-message\" }",
                "data 2 [99, 100]",
            ]
        );
        assert_eq!(d.frames(), 4);
        assert_eq!(d.pending(), None);
    }

    #[test]
    fn a_masked_connect_is_recognised_and_nothing_else() {
        let connect = b"\x10\x0d\x00\x04MQTT\x04\x02\x00\x3c\x00\x01c";
        let mqisdp = b"\x10\x0f\x00\x06MQIsdp\x03\x02\x00\x3c\x00\x01c";
        assert!(starts_with_masked_connect(&binary(Some(KEY), connect)));
        assert!(starts_with_masked_connect(&binary(Some(KEY), mqisdp)));
        let long = frame(false, 0x2, Some(KEY), connect, true);
        assert!(starts_with_masked_connect(&long));
        // Unmasked (a server's), text, a PUBLISH, cut short, empty.
        assert!(!starts_with_masked_connect(&binary(None, connect)));
        assert!(!starts_with_masked_connect(&frame(
            true,
            0x1,
            Some(KEY),
            connect,
            false
        )));
        assert!(!starts_with_masked_connect(&binary(
            Some(KEY),
            b"\x30\x03\x00\x01a"
        )));
        let f = binary(Some(KEY), connect);
        for cut in 0..8 {
            assert!(!starts_with_masked_connect(&f[..cut]), "{cut}");
        }
    }

    #[test]
    fn absurd_length_stops() {
        let mut s = vec![0x82, 127];
        s.extend(u64::MAX.to_be_bytes());
        s.extend([1, 2, 3]);
        let (data, notes) = run(false, &s, &[]);
        assert!(data.is_empty());
        assert_eq!(notes, [WsNote::BadLength { len: u64::MAX }]);
    }

    #[test]
    fn unmask_any_alignment() {
        for done in 0..8u64 {
            for n in 0..40usize {
                let plain: Vec<u8> = (0..n as u8).collect();
                let mut m: Vec<u8> = plain
                    .iter()
                    .enumerate()
                    .map(|(i, b)| b ^ KEY[(i + done as usize) % 4])
                    .collect();
                unmask(&mut m, KEY, done);
                assert_eq!(m, plain);
            }
        }
    }
}
