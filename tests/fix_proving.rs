//! Every fix proven by applying it. For each finding whose rule's fix is an AWS CLI command
//! or SQL, the test takes the fix exactly as rdsiam rendered it, *runs it* — the real AWS
//! CLI (`.venv/bin/aws --endpoint-url <moto>`, through `bash` so the shell quoting is the
//! one a user pastes) or `psql` as the master user on the RDS-like PostgreSQL harness —,
//! re-collects live (moto; `--db` against the harness), re-audits, and asserts that the
//! finding is gone and that no finding appeared that was not there before (fingerprints:
//! re-collecting must not move them either).
//!
//! rdsiam itself stays read-only: the test applies the fixes, never rdsiam. Rules whose fix
//! cannot be proven here say why in their TOML (`fix_proof`); `fix_proofs_are_listed`
//! prints them, and tests/rules_meta.rs checks that every command fix is either proven here
//! (tests/support/fix_proof.rs) or explained. Needs moto, awscli, root, PostgreSQL and the
//! PAM module (`scripts/test.sh`); never skips.

mod support;

#[path = "support/fix_proof.rs"]
mod fix_proof;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;
use support::aws_cli::AwsCli;
use support::moto::{self, MotoServer};
use support::pg_harness::{HarnessOptions, KnownKey, RdsLikePostgres, TestCredentials, roles};

const REGIONS: &str = "us-east-1,us-west-2,eu-west-1";

/// A report's findings by fingerprint.
fn findings(report: &Value) -> Result<BTreeMap<String, Value>> {
    let list = report["findings"]
        .as_array()
        .context("report has findings")?;
    let mut map = BTreeMap::new();
    for finding in list {
        let fingerprint = finding["fingerprint"].as_str().context("fingerprint")?;
        ensure!(
            map.insert(fingerprint.to_owned(), finding.clone())
                .is_none(),
            "two findings share fingerprint {fingerprint}"
        );
    }
    Ok(map)
}

fn describe(finding: &Value) -> String {
    format!(
        "{} on {}{}",
        finding["rule"].as_str().unwrap_or("?"),
        finding["resource"]["arn"].as_str().unwrap_or("?"),
        finding["resource"]["db_user"]
            .as_str()
            .map(|u| format!(" as {u}"))
            .unwrap_or_default()
    )
}

/// Rules whose TOML says the fix cannot be proven here at all.
fn unprovable() -> BTreeSet<String> {
    rdsiam::rules::catalogue()
        .iter()
        .filter(|meta| {
            meta.fix_proof
                .as_deref()
                .is_some_and(|p| p.starts_with("not provable here"))
        })
        .map(|meta| meta.id.clone())
        .collect()
}

/// Applies, one at a time, the fix of every finding that `pick` selects; after each, audits
/// again and checks that the finding is gone and nothing new appeared. Returns the rules
/// proven.
fn prove_each(
    mut report: Value,
    order: &[&str],
    pick: impl Fn(&Value) -> Option<String>,
    apply: impl Fn(&str) -> Result<()>,
    audit: impl Fn() -> Result<Value>,
) -> Result<BTreeSet<String>> {
    let mut tried = BTreeSet::new();
    let mut proven = BTreeSet::new();
    loop {
        let before = findings(&report)?;
        // In `order`'s rule order: one fix can clear another rule's finding too (revoking
        // rds_iam from a password user also ends it being an orphan), and each rule must
        // be proven by its own fix.
        let rank = |finding: &Value| {
            let rule = finding["rule"].as_str().unwrap_or_default();
            order.iter().position(|r| *r == rule).unwrap_or(order.len())
        };
        let next = before
            .iter()
            .filter(|(fingerprint, _)| !tried.contains(*fingerprint))
            .filter_map(|(fingerprint, finding)| Some((fingerprint, finding, pick(finding)?)))
            .min_by_key(|(_, finding, _)| rank(finding));
        let Some((fingerprint, finding, fix)) = next else {
            return Ok(proven);
        };
        tried.insert(fingerprint.clone());
        apply(&fix).with_context(|| format!("applying the fix of {}", describe(finding)))?;
        let after_report = audit()?;
        let after = findings(&after_report)?;
        ensure!(
            !after.contains_key(fingerprint),
            "the fix of {} did not clear it:\n{fix}\n--- finding after:\n{:#}",
            describe(finding),
            after[fingerprint]
        );
        let new: Vec<String> = after
            .iter()
            .filter(|(fp, _)| !before.contains_key(*fp))
            .map(|(fp, f)| format!("{fp} {}: {}", describe(f), f["message"]))
            .collect();
        ensure!(
            new.is_empty(),
            "after the fix of {}:\n{fix}\nnew findings appeared:\n{}",
            describe(finding),
            new.join("\n")
        );
        proven.insert(finding["rule"].as_str().unwrap_or_default().to_owned());
        report = after_report;
    }
}

