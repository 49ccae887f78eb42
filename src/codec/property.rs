//! MQTT 5 properties (§2.2.2): the 27 identifiers, their data types, where each may appear,
//! and the decoding of a property block as a bounded sub-slice.

use super::cursor::{Cx, Res};
use super::diag;
use super::fields::{self, FieldDef};
use super::tree::{Meaning, Value};
use super::types::{MqttStr, PacketType};
use std::fmt;

/// A property identifier (a Variable Byte Integer on the wire; all defined ones fit a byte).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct PropertyId(pub u32);

/// The data type of a property value (§1.5).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PropertyType {
    /// One byte.
    Byte,
    /// Two Byte Integer.
    TwoByte,
    /// Four Byte Integer.
    FourByte,
    /// Variable Byte Integer.
    Vbi,
    /// UTF-8 Encoded String.
    Str,
    /// Binary Data.
    Binary,
    /// UTF-8 String Pair.
    StrPair,
}

/// A property's value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PropValue<'a> {
    /// Byte.
    Byte(u8),
    /// Two Byte Integer.
    TwoByte(u16),
    /// Four Byte Integer.
    FourByte(u32),
    /// Variable Byte Integer.
    Vbi(u32),
    /// UTF-8 Encoded String.
    Str(MqttStr<'a>),
    /// Binary Data.
    Binary(&'a [u8]),
    /// UTF-8 String Pair (name, value).
    Pair(MqttStr<'a>, MqttStr<'a>),
}

impl<'a> PropValue<'a> {
    /// The value as an integer, for the integer types.
    pub fn as_u32(&self) -> Option<u32> {
        match *self {
            PropValue::Byte(v) => Some(v.into()),
            PropValue::TwoByte(v) => Some(v.into()),
            PropValue::FourByte(v) | PropValue::Vbi(v) => Some(v),
            _ => None,
        }
    }

    /// The value as a string, for UTF-8 string properties.
    pub fn as_str(&self) -> Option<MqttStr<'a>> {
        match *self {
            PropValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as bytes, for binary properties.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match *self {
            PropValue::Binary(b) => Some(b),
            _ => None,
        }
    }

    /// The data type of this value.
    pub fn ty(&self) -> PropertyType {
        match self {
            PropValue::Byte(_) => PropertyType::Byte,
            PropValue::TwoByte(_) => PropertyType::TwoByte,
            PropValue::FourByte(_) => PropertyType::FourByte,
            PropValue::Vbi(_) => PropertyType::Vbi,
            PropValue::Str(_) => PropertyType::Str,
            PropValue::Binary(_) => PropertyType::Binary,
            PropValue::Pair(..) => PropertyType::StrPair,
        }
    }
}

/// One property as it appeared on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Property<'a> {
    /// Identifier.
    pub id: PropertyId,
    /// Value.
    pub value: PropValue<'a>,
}

/// A property block, in wire order (duplicates kept, so that what was sent is what is shown).
///
/// A decoded block borrows the bytes of the properties that decoded whole and reads them
/// on demand, so that decoding allocates nothing for properties; a block built for
/// encoding ([`Properties::with`], [`Properties::push`]) holds a list. Both compare by
/// their properties.
#[derive(Clone)]
pub struct Properties<'a>(Repr<'a>);

#[derive(Clone)]
enum Repr<'a> {
    /// Already validated property bytes, and a bit per identifier present (all are < 64).
    Wire {
        bytes: &'a [u8],
        seen: u64,
    },
    List(Vec<Property<'a>>),
}

impl Default for Properties<'_> {
    fn default() -> Self {
        Properties::new()
    }
}

impl<'a> Properties<'a> {
    /// No properties.
    pub fn new() -> Self {
        Properties(Repr::Wire {
            bytes: &[],
            seen: 0,
        })
    }

    /// A decoded block: `bytes` hold whole properties with registered identifiers only.
    pub(crate) fn wire(bytes: &'a [u8], seen: u64) -> Self {
        Properties(Repr::Wire { bytes, seen })
    }

    /// True when the block holds no allocation (it refers to the packet's bytes): the
    /// usual case, in which dropping it has nothing to do.
    #[inline]
    pub fn is_borrowed(&self) -> bool {
        matches!(self.0, Repr::Wire { .. })
    }

    /// True when the block is empty.
    pub fn is_empty(&self) -> bool {
        match &self.0 {
            Repr::Wire { bytes, .. } => bytes.is_empty(),
            Repr::List(l) => l.is_empty(),
        }
    }

    /// False when the block certainly has no property with this identifier: a decoded
    /// block knows without reading its bytes (for the fast paths).
    #[inline]
    pub(crate) fn may_have(&self, id: PropertyId) -> bool {
        match self.0 {
            Repr::Wire { seen, .. } => id.0 < 64 && seen & (1 << id.0) != 0,
            Repr::List(_) => true,
        }
    }

