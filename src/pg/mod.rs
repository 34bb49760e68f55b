//! A minimal PostgreSQL client for diagnosis and read-only introspection.
//!
//! Why not sqlx here: the doctor must connect TCP to a tunnel (`hostaddr`) while verifying TLS
//! and signing the token for the real endpoint name, must see each protocol step separately
//! (SSLRequest answer, which authentication the server asks for, errors before and after
//! authentication), and must be able to probe without TLS *without* a password. sqlx
//! resolves `hostaddr` into the TLS name and hides these steps.
//!
//! - [`bounds`]: every deadline and cap on what a server can make us spend.
//! - [`params`]: libpq-style connection parameters (flags, conninfo/URI, `PG*` environment).
//! - [`wire`]: protocol message framing.
//! - [`tls`]: trust roots (embedded RDS CA bundle + `sslrootcert`) and the verifying handshake.
//! - [`session`]: TCP, SSLRequest, plaintext probe, token login, read-only queries.
//! - [`scram`]: SCRAM-SHA-256 for the collector's password logins.

pub mod bounds;
pub mod params;
pub mod scram;
pub mod session;
pub mod tls;
pub mod wire;

/// Every SQL text the doctor sends to PostgreSQL (the collector's are in
/// [`crate::collect::postgres::STATEMENTS`]). A test holds both lists to read-only statements.
pub const DOCTOR_STATEMENTS: &[&str] = &[
    crate::doctor::probe::POST_LOGIN_SQL,
    crate::doctor::probe::DATABASES_SQL,
];
