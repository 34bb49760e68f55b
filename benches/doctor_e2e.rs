//! End-to-end wall time of `rdsiam doctor` (the real binary, a fresh process per run) against
//! the RDS-like PostgreSQL harness: a good login, and a PAM failure (token signed with a
//! wrong secret: every step runs, the server rejects the token). Tokens are minted beforehand
//! by botocore and passed through the environment, so no AWS call is timed.
//!
//! Peer, same run: `psql -c 'select 1'` logging in with a good token (what the user's own
//! client costs). A third case runs the AWS-side steps too (STS, RDS, IAM, Organizations)
//! against moto, with a token the doctor signs itself.
//!
//! Run: `cargo bench --bench doctor_e2e` (needs what tests/pg_harness.rs needs; see
//! `scripts/test.sh`). Prints min / median / max over N runs (default 20, `DOCTOR_BENCH_RUNS`);
//! `DOCTOR_BENCH_SHOW=1` also prints one table output per case.
//!
//! Also measured: the time until the first output line (the verdict) arrives, and a case
//! where the client's token names the wrong port and the doctor signs a fresh token that
//! works. `DOCTOR_BENCH_BINARY=/path/to/rdsiam` measures that build as A; `DOCTOR_BENCH_BASELINE=/path/to/rdsiam` runs another build right after this one in
//! every iteration (A/B in the same minutes).

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use support::moto::{MOTO_POSTGRES_PORT, MotoServer};
use support::pg_harness::{
    HarnessOptions, KnownKey, RDS_HOST_NAME, RdsLikePostgres, TestCredentials, roles,
};