    /// The first value with this identifier.
    pub fn get(&self, id: PropertyId) -> Option<PropValue<'a>> {
        if let Repr::Wire { seen, .. } = self.0 {
            if id.0 >= 64 || seen & (1 << id.0) == 0 {
                return None;
            }
        }
        self.iter().find(|p| p.id == id).map(|p| p.value)
    }

    /// Every value with this identifier (User Property, Subscription Identifier).
    pub fn get_all(&self, id: PropertyId) -> impl Iterator<Item = PropValue<'a>> + '_ {
        self.iter().filter(move |p| p.id == id).map(|p| p.value)
    }

    /// Appends a property (builder style).
    pub fn with(mut self, id: PropertyId, value: PropValue<'a>) -> Self {
        self.push(Property { id, value });
        self
    }

    /// Appends a property.
    pub fn push(&mut self, p: Property<'a>) {
        if let Repr::Wire { .. } = self.0 {
            self.0 = Repr::List(self.iter().collect());
        }
        if let Repr::List(l) = &mut self.0 {
            l.push(p);
        }
    }

    /// Iterates in wire order.
    pub fn iter(&self) -> Iter<'_, 'a> {
        Iter(match &self.0 {
            Repr::Wire { bytes, .. } => IterRepr::Wire(bytes),
            Repr::List(l) => IterRepr::List(l.iter()),
        })
    }
}

impl<'a> From<Vec<Property<'a>>> for Properties<'a> {
    fn from(list: Vec<Property<'a>>) -> Self {
        Properties(Repr::List(list))
    }
}

impl PartialEq for Properties<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Properties<'_> {}

impl fmt::Debug for Properties<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct List<'p, 'a>(&'p Properties<'a>);
        impl fmt::Debug for List<'_, '_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.0.iter()).finish()
            }
        }
        f.debug_tuple("Properties").field(&List(self)).finish()
    }
}

impl<'p, 'a> IntoIterator for &'p Properties<'a> {
    type Item = Property<'a>;
    type IntoIter = Iter<'p, 'a>;
    fn into_iter(self) -> Iter<'p, 'a> {
        self.iter()
    }
}

/// The properties of a block, in wire order.
#[derive(Clone, Debug)]
pub struct Iter<'p, 'a>(IterRepr<'p, 'a>);

#[derive(Clone, Debug)]
enum IterRepr<'p, 'a> {
    Wire(&'a [u8]),
    List(std::slice::Iter<'p, Property<'a>>),
}

impl<'a> Iterator for Iter<'_, 'a> {
    type Item = Property<'a>;

    fn next(&mut self) -> Option<Property<'a>> {
        match &mut self.0 {
            IterRepr::List(l) => l.next().copied(),
            IterRepr::Wire(b) => {
                let p = read_property(b);
                if p.is_none() {
                    // Cannot happen for validated bytes; never loop on anything else.
                    *b = &[];
                }
                p
            }
        }
    }
}

/// Reads one property of already validated bytes and advances past it.
fn read_property<'a>(b: &mut &'a [u8]) -> Option<Property<'a>> {
    let (rest, id) = super::primitives::vbi(b).ok()?;
    let id = PropertyId(id.value);
    let def = id.def()?;
    let (rest, value) = read_value(rest, def.ty)?;
    *b = rest;
    Some(Property { id, value })
}

fn read_value(b: &[u8], ty: PropertyType) -> Option<(&[u8], PropValue<'_>)> {
    fn prefixed(b: &[u8]) -> Option<(&[u8], &[u8])> {
        let (n, rest) = b.split_first_chunk::<2>()?;
        let n = usize::from(u16::from_be_bytes(*n));
        (rest.len() >= n).then(|| (&rest[n..], &rest[..n]))
    }
    Some(match ty {
        PropertyType::Byte => {
            let (v, rest) = b.split_first()?;
            (rest, PropValue::Byte(*v))
        }
        PropertyType::TwoByte => {
            let (v, rest) = b.split_first_chunk::<2>()?;
            (rest, PropValue::TwoByte(u16::from_be_bytes(*v)))
        }
        PropertyType::FourByte => {
            let (v, rest) = b.split_first_chunk::<4>()?;
            (rest, PropValue::FourByte(u32::from_be_bytes(*v)))
        }
        PropertyType::Vbi => {
            let (rest, v) = super::primitives::vbi(b).ok()?;
            (rest, PropValue::Vbi(v.value))
        }
        PropertyType::Str => {
            let (rest, s) = prefixed(b)?;
            (rest, PropValue::Str(MqttStr(s)))
        }
        PropertyType::Binary => {
            let (rest, s) = prefixed(b)?;
            (rest, PropValue::Binary(s))
        }
        PropertyType::StrPair => {
            let (rest, k) = prefixed(b)?;
            let (rest, v) = prefixed(rest)?;
            (rest, PropValue::Pair(MqttStr(k), MqttStr(v)))
        }
    })
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Properties<'a> {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Properties(Repr::List(u.arbitrary()?)))
    }
}

