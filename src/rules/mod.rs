//! Rules: the rule table ([`table`]: each rule's id, logic and `rules/<id>.toml`, registered
//! once), the logic (one file per rule family), and the entry point the audit calls.
//! A rule is a pure function of the inventory and its [`Analysis`]: no network, no clock
//! except the report's `evaluated_at`, which is the snapshot's collection time or `--at`.
//! `settings` (from `rdsiam.toml`) tunes parameters, turns rules off, overrides severities,
//! filters the scope; `exceptions` applies accepted risks after every rule ran.

mod activity;
pub mod auth_log;
pub mod catalogue;
mod connect_patterns;
mod context;
mod cross_account;
mod database;
pub mod exceptions;
mod guardrails;
pub mod params;
mod policy_arns;
pub mod policy_fix;
mod proxy_e2e;
mod rds;
pub mod settings;
pub mod table;

pub use catalogue::{Category, FixTemplate, RuleMeta};
pub use context::{ActivityFacts, RuleContext};
pub use params::RuleSettings;
pub use settings::{AuditSettings, RuleConfig, ScopeFilter};
pub use table::{RULES, Rule, catalogue, lookup};

use rayon::prelude::*;

use crate::access::Analysis;
use crate::dispose::Teardown;
use crate::inventory::Inventory;
use crate::report::{AccessEntry, ExceptionOutcome, Finding, NotEvaluated};

/// Rules that judge PostgreSQL roles (and need them read).
fn is_database_rule(id: &str) -> bool {
    lookup(id).is_some_and(|meta| meta.category == Category::Database)
}

/// What the rules concluded about an inventory.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    pub access: Vec<AccessEntry>,
    pub not_evaluated: Vec<NotEvaluated>,
    /// What each configured exception did (file order).
    pub exceptions: Vec<ExceptionOutcome>,
}

/// Runs every rule over `inventory` with the default settings. `evaluated_at` (RFC 3339) is
/// the report's time, the only clock a rule may read (certificate expiry, activity windows).
pub fn evaluate(inventory: &Inventory, evaluated_at: &str) -> Evaluation {
    evaluate_with(inventory, evaluated_at, RuleSettings::default())
}

/// [`evaluate`] with user-tuned thresholds.
pub fn evaluate_with(
    inventory: &Inventory,
    evaluated_at: &str,
    settings: RuleSettings,
) -> Evaluation {
    let settings = AuditSettings {
        params: settings,
        ..AuditSettings::default()
    };
    evaluate_configured(inventory, evaluated_at, &settings)
}

/// [`evaluate`] with everything the configuration says: parameters, rules turned off or
/// given another severity, scope filters, and exceptions (with their two rules).
pub fn evaluate_configured(
    inventory: &Inventory,
    evaluated_at: &str,
    settings: &AuditSettings,
) -> Evaluation {
    evaluate_analysis(
        Analysis::build(inventory),
        ActivityFacts::of(inventory),
        evaluated_at,
        settings,
        Teardown::Free,
    )
}

/// [`evaluate_configured`] over an analysis the caller built (the audit engine builds one
/// per audit and reuses it for the roles whose activity it reads), judging `activity`.
/// `teardown` says whether the analysis's memory is freed or left to the process's exit.
pub fn evaluate_analysis(
    mut analysis: Analysis<'_>,
    activity: ActivityFacts<'_>,
    evaluated_at: &str,
    settings: &AuditSettings,
    teardown: Teardown,
) -> Evaluation {
    let inventory = analysis.inventory;
    let context = RuleContext::new(inventory, &analysis, evaluated_at)
        .with_activity(activity)
        .with_settings(settings.params);
    for database in inventory.databases.iter().filter(|db| db.roles.is_empty()) {
        let target = &database.target;
        for (rule, _) in
            table::audit_rules().filter(|(r, _)| is_database_rule(r.id) && settings.enabled(r.id))
        {
            context.skip(
                rule.id,
                Some(&target.account),
                Some(&target.region),
                format!(
                    "database {} has no roles in the inventory (introspection returned none; at least the login role always exists): re-run `rdsiam collect --db` against it",
                    target.identifier
                ),
            );
        }
    }
    // Several rules read the connect patterns: read them first, on every core, rather than
    // inside the first rule that asks while the others block their threads waiting.
    context.connect_patterns();
    // Rules are independent pure functions: run them on every core. Collecting keeps
    // registry order, so the output does not depend on scheduling.
    let rules: Vec<_> = table::audit_rules()
        .filter(|(rule, _)| settings.enabled(rule.id))
        .collect();
    let per_rule: Vec<Vec<Finding>> = rules
        .par_iter()
        .map(|(rule, check)| check(&context, rule.meta()))
        .collect();
    let mut findings: Vec<Finding> = per_rule.into_iter().flatten().collect();
    // The same object can be reached twice (e.g. a policy attached to two roles).
    let mut seen =
        crate::fast_hash::FastSet::with_capacity_and_hasher(findings.len(), Default::default());
    findings.retain(|finding| seen.insert(finding.fingerprint.clone()));
    drop(seen);
    settings.scope.retain(inventory, &mut findings);
    let (exceptions, raised) = exceptions::apply(
        &mut findings,
        &settings.exceptions,
        context.now_millis,
        evaluated_at,
        |id| settings.enabled(id),
    );
    findings.extend(raised);
    if settings.rules.values().any(|r| r.severity.is_some()) {
        for finding in &mut findings {
            if let Some(severity) = settings.severity(&finding.rule) {
                finding.severity = severity;
            }
        }
    }
    let not_evaluated = context.not_evaluated();
    drop(context);
    // The compiled policies are the analysis's largest part (millions of small
    // allocations) and the access matrix no longer needs them: free them on one core while
    // the other builds the matrix (or not at all when the process is about to exit).
    let index = std::mem::take(&mut analysis.index);
    let (access, ()) = rayon::join(
        || analysis.access_entries(),
        move || teardown.dispose(index),
    );
    teardown.dispose(analysis);
    Evaluation {
        findings,
        access,
        not_evaluated,
        exceptions,
    }
}
