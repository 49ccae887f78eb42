//! Regression tests for decoder bugs that the differential tests (tests/diff_*.rs) found.
//! Each names the entry of testdata/divergences.md that tells the story.

use mqtt_dissect::codec::tree::{self, Value};
use mqtt_dissect::codec::{decode, DecodeOptions, ProtocolVersion};

fn dec(hex: &str, version: ProtocolVersion) -> mqtt_dissect::codec::Decoded<'static> {
    let b: &'static [u8] = Box::leak(
        hex::decode(hex.replace(' ', ""))
            .unwrap()
            .into_boxed_slice(),
    );
    decode(b, &DecodeOptions::new(version))
}

/// OURS-31-CONNACK-FLAGS: MQTT 3.1 has no Session Present; the byte before the return code
/// is "Reserved values. Not used." (MQTT 3.1 §3.2). Wireshark shows it as Reserved
/// (`mqtt.conack.flags.reserved`); we showed Session Present and raised 3.1.1's checks on it.
#[test]
fn mqtt31_connack_first_byte_is_reserved_not_session_present() {
    // CONNACK, return code 5 (not authorized), first byte 0x01.
    let d = dec("20 02 01 05", ProtocolVersion::V3_1);
    assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
    let flags = tree::find(&d.tree, "connack.flags.reserved").expect("the byte is shown");
    assert_eq!((flags.offset, flags.len, flags.mask), (2, 1, None));
    assert_eq!(flags.value, Value::UInt(1));
    assert!(tree::find(&d.tree, "connack.flags").is_none());
    assert!(tree::find(&d.tree, "connack.flags.session_present").is_none());
    assert!(flags.meaning.as_ref().unwrap().name.contains("reserved"));
    // 3.1.1 keeps the flag and the rule [MQTT-3.2.2-4].
    let d = dec("20 02 01 05", ProtocolVersion::V3_1_1);
    assert!(tree::find(&d.tree, "connack.flags.session_present").is_some());
    assert!(!d.diagnostics.is_empty());
}
