//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team}`, `${key, 'default'}`,
//! and the escapes `${*}`, `${?}`, `${$}`) in Resource and condition values.
//!
//! AWS rules implemented here (IAM User Guide, "Policy variables"):
//! - Variables are only recognised in policies with `"Version": "2012-10-17"`; elsewhere
//!   `${…}` is literal text (the caller passes `enabled = false`).
//! - Key names are case-insensitive; default values keep their case and `''` inside a
//!   default stands for one `'`.
//! - A key absent from the request, or multi-valued, cannot be substituted: the value that
//!   holds the variable matches nothing (unless a default is given).
//! - `${*}`, `${?}`, `${$}` produce the literal characters, never wildcards.
//! - One round of substitution only.

use super::context::{ContextValue, RequestContext};
use super::wildcard::{Flavour, Wildcard};

/// One piece of a value that may hold policy variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePart {
    /// Text as written; `*` and `?` in it are wildcards where the operator uses them.
    Text(String),
    /// Text that is always literal (from `${*}`, `${?}`, `${$}`).
    Escaped(char),
    /// A context key to substitute; `key` is lower-case.
    Variable {
        key: String,
        default: Option<String>,
    },
}

/// A value split into text and variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub raw: String,
    pub parts: Vec<TemplatePart>,
}

/// What resolving a template against a request produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// The value, with each byte marked as wildcard-capable (`true`) or literal (`false`).
    Value {
        text: String,
        wildcard_bytes: Vec<bool>,
    },
    /// A variable's key is absent and had no default: the value matches nothing.
    Unresolvable,
    /// A variable's key is unknown to the tool (open context mode).
    Unknown(String),
}

impl Template {
    /// Splits `raw` into parts. Returns `None` when it holds no variable (the common case),
    /// so callers keep their fast, pre-compiled path.
    pub fn parse(raw: &str, enabled: bool) -> Option<Template> {
        if !enabled || !raw.contains("${") {
            return None;
        }
        let closes = ClosingBraces::of(raw);
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = raw;
        while let Some(start) = rest.find("${") {
            let after_at = raw.len() - rest.len() + start + 2;
            let Some((part, consumed)) = closes
                .after(after_at)
                .and_then(|close| parse_variable(&rest[start + 2..], close))
            else {
                // Not a well-formed variable: keep `${` literally and go on after it.
                text.push_str(&rest[..start + 2]);
                rest = &rest[start + 2..];
                continue;
            };
            text.push_str(&rest[..start]);
            if !text.is_empty() {
                parts.push(TemplatePart::Text(std::mem::take(&mut text)));
            }
            parts.push(part);
            rest = &rest[start + 2 + consumed..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            parts.push(TemplatePart::Text(text));
        }
        Some(Template {
            raw: raw.to_owned(),
            parts,
        })
    }

    /// The context keys this template reads (lower-case).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|part| match part {
            TemplatePart::Variable { key, .. } => Some(key.as_str()),
            _ => None,
        })
    }

    /// Substitutes the request's values.
    pub fn resolve(&self, context: &RequestContext) -> Resolved {
        let mut text = String::with_capacity(self.raw.len());
        let mut wildcard_bytes = Vec::with_capacity(self.raw.len());
        for part in &self.parts {
            let (piece, is_pattern) = match part {
                TemplatePart::Text(piece) => (piece.as_str(), true),
                TemplatePart::Escaped(ch) => {
                    text.push(*ch);
                    wildcard_bytes.push(false);
                    continue;
                }
                TemplatePart::Variable { key, default } => match context.get(key) {
                    ContextValue::Single(value) => (value, false),
                    ContextValue::Unknown => return Resolved::Unknown(key.clone()),
                    ContextValue::Absent | ContextValue::Multi(_) => match default {
                        Some(default) => (default.as_str(), false),
                        None => return Resolved::Unresolvable,
                    },
                },
            };
            text.push_str(piece);
            wildcard_bytes.extend(std::iter::repeat_n(is_pattern, piece.len()));
        }
        Resolved::Value {
            text,
            wildcard_bytes,
        }
    }
}

