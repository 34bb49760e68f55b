//! `rdsiam token inspect | generate` through the binary: fields, redaction, exit codes, and
//! an SDK-signed token accepted by the harness's SigV4 verifier (the same checks RDS makes).

mod support;

use anyhow::{Result, ensure};
use serde_json::Value;
use support::pg_harness::{RDS_HOST_NAME, RdsLikePostgres, TestCredentials, roles};

const SIGNATURE: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn token(date: &str) -> String {
    format!(
        "{RDS_HOST_NAME}:5432/?Action=connect&DBUser=pgmonitor&X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=ASIAEXAMPLEEXAMPLE12%2F20261121%2Fus-east-1%2Frds-db%2Faws4_request\
         &X-Amz-Date={date}&X-Amz-Expires=900&X-Amz-SignedHeaders=host\
         &X-Amz-Security-Token=SESSIONTOKENSECRET&X-Amz-Signature={SIGNATURE}"
    )
}

fn inspect(args: &[&str], env_token: &str) -> Result<(i32, String)> {
    let out = support::cli::rdsiam()
        .env("TOKEN", env_token)
        .args(["token", "inspect"])
        .args(args)
        .output()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    ensure!(!text.contains(SIGNATURE), "signature printed:\n{text}");
    ensure!(
        !text.contains("SESSIONTOKENSECRET"),
        "session token printed:\n{text}"
    );
    Ok((out.status.code().unwrap_or(-1), text))
}

#[test]
fn inspect_json_has_every_field_and_no_secret() -> Result<()> {
    let (code, text) = inspect(
        &["--env", "TOKEN", "--format", "json"],
        &token("20990101T000000Z"),
    )?;
    ensure!(code == 0, "{text}");
    let json: Value = serde_json::from_str(&text)?;
    for (field, value) in [
        ("user", "pgmonitor"),
        ("host", RDS_HOST_NAME),
        ("region", "us-east-1"),
        ("service", "rds-db"),
        ("issued_at", "2099-01-01T00:00:00Z"),
        ("expires_at", "2099-01-01T00:15:00Z"),
    ] {
        ensure!(json[field] == value, "{field}: {}", json[field]);
    }
    ensure!(
        json["port"] == 5432 && json["session_token_present"] == true && json["expired"] == false
    );
    ensure!(
        json["access_key_type"]
            .as_str()
            .is_some_and(|t| t.starts_with("ASIA"))
    );
    ensure!(json["length"].as_u64().is_some_and(|n| n > 300));
    ensure!(json["seconds_left"].as_i64().is_some_and(|s| s > 0));
    Ok(())
}

#[test]
fn inspect_expired_token_exits_1_and_says_so() -> Result<()> {
    let (code, text) = inspect(&["--env", "TOKEN"], &token("20200101T000000Z"))?;
    ensure!(code == 1 && text.contains("EXPIRED"), "{text}");
    Ok(())
}

#[test]
fn inspect_from_stdin_and_garbage_is_an_error() -> Result<()> {
    let out = support::cli::rdsiam()
        .args(["token", "inspect", "-"])
        .write_stdin(token("20990101T000000Z"))
        .output()?;
    ensure!(out.status.code() == Some(0));
    let (code, text) = inspect(&["--env", "TOKEN"], "hunter2")?;
    ensure!(
        code == 2 && text.contains("not an RDS auth token"),
        "{text}"
    );
    Ok(())
}

#[test]
fn generated_token_passes_the_verifier() -> Result<()> {
    let server = RdsLikePostgres::shared()?;
    let port = server.port().to_string();
    let out = support::cli::rdsiam()
        .envs(TestCredentials::long_term().env_vars("us-east-1"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args([
            "token",
            "generate",
            "--host",
            RDS_HOST_NAME,
            "--port",
            &port,
            "--user",
            roles::IAM_USER,
        ])
        .output()?;
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    ensure!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    ensure!(
        server.run_verifier(roles::IAM_USER, &token)?,
        "SDK token refused: {:?}",
        server.verifier_decision_for(&token)?
    );
    Ok(())
}
