//! MQTT 5 properties given as `NAME=VALUE` (build) or as JSON field values (encode), parsed by
//! the property's data type from the registry.

use super::{parse_number, CliError};
use mqtt_dissect::codec::property::{PropertyDef, PropertyType, PROPERTIES};
use mqtt_dissect::codec::{MqttStr, PropValue, Properties, Property, PropertyId};

/// A property value that owns its bytes (a [`PropValue`] borrows them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnedValue {
    /// Any integer type; range-checked against the property's type on conversion.
    Int(u64),
    /// A string or binary value.
    Bytes(Vec<u8>),
    /// A User Property.
    Pair(Vec<u8>, Vec<u8>),
}

/// One property, owned.
#[derive(Clone, Debug)]
pub struct OwnedProperty {
    pub def: &'static PropertyDef,
    pub value: OwnedValue,
}

/// The registered property whose tree field id is `field` (`property.topic_alias`).
pub fn def_by_field(field: &str) -> Option<&'static PropertyDef> {
    PROPERTIES.iter().find(|d| d.field.id == field)
}

fn def_by_name(name: &str) -> Result<&'static PropertyDef, CliError> {
    PropertyId::from_name(name)
        .and_then(PropertyId::def)
        .ok_or_else(|| {
            let names: Vec<String> = PROPERTIES
                .iter()
                .map(|d| d.field.id.trim_start_matches("property.").to_string())
                .collect();
            CliError::Usage(format!(
                "--property: unknown property '{name}'; known: {}",
                names.join(", ")
            ))
        })
}

/// Parses `NAME=VALUE` (`user_property=key=value`; binary values as text or `hex:0a0b`).
pub fn parse(arg: &str) -> Result<OwnedProperty, CliError> {
    let (name, value) = arg
        .split_once('=')
        .ok_or_else(|| CliError::Usage(format!("--property '{arg}': write NAME=VALUE")))?;
    let def = def_by_name(name.trim())?;
    let bad = |why: String| CliError::Usage(format!("--property {}: {why}", def.field.id));
    let value = match def.ty {
        PropertyType::Byte | PropertyType::TwoByte | PropertyType::FourByte | PropertyType::Vbi => {
            OwnedValue::Int(
                parse_number(value).ok_or_else(|| bad(format!("'{value}' is not a number")))?,
            )
        }
        PropertyType::Str => OwnedValue::Bytes(value.as_bytes().to_vec()),
        PropertyType::Binary => match value.strip_prefix("hex:") {
            Some(h) => OwnedValue::Bytes(
                hex::decode(h.replace(' ', ""))
                    .map_err(|e| bad(format!("'{h}' is not hex: {e}")))?,
            ),
            None => OwnedValue::Bytes(value.as_bytes().to_vec()),
        },
        PropertyType::StrPair => {
            let (k, v) = value
                .split_once('=')
                .ok_or_else(|| bad(format!("'{value}': write user_property=KEY=VALUE")))?;
            OwnedValue::Pair(k.as_bytes().to_vec(), v.as_bytes().to_vec())
        }
    };
    Ok(OwnedProperty { def, value })
}

/// Borrows owned properties as a codec [`Properties`] block, checking integer ranges.
/// Errors name the property's field id.
pub fn borrow(list: &[OwnedProperty]) -> Result<Properties<'_>, String> {
    let mut out = Properties::new();
    for p in list {
        let field = p.def.field.id;
        let int = |max: u64| -> Result<u64, String> {
            match &p.value {
                OwnedValue::Int(v) if *v <= max => Ok(*v),
                OwnedValue::Int(v) => Err(format!("{field}: {v} is larger than {max}")),
                _ => Err(format!("{field}: needs a number")),
            }
        };
        let value = match p.def.ty {
            PropertyType::Byte => PropValue::Byte(int(0xff)? as u8),
            PropertyType::TwoByte => PropValue::TwoByte(int(0xffff)? as u16),
            PropertyType::FourByte => PropValue::FourByte(int(0xffff_ffff)? as u32),
            PropertyType::Vbi => PropValue::Vbi(int(268_435_455)? as u32),
            PropertyType::Str => match &p.value {
                OwnedValue::Bytes(b) => PropValue::Str(MqttStr(b)),
                _ => return Err(format!("{field}: needs a string")),
            },
            PropertyType::Binary => match &p.value {
                OwnedValue::Bytes(b) => PropValue::Binary(b),
                _ => return Err(format!("{field}: needs binary data")),
            },
            PropertyType::StrPair => match &p.value {
                OwnedValue::Pair(k, v) => PropValue::Pair(MqttStr(k), MqttStr(v)),
                _ => return Err(format!("{field}: needs a key and a value")),
            },
        };
        out.push(Property {
            id: p.def.id,
            value,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_by_type() {
        let p = parse("session_expiry_interval=60").ok();
        assert_eq!(p.map(|p| p.value), Some(OwnedValue::Int(60)));
        let p = parse("user_property=k=v=w").ok();
        assert_eq!(
            p.map(|p| p.value),
            Some(OwnedValue::Pair(b"k".to_vec(), b"v=w".to_vec()))
        );
        let p = parse("correlation_data=hex:0a0b").ok();
        assert_eq!(p.map(|p| p.value), Some(OwnedValue::Bytes(vec![10, 11])));
        assert!(parse("nope=1").is_err());
        let big = parse("receive_maximum=70000").ok().map(|p| vec![p]);
        assert!(borrow(big.as_deref().unwrap_or(&[])).is_err());
    }
}
