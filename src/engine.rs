//! The audit engine: one inventory in, one report out. It builds the access analysis once,
//! runs the rules over it, and assembles the report with what shaped it (configuration,
//! time source, exceptions). The library's audit entry point: commands, tests, examples and
//! benchmarks call it; it does no I/O of its own (the command reads the snapshot, scans
//! CloudTrail files and writes the report).
//!
//! An audit that reads activity beside the inventory (`rdsiam audit --cloudtrail-dir`, and a
//! live audit's Athena and LookupEvents sources) needs the analysis first (the activity
//! sources look for the DB-connect roles it finds): [`Audit::prepare`] builds it,
//! [`Audit::roles_of_interest`] names the roles, the caller reads the sources, and
//! [`Audit::report`] judges the inventory plus that activity with the same analysis. With `RDSIAM_PHASE_TIMES=1` the engine marks its own phases (`analysis`,
//! `rules + access entries`, `report`).

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::access::Analysis;
use crate::access::activity_summary;
use crate::dispose::Teardown;
use crate::inventory::{ActivityScope, AssumeRoleEvent, Gap, Inventory};
use crate::report::{Report, Scope, ShapedBy, TimeSource};
use crate::rules::{self, ActivityFacts};

/// Everything an audit needs besides the inventory.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The report's stamp (RFC 3339): when it was made.
    pub generated_at: String,
    /// The time the rules judge at (RFC 3339): the snapshot's `collected_at`, or `--at`.
    pub evaluated_at: String,
    /// Where `evaluated_at` came from.
    pub time_source: TimeSource,
    /// The snapshot audited, when the inventory came from one (shown in the report's scope).
    pub snapshot: Option<PathBuf>,
    /// The configuration (`rdsiam.toml`): rule parameters, overrides, scope, exceptions.
    pub config: crate::config::Settings,
    /// What happens to the analysis once the report no longer needs it: a command that
    /// exits right after the audit leaves it to the exit.
    pub teardown: Teardown,
}

impl Settings {
    /// Default configuration, evaluated as of `generated_at`.
    pub fn at(generated_at: impl Into<String>) -> Self {
        let generated_at = generated_at.into();
        Settings {
            evaluated_at: generated_at.clone(),
            generated_at,
            ..Settings::default()
        }
    }
}

/// AssumeRole activity read beside the inventory (not in it): every event (the inventory's
/// own merged with the new, deduplicated), every scope, and the new coverage gaps.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    pub events: Vec<AssumeRoleEvent>,
    pub scopes: Vec<ActivityScope>,
    pub gaps: Vec<Gap>,
}

/// Audits `inventory` (its own activity only).
pub fn audit(inventory: &Inventory, settings: &Settings) -> Report {
    Audit::prepare(inventory).report(settings, None)
}

/// An audit whose analysis is built: the one analysis of this audit.
pub struct Audit<'i> {
    analysis: Analysis<'i>,
}

impl<'i> Audit<'i> {
    /// Builds the access analysis of `inventory`.
    pub fn prepare(inventory: &'i Inventory) -> Self {
        let analysis = Analysis::build(inventory);
        Audit { analysis }
    }

    /// The roles whose AssumeRole activity the rules judge (for an activity source).
    pub fn roles_of_interest(&self) -> Vec<String> {
        activity_summary::roles_of_interest(&self.analysis)
    }

    /// Runs the rules and assembles the report. `activity`, when given, replaces the
    /// inventory's own (it holds it, merged) and adds its gaps to the report's coverage.
    pub fn report(self, settings: &Settings, activity: Option<&Activity>) -> Report {
        let inventory = self.analysis.inventory;
        let facts = match activity {
            Some(activity) => ActivityFacts {
                events: &activity.events,
                scopes: &activity.scopes,
                gaps: &activity.gaps,
            },
            None => ActivityFacts::of(inventory),
        };
        let config = &settings.config;
        let evaluated_at = settings.evaluated_at.as_str();
        let evaluation = rules::evaluate_analysis(
            self.analysis,
            facts,
            evaluated_at,
            &config.rules,
            settings.teardown,
        );
        crate::phases::mark("rules + access entries");
        let mut coverage = inventory.coverage.clone();
        coverage.extend(activity.iter().flat_map(|a| a.gaps.iter().cloned()));
        let mut report = Report::new(
            settings.generated_at.clone(),
            scope(inventory, settings.snapshot.as_deref()),
            coverage,
            evaluation.findings,
            evaluation.access,
            evaluation.not_evaluated,
        );
        report.evaluated_at = evaluated_at.to_owned();
        report.shaped_by = ShapedBy {
            config: config.source.clone(),
            evaluated_at_source: settings.time_source,
            exceptions: evaluation.exceptions,
            rule_overrides: config.rules.overrides(),
            scope_filters: config.rules.scope.describe(),
            baseline: None,
        };
        report.recount();
        crate::phases::mark("report");
        report
    }
}

/// What the report says it covers: the snapshot, the accounts and regions, the databases.
pub fn scope(inventory: &Inventory, snapshot: Option<&std::path::Path>) -> Scope {
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
