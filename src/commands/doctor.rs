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
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// Sign a fresh token with the AWS SDK even if PGPASSWORD is set.
    #[arg(long, conflicts_with = "token_env")]
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
    /// Skip the AWS-side steps (STS, RDS, IAM) even when credentials are available.
    #[arg(long, conflicts_with_all = ["region", "profile", "endpoint_url", "org_role_arn"])]
    pub no_aws: bool,
    /// Deadline of each network step (DNS, TCP, TLS, login, session; not per message); the
    /// whole run gets 12 of them. More than 0, at most 1h.
    #[arg(long, default_value = "5s", value_parser = crate::pg::bounds::parse_timeout)]
    pub connect_timeout: Duration,
    #[arg(long, value_enum, default_value_t = DoctorFormat::Table)]
    pub format: DoctorFormat,
}

pub fn run(args: DoctorArgs) -> Result<Outcome> {
    let options = options(&args, &|name| std::env::var(name).ok())?;
    let report = doctor::run(&options).map_err(|e| anyhow!(e))?;
    let text = match args.format {
        DoctorFormat::Table => render::table(&report),
        DoctorFormat::Json => render::json(&report).map_err(|e| anyhow!(e))?,
    };
    output::print_stdout(&text)?;
    Ok(if report.ok {
        Outcome::Clean
    } else {
        Outcome::Failed
    })
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
    let token = if args.generate_token {
        TokenSource::Generate
    } else if let Some(var) = &args.token_env {
        match env(var).filter(|v| !v.trim().is_empty()) {
            Some(token) => TokenSource::Given {
                token,
                from: format!("${var}"),
            },
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
                || generates),
        endpoint_url: args.endpoint_url.clone(),
        org_role_arn: args.org_role_arn.clone(),
        region: args.region.clone(),
        profile: args.profile.clone(),
        connect_timeout: args.connect_timeout,
    })
}
