//! `rdsiam activity`: AssumeRole activity into DB-connect roles from one source — local
//! CloudTrail files, Athena over a CloudTrail table, or CloudTrail LookupEvents — as a
//! per-role table for people or `{"events": [...], "summary": {...}}` JSON for machines.
//! Every source gives the same events (the local scan's record parser decides them all).

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use comfy_table::Table;
use serde_json::json;

use crate::access::activity_summary::{RoleSummary, summarize};
use crate::collect::activity::cloudtrail_files::{ScanOptions, ScanOutcome, scan_paths};
use crate::collect::activity::sources::{self, AthenaSettings, SourceOutcome};
use crate::collect::aws::config::{self as aws_config_mod, CallLog, Clients, Settings};
use crate::collect::aws::{describe_gaps, sts};
use crate::commands::activity_inputs::{AthenaArgs, parse_day};
use crate::inventory::Day;
use crate::output;

/// AssumeRole activity into roles (e.g. the roles that grant rds-db:connect), from one source:
/// local CloudTrail log files (`--cloudtrail-dir`: the S3 layout
/// `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`, or any `.json.gz` / `.json` files;
/// damaged files are reported and skipped), Athena over a CloudTrail table
/// (`--athena-database`, `--athena-table`, `--athena-output`), or CloudTrail LookupEvents
/// (`--lookup-events`, the last 90 days of the caller's account, per `--region`).
#[derive(Debug, Args)]
pub struct ActivityArgs {
    /// Role ARN to report on (repeat for several).
    #[arg(long = "role", value_name = "ARN", required = true)]
    pub roles: Vec<String>,
    /// Directory to walk for CloudTrail files, or one file (repeatable).
    #[arg(long = "cloudtrail-dir", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub athena: AthenaArgs,
    /// Read CloudTrail LookupEvents (the last 90 days; one call sequence per --region).
    #[arg(long)]
    pub lookup_events: bool,
    /// With the Athena flags: print the SQL that would run, and exit (no AWS call).
    #[arg(long)]
    pub print_sql: bool,
    /// Only events on or after this day (UTC), YYYY-MM-DD.
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub since: Option<Day>,
    /// Only events on or before this day (UTC), YYYY-MM-DD.
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub until: Option<Day>,
    /// Only trails of this account (repeatable).
    #[arg(long = "account", value_name = "ID")]
    pub accounts: Vec<String>,
    /// Only this region (repeatable). With --lookup-events: the regions to query (default:
    /// the configured region).
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// AWS sources: named profile from ~/.aws/config.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS sources: send every call to this endpoint (AWS_ENDPOINT_URL works too).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Scan threads (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// Runs `rdsiam activity`; damaged log files and unreadable records are reported, not fatal
/// (exit 0). A source that cannot be read at all is an error (exit 2).
pub fn run(args: &ActivityArgs) -> Result<crate::exit::Outcome> {
    execute(args)?;
    Ok(crate::exit::Outcome::Clean)
}

enum Source {
    Files,
    Athena(Box<AthenaSettings>),
    LookupEvents,
}

fn source_of(args: &ActivityArgs) -> Result<Source> {
    let athena = args.athena.settings()?;
    let chosen = usize::from(!args.paths.is_empty())
        + usize::from(athena.is_some())
        + usize::from(args.lookup_events);
    if chosen != 1 {
        bail!(
            "choose one activity source: --cloudtrail-dir PATH, the Athena flags (--athena-database, --athena-table, --athena-output), or --lookup-events"
        );
    }
    if args.print_sql && athena.is_none() {
        bail!("--print-sql prints the Athena query: it needs the Athena flags");
    }
    Ok(match athena {
        Some(settings) => Source::Athena(Box::new(settings)),
        None if args.lookup_events => Source::LookupEvents,
        None => Source::Files,
    })
}

fn execute(args: &ActivityArgs) -> Result<()> {
    for role in &args.roles {
        if !(role.starts_with("arn:") && role.contains(":role/")) {
            bail!("--role {role}: not an IAM role ARN (arn:aws:iam::<account>:role/<name>)");
        }
    }
    if let (Some(since), Some(until)) = (args.since, args.until) {
        if since > until {
            bail!("--since {since} is after --until {until}");
        }
    }
    let source = source_of(args)?;
    let mut opts = ScanOptions::new(&args.roles);
    opts.since = args.since;
    opts.until = args.until;
    opts.accounts = args.accounts.clone();
    opts.regions = args.regions.clone();
    opts.threads = args.threads.map(usize::from);
    let text = match source {
        Source::Files => files(args, &opts)?,
        Source::Athena(settings) if args.print_sql => sources::athena_sql(&settings, &opts)? + "\n",
        Source::Athena(settings) => {
            let outcome = run_aws(args, |clients, base_region| {
                let opts = opts.clone();
                async move {
                    let region = settings
                        .region
                        .clone()
                        .or(base_region)
                        .ok_or_else(|| anyhow::anyhow!("no region for Athena: pass --athena-region, or set AWS_REGION or a region in the profile"))?;
                    let today = sources::day_of(sources::now_secs());
                    let outcome =
                        sources::from_athena(&clients, &region, &settings, &opts, today).await;
                    if let Some(failure) = outcome
                        .gaps
                        .iter()
                        .find(|g| g.error_code != "MalformedRecord")
                    {
                        bail!(
                            "Athena source failed:\n{}",
                            describe_gaps(std::slice::from_ref(failure))
                        );
                    }
                    Ok(outcome)
                }
            })?;
            aws_text(args, "athena", &outcome)?
        }
        Source::LookupEvents => {
            let outcome = run_aws(args, |clients, base_region| {
                let opts = opts.clone();
                async move {
                    let regions = if opts.regions.is_empty() {
                        vec![base_region.ok_or_else(|| anyhow::anyhow!("no region for LookupEvents: pass --region, or set AWS_REGION or a region in the profile"))?]
                    } else {
                        opts.regions.clone()
                    };
                    let outcome =
                        sources::from_lookup_events(&clients, &regions, &opts, sources::now_secs())
                            .await;
                    if outcome.scopes.is_empty() && outcome.gaps.iter().any(is_call_failure) {
                        bail!(
                            "LookupEvents failed in every region:\n{}",
                            describe_gaps(&outcome.gaps)
                        );
                    }
                    Ok(outcome)
                }
            })?;
            aws_text(args, "lookup-events", &outcome)?
        }
    };
    output::emit(&text, args.output.as_deref())
}

fn is_call_failure(gap: &crate::inventory::Gap) -> bool {
    !matches!(
        gap.error_code.as_str(),
        "MalformedRecord" | "WindowBeyond90Days"
    )
}

/// Loads the AWS configuration, identifies the caller and runs `body` with guarded clients
/// for the caller's account and the configured region.
fn run_aws<F, Fut>(args: &ActivityArgs, body: F) -> Result<SourceOutcome>
where
    F: FnOnce(Clients, Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<SourceOutcome>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let settings = Settings {
            profile: args.profile.clone(),
            endpoint_url: args.endpoint_url.clone(),
            ..Settings::default()
        };
        let base = aws_config_mod::load(&settings).await;
        let log = CallLog::default();
        let caller = sts::caller_identity(&base, &log).await.map_err(|gap| {
            anyhow::anyhow!(
                "cannot identify the caller with sts:GetCallerIdentity ({}): {} — check the credentials (--profile, AWS_PROFILE, AWS_ACCESS_KEY_ID...)",
                gap.error_code,
                gap.message
            )
        })?;
        let region = base.region().map(|r| r.to_string());
        let clients = Clients::new(base, &caller.account, &log);
        let outcome = body(clients, region).await?;
        log.ensure_nothing_refused()?;
        Ok(outcome)
    })
}

