//! RDS IAM auth tokens made by the real AWS SDK signer (botocore's `generate_db_auth_token`),
//! so harness and doctor tests never depend on a signer written next to the verifier.
//!
//! One long-lived `mint_rds_tokens.py` child per test process (Python + botocore import is
//! ~0.3 s; each token after that is ~1 ms). It runs from `<repo>/.venv`, which
//! `scripts/test.sh` (`ensure_python_venv`) creates. This module owns only the minting; the
//! server side lives in [`super::pg_harness`].

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

use anyhow::{Context, Result, anyhow, bail};
use serde::Serialize;

/// An AWS key pair the harness's verifier knows (see `HarnessOptions::credentials`).
#[derive(Clone, Debug, Serialize)]
pub struct TestCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Present for temporary (STS) credentials; it goes into the token as
    /// `X-Amz-Security-Token` and makes the token 1–4 KB long.
    pub session_token: Option<String>,
}

impl TestCredentials {
    /// Long-term user keys (the AWS documentation's example pair).
    pub fn long_term() -> Self {
        Self {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        }
    }

    /// Temporary credentials as from `sts:AssumeRole`; the session token is as long as real
    /// ones get, so tokens made with it are far beyond pam_exec's 511-byte limit.
    pub fn temporary() -> Self {
        let session_token: String = "IQoJb3JpZ2luX2VjEXAMPLE/SessionToken+"
            .chars()
            .cycle()
            .take(1400)
            .collect();
        Self {
            access_key_id: "ASIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY".into(),
            session_token: Some(session_token),
        }
    }

    /// Keys whose `rds-db:connect` policy (emulated) allows only `pgmonitor`.
    pub fn restricted() -> Self {
        Self {
            access_key_id: "AKIAI44QH8DHBEXAMPLE".into(),
            secret_access_key: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbRESTRICTED".into(),
            session_token: None,
        }
    }

    /// A key pair the default harness does not know (a token from an unexpected principal).
    pub fn unknown() -> Self {
        Self {
            access_key_id: "AKIAUNKNOWNEXAMPLE00".into(),
            ..Self::long_term()
        }
    }

    /// The environment the AWS SDKs read these credentials from, for running `rdsiam` (or any
    /// SDK client) as the principal that owns them. Instance metadata is disabled so a
    /// missing variable cannot silently pick up other credentials.
    pub fn env_vars(&self, region: &str) -> Vec<(&'static str, String)> {
        let mut vars = vec![
            ("AWS_ACCESS_KEY_ID", self.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_access_key.clone()),
            ("AWS_REGION", region.to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ];
        if let Some(token) = &self.session_token {
            vars.push(("AWS_SESSION_TOKEN", token.clone()));
        }
        vars
    }

    /// The long-term access key id with a secret the verifier does not have.
    pub fn wrong_secret() -> Self {
        Self {
            secret_access_key: "this-is-not-the-secret-the-server-knows0".into(),
            ..Self::long_term()
        }
    }
}

/// What to sign. Built by `RdsLikePostgres::token_request`, adjusted with the setters.
#[derive(Clone, Debug)]
pub struct TokenRequest {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub region: String,
    pub credentials: TestCredentials,
    /// Shifts the signer's clock: `-1000` makes a token signed 1000 s ago.
    pub signed_offset_seconds: i64,
    /// `None` = botocore's own `generate_db_auth_token` (900 s).
    pub expires_in: Option<u32>,
}

impl TokenRequest {
    pub fn host(mut self, host: &str) -> Self {
        self.host = host.into();
        self
    }
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
    pub fn user(mut self, user: &str) -> Self {
        self.user = user.into();
        self
    }
    pub fn region(mut self, region: &str) -> Self {
        self.region = region.into();
        self
    }
    pub fn credentials(mut self, credentials: TestCredentials) -> Self {
        self.credentials = credentials;
        self
    }
    pub fn signed_offset_seconds(mut self, seconds: i64) -> Self {
        self.signed_offset_seconds = seconds;
        self
    }
    pub fn expires_in(mut self, seconds: u32) -> Self {
        self.expires_in = Some(seconds);
        self
    }

    /// Signs with botocore. Fails saying what is missing when the venv is not there.
    ///
    /// Every token minted in this process has a distinct signature: identical requests within
    /// one second (parallel tests) would otherwise give identical tokens, and tests find "their"
    /// verifier log entry by signature. A repeat is re-signed one second earlier — harmless for
    /// every check the verifier makes. (Tokens differing only in host case share a signature:
    /// botocore signs the host lower-cased.)
    pub fn mint(&self) -> Result<String> {
        let mut minter = MINTER
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for shift in 0..10 {
            if minter.is_none() {
                *minter = Some(Minter::spawn()?);
            }
            let state = minter.as_mut().expect("just set");
            let token = match self.mint_with(state, self.signed_offset_seconds - shift) {
                Ok(token) => token,
                Err(error) => {
                    // A dead child would fail every later request; start afresh next time.
                    *minter = None;
                    return Err(error);
                }
            };
            let signature = token
                .rsplit("X-Amz-Signature=")
                .next()
                .and_then(|rest| rest.split('&').next())
                .unwrap_or_default();
            if state.signatures.insert(signature.to_string()) {
                return Ok(token);
            }
        }
        bail!("could not mint a token with a fresh signature for {self:?}")
    }

    fn mint_with(&self, minter: &mut Minter, signed_offset_seconds: i64) -> Result<String> {
        let request = serde_json::json!({
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "region": self.region,
            "access_key": self.credentials.access_key_id,
            "secret_key": self.credentials.secret_access_key,
            "session_token": self.credentials.session_token,
            "signed_offset_seconds": signed_offset_seconds,
            "expires_in": self.expires_in,
        });
        let answer = minter.ask(&request)?;
        match (answer.get("token"), answer.get("error")) {
            (Some(serde_json::Value::String(token)), _) => Ok(token.clone()),
            (_, Some(error)) => bail!("botocore could not sign {self:?}: {error}"),
            _ => bail!("unexpected answer from mint_rds_tokens.py: {answer}"),
        }
    }
}

static MINTER: Mutex<Option<Minter>> = Mutex::new(None);

struct Minter {
    // Kept so the child is not orphaned early; it exits on stdin EOF when the test process ends.
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// Signatures of every token handed out so far (see [`TokenRequest::mint`]).
    signatures: HashSet<String>,
}

impl Minter {
    fn spawn() -> Result<Self> {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let python = repo.join(".venv/bin/python");
        let script = repo.join("tests/support/mint_rds_tokens.py");
        if !python.exists() {
            bail!(
                "missing {}: the token tests need a Python venv with boto3. Run scripts/test.sh \
                 (ensure_python_venv), or: python3 -m venv .venv && .venv/bin/pip install -r \
                 tests/support/requirements.txt",
                python.display()
            );
        }
        let mut child = Command::new(&python)
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {} {}", python.display(), script.display()))?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Ok(Self {
            _child: child,
            stdin,
            stdout,
            signatures: HashSet::new(),
        })
    }

    fn ask(&mut self, request: &serde_json::Value) -> Result<serde_json::Value> {
        writeln!(self.stdin, "{request}").context("writing to mint_rds_tokens.py")?;
        self.stdin.flush()?;
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        if line.is_empty() {
            return Err(anyhow!(
                "mint_rds_tokens.py exited (is boto3 installed in .venv? see its stderr above)"
            ));
        }
        serde_json::from_str(&line).with_context(|| format!("parsing minter answer {line:?}"))
    }
}
