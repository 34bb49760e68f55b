//! The `Condition` element: operators of every family, `…IfExists`, the set qualifiers
//! `ForAllValues:` / `ForAnyValue:`, parsing with JSON paths, and evaluation against a
//! request context.
//!
//! Semantics (IAM User Guide, "Condition operators" and "Single-valued vs. multivalued
//! context keys"):
//! - Several operators in a block, and several keys under one operator, are ANDed; several
//!   values for one key are ORed. For negated operators (`StringNotEquals`, `NotIpAddress`,
//!   …) the request value must match *none* of the values.
//! - A key absent from the request makes a condition false, except: negated operators are
//!   true, `…IfExists` is true, `ForAllValues:` is true, and `Null` tests absence itself.
//! - `ForAnyValue:` is true when some request value satisfies the operator; `ForAllValues:`
//!   when every request value does. Without a qualifier a multi-valued key behaves as
//!   `ForAnyValue:` (positive) or as "no request value matches" (negated).
//! - Policy variables are substituted in string and ARN operator values only.
//! - An unknown operator is a parse error, never a silent match.

use std::net::IpAddr;

use serde_json::Value;

use super::context::{ContextValue, RequestContext, ValueList};
use super::parse_error::ParseError;
use super::truth::Truth;
use super::variables::{Resolved, Template};
use super::wildcard::{Flavour, Wildcard};

/// The operator families, named as in policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const OPERATORS: [(&str, BaseOperator); 27] = [
    ("StringEquals", BaseOperator::StringEquals),
    ("StringNotEquals", BaseOperator::StringNotEquals),
    (
        "StringEqualsIgnoreCase",
        BaseOperator::StringEqualsIgnoreCase,
    ),
    (
        "StringNotEqualsIgnoreCase",
        BaseOperator::StringNotEqualsIgnoreCase,
    ),
    ("StringLike", BaseOperator::StringLike),
    ("StringNotLike", BaseOperator::StringNotLike),
    ("NumericEquals", BaseOperator::NumericEquals),
    ("NumericNotEquals", BaseOperator::NumericNotEquals),
    ("NumericLessThan", BaseOperator::NumericLessThan),
    ("NumericLessThanEquals", BaseOperator::NumericLessThanEquals),
    ("NumericGreaterThan", BaseOperator::NumericGreaterThan),
    (
        "NumericGreaterThanEquals",
        BaseOperator::NumericGreaterThanEquals,
    ),
    ("DateEquals", BaseOperator::DateEquals),
    ("DateNotEquals", BaseOperator::DateNotEquals),
    ("DateLessThan", BaseOperator::DateLessThan),
    ("DateLessThanEquals", BaseOperator::DateLessThanEquals),
    ("DateGreaterThan", BaseOperator::DateGreaterThan),
    ("DateGreaterThanEquals", BaseOperator::DateGreaterThanEquals),
    ("Bool", BaseOperator::Bool),
    ("BinaryEquals", BaseOperator::BinaryEquals),
    ("IpAddress", BaseOperator::IpAddress),
    ("NotIpAddress", BaseOperator::NotIpAddress),
    ("ArnEquals", BaseOperator::ArnEquals),
    ("ArnLike", BaseOperator::ArnLike),
    ("ArnNotEquals", BaseOperator::ArnNotEquals),
    ("ArnNotLike", BaseOperator::ArnNotLike),
    ("Null", BaseOperator::Null),
];

impl BaseOperator {
    /// The operator's name as written in policies.
    pub fn name(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(_, op)| *op == self)
            .map(|(name, _)| *name)
            .unwrap_or("?")
    }

    /// True for operators that are satisfied when the value matches none of the values.
    pub fn is_negated(self) -> bool {
        use BaseOperator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    fn supports_variables(self) -> bool {
        use BaseOperator::*;
        matches!(
            self,
            StringEquals
                | StringNotEquals
                | StringEqualsIgnoreCase
                | StringNotEqualsIgnoreCase
                | StringLike
                | StringNotLike
                | ArnEquals
                | ArnLike
                | ArnNotEquals
                | ArnNotLike
        )
    }
}

/// `ForAllValues:` / `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    ForAllValues,
    ForAnyValue,
}

/// A full operator: qualifier, family, `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    pub qualifier: Option<SetQualifier>,
    pub base: BaseOperator,
    pub if_exists: bool,
}

