//! Hostile token inputs and `token generate` requests (issue #17): no panic (exit 101) on
//! time overflow, no secret in an error, requests validated before the SDK's generator, and
//! a user with URL metacharacters encoded as botocore encodes it (and accepted by the
//! harness's SigV4 verifier, the same check RDS makes).

mod support;

use std::os::unix::ffi::OsStringExt;

use anyhow::{Result, ensure};
use support::pg_harness::{RDS_HOST_NAME, RdsLikePostgres, TestCredentials};

const SIGNATURE: &str = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7";
const SESSION: &str = "SESSIONCANARYSESSIONCANARY";

fn token_with(date: &str, expires: &str) -> String {
    format!(
        "{RDS_HOST_NAME}:5432/?Action=connect&DBUser=pgmonitor&X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=ASIAEXAMPLEEXAMPLE12%2F20261121%2Fus-east-1%2Frds-db%2Faws4_request\
         &X-Amz-Date={date}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host\
         &X-Amz-Security-Token={SESSION}&X-Amz-Signature={SIGNATURE}"
    )
}

/// Runs rdsiam with `TOKEN` set; returns (exit code, stdout + stderr), failing if a secret
/// of the token was printed.
fn run(args: &[&str], token: impl Into<std::ffi::OsString>) -> Result<(i32, String)> {
    let out = support::cli::rdsiam()
        .env("TOKEN", token.into())
        .args(args)
        .output()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    ensure!(!text.contains(SIGNATURE), "signature printed:\n{text}");
    ensure!(!text.contains(SESSION), "session token printed:\n{text}");
    Ok((out.status.code().unwrap_or(-1), text))
}

#[test]
fn inspect_time_overflow_is_an_error_not_a_panic() -> Result<()> {
    // The last representable second itself is a (strange but valid) token: no panic either.
    let (code, text) = run(
        &["token", "inspect", "--env", "TOKEN"],
        token_with("99991231T235959Z", "0"),
    )?;
    ensure!(code == 0, "exit {code}\n{text}");
    for (date, expires) in [
        ("20261121T210000Z", "18446744073709551615"),
        ("20261121T210000Z", "300000000000"),
        ("99991231T235959Z", "900"),
    ] {
        let token = token_with(date, expires);
        for format in ["table", "json"] {
            let (code, text) = run(
                &["token", "inspect", "--env", "TOKEN", "--format", format],
                token.as_str(),
            )?;
            ensure!(code == 2, "{date} {expires} {format}: exit {code}\n{text}");
            ensure!(
                text.contains("9999"),
                "{date} {expires}: the error should say why:\n{text}"
            );
        }
    }
    Ok(())
}

#[test]
fn doctor_time_overflow_is_a_diagnosis_not_a_panic() -> Result<()> {
    for (date, expires) in [
        ("20261121T210000Z", "18446744073709551615"),
        ("20261121T210000Z", "300000000000"),
        ("99991231T235959Z", "900"),
    ] {
        let token = token_with(date, expires);
        let (code, text) = run(
            &[
                "doctor",
                "--host",
                RDS_HOST_NAME,
                "--hostaddr",
                "127.0.0.1",
                "--port",
                "1",
                "--user",
                "pgmonitor",
                "--token-env",
                "TOKEN",
                "--no-aws",
                "--connect-timeout",
                "2s",
            ],
            token.as_str(),
        )?;
        ensure!(code == 1, "{date} {expires}: exit {code}\n{text}");
    }
    Ok(())
}

#[test]
fn inspect_env_with_a_non_utf8_byte_never_prints_the_token() -> Result<()> {
    let mut bytes = token_with("20261121T210000Z", "900").into_bytes();
    bytes.insert(40, 0xff);
    let (code, text) = run(
        &["token", "inspect", "--env", "TOKEN"],
        std::ffi::OsString::from_vec(bytes),
    )?;
    ensure!(code == 2, "exit {code}\n{text}");
    ensure!(text.contains("not valid UTF-8"), "{text}");
    ensure!(
        !text.contains("ASIAEXAMPLE"),
        "a piece of the token was printed:\n{text}"
    );
    Ok(())
}

#[test]
fn redaction_hides_percent_encoded_parameter_names() -> Result<()> {
    // The session token's name percent-encoded: a client may send it so; the table, the JSON
    // and the redacted form must still hide the value.
    let token = token_with("20990101T000000Z", "900")
        .replace("X-Amz-Security-Token=", "X-Amz-Security%2DToken=");
    for format in ["table", "json"] {
        let (code, text) = run(
            &["token", "inspect", "--env", "TOKEN", "--format", format],
            token.as_str(),
        )?;
        ensure!(
            code == 0 && text.contains("X-Amz-Security%2DToken=<redacted"),
            "{text}"
        );
        ensure!(
            !text.contains("absent"),
            "the encoded session token was not recognised:\n{text}"
        );
    }
    // A lower-case signature name is not a token RDS accepts (an error), and is not echoed.
    let lower =
        token_with("20990101T000000Z", "900").replace("X-Amz-Signature=", "x-amz-signature=");
    let (code, text) = run(&["token", "inspect", "--env", "TOKEN"], lower)?;
    ensure!(code == 2, "exit {code}\n{text}");
    Ok(())
}

fn generate(args: &[&str]) -> Result<(i32, String, String)> {
    let out = support::cli::rdsiam()
        .envs(TestCredentials::long_term().env_vars("us-east-1"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["token", "generate"])
        .args(args)
        .output()?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

#[test]
fn generate_validates_the_request_before_the_sdk() -> Result<()> {
    for (args, expect) in [
        (
            vec!["--host", "", "--user", "u", "--region", "us-east-1"],
            "--host is empty",
        ),
        (
            vec!["--host", "h.example", "--user", "", "--region", "us-east-1"],
            "--user is empty",
        ),
        (
            vec!["--host", "h.example", "--user", "u", "--region", ""],
            "--region is empty",
        ),
        (
            vec![
                "--host",
                "h.example",
                "--user",
                "u",
                "--region",
                "us-east-1",
                "--port",
                "0",
            ],
            "--port 0",
        ),
        (
            vec!["--host", "h/x?y", "--user", "u", "--region", "us-east-1"],
            "not a host name",
        ),
    ] {
        let (code, stdout, stderr) = generate(&args)?;
        ensure!(code == 2, "{args:?}: exit {code}\n{stdout}{stderr}");
        ensure!(stdout.is_empty(), "{args:?}: printed a token: {stdout}");
        ensure!(
            stderr.contains(expect),
            "{args:?}: expected {expect:?}:\n{stderr}"
        );
    }
    Ok(())
}

#[test]
fn generate_encodes_the_user_like_botocore_and_the_verifier_accepts_it() -> Result<()> {
    let user = "a&b=c/?d é+%";
    let server = RdsLikePostgres::shared()?;
    let port = server.port().to_string();
    let (code, stdout, stderr) =
        generate(&["--host", RDS_HOST_NAME, "--port", &port, "--user", user])?;
    ensure!(code == 0, "exit {code}\n{stderr}");
    let token = stdout.trim();
    // botocore: quote(user, safe="-_.~") (checked against the venv's botocore by hand and
    // below through the verifier, which recomputes the signature over the decoded user).
    ensure!(
        token.contains("DBUser=a%26b%3Dc%2F%3Fd%20%C3%A9%2B%25&"),
        "user not encoded like botocore: {token}"
    );
    ensure!(
        server.run_verifier(user, token)?,
        "token for an encoded user refused: {:?}",
        server.verifier_decision_for(token)?
    );
    Ok(())
}
