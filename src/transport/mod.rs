//! Getting bytes in: capture files, link/IP/TCP layers and hex text. Knows nothing of MQTT.

pub mod hextext;
