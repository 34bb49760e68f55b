//! The doctor's AWS-side test world: moto (server mode) seeded with `moto_seed.py doctor
//! VARIANT`, and an RDS-like PostgreSQL harness whose certificate carries moto's endpoint name
//! and whose verifier knows the key the doctor signs with (the temporary credentials moto
//! issued to `pg-login`). Used by `tests/doctor_aws.rs` and `tests/doctor_rds_log.rs`.

use anyhow::{Context, Result};
use serde_json::Value;

use super::moto::{MOTO_POSTGRES_PORT, MotoServer};
use super::pg_harness::{HarnessOptions, KnownKey, RdsLikePostgres, TestCredentials};

/// What `moto_seed.py doctor VARIANT` made, and the harness beside it.
pub struct Seeded {
    pub moto: MotoServer,
    /// The seed script's output (endpoint, resource id, the signer's keys, ...).
    pub facts: Value,
    pub server: RdsLikePostgres,
}

impl Seeded {
    /// One string fact of the seed, or an error naming the key and the whole output.
    pub fn fact(&self, key: &str) -> Result<String> {
        self.facts[key]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("seed output lacks {key}: {}", self.facts))
    }
}

/// moto seeded with `variant`, and a harness whose certificate carries moto's endpoint name
/// and whose verifier knows the signer's temporary key. `allowed_users` emulates what IAM
/// would let the key do (`Some(vec![])`: nothing, as for a denied principal, so the login is
/// refused with `PAM authentication failed` as RDS refuses it).
pub fn seed(variant: &str, allowed_users: Option<Vec<String>>) -> Result<Seeded> {
    let moto = MotoServer::start()?;
    let facts = moto.seed("doctor", &[variant])?;
    let endpoint = facts["endpoint"]
        .as_str()
        .context("seed output lacks endpoint")?
        .to_owned();
    let credentials = TestCredentials {
        access_key_id: facts["access_key_id"].as_str().unwrap_or_default().into(),
        secret_access_key: facts["secret_access_key"]
            .as_str()
            .unwrap_or_default()
            .into(),
        session_token: facts["session_token"].as_str().map(str::to_owned),
    };
    let server = RdsLikePostgres::start(HarnessOptions {
        tls_names: vec![endpoint.clone(), "localhost".into()],
        endpoint_hosts: vec![endpoint],
        keys: vec![KnownKey {
            allowed_users,
            ..KnownKey::any_user(credentials)
        }],
        // The tunnel: TCP to the harness's own port, tokens for the port RDS (moto) reports.
        endpoint_port: Some(MOTO_POSTGRES_PORT),
        ..HarnessOptions::default()
    })?;
    Ok(Seeded {
        moto,
        facts,
        server,
    })
}
