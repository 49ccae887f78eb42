//! MQTT conversations out of transport byte streams: framing, per-connection state.

pub mod framer;
