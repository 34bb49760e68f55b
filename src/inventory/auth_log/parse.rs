//! The `iam-db-auth-error` line parser: pure, allocation-free, by structure.
//!
//! AWS documents the lines on "Troubleshooting for IAM DB authentication"
//! (<https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.Troubleshooting.html>,
//! Aurora: <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/UsingWithRDS.IAMDBAuth.Troubleshooting.html>),
//! for example
//!
//! ```text
//! 2025-08-11T04:00:05,804 [ERROR] Failed to authenticate the connection request for user 'testuser' because the provided token is malformed or otherwise invalid. (Status Code: 400, Error Code: InvalidToken)
//! ```
//!
//! The documented wording varies between examples (`authenticate`/`authorize`, a quoted or a
//! bare user, `Error Code:X` with or without a space), so nothing here matches sentences: a
//! line is `<timestamp> [<LEVEL>] <message> (… Error Code: <CODE>)`; inside the message the
//! user follows `for user`, and the caller is the first `arn:…` naming an IAM or STS
//! principal (`NotAuthorized` lines carry it). A line without that structure is
//! [`ParsedLine::Unknown`]: the collector keeps it raw and counts it instead of guessing.

/// What one line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParsedLine<'a> {
    Event(ParsedEvent<'a>),
    /// Not the documented structure (kept raw by the caller).
    Unknown,
    /// Nothing but whitespace.
    Blank,
}

/// The fields of a refusal line, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedEvent<'a> {
    /// The line's own timestamp as written (`2025-08-11T04:00:05,804`).
    pub logged_at: &'a str,
    /// `ERROR`...
    pub level: &'a str,
    pub db_user: Option<&'a str>,
    /// `InvalidToken`, `ExpiredToken`, `NotAuthorized`, `ThrottlingException`, `InternalError`...
    pub code: &'a str,
    pub status_code: Option<u16>,
    pub caller_arn: Option<&'a str>,
}

/// Parses one line of the `iam-db-auth-error` log.
pub fn parse_line(line: &str) -> ParsedLine<'_> {
    let line = line.trim();
    if line.is_empty() {
        return ParsedLine::Blank;
    }
    match parse_event(line) {
        Some(event) => ParsedLine::Event(event),
        None => ParsedLine::Unknown,
    }
}

fn parse_event(line: &str) -> Option<ParsedEvent<'_>> {
    // <timestamp>: the first word, starting with a digit (a date).
    let split = line.find(char::is_whitespace)?;
    let (logged_at, rest) = line.split_at(split);
    if !logged_at.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    // [LEVEL]
    let rest = rest.trim_start().strip_prefix('[')?;
    let close = rest.find(']')?;
    let level = &rest[..close];
    if level.is_empty() || !level.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let message = rest[close + 1..].trim_start();

    // (… Error Code: X): the last "Error Code" of the line, inside the trailing parentheses.
    let code_at = message.rfind("Error Code")?;
    let tail_start = message[..code_at].rfind('(').unwrap_or(code_at);
    let tail = &message[tail_start..];
    let code = word_after_colon(&message[code_at + "Error Code".len()..])?;
    let status_code = tail
        .find("Status Code")
        .and_then(|at| word_after_colon(&tail[at + "Status Code".len()..]))
        .and_then(|n| n.parse().ok());
    let body = &message[..tail_start];

    Some(ParsedEvent {
        logged_at,
        level,
        db_user: user(body),
        code,
        status_code,
        caller_arn: caller_arn(body),
    })
}

/// `: X` or `:X` → `X` (letters, digits, `_`, `.`, `-`).
fn word_after_colon(s: &str) -> Option<&str> {
    let s = s.trim_start().strip_prefix(':')?.trim_start();
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        .unwrap_or(s.len());
    let word = s[..end].trim_end_matches('.');
    (!word.is_empty()).then_some(word)
}

