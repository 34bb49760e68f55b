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
        for conninfo in &self.conninfos {
            crate::pg::params::ParamSource::parse_conninfo(conninfo)
                .map_err(|e| anyhow!("--db {conninfo:?}: {e}"))?;
        }
        Ok(())
    }

    /// Introspects every `--db` into `inventory`; prints a one-line summary (and the notes)
    /// to stderr. Unreadable databases are coverage gaps in the inventory, not errors.
    pub fn apply(&self, inventory: &mut Inventory, profile: Option<&str>) -> Result<()> {
        if self.conninfos.is_empty() {
            return Ok(());
        }
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
            eprintln!("  {line}");
        }
        Ok(())
    }
}