/// Generates only registered properties with values of their own type, so that
/// structured fuzzing exercises encodable packets.
#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Property<'a> {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let def = u.choose(PROPERTIES)?;
        let value = match def.ty {
            PropertyType::Byte => PropValue::Byte(u.arbitrary()?),
            PropertyType::TwoByte => PropValue::TwoByte(u.arbitrary()?),
            PropertyType::FourByte => PropValue::FourByte(u.arbitrary()?),
            PropertyType::Vbi => PropValue::Vbi(u.int_in_range(0..=super::primitives::VBI_MAX)?),
            PropertyType::Str => PropValue::Str(u.arbitrary()?),
            PropertyType::Binary => PropValue::Binary(u.arbitrary()?),
            PropertyType::StrPair => PropValue::Pair(u.arbitrary()?, u.arbitrary()?),
        };
        Ok(Property { id: def.id, value })
    }
}

/// Where a property may appear: a bit per packet type, plus [`WILL`] for Will Properties.
pub type Places = u32;
/// The bit for Will Properties in a CONNECT payload (type 0 never carries properties).
pub const WILL: Places = 1;

const fn at(t: PacketType) -> Places {
    1 << t.0
}

const ACKS: Places = at(PacketType::PUBACK)
    | at(PacketType::PUBREC)
    | at(PacketType::PUBREL)
    | at(PacketType::PUBCOMP);
const EVERYWHERE: Places = 0xfffe | WILL;

/// A registered property.
#[derive(Debug)]
pub struct PropertyDef {
    /// Identifier.
    pub id: PropertyId,
    /// Spec name.
    pub name: &'static str,
    /// Data type.
    pub ty: PropertyType,
    /// The tree field for its value.
    pub field: &'static FieldDef,
    /// Packets (and Will Properties) where it may appear.
    pub places: Places,
}

macro_rules! properties {
    ($($konst:ident = $id:literal, $name:literal, $ty:ident, $field:ident, $places:expr;)*) => {
        impl PropertyId {
            $(
                #[doc = concat!($name, " (", stringify!($id), ")")]
                pub const $konst: PropertyId = PropertyId($id);
            )*
        }
        /// Every MQTT 5 property, in identifier order.
        pub static PROPERTIES: &[PropertyDef] = &[
            $(PropertyDef { id: PropertyId($id), name: $name, ty: PropertyType::$ty,
                            field: &fields::$field, places: $places },)*
        ];
        /// The identifiers of [`PROPERTIES`], in the same order (for a const lookup table).
        const IDS: &[u32] = &[$($id),*];
        /// The data types of [`PROPERTIES`], in the same order.
        const TYPES: &[PropertyType] = &[$(PropertyType::$ty),*];
        /// The places of [`PROPERTIES`], in the same order.
        const PLACES: &[Places] = &[$($places),*];
    };
}

