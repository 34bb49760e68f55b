//! Self-tests of the RDS-like PostgreSQL harness, with the real `psql` client and real tokens
//! from botocore. Each refusal is asserted twice: the exact client text (FAILURES.md) and the
//! verifier's reason, so a token refused for the wrong reason fails the test.
//!
//! Needs root, PostgreSQL 15 binaries, cc + libpam0g-dev, openssl and `.venv` with boto3
//! (`scripts/test.sh` provides all of them); without them every test fails saying what is
//! missing.

mod support;

use anyhow::{Result, ensure};
use support::pg_harness::{
    ConnParams, HarnessOptions, KnownKey, RDS_HOST_NAME, RdsLikePostgres, TestCredentials, roles,
};

fn server() -> Result<&'static RdsLikePostgres> {
    RdsLikePostgres::shared()
}

/// Connects and expects the server's `FATAL:  message` as psql's first error line.
fn assert_refused(server: &RdsLikePostgres, conn: &ConnParams, message: &str) -> Result<()> {
    let out = server.psql(conn, "select 1")?;
    let expected = server.expected_fatal(conn, message);
    ensure!(!out.success, "connection unexpectedly succeeded: {out:?}");
    ensure!(
        out.first_stderr_line() == expected,
        "expected first line\n  {expected}\ngot stderr\n  {}",
        out.stderr
    );
    Ok(())
}

/// A token refused by the verifier for `reason`, seen by the client as a PAM failure.
fn assert_pam_refused(
    server: &RdsLikePostgres,
    user: &str,
    token: &str,
    reason: &str,
) -> Result<()> {
    let conn = server.conn(user).password(token);
    assert_refused(
        server,
        &conn,
        &format!("PAM authentication failed for user \"{user}\""),
    )?;
    let decision = server.verifier_decision_for(token)?;
    ensure!(
        decision.decision == "reject" && decision.reason == reason && decision.user == user,
        "expected reject/{reason} for {user}, verifier said {decision:?}"
    );
    Ok(())
}

#[test]
fn good_token_over_verify_full_with_hostaddr_logs_in() -> Result<()> {
    let server = server()?;
    let token = server.token_request(roles::IAM_USER).mint()?;
    let conn = server.conn(roles::IAM_USER).password(&token);
    ensure!(conn.host == RDS_HOST_NAME && conn.hostaddr.as_deref() == Some("127.0.0.1"));
    ensure!(conn.sslmode == "verify-full");

    let out = server.psql(&conn, "select current_user")?;
    ensure!(out.success, "login failed: {out:?}");
    ensure!(
        out.stdout.trim() == roles::IAM_USER,
        "current_user: {out:?}"
    );
    let decision = server.verifier_decision_for(&token)?;
    ensure!(decision.decision == "accept", "{decision:?}");
    ensure!(decision.access_key_id.as_deref() == Some("AKIAIOSFODNN7EXAMPLE"));
    ensure!(decision.token_length == token.len(), "{decision:?}");
    Ok(())
}

#[test]
fn long_token_with_session_token_logs_in_whole() -> Result<()> {
    let server = server()?;
    let token = server
        .token_request(roles::IAM_USER)
        .credentials(TestCredentials::temporary())
        .mint()?;
    ensure!(token.contains("X-Amz-Security-Token="), "{token}");
    // pam_exec would cut this at 511 bytes and the signature check would fail.
    ensure!(token.len() > 1024, "token only {} bytes", token.len());

    let out = server.psql(
        &server.conn(roles::IAM_USER).password(&token),
        "select current_user",
    )?;
    ensure!(
        out.success && out.stdout.trim() == roles::IAM_USER,
        "{out:?}"
    );
    let decision = server.verifier_decision_for(&token)?;
    ensure!(
        decision.token_length == token.len(),
        "verifier got {decision:?}"
    );
    ensure!(decision.access_key_id.as_deref() == Some("ASIAIOSFODNN7EXAMPLE"));
    Ok(())
}

#[test]
fn expired_token_is_refused() -> Result<()> {
    let server = server()?;
    // Signed 16 min 40 s ago, valid 15 min: a token reused from a cache or a pool.
    let token = server
        .token_request(roles::IAM_USER)
        .signed_offset_seconds(-1000)
        .mint()?;
    assert_pam_refused(server, roles::IAM_USER, &token, "expired")
}

#[test]
fn token_dated_in_the_future_is_refused() -> Result<()> {
    let server = server()?;
    // The signing host's clock runs an hour fast.
    let token = server
        .token_request(roles::IAM_USER)
        .signed_offset_seconds(3600)
        .mint()?;
    assert_pam_refused(server, roles::IAM_USER, &token, "future-date")
}

