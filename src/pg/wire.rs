//! The PostgreSQL v3 messages the doctor and the collector exchange, framed by the
//! rust-postgres project's `postgres-protocol` crate: SSLRequest, StartupMessage,
//! PasswordMessage, SASL responses, simple Query and Terminate going out; authentication
//! requests, errors, row data and ReadyForQuery coming in, turned into the small
//! [`BackendMessage`] model the diagnosis reads. Framing only: no I/O, no bounds, no decisions
//! (those live in [`super::session`] and [`super::bounds`]).

use std::fmt;

use bytes::BytesMut;
use fallible_iterator::FallibleIterator;
use postgres_protocol::message::backend::{self, Message};
use postgres_protocol::message::frontend;

/// Largest backend message accepted (kept here for the fuzz target and the parser tests,
/// which frame raw bytes the way [`super::session`] does).
pub const MAX_MESSAGE_LEN: usize = super::bounds::MAX_MESSAGE_BYTES;

/// What every StartupMessage carries besides user and database.
const APPLICATION_NAME: &str = "rdsiam-doctor";

/// The 8-byte SSLRequest.
pub fn ssl_request() -> Vec<u8> {
    let mut buf = BytesMut::new();
    frontend::ssl_request(&mut buf);
    buf.to_vec()
}

/// StartupMessage with `user`, `database`, the application name and server `options`
/// (`-c name=value`). Carries no secret. Fails on a NUL inside a value (not sendable).
pub fn startup_with_options(user: &str, database: &str, options: &str) -> Result<Vec<u8>, String> {
    let pairs = [
        ("user", user),
        ("database", database),
        ("application_name", APPLICATION_NAME),
        ("options", options),
    ];
    framed(|buf| frontend::startup_message(pairs, buf))
}

/// PasswordMessage (`p`): the answer to AuthenticationCleartextPassword.
pub fn password(secret: &str) -> Result<Vec<u8>, String> {
    framed(|buf| frontend::password_message(secret.as_bytes(), buf))
}

/// SASLInitialResponse (`p`): mechanism and the client-first message.
pub fn sasl_initial(mechanism: &str, data: &[u8]) -> Result<Vec<u8>, String> {
    framed(|buf| frontend::sasl_initial_response(mechanism, data, buf))
}

/// SASLResponse (`p`).
pub fn sasl_response(data: &[u8]) -> Result<Vec<u8>, String> {
    framed(|buf| frontend::sasl_response(data, buf))
}

/// Simple Query (`Q`).
pub fn query(sql: &str) -> Result<Vec<u8>, String> {
    framed(|buf| frontend::query(sql, buf))
}

/// Terminate (`X`).
pub fn terminate() -> Vec<u8> {
    let mut buf = BytesMut::new();
    frontend::terminate(&mut buf);
    buf.to_vec()
}

fn framed(write: impl FnOnce(&mut BytesMut) -> std::io::Result<()>) -> Result<Vec<u8>, String> {
    let mut buf = BytesMut::new();
    write(&mut buf).map_err(|e| format!("cannot frame the message: {e}"))?;
    Ok(buf.to_vec())
}

/// A backend message, decoded as far as the doctor needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendMessage {
    /// `R`: 0 ok, 3 cleartext password, 5 MD5, 10 SASL (with mechanisms), other codes kept.
    Authentication(AuthRequest),
    /// `E`.
    Error(ServerError),
    /// `N`.
    Notice(ServerError),
    /// `S`.
    ParameterStatus { name: String, value: String },
    /// `Z`.
    ReadyForQuery,
    /// `T`: column names.
    RowDescription(Vec<String>),
    /// `D`: column values, `None` for SQL NULL.
    DataRow(Vec<Option<String>>),
    /// Anything else (`K`, `C`, ...), by tag.
    Other(u8),
}

/// What the server asks for after the StartupMessage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthRequest {
    Ok,
    CleartextPassword,
    Md5Password,
    Sasl(Vec<String>),
    SaslContinue(String),
    SaslFinal(String),
    Other(i32),
}

impl AuthRequest {
    /// Human name, for evidence lines.
    pub fn describe(&self) -> String {
        match self {
            AuthRequest::Ok => "AuthenticationOk (no password asked)".into(),
            AuthRequest::CleartextPassword => "a cleartext password (PAM: the IAM token)".into(),
            AuthRequest::Md5Password => "an MD5 password (password authentication)".into(),
            AuthRequest::Sasl(mechs) => format!(
                "SASL {} (password authentication, not PAM)",
                mechs.join(", ")
            ),
            AuthRequest::SaslContinue(_) | AuthRequest::SaslFinal(_) => "a SASL exchange".into(),
            AuthRequest::Other(code) => format!("authentication request code {code}"),
        }
    }
}