fn main() -> Result<()> {
    // `cargo test --all-targets` runs this too (without `--bench`): one run per case then, as
    // a smoke test of the driver.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let runs: usize = if benchmarking {
        std::env::var("DOCTOR_BENCH_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20)
            .min(25)
    } else {
        1
    };
    let server = RdsLikePostgres::shared()?;
    // `DOCTOR_BENCH_BINARY=/path/to/rdsiam` measures another build as A (e.g. a release
    // binary from a debug `cargo test --bench` run); default: the one cargo built.
    let binary_path = std::env::var("DOCTOR_BENCH_BINARY")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_rdsiam").to_owned());
    let binary = binary_path.as_str();
    println!("binary: {binary}");
    println!("runs per case: {runs}");
    // A/B in the same minutes: `DOCTOR_BENCH_BASELINE=/path/to/other/rdsiam` runs that binary
    // right after this one in every iteration.
    let baseline = std::env::var("DOCTOR_BENCH_BASELINE").ok();
    if let Some(b) = &baseline {
        println!("baseline binary (B, interleaved): {b}");
    }
    for (case_index, (case, credentials, expected_exit, port, sign_fresh)) in [
        ("good login", TestCredentials::long_term(), 0, None, false),
        (
            "PAM failure (token-rejected)",
            TestCredentials::wrong_secret(),
            1,
            None,
            false,
        ),
        (
            "client token for port 5432, fresh token works",
            TestCredentials::long_term(),
            1,
            Some(5432),
            true,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let mut times = Vec::with_capacity(runs);
        let mut first_lines = Vec::with_capacity(runs);
        let mut baseline_first_lines = Vec::with_capacity(runs);
        for run in 0..runs {
            for (which, bin) in [(0usize, Some(binary)), (1, baseline.as_deref())] {
                let Some(bin) = bin else { continue };
                // Distinct signing times: the minter refuses to hand out a signature twice,
                // and many runs fit in one second. Tokens stay valid (well under 900 s back).
                let offset = -i64::try_from(run * 11 + case_index * 250 + which * 5).unwrap_or(0);
                let mut request = server
                    .token_request(roles::IAM_USER)
                    .credentials(credentials.clone())
                    .signed_offset_seconds(offset);
                if let Some(port) = port {
                    request = request.port(port);
                }
                let token = request.mint()?;
                let mut cmd = doctor_command(bin, server, &token);
                if sign_fresh {
                    // The doctor signs its own token (no network needed); STS is unreachable.
                    cmd.envs(TestCredentials::long_term().env_vars("us-east-1"))
                        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
                        .env("AWS_MAX_ATTEMPTS", "1")
                        .args(["--region", "us-east-1"]);
                }
                let (first_line, total, code, stdout) = timed(cmd)?;
                ensure!(
                    code == Some(expected_exit),
                    "{case}: exit {code:?}\n{stdout}"
                );
                if which == 0 {
                    times.push(total);
                    first_lines.push(first_line);
                } else {
                    baseline_first_lines.push(first_line);
                }
            }
        }
        if std::env::var_os("DOCTOR_BENCH_SHOW").is_some() {
            let mut request = server
                .token_request(roles::IAM_USER)
                .credentials(credentials.clone())
                .signed_offset_seconds(-7);
            if let Some(port) = port {
                request = request.port(port);
            }
            let mut cmd = doctor_command(binary, server, &request.mint()?);
            if sign_fresh {
                cmd.envs(TestCredentials::long_term().env_vars("us-east-1"))
                    .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
                    .env("AWS_MAX_ATTEMPTS", "1")
                    .args(["--region", "us-east-1"]);
            }
            let out = cmd.output()?;
            println!(
                "--- {case}: sample output ---\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        report(case, times);
        report("  time to the first line", first_lines);
        if !baseline_first_lines.is_empty() {
            report("  B: time to the first line", baseline_first_lines);
        }
    }
    psql_peer(server, runs)?;
    aws_side(binary, runs)?;
    Ok(())
}

/// `rdsiam doctor` with the client's token in `$RDSIAM_BENCH_TOKEN`, through the "tunnel".
fn doctor_command(binary: &str, server: &RdsLikePostgres, token: &str) -> Command {
    let mut cmd = Command::new(binary);
    cmd.env_clear()
        .env("RDSIAM_BENCH_TOKEN", token)
        .args(["doctor", "--token-env", "RDSIAM_BENCH_TOKEN"])
        .args(["--host", RDS_HOST_NAME, "--hostaddr", "127.0.0.1"])
        .args(["--port", &server.port().to_string()])
        .args(["--user", roles::IAM_USER, "--dbname", roles::DATABASE])
        .arg("--sslrootcert")
        .arg(server.ca_cert_path());
    cmd
}

/// Runs `cmd`: (time until the first stdout line arrived, total wall time, exit code, stdout).
fn timed(mut cmd: Command) -> Result<(Duration, Duration, Option<i32>, String)> {
    use std::io::{BufRead, BufReader, Read};
    let started = Instant::now();
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("running rdsiam doctor")?;
    let mut reader = BufReader::new(child.stdout.take().context("no stdout")?);
    let mut text = String::new();
    reader.read_line(&mut text)?;
    let first_line = started.elapsed();
    reader.read_to_string(&mut text)?;
    let status = child.wait()?;
    Ok((first_line, started.elapsed(), status.code(), text))
}

fn report(case: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{case:<30} min {:>7.1} ms  median {:>7.1} ms  max {:>7.1} ms",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );
}

/// The peer: a bare `psql` login with a good token (process start, TLS, PAM, one query).
fn psql_peer(server: &RdsLikePostgres, runs: usize) -> Result<()> {
    let mut times = Vec::with_capacity(runs);
    for run in 0..runs {
        let offset = -i64::try_from(run * 11 + 600).unwrap_or(0);
        let token = server
            .token_request(roles::IAM_USER)
            .signed_offset_seconds(offset)
            .mint()?;
        let conn = server
            .conn(roles::IAM_USER)
            .dbname(Some(roles::DATABASE))
            .password(&token);
        let started = Instant::now();
        let out = server.psql(&conn, "select 1")?;
        times.push(started.elapsed());
        ensure!(out.success, "psql peer failed: {}", out.first_stderr_line());
    }
    report("peer: psql login + select 1", times);
    Ok(())
}

/// Every step including the AWS side against moto: identity, token generation, target
/// (RDS Describe*), rds-settings, iam-decision (IAM reads, Organizations, simulator), login.
fn aws_side(binary: &str, runs: usize) -> Result<()> {
    let moto = MotoServer::start()?;
    let facts = moto.seed("doctor", &["good"])?;
    let text = |k: &str| facts[k].as_str().unwrap_or_default().to_owned();
    let endpoint = text("endpoint");
    let server = RdsLikePostgres::start(HarnessOptions {
        tls_names: vec![endpoint.clone()],
        endpoint_hosts: vec![endpoint.clone()],
        keys: vec![KnownKey::any_user(TestCredentials {
            access_key_id: text("access_key_id"),
            secret_access_key: text("secret_access_key"),
            session_token: Some(text("session_token")),
        })],
        // The tunnel: TCP to the harness's own port, tokens for the port RDS (moto) reports.
        endpoint_port: Some(MOTO_POSTGRES_PORT),
        ..HarnessOptions::default()
    })?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let out = Command::new(binary)
            .env_clear()
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", moto.endpoint())
            .env("AWS_ACCESS_KEY_ID", text("access_key_id"))
            .env("AWS_SECRET_ACCESS_KEY", text("secret_access_key"))
            .env("AWS_SESSION_TOKEN", text("session_token"))
            // moto answers 500 for the APIs it lacks (DescribeCertificates,
            // DescribeDBClusterEndpoints, SimulatePrincipalPolicy): one attempt, so the SDK's
            // retry backoff on those emulator gaps is not what gets timed.
            .env("AWS_MAX_ATTEMPTS", "1")
            .args(["doctor", "--host", &endpoint, "--hostaddr", "127.0.0.1"])
            .args([
                "--port",
                &server.port().to_string(),
                "--region",
                "us-east-1",
            ])
            .args(["--user", roles::IAM_USER, "--dbname", roles::DATABASE])
            .arg("--sslrootcert")
            .arg(server.ca_cert_path())
            .output()
            .context("running rdsiam doctor with the AWS side")?;
        times.push(started.elapsed());
        ensure!(
            out.status.success(),
            "AWS-side case: exit {:?}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout)
        );
        if std::env::var_os("DOCTOR_BENCH_SHOW").is_some() && times.len() == 1 {
            println!(
                "--- good login with AWS side (moto): sample output ---\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
    report("good login + AWS side (moto)", times);
    Ok(())
}
