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

/// One element of a glob within which every wildcard behaves alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Literal(Box<[u8]>),
    AnyOne,
    AnyRun,
}

/// One `:`-separated segment of an ARN pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    tokens: Box<[Token]>,
    /// The segment ends with `*`, which may run on across `:` into later segments.
    crossing_tail: bool,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wildcard {
    /// `*` alone (under ARN rules a lone `*` also ends its segment, so it matches anything).
    Everything,
    /// No wildcard at all.
    Exact(Box<[u8]>),
    /// A literal followed by a single `*` that may match anything (`s3:Get*`, `arn:…:role/*`).
    Prefix(Box<[u8]>),
    /// Plain flavour: wildcards match any character.
    Glob(Box<[Token]>),
    /// ARN flavour: one glob per `:` segment.
    Segments(Box<[Segment]>),
}

/// A pattern byte: a literal, or a wildcard character that acts as one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PatternByte {
    Literal(u8),
    Star,
    Question,
}

impl Wildcard {
    /// Compiles `pattern`. For case-insensitive use, lower-case both the pattern and the text.
    pub fn compile(pattern: &str, flavour: Flavour) -> Wildcard {
        let bytes = pattern.as_bytes();
        // The shapes nearly every pattern has, decided without classifying byte by byte
        // (the same answers `compile_with` gives them): no wildcard, `*` alone, one `*` last.
        match memchr::memchr2(b'*', b'?', bytes) {
            None => return Wildcard::Exact(bytes.into()),
            Some(first) if first + 1 == bytes.len() && bytes[first] == b'*' => {
                return if first == 0 {
                    Wildcard::Everything
                } else {
                    Wildcard::Prefix(bytes[..first].into())
                };
            }
            Some(_) => {}
        }
        Self::compile_with(bytes, |_| true, flavour)
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
        let classified: Vec<PatternByte> = bytes
            .iter()
            .enumerate()
            .map(|(index, &byte)| match byte {
                b'*' if is_wildcard(index) => PatternByte::Star,
                b'?' if is_wildcard(index) => PatternByte::Question,
                _ => PatternByte::Literal(byte),
            })
            .collect();
        let literal_count = classified
            .iter()
            .filter(|b| matches!(b, PatternByte::Literal(_)))
            .count();
        let literal: Box<[u8]> = bytes[..literal_count].into();
        match classified.as_slice() {
            [PatternByte::Star] => return Wildcard::Everything,
            _ if literal_count == bytes.len() => return Wildcard::Exact(literal),
            // Under ARN rules a trailing `*` ends its segment, so it matches anything too.
            [.., PatternByte::Star] if literal_count == bytes.len() - 1 => {
                return Wildcard::Prefix(literal);
            }
            _ => {}
        }
        match flavour {
            Flavour::Plain => Wildcard::Glob(tokenize(&classified).into()),
            Flavour::Arn => Wildcard::Segments(
                classified
                    .split(|b| *b == PatternByte::Literal(b':'))
                    .map(|segment| Segment {
                        crossing_tail: segment.last() == Some(&PatternByte::Star),
                        tokens: tokenize(segment).into(),
                    })
                    .collect(),
            ),
        }
    }

    /// True when the pattern holds no wildcard character.
    pub fn is_literal(&self) -> bool {
        matches!(self, Wildcard::Exact(_))
    }

    /// Matches `text` against the pattern (byte-wise, case-sensitive).
    #[inline]
    pub fn matches(&self, text: &str) -> bool {
        let text = text.as_bytes();
        match self {
            Wildcard::Everything => true,
            Wildcard::Exact(lit) => **lit == *text,
            Wildcard::Prefix(lit) => text.starts_with(lit),
            Wildcard::Glob(tokens) => glob(tokens, text),
            Wildcard::Segments(segments) => match_segments(segments, text),
        }
    }
}

