//! A tiny HTTP proxy in front of moto that answers chosen (account, operation) pairs with an
//! AWS error instead of forwarding them: ThrottlingException, AccessDenied... — what a real
//! account does to a collector with a missing permission or a busy API.
//!
//! Operation: `Action=` of a query-protocol body (IAM, STS, RDS) or the `X-Amz-Target` header
//! (Organizations). Account: the access key in the `Authorization` header, mapped to its
//! account by watching AssumeRole answers go by (the base key is moto's default account); for
//! `AssumeRole` itself, the account of the requested role. Everything else is forwarded as is.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use anyhow::{Context, Result, bail};

/// Answer `operation` (in `account`, or any account when `None`) with this error.
#[derive(Debug, Clone)]
pub struct Fault {
    pub account: Option<String>,
    pub operation: String,
    pub status: u16,
    pub code: String,
}

impl Fault {
    pub fn new(account: Option<&str>, operation: &str, status: u16, code: &str) -> Self {
        Fault {
            account: account.map(str::to_owned),
            operation: operation.to_owned(),
            status,
            code: code.to_owned(),
        }
    }
}

/// Answer `operation` with this body (HTTP 200, XML) when the request body contains
/// `request_contains`: a recorded or hand-written AWS response, e.g. one page of a paginated
/// call (moto ignores `MaxItems`/`MaxRecords`, so it never paginates by itself).
#[derive(Debug, Clone)]
pub struct Canned {
    pub operation: String,
    pub request_contains: String,
    pub body: String,
}

/// How a forwarded answer is damaged (a hostile or broken AWS endpoint, a middlebox).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mangling {
    /// HTTP 200 whose XML body is cut and unbalanced (`<Response><Result><broken`).
    MalformedXml,
    /// HTTP 200 whose body is not XML at all (binary garbage).
    Garbage,
    /// The real answer's headers (full Content-Length) and half its body, then a close.
    Truncated,
}

/// Damage the answers to `operation` (any account) this way.
#[derive(Debug, Clone)]
pub struct Mangle {
    pub operation: String,
    pub how: Mangling,
}

#[derive(Default)]
struct State {
    faults: Vec<Fault>,
    canned: Vec<Canned>,
    mangles: Vec<Mangle>,
    /// (operation, request body) of every request.
    bodies: Vec<(String, String)>,
    /// access key id → account id.
    keys: HashMap<String, String>,
    /// (account, operation, faulted) for every request seen.
    seen: Vec<(String, String, bool)>,
    /// Replaces the `Date` header of forwarded answers (an AWS whose clock differs).
    date: Option<String>,
}

