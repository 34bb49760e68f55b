//! What the audit is told besides the inventory, already validated (by `config`): rule
//! parameters, rules turned off or given another severity, accepted risks (exceptions) and
//! the scope filters. Rules receive these values; they never read a file or the clock.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::params::RuleSettings;
use crate::inventory::Inventory;
use crate::report::{Exception, Finding, ResourceKind, RuleOverride, Severity};

/// `[rules.<id>]`: whether the rule runs, and the severity its findings get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleConfig {
    pub enabled: bool,
    pub severity: Option<Severity>,
}

impl Default for RuleConfig {
    fn default() -> Self {
        RuleConfig {
            enabled: true,
            severity: None,
        }
    }
}

/// Include and exclude lists of one scope dimension. Empty `include` means everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub include: BTreeSet<String>,
    pub exclude: BTreeSet<String>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether `value` is in scope; a finding without the value (`None`) is kept.
    fn keeps(&self, value: Option<&str>) -> bool {
        let Some(value) = value else {
            return true;
        };
        (self.include.is_empty() || self.include.contains(value)) && !self.exclude.contains(value)
    }
}

/// `[scope]`: which findings the audit reports. The rules see the whole inventory (a grant
/// in one account can reach a database in another); the filter keeps the findings whose
/// resource is in scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeFilter {
    pub accounts: Filter,
    /// OU ids (`ou-…`) or names: an account is in an OU when the OU is among its ancestors.
    pub ous: Filter,
    pub regions: Filter,
    /// DB instance, cluster or proxy identifiers.
    pub databases: Filter,
    pub db_users: Filter,
}

impl ScopeFilter {
    pub fn is_empty(&self) -> bool {
        [
            &self.accounts,
            &self.ous,
            &self.regions,
            &self.databases,
            &self.db_users,
        ]
        .iter()
        .all(|f| f.is_empty())
    }

    /// The filters as short sentences for the report (`exclude accounts 111111111111`).
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, filter) in [
            ("accounts", &self.accounts),
            ("ous", &self.ous),
            ("regions", &self.regions),
            ("databases", &self.databases),
            ("db-users", &self.db_users),
        ] {
            for (verb, list) in [("include", &filter.include), ("exclude", &filter.exclude)] {
                if !list.is_empty() {
                    let values: Vec<&str> = list.iter().map(String::as_str).collect();
                    out.push(format!("{verb} {name} {}", values.join(", ")));
                }
            }
        }
        out
    }

    /// Drops the findings out of scope.
    pub fn retain(&self, inventory: &Inventory, findings: &mut Vec<Finding>) {
        if self.is_empty() {
            return;
        }
        let ou_of = (!self.ous.is_empty()).then(|| account_ous(inventory));
        findings.retain(|finding| {
            let r = &finding.resource;
            let database = matches!(
                r.kind,
                ResourceKind::DbInstance | ResourceKind::DbCluster | ResourceKind::DbProxy
            )
            .then(|| r.arn.rsplit([':', '/']).next().unwrap_or(&r.arn));
            let ous_keep = match (&ou_of, r.account.as_deref()) {
                (Some(map), Some(account)) => {
                    let ous = map.get(account).map(Vec::as_slice).unwrap_or_default();
                    (self.ous.include.is_empty()
                        || ous.iter().any(|ou| self.ous.include.contains(ou)))
                        && !ous.iter().any(|ou| self.ous.exclude.contains(ou))
                }
                _ => true,
            };
            ous_keep
                && self.accounts.keeps(r.account.as_deref())
                && self.regions.keeps(r.region.as_deref())
                && self.databases.keeps(database)
                && self.db_users.keeps(r.db_user.as_deref())
        });
    }
}

/// Each account's ancestor OUs, by id and by name.
fn account_ous(inventory: &Inventory) -> BTreeMap<&str, Vec<String>> {
    let mut out = BTreeMap::new();
    let Some(org) = &inventory.organization else {
        return out;
    };
    let parent: BTreeMap<&str, (&str, &str)> = org
        .organizational_units
        .iter()
        .map(|ou| (ou.id.as_str(), (ou.parent_id.as_str(), ou.name.as_str())))
        .collect();
    for account in &org.accounts {
        let mut ous = Vec::new();
        let mut at = account.parent_id.as_str();
        // Bounded: a malformed snapshot could hold a parent cycle.
        for _ in 0..64 {
            let Some((up, name)) = parent.get(at) else {
                break;
            };
            ous.push(at.to_owned());
            ous.push((*name).to_owned());
            at = up;
        }
        out.insert(account.id.as_str(), ous);
    }
    out
}

/// Everything the audit is told besides the inventory.
#[derive(Debug, Clone, Default)]
pub struct AuditSettings {
    pub params: RuleSettings,
    /// Rules whose `[rules.<id>]` says something; absent means enabled, catalogue severity.
    pub rules: BTreeMap<String, RuleConfig>,
    pub exceptions: Vec<Arc<Exception>>,
    pub scope: ScopeFilter,
}

impl AuditSettings {
    pub fn enabled(&self, rule: &str) -> bool {
        self.rules.get(rule).is_none_or(|r| r.enabled)
    }

    pub fn severity(&self, rule: &str) -> Option<Severity> {
        self.rules.get(rule).and_then(|r| r.severity)
    }

    /// The rules configured away from the catalogue, for the report.
    pub fn overrides(&self) -> Vec<RuleOverride> {
        let mut ids: BTreeSet<&str> = self
            .rules
            .iter()
            .filter(|(_, r)| !r.enabled || r.severity.is_some())
            .map(|(id, _)| id.as_str())
            .collect();
        let defaults = RuleSettings::default();
        for parameter in super::params::PARAMETERS {
            if (parameter.get)(&self.params) != (parameter.get)(&defaults) {
                ids.insert(parameter.rule);
            }
        }
        ids.into_iter()
            .map(|id| {
                let config = self.rules.get(id).cloned().unwrap_or_default();
                RuleOverride {
                    rule: id.to_owned(),
                    enabled: config.enabled,
                    severity: config.severity,
                    parameters: super::params::of(id)
                        .filter(|p| (p.get)(&self.params) != (p.get)(&defaults))
                        .map(|p| (p.key.to_owned(), (p.get)(&self.params).to_string()))
                        .collect(),
                }
            })
            .collect()
    }
}
