//! The pure MQTT codec: bytes ⇄ typed packets, plus the annotated field tree and
//! conformance diagnostics. Imports nothing from the other layers.

mod cursor;
pub(crate) mod decode;
pub mod diag;
pub mod encode;
pub mod fields;
pub mod list;
pub mod packet;
pub mod primitives;
pub mod property;
pub mod reason;
pub mod roundtrip;
pub mod stream;
pub mod text;
pub mod topic;
pub mod tree;
pub mod types;

pub use decode::{decode, decode_checked, DecodeOptions, Decoded};
pub use encode::{encode, encode_into, EncodeError};
pub use list::List;
pub use packet::{
    Auth, ConnAck, Connect, Disconnect, Packet, PubResponse, Publish, SubAck, Subscribe,
    Subscription, UnsubAck, Unsubscribe, Will,
};
pub use property::{PropValue, Properties, Property, PropertyId};
pub use reason::ReasonCode;
pub use types::{Direction, MqttStr, PacketType, ProtocolVersion, QoS};
