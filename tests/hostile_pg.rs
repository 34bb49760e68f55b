//! The doctor and `collect --db` against hostile PostgreSQL servers (tests/support/fake_pg.rs):
//! every case ends within its deadline, in bounded memory (peak RSS of the child measured
//! with GNU time), with a network or protocol diagnosis (never a token verdict), and without
//! the token ever leaving over a non-TLS socket.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use rdsiam::collect::postgres::introspect_blocking;
use rdsiam::inventory::{DbTarget, DbTargetKind};
use rdsiam::pg::params::{ConnParams, ParamSource};
use serde_json::Value;
use support::fake_pg::TLS_NAME as RDS_HOST_NAME;
use support::fake_pg::{FakePg, Script};
use support::pg_harness::TestCredentials;
use support::rds_token::TokenRequest;

const TOKEN_VAR: &str = "RDSIAM_TEST_TOKEN";
/// Peak RSS allowed for any hostile case (issue #17).
const MAX_RSS_KB: i64 = 256 * 1024;

/// One child run: exit code, stdout, stderr, wall time, peak RSS.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    max_rss_kb: i64,
}

impl Run {
    fn json(&self) -> Result<Value> {
        serde_json::from_str(&self.stdout)
            .with_context(|| format!("not JSON:\n{}\n{}", self.stdout, self.stderr))
    }
}

/// Runs the binary with a clean environment under GNU time, which reports the peak RSS of
/// the binary alone (a wait4 from this test process would count the test process's own
/// memory too: Linux carries the forked child's high-water mark across exec).
fn run(args: &[&str], env: &[(&str, &str)]) -> Result<Run> {
    ensure!(
        std::path::Path::new("/usr/bin/time").exists(),
        "/usr/bin/time (GNU time) is missing: scripts/test.sh installs it (ensure_gnu_time), or apt-get install time"
    );
    let dir = tempfile::tempdir()?;
    let time_file = dir.path().join("time");
    let started = Instant::now();
    let out = support::cli::isolate(&mut Command::new("/usr/bin/time"))
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&time_file)
        .arg(support::cli::binary())
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()?;
    let elapsed = started.elapsed();
    let time_text = std::fs::read_to_string(&time_file)?;
    let max_rss_kb = time_text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .with_context(|| format!("no peak RSS from GNU time: {time_text:?}"))?;
    Ok(Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed,
        max_rss_kb,
    })
}

fn token(port: u16) -> Result<String> {
    TokenRequest {
        host: RDS_HOST_NAME.into(),
        port,
        user: "app".into(),
        region: "us-east-1".into(),
        credentials: TestCredentials::long_term(),
        signed_offset_seconds: 0,
        expires_in: None,
    }
    .mint()
}

/// `rdsiam doctor` against `fake` with a 1 s step deadline.
fn doctor(fake: &FakePg) -> Result<(Run, Value, String)> {
    doctor_with_deadline(fake, "1s")
}

/// `rdsiam doctor` against `fake` with this `--connect-timeout` (floods get a long one, so
/// that the cap, not the deadline, ends them even in a debug build).
fn doctor_with_deadline(fake: &FakePg, deadline: &str) -> Result<(Run, Value, String)> {
    let token = token(fake.port)?;
    let port = fake.port.to_string();
    let ca = fake.ca_cert_path().display().to_string();
    let run = run(
        &[
            "doctor",
            "--format",
            "json",
            "--connect-timeout",
            deadline,
            "--host",
            RDS_HOST_NAME,
            "--hostaddr",
            "127.0.0.1",
            "--port",
            &port,
            "--user",
            "app",
            "--dbname",
            "postgres",
            "--sslmode",
            "verify-full",
            "--sslrootcert",
            &ca,
            "--token-env",
            TOKEN_VAR,
        ],
        &[(TOKEN_VAR, &token)],
    )?;
    let json = run.json()?;
    let signature = token.rsplit("X-Amz-Signature=").next().unwrap_or_default();
    ensure!(
        !run.stdout.contains(signature) && !run.stderr.contains(signature),
        "the token was printed"
    );
    ensure!(
        fake.plaintext_after_password_request().is_empty(),
        "the client answered a cleartext password request on a plaintext connection: {:?}",
        String::from_utf8_lossy(&fake.plaintext_after_password_request())
    );
    Ok((run, json, token))
}

fn first_cause(json: &Value) -> (String, String) {
    let cause = &json["diagnosis"][0];
    (
        cause["code"].as_str().unwrap_or_default().to_owned(),
        cause["evidence"].to_string(),
    )
}

