//! Just enough HTTP/1.1 to follow a WebSocket opening handshake: collecting a request or
//! response head from a byte stream (bounded), and reading its start line and headers.
//! Header names are matched without regard to case; values are kept as text (bytes that
//! are not UTF-8 are escaped).

use crate::codec::text::escape_bytes;

/// Largest head collected; a longer one is given up on.
pub const MAX_HEAD: usize = 16 * 1024;

/// Collects one head (start line and headers, up to and including the empty line).
#[derive(Debug, Default)]
pub struct HeadBuf {
    buf: Vec<u8>,
}

/// What a push found.
#[derive(Debug, PartialEq, Eq)]
pub enum HeadPush {
    /// The head is not complete yet: all bytes were taken.
    Partial,
    /// The head is complete; `used` bytes of this push belonged to it (the rest follows it).
    Complete {
        /// Bytes of the pushed data that were part of the head.
        used: usize,
    },
    /// The head is longer than [`MAX_HEAD`].
    TooLarge,
}

impl HeadBuf {
    /// An empty collector.
    pub fn new() -> HeadBuf {
        HeadBuf::default()
    }

    /// Bytes collected so far.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Takes the next bytes of the stream.
    pub fn push(&mut self, data: &[u8]) -> HeadPush {
        let old = self.buf.len();
        let room = MAX_HEAD.saturating_sub(old);
        let take = data.len().min(room);
        self.buf.extend_from_slice(&data[..take]);
        // The terminator may straddle pushes: look back three bytes.
        let from = old.saturating_sub(3);
        if let Some(end) = head_end(&self.buf[from..]) {
            let end = from + end;
            self.buf.truncate(end);
            return HeadPush::Complete { used: end - old };
        }
        if self.buf.len() >= MAX_HEAD {
            HeadPush::TooLarge
        } else {
            HeadPush::Partial
        }
    }
}

/// Where the head ends (after "\r\n\r\n", or a bare "\n\n"), if it does.
fn head_end(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\n' {
            if b.get(i + 1) == Some(&b'\n') {
                return Some(i + 2);
            }
            if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                return Some(i + 3);
            }
        }
        i += 1;
    }
    None
}

/// True when `data` starts like a `GET` request (or is a prefix of one).
pub fn looks_like_get(data: &[u8]) -> bool {
    const GET: &[u8] = b"GET ";
    if data.len() >= GET.len() {
        data.starts_with(GET)
    } else {
        !data.is_empty() && GET.starts_with(data)
    }
}

/// A parsed head: start line and headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// The three parts of the start line (method, target, version for a request;
    /// version, status, reason for a response). Missing parts are empty.
    pub start: [String; 3],
    /// Headers in order, names as sent.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// Parses a head collected by [`HeadBuf`]. `None` when the start line is missing.
    pub fn parse(head: &[u8]) -> Option<Head> {
        let mut lines = head
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
        let first = lines.next()?;
        if first.is_empty() {
            return None;
        }
        let mut parts = first.splitn(3, |&b| b == b' ');
        let mut start: [String; 3] = Default::default();
        for s in start.iter_mut() {
            *s = parts.next().map(escape_bytes).unwrap_or_default();
        }
        let mut headers: Vec<(String, String)> = Vec::new();
        for l in lines {
            if l.is_empty() {
                break;
            }
            if matches!(l.first(), Some(b' ' | b'\t')) {
                // Obsolete line folding: continues the previous value.
                if let Some((_, v)) = headers.last_mut() {
                    v.push(' ');
                    v.push_str(escape_bytes(l.trim_ascii()).as_str());
                }
                continue;
            }
            let Some(colon) = l.iter().position(|&b| b == b':') else {
                continue;
            };
            headers.push((
                escape_bytes(l[..colon].trim_ascii()),
                escape_bytes(l[colon + 1..].trim_ascii()),
            ));
        }
        Some(Head { start, headers })
    }

    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The comma-separated tokens of every occurrence of a header, trimmed.
    pub fn tokens(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect()
    }

    /// True when a header has `token` among its comma-separated values (case-insensitive).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.tokens(name)
            .iter()
            .any(|t| t.eq_ignore_ascii_case(token))
    }

    /// For a response: the status code.
    pub fn status(&self) -> Option<u16> {
        if !self.start[0].starts_with("HTTP/") {
            return None;
        }
        let s = &self.start[1];
        if s.len() != 3 {
            return None;
        }
        s.parse().ok()
    }

    /// For a request: true when it is an HTTP/1.x request line.
    pub fn is_request(&self) -> bool {
        !self.start[0].is_empty() && self.start[2].starts_with("HTTP/1.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQ: &[u8] = b"GET /mqtt HTTP/1.1\r\nHost: h:1\r\nupgrade: WebSocket\r\nSec-WebSocket-Protocol: mqtt, mqttv3.1\r\nSec-Websocket-Protocol: x\r\n\r\n\x82\x00";

    #[test]
    fn head_in_pieces() {
        for cut in 0..REQ.len() {
            let mut h = HeadBuf::new();
            let (a, b) = REQ.split_at(cut);
            let r1 = h.push(a);
            let used = match r1 {
                HeadPush::Complete { used } => used,
                HeadPush::Partial => match h.push(b) {
                    HeadPush::Complete { used } => cut + used,
                    other => panic!("{cut}: {other:?}"),
                },
                HeadPush::TooLarge => panic!(),
            };
            assert_eq!(used, REQ.len() - 2, "cut {cut}");
            let p = Head::parse(h.bytes()).unwrap();
            assert!(p.is_request());
            assert_eq!(p.start[1], "/mqtt");
            assert_eq!(p.header("UPGRADE"), Some("WebSocket"));
            assert!(p.has_token("upgrade", "websocket"));
            assert_eq!(
                p.tokens("sec-websocket-protocol"),
                ["mqtt", "mqttv3.1", "x"]
            );
        }
    }

    #[test]
    fn bounded() {
        let mut h = HeadBuf::new();
        let junk = vec![b'a'; MAX_HEAD / 3];
        assert_eq!(h.push(&junk), HeadPush::Partial);
        assert_eq!(h.push(&junk), HeadPush::Partial);
        assert_eq!(h.push(&junk), HeadPush::Partial);
        assert_eq!(h.push(&junk), HeadPush::TooLarge);
        assert_eq!(h.bytes().len(), MAX_HEAD);
    }

    #[test]
    fn response_status() {
        let r = Head::parse(
            b"HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.status(), Some(101));
        assert_eq!(r.start[2], "Switching Protocols");
        assert_eq!(Head::parse(b"HTTP/1.1 4x\r\n\r\n").unwrap().status(), None);
        assert!(looks_like_get(b"GE"));
        assert!(!looks_like_get(b"GEX"));
        assert!(!looks_like_get(b""));
    }
}
