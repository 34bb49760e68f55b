//! Command-line interface: clap definitions, dispatch to the library, error → exit code.
//! Commands print through [`crate::output`] so a closed pipe exits 0.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    /// AssumeRole activity into roles, from local CloudTrail log files.
    Activity(crate::activity_cmd::ActivityArgs),
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
    match cli.command {
        Command::Activity(args) => crate::activity_cmd::run(&args),
    }
}
