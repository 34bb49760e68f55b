//! `rdsiam token generate | inspect`: sign a token with the AWS SDK, or decode one (user, host,
//! port, region, key type, issue and expiry times) without ever printing its secrets.

use std::io::Read;
use std::time::SystemTime;

use anyhow::{Context, Result, anyhow, bail};
use serde::Serialize;

use crate::exit::Outcome;
use crate::output;
use crate::token::{self, TokenClock, TokenFacts};
use crate::token_compat::{self, Compat, Level};

#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub command: TokenCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Sign an auth token with the default AWS credential chain (aws-sdk-rds AuthTokenGenerator).
    Generate(GenerateArgs),
    /// Decode a token: user, host, port, region, key type, issued/expires; secrets redacted.
    /// Also checks it survives the trip: length against pooler/client limits, whitespace
    /// around or inside it, and (given a postgres:// URI) an unencoded token in the URI.
    Inspect(InspectArgs),
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Endpoint name the token is for (the real endpoint, also through a tunnel).
    #[arg(long, short = 'H')]
    pub host: String,
    #[arg(long, short = 'p', default_value_t = 5432)]
    pub port: u16,
    /// Database user (byte for byte as in PostgreSQL).
    #[arg(long, short = 'U')]
    pub user: String,
    /// Default: from the endpoint name.
    #[arg(long)]
    pub region: Option<String>,
    #[arg(long)]
    pub profile: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TokenFormat {
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The token (or a postgres:// URI carrying it), or `-` for stdin (prefer --env or stdin:
    /// command lines are visible to others).
    pub token: Option<String>,
    /// Read the token from this environment variable (e.g. PGPASSWORD).
    #[arg(long, value_name = "VAR", conflicts_with = "token")]
    pub env: Option<String>,
    #[arg(long, value_enum, default_value_t = TokenFormat::Table)]
    pub format: TokenFormat,
}

pub fn run(args: TokenArgs) -> Result<Outcome> {
    match args.command {
        TokenCommand::Generate(args) => generate(args),
        TokenCommand::Inspect(args) => inspect(args),
    }
}

fn generate(args: GenerateArgs) -> Result<Outcome> {
    // Checked here, before the SDK's generator (which unwraps a URL built from them).
    token::validate_request_parts(&args.host, args.port, &args.user, args.region.as_deref())
        .map_err(|e| anyhow!(e))?;
    let region = args
        .region
        .or_else(|| token::region_of_endpoint(&args.host))
        .ok_or_else(|| {
            anyhow!(
                "--region is required: {} is not an RDS endpoint name",
                args.host
            )
        })?;
    let request = token::TokenRequest {
        host: args.host,
        port: args.port,
        user: args.user,
        region,
        profile: args.profile,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let token = runtime
        .block_on(token::generate(&request))
        .map_err(|e| anyhow!(e))?;
    output::print_secret_stdout(&format!("{token}\n"))?;
    Ok(Outcome::Clean)
}

/// `inspect --format json`.
#[derive(Debug, Serialize)]
struct InspectJson<'a> {
    #[serde(flatten)]
    facts: &'a TokenFacts,
    #[serde(flatten)]
    clock: TokenClock,
    redacted: String,
    /// Length, whitespace and URI-encoding problems (empty: none found).
    compatibility: &'a [Compat],
}

fn inspect(args: InspectArgs) -> Result<Outcome> {
    let text = match (&args.env, args.token.as_deref()) {
        (Some(var), _) => match std::env::var_os(var) {
            None => bail!("environment variable {var} is not set"),
            Some(value) => match value.into_string() {
                Ok(text) => text,
                Err(raw) => {
                    // Never echo the value: it is a token (signature, session token).
                    let bytes = raw.as_encoded_bytes();
                    crate::redact::register_secret_bytes(bytes);
                    let at = std::str::from_utf8(bytes)
                        .err()
                        .map_or(0, |e| e.valid_up_to());
                    bail!(
                        "environment variable {var} is not valid UTF-8 (a byte at offset {at} of {} is not): not an RDS auth token; its value is not shown",
                        bytes.len()
                    );
                }
            },
        },
        (None, Some("-")) | (None, None) => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read the token from stdin")?;
            // The one line break that ends piped input is not part of the token.
            let end = text
                .strip_suffix("\r\n")
                .or_else(|| text.strip_suffix('\n'))
                .map_or(text.len(), str::len);
            text.truncate(end);
            text
        }
        (None, Some(token)) => token.to_owned(),
    };
    crate::redact::register_secret(&text);
    if text.trim().is_empty() {
        bail!("no token given: pass it as an argument, `-` for stdin, or --env VAR");
    }
    let compat = token_compat::check(&text);
    let facts = token::inspect(&compat.token).map_err(|e| anyhow!("{e}"))?;
    let clock = facts.clock(SystemTime::now());
    let redacted = token::redact(compat.token.trim());
    let out = match args.format {
        TokenFormat::Json => {
            let mut json = serde_json::to_string_pretty(&InspectJson {
                facts: &facts,
                clock: clock.clone(),
                redacted,
                compatibility: &compat.findings,
            })?;
            json.push('\n');
            json
        }
        TokenFormat::Table => {
            crate::redact::escape_controls(&table(&facts, &clock, &redacted, &compat.findings))
                .into_owned()
        }
    };
    output::print_stdout(&out)?;
    let broken = compat.findings.iter().any(|f| f.level == Level::Error);
    Ok(if clock.expired || broken {
        Outcome::Failed
    } else {
        Outcome::Clean
    })
}

fn table(facts: &TokenFacts, clock: &TokenClock, redacted: &str, compat: &[Compat]) -> String {
    let port = facts
        .port
        .map_or_else(|| "(none)".to_owned(), |p| p.to_string());
    let state = if clock.expired {
        format!("EXPIRED {} s ago", -clock.seconds_left)
    } else {
        format!("valid, {} s left", clock.seconds_left)
    };
    let rows = [
        ("user", facts.user.clone()),
        ("host", facts.host.clone()),
        ("port", port),
        ("region", facts.region.clone()),
        ("service", facts.service.clone()),
        ("action", facts.action.clone()),
        (
            "access key",
            format!("{} — {}", facts.access_key_id, facts.access_key_type),
        ),
        (
            "session token",
            if facts.session_token_present {
                "present (redacted)".into()
            } else {
                "absent".into()
            },
        ),
        ("issued at", token::rfc3339(facts.issued_at)),
        (
            "expires at",
            format!(
                "{} (X-Amz-Expires={})",
                token::rfc3339(facts.expires_at),
                facts.expires_in_seconds
            ),
        ),
        ("state", state),
        ("length", format!("{} bytes", facts.length)),
        ("redacted", redacted.to_owned()),
    ];
    let mut out = String::new();
    for (name, value) in rows {
        out.push_str(&format!("{name:<14} {value}\n"));
    }
    if compat.is_empty() {
        out.push_str(&format!(
            "{:<14} ok (no whitespace; no documented pooler/client length limit exceeded)\n",
            "compatibility"
        ));
    }
    for finding in compat {
        let level = match finding.level {
            Level::Error => "ERROR",
            Level::Warning => "warning",
        };
        out.push_str(&format!(
            "{:<14} {level} {}: {}\n",
            "compatibility", finding.check, finding.message
        ));
    }
    out
}
