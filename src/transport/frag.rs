//! IPv4 and IPv6 fragment reassembly, bounded in datagrams, bytes, pieces and time.

use super::event::{FragmentDiscard, FragmentOutcome, Timestamp, TransportEvent};
use super::ip::FragInfo;
use super::reassembly::Sink;
use super::TransportConfig;
use std::collections::HashMap;
use std::net::IpAddr;

/// Most pieces one datagram may be made of.
const MAX_PIECES: usize = 512;
/// Largest datagram payload (without a jumbogram option, for both versions).
const MAX_DATAGRAM: u32 = 65535;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct FragKey {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    /// IPv4: the protocol (part of the key); IPv6: 0 (the protocol is in the first fragment).
    proto: u8,
}

struct Pending {
    /// Pieces sorted by offset, never overlapping.
    pieces: Vec<(u32, Vec<u8>)>,
    total: Option<u32>,
    bytes: usize,
    first_ts: Timestamp,
    arrival: u64,
    /// Upper-layer protocol, from the IPv4 header or the first IPv6 fragment.
    proto: Option<u8>,
}

/// A reassembled datagram: its upper-layer protocol and payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reassembled {
    /// Protocol of `data` (for IPv6: the first header of the fragmentable part).
    pub proto: u8,
    /// The datagram payload.
    pub data: Vec<u8>,
}

/// Collects fragments until their datagram is complete.
pub struct FragReassembler {
    max_datagrams: usize,
    max_bytes: usize,
    timeout_secs: i64,
    pending: HashMap<FragKey, Pending>,
    bytes: usize,
    arrivals: u64,
}

impl FragReassembler {
    /// A reassembler with the limits of `cfg`.
    pub fn new(cfg: &TransportConfig) -> FragReassembler {
        FragReassembler {
            max_datagrams: cfg.max_fragment_datagrams.max(1),
            max_bytes: cfg.max_fragment_bytes,
            timeout_secs: i64::try_from(cfg.fragment_timeout_secs).unwrap_or(i64::MAX),
            pending: HashMap::new(),
            bytes: 0,
            arrivals: 0,
        }
    }

