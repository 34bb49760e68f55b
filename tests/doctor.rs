//! `rdsiam doctor` against the RDS-like PostgreSQL harness (tests/support): one test per
//! failure of FAILURES.md that can be produced without AWS, each asserting the cause code and
//! the concrete fix, plus the safety properties (the token never leaves over plaintext, is
//! never printed whole; every statement is read-only).
//!
//! Tokens are minted by botocore in the harness and handed to the doctor through an
//! environment variable (`--token-env`), so no AWS call is made. Needs what
//! tests/pg_harness.rs needs (root, PostgreSQL 15, `.venv`): `scripts/test.sh` provides it.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;
use support::pg_harness::{HarnessOptions, RDS_HOST_NAME, RdsLikePostgres, TestCredentials, roles};

const TOKEN_VAR: &str = "RDSIAM_TEST_TOKEN";

fn server() -> Result<&'static RdsLikePostgres> {
    RdsLikePostgres::shared()
}

/// One doctor run: exit code, parsed JSON, raw stdout+stderr.
struct Run {
    code: i32,
    json: Value,
    output: String,
}

impl Run {
    fn codes(&self) -> Vec<String> {
        self.json["diagnosis"]
            .as_array()
            .map(|causes| {
                causes
                    .iter()
                    .filter_map(|c| c["code"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn cause(&self, code: &str) -> Result<&Value> {
        self.json["diagnosis"]
            .as_array()
            .and_then(|causes| causes.iter().find(|c| c["code"] == code))
            .with_context(|| {
                format!(
                    "no cause {code} in the diagnosis {:?}\n{}",
                    self.codes(),
                    self.output
                )
            })
    }

    /// Asserts exit 1 with `code` first in the diagnosis.
    fn expect_first(&self, code: &str) -> Result<&Value> {
        ensure!(
            self.code == 1,
            "expected exit 1, got {}\n{}",
            self.code,
            self.output
        );
        ensure!(
            self.codes().first().map(String::as_str) == Some(code),
            "expected {code} first, diagnosis is {:?}\n{}",
            self.codes(),
            self.output
        );
        self.cause(code)
    }

    fn step_status(&self, name: &str) -> Option<&str> {
        self.json["steps"]
            .as_array()?
            .iter()
            .find(|s| s["name"] == name)?["status"]
            .as_str()
    }
}

fn fix_text(cause: &Value) -> String {
    cause["fix"].to_string()
}

/// Runs `rdsiam doctor --format json ARGS` with a clean environment and `token` in
/// `$RDSIAM_TEST_TOKEN`.
fn doctor(args: &[&str], token: Option<&str>) -> Result<Run> {
    let mut cmd = support::cli::rdsiam();
    cmd.env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["doctor", "--format", "json", "--connect-timeout", "3s"])
        .args(args);
    if let Some(token) = token {
        cmd.env(TOKEN_VAR, token).args(["--token-env", TOKEN_VAR]);
    }
    let out = cmd.output()?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let output = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_str(&stdout)
        .with_context(|| format!("doctor did not print JSON:\n{output}"))?;
    if let Some(token) = token {
        assert_token_not_printed(token, &output)?;
    }
    Ok(Run {
        code: out.status.code().unwrap_or(-1),
        json,
        output,
    })
}

fn signature(token: &str) -> &str {
    token.rsplit("X-Amz-Signature=").next().unwrap_or_default()
}

fn assert_token_not_printed(token: &str, output: &str) -> Result<()> {
    ensure!(
        !output.contains(signature(token)),
        "the token's signature was printed:\n{output}"
    );
    ensure!(!output.contains(token), "the whole token was printed");
    Ok(())
}

/// The careful client's parameters: RDS name for TLS and token, TCP to 127.0.0.1, the test CA.
fn good_args(server: &RdsLikePostgres, user: &str) -> Vec<String> {
    vec![
        "--host".into(),
        RDS_HOST_NAME.into(),
        "--hostaddr".into(),
        "127.0.0.1".into(),
        "--port".into(),
        server.port().to_string(),
        "--user".into(),
        user.into(),
        "--dbname".into(),
        roles::DATABASE.into(),
        "--sslmode".into(),
        "verify-full".into(),
        "--sslrootcert".into(),
        server.ca_cert_path().display().to_string(),
    ]
}

fn with<'a>(args: &'a [String], drop_flag: &[&str], extra: &[&'a str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut skip = false;
    for arg in args {
        if skip {
            skip = false;
            continue;
        }
        if drop_flag.contains(&arg.as_str()) {
            skip = true;
            continue;
        }
        out.push(arg.as_str());
    }
    out.extend_from_slice(extra);
    out
}

#[test]
fn good_login_passes_every_step() -> Result<()> {
    let server = server()?;
    let token = server.token_request(roles::IAM_USER).mint()?;
    let args = good_args(server, roles::IAM_USER);
    let run = doctor(&with(&args, &[], &[]), Some(&token))?;
    ensure!(
        run.code == 0 && run.json["ok"] == true,
        "login should work:\n{}",
        run.output
    );
    for step in [
        "token-check",
        "dns",
        "tcp",
        "tls",
        "plaintext",
        "login",
        "session",
    ] {
        ensure!(
            run.step_status(step) == Some("pass"),
            "step {step} is {:?}:\n{}",
            run.step_status(step),
            run.output
        );
    }
    let session = run.json["steps"].to_string();
    ensure!(session.contains("pg_has_role(current_user, 'rds_iam', 'member') = true"));
    ensure!(session.contains("pg_stat_ssl.ssl = true"));
    ensure!(server.verifier_decision_for(&token)?.reason == "ok");
    Ok(())
}

#[test]
fn conninfo_uri_and_pgpassword_work_like_libpq() -> Result<()> {
    let server = server()?;
    let token = server.token_request(roles::IAM_USER).mint()?;
    let uri = format!(
        "postgresql://{}@{}:{}/{}?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert={}",
        roles::IAM_USER,
        RDS_HOST_NAME,
        server.port(),
        roles::DATABASE,
        server.ca_cert_path().display()
    );
    let out = support::cli::rdsiam()
        .env("PGPASSWORD", &token)
        .args(["doctor", "--format", "json", &uri])
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_token_not_printed(&token, &text)?;
    ensure!(
        out.status.code() == Some(0),
        "URI + PGPASSWORD should log in:\n{text}"
    );
    Ok(())
}

#[test]
fn expired_token_is_token_expired_with_a_new_token_command() -> Result<()> {
    let server = server()?;
    let token = server
        .token_request(roles::IAM_USER)
        .signed_offset_seconds(-1000)
        .mint()?;
    let args = good_args(server, roles::IAM_USER);
    let run = doctor(&with(&args, &[], &[]), Some(&token))?;
    let cause = run.expect_first("token-expired")?;
    let fix = fix_text(cause);
    ensure!(
        fix.contains("generate-db-auth-token")
            && fix.contains(RDS_HOST_NAME)
            && fix.contains("--username pgmonitor"),
        "fix should sign a new token for the endpoint: {fix}"
    );
    Ok(())
}

#[test]
fn token_for_another_user_is_token_user_mismatch() -> Result<()> {
    let server = server()?;
    let token = server.token_request(roles::IAM_USER_2).mint()?;
    let args = good_args(server, roles::IAM_USER);
    let run = doctor(&with(&args, &[], &[]), Some(&token))?;
    let cause = run.expect_first("token-user-mismatch")?;
    ensure!(cause["evidence"].to_string().contains("iam_app"));
    ensure!(fix_text(cause).contains("--username pgmonitor"));
    Ok(())
}

#[test]
fn token_for_localhost_is_token_host_mismatch() -> Result<()> {
    let server = server()?;
    let token = server
        .token_request(roles::IAM_USER)
        .host("localhost")
        .mint()?;
    let args = good_args(server, roles::IAM_USER);
    let run = doctor(&with(&args, &[], &[]), Some(&token))?;
    let cause = run.expect_first("token-host-mismatch")?;
    ensure!(
        cause["evidence"]
            .to_string()
            .contains("not an RDS endpoint name")
    );
    ensure!(fix_text(cause).contains(&format!("--hostname {RDS_HOST_NAME}")));
    Ok(())
}

#[test]
fn token_for_another_port_is_token_host_mismatch() -> Result<()> {
    let server = server()?;
    let token = server.token_request(roles::IAM_USER).port(5432).mint()?;
    // Without a tunnel the port must match exactly.
    let args = vec![
        "--host".to_owned(),
        "localhost".into(),
        "--port".into(),
        server.port().to_string(),
        "--user".into(),
        roles::IAM_USER.into(),
        "--dbname".into(),
        roles::DATABASE.into(),
        "--sslrootcert".into(),
        server.ca_cert_path().display().to_string(),
    ];
    let token_localhost = server
        .token_request(roles::IAM_USER)
        .host("localhost")
        .port(5432)
        .mint()?;
    let run = doctor(&with(&args, &[], &[]), Some(&token_localhost))?;
    let cause = run.expect_first("token-host-mismatch")?;
    ensure!(cause["evidence"].to_string().contains("localhost:5432"));
    drop(token);
    Ok(())
}

#[test]
fn wrong_region_is_token_region_mismatch() -> Result<()> {
    let server = server()?;
    let token = server
        .token_request(roles::IAM_USER)
        .region("eu-west-1")
        .mint()?;
    let args = good_args(server, roles::IAM_USER);
    let run = doctor(&with(&args, &[], &[]), Some(&token))?;
    let cause = run.expect_first("token-region-mismatch")?;
    ensure!(cause["evidence"].to_string().contains("eu-west-1"));
    ensure!(fix_text(cause).contains("--region us-east-1"));
    Ok(())
}

#[test]
fn user_not_in_rds_iam_is_diagnosed_without_sending_the_token() -> Result<()> {
    let server = server()?;
    let token = server.token_request(roles::NO_IAM_USER).mint()?;
    let args = good_args(server, roles::NO_IAM_USER);
    let run = doctor(&with(&args, &[], &[]), Some(&token))?;
    let cause = run.expect_first("user-not-in-rds-iam")?;
    ensure!(
        fix_text(cause).contains("GRANT rds_iam TO no_iam_user;"),
        "{}",
        fix_text(cause)
    );
    ensure!(run.codes().contains(&"role-missing".to_owned()));
    ensure!(
        server.verifier_decision_for(&token).is_err(),
        "the token reached the verifier although the server asked for SCRAM"
    );
    Ok(())
}

#[test]
fn missing_role_is_role_missing_with_create_user() -> Result<()> {
    let server = server()?;
    let token = server.token_request("ghost_user").mint()?;
    let args = good_args(server, "ghost_user");
    let run = doctor(&with(&args, &[], &[]), Some(&token))?;
    let cause = run.cause("role-missing")?;
    ensure!(
        fix_text(cause).contains("CREATE USER ghost_user WITH LOGIN; GRANT rds_iam TO ghost_user;"),
        "{}",
        fix_text(cause)
    );
    Ok(())
}

#[test]
fn nologin_role_is_role_nologin_with_alter_role() -> Result<()> {
    let server = server()?;
    let token = server.token_request(roles::IAM_NOLOGIN).mint()?;
    let args = good_args(server, roles::IAM_NOLOGIN);
    let run = doctor(&with(&args, &[], &[]), Some(&token))?;
    let cause = run.expect_first("role-nologin")?;
    ensure!(fix_text(cause).contains("ALTER ROLE iam_nologin WITH LOGIN;"));
    ensure!(
        cause["evidence"]
            .to_string()
            .contains("authentication succeeded")
    );
    Ok(())
}

#[test]
fn default_dbname_is_database_missing_naming_real_databases() -> Result<()> {
    let server = server()?;
    let token = server.token_request(roles::IAM_USER).mint()?;
    let args = good_args(server, roles::IAM_USER);
    let run = doctor(&with(&args, &["--dbname"], &[]), Some(&token))?;
    let cause = run.expect_first("database-missing")?;
    let evidence = cause["evidence"].to_string();
    ensure!(
        evidence.contains("defaulted to the user name"),
        "{evidence}"
    );
    ensure!(
        evidence.contains("appdb"),
        "existing databases not listed: {evidence}"
    );
    ensure!(
        cause["fix"]["connection"]
            .as_str()
            .is_some_and(|c| c.contains("dbname=appdb")),
        "{}",
        fix_text(cause)
    );
    Ok(())
}

#[test]
fn sslmode_disable_is_ssl_required_with_verify_full_fix() -> Result<()> {
    let server = server()?;
    let token = server.token_request(roles::IAM_USER).mint()?;
    let args = good_args(server, roles::IAM_USER);
    let run = doctor(
        &with(&args, &["--sslmode"], &["--sslmode", "disable"]),
        Some(&token),
    )?;
    let cause = run.expect_first("ssl-required")?;
    ensure!(cause["evidence"].to_string().contains("no encryption"));
    ensure!(
        cause["fix"]["connection"]
            .as_str()
            .is_some_and(|c| c.contains("sslmode=verify-full")),
        "{}",
        fix_text(cause)
    );
    Ok(())
}

#[test]
fn unknown_ca_is_tls_unknown_ca() -> Result<()> {
    let server = server()?;
    let token = server.token_request(roles::IAM_USER).mint()?;
    let args = good_args(server, roles::IAM_USER);
    // Only the embedded Amazon RDS bundle: the harness's test CA is not in it.
    let run = doctor(&with(&args, &["--sslrootcert"], &[]), Some(&token))?;
    let cause = run.expect_first("tls-unknown-ca")?;
    ensure!(cause["evidence"].to_string().contains("Amazon RDS CAs"));
    ensure!(fix_text(cause).contains("global-bundle.pem"));
    ensure!(
        server.verifier_decision_for(&token).is_err(),
        "token sent despite failed TLS"
    );
    Ok(())
}

#[test]
fn ip_host_is_tls_hostname_mismatch_and_hostaddr_fixes_it() -> Result<()> {
    let server = server()?;
    let token = server.token_request(roles::IAM_USER).mint()?;
    let args = good_args(server, roles::IAM_USER);
    let run = doctor(
        &with(&args, &["--host", "--hostaddr"], &["--host", "127.0.0.1"]),
        Some(&token),
    )?;
    let cause = run.expect_first("tls-hostname-mismatch")?;
    let connection = cause["fix"]["connection"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let expected = format!("host={RDS_HOST_NAME} hostaddr=127.0.0.1");
    ensure!(
        connection.contains(&expected),
        "fix {connection:?} lacks {expected:?}"
    );
    // The fix, applied, logs in.
    let fixed = doctor(
        &with(&args, &[], &[]),
        Some(&server.token_request(roles::IAM_USER).mint()?),
    )?;
    ensure!(
        fixed.code == 0,
        "the suggested host + hostaddr did not log in:\n{}",
        fixed.output
    );
    Ok(())
}

#[test]
fn rejected_token_is_token_rejected_with_aws_side_candidates() -> Result<()> {
    let server = server()?;
    let token = server
        .token_request(roles::IAM_USER)
        .credentials(TestCredentials::wrong_secret())
        .mint()?;
    let args = good_args(server, roles::IAM_USER);
    let run = doctor(&with(&args, &[], &[]), Some(&token))?;
    run.expect_first("token-rejected")?;
    for code in [
        "iam-auth-disabled",
        "policy-no-allow",
        "policy-resource-mismatch",
        "scp-deny",
        "boundary-deny",
    ] {
        ensure!(
            run.codes().iter().any(|c| c == code),
            "{code} not among the candidates {:?}",
            run.codes()
        );
    }
    ensure!(
        run.json["diagnosis"][0]["evidence"]
            .to_string()
            .contains("PAM authentication failed")
    );
    // Not checked without AWS: no write command (with placeholders) as its fix, only the
    // read-only command that would check it.
    let enable = run.cause("iam-auth-disabled")?;
    ensure!(enable["checked"] == false, "{enable}");
    ensure!(!fix_text(enable).contains("modify-db-instance"), "{enable}");
    ensure!(
        enable["check"]
            .as_str()
            .is_some_and(|c| c.starts_with("rdsiam doctor '") && c.ends_with("--region us-east-1")),
        "{enable}"
    );
    ensure!(server.verifier_decision_for(&token)?.reason == "signature");
    Ok(())
}

#[test]
fn closed_port_is_connection_refused() -> Result<()> {
    let server = server()?;
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.local_addr()?.port()
    };
    let token = server.token_request(roles::IAM_USER).port(port).mint()?;
    let args = good_args(server, roles::IAM_USER);
    let port_text = port.to_string();
    let run = doctor(
        &with(&args, &["--port"], &["--port", &port_text]),
        Some(&token),
    )?;
    let cause = run.expect_first("connection-refused")?;
    ensure!(cause["title"].as_str().is_some_and(|t| !t.is_empty()));
    Ok(())
}

#[test]
fn unanswered_syn_is_network_timeout() -> Result<()> {
    // A listener whose accept queue is full: Linux drops further SYNs (it does not refuse
    // them), exactly what a security group without the inbound rule does to a client.
    let server = server()?;
    let listener = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    listener.bind(&"127.0.0.1:0".parse::<std::net::SocketAddr>()?.into())?;
    listener.listen(0)?;
    let port = listener
        .local_addr()?
        .as_socket()
        .context("listener address")?
        .port();
    // Backlog 0 still queues one connection: fill it (never accepted).
    let _filler = TcpStream::connect(("127.0.0.1", port))?;
    let token = server.token_request(roles::IAM_USER).port(port).mint()?;
    let args = good_args(server, roles::IAM_USER);
    let port_text = port.to_string();
    let run = doctor(
        &with(&args, &["--port"], &["--port", &port_text]),
        Some(&token),
    )?;
    let cause = run.expect_first("network-timeout")?;
    ensure!(
        fix_text(cause).contains("security group") || fix_text(cause).contains("inbound"),
        "the fix points at the network path: {cause}"
    );
    drop(listener);
    Ok(())
}

#[test]
fn empty_token_variable_is_token_missing() -> Result<()> {
    let server = server()?;
    let args = good_args(server, roles::IAM_USER);
    let run = doctor(
        &with(&args, &[], &["--token-env", "RDSIAM_UNSET_VAR"]),
        None,
    )?;
    ensure!(run.code == 1, "{}", run.output);
    let cause = run.expect_first("token-missing")?;
    ensure!(
        cause["evidence"].to_string().contains("RDSIAM_UNSET_VAR"),
        "{cause}"
    );
    Ok(())
}

#[test]
fn no_credentials_to_sign_is_credentials_missing() -> Result<()> {
    // No token given and no AWS credentials anywhere (the environment is cleared, instance
    // metadata disabled): the doctor cannot sign one.
    let server = server()?;
    let args = good_args(server, roles::IAM_USER);
    let run = doctor(&with(&args, &[], &["--region", "us-east-1"]), None)?;
    ensure!(run.code == 1, "{}", run.output);
    run.expect_first("credentials-missing")?;
    ensure!(
        run.json["steps"][0]["name"] == "identity" && run.json["steps"][0]["status"] == "warn",
        "{}",
        run.output
    );
    Ok(())
}

#[test]
fn garbage_token_is_token_malformed() -> Result<()> {
    let server = server()?;
    let args = good_args(server, roles::IAM_USER);
    let run = doctor(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        Some("not-a-token"),
    )?;
    ensure!(run.code == 1, "{}", run.output);
    run.expect_first("token-malformed")?;
    Ok(())
}

#[test]
fn unknown_name_is_dns_failure() -> Result<()> {
    let server = server()?;
    let token = server
        .token_request(roles::IAM_USER)
        .host("nosuchdb.invalid")
        .mint()?;
    let args = good_args(server, roles::IAM_USER);
    let run = doctor(
        &with(
            &args,
            &["--host", "--hostaddr"],
            &["--host", "nosuchdb.invalid", "--region", "us-east-1"],
        ),
        Some(&token),
    )?;
    run.expect_first("dns-failure")?;
    Ok(())
}

#[test]
fn usage_errors_exit_2() -> Result<()> {
    let out = support::cli::rdsiam()
        .args(["doctor", "--user", "u"])
        .output()?;
    ensure!(out.status.code() == Some(2));
    ensure!(String::from_utf8_lossy(&out.stderr).contains("--host"));
    Ok(())
}

/// Bytes one client sent on one connection.
type Recording = Arc<Mutex<Vec<u8>>>;

/// A TCP proxy in front of the harness that records what the client sends on each connection.
struct RecordingProxy {
    port: u16,
    connections: Arc<Mutex<Vec<Recording>>>,
}

impl RecordingProxy {
    fn start(upstream_port: u16) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let connections: Arc<Mutex<Vec<Recording>>> = Arc::default();
        let seen = Arc::clone(&connections);
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(upstream) = TcpStream::connect(("127.0.0.1", upstream_port)) else {
                    continue;
                };
                let record: Recording = Arc::default();
                seen.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(Arc::clone(&record));
                let (Ok(client_read), Ok(upstream_write)) =
                    (client.try_clone(), upstream.try_clone())
                else {
                    continue;
                };
                thread::spawn(move || pump(client_read, upstream_write, Some(record)));
                thread::spawn(move || pump(upstream, client, None));
            }
        });
        Ok(RecordingProxy { port, connections })
    }

