//! Accepted risks: which findings each `[[exceptions]]` entry covers, and the two rules about
//! the exceptions themselves, `exception-expired` (past its `expires` at the evaluation time:
//! it covers nothing) and `exception-unused` (in force, covering nothing). They run after
//! every other rule, on their findings; an exception never covers an `exception-*` finding.
//!
//! Matching is indexed (by fingerprint; by literal rule id with the literal start of the
//! `resource` glob, or else with the account) so ten thousand exceptions against a hundred
//! thousand findings stay a few hash lookups each.

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

/// Index of the exceptions in force: each finding looks up its candidates, and only they
/// are checked with [`Compiled::covers`] (which stays the one definition of a match).
struct Index<'a> {
    compiled: &'a [Compiled],
    by_fingerprint: FastMap<&'a str, Vec<usize>>,
    /// Literal rule id and (literal account or none), for exceptions without a usable
    /// resource prefix.
    by_rule: FastMap<(&'a str, Option<&'a str>), Vec<usize>>,
    /// Literal rule id and the literal start of the `resource` glob (up to its first `*` or
    /// `?`): thousands of exceptions naming resources of one rule would otherwise all be
    /// tried against every finding of that rule.
    by_resource_prefix: FastMap<(&'a str, &'a [u8]), Vec<usize>>,
    /// The distinct prefix lengths of `by_resource_prefix`, ascending: a finding looks up
    /// its ARN cut at each of them.
    prefix_lengths: Vec<usize>,
    /// Rule globs without a fingerprint: checked for every finding.
    rest: Vec<usize>,
}

/// The literal start of a plain glob: everything before its first `*` or `?`.
fn literal_prefix(glob: &str) -> &[u8] {
    let bytes = glob.as_bytes();
    &bytes[..memchr::memchr2(b'*', b'?', bytes).unwrap_or(bytes.len())]
}

impl<'a> Index<'a> {
    fn new(compiled: &'a [Compiled], in_force: &[bool]) -> Self {
        let mut index = Index {
            compiled,
            by_fingerprint: FastMap::default(),
            by_rule: FastMap::default(),
            by_resource_prefix: FastMap::default(),
            prefix_lengths: Vec::new(),
            rest: Vec::new(),
        };
        for (i, c) in compiled.iter().enumerate() {
            if !in_force[i] {
                continue;
            }
            let e = &*c.exception;
            let prefix = e.resource.as_deref().map(literal_prefix).unwrap_or(&[]);
            if let Some(fp) = e.fingerprint.as_deref() {
                index.by_fingerprint.entry(fp).or_default().push(i);
            } else if !c.rule.is_literal() {
                index.rest.push(i);
            } else if !prefix.is_empty() {
                index
                    .by_resource_prefix
                    .entry((e.rule.as_str(), prefix))
                    .or_default()
                    .push(i);
                index.prefix_lengths.push(prefix.len());
            } else {
                index
                    .by_rule
                    .entry((e.rule.as_str(), e.account.as_deref()))
                    .or_default()
                    .push(i);
            }
        }
        index.prefix_lengths.sort_unstable();
        index.prefix_lengths.dedup();
        index
    }

    /// The first exception (in file order) covering `finding`.
    fn first_covering(&self, finding: &Finding) -> Option<usize> {
        let rule = finding.rule.as_str();
        let account = finding.resource.account.as_deref();
        let arn = finding.resource.arn.as_bytes();
        let by_prefix = self
            .prefix_lengths
            .iter()
            .take_while(|&&len| len <= arn.len())
            .filter_map(|&len| self.by_resource_prefix.get(&(rule, &arn[..len])));
        let lists = [
            self.by_fingerprint.get(finding.fingerprint.as_str()),
            self.by_rule.get(&(rule, None)),
            account.and_then(|a| self.by_rule.get(&(rule, Some(a)))),
            Some(&self.rest),
        ];
        lists
            .into_iter()
            .flatten()
            .chain(by_prefix)
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

    /// A small deterministic generator (no dependency, same cases every run).
    struct Lcg(u64);

    impl Lcg {
        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            from[(self.0 >> 33) as usize % from.len()]
        }
    }

