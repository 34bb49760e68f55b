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
//! for them; evaluation runs millions of times. Literal, `*` and one-trailing-`*` patterns are
//! compared directly; every other shape runs a bit-parallel automaton whose cost is
//! ⌈(pattern elements + 1) / 64⌉ word operations per text byte, whatever the stars and colons
//! (no recursion, no backtracking, no memo table; README "Bounds").

/// How `*` and `?` treat the ARN segment separator `:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// Wildcards match any character.
    Plain,
    /// Wildcards stay inside a `:` segment unless the `*` ends its segment.
    Arn,
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
    /// Every other shape: a bit-parallel automaton (see [`Automaton`]).
    General(Box<Automaton>),
}

/// A pattern byte: a literal, or a wildcard character that acts as one.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
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
        Wildcard::General(Box::new(Automaton::new(&classified, flavour)))
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
            Wildcard::General(automaton) => automaton.matches(text),
        }
    }
}

/// One pattern element after `**` runs are folded into one `*`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Element {
    Literal(u8),
    AnyOne,
    /// `crosses`: may also consume `:` (always in the plain flavour; under ARN rules when
    /// the star ends its segment).
    AnyRun {
        crosses: bool,
    },
}

/// The pattern as a nondeterministic automaton simulated with bit sets (Shift-And): state `i`
/// means "the first `i` elements matched". Each text byte costs ⌈(elements + 1) / 64⌉ word
/// operations, whatever the number of stars or colons: matching is linear in the text for a
/// given pattern, with no recursion, no backtracking and no memo table. A literal head must
/// be a prefix of the text and a literal tail a suffix, which settles most non-matches before
/// the automaton runs.
///
/// ARN rules (README "What the engine implements"): `?` and a `*` followed by more of its
/// segment never consume `:`; a `*` that ends its segment (followed by `:` or the end)
/// consumes anything. A run of stars acts as its last star.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Automaton {
    /// Literal bytes before the first wildcard, and after the last one.
    head: Box<[u8]>,
    tail: Box<[u8]>,
    /// Bit-set width in 64-bit words.
    words: usize,
    /// `class[byte]`: row of `literal` holding the states that consume `byte` (row 0: none;
    /// a `&str` holds at most 243 distinct byte values, so a `u8` row number suffices).
    class: Box<[u8; 256]>,
    /// Row-major, `words` per row: row 0 empty, then one row per distinct literal byte.
    literal: Box<[u64]>,
    /// States at a `?` (under ARN rules they refuse `:`).
    any_one: Box<[u64]>,
    /// States at a `*` (they loop on any byte and pass on without consuming).
    star: Box<[u64]>,
    /// States at a `*` that may loop on `:`.
    star_colon: Box<[u64]>,
    /// Number of elements (the accepting state).
    accept: usize,
    flavour: Flavour,
}

impl Automaton {
    fn new(pattern: &[PatternByte], flavour: Flavour) -> Automaton {
        let mut elements: Vec<Element> = Vec::with_capacity(pattern.len());
        for (index, byte) in pattern.iter().enumerate() {
            let element = match *byte {
                PatternByte::Literal(b) => Element::Literal(b),
                PatternByte::Question => Element::AnyOne,
                PatternByte::Star => {
                    let ends_segment = matches!(
                        pattern.get(index + 1),
                        None | Some(PatternByte::Literal(b':'))
                    );
                    // `**`: the run acts as its last star (only the last can end a segment).
                    if let Some(Element::AnyRun { .. }) = elements.last() {
                        elements.pop();
                    }
                    Element::AnyRun {
                        crosses: flavour == Flavour::Plain || ends_segment,
                    }
                }
            };
            elements.push(element);
        }
        let head_len = elements
            .iter()
            .take_while(|e| matches!(e, Element::Literal(_)))
            .count();
        let tail_len = elements
            .iter()
            .rev()
            .take_while(|e| matches!(e, Element::Literal(_)))
            .count()
            .min(elements.len() - head_len);
        let literal_bytes = |range: &[Element]| -> Box<[u8]> {
            range
                .iter()
                .filter_map(|e| match e {
                    Element::Literal(b) => Some(*b),
                    _ => None,
                })
                .collect()
        };
        let head = literal_bytes(&elements[..head_len]);
        let tail = literal_bytes(&elements[elements.len() - tail_len..]);
        let accept = elements.len();
        let words = accept / 64 + 1;
        let mut class = Box::new([0_u8; 256]);
        let mut rows: Vec<u64> = vec![0; words];
        let mut any_one = vec![0_u64; words];
        let mut star = vec![0_u64; words];
        let mut star_colon = vec![0_u64; words];
        let set = |bits: &mut [u64], row: usize, state: usize| {
            bits[row * words + state / 64] |= 1 << (state % 64);
        };
        let mut next_row: u8 = 1;
        for (state, element) in elements.iter().enumerate() {
            match *element {
                Element::Literal(byte) => {
                    if class[byte as usize] == 0 {
                        class[byte as usize] = next_row;
                        rows.extend(std::iter::repeat_n(0, words));
                        // UTF-8 text has at most 243 distinct bytes: no wrap.
                        next_row = next_row.saturating_add(1);
                    }
                    set(&mut rows, class[byte as usize] as usize, state);
                }
                Element::AnyOne => set(&mut any_one, 0, state),
                Element::AnyRun { crosses } => {
                    set(&mut star, 0, state);
                    if crosses {
                        set(&mut star_colon, 0, state);
                    }
                }
            }
        }
        Automaton {
            head,
            tail,
            words,
            class,
            literal: rows.into(),
            any_one: any_one.into(),
            star: star.into(),
            star_colon: star_colon.into(),
            accept,
            flavour,
        }
    }

