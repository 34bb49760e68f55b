//! Command-line interface: clap definitions, dispatch to the library, error → exit code.
//! Each command lives in its own module with its `Args` struct and `run` function; this
//! file only lists them. Commands print through [`crate::output`] so a closed pipe exits 0.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::exit::{self, Outcome};
use crate::simulate;

/// Make IAM database authentication on Amazon RDS / Aurora PostgreSQL understandable,
/// auditable and fixable. rdsiam is read-only: it never changes AWS or the database.
///
/// Exit codes: 0 clean, 1 findings at or above --fail-on / login fails / --expect unmet,
/// 2 usage or runtime error.
#[derive(Debug, Parser)]
#[command(
    name = "rdsiam",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Simulate(simulate::SimulateArgs),
}

fn run(command: &Command) -> anyhow::Result<Outcome> {
    match command {
        Command::Simulate(args) => simulate::run(args),
    }
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
    match run(&cli.command) {
        Ok(outcome) => outcome.into(),
        Err(err) => {
            eprintln!("rdsiam: error: {err:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}
