//! `rdsiam doctor`'s AWS-side steps end to end: moto (server mode) plays STS, RDS, IAM and
//! Organizations, the RDS-like PostgreSQL harness plays the database, and the doctor signs
//! its own token with the temporary credentials of the role `pg-login` that moto issued, so
//! the harness verifier checks the real SigV4 signature of the real SDK signer.
//!
//! Each failure of FAILURES.md that lives on the AWS side (IAM auth disabled on the instance,
//! a policy naming another resource id, no policy, a permissions boundary, an SCP) is seeded
//! through the real AWS APIs (`tests/support/moto_seed.py doctor VARIANT`), and each test
//! asserts the cause code, its evidence and the concrete fix. Needs moto (`.venv`), root,
//! PostgreSQL and the PAM module, all provided by `scripts/test.sh`.

mod support;

#[path = "support/fix_proof.rs"]
mod fix_proof;

use anyhow::{Context, Result, ensure};
use serde_json::Value;
use support::aws_cli::AwsCli;
use support::doctor_env::{Seeded, seed};
use support::fault_proxy::FaultProxy;
use support::moto::{self, MOTO_POSTGRES_PORT};
use support::pg_harness::{RdsLikePostgres, TestCredentials, roles};

struct Run {
    code: i32,
    json: Value,
    output: String,
}

impl Run {
    fn step(&self, name: &str) -> Result<&Value> {
        self.json["steps"]
            .as_array()
            .and_then(|steps| steps.iter().find(|s| s["name"] == name))
            .with_context(|| format!("no step {name}:\n{}", self.output))
    }

