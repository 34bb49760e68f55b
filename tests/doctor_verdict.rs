//! The doctor's verdict-first output against the RDS-like PostgreSQL harness (tests/support):
//! the client's own token is what gets tested; when it fails and the doctor can sign, a fresh
//! token tells whether the client's token is the problem, and the first line says so; a run
//! without AWS lists unchecked causes with read-only checks, never write commands with
//! placeholders; the table fits 80, 100 and 200 columns.
//!
//! Client tokens are minted by botocore (tests/support/rds_token.rs) and given to the doctor
//! like a user would (`--token-env`, `PGPASSWORD`, `--token -`). The doctor's fresh token is
//! signed by the real SDK signer with the harness's long-term test key (the verifier knows
//! it); STS is pointed at a closed port, so no AWS call succeeds and none is needed. Needs what
//! tests/pg_harness.rs needs (root, PostgreSQL 15, `.venv`): `scripts/test.sh` provides it.

mod support;

#[path = "support/fix_proof.rs"]
mod fix_proof;

use std::collections::BTreeSet;

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;
use support::aws_cli::AwsCli;
use support::pg_harness::{HarnessOptions, RDS_HOST_NAME, RdsLikePostgres, TestCredentials, roles};

const TOKEN_VAR: &str = "RDSIAM_TEST_TOKEN";

struct Run {
    code: i32,
    stdout: String,
}

impl Run {
    fn first_line(&self) -> &str {
        self.stdout.lines().next().unwrap_or_default()
    }

