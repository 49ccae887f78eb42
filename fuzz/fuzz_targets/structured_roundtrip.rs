//! `arbitrary`-generated typed packets → encode → decode → equal. Reaches encoder paths
//! that byte fuzzing rarely builds (every property type, long strings, deep packets).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mqtt_dissect::codec::{decode, encode, DecodeOptions, Packet, ProtocolVersion};

fuzz_target!(|input: (u8, Packet<'_>)| {
    let (v, mut p) = input;
    let version = match v % 3 {
        0 => ProtocolVersion::V3_1,
        1 => ProtocolVersion::V3_1_1,
        _ => ProtocolVersion::V5,
    };
    // A CONNECT names its own version: make it the one under test.
    if let Packet::Connect(c) = &mut p {
        c.protocol_level = version.level();
        c.protocol_name = version.protocol_name().into();
    }
    let Ok(bytes) = encode(&p, version) else {
        return;
    };
    let d = decode(&bytes, &DecodeOptions::new(version));
    assert!(d.complete);
    assert_eq!(d.len, bytes.len());
    assert_eq!(d.packet.as_ref(), Some(&p), "{:?}", d.diagnostics);
});
