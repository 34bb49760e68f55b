//! `rdsiam config`: show the configuration in force (`--print`), check it (`--check`, the
//! default), or write a commented starting `rdsiam.toml` (`--init`).

use std::path::PathBuf;

use anyhow::{Result, bail};

use crate::config::{self, template};
use crate::exit::Outcome;
use crate::output;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  rdsiam config --init                  write ./rdsiam.toml (commented defaults)
  rdsiam config --print                 the effective configuration, defaults spelled out
  rdsiam config --config ci.toml        check ci.toml (exit 2 naming file, line and key)")]
pub struct ConfigArgs {
    /// Configuration file [default: ./rdsiam.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print the effective configuration as TOML (every default spelled out).
    #[arg(long, conflicts_with = "init")]
    pub print: bool,
    /// Write a commented starting file to --config FILE (default ./rdsiam.toml).
    #[arg(long)]
    pub init: bool,
    /// With --init: replace an existing file.
    #[arg(long, requires = "init")]
    pub force: bool,
}

pub fn run(args: ConfigArgs) -> Result<Outcome> {
    if args.init {
        let path = args
            .config
            .clone()
            .unwrap_or_else(|| PathBuf::from(config::FILE_NAME));
        if path.exists() && !args.force {
            bail!(
                "{} exists; not overwriting it (--force replaces it, `rdsiam config --print` shows it)",
                path.display()
            );
        }
        output::write_atomically(&path, &template::starter())?;
        eprintln!(
            "wrote {}: edit it, then `rdsiam config --print` to check",
            path.display()
        );
        return Ok(Outcome::Clean);
    }
    let settings = config::discover(args.config.as_deref(), false)?;
    if args.print {
        output::print_stdout(&template::effective(&settings))?;
    } else {
        let what = match &settings.source {
            Some(source) => format!("{}: valid", source.path),
            None => format!("no {} here: catalogue defaults", config::FILE_NAME),
        };
        let exceptions = settings.rules.exceptions.len();
        let overrides = settings.rules.overrides().len();
        output::print_stdout(&format!(
            "{what} ({overrides} rule override(s), {exceptions} exception(s))\n"
        ))?;
    }
    Ok(Outcome::Clean)
}
