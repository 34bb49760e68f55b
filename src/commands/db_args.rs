//! `--db CONNINFO` (repeatable), shared by `collect` and `audit`: PostgreSQL facts of the
//! collected databases (roles, LOGIN, `rds_iam`, superusers, master user, database names).

use std::time::Duration;

use anyhow::{Result, anyhow};

use crate::collect::databases;
use crate::inventory::Inventory;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct DbArgs {
    /// Read roles and databases from this PostgreSQL (repeatable): a conninfo
    /// (`host=ENDPOINT user=... sslrootcert=...`) or `postgres://` URI naming an instance or
    /// cluster endpoint. Password from the conninfo or PGPASSWORD; without one, an IAM token
    /// is signed for the user. Read-only transaction over verified TLS.
    #[arg(long = "db", value_name = "CONNINFO")]
    pub conninfos: Vec<String>,
    /// Timeout of each database connection step.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = crate::pg::bounds::parse_timeout)]
    pub db_timeout: Duration,
}

impl DbArgs {
    /// Parses every `--db` before anything is collected, so a typo fails fast (exit 2).
    pub fn check(&self) -> Result<()> {
        for (index, conninfo) in self.conninfos.iter().enumerate() {
            // Not quoted: a conninfo that does not parse cannot be told apart from its
            // password (an unquoted password with a space, an unencoded `/` in a URI).
            crate::pg::params::ParamSource::parse_conninfo(conninfo)
                .map_err(|e| anyhow!("--db #{} (of {}): {e}", index + 1, self.conninfos.len()))?;
        }
        Ok(())
    }

    /// Introspects every `--db` into `inventory`; prints a one-line summary (and the notes)
    /// to stderr. Unreadable databases are coverage gaps in the inventory, not errors.
    pub fn apply(&self, inventory: &mut Inventory, profile: Option<&str>) -> Result<()> {
        if self.conninfos.is_empty() {
            return Ok(());
        }
        require_utf8_env(&["PGPASSWORD"])?;
        let env = |name: &str| std::env::var(name).ok();
        let outcome =
            databases::introspect_all(inventory, &self.conninfos, profile, self.db_timeout, &env)
                .map_err(|e| anyhow!(e))?;
        eprintln!(
            "rdsiam: read {} database(s){}",
            outcome.read.len(),
            if outcome.failed.is_empty() {
                String::new()
            } else {
                format!("; {} not readable (coverage gaps)", outcome.failed.len())
            }
        );
        for line in outcome.failed.iter().chain(&outcome.notes) {
            // Server messages and connection details: through the one redaction function.
            let line = crate::redact::redact_text(line);
            eprintln!("  {}", crate::redact::escape_controls(&line));
        }
        Ok(())
    }
}

/// Fails when one of `names` is set to bytes that are not UTF-8: such a password or token
/// cannot be sent, and skipping it silently would misdiagnose "no credentials". The value
/// is never shown (it is registered for redaction).
pub fn require_utf8_env(names: &[&str]) -> Result<()> {
    for name in names {
        if let Some(value) = std::env::var_os(name) {
            if value.to_str().is_none() {
                let bytes = value.as_encoded_bytes();
                crate::redact::register_secret_bytes(bytes);
                let at = std::str::from_utf8(bytes)
                    .err()
                    .map_or(0, |e| e.valid_up_to());
                anyhow::bail!(
                    "{name} is set but is not valid UTF-8 (byte {at} of {}): a password or IAM token is text; its value is not shown. Unset it or export the right value",
                    bytes.len()
                );
            }
        }
    }
    Ok(())
}
