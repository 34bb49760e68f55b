//! Command-line interface: clap definitions, dispatch to the library, error → exit code.
//! Each command lives in its own module with its `Args` struct and `run` function; this
//! file only lists them. Commands print through [`crate::output`] so a closed pipe exits 0.

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};

use crate::commands::{audit, collect, config, doctor, explain, rules, simulate, token};
use crate::exit::{self, Outcome};

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
    /// Audit an inventory for IAM database authentication drift.
    Audit(audit::AuditArgs),
    /// Collect IAM, RDS and Organizations facts from AWS (read-only) into a snapshot.
    Collect(collect::CollectArgs),
    /// AssumeRole activity into roles, from local CloudTrail files, Athena or LookupEvents.
    Activity(crate::commands::activity::ActivityArgs),
    /// One IAM decision with the reason chain (identity, boundary, SCP/RCP, session).
    Simulate(simulate::SimulateArgs),
    /// Live diagnosis of one IAM database login: every layer, the first broken link, the fix.
    Doctor(doctor::DoctorArgs),
    /// Make an RDS IAM auth token, or decode one (secrets redacted).
    Token(token::TokenArgs),
    /// List the rule catalogue (audit rules and doctor causes).
    Rules(rules::RulesArgs),
    /// Show one rule's documentation.
    Explain(explain::ExplainArgs),
    /// Check, print (--print) or create (--init) the audit's configuration, rdsiam.toml.
    Config(config::ConfigArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(crate::commands::completions::CompletionsArgs),
    /// Print the man page (roff), or write one page per subcommand with --dir.
    Man(crate::commands::completions::ManArgs),
}

fn run(command: Command) -> anyhow::Result<Outcome> {
    match command {
        Command::Audit(args) => audit::run(args),
        Command::Collect(args) => collect::run(args),
        Command::Activity(args) => crate::commands::activity::run(&args),
        Command::Simulate(args) => simulate::run(&args),
        Command::Doctor(args) => doctor::run(args),
        Command::Token(args) => token::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Config(args) => config::run(args),
        Command::Completions(args) => {
            crate::commands::completions::completions(&args, Cli::command())
        }
        Command::Man(args) => crate::commands::completions::man(&args, Cli::command()),
    }
}

/// Parses the process arguments, runs the command and maps the result to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            if err.use_stderr() {
                // A usage error echoes the offending argument, which may be a token or a
                // password: through the one redaction function like every other error.
                let text = err.render().to_string();
                eprint!("{}", crate::redact::redact_text(&text));
            } else {
                let _ = err.print();
            }
            return ExitCode::from(if err.use_stderr() {
                exit::ERROR
            } else {
                exit::CLEAN
            });
        }
    };
    match run(cli.command) {
        Ok(outcome) => outcome.into(),
        Err(err) => {
            let text = format!("{err:#}");
            let text = crate::redact::redact_text(&text);
            eprintln!("rdsiam: error: {}", crate::redact::escape_controls(&text));
            ExitCode::from(exit::ERROR)
        }
    }
}