fn tokenize(bytes: &[PatternByte]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut literal = Vec::new();
    for byte in bytes {
        let wildcard = match *byte {
            PatternByte::Literal(byte) => {
                literal.push(byte);
                continue;
            }
            PatternByte::Star => Token::AnyRun,
            PatternByte::Question => Token::AnyOne,
        };
        if !literal.is_empty() {
            tokens.push(Token::Literal(std::mem::take(&mut literal).into()));
        }
        // `**` is the same as `*`.
        if wildcard == Token::AnyRun && tokens.last() == Some(&Token::AnyRun) {
            continue;
        }
        tokens.push(wildcard);
    }
    if !literal.is_empty() {
        tokens.push(Token::Literal(literal.into()));
    }
    tokens
}

/// Greedy glob matching with backtracking to the last star only, which is exact when every
/// star behaves alike: linear in practice, O(pattern × text) at worst, no allocation.
/// A literal before the first star must be a prefix and one after the last star a suffix,
/// which settles most non-matches before any search; after a star the next literal is
/// found with `memmem` rather than byte by byte.
fn glob(tokens: &[Token], text: &[u8]) -> bool {
    if let Some(Token::Literal(first)) = tokens.first()
        && !text.starts_with(first)
    {
        return false;
    }
    if tokens.len() > 1
        && let Some(Token::Literal(last)) = tokens.last()
        && !text.ends_with(last)
    {
        return false;
    }
    let (mut token, mut offset) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    loop {
        let advanced = match tokens.get(token) {
            Some(Token::AnyRun) => {
                // Skip straight to where the next literal can start.
                if let Some(Token::Literal(lit)) = tokens.get(token + 1) {
                    match memchr::memmem::find(&text[offset..], lit) {
                        Some(found) => offset += found,
                        None => return false,
                    }
                }
                last_star = Some((token, offset));
                token += 1;
                continue;
            }
            Some(Token::AnyOne) if offset < text.len() => {
                offset += 1;
                true
            }
            Some(Token::Literal(lit)) if text[offset..].starts_with(lit) => {
                offset += lit.len();
                true
            }
            None if offset == text.len() => return true,
            _ => false,
        };
        if advanced {
            token += 1;
            continue;
        }
        match last_star {
            Some((star, star_offset)) if star_offset < text.len() => {
                // Let the star take one more byte, then find the next literal again.
                let mut resume = star_offset + 1;
                if let Some(Token::Literal(lit)) = tokens.get(star + 1) {
                    match memchr::memmem::find(&text[resume..], lit) {
                        Some(found) => resume += found,
                        None => return false,
                    }
                }
                last_star = Some((star, resume));
                token = star + 1;
                offset = resume;
            }
            _ => return false,
        }
    }
}

impl Segment {
    /// Whether this segment's glob matches one text segment (no colon inside).
    #[inline]
    fn matches(&self, text: &[u8]) -> bool {
        match &*self.tokens {
            [Token::AnyRun] => true,
            [Token::Literal(lit)] => **lit == *text,
            tokens => glob(tokens, text),
        }
    }
}

/// Matches an ARN pattern segment by segment. A segment glob-matches one text segment; a
/// segment ending in `*` may also swallow any number of whole following text segments
/// (its star runs across the colons).
///
/// The segments after the last such crossing segment cannot swallow anything, so they must
/// match the text's last segments one to one: that is checked first, from the end, and
/// settles most non-matches at once. The rest is a reachability pass over the text's
/// segment boundaries, kept as a bit set.
fn match_segments(segments: &[Segment], text: &[u8]) -> bool {
    let Some(last_crossing) = segments.iter().rposition(|s| s.crossing_tail) else {
        // No crossing star: one pattern segment per text segment.
        let mut text_segments = text.split(|&b| b == b':');
        return segments
            .iter()
            .all(|segment| text_segments.next().is_some_and(|t| segment.matches(t)))
            && text_segments.next().is_none();
    };
    let mut end = text.len();
    for segment in segments[last_crossing + 1..].iter().rev() {
        let Some(colon) = memchr::memrchr(b':', &text[..end]) else {
            return false;
        };
        if !segment.matches(&text[colon + 1..end]) {
            return false;
        }
        end = colon;
    }
    match_crossing_prefix(&segments[..=last_crossing], &text[..end])
}