/// An ErrorResponse or NoticeResponse: severity, SQLSTATE and message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerError {
    pub severity: String,
    pub sqlstate: String,
    pub message: String,
    pub detail: Option<String>,
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:  {} (SQLSTATE {})",
            self.severity, self.message, self.sqlstate
        )
    }
}

/// Authentication codes `postgres-protocol` decodes; any other code is kept as
/// [`AuthRequest::Other`] (the crate refuses codes it does not know, but the doctor names
/// them: "authentication request code N" is a diagnosis, not a protocol error).
const KNOWN_AUTH_CODES: [i32; 11] = [0, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12];

/// Message tags `postgres-protocol` decodes; any other tag is [`BackendMessage::Other`], as
/// before (a message the doctor does not read is skipped, not an error).
const KNOWN_TAGS: &[u8] = b"123AcCdDEGHInNRstSTZ";

/// Decodes one message body (`tag`, bytes after the length word). Malformed bodies become
/// errors naming the tag.
pub fn decode(tag: u8, body: &[u8]) -> Result<BackendMessage, String> {
    if !KNOWN_TAGS.contains(&tag) {
        return Ok(BackendMessage::Other(tag));
    }
    if tag == backend::AUTHENTICATION_TAG {
        let code = body
            .first_chunk::<4>()
            .map(|b| i32::from_be_bytes(*b))
            .ok_or_else(|| malformed(tag, "truncated authentication request"))?;
        if !KNOWN_AUTH_CODES.contains(&code) {
            return Ok(BackendMessage::Authentication(AuthRequest::Other(code)));
        }
    }
    let len = u32::try_from(body.len() + 4).map_err(|_| malformed(tag, "message too long"))?;
    let mut buf = BytesMut::with_capacity(body.len() + 5);
    buf.extend_from_slice(&[tag]);
    buf.extend_from_slice(&len.to_be_bytes());
    buf.extend_from_slice(body);
    match Message::parse(&mut buf) {
        Ok(Some(message)) => convert(message).map_err(|e| malformed(tag, &e.to_string())),
        Ok(None) => Err(malformed(tag, "truncated message")),
        Err(e) => Err(malformed(tag, &e.to_string())),
    }
}

