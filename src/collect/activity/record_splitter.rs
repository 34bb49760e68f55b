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

use crate::json_blocks::{masks, prefix_xor};

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
                write!(f, "not JSON: byte 0x{byte:02x} at offset {offset}")?;
                if *offset == 0 && *byte == 0x1f {
                    write!(f, " (gzip data in a file not named .gz?)")?;
                }
                Ok(())
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
#[derive(Default)]
struct State {
    depth: u32,
    /// Bit `d` set: the container opened at depth `d` (1-based) is an array. Only the first
    /// levels matter (records live at depth ≤ 2), so 64 bits are plenty.
    arrays: u64,
    in_string: bool,
    /// The byte at the scan position is escaped (the previous one was a lone backslash).
    escape_pending: bool,
    /// Depth at which the current record's `{` was opened, while inside a record.
    record_depth: Option<u32>,
    root_seen: bool,
    root_closed: bool,
    /// Buffer offset of the record being buffered.
    rec_start: Option<usize>,
    /// The current record is oversized: track its structure, keep none of its bytes.
    skipping: bool,
    stats: SplitStats,
}

/// Splits `input` into records, calling `on_record` with each complete one in order.
/// Returns the counts, and the first error that stopped (or spoiled) the split.
pub fn split_records<R: Read>(
    input: R,
    max_record: usize,
    on_record: impl FnMut(&[u8]),
) -> (SplitStats, Option<SplitError>) {
    split_records_with(input, max_record, &mut Vec::new(), on_record)
}

/// [`split_records`] with a caller-owned buffer, reused from one file to the next.
pub fn split_records_with<R: Read>(
    input: R,
    max_record: usize,
    buf: &mut Vec<u8>,
    on_record: impl FnMut(&[u8]),
) -> (SplitStats, Option<SplitError>) {
    if buf.len() != CHUNK {
        buf.resize(CHUNK, 0);
        buf.shrink_to(CHUNK); // give back what an oversized record of the last file grew
    }
    split_inner(input, max_record, buf, on_record)
}

fn split_inner<R: Read>(
    mut input: R,
    max_record: usize,
    buf: &mut Vec<u8>,
    mut on_record: impl FnMut(&[u8]),
) -> (SplitStats, Option<SplitError>) {
    let mut st = State::default();
    let mut len = 0usize; // valid bytes in buf
    let mut base: u64 = 0; // stream offset of buf[0]

    loop {
        // Make room: drop everything before the record in progress.
        let keep_from = st.rec_start.unwrap_or(len);
        if keep_from > 0 {
            buf.copy_within(keep_from..len, 0);
            len -= keep_from;
            base += keep_from as u64;
            st.rec_start = st.rec_start.map(|_| 0);
        }
        if len == buf.len() {
            // One record fills the buffer: grow while allowed, else skip it.
            if buf.len() < max_record {
                buf.resize((buf.len() * 2).min(max_record.max(CHUNK)), 0);
            } else {
                st.skipping = true;
                st.rec_start = None;
                base += len as u64;
                len = 0;
            }
        }
        let n = match input.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return (st.stats, Some(SplitError::Io(e))),
        };
        let scan_from = len;
        len += n;
        st.stats.bytes += n as u64;
        if let Err(e) = scan(&buf[..len], scan_from, base, &mut st, &mut on_record) {
            return (st.stats, Some(e));
        }
    }
    if st.depth > 0 || st.in_string {
        return (st.stats, Some(SplitError::Truncated { depth: st.depth }));
    }
    (st.stats, None)
}

