//! A minimal PostgreSQL client for diagnosis and read-only introspection.
//!
//! Why not sqlx here: the doctor must connect TCP to a tunnel (`hostaddr`) while verifying TLS
//! and signing the token for the real endpoint name, must see each protocol step separately
//! (SSLRequest answer, which authentication the server asks for, errors before and after
//! authentication), and must be able to probe without TLS *without* a password. sqlx
//! resolves `hostaddr` into the TLS name and hides these steps. What is not a decision —
//! message framing and SCRAM-SHA-256 — comes from the rust-postgres project's
//! `postgres-protocol` crate.
//!
//! - [`bounds`]: every deadline and cap on what a server can make us spend.
//! - [`params`]: libpq-style connection parameters (flags, conninfo/URI, `PG*` environment).
//! - [`queries`]: the SQL texts the doctor sends (shared with the collector).
//! - [`wire`]: protocol messages (framed by `postgres-protocol`) and the model the doctor reads.
//! - [`tls`]: trust roots (embedded RDS CA bundle + `sslrootcert`) and the verifying handshake.
//! - [`session`]: TCP, SSLRequest, plaintext probe, token login (and SCRAM-SHA-256 for the
//!   collector's password logins), read-only queries.

pub mod bounds;
pub mod params;
pub mod queries;
pub mod session;
pub mod tls;
pub mod wire;

pub use queries::DOCTOR_STATEMENTS;
