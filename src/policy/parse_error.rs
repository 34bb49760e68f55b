//! Why a policy document did not parse: [`ParseError`], naming the JSON path of the offending
//! element, and the reader of the string-or-array fields every element parser shares. Below
//! the document, statement and condition parsers, which all report through it.

use std::fmt;

use serde_json::Value;

/// A document that could not be parsed, with the JSON path of the offending element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// JSON path such as `Statement[2].Condition.StringLike` (empty for the whole document).
    pub path: String,
    pub message: String,
}

impl ParseError {
    pub fn new(path: &str, message: impl Into<String>) -> Self {
        ParseError {
            path: path.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ParseError {}

/// A string or an array of strings, normalised to a list.
pub(crate) fn string_or_array(value: &Value, path: &str) -> Result<Vec<String>, ParseError> {
    match value {
        Value::String(text) => Ok(vec![text.clone()]),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(index, item)| match item {
                Value::String(text) => Ok(text.clone()),
                _ => Err(ParseError::new(
                    &format!("{path}[{index}]"),
                    "expected a string",
                )),
            })
            .collect(),
        _ => Err(ParseError::new(
            path,
            "expected a string or an array of strings",
        )),
    }
}
