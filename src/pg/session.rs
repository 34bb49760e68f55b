//! Talking to PostgreSQL step by step: TCP with a timeout, SSLRequest, a plaintext startup
//! that never sends a password, and the token login over verified TLS followed by read-only
//! queries. The token can only be sent on a [`TlsStream`]: the plaintext path has no function
//! that writes a password, so a token cannot leave over a non-TLS connection by construction.

use std::io;
use std::time::Duration;

use postgres_protocol::authentication::sasl::{ChannelBinding, SCRAM_SHA_256, ScramSha256};
use tokio::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::bounds::{self, PgError, PgErrorKind};
use super::wire::{self, AuthRequest, BackendMessage, ServerError};

/// Startup option making every transaction of the session read-only (defence in depth: the
/// doctor and the collector only send SELECTs anyway).
const READ_ONLY_OPTIONS: &str = "-c default_transaction_read_only=on";

/// Why TCP failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetFailure {
    Timeout,
    Refused,
    Other(String),
}

/// TCP connect to `addr:port` within `timeout`.
pub async fn connect_tcp(
    addr: &str,
    port: u16,
    timeout: Duration,
) -> Result<TcpStream, NetFailure> {
    match tokio::time::timeout(timeout, TcpStream::connect((addr, port))).await {
        Err(_) => Err(NetFailure::Timeout),
        Ok(Ok(stream)) => {
            let _ = stream.set_nodelay(true);
            Ok(stream)
        }
        Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => Err(NetFailure::Refused),
        Ok(Err(e)) if e.kind() == io::ErrorKind::TimedOut => Err(NetFailure::Timeout),
        Ok(Err(e)) => Err(NetFailure::Other(e.to_string())),
    }
}

/// A PostgreSQL message stream over any transport. Every receive is bounded by the current
/// step's deadline (not a per-message timeout: a server trickling one notice a second cannot
/// keep a step alive) and by the caps of [`super::bounds`].
pub struct PgStream<S> {
    io: S,
    timeout: Duration,
    deadline: Instant,
    /// Messages received in the current step.
    messages: usize,
}

impl<S: AsyncRead + AsyncWrite + Unpin> PgStream<S> {
    /// A stream whose first step starts now and lasts at most `timeout`.
    pub fn new(io: S, timeout: Duration) -> Self {
        PgStream {
            io,
            timeout,
            deadline: Instant::now() + timeout,
            messages: 0,
        }
    }

    /// Starts a new step: a fresh deadline `timeout` from now and a fresh message count.
    pub fn start_step(&mut self) {
        self.deadline = Instant::now() + self.timeout;
        self.messages = 0;
    }

    pub fn into_inner(self) -> S {
        self.io
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), PgError> {
        let write = async {
            self.io.write_all(bytes).await?;
            self.io.flush().await
        };
        match tokio::time::timeout_at(self.deadline, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(PgError::closed(&e)),
            Err(_) => Err(PgError::timeout("sending", self.timeout)),
        }
    }

    /// The next backend message, within the step's deadline.
    pub async fn recv(&mut self) -> Result<BackendMessage, PgError> {
        self.recv_sized().await.map(|(message, _)| message)
    }

    /// The next message and its body length.
    async fn recv_sized(&mut self) -> Result<(BackendMessage, usize), PgError> {
        self.messages += 1;
        if self.messages > bounds::MAX_MESSAGES_PER_STEP {
            return Err(PgError::cap(format!(
                "the server sent more than {} messages in one step (cap MAX_MESSAGES_PER_STEP)",
                bounds::MAX_MESSAGES_PER_STEP
            )));
        }
        match tokio::time::timeout_at(self.deadline, self.recv_untimed()).await {
            Ok(result) => result,
            Err(_) => Err(PgError::timeout("waiting for the server", self.timeout)),
        }
    }

    async fn recv_untimed(&mut self) -> Result<(BackendMessage, usize), PgError> {
        let mut header = [0_u8; 5];
        self.io
            .read_exact(&mut header)
            .await
            .map_err(|e| PgError::closed(&e))?;
        let len = i32::from_be_bytes([header[1], header[2], header[3], header[4]]);
        let body_len = usize::try_from(len)
            .ok()
            .and_then(|l| l.checked_sub(4))
            .ok_or_else(|| {
                PgError::protocol(format!("invalid message length {len}: is this PostgreSQL?"))
            })?;
        if body_len > bounds::MAX_MESSAGE_BYTES {
            return Err(PgError::cap(format!(
                "the server announced a {body_len}-byte message (tag {:?}); the cap is {} bytes (MAX_MESSAGE_BYTES): is this PostgreSQL?",
                char::from(header[0]),
                bounds::MAX_MESSAGE_BYTES
            )));
        }
        // Read what arrives rather than allocating the announced length up front.
        let mut body = Vec::with_capacity(body_len.min(64 * 1024));
        (&mut self.io)
            .take(body_len as u64)
            .read_to_end(&mut body)
            .await
            .map_err(|e| PgError::closed(&e))?;
        if body.len() < body_len {
            return Err(PgError::new(
                PgErrorKind::Closed,
                format!(
                    "server closed the connection in the middle of a message ({} of {body_len} bytes)",
                    body.len()
                ),
            ));
        }
        let message = wire::decode(header[0], &body).map_err(PgError::protocol)?;
        Ok((message, body_len))
    }