/// Bounded time (within `seconds`) and memory, exit 1, `code` first.
fn expect(run: &Run, json: &Value, code: &str, seconds: u64) -> Result<String> {
    let (first, evidence) = first_cause(json);
    ensure!(
        run.code == 1 && first == code,
        "expected exit 1 with {code} first, got exit {} with {first:?}\n{}",
        run.code,
        run.stdout
    );
    ensure!(
        run.elapsed < Duration::from_secs(seconds),
        "took {:?} (bound {seconds} s)",
        run.elapsed
    );
    ensure!(
        run.max_rss_kb < MAX_RSS_KB,
        "peak RSS {} KB over the bound",
        run.max_rss_kb
    );
    Ok(evidence)
}

#[test]
fn silence_after_s_is_server_timeout_within_the_step_deadline() -> Result<()> {
    // Was: the TLS handshake after `S` had no timeout; the doctor hung forever.
    let fake = FakePg::start(Script::SilentAfterS)?;
    let (run, json, _) = doctor(&fake)?;
    let evidence = expect(&run, &json, "server-timeout", 4)?;
    ensure!(
        evidence.contains("token was not sent"),
        "evidence says the token did not leave: {evidence}"
    );
    ensure!(fake.tls_passwords() == 0);
    Ok(())
}

#[test]
fn close_after_s_is_a_protocol_error_not_an_unknown_ca() -> Result<()> {
    // Was: tls-unknown-ca with a CA bundle fix, though no certificate was ever seen.
    let fake = FakePg::start(Script::CloseAfterS)?;
    let (run, json, _) = doctor(&fake)?;
    expect(&run, &json, "server-protocol-error", 4)?;
    Ok(())
}

#[test]
fn trickled_notices_do_not_extend_the_login_step() -> Result<()> {
    // Was: the timeout was per message, so one notice every 200 ms kept the login alive
    // forever.
    let fake = FakePg::start(Script::TrickleNotices { millis: 200 })?;
    let (run, json, _) = doctor(&fake)?;
    let evidence = expect(&run, &json, "server-timeout", 5)?;
    ensure!(
        evidence.contains("token was not sent"),
        "not a token verdict: {evidence}"
    );
    Ok(())
}

#[test]
fn oversized_message_length_is_a_protocol_error_naming_the_cap() -> Result<()> {
    let fake = FakePg::start(Script::OversizedLength)?;
    let (run, json, _) = doctor(&fake)?;
    let evidence = expect(&run, &json, "server-protocol-error", 4)?;
    ensure!(evidence.contains("MAX_MESSAGE_BYTES"), "{evidence}");
    Ok(())
}

#[test]
fn mid_message_close_is_a_protocol_error() -> Result<()> {
    let fake = FakePg::start(Script::MidMessageClose)?;
    let (run, json, _) = doctor(&fake)?;
    let evidence = expect(&run, &json, "server-protocol-error", 4)?;
    ensure!(evidence.contains("middle of a message"), "{evidence}");
    Ok(())
}

#[test]
fn notice_flood_stops_at_the_message_cap_in_bounded_memory() -> Result<()> {
    let fake = FakePg::start(Script::FloodNotices)?;
    let (run, json, _) = doctor_with_deadline(&fake, "30s")?;
    let evidence = expect(&run, &json, "server-protocol-error", 30)?;
    ensure!(evidence.contains("MAX_MESSAGES_PER_STEP"), "{evidence}");
    Ok(())
}

#[test]
fn silence_after_the_token_is_server_timeout_not_token_rejected() -> Result<()> {
    // Was: token-rejected with an AWS fix for a server that simply stopped answering.
    let fake = FakePg::start(Script::SilentAfterPassword)?;
    let (run, json, _) = doctor(&fake)?;
    let evidence = expect(&run, &json, "server-timeout", 4)?;
    ensure!(
        evidence.contains("token had been sent over verified TLS"),
        "{evidence}"
    );
    ensure!(fake.tls_passwords() == 1, "the token went over TLS only");
    Ok(())
}

