//! PostgreSQL introspection for the audit: roles (LOGIN, direct and inherited `rds_iam`,
//! superuser or `rds_superuser`, `rds_ad`, password set when readable), the master user and
//! the database names, read inside one `BEGIN TRANSACTION READ ONLY` over verified TLS, into
//! [`inventory::Database`](crate::inventory::postgres::Database). Never writes.

use std::time::Duration;

use crate::inventory::{Database, DbTarget, Membership, PgRole};
use crate::pg::params::ConnParams;
use crate::pg::session::{self, LoginOutcome, PgStream};
use crate::pg::tls::{self, TrustRoots};

/// Every statement the collector sends, in order (held to read-only by a test).
pub const STATEMENTS: &[&str] = &[
    BEGIN_READ_ONLY,
    ROLES_SQL,
    crate::pg::queries::DATABASES_SQL,
    PASSWORDS_SQL,
    ROLLBACK,
];

const BEGIN_READ_ONLY: &str = "BEGIN TRANSACTION READ ONLY";
const ROLLBACK: &str = "ROLLBACK";

/// One row per role (system `pg_*` roles excluded): name, LOGIN, superuser, direct
/// memberships (JSON array), direct rds_iam, inherited rds_iam, rds_superuser, direct rds_ad,
/// inherited rds_ad, role oid.
///
/// Inherited membership follows the grant chain in `pg_auth_members` (a recursive query), not
/// `pg_has_role`: PostgreSQL answers `pg_has_role` with true for a superuser and *every*
/// role, so RDS's own `rdsadmin` (and any superuser) would look like a member of `rds_iam`
/// and `rds_superuser` although nobody granted it, and the rules would report it.
const ROLES_SQL: &str = "WITH RECURSIVE chain(member, roleid) AS ( \
 SELECT member, roleid FROM pg_auth_members \
 UNION SELECT c.member, m.roleid FROM chain c JOIN pg_auth_members m ON m.member = c.roleid) \
 SELECT r.rolname, r.rolcanlogin, r.rolsuper, \
 COALESCE((SELECT json_agg(g.rolname ORDER BY g.rolname) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid), '[]'::json), \
 EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid AND g.rolname = 'rds_iam'), \
 EXISTS (SELECT 1 FROM chain c JOIN pg_roles g ON g.oid = c.roleid WHERE c.member = r.oid AND g.rolname = 'rds_iam'), \
 EXISTS (SELECT 1 FROM chain c JOIN pg_roles g ON g.oid = c.roleid WHERE c.member = r.oid AND g.rolname = 'rds_superuser'), \
 EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid AND g.rolname = 'rds_ad'), \
 EXISTS (SELECT 1 FROM chain c JOIN pg_roles g ON g.oid = c.roleid WHERE c.member = r.oid AND g.rolname = 'rds_ad'), \
 r.oid::bigint \
 FROM pg_roles r WHERE r.rolname NOT LIKE 'pg\\_%' ORDER BY r.oid";

/// Roles with a password; only superusers may read `pg_authid` (not RDS's master user), so
/// a failure here leaves `has_password` false and is reported in [`Introspection::notes`].
const PASSWORDS_SQL: &str = "SELECT rolname FROM pg_authid WHERE rolpassword IS NOT NULL";

/// The facts plus what could not be read.
#[derive(Debug, Clone)]
pub struct Introspection {
    pub database: Database,
    pub notes: Vec<String>,
}