impl Operator {
    /// Parses an operator name such as `ForAnyValue:StringLikeIfExists`.
    pub fn parse(name: &str) -> Option<Operator> {
        let (qualifier, rest) = match name.split_once(':') {
            Some((prefix, rest)) if prefix.eq_ignore_ascii_case("ForAllValues") => {
                (Some(SetQualifier::ForAllValues), rest)
            }
            Some((prefix, rest)) if prefix.eq_ignore_ascii_case("ForAnyValue") => {
                (Some(SetQualifier::ForAnyValue), rest)
            }
            Some(_) => return None,
            None => (None, name),
        };
        let lookup = |text: &str| {
            OPERATORS
                .iter()
                .find(|(op_name, _)| op_name.eq_ignore_ascii_case(text))
                .map(|(_, op)| *op)
        };
        if let Some(base) = lookup(rest) {
            return Some(Operator {
                qualifier,
                base,
                if_exists: false,
            });
        }
        let stem_len = rest.len().checked_sub("IfExists".len())?;
        let (stem, suffix) = rest.split_at_checked(stem_len)?;
        if !suffix.eq_ignore_ascii_case("IfExists") {
            return None;
        }
        let base = lookup(stem).filter(|base| *base != BaseOperator::Null)?;
        Some(Operator {
            qualifier,
            base,
            if_exists: true,
        })
    }

    /// The operator as written in policies.
    pub fn name(&self) -> String {
        let qualifier = match self.qualifier {
            Some(SetQualifier::ForAllValues) => "ForAllValues:",
            Some(SetQualifier::ForAnyValue) => "ForAnyValue:",
            None => "",
        };
        let suffix = if self.if_exists { "IfExists" } else { "" };
        format!("{qualifier}{}{suffix}", self.base.name())
    }
}

/// One policy value, pre-compiled for its operator.
#[derive(Debug, Clone, PartialEq)]
enum CompiledValue {
    Text(String),
    Pattern(Wildcard),
    Arn(ArnPattern),
    Number(f64),
    Date(i64),
    Cidr(Cidr),
    Bool(bool),
    /// Holds policy variables: resolved per request.
    Template(Template),
}

/// One condition: operator, key, values.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub operator: Operator,
    /// The key as written.
    pub key: String,
    lower_key: String,
    /// The values as written (normalised to strings).
    pub values: Vec<String>,
    compiled: Vec<CompiledValue>,
}

#[cfg(test)]
#[path = "condition_tests.rs"]
mod tests;

