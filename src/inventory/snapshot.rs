//! Snapshot files: an [`Inventory`] as JSON, optionally gzip-compressed, or a directory
//! holding `snapshot.json` (or `snapshot.json.gz`).
//!
//! Loading is strict and explains itself: every error names the file; JSON errors add the
//! JSON path and line/column; an unknown `schema_version` is refused by name; the result is
//! then validated structurally ([`super::validate`]). Nothing here panics on bad input.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use serde::Deserialize;

use super::validate::{ValidationIssue, validate};
use super::{Inventory, SCHEMA_VERSION};

/// File names looked for, in order, when a snapshot path is a directory.
pub const DIR_ENTRIES: [&str; 2] = ["snapshot.json", "snapshot.json.gz"];

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path}: directory holds none of {}", DIR_ENTRIES.join(", "))]
    EmptyDirectory { path: PathBuf },
    #[error(
        "{path}: the snapshot is larger than the cap of {} MiB {what} (set RDSIAM_MAX_SNAPSHOT_MIB to raise it; README \"Bounds\")",
        cap / (1024 * 1024)
    )]
    TooLarge {
        path: PathBuf,
        cap: u64,
        /// "on disk", "inflated", "inflated (gzip trailer)".
        what: &'static str,
    },
    #[error("{path}: not a valid gzip stream ({source}); the file may be truncated")]
    Gzip { path: PathBuf, source: io::Error },
    #[error("{path}: at {json_path} (line {line}, column {column}): {message}")]
    Json {
        path: PathBuf,
        /// JSON path of the offending value, e.g. `accounts[1].regions[0].db_instances[2].port`.
        json_path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{path}: snapshot schema_version {found} is not supported by this rdsiam (reads version {SCHEMA_VERSION}); use a newer rdsiam or re-collect"
    )]
    UnsupportedVersion { path: PathBuf, found: u64 },
    #[error("{path}: {} validation error(s):\n{}", issues.len(), render_issues(issues))]
    Invalid {
        path: PathBuf,
        issues: Vec<ValidationIssue>,
    },
}

fn render_issues(issues: &[ValidationIssue]) -> String {
    issues
        .iter()
        .map(|i| format!("  - {i}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Resolves a snapshot path: a file as is, a directory to its `snapshot.json[.gz]`.
pub fn resolve(path: &Path) -> Result<PathBuf, SnapshotError> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    DIR_ENTRIES
        .iter()
        .map(|name| path.join(name))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| SnapshotError::EmptyDirectory {
            path: path.to_path_buf(),
        })
}

/// Reads, parses and validates a snapshot (file or directory).
pub fn load(path: &Path) -> Result<Inventory, SnapshotError> {
    let file = resolve(path)?;
    let bytes = read_maybe_gzip(&file)?;
    let inventory = parse(&file, &bytes)?;
    let issues = validate(&inventory);
    if issues.is_empty() {
        Ok(inventory)
    } else {
        Err(SnapshotError::Invalid { path: file, issues })
    }
}

/// Parses snapshot JSON without validating it. `path` is only used in errors.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Inventory, SnapshotError> {
    // A UTF-8 byte order mark (some editors write one) is not part of the JSON.
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    // Fast path (parallel, without path tracking); on failure parse again to locate the error.
    if let Some(inventory) = super::parallel_parse::parse(bytes) {
        return Ok(inventory);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = serde_path_to_error::deserialize::<_, Inventory>(&mut de);
    if let (Ok(_), Err(trailing)) = (&parsed, de.end()) {
        return Err(SnapshotError::Json {
            path: path.to_path_buf(),
            json_path: "(after the document)".to_owned(),
            line: trailing.line(),
            column: trailing.column(),
            message: strip_position(&trailing.to_string()),
        });
    }
    match parsed {
        Ok(inventory) if u64::from(inventory.schema_version) == u64::from(SCHEMA_VERSION) => {
            Ok(inventory)
        }
        Ok(inventory) => Err(SnapshotError::UnsupportedVersion {
            path: path.to_path_buf(),
            found: u64::from(inventory.schema_version),
        }),
        Err(err) => {
            // A future version may fail on shapes this build does not know: say so first.
            if let Some(found) = probe_version(bytes).filter(|v| *v != u64::from(SCHEMA_VERSION)) {
                return Err(SnapshotError::UnsupportedVersion {
                    path: path.to_path_buf(),
                    found,
                });
            }
            let json_path = match err.path().to_string() {
                p if p == "." => "(document root)".to_owned(),
                p => p,
            };
            let inner = err.into_inner();
            Err(SnapshotError::Json {
                path: path.to_path_buf(),
                json_path,
                line: inner.line(),
                column: inner.column(),
                message: strip_position(&inner.to_string()),
            })
        }
    }
}

/// serde_json appends " at line L column C"; the error already carries them.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(idx) => message[..idx].to_owned(),
        None => message.to_owned(),
    }
}

fn probe_version(bytes: &[u8]) -> Option<u64> {
    #[derive(Deserialize)]
    struct VersionOnly {
        schema_version: u64,
    }
    serde_json::from_slice::<VersionOnly>(bytes)
        .ok()
        .map(|v| v.schema_version)
}

