//! Wildcard patterns of the IAM policy language: `*` (any run of characters) and `?` (any
//! one character); every other character is literal (`.`, `+`, `[` mean themselves — IAM has
//! no regex classes).
//!
//! Two flavours share one matcher:
//! - **plain** (`StringLike`, actions): `*` and `?` match any character.
//! - **ARN** (Resource, `ArnLike`): a wildcard matches within one `:`-separated segment,
//!   except a `*` that is the last character of a segment (followed by `:` or the end of the
//!   pattern), which may run across `:` boundaries (AWS docs, "IAM JSON policy elements:
//!   Resource").
//!
//! Patterns are compiled once, at policy parse time, into the cheapest matcher that is exact
//! for them; evaluation runs millions of times.

/// How `*` and `?` treat the ARN segment separator `:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// Wildcards match any character.
    Plain,
    /// Wildcards stay inside a `:` segment unless the `*` ends its segment.
    Arn,
}

/// One element of a compiled general pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Literal(Box<[u8]>),
    AnyOne { crosses_colon: bool },
    AnyRun { crosses_colon: bool },
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wildcard {
    /// `*` alone (under ARN rules a lone `*` also ends its segment, so it matches anything).
    Everything,
    /// No wildcard at all.
    Exact(Box<[u8]>),
    /// A literal followed by a single `*` that may match anything (`s3:Get*`, `arn:…:role/*`
    /// when `/` is the last colon-free part).
    Prefix(Box<[u8]>),
    /// Anything else.
    General(Box<[Token]>),
}

impl Wildcard {
    /// Compiles `pattern`. For case-insensitive use, lower-case both the pattern and the text.
    pub fn compile(pattern: &str, flavour: Flavour) -> Wildcard {
        Self::compile_with(pattern.as_bytes(), |_| true, flavour)
    }

    /// Compiles `pattern` where only bytes whose `wildcard_bytes` entry is true may act as
    /// wildcards (text substituted from policy variables is always literal).
    pub fn compile_masked(pattern: &str, wildcard_bytes: &[bool], flavour: Flavour) -> Wildcard {
        Self::compile_with(
            pattern.as_bytes(),
            |index| wildcard_bytes.get(index).copied().unwrap_or(true),
            flavour,
        )
    }

    fn compile_with(
        bytes: &[u8],
        is_wildcard: impl Fn(usize) -> bool,
        flavour: Flavour,
    ) -> Wildcard {
        if bytes == b"*" && is_wildcard(0) {
            return Wildcard::Everything;
        }
        let tokens = tokenize(bytes, &is_wildcard, flavour);
        match tokens.as_slice() {
            [] => Wildcard::Exact(Box::default()),
            [Token::Literal(lit)] => Wildcard::Exact(lit.clone()),
            [
                Token::Literal(lit),
                Token::AnyRun {
                    crosses_colon: true,
                },
            ] => Wildcard::Prefix(lit.clone()),
            _ => Wildcard::General(tokens.into_boxed_slice()),
        }
    }

    /// True when the pattern holds no wildcard character.
    pub fn is_literal(&self) -> bool {
        matches!(self, Wildcard::Exact(_))
    }

    /// Matches `text` against the pattern (byte-wise, case-sensitive).
    pub fn matches(&self, text: &str) -> bool {
        let text = text.as_bytes();
        match self {
            Wildcard::Everything => true,
            Wildcard::Exact(lit) => **lit == *text,
            Wildcard::Prefix(lit) => text.starts_with(lit),
            Wildcard::General(tokens) => match_tokens(tokens, text),
        }
    }
}

fn tokenize(bytes: &[u8], is_wildcard: &impl Fn(usize) -> bool, flavour: Flavour) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut literal = Vec::new();
    for (index, &byte) in bytes.iter().enumerate() {
        if !is_wildcard(index) {
            literal.push(byte);
            continue;
        }
        let wildcard = match byte {
            b'*' => {
                let ends_segment = matches!(bytes.get(index + 1), None | Some(b':'));
                Token::AnyRun {
                    crosses_colon: flavour == Flavour::Plain || ends_segment,
                }
            }
            b'?' => Token::AnyOne {
                crosses_colon: flavour == Flavour::Plain,
            },
            _ => {
                literal.push(byte);
                continue;
            }
        };
        if !literal.is_empty() {
            tokens.push(Token::Literal(std::mem::take(&mut literal).into()));
        }
        // `**` is the same as `*` (a crossing star absorbs a bounded one).
        if let (
            Some(Token::AnyRun {
                crosses_colon: previous,
            }),
            Token::AnyRun { crosses_colon },
        ) = (tokens.last_mut(), &wildcard)
        {
            *previous |= *crosses_colon;
            continue;
        }
        tokens.push(wildcard);
    }
    if !literal.is_empty() {
        tokens.push(Token::Literal(literal.into()));
    }
    tokens
}

/// Backtracking matcher with a memo of failed (token, offset) pairs, so patterns with many
/// stars stay polynomial. Patterns and ARNs are short; the memo is only built when needed.
fn match_tokens(tokens: &[Token], text: &[u8]) -> bool {
    let stars = tokens
        .iter()
        .filter(|t| matches!(t, Token::AnyRun { .. }))
        .count();
    if stars <= 1 {
        return match_from(tokens, text, 0, 0, &mut None);
    }
    let mut failed = Some(vec![false; (tokens.len() + 1) * (text.len() + 1)]);
    match_from(tokens, text, 0, 0, &mut failed)
}

