//! End-to-end wall time of `rdsiam doctor` (the real binary, a fresh process per run) against
//! the RDS-like PostgreSQL harness: a good login, and a PAM failure (token signed with a
//! wrong secret: every step runs, the server rejects the token). Tokens are minted beforehand
//! by botocore and passed through the environment, so no AWS call is timed.
//!
//! Run: `cargo bench --bench doctor_e2e` (needs what tests/pg_harness.rs needs; see
//! `scripts/test.sh`). Prints min / median / max over N runs (default 20, `DOCTOR_BENCH_RUNS`);
//! `DOCTOR_BENCH_SHOW=1` also prints one table output per case.

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use support::pg_harness::{RDS_HOST_NAME, RdsLikePostgres, TestCredentials, roles};

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
    let binary = env!("CARGO_BIN_EXE_rdsiam");
    println!("binary: {binary}");
    println!("runs per case: {runs}");
    for (case_index, (case, credentials, expected_exit)) in [
        ("good login", TestCredentials::long_term(), 0),
        (
            "PAM failure (token-rejected)",
            TestCredentials::wrong_secret(),
            1,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let mut times = Vec::with_capacity(runs);
        for run in 0..runs {
            // Distinct signing times: the minter refuses to hand out a signature twice, and
            // many runs fit in one second. Tokens stay valid (well under 900 s back).
            let offset = -i64::try_from(run * 11 + case_index * 300).unwrap_or(0);
            let token = server
                .token_request(roles::IAM_USER)
                .credentials(credentials.clone())
                .signed_offset_seconds(offset)
                .mint()?;
            let started = Instant::now();
            let out = Command::new(binary)
                .env_clear()
                .env("RDSIAM_BENCH_TOKEN", &token)
                .args([
                    "doctor",
                    "--token-env",
                    "RDSIAM_BENCH_TOKEN",
                    "--host",
                    RDS_HOST_NAME,
                ])
                .args([
                    "--hostaddr",
                    "127.0.0.1",
                    "--port",
                    &server.port().to_string(),
                ])
                .args(["--user", roles::IAM_USER, "--dbname", roles::DATABASE])
                .arg("--sslrootcert")
                .arg(server.ca_cert_path())
                .output()
                .context("running rdsiam doctor")?;
            times.push(started.elapsed());
            ensure!(
                out.status.code() == Some(expected_exit),
                "{case}: exit {:?}\n{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stdout)
            );
        }
        if std::env::var_os("DOCTOR_BENCH_SHOW").is_some() {
            let token = server
                .token_request(roles::IAM_USER)
                .credentials(credentials.clone())
                .mint()?;
            let out = Command::new(binary)
                .env_clear()
                .env("RDSIAM_BENCH_TOKEN", &token)
                .args([
                    "doctor",
                    "--token-env",
                    "RDSIAM_BENCH_TOKEN",
                    "--host",
                    RDS_HOST_NAME,
                ])
                .args([
                    "--hostaddr",
                    "127.0.0.1",
                    "--port",
                    &server.port().to_string(),
                ])
                .args(["--user", roles::IAM_USER, "--dbname", roles::DATABASE])
                .arg("--sslrootcert")
                .arg(server.ca_cert_path())
                .output()?;
            println!(
                "--- {case}: sample output ---\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{case:<30} min {:>7.1} ms  median {:>7.1} ms  max {:>7.1} ms",
            ms(times[0]),
            ms(times[times.len() / 2]),
            ms(times[times.len() - 1])
        );
    }
    Ok(())
}