impl Condition {
    /// Compiles one condition; an invalid value is reported as (value index, message).
    pub(crate) fn build(
        operator: Operator,
        key: &str,
        values: Vec<String>,
        version_2012: bool,
    ) -> Result<Condition, (usize, String)> {
        let compiled = values
            .iter()
            .enumerate()
            .map(|(index, raw)| {
                compile_value(operator.base, raw, version_2012).map_err(|m| (index, m))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Condition {
            operator,
            key: key.to_owned(),
            lower_key: key.to_ascii_lowercase(),
            values,
            compiled,
        })
    }

    /// The key, lower-case.
    pub fn lower_key(&self) -> &str {
        &self.lower_key
    }

    /// The context keys this condition reads: its key and any policy variables.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        let variable_keys = self.compiled.iter().flat_map(|value| match value {
            CompiledValue::Template(template) => template.keys().collect::<Vec<_>>(),
            _ => Vec::new(),
        });
        std::iter::once(self.lower_key.as_str()).chain(variable_keys)
    }

    /// Evaluates the condition against the request.
    pub fn evaluate(&self, context: &RequestContext) -> Truth {
        let operator = self.operator;
        let found = context.get(&self.lower_key);
        if operator.base == BaseOperator::Null {
            return self.evaluate_null(found);
        }
        // A value whose policy variable cannot be resolved makes the statement invalid
        // (IAM User Guide, "Policy variables"): the condition does not hold, even under
        // a negated operator, so an Allow never grants on it.
        if self.has_unresolvable_value(context) {
            return Truth::No;
        }
        let present = match found {
            ContextValue::Unknown => return Truth::depends(&self.lower_key),
            ContextValue::Absent => None,
            other => other.values().filter(|values| !values.is_empty()),
        };
        let Some(request_values) = present else {
            let absent_result = operator.if_exists
                || operator.qualifier == Some(SetQualifier::ForAllValues)
                || (operator.base.is_negated() && operator.qualifier.is_none());
            return Truth::from(absent_result);
        };
        match operator.qualifier {
            Some(SetQualifier::ForAllValues) => Truth::all(
                request_values
                    .iter()
                    .map(|value| self.value_satisfies(value, context)),
            ),
            Some(SetQualifier::ForAnyValue) => Truth::any(
                request_values
                    .iter()
                    .map(|value| self.value_satisfies(value, context)),
            ),
            None => self.evaluate_unqualified(request_values, context),
        }
    }

    fn has_unresolvable_value(&self, context: &RequestContext) -> bool {
        self.compiled.iter().any(|value| {
            matches!(value, CompiledValue::Template(template)
                if template.resolve(context) == Resolved::Unresolvable)
        })
    }

    /// Without a qualifier: positive operators need one request value to match one policy
    /// value; negated operators need no request value to match any policy value.
    fn evaluate_unqualified(&self, values: ValueList<'_>, context: &RequestContext) -> Truth {
        let any_match = Truth::any(values.iter().map(|value| self.matches_any(value, context)));
        if self.operator.base.is_negated() {
            any_match.not()
        } else {
            any_match
        }
    }

    /// Whether one request value satisfies the operator (for negated operators: matches
    /// none of the policy values).
    fn value_satisfies(&self, value: &str, context: &RequestContext) -> Truth {
        let matched = self.matches_any(value, context);
        if self.operator.base.is_negated() {
            matched.not()
        } else {
            matched
        }
    }

    /// Whether `value` matches at least one policy value under the positive form of the
    /// operator.
    fn matches_any(&self, value: &str, context: &RequestContext) -> Truth {
        Truth::any(
            self.compiled
                .iter()
                .map(|policy_value| self.matches_one(policy_value, value, context)),
        )
    }

    fn matches_one(&self, policy: &CompiledValue, value: &str, context: &RequestContext) -> Truth {
        use BaseOperator::*;
        let base = self.operator.base;
        Truth::from(match policy {
            CompiledValue::Template(template) => {
                let resolved = template.resolve(context);
                let text = match &resolved {
                    Resolved::Unknown(key) => return Truth::depends(key),
                    Resolved::Unresolvable => return Truth::No,
                    Resolved::Value { text, .. } => text,
                };
                let compiled = match base {
                    StringLike | StringNotLike => match resolved.to_wildcard(Flavour::Plain) {
                        Some(pattern) => CompiledValue::Pattern(pattern),
                        None => return Truth::No,
                    },
                    ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => {
                        CompiledValue::Arn(ArnPattern::compile(text))
                    }
                    _ => CompiledValue::Text(text.clone()),
                };
                return self.matches_one(&compiled, value, context);
            }
            CompiledValue::Text(text) => match base {
                StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
                    text.to_lowercase() == value.to_lowercase()
                }
                _ => text == value,
            },
            CompiledValue::Pattern(pattern) => pattern.matches(value),
            CompiledValue::Arn(pattern) => pattern.matches(value),
            CompiledValue::Bool(expected) => {
                parse_bool(value).is_some_and(|actual| actual == *expected)
            }
            CompiledValue::Number(expected) => {
                value.trim().parse::<f64>().is_ok_and(|actual| match base {
                    NumericEquals | NumericNotEquals => actual == *expected,
                    NumericLessThan => actual < *expected,
                    NumericLessThanEquals => actual <= *expected,
                    NumericGreaterThan => actual > *expected,
                    NumericGreaterThanEquals => actual >= *expected,
                    _ => false,
                })
            }
            CompiledValue::Date(expected) => parse_date(value).is_some_and(|actual| match base {
                DateEquals | DateNotEquals => actual == *expected,
                DateLessThan => actual < *expected,
                DateLessThanEquals => actual <= *expected,
                DateGreaterThan => actual > *expected,
                DateGreaterThanEquals => actual >= *expected,
                _ => false,
            }),
            CompiledValue::Cidr(cidr) => value
                .trim()
                .parse::<IpAddr>()
                .is_ok_and(|ip| cidr.contains(ip)),
        })
    }

    /// `Null`: `"true"` is satisfied when the key is absent, `"false"` when present.
    fn evaluate_null(&self, found: ContextValue<'_>) -> Truth {
        let absent = match found {
            ContextValue::Unknown => return Truth::depends(&self.lower_key),
            ContextValue::Absent => true,
            ContextValue::Multi(values) => values.is_empty(),
            ContextValue::Single(_) => false,
        };
        Truth::from(self.compiled.iter().any(|value| match value {
            CompiledValue::Bool(wants_absent) => *wants_absent == absent,
            _ => false,
        }))
    }
}

