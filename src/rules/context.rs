//! What a rule sees: the inventory, the access analysis, the report time, and helpers that
//! start findings from the catalogue (severity, title, fix template) so the logic only adds
//! the resource, the evidence and the values.

use std::sync::{Mutex, OnceLock};

use crate::access::{Analysis, PolicyOwner, Target};
use crate::inventory::{ActivityScope, AssumeRoleEvent, Gap, Inventory};
use crate::report::{Finding, FindingBuilder, NotEvaluated, Resource, ResourceKind};

use super::connect_patterns::{ConnectPattern, connect_patterns};
use super::params::RuleSettings;

/// The AssumeRole activity the rules judge: the inventory's own, or the inventory's merged
/// with what an audit read beside it (`rdsiam audit --cloudtrail-dir`: the activity is
/// scanned for the roles the audit's one analysis found, so it cannot join the inventory
/// that analysis borrows).
#[derive(Debug, Clone, Copy)]
pub struct ActivityFacts<'a> {
    /// Every event, deduplicated, in time order.
    pub events: &'a [AssumeRoleEvent],
    /// Which trail accounts and days were read.
    pub scopes: &'a [ActivityScope],
    /// Gaps of the activity read beside the inventory (the inventory's own are in its
    /// `coverage`).
    pub gaps: &'a [Gap],
}

impl<'a> ActivityFacts<'a> {
    /// The inventory's own activity.
    pub fn of(inventory: &'a Inventory) -> Self {
        ActivityFacts {
            events: &inventory.activity,
            scopes: &inventory.activity_scope,
            gaps: &[],
        }
    }
}

pub struct RuleContext<'a> {
    pub inventory: &'a Inventory,
    pub analysis: &'a Analysis<'a>,
    /// AssumeRole activity (read it here, not from `inventory`).
    pub activity: ActivityFacts<'a>,
    /// The report's time, RFC 3339.
    pub evaluated_at: &'a str,
    /// The report's time in epoch milliseconds (`None` when unparseable).
    pub now_millis: Option<i64>,
    /// Thresholds the user may tune (`rdsiam audit --unused-days`).
    pub settings: RuleSettings,
    not_evaluated: Mutex<Vec<NotEvaluated>>,
    connect_patterns: OnceLock<Vec<ConnectPattern<'a>>>,
}

impl<'a> RuleContext<'a> {
    pub fn new(
        inventory: &'a Inventory,
        analysis: &'a Analysis<'a>,
        evaluated_at: &'a str,
    ) -> Self {
        RuleContext {
            inventory,
            analysis,
            activity: ActivityFacts::of(inventory),
            evaluated_at,
            now_millis: crate::policy::condition::parse_date(evaluated_at),
            settings: RuleSettings::default(),
            not_evaluated: Mutex::new(Vec::new()),
            connect_patterns: OnceLock::new(),
        }
    }

    /// The same context judging `activity` instead of the inventory's own.
    pub fn with_activity(mut self, activity: ActivityFacts<'a>) -> Self {
        self.activity = activity;
        self
    }

    /// The same context with user-tuned thresholds.
    pub fn with_settings(mut self, settings: RuleSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Every rds-db resource pattern of the Allow statements meant to grant DB access,
    /// linted once and shared by the policy-ARN rules.
    pub fn connect_patterns(&self) -> &[ConnectPattern<'a>] {
        self.connect_patterns
            .get_or_init(|| connect_patterns(self.analysis))
    }

    /// Records that rule `id` could not be evaluated for a scope.
    pub fn not_evaluated(&self) -> Vec<NotEvaluated> {
        let mut list = self
            .not_evaluated
            .lock()
            .map(|list| list.clone())
            .unwrap_or_default();
        // Rules run in parallel: sort so the report does not depend on scheduling.
        list.sort_by(|a, b| {
            (&a.rule, &a.account, &a.region, &a.reason)
                .cmp(&(&b.rule, &b.account, &b.region, &b.reason))
        });
        list
    }

    pub fn skip(&self, rule: &str, account: Option<&str>, region: Option<&str>, reason: String) {
        let Ok(mut list) = self.not_evaluated.lock() else {
            return;
        };
        let entry = NotEvaluated {
            rule: rule.to_owned(),
            account: account.map(str::to_owned),
            region: region.map(str::to_owned),
            reason,
        };
        if !list.contains(&entry) {
            list.push(entry);
        }
    }

    /// The coverage gap, if any, that left `source` (e.g. `rds:DescribeDBInstances`)
    /// unread for an account and region.
    pub fn gap(&self, account: &str, region: Option<&str>, source_prefix: &str) -> Option<String> {
        self.inventory
            .coverage
            .iter()
            .chain(self.activity.gaps)
            .find(|gap| {
                gap.account.as_deref() == Some(account)
                    && (gap.region.is_none() || region.is_none() || gap.region.as_deref() == region)
                    && gap.source.starts_with(source_prefix)
            })
            .map(|gap| format!("{} {}", gap.source, gap.error_code))
    }

    /// The finding's resource for a policy document.
    pub fn policy_resource(&self, owner: &PolicyOwner) -> Resource {
        let kind = match owner {
            PolicyOwner::Managed { .. } => ResourceKind::IamPolicy,
            PolicyOwner::Inline { owner_arn, .. } if owner_arn.contains(":user/") => {
                ResourceKind::IamUser
            }
            PolicyOwner::Inline { owner_arn, .. } if owner_arn.contains(":group/") => {
                ResourceKind::IamGroup
            }
            PolicyOwner::Inline { .. } | PolicyOwner::Trust { .. } => ResourceKind::IamRole,
            PolicyOwner::Organization { .. } => ResourceKind::OrgPolicy,
        };
        let resource = Resource::new(kind, owner.resource_arn());
        match owner.account() {
            Some(account) => resource.account(account),
            None => resource,
        }
    }

    /// The finding's resource for a connect target (optionally naming a DB user).
    pub fn target_resource(&self, target: &Target<'_>, db_user: Option<&str>) -> Resource {
        let resource = Resource::new(target.kind.resource_kind(), target.arn)
            .account(target.account)
            .region(target.region);
        match db_user {
            Some(user) => resource.db_user(user),
            None => resource,
        }
    }

    /// Builds `builder`, dropping it if it lacks what every finding must carry (a rule bug
    /// that the rule tests catch; the audit itself must not fail over it).
    pub fn emit(&self, builder: FindingBuilder, out: &mut Vec<Finding>) {
        if let Ok(finding) = builder.build() {
            out.push(finding);
        }
    }
}
