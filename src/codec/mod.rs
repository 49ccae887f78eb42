//! The pure MQTT codec: bytes ⇄ typed packets, plus the annotated field tree and
//! conformance diagnostics. Imports nothing from the other layers.

pub mod reason;
pub mod text;
pub mod types;

pub use types::{Direction, MqttStr, PacketType, ProtocolVersion, QoS};
