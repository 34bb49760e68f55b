//! Rules: the catalogue of rule metadata (`rules/<id>.toml`, compiled in), the explicit
//! registry of rule logic (one file per rule family), and the entry point the audit calls.
//! A rule is a pure function of the inventory and its [`Analysis`]: no network, no clock
//! except the report's `evaluated_at`, which is the snapshot's collection time or `--at`.
//! `settings` (from `rdsiam.toml`) tunes parameters, turns rules off, overrides severities,
//! filters the scope; `exceptions` applies accepted risks after every rule ran.

mod activity;
pub mod auth_log;
pub mod catalogue;
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

pub use catalogue::{Category, FixTemplate, RuleMeta, catalogue, lookup};
pub use context::{ActivityFacts, RuleContext};
pub use settings::{AuditSettings, RuleConfig, ScopeFilter};

use rayon::prelude::*;

use crate::access::Analysis;
use crate::dispose::Teardown;
use crate::inventory::Inventory;
use crate::report::{AccessEntry, ExceptionOutcome, Finding, NotEvaluated};

/// One rule's logic.
pub struct RuleLogic {
    pub id: &'static str,
    pub check: fn(&RuleContext<'_>) -> Vec<Finding>,
}

/// Every rule, in catalogue order. Adding a rule is visible in this one list.
pub const REGISTRY: &[RuleLogic] = &[
    RuleLogic {
        id: "arn-missing-dbuser",
        check: policy_arns::missing_dbuser,
    },
    RuleLogic {
        id: "arn-wrong-service",
        check: policy_arns::wrong_service,
    },
    RuleLogic {
        id: "arn-db-identifier-not-resource-id",
        check: policy_arns::identifier_not_resource_id,
    },
    RuleLogic {
        id: "arn-resource-id-dangling",
        check: policy_arns::resource_id_dangling,
    },
    RuleLogic {
        id: "arn-region-account-mismatch",
        check: policy_arns::region_account_mismatch,
    },
    RuleLogic {
        id: "arn-instance-id-for-cluster",
        check: policy_arns::instance_id_for_cluster,
    },
    RuleLogic {
        id: "arn-user-name-whitespace-or-case",
        check: policy_arns::user_name_whitespace_or_case,
    },
    RuleLogic {
        id: "arn-overbroad-wildcard",
        check: policy_arns::overbroad_wildcard,
    },
    RuleLogic {
        id: "action-misspelt",
        check: policy_arns::action_misspelt,
    },
    RuleLogic {
        id: "condition-key-never-present",
        check: policy_arns::condition_key_never_present,
    },
    RuleLogic {
        id: "policy-unparseable",
        check: policy_arns::policy_unparseable,
    },
    RuleLogic {
        id: "grant-blocked-by-scp",
        check: guardrails::blocked_by_scp,
    },
    RuleLogic {
        id: "grant-blocked-by-rcp",
        check: guardrails::blocked_by_rcp,
    },
    RuleLogic {
        id: "grant-blocked-by-boundary",
        check: guardrails::blocked_by_boundary,
    },
    RuleLogic {
        id: "scp-blocks-assume-role",
        check: guardrails::scp_blocks_assume_role,
    },
    RuleLogic {
        id: "db-user-missing",
        check: database::user_missing,
    },
    RuleLogic {
        id: "db-user-lacks-rds-iam",
        check: database::user_lacks_rds_iam,
    },
    RuleLogic {
        id: "rds-iam-on-master-or-password-user",
        check: database::on_master_or_password_user,
    },
    RuleLogic {
        id: "rds-iam-superuser",
        check: database::superuser,
    },
    RuleLogic {
        id: "rds-iam-orphan",
        check: database::orphan,
    },
    RuleLogic {
        id: "rds-iam-nologin",
        check: database::nologin,
    },
    RuleLogic {
        id: "rds-iam-with-rds-ad",
        check: database::with_rds_ad,
    },
    RuleLogic {
        id: "iam-auth-disabled",
        check: rds::iam_auth_disabled,
    },
    RuleLogic {
        id: "force-ssl-off",
        check: rds::force_ssl_off,
    },
    RuleLogic {
        id: "ca-certificate-expiring",
        check: rds::ca_certificate_expiring,
    },
    RuleLogic {
        id: "iam-auth-error-log-not-exported",
        check: rds::error_log_not_exported,
    },
    RuleLogic {
        id: "proxy-iam-mode-inconsistent",
        check: rds::proxy_iam_mode_inconsistent,
    },
    RuleLogic {
        id: "role-assumable-outside-org",
        check: cross_account::assumable_outside_org,
    },
    RuleLogic {
        id: "trust-external-without-condition",
        check: cross_account::external_without_condition,
    },
    RuleLogic {
        id: "connect-role-unused",
        check: activity::connect_role_unused,
    },
    RuleLogic {
        id: "assume-role-from-outside-org",
        check: activity::from_outside_org,
    },
    RuleLogic {
        id: "assume-role-failed",
        check: activity::failed,
    },
    RuleLogic {
        id: "assume-role-first-seen",
        check: activity::first_seen,
    },
    RuleLogic {
        id: "auth-log-not-authorized",
        check: auth_log::not_authorized,
    },
    RuleLogic {
        id: "auth-log-token-reuse-or-truncation",
        check: auth_log::token_reuse_or_truncation,
    },
    RuleLogic {
        id: "auth-log-throttling",
        check: auth_log::throttling,
    },
    RuleLogic {
        id: "auth-log-unknown-caller",
        check: auth_log::unknown_caller,
    },
    RuleLogic {
        id: "proxy-e2e-iam-role-cannot-connect",
        check: proxy_e2e::role_cannot_connect,
    },
    RuleLogic {
        id: "proxy-e2e-user-lacks-rds-iam",
        check: proxy_e2e::user_lacks_rds_iam,
    },
];

/// Thresholds of the rules that a user may tune (`rdsiam.toml` `[rules.<id>]`, some also
/// from the command line). [`params::PARAMETERS`] documents each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSettings {
    /// `connect-role-unused`: days without a successful AssumeRole before a DB-connect role
    /// counts as unused (`rdsiam audit --unused-days`).
    pub unused_days: u32,
    /// `assume-role-first-seen`: a caller is new when first seen within this many days.
    pub first_seen_days: u32,
    /// `assume-role-first-seen`: days of trail before that window that must have been read.
    pub first_seen_baseline_days: u32,
    /// `ca-certificate-expiring`: days before the CA's expiry the rule starts reporting.
    pub ca_expiry_days: u32,
}

impl RuleSettings {
    pub const DEFAULT_UNUSED_DAYS: u32 = 90;
}

impl Default for RuleSettings {
    fn default() -> Self {
        RuleSettings {
            unused_days: Self::DEFAULT_UNUSED_DAYS,
            first_seen_days: activity::FIRST_SEEN_DAYS,
            first_seen_baseline_days: activity::FIRST_SEEN_BASELINE_DAYS,
            ca_expiry_days: 30,
        }
    }
}

/// Rules that judge PostgreSQL roles (and need them read).
fn is_database_rule(id: &str) -> bool {
    catalogue::lookup(id).is_some_and(|meta| meta.category == Category::Database)
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
        for rule in REGISTRY
            .iter()
            .filter(|r| is_database_rule(r.id) && settings.enabled(r.id))
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
    let per_rule: Vec<Vec<Finding>> = REGISTRY
        .par_iter()
        .filter(|rule| settings.enabled(rule.id))
        .map(|rule| (rule.check)(&context))
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