    /// The output with line breaks, shell continuations and runs of spaces undone: what a
    /// wrapped command or SQL statement means.
    fn flat(&self) -> String {
        self.stdout
            .replace(" \\\n", " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn json(&self) -> Result<Value> {
        serde_json::from_str(&self.stdout).with_context(|| self.stdout.clone())
    }

    fn expect(&self, code: i32, first_line_starts: &str) -> Result<()> {
        ensure!(
            self.code == code,
            "expected exit {code}, got {}:\n{}",
            self.code,
            self.stdout
        );
        ensure!(
            self.first_line().starts_with(first_line_starts),
            "line 1 should start with {first_line_starts:?}:\n{}",
            self.stdout
        );
        Ok(())
    }
}

/// How the doctor gets its AWS side: none, or credentials the harness knows with STS
/// unreachable (the doctor can sign a fresh token, nothing else).
#[derive(Clone, Copy, PartialEq)]
enum Aws {
    None,
    SignOnly,
}

/// The careful client's parameters: RDS name for TLS and token, TCP to 127.0.0.1 (a tunnel
/// whose local port is the harness's), the test CA.
fn tunnel_args(server: &RdsLikePostgres, user: &str) -> Vec<String> {
    [
        "--host",
        RDS_HOST_NAME,
        "--hostaddr",
        "127.0.0.1",
        "--port",
        &server.port().to_string(),
        "--user",
        user,
        "--dbname",
        roles::DATABASE,
        "--sslmode",
        "verify-full",
        "--sslrootcert",
        &server.ca_cert_path().display().to_string(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

fn doctor(
    args: &[String],
    token: Option<&str>,
    aws: Aws,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Result<Run> {
    let mut cmd = support::cli::rdsiam();
    cmd.env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["doctor", "--connect-timeout", "3s"])
        .args(args)
        .args(extra);
    if let Some(token) = token {
        cmd.env(TOKEN_VAR, token).args(["--token-env", TOKEN_VAR]);
    }
    if aws == Aws::SignOnly {
        cmd.envs(TestCredentials::long_term().env_vars("us-east-1"))
            // No STS here: the identity step fails fast; signing needs no network.
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env("AWS_MAX_ATTEMPTS", "1")
            .args(["--region", "us-east-1"]);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output()?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if let Some(token) = token {
        let signature = token.rsplit("X-Amz-Signature=").next().unwrap_or_default();
        ensure!(
            !stdout.contains(signature),
            "the token's signature was printed"
        );
    }
    Ok(Run {
        code: out.status.code().unwrap_or(-1),
        stdout,
    })
}

fn server() -> Result<&'static RdsLikePostgres> {
    RdsLikePostgres::shared()
}

const FRESH_WORKS: &str = "a fresh token works: the client's token is the problem";

#[test]
fn client_token_for_the_wrong_port_while_a_fresh_token_works() -> Result<()> {
    let server = server()?;
    // The classic tunnel mistake the other way round: signed for RDS's default port while
    // the endpoint (the harness) listens on its own.
    let token = server.token_request(roles::IAM_USER).port(5432).mint()?;
    let args = tunnel_args(server, roles::IAM_USER);
    let run = doctor(&args, Some(&token), Aws::SignOnly, &[], &[])?;
    run.expect(1, &format!("✗ token-host-mismatch: {FRESH_WORKS}"))?;
    ensure!(
        run.flat().contains(&format!(
            "a token the doctor signed for {RDS_HOST_NAME}:{} as pgmonitor in us-east-1 logs in",
            server.port()
        )),
        "{}",
        run.stdout
    );
    ensure!(
        run.stdout
            .contains(&format!("    port    5432 ≠ needed {}", server.port())),
        "the difference is named:\n{}",
        run.stdout
    );
    ensure!(
        run.stdout
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("your client's token")),
        "line 2 says whose token was tested:\n{}",
        run.stdout
    );
    ensure!(
        !run.stdout.contains("port, region and expiry match"),
        "a later line contradicts the port difference:\n{}",
        run.stdout
    );
    ensure!(
        run.flat().contains(&format!(
            "$ export PGPASSWORD=\"$(aws rds generate-db-auth-token --hostname {RDS_HOST_NAME} --port {} --username pgmonitor --region us-east-1)\"",
            server.port()
        )),
        "the fix signs for the endpoint's port:\n{}",
        run.stdout
    );
    ensure!(
        !run.stdout
            .lines()
            .any(|l| l.starts_with("not checked:") || l.starts_with("also found:")),
        "a fresh token that works rules out the AWS side for the same signer:\n{}",
        run.stdout
    );
    Ok(())
}

#[test]
fn client_token_for_the_wrong_host_while_a_fresh_token_works() -> Result<()> {
    let server = server()?;
    let token = server
        .token_request(roles::IAM_USER)
        .host("localhost")
        .mint()?;
    let run = doctor(
        &tunnel_args(server, roles::IAM_USER),
        Some(&token),
        Aws::SignOnly,
        &[],
        &[],
    )?;
    run.expect(1, &format!("✗ token-host-mismatch: {FRESH_WORKS}"))?;
    ensure!(
        run.stdout
            .contains(&format!("    host    localhost ≠ needed {RDS_HOST_NAME}")),
        "{}",
        run.stdout
    );
    Ok(())
}

#[test]
fn client_token_for_the_wrong_region_while_a_fresh_token_works() -> Result<()> {
    let server = server()?;
    let token = server
        .token_request(roles::IAM_USER)
        .region("eu-west-1")
        .mint()?;
    let run = doctor(
        &tunnel_args(server, roles::IAM_USER),
        Some(&token),
        Aws::SignOnly,
        &[],
        &[],
    )?;
    run.expect(1, &format!("✗ token-region-mismatch: {FRESH_WORKS}"))?;
    ensure!(
        run.stdout
            .contains("    region  eu-west-1 ≠ needed us-east-1"),
        "{}",
        run.stdout
    );
    Ok(())
}

#[test]
fn client_token_for_the_wrong_user_while_a_fresh_token_works() -> Result<()> {
    let server = server()?;
    let token = server.token_request(roles::IAM_USER_2).mint()?;
    let run = doctor(
        &tunnel_args(server, roles::IAM_USER),
        Some(&token),
        Aws::SignOnly,
        &[],
        &[],
    )?;
    run.expect(1, &format!("✗ token-user-mismatch: {FRESH_WORKS}"))?;
    ensure!(
        run.stdout
            .contains("    user    iam_app ≠ needed pgmonitor"),
        "{}",
        run.stdout
    );
    Ok(())
}

#[test]
fn expired_client_token_while_a_fresh_token_works() -> Result<()> {
    let server = server()?;
    let token = server
        .token_request(roles::IAM_USER)
        .signed_offset_seconds(-1000)
        .mint()?;
    let run = doctor(
        &tunnel_args(server, roles::IAM_USER),
        Some(&token),
        Aws::SignOnly,
        &["--format", "json"],
        &[],
    )?;
    ensure!(run.code == 1, "{}", run.stdout);
    let json = run.json()?;
    let verdict = &json["verdict"];
    ensure!(
        verdict["line"]
            .as_str()
            .is_some_and(|l| l == format!("token-expired: {FRESH_WORKS}")),
        "{verdict}"
    );
    ensure!(json["token"]["fresh"]["result"] == "works", "{json}");
    ensure!(
        verdict["token_differences"][0]["field"] == "expiry",
        "{verdict}"
    );
    // The same facts as the table: the table's first line is the JSON verdict line.
    let table = doctor(
        &tunnel_args(server, roles::IAM_USER),
        Some(&token),
        Aws::SignOnly,
        &[],
        &[],
    )?;
    ensure!(
        table.first_line() == format!("✗ {}", verdict["line"].as_str().unwrap_or_default()),
        "{}",
        table.stdout
    );
    ensure!(
        table.stdout.contains("    expiry  expired "),
        "{}",
        table.stdout
    );
    Ok(())
}

#[test]
fn tunnel_with_the_right_client_token_passes_and_says_whose_token() -> Result<()> {
    let server = server()?;
    let token = server.token_request(roles::IAM_USER).mint()?;
    let run = doctor(
        &tunnel_args(server, roles::IAM_USER),
        Some(&token),
        Aws::None,
        &[],
        &[],
    )?;
    run.expect(
        0,
        "✓ login works: your client's token logged in as pgmonitor",
    )?;
    ensure!(
        run.stdout
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("$RDSIAM_TEST_TOKEN")),
        "{}",
        run.stdout
    );
    ensure!(
        !run.stdout.contains("      TLSv1.3") && !run.stdout.contains("pg_stat_ssl.ssl"),
        "passing steps print their evidence only with --verbose:\n{}",
        run.stdout
    );
    let verbose = doctor(
        &tunnel_args(server, roles::IAM_USER),
        Some(
            &server
                .token_request(roles::IAM_USER)
                .signed_offset_seconds(-20)
                .mint()?,
        ),
        Aws::None,
        &["--verbose"],
        &[],
    )?;
    ensure!(
        verbose.stdout.contains("pg_stat_ssl.ssl = true"),
        "{}",
        verbose.stdout
    );
    Ok(())
}

#[test]
fn token_from_stdin_is_the_one_tested() -> Result<()> {
    let server = server()?;
    let token = server.token_request(roles::IAM_USER).mint()?;
    let out = support::cli::rdsiam()
        .args(["doctor", "--token", "-"])
        .args(tunnel_args(server, roles::IAM_USER))
        .write_stdin(format!("{token}\n"))
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    ensure!(out.status.code() == Some(0), "{stdout}");
    ensure!(
        stdout.lines().nth(1).is_some_and(|l| l.contains("stdin")),
        "{stdout}"
    );
    ensure!(server.verifier_decision_for(&token)?.reason == "ok");
    Ok(())
}

#[test]
fn doctor_signing_its_own_token_says_so_on_the_first_lines() -> Result<()> {
    let server = server()?;
    let run = doctor(
        &tunnel_args(server, roles::IAM_USER),
        None,
        Aws::SignOnly,
        &["--generate-token"],
        &[],
    )?;
    run.expect(
        0,
        "✓ login works, with a token the doctor signed itself: your client's token was not tested",
    )?;
    Ok(())
}

#[test]
fn token_only_run_lists_unchecked_causes_with_read_only_checks() -> Result<()> {
    let server = server()?;
    let token = server
        .token_request(roles::IAM_USER)
        .credentials(TestCredentials::wrong_secret())
        .mint()?;
    let run = doctor(
        &tunnel_args(server, roles::IAM_USER),
        Some(&token),
        Aws::None,
        &[],
        &[],
    )?;
    run.expect(1, "✗ token-rejected: ")?;
    for forbidden in [
        "modify-db-instance",
        "--apply-immediately",
        "ROLE_NAME",
        "RESOURCE_ID",
        "put-role-policy",
    ] {
        ensure!(
            !run.stdout.contains(forbidden),
            "an unchecked cause got a write command ({forbidden}):\n{}",
            run.stdout
        );
    }
    ensure!(
        run.stdout.contains("not checked: iam-auth-disabled"),
        "{}",
        run.stdout
    );
    ensure!(
        run.flat().contains("$ rdsiam doctor 'host=")
            && run.flat().contains("' --region us-east-1"),
        "the read-only check has real values:\n{}",
        run.stdout
    );
    let json = doctor(
        &tunnel_args(server, roles::IAM_USER),
        Some(&token),
        Aws::None,
        &["--format", "json"],
        &[],
    )?
    .json()?;
    for cause in json["diagnosis"].as_array().into_iter().flatten() {
        if cause["checked"] == false {
            ensure!(
                cause["fix"].get("aws_cli").is_none() && cause["check"].is_string(),
                "{cause}"
            );
        }
    }
    Ok(())
}

#[test]
fn missing_role_gets_the_sql_that_tells_it_from_not_in_rds_iam() -> Result<()> {
    let server = server()?;
    let token = server.token_request("ghost").mint()?;
    let run = doctor(
        &tunnel_args(server, "ghost"),
        Some(&token),
        Aws::None,
        &[],
        &[],
    )?;
    run.expect(1, "✗ user-not-in-rds-iam: ")?;
    ensure!(
        run.first_line()
            .contains("ghost is not in rds_iam or does not exist"),
        "{}",
        run.stdout
    );
    let check = "SELECT rolname, rolcanlogin, pg_has_role(oid, 'rds_iam', 'member') AS in_rds_iam FROM pg_roles WHERE rolname = 'ghost';";
    ensure!(run.flat().contains(check), "{}", run.stdout);
    // The check really tells them apart, on the server, as the master user.
    ensure!(
        server.admin_sql(check)?.trim().is_empty(),
        "ghost exists on the harness?"
    );
    let known =
        server.admin_sql(&check.replace("'ghost'", &format!("'{}'", roles::NO_IAM_USER)))?;
    ensure!(
        known.trim() == "no_iam_user|t|f",
        "no_iam_user should show in_rds_iam = f: {known}"
    );
    let flat = run.flat();
    let missing_at = flat
        .find(
            "if no row (role-missing): SQL> CREATE USER ghost WITH LOGIN; GRANT rds_iam TO ghost;",
        )
        .context("no role-missing outcome with its fix")?;
    let grant_at = flat
        .find("if in_rds_iam = f (user-not-in-rds-iam): SQL> GRANT rds_iam TO ghost;")
        .context("no not-in-rds_iam outcome with its fix")?;
    ensure!(
        missing_at < grant_at,
        "each outcome is followed by its own fix:\n{}",
        run.stdout
    );
    Ok(())
}

#[test]
fn table_fits_80_100_and_200_columns() -> Result<()> {
    let server = server()?;
    let token = server
        .token_request(roles::IAM_USER)
        .port(5432)
        .signed_offset_seconds(-30)
        .mint()?;
    for width in [80usize, 100, 200] {
        let columns = width.to_string();
        let run = doctor(
            &tunnel_args(server, roles::IAM_USER),
            Some(&token),
            Aws::SignOnly,
            &["--verbose"],
            &[("COLUMNS", &columns)],
        )?;
        ensure!(run.code == 1, "{}", run.stdout);
        let long: Vec<&str> = run
            .stdout
            .lines()
            .filter(|l| l.chars().count() > width)
            .collect();
        ensure!(
            long.is_empty(),
            "{} lines longer than {width}:\n{}",
            long.len(),
            long.join("\n")
        );
        // Wrapped, but never inside a word: the endpoint name and the fix survive whole.
        ensure!(run.stdout.contains(RDS_HOST_NAME));
        ensure!(run.stdout.contains("generate-db-auth-token"));
    }
    // Not a terminal and no COLUMNS: 100.
    let run = doctor(
        &tunnel_args(server, roles::IAM_USER),
        Some(&token),
        Aws::SignOnly,
        &["--verbose"],
        &[],
    )?;
    ensure!(
        run.stdout.lines().all(|l| l.chars().count() <= 100),
        "{}",
        run.stdout
    );
    ensure!(
        run.stdout.lines().any(|l| l.chars().count() > 80),
        "at 100 columns some line uses more than 80:\n{}",
        run.stdout
    );
    Ok(())
}

#[test]
fn colour_follows_the_flag_and_no_color() -> Result<()> {
    let server = server()?;
    let token = server
        .token_request(roles::IAM_USER)
        .signed_offset_seconds(-1000)
        .mint()?;
    let args = tunnel_args(server, roles::IAM_USER);
    let always = doctor(&args, Some(&token), Aws::None, &["--color", "always"], &[])?;
    ensure!(
        always
            .first_line()
            .starts_with("\x1b[31;1m✗\x1b[0m token-expired"),
        "{:?}",
        always.first_line()
    );
    let auto = doctor(&args, Some(&token), Aws::None, &[], &[("NO_COLOR", "1")])?;
    ensure!(!auto.stdout.contains('\x1b'), "{}", auto.stdout);
    let never = doctor(&args, Some(&token), Aws::None, &["--color", "never"], &[])?;
    ensure!(!never.stdout.contains('\x1b'));
    Ok(())
}

/// The verdict's first fix of `kind` (`aws-cli`, `sql`), and the outcome it is for.
fn verdict_fix<'a>(json: &'a Value, kind: &str, when: Option<&str>) -> Result<&'a str> {
    json["verdict"]["fixes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|fix| fix["kind"] == kind)
        .find(|fix| when.is_none_or(|w| fix["when"].as_str().is_some_and(|f| f.contains(w))))
        .and_then(|fix| fix["command"].as_str())
        .with_context(|| format!("no {kind} fix (when {when:?}) in the verdict: {json:#}"))
}

/// Each token cause's fix, run as printed with the real AWS CLI (it signs locally with the
/// key the harness knows), gives a token that logs in: the doctor, run again with it as the
/// client's token, prints `✓ login works`.
#[test]
fn token_fixes_run_as_printed_give_a_token_that_logs_in() -> Result<()> {
    let server = server()?;
    // No AWS call is made: generate-db-auth-token signs locally. A closed port as endpoint.
    let cli = AwsCli::new(
        "http://127.0.0.1:9",
        TestCredentials::long_term().env_vars("us-east-1"),
    )?;
    let mint = |user: &str| server.token_request(user);
    let cases: Vec<(&str, Option<String>, Vec<&str>)> = vec![
        (
            "token-expired",
            Some(mint(roles::IAM_USER).signed_offset_seconds(-1000).mint()?),
            vec![],
        ),
        (
            "token-host-mismatch",
            Some(mint(roles::IAM_USER).port(5432).mint()?),
            vec![],
        ),
        (
            "token-region-mismatch",
            Some(mint(roles::IAM_USER).region("eu-west-1").mint()?),
            vec![],
        ),
        (
            "token-user-mismatch",
            Some(mint(roles::IAM_USER_2).mint()?),
            vec![],
        ),
        ("token-malformed", Some("not-a-token".to_owned()), vec![]),
        (
            "token-missing",
            None,
            vec!["--token-env", "RDSIAM_TEST_TOKEN_NOT_SET"],
        ),
    ];
    let mut proven = BTreeSet::new();
    for (code, token, mut extra) in cases {
        extra.extend(["--format", "json"]);
        let args = tunnel_args(server, roles::IAM_USER);
        let run = doctor(&args, token.as_deref(), Aws::SignOnly, &extra, &[])?;
        let json = run.json()?;
        ensure!(
            run.code == 1 && json["verdict"]["code"] == code,
            "expected {code}, exit 1:\n{}",
            run.stdout
        );
        let fix = verdict_fix(&json, "aws-cli", None)?;
        // As printed; an `export PGPASSWORD=…` fix leaves the token in the variable.
        let script = if fix.starts_with("export PGPASSWORD=") {
            format!("{fix}\nprintf %s \"$PGPASSWORD\"")
        } else {
            fix.to_owned()
        };
        let fresh = cli.run(&script)?.trim().to_owned();
        let after = doctor(&args, Some(&fresh), Aws::None, &[], &[])?;
        after
            .expect(
                0,
                "✓ login works: your client's token logged in as pgmonitor",
            )
            .with_context(|| format!("after the fix of {code}:\n{fix}"))?;
        proven.insert(code);
    }
    let expected: BTreeSet<&str> = fix_proof::PROVEN_DOCTOR_HARNESS
        .iter()
        .copied()
        .filter(|c| c.starts_with("token-"))
        .collect();
    ensure!(proven == expected, "proven {proven:?}, listed {expected:?}");
    Ok(())
}

/// The database-side causes: when the doctor cannot tell them apart it prints a read-only
/// check; run as the master user, its outcome picks the fix, which is run as the master
/// user too; the doctor then logs in. On an instance of its own: the fixes change roles.
#[test]
fn role_fixes_applied_as_the_master_make_the_login_work() -> Result<()> {
    let server = RdsLikePostgres::start(HarnessOptions::default())?;
    let mut master = server.conn(roles::MASTER).password(roles::MASTER_PASSWORD);
    master.dbname = Some(roles::DATABASE.into());
    let as_master = |sql: &str| -> Result<String> {
        let out = server.psql(&master, sql)?;
        ensure!(out.success, "as the master user:\n{sql}\n{}", out.stderr);
        Ok(out.stdout)
    };
    let mut proven: BTreeSet<String> = BTreeSet::new();
    for (user, expected) in [
        ("ghost", "role-missing"),
        (roles::NO_IAM_USER, "user-not-in-rds-iam"),
        (roles::IAM_NOLOGIN, "role-nologin"),
    ] {
        let args = tunnel_args(&server, user);
        let token = server.token_request(user).mint()?;
        let run = doctor(&args, Some(&token), Aws::None, &["--format", "json"], &[])?;
        ensure!(run.code == 1, "{user}: expected exit 1:\n{}", run.stdout);
        let json = run.json()?;
        let (code, fix) = match json["verdict"]["check"]["command"].as_str() {
            Some(check) => {
                let row = as_master(check)?;
                let cells: Vec<&str> = row.trim().split('|').collect();
                let code = match cells.as_slice() {
                    [""] => "role-missing",
                    [_, "f", _] => "role-nologin",
                    [_, _, "f"] => "user-not-in-rds-iam",
                    _ => bail!("{user}: the check's row {row:?} names no cause"),
                };
                (code, verdict_fix(&json, "sql", Some(&format!("({code})")))?)
            }
            None => (
                json["verdict"]["code"].as_str().unwrap_or_default(),
                verdict_fix(&json, "sql", None)?,
            ),
        };
        ensure!(
            code == expected,
            "{user}: the doctor's check says {code}, expected {expected}:\n{}",
            run.stdout
        );
        as_master(fix)?;
        let token = server.token_request(user).mint()?;
        let after = doctor(&args, Some(&token), Aws::None, &[], &[])?;
        after
            .expect(
                0,
                &format!("✓ login works: your client's token logged in as {user}"),
            )
            .with_context(|| format!("after the fix of {code}:\n{fix}"))?;
        proven.insert(code.to_owned());
    }
    let expected: BTreeSet<String> = fix_proof::PROVEN_DOCTOR_HARNESS
        .iter()
        .filter(|c| !c.starts_with("token-"))
        .map(|c| (*c).to_owned())
        .collect();
    ensure!(proven == expected, "proven {proven:?}, listed {expected:?}");
    Ok(())
}