    /// The `words`-wide row `row` of the literal table.
    #[inline]
    fn row(&self, row: usize) -> &[u64] {
        &self.literal[row * self.words..(row + 1) * self.words]
    }

    #[inline]
    fn matches(&self, text: &[u8]) -> bool {
        if text.len() < self.head.len() + self.tail.len()
            || !text.starts_with(&self.head)
            || !text.ends_with(&self.tail)
        {
            return false;
        }
        if self.words == 1 {
            self.run_one_word(text)
        } else {
            self.run_many_words(text)
        }
    }

    /// Whether `?` consumes `byte`.
    #[inline]
    fn any_one_takes(&self, byte: u8) -> bool {
        byte != b':' || self.flavour == Flavour::Plain
    }

    fn run_one_word(&self, text: &[u8]) -> bool {
        let (star, star_colon) = (self.star[0], self.star_colon[0]);
        let any_one = self.any_one[0];
        let any_one_colon = if self.any_one_takes(b':') { any_one } else { 0 };
        let close = |state: u64| state | ((state & star) << 1);
        let mut state = close(1);
        for &byte in text {
            let literal = self.literal[self.class[byte as usize] as usize];
            let (consume, looping) = if byte == b':' {
                (literal | any_one_colon, star_colon)
            } else {
                (literal | any_one, star)
            };
            state = close(((state & consume) << 1) | (state & looping));
            if state == 0 {
                return false;
            }
        }
        state & (1 << self.accept) != 0
    }

    fn run_many_words(&self, text: &[u8]) -> bool {
        let words = self.words;
        let mut state = vec![0_u64; words];
        let mut next = vec![0_u64; words];
        state[0] = 1;
        close_many(&mut state, &self.star);
        let no_any_one = vec![0_u64; words];
        for &byte in text {
            let literal = self.row(self.class[byte as usize] as usize);
            let any_one: &[u64] = if self.any_one_takes(byte) {
                &self.any_one
            } else {
                &no_any_one
            };
            let looping = if byte == b':' {
                &self.star_colon
            } else {
                &self.star
            };
            let mut carry = 0_u64;
            let mut alive = 0_u64;
            for w in 0..words {
                let consumed = state[w] & (literal[w] | any_one[w]);
                next[w] = (consumed << 1) | carry | (state[w] & looping[w]);
                carry = consumed >> 63;
                alive |= next[w];
            }
            if alive == 0 {
                return false;
            }
            close_many(&mut next, &self.star);
            std::mem::swap(&mut state, &mut next);
        }
        state[self.accept / 64] & (1 << (self.accept % 64)) != 0
    }
}