#[test]
fn token_valid_longer_than_900_seconds_is_refused() -> Result<()> {
    let server = server()?;
    let token = server
        .token_request(roles::IAM_USER)
        .expires_in(3600)
        .mint()?;
    ensure!(token.contains("X-Amz-Expires=3600"), "{token}");
    assert_pam_refused(server, roles::IAM_USER, &token, "expires-range")
}

#[test]
fn token_for_another_user_is_refused() -> Result<()> {
    let server = server()?;
    let token = server.token_request(roles::IAM_USER_2).mint()?;
    assert_pam_refused(server, roles::IAM_USER, &token, "dbuser-mismatch")
}

#[test]
fn token_signed_for_localhost_is_refused() -> Result<()> {
    let server = server()?;
    // The tunnel mistake: signed for the local end of a port forward, not the endpoint.
    let token = server
        .token_request(roles::IAM_USER)
        .host("localhost")
        .mint()?;
    assert_pam_refused(server, roles::IAM_USER, &token, "endpoint")
}

#[test]
fn token_signed_for_another_port_is_refused() -> Result<()> {
    let server = server()?;
    let token = server
        .token_request(roles::IAM_USER)
        .port(server.port().wrapping_add(1))
        .mint()?;
    assert_pam_refused(server, roles::IAM_USER, &token, "endpoint")
}

#[test]
fn token_for_another_region_is_refused() -> Result<()> {
    let server = server()?;
    let token = server
        .token_request(roles::IAM_USER)
        .region("us-west-2")
        .mint()?;
    ensure!(token.contains("%2Fus-west-2%2Frds-db%2F"), "{token}");
    assert_pam_refused(server, roles::IAM_USER, &token, "scope-region")
}

#[test]
fn token_signed_with_the_wrong_secret_is_refused() -> Result<()> {
    let server = server()?;
    let token = server
        .token_request(roles::IAM_USER)
        .credentials(TestCredentials::wrong_secret())
        .mint()?;
    assert_pam_refused(server, roles::IAM_USER, &token, "signature")
}

#[test]
fn token_from_an_unknown_access_key_is_refused() -> Result<()> {
    let server = server()?;
    let token = server
        .token_request(roles::IAM_USER)
        .credentials(TestCredentials::unknown())
        .mint()?;
    assert_pam_refused(server, roles::IAM_USER, &token, "unknown-access-key")
}

#[test]
fn temporary_key_with_another_session_token_is_refused() -> Result<()> {
    let server = server()?;
    let mut stale = TestCredentials::temporary();
    stale.session_token = Some("IQoJb3JpZ2luX2VjEXAMPLE/an-older-session".repeat(20));
    let token = server
        .token_request(roles::IAM_USER)
        .credentials(stale)
        .mint()?;
    assert_pam_refused(server, roles::IAM_USER, &token, "session-token")
}

#[test]
fn connect_policy_map_limits_users_per_key() -> Result<()> {
    let server = server()?;
    let restricted = |user| {
        server
            .token_request(user)
            .credentials(TestCredentials::restricted())
            .mint()
    };
    let allowed = restricted(roles::IAM_USER)?;
    let out = server.psql(&server.conn(roles::IAM_USER).password(&allowed), "select 1")?;
    ensure!(out.success, "the policy allows pgmonitor: {out:?}");

    let denied = restricted(roles::IAM_USER_2)?;
    assert_pam_refused(server, roles::IAM_USER_2, &denied, "not-authorized")
}

#[test]
fn user_outside_rds_iam_gets_password_failure_for_a_token() -> Result<()> {
    let server = server()?;
    for user in [roles::NO_IAM_USER, roles::PASSWORD_USER] {
        let token = server.token_request(user).mint()?;
        let conn = server.conn(user).password(&token);
        assert_refused(
            server,
            &conn,
            &format!("password authentication failed for user \"{user}\""),
        )?;
        // scram, not PAM: the verifier never saw this token.
        ensure!(
            server.verifier_decision_for(&token).is_err(),
            "token for {user} reached PAM"
        );
    }
    Ok(())
}

#[test]
fn password_user_and_master_log_in_with_passwords() -> Result<()> {
    let server = server()?;
    let conn = server
        .conn(roles::PASSWORD_USER)
        .password(roles::PASSWORD_USER_PASSWORD)
        .dbname(Some(roles::DATABASE));
    let out = server.psql(&conn, "select current_user || '@' || current_database()")?;
    ensure!(out.success, "{out:?}");
    ensure!(out.stdout.trim() == "app_password@appdb", "{out:?}");

    // The master user, like on RDS: not a superuser, a member of rds_superuser.
    let conn = server.conn(roles::MASTER).password(roles::MASTER_PASSWORD);
    let out = server.psql(
        &conn,
        "select rolsuper, pg_has_role('rds_superuser', 'member') from pg_roles where rolname = current_user",
    )?;
    ensure!(out.success && out.stdout.trim() == "f|t", "{out:?}");
    Ok(())
}

