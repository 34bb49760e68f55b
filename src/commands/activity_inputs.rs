//! The activity-source flags shared by `activity`, `collect` and live `audit`: the Athena
//! flags ([`AthenaArgs`]), and for `collect`/`audit` the whole set ([`ActivityInputArgs`]:
//! `--cloudtrail-dir`, `--athena-*`, `--lookup-events`, `--activity-since`). Validation
//! happens here once, into the library's typed settings, with usage errors that name the flag.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};

use crate::access::activity_summary::roles_of_interest_in;
use crate::collect::activity::athena::sql::{DateFormat, Identifier, Partitions};
use crate::collect::activity::ingest::AwsActivityClients;
use crate::collect::activity::ingest::{
    FoundActivity, IngestOptions, MergedActivity, add_cloudtrail_activity, deduplicated, merge,
    merge_onto, scan_cloudtrail_files,
};
use crate::collect::activity::scan_report::ScanReport;
use crate::collect::activity::sources::{ActivityRequest, AthenaSettings};
use crate::collect::aws::athena::Polling;
use crate::collect::aws::config::CallLog;
use crate::collect::aws::{self, Options};
use crate::engine;
use crate::inventory::Day;
use crate::inventory::Inventory;

/// Athena over a CloudTrail table (the table of AWS's "Querying AWS CloudTrail logs" guide).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AthenaArgs {
    /// Athena source: the Glue database holding the CloudTrail table.
    #[arg(long, value_name = "NAME")]
    pub athena_database: Option<String>,
    /// Athena source: the CloudTrail table.
    #[arg(long, value_name = "NAME")]
    pub athena_table: Option<String>,
    /// Athena workgroup (default: primary). Its configured output location is used when
    /// --athena-output is not given.
    #[arg(long, value_name = "NAME")]
    pub athena_workgroup: Option<String>,
    /// Where Athena writes the query results (s3://bucket/prefix/): the one thing rdsiam
    /// makes AWS write (README, "Read-only").
    #[arg(long, value_name = "S3_URL")]
    pub athena_output: Option<String>,
    /// Region of the workgroup and table (default: the configured region).
    #[arg(long, value_name = "REGION")]
    pub athena_region: Option<String>,
    /// Date partition column of the table (AWS's partition-projection table: `timestamp`):
    /// adds a predicate on it so Athena reads only the days asked for.
    #[arg(long, value_name = "COLUMN")]
    pub athena_partition_column: Option<String>,
    /// How the date partition spells a day.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "yyyy/MM/dd")]
    pub athena_partition_format: DateFormat,
    /// Region partition column, restricted to the --region values.
    #[arg(long, value_name = "COLUMN")]
    pub athena_region_column: Option<String>,
    /// Account partition column, restricted to the --account values.
    #[arg(long, value_name = "COLUMN")]
    pub athena_account_column: Option<String>,
    /// Give up waiting for the query after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 1800,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub athena_timeout: u64,
}

impl AthenaArgs {
    /// True when any Athena flag that selects or shapes the source was given.
    pub fn any_set(&self) -> bool {
        self.athena_database.is_some()
            || self.athena_table.is_some()
            || self.athena_workgroup.is_some()
            || self.athena_output.is_some()
            || self.athena_region.is_some()
            || self.athena_partition_column.is_some()
            || self.athena_region_column.is_some()
            || self.athena_account_column.is_some()
    }

    /// The validated settings, `None` when no Athena flag was given.
    pub fn settings(&self) -> Result<Option<AthenaSettings>> {
        if !self.any_set() {
            return Ok(None);
        }
        let (Some(database), Some(table)) = (&self.athena_database, &self.athena_table) else {
            bail!(
                "the Athena source needs --athena-database and --athena-table (the Glue database and CloudTrail table), and --athena-output s3://... or an --athena-workgroup that sets an output location"
            );
        };
        if let Some(output) = &self.athena_output {
            if !output.starts_with("s3://") || output.len() <= "s3://".len() {
                bail!("--athena-output {output:?}: not an S3 location (s3://bucket/prefix/)");
            }
        } else if self.athena_workgroup.is_none() {
            bail!(
                "the Athena source needs --athena-output s3://bucket/prefix/ (where Athena writes the results), or an --athena-workgroup whose configuration sets one"
            );
        }
        let column = |flag: &str, name: &Option<String>| -> Result<Option<Identifier>> {
            name.as_deref()
                .map(|n| Identifier::parse(flag, n))
                .transpose()
        };
        Ok(Some(AthenaSettings {
            database: Identifier::parse("--athena-database", database)?,
            table: Identifier::parse("--athena-table", table)?,
            workgroup: self.athena_workgroup.clone(),
            output: self.athena_output.clone(),
            region: self.athena_region.clone(),
            partitions: Partitions {
                date: column("--athena-partition-column", &self.athena_partition_column)?,
                date_format: self.athena_partition_format,
                region: column("--athena-region-column", &self.athena_region_column)?,
                account: column("--athena-account-column", &self.athena_account_column)?,
            },
            polling: Polling {
                timeout: Duration::from_secs(self.athena_timeout),
                ..Polling::default()
            },
        }))
    }
}

