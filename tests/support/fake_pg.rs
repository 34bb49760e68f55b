//! A scriptable fake PostgreSQL server for hostile-server tests: it speaks just enough of the
//! protocol (SSLRequest, a real TLS handshake with its own test CA, StartupMessage,
//! authentication requests) to bring a client to the point where it misbehaves on purpose —
//! silence after `S`, a trickle of notices, an oversized length, a close in the middle of a
//! message, floods of notices or rows.
//!
//! Why a fake and not the real harness: PostgreSQL cannot be made to misbehave like this. The
//! TLS, the certificates (openssl) and the client under test are real.
//!
//! Every plaintext connection (no SSLRequest) is answered with AuthenticationCleartextPassword,
//! and whatever the client sends after that is recorded: a client that is safe sends nothing
//! (the token must never leave over a non-TLS socket). [`FakePg::plaintext_after_password_request`]
//! returns those bytes.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The name in the server's certificate (the harness's RDS-like endpoint name).
pub const TLS_NAME: &str = "mydb.abc123xyz.us-east-1.rds.amazonaws.com";

/// What the server does on a connection that starts with an SSLRequest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// Answers `S`, then never says anything again (no TLS ServerHello).
    SilentAfterS,
    /// Answers `S`, then closes the connection.
    CloseAfterS,
    /// Answers `N` (no TLS); a careful client stops there.
    RefuseTls,
    /// TLS, then one NoticeResponse every `millis` after the StartupMessage, forever.
    TrickleNotices { millis: u64 },
    /// TLS, then a message header announcing `i32::MAX` bytes.
    OversizedLength,
    /// TLS, then a header announcing 100 bytes, 10 of them, and a close.
    MidMessageClose,
    /// TLS, then NoticeResponses as fast as the client reads them, forever.
    FloodNotices,
    /// TLS, asks for a cleartext password (the token), reads it, then stays silent.
    SilentAfterPassword,
    /// TLS, a normal PAM-like login, then endless DataRows in answer to any query.
    FloodRows,
}

#[derive(Default)]
struct Recorded {
    plaintext_after_password_request: Vec<u8>,
    tls_passwords: usize,
}

/// A running fake server (stopped on drop).
pub struct FakePg {
    pub port: u16,
    dir: PathBuf,
    recorded: Arc<Mutex<Recorded>>,
    stop: Arc<AtomicBool>,
}

impl Script {
    /// Every script, by the name `examples/fake_pg.rs` takes.
    pub const NAMES: &[(&str, Script)] = &[
        ("silent-after-s", Script::SilentAfterS),
        ("close-after-s", Script::CloseAfterS),
        ("refuse-tls", Script::RefuseTls),
        ("trickle", Script::TrickleNotices { millis: 1000 }),
        ("oversized-length", Script::OversizedLength),
        ("mid-message-close", Script::MidMessageClose),
        ("flood-notices", Script::FloodNotices),
        ("silent-after-password", Script::SilentAfterPassword),
        ("flood-rows", Script::FloodRows),
    ];
}

impl FakePg {
    /// Starts a server running `script` on every TLS connection.
    pub fn start(script: Script) -> Result<Self> {
        let dir = unique_dir()?;
        write_certificates(&dir, TLS_NAME)?;
        let config = Arc::new(server_config(&dir)?);
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        listener.set_nonblocking(true)?;
        let recorded: Arc<Mutex<Recorded>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, stopping) = (Arc::clone(&recorded), Arc::clone(&stop));
        thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (config, seen, stopping) = (
                            Arc::clone(&config),
                            Arc::clone(&seen),
                            Arc::clone(&stopping),
                        );
                        thread::spawn(move || {
                            let _ = serve(stream, script, &config, &seen, &stopping);
                        });
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(10));
                    }
                    Err(_) => break,
                }
            }
        });
        Ok(FakePg {
            port,
            dir,
            recorded,
            stop,
        })
    }

    /// The CA that signed the server's certificate (for `--sslrootcert`).
    pub fn ca_cert_path(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    /// Bytes a client sent on plaintext connections after being asked for a cleartext
    /// password (must stay empty).
    pub fn plaintext_after_password_request(&self) -> Vec<u8> {
        self.recorded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .plaintext_after_password_request
            .clone()
    }

    /// How many passwords arrived over TLS.
    pub fn tls_passwords(&self) -> usize {
        self.recorded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .tls_passwords
    }
}