/// Adds, for every active state at a star, the state after it (the star may match nothing).
/// Stars never follow each other after folding, so one pass is the closure.
#[inline]
fn close_many(state: &mut [u64], star: &[u64]) {
    let mut carry = 0_u64;
    for w in 0..state.len() {
        let at_star = state[w] & star[w];
        state[w] |= (at_star << 1) | carry;
        carry = at_star >> 63;
    }
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

    /// The ARN definition at the character level (README "What the engine implements"):
    /// `?` and a `*` followed by more of its segment never take `:`; a `*` that is the last
    /// character of its segment (followed by `:` or the end) takes anything. Exponential,
    /// obviously right.
    fn reference_arn(pattern: &[u8], text: &[u8]) -> bool {
        fn from(pattern: &[u8], p: usize, text: &[u8]) -> bool {
            match pattern.get(p) {
                None => text.is_empty(),
                Some(b'?') => {
                    text.first().is_some_and(|&b| b != b':') && from(pattern, p + 1, &text[1..])
                }
                Some(b'*') => {
                    let crossing = matches!(pattern.get(p + 1), None | Some(b':'));
                    let mut skip = 0;
                    loop {
                        if from(pattern, p + 1, &text[skip..]) {
                            return true;
                        }
                        match text.get(skip) {
                            Some(&b) if crossing || b != b':' => skip += 1,
                            _ => return false,
                        }
                    }
                }
                Some(&byte) => text.first() == Some(&byte) && from(pattern, p + 1, &text[1..]),
            }
        }
        from(pattern, 0, text)
    }

    #[test]
    fn segment_matcher_agrees_with_the_character_level_definition() {
        // Exhaustive over short patterns and texts from a small alphabet.
        let texts: Vec<String> = (0..=4).flat_map(|len| words(b"ab:", len)).collect();
        for len in 0..=4 {
            for pattern in words(b"a:*?b", len) {
                let compiled = Wildcard::compile(&pattern, Flavour::Arn);
                for text in &texts {
                    assert_eq!(
                        compiled.matches(text),
                        reference_arn(pattern.as_bytes(), text.as_bytes()),
                        "{pattern:?} vs {text:?}"
                    );
                }
            }
        }
    }

    /// A small deterministic generator (xorshift), so the property test needs no crate and
    /// replays the same cases everywhere.
    struct Xorshift(u64);
    impl Xorshift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn word(&mut self, alphabet: &[u8], max_len: usize) -> String {
            let len = (self.next() % (max_len as u64 + 1)) as usize;
            (0..len)
                .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char)
                .collect()
        }
    }

    #[test]
    fn linear_matcher_agrees_with_the_definitions_on_long_random_cases() {
        // Patterns up to 150 elements (the multi-word automaton: more than 64 states) and
        // texts up to 40 bytes, both flavours, 20,000 pairs.
        let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
        for round in 0..20_000 {
            let max_pattern = if round % 4 == 0 { 150 } else { 12 };
            let pattern = rng.word(b"ab:*?**::", max_pattern);
            // Texts built from the pattern's literals match more often than random ones.
            let text = if round % 2 == 0 {
                rng.word(b"ab:", 40)
            } else {
                pattern
                    .bytes()
                    .map(|b| match b {
                        b'*' | b'?' => ["a", "", ":", "ab"][(rng.next() % 4) as usize],
                        b':' => ":",
                        b'a' => "a",
                        _ => "b",
                    })
                    .collect()
            };
            // The reference is exponential in stars: keep those cases short.
            if pattern.matches('*').count() > 10 && text.len() > 20 {
                continue;
            }
            assert_eq!(
                Wildcard::compile(&pattern, Flavour::Arn).matches(&text),
                reference_arn(pattern.as_bytes(), text.as_bytes()),
                "ARN {pattern:?} vs {text:?}"
            );
            assert_eq!(
                Wildcard::compile(&pattern, Flavour::Plain).matches(&text),
                reference_plain(pattern.as_bytes(), text.as_bytes()),
                "plain {pattern:?} vs {text:?}"
            );
        }
    }

    #[test]
    fn texts_and_patterns_with_thousands_of_colons_neither_overflow_nor_blow_up() {
        // Was: > 126 colons took a recursive path that overflowed the stack, and a larger
        // text asked for a pattern × text memo table (10 GB).
        let text = format!("arn:aws:x:r:1:{}end", "a:".repeat(5_000));
        assert!(arn("arn:aws:x:r:1:*", &text));
        assert!(arn("arn:aws:x:*:1:*:end", &text));
        assert!(!arn("arn:aws:x:*:1:a:*end", &text));
        // `a?` needs two characters in one segment: never.
        let pattern = format!("arn:aws:x:*:1:{}*end", "a?:".repeat(2_000));
        assert!(!arn(&pattern, &text));
        let pattern = format!("arn:aws:x:*:1:{}end", "a*:".repeat(5_000));
        assert!(arn(&pattern, &text));
        let pattern = format!("arn:aws:x:*:1:{}end", "?:".repeat(5_001));
        assert!(!arn(&pattern, &text), "one segment too many");
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
            Wildcard::General(_)
        ));
        assert!(matches!(
            Wildcard::compile("s3:*object", Flavour::Plain),
            Wildcard::General(_)
        ));
    }
}