use PacketType as T;
properties! {
    PAYLOAD_FORMAT_INDICATOR = 0x01, "Payload Format Indicator", Byte, P_PAYLOAD_FORMAT_INDICATOR, at(T::PUBLISH) | WILL;
    MESSAGE_EXPIRY_INTERVAL = 0x02, "Message Expiry Interval", FourByte, P_MESSAGE_EXPIRY_INTERVAL, at(T::PUBLISH) | WILL;
    CONTENT_TYPE = 0x03, "Content Type", Str, P_CONTENT_TYPE, at(T::PUBLISH) | WILL;
    RESPONSE_TOPIC = 0x08, "Response Topic", Str, P_RESPONSE_TOPIC, at(T::PUBLISH) | WILL;
    CORRELATION_DATA = 0x09, "Correlation Data", Binary, P_CORRELATION_DATA, at(T::PUBLISH) | WILL;
    SUBSCRIPTION_IDENTIFIER = 0x0B, "Subscription Identifier", Vbi, P_SUBSCRIPTION_IDENTIFIER, at(T::PUBLISH) | at(T::SUBSCRIBE);
    SESSION_EXPIRY_INTERVAL = 0x11, "Session Expiry Interval", FourByte, P_SESSION_EXPIRY_INTERVAL, at(T::CONNECT) | at(T::CONNACK) | at(T::DISCONNECT);
    ASSIGNED_CLIENT_IDENTIFIER = 0x12, "Assigned Client Identifier", Str, P_ASSIGNED_CLIENT_IDENTIFIER, at(T::CONNACK);
    SERVER_KEEP_ALIVE = 0x13, "Server Keep Alive", TwoByte, P_SERVER_KEEP_ALIVE, at(T::CONNACK);
    AUTHENTICATION_METHOD = 0x15, "Authentication Method", Str, P_AUTHENTICATION_METHOD, at(T::CONNECT) | at(T::CONNACK) | at(T::AUTH);
    AUTHENTICATION_DATA = 0x16, "Authentication Data", Binary, P_AUTHENTICATION_DATA, at(T::CONNECT) | at(T::CONNACK) | at(T::AUTH);
    REQUEST_PROBLEM_INFORMATION = 0x17, "Request Problem Information", Byte, P_REQUEST_PROBLEM_INFORMATION, at(T::CONNECT);
    WILL_DELAY_INTERVAL = 0x18, "Will Delay Interval", FourByte, P_WILL_DELAY_INTERVAL, WILL;
    REQUEST_RESPONSE_INFORMATION = 0x19, "Request Response Information", Byte, P_REQUEST_RESPONSE_INFORMATION, at(T::CONNECT);
    RESPONSE_INFORMATION = 0x1A, "Response Information", Str, P_RESPONSE_INFORMATION, at(T::CONNACK);
    SERVER_REFERENCE = 0x1C, "Server Reference", Str, P_SERVER_REFERENCE, at(T::CONNACK) | at(T::DISCONNECT);
    REASON_STRING = 0x1F, "Reason String", Str, P_REASON_STRING, at(T::CONNACK) | ACKS | at(T::SUBACK) | at(T::UNSUBACK) | at(T::DISCONNECT) | at(T::AUTH);
    RECEIVE_MAXIMUM = 0x21, "Receive Maximum", TwoByte, P_RECEIVE_MAXIMUM, at(T::CONNECT) | at(T::CONNACK);
    TOPIC_ALIAS_MAXIMUM = 0x22, "Topic Alias Maximum", TwoByte, P_TOPIC_ALIAS_MAXIMUM, at(T::CONNECT) | at(T::CONNACK);
    TOPIC_ALIAS = 0x23, "Topic Alias", TwoByte, P_TOPIC_ALIAS, at(T::PUBLISH);
    MAXIMUM_QOS = 0x24, "Maximum QoS", Byte, P_MAXIMUM_QOS, at(T::CONNACK);
    RETAIN_AVAILABLE = 0x25, "Retain Available", Byte, P_RETAIN_AVAILABLE, at(T::CONNACK);
    USER_PROPERTY = 0x26, "User Property", StrPair, P_USER_PROPERTY, EVERYWHERE & !at(T::PINGREQ) & !at(T::PINGRESP);
    MAXIMUM_PACKET_SIZE = 0x27, "Maximum Packet Size", FourByte, P_MAXIMUM_PACKET_SIZE, at(T::CONNECT) | at(T::CONNACK);
    WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28, "Wildcard Subscription Available", Byte, P_WILDCARD_SUBSCRIPTION_AVAILABLE, at(T::CONNACK);
    SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29, "Subscription Identifier Available", Byte, P_SUBSCRIPTION_IDENTIFIER_AVAILABLE, at(T::CONNACK);
    SHARED_SUBSCRIPTION_AVAILABLE = 0x2A, "Shared Subscription Available", Byte, P_SHARED_SUBSCRIPTION_AVAILABLE, at(T::CONNACK);
}

impl PropertyId {
    /// The registered definition, or `None` for an unknown identifier.
    pub fn def(self) -> Option<&'static PropertyDef> {
        let i = *INDEX.get(usize::try_from(self.0).ok()?)?;
        PROPERTIES.get(usize::from(i))
    }

    /// The property's spec name, or `Unknown (0xNN)`.
    pub fn name(self) -> String {
        match self.def() {
            Some(d) => d.name.to_string(),
            None => format!("Unknown (0x{:02X})", self.0),
        }
    }

    /// Parses a name such as `session_expiry_interval`, `Session Expiry Interval`, `0x11` or `17`.
    pub fn from_name(name: &str) -> Option<PropertyId> {
        let norm = |s: &str| {
            s.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase()
        };
        let n = norm(name);
        if let Some(d) = PROPERTIES.iter().find(|d| norm(d.name) == n) {
            return Some(d.id);
        }
        let num = if let Some(h) = name.strip_prefix("0x").or_else(|| name.strip_prefix("0X")) {
            u32::from_str_radix(h, 16).ok()?
        } else {
            name.parse().ok()?
        };
        PropertyId(num).def().map(|d| d.id)
    }
}