/// Advances the structural scan over `buf[from..]`, emitting completed records. Inside the
/// document, whole 64-byte blocks go through [`scan_block`]; the document's first bytes and
/// each refill's short tail go byte by byte.
fn scan(
    buf: &[u8],
    from: usize,
    base: u64,
    st: &mut State,
    on_record: &mut impl FnMut(&[u8]),
) -> Result<(), SplitError> {
    let len = buf.len();
    let mut i = from;
    while i < len {
        if st.root_seen && !st.root_closed && i + 64 <= len {
            scan_block(buf, i, base, st, on_record)?;
            i += 64;
            continue;
        }
        if st.escape_pending {
            st.escape_pending = false;
            i += 1;
            continue;
        }
        if st.in_string {
            // Jump to the next quote or backslash.
            match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                None => return Ok(()),
                Some(k) => {
                    let j = i + k;
                    if buf[j] == b'"' {
                        st.in_string = false;
                    } else {
                        st.escape_pending = true;
                    }
                    i = j + 1;
                }
            }
            continue;
        }
        let b = buf[i];
        match b {
            b'"' => st.in_string = true,
            b'{' | b'[' | b'}' | b']' => {
                if !st.root_seen {
                    st.root_seen = true;
                }
                bracket(buf, i, base, st, on_record)?;
            }
            b' ' | b'\n' | b'\r' | b'\t' => {}
            _ if !st.root_seen => {
                return Err(SplitError::NotJson {
                    offset: base + i as u64,
                    byte: b,
                });
            }
            _ if st.root_closed => return Err(after_end(base, i)),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

fn after_end(base: u64, i: usize) -> SplitError {
    SplitError::Malformed {
        offset: base + i as u64,
        what: "data after the end of the document",
    }
}

/// One bracket outside any string at `buf[i]`: nesting, record start and record end.
#[inline(always)]
fn bracket(
    buf: &[u8],
    i: usize,
    base: u64,
    st: &mut State,
    on_record: &mut impl FnMut(&[u8]),
) -> Result<(), SplitError> {
    let b = buf[i];
    if b == b'{' || b == b'[' {
        if st.root_closed {
            return Err(after_end(base, i));
        }
        if b == b'{'
            && st.record_depth.is_none()
            && (st.depth == 1 || st.depth == 2)
            && st.arrays & (1 << st.depth) != 0
        {
            st.record_depth = Some(st.depth);
            if !st.skipping {
                st.rec_start = Some(i);
            }
        }
        st.depth = st.depth.saturating_add(1); // a bracket bomb must not wrap or panic
        if st.depth < 64 {
            if b == b'[' {
                st.arrays |= 1 << st.depth;
            } else {
                st.arrays &= !(1 << st.depth);
            }
        }
        return Ok(());
    }
    if st.depth == 0 {
        return Err(SplitError::Malformed {
            offset: base + i as u64,
            what: "closing bracket with nothing open",
        });
    }
    st.depth -= 1;
    if st.record_depth == Some(st.depth) {
        st.record_depth = None;
        st.stats.records += 1;
        if st.skipping {
            st.skipping = false;
            st.stats.oversized += 1;
        } else if let Some(start) = st.rec_start.take() {
            on_record(&buf[start..=i]);
        }
    }
    if st.depth == 0 {
        st.root_closed = true;
    }
    Ok(())
}

/// Scans `buf[i..i + 64]` inside the document: escapes and string state by bit arithmetic,
/// then only the brackets outside strings are visited.
#[inline(always)]
fn scan_block(
    buf: &[u8],
    i: usize,
    base: u64,
    st: &mut State,
    on_record: &mut impl FnMut(&[u8]),
) -> Result<(), SplitError> {
    let m = masks(buf[i..i + 64].try_into().expect("a 64-byte block"));
    let mut escaped = u64::from(st.escape_pending);
    let mut pending = false;
    let mut bs = m.backslash;
    // Backslashes are rare in CloudTrail: visit each; one that is not itself escaped escapes
    // the next byte (in the next block when it is the last byte).
    while bs != 0 {
        let k = bs.trailing_zeros();
        bs &= bs - 1;
        if escaped >> k & 1 == 0 {
            if k == 63 {
                pending = true;
            } else {
                escaped |= 1 << (k + 1);
            }
        }
    }
    let mut inside = prefix_xor(m.quote & !escaped);
    if st.in_string {
        inside = !inside;
    }
    st.in_string = inside >> 63 == 1;
    st.escape_pending = pending;
    let mut structural = (m.open | m.close) & !inside;
    while structural != 0 {
        let k = structural.trailing_zeros() as usize;
        structural &= structural - 1;
        bracket(buf, i + k, base, st, on_record)?;
        if st.root_closed {
            // Only whitespace may follow the document.
            if let Some(j) = (i + k + 1..i + 64).find(|&j| !buf[j].is_ascii_whitespace()) {
                return Err(after_end(base, j));
            }
            return Ok(());
        }
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

    /// A reader that hands out chunks of pseudo-random sizes, so 64-byte blocks, refills and
    /// escapes fall at every possible offset.
    struct Chunky<'a> {
        data: &'a [u8],
        rng: crate::generators::cloudtrail::Rng,
    }
    impl Read for Chunky<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = (1 + self.rng.below(300) as usize)
                .min(out.len())
                .min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn random_value(rng: &mut crate::generators::cloudtrail::Rng, depth: u32) -> serde_json::Value {
        use serde_json::Value;
        const PIECES: [&str; 10] = ["a", "\\", "\"", "{", "}", "[", "]", "\\\"", "xyz", "\u{e9}"];
        match rng.below(if depth > 3 { 3 } else { 5 }) {
            0 => Value::from(rng.below(1000)),
            1 | 2 => {
                let n = rng.below(90) as usize;
                let text: String = (0..n)
                    .map(|_| PIECES[rng.below(PIECES.len() as u64) as usize])
                    .collect();
                Value::from(text)
            }
            3 => Value::Array(
                (0..rng.below(4))
                    .map(|_| random_value(rng, depth + 1))
                    .collect(),
            ),
            _ => Value::Object(
                (0..rng.below(5))
                    .map(|k| (format!("k{k}\\\"}}"), random_value(rng, depth + 1)))
                    .collect(),
            ),
        }
    }

    #[test]
    fn random_documents_split_like_serde_json_parses_them() {
        let mut rng = crate::generators::cloudtrail::Rng::new(42);
        for round in 0..200 {
            let records: Vec<serde_json::Value> = (0..rng.below(12))
                .map(|_| {
                    let mut obj = serde_json::Map::new();
                    obj.insert("r".into(), random_value(&mut rng, 0));
                    obj.insert("s".into(), random_value(&mut rng, 0));
                    serde_json::Value::Object(obj)
                })
                .collect();
            let doc = serde_json::to_vec(&serde_json::json!({ "Records": records })).unwrap();
            let mut got = Vec::new();
            let reader = Chunky {
                data: &doc,
                rng: crate::generators::cloudtrail::Rng::new(round),
            };
            let (stats, err) = split_records(reader, 1 << 20, |r| {
                got.push(serde_json::from_slice::<serde_json::Value>(r).expect("a whole record"))
            });
            assert!(err.is_none(), "round {round}: {err:?}");
            assert_eq!(got, records, "round {round}");
            assert_eq!(stats.records, records.len() as u64);
            assert_eq!(stats.bytes, doc.len() as u64);
        }
    }
}