    fn recorded(&self) -> Vec<Vec<u8>> {
        self.connections
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|r| r.lock().unwrap_or_else(|p| p.into_inner()).clone())
            .collect()
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, record: Option<Recording>) {
    let mut buf = [0_u8; 8192];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if let Some(record) = &record {
                    record
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .extend_from_slice(&buf[..n]);
                }
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 4, 210, 22, 47];

#[test]
fn token_never_travels_without_tls() -> Result<()> {
    let server = server()?;
    let proxy = RecordingProxy::start(server.port())?;
    let token = server.token_request(roles::IAM_USER).mint()?;
    let args = good_args(server, roles::IAM_USER);
    let port = proxy.port.to_string();
    let run = doctor(&with(&args, &["--port"], &["--port", &port]), Some(&token))?;
    ensure!(
        run.code == 0,
        "login through the recording proxy failed:\n{}",
        run.output
    );
    let connections = proxy.recorded();
    ensure!(
        connections.len() >= 2,
        "expected a TLS and a plaintext connection, saw {}",
        connections.len()
    );
    let mut plaintext = 0;
    for bytes in &connections {
        let text = String::from_utf8_lossy(bytes);
        ensure!(
            !text.contains(signature(&token)),
            "the token's signature crossed the wire in clear"
        );
        ensure!(
            !text.contains("X-Amz-"),
            "token parts crossed the wire in clear"
        );
        if !bytes.starts_with(&SSL_REQUEST) {
            plaintext += 1;
            ensure!(
                text.contains("pgmonitor"),
                "plaintext probe should carry the startup message"
            );
            // Nothing after the StartupMessage: no PasswordMessage, no other message.
            let startup_len = bytes
                .get(..4)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
                .unwrap_or_default();
            ensure!(
                bytes.len() == startup_len,
                "plaintext connection carried {} bytes after the startup message",
                bytes.len().saturating_sub(startup_len)
            );
        }
    }
    ensure!(
        plaintext == 1,
        "expected exactly one plaintext (probe) connection, saw {plaintext}"
    );
    Ok(())
}