impl Drop for FakePg {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 4, 210, 22, 47];
/// How long a connection thread lives at most (a silent server still ends).
const CONNECTION_LIFETIME: Duration = Duration::from_secs(60);

fn serve(
    mut tcp: TcpStream,
    script: Script,
    config: &Arc<rustls::ServerConfig>,
    recorded: &Mutex<Recorded>,
    stop: &AtomicBool,
) -> Result<()> {
    tcp.set_nonblocking(false)?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut first = [0_u8; 8];
    tcp.read_exact(&mut first)?;
    if first != SSL_REQUEST {
        return plaintext(tcp, &first, recorded);
    }
    match script {
        Script::SilentAfterS => {
            tcp.write_all(b"S")?;
            return hold(&mut tcp, stop);
        }
        Script::CloseAfterS => {
            tcp.write_all(b"S")?;
            return Ok(());
        }
        Script::RefuseTls => {
            tcp.write_all(b"N")?;
            let mut startup_head = [0_u8; 8];
            if tcp.read_exact(&mut startup_head).is_ok() {
                return plaintext(tcp, &startup_head, recorded);
            }
            return Ok(());
        }
        _ => tcp.write_all(b"S")?,
    }
    let connection = rustls::ServerConnection::new(Arc::clone(config))?;
    let mut tls = rustls::StreamOwned::new(connection, tcp);
    read_startup(&mut tls)?;
    match script {
        Script::TrickleNotices { millis } => {
            let started = Instant::now();
            while !stop.load(Ordering::Relaxed) && started.elapsed() < CONNECTION_LIFETIME {
                tls.write_all(&notice("still thinking"))?;
                tls.flush()?;
                thread::sleep(Duration::from_millis(millis));
            }
        }
        Script::OversizedLength => {
            tls.write_all(&[b'R', 0x7f, 0xff, 0xff, 0xff])?;
            tls.flush()?;
            hold(&mut tls, stop)?;
        }
        Script::MidMessageClose => {
            tls.write_all(&[b'R', 0, 0, 0, 104])?;
            tls.write_all(&[0; 10])?;
            tls.flush()?;
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
        Script::FloodNotices => {
            let batch: Vec<u8> = (0..256).flat_map(|_| notice("flood")).collect();
            while !stop.load(Ordering::Relaxed) {
                tls.write_all(&batch)?;
            }
        }
        Script::SilentAfterPassword => {
            tls.write_all(&auth(3))?;
            tls.flush()?;
            read_message(&mut tls)?;
            recorded
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .tls_passwords += 1;
            hold(&mut tls, stop)?;
        }
        Script::FloodRows => {
            tls.write_all(&auth(3))?;
            tls.flush()?;
            read_message(&mut tls)?;
            recorded
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .tls_passwords += 1;
            tls.write_all(&auth(0))?;
            tls.write_all(&tagged(b'Z', b"I"))?;
            tls.flush()?;
            read_message(&mut tls)?;
            let mut row = Vec::new();
            row.extend_from_slice(&1_i16.to_be_bytes());
            row.extend_from_slice(&1000_i32.to_be_bytes());
            row.extend_from_slice(&[b'x'; 1000]);
            let batch: Vec<u8> = (0..64).flat_map(|_| tagged(b'D', &row)).collect();
            while !stop.load(Ordering::Relaxed) {
                tls.write_all(&batch)?;
            }
        }
        Script::SilentAfterS | Script::CloseAfterS | Script::RefuseTls => {}
    }
    Ok(())
}

/// A plaintext connection whose first 8 bytes (`head`) are read: finish the StartupMessage,
/// ask for a cleartext password, record whatever comes back for a while.
fn plaintext(mut tcp: TcpStream, head: &[u8; 8], recorded: &Mutex<Recorded>) -> Result<()> {
    let len = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let rest = usize::try_from(len)
        .unwrap_or(8)
        .saturating_sub(8)
        .min(10_000);
    let mut startup = vec![0_u8; rest];
    tcp.read_exact(&mut startup)?;
    tcp.write_all(&auth(3))?;
    tcp.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut buf = [0_u8; 4096];
    loop {
        match tcp.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => recorded
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .plaintext_after_password_request
                .extend_from_slice(&buf[..n]),
        }
    }
    Ok(())
}