    /// Sends the StartupMessage and returns the server's first decisive answer: an
    /// authentication request or an error. Never sends a password.
    async fn start(&mut self, user: &str, database: &str) -> Result<StartupAnswer, PgError> {
        let startup =
            wire::startup_with_options(user, database, READ_ONLY_OPTIONS).map_err(PgError::from)?;
        self.send(&startup).await?;
        loop {
            match self.recv().await? {
                BackendMessage::Authentication(request) => return Ok(StartupAnswer::Auth(request)),
                BackendMessage::Error(error) => return Ok(StartupAnswer::Refused(error)),
                _ => continue,
            }
        }
    }

    /// After AuthenticationOk: waits for ReadyForQuery, or the error that ends the session
    /// (`database does not exist`, `not permitted to log in`).
    async fn finish_startup(&mut self) -> Result<Result<ServerParams, ServerError>, PgError> {
        let mut params = ServerParams::default();
        loop {
            match self.recv().await? {
                BackendMessage::ReadyForQuery => return Ok(Ok(params)),
                BackendMessage::Error(error) => return Ok(Err(error)),
                BackendMessage::ParameterStatus { name, value } => {
                    if name == "server_version" {
                        params.server_version = value;
                    }
                }
                _ => continue,
            }
        }
    }

    /// A simple query; rows as text. Only ever called with SELECT/BEGIN READ ONLY/ROLLBACK
    /// (see [`crate::pg::DOCTOR_STATEMENTS`], [`crate::collect::postgres::STATEMENTS`] and the
    /// safety tests). Each query is a step (its own deadline), and its result is capped
    /// ([`bounds::MAX_RESULT_ROWS`], [`bounds::MAX_RESULT_BYTES`]).
    pub async fn query_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, PgError> {
        self.start_step();
        self.send(&wire::query(sql).map_err(PgError::from)?).await?;
        let mut rows = Vec::new();
        let mut bytes = 0_usize;
        let mut failure = None;
        loop {
            match self.recv_sized().await? {
                (BackendMessage::DataRow(values), size) => {
                    bytes += size;
                    if rows.len() >= bounds::MAX_RESULT_ROWS {
                        return Err(PgError::cap(format!(
                            "the query returned more than {} rows (cap MAX_RESULT_ROWS)",
                            bounds::MAX_RESULT_ROWS
                        )));
                    }
                    if bytes > bounds::MAX_RESULT_BYTES {
                        return Err(PgError::cap(format!(
                            "the query returned more than {} bytes of rows (cap MAX_RESULT_BYTES)",
                            bounds::MAX_RESULT_BYTES
                        )));
                    }
                    rows.push(values);
                }
                (BackendMessage::Error(error), _) => failure = Some(error),
                (BackendMessage::ReadyForQuery, _) => break,
                _ => {}
            }
        }
        match failure {
            Some(error) => Err(PgError::new(
                PgErrorKind::Other,
                format!("query failed: {error}"),
            )),
            None => Ok(rows),
        }
    }

    /// Politely ends the session (best effort).
    pub async fn close(mut self) {
        let _ = self.send(&wire::terminate()).await;
        let _ = self.io.shutdown().await;
    }
}

/// Parameters the server reported at startup.
#[derive(Debug, Clone, Default)]
pub struct ServerParams {
    pub server_version: String,
}

/// The first decisive answer to a StartupMessage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartupAnswer {
    Auth(AuthRequest),
    Refused(ServerError),
}

/// Sends an SSLRequest on `tcp`; `true` when the server agrees to TLS (`S`).
pub async fn request_tls(tcp: &mut TcpStream, timeout: Duration) -> Result<bool, PgError> {
    let exchange = async {
        tcp.write_all(&wire::ssl_request()).await?;
        let mut answer = [0_u8; 1];
        tcp.read_exact(&mut answer).await?;
        Ok::<u8, io::Error>(answer[0])
    };
    match tokio::time::timeout(timeout, exchange).await {
        Err(_) => Err(PgError::new(
            PgErrorKind::Timeout,
            format!("no answer to SSLRequest within {timeout:?}"),
        )),
        Ok(Err(e)) => Err(PgError::new(
            PgErrorKind::Closed,
            format!("SSLRequest failed: the server closed the connection ({e})"),
        )),
        Ok(Ok(b'S')) => Ok(true),
        Ok(Ok(b'N')) => Ok(false),
        Ok(Ok(other)) => Err(PgError::protocol(format!(
            "unexpected answer {:?} to SSLRequest: is this PostgreSQL?",
            char::from(other)
        ))),
    }
}

/// Plaintext startup without any password: what would a non-TLS client get? The connection is
/// closed as soon as the server asks for a password.
pub async fn plaintext_probe(
    tcp: TcpStream,
    user: &str,
    database: &str,
    timeout: Duration,
) -> Result<StartupAnswer, PgError> {
    let mut stream = PgStream::new(tcp, timeout);
    let answer = stream.start(user, database).await;
    let _ = stream.into_inner().shutdown().await;
    answer
}

