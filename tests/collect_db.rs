//! `rdsiam collect --db CONNINFO` and live `rdsiam audit --db`: the AWS collection (moto)
//! finds the instance, the `--db` connection (the RDS-like PostgreSQL harness, reached with
//! `hostaddr` under the instance's real endpoint name) is introspected with an IAM token that
//! rdsiam signs itself, and the facts land in the snapshot under that instance. Needs moto,
//! root, PostgreSQL and the PAM module (`scripts/test.sh`).

mod support;

use anyhow::{Context, Result, ensure};
use assert_cmd::Command;
use serde_json::Value;
use support::moto::MotoServer;
use support::pg_harness::{HarnessOptions, KnownKey, RdsLikePostgres, TestCredentials, roles};

struct World {
    moto: MotoServer,
    facts: Value,
    server: RdsLikePostgres,
}

impl World {
    fn start() -> Result<World> {
        let moto = MotoServer::start()?;
        let facts = moto.seed("doctor", &["good"])?;
        let text = |k: &str| facts[k].as_str().unwrap_or_default().to_owned();
        let server = RdsLikePostgres::start(HarnessOptions {
            tls_names: vec![text("endpoint")],
            endpoint_hosts: vec![text("endpoint")],
            keys: vec![KnownKey::any_user(TestCredentials {
                access_key_id: text("access_key_id"),
                secret_access_key: text("secret_access_key"),
                session_token: Some(text("session_token")),
            })],
            ..HarnessOptions::default()
        })?;
        Ok(World {
            moto,
            facts,
            server,
        })
    }

    fn fact(&self, k: &str) -> String {
        self.facts[k].as_str().unwrap_or_default().to_owned()
    }

    fn conninfo(&self, host: &str) -> String {
        format!(
            "host={host} hostaddr=127.0.0.1 port={} user={} dbname={} sslmode=verify-full sslrootcert={}",
            self.server.port(),
            roles::IAM_USER,
            roles::DATABASE,
            self.server.ca_cert_path().display()
        )
    }

    fn rdsiam(&self) -> Command {
        let mut cmd = support::cli::rdsiam();
        cmd.env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", self.fact("access_key_id"))
            .env("AWS_SECRET_ACCESS_KEY", self.fact("secret_access_key"))
            .env("AWS_SESSION_TOKEN", self.fact("session_token"))
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", self.moto.endpoint());
        cmd
    }
}

#[test]
fn collect_db_reads_roles_into_the_snapshot_with_an_iam_token() -> Result<()> {
    let world = World::start()?;
    let dir = tempfile::tempdir()?;
    let snapshot = dir.path().join("snap.json");
    let out = world
        .rdsiam()
        .args(["collect", "--region", "us-east-1", "--db"])
        .arg(world.conninfo(&world.fact("endpoint")))
        .arg("--output")
        .arg(&snapshot)
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(out.status.success(), "collect failed:\n{stderr}");
    ensure!(stderr.contains("read 1 database(s)"), "{stderr}");
    let inventory: Value = serde_json::from_slice(&std::fs::read(&snapshot)?)?;
    let database = &inventory["databases"][0];
    ensure!(
        database["target"]["identifier"] == "mydb" && database["target"]["kind"] == "instance",
        "{database}"
    );
    let role = database["roles"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == roles::IAM_USER))
        .context("pgmonitor not among the roles")?;
    ensure!(role["rds_iam"] == "direct", "{role}");
    ensure!(
        database["database_names"]
            .as_array()
            .is_some_and(|d| d.iter().any(|n| n == roles::DATABASE)),
        "{database}"
    );
    // The token was really checked by the harness verifier (PAM), and accepted.
    let decisions = world.server.verifier_decisions()?;
    ensure!(
        decisions
            .iter()
            .any(|d| d.decision == "allow" || d.reason == "ok"),
        "{decisions:?}"
    );
    Ok(())
}

#[test]
fn unknown_db_host_is_a_coverage_gap_and_audit_reports_it() -> Result<()> {
    let world = World::start()?;
    let out = world
        .rdsiam()
        .args(["audit", "--region", "us-east-1", "--format", "json", "--db"])
        .arg(world.conninfo("other.aaaaaaaaaa.us-east-1.rds.amazonaws.com"))
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        stderr.contains("is not the endpoint of any collected"),
        "{stderr}"
    );
    let report: Value = serde_json::from_str(&stdout).with_context(|| format!("{stderr}"))?;
    ensure!(
        report.to_string().contains("postgres:introspect"),
        "the gap is in the report: {stdout}"
    );
    Ok(())
}

#[test]
fn bad_conninfo_is_a_usage_error_naming_the_flag() -> Result<()> {
    let out = support::cli::rdsiam()
        .args([
            "collect",
            "--output",
            "/tmp/never.json",
            "--db",
            "host='unterminated",
        ])
        .output()?;
    ensure!(out.status.code() == Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(stderr.contains("--db"), "{stderr}");
    Ok(())
}
