//! Command-line interface: clap definitions, dispatch to the library, error → exit code.
//! Commands print through [`crate::output`] so a closed pipe exits 0.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands::{audit, explain, rules};
use crate::exit;

/// Make IAM database authentication on Amazon RDS / Aurora PostgreSQL understandable,
/// auditable and fixable. rdsiam is read-only: it never changes AWS or the database.
#[derive(Debug, Parser)]
#[command(name = "rdsiam", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit an inventory for IAM database authentication drift.
    Audit(audit::AuditArgs),
    /// List the rule catalogue.
    Rules(rules::RulesArgs),
    /// Show one rule's documentation.
    Explain(explain::ExplainArgs),
}

/// Parses the process arguments, runs the command and maps the result to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                exit::ERROR
            } else {
                exit::CLEAN
            });
        }
    };
    let result = match cli.command {
        Command::Audit(args) => audit::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Explain(args) => explain::run(args),
    };
    match result {
        Ok(outcome) => outcome.into(),
        Err(err) => {
            eprintln!("rdsiam: error: {err:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}