/// `segments` ends with a crossing segment, which swallows whatever `text` has left.
fn match_crossing_prefix(segments: &[Segment], text: &[u8]) -> bool {
    const MAX_TEXT_SEGMENTS: usize = 127;
    let mut bounds = [0usize; MAX_TEXT_SEGMENTS + 1];
    let mut count = 0;
    let mut start = 0;
    for colon in memchr::memchr_iter(b':', text) {
        if count + 1 >= MAX_TEXT_SEGMENTS {
            return match_segments_slow(segments, text);
        }
        bounds[count] = start;
        count += 1;
        start = colon + 1;
    }
    bounds[count] = start;
    count += 1;
    let segment_text = |j: usize| -> &[u8] {
        let end = if j + 1 < count {
            bounds[j + 1] - 1
        } else {
            text.len()
        };
        &text[bounds[j]..end]
    };
    let all_after = |j: usize| (u128::MAX << (j + 1)) & (u128::MAX >> (127 - count));
    // Bit j set: the segments so far matched exactly the first j text segments.
    let mut reachable: u128 = 1;
    for segment in segments {
        let mut next: u128 = 0;
        let mut pending = reachable & !(u128::MAX << count);
        while pending != 0 {
            let j = pending.trailing_zeros() as usize;
            pending &= pending - 1;
            if !segment.matches(segment_text(j)) {
                continue;
            }
            if segment.crossing_tail {
                // Text segments j+1 ..= count may all have been swallowed; the later
                // starting points add nothing new.
                next |= all_after(j);
                break;
            }
            next |= 1 << (j + 1);
        }
        if next == 0 {
            return false;
        }
        reachable = next;
    }
    reachable & (1 << count) != 0
}

/// Fallback for texts with more than 64 colons: character-level recursion with a memo.
fn match_segments_slow(segments: &[Segment], text: &[u8]) -> bool {
    let mut pattern = Vec::new();
    for (index, segment) in segments.iter().enumerate() {
        if index > 0 {
            pattern.push((Some(b':'), false));
        }
        for token in segment.tokens.iter() {
            match token {
                Token::Literal(lit) => pattern.extend(lit.iter().map(|&b| (Some(b), false))),
                Token::AnyOne => pattern.push((None, false)),
                Token::AnyRun => pattern.push((None, true)),
            }
        }
    }
    let crossing: Vec<bool> = (0..pattern.len())
        .map(|i| pattern[i].1 && matches!(pattern.get(i + 1), None | Some((Some(b':'), false))))
        .collect();
    let mut failed = vec![false; (pattern.len() + 1) * (text.len() + 1)];
    slow_from(&pattern, &crossing, text, 0, 0, &mut failed)
}

