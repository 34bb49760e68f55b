//! Smaller hostile-input items of issue #17, through the binary: a UTF-8 BOM is accepted
//! (simulate input, snapshots), duplicate keys in simulate input are an error naming their
//! JSON path, `--expect` on an empty batch is an error, a non-UTF-8 `PGPASSWORD` is a clear
//! error (not `credentials-missing`), and control characters from input reach the terminal
//! escaped.

mod support;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::process::{Output, Stdio};

use anyhow::{Result, ensure};

const FIXTURE: &str = "fixtures/simulate/cross-account-monitor.json";

fn rdsiam(args: &[&str], stdin: Option<&[u8]>) -> Result<Output> {
    let mut command = support::cli::rdsiam_std();
    command
        .args(args)
        .env_remove("PGPASSWORD")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn()?;
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        use std::io::Write;
        pipe.write_all(bytes)?;
    }
    Ok(child.wait_with_output()?)
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn simulate_input_with_a_byte_order_mark_is_accepted() -> Result<()> {
    let mut input = "\u{feff}".as_bytes().to_vec();
    input.extend(std::fs::read(FIXTURE)?);
    let out = rdsiam(
        &["simulate", "--input", "-", "--format", "json"],
        Some(&input),
    )?;
    ensure!(out.status.code() == Some(0), "{}", text(&out));
    Ok(())
}

#[test]
fn snapshot_with_a_byte_order_mark_loads() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bom.json");
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(std::fs::read("fixtures/demo/snapshot.json")?);
    std::fs::write(&path, bytes)?;
    let path = path.to_string_lossy().into_owned();
    let out = rdsiam(&["audit", "--snapshot", &path, "--format", "json"], None)?;
    ensure!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    Ok(())
}

#[test]
fn simulate_duplicate_keys_are_rejected_with_their_json_path() -> Result<()> {
    let input = br#"[{"principal": "arn:aws:iam::111122223333:role/r", "action": "rds-db:connect",
        "resource": "*", "identity_policies": [{"name": "p", "document": {"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Effect": "Deny", "Action": "*", "Resource": "*"}]}}]}]"#;
    let out = rdsiam(&["simulate", "--input", "-"], Some(input))?;
    let all = text(&out);
    ensure!(
        out.status.code() == Some(2),
        "exit {:?}: {all}",
        out.status.code()
    );
    ensure!(
        all.contains("duplicate key \"Effect\" at $[0].identity_policies[0].document.Statement[0]"),
        "{all}"
    );
    Ok(())
}

#[test]
fn expect_on_an_empty_batch_is_an_error() -> Result<()> {
    let out = rdsiam(
        &["simulate", "--input", "-", "--expect", "allowed"],
        Some(b"[]"),
    )?;
    let all = text(&out);
    ensure!(
        out.status.code() == Some(2),
        "exit {:?}: {all}",
        out.status.code()
    );
    ensure!(all.contains("empty batch"), "{all}");
    Ok(())
}

#[test]
fn non_utf8_pgpassword_is_a_clear_error_not_credentials_missing() -> Result<()> {
    let out = support::cli::rdsiam_std()
        .args([
            "doctor",
            "--host",
            "127.0.0.1",
            "--port",
            "1",
            "--user",
            "u",
            "--no-aws",
        ])
        .env(
            "PGPASSWORD",
            OsString::from_vec(b"sec\xffret-value".to_vec()),
        )
        .output()?;
    let all = text(&out);
    ensure!(
        out.status.code() == Some(2),
        "exit {:?}: {all}",
        out.status.code()
    );
    ensure!(
        all.contains("PGPASSWORD is set but is not valid UTF-8"),
        "{all}"
    );
    ensure!(
        !all.contains("credentials-missing") && !all.contains("ret-value"),
        "{all}"
    );
    Ok(())
}

#[test]
fn control_characters_from_input_are_escaped_in_table_output() -> Result<()> {
    // An ESC sequence (clear screen), a BEL and a CR in a context value of a simulate request.
    let out = rdsiam(
        &[
            "simulate",
            "--action",
            "rds-db:connect",
            "--resource",
            "arn:aws:rds-db:us-east-1:1:dbuser:db-A/u",
            "--principal",
            "arn:aws:iam::111122223333:role/r\u{1b}[2J\u{7}\r",
        ],
        None,
    )?;
    let all = text(&out);
    ensure!(
        !all.contains('\u{1b}') && !all.contains('\u{7}') && !all.contains('\r'),
        "raw control characters: {all:?}"
    );
    ensure!(all.contains("\\u{1b}[2J"), "not shown escaped: {all}");
    Ok(())
}
