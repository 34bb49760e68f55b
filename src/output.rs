//! Writing a command's output: to stdout (a closed pipe is not an error: `rdsiam … | head`
//! exits 0) or atomically to a file (temp file in the same directory + rename, so a reader
//! never sees half a report).

use std::io::{self, Write};
use std::path::Path;

use anyhow::{Context, Result};

/// Writes `text` to stdout; a broken pipe ends quietly.
pub fn print_stdout(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(err) => Err(err).context("writing to standard output"),
    }
}

/// Writes `text` to `path` atomically: a temporary file beside it, then a rename.
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    emit_with(Some(path), |out| out.write_all(text.as_bytes()))
}

/// Streams output produced by `write` to `path` atomically (temporary file + rename), or to
/// stdout when `path` is `None` (a closed pipe is not an error).
pub fn emit_with(
    output: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let Some(path) = output else {
        let mut out = io::BufWriter::new(io::stdout().lock());
        return match write(&mut out).and_then(|()| out.flush()) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            Err(err) => Err(err).context("writing to standard output"),
        };
    };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .with_context(|| format!("{}: not a file path", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let written = std::fs::File::create(&tmp).and_then(|file| {
        let mut out = io::BufWriter::new(file);
        write(&mut out)?;
        out.flush()
    });
    if let Err(err) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(err).with_context(|| format!("writing {}", tmp.display()));
    }
    std::fs::rename(&tmp, path).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("renaming {} to {}", tmp.display(), path.display())
    })
}

/// Sends `text` to `--output FILE` when given, else to stdout.
pub fn emit(text: &str, output: Option<&Path>) -> Result<()> {
    match output {
        Some(path) => write_atomically(path, text),
        None => print_stdout(text),
    }
}