fn match_from(
    tokens: &[Token],
    text: &[u8],
    token: usize,
    offset: usize,
    failed: &mut Option<Vec<bool>>,
) -> bool {
    let memo_index = token * (text.len() + 1) + offset;
    if let Some(memo) = failed.as_ref()
        && memo[memo_index]
    {
        return false;
    }
    let result = match tokens.get(token) {
        None => offset == text.len(),
        Some(Token::Literal(lit)) => {
            text[offset..].starts_with(lit)
                && match_from(tokens, text, token + 1, offset + lit.len(), failed)
        }
        Some(Token::AnyOne { crosses_colon }) => match text.get(offset) {
            Some(&byte) if *crosses_colon || byte != b':' => {
                match_from(tokens, text, token + 1, offset + 1, failed)
            }
            _ => false,
        },
        Some(Token::AnyRun { crosses_colon }) => {
            let mut end = offset;
            loop {
                if match_from(tokens, text, token + 1, end, failed) {
                    break true;
                }
                match text.get(end) {
                    Some(&byte) if *crosses_colon || byte != b':' => end += 1,
                    _ => break false,
                }
            }
        }
    };
    if !result && let Some(memo) = failed.as_mut() {
        memo[memo_index] = true;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(pattern: &str, text: &str) -> bool {
        Wildcard::compile(pattern, Flavour::Plain).matches(text)
    }

    fn arn(pattern: &str, text: &str) -> bool {
        Wildcard::compile(pattern, Flavour::Arn).matches(text)
    }

    #[test]
    fn plain_wildcards_match_any_character() {
        let cases = [
            ("*", "", true),
            ("*", "anything:at/all", true),
            ("s3:get*", "s3:getobject", true),
            ("s3:get*", "s3:putobject", false),
            ("rds-db:c?nnect", "rds-db:connect", true),
            ("rds-db:c?nnect", "rds-db:cnnect", false),
            ("a*b*c", "a:x:b:y:c", true),
            ("a*b*c", "a:x:b:y:d", false),
            ("*:*", "rds-db:connect", true),
            ("??", "a:", true),
            ("", "", true),
            ("", "x", false),
            ("abc", "abc", true),
            ("abc", "abcd", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(plain(pattern, text), expected, "{pattern:?} vs {text:?}");
        }
    }

    #[test]
    fn regex_characters_are_literal() {
        let cases = [
            ("db.user", "db.user", true),
            ("db.user", "dbXuser", false),
            ("a+", "aa", false),
            ("a+", "a+", true),
            ("[ab]", "a", false),
            ("[ab]", "[ab]", true),
            ("^x$", "x", false),
            ("(x|y)", "x", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(plain(pattern, text), expected, "{pattern:?} vs {text:?}");
            assert_eq!(arn(pattern, text), expected, "{pattern:?} vs {text:?}");
        }
    }

    #[test]
    fn arn_star_stays_in_its_segment_unless_it_ends_the_segment() {
        let user = "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABC/pgmonitor";
        let cases = [
            // star ending a segment runs across colons
            ("arn:aws:rds-db:us-east-1:111122223333:*", user, true),
            ("arn:aws:rds-db:*", user, true),
            ("arn:aws:*", user, true),
            ("arn:aws:rds-db:*:*:dbuser:*/*", user, true),
            ("arn:aws:rds-db:us-east-1:111122223333:db*", user, true),
            // star followed by more of its segment stays inside the segment
            (
                "arn:aws:rds-db:us-east-1:111122223333:dbuser:*/pgmonitor",
                user,
                true,
            ),
            ("arn:aws:rds-db:us-east-1:*/pgmonitor", user, false),
            (
                "arn:aws:rds-db:*-1:111122223333:dbuser:db-ABC/pgmonitor",
                user,
                true,
            ),
            (
                "arn:aws:rds-db:us*1:111122223333:dbuser:db-ABC/pgmonitor",
                user,
                true,
            ),
            (
                "arn:aws:rds*db:us-east-1:111122223333:dbuser:db-ABC/pgmonitor",
                user,
                true,
            ),
            (
                "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABC/pg*",
                user,
                true,
            ),
            (
                "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABC/PG*",
                user,
                false,
            ),
            (
                "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-abc/pgmonitor",
                user,
                false,
            ),
            // `?` never crosses a colon in an ARN
            (
                "arn:aws:rds-db:us-east-1:111122223333:dbuser?db-ABC/pgmonitor",
                user,
                false,
            ),
            (
                "arn:aws:rds-db:us-east-?:111122223333:dbuser:db-ABC/pgmonitor",
                user,
                true,
            ),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(arn(pattern, text), expected, "{pattern:?} vs {text:?}");
        }
    }

    #[test]
    fn many_stars_do_not_blow_up() {
        let pattern = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        let text = "a".repeat(200);
        assert!(!plain(pattern, &text));
        assert!(!arn(pattern, &text));
        assert!(plain(pattern, &(text.clone() + "b")));
    }

    #[test]
    fn compiles_to_cheapest_form() {
        assert_eq!(Wildcard::compile("*", Flavour::Arn), Wildcard::Everything);
        assert!(Wildcard::compile("abc", Flavour::Arn).is_literal());
        assert!(matches!(
            Wildcard::compile("arn:aws:iam::1:role/*", Flavour::Arn),
            Wildcard::Prefix(_)
        ));
        assert!(matches!(
            Wildcard::compile("arn:aws:iam::1:role/*/x", Flavour::Arn),
            Wildcard::General(_)
        ));
    }
}