fn assert_proved(proven: &BTreeSet<String>, expected: &[&str]) -> Result<()> {
    let missing: Vec<&&str> = expected.iter().filter(|r| !proven.contains(**r)).collect();
    ensure!(
        missing.is_empty(),
        "no fix proven for {missing:?} (proven: {proven:?})"
    );
    Ok(())
}

fn read_json(path: &Path) -> Result<Value> {
    serde_json::from_slice(&std::fs::read(path)?)
        .with_context(|| format!("{} is not JSON", path.display()))
}

/// `rdsiam audit` (live) with `extra` arguments; the JSON report.
fn live_audit(env: &[(&'static str, String)], extra: &[String], dir: &Path) -> Result<Value> {
    let report = dir.join("report.json");
    let out = support::cli::rdsiam()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("AWS_MAX_ATTEMPTS", "1")
        .args([
            "audit",
            "--format",
            "json",
            "--fail-on",
            "critical",
            "--output",
        ])
        .arg(&report)
        .args(extra)
        .output()?;
    // 1 = a critical finding (the scenarios have some); 2 and up = the audit failed.
    ensure!(
        matches!(out.status.code(), Some(0 | 1)),
        "rdsiam audit failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    read_json(&report)
}

/// AWS CLI fixes on moto's single-account scenario (every kind of rds-db ARN drift in one
/// managed policy, an inline-policy drift, IAM auth off on a granted instance, force_ssl off,
/// the error log not exported).
#[test]
fn aws_cli_fixes_clear_their_findings_on_moto() -> Result<()> {
    let server = MotoServer::start()?;
    let seeded = server.seed("single", &[])?;
    let account = seeded["account"].as_str().context("account")?.to_owned();
    let legacy = seeded["legacy_db"]["resource_id"]
        .as_str()
        .context("legacy id")?
        .to_owned();
    let env = server.env();
    let cli = AwsCli::new(&server.endpoint(), env.clone())?;
    // Setup (not fixes): a grant on the IAM-off instance legacy-db, and a drift inside an
    // inline role policy, so the put-role-policy form of the policy fix is exercised too.
    cli.run(&format!(
        "aws iam put-role-policy --role-name reports-role --policy-name legacy-and-drift --policy-document '{}'",
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "rds-db:connect",
                 "Resource": format!("arn:aws:rds-db:eu-west-1:{account}:dbuser:{legacy}/reporter")},
                {"Effect": "Allow", "Action": "rds-db:connect",
                 "Resource": format!("arn:aws:rds-db:us-east-1:{account}:dbuser:orders-db/inline_user")},
            ]
        })
    ))?;
    let dir = tempfile::tempdir()?;
    let extra = vec!["--regions".to_owned(), REGIONS.to_owned()];
    let audit = || live_audit(&env, &extra, dir.path());
    let unprovable = unprovable();
    let pick = |finding: &Value| {
        let rule = finding["rule"].as_str()?;
        if unprovable.contains(rule) {
            return None;
        }
        // On a cluster moto ignores both the IAM flag and the log exports of ModifyDBCluster
        // (the rules' fix_proof).
        if ["iam-auth-disabled", "iam-auth-error-log-not-exported"].contains(&rule)
            && finding["resource"]["kind"] == "db-cluster"
        {
            return None;
        }
        finding["fix"]["aws_cli"].as_str().map(str::to_owned)
    };
    let apply = |fix: &str| -> Result<()> {
        prune_policy_versions(&cli, fix)?;
        cli.run(fix).map(drop)
    };
    let proven = prove_each(audit()?, fix_proof::PROVEN_AWS, pick, apply, audit)?;
    assert_proved(&proven, fix_proof::PROVEN_AWS)
}

/// IAM keeps at most five versions of a managed policy, and the ARN fixes of one policy
/// are applied one after another here: delete the non-default versions first (a step a user
/// with five versions takes too; `create-policy-version` says LimitExceeded otherwise).
fn prune_policy_versions(cli: &AwsCli, fix: &str) -> Result<()> {
    let Some(rest) = fix.split("create-policy-version --policy-arn ").nth(1) else {
        return Ok(());
    };
    let arn = rest.split_whitespace().next().unwrap_or_default();
    let versions = cli.run(&format!(
        "aws iam list-policy-versions --policy-arn {arn} --query 'Versions[?!IsDefaultVersion].VersionId' --output text"
    ))?;
    for version in versions.split_whitespace() {
        cli.run(&format!(
            "aws iam delete-policy-version --policy-arn {arn} --version-id {version}"
        ))?;
    }
    Ok(())
}

