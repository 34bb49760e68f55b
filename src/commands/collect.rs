//! `rdsiam collect`: read IAM, RDS and Organizations facts from AWS into a snapshot file
//! (`.json` or `.json.gz`) for offline review with `rdsiam audit --snapshot`, with AssumeRole
//! activity into the DB-connect roles when a source is given (`--cloudtrail-dir`, Athena,
//! `--lookup-events`).

use std::path::PathBuf;

use anyhow::Result;

use super::activity_inputs::{ActivityInputArgs, LiveCollection, add_to_collection};
use super::db_args::DbArgs;
use super::live::LiveArgs;
use crate::collect::aws;
use crate::exit::Outcome;
use crate::inventory::{snapshot, validate};

#[derive(Debug, clap::Args)]
pub struct CollectArgs {
    #[command(flatten)]
    pub live: LiveArgs,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub activity: ActivityInputArgs,
    /// Snapshot file to write (`.json`, or `.json.gz` to compress).
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
}

pub fn run(args: CollectArgs) -> Result<Outcome> {
    args.activity.check()?;
    args.db.check()?;
    let options = args.live.options()?;
    let (mut inventory, live) = LiveCollection::collect(&options)?;
    args.db
        .apply(&mut inventory, args.live.profile.as_deref())?;
    add_to_collection(&mut inventory, &live, &args.activity)?;
    let inventory = &inventory;
    // AWS data is consistent by construction; a structural issue here (e.g. an emulator that
    // gives every instance the same resource id) would make the snapshot refuse to load.
    let issues = validate::validate(inventory);
    if !issues.is_empty() {
        eprintln!(
            "rdsiam: warning: the collected inventory has {} structural issue(s); `audit --snapshot` will refuse it:",
            issues.len()
        );
        for issue in &issues {
            eprintln!("  {}: {}", issue.json_path, issue.message);
        }
    }
    let written = snapshot::save(inventory, &args.output)?;
    let (instances, clusters) = inventory
        .accounts
        .iter()
        .flat_map(|a| &a.regions)
        .fold((0, 0), |(i, c), r| {
            (i + r.db_instances.len(), c + r.db_clusters.len())
        });
    eprintln!(
        "rdsiam: collected {} account(s), {instances} PostgreSQL instance(s), {clusters} cluster(s), {} AssumeRole event(s) with {} API call(s); {} coverage gap(s); wrote {}",
        inventory.accounts.len(),
        inventory.activity.len(),
        live.calls.total(),
        inventory.coverage.len(),
        written.display()
    );
    if !inventory.coverage.is_empty() {
        eprintln!("{}", aws::describe_gaps(&inventory.coverage));
    }
    Ok(Outcome::Clean)
}