    fn codes(&self) -> Vec<String> {
        self.json["diagnosis"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter_map(|c| c["code"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn first_cause(&self, code: &str) -> Result<&Value> {
        let first = &self.json["diagnosis"][0];
        ensure!(
            first["code"] == code,
            "expected {code} first, got {:?}:\n{}",
            self.codes(),
            self.output
        );
        Ok(first)
    }
}

/// The doctor as a DBA runs it: the real endpoint name (TLS and token), TCP to the tunnel,
/// the signer's credentials in the environment, AWS calls to moto.
fn doctor(seeded: &Seeded, extra: &[&str]) -> Result<Run> {
    doctor_via(seeded, &seeded.moto.endpoint(), extra)
}

/// [`doctor`] with AWS calls sent to `aws_endpoint` (a proxy in front of moto).
fn doctor_via(seeded: &Seeded, aws_endpoint: &str, extra: &[&str]) -> Result<Run> {
    let endpoint = seeded.fact("endpoint")?;
    let mut cmd = support::cli::rdsiam();
    cmd.env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", aws_endpoint)
        .env("AWS_ACCESS_KEY_ID", seeded.fact("access_key_id")?)
        .env("AWS_SECRET_ACCESS_KEY", seeded.fact("secret_access_key")?)
        .env("AWS_SESSION_TOKEN", seeded.fact("session_token")?)
        .env("AWS_REGION", "us-east-1")
        .args(["doctor", "--format", "json", "--connect-timeout", "5s"])
        .args(["--host", &endpoint, "--hostaddr", "127.0.0.1"])
        .args(["--port", &seeded.server.port().to_string()])
        .args(["--user", roles::IAM_USER, "--dbname", roles::DATABASE])
        .args(["--sslmode", "verify-full"])
        .arg("--sslrootcert")
        .arg(seeded.server.ca_cert_path())
        .args(["--region", "us-east-1"])
        .args(extra);
    let out = cmd.output()?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let output = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_str(&stdout)
        .with_context(|| format!("doctor did not print JSON:\n{output}"))?;
    for secret in ["secret_access_key", "session_token"] {
        ensure!(
            !output.contains(&seeded.fact(secret)?),
            "the doctor printed the signer's {secret}"
        );
    }
    Ok(Run {
        code: out.status.code().unwrap_or(-1),
        json,
        output,
    })
}

/// Tokens the harness verifier saw (none when the doctor stopped before logging in).
fn logins_attempted(server: &RdsLikePostgres) -> usize {
    server.verifier_decisions().map(|d| d.len()).unwrap_or(0)
}

fn fix_text(cause: &Value) -> String {
    cause["fix"].to_string()
}

#[test]
fn good_login_passes_the_aws_steps_and_logs_in() -> Result<()> {
    let seeded = seed("good", None)?;
    let run = doctor(&seeded, &[])?;
    ensure!(
        run.code == 0 && run.json["ok"] == true,
        "exit {}:\n{}",
        run.code,
        run.output
    );
    let identity = run.step("identity")?;
    ensure!(identity["status"] == "pass", "{identity}");
    ensure!(
        identity["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("assumed-role/pg-login/dba-at-2am"),
        "{identity}"
    );
    let target = run.step("target")?;
    ensure!(target["status"] == "pass", "{target}");
    let resource_id = seeded.fact("resource_id")?;
    ensure!(
        target["summary"]
            .as_str()
            .unwrap_or_default()
            .contains(&resource_id),
        "{target}"
    );
    ensure!(
        target.to_string().contains("instance endpoint"),
        "matched by the endpoint address, not a fallback: {target}"
    );
    ensure!(run.step("rds-settings")?["status"] == "pass");
    let decision = run.step("iam-decision")?;
    ensure!(
        decision["status"] == "pass",
        "no organization, every policy read: a clean pass {decision}"
    );
    ensure!(
        decision["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("allowed by"),
        "{decision}"
    );
    ensure!(
        decision.to_string().contains(&seeded.fact("dbuser_arn")?),
        "the decision names the exact dbuser ARN: {decision}"
    );
    ensure!(run.step("login")?["status"] == "pass");
    ensure!(logins_attempted(&seeded.server) >= 1);
    Ok(())
}

#[test]
fn iam_auth_disabled_stops_before_login_with_the_modify_command() -> Result<()> {
    let seeded = seed("iam-disabled", None)?;
    let run = doctor(&seeded, &[])?;
    ensure!(run.code == 1, "exit {}:\n{}", run.code, run.output);
    let cause = run.first_cause("iam-auth-disabled")?;
    ensure!(
        cause["evidence"]
            .to_string()
            .contains("IAMDatabaseAuthenticationEnabled is false on instance mydb"),
        "{cause}"
    );
    let fix = fix_text(cause);
    ensure!(
        fix.contains(
            "aws rds modify-db-instance --db-instance-identifier mydb --enable-iam-database-authentication --apply-immediately --region us-east-1"
        ),
        "{fix}"
    );
    ensure!(run.step("rds-settings")?["status"] == "fail");
    ensure!(
        run.step("login").is_err(),
        "the probe stops at the first broken link"
    );
    ensure!(logins_attempted(&seeded.server) == 0, "no token was sent");
    Ok(())
}

#[test]
fn policy_with_another_resource_id_is_policy_resource_mismatch() -> Result<()> {
    let seeded = seed("wrong-resource-id", Some(Vec::new()))?;
    let run = doctor(&seeded, &[])?;
    ensure!(run.code == 1, "exit {}:\n{}", run.code, run.output);
    let cause = run.first_cause("policy-resource-mismatch")?;
    let evidence = cause["evidence"].to_string();
    let resource_id = seeded.fact("resource_id")?;
    ensure!(
        evidence.contains("db-WRONGRESOURCEID0000000000") && evidence.contains(&resource_id),
        "evidence names the policy's id and the database's: {evidence}"
    );
    let fix = fix_text(cause);
    ensure!(
        fix.contains(&seeded.fact("dbuser_arn")?)
            && fix.contains("aws iam put-role-policy --role-name pg-login"),
        "the fix grants the exact ARN to the signing role: {fix}"
    );
    ensure!(logins_attempted(&seeded.server) == 0);
    Ok(())
}

#[test]
fn role_without_a_connect_policy_is_policy_no_allow() -> Result<()> {
    let seeded = seed("no-allow", Some(Vec::new()))?;
    let run = doctor(&seeded, &[])?;
    ensure!(run.code == 1, "exit {}:\n{}", run.code, run.output);
    let cause = run.first_cause("policy-no-allow")?;
    ensure!(
        fix_text(cause).contains(&seeded.fact("dbuser_arn")?),
        "{cause}"
    );
    Ok(())
}

#[test]
fn permissions_boundary_without_connect_is_boundary_deny() -> Result<()> {
    let seeded = seed("boundary-deny", Some(Vec::new()))?;
    let run = doctor(&seeded, &[])?;
    ensure!(run.code == 1, "exit {}:\n{}", run.code, run.output);
    let cause = run.first_cause("boundary-deny")?;
    ensure!(
        cause["evidence"].to_string().contains("s3-only-boundary"),
        "evidence names the boundary policy: {cause}"
    );
    let fix = fix_text(cause);
    ensure!(
        fix.contains(&format!(
            "aws iam create-policy-version --policy-arn {}",
            seeded.fact("boundary_arn")?
        )),
        "the fix names the boundary: {fix}"
    );
    Ok(())
}

#[test]
fn scp_deny_is_found_through_the_org_role() -> Result<()> {
    let seeded = seed("scp-deny", Some(Vec::new()))?;
    let org_role = seeded.fact("org_role_arn")?;
    let run = doctor(&seeded, &["--org-role-arn", &org_role])?;
    ensure!(run.code == 1, "exit {}:\n{}", run.code, run.output);
    let cause = run.first_cause("scp-deny")?;
    let evidence = cause["evidence"].to_string();
    ensure!(
        evidence.contains("NoDatabaseLogins") || evidence.contains(&seeded.fact("scp_id")?),
        "evidence names the SCP: {evidence}"
    );
    let fix = fix_text(cause);
    ensure!(
        fix.contains(&format!(
            "aws organizations describe-policy --policy-id {}",
            seeded.fact("scp_id")?
        )) && fix.contains(&seeded.fact("account")?),
        "the fix names the SCP and the account: {fix}"
    );
    ensure!(logins_attempted(&seeded.server) == 0);
    Ok(())
}

#[test]
fn unreadable_scps_are_a_warning_naming_org_role_arn_and_the_login_decides() -> Result<()> {
    // The member account cannot walk its organization: the decision covers identity and
    // boundary only, says so, and the login attempt (refused here) gives the verdict.
    let seeded = seed("scp-deny", Some(Vec::new()))?;
    let run = doctor(&seeded, &[])?;
    ensure!(run.code == 1, "exit {}:\n{}", run.code, run.output);
    let decision = run.step("iam-decision")?;
    ensure!(decision["status"] == "warn", "{decision}");
    ensure!(
        decision.to_string().contains("--org-role-arn"),
        "{decision}"
    );
    ensure!(
        run.codes().first().map(String::as_str) == Some("token-rejected"),
        "{:?}",
        run.codes()
    );
    ensure!(logins_attempted(&seeded.server) == 1);
    Ok(())
}

#[test]
fn local_clock_ten_minutes_ahead_of_aws_is_clock_skew() -> Result<()> {
    // AWS's clock comes from the Date header of the STS answer; a proxy in front of moto
    // reports AWS time 10 minutes behind this machine, so the token this machine signs is
    // dated 10 minutes in AWS's future (SigV4 allows 5).
    let seeded = seed("good", None)?;
    let proxy = FaultProxy::start(
        seeded.moto.port,
        &seeded.fact("access_key_id")?,
        &seeded.fact("account")?,
        Vec::new(),
    )?;
    let aws_time = std::time::SystemTime::now() - std::time::Duration::from_secs(600);
    let date = aws_smithy_types::DateTime::from(aws_time)
        .fmt(aws_smithy_types::date_time::Format::HttpDate)?;
    proxy.set_date_header(&date);
    let run = doctor_via(&seeded, &proxy.endpoint(), &[])?;
    ensure!(run.code == 1, "exit {}:\n{}", run.code, run.output);
    let cause = run.first_cause("clock-skew")?;
    let evidence = cause["evidence"].to_string();
    ensure!(
        evidence.contains("min") && evidence.contains("ahead of AWS"),
        "{evidence}"
    );
    ensure!(
        run.codes().iter().filter(|c| *c == "clock-skew").count() == 1,
        "one clock-skew cause, not one per symptom: {:?}",
        run.codes()
    );
    ensure!(fix_text(cause).contains("NTP") || fix_text(cause).contains("chrony"));
    ensure!(logins_attempted(&seeded.server) == 0);
    Ok(())
}

#[test]
fn pam_failure_after_clean_aws_checks_rules_out_what_was_checked() -> Result<()> {
    // RDS (here: the harness verifier) refuses the key although IAM allows it: what the AWS
    // steps proved is ruled out instead of listed as candidates.
    let seeded = seed("good", Some(Vec::new()))?;
    let run = doctor(&seeded, &[])?;
    ensure!(run.code == 1, "exit {}:\n{}", run.code, run.output);
    let cause = run.first_cause("token-rejected")?;
    let evidence = cause["evidence"].to_string();
    ensure!(
        evidence.contains("ruled out: IAM authentication is enabled")
            && evidence.contains("ruled out: the IAM decision")
            && evidence.contains("what remains"),
        "{evidence}"
    );
    for code in ["iam-auth-disabled", "policy-no-allow", "scp-deny"] {
        ensure!(
            !run.codes().iter().any(|c| c == code),
            "{code} was ruled out by the AWS steps: {:?}",
            run.codes()
        );
    }
    ensure!(logins_attempted(&seeded.server) == 1);
    Ok(())
}

#[test]
fn expiry_of_temporary_signing_credentials_is_reported() -> Result<()> {
    // A profile whose credential_process hands out the role's temporary credentials with an
    // Expiration, as SSO and assumed-role profiles do: the identity step says when they end.
    let seeded = seed("good", None)?;
    let dir = tempfile::tempdir()?;
    let expiration = aws_smithy_types::DateTime::from(
        std::time::SystemTime::now() + std::time::Duration::from_secs(3600),
    )
    .fmt(aws_smithy_types::date_time::Format::DateTime)?;
    let process_output = serde_json::json!({
        "Version": 1,
        "AccessKeyId": seeded.fact("access_key_id")?,
        "SecretAccessKey": seeded.fact("secret_access_key")?,
        "SessionToken": seeded.fact("session_token")?,
        "Expiration": expiration,
    });
    let creds_file = dir.path().join("creds.json");
    std::fs::write(&creds_file, process_output.to_string())?;
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!(
            "[profile dba]\nregion = us-east-1\ncredential_process = cat {}\n",
            creds_file.display()
        ),
    )?;
    let endpoint = seeded.fact("endpoint")?;
    let out = support::cli::rdsiam()
        .env("PATH", "/usr/bin:/bin")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", seeded.moto.endpoint())
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("absent"))
        .args(["doctor", "--format", "json", "--profile", "dba"])
        .args(["--host", &endpoint, "--hostaddr", "127.0.0.1"])
        .args(["--port", &seeded.server.port().to_string()])
        .args(["--user", roles::IAM_USER, "--dbname", roles::DATABASE])
        .arg("--sslrootcert")
        .arg(seeded.server.ca_cert_path())
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&stdout)
        .with_context(|| format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))?;
    ensure!(json["ok"] == true, "{stdout}");
    let identity = json["steps"][0].to_string();
    ensure!(
        identity.contains("signing credentials expire at") && identity.contains("min left"),
        "{identity}"
    );
    Ok(())
}

#[test]
fn client_token_for_the_tunnel_port_is_named_against_the_port_rds_reports() -> Result<()> {
    // The client signs for the tunnel's local port; RDS (moto) reports 5432 for the endpoint.
    // The doctor compares the token with RDS's port, names the difference on line 1, and a
    // token it signs for RDS's port logs in through the same tunnel.
    let seeded = seed("good", None)?;
    let endpoint = seeded.fact("endpoint")?;
    let local_port = seeded.server.port();
    let client_token = seeded
        .server
        .token_request(roles::IAM_USER)
        .host(&endpoint)
        .port(local_port)
        .credentials(TestCredentials {
            access_key_id: seeded.fact("access_key_id")?,
            secret_access_key: seeded.fact("secret_access_key")?,
            session_token: Some(seeded.fact("session_token")?),
        })
        .mint()?;
    let out = support::cli::rdsiam()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", seeded.moto.endpoint())
        .env("AWS_ACCESS_KEY_ID", seeded.fact("access_key_id")?)
        .env("AWS_SECRET_ACCESS_KEY", seeded.fact("secret_access_key")?)
        .env("AWS_SESSION_TOKEN", seeded.fact("session_token")?)
        .env("PGPASSWORD", &client_token)
        .args(["doctor", "--region", "us-east-1", "--connect-timeout", "5s"])
        .args(["--host", &endpoint, "--hostaddr", "127.0.0.1"])
        .args(["--port", &local_port.to_string()])
        .args(["--user", roles::IAM_USER, "--dbname", roles::DATABASE])
        .arg("--sslrootcert")
        .arg(seeded.server.ca_cert_path())
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    ensure!(out.status.code() == Some(1), "{stdout}");
    let first = stdout.lines().next().unwrap_or_default();
    // Wrapped lines and shell continuations undone.
    let flat = stdout
        .replace(" \\\n", " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    ensure!(
        first == "✗ token-host-mismatch: a fresh token works: the client's token is the problem",
        "{stdout}"
    );
    ensure!(
        stdout.contains(&format!(
            "    port    {local_port} ≠ needed {MOTO_POSTGRES_PORT}"
        )),
        "{stdout}"
    );
    ensure!(
        flat.contains(&format!(
            "but RDS reports the endpoint {endpoint}:{MOTO_POSTGRES_PORT}"
        )),
        "{stdout}"
    );
    ensure!(
        flat.contains(&format!(
            "--port {MOTO_POSTGRES_PORT} --username {}",
            roles::IAM_USER
        )),
        "the fix signs for RDS's port:\n{stdout}"
    );
    ensure!(!stdout.contains(&seeded.fact("session_token")?));
    Ok(())
}

/// The policy causes' fix, run as printed with the real AWS CLI against moto: the doctor,
/// run again, finds the grant, logs in (the harness lets the key in as any user; IAM's
/// answer is moto's, read by the doctor's own steps) and exits 0.
#[test]
fn policy_fixes_run_with_the_aws_cli_make_the_login_work() -> Result<()> {
    let mut proven = Vec::new();
    for (variant, code) in [
        ("no-allow", "policy-no-allow"),
        ("wrong-resource-id", "policy-resource-mismatch"),
    ] {
        let seeded = seed(variant, None)?;
        let run = doctor(&seeded, &[])?;
        ensure!(run.code == 1, "exit {}:\n{}", run.code, run.output);
        run.first_cause(code)?;
        let fix = run.json["verdict"]["fixes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["kind"] == "aws-cli")
            .and_then(|f| f["command"].as_str())
            .with_context(|| format!("no aws-cli fix in the verdict:\n{}", run.output))?;
        let endpoint = seeded.moto.endpoint();
        AwsCli::new(&endpoint, moto::env_for(&endpoint))?.run(fix)?;
        let after = doctor(&seeded, &[])?;
        ensure!(
            after.code == 0 && !after.codes().iter().any(|c| c == code),
            "after the fix of {code} ({fix}): exit {}, causes {:?}:\n{}",
            after.code,
            after.codes(),
            after.output
        );
        proven.push(code);
    }
    ensure!(proven == fix_proof::PROVEN_DOCTOR_AWS, "{proven:?}");
    Ok(())
}
