//! The one redaction function: every path that can print user input (errors, evidence, JSON,
//! logs) passes its text through [`redact_text`] before it reaches a terminal or a file.
//!
//! It hides, whatever their spelling:
//! - the value of a secret parameter: `X-Amz-Signature`, `X-Amz-Security-Token`,
//!   `password`, `PGPASSWORD`, `aws_secret_access_key`, `aws_session_token`… as `name=value`,
//!   `name = value`, `"name": "value"`, in any case, with `-`/`_` variants, and with the name or
//!   the `=` percent-encoded (`X-Amz-Security%2DToken=`, `X-Amz-Signature%3D…`), quoted
//!   values (`password='a b'`) to their closing quote;
//! - the password of a URI (`postgres://user:PASSWORD@host`, up to the last `@`);
//! - every secret value registered with [`register_secret`] (a password read from
//!   `PGPASSWORD` or a conninfo, a token read from the environment, an AWS secret key), plain
//!   or percent-encoded, wherever it appears.
//!
//! Lowest layer: imports nothing from the crate, so any module may use it.

use std::borrow::Cow;
use std::sync::{Mutex, OnceLock};

use percent_encoding::percent_decode_str;

/// What a hidden value is replaced with.
pub const MARK: &str = "<redacted>";

/// Parameter names whose values are secrets, normalized: ASCII lower case with everything but
/// letters and digits removed (`X-Amz-Security-Token` → `xamzsecuritytoken`).
const SECRET_NAMES: &[&str] = &[
    "xamzsignature",
    "signature",
    "xamzsecuritytoken",
    "securitytoken",
    "sessiontoken",
    "awssessiontoken",
    "awssecuritytoken",
    "password",
    "passwd",
    "pgpassword",
    "secretaccesskey",
    "awssecretaccesskey",
    "secretkey",
];

/// Registered secrets shorter than this are not searched for (a 1–3 character password
/// would blank out ordinary words); the parameter rules above still hide them.
const MIN_REGISTERED: usize = 4;

fn registry() -> &'static Mutex<Vec<String>> {
    static SECRETS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(|| Mutex::new(Vec::new()))
}

/// Remembers `secret` so that [`redact_text`] hides it wherever it appears later (also
/// percent-encoded). Call it as soon as a secret is read (password, token, secret key).
pub fn register_secret(secret: &str) {
    let secret = secret.trim();
    if secret.len() < MIN_REGISTERED {
        return;
    }
    let mut list = registry().lock().unwrap_or_else(|e| e.into_inner());
    let encoded = percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
        .to_string();
    for form in [secret.to_owned(), encoded] {
        if !list.contains(&form) {
            list.push(form);
        }
    }
    // Longest first, so a secret that contains another is hidden whole.
    list.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Registers the lossily decoded form of a secret that is not valid UTF-8.
pub fn register_secret_bytes(secret: &[u8]) {
    register_secret(&String::from_utf8_lossy(secret));
}

/// `text` with every secret hidden (see the module docs). Borrows when nothing was hidden.
pub fn redact_text(text: &str) -> Cow<'_, str> {
    let mut out = redact_parameters(text);
    if let Some(uri) = redact_uri_passwords(&out) {
        out = Cow::Owned(uri);
    }
    let list = registry().lock().unwrap_or_else(|e| e.into_inner());
    for secret in list.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), MARK));
        }
    }
    out
}

/// Whether `b` can be part of a parameter name (raw or percent-encoded).
fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'%' | b'.')
}