/// Index into [`PROPERTIES`] by identifier (`u8::MAX`: unknown): a lookup, not a search.
static INDEX: [u8; 64] = {
    let mut t = [u8::MAX; 64];
    let mut i = 0;
    while i < IDS.len() {
        t[IDS[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// The bit of an identifier in a block's `seen` set.
const fn bit(id: PropertyId) -> u64 {
    1 << id.0
}

/// Properties of one block whose values are only 0 or 1 (§3.1.2.11, §3.2.2.3, §3.3.2.3.2).
const BOOLEAN_PROPERTIES: u64 = bit(PropertyId::PAYLOAD_FORMAT_INDICATOR)
    | bit(PropertyId::REQUEST_PROBLEM_INFORMATION)
    | bit(PropertyId::REQUEST_RESPONSE_INFORMATION)
    | bit(PropertyId::RETAIN_AVAILABLE)
    | bit(PropertyId::WILDCARD_SUBSCRIPTION_AVAILABLE)
    | bit(PropertyId::SUBSCRIPTION_IDENTIFIER_AVAILABLE)
    | bit(PropertyId::SHARED_SUBSCRIPTION_AVAILABLE);

/// The identifiers allowed in `place`, as a set of [`bit`]s (all identifiers are < 64).
pub(crate) const fn allowed_in(place: Places) -> u64 {
    let mut set = 0;
    let mut i = 0;
    while i < IDS.len() {
        if PLACES[i] & place != 0 {
            set |= 1 << IDS[i];
        }
        i += 1;
    }
    set
}

/// The data type by identifier, for identifiers < 64 (`None`: unknown).
static TYPE_OF: [Option<PropertyType>; 64] = {
    let mut t = [None; 64];
    let mut i = 0;
    while i < IDS.len() {
        t[IDS[i] as usize] = Some(TYPES[i]);
        i += 1;
    }
    t
};

/// [`check_value`] as a yes or no: true when it reports nothing for this value.
#[inline]
fn value_ok(id: u8, v: u32) -> bool {
    let b = 1u64 << id;
    if BOOLEAN_PROPERTIES & b != 0 {
        return v <= 1;
    }
    match PropertyId(id.into()) {
        PropertyId::MAXIMUM_QOS => v <= 1,
        PropertyId::RECEIVE_MAXIMUM
        | PropertyId::MAXIMUM_PACKET_SIZE
        | PropertyId::TOPIC_ALIAS
        | PropertyId::SUBSCRIPTION_IDENTIFIER => v != 0,
        _ => true,
    }
}

/// A property block at `*pos` of `buf` (a whole packet) without a cursor, for the no-tree
/// fast paths: `None` at the first thing [`decode_block`] would report (Property Length
/// or identifier not minimal, unknown or misplaced identifier, a value past the block,
/// a string the §1.5.4 checks flag, a value [`check_value`] flags, a repeat outside
/// `repeatable`, Authentication Data without a method), so that the general path reports
/// it. `allowed` is [`allowed_in`] of the place. Otherwise the same block as
/// [`decode_block`], with `*pos` after it.
#[inline]
pub(crate) fn fast_block<'a>(
    buf: &'a [u8],
    pos: &mut usize,
    allowed: u64,
    repeatable: u64,
) -> Option<Properties<'a>> {
    let at = *pos;
    let vbi = super::primitives::minimal_vbi(buf.get(at..)?)?;
    let (body, len) = (at + vbi.len, vbi.value as usize);
    let block = buf.get(body..body + len)?;
    let mut b = block;
    let mut seen = 0u64;
    while let Some((&id, rest)) = b.split_first() {
        // A one-byte identifier below 64 (longer or larger ones are unknown).
        if id >= 64 || allowed & (1 << id) == 0 {
            return None;
        }
        let bit = 1u64 << id;
        if seen & bit & !repeatable != 0 {
            return None;
        }
        seen |= bit;
        b = match TYPE_OF[usize::from(id)]? {
            PropertyType::Byte => {
                let (&v, rest) = rest.split_first()?;
                if VALUE_CHECKED & bit != 0 && !value_ok(id, v.into()) {
                    return None;
                }
                rest
            }
            PropertyType::TwoByte => {
                let (v, rest) = rest.split_first_chunk::<2>()?;
                if VALUE_CHECKED & bit != 0 && !value_ok(id, u16::from_be_bytes(*v).into()) {
                    return None;
                }
                rest
            }
            PropertyType::FourByte => {
                let (v, rest) = rest.split_first_chunk::<4>()?;
                if VALUE_CHECKED & bit != 0 && !value_ok(id, u32::from_be_bytes(*v)) {
                    return None;
                }
                rest
            }
            PropertyType::Vbi => match super::primitives::vbi(rest) {
                Ok((rest, v)) if v.is_minimal() && value_ok(id, v.value) => rest,
                _ => return None,
            },
            PropertyType::Str => {
                let (s, rest) = fast_prefixed(rest)?;
                let flags = super::cursor::scan(s);
                if flags & super::cursor::NOT_PRINTABLE != 0 && !super::cursor::utf8_clean_slow(s) {
                    return None;
                }
                if id == PropertyId::RESPONSE_TOPIC.0 as u8 && flags & super::cursor::WILDCARD != 0
                {
                    return None;
                }
                rest
            }
            PropertyType::Binary => fast_prefixed(rest)?.1,
            PropertyType::StrPair => {
                let (k, rest) = fast_prefixed(rest)?;
                let (v, rest) = fast_prefixed(rest)?;
                if !super::cursor::utf8_clean(k) || !super::cursor::utf8_clean(v) {
                    return None;
                }
                rest
            }
        };
    }
    if seen & bit(PropertyId::AUTHENTICATION_DATA) != 0
        && seen & bit(PropertyId::AUTHENTICATION_METHOD) == 0
    {
        return None;
    }
    *pos = body + len;
    Some(Properties::wire(block, seen))
}

/// Two-byte length and that many bytes: (the bytes, what follows).
#[inline(always)]
fn fast_prefixed(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let (n, rest) = b.split_first_chunk::<2>()?;
    let n = usize::from(u16::from_be_bytes(*n));
    (rest.len() >= n).then(|| rest.split_at(n))
}

/// Decodes a property block: the Property Length, then properties until exactly that many
/// bytes are used. A property can never read past its block. `place` is the packet type's
/// bit, or [`WILL`].
pub(crate) fn decode_block<'a>(
    cx: &mut Cx<'a>,
    block: &'static FieldDef,
    place: Places,
    place_name: &'static str,
) -> Res<Properties<'a>> {
    let start = cx.pos;
    cx.open(block);
    let len = match cx.vbi(&fields::PROPERTY_LENGTH) {
        Ok(v) => v.value as usize,
        Err(stop) => {
            cx.close();
            return Err(stop);
        }
    };
    let body = cx.pos;
    let outer_end = cx.end;
    let mut block_end = body.saturating_add(len);
    if block_end > outer_end {
        if outer_end == cx.buf.len() && cx.truncated() {
            // The input was cut short (reported at the Remaining Length): decode the
            // properties that are there.
            block_end = outer_end;
        } else {
            // Where the properties end is unknown: reading on would take payload bytes
            // for properties and report nonsense. Show the rest as undecoded.
            cx.diag(
                &diag::FIELD_OVERRUN,
                start,
                body - start,
                Some(&fields::PROPERTY_LENGTH),
                format!(
                    "Property Length {len} runs past the end of the packet ({} byte(s) left); \
                     the rest of the packet cannot be decoded",
                    outer_end - body
                ),
            );
            cx.close();
            super::decode::undecoded(cx, body);
            return Err(super::cursor::Stop);
        }
    }
    cx.end = block_end;
    let mut found = Found {
        end: body,
        seen: 0,
        repeated: false,
    };
    let result = decode_properties(cx, &mut found, place, place_name);
    cx.end = outer_end;
    if result.is_err() {
        // The block length is known: skip what could not be decoded and go on after it.
        cx.pos = block_end;
    }
    cx.close();
    let props = Properties::wire(&cx.buf[body..found.end], found.seen);
    check_block(cx, &props, &found, start, place);
    if block_end < body + len {
        return Err(super::cursor::Stop);
    }
    Ok(props)
}