/// What the token login over TLS concluded.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Logged in; the session is ready for read-only queries.
    LoggedIn(Box<PgStream<TlsStream<TcpStream>>>, ServerParams),
    /// The server asked for something other than a cleartext password (SCRAM/MD5: the role
    /// is not in `rds_iam`, or does not exist). The token was not sent.
    NotPam(AuthRequest),
    /// Refused before any password was asked.
    RefusedBeforeAuth(ServerError),
    /// The token was sent and rejected.
    AuthFailed(ServerError),
    /// The token was accepted, then the session failed (`database ... does not exist`, NOLOGIN).
    AfterAuth(ServerError),
}

impl<S> std::fmt::Debug for PgStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgStream")
    }
}

/// Logs in with `token` over the verified TLS stream. The token is sent only in answer to
/// AuthenticationCleartextPassword, which is what RDS (PAM) asks of `rds_iam` members.
pub async fn login_over_tls(
    tls: TlsStream<TcpStream>,
    user: &str,
    database: &str,
    token: &str,
    timeout: Duration,
) -> Result<LoginOutcome, PgError> {
    login(tls, user, database, token, false, timeout).await
}

/// Like [`login_over_tls`], and also answers a SCRAM-SHA-256 challenge with `password` (the
/// collector logging in as a password user, e.g. the master user).
pub async fn login_over_tls_with_password(
    tls: TlsStream<TcpStream>,
    user: &str,
    database: &str,
    password: &str,
    timeout: Duration,
) -> Result<LoginOutcome, PgError> {
    login(tls, user, database, password, true, timeout).await
}

/// SCRAM-SHA-256 (`postgres-protocol`'s client) without channel binding (`n,,`), as before:
/// the server is already authenticated by verified TLS, and `y,,` would make a server that
/// offers SCRAM-SHA-256-PLUS refuse the login as a downgrade.
async fn scram(
    stream: &mut PgStream<TlsStream<TcpStream>>,
    password: &str,
) -> Result<Option<ServerError>, PgError> {
    let mut client = ScramSha256::new(password.as_bytes(), ChannelBinding::unsupported());
    let scram_error = |e: io::Error| PgError::protocol(format!("SCRAM-SHA-256: {e}"));
    stream.start_step();
    let first = wire::sasl_initial(SCRAM_SHA_256, client.message()).map_err(PgError::from)?;
    stream.send(&first).await?;
    loop {
        match stream.recv().await? {
            BackendMessage::Authentication(AuthRequest::SaslContinue(server_first)) => {
                client
                    .update(server_first.as_bytes())
                    .map_err(scram_error)?;
                let reply = wire::sasl_response(client.message()).map_err(PgError::from)?;
                stream.send(&reply).await?;
            }
            BackendMessage::Authentication(AuthRequest::SaslFinal(server_final)) => {
                client
                    .finish(server_final.as_bytes())
                    .map_err(scram_error)?;
            }
            BackendMessage::Authentication(AuthRequest::Ok) => return Ok(None),
            BackendMessage::Error(error) => return Ok(Some(error)),
            _ => continue,
        }
    }
}

async fn login(
    tls: TlsStream<TcpStream>,
    user: &str,
    database: &str,
    secret: &str,
    allow_scram: bool,
    timeout: Duration,
) -> Result<LoginOutcome, PgError> {
    let mut stream = PgStream::new(tls, timeout);
    let request = match stream.start(user, database).await? {
        StartupAnswer::Refused(error) => return Ok(LoginOutcome::RefusedBeforeAuth(error)),
        StartupAnswer::Auth(request) => request,
    };
    let token = secret;
    match request {
        AuthRequest::Sasl(mechanisms)
            if allow_scram && mechanisms.iter().any(|m| m == SCRAM_SHA_256) =>
        {
            if let Some(error) = scram(&mut stream, secret).await? {
                return Ok(LoginOutcome::AuthFailed(error));
            }
        }
        AuthRequest::CleartextPassword => {
            // From here on a failure happened after the secret left (over verified TLS).
            let sent = |mut error: PgError| {
                error.secret_sent = true;
                error
            };
            let message = wire::password(token).map_err(PgError::from)?;
            stream.send(&message).await.map_err(sent)?;
            loop {
                match stream.recv().await.map_err(sent)? {
                    BackendMessage::Authentication(AuthRequest::Ok) => break,
                    BackendMessage::Error(error) => return Ok(LoginOutcome::AuthFailed(error)),
                    _ => continue,
                }
            }
        }
        AuthRequest::Ok => {}
        other => {
            stream.close().await;
            return Ok(LoginOutcome::NotPam(other));
        }
    }
    let finished = stream.finish_startup().await.map_err(|mut error| {
        error.secret_sent = true;
        error
    })?;
    Ok(match finished {
        Ok(params) => LoginOutcome::LoggedIn(Box::new(stream), params),
        Err(error) => LoginOutcome::AfterAuth(error),
    })
}