pub struct FaultProxy {
    pub port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    pub fn start(
        upstream_port: u16,
        base_key: &str,
        base_account: &str,
        faults: Vec<Fault>,
    ) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let state = Arc::new(Mutex::new(State {
            faults,
            canned: Vec::new(),
            mangles: Vec::new(),
            bodies: Vec::new(),
            keys: HashMap::from([(base_key.to_owned(), base_account.to_owned())]),
            seen: Vec::new(),
            date: None,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (accept_state, accept_stop) = (state.clone(), stop.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let state = accept_state.clone();
                thread::spawn(move || {
                    let _ = serve(stream, upstream_port, &state);
                });
            }
        });
        Ok(FaultProxy { port, state, stop })
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// (account, operation, faulted) of every request so far.
    pub fn seen(&self) -> Vec<(String, String, bool)> {
        self.state
            .lock()
            .map(|s| s.seen.clone())
            .unwrap_or_default()
    }

    /// (operation, request body) of every request so far.
    pub fn bodies(&self) -> Vec<(String, String)> {
        self.state
            .lock()
            .map(|s| s.bodies.clone())
            .unwrap_or_default()
    }

    /// Forwarded answers carry this `Date` header instead of moto's (HTTP date format).
    pub fn set_date_header(&self, date: &str) {
        if let Ok(mut state) = self.state.lock() {
            state.date = Some(date.to_owned());
        }
    }

    /// Damages the answers to these operations (checked after canned answers and faults).
    pub fn add_mangles(&self, mangles: Vec<Mangle>) {
        if let Ok(mut state) = self.state.lock() {
            state.mangles.extend(mangles);
        }
    }

    /// Adds canned answers (checked before faults and before forwarding).
    pub fn add_canned(&self, canned: Vec<Canned>) {
        if let Ok(mut state) = self.state.lock() {
            state.canned.extend(canned);
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

struct Request {
    head: Vec<String>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.iter().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Result<Option<Request>> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.is_empty() {
            if head.is_empty() {
                continue;
            }
            break;
        }
        head.push(line);
    }
    let mut request = Request {
        head,
        body: Vec::new(),
    };
    if request.header("transfer-encoding").is_some() {
        bail!("chunked requests are not supported by the fault proxy");
    }
    let length: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    request.body = vec![0; length];
    reader.read_exact(&mut request.body)?;
    Ok(Some(request))
}

fn form_value(body: &str, key: &str) -> Option<String> {
    body.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| percent_decode(v))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn serve(stream: TcpStream, upstream_port: u16, state: &Mutex<State>) -> Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader)? {
        let body = String::from_utf8_lossy(&request.body).into_owned();
        let (operation, json_protocol) = match request.header("x-amz-target") {
            Some(target) => (target.rsplit('.').next().unwrap_or(target).to_owned(), true),
            None => (form_value(&body, "Action").unwrap_or_default(), false),
        };
        let key = request
            .header("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').next())
            .unwrap_or("")
            .to_owned();
        let role_account = (operation == "AssumeRole")
            .then(|| form_value(&body, "RoleArn"))
            .flatten()
            .and_then(|arn| arn.split(':').nth(4).map(str::to_owned));
        let (account, fault, canned, mangle) = {
            let state = state.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
            let account = role_account
                .clone()
                .or_else(|| state.keys.get(&key).cloned())
                .unwrap_or_else(|| "unknown".to_owned());
            let fault = state
                .faults
                .iter()
                .find(|f| {
                    f.operation == operation && f.account.as_ref().is_none_or(|a| *a == account)
                })
                .cloned();
            let canned = state
                .canned
                .iter()
                .find(|c| c.operation == operation && body.contains(&c.request_contains))
                .map(|c| c.body.clone());
            let mangle = state
                .mangles
                .iter()
                .find(|m| m.operation == operation)
                .map(|m| m.how);
            (account, fault, canned, mangle)
        };
        if let Ok(mut state) = state.lock() {
            state
                .seen
                .push((account.clone(), operation.clone(), fault.is_some()));
            state.bodies.push((operation.clone(), body.clone()));
        }
        let response = match (fault, canned) {
            (_, Some(canned)) => format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nx-amzn-RequestId: fault-proxy\r\nContent-Length: {}\r\n\r\n{canned}",
                canned.len()
            )
            .into_bytes(),
            (Some(fault), None) => error_response(&fault, &operation, &account, json_protocol),
            (None, None) => {
                let response = forward(&request, upstream_port)?;
                if let Some(target_account) = role_account {
                    let text = String::from_utf8_lossy(&response);
                    if let Some(key) = text
                        .split("<AccessKeyId>")
                        .nth(1)
                        .and_then(|rest| rest.split("</AccessKeyId>").next())
                        && let Ok(mut state) = state.lock()
                    {
                        state.keys.insert(key.to_owned(), target_account);
                    }
                }
                let date = state.lock().ok().and_then(|s| s.date.clone());
                match date {
                    Some(date) => with_date(&response, &date),
                    None => response,
                }
            }
        };
        let Some(how) = mangle else {
            writer.write_all(&response)?;
            writer.flush()?;
            continue;
        };
        let ok = |body: &[u8]| {
            let mut out = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nx-amzn-RequestId: fault-proxy\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            out.extend_from_slice(body);
            out
        };
        match how {
            Mangling::MalformedXml => {
                let body = format!("<{operation}Response><{operation}Result><broken");
                writer.write_all(&ok(body.as_bytes()))?;
            }
            Mangling::Garbage => {
                let body: Vec<u8> = (0..512_u32).map(|i| (i * 7 + 3) as u8).collect();
                writer.write_all(&ok(&body))?;
            }
            Mangling::Truncated => {
                let split = response
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n")
                    .map_or(response.len(), |at| at + 4);
                let body_len = response.len() - split;
                writer.write_all(&response[..split + body_len / 2])?;
                writer.flush()?;
                // Close: the client holds a Content-Length it will never get.
                return Ok(());
            }
        }
        writer.flush()?;
    }
    Ok(())
}

/// `response` with its `Date` header replaced (or added).
fn with_date(response: &[u8], date: &str) -> Vec<u8> {
    let Some(split) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return response.to_vec();
    };
    let head = String::from_utf8_lossy(&response[..split]);
    let mut lines: Vec<String> = head
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("date:"))
        .map(str::to_owned)
        .collect();
    lines.push(format!("Date: {date}"));
    let mut out = lines.join("\r\n").into_bytes();
    out.extend_from_slice(&response[split..]);
    out
}

fn error_response(fault: &Fault, operation: &str, account: &str, json_protocol: bool) -> Vec<u8> {
    let message = format!(
        "rdsiam fault proxy: {} for {operation} in account {account}",
        fault.code
    );
    let (content_type, body) = if json_protocol {
        (
            "application/x-amz-json-1.1",
            format!(r#"{{"__type":"{}","message":"{message}"}}"#, fault.code),
        )
    } else {
        (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{}</Code><Message>{message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>",
                fault.code
            ),
        )
    };
    format!(
        "HTTP/1.1 {} Fault\r\nContent-Type: {content_type}\r\nx-amzn-RequestId: fault-proxy\r\nContent-Length: {}\r\n\r\n{body}",
        fault.status,
        body.len()
    )
    .into_bytes()
}

/// Sends the request to moto on a fresh connection and returns a complete response with a
/// Content-Length (so the client connection can be kept alive).
fn forward(request: &Request, upstream_port: u16) -> Result<Vec<u8>> {
    let mut upstream =
        TcpStream::connect(("127.0.0.1", upstream_port)).context("connecting to moto")?;
    let mut head = String::new();
    for (i, line) in request.head.iter().enumerate() {
        if i > 0 && line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    upstream.write_all(head.as_bytes())?;
    upstream.write_all(&request.body)?;
    let mut raw = Vec::new();
    upstream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("moto sent no header end")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let lines: Vec<&str> = head.split("\r\n").collect();
    if lines.iter().any(|l| {
        l.to_ascii_lowercase().starts_with("transfer-encoding:")
            && l.to_ascii_lowercase().contains("chunked")
    }) {
        body = dechunk(&body)?;
    }
    let mut out = String::new();
    out.push_str(lines.first().copied().unwrap_or("HTTP/1.1 502 Bad Gateway"));
    out.push_str("\r\n");
    for line in lines.iter().skip(1) {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("connection:")
            || lower.starts_with("content-length:")
            || lower.starts_with("transfer-encoding:")
        {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&body);
    Ok(bytes)
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("bad chunk")?;
        let size_text = String::from_utf8_lossy(&data[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)?;
        data = &data[end + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(data.get(..size).context("short chunk")?);
        data = data.get(size + 2..).context("short chunk")?;
    }
}
