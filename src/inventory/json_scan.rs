//! Locating JSON values without parsing them: where the object, array, string or scalar
//! that starts at a byte ends. The snapshot's fast parse uses it to cut an organization's
//! accounts out of the document for the thread pool; serde then parses each piece, and
//! validates it, so this only has to find the ends of valid JSON exactly and must never
//! read past the input (on invalid JSON it may answer anything, or `None`).
//!
//! Objects and arrays are scanned 64 bytes at a time: four byte masks (quote, backslash,
//! opening and closing bracket, from the classifier shared with the CloudTrail splitter,
//! [`crate::json_blocks`]) and a prefix XOR of the quote mask give the brackets that lie
//! outside strings, and only those are visited one by one. A block holding a backslash
//! takes the byte-by-byte path, which follows escapes. Splitting accounts this way runs
//! several times faster than serde's `RawValue`, which the scan replaces on the one thread
//! that feeds all the others.

use crate::json_blocks::{masks, prefix_xor};

/// The end (exclusive) of the JSON value that starts at `start` (no whitespace before it).
pub fn value_end(bytes: &[u8], start: usize) -> Option<usize> {
    match *bytes.get(start)? {
        b'{' | b'[' => container_end(bytes, start),
        b'"' => string_end(bytes, start),
        _ => {
            let rest = bytes.get(start..)?;
            let length = rest
                .iter()
                .position(|byte| matches!(byte, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(rest.len());
            (length > 0).then_some(start + length)
        }
    }
}

/// The end (exclusive) of the string whose opening quote is at `start`.
pub fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut at = start + 1;
    loop {
        at += memchr::memchr2(b'"', b'\\', bytes.get(at..)?)?;
        if bytes[at] == b'"' {
            return Some(at + 1);
        }
        at += 2; // the backslash and the byte it escapes
    }
}

/// The end (exclusive) of the object or array whose opening bracket is at `start`.
pub fn container_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    // Carried from one block to the next: inside a string; after a backslash in one.
    let mut in_string = false;
    let mut escaped = false;
    let mut at = start;
    while at < bytes.len() {
        if !escaped
            && let Some(block) = bytes
                .get(at..at + 64)
                .and_then(|b| <&[u8; 64]>::try_from(b).ok())
        {
            let masks = masks(block);
            if masks.backslash == 0 {
                let inside = prefix_xor(masks.quote) ^ if in_string { u64::MAX } else { 0 };
                let (open, close) = (masks.open & !inside, masks.close & !inside);
                let mut brackets = open | close;
                while brackets != 0 {
                    let bit = brackets.trailing_zeros();
                    if open >> bit & 1 == 1 {
                        depth += 1;
                    } else {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(at + bit as usize + 1);
                        }
                    }
                    brackets &= brackets - 1;
                }
                in_string = inside >> 63 == 1;
                at += 64;
                continue;
            }
        }
        // A block with an escape, or the tail: byte by byte.
        let end = (at + 64).min(bytes.len());
        for (offset, &byte) in bytes[at..end].iter().enumerate() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if byte == b'\\' {
                    escaped = true;
                } else if byte == b'"' {
                    in_string = false;
                }
                continue;
            }
            match byte {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(at + offset + 1);
                    }
                }
                _ => {}
            }
        }
        at = end;
    }
    None
}

/// The first byte at or after `at` that is not JSON whitespace.
pub fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(at) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The end of the first value of `text`, as serde_json finds it.
    fn serde_end(text: &str) -> usize {
        let mut values = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
        values.next().expect("a value").expect("valid JSON");
        values.byte_offset()
    }

    #[test]
    fn finds_the_end_serde_finds_across_blocks_and_escapes() {
        let long = "x".repeat(70);
        let cases = [
            r#"{}"#.to_owned(),
            r#"[]"#.to_owned(),
            r#"{"a":[1,{"b":"}]"}],"c":"{["}"#.to_owned(),
            r#"["\"", "\\", "\\\"", "]", "\\\\"]"#.to_owned(),
            format!(r#"{{"k":"{long}\"{long}","l":["{long}]"]}}"#),
            // A backslash as the last byte of a block, escaping a quote in the next.
            format!(r#"{{"{}\"}}":"v"}}"#, "y".repeat(60)),
            format!(r#"{{"{}\\":"v"}}"#, "y".repeat(60)),
            format!(r#"[{}]"#, vec![r#"{"a":"b\"c"}"#; 40].join(",")),
            format!(r#"[{}]"#, vec![r#"{"a":["b","c"]}"#; 40].join(",")),
            r#""a string \" with an escape""#.to_owned(),
            "12.5e3".to_owned(),
            "true".to_owned(),
        ];
        for case in &cases {
            let padded = format!("{case} , \"trailing\"");
            assert_eq!(
                value_end(padded.as_bytes(), 0),
                Some(serde_end(&padded)),
                "{case}"
            );
        }
        // Every start offset inside a long document: blocks fall at every alignment.
        let document = format!(
            r#"[{}]"#,
            vec![r#"{"a":"b\\\"}","c":[{},[]]}"#; 20].join(",")
        );
        for shift in 0..64 {
            let shifted = format!("{}{document}", " ".repeat(shift));
            assert_eq!(
                container_end(shifted.as_bytes(), shift),
                Some(shifted.len()),
                "shift {shift}"
            );
        }
    }

    #[test]
    fn unterminated_or_unbalanced_input_has_no_end() {
        for text in [
            r#"{"a":1"#,
            r#"{"a":"}"#,
            r#"["\"]"#,
            r#"{"a":"b\"#,
            r#""open"#,
        ] {
            assert_eq!(value_end(text.as_bytes(), 0), None, "{text}");
        }
        let long_open = format!(r#"{{"a":"{}"#, "z".repeat(200));
        assert_eq!(container_end(long_open.as_bytes(), 0), None);
    }
}