/// The activity sources of `collect` and live `audit`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ActivityInputArgs {
    /// Add AssumeRole activity into the DB-connect roles from local CloudTrail files: a
    /// directory to walk (S3 layout `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`) or
    /// one file (repeatable). Damaged files become coverage gaps; the run goes on.
    #[arg(long = "cloudtrail-dir", value_name = "PATH")]
    pub cloudtrail_dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub athena: AthenaArgs,
    /// Add AssumeRole activity from CloudTrail LookupEvents (last 90 days only) in every
    /// collected account and region.
    #[arg(long)]
    pub lookup_events: bool,
    /// Only activity on or after this day (UTC), YYYY-MM-DD. Athena and LookupEvents default
    /// to 90 days ago.
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub activity_since: Option<Day>,
}

impl ActivityInputArgs {
    /// True when an AWS-side source (Athena, LookupEvents) was asked for.
    pub fn wants_aws(&self) -> bool {
        self.athena.any_set() || self.lookup_events
    }

    /// Usage checks that do not depend on the command.
    pub fn check(&self) -> Result<()> {
        if self.activity_since.is_some() && self.cloudtrail_dirs.is_empty() && !self.wants_aws() {
            bail!(
                "--activity-since needs an activity source: --cloudtrail-dir, --athena-table or --lookup-events"
            );
        }
        self.athena.settings().map(|_| ())
    }
}

impl ActivityInputArgs {
    /// The AWS-side request for the collector, `None` when neither Athena nor LookupEvents.
    pub fn request(&self) -> Result<Option<ActivityRequest>> {
        if !self.wants_aws() {
            return Ok(None);
        }
        Ok(Some(ActivityRequest {
            athena: self.athena.settings()?,
            lookup_events: self.lookup_events,
            since: self.activity_since,
        }))
    }
}

/// What a live collection leaves besides its inventory: the runtime it ran on, its clients
/// and its call log, kept for the AWS-side activity sources, which run once the command
/// knows which roles to look for.
pub struct LiveCollection {
    runtime: tokio::runtime::Runtime,
    clients: AwsActivityClients,
    pub calls: CallLog,
}

impl LiveCollection {
    /// Collects the IAM/RDS/Organizations facts of `options` (no activity yet).
    pub fn collect(options: &Options) -> Result<(Inventory, Self)> {
        let runtime = aws::runtime()?;
        let collection = runtime.block_on(aws::collect(options))?;
        let live = LiveCollection {
            runtime,
            clients: collection.activity_clients,
            calls: collection.calls,
        };
        Ok((collection.inventory, live))
    }

    /// Reads the AWS-side sources `args` asks for (Athena, LookupEvents) for `roles`, with the
    /// collection's clients; one note per source run goes to stderr. `None` when none was
    /// asked for.
    pub fn aws_activity(
        &self,
        roles: &[String],
        args: &ActivityInputArgs,
    ) -> Result<Option<FoundActivity>> {
        let Some(request) = args.request()? else {
            return Ok(None);
        };
        let (found, notes) = self.runtime.block_on(aws::find_activity(
            &self.clients,
            &self.calls,
            roles,
            &request,
        ))?;
        for note in notes {
            eprintln!("rdsiam: {note}");
        }
        Ok(Some(found))
    }
}

