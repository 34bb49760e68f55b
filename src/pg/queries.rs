//! Every SQL text the doctor sends to PostgreSQL, here in `pg` (the layer that talks to the
//! server) so that the collector can share them without importing the doctor. The collector's
//! own statements are in [`crate::collect::postgres::STATEMENTS`]; a test holds both lists to
//! read-only statements.

/// The one query the doctor runs after login: who we are, whether we are in `rds_iam`, whether
/// the session is really TLS, and which database we landed in.
pub const POST_LOGIN_SQL: &str = "SELECT current_user, pg_has_role(current_user, 'rds_iam', 'member'), (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), current_database()";

/// Lists connectable databases (the doctor's database check and the collector's introspection).
pub const DATABASES_SQL: &str =
    "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname";

/// Every SQL text the doctor sends.
pub const DOCTOR_STATEMENTS: &[&str] = &[POST_LOGIN_SQL, DATABASES_SQL];
