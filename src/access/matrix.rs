//! Effective `rds-db:connect` access: for every principal whose identity policies can
//! allow it, every target in its own account (IAM DB auth never crosses accounts: other
//! accounts reach a DB by assuming a role in its account) and every candidate DB user —
//! the roles read from the database, plus the users the policies name — the identity-only
//! decision and the effective one (boundary + SCP chain), in open context mode.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::policy::rds_db::{CONNECT, NEVER_IN_CONNECT, lint_resource};
use crate::policy::wildcard::{Flavour, Wildcard};
use crate::policy::{
    Decision, Effect, Evaluation, Layer, ReasonKind, Request, RequestContext, Truth,
};

use super::policies::PolicyIndex;
use super::principals::{OrgChain, Principal};
use super::targets::Target;

/// What cancelled a grant the identity policies allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocker {
    pub layer: Layer,
    /// The deciding policy's label (ARN), when one statement decided.
    pub policy: Option<String>,
    /// `Statement[i] (Sid …)` of that policy.
    pub statement: Option<String>,
    /// Explicit Deny (vs. no Allow at that layer).
    pub explicit: bool,
}

impl Blocker {
    /// The first guardrail reason of a denied evaluation.
    pub fn of(evaluation: &Evaluation<'_>) -> Option<Blocker> {
        let reason = evaluation
            .reasons
            .iter()
            .find(|r| matches!(r.kind, ReasonKind::ExplicitDeny | ReasonKind::NoAllow))?;
        Some(Blocker {
            layer: reason.layer,
            policy: reason.policy.map(|p| p.name.clone()),
            statement: reason.statement.map(|s| s.label()),
            explicit: reason.kind == ReasonKind::ExplicitDeny,
        })
    }

    pub fn describe(&self) -> String {
        let how = if self.explicit {
            "explicitly denies"
        } else {
            "does not allow"
        };
        match (&self.policy, &self.statement) {
            (Some(policy), Some(statement)) => {
                format!("{statement} of {policy} ({}) {how}", self.layer)
            }
            (Some(policy), None) => format!("{policy} ({}) {how}", self.layer),
            _ => format!("no policy at {} allows", self.layer),
        }
    }
}

/// One (principal, target, DB user) the identity policies allow or may allow.
#[derive(Debug, Clone)]
pub struct Grant {
    pub principal: usize,
    pub target: usize,
    pub db_user: String,
    /// Some Allow names this user literally (not only through a wildcard).
    pub named: bool,
    /// The identity policies alone.
    pub identity: Decision,
    /// With boundary and SCP chain.
    pub effective: Decision,
    pub depends_on: Vec<String>,
    /// Set when the identity side allows but a guardrail denies.
    pub blocked_by: Option<Blocker>,
    /// `Statement[i] of POLICY` that allows on the identity side.
    pub allowed_by: Option<String>,
}

impl Grant {
    /// The identity side allows (or may allow).
    pub fn intended(&self) -> bool {
        matches!(self.identity, Decision::Allowed | Decision::Depends)
    }

    /// IAM lets the principal connect (or may, depending on context).
    pub fn effective_allows(&self) -> bool {
        matches!(self.effective, Decision::Allowed | Decision::Depends)
    }
}

/// A user literally named by an Allow pattern, with the pattern.
struct NamedUser<'p> {
    user: String,
    pattern: &'p crate::policy::statement::ResourcePattern,
}

/// What one identity policy's Allow statements say about `rds-db:connect`, read once per
/// policy: a managed policy is attached to many principals, and linting its patterns for
/// each of them (twice: for the scope and for the named users) was a sixth of the grant
/// computation. A principal's view is its policies' facts in identity-policy order.
struct PolicyConnect<'p> {
    /// Some Allow statement reaches every target (no `Resource`, `NotResource`, or a
    /// pattern the scope cannot read).
    everything: bool,
    patterns: Vec<ScopePattern>,
    named: Vec<NamedUser<'p>>,
}

