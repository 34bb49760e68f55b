//! Activity analysis: which roles' activity matters ([`roles_of_interest`], from the access
//! analysis), and per-role counts over a set of AssumeRole events ([`summarize`]: how often,
//! how many failed, from how many accounts and addresses, first and last seen).
//! Source-agnostic, like the events.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Analysis;
use crate::inventory::{AssumeRoleEvent, Inventory};

/// The roles that grant `rds-db:connect` (the rules judge only those); when the analysis
/// finds none, every IAM role of the inventory, so the activity is still on record. The
/// activity sources look for these (the caller passes them in).
pub fn roles_of_interest(analysis: &Analysis<'_>) -> Vec<String> {
    let inventory = analysis.inventory;
    let mut roles: Vec<String> = analysis
        .connect_roles
        .iter()
        .map(|&i| analysis.principals[i].arn.to_owned())
        .collect();
    if roles.is_empty() {
        roles = inventory
            .accounts
            .iter()
            .flat_map(|a| &a.iam.roles)
            .filter(|r| !r.is_service_linked())
            .map(|r| r.arn.clone())
            .collect();
    }
    roles.sort();
    roles.dedup();
    roles
}

/// [`roles_of_interest`] of an inventory no analysis was built for yet (`rdsiam collect`,
/// which audits nothing; an audit reuses its own analysis instead).
pub fn roles_of_interest_in(inventory: &Inventory) -> Vec<String> {
    roles_of_interest(&Analysis::build(inventory))
}

/// Activity into one role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleSummary {
    pub role_arn: String,
    pub count: u64,
    pub successes: u64,
    pub failures: u64,
    pub distinct_source_accounts: u64,
    /// Caller accounts (`userIdentity.accountId`), sorted.
    pub source_accounts: Vec<String>,
    pub distinct_source_ips: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

/// One summary per role in `roles` (in that order, zero counts included: "never assumed" is
/// the answer for an unused role), then any other role the events mention.
pub fn summarize(roles: &[String], events: &[AssumeRoleEvent]) -> Vec<RoleSummary> {
    #[derive(Default)]
    struct Acc<'a> {
        count: u64,
        failures: u64,
        accounts: BTreeSet<&'a str>,
        ips: BTreeSet<&'a str>,
        first: Option<&'a str>,
        last: Option<&'a str>,
    }
    let mut by_role: BTreeMap<&str, Acc> = BTreeMap::new();
    for e in events {
        let acc = by_role.entry(e.role_arn.as_str()).or_default();
        acc.count += 1;
        acc.failures += u64::from(e.failed());
        if let Some(a) = &e.source_account {
            acc.accounts.insert(a);
        }
        if let Some(ip) = &e.source_ip {
            acc.ips.insert(ip);
        }
        let t = e.event_time.as_str();
        acc.first = Some(acc.first.map_or(t, |f| f.min(t)));
        acc.last = Some(acc.last.map_or(t, |l| l.max(t)));
    }
    let mut order: Vec<&str> = roles.iter().map(String::as_str).collect();
    order.dedup();
    order.extend(by_role.keys().filter(|r| !roles.iter().any(|x| x == *r)));
    order
        .into_iter()
        .map(|role| {
            let acc = by_role.remove(role).unwrap_or_default();
            RoleSummary {
                role_arn: role.to_owned(),
                count: acc.count,
                successes: acc.count - acc.failures,
                failures: acc.failures,
                distinct_source_accounts: acc.accounts.len() as u64,
                source_accounts: acc.accounts.iter().map(|a| (*a).to_owned()).collect(),
                distinct_source_ips: acc.ips.len() as u64,
                first_seen: acc.first.map(str::to_owned),
                last_seen: acc.last.map(str::to_owned),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(role: &str, time: &str, acct: &str, ip: &str, err: Option<&str>) -> AssumeRoleEvent {
        AssumeRoleEvent {
            event_time: time.into(),
            event_id: time.into(),
            shared_event_id: None,
            source_account: Some(acct.into()),
            principal_arn: None,
            principal_type: None,
            role_arn: role.into(),
            role_session_name: None,
            source_ip: Some(ip.into()),
            user_agent: None,
            error_code: err.map(Into::into),
            recipient_account: None,
        }
    }

    #[test]
    fn counts_per_role_including_unused() {
        let roles = vec!["r1".to_owned(), "r2".to_owned()];
        let events = [
            ev("r1", "2026-03-02T00:00:00Z", "a", "1.1.1.1", None),
            ev(
                "r1",
                "2026-03-01T00:00:00Z",
                "b",
                "1.1.1.1",
                Some("AccessDenied"),
            ),
            ev("r1", "2026-03-03T00:00:00Z", "a", "2.2.2.2", None),
        ];
        let s = summarize(&roles, &events);
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].count, s[0].successes, s[0].failures), (3, 2, 1));
        assert_eq!(s[0].source_accounts, vec!["a", "b"]);
        assert_eq!(s[0].distinct_source_ips, 2);
        assert_eq!(s[0].first_seen.as_deref(), Some("2026-03-01T00:00:00Z"));
        assert_eq!(s[0].last_seen.as_deref(), Some("2026-03-03T00:00:00Z"));
        assert_eq!((s[1].role_arn.as_str(), s[1].count), ("r2", 0));
    }
}
