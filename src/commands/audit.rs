//! `rdsiam audit`: load an inventory (a snapshot, or collected live from AWS with the same
//! flags as `rdsiam collect`), optionally add AssumeRole activity (local CloudTrail files
//! for either; Athena or LookupEvents when collecting live), run the rules, render the
//! report, and derive the exit outcome from the highest severity versus `--fail-on`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result, bail};

use super::activity_inputs::{ActivityInputArgs, add_files};
use super::db_args::DbArgs;
use super::live::LiveArgs;
use super::report_outputs::ReportOutputArgs;
use crate::collect::aws;
use crate::exit::Outcome;
use crate::inventory::{Inventory, snapshot};
use crate::report::{Report, Scope, Severity};
use crate::rules::{self, RuleSettings};

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Snapshot to audit: a `.json` / `.json.gz` file, or a directory holding `snapshot.json`.
    /// Without it, rdsiam collects live from AWS first (flags below).
    #[arg(long, value_name = "PATH")]
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub live: LiveArgs,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub report: ReportOutputArgs,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = Severity::Low)]
    pub fail_on: Severity,
    #[command(flatten)]
    pub activity: ActivityInputArgs,
    /// connect-role-unused: days without a successful AssumeRole before a DB-connect role
    /// counts as unused.
    #[arg(long, value_name = "N", default_value_t = RuleSettings::DEFAULT_UNUSED_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub unused_days: u32,
    /// Show the access matrix instead of the findings: one block per database, riskiest
    /// first (superuser-like DB users, then principals from outside), each row a principal,
    /// DB user and path with its login verdict (`works`, `blocked: <reason>`,
    /// `depends: <keys>`, `unknown: <missing facts>`). With --format csv one row per matrix
    /// entry, with --format dot the access graph for Graphviz (the JSON report always
    /// carries the matrix in `access`). The exit code still follows the findings.
    #[arg(long)]
    pub matrix: bool,
}

pub fn run(args: AuditArgs) -> Result<Outcome> {
    // The command ends the process: large structures are left to the exit (`dispose`).
    crate::dispose::exit_soon();
    args.db.check()?;
    args.activity.check()?;
    args.report.check_matrix(args.matrix)?;
    let (mut inventory, snapshot_path) = match &args.snapshot {
        Some(path) => {
            if args.live.any_set() {
                bail!(
                    "--snapshot audits a file: the live collection flags (--profile, --region, --org...) do not apply"
                );
            }
            if args.activity.wants_aws() {
                bail!(
                    "--snapshot audits a file: Athena and --lookup-events are read while collecting (audit without --snapshot, or rdsiam collect); --cloudtrail-dir works with a snapshot"
                );
            }
            (snapshot::load(path)?, Some(path.as_path()))
        }
        None => {
            let mut options = args.live.options()?;
            options.activity = args.activity.request()?;
            let collection = aws::collect_blocking(&options).context(
                "live audit (no --snapshot given: collecting from AWS with the default credential chain)",
            )?;
            (collection.inventory, None)
        }
    };
    args.db
        .apply(&mut inventory, args.live.profile.as_deref())?;
    add_files(&mut inventory, &args.activity)?;
    let settings = RuleSettings {
        unused_days: args.unused_days,
    };
    let report = audit_with(&inventory, snapshot_path, now_rfc3339(), settings);
    crate::phases::mark("report");
    // The report owns everything it shows, and the process exits after writing it: the
    // inventory (millions of allocations for an organization) is not freed piece by piece.
    crate::dispose::dispose(inventory);
    // Large formats (JSON, OCSF, CSV) are streamed: an organization's report runs to
    // hundreds of MB.
    args.report.write(&report, args.matrix)?;
    crate::phases::mark("render + write");
    let outcome = report.outcome(args.fail_on);
    crate::dispose::dispose(report);
    Ok(outcome)
}

/// Runs the rules over `inventory` and assembles the report.
pub fn audit(inventory: &Inventory, snapshot: Option<&Path>, generated_at: String) -> Report {
    audit_with(inventory, snapshot, generated_at, RuleSettings::default())
}

/// [`audit`] with user-tuned rule thresholds.
pub fn audit_with(
    inventory: &Inventory,
    snapshot: Option<&Path>,
    generated_at: String,
    settings: RuleSettings,
) -> Report {
    let evaluation = rules::evaluate_with(inventory, &generated_at, settings);
    Report::new(
        generated_at,
        scope(inventory, snapshot),
        inventory.coverage.clone(),
        evaluation.findings,
        evaluation.access,
        evaluation.not_evaluated,
    )
}

pub fn scope(inventory: &Inventory, snapshot: Option<&Path>) -> Scope {
    let regions: BTreeSet<&str> = inventory
        .accounts
        .iter()
        .flat_map(|a| a.regions.iter().map(|r| r.region.as_str()))
        .collect();
    Scope {
        snapshot: snapshot.map(|p| p.display().to_string()),
        collected_at: inventory.collected_at.clone(),
        organization_id: inventory.organization.as_ref().map(|o| o.id.clone()),
        accounts: inventory
            .accounts
            .iter()
            .map(|a| a.account_id.clone())
            .collect(),
        regions: regions.into_iter().map(str::to_owned).collect(),
        databases: inventory.databases.len(),
    }
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}