fn files(args: &ActivityArgs, opts: &ScanOptions) -> Result<String> {
    let outcome = scan_paths(&args.paths, opts)?;
    let roles = summarize(&args.roles, &outcome.events);
    let problem_files = outcome.report.problem_files().len();
    if problem_files > 0 && args.format == Format::Json {
        eprintln!(
            "warning: {problem_files} CloudTrail file(s) could not be fully read (see summary.corrupt_files)"
        );
    }
    match args.format {
        Format::Json => render_json(&outcome, &roles),
        Format::Table => Ok(render_table(&outcome, &roles)),
    }
}

/// Output for the Athena and LookupEvents sources: the same `events` and `summary.roles` as
/// for files, with the source's notes and coverage gaps instead of the file scan counts.
fn aws_text(args: &ActivityArgs, source: &str, outcome: &SourceOutcome) -> Result<String> {
    let roles = summarize(&args.roles, &outcome.events);
    if !outcome.gaps.is_empty() && args.format == Format::Json {
        eprintln!(
            "warning: {} coverage gap(s): activity may be missing (see summary.coverage)",
            outcome.gaps.len()
        );
    }
    match args.format {
        Format::Json => {
            let doc = json!({
                "events": outcome.events,
                "summary": {
                    "roles": roles,
                    "source": source,
                    "notes": outcome.notes,
                    "coverage": outcome.gaps,
                },
            });
            Ok(serde_json::to_string_pretty(&doc)? + "\n")
        }
        Format::Table => {
            let mut text = roles_table(&roles).to_string() + "\n";
            for note in &outcome.notes {
                text.push_str(note);
                text.push('\n');
            }
            if !outcome.gaps.is_empty() {
                text.push_str(&format!(
                    "{} coverage gap(s) (activity there may be missing):\n{}\n",
                    outcome.gaps.len(),
                    describe_gaps(&outcome.gaps)
                ));
            }
            Ok(text)
        }
    }
}