fn slow_from(
    pattern: &[(Option<u8>, bool)],
    crossing: &[bool],
    text: &[u8],
    p: usize,
    t: usize,
    failed: &mut [bool],
) -> bool {
    let memo = p * (text.len() + 1) + t;
    if failed[memo] {
        return false;
    }
    let result = match pattern.get(p) {
        None => t == text.len(),
        Some((Some(byte), _)) => {
            text.get(t) == Some(byte) && slow_from(pattern, crossing, text, p + 1, t + 1, failed)
        }
        Some((None, false)) => {
            text.get(t).is_some_and(|&b| b != b':')
                && slow_from(pattern, crossing, text, p + 1, t + 1, failed)
        }
        Some((None, true)) => {
            let mut end = t;
            loop {
                if slow_from(pattern, crossing, text, p + 1, end, failed) {
                    break true;
                }
                match text.get(end) {
                    Some(&b) if crossing[p] || b != b':' => end += 1,
                    _ => break false,
                }
            }
        }
    };
    if !result {
        failed[memo] = true;
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
    fn compile_fast_paths_agree_with_the_general_compiler() {
        for pattern in [
            "",
            "*",
            "**",
            "?",
            "a",
            "a*",
            "a?",
            "*a",
            "a*b",
            "a**",
            "s3:Get*",
            "arn:aws:s3:::b/*",
            "arn:aws:rds-db:*:*:dbuser:*/app",
            "a?*",
            "ab*?",
            "arn:*",
            "x:*:y",
            ":*",
        ] {
            for flavour in [Flavour::Plain, Flavour::Arn] {
                assert_eq!(
                    Wildcard::compile(pattern, flavour),
                    Wildcard::compile_with(pattern.as_bytes(), |_| true, flavour),
                    "{pattern:?} {flavour:?}"
                );
            }
        }
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
    fn texts_with_many_colons_use_the_exact_fallback() {
        let many = format!("arn:aws:x:r:1:{}end", "a:".repeat(200));
        assert!(arn("arn:aws:x:r:1:*", &many));
        assert!(
            !arn("arn:aws:x:*:1:a:*end", &many),
            "a star followed by text is bounded"
        );
        assert!(arn("arn:aws:x:*:1:*:end", &many));
        assert!(!arn("arn:aws:x:r:1:a*end", &many));
        assert!(arn("arn:aws:x:r:1:a:a*:end", &many));
    }

    #[test]
    fn segment_matcher_agrees_with_the_character_level_definition() {
        // Exhaustive over short patterns and texts from a small alphabet.
        let alphabet = [b'a', b':', b'*', b'?'];
        let texts: Vec<String> = (0..=4).flat_map(|len| words(b"ab:", len)).collect();
        for len in 0..=4 {
            for pattern in words(
                &[alphabet[0], alphabet[1], alphabet[2], alphabet[3], b'b'],
                len,
            ) {
                let compiled = Wildcard::compile(&pattern, Flavour::Arn);
                let segments: Vec<Segment> = pattern
                    .as_bytes()
                    .split(|b| *b == b':')
                    .map(|segment| {
                        let classified: Vec<PatternByte> = segment
                            .iter()
                            .map(|&b| match b {
                                b'*' => PatternByte::Star,
                                b'?' => PatternByte::Question,
                                b => PatternByte::Literal(b),
                            })
                            .collect();
                        Segment {
                            crossing_tail: classified.last() == Some(&PatternByte::Star),
                            tokens: tokenize(&classified).into(),
                        }
                    })
                    .collect();
                for text in &texts {
                    assert_eq!(
                        compiled.matches(text),
                        match_segments_slow(&segments, text.as_bytes()),
                        "{pattern:?} vs {text:?}"
                    );
                }
            }
        }
    }

    /// The textbook definition, exponential but obviously right.
    fn reference_plain(pattern: &[u8], text: &[u8]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some((b'*', rest)) => (0..=text.len()).any(|skip| reference_plain(rest, &text[skip..])),
            Some((b'?', rest)) => !text.is_empty() && reference_plain(rest, &text[1..]),
            Some((byte, rest)) => text.first() == Some(byte) && reference_plain(rest, &text[1..]),
        }
    }

    #[test]
    fn plain_glob_agrees_with_the_textbook_definition() {
        let texts: Vec<String> = (0..=6).flat_map(|len| words(b"ab", len)).collect();
        for len in 0..=5 {
            for pattern in words(b"ab*?", len) {
                let compiled = Wildcard::compile(&pattern, Flavour::Plain);
                for text in &texts {
                    assert_eq!(
                        compiled.matches(text),
                        reference_plain(pattern.as_bytes(), text.as_bytes()),
                        "{pattern:?} vs {text:?}"
                    );
                }
            }
        }
    }

    fn words(alphabet: &[u8], len: usize) -> Vec<String> {
        (0..alphabet.len().pow(len as u32))
            .map(|mut n| {
                (0..len)
                    .map(|_| {
                        let byte = alphabet[n % alphabet.len()];
                        n /= alphabet.len();
                        byte as char
                    })
                    .collect()
            })
            .collect()
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
            Wildcard::Segments(_)
        ));
        assert!(matches!(
            Wildcard::compile("s3:*object", Flavour::Plain),
            Wildcard::Glob(_)
        ));
    }
}