fn malformed(tag: u8, why: &str) -> String {
    format!("malformed {:?} message: {why}", char::from(tag))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn convert(message: Message) -> std::io::Result<BackendMessage> {
    use AuthRequest as A;
    Ok(match message {
        Message::AuthenticationOk => BackendMessage::Authentication(A::Ok),
        Message::AuthenticationCleartextPassword => {
            BackendMessage::Authentication(A::CleartextPassword)
        }
        Message::AuthenticationMd5Password(_) => BackendMessage::Authentication(A::Md5Password),
        Message::AuthenticationSasl(body) => BackendMessage::Authentication(A::Sasl(
            body.mechanisms().map(|m| Ok(m.to_owned())).collect()?,
        )),
        Message::AuthenticationSaslContinue(body) => {
            BackendMessage::Authentication(A::SaslContinue(text(body.data())))
        }
        Message::AuthenticationSaslFinal(body) => {
            BackendMessage::Authentication(A::SaslFinal(text(body.data())))
        }
        Message::AuthenticationKerberosV5 => BackendMessage::Authentication(A::Other(2)),
        Message::AuthenticationScmCredential => BackendMessage::Authentication(A::Other(6)),
        Message::AuthenticationGss => BackendMessage::Authentication(A::Other(7)),
        Message::AuthenticationGssContinue(_) => BackendMessage::Authentication(A::Other(8)),
        Message::AuthenticationSspi => BackendMessage::Authentication(A::Other(9)),
        Message::ErrorResponse(body) => BackendMessage::Error(server_error(body.fields())?),
        Message::NoticeResponse(body) => BackendMessage::Notice(server_error(body.fields())?),
        Message::ParameterStatus(body) => BackendMessage::ParameterStatus {
            name: body.name()?.to_owned(),
            value: body.value()?.to_owned(),
        },
        Message::ReadyForQuery(_) => BackendMessage::ReadyForQuery,
        Message::RowDescription(body) => BackendMessage::RowDescription(
            body.fields().map(|f| Ok(f.name().to_owned())).collect()?,
        ),
        Message::DataRow(body) => {
            let buffer = body.buffer();
            BackendMessage::DataRow(
                body.ranges()
                    .map(|range| Ok(range.map(|r| text(&buffer[r]))))
                    .collect()?,
            )
        }
        Message::BackendKeyData(_) => BackendMessage::Other(backend::BACKEND_KEY_DATA_TAG),
        Message::CommandComplete(_) => BackendMessage::Other(backend::COMMAND_COMPLETE_TAG),
        Message::EmptyQueryResponse => BackendMessage::Other(backend::EMPTY_QUERY_RESPONSE_TAG),
        Message::NotificationResponse(_) => {
            BackendMessage::Other(backend::NOTIFICATION_RESPONSE_TAG)
        }
        Message::ParseComplete => BackendMessage::Other(backend::PARSE_COMPLETE_TAG),
        Message::BindComplete => BackendMessage::Other(backend::BIND_COMPLETE_TAG),
        Message::CloseComplete => BackendMessage::Other(backend::CLOSE_COMPLETE_TAG),
        Message::CopyData(_) => BackendMessage::Other(backend::COPY_DATA_TAG),
        Message::CopyDone => BackendMessage::Other(backend::COPY_DONE_TAG),
        Message::CopyInResponse(_) => BackendMessage::Other(backend::COPY_IN_RESPONSE_TAG),
        Message::CopyOutResponse(_) => BackendMessage::Other(backend::COPY_OUT_RESPONSE_TAG),
        Message::NoData => BackendMessage::Other(backend::NO_DATA_TAG),
        Message::ParameterDescription(_) => {
            BackendMessage::Other(backend::PARAMETER_DESCRIPTION_TAG)
        }
        Message::PortalSuspended => BackendMessage::Other(backend::PORTAL_SUSPENDED_TAG),
        // `Message` is non-exhaustive: a variant a newer crate adds is skipped like an
        // unknown tag.
        _ => BackendMessage::Other(0),
    })
}

/// The fields the diagnosis reads; `V` (never localized) wins over `S` for the severity.
fn server_error(mut fields: backend::ErrorFields<'_>) -> std::io::Result<ServerError> {
    let mut error = ServerError::default();
    while let Some(field) = fields.next()? {
        let value = text(field.value_bytes());
        match field.type_() {
            b'V' => error.severity = value,
            b'S' if error.severity.is_empty() => error.severity = value,
            b'C' => error.sqlstate = value,
            b'M' => error.message = value,
            b'D' => error.detail = Some(value),
            _ => {}
        }
    }
    Ok(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startup_has_length_protocol_and_pairs() {
        let msg = startup_with_options("u", "d", "-c x=y").unwrap_or_default();
        assert_eq!(&msg[4..8], &196_608_i32.to_be_bytes());
        assert_eq!(
            i32::from_be_bytes([msg[0], msg[1], msg[2], msg[3]]) as usize,
            msg.len()
        );
        assert!(msg.ends_with(b"rdsiam-doctor\0options\0-c x=y\0\0"));
    }

    #[test]
    fn ssl_request_is_the_8_byte_code() {
        assert_eq!(ssl_request(), [0, 0, 0, 8, 4, 210, 22, 47]);
    }

    #[test]
    fn nul_in_a_value_is_refused_not_sent() {
        assert!(password("a\0b").is_err());
        assert!(startup_with_options("u\0", "d", "").is_err());
    }

    #[test]
    fn error_response_fields_decode() {
        let body = b"SFATAL\0VFATAL\0C28000\0MPAM authentication failed for user \"u\"\0\0";
        let msg = decode(b'E', body).unwrap_or_else(|e| panic!("{e}"));
        let BackendMessage::Error(err) = msg else {
            panic!("not an error: {msg:?}")
        };
        assert_eq!(err.sqlstate, "28000");
        assert_eq!(err.severity, "FATAL");
        assert!(err.message.starts_with("PAM authentication failed"));
    }

    #[test]
    fn auth_requests_decode_including_codes_the_crate_does_not_know() {
        let sasl = decode(b'R', b"\0\0\0\x0aSCRAM-SHA-256\0\0");
        assert_eq!(
            sasl,
            Ok(BackendMessage::Authentication(AuthRequest::Sasl(vec![
                "SCRAM-SHA-256".into()
            ])))
        );
        assert_eq!(
            decode(b'R', &7_i32.to_be_bytes()),
            Ok(BackendMessage::Authentication(AuthRequest::Other(7)))
        );
        assert_eq!(
            decode(b'R', &42_i32.to_be_bytes()),
            Ok(BackendMessage::Authentication(AuthRequest::Other(42)))
        );
        assert_eq!(decode(b'?', b"anything"), Ok(BackendMessage::Other(b'?')));
    }

    #[test]
    fn data_rows_keep_nulls_and_text() {
        let body = b"\0\x02\0\0\0\x02ab\xff\xff\xff\xff";
        assert_eq!(
            decode(b'D', body),
            Ok(BackendMessage::DataRow(vec![Some("ab".into()), None]))
        );
    }

    #[test]
    fn truncated_bodies_are_errors_not_panics() {
        assert!(decode(b'R', &[0, 0]).is_err());
        assert!(decode(b'D', &[0, 1, 0, 0, 0, 9, b'x']).is_err());
        assert!(decode(b'E', b"Mno terminator").is_err());
    }
}
