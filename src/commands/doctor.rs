//! `rdsiam doctor`: connection parameters the libpq way (flags, conninfo/URI, `PG*`
//! environment), where the token comes from, then the probe and its rendering.
//! Exit 0 when the login works, 1 when it fails (with a diagnosis), 2 on usage errors.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, anyhow};

use crate::doctor::{self, DoctorOptions, TokenSource, render};
use crate::exit::Outcome;
use crate::output;
use crate::pg::params::{ConnParams, ParamSource};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DoctorFormat {
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// Connection string: `host=... port=... user=...` or `postgres://user@host:port/db`.
    pub conninfo: Option<String>,
    /// Endpoint name: TLS is verified for it and the token is signed for it [env: PGHOST].
    #[arg(long, short = 'H')]
    pub host: Option<String>,
    /// Connect TCP here instead (SSM port forwarding, tunnel): e.g. 127.0.0.1 [env: PGHOSTADDR].
    #[arg(long)]
    pub hostaddr: Option<String>,
    /// [env: PGPORT] (default 5432).
    #[arg(long, short = 'p')]
    pub port: Option<String>,
    /// [env: PGDATABASE] (default: the user name, as psql does).
    #[arg(long, short = 'd')]
    pub dbname: Option<String>,
    /// Database user [env: PGUSER].
    #[arg(long, short = 'U')]
    pub user: Option<String>,
    /// The sslmode your client uses [env: PGSSLMODE]; the doctor always verifies TLS fully.
    #[arg(long)]
    pub sslmode: Option<String>,
    /// Extra CA certificates (PEM) to trust besides the embedded Amazon RDS bundle [env: PGSSLROOTCERT].
    #[arg(long)]
    pub sslrootcert: Option<PathBuf>,
    /// Take the token from this environment variable (default: PGPASSWORD, then generate one).
    #[arg(long, value_name = "VAR", conflicts_with = "token")]
    pub token_env: Option<String>,
    /// `-`: read your client's token from stdin (e.g. `aws rds generate-db-auth-token ... |
    /// rdsiam doctor --token - ...`), so the login your client makes is the one tested.
    #[arg(long, value_name = "-", value_parser = clap::builder::PossibleValuesParser::new(["-"]))]
    pub token: Option<String>,
    /// Sign a fresh token with the AWS SDK even if PGPASSWORD is set (your client's token is
    /// then not tested).
    #[arg(long, conflicts_with_all = ["token_env", "token"])]
    pub generate_token: bool,
    /// Region of the database (default: from the endpoint name); enables the AWS-side checks.
    #[arg(long)]
    pub region: Option<String>,
    /// AWS profile for the AWS-side checks and token generation; enables the AWS-side checks.
    #[arg(long)]
    pub profile: Option<String>,
    /// Send AWS API calls here (e.g. a local emulator) [env: AWS_ENDPOINT_URL].
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Role to assume for reading the SCP chain when the signer's account cannot read its
    /// organization (a role in the management or a delegated administrator account).
    #[arg(long, value_name = "ARN")]
    pub org_role_arn: Option<String>,
    /// Read RDS's own reason from the target's iam-db-auth-error log (CloudWatch Logs, last 5
    /// minutes, this DB user) even when the login did not fail on the token; after a refused
    /// login it is read anyway. Enables the AWS-side checks.
    #[arg(long)]
    pub rds_log: bool,
    /// Skip the AWS-side steps (STS, RDS, IAM) even when credentials are available.
    #[arg(long, conflicts_with_all = ["region", "profile", "endpoint_url", "org_role_arn", "rds_log"])]
    pub no_aws: bool,
    /// Deadline of each network step (DNS, TCP, TLS, login, session; not per message); the
    /// whole run gets 12 of them. More than 0, at most 1h.
    #[arg(long, default_value = "5s", value_parser = crate::pg::bounds::parse_timeout)]
    pub connect_timeout: Duration,
    #[arg(long, value_enum, default_value_t = DoctorFormat::Table)]
    pub format: DoctorFormat,
    /// Show the evidence of passing steps too (the table shows failing and warning steps' only).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Colour the status symbols: auto = when stdout is a terminal and NO_COLOR is unset.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

pub fn run(args: DoctorArgs) -> Result<Outcome> {
    let mut secret_vars = vec!["PGPASSWORD"];
    secret_vars.extend(args.token_env.as_deref());
    super::db_args::require_utf8_env(&secret_vars)?;
    let stdin_token = match args.token.as_deref() {
        Some("-") => Some(read_stdin_token()?),
        _ => None,
    };
    let env = |name: &str| std::env::var(name).ok();
    let mut options = options(&args, &env)?;
    if let Some(token) = stdin_token {
        options.token = TokenSource::Given {
            token,
            from: "stdin (--token -)".into(),
        };
    }
    let report = doctor::run(&options).map_err(|e| anyhow!(e))?;
    let text = match args.format {
        DoctorFormat::Table => render::table_with(&report, table_style(&args, &env)),
        DoctorFormat::Json => render::json(&report).map_err(|e| anyhow!(e))?,
    };
    output::print_stdout(&text)?;
    Ok(if report.ok {
        Outcome::Clean
    } else {
        Outcome::Failed
    })
}

/// The first line of stdin, trimmed (a token is one line; a trailing newline is not part of it).
fn read_stdin_token() -> Result<String> {
    use std::io::{BufRead, Read};
    let mut line = String::new();
    // A token is 1-4 KB; read at most 16 KB so a wrong pipe cannot fill memory.
    std::io::stdin()
        .lock()
        .take(16 * 1024)
        .read_line(&mut line)
        .map_err(|e| anyhow!("--token -: cannot read the token from stdin: {e}"))?;
    let token = line.trim().to_owned();
    crate::redact::register_secret(&token);
    if token.is_empty() {
        return Err(anyhow!(
            "--token -: stdin is empty; pipe the token in, e.g. `aws rds generate-db-auth-token ... | rdsiam doctor --token - ...`"
        ));
    }
    Ok(token)
}

/// Width (`COLUMNS`, else the terminal's, else 100), colour (`--color`, `NO_COLOR`), verbosity.
pub fn table_style(args: &DoctorArgs, env: &dyn Fn(&str) -> Option<String>) -> render::TableStyle {
    use std::io::IsTerminal;
    let terminal = std::io::stdout().is_terminal();
    let width = env("COLUMNS")
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or_else(|| {
            terminal
                .then(terminal_size::terminal_size)
                .flatten()
                .map(|(w, _)| usize::from(w.0))
        })
        .unwrap_or(100);
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && env("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    render::TableStyle {
        width,
        color,
        verbose: args.verbose,
    }
}

/// Arguments + environment → options. Usage errors say which flag or variable to set.
pub fn options(args: &DoctorArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<DoctorOptions> {
    let flags = ParamSource {
        host: args.host.clone(),
        hostaddr: args.hostaddr.clone(),
        port: args.port.clone(),
        dbname: args.dbname.clone(),
        user: args.user.clone(),
        sslmode: args.sslmode.clone(),
        sslrootcert: args.sslrootcert.as_ref().map(|p| p.display().to_string()),
        password: None,
    };
    let conninfo = match &args.conninfo {
        Some(text) => ParamSource::parse_conninfo(text).map_err(|e| anyhow!(e))?,
        None => ParamSource::default(),
    };
    let merged = flags.or(conninfo).or(ParamSource::from_env(env));
    let password = merged.password.clone();
    let params = ConnParams::resolve(merged).map_err(|e| anyhow!(e))?;
    let token = if args.token.is_some() {
        // `--token -`: read by `run` (stdin is not read here, so tests can call this).
        TokenSource::Missing {
            tried: "stdin (--token -)".into(),
        }
    } else if args.generate_token {
        TokenSource::Generate
    } else if let Some(var) = &args.token_env {
        match env(var).filter(|v| !v.trim().is_empty()) {
            Some(token) => {
                crate::redact::register_secret(&token);
                TokenSource::Given {
                    token,
                    from: format!("${var}"),
                }
            }
            None => TokenSource::Missing {
                tried: format!("${var} (empty or unset)"),
            },
        }
    } else {
        match password {
            Some(token) => TokenSource::Given {
                token,
                from: "the password (conninfo or $PGPASSWORD)".into(),
            },
            None => TokenSource::Generate,
        }
    };
    let generates = matches!(token, TokenSource::Generate);
    Ok(DoctorOptions {
        params,
        token,
        // The AWS side runs when asked for, or when the doctor signs the token itself (it
        // needs credentials then anyway).
        aws_checks: !args.no_aws
            && (args.region.is_some()
                || args.profile.is_some()
                || args.endpoint_url.is_some()
                || args.org_role_arn.is_some()
                || args.rds_log
                || generates),
        endpoint_url: args.endpoint_url.clone(),
        org_role_arn: args.org_role_arn.clone(),
        rds_log: args.rds_log,
        region: args.region.clone(),
        profile: args.profile.clone(),
        connect_timeout: args.connect_timeout,
    })
}
