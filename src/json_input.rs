//! JSON typed by hand (`simulate --input`): parsed strictly, as snapshots are. A UTF-8 byte
//! order mark (as some Windows editors write) is accepted; a key that appears twice in one
//! object is an error naming its JSON path (serde_json would silently keep the last one, so
//! the request evaluated would not be the one the reader sees).

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// The UTF-8 byte order mark.
const BOM: char = '\u{feff}';

/// `text` as a JSON value: BOM skipped, duplicate keys rejected (`duplicate key "Effect" at
/// $[0].policy.Statement[1]`). serde_json's own errors keep their line and column.
pub fn parse_strict(text: &str) -> Result<Value, serde_json::Error> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Checked { path: "$" }.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Deserializes one value at `path`, rejecting duplicate object keys below it.
struct Checked<'p> {
    path: &'p str,
}

impl<'de> DeserializeSeed<'de> for Checked<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checked<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let path = format!("{}[{}]", self.path, items.len());
            match seq.next_element_seed(Checked { path: &path })? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "duplicate key {key:?} at {} (each key may appear once per object)",
                    self.path
                )));
            }
            let path = format!("{}.{key}", self.path);
            let value = map.next_value_seed(Checked { path: &path })?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_rejected_with_their_path() {
        let err = parse_strict(r#"[{"a":1},{"policy":{"Effect":"Allow","Effect":"Deny"}}]"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("duplicate key \"Effect\" at $[1].policy"),
            "{err}"
        );
    }

    #[test]
    fn byte_order_mark_is_accepted() {
        let value = parse_strict("\u{feff}{\"a\": [1, 2.5, null, true]}").ok();
        assert_eq!(value, Some(serde_json::json!({"a": [1, 2.5, null, true]})));
    }
}
