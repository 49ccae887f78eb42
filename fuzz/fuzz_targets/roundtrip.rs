//! Where decoding succeeds cleanly, decode(encode(p)) == p, and canonical input
//! re-encodes to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mqtt_dissect::codec::diag::Severity;
use mqtt_dissect::codec::roundtrip::{check, RoundTrip};
use mqtt_dissect::codec::{decode, encode, DecodeOptions, ProtocolVersion};

fuzz_target!(|data: &[u8]| {
    for version in [
        ProtocolVersion::V3_1,
        ProtocolVersion::V3_1_1,
        ProtocolVersion::V5,
    ] {
        let d = decode(data, &DecodeOptions::new(version));
        let Some(p) = &d.packet else { continue };
        if !d.complete || d.diagnostics.iter().any(|x| x.severity == Severity::Error) {
            continue;
        }
        let bytes = encode(p, d.version).expect("a cleanly decoded packet encodes");
        let again = decode(&bytes, &DecodeOptions::new(d.version));
        assert_eq!(again.packet.as_ref(), Some(p));
        // Warnings and notes do not make input non-canonical, except a long VBI; the encoder
        // also writes the short forms of v5 acknowledgements.
        if let RoundTrip::Differs {
            encoded, reasons, ..
        } = check(&d)
        {
            assert!(encoded.len() <= d.bytes.len(), "{reasons:?}");
        }
    }
});