/// Parses a statement's `Condition` object. `version_2012` enables policy variables.
pub fn parse_conditions(
    value: &Value,
    path: &str,
    version_2012: bool,
) -> Result<Vec<Condition>, ParseError> {
    let Value::Object(operators) = value else {
        return Err(ParseError::new(
            path,
            "expected an object of condition operators",
        ));
    };
    let mut conditions = Vec::new();
    for (operator_name, keys) in operators {
        let operator_path = format!("{path}.{operator_name}");
        let operator = Operator::parse(operator_name)
            .ok_or_else(|| ParseError::new(&operator_path, "unknown condition operator"))?;
        let Value::Object(keys) = keys else {
            return Err(ParseError::new(&operator_path, "expected an object"));
        };
        for (key, values) in keys {
            let key_path = format!("{operator_path}.{key}");
            let values = condition_values(values, &key_path)?;
            let condition = Condition::build(operator, key, values, version_2012).map_err(
                |(index, message)| ParseError::new(&format!("{key_path}[{index}]"), message),
            )?;
            conditions.push(condition);
        }
    }
    Ok(conditions)
}

/// Condition values: a string, number or boolean, or an array of them.
fn condition_values(value: &Value, path: &str) -> Result<Vec<String>, ParseError> {
    let scalar = |value: &Value, path: &str| match value {
        Value::String(text) => Ok(text.clone()),
        Value::Number(number) => Ok(number.to_string()),
        Value::Bool(flag) => Ok(flag.to_string()),
        _ => Err(ParseError::new(
            path,
            "expected a string, number or boolean",
        )),
    };
    match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(index, item)| scalar(item, &format!("{path}[{index}]")))
            .collect(),
        other => scalar(other, path).map(|value| vec![value]),
    }
}