#[test]
fn verify_full_without_a_root_certificate_fails_before_sending_a_token() -> Result<()> {
    let server = server()?;
    let token = server.token_request(roles::IAM_USER).mint()?;
    let mut conn = server.conn(roles::IAM_USER).password(&token);
    conn.sslrootcert = None;
    let out = server.psql(&conn, "select 1")?;
    let expected = format!(
        "psql: error: {}root certificate file \"{}\" does not exist",
        conn.failure_prefix(),
        server.absent_root_cert_path().display()
    );
    ensure!(
        !out.success && out.first_stderr_line() == expected,
        "{out:?}"
    );
    ensure!(
        server.verifier_decision_for(&token).is_err(),
        "token was sent"
    );
    Ok(())
}

#[test]
fn iam_user_without_a_password_gets_fe_sendauth() -> Result<()> {
    let server = server()?;
    let conn = server.conn(roles::IAM_USER);
    let out = server.psql(&conn, "select 1")?;
    let expected = format!(
        "psql: error: {}fe_sendauth: no password supplied",
        conn.failure_prefix()
    );
    ensure!(
        !out.success && out.first_stderr_line() == expected,
        "{out:?}"
    );
    Ok(())
}

#[test]
fn connection_without_tls_has_no_pg_hba_entry() -> Result<()> {
    let server = server()?;
    // No password at all: the refusal comes before authentication.
    let conn = server.conn(roles::IAM_USER).sslmode("disable");
    assert_refused(
        server,
        &conn,
        "no pg_hba.conf entry for host \"127.0.0.1\", user \"pgmonitor\", database \"postgres\", no encryption",
    )
}

#[test]
fn sslmode_prefer_appends_a_no_encryption_line_after_the_real_error() -> Result<()> {
    let server = server()?;
    let token = server
        .token_request(roles::IAM_USER)
        .signed_offset_seconds(-1000)
        .mint()?;
    let conn = server
        .conn(roles::IAM_USER)
        .sslmode("prefer")
        .password(&token);
    let out = server.psql(&conn, "select 1")?;
    let lines: Vec<&str> = out.stderr.lines().collect();
    let real = server.expected_fatal(&conn, "PAM authentication failed for user \"pgmonitor\"");
    ensure!(lines.first() == Some(&real.as_str()), "{out:?}");
    let retry = format!(
        "{}FATAL:  no pg_hba.conf entry for host \"127.0.0.1\", user \"pgmonitor\", database \"postgres\", no encryption",
        conn.failure_prefix()
    );
    ensure!(lines.get(1) == Some(&retry.as_str()), "{out:?}");
    Ok(())
}

#[test]
fn nologin_role_with_a_good_token_is_not_permitted() -> Result<()> {
    let server = server()?;
    let token = server.token_request(roles::IAM_NOLOGIN).mint()?;
    let conn = server.conn(roles::IAM_NOLOGIN).password(&token);
    assert_refused(
        server,
        &conn,
        "role \"iam_nologin\" is not permitted to log in",
    )?;
    // Authentication itself succeeded: the LOGIN check comes after it.
    ensure!(server.verifier_decision_for(&token)?.decision == "accept");
    Ok(())
}

#[test]
fn missing_database_with_a_good_token_does_not_exist() -> Result<()> {
    let server = server()?;
    let token = server.token_request(roles::IAM_USER).mint()?;
    // No dbname: libpq defaults it to the user name, a database nobody created.
    let conn = server.conn(roles::IAM_USER).dbname(None).password(&token);
    assert_refused(server, &conn, "database \"pgmonitor\" does not exist")?;
    ensure!(server.verifier_decision_for(&token)?.decision == "accept");
    Ok(())
}

#[test]
fn verify_full_against_the_ip_address_fails_the_hostname_check() -> Result<()> {
    let server = server()?;
    let token = server.token_request(roles::IAM_USER).mint()?;
    let conn = server
        .conn(roles::IAM_USER)
        .host_only("127.0.0.1")
        .password(&token);
    let out = server.psql(&conn, "select 1")?;
    // "2 other names": the `localhost` SAN and the CN, which libpq also checks for an IP
    // host when the certificate has no IP SAN (RDS certificates have none either).
    let expected = format!(
        "psql: error: {}server certificate for \"{RDS_HOST_NAME}\" (and 2 other names) does not match host name \"127.0.0.1\"",
        conn.failure_prefix()
    );
    ensure!(
        !out.success && out.first_stderr_line() == expected,
        "{out:?}"
    );
    // The client gave up during the TLS handshake: no token was sent.
    ensure!(server.verifier_decision_for(&token).is_err());
    Ok(())
}

