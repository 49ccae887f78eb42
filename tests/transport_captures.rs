//! Every capture in ../shared/captures (when present) reads without error, and every
//! TCP payload byte is delivered, or counted as retransmitted/overlapping/ignored,
//! while every stream offset is covered by exactly one `Data` or `Gap` event.

use mqtt_dissect::transport::testing::Recorder;
use mqtt_dissect::transport::{read_capture, Side, TransportConfig, TransportEvent};
use std::path::{Path, PathBuf};

fn captures(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            captures(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("pcap" | "pcapng" | "cap")
        ) {
            out.push(p);
        }
    }
}

#[test]
fn shared_captures_are_fully_accounted_for() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures");
    if !root.is_dir() {
        eprintln!("skipping: {} is absent", root.display());
        return;
    }
    let mut files = Vec::new();
    captures(&root, &mut files);
    assert!(!files.is_empty(), "no captures under {}", root.display());
    for path in files {
        let file = std::fs::File::open(&path).unwrap();
        let mut rec = Recorder::new();
        let summary = read_capture(
            std::io::BufReader::new(file),
            &TransportConfig::default(),
            &mut |e| rec.push(e),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let t = &summary.tcp;
        assert!(summary.frames > 0, "{name}: no frames");
        assert_eq!(
            t.payload_bytes,
            t.delivered_bytes + t.retransmitted_bytes + t.overlap_bytes + t.ignored_bytes,
            "{name}: {t:?}"
        );
        let mut delivered = 0u64;
        let mut gaps = 0u64;
        let mut conns = Vec::new();
        for e in &rec.events {
            match e {
                TransportEvent::Data { data, .. } => delivered += data.len() as u64,
                TransportEvent::Gap { len, .. } => gaps += len,
                TransportEvent::ConnectionOpened { conn, .. } => conns.push(*conn),
                _ => {}
            }
        }
        assert_eq!(delivered, t.delivered_bytes, "{name}");
        assert_eq!(gaps, t.gap_bytes, "{name}");
        assert_eq!(conns.len() as u64, t.connections, "{name}");
        let mut streamed = 0u64;
        for conn in conns {
            for side in [Side::A, Side::B] {
                // Panics if offsets are not contiguous.
                streamed += rec.stream(conn, side, 0).len() as u64;
            }
        }
        assert_eq!(streamed, delivered + gaps, "{name}");
        eprintln!(
            "{name}: {} frames, {} connections, {} bytes delivered, {} gap, {} retransmitted, {} overlap, truncated record: {}",
            summary.frames,
            t.connections,
            t.delivered_bytes,
            t.gap_bytes,
            t.retransmitted_bytes,
            t.overlap_bytes,
            summary.truncated_last_record
        );
    }
}
