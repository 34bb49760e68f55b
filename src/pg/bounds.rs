//! Every bound on what a PostgreSQL server (possibly misconfigured or hostile) can make the
//! doctor or the collector spend: time per step, bytes per message, messages per step, rows
//! and bytes per result. Each exceeded bound is a [`PgError`] naming it, never a hang or an
//! abort. Listed in README "Bounds".

use std::fmt;
use std::time::Duration;

/// Largest backend message accepted (bytes after the length word). Read as it arrives, never
/// allocated from the length alone.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;
/// Messages one step may receive (notices, parameter statuses, rows...) before it gives up: a
/// server flooding NoticeResponses cannot keep a step busy until its deadline.
pub const MAX_MESSAGES_PER_STEP: usize = 200_000;
/// Rows one introspection query may return.
pub const MAX_RESULT_ROWS: usize = 100_000;
/// Bytes of DataRow messages one introspection query may return.
pub const MAX_RESULT_BYTES: usize = 32 * 1024 * 1024;
/// Largest `sslrootcert` file read (a CA bundle is ~200 KB).
pub const MAX_SSLROOTCERT_BYTES: u64 = 4 * 1024 * 1024;
/// The doctor's whole run may take this many `--connect-timeout`s (DNS, TCP per address, TLS,
/// the plaintext check, login, session and the database listing each get one).
pub const RUN_DEADLINE_STEPS: u32 = 12;

/// How a PostgreSQL exchange failed, for the diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgErrorKind {
    /// The step's deadline passed (silence, or a server answering too slowly).
    Timeout,
    /// The server closed or reset the connection.
    Closed,
    /// The server sent something that is not valid PostgreSQL protocol here.
    Protocol,
    /// One of the caps of this module was exceeded.
    Cap,
    /// A local failure (sending, SCRAM computation) or a failed query.
    Other,
}

/// A failed exchange: what kind, the text for the user, and whether the secret (token or
/// password) had been sent when it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgError {
    pub kind: PgErrorKind,
    pub text: String,
    pub secret_sent: bool,
}

impl PgError {
    pub fn new(kind: PgErrorKind, text: impl Into<String>) -> Self {
        PgError {
            kind,
            text: text.into(),
            secret_sent: false,
        }
    }
    /// The step's deadline passed while `doing` ("waiting for the server", "sending").
    pub fn timeout(doing: &str, after: Duration) -> Self {
        PgError::new(
            PgErrorKind::Timeout,
            format!(
                "the step did not finish within its {} deadline ({doing}; messages that keep arriving do not extend it)",
                humantime::format_duration(after)
            ),
        )
    }
    pub fn closed(io: &std::io::Error) -> Self {
        PgError::new(
            PgErrorKind::Closed,
            format!("server closed the connection ({io})"),
        )
    }
    pub fn protocol(text: impl Into<String>) -> Self {
        PgError::new(PgErrorKind::Protocol, text)
    }
    pub fn cap(text: impl Into<String>) -> Self {
        PgError::new(PgErrorKind::Cap, text)
    }
}

impl fmt::Display for PgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl From<PgError> for String {
    fn from(error: PgError) -> String {
        error.text
    }
}

impl From<String> for PgError {
    fn from(text: String) -> PgError {
        PgError::new(PgErrorKind::Other, text)
    }
}

/// Rejects a zero timeout (`--connect-timeout 0s` would fail every step at once).
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if duration.is_zero() {
        return Err("must be more than 0 (e.g. 5s)".into());
    }
    if duration > Duration::from_secs(3600) {
        return Err("must be at most 1h".into());
    }
    Ok(duration)
}