/// SQL fixes on the RDS-like PostgreSQL harness behind moto's `mydb` (IAM on), reached with
/// `collect --db`: grants (set up with the AWS CLI) to a missing role, to a LOGIN role
/// outside `rds_iam`, to a NOLOGIN `rds_iam` role, to a password user put in `rds_iam`, to a
/// superuser-like role, and `rds_iam` on the master user; `iam_app` is an `rds_iam` role nobody
/// is granted (orphan).
#[test]
fn sql_fixes_clear_their_findings_on_the_harness() -> Result<()> {
    let moto_server = MotoServer::start()?;
    let facts = moto_server.seed("doctor", &["good"])?;
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
        ..HarnessOptions::default()
    })?;
    let mut env = moto::env_for(&moto_server.endpoint());
    let cli = AwsCli::new(&moto_server.endpoint(), env.clone())?;
    let connect = |user: &str| {
        format!(
            "arn:aws:rds-db:us-east-1:{}:dbuser:{}/{user}",
            text("account"),
            text("resource_id")
        )
    };
    let grants: Vec<String> = [
        "ghost_user",
        roles::NO_IAM_USER,
        roles::IAM_NOLOGIN,
        roles::PASSWORD_USER,
        "iam_admin",
    ]
    .iter()
    .map(|u| connect(u))
    .collect();
    cli.run(&format!(
        "aws iam put-role-policy --role-name pg-login --policy-name more-users --policy-document '{}'",
        serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "rds-db:connect", "Resource": grants}
        ]})
    ))?;
    server.admin_sql(
        "GRANT rds_iam TO app_password, postgres; CREATE ROLE iam_admin LOGIN IN ROLE rds_iam, rds_superuser;",
    )?;
    let mut master = server.conn(roles::MASTER).password(roles::MASTER_PASSWORD);
    master.host = endpoint.clone();
    master.dbname = Some(roles::DATABASE.into());
    // rdsiam collects as the seeded role's session (its token is what the harness knows).
    env.retain(|(k, _)| !k.starts_with("AWS_ACCESS") && !k.starts_with("AWS_SECRET"));
    env.push(("AWS_ACCESS_KEY_ID", text("access_key_id")));
    env.push(("AWS_SECRET_ACCESS_KEY", text("secret_access_key")));
    env.push(("AWS_SESSION_TOKEN", text("session_token")));
    let conninfo = format!(
        "host={endpoint} hostaddr=127.0.0.1 port={} user={} dbname={} sslmode=verify-full sslrootcert={}",
        server.port(),
        roles::IAM_USER,
        roles::DATABASE,
        server.ca_cert_path().display()
    );
    let dir = tempfile::tempdir()?;
    let extra = vec![
        "--region".to_owned(),
        "us-east-1".to_owned(),
        "--db".to_owned(),
        conninfo,
    ];
    let audit = || live_audit(&env, &extra, dir.path());
    let unprovable = unprovable();
    let pick = |finding: &Value| {
        let rule = finding["rule"].as_str()?;
        if unprovable.contains(rule) {
            return None;
        }
        finding["fix"]["sql"].as_str().map(str::to_owned)
    };
    let master_revoke = format!("REVOKE rds_iam FROM {};", roles::MASTER);
    let apply = |sql: &str| -> Result<()> {
        if sql.trim() == master_revoke {
            // The defect itself locks the master out: in rds_iam, PAM refuses its password,
            // as RDS does. This one fix runs as the bootstrap superuser (on RDS: another
            // rds_superuser member, or the master with an IAM token).
            server.admin_sql(sql)?;
            return Ok(());
        }
        let out = server.psql(&master, sql)?;
        if !out.success {
            bail!("psql as the master user failed:\n{sql}\n{}", out.stderr);
        }
        Ok(())
    };
    let first = audit()?;
    // rdsadmin is the harness's (and RDS's) bootstrap superuser: `pg_has_role` says a
    // superuser is a member of every role, and the collector once read membership that way,
    // so rules reported rdsadmin "in" rds_iam. Nobody granted it anything: no finding.
    let on_admin: Vec<String> = findings(&first)?
        .values()
        .filter(|f| f["resource"]["db_user"] == roles::ADMIN)
        .map(describe)
        .collect();
    ensure!(
        on_admin.is_empty(),
        "findings on {} (a superuser nobody granted rds_iam): {on_admin:?}",
        roles::ADMIN
    );
    let proven = prove_each(first, fix_proof::PROVEN_SQL, pick, apply, audit)?;
    assert_proved(&proven, fix_proof::PROVEN_SQL)
}

/// The rules whose fixes are not proven here, and why (their TOML `fix_proof`): printed so a
/// CI log shows the list, and checked to be exactly the command fixes not in the proven lists.
#[test]
fn fix_proofs_are_listed() {
    let proven: BTreeSet<&str> = fix_proof::all_proven().collect();
    let mut listed = Vec::new();
    for meta in rdsiam::rules::catalogue() {
        if let Some(why) = &meta.fix_proof {
            listed.push(format!("{}: {why}", meta.id));
            assert!(
                !proven.contains(meta.id.as_str()) || why.starts_with("partly proven"),
                "{} is proven here yet its fix_proof says: {why}",
                meta.id
            );
        }
    }
    println!(
        "fixes not (fully) proven by applying them:\n{}",
        listed.join("\n")
    );
    assert!(!listed.is_empty());
}