impl<'p> PolicyConnect<'p> {
    /// `None` when no Allow statement of `policy` covers `rds-db:connect`.
    fn of(policy: &'p crate::policy::Policy) -> Option<PolicyConnect<'p>> {
        let mut facts = PolicyConnect {
            everything: false,
            patterns: Vec::new(),
            named: Vec::new(),
        };
        let mut covered = false;
        for statement in &policy.document.statements {
            if statement.effect != Effect::Allow || !statement.action.covers(CONNECT) {
                continue;
            }
            covered = true;
            let Some(block) = statement.resource.as_ref().filter(|b| !b.negated) else {
                facts.everything = true;
                continue;
            };
            for pattern in &block.patterns {
                let Some(parsed) = lint_resource(&pattern.raw).parsed else {
                    facts.everything = true;
                    continue;
                };
                if !parsed.db_user.is_empty() && !parsed.db_user.contains(['*', '?']) {
                    facts.named.push(NamedUser {
                        user: parsed.db_user.clone(),
                        pattern,
                    });
                }
                if pattern.raw.contains("${") {
                    facts.everything = true;
                    continue;
                }
                facts.patterns.push(ScopePattern {
                    resource_id: Wildcard::compile(&parsed.resource_id, Flavour::Plain),
                    region: Wildcard::compile(&parsed.region, Flavour::Plain),
                    account: Wildcard::compile(&parsed.account, Flavour::Plain),
                    literal_user: (!parsed.db_user.contains(['*', '?'])).then_some(parsed.db_user),
                });
            }
        }
        covered.then_some(facts)
    }
}

/// Which (target, user) pairs a principal's connect grants can possibly reach, from the
/// patterns alone: a cheap filter before the full evaluation. Conservative — anything it
/// cannot read (`*`, `NotResource`, a malformed ARN) reaches everything.
struct ConnectScope<'f> {
    everything: bool,
    patterns: Vec<&'f ScopePattern>,
}

struct ScopePattern {
    resource_id: Wildcard,
    region: Wildcard,
    account: Wildcard,
    /// The DB user when the pattern names one literally.
    literal_user: Option<String>,
}

impl<'f> ConnectScope<'f> {
    /// The scope of a principal's identity policies; `None` when none covers connect.
    fn of<'p>(
        identity: &[super::PolicyId],
        facts: &'f [Option<PolicyConnect<'p>>],
    ) -> Option<ConnectScope<'f>> {
        let mut scope = ConnectScope {
            everything: false,
            patterns: Vec::new(),
        };
        let mut covered = false;
        for policy in identity
            .iter()
            .filter_map(|id| facts[id.0 as usize].as_ref())
        {
            covered = true;
            scope.everything |= policy.everything;
            scope.patterns.extend(&policy.patterns);
        }
        covered.then_some(scope)
    }

    /// `None`: no pattern reaches the target. `Some(None)`: any user may be reached.
    /// `Some(Some(users))`: only these literally named users.
    fn users_on(&self, target: &Target<'_>) -> Option<Option<Vec<&str>>> {
        if self.everything {
            return Some(None);
        }
        let mut users = Vec::new();
        let mut reached = false;
        for pattern in &self.patterns {
            if !(pattern.resource_id.matches(target.resource_id)
                && pattern.region.matches(target.region)
                && pattern.account.matches(target.account))
            {
                continue;
            }
            reached = true;
            match &pattern.literal_user {
                Some(user) => users.push(user.as_str()),
                None => return Some(None),
            }
        }
        reached.then_some(Some(users))
    }
}

