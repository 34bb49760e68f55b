//! A long JSON array, pretty-printed in parallel with exactly the bytes serde_json's
//! `PrettyFormatter` writes for it as a field of a top-level object.
//!
//! Each element is serialized on its own and indented by the two levels it sits at: every
//! line break of its pretty form gets four more spaces. That is exact because a pretty
//! document holds no raw line break other than its own (a line break inside a string is
//! written `\n`). Elements are rendered batch by batch, each batch on every core, and written
//! in order, so memory stays bounded by a batch.

use std::io::{self, Write};

use rayon::prelude::*;
use serde::Serialize;

/// Elements rendered per batch (about 2 MB of report text).
pub const BATCH: usize = 4096;

/// Elements one task renders.
const CHUNK: usize = 256;

/// Indentation of an element of a field's array (two levels of two spaces).
const INDENT: &[u8] = b"    ";

/// Writes `items` (mapped to their DTOs by `dto`) as the value of a top-level field:
/// `[]` when empty, else one element per indented line block, closed at the field's level.
pub fn write_array<'a, T, D, F>(out: &mut dyn Write, items: &'a [T], dto: F) -> io::Result<()>
where
    T: Sync,
    D: Serialize,
    F: Fn(&'a T) -> D + Sync,
{
    if items.is_empty() {
        return out.write_all(b"[]");
    }
    out.write_all(b"[")?;
    for (batch_index, batch) in items.chunks(BATCH).enumerate() {
        let rendered: Vec<io::Result<Vec<u8>>> = batch
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(chunk_index, chunk)| {
                let first = batch_index == 0 && chunk_index == 0;
                render_chunk(chunk, &dto, first)
            })
            .collect();
        for text in rendered {
            out.write_all(&text?)?;
        }
    }
    out.write_all(b"\n  ]")
}

/// The elements of `chunk`, each preceded by its separator (`\n` before the array's first
/// element, `,\n` before the others) and its indentation.
fn render_chunk<'a, T, D: Serialize>(
    chunk: &'a [T],
    dto: &impl Fn(&'a T) -> D,
    first_of_array: bool,
) -> io::Result<Vec<u8>> {
    let mut text = Vec::with_capacity(chunk.len() * 512);
    let mut element = Vec::with_capacity(1024);
    for (index, item) in chunk.iter().enumerate() {
        text.extend_from_slice(if first_of_array && index == 0 {
            b"\n"
        } else {
            b",\n"
        });
        text.extend_from_slice(INDENT);
        element.clear();
        serde_json::to_writer_pretty(&mut element, &dto(item))?;
        indent_into(&mut text, &element);
    }
    Ok(text)
}

/// Appends `element` to `text` with [`INDENT`] after each of its line breaks.
fn indent_into(text: &mut Vec<u8>, element: &[u8]) {
    let mut rest = element;
    while let Some(newline) = memchr::memchr(b'\n', rest) {
        text.extend_from_slice(&rest[..=newline]);
        text.extend_from_slice(INDENT);
        rest = &rest[newline + 1..];
    }
    text.extend_from_slice(rest);
}