/// Adds the activity sources of `args` to a collected inventory (`rdsiam collect`): the
/// AWS-side ones (Athena, LookupEvents) with the collection's clients, then `--cloudtrail-dir`
/// (a one-line summary goes to stderr; damaged files become coverage gaps). Both look for the
/// DB-connect roles of one access analysis of the inventory.
pub fn add_to_collection(
    inventory: &mut Inventory,
    live: &LiveCollection,
    args: &ActivityInputArgs,
) -> Result<()> {
    if args.cloudtrail_dirs.is_empty() && !args.wants_aws() {
        return Ok(());
    }
    let roles = roles_of_interest_in(inventory);
    if let Some(found) = live.aws_activity(&roles, args)? {
        inventory.activity.extend(found.events);
        inventory.activity = deduplicated(std::mem::take(&mut inventory.activity));
        inventory.activity_scope.extend(found.scopes);
        inventory.coverage.extend(found.gaps);
    }
    if args.cloudtrail_dirs.is_empty() {
        return Ok(());
    }
    let outcome = add_cloudtrail_activity(inventory, &roles, &ingest_options(args))?;
    print_summary(
        &outcome.scan,
        outcome.roles,
        outcome.events_found,
        outcome.events_added,
    );
    Ok(())
}

/// The activity `audit` judges beside the inventory, for the roles of its own analysis (the
/// analysis is built once): the inventory's own, then what the AWS-side sources found
/// (`aws`, read by a live audit), then `--cloudtrail-dir` (scanned here; a one-line summary
/// goes to stderr). `None` when nothing was read or looked for.
pub fn activity_for(
    audit: &engine::Audit<'_>,
    inventory: &Inventory,
    args: &ActivityInputArgs,
    live: Option<&LiveCollection>,
) -> Result<Option<engine::Activity>> {
    let wants_aws = live.is_some() && args.wants_aws();
    if args.cloudtrail_dirs.is_empty() && !wants_aws {
        return Ok(None);
    }
    let roles = audit.roles_of_interest();
    let aws = match live {
        Some(live) => live.aws_activity(&roles, args)?,
        None => None,
    };
    let base = aws.map(|found| merge(inventory, found));
    if args.cloudtrail_dirs.is_empty() {
        return Ok(base.map(judged));
    }
    let found = scan_cloudtrail_files(&roles, &ingest_options(args))?;
    if roles.is_empty() {
        print_summary(&found.scan, 0, 0, 0);
        return Ok(base.map(judged));
    }
    let scan = found.scan.clone();
    let (merged, mut gaps) = match base {
        Some(base) => (merge_onto(&base.events, &base.scopes, found), base.gaps),
        None => (merge(inventory, found), Vec::new()),
    };
    print_summary(&scan, roles.len(), merged.events_found, merged.events_added);
    gaps.extend(merged.gaps);
    Ok(Some(engine::Activity {
        events: merged.events,
        scopes: merged.scopes,
        gaps,
    }))
}

/// Merged activity as the engine judges it.
fn judged(merged: MergedActivity) -> engine::Activity {
    engine::Activity {
        events: merged.events,
        scopes: merged.scopes,
        gaps: merged.gaps,
    }
}

fn ingest_options(args: &ActivityInputArgs) -> IngestOptions {
    IngestOptions {
        paths: args.cloudtrail_dirs.clone(),
        since: args.activity_since,
        threads: None,
    }
}

fn print_summary(scan: &ScanReport, roles: usize, found: usize, added: usize) {
    eprintln!(
        "rdsiam: CloudTrail: {} of {} file(s) read for {} DB-connect role(s); {} AssumeRole event(s), {} new; {} file(s) not fully read",
        scan.files_read,
        scan.files_found,
        roles,
        found,
        added,
        scan.problem_files().len()
    );
}

pub fn parse_day(text: &str) -> Result<Day, String> {
    Day::parse(text).ok_or_else(|| format!("not a date (YYYY-MM-DD): {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn athena(database: Option<&str>, table: Option<&str>, output: Option<&str>) -> AthenaArgs {
        AthenaArgs {
            athena_database: database.map(Into::into),
            athena_table: table.map(Into::into),
            athena_output: output.map(Into::into),
            athena_timeout: 60,
            ..AthenaArgs::default()
        }
    }

    #[test]
    fn incomplete_athena_flags_are_usage_errors_naming_the_flags() {
        assert!(athena(None, None, None).settings().unwrap().is_none());
        let cases = [
            (athena(Some("db"), None, Some("s3://b/")), "--athena-table"),
            (athena(Some("db"), Some("t"), None), "--athena-output"),
            (
                athena(Some("db"), Some("t"), Some("/tmp/x")),
                "not an S3 location",
            ),
            (
                athena(Some("db"), Some("t;x"), Some("s3://b/")),
                "--athena-table \"t;x\"",
            ),
        ];
        for (args, expected) in cases {
            let err = args.settings().unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
        let mut with_workgroup = athena(Some("db"), Some("t"), None);
        with_workgroup.athena_workgroup = Some("team".into());
        assert!(with_workgroup.settings().unwrap().is_some());
    }
}
