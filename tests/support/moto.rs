//! moto in server mode: a local AWS API emulator for the live-collection tests (TESTING.md §1).
//!
//! `MotoServer::start()` runs `<repo>/.venv/bin/moto_server -H 127.0.0.1 -p <free port>` (one
//! server per test, so tests never share state) and stops it on drop. `seed(scenario)` runs
//! `tests/support/moto_seed.py`, which builds a scenario through the real AWS APIs with boto3
//! and prints what it created as JSON. If the venv or moto is missing this fails with the
//! command that installs it (`scripts/test.sh`): it never skips.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Any non-empty keys work against moto; the account is moto's default `123456789012`.
pub const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const DEFAULT_ACCOUNT: &str = "123456789012";
/// The port moto reports for a PostgreSQL instance it creates (RDS's default). Harnesses that
/// play such an instance through a tunnel accept tokens for it (`HarnessOptions::endpoint_port`).
pub const MOTO_POSTGRES_PORT: u16 = 5432;

pub struct MotoServer {
    child: Child,
    pub port: u16,
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn venv_bin(name: &str) -> Result<PathBuf> {
    let path = repo().join(".venv/bin").join(name);
    if !path.exists() {
        bail!(
            "{} is missing: run scripts/test.sh (ensure_python_venv), or: python3 -m venv .venv && \
             .venv/bin/pip install -r tests/support/requirements.txt",
            path.display()
        );
    }
    Ok(path)
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl MotoServer {
    pub fn start() -> Result<MotoServer> {
        let binary = venv_bin("moto_server")?;
        let port = free_port()?;
        let child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut server = MotoServer { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if server.request("GET", "/moto-api/data.json", "").is_ok() {
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("moto_server exited with {status} before listening on port {port}");
            }
            if Instant::now() > deadline {
                bail!("moto_server did not answer on port {port} within 30 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Clears all state (`POST /moto-api/reset`).
    pub fn reset(&self) -> Result<()> {
        self.request("POST", "/moto-api/reset", "").map(|_| ())
    }

    /// Queues canned Athena results (`POST /moto-api/static/athena/query-results`): each entry
    /// of `results` is `{"rows": [{"Data": [{"VarCharValue": "..."}, {}]}], "column_info": []}`
    /// (a `{}` datum is SQL NULL), handed out FIFO, one per StartQueryExecution, in moto's
    /// default account and us-east-1. The header row is the caller's to include, as Athena
    /// returns it.
    pub fn queue_athena_results(&self, results: &Value) -> Result<()> {
        let body = serde_json::json!({ "results": results }).to_string();
        self.request("POST", "/moto-api/static/athena/query-results", &body)
            .map(|_| ())
    }

    /// A minimal HTTP/1.1 request to the server's own API; returns the body.
    fn request(&self, method: &str, path: &str, body: &str) -> Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        if !response.starts_with("HTTP/1.") || !response[9..].starts_with('2') {
            bail!(
                "moto {method} {path}: {}",
                response.lines().next().unwrap_or("")
            );
        }
        Ok(response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default())
    }

    /// Runs `moto_seed.py <scenario>` against this server; returns its JSON output.
    pub fn seed(&self, scenario: &str, args: &[&str]) -> Result<Value> {
        let python = venv_bin("python")?;
        let output = Command::new(python)
            .arg(repo().join("tests/support/moto_seed.py"))
            .arg(scenario)
            .args(args)
            .envs(self.env())
            .output()?;
        if !output.status.success() {
            bail!(
                "moto_seed.py {scenario} failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        serde_json::from_slice(&output.stdout).context("moto_seed.py printed invalid JSON")
    }

    /// Environment for an AWS client (rdsiam or boto3) talking to this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        env_for(&self.endpoint())
    }
}

/// AWS client environment pointing at `endpoint`, with static test credentials and no
/// instance-metadata lookups.
pub fn env_for(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_DEFAULT_REGION", "us-east-1".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
    ]
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
