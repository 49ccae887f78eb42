//! Any bytes as a pcap or pcapng file → the whole capture pipeline (file format, link, IP
//! with fragments, TCP reassembly, MQTT detection, framing, decoding) never panics, and
//! what it reports is sound: every diagnostic lies inside its packet, and no text taken
//! from the capture (client ids, user names, TLS server names, event messages, diagnostic
//! messages) carries a raw
//! control character. Run with `-rss_limit_mb=256 -malloc_limit_mb=64`.
//!
//! Each input is dissected twice: with the default limits, and with tiny ones (a few
//! connections, small reassembly buffers, a small packet cap) so that every cap is hit,
//! and with the key log of the corpus's TLS capture, so that TLS records are decrypted.
//! Then once more as the printing threads get it (owned records in batches, decoded again
//! with trees): each record must be the one the dissector makes with trees.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mqtt_dissect::dissect::analysis::Analyzer;
use mqtt_dissect::dissect::capture::{dissect_capture, CaptureConfig, Record};
use mqtt_dissect::dissect::owned::{Batch, Scratch, Snapshots};
use mqtt_dissect::dissect::tls_decrypt::KeyLog;
use mqtt_dissect::transport::TransportConfig;
use std::sync::{Arc, OnceLock};

/// The key logs of the TLS captures in the corpus: mutations of them reach the decryption.
fn keys() -> Arc<KeyLog> {
    static KEYS: OnceLock<Arc<KeyLog>> = OnceLock::new();
    Arc::clone(KEYS.get_or_init(|| {
        Arc::new(KeyLog::parse(concat!(
            include_str!("../../testdata/captures/tls-keylog.keylog"),
            include_str!("../../testdata/captures/tls-ccm.keylog")
        )))
    }))
}

fn clean(s: &str) {
    assert!(
        !s.chars().any(|c| c.is_control() && c != '\n'),
        "raw control character in {s:?}"
    );
}

fn check(r: &mut Record<'_>) {
    match &*r {
        Record::Packet(p) => {
            for d in std::iter::once(&p.assumed.decoded).chain(p.assumed.alternative.as_deref()) {
                assert!(d.len <= d.bytes.len() || !d.complete);
                for x in &d.diagnostics {
                    assert!(x.offset + x.len <= d.bytes.len(), "{x}");
                    clean(&x.message);
                }
                for root in &d.tree {
                    for n in root.walk() {
                        assert!(n.offset + n.len <= d.bytes.len(), "{}", n.field.id);
                    }
                }
            }
            let c = p.conn;
            for s in [&c.client_id, &c.username, &c.sni].into_iter().flatten() {
                clean(s);
            }
            if let Some(r) = &p.assumed.reason {
                clean(r);
            }
        }
        Record::Event(e) => {
            clean(&e.message);
            if let Some(c) = e.conn {
                for s in [&c.client_id, &c.username, &c.sni].into_iter().flatten() {
                    clean(s);
                }
            }
        }
    }
}

/// Every record, with trees, as the printers see it: made so (`owned` false) or through
/// owned batches of two.
fn records(data: &[u8], owned: bool) -> Vec<String> {
    let cfg = CaptureConfig {
        tree: !owned,
        tls_keys: Some(keys()),
        ..CaptureConfig::default()
    };
    let mut analyzer = Analyzer::default();
    let (mut snapshots, mut scratch) = (Snapshots::default(), Scratch::default());
    let mut out = Vec::new();
    let mut batch = Batch::with_capacity(2);
    let mut flush = |mut b: Batch, out: &mut Vec<String>| {
        let _ = b.try_for_each(true, &mut scratch, |r| {
            out.push(format!("{r:?}"));
            Ok::<(), ()>(())
        });
    };
    let _ = dissect_capture(data, &TransportConfig::default(), cfg, &mut |r| {
        analyzer.record(r);
        if owned {
            batch.push(r, &mut snapshots);
            if batch.len() == 2 {
                flush(
                    std::mem::replace(&mut batch, Batch::with_capacity(2)),
                    &mut out,
                );
            }
        } else {
            out.push(format!("{r:?}"));
        }
    });
    flush(batch, &mut out);
    out
}

fuzz_target!(|data: &[u8]| {
    let _ = dissect_capture(
        data,
        &TransportConfig::default(),
        CaptureConfig::default(),
        &mut check,
    );
    let tight = TransportConfig {
        max_buffer_per_direction: 256,
        max_connections: 3,
        retain_delivered: 64,
        max_fragment_datagrams: 2,
        max_fragment_bytes: 512,
        fragment_timeout_secs: 1,
        max_record_size: 1024,
    };
    let cfg = CaptureConfig {
        max_packet: 64,
        mqtt_ports: vec![1883, 80],
        // WebSocket without its handshake on a port that is also an MQTT port, and alone.
        ws_ports: vec![80, 8083],
        tls_keys: Some(keys()),
        ..CaptureConfig::default()
    };
    let _ = dissect_capture(data, &tight, cfg, &mut check);
    assert_eq!(records(data, false), records(data, true));
});
