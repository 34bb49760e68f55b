//! `rdsiam completions SHELL` and `rdsiam man`: shell completion scripts and man pages
//! generated from the same clap definitions as `--help`, so they never drift from the CLI.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::exit::Outcome;
use crate::output;

#[derive(Debug, clap::Args)]
#[command(after_help = "Install, for example:\n  \
    rdsiam completions bash > ~/.local/share/bash-completion/completions/rdsiam\n  \
    rdsiam completions zsh > \"${fpath[1]}/_rdsiam\"\n  \
    rdsiam completions fish > ~/.config/fish/completions/rdsiam.fish\n  \
    rdsiam completions powershell >> $PROFILE")]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Prints the completion script of `command` (the CLI's clap definition, passed in by
/// `cli.rs`, which this module does not import: the dispatcher imports the commands).
pub fn completions(args: &CompletionsArgs, mut command: clap::Command) -> Result<Outcome> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "rdsiam", &mut out);
    output::print_stdout(&String::from_utf8_lossy(&out))?;
    Ok(Outcome::Clean)
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Read it: rdsiam man | man -l -\n\
    Install: rdsiam man --dir /usr/local/share/man/man1 (one page per subcommand)")]
pub struct ManArgs {
    /// Write rdsiam.1 and one page per subcommand (rdsiam-audit.1, ...) into DIR instead of
    /// printing rdsiam.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Prints or writes the man pages of `command` (see [`completions`]).
pub fn man(args: &ManArgs, command: clap::Command) -> Result<Outcome> {
    match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            clap_mangen::generate_to(command, dir)
                .with_context(|| format!("writing man pages into {}", dir.display()))?;
        }
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut out)
                .context("rendering the man page")?;
            output::print_stdout(&String::from_utf8_lossy(&out))?;
        }
    }
    Ok(Outcome::Clean)
}
