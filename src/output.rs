//! Writing a command's output: to stdout (a closed pipe is not an error: `rdsiam … | head`
//! exits 0) or to a file.
//!
//! A file is written safely ([`write_file_with`]):
//! - a regular file (or a path that does not exist yet) is replaced atomically: a temporary
//!   file with an unpredictable name is created beside it with `O_CREAT|O_EXCL` (a planted
//!   file or symlink at that name makes the create fail instead of being followed), written,
//!   flushed to disk, then renamed over the target, so a reader never sees half a report and
//!   nothing but the target path is ever replaced;
//! - anything else (a FIFO, a device such as `/dev/null` or `/dev/full`, `/dev/stdout`) is
//!   opened and written straight to, never replaced by a regular file;
//! - SIGINT or SIGTERM while a temporary file exists removes it and exits 130 / 143.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use anyhow::{Context, Result};

/// Writes `text` to stdout, secrets hidden ([`crate::redact::redact_text`]); a broken pipe
/// ends quietly.
pub fn print_stdout(text: &str) -> Result<()> {
    let text = crate::redact::redact_text(text);
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(err) => Err(err).context("writing to standard output"),
    }
}

/// Writes a text that is a secret by design (`token generate`'s token, which the user pipes
/// into a client) to stdout unredacted: the one output that bypasses the redaction.
pub fn print_secret_stdout(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(err) => Err(err).context("writing to standard output"),
    }
}

/// Writes `text` to `path` atomically (a temporary file beside it, then a rename), secrets
/// hidden ([`crate::redact::redact_text`]).
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let text = crate::redact::redact_text(text);
    emit_with(Some(path), |out| out.write_all(text.as_bytes()))
}

/// Streams output produced by `write` to `path` (see the module docs), or to stdout when
/// `path` is `None` (a closed pipe is not an error).
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
    write_file_with(path, write).with_context(|| format!("writing {}", path.display()))
}

/// Sends `text` to `--output FILE` when given, else to stdout.
pub fn emit(text: &str, output: Option<&Path>) -> Result<()> {
    match output {
        Some(path) => write_atomically(path, text),
        None => print_stdout(text),
    }
}

/// Writes what `write` produces to `path`: straight into it when it exists and is not a
/// regular file (FIFO, device, `/dev/stdout`), else through an exclusive temporary file in
/// the same directory and a rename (module docs). Errors name the file.
pub fn write_file_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory: pass a file path",
            ));
        }
        if !meta.file_type().is_file() {
            // A FIFO, device or terminal: the reader is on the other side; replacing it with
            // a regular file would hide the output and destroy the special file.
            let file = std::fs::OpenOptions::new().write(true).open(path)?;
            let mut out = io::BufWriter::new(file);
            // A reader that stopped early (`--output /dev/stdout | head`, a FIFO) is not an
            // error, as on stdout.
            return match write(&mut out).and_then(|()| out.flush()) {
                Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                other => other,
            };
        }
    }
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let file_name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a file path (no file name)",
        )
    })?;
    let prefix = format!(".{}.", file_name.to_string_lossy());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        // As a plain create would: 0666 less the umask (tempfile's default is 0600).
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let tmp = builder.tempfile_in(dir)?;
    let guard = PendingTemp::register(tmp.path());
    let written = {
        let mut out = io::BufWriter::with_capacity(1 << 16, tmp.as_file());
        write(&mut out).and_then(|()| out.flush())
    }
    .and_then(|()| tmp.as_file().sync_all());
    // On error `tmp` is dropped here, which removes the file.
    written?;
    let persisted = tmp.persist(path).map(drop).map_err(|e| e.error);
    drop(guard);
    persisted
}

/// Temporary files being written, removed by the signal watcher on SIGINT/SIGTERM.
fn pending() -> &'static Mutex<Vec<PathBuf>> {
    static PENDING: OnceLock<Mutex<Vec<PathBuf>>> = OnceLock::new();
    PENDING.get_or_init(|| Mutex::new(Vec::new()))
}

/// A temporary file known to the signal watcher while it exists.
struct PendingTemp(PathBuf);

impl PendingTemp {
    fn register(path: &Path) -> PendingTemp {
        watch_signals();
        lock_pending().push(path.to_path_buf());
        PendingTemp(path.to_path_buf())
    }
}

impl Drop for PendingTemp {
    fn drop(&mut self) {
        lock_pending().retain(|p| *p != self.0);
    }
}

fn lock_pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    pending().lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts (once) a thread that, on SIGINT or SIGTERM, removes the pending temporary files
/// and exits 128 + the signal number (130 / 143), as the default action's status says.
fn watch_signals() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            return; // No watcher: a signal then ends the process as it would have anyway.
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                for path in lock_pending().iter() {
                    let _ = std::fs::remove_file(path);
                }
                std::process::exit(128 + signal);
            }
        });
    });
}
