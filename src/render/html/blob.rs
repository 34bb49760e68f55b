//! The HTML report's embedded data: JSON, gzip-compressed and base64-encoded, as the text of
//! a `<script type="application/octet-stream">` element that the page inflates with the
//! browser's own `DecompressionStream` (no network, no library in the page).
//!
//! Why: a browser's HTML parser reads about 15–20 MB of inline text per second on the
//! machines measured (benches/RESULTS.md), so the 55 MB of JSON of a 500-account
//! organization kept Chromium busy for seconds before the page's script even started. The
//! same data compresses ~13× (an organization repeats each ARN, message template and fix
//! thousands of times); inflating it in the browser takes a fraction of the parse it saves.

use std::io::{self, Write};

use flate2::Compression;
use flate2::write::GzEncoder;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding, streamed: whole 3-byte groups are encoded as they arrive,
/// the 0–2 bytes left over wait for the next write or [`Base64Writer::finish`].
struct Base64Writer<W: Write> {
    out: W,
    pending: [u8; 2],
    pending_len: usize,
    buf: Vec<u8>,
}

impl<W: Write> Base64Writer<W> {
    fn new(out: W) -> Self {
        Base64Writer {
            out,
            pending: [0; 2],
            pending_len: 0,
            buf: Vec::with_capacity(1 << 16),
        }
    }

    fn push_group(buf: &mut Vec<u8>, group: &[u8]) {
        let b = [
            group[0],
            group.get(1).copied().unwrap_or(0),
            group.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = [
            ALPHABET[(n >> 18) as usize & 63],
            ALPHABET[(n >> 12) as usize & 63],
            ALPHABET[(n >> 6) as usize & 63],
            ALPHABET[n as usize & 63],
        ];
        let keep = group.len() + 1;
        buf.extend_from_slice(&chars[..keep]);
        buf.extend(std::iter::repeat_n(b'=', 4 - keep));
    }

    fn finish(mut self) -> io::Result<W> {
        if self.pending_len > 0 {
            let group = self.pending;
            Self::push_group(&mut self.buf, &group[..self.pending_len]);
        }
        self.out.write_all(&self.buf)?;
        Ok(self.out)
    }
}

impl<W: Write> Write for Base64Writer<W> {
    fn write(&mut self, mut data: &[u8]) -> io::Result<usize> {
        let len = data.len();
        // Complete the group left over from the previous write.
        if self.pending_len > 0 {
            let need = 3 - self.pending_len;
            if data.len() < need {
                self.pending[self.pending_len..self.pending_len + data.len()].copy_from_slice(data);
                self.pending_len += data.len();
                return Ok(len);
            }
            let mut group = [0u8; 3];
            group[..self.pending_len].copy_from_slice(&self.pending[..self.pending_len]);
            group[self.pending_len..].copy_from_slice(&data[..need]);
            Self::push_group(&mut self.buf, &group);
            data = &data[need..];
            self.pending_len = 0;
        }
        let whole = data.len() / 3 * 3;
        for group in data[..whole].chunks_exact(3) {
            Self::push_group(&mut self.buf, group);
        }
        let rest = &data[whole..];
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
        if self.buf.len() >= 1 << 16 {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(len)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `write` produces JSON; the result is that JSON gzip'd (fast level: the report is
/// repetitive, level 1 already gets most of the ratio) and base64-encoded.
pub fn encode(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<Vec<u8>> {
    let base64 = Base64Writer::new(Vec::new());
    let mut gzip = GzEncoder::new(base64, Compression::fast());
    {
        let mut buffered = io::BufWriter::with_capacity(1 << 16, &mut gzip);
        write(&mut buffered)?;
        buffered.flush()?;
    }
    gzip.finish()?.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn decode_base64(text: &[u8]) -> Vec<u8> {
        let value = |c: u8| ALPHABET.iter().position(|a| *a == c).unwrap_or(0) as u32;
        let mut out = Vec::new();
        for chunk in text.chunks(4) {
            let n = chunk.iter().fold(0u32, |n, &c| {
                (n << 6) | if c == b'=' { 0 } else { value(c) }
            });
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            let real = chunk.iter().filter(|&&c| c != b'=').count() - 1;
            out.extend_from_slice(&bytes[..real]);
        }
        out
    }

    #[test]
    fn base64_matches_rfc_4648_vectors_across_split_writes() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            for split in 0..=input.len() {
                let mut w = Base64Writer::new(Vec::new());
                w.write_all(&input.as_bytes()[..split]).unwrap_or_default();
                for byte in &input.as_bytes()[split..] {
                    w.write_all(&[*byte]).unwrap_or_default();
                }
                let out = w.finish().unwrap_or_default();
                assert_eq!(
                    String::from_utf8_lossy(&out),
                    expected,
                    "{input} split {split}"
                );
            }
        }
    }

    #[test]
    fn encoded_blob_inflates_back_to_the_json() {
        let json: String = (0..5000)
            .map(|i| format!("[\"arn:aws:iam::{i}\"],"))
            .collect();
        let blob = encode(|out| out.write_all(json.as_bytes())).unwrap_or_default();
        let gz = decode_base64(&blob);
        let mut back = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut back)
            .unwrap_or_default();
        assert_eq!(back, json);
        // Compressed, base64 and all: 5,000 distinct account ids keep gzip near 3.8:1.
        assert!(
            blob.len() < json.len() / 3,
            "{} of {}",
            blob.len(),
            json.len()
        );
    }
}
