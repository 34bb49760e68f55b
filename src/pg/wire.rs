//! The few PostgreSQL v3 wire-protocol messages the doctor and the collector need: SSLRequest,
//! StartupMessage, PasswordMessage, simple Query and Terminate going out; authentication
//! requests, errors, row data and ReadyForQuery coming in. Framing only: no I/O policy, no
//! decisions (those live in [`super::session`]).

use std::fmt;

/// `SSLRequest` code (1234.5679).
const SSL_REQUEST_CODE: i32 = 80_877_103;
/// Protocol 3.0.
const PROTOCOL_VERSION: i32 = 196_608;
/// Largest backend message accepted; a longer one means we are not talking to PostgreSQL.
pub const MAX_MESSAGE_LEN: usize = 16 * 1024 * 1024;

/// The 8-byte SSLRequest.
pub fn ssl_request() -> Vec<u8> {
    let mut out = Vec::with_capacity(8);
    out.extend_from_slice(&8_i32.to_be_bytes());
    out.extend_from_slice(&SSL_REQUEST_CODE.to_be_bytes());
    out
}

/// StartupMessage with `user`, `database` and an application name. Carries no secret.
pub fn startup(user: &str, database: &str) -> Vec<u8> {
    startup_pairs(&[
        ("user", user),
        ("database", database),
        ("application_name", "rdsiam-doctor"),
    ])
}

/// StartupMessage with server `options` (`-c name=value`) as well.
pub fn startup_with_options(user: &str, database: &str, options: &str) -> Vec<u8> {
    startup_pairs(&[
        ("user", user),
        ("database", database),
        ("application_name", "rdsiam-doctor"),
        ("options", options),
    ])
}

fn startup_pairs(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&PROTOCOL_VERSION.to_be_bytes());
    for (key, value) in pairs {
        push_cstr(&mut body, key);
        push_cstr(&mut body, value);
    }
    body.push(0);
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&len_prefix(body.len() + 4));
    out.extend_from_slice(&body);
    out
}

/// PasswordMessage (`p`): the answer to AuthenticationCleartextPassword.
pub fn password(secret: &str) -> Vec<u8> {
    tagged(b'p', |body| push_cstr(body, secret))
}

/// SASLInitialResponse (`p`): mechanism and the client-first message.
pub fn sasl_initial(mechanism: &str, data: &str) -> Vec<u8> {
    tagged(b'p', |body| {
        push_cstr(body, mechanism);
        body.extend_from_slice(&len_prefix(data.len()));
        body.extend_from_slice(data.as_bytes());
    })
}

/// SASLResponse (`p`).
pub fn sasl_response(data: &str) -> Vec<u8> {
    tagged(b'p', |body| body.extend_from_slice(data.as_bytes()))
}

/// Simple Query (`Q`).
pub fn query(sql: &str) -> Vec<u8> {
    tagged(b'Q', |body| push_cstr(body, sql))
}

/// Terminate (`X`).
pub fn terminate() -> Vec<u8> {
    tagged(b'X', |_| {})
}

fn tagged(tag: u8, fill: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut body = Vec::new();
    fill(&mut body);
    let mut out = Vec::with_capacity(body.len() + 5);
    out.push(tag);
    out.extend_from_slice(&len_prefix(body.len() + 4));
    out.extend_from_slice(&body);
    out
}

fn len_prefix(len: usize) -> [u8; 4] {
    i32::try_from(len).unwrap_or(i32::MAX).to_be_bytes()
}

