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

/// OURS-31-QOS1-HEADER-FLAGS: in MQTT 3.1, PUBREL, SUBSCRIBE and UNSUBSCRIBE carry QoS 1 and
/// a real DUP flag ("Retries are handled in the same way as PUBLISH messages", MQTT 3.1
/// §3.6, §3.8, §3.10); the fixed 0010 came with 3.1.1 [MQTT-2.2.2-1]. Wireshark shows DUP and
/// QoS there; we showed "reserved = 2" and called a retried (DUP) PUBREL malformed.
#[test]
fn mqtt31_pubrel_subscribe_unsubscribe_have_dup_and_qos() {
    for hex in [
        "6a 02 00 07",
        "8a 08 00 01 00 03 61 2f 62 01",
        "aa 07 00 01 00 03 61 2f 62",
    ] {
        let d = dec(hex, ProtocolVersion::V3_1);
        assert!(d.diagnostics.is_empty(), "{hex}: {:?}", d.diagnostics);
        assert_eq!(
            tree::find(&d.tree, "header.dup").map(|n| n.value),
            Some(Value::Bool(true))
        );
        assert_eq!(
            tree::find(&d.tree, "header.qos").map(|n| n.value),
            Some(Value::UInt(1))
        );
        let r = tree::find(&d.tree, "header.retain_reserved").unwrap();
        assert_eq!((r.mask, r.value), (Some(0x01), Value::UInt(0)));
        // 3.1.1 and 5.0: the flags must be 0010 [MQTT-3.6.1-1], [MQTT-3.8.1-1], [MQTT-3.10.1-1].
        let d = dec(hex, ProtocolVersion::V3_1_1);
        assert_eq!(d.diagnostics.len(), 1, "{hex}: {:?}", d.diagnostics);
        assert!(tree::find(&d.tree, "header.dup").is_none());
    }
    // QoS other than 1 is still wrong in 3.1.
    let d = dec("64 02 00 07", ProtocolVersion::V3_1);
    assert_eq!(d.diagnostics.len(), 1, "{:?}", d.diagnostics);
}
