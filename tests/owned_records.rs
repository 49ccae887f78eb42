//! Records handed to a printing thread (`dissect::owned`: owned copies, decoded again with
//! the field trees on the other side) are the records the dissector makes with trees, for
//! every capture of the repository and of ../shared, batch boundaries included.

mod common;

use mqtt_dissect::dissect::analysis::Analyzer;
use mqtt_dissect::dissect::capture::{dissect_capture, CaptureConfig, Record};
use mqtt_dissect::dissect::owned::{Batch, Scratch, Snapshots};
use mqtt_dissect::transport::TransportConfig;

/// Every record as the printers see it, through one of the two paths.
fn records(data: &[u8], owned: bool, batch_size: usize) -> Vec<String> {
    let cfg = CaptureConfig {
        tree: !owned,
        ..CaptureConfig::default()
    };
    let mut analyzer = Analyzer::default();
    let mut out = Vec::new();
    let mut snapshots = Snapshots::default();
    let mut scratch = Scratch::default();
    let mut batch = Batch::with_capacity(batch_size);
    let mut flush = |mut batch: Batch, out: &mut Vec<String>| {
        batch
            .try_for_each(true, &mut scratch, |r| {
                out.push(format!("{r:?}"));
                Ok::<(), ()>(())
            })
            .unwrap();
    };
    let _ = dissect_capture(
        data,
        &TransportConfig::default(),
        cfg,
        &mut |r: &mut Record<'_>| {
            analyzer.record(r);
            if owned {
                batch.push(r, &mut snapshots);
                if batch.len() == batch_size {
                    let full = std::mem::replace(&mut batch, Batch::with_capacity(batch_size));
                    flush(full, &mut out);
                }
            } else {
                out.push(format!("{r:?}"));
            }
        },
    );
    flush(batch, &mut out);
    out
}

#[test]
fn owned_records_are_the_dissectors() {
    let files = common::all_captures();
    assert!(files.len() >= 20, "{} captures", files.len());
    let mut compared = 0;
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let direct = records(&data, false, 1);
        for size in [1, 3, 512] {
            let owned = records(&data, true, size);
            assert_eq!(direct.len(), owned.len(), "{}", f.display());
            for (a, b) in direct.iter().zip(&owned) {
                assert_eq!(a, b, "{} (batches of {size})", f.display());
                compared += 1;
            }
        }
    }
    assert!(compared > 1000, "{compared} records");
}
