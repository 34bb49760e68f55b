//! Policy documents: parsing (JSON, or the URL-encoded JSON that IAM APIs return) into the
//! statement model of [`super::statement`], first with the streaming parser of
//! [`super::fast_parse`], then, for what it declines, element by element from a JSON value.
//!
//! A malformed document is a [`ParseError`] naming the JSON path
//! (`Statement[2].Condition.StringLike: expected an object`); parsing never panics.

use serde_json::{Map, Value};

use super::condition::parse_conditions;
pub use super::parse_error::ParseError;
use super::parse_error::string_or_array;
use super::principal::Principals;
use super::statement::assemble_statement;
pub use super::statement::{
    ActionBlock, ActionPattern, Effect, Policy, PolicyDocument, PrincipalBlock, ResourceBlock,
    ResourcePattern, Statement,
};

impl PolicyDocument {
    /// Parses a document given as JSON text or as URL-encoded JSON (as IAM's
    /// GetAccountAuthorizationDetails and GetRolePolicy return it).
    pub fn parse(text: &str) -> Result<PolicyDocument, ParseError> {
        let trimmed = text.trim();
        let decoded;
        let json = if !trimmed.starts_with('{') && trimmed.contains('%') {
            decoded = percent_encoding::percent_decode_str(trimmed)
                .decode_utf8()
                .map_err(|err| {
                    ParseError::new("", format!("URL-encoded document is not UTF-8: {err}"))
                })?;
            decoded.as_ref()
        } else {
            trimmed
        };
        if let Some(document) = super::fast_parse::parse_fast(json) {
            return Ok(document);
        }
        let value: Value = serde_json::from_str(json).map_err(|err| {
            ParseError::new(
                "",
                format!(
                    "not valid JSON (line {}, column {}): {err}",
                    err.line(),
                    err.column()
                ),
            )
        })?;
        Self::from_value(&value)
    }

    /// Parses an already-decoded JSON value.
    pub fn from_value(value: &Value) -> Result<PolicyDocument, ParseError> {
        let Value::Object(object) = value else {
            return Err(ParseError::new(
                "",
                "a policy document must be a JSON object",
            ));
        };
        for key in object.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                return Err(ParseError::new(key, "unknown top-level element"));
            }
        }
        let version = optional_string(object, "Version", "Version")?;
        if let Some(version) = &version
            && version != "2012-10-17"
            && version != "2008-10-17"
        {
            return Err(ParseError::new(
                "Version",
                format!("unsupported version {version:?} (expected \"2012-10-17\")"),
            ));
        }
        // Policy variables exist only in the 2012-10-17 language; elsewhere `${…}` is text.
        let version_2012 = version.as_deref() == Some("2012-10-17");
        let id = optional_string(object, "Id", "Id")?;
        let statements = match object.get("Statement") {
            None => return Err(ParseError::new("Statement", "missing")),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    parse_statement(item, index, &format!("Statement[{index}]"), version_2012)
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(item @ Value::Object(_)) => {
                vec![parse_statement(item, 0, "Statement", version_2012)?]
            }
            Some(_) => {
                return Err(ParseError::new(
                    "Statement",
                    "expected an object or an array of objects",
                ));
            }
        };
        Ok(PolicyDocument {
            version,
            id,
            statements,
        })
    }

    /// True when `${…}` policy variables are active (Version 2012-10-17).
    pub fn variables_enabled(&self) -> bool {
        self.version.as_deref() == Some("2012-10-17")
    }
}

const STATEMENT_ELEMENTS: [&str; 9] = [
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

fn parse_statement(
    value: &Value,
    index: usize,
    path: &str,
    version_2012: bool,
) -> Result<Statement, ParseError> {
    let Value::Object(object) = value else {
        return Err(ParseError::new(path, "expected an object"));
    };
    for key in object.keys() {
        if !STATEMENT_ELEMENTS.contains(&key.as_str()) {
            return Err(ParseError::new(
                &format!("{path}.{key}"),
                "unknown statement element",
            ));
        }
    }
    let sid = optional_string(object, "Sid", &format!("{path}.Sid"))?;
    let effect = match object.get("Effect") {
        Some(Value::String(effect)) if effect == "Allow" => Effect::Allow,
        Some(Value::String(effect)) if effect == "Deny" => Effect::Deny,
        Some(other) => {
            return Err(ParseError::new(
                &format!("{path}.Effect"),
                format!("expected \"Allow\" or \"Deny\", found {other}"),
            ));
        }
        None => return Err(ParseError::new(&format!("{path}.Effect"), "missing")),
    };
    let actions = exclusive_pair(object, path, "Action", "NotAction")?
        .ok_or_else(|| ParseError::new(path, "needs Action or NotAction"))?;
    let resources = exclusive_pair(object, path, "Resource", "NotResource")?;
    let principal = match (object.get("Principal"), object.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err(ParseError::new(path, "has both Principal and NotPrincipal"));
        }
        (Some(value), None) => Some(PrincipalBlock {
            negated: false,
            principals: Principals::parse(value, &format!("{path}.Principal"))?,
        }),
        (None, Some(value)) => Some(PrincipalBlock {
            negated: true,
            principals: Principals::parse(value, &format!("{path}.NotPrincipal"))?,
        }),
        (None, None) => None,
    };
    let conditions = match object.get("Condition") {
        Some(value) => parse_conditions(value, &format!("{path}.Condition"), version_2012)?,
        None => Vec::new(),
    };
    Ok(assemble_statement(
        index,
        sid,
        effect,
        actions,
        resources,
        principal,
        conditions,
        version_2012,
    ))
}

/// Reads `positive` or `negative` (e.g. `Action`/`NotAction`), never both.
fn exclusive_pair(
    object: &Map<String, Value>,
    path: &str,
    positive: &str,
    negative: &str,
) -> Result<Option<(bool, Vec<String>)>, ParseError> {
    match (object.get(positive), object.get(negative)) {
        (Some(_), Some(_)) => Err(ParseError::new(
            path,
            format!("has both {positive} and {negative}"),
        )),
        (Some(value), None) => Ok(Some((
            false,
            string_or_array(value, &format!("{path}.{positive}"))?,
        ))),
        (None, Some(value)) => Ok(Some((
            true,
            string_or_array(value, &format!("{path}.{negative}"))?,
        ))),
        (None, None) => Ok(None),
    }
}

fn optional_string(
    object: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<String>, ParseError> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ParseError::new(path, "expected a string")),
    }
}

#[cfg(test)]
#[path = "document_tests.rs"]
mod tests;