/// The DB user after `for user`: `'name'`, `"name"` or a bare word.
fn user(body: &str) -> Option<&str> {
    let at = body.find("for user")?;
    let rest = body[at + "for user".len()..].trim_start();
    quoted_or_word(rest)
}

/// A quoted value (up to the closing quote that ends a word) or a bare word without trailing
/// punctuation.
fn quoted_or_word(rest: &str) -> Option<&str> {
    let value = match rest.chars().next()? {
        quote @ ('\'' | '"') => {
            let inner = &rest[1..];
            // The closing quote is the one followed by the end, whitespace or punctuation:
            // a user name may itself contain the quote character.
            let mut close = None;
            for (i, c) in inner.char_indices() {
                if c == quote {
                    let next = inner[i + 1..].chars().next();
                    if next.is_none_or(|n| n.is_whitespace() || matches!(n, '.' | ',' | ';' | ')'))
                    {
                        close = Some(i);
                        break;
                    }
                }
            }
            &inner[..close?]
        }
        _ => {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            rest[..end].trim_end_matches(['.', ',', ';', ':'])
        }
    };
    (!value.is_empty()).then_some(value)
}

/// The first `arn:<partition>:iam::` or `arn:<partition>:sts::` ARN in the message.
fn caller_arn(body: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(found) = body[from..].find("arn:") {
        let at = from + found;
        from = at + 4;
        // Must start a word (or follow a quote): not the tail of another token.
        if body[..at]
            .chars()
            .next_back()
            .is_some_and(|c| !(c.is_whitespace() || matches!(c, '\'' | '"' | '(' | '[' | '=')))
        {
            continue;
        }
        let candidate = &body[at..];
        let mut fields = candidate.splitn(4, ':');
        let (_, partition, service) = (fields.next(), fields.next()?, fields.next()?);
        if !partition.starts_with("aws") || !matches!(service, "iam" | "sts") {
            continue;
        }
        let quoted = at > 0 && matches!(body.as_bytes()[at - 1], b'\'' | b'"');
        let end = if quoted {
            let quote = body.as_bytes()[at - 1] as char;
            candidate.find(quote).unwrap_or(candidate.len())
        } else {
            candidate
                .find(|c: char| c.is_whitespace() || matches!(c, ',' | ')' | '\'' | '"'))
                .unwrap_or(candidate.len())
        };
        let arn = candidate[..end].trim_end_matches(['.', ';']);
        if !arn.is_empty() {
            return Some(arn);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(line: &str) -> ParsedEvent<'_> {
        match parse_line(line) {
            ParsedLine::Event(e) => e,
            other => panic!("not an event: {other:?} for {line}"),
        }
    }

    #[test]
    fn documented_invalid_token_line() {
        let e = event(
            "2025-08-11T04:00:05,804 [ERROR] Failed to authenticate the connection request for user 'testuser' because the provided token is malformed or otherwise invalid. (Status Code: 400, Error Code: InvalidToken)",
        );
        assert_eq!(e.logged_at, "2025-08-11T04:00:05,804");
        assert_eq!(e.level, "ERROR");
        assert_eq!(e.db_user, Some("testuser"));
        assert_eq!(e.code, "InvalidToken");
        assert_eq!(e.status_code, Some(400));
        assert_eq!(e.caller_arn, None);
    }

    #[test]
    fn expired_token_with_bare_user_and_no_space_after_colon() {
        let e = event(
            "2025-08-11T04:05:00,101 [ERROR] Failed to authenticate the connection request for user testuser because the provided token has expired. (Status Code:400, Error Code:ExpiredToken)",
        );
        assert_eq!(e.db_user, Some("testuser"));
        assert_eq!(e.code, "ExpiredToken");
        assert_eq!(e.status_code, Some(400));
    }

    #[test]
    fn not_authorized_names_the_caller() {
        let e = event(
            "2025-08-11T04:10:00,000 [ERROR] Failed to authorize the connection request for user 'app_user' because the IAM principal 'arn:aws:sts::123456789012:assumed-role/AppRole/i-0abc' is not authorized to perform rds-db:connect on the DB resource. (Status Code: 403, Error Code: NotAuthorized)",
        );
        assert_eq!(e.db_user, Some("app_user"));
        assert_eq!(e.code, "NotAuthorized");
        assert_eq!(e.status_code, Some(403));
        assert_eq!(
            e.caller_arn,
            Some("arn:aws:sts::123456789012:assumed-role/AppRole/i-0abc")
        );
    }

    #[test]
    fn not_authorized_with_bare_arn_and_rds_db_arn_first() {
        let e = event(
            "2025-08-11T04:10:00,000 [ERROR] Failed to authorize the connection request for user app_user on arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABC/app_user because arn:aws:iam::123456789012:user/alice is not authorized. (Status Code: 403, Error Code: NotAuthorized)",
        );
        assert_eq!(e.db_user, Some("app_user"));
        assert_eq!(e.caller_arn, Some("arn:aws:iam::123456789012:user/alice"));
    }

    #[test]
    fn throttling_and_internal_error() {
        let t = event(
            "2025-08-11T04:20:00,000 [ERROR] Failed to authenticate the connection request for user 'batch' because the request rate exceeded the limit. (Status Code: 429, Error Code: ThrottlingException)",
        );
        assert_eq!(t.code, "ThrottlingException");
        assert_eq!(t.status_code, Some(429));
        let i = event(
            "2025-08-11T04:30:00,000 [ERROR] Failed to authenticate the connection request for user 'batch' because of an internal error. (Status Code: 500, Error Code: InternalError)",
        );
        assert_eq!(i.code, "InternalError");
        assert_eq!(i.status_code, Some(500));
    }

    #[test]
    fn china_partition_caller_and_quoted_user_with_quote_inside() {
        let e = event(
            "2025-08-11T04:10:00,000 [ERROR] Failed to authorize the connection request for user 'o'brien' because 'arn:aws-cn:sts::123456789012:assumed-role/R/s' is not authorized (Status Code: 403, Error Code: NotAuthorized)",
        );
        assert_eq!(e.db_user, Some("o'brien"));
        assert_eq!(
            e.caller_arn,
            Some("arn:aws-cn:sts::123456789012:assumed-role/R/s")
        );
    }

    #[test]
    fn unknown_code_is_still_an_event() {
        let e = event(
            "2025-08-11T04:40:00,000 [ERROR] Something new for user 'x' (Status Code: 400, Error Code: SomethingNew)",
        );
        assert_eq!(e.code, "SomethingNew");
    }

    #[test]
    fn lines_without_the_structure_are_unknown_not_guessed() {
        for line in [
            "PAM authentication failed for user \"x\"",
            "2025-08-11T04:00:05,804 Failed to authenticate for user 'x' (Status Code: 400, Error Code: InvalidToken)",
            "2025-08-11T04:00:05,804 [ERROR] Failed to authenticate the connection request for user 'x'",
            "[ERROR] 2025 for user 'x' (Error Code: InvalidToken)",
            "2025-08-11 [ERROR] (Status Code: 400, Error Code: )",
            "2025-08-11 [ERR0R] x (Error Code: X)",
        ] {
            assert_eq!(parse_line(line), ParsedLine::Unknown, "{line}");
        }
        assert_eq!(parse_line("  \r\n"), ParsedLine::Blank);
    }

    #[test]
    fn hostile_lines_do_not_panic() {
        for line in [
            "1 [E] for user '",
            "1 [E] for user ' (Error Code:",
            "1 [E] arn: (Error Code: X)",
            "1 [E] 'arn:aws:sts (Error Code: X)",
            "1 [E] é for user 'é (Error Code: é)",
            "1 [E] (Status Code: 99999999, Error Code: X)",
        ] {
            let _ = parse_line(line);
        }
        let e = event("1 [E] (Status Code: 99999999, Error Code: X)");
        assert_eq!(e.status_code, None, "out-of-range status is dropped");
    }
}