#[test]
fn fake_server_without_tls_never_gets_the_token() -> Result<()> {
    // Answers N to SSLRequest and asks every startup for a cleartext password.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let received: Arc<Mutex<Vec<u8>>> = Arc::default();
    let sink = Arc::clone(&received);
    thread::spawn(move || {
        for mut client in listener.incoming().flatten() {
            let mut buf = [0_u8; 4096];
            while let Ok(n) = client.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend_from_slice(&buf[..n]);
                let answer: &[u8] = if buf[..n] == SSL_REQUEST {
                    b"N"
                } else {
                    &[b'R', 0, 0, 0, 8, 0, 0, 0, 3]
                };
                if client.write_all(answer).is_err() {
                    break;
                }
            }
        }
    });
    let token = "fake.us-east-1.rds.amazonaws.com:5432/?Action=connect&DBUser=u&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20990101%2Fus-east-1%2Frds-db%2Faws4_request&X-Amz-Date=20990101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=deadbeefcafe";
    let port_text = port.to_string();
    let run = doctor(
        &[
            "--host",
            "fake.us-east-1.rds.amazonaws.com",
            "--hostaddr",
            "127.0.0.1",
            "--port",
            &port_text,
            "--user",
            "u",
            "--dbname",
            "d",
        ],
        Some(token),
    )?;
    ensure!(run.code == 1, "{}", run.output);
    let got = received.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let text = String::from_utf8_lossy(&got);
    ensure!(
        !text.contains("deadbeefcafe") && !text.contains("X-Amz"),
        "token sent to a non-TLS server: {text:?}"
    );
    Ok(())
}