    #[test]
    fn the_index_covers_exactly_what_the_linear_matcher_covers() {
        let rules = ["rds-iam-orphan", "force-ssl-off", "iam-auth-disabled"];
        let accounts = ["111111111111", "222222222222", "333333333333"];
        let names = [
            "billing",
            "billing-2",
            "bi",
            "orders",
            "role/app",
            "user/ops",
        ];
        let mut rng = Lcg(7);
        let findings: Vec<Finding> = (0..600)
            .map(|i| {
                let account = rng.pick(&accounts);
                let name = rng.pick(&names);
                let (kind, arn) = if name.contains('/') {
                    (
                        ResourceKind::IamRole,
                        format!("arn:aws:iam::{account}:{name}-{}", i % 7),
                    )
                } else {
                    (
                        ResourceKind::DbInstance,
                        format!("arn:aws:rds:us-east-1:{account}:db:{name}-{}", i % 7),
                    )
                };
                let mut resource = Resource::new(kind, arn).account(account);
                if i % 3 == 0 {
                    resource = resource.db_user(rng.pick(&["app", "ops"]));
                }
                Finding::builder(rng.pick(&rules), Severity::High, "t")
                    .message("m")
                    .resource(resource)
                    .evidence("s", "o", "e")
                    .build()
                    .expect("complete finding")
            })
            .collect();
        let rule_selectors = [
            "rds-iam-orphan",
            "force-ssl-off",
            "force-*",
            "*",
            "*-orphan",
            "iam-?uth-disabled",
        ];
        let resources = [
            "",
            "arn:aws:rds:us-east-1:222222222222:db:billing*",
            "arn:aws:rds:us-east-1:222222222222:db:billing-2-3",
            "arn:aws:rds:us-east-1:*:db:orders-*",
            "arn:aws:rds:us-east-1:111111111111:db:b?-*",
            "arn:aws:rds:*",
            "*",
            "arn:aws:iam::111111111111:role/*",
            "arn:aws:rds:us-east-1:000000000000:db:gone",
        ];
        let exceptions: Vec<Arc<Exception>> = (0..400)
            .map(|i| {
                let some = |rng: &mut Lcg, from: &[&str]| {
                    Some(rng.pick(from))
                        .filter(|v| !v.is_empty())
                        .map(str::to_owned)
                };
                let fingerprint = (i % 9 == 0).then(|| findings[i * 7 % 600].fingerprint.clone());
                let mut e = (*exception(rng.pick(&rule_selectors), "2027-01-01")).clone();
                e.account = some(&mut rng, &["", "", "111111111111", "222222222222"]);
                e.resource = some(&mut rng, &resources);
                // Findings of account 333333333333 stay uncovered unless an exception names
                // them (a database glob or a fingerprint): no exception covers everything.
                if e.account.is_none() && e.resource.as_deref().is_none_or(|r| !r.contains(":db:"))
                {
                    e.account = Some("111111111111".into());
                }
                e.db_user = some(&mut rng, &["", "", "", "app"]);
                e.principal = some(&mut rng, &["", "", "", "", "arn:aws:iam::*:role/*"]);
                e.fingerprint = fingerprint;
                // Some expired: out of the index, and of the linear matcher.
                if i % 11 == 0 {
                    e.expires = "2020-01-01".into();
                }
                Arc::new(e)
            })
            .collect();
        let now = crate::policy::condition::parse_date("2026-11-21T00:00:00Z");
        let compiled: Vec<Compiled> = exceptions.iter().map(Compiled::new).collect();
        let in_force: Vec<bool> = exceptions.iter().map(|e| !expired(e, now)).collect();
        let index = Index::new(&compiled, &in_force);
        let mut covered = 0;
        for finding in &findings {
            let linear = (0..compiled.len()).find(|&i| in_force[i] && compiled[i].covers(finding));
            assert_eq!(
                index.first_covering(finding),
                linear,
                "{} {}",
                finding.rule,
                finding.resource.arn
            );
            covered += usize::from(linear.is_some());
        }
        // The cases are not degenerate: some findings covered, some not, every index used.
        assert!(covered > 100 && covered < findings.len(), "{covered}");
        assert!(!index.by_fingerprint.is_empty() && !index.by_rule.is_empty());
        assert!(!index.by_resource_prefix.is_empty() && !index.rest.is_empty());
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