/// Waits, saying nothing, until the client goes away or the test ends.
fn hold(stream: &mut impl Read, stop: &AtomicBool) -> Result<()> {
    let started = Instant::now();
    let mut buf = [0_u8; 1024];
    while !stop.load(Ordering::Relaxed) && started.elapsed() < CONNECTION_LIFETIME {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    Ok(())
}

fn read_startup(stream: &mut impl Read) -> Result<Vec<u8>> {
    let mut len = [0_u8; 4];
    stream.read_exact(&mut len)?;
    let len = usize::try_from(i32::from_be_bytes(len)).context("startup length")?;
    ensure!((8..10_000).contains(&len), "startup length {len}");
    let mut body = vec![0_u8; len - 4];
    stream.read_exact(&mut body)?;
    Ok(body)
}

fn read_message(stream: &mut impl Read) -> Result<(u8, Vec<u8>)> {
    let mut header = [0_u8; 5];
    stream.read_exact(&mut header)?;
    let len = usize::try_from(i32::from_be_bytes([
        header[1], header[2], header[3], header[4],
    ]))
    .context("message length")?;
    ensure!((4..100_000).contains(&len), "message length {len}");
    let mut body = vec![0_u8; len - 4];
    stream.read_exact(&mut body)?;
    Ok((header[0], body))
}

fn tagged(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend_from_slice(
        &i32::try_from(body.len() + 4)
            .unwrap_or(i32::MAX)
            .to_be_bytes(),
    );
    out.extend_from_slice(body);
    out
}

fn auth(code: i32) -> Vec<u8> {
    tagged(b'R', &code.to_be_bytes())
}

fn notice(text: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for (code, value) in [(b'S', "NOTICE"), (b'C', "00000"), (b'M', text)] {
        body.push(code);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    tagged(b'N', &body)
}

fn server_config(dir: &Path) -> Result<rustls::ServerConfig> {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(dir.join("server.crt"))?.collect::<Result<_, _>>()?;
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?)
}

fn unique_dir() -> Result<PathBuf> {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rdsiam-fakepg-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A test CA and a server certificate for `name`, with openssl (as the harness does).
fn write_certificates(dir: &Path, name: &str) -> Result<()> {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(Command::new("openssl")
        .current_dir(dir)
        .args(["req", "-x509"])
        .args(ec)
        .args(["-keyout", "ca.key", "-out", "ca.crt", "-days", "30"])
        .args(["-subj", "/CN=rdsiam fake PostgreSQL CA"])
        .args(["-addext", "basicConstraints=critical,CA:TRUE"])
        .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]))?;
    run(Command::new("openssl")
        .current_dir(dir)
        .args(["req", "-new"])
        .args(ec)
        .args(["-keyout", "server.key", "-out", "server.csr"])
        .arg("-subj")
        .arg(format!("/CN={name}")))?;
    std::fs::write(
        dir.join("server-ext.cnf"),
        format!(
            "subjectAltName=DNS:{name}\nbasicConstraints=CA:FALSE\n\
             keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
        ),
    )?;
    run(Command::new("openssl").current_dir(dir).args([
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-set_serial",
        "7",
        "-days",
        "30",
        "-out",
        "server.crt",
        "-extfile",
        "server-ext.cnf",
    ]))?;
    Ok(())
}

fn run(command: &mut Command) -> Result<()> {
    let out = command
        .output()
        .context("running openssl (needed by the fake PostgreSQL server's certificates)")?;
    if !out.status.success() {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}
