//! Reason codes (placeholder until the full tables land).
use super::types::{PacketType, ProtocolVersion};

/// Open newtype over a reason/return code byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct ReasonCode(pub u8);

impl ReasonCode {
    /// 0x00.
    pub const SUCCESS: ReasonCode = ReasonCode(0);
    /// True for codes 0x80 and above.
    pub fn is_failure(self) -> bool {
        self.0 >= 0x80
    }
}

/// A reason code table entry.
#[derive(Debug)]
pub struct ReasonInfo {
    /// Code.
    pub code: u8,
    /// Name.
    pub name: &'static str,
    /// Packets.
    pub packets: &'static [PacketType],
    /// Meaning.
    pub meaning: &'static str,
    /// Hint.
    pub hint: Option<&'static str>,
}

/// Every v5 reason code.
pub static V5_REASON_CODES: &[ReasonInfo] = &[];

/// Lookup.
pub fn lookup(_v: ProtocolVersion, _p: PacketType, _code: u8) -> Option<&'static ReasonInfo> {
    None
}

/// All v5 entries with this code.
pub fn v5_entries(code: u8) -> impl Iterator<Item = &'static ReasonInfo> {
    V5_REASON_CODES.iter().filter(move |r| r.code == code)
}