/// Computes the grants of every principal (in parallel across principals).
pub fn grants(
    principals: &[Principal<'_>],
    targets: &[Target<'_>],
    index: &PolicyIndex,
    chains: &HashMap<String, OrgChain>,
    organization_id: Option<&str>,
) -> Vec<Grant> {
    let mut by_account: crate::fast_hash::FastMap<&str, Vec<usize>> = Default::default();
    for (position, target) in targets.iter().enumerate() {
        by_account.entry(target.account).or_default().push(position);
    }
    let facts: Vec<Option<PolicyConnect<'_>>> = index
        .policies
        .par_iter()
        .zip(&index.facts)
        .map(|(policy, facts)| {
            facts
                .allows_connect
                .then(|| PolicyConnect::of(policy))
                .flatten()
        })
        .collect();
    // Every candidate ARN of a target starts the same: made once per target, not per
    // principal that may reach it.
    let arn_prefixes: Vec<String> = targets
        .par_iter()
        .map(|target| target.connect_arn(""))
        .collect();
    principals
        .par_iter()
        .enumerate()
        .flat_map_iter(|(principal_index, principal)| {
            principal_grants(
                principal_index,
                principal,
                targets,
                &arn_prefixes,
                &by_account,
                index,
                &facts,
                chains,
                organization_id,
            )
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn principal_grants(
    principal_index: usize,
    principal: &Principal<'_>,
    targets: &[Target<'_>],
    arn_prefixes: &[String],
    by_account: &crate::fast_hash::FastMap<&str, Vec<usize>>,
    index: &PolicyIndex,
    facts: &[Option<PolicyConnect<'_>>],
    chains: &HashMap<String, OrgChain>,
    organization_id: Option<&str>,
) -> Vec<Grant> {
    let mut out = Vec::new();
    if principal.service_linked {
        return out;
    }
    let Some(scope) = ConnectScope::of(&principal.identity, facts) else {
        return out; // no Allow covers rds-db:connect
    };
    let Some(account_targets) = by_account.get(principal.account) else {
        return out;
    };
    let policies = principal.guarded(index, chains);
    let named: Vec<&NamedUser<'_>> = principal
        .identity
        .iter()
        .filter_map(|id| facts[id.0 as usize].as_ref())
        .flat_map(|policy| &policy.named)
        .collect();
    let set = policies.set();
    let identity_only = policies.identity_only();
    let mut context = connect_context(principal.context(organization_id));
    // Only the requested region differs between a principal's targets: set it when it
    // changes rather than copying the context (owned keys and values) per target.
    let mut context_region: Option<&str> = None;
    // The ARN being evaluated: the target's prefix, then each candidate user in turn.
    let mut resource = String::new();
    for &target_index in account_targets {
        let target = &targets[target_index];
        let Some(reachable) = scope.users_on(target) else {
            continue;
        };
        if context_region != Some(target.region) {
            context.set("aws:RequestedRegion", vec![target.region.to_owned()], false);
            context_region = Some(target.region);
        }
        let context = &context;
        // Every candidate's ARN is this prefix and the user name.
        let arn_prefix = arn_prefixes[target_index].as_str();
        for (db_user, is_named) in
            candidate_users(target, arn_prefix, &named, context, reachable.as_deref())
        {
            resource.clear();
            resource.push_str(arn_prefix);
            resource.push_str(db_user);
            let request = Request {
                principal: Some(&principal.request_principal),
                action: CONNECT,
                resource: &resource,
                context,
            };
            let identity_eval = crate::policy::evaluate(&request, &identity_only);
            if !matches!(
                identity_eval.decision,
                Decision::Allowed | Decision::Depends
            ) {
                continue;
            }
            let allowed_by = identity_eval
                .reasons
                .iter()
                .find(|r| r.kind == ReasonKind::Allow)
                .and_then(|r| {
                    let (statement, policy) = (r.statement?, r.policy?);
                    let mut text = statement.label();
                    text.push_str(" of ");
                    text.push_str(&policy.name);
                    Some(text)
                });
            let effective = crate::policy::evaluate(&request, &set);
            out.push(Grant {
                principal: principal_index,
                target: target_index,
                db_user: db_user.to_owned(),
                named: is_named,
                identity: identity_eval.decision,
                effective: effective.decision,
                depends_on: effective.depends_on.clone(),
                blocked_by: effective
                    .decision
                    .is_denied()
                    .then(|| Blocker::of(&effective))
                    .flatten(),
                allowed_by,
            });
        }
    }
    out
}

/// The DB user a grant names when it reaches any user of a target whose roles were not
/// read: the access matrix shows it (`unknown`), the rules leave it alone.
pub const ANY_USER: &str = "*";

/// A grant of [`ANY_USER`] on a target without database introspection.
pub fn is_unread_wildcard(grant: &Grant, targets: &[Target<'_>]) -> bool {
    grant.db_user == ANY_USER && targets[grant.target].database.is_none()
}

/// The open context of a connect request: the principal's facts, and the keys such
/// requests never carry declared absent.
pub fn connect_context(mut context: RequestContext) -> RequestContext {
    for key in NEVER_IN_CONNECT {
        context = context.with_absent(key);
    }
    context
}

/// The DB users worth evaluating on a target: its roles (when read; only those the scope
/// can reach when it names users literally) and the users the policies name for it. The
/// flag says whether a pattern names the user for this target.
fn candidate_users<'a>(
    target: &Target<'a>,
    arn_prefix: &str,
    named: &[&'a NamedUser<'_>],
    context: &RequestContext,
    only: Option<&[&str]>,
) -> Vec<(&'a str, bool)> {
    let mut users: Vec<(&'a str, bool)> = target
        .database
        .map(|db| {
            db.roles
                .iter()
                .filter(|role| only.is_none_or(|only| only.contains(&role.name.as_str())))
                .map(|role| (role.name.as_str(), false))
                .collect()
        })
        .unwrap_or_default();
    // Roles not read and a pattern reaching any user: one entry stands for them all.
    if target.database.is_none() && only.is_none() {
        users.push((ANY_USER, false));
    }
    let mut arn = String::new();
    for entry in named {
        arn.clear();
        arn.push_str(arn_prefix);
        arn.push_str(&entry.user);
        if entry.pattern.matches(&arn, context) == Truth::No {
            continue;
        }
        match users.iter_mut().find(|(user, _)| *user == entry.user) {
            Some((_, is_named)) => *is_named = true,
            None => users.push((entry.user.as_str(), true)),
        }
    }
    users
}
