//! Conversation-level dissection: which protocol version a packet is in when the bytes
//! alone do not say, and (later) per-connection state for captures.

pub mod version;