impl Resolved {
    /// Compiles the resolved value as a wildcard pattern, keeping substituted text literal.
    pub fn to_wildcard(&self, flavour: Flavour) -> Option<Wildcard> {
        match self {
            Resolved::Value {
                text,
                wildcard_bytes,
            } => Some(Wildcard::compile_masked(text, wildcard_bytes, flavour)),
            _ => None,
        }
    }
}

/// Parses what follows `${` up to the closing `}`; returns the part and bytes consumed.
fn parse_variable(after: &str, close: usize) -> Option<(TemplatePart, usize)> {
    let inner = &after[..close];
    let part = match inner {
        "*" => TemplatePart::Escaped('*'),
        "?" => TemplatePart::Escaped('?'),
        "$" => TemplatePart::Escaped('$'),
        _ => {
            let (key, default) = match inner.split_once(',') {
                None => (inner.trim(), None),
                Some((key, default)) => (key.trim(), Some(parse_default(default.trim())?)),
            };
            if key.is_empty() || key.contains(char::is_whitespace) {
                return None;
            }
            TemplatePart::Variable {
                key: key.to_ascii_lowercase(),
                default,
            }
        }
    };
    Some((part, close + 1))
}

/// Longest `${…}` read as a variable (key, default and braces). Context keys are at most a
/// few hundred bytes (a tag key is 128 characters, a tag value 256); a longer `${…}` is
/// literal text. The bound keeps parsing linear: without it, each of 100,000 unterminated
/// `${` scanned to the end of the value (11.8 s). README "Bounds".
pub const MAX_VARIABLE_BYTES: usize = 1024;

/// Where the variable opened at each position closes: the first `}` outside a quoted default,
/// found for every `${` at once in one pass from the end (a scan per `${` was quadratic:
/// 100,000 unterminated `${` took 11.8 s).
struct ClosingBraces {
    /// `quotes[k]`: `'` characters in `raw[..k]`, modulo 2.
    quotes: Vec<u8>,
    /// `next[parity][k]`: first `}` at or after `k` with that quote parity before it.
    next: [Vec<usize>; 2],
}

impl ClosingBraces {
    fn of(raw: &str) -> Self {
        let bytes = raw.as_bytes();
        let mut quotes = Vec::with_capacity(bytes.len() + 1);
        let mut parity = 0_u8;
        for &byte in bytes {
            quotes.push(parity);
            if byte == b'\'' {
                parity ^= 1;
            }
        }
        quotes.push(parity);
        let mut next = [
            vec![usize::MAX; bytes.len() + 1],
            vec![usize::MAX; bytes.len() + 1],
        ];
        for k in (0..bytes.len()).rev() {
            for column in &mut next {
                column[k] = column[k + 1];
            }
            if bytes[k] == b'}' {
                next[usize::from(quotes[k])][k] = k;
            }
        }
        ClosingBraces { quotes, next }
    }

    /// Offset (from `at`) of the `}` closing a variable whose text starts at `at`, if it is
    /// within [`MAX_VARIABLE_BYTES`]: a `}` with as many `'` between `at` and it as make the
    /// quotes balanced (a `'` opens or closes a quoted default).
    fn after(&self, at: usize) -> Option<usize> {
        let parity = usize::from(*self.quotes.get(at)?);
        let close = *self.next[parity].get(at)?;
        (close != usize::MAX && close - at < MAX_VARIABLE_BYTES).then(|| close - at)
    }
}