fn roles_table(roles: &[RoleSummary]) -> Table {
    let mut table = Table::new();
    table.set_header([
        "ROLE",
        "ASSUMES",
        "OK",
        "FAILED",
        "SOURCE ACCOUNTS",
        "SOURCE IPS",
        "FIRST SEEN",
        "LAST SEEN",
    ]);
    for r in roles {
        table.add_row([
            r.role_arn.clone(),
            r.count.to_string(),
            r.successes.to_string(),
            r.failures.to_string(),
            r.distinct_source_accounts.to_string(),
            r.distinct_source_ips.to_string(),
            r.first_seen.clone().unwrap_or_else(|| "never".into()),
            r.last_seen.clone().unwrap_or_else(|| "never".into()),
        ]);
    }
    table
}

fn render_json(outcome: &ScanOutcome, roles: &[RoleSummary]) -> Result<String> {
    let doc = json!({
        "events": outcome.events,
        "summary": {
            "roles": roles,
            "scan": outcome.report,
            "corrupt_files": outcome.report.problem_files(),
        },
    });
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}

fn render_table(outcome: &ScanOutcome, roles: &[RoleSummary]) -> String {
    let table = roles_table(roles);
    let s = &outcome.report;
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let mut text = format!(
        "{table}\nScanned {} of {} file(s) ({:.1} MiB on disk, {:.1} MiB of JSON, {} records); {} skipped by filters; {} event(s).\n",
        s.files_read,
        s.files_found,
        mib(s.bytes_compressed),
        mib(s.bytes_uncompressed),
        s.records_seen,
        s.files_skipped,
        s.events
    );
    if !s.problems.is_empty() {
        text.push_str(&format!(
            "{} file(s) could not be fully read (activity there may be missing):\n",
            s.problem_files().len()
        ));
        for p in &s.problems {
            let kind = serde_json::to_value(p.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            text.push_str(&format!(
                "  {}: {kind} x{}: {}\n",
                p.path.display(),
                p.count,
                p.detail
            ));
        }
    }
    text
}
