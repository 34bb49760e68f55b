//! `rdsiam activity`: AssumeRole activity into DB-connect roles from local CloudTrail files,
//! as a per-role table for people or `{"events": [...], "summary": {...}}` JSON for machines.
//! (Athena and LookupEvents sources will add flags here.)

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use comfy_table::Table;
use serde_json::json;

use crate::activity::cloudtrail_files::{ScanOptions, ScanOutcome, scan_paths};
use crate::activity::cloudtrail_layout::Day;
use crate::activity::summary::{RoleSummary, summarize};
use crate::output;

/// AssumeRole activity into roles (e.g. the roles that grant rds-db:connect), read from local
/// CloudTrail log files (the S3 layout `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`, or
/// any `.json.gz` / `.json` files). Damaged files are reported and skipped, never fatal.
#[derive(Debug, Args)]
pub struct ActivityArgs {
    /// Role ARN to report on (repeat for several).
    #[arg(long = "role", value_name = "ARN", required = true)]
    pub roles: Vec<String>,
    /// Directory to walk for CloudTrail files, or one file (repeatable).
    #[arg(long = "cloudtrail-dir", value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Only events on or after this day (UTC), YYYY-MM-DD.
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub since: Option<Day>,
    /// Only events on or before this day (UTC), YYYY-MM-DD.
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub until: Option<Day>,
    /// Only trails of this account (repeatable).
    #[arg(long = "account", value_name = "ID")]
    pub accounts: Vec<String>,
    /// Only this region (repeatable).
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
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

fn parse_day(text: &str) -> Result<Day, String> {
    Day::parse(text).ok_or_else(|| format!("not a date (YYYY-MM-DD): {text}"))
}

/// Runs the command; errors go to stderr with exit code 2.
/// Runs `rdsiam activity`; damaged log files are reported, not fatal (exit 0).
pub fn run(args: &ActivityArgs) -> Result<crate::exit::Outcome> {
    execute(args)?;
    Ok(crate::exit::Outcome::Clean)
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
    let mut opts = ScanOptions::new(&args.roles);
    opts.since = args.since;
    opts.until = args.until;
    opts.accounts = args.accounts.clone();
    opts.regions = args.regions.clone();
    opts.threads = args.threads.map(usize::from);
    let outcome = scan_paths(&args.paths, &opts)?;
    let roles = summarize(&args.roles, &outcome.events);
    let problem_files = outcome.report.problem_files().len();
    if problem_files > 0 && args.format == Format::Json {
        eprintln!(
            "warning: {problem_files} CloudTrail file(s) could not be fully read (see summary.corrupt_files)"
        );
    }
    let text = match args.format {
        Format::Json => render_json(&outcome, &roles)?,
        Format::Table => render_table(&outcome, &roles),
    };
    output::emit(&text, args.output.as_deref())
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
