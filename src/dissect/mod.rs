//! MQTT conversations out of transport byte streams: framing, which protocol version a
//! packet is in when the bytes alone do not say, and per-connection state.

pub mod analysis;
pub mod capture;
pub mod fasthash;
pub mod framer;
pub mod http;
pub mod owned;
pub mod tls;
pub mod tls_decrypt;
pub mod version;
pub mod websocket;
