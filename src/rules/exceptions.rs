//! Accepted risks: which findings each `[[exceptions]]` entry covers, and the two rules about
//! the exceptions themselves, `exception-expired` (past its `expires` at the evaluation time:
//! it covers nothing) and `exception-unused` (in force, covering nothing). They run after
//! every other rule, on their findings; an exception never covers an `exception-*` finding.
//!
//! Matching is indexed (by fingerprint, and by rule id and account when those are literal)
//! so ten thousand exceptions against a hundred thousand findings stay a hash lookup each.

use std::sync::Arc;

use rayon::prelude::*;

use super::table::codes::{EXCEPTION_EXPIRED, EXCEPTION_UNUSED};
use super::table::lookup;
use crate::fast_hash::FastMap;
use crate::policy::wildcard::{Flavour, Wildcard};
use crate::report::{
    Exception, ExceptionOutcome, ExceptionState, Finding, Resource, ResourceKind, Severity,
};

/// The rules of this module (registered in [`super::table`]), in the order they run, after
/// every audit rule.
pub const EXCEPTION_RULES: &[&str] = &[EXCEPTION_EXPIRED, EXCEPTION_UNUSED];

const DAY_MILLIS: i64 = 86_400_000;

struct Compiled {
    exception: Arc<Exception>,
    rule: Wildcard,
    resource: Option<Wildcard>,
    principal: Option<Wildcard>,
}

impl Compiled {
    fn new(exception: &Arc<Exception>) -> Self {
        let glob = |text: &Option<String>| {
            text.as_deref()
                .map(|t| Wildcard::compile(t, Flavour::Plain))
        };
        Compiled {
            rule: Wildcard::compile(&exception.rule, Flavour::Plain),
            resource: glob(&exception.resource),
            principal: glob(&exception.principal),
            exception: Arc::clone(exception),
        }
    }

    fn covers(&self, finding: &Finding) -> bool {
        let e = &*self.exception;
        let r = &finding.resource;
        self.rule.matches(&finding.rule)
            && e.fingerprint
                .as_deref()
                .is_none_or(|fp| fp == finding.fingerprint)
            && e.account
                .as_deref()
                .is_none_or(|a| r.account.as_deref() == Some(a))
            && e.db_user
                .as_deref()
                .is_none_or(|u| r.db_user.as_deref() == Some(u))
            && self.resource.as_ref().is_none_or(|g| g.matches(&r.arn))
            && self.principal.as_ref().is_none_or(|g| {
                matches!(
                    r.kind,
                    ResourceKind::IamRole | ResourceKind::IamUser | ResourceKind::IamGroup
                ) && g.matches(&r.arn)
            })
    }
}

/// True when `exception` no longer applies at `now` (its `expires` day has passed, UTC).
pub fn expired(exception: &Exception, now_millis: Option<i64>) -> bool {
    match (
        crate::policy::condition::parse_date(&exception.expires),
        now_millis,
    ) {
        (Some(day), Some(now)) => now >= day + DAY_MILLIS,
        // `config` validated the date; an unparseable evaluation time expires nothing.
        _ => false,
    }
}

/// Index of the exceptions in force: each finding looks up its candidates.
struct Index<'a> {
    compiled: &'a [Compiled],
    by_fingerprint: FastMap<&'a str, Vec<usize>>,
    /// Literal rule id and (literal account or none).
    by_rule: FastMap<(&'a str, Option<&'a str>), Vec<usize>>,
    /// Rule globs without a fingerprint: checked for every finding.
    rest: Vec<usize>,
}

impl<'a> Index<'a> {
    fn new(compiled: &'a [Compiled], in_force: &[bool]) -> Self {
        let mut index = Index {
            compiled,
            by_fingerprint: FastMap::default(),
            by_rule: FastMap::default(),
            rest: Vec::new(),
        };
        for (i, c) in compiled.iter().enumerate() {
            if !in_force[i] {
                continue;
            }
            let e = &*c.exception;
            if let Some(fp) = e.fingerprint.as_deref() {
                index.by_fingerprint.entry(fp).or_default().push(i);
            } else if c.rule.is_literal() {
                index
                    .by_rule
                    .entry((e.rule.as_str(), e.account.as_deref()))
                    .or_default()
                    .push(i);
            } else {
                index.rest.push(i);
            }
        }
        index
    }

    /// The first exception (in file order) covering `finding`.
    fn first_covering(&self, finding: &Finding) -> Option<usize> {
        let account = finding.resource.account.as_deref();
        let lists = [
            self.by_fingerprint.get(finding.fingerprint.as_str()),
            self.by_rule.get(&(finding.rule.as_str(), None)),
            account.and_then(|a| self.by_rule.get(&(finding.rule.as_str(), Some(a)))),
            Some(&self.rest),
        ];
        lists
            .into_iter()
            .flatten()
            .filter_map(|list| {
                list.iter()
                    .copied()
                    .find(|&i| self.compiled[i].covers(finding))
            })
            .min()
    }
}