#[test]
fn every_statement_reaching_postgres_is_read_only() -> Result<()> {
    let server = RdsLikePostgres::start(HarnessOptions::default())?;
    server.admin_sql("ALTER SYSTEM SET log_statement = 'all'")?;
    server.admin_sql("SELECT pg_reload_conf()")?;
    let before = std::fs::read_to_string(server.server_log())
        .unwrap_or_default()
        .len();
    let token = server.token_request(roles::IAM_USER).mint()?;
    let args = good_args(&server, roles::IAM_USER);
    let run = doctor(&with(&args, &[], &[]), Some(&token))?;
    ensure!(run.code == 0, "{}", run.output);
    // database-missing makes the doctor list databases on a second login.
    let token2 = server.token_request(roles::IAM_USER).mint()?;
    doctor(&with(&args, &["--dbname"], &[]), Some(&token2))?;
    let log = std::fs::read_to_string(server.server_log())?;
    let statements: Vec<&str> = log[before..]
        .lines()
        .filter_map(|l| l.split_once("statement: ").map(|(_, s)| s))
        .collect();
    ensure!(
        !statements.is_empty(),
        "no statements logged: is log_statement=all active?\n{}",
        &log[before..]
    );
    for sql in statements {
        let upper = sql.trim_start().to_ascii_uppercase();
        if !(upper.starts_with("SELECT ")
            || upper.starts_with("BEGIN TRANSACTION READ ONLY")
            || upper == "ROLLBACK")
        {
            bail!("non-read-only statement sent: {sql}");
        }
    }
    Ok(())
}

#[test]
fn doctor_generates_its_own_token_with_the_sdk() -> Result<()> {
    let server = server()?;
    let args = good_args(server, roles::IAM_USER);
    let out = support::cli::rdsiam()
        .envs(TestCredentials::long_term().env_vars("us-east-1"))
        // No STS here: the identity step must fail fast and not stop the probe.
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_MAX_ATTEMPTS", "1")
        .args([
            "doctor",
            "--format",
            "json",
            "--generate-token",
            "--region",
            "us-east-1",
        ])
        .args(with(&args, &[], &[]))
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let json: Value = serde_json::from_str(&text).with_context(|| text.clone())?;
    ensure!(
        out.status.code() == Some(0),
        "generated-token login failed:\n{text}"
    );
    let statuses: Vec<String> = json["steps"]
        .as_array()
        .map(|s| {
            s.iter()
                .map(|s| format!("{}={}", s["name"], s["status"]))
                .collect()
        })
        .unwrap_or_default();
    ensure!(
        statuses.iter().any(|s| s == "\"identity\"=\"warn\""),
        "{statuses:?}"
    );
    ensure!(
        statuses.iter().any(|s| s == "\"token\"=\"pass\""),
        "{statuses:?}"
    );
    Ok(())
}
