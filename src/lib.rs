//! mqtt-dissect explains MQTT bytes: every field with its offset, raw bytes, value and
//! meaning, and every deviation from the MQTT 3.1, 3.1.1 and 5.0 specifications.
#![deny(missing_docs)]

pub mod codec;
pub mod dissect;
pub mod present;
pub mod transport;

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