/// `'text'` with `''` standing for a single quote.
fn parse_default(quoted: &str) -> Option<String> {
    let inner = quoted.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut value = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch == '\'' {
            // Inside the quotes a quote must be doubled.
            if chars.next() != Some('\'') {
                return None;
            }
        }
        value.push(ch);
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::context::RequestContext;

    fn context() -> RequestContext {
        RequestContext::closed()
            .with("aws:username", "alice")
            .with("aws:PrincipalTag/team", "dba")
            .with_multi("aws:TagKeys", ["a", "b"])
    }

    fn resolve(raw: &str) -> Resolved {
        Template::parse(raw, true)
            .expect("template")
            .resolve(&context())
    }

    fn text(resolved: Resolved) -> String {
        match resolved {
            Resolved::Value { text, .. } => text,
            other => panic!("expected a value, got {other:?}"),
        }
    }

    #[test]
    fn substitutes_keys_case_insensitively() {
        assert_eq!(text(resolve("user/${aws:username}")), "user/alice");
        assert_eq!(text(resolve("user/${AWS:UserName}")), "user/alice");
        assert_eq!(text(resolve("${aws:principaltag/team}-x")), "dba-x");
    }

    #[test]
    fn missing_or_multivalued_key_is_unresolvable_without_default() {
        assert_eq!(resolve("${aws:userid}"), Resolved::Unresolvable);
        assert_eq!(resolve("${aws:TagKeys}"), Resolved::Unresolvable);
        assert_eq!(text(resolve("${aws:userid, 'nobody'}")), "nobody");
        assert_eq!(text(resolve("${ aws:userid , 'it''s' }")), "it's");
    }

    #[test]
    fn escapes_are_literal_characters() {
        let resolved = resolve("a${*}b${?}c${$}*");
        let Resolved::Value {
            text,
            wildcard_bytes,
        } = resolved
        else {
            panic!("value expected")
        };
        assert_eq!(text, "a*b?c$*");
        assert_eq!(
            wildcard_bytes,
            [true, false, true, false, true, false, true]
        );
        let wildcard = Resolved::Value {
            text,
            wildcard_bytes,
        }
        .to_wildcard(Flavour::Plain)
        .unwrap();
        assert!(wildcard.matches("a*b?c$anything"));
        assert!(!wildcard.matches("aXb?c$anything"));
    }

    #[test]
    fn substituted_values_are_literal_not_wildcards() {
        let ctx = RequestContext::closed().with("aws:username", "a*");
        let resolved = Template::parse("${aws:username}", true)
            .unwrap()
            .resolve(&ctx);
        let wildcard = resolved.to_wildcard(Flavour::Plain).unwrap();
        assert!(wildcard.matches("a*"));
        assert!(!wildcard.matches("abc"));
    }

    #[test]
    fn disabled_or_absent_variables_give_no_template() {
        assert_eq!(Template::parse("user/${aws:username}", false), None);
        assert_eq!(Template::parse("user/alice", true), None);
    }

    #[test]
    fn malformed_variables_stay_literal() {
        assert_eq!(text(resolve("${unclosed")), "${unclosed");
        assert_eq!(text(resolve("${bad key}x")), "${bad key}x");
        assert_eq!(text(resolve("${k, noquote}")), "${k, noquote}");
    }

    #[test]
    fn unknown_key_in_open_mode_is_reported() {
        let ctx = RequestContext::open();
        let resolved = Template::parse("${aws:username}", true)
            .unwrap()
            .resolve(&ctx);
        assert_eq!(resolved, Resolved::Unknown("aws:username".into()));
    }

    #[test]
    fn many_unterminated_variables_parse_in_linear_time() {
        // Was quadratic: 100,000 `${` without `}` took 11.8 s.
        let raw = format!("arn:aws:s3:::b/{}", "${".repeat(100_000));
        let template = Template::parse(&raw, true);
        assert!(
            template.is_some_and(|t| t.parts == vec![TemplatePart::Text(raw.clone())]),
            "unterminated variables stay literal text"
        );
        let long = format!("${{aws:username, '{}'}}", "x".repeat(MAX_VARIABLE_BYTES));
        assert!(
            Template::parse(&long, true).is_some_and(|t| t.keys().next().is_none()),
            "a variable longer than the cap is literal"
        );
    }
}
