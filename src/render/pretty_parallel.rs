//! A long JSON array, pretty-printed in parallel with exactly the bytes serde_json's
//! `PrettyFormatter` writes for it as a field of a top-level object.
//!
//! Each element is serialized on its own by [`NestedPretty`], serde_json's pretty layout
//! started two levels deep (where an element of a top-level field's array sits). Elements
//! are rendered batch by batch, each batch on every core, and written in order, so memory
//! stays bounded by a batch.

use std::io::{self, Write};

use rayon::prelude::*;
use serde::Serialize;

/// Elements rendered per batch (about 2 MB of report text).
pub const BATCH: usize = 4096;

/// Elements one task renders.
const CHUNK: usize = 256;

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
    // Rendering and writing overlap: a helper thread renders batch after batch on the
    // pool while this thread writes the ones before (the write alone is ~0.1 s for an
    // organization's report; in turn with rendering, one core sat idle). At most two
    // rendered batches wait, so memory stays bounded.
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<io::Result<Vec<u8>>>>(2);
        let dto = &dto;
        scope.spawn(move || {
            for (batch_index, batch) in items.chunks(BATCH).enumerate() {
                let rendered = batch
                    .par_chunks(CHUNK)
                    .enumerate()
                    .map(|(chunk_index, chunk)| {
                        let first = batch_index == 0 && chunk_index == 0;
                        render_chunk(chunk, dto, first)
                    })
                    .collect();
                if sender.send(rendered).is_err() {
                    return; // the writer stopped on an error
                }
            }
        });
        for rendered in receiver {
            for text in rendered {
                out.write_all(&text?)?;
            }
        }
        Ok::<(), io::Error>(())
    })?;
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
    for (index, item) in chunk.iter().enumerate() {
        text.extend_from_slice(if first_of_array && index == 0 {
            b"\n"
        } else {
            b",\n"
        });
        text.extend_from_slice(&INDENT.repeat(ELEMENT_LEVEL));
        let mut serializer = serde_json::Serializer::with_formatter(&mut text, NestedPretty::new());
        dto(item).serialize(&mut serializer)?;
    }
    Ok(text)
}

/// How deep an element of a top-level field's array sits.
const ELEMENT_LEVEL: usize = 2;

/// One level of indentation, as serde_json's `PrettyFormatter` writes it.
const INDENT: &[u8] = b"  ";

/// serde_json's `PrettyFormatter` (same bytes, method for method) starting at
/// [`ELEMENT_LEVEL`] instead of 0.
struct NestedPretty {
    level: usize,
    has_value: bool,
}

impl NestedPretty {
    fn new() -> Self {
        NestedPretty {
            level: ELEMENT_LEVEL,
            has_value: false,
        }
    }

    fn indent<W: ?Sized + Write>(&self, writer: &mut W) -> io::Result<()> {
        for _ in 0..self.level {
            writer.write_all(INDENT)?;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            writer.write_all(b"\n")?;
            self.indent(writer)?;
        }
        writer.write_all(bracket)
    }

    fn next_line<W: ?Sized + Write>(&self, writer: &mut W, first: bool) -> io::Result<()> {
        writer.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(writer)
    }
}

impl serde_json::ser::Formatter for NestedPretty {
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.next_line(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.next_line(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}