#[test]
fn endless_data_rows_stop_at_the_result_cap_in_bounded_memory() -> Result<()> {
    // Was: a server sending endless DataRows grew the doctor to 4 GB.
    let fake = FakePg::start(Script::FloodRows)?;
    let (run, json, _) = doctor_with_deadline(&fake, "30s")?;
    let session = json["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["name"] == "session"))
        .cloned()
        .unwrap_or_default();
    ensure!(
        session["status"] == "warn" && session.to_string().contains("MAX_RESULT_"),
        "the session step names the result cap: {session}\n{}",
        run.stdout
    );
    ensure!(
        run.elapsed < Duration::from_secs(30),
        "took {:?}",
        run.elapsed
    );
    ensure!(
        run.max_rss_kb < MAX_RSS_KB,
        "peak RSS {} KB",
        run.max_rss_kb
    );
    Ok(())
}

#[test]
fn refused_tls_never_sends_the_token_in_clear() -> Result<()> {
    // The server says `N` and then asks for a cleartext password on the same plaintext
    // connection; the plaintext check asks too. Nothing may come back on either.
    let fake = FakePg::start(Script::RefuseTls)?;
    let (run, json, _) = doctor(&fake)?;
    expect(&run, &json, "tls-not-offered", 4)?;
    ensure!(fake.tls_passwords() == 0);
    Ok(())
}

#[test]
fn connect_timeout_zero_is_rejected() -> Result<()> {
    let run = run(
        &[
            "doctor",
            "--connect-timeout",
            "0s",
            "--host",
            "h",
            "--user",
            "u",
        ],
        &[],
    )?;
    ensure!(
        run.code == 2 && run.stderr.contains("more than 0"),
        "exit {}: {}",
        run.code,
        run.stderr
    );
    Ok(())
}

#[test]
fn sslrootcert_dev_zero_is_refused_at_the_cap() -> Result<()> {
    // Was: reading /dev/zero as a CA file aborted the process.
    let fake = FakePg::start(Script::SilentAfterS)?;
    let token = token(fake.port)?;
    let port = fake.port.to_string();
    let run = run(
        &[
            "doctor",
            "--format",
            "json",
            "--connect-timeout",
            "1s",
            "--host",
            RDS_HOST_NAME,
            "--hostaddr",
            "127.0.0.1",
            "--port",
            &port,
            "--user",
            "app",
            "--sslmode",
            "verify-full",
            "--sslrootcert",
            "/dev/zero",
            "--token-env",
            TOKEN_VAR,
        ],
        &[(TOKEN_VAR, &token)],
    )?;
    ensure!(
        run.code == 1 && run.stdout.contains("input cap of 4 MiB"),
        "exit {}: {}{}",
        run.code,
        run.stdout,
        run.stderr
    );
    ensure!(run.elapsed < Duration::from_secs(4));
    ensure!(
        run.max_rss_kb < MAX_RSS_KB,
        "peak RSS {} KB",
        run.max_rss_kb
    );
    Ok(())
}

fn introspect(fake: &FakePg, deadline: Duration) -> (Result<(), String>, Duration) {
    let conninfo = format!(
        "host={RDS_HOST_NAME} hostaddr=127.0.0.1 port={} user=app dbname=postgres sslmode=verify-full sslrootcert={}",
        fake.port,
        fake.ca_cert_path().display()
    );
    let started = Instant::now();
    let result = ParamSource::parse_conninfo(&conninfo)
        .and_then(|mut source| {
            source.password = Some("not-a-real-secret".into());
            ConnParams::resolve(source)
        })
        .and_then(|params| {
            introspect_blocking(
                &params,
                DbTarget {
                    account: "111122223333".into(),
                    region: "us-east-1".into(),
                    kind: DbTargetKind::Instance,
                    identifier: "mydb".into(),
                },
                None,
                deadline,
            )
        })
        .map(|_| ());
    (result, started.elapsed())
}

#[test]
fn collect_db_against_silence_after_s_fails_within_the_deadline() -> Result<()> {
    // `collect --db` shares the client: the silent server cannot hang it either.
    let fake = FakePg::start(Script::SilentAfterS)?;
    let (result, elapsed) = introspect(&fake, Duration::from_secs(1));
    let error = result.err().unwrap_or_default();
    ensure!(
        error.contains("Timeout") && elapsed < Duration::from_secs(3),
        "{error:?} after {elapsed:?}"
    );
    Ok(())
}

#[test]
fn collect_db_row_flood_is_an_error_naming_the_cap() -> Result<()> {
    let fake = FakePg::start(Script::FloodRows)?;
    let (result, elapsed) = introspect(&fake, Duration::from_secs(30));
    let error = result.err().unwrap_or_default();
    ensure!(
        error.contains("MAX_RESULT_") && elapsed < Duration::from_secs(30),
        "{error:?} after {elapsed:?}"
    );
    ensure!(fake.tls_passwords() == 1, "the password went over TLS");
    Ok(())
}