/// Marks the findings covered by an exception in force and returns what happened to each
/// exception (in file order) plus the `exception-expired` / `exception-unused` findings.
/// `enabled` says which of the two rules run.
pub fn apply(
    findings: &mut [Finding],
    exceptions: &[Arc<Exception>],
    now_millis: Option<i64>,
    evaluated_at: &str,
    enabled: impl Fn(&str) -> bool,
) -> (Vec<ExceptionOutcome>, Vec<Finding>) {
    if exceptions.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let compiled: Vec<Compiled> = exceptions.iter().map(Compiled::new).collect();
    let in_force: Vec<bool> = exceptions.iter().map(|e| !expired(e, now_millis)).collect();
    let index = Index::new(&compiled, &in_force);
    let covering: Vec<Option<usize>> = findings
        .par_iter()
        .map(|f| {
            if EXCEPTION_RULES.contains(&f.rule.as_str()) {
                None
            } else {
                index.first_covering(f)
            }
        })
        .collect();
    let mut matched = vec![0usize; exceptions.len()];
    for (finding, covering) in findings.iter_mut().zip(covering) {
        if let Some(i) = covering {
            matched[i] += 1;
            finding.exception = Some(Arc::clone(&exceptions[i]));
        }
    }
    let mut outcomes = Vec::with_capacity(exceptions.len());
    let mut raised = Vec::new();
    for (i, exception) in exceptions.iter().enumerate() {
        let state = if !in_force[i] {
            ExceptionState::Expired
        } else if matched[i] == 0 {
            ExceptionState::Unused
        } else {
            ExceptionState::Applied
        };
        let finding = match state {
            ExceptionState::Expired if enabled(EXCEPTION_EXPIRED) => {
                expired_finding(exception, evaluated_at)
            }
            ExceptionState::Unused if enabled(EXCEPTION_UNUSED) => {
                unused_finding(exception, evaluated_at)
            }
            _ => None,
        };
        raised.extend(finding);
        outcomes.push(ExceptionOutcome {
            exception: Arc::clone(exception),
            state,
            matched: matched[i],
        });
    }
    (outcomes, raised)
}

fn resource(exception: &Exception) -> Resource {
    let resource = Resource::new(
        ResourceKind::Exception,
        format!("rdsiam:exception/{}", exception.id),
    );
    match &exception.account {
        Some(account) => resource.account(account),
        None => resource,
    }
}

fn builder(id: &str) -> crate::report::FindingBuilder {
    match lookup(id) {
        Some(meta) => meta.finding(),
        None => Finding::builder(id, Severity::Low, id),
    }
}

fn fix(id: &str, exception: &Exception) -> crate::report::Fix {
    let source = exception.source.as_str();
    let owner = exception.owner.as_str();
    lookup(id)
        .map(|meta| meta.fix(&[("exception_source", source), ("owner", owner)]))
        .unwrap_or_default()
}

fn expired_finding(exception: &Exception, evaluated_at: &str) -> Option<Finding> {
    let id = EXCEPTION_EXPIRED;
    builder(id)
        .message(format!(
            "The exception at {} ({}) expired on {} (owner {}): the findings it accepted count again. Reason given: {}",
            exception.source,
            exception.selectors(),
            exception.expires,
            exception.owner,
            exception.reason
        ))
        .resource(resource(exception))
        .evidence(
            "config:[[exceptions]] expires",
            format!("expires = {} at {}", exception.expires, exception.source),
            format!("a date on or after the evaluation time {evaluated_at}"),
        )
        .fix(fix(id, exception))
        .build()
        .ok()
}

fn unused_finding(exception: &Exception, evaluated_at: &str) -> Option<Finding> {
    let id = EXCEPTION_UNUSED;
    builder(id)
        .message(format!(
            "The exception at {} ({}, owner {}) covers no finding as of {evaluated_at}: the risk it accepted is gone, or the exception no longer names it.",
            exception.source,
            exception.selectors(),
            exception.owner
        ))
        .resource(resource(exception))
        .evidence(
            "config:[[exceptions]] selectors",
            format!("{}: 0 findings matched", exception.selectors()),
            "at least one finding covered",
        )
        .fix(fix(id, exception))
        .build()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exception(rule: &str, expires: &str) -> Arc<Exception> {
        Arc::new(Exception {
            id: format!("id-{rule}"),
            source: "rdsiam.toml:1".into(),
            rule: rule.into(),
            account: None,
            resource: Some("arn:aws:rds:*:222222222222:db:*".into()),
            db_user: None,
            principal: None,
            fingerprint: None,
            reason: "r".into(),
            owner: "o".into(),
            expires: expires.into(),
        })
    }

    fn finding(rule: &str, arn: &str) -> Finding {
        Finding::builder(rule, Severity::High, "t")
            .message("m")
            .resource(Resource::new(ResourceKind::DbInstance, arn))
            .evidence("s", "o", "e")
            .build()
            .expect("complete finding")
    }

    #[test]
    fn expiry_is_inclusive_of_the_expires_day() {
        let e = exception("x", "2026-11-20");
        let at = |t: &str| crate::policy::condition::parse_date(t);
        assert!(!expired(&e, at("2026-11-20T23:59:59Z")));
        assert!(expired(&e, at("2026-11-21T00:00:00Z")));
    }

    #[test]
    fn globs_cover_and_expired_or_unmatched_exceptions_raise_their_rules() {
        let mut findings = vec![
            finding(
                "force-ssl-off",
                "arn:aws:rds:us-east-1:222222222222:db:billing",
            ),
            finding(
                "force-ssl-off",
                "arn:aws:rds:us-east-1:333333333333:db:other",
            ),
        ];
        let exceptions = vec![
            exception("force-*", "2027-01-01"),
            exception("iam-auth-disabled", "2027-01-01"),
            exception("force-ssl-off", "2020-01-01"),
        ];
        let now = crate::policy::condition::parse_date("2026-11-21T00:00:00Z");
        let (outcomes, raised) = apply(&mut findings, &exceptions, now, "t", |_| true);
        assert!(findings[0].excepted() && !findings[1].excepted());
        let states: Vec<_> = outcomes.iter().map(|o| (o.state, o.matched)).collect();
        assert_eq!(
            states,
            [
                (ExceptionState::Applied, 1),
                (ExceptionState::Unused, 0),
                (ExceptionState::Expired, 0)
            ]
        );
        let rules: Vec<&str> = raised.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(rules, ["exception-unused", "exception-expired"]);
    }
}
