//! `collect::postgres::introspect` against the RDS-like PostgreSQL harness: roles, LOGIN,
//! direct and inherited `rds_iam`, superuser-like roles, the master user and database names,
//! read over verified TLS with a token. Needs what tests/pg_harness.rs needs.

mod support;

use std::time::Duration;

use anyhow::{Context, Result, anyhow, ensure};
use rdsiam::collect::postgres::{STATEMENTS, introspect_blocking};
use rdsiam::inventory::{DbTarget, DbTargetKind, Membership};
use rdsiam::pg::params::{ConnParams, ParamSource};
use support::pg_harness::{RDS_HOST_NAME, RdsLikePostgres, roles};

fn target() -> DbTarget {
    DbTarget {
        account: "111122223333".into(),
        region: "us-east-1".into(),
        kind: DbTargetKind::Instance,
        identifier: "mydb".into(),
    }
}

fn params(server: &RdsLikePostgres, token: &str) -> Result<ConnParams> {
    let conninfo = format!(
        "host={RDS_HOST_NAME} hostaddr=127.0.0.1 port={} user={} dbname={} sslmode=verify-full sslrootcert={}",
        server.port(),
        roles::IAM_USER,
        roles::DATABASE,
        server.ca_cert_path().display()
    );
    let mut source = ParamSource::parse_conninfo(&conninfo).map_err(|e| anyhow!(e))?;
    source.password = Some(token.to_owned());
    ConnParams::resolve(source).map_err(|e| anyhow!(e))
}

#[test]
fn introspection_reads_roles_memberships_and_databases() -> Result<()> {
    let server = RdsLikePostgres::shared()?;
    // Inherited rds_iam: a login role that gets rds_iam through a group (names unique to this
    // test binary, additive only).
    server.admin_sql(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'collect_iam_group') THEN \
         CREATE ROLE collect_iam_group NOLOGIN IN ROLE rds_iam; \
         CREATE ROLE collect_inherited LOGIN IN ROLE collect_iam_group; END IF; END $$",
    )?;
    let token = server.token_request(roles::IAM_USER).mint()?;
    let facts = introspect_blocking(
        &params(server, &token)?,
        target(),
        None,
        Duration::from_secs(5),
    )
    .map_err(|e| anyhow!(e))?;
    let db = &facts.database;
    let role = |name: &str| {
        db.role(name)
            .with_context(|| format!("role {name} not read: {:?}", db.roles))
    };
    ensure!(
        role(roles::IAM_USER)?.rds_iam == Membership::Direct && role(roles::IAM_USER)?.can_login
    );
    ensure!(
        role(roles::IAM_NOLOGIN)?.rds_iam == Membership::Direct
            && !role(roles::IAM_NOLOGIN)?.can_login
    );
    ensure!(role("collect_inherited")?.rds_iam == Membership::Inherited);
    ensure!(role(roles::PASSWORD_USER)?.rds_iam == Membership::No);
    // A superuser is a member of every role for `pg_has_role`; membership is read from the
    // grants, so RDS's own rdsadmin is not "in" rds_iam (it was a false positive).
    let admin = role(roles::ADMIN)?;
    ensure!(
        admin.superuser_like && admin.rds_iam == Membership::No,
        "rdsadmin: {admin:?}"
    );
    ensure!(
        role(roles::MASTER)?.superuser_like,
        "master is in rds_superuser"
    );
    ensure!(!role(roles::IAM_USER)?.superuser_like);
    ensure!(
        role("rds_iam")?.rds_iam == Membership::No,
        "rds_iam is not its own member"
    );
    ensure!(
        db.master_username == roles::MASTER,
        "master guessed as {:?}",
        db.master_username
    );
    ensure!(
        db.database_names.iter().any(|d| d == roles::DATABASE),
        "{:?}",
        db.database_names
    );
    ensure!(
        db.roles.iter().all(|r| !r.name.starts_with("pg_")),
        "system roles included"
    );
    // pgmonitor cannot read pg_authid: noted, not fatal.
    ensure!(
        facts.notes.iter().any(|n| n.contains("pg_authid")),
        "{:?}",
        facts.notes
    );
    Ok(())
}

#[test]
fn master_user_with_a_scram_password_reads_passwords_too() -> Result<()> {
    let server = RdsLikePostgres::shared()?;
    let mut params = params(server, roles::MASTER_PASSWORD)?;
    params.user = roles::MASTER.into();
    let facts = introspect_blocking(
        &params,
        target(),
        Some(roles::MASTER),
        Duration::from_secs(5),
    )
    .map_err(|e| anyhow!(e))?;
    let db = &facts.database;
    ensure!(db.master_username == roles::MASTER);
    ensure!(db.role(roles::PASSWORD_USER).is_some_and(|r| r.can_login));
    // postgres is not a superuser (like RDS's master): pg_authid stays unreadable.
    ensure!(
        facts.notes.iter().any(|n| n.contains("pg_authid")),
        "{:?}",
        facts.notes
    );
    let mut wrong = params.clone();
    wrong.password = Some("not-the-password".into());
    let err = introspect_blocking(&wrong, target(), None, Duration::from_secs(5))
        .err()
        .context("wrong password accepted")?;
    ensure!(err.contains("password authentication failed"), "{err}");
    Ok(())
}

#[test]
fn collector_statements_are_read_only() {
    for sql in STATEMENTS.iter().chain(rdsiam::pg::DOCTOR_STATEMENTS) {
        let upper = sql.to_ascii_uppercase();
        assert!(
            // A recursive query that only reads (the grant chain of role memberships); a
            // data-modifying CTE would hold one of the words refused below.
            upper.starts_with("SELECT ")
                || upper.starts_with("WITH RECURSIVE ")
                || upper == "BEGIN TRANSACTION READ ONLY"
                || upper == "ROLLBACK",
            "not a read-only statement: {sql}"
        );
        for word in [
            "INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "DROP", "GRANT", "REVOKE", "SET ",
        ] {
            assert!(!upper.contains(word), "{word} in {sql}");
        }
    }
}

#[test]
fn wrong_token_is_an_error_that_points_at_the_doctor() -> Result<()> {
    let server = RdsLikePostgres::shared()?;
    let token = server.token_request(roles::IAM_USER_2).mint()?;
    let err = introspect_blocking(
        &params(server, &token)?,
        target(),
        None,
        Duration::from_secs(5),
    )
    .err()
    .context("login with another user's token succeeded")?;
    ensure!(err.contains("rdsiam doctor"), "{err}");
    ensure!(
        !err.contains("X-Amz-Signature"),
        "error shows the token: {err}"
    );
    Ok(())
}
