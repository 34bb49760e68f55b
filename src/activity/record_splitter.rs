//! Splits a CloudTrail JSON stream (`{"Records":[{...},{...}]}`, usually one long line) into
//! its records without parsing them and without holding the whole document: a structural scan
//! (strings, escapes, nesting) over a bounded, reused buffer. Each complete record is handed
//! to a callback as a byte slice; the caller decides which few deserve a real parse.
//!
//! A record is an object that opens directly inside the top-level array: `Records` of a root
//! object, or a root array (`[{...},...]`, as some exporters write). Memory is one buffer of
//! [`CHUNK`] bytes, grown only while a single record is larger, up to `max_record` bytes; a
//! larger record is skipped (and counted), never buffered.

use std::io::{self, ErrorKind, Read};

/// Bytes read from the decompressor per refill.
pub const CHUNK: usize = 256 * 1024;

/// Why a stream stopped being split before its natural end, or what was wrong with it.
#[derive(Debug)]
pub enum SplitError {
    /// The reader failed (for gzip: truncated or corrupt stream). Records before it were delivered.
    Io(io::Error),
    /// The first significant byte is not `{` or `[`: not a JSON document.
    NotJson { offset: u64, byte: u8 },
    /// A closing bracket with nothing open, or bytes after the document ended.
    Malformed { offset: u64, what: &'static str },
    /// The stream ended inside the document.
    Truncated { depth: u32 },
}

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SplitError::Io(e) => write!(f, "read error: {e}"),
            SplitError::NotJson { offset, byte } => {
                write!(f, "not JSON: byte 0x{byte:02x} at offset {offset}")
            }
            SplitError::Malformed { offset, what } => write!(f, "{what} at offset {offset}"),
            SplitError::Truncated { depth } => {
                write!(f, "document ends inside {depth} open bracket(s)")
            }
        }
    }
}

/// Counts from one split, complete even when it ended in an error.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SplitStats {
    /// Decompressed bytes read.
    pub bytes: u64,
    /// Complete records seen (including oversized ones that were skipped).
    pub records: u64,
    /// Records larger than `max_record`, skipped without being handed over.
    pub oversized: u64,
}

/// Scanner state that survives buffer refills.
struct State {
    depth: u32,
    /// Bit `d` set: the container opened at depth `d` (1-based) is an array. Only the first
    /// levels matter (records live at depth ≤ 2), so 64 bits are plenty.
    arrays: u64,
    in_string: bool,
    /// The previous chunk ended on a backslash inside a string.
    escape_pending: bool,
    /// Depth at which the current record's `{` was opened, while inside a record.
    record_depth: Option<u32>,
    root_seen: bool,
    root_closed: bool,
}

/// Splits `input` into records, calling `on_record` with each complete one in order.
/// Returns the counts, and the first error that stopped (or spoiled) the split.
pub fn split_records<R: Read>(
    mut input: R,
    max_record: usize,
    mut on_record: impl FnMut(&[u8]),
) -> (SplitStats, Option<SplitError>) {
    let mut stats = SplitStats::default();
    let mut st = State {
        depth: 0,
        arrays: 0,
        in_string: false,
        escape_pending: false,
        record_depth: None,
        root_seen: false,
        root_closed: false,
    };
    let mut buf: Vec<u8> = vec![0; CHUNK];
    let mut len = 0usize; // valid bytes in buf
    let mut rec_start: Option<usize> = None; // start of the record being buffered
    let mut skipping = false; // current record is oversized: track structure, keep no bytes
    let mut base: u64 = 0; // stream offset of buf[0]

    loop {
        // Make room: drop everything before the record in progress.
        let keep_from = rec_start.unwrap_or(len);
        if keep_from > 0 {
            buf.copy_within(keep_from..len, 0);
            len -= keep_from;
            base += keep_from as u64;
            rec_start = rec_start.map(|_| 0);
        }
        if len == buf.len() {
            // One record fills the buffer: grow while allowed, else skip it.
            if buf.len() < max_record {
                buf.resize((buf.len() * 2).min(max_record.max(CHUNK)), 0);
            } else {
                skipping = true;
                rec_start = None;
                base += len as u64;
                len = 0;
            }
        }
        let n = match input.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return (stats, Some(SplitError::Io(e))),
        };
        let scan_from = len;
        len += n;
        stats.bytes += n as u64;
        if let Err(e) = scan(
            &buf[..len],
            scan_from,
            base,
            &mut st,
            &mut rec_start,
            &mut skipping,
            &mut stats,
            &mut on_record,
        ) {
            return (stats, Some(e));
        }
    }
    if st.depth > 0 || st.in_string {
        return (stats, Some(SplitError::Truncated { depth: st.depth }));
    }
    (stats, None)
}

