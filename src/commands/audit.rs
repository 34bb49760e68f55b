//! `rdsiam audit` (I/O only; the audit itself is [`crate::engine`]): load an inventory (a snapshot, or collected live from AWS with the same
//! flags as `rdsiam collect`), optionally add AssumeRole activity (local CloudTrail files
//! for either; Athena or LookupEvents when collecting live), run the rules, render the
//! report, and derive the exit outcome from the highest severity versus `--fail-on`.
//! The configuration (`rdsiam.toml`), `--at`, `--baseline` are read by `shaping`.

use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::{Context, Result, bail};

use super::activity_inputs::{ActivityInputArgs, LiveCollection, activity_for};
use super::db_args::DbArgs;
use super::live::LiveArgs;
use super::report_outputs::ReportOutputArgs;
use super::shaping::{self, ShapingArgs};
use crate::dispose::Teardown;
use crate::engine;
use crate::exit::Outcome;
use crate::inventory::snapshot;
use crate::report::{Baseline, BaselineRef, Report, Severity, TimeSource};

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
    /// Exit 1 when a finding not covered by an exception is at or above this severity
    /// [default: low, or `[audit] fail-on` of the configuration].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    #[command(flatten)]
    pub activity: ActivityInputArgs,
    /// connect-role-unused: days without a successful AssumeRole before a DB-connect role
    /// counts as unused [default: 90, or `unused-days` of `[rules.connect-role-unused]`].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub unused_days: Option<u32>,
    #[command(flatten)]
    pub shaping: ShapingArgs,
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
    crate::phases::mark("start");
    // The command ends the process: large structures are left to the exit.
    let teardown = Teardown::LeaveToExit;
    args.db.check()?;
    args.activity.check()?;
    let mut config = args.shaping.settings()?;
    if let Some(days) = args.unused_days {
        config.rules.params.unused_days = days;
    }
    // `[audit] format` / `output` of the configuration apply when the flags are absent.
    let mut report_args = args.report.clone();
    if report_args.format.is_none() && report_args.output.is_empty() {
        report_args.format = config.audit.format;
    }
    if report_args.output.is_empty() {
        report_args.output.extend(config.audit.output.clone());
    }
    report_args.show_excepted = args.shaping.show_excepted;
    report_args.check_matrix(args.matrix)?;
    // A baseline of an organization is tens of MB of JSON: read it while the inventory loads.
    let baseline = args.shaping.baseline.clone().map(|path| {
        std::thread::spawn(move || shaping::load_baseline(&path).map(|loaded| (path, loaded)))
    });
    // A live audit keeps its collection's runtime and clients for the AWS-side activity
    // sources, which run once the analysis names the roles to look for.
    let mut live: Option<LiveCollection> = None;
    let (mut inventory, time_source) = match &args.snapshot {
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
            (snapshot::load(path)?, TimeSource::Snapshot)
        }
        None => {
            let options = args.live.options()?;
            let (inventory, collected) = LiveCollection::collect(&options).context(
                "live audit (no --snapshot given: collecting from AWS with the default credential chain)",
            )?;
            live = Some(collected);
            (inventory, TimeSource::Collection)
        }
    };
    crate::phases::mark("inventory loaded");
    args.db
        .apply(&mut inventory, args.live.profile.as_deref())?;
    let (evaluated_at, time_source) = match &args.shaping.at {
        Some(at) => (at.clone(), TimeSource::At),
        None => (inventory.collected_at.clone(), time_source),
    };
    let settings = engine::Settings {
        generated_at: now_rfc3339(),
        evaluated_at,
        time_source,
        snapshot: args.snapshot.clone(),
        config,
        teardown,
    };
    // One analysis per audit: the activity sources (Athena, LookupEvents, CloudTrail files)
    // look for the roles it finds.
    let audit = engine::Audit::prepare(&inventory);
    let activity = activity_for(&audit, &inventory, &args.activity, live.as_ref())?;
    drop(live);
    let mut report = audit.report(&settings, activity.as_ref());
    teardown.dispose(activity);
    if let Some(loading) = baseline {
        let (path, (baseline, baseline_scope)) = loading
            .join()
            .map_err(|_| anyhow::anyhow!("reading --baseline failed"))??;
        shaping::check_scope(&path, &report.scope, &baseline_scope)?;
        apply_baseline(&mut report, baseline)?;
    }
    // The report owns everything it shows, and the process exits after writing it: the
    // inventory (millions of allocations for an organization) is not freed piece by piece.
    teardown.dispose(inventory);
    // Large formats (JSON, OCSF, CSV) are streamed: an organization's report runs to
    // hundreds of MB.
    report_args.write(&report, args.matrix)?;
    crate::phases::mark("render + write");
    let config = &settings.config;
    let fail_on = args
        .fail_on
        .or(config.audit.fail_on)
        .unwrap_or(Severity::Low);
    let new_only = args.shaping.fail_on_new || config.audit.fail_on_new == Some(true);
    if new_only && report.shaped_by.baseline.is_none() {
        bail!(
            "--fail-on-new (or `[audit] fail-on-new = true`) needs --baseline PREVIOUS_REPORT.json"
        );
    }
    let outcome = report.outcome_with(fail_on, new_only);
    teardown.dispose(report);
    Ok(outcome)
}

/// Compares `report` with `baseline`: statuses, resolved findings, counts. An error when a
/// resolved finding of the baseline is malformed (only those are read in full).
pub fn apply_baseline(report: &mut Report, baseline: Baseline) -> Result<()> {
    let path = baseline.path.clone();
    report.shaped_by.baseline = Some(BaselineRef {
        path: baseline.path.clone(),
        generated_at: baseline.generated_at.clone(),
        evaluated_at: baseline.evaluated_at.clone(),
    });
    report.resolved =
        crate::report::apply_baseline(&mut report.findings, baseline).with_context(|| {
            format!("--baseline {path}: a rdsiam v1 report with a malformed finding")
        })?;
    report.recount();
    Ok(())
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}