#[test]
fn dedicated_server_with_other_options_works_and_cleans_up() -> Result<()> {
    let mut expired_session = TestCredentials::temporary();
    expired_session.access_key_id = "ASIAEXPIREDEXAMPLE00".into();
    let mut options = HarnessOptions {
        region: "eu-west-1".into(),
        tls_names: vec![RDS_HOST_NAME.into()],
        ..HarnessOptions::default()
    };
    options.keys.push(KnownKey {
        expiration: Some("2020-01-01T00:00:00Z".into()),
        ..KnownKey::any_user(expired_session.clone())
    });
    let server = RdsLikePostgres::start(options)?;
    let pam_file = std::path::Path::new("/etc/pam.d").join(server.pam_service());
    let log = server.verifier_log();
    let port = server.port();
    ensure!(pam_file.exists());

    let token = server.token_request(roles::IAM_USER).mint()?;
    ensure!(token.contains("%2Feu-west-1%2Frds-db%2F"), "{token}");
    let out = server.psql(&server.conn(roles::IAM_USER).password(&token), "select 1")?;
    ensure!(out.success, "{out:?}");
    // Without `localhost` in the certificate, the tunnel-style check fails like on RDS.
    let conn = server
        .conn(roles::IAM_USER)
        .host_only("localhost")
        .password(&token);
    let out = server.psql(&conn, "select 1")?;
    let expected = format!(
        "psql: error: {}server certificate for \"{RDS_HOST_NAME}\" does not match host name \"localhost\"",
        conn.failure_prefix()
    );
    ensure!(out.first_stderr_line() == expected, "{out:?}");

    // The CA of another instance: a wrong or stale CA bundle.
    let mut conn = server.conn(roles::IAM_USER);
    conn.sslrootcert = Some(RdsLikePostgres::shared()?.ca_cert_path());
    let out = server.psql(&conn, "select 1")?;
    let expected = format!(
        "psql: error: {}SSL error: certificate verify failed",
        conn.failure_prefix()
    );
    ensure!(out.first_stderr_line() == expected, "{out:?}");

    // Temporary credentials that expired before the (fresh) token was used.
    let token = server
        .token_request(roles::IAM_USER)
        .credentials(expired_session)
        .mint()?;
    assert_pam_refused(&server, roles::IAM_USER, &token, "credentials-expired")?;

    drop(server);
    ensure!(!pam_file.exists(), "{} left behind", pam_file.display());
    ensure!(!log.exists(), "{} left behind", log.display());
    ensure!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "server still listening on {port}"
    );
    Ok(())
}

#[test]
fn verifier_canonicalizes_unusual_user_names_like_botocore() -> Result<()> {
    let server = server()?;
    // Each name exercises SigV4 query encoding: space (%20, never '+'), '+', '/', '=', '%',
    // non-ASCII, leading space (the `dbuser:*/ name` mistake in FAILURES.md).
    for user in ["Mixed Case", "a+b/c=d", "100%", "jürgen", " leading"] {
        let token = server.token_request(user).mint()?;
        ensure!(
            server.run_verifier(user, &token)?,
            "{user:?} refused: {:?}",
            server.verifier_decision_for(&token)?
        );
        if user != user.trim() {
            ensure!(
                !server.run_verifier(user.trim(), &token)?,
                "{user:?} accepted for trimmed name"
            );
            ensure!(server.verifier_decision_for(&token)?.reason == "dbuser-mismatch");
        }
    }
    // botocore keeps the caller's case in the token text but signs the host lower-cased.
    let token = server
        .token_request(roles::IAM_USER)
        .host(&RDS_HOST_NAME.to_uppercase())
        .mint()?;
    ensure!(
        server.run_verifier(roles::IAM_USER, &token)?,
        "upper-case endpoint refused: {:?}",
        server.verifier_decision_for(&token)?
    );
    Ok(())
}

#[test]
fn quoted_mixed_case_role_logs_in_with_its_token() -> Result<()> {
    let server = server()?;
    // Additive change to the shared server: a role no other test uses.
    server.admin_sql(r#"CREATE ROLE "Report Reader" LOGIN IN ROLE rds_iam"#)?;
    let token = server.token_request("Report Reader").mint()?;
    let out = server.psql(
        &server.conn("Report Reader").password(&token),
        "select current_user",
    )?;
    ensure!(
        out.success && out.stdout.trim() == "Report Reader",
        "{out:?}"
    );
    // Role names are case-sensitive: the same token for the lower-case name is refused.
    let lower = server.token_request("report reader").mint()?;
    assert_refused(
        server,
        &server.conn("report reader").password(&lower),
        "password authentication failed for user \"report reader\"",
    )
}