/// Advances the structural scan over `buf[from..]`, emitting completed records.
#[allow(clippy::too_many_arguments)] // the split loop's state, kept in locals for speed
#[inline]
fn scan(
    buf: &[u8],
    from: usize,
    base: u64,
    st: &mut State,
    rec_start: &mut Option<usize>,
    skipping: &mut bool,
    stats: &mut SplitStats,
    on_record: &mut impl FnMut(&[u8]),
) -> Result<(), SplitError> {
    let len = buf.len();
    let mut i = from;
    if st.escape_pending && i < len {
        st.escape_pending = false;
        i += 1;
    }
    while i < len {
        if st.in_string {
            // Strings are most of the bytes: jump to the next quote or backslash.
            match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                None => return Ok(()),
                Some(k) => {
                    let j = i + k;
                    if buf[j] == b'"' {
                        st.in_string = false;
                        i = j + 1;
                    } else if j + 1 < len {
                        i = j + 2; // skip the escaped byte, whatever it is
                    } else {
                        st.escape_pending = true;
                        return Ok(());
                    }
                }
            }
            continue;
        }
        let b = buf[i];
        match b {
            b'"' => st.in_string = true,
            b'{' | b'[' => {
                if !st.root_seen {
                    st.root_seen = true;
                } else if st.root_closed {
                    return Err(SplitError::Malformed {
                        offset: base + i as u64,
                        what: "data after the end of the document",
                    });
                }
                if b == b'{'
                    && st.record_depth.is_none()
                    && (st.depth == 1 || st.depth == 2)
                    && st.arrays & (1 << st.depth) != 0
                {
                    st.record_depth = Some(st.depth);
                    if !*skipping {
                        *rec_start = Some(i);
                    }
                }
                st.depth += 1;
                if st.depth < 64 {
                    if b == b'[' {
                        st.arrays |= 1 << st.depth;
                    } else {
                        st.arrays &= !(1 << st.depth);
                    }
                }
            }
            b'}' | b']' => {
                if st.depth == 0 {
                    return Err(SplitError::Malformed {
                        offset: base + i as u64,
                        what: "closing bracket with nothing open",
                    });
                }
                st.depth -= 1;
                if st.record_depth == Some(st.depth) {
                    st.record_depth = None;
                    stats.records += 1;
                    if *skipping {
                        *skipping = false;
                        stats.oversized += 1;
                    } else if let Some(start) = rec_start.take() {
                        on_record(&buf[start..=i]);
                    }
                }
                if st.depth == 0 {
                    st.root_closed = true;
                }
            }
            b' ' | b'\n' | b'\r' | b'\t' => {}
            _ if !st.root_seen => {
                return Err(SplitError::NotJson {
                    offset: base + i as u64,
                    byte: b,
                });
            }
            _ if st.root_closed => {
                return Err(SplitError::Malformed {
                    offset: base + i as u64,
                    what: "data after the end of the document",
                });
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &[u8], max: usize) -> (Vec<String>, SplitStats, Option<SplitError>) {
        let mut out = Vec::new();
        let (stats, err) = split_records(input, max, |r| {
            out.push(String::from_utf8(r.to_vec()).unwrap())
        });
        (out, stats, err)
    }

    #[test]
    fn splits_records_with_tricky_strings() {
        let doc = br#"{"Records":[{"a":"}{\"]","b":[1,{"c":2}]},{"d":"\\"},{}]}"#;
        let (recs, stats, err) = split(doc, 1 << 20);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(
            recs,
            vec![r#"{"a":"}{\"]","b":[1,{"c":2}]}"#, r#"{"d":"\\"}"#, "{}"]
        );
        assert_eq!(stats.records, 3);
        assert_eq!(stats.bytes, doc.len() as u64);
    }

    #[test]
    fn root_array_and_whitespace() {
        let (recs, _, err) = split(b" [ {\"x\":1} ,\n{\"y\":2} ]\n", 1 << 20);
        assert!(err.is_none());
        assert_eq!(recs, vec!["{\"x\":1}", "{\"y\":2}"]);
    }

    /// A reader that hands out one byte at a time, so every state crosses a refill boundary.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() || out.is_empty() {
                return Ok(0);
            }
            out[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }

    #[test]
    fn same_records_when_fed_byte_by_byte() {
        let doc = br#"{"Records":[{"a":"x\\\"y{"},{"b":"\u0041"}]}"#;
        let (whole, _, _) = split(doc, 1 << 20);
        let mut trickled = Vec::new();
        let (_, err) = split_records(Trickle(doc), 1 << 20, |r| trickled.push(r.to_vec()));
        assert!(err.is_none());
        let trickled: Vec<String> = trickled
            .into_iter()
            .map(|r| String::from_utf8(r).unwrap())
            .collect();
        assert_eq!(whole, trickled);
        assert_eq!(whole.len(), 2);
    }

    #[test]
    fn oversized_record_is_skipped_and_counted() {
        let big = format!(r#"{{"big":"{}"}}"#, "z".repeat(3 * CHUNK));
        let doc = format!(r#"{{"Records":[{{"a":1}},{big},{{"b":2}}]}}"#);
        let (recs, stats, err) = split(doc.as_bytes(), CHUNK);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(recs, vec![r#"{"a":1}"#, r#"{"b":2}"#]);
        assert_eq!(stats.records, 3);
        assert_eq!(stats.oversized, 1);
        // The same record fits when the limit allows it.
        let (recs, stats, _) = split(doc.as_bytes(), 8 * CHUNK);
        assert_eq!(recs.len(), 3);
        assert_eq!(stats.oversized, 0);
    }

    #[test]
    fn errors() {
        assert!(matches!(
            split(b"PK\x03\x04", 1 << 20).2,
            Some(SplitError::NotJson { offset: 0, .. })
        ));
        let (recs, _, err) = split(br#"{"Records":[{"a":1},{"b":"#, 1 << 20);
        assert_eq!(recs, vec![r#"{"a":1}"#]);
        assert!(matches!(err, Some(SplitError::Truncated { depth: 3 })));
        assert!(matches!(
            split(b"{}}", 1 << 20).2,
            Some(SplitError::Malformed { offset: 2, .. })
        ));
        assert!(matches!(
            split(b"{} x", 1 << 20).2,
            Some(SplitError::Malformed { offset: 3, .. })
        ));
    }
}