    /// Datagrams waiting for more fragments.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    fn discard(
        &mut self,
        key: FragKey,
        reason: FragmentDiscard,
        frame: u64,
        ts: Timestamp,
        sink: &mut Sink<'_>,
    ) {
        if let Some(p) = self.pending.remove(&key) {
            self.bytes -= p.bytes;
            sink(TransportEvent::Fragment {
                frame,
                ts,
                src: key.src,
                dst: key.dst,
                id: key.id,
                outcome: FragmentOutcome::Discarded {
                    reason,
                    fragments: p.pieces.len() as u32,
                    bytes: p.bytes as u32,
                },
            });
        }
    }

    fn oldest(&self) -> Option<FragKey> {
        self.pending
            .iter()
            .min_by_key(|(_, p)| p.arrival)
            .map(|(k, _)| *k)
    }

    /// Adds one fragment. `v4_proto` is the IPv4 protocol (`None` for IPv6, where
    /// `proto` comes from the fragment header). Returns the datagram when complete.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        frame: u64,
        ts: Timestamp,
        src: IpAddr,
        dst: IpAddr,
        v4_proto: Option<u8>,
        proto: u8,
        info: FragInfo,
        data: &[u8],
        sink: &mut Sink<'_>,
    ) -> Option<Reassembled> {
        // Expire what waited too long, oldest first (the map's order is random: reports
        // must come in the same order on every run).
        let mut expired: Vec<(u64, FragKey)> = self
            .pending
            .iter()
            .filter(|(_, p)| ts.secs.saturating_sub(p.first_ts.secs) > self.timeout_secs)
            .map(|(k, p)| (p.arrival, *k))
            .collect();
        expired.sort_unstable_by_key(|(a, _)| *a);
        for (_, k) in expired {
            self.discard(k, FragmentDiscard::Timeout, frame, ts, sink);
        }
        let key = FragKey {
            src,
            dst,
            id: info.id,
            proto: v4_proto.unwrap_or(0),
        };
        let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let end = info.offset.saturating_add(len);
        let one = |reason| FragmentOutcome::Discarded {
            reason,
            fragments: 1,
            bytes: len,
        };
        if end > MAX_DATAGRAM {
            self.discard(key, FragmentDiscard::TooLarge, frame, ts, sink);
            sink(TransportEvent::Fragment {
                frame,
                ts,
                src,
                dst,
                id: info.id,
                outcome: one(FragmentDiscard::TooLarge),
            });
            return None;
        }
        if !self.pending.contains_key(&key) {
            while self.pending.len() >= self.max_datagrams {
                let Some(old) = self.oldest() else { break };
                self.discard(old, FragmentDiscard::TooManyPending, frame, ts, sink);
            }
            self.arrivals += 1;
            self.pending.insert(
                key,
                Pending {
                    pieces: Vec::new(),
                    total: None,
                    bytes: 0,
                    first_ts: ts,
                    arrival: self.arrivals,
                    proto: v4_proto,
                },
            );
        }
        let p = self.pending.get_mut(&key)?;
        // Same offset and length again: a duplicate, keep the first.
        if p.pieces
            .iter()
            .any(|(o, d)| *o == info.offset && d.len() == data.len())
        {
            return None;
        }
        let overlaps = p.pieces.iter().any(|(o, d)| {
            let e = o.saturating_add(d.len() as u32);
            info.offset < e && *o < end
        });
        let inconsistent = if info.more {
            p.total.is_some_and(|t| end > t)
        } else {
            p.total.is_some_and(|t| t != end)
                || p.pieces
                    .iter()
                    .any(|(o, d)| o.saturating_add(d.len() as u32) > end)
        };
        let reason = if overlaps {
            Some(FragmentDiscard::Overlap)
        } else if inconsistent {
            Some(FragmentDiscard::Inconsistent)
        } else if p.pieces.len() >= MAX_PIECES {
            Some(FragmentDiscard::TooLarge)
        } else {
            None
        };
        if let Some(reason) = reason {
            self.discard(key, reason, frame, ts, sink);
            sink(TransportEvent::Fragment {
                frame,
                ts,
                src,
                dst,
                id: info.id,
                outcome: one(reason),
            });
            return None;
        }
        if !info.more {
            p.total = Some(end);
        }
        if info.offset == 0 && v4_proto.is_none() {
            p.proto = Some(proto);
        }
        let at = p.pieces.partition_point(|(o, _)| *o < info.offset);
        p.pieces.insert(at, (info.offset, data.to_vec()));
        p.bytes += data.len();
        self.bytes += data.len();
        let complete = p.total.is_some_and(|t| {
            let mut cur = 0u32;
            for (o, d) in &p.pieces {
                if *o != cur {
                    return false;
                }
                cur = o.saturating_add(d.len() as u32);
            }
            cur == t
        });
        if complete {
            let p = self.pending.remove(&key)?;
            self.bytes -= p.bytes;
            let mut out = Vec::with_capacity(p.bytes);
            for (_, d) in &p.pieces {
                out.extend_from_slice(d);
            }
            sink(TransportEvent::Fragment {
                frame,
                ts,
                src,
                dst,
                id: info.id,
                outcome: FragmentOutcome::Reassembled {
                    fragments: p.pieces.len() as u32,
                    len: out.len() as u32,
                },
            });
            return Some(Reassembled {
                proto: p.proto.unwrap_or(proto),
                data: out,
            });
        }
        while self.bytes > self.max_bytes {
            let Some(old) = self.oldest() else { break };
            self.discard(old, FragmentDiscard::TooManyPending, frame, ts, sink);
        }
        None
    }

    /// End of capture: drops everything still pending, reporting each datagram.
    pub fn finish(&mut self, frame: u64, ts: Timestamp, sink: &mut Sink<'_>) {
        let mut keys: Vec<(u64, FragKey)> =
            self.pending.iter().map(|(k, p)| (p.arrival, *k)).collect();
        keys.sort_unstable_by_key(|(a, _)| *a);
        for (_, k) in keys {
            self.discard(k, FragmentDiscard::EndOfCapture, frame, ts, sink);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcomes(
        f: &mut FragReassembler,
        pieces: &[(i64, u32, bool, &[u8])],
    ) -> (Vec<FragmentOutcome>, Option<Reassembled>) {
        let mut out = Vec::new();
        let mut whole = None;
        let src: IpAddr = "10.0.0.1".parse().unwrap();
        let dst: IpAddr = "10.0.0.2".parse().unwrap();
        for (i, (secs, offset, more, data)) in pieces.iter().enumerate() {
            let info = FragInfo {
                id: 7,
                offset: *offset,
                more: *more,
            };
            let ts = Timestamp {
                secs: *secs,
                nanos: 0,
            };
            let mut sink = |e: TransportEvent<'_>| {
                if let TransportEvent::Fragment { outcome, .. } = e {
                    out.push(outcome);
                }
            };
            let r = f.add(
                i as u64 + 1,
                ts,
                src,
                dst,
                Some(6),
                6,
                info,
                data,
                &mut sink,
            );
            if r.is_some() {
                whole = r;
            }
        }
        (out, whole)
    }

    #[test]
    fn reassembles_in_any_order_and_ignores_exact_duplicates() {
        let mut f = FragReassembler::new(&TransportConfig::default());
        let (ev, whole) = outcomes(
            &mut f,
            &[
                (0, 16, false, b"cc"),
                (0, 0, true, b"aaaaaaaa"),
                (0, 0, true, b"aaaaaaaa"),
                (0, 8, true, b"bbbbbbbb"),
            ],
        );
        assert_eq!(
            ev,
            vec![FragmentOutcome::Reassembled {
                fragments: 3,
                len: 18
            }]
        );
        assert_eq!(
            whole,
            Some(Reassembled {
                proto: 6,
                data: b"aaaaaaaabbbbbbbbcc".to_vec()
            })
        );
        assert_eq!(f.pending(), 0);
    }

    #[test]
    fn overlap_timeout_and_size_limits_discard() {
        let mut f = FragReassembler::new(&TransportConfig::default());
        let (ev, whole) = outcomes(&mut f, &[(0, 0, true, b"aaaaaaaa"), (0, 4, false, b"xxxx")]);
        assert_eq!(whole, None);
        assert_eq!(
            ev,
            vec![
                FragmentOutcome::Discarded {
                    reason: FragmentDiscard::Overlap,
                    fragments: 1,
                    bytes: 8
                },
                FragmentOutcome::Discarded {
                    reason: FragmentDiscard::Overlap,
                    fragments: 1,
                    bytes: 4
                },
            ]
        );
        let (ev, _) = outcomes(&mut f, &[(0, 0, true, b"aaaaaaaa"), (100, 8, false, b"b")]);
        assert_eq!(
            ev,
            vec![FragmentOutcome::Discarded {
                reason: FragmentDiscard::Timeout,
                fragments: 1,
                bytes: 8
            }]
        );
        assert_eq!(f.pending(), 1); // the second piece waits alone
        let (ev, _) = outcomes(&mut f, &[(100, 65_532, false, b"toolong")]);
        assert_eq!(
            ev,
            vec![
                FragmentOutcome::Discarded {
                    reason: FragmentDiscard::TooLarge,
                    fragments: 1,
                    bytes: 1
                },
                FragmentOutcome::Discarded {
                    reason: FragmentDiscard::TooLarge,
                    fragments: 1,
                    bytes: 7
                },
            ]
        );
        let mut small = FragReassembler::new(&TransportConfig {
            max_fragment_bytes: 10,
            ..TransportConfig::default()
        });
        let (ev, _) = outcomes(
            &mut small,
            &[(0, 0, true, b"aaaaaaaa"), (0, 8, true, b"bbbbbbbb")],
        );
        assert_eq!(
            ev,
            vec![FragmentOutcome::Discarded {
                reason: FragmentDiscard::TooManyPending,
                fragments: 2,
                bytes: 16
            }]
        );
    }
}
