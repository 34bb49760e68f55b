//! A policy document as it was collected: the exact JSON text (an object, or a string
//! holding URL-encoded JSON as IAM returns it). Kept as text rather than a parsed
//! `serde_json::Value` tree: loading a large snapshot then only validates and slices
//! (roughly a sixth of the memory of a `Value` tree), and the analysis parses each
//! document once, in parallel, straight into the policy engine's model.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::policy::{ParseError, PolicyDocument};

#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PolicyText(Box<RawValue>);

impl PolicyText {
    /// The JSON text as stored.
    pub fn as_json(&self) -> &str {
        self.0.get()
    }

    /// Parses the document (an object, or a string holding JSON or URL-encoded JSON).
    pub fn parse(&self) -> Result<PolicyDocument, ParseError> {
        let raw = self.0.get().trim_start();
        if raw.starts_with('"') {
            let text: String = serde_json::from_str(raw)
                .map_err(|err| ParseError::new("", format!("not a JSON string: {err}")))?;
            return PolicyDocument::parse(&text);
        }
        PolicyDocument::parse(raw)
    }

    /// The document as a JSON value (for code that inspects it generically).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.0.get()).unwrap_or(Value::Null)
    }
}

impl From<Value> for PolicyText {
    fn from(value: Value) -> Self {
        // A `Value` always serialises to valid JSON, so this cannot fail.
        let text = serde_json::to_string(&value).unwrap_or_else(|_| "null".to_owned());
        PolicyText(RawValue::from_string(text).unwrap_or_else(|_| {
            RawValue::from_string("null".to_owned()).expect("`null` is valid JSON")
        }))
    }
}

impl From<&str> for PolicyText {
    /// A document given as text; text that is not JSON is kept as a JSON string.
    fn from(text: &str) -> Self {
        match RawValue::from_string(text.to_owned()) {
            Ok(raw) => PolicyText(raw),
            Err(_) => PolicyText::from(Value::String(text.to_owned())),
        }
    }
}

impl fmt::Debug for PolicyText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PolicyText({})", self.0.get())
    }
}

impl PartialEq for PolicyText {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_objects_and_url_encoded_strings() {
        let object: PolicyText =
            serde_json::from_str(r#"{"Version":"2012-10-17","Statement":[]}"#).unwrap();
        assert!(object.parse().unwrap().statements.is_empty());
        let encoded: PolicyText = serde_json::from_str(
            r#""%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D""#,
        )
        .unwrap();
        assert!(encoded.parse().unwrap().statements.is_empty());
        let broken: PolicyText = serde_json::from_str(r#"{"Statement": 3}"#).unwrap();
        assert_eq!(broken.parse().unwrap_err().path, "Statement");
    }

    #[test]
    fn round_trips_exactly() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        let parsed: PolicyText = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&parsed).unwrap(), text);
        let from_value = PolicyText::from(json!({"a": 1}));
        assert_eq!(from_value.as_json(), r#"{"a":1}"#);
        assert_eq!(from_value.to_value(), json!({"a": 1}));
    }
}