/// What the properties decoded whole so far are: where they end, which identifiers they
/// have, and whether one that may not repeat did.
struct Found {
    end: usize,
    seen: u64,
    repeated: bool,
}

fn decode_properties(
    cx: &mut Cx<'_>,
    found: &mut Found,
    place: Places,
    place_name: &'static str,
) -> Res<()> {
    // A PUBLISH carries one Subscription Identifier per matching subscription.
    let publish = place == at(PacketType::PUBLISH);
    while !cx.at_end() {
        let at = cx.pos;
        let id = cx.vbi_raw(&fields::PROPERTY_ID)?;
        let pid = PropertyId(id.value);
        let Some(def) = pid.def() else {
            let rest_len = cx.left();
            cx.diag(
                &diag::PROPERTY_UNKNOWN,
                at,
                id.len,
                Some(&fields::PROPERTY_UNKNOWN),
                format!(
                    "unknown property identifier 0x{:02X} ({}): its length is unknown, so the \
                     remaining {rest_len} byte(s) of the property block cannot be decoded",
                    id.value, id.value
                ),
            );
            let rest = cx.rest();
            cx.leaf(
                &fields::PROPERTY_UNKNOWN,
                at,
                cx.pos - at,
                Value::Bytes(rest),
            );
            cx.meaning(|| {
                Some(Meaning::name(format!(
                    "Unknown property 0x{:02X}",
                    id.value
                )))
            });
            return Err(super::cursor::Stop);
        };
        let tree = cx.tree.is_some();
        if tree {
            cx.open_at(def.field, at, Value::None);
            cx.leaf(
                &fields::PROPERTY_ID,
                at,
                id.len,
                Value::UInt(id.value.into()),
            );
            cx.meaning(|| Some(Meaning::name(def.name)));
        }
        let value = decode_value(cx, def);
        match value {
            Ok(v) => {
                if tree {
                    cx.set_open_value(tree_value(&v));
                    cx.close();
                }
                if place & def.places == 0 {
                    cx.diag(
                        &diag::PROPERTY_NOT_ALLOWED,
                        at,
                        cx.pos - at,
                        Some(def.field),
                        format!(
                            "{} (0x{:02X}) is not allowed in {place_name}",
                            def.name, def.id.0
                        ),
                    );
                }
                check_value(cx, def, &v, at);
                let b = bit(pid);
                let repeatable = pid == PropertyId::USER_PROPERTY
                    || (pid == PropertyId::SUBSCRIPTION_IDENTIFIER && publish);
                found.repeated |= found.seen & b != 0 && !repeatable;
                found.seen |= b;
                found.end = cx.pos;
            }
            Err(stop) => {
                if tree {
                    cx.close();
                }
                return Err(stop);
            }
        }
    }
    Ok(())
}

