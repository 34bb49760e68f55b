//! `rdsiam token inspect` judges whether a token survives the trip to RDS (issue #16 part 4):
//! whitespace or a newline around it, a token pasted unencoded into a postgres:// URI, and
//! its length against documented pooler limits — through the binary, secrets never printed.

mod support;

use anyhow::{Result, ensure};
use serde_json::Value;

const SIGNATURE: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const HOST: &str = "mydb.c1abcdefghij.us-east-1.rds.amazonaws.com";

fn token(session: usize) -> String {
    format!(
        "{HOST}:5432/?Action=connect&DBUser=app&X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=ASIAEXAMPLEEXAMPLE12%2F20261121%2Fus-east-1%2Frds-db%2Faws4_request\
         &X-Amz-Date=20990101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host\
         &X-Amz-Security-Token=SESSIONSECRET{}&X-Amz-Signature={SIGNATURE}",
        "S".repeat(session)
    )
}

fn inspect(value: &str, json: bool) -> Result<(i32, String)> {
    let mut cmd = support::cli::rdsiam();
    cmd.env("TOKEN", value)
        .args(["token", "inspect", "--env", "TOKEN"]);
    if json {
        cmd.args(["--format", "json"]);
    }
    let out = cmd.output()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    ensure!(!text.contains(SIGNATURE), "signature printed:\n{text}");
    ensure!(
        !text.contains("SESSIONSECRET"),
        "session token printed:\n{text}"
    );
    Ok((out.status.code().unwrap_or(-1), text))
}

#[test]
fn a_trailing_newline_in_the_variable_is_an_error() -> Result<()> {
    let (code, text) = inspect(&format!("{}\n", token(10)), false)?;
    ensure!(code == 1, "exit {code}:\n{text}");
    ensure!(
        text.contains("ERROR whitespace: a newline around the token"),
        "{text}"
    );
    Ok(())
}

#[test]
fn an_unencoded_token_in_a_uri_is_an_error_and_still_decoded() -> Result<()> {
    let uri = format!(
        "postgresql://app:{}@{HOST}:5432/postgres?sslmode=verify-full",
        token(10)
    );
    let (code, text) = inspect(&uri, true)?;
    ensure!(code == 1, "exit {code}:\n{text}");
    let json: Value = serde_json::from_str(&text)?;
    ensure!(json["user"] == "app" && json["host"] == HOST, "{text}");
    let checks: Vec<&str> = json["compatibility"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["check"].as_str()).collect())
        .unwrap_or_default();
    ensure!(checks.contains(&"uri-unencoded"), "{text}");
    Ok(())
}

#[test]
fn a_long_session_token_warns_about_pooler_limits_but_passes() -> Result<()> {
    let (code, text) = inspect(&token(1500), false)?;
    ensure!(
        code == 0,
        "a warning is not a failure: exit {code}:\n{text}"
    );
    ensure!(text.contains("warning length"), "{text}");
    ensure!(text.contains("MAX_PASSWORD 996"), "{text}");
    ensure!(
        !text.contains("MAX_PASSWORD 2048"),
        "1.8 KB fits 2047: {text}"
    );
    // A token with a short session token (under 996 bytes) gets no length warning at all:
    // before issue #16's fix every token did (limits of 159 and 256 bytes no token meets).
    let (code, short) = inspect(&token(0), false)?;
    ensure!(code == 0, "{short}");
    ensure!(!short.contains("warning length"), "{short}");
    Ok(())
}