/// Default cap on a snapshot's size, on disk and inflated: 1 GiB, about five times the
/// generated 500-account organization (211 MB of JSON). A gzip bomb stops here with an error
/// naming the cap instead of exhausting memory.
pub const MAX_SNAPSHOT_BYTES: u64 = 1024 * 1024 * 1024;

/// The snapshot size cap: [`MAX_SNAPSHOT_BYTES`], or `RDSIAM_MAX_SNAPSHOT_MIB` when set.
pub fn snapshot_cap() -> u64 {
    std::env::var("RDSIAM_MAX_SNAPSHOT_MIB")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|mib| *mib > 0)
        .map_or(MAX_SNAPSHOT_BYTES, |mib| mib.saturating_mul(1024 * 1024))
}

/// Reads a snapshot file, gunzipping it when it starts with the gzip magic bytes; both the
/// file and its inflated content are capped by [`snapshot_cap`].
pub fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>, SnapshotError> {
    read_maybe_gzip_capped(path, snapshot_cap())
}

/// [`read_maybe_gzip`] with an explicit cap.
pub fn read_maybe_gzip_capped(path: &Path, cap: u64) -> Result<Vec<u8>, SnapshotError> {
    let too_large = |what| SnapshotError::TooLarge {
        path: path.to_path_buf(),
        cap,
        what,
    };
    let io = |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = fs::File::open(path).map_err(io)?;
    let mut raw = Vec::new();
    file.take(cap + 1).read_to_end(&mut raw).map_err(io)?;
    if raw.len() as u64 > cap {
        return Err(too_large("on disk"));
    }
    if !raw.starts_with(&GZIP_MAGIC) {
        return Ok(raw);
    }
    // A single-member file states its inflated size (mod 4 GiB) in its trailer: a bomb that
    // says so is refused before inflating anything.
    if stated_size(&raw).is_some_and(|stated| stated > cap) {
        return Err(too_large("inflated (gzip trailer)"));
    }
    let gzip_error = |source| SnapshotError::Gzip {
        path: path.to_path_buf(),
        source,
    };
    let hint = (inflated_size_hint(&raw) as u64).min(cap);
    let mut out = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    let mut decoder = MultiGzDecoder::new(raw.as_slice());
    // Up to the cap into the buffer, then one byte more into a scratch byte: reading `cap + 1`
    // into the buffer made a full buffer (a trailer stating exactly the cap, e.g. a 5 GiB bomb
    // whose size wraps to 1 GiB) double for its last byte: 2.1 GB resident for a 1 GiB cap.
    (&mut decoder)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(gzip_error)?;
    if out.len() as u64 == cap && decoder.read(&mut [0_u8; 1]).map_err(gzip_error)? > 0 {
        return Err(too_large("inflated"));
    }
    Ok(out)
}

fn stated_size(gzip: &[u8]) -> Option<u64> {
    let start = gzip.len().checked_sub(4)?;
    let bytes = <[u8; 4]>::try_from(&gzip[start..]).ok()?;
    Some(u64::from(u32::from_le_bytes(bytes)))
}

/// The capacity to inflate `gzip` into. A single-member gzip file ends with the inflated size
/// modulo 4 GiB (RFC 1952, ISIZE): reserving exactly that avoids growing (and copying) a
/// 200 MB buffer several times. The trailer is only a hint — a multi-member file, a file over
/// 4 GiB or a damaged one just makes the buffer grow as it would anyway.
fn inflated_size_hint(gzip: &[u8]) -> usize {
    let trailer = gzip
        .len()
        .checked_sub(4)
        .and_then(|start| <[u8; 4]>::try_from(&gzip[start..]).ok());
    let stated = trailer.map_or(0, |bytes| u32::from_le_bytes(bytes) as usize);
    // A stated size below the compressed size cannot be right; cap absurd ones (1 KiB of
    // gzip inflates to at most ~1 MiB).
    if stated >= gzip.len() && stated / 1032 <= gzip.len() {
        stated
    } else {
        gzip.len().saturating_mul(8)
    }
}

/// Writes a snapshot atomically (temporary file beside it, then rename), streaming so a
/// large inventory is not held twice in memory: gzip when the name ends in `.gz`, pretty JSON
/// otherwise. A directory path gets `snapshot.json` inside it. Returns the file written.
pub fn save(inventory: &Inventory, path: &Path) -> Result<PathBuf, SnapshotError> {
    let target = if path.is_dir() {
        path.join(DIR_ENTRIES[0])
    } else {
        path.to_path_buf()
    };
    // Exclusive temporary file + rename, or straight into a FIFO/device (crate::output).
    let gzip = target.extension().is_some_and(|ext| ext == "gz");
    let result = crate::output::write_file_with(&target, |out| write_to(inventory, out, gzip));
    if let Err(source) = result {
        return Err(SnapshotError::Io {
            path: target,
            source,
        });
    }
    Ok(target)
}

fn write_to(inventory: &Inventory, out: &mut dyn Write, gzip: bool) -> io::Result<()> {
    let mut file = io::BufWriter::with_capacity(1 << 20, out);
    if gzip {
        let mut encoder = GzEncoder::new(&mut file, Compression::fast());
        serde_json::to_writer(&mut encoder, inventory)?;
        encoder.finish()?;
    } else {
        serde_json::to_writer_pretty(&mut file, inventory)?;
        file.write_all(b"\n")?;
    }
    file.flush()
}