fn tree_value<'a>(v: &PropValue<'a>) -> Value<'a> {
    match *v {
        PropValue::Byte(x) => Value::UInt(x.into()),
        PropValue::TwoByte(x) => Value::UInt(x.into()),
        PropValue::FourByte(x) | PropValue::Vbi(x) => Value::UInt(x.into()),
        PropValue::Str(s) => Value::Str(s),
        PropValue::Binary(b) => Value::Bytes(b),
        PropValue::Pair(..) => Value::None,
    }
}

fn decode_value<'a>(cx: &mut Cx<'a>, def: &'static PropertyDef) -> Res<PropValue<'a>> {
    // The value's own node is the property node (opened by the caller), so values are
    // read raw here and shown through it.
    let f = def.field;
    Ok(match def.ty {
        PropertyType::Byte => PropValue::Byte(cx.u8_raw(f)?),
        PropertyType::TwoByte => {
            let b = cx.take(2, f)?;
            PropValue::TwoByte(u16::from_be_bytes([b[0], b[1]]))
        }
        PropertyType::FourByte => {
            let b = cx.take(4, f)?;
            PropValue::FourByte(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        }
        PropertyType::Vbi => PropValue::Vbi(cx.vbi_raw(f)?.value),
        PropertyType::Str => {
            let at = cx.pos;
            let b = cx.take(2, f)?;
            let n = usize::from(u16::from_be_bytes([b[0], b[1]]));
            cx.leaf(&fields::LENGTH, at, 2, Value::UInt(n as u64));
            let s = cx.take(n, f)?;
            cx.check_utf8(f, at + 2, s, false);
            PropValue::Str(MqttStr(s))
        }
        PropertyType::Binary => {
            let at = cx.pos;
            let b = cx.take(2, f)?;
            let n = usize::from(u16::from_be_bytes([b[0], b[1]]));
            cx.leaf(&fields::LENGTH, at, 2, Value::UInt(n as u64));
            PropValue::Binary(cx.take(n, f)?)
        }
        PropertyType::StrPair => {
            let k_at = cx.pos;
            let (k, k_scan) = cx.string_scan(&fields::USER_PROPERTY_KEY)?;
            let v_at = cx.pos;
            let (v, v_scan) = cx.string_scan(&fields::USER_PROPERTY_VALUE)?;
            // A broken pair string is reported against the pair statement too.
            if !k_scan.valid {
                cx.check_utf8(f, k_at + 2, k.0, true);
            }
            if !v_scan.valid {
                cx.check_utf8(f, v_at + 2, v.0, true);
            }
            PropValue::Pair(k, v)
        }
    })
}

/// The properties whose values [`check_value`] looks at.
const VALUE_CHECKED: u64 = BOOLEAN_PROPERTIES
    | bit(PropertyId::MAXIMUM_QOS)
    | bit(PropertyId::RECEIVE_MAXIMUM)
    | bit(PropertyId::MAXIMUM_PACKET_SIZE)
    | bit(PropertyId::TOPIC_ALIAS)
    | bit(PropertyId::SUBSCRIPTION_IDENTIFIER)
    | bit(PropertyId::RESPONSE_TOPIC);

/// Value checks that need only the property itself.
fn check_value(cx: &mut Cx<'_>, def: &'static PropertyDef, v: &PropValue<'_>, at: usize) {
    if VALUE_CHECKED & bit(def.id) == 0 {
        return;
    }
    let len = cx.pos - at;
    let f = Some(def.field);
    let n = v.as_u32();
    if BOOLEAN_PROPERTIES & bit(def.id) != 0 {
        if let Some(x) = n.filter(|&x| x > 1) {
            cx.diag(
                &diag::PROPERTY_BOOL_VALUE,
                at,
                len,
                f,
                format!("{} is {x}; only 0 or 1 are allowed", def.name),
            );
        }
    }
    match (def.id, n) {
        (PropertyId::MAXIMUM_QOS, Some(x)) if x > 1 => cx.diag(
            &diag::MAXIMUM_QOS_VALUE,
            at,
            len,
            f,
            format!("Maximum QoS is {x}; only 0 or 1 may be sent (absent means 2)"),
        ),
        (PropertyId::RECEIVE_MAXIMUM, Some(0)) => cx.diag(
            &diag::RECEIVE_MAXIMUM_ZERO,
            at,
            len,
            f,
            "Receive Maximum 0 is a Protocol Error".into(),
        ),
        (PropertyId::MAXIMUM_PACKET_SIZE, Some(0)) => cx.diag(
            &diag::MAXIMUM_PACKET_SIZE_ZERO,
            at,
            len,
            f,
            "Maximum Packet Size 0 is a Protocol Error".into(),
        ),
        (PropertyId::TOPIC_ALIAS, Some(0)) => cx.diag(
            &diag::TOPIC_ALIAS_ZERO,
            at,
            len,
            f,
            "Topic Alias 0 is not permitted".into(),
        ),
        (PropertyId::SUBSCRIPTION_IDENTIFIER, Some(0)) => cx.diag(
            &diag::SUBSCRIPTION_ID_ZERO,
            at,
            len,
            f,
            "Subscription Identifier 0 is a Protocol Error".into(),
        ),
        _ => {}
    }
    if def.id == PropertyId::RESPONSE_TOPIC {
        if let Some(s) = v.as_str() {
            if s.0.iter().any(|&b| b == b'+' || b == b'#') {
                cx.diag(
                    &diag::RESPONSE_TOPIC_WILDCARD,
                    at,
                    len,
                    f,
                    format!("Response Topic \"{s}\" contains a wildcard (+ or #)"),
                );
            }
        }
    }
}

/// Checks over the whole block: duplicates and Authentication Data without a method.
fn check_block(
    cx: &mut Cx<'_>,
    props: &Properties<'_>,
    found: &Found,
    start: usize,
    place: Places,
) {
    let span = cx.pos - start;
    if found.repeated {
        duplicates(cx, props, start, span, place);
    }
    if found.seen & bit(PropertyId::AUTHENTICATION_DATA) != 0
        && found.seen & bit(PropertyId::AUTHENTICATION_METHOD) == 0
    {
        cx.diag(
            &diag::AUTH_DATA_WITHOUT_METHOD,
            start,
            span,
            Some(&fields::P_AUTHENTICATION_DATA),
            "Authentication Data without Authentication Method is a Protocol Error".into(),
        );
    }
}

/// One finding per repeat of a property that may appear once (the rare case: decoding
/// only notes that there is one).
fn duplicates(cx: &mut Cx<'_>, props: &Properties<'_>, start: usize, span: usize, place: Places) {
    let mut seen: u64 = 0;
    for p in props.iter() {
        let repeatable = p.id == PropertyId::USER_PROPERTY
            || (p.id == PropertyId::SUBSCRIPTION_IDENTIFIER && place == at(PacketType::PUBLISH));
        let again = seen & bit(p.id) != 0;
        seen |= bit(p.id);
        if again && !repeatable {
            let name = p.id.name();
            cx.diag(
                &diag::PROPERTY_DUPLICATE,
                start,
                span,
                p.id.def().map(|d| d.field),
                format!("{name} appears more than once; only User Property may repeat"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_seven_properties_with_unique_ids_and_fields() {
        assert_eq!(PROPERTIES.len(), 27);
        assert!(
            PROPERTIES.windows(2).all(|w| w[0].id < w[1].id),
            "sorted by id"
        );
        assert!(PROPERTIES.iter().all(|d| d.id.0 < 64));
        for (i, a) in PROPERTIES.iter().enumerate() {
            for b in &PROPERTIES[i + 1..] {
                assert_ne!(a.id, b.id);
                assert_ne!(a.field.id, b.field.id);
            }
        }
    }

    #[test]
    fn names_parse() {
        assert_eq!(
            PropertyId::from_name("session_expiry_interval"),
            Some(PropertyId::SESSION_EXPIRY_INTERVAL)
        );
        assert_eq!(
            PropertyId::from_name("Topic Alias"),
            Some(PropertyId::TOPIC_ALIAS)
        );
        assert_eq!(
            PropertyId::from_name("0x26"),
            Some(PropertyId::USER_PROPERTY)
        );
        assert_eq!(PropertyId::from_name("nope"), None);
    }
}