fn compile_value(
    base: BaseOperator,
    raw: &str,
    version_2012: bool,
) -> Result<CompiledValue, String> {
    use BaseOperator::*;
    if base.supports_variables()
        && let Some(template) = Template::parse(raw, version_2012)
    {
        return Ok(CompiledValue::Template(template));
    }
    Ok(match base {
        StringEquals
        | StringNotEquals
        | StringEqualsIgnoreCase
        | StringNotEqualsIgnoreCase
        | BinaryEquals => CompiledValue::Text(raw.to_owned()),
        StringLike | StringNotLike => {
            CompiledValue::Pattern(Wildcard::compile(raw, Flavour::Plain))
        }
        ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => {
            CompiledValue::Arn(ArnPattern::compile(raw))
        }
        NumericEquals
        | NumericNotEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => CompiledValue::Number(
            raw.trim()
                .parse()
                .map_err(|_| format!("{raw:?} is not a number"))?,
        ),
        DateEquals
        | DateNotEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => CompiledValue::Date(
            parse_date(raw)
                .ok_or_else(|| format!("{raw:?} is not an ISO 8601 date or epoch seconds"))?,
        ),
        Bool | Null => CompiledValue::Bool(
            parse_bool(raw).ok_or_else(|| format!("{raw:?} is not true or false"))?,
        ),
        IpAddress | NotIpAddress => CompiledValue::Cidr(
            Cidr::parse(raw)
                .ok_or_else(|| format!("{raw:?} is not an IP address or CIDR range"))?,
        ),
    })
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// An ARN compared component by component (`ArnEquals` and `ArnLike` behave alike: each of
/// the six `:`-separated components may use `*` and `?`, which stay inside the component).
#[derive(Debug, Clone, PartialEq)]
struct ArnPattern {
    /// `arn`, partition, service, region, account, resource (which may hold colons).
    components: Option<Box<[Wildcard; 6]>>,
    /// A value of fewer than six components matches only when it is all stars (`*`):
    /// components are compared one by one, so a short pattern cannot line up.
    all_stars: bool,
}

impl ArnPattern {
    fn compile(raw: &str) -> ArnPattern {
        let components = split_arn(raw)
            .map(|parts| Box::new(parts.map(|part| Wildcard::compile(part, Flavour::Plain))));
        ArnPattern {
            components,
            all_stars: !raw.is_empty() && raw.bytes().all(|b| b == b'*'),
        }
    }

    fn matches(&self, value: &str) -> bool {
        match (&self.components, split_arn(value)) {
            (Some(patterns), Some(parts)) => patterns
                .iter()
                .zip(parts)
                .all(|(pattern, part)| pattern.matches(part)),
            (None, _) => self.all_stars,
            (Some(_), None) => false,
        }
    }
}

/// Splits an ARN into its six components (the resource keeps any further colons).
pub fn split_arn(arn: &str) -> Option<[&str; 6]> {
    // `splitn(6, ':')` with a plain byte scan: ARNs are short, and the generic searcher's
    // per-call setup cost more than the scan (every rds-db pattern is split this way).
    let mut colons = [0usize; 5];
    let mut found = 0;
    for (position, &byte) in arn.as_bytes().iter().enumerate() {
        if byte == b':' {
            colons[found] = position;
            found += 1;
            if found == colons.len() {
                break;
            }
        }
    }
    if found < colons.len() {
        return None;
    }
    // Slicing at an ASCII `:` always falls on a character boundary.
    Some([
        &arn[..colons[0]],
        &arn[colons[0] + 1..colons[1]],
        &arn[colons[1] + 1..colons[2]],
        &arn[colons[2] + 1..colons[3]],
        &arn[colons[3] + 1..colons[4]],
        &arn[colons[4] + 1..],
    ])
}

/// An IPv4 or IPv6 network; a bare address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Option<Cidr> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix.parse::<u8>().ok()?)),
            None => (text, None),
        };
        let network: IpAddr = address.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { network, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(network), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Parses the date forms IAM accepts: ISO 8601 (`2026-01-01`, `2026-01-01T12:00:00Z`,
/// fractional seconds, `+hh:mm` offsets) or epoch seconds. Returns epoch milliseconds.
pub fn parse_date(text: &str) -> Option<i64> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let seconds: f64 = text.parse().ok()?;
        return Some((seconds * 1000.0).round() as i64);
    }
    let (date, time) = match text.split_once(['T', 't']) {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let mut date_parts = date.splitn(3, '-');
    let year: i64 = parse_digits(date_parts.next()?, 4)?;
    let month: i64 = parse_digits(date_parts.next()?, 2)?;
    let day: i64 = parse_digits(date_parts.next()?, 2)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let (millis_of_day, offset_minutes) = match time {
        None => (0, 0),
        Some(time) => parse_time(time)?,
    };
    Some(days * 86_400_000 + millis_of_day - offset_minutes * 60_000)
}

fn parse_digits(text: &str, len: usize) -> Option<i64> {
    (text.len() == len && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// `hh:mm[:ss[.fff]]` followed by `Z`, `±hh:mm`, `±hhmm` or nothing (UTC).
fn parse_time(time: &str) -> Option<(i64, i64)> {
    let zone_at = time.find(['Z', 'z', '+', '-']).unwrap_or(time.len());
    let (clock, zone) = time.split_at(zone_at);
    let mut parts = clock.splitn(3, ':');
    let hours = parse_digits(parts.next()?, 2)?;
    let minutes = parse_digits(parts.next()?, 2)?;
    let millis = match parts.next() {
        None => 0,
        Some(seconds) => {
            let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
            let whole = parse_digits(whole, 2)?;
            let fraction_ms = if fraction.is_empty() {
                0
            } else {
                if !fraction.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                format!("{fraction:0<3}")[..3].parse::<i64>().ok()?
            };
            whole * 1000 + fraction_ms
        }
    };
    if hours > 24 || minutes > 59 || millis >= 61_000 {
        return None;
    }
    let offset = match zone {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let digits = zone[1..].replace(':', "");
            let hours = parse_digits(digits.get(..2)?, 2)?;
            let minutes =
                parse_digits(digits.get(2..).filter(|m| !m.is_empty()).unwrap_or("00"), 2)?;
            sign * (hours * 60 + minutes)
        }
    };
    Some(((hours * 60 + minutes) * 60_000 + millis, offset))
}

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}