/// Connects with `params` (the password is an IAM token, or the password of a SCRAM user such
/// as the master user; sent only over verified TLS) and reads
/// the facts. `master_username`: from RDS (`MasterUsername`); when `None`, the oldest login
/// role that is a direct member of `rds_superuser` (RDS creates the master user first).
pub async fn introspect(
    params: &ConnParams,
    target: DbTarget,
    master_username: Option<&str>,
    timeout: Duration,
) -> Result<Introspection, String> {
    let password = params
        .password
        .as_deref()
        .ok_or("no password or token for the database connection (PGPASSWORD or password= in the conninfo)")?;
    let mut tcp = session::connect_tcp(params.connect_address(), params.port, timeout)
        .await
        .map_err(|e| {
            format!(
                "{}:{}: TCP failed: {e:?}",
                params.connect_address(),
                params.port
            )
        })?;
    if !session::request_tls(&mut tcp, timeout).await? {
        return Err(format!(
            "{}: the server does not offer TLS; refusing to send credentials",
            params.host
        ));
    }
    let roots = TrustRoots::load(params.sslrootcert.as_deref())?;
    let (tls_stream, _) = tls::handshake(tcp, &params.host, &roots, timeout)
        .await
        .map_err(|e| {
            format!(
                "{}: TLS verification failed: {e:?} (run `rdsiam doctor` for a diagnosis)",
                params.host
            )
        })?;
    let mut stream = match session::login_over_tls_with_password(
        tls_stream,
        &params.user,
        &params.dbname,
        password,
        timeout,
    )
    .await?
    {
        LoginOutcome::LoggedIn(stream, _) => stream,
        other => {
            return Err(format!(
                "login as {} to {} failed: {} (run `rdsiam doctor` with the same parameters for a diagnosis)",
                params.user,
                params.dbname,
                describe(&other)
            ));
        }
    };
    let result = read_facts(&mut stream, target, master_username).await;
    stream.close().await;
    result
}

fn describe(outcome: &LoginOutcome) -> String {
    match outcome {
        LoginOutcome::LoggedIn(..) => "logged in".into(),
        LoginOutcome::NotPam(request) => format!(
            "the server asked for {}, which this collector does not speak (it speaks PAM/IAM tokens and SCRAM-SHA-256)",
            request.describe()
        ),
        LoginOutcome::RefusedBeforeAuth(e)
        | LoginOutcome::AuthFailed(e)
        | LoginOutcome::AfterAuth(e) => e.to_string(),
    }
}

async fn read_facts<S>(
    stream: &mut PgStream<S>,
    target: DbTarget,
    master_username: Option<&str>,
) -> Result<Introspection, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    stream.query_rows(BEGIN_READ_ONLY).await?;
    let role_rows = stream.query_rows(ROLES_SQL).await?;
    let db_rows = stream.query_rows(crate::pg::queries::DATABASES_SQL).await?;
    let mut notes = Vec::new();
    let with_password: Vec<String> = match stream.query_rows(PASSWORDS_SQL).await {
        Ok(rows) => rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect(),
        Err(e) => {
            notes.push(format!(
                "passwords not read (pg_authid needs a superuser): {e}"
            ));
            Vec::new()
        }
    };
    stream.query_rows(ROLLBACK).await?;
    let mut master_candidate = None;
    let mut roles = Vec::new();
    for row in role_rows {
        let cell = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
        let flag = |i: usize| cell(i) == "t";
        let name = cell(0);
        let member_of: Vec<String> = serde_json::from_str(&cell(3))
            .map_err(|e| format!("role {name}: memberships are not a JSON array: {e}"))?;
        let membership = |direct: bool, any: bool, own_name: &str| {
            if name == own_name {
                Membership::No
            } else if direct {
                Membership::Direct
            } else if any {
                Membership::Inherited
            } else {
                Membership::No
            }
        };
        let role = PgRole {
            can_login: flag(1),
            superuser_like: flag(2) || (flag(6) && name != "rds_superuser"),
            rds_iam: membership(flag(4), flag(5), "rds_iam"),
            rds_ad: membership(flag(7), flag(8), "rds_ad"),
            has_password: with_password.contains(&name),
            member_of,
            name,
        };
        if master_candidate.is_none()
            && role.can_login
            && role.member_of.iter().any(|g| g == "rds_superuser")
        {
            master_candidate = Some(role.name.clone());
        }
        roles.push(role);
    }
    let master = match master_username {
        Some(name) => name.to_owned(),
        None => {
            notes.push(
                "master user guessed: the oldest login role directly in rds_superuser".into(),
            );
            master_candidate.unwrap_or_default()
        }
    };
    Ok(Introspection {
        database: Database {
            target,
            master_username: master,
            database_names: db_rows
                .into_iter()
                .filter_map(|r| r.into_iter().next().flatten())
                .collect(),
            roles,
        },
        notes,
    })
}

/// [`introspect`] on its own small runtime, for synchronous callers.
pub fn introspect_blocking(
    params: &ConnParams,
    target: DbTarget,
    master_username: Option<&str>,
    timeout: Duration,
) -> Result<Introspection, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?
        .block_on(introspect(params, target, master_username, timeout))
}