fn push_cstr(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(text.as_bytes());
    out.push(0);
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

/// Decodes one message body (`tag`, bytes after the length). Malformed bodies become
/// errors naming the tag.
pub fn decode(tag: u8, body: &[u8]) -> Result<BackendMessage, String> {
    let mut reader = BodyReader { body, at: 0 };
    Ok(match tag {
        b'R' => {
            let code = reader.i32()?;
            BackendMessage::Authentication(match code {
                0 => AuthRequest::Ok,
                3 => AuthRequest::CleartextPassword,
                5 => AuthRequest::Md5Password,
                10 => {
                    let mut mechs = Vec::new();
                    while let Some(m) = reader.cstr_opt()? {
                        mechs.push(m);
                    }
                    AuthRequest::Sasl(mechs)
                }
                11 => AuthRequest::SaslContinue(reader.rest_text()),
                12 => AuthRequest::SaslFinal(reader.rest_text()),
                other => AuthRequest::Other(other),
            })
        }
        b'E' => BackendMessage::Error(error_fields(&mut reader)?),
        b'N' => BackendMessage::Notice(error_fields(&mut reader)?),
        b'S' => BackendMessage::ParameterStatus {
            name: reader.cstr()?,
            value: reader.cstr()?,
        },
        b'Z' => BackendMessage::ReadyForQuery,
        b'T' => {
            let count = reader.i16()?;
            let mut names = Vec::new();
            for _ in 0..count {
                names.push(reader.cstr()?);
                reader.skip(18)?;
            }
            BackendMessage::RowDescription(names)
        }
        b'D' => {
            let count = reader.i16()?;
            let mut values = Vec::new();
            for _ in 0..count {
                let len = reader.i32()?;
                if len < 0 {
                    values.push(None);
                } else {
                    let bytes = reader.take(usize::try_from(len).unwrap_or(usize::MAX))?;
                    values.push(Some(String::from_utf8_lossy(bytes).into_owned()));
                }
            }
            BackendMessage::DataRow(values)
        }
        other => BackendMessage::Other(other),
    })
}

fn error_fields(reader: &mut BodyReader<'_>) -> Result<ServerError, String> {
    let mut error = ServerError::default();
    loop {
        let code = reader.u8()?;
        if code == 0 {
            return Ok(error);
        }
        let value = reader.cstr()?;
        match code {
            b'V' => error.severity = value,
            b'S' if error.severity.is_empty() => error.severity = value,
            b'C' => error.sqlstate = value,
            b'M' => error.message = value,
            b'D' => error.detail = Some(value),
            _ => {}
        }
    }
}

struct BodyReader<'a> {
    body: &'a [u8],
    at: usize,
}

impl<'a> BodyReader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.body.len())
            .ok_or_else(|| format!("truncated message: wanted {n} bytes at offset {}", self.at))?;
        let bytes = &self.body[self.at..end];
        self.at = end;
        Ok(bytes)
    }
    fn rest_text(&mut self) -> String {
        let rest = &self.body[self.at..];
        self.at = self.body.len();
        String::from_utf8_lossy(rest).into_owned()
    }
    fn skip(&mut self, n: usize) -> Result<(), String> {
        self.take(n).map(|_| ())
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn i16(&mut self) -> Result<i16, String> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }
    fn i32(&mut self) -> Result<i32, String> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn cstr(&mut self) -> Result<String, String> {
        let rest = &self.body[self.at..];
        let nul = rest
            .iter()
            .position(|b| *b == 0)
            .ok_or("unterminated string in message")?;
        let text = String::from_utf8_lossy(&rest[..nul]).into_owned();
        self.at += nul + 1;
        Ok(text)
    }
    /// A C string, or `None` at the list-terminating empty string.
    fn cstr_opt(&mut self) -> Result<Option<String>, String> {
        let s = self.cstr()?;
        Ok((!s.is_empty()).then_some(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startup_has_length_protocol_and_pairs() {
        let msg = startup("u", "d");
        assert_eq!(&msg[4..8], &PROTOCOL_VERSION.to_be_bytes());
        assert_eq!(
            i32::from_be_bytes([msg[0], msg[1], msg[2], msg[3]]) as usize,
            msg.len()
        );
        assert!(msg.ends_with(b"rdsiam-doctor\0\0"));
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
    fn truncated_bodies_are_errors_not_panics() {
        assert!(decode(b'R', &[0, 0]).is_err());
        assert!(decode(b'D', &[0, 1, 0, 0, 0, 9, b'x']).is_err());
        assert!(decode(b'E', b"Mno terminator").is_err());
    }
}