/// The normalized form of a (possibly percent-encoded, possibly twice) parameter name.
fn normalize_key(raw: &str) -> String {
    let mut key = raw.to_owned();
    for _ in 0..3 {
        if !key.contains('%') {
            break;
        }
        key = percent_decode_str(&key).decode_utf8_lossy().into_owned();
    }
    key.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether `raw` names a secret parameter in any spelling (`X-Amz-Signature`,
/// `x-amz-security%2Dtoken`, `PGPASSWORD`, …).
pub fn is_secret_key(raw: &str) -> bool {
    let key = normalize_key(raw);
    SECRET_NAMES.contains(&key.as_str())
}

/// Whether `raw` may name a secret: [`is_secret_key`], or a name that merely *contains* a
/// secret's word (`X-Amz-Security-bToken`, a damaged or hand-edited copy of
/// `X-Amz-Security-Token`, still holds the token; found by fuzzing `token_inspect`). For
/// places that show only known non-secret names and may redact too much, never too little
/// (a token's query); free text uses the exact names, or prose would be redacted.
pub fn may_name_a_secret(raw: &str) -> bool {
    let key = normalize_key(raw);
    SECRET_NAMES.contains(&key.as_str())
        || ["token", "signature", "secret", "password"]
            .iter()
            .any(|word| key.contains(word))
}

/// Where a parameter's value starts after its name ending at `key_end`: the separator is
/// `=`, `%3D` (any case, also `%253D`), or `:` after a quoted name; spaces allowed around it.
fn value_start(bytes: &[u8], key_end: usize) -> Option<usize> {
    let mut i = key_end;
    let quoted = matches!(bytes.get(i), Some(b'"' | b'\''));
    if quoted {
        i += 1;
    }
    // Spaces after the separator only when there are some before it (`key = value`,
    // `"key": "value"`): prose like "password= in the conninfo" has no value.
    let mut spaced = quoted;
    while bytes.get(i) == Some(&b' ') {
        i += 1;
        spaced = true;
    }
    let rest = &bytes[i.min(bytes.len())..];
    let sep_len = if rest.first() == Some(&b'=') || (quoted && rest.first() == Some(&b':')) {
        1
    } else if rest.len() >= 3 && rest[0] == b'%' && rest[1] == b'3' && rest[2] | 0x20 == b'd' {
        3
    } else if rest.len() >= 5 && rest[..3].eq_ignore_ascii_case(b"%25") && rest[3] == b'3' {
        5
    } else {
        return None;
    };
    i += sep_len;
    while spaced && bytes.get(i) == Some(&b' ') {
        i += 1;
    }
    // Already hidden (idempotent), or hidden by `token::redact`'s `<redacted: N chars>`.
    if bytes[i.min(bytes.len())..].starts_with(b"<redacted") {
        return None;
    }
    Some(i)
}

/// End of an unquoted or quoted value starting at `start`.
fn value_end(bytes: &[u8], start: usize) -> usize {
    // A value quoted with escaped quotes, inside a JSON string: `PGPASSWORD=\"…\"`.
    if bytes.get(start) == Some(&b'\\') {
        if let Some(&q @ (b'"' | b'\'')) = bytes.get(start + 1) {
            let mut i = start + 2;
            while i + 1 < bytes.len() {
                if bytes[i] == b'\\' && bytes[i + 1] == q {
                    return i + 2;
                }
                i += 1;
            }
            return bytes.len();
        }
    }
    match bytes.get(start) {
        Some(&q @ (b'"' | b'\'')) => {
            let mut i = start + 1;
            while i < bytes.len() {
                match bytes[i] {
                    b'\\' => i += 2,
                    b if b == q => return i + 1,
                    _ => i += 1,
                }
            }
            bytes.len()
        }
        _ => {
            let mut i = start;
            while i < bytes.len() {
                let b = bytes[i];
                if b.is_ascii_whitespace()
                    || matches!(
                        b,
                        b'&' | b'"' | b'\'' | b',' | b';' | b'}' | b']' | b')' | b'>'
                    )
                {
                    break;
                }
                // An encoded `&` ends the value too (a token inside another URL).
                if b == b'%'
                    && bytes.get(i + 1) == Some(&b'2')
                    && bytes.get(i + 2).is_some_and(|c| c | 0x20 == b'6')
                {
                    break;
                }
                i += 1;
            }
            i
        }
    }
}

/// Whether the three bytes before `i` are an encoded separator (`%26` &, `%3F` ?, `%20` space)
/// after which a new (encoded) parameter name starts.
fn after_encoded_separator(bytes: &[u8], i: usize) -> bool {
    i >= 3
        && bytes[i - 3] == b'%'
        && matches!(
            (bytes[i - 2], bytes[i - 1] | 0x20),
            (b'2', b'6') | (b'3', b'f') | (b'2', b'0')
        )
}

/// Whether an encoded separator (`%26`, `%3F`, `%20`) starts at `k`.
fn encoded_separator_at(bytes: &[u8], k: usize) -> bool {
    k + 3 <= bytes.len() && after_encoded_separator(bytes, k + 3)
}

/// Hides the values of secret parameters; borrows when there are none.
fn redact_parameters(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0; // bytes of `text` already in `out` (or skipped as hidden)
    let mut i = 0;
    while i < bytes.len() {
        let starts_name = is_key_byte(bytes[i])
            && (i == 0 || !is_key_byte(bytes[i - 1]) || after_encoded_separator(bytes, i));
        if !starts_name {
            i += 1;
            continue;
        }
        let mut key_end = i;
        while key_end < bytes.len()
            && is_key_byte(bytes[key_end])
            && !(key_end > i && encoded_separator_at(bytes, key_end))
        {
            key_end += 1;
        }
        // `name%3Dvalue`: the encoded `=` was taken into the name; split it off.
        let name_end = find_encoded_eq(&text[i..key_end]).map_or(key_end, |at| i + at);
        // Names are short; anything longer is a word of a long value, not a name.
        let plausible = (6..=64).contains(&(name_end - i));
        if plausible && is_secret_key(&text[i..name_end]) {
            if let Some(start) = value_start(bytes, name_end) {
                let end = value_end(bytes, start);
                if end > start && !is_placeholder(&text[start..end]) {
                    let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
                    out.push_str(&text[copied..start]);
                    out.push_str(MARK);
                    copied = end;
                    i = end;
                    continue;
                }
            }
        }
        i += 1;
    }
    match out {
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
        None => Cow::Borrowed(text),
    }
}

/// Values that are not secrets: a boolean (`password=true`: whether a role has one), a
/// shell expansion (`PGPASSWORD="$(aws rds generate-db-auth-token …)"`), a placeholder
/// (`password='...'`).
fn is_placeholder(value: &str) -> bool {
    let inner = value.trim_matches(|c| c == '"' || c == '\'' || c == '\\');
    matches!(inner, "true" | "false" | "null" | "none" | "None")
        || inner.starts_with('$')
        || inner.chars().all(|c| matches!(c, '.' | '*' | '…'))
}

/// Offset of the first `%3D` / `%253D` (any case) in `raw`.
fn find_encoded_eq(raw: &str) -> Option<usize> {
    let lower = raw.to_ascii_lowercase();
    match (lower.find("%3d"), lower.find("%253d")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Hides the password of every `scheme://user:password@host` in `text`.
fn redact_uri_passwords(text: &str) -> Option<String> {
    if !text.contains("://") {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find("://") {
        let authority_start = at + 3;
        out.push_str(&rest[..authority_start]);
        let after = &rest[authority_start..];
        let authority_len = after
            .find(|c: char| c.is_whitespace() || matches!(c, '/' | '?' | '#' | '"' | '\''))
            .unwrap_or(after.len());
        let authority = &after[..authority_len];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at_sign), Some(colon)) if colon < at_sign => {
                out.push_str(&authority[..=colon]);
                out.push_str(MARK);
                out.push_str(&authority[at_sign..]);
                changed = true;
            }
            _ => out.push_str(authority),
        }
        rest = &after[authority_len..];
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// Replaces control characters (ESC, BEL, CR, …, and the C1 range) with a visible escape
/// (`\u{1b}`), so text from snapshots and servers cannot move the cursor, ring the bell or
/// rewrite a line of a terminal. Newlines and tabs are kept. Borrows when there are none.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    let is_bad = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(is_bad) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_bad(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_of_secret_names_may_name_a_secret_but_known_safe_names_do_not() {
        for name in [
            "X-Amz-Security-bToken",
            "x-amz-security%2Dtokenx",
            "X-Amz-Signature2",
            "my_secret",
            "PGPASSWORD",
        ] {
            assert!(may_name_a_secret(name), "{name}");
        }
        assert!(!is_secret_key("X-Amz-Security-bToken"));
        for name in [
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Date",
            "X-Amz-Expires",
            "X-Amz-SignedHeaders",
            "DBUser",
            "Action",
        ] {
            assert!(!may_name_a_secret(name), "{name}");
        }
    }

    #[test]
    fn hides_exact_and_encoded_parameter_names() {
        for text in [
            "h:5432/?X-Amz-Signature=CANARYSIG123",
            "h:5432/?x-amz-signature=CANARYSIG123",
            "h:5432/?X-Amz-Security%2DToken=CANARYSIG123&DBUser=u",
            "h:5432/?X%2DAmz%2DSecurity%2DToken%3DCANARYSIG123%26DBUser%3Du",
            "h:5432/?%58-Amz-Signature=CANARYSIG123",
            "host=h password=CANARYSIG123 user=u",
            "host=h password = 'CANARY SIG123' user=u",
            "PGPASSWORD=CANARYSIG123",
            "aws_secret_access_key = CANARYSIG123",
            r#"{"password": "CANARYSIG123"}"#,
            r#"{"cmd": "PGPASSWORD=\"CANARY SIG123\" psql"}"#,
            "postgres://u:CANARYSIG123@h:5432/db",
            "postgres://u:CANARY@SIG123@h/db",
        ] {
            let shown = redact_text(text);
            assert!(!shown.contains("CANARY"), "{text} → {shown}");
            assert!(!shown.contains("SIG123"), "{text} → {shown}");
        }
    }

    #[test]
    fn keeps_ordinary_text() {
        for text in [
            "LOGIN=true rds_iam=Some(true) superuser_like=false rds_ad=None password=false",
            "export PGPASSWORD=\"$(aws rds generate-db-auth-token --hostname h)\"",
            r#"{"aws_cli": "export PGPASSWORD=\"$(aws rds generate-db-auth-token)\""}"#,
            "no password or token (PGPASSWORD or password= in the conninfo)",
            "a password with spaces must be quoted: password='...'",
        ] {
            assert_eq!(redact_text(text), text);
        }
        let text = "DBUser=pgmonitor&X-Amz-Date=20261121T210000Z host=h port=5432";
        assert_eq!(redact_text(text), text);
        assert!(matches!(redact_text(text), Cow::Borrowed(_)));
    }

    #[test]
    fn hides_registered_secrets_plain_and_encoded() {
        register_secret("reg/istered s3cret");
        let shown = redact_text("invalid port \"reg/istered s3cret\" and reg%2Fistered%20s3cret");
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn escapes_terminal_controls() {
        assert_eq!(
            escape_controls("a\x1b[2Jb\x07c\rd\ne"),
            "a\\u{1b}[2Jb\\u{7}c\\u{d}d\ne"
        );
        assert!(matches!(escape_controls("plain\ttext"), Cow::Borrowed(_)));
    }
}
