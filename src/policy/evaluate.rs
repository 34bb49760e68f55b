//! Policy evaluation for one request within one account, following the AWS "Policy
//! evaluation logic" (IAM User Guide):
//!
//! 1. An explicit `Deny` in any applicable policy wins.
//! 2. Organizations RCPs (for services that support them) and SCPs: at **every** level,
//!    root → OUs → account, some policy must `Allow`. Principals of the management account
//!    and service-linked roles are exempt from SCPs; RCPs do not apply to service-linked
//!    roles or to resources of the management account.
//! 3. Identity-based policies (the user's, its groups', or the role's) must `Allow`.
//! 4. A permissions boundary, when set, must `Allow` too (intersection).
//! 5. Session policies, when given, must `Allow` too (intersection).
//!
//! Resource-based policies (trust policies) are evaluated by the access analysis, which
//! combines them with this identity-side result the way cross-account access requires.
//!
//! Each answer comes with the statements that decided it. In an open context, conditions
//! on unknowable keys make the answer `Depends` with the keys listed, never a guess.

use std::fmt;

use serde::Serialize;

use super::context::RequestContext;
use super::principal::RequestPrincipal;
use super::statement::{Effect, Policy, Statement};
use super::truth::{Truth, merge};

/// The outcome of evaluating a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Decision {
    Allowed,
    ImplicitlyDenied,
    ExplicitlyDenied,
    /// Open context only: the answer turns on keys the tool cannot know.
    Depends,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allowed
    }

    pub fn is_denied(self) -> bool {
        matches!(
            self,
            Decision::ImplicitlyDenied | Decision::ExplicitlyDenied
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "Allowed",
            Decision::ImplicitlyDenied => "ImplicitlyDenied",
            Decision::ExplicitlyDenied => "ExplicitlyDenied",
            Decision::Depends => "Depends",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which kind of policy a statement came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Service control policy at this level (0 = root, last = account).
    Scp(usize),
    /// Resource control policy at this level (0 = root, last = account).
    Rcp(usize),
    Identity,
    PermissionBoundary,
    Session,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Layer::Scp(level) => write!(f, "scp[{level}]"),
            Layer::Rcp(level) => write!(f, "rcp[{level}]"),
            Layer::Identity => f.write_str("identity"),
            Layer::PermissionBoundary => f.write_str("permission-boundary"),
            Layer::Session => f.write_str("session"),
        }
    }
}

/// Why a layer or statement contributed to the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReasonKind {
    /// This Deny statement applies.
    ExplicitDeny,
    /// This Allow statement applies (the first one found in its layer).
    Allow,
    /// No statement of the layer allows the request.
    NoAllow,
    /// This Deny statement applies only if conditions on these keys hold.
    MaybeDeny(Vec<String>),
    /// The layer allows only if conditions on these keys hold.
    MaybeAllow(Vec<String>),
}

/// One piece of the explanation of a decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason<'a> {
    pub layer: Layer,
    /// The policy (absent when a whole layer has no policy, e.g. an empty SCP level).
    pub policy: Option<&'a Policy>,
    pub statement: Option<&'a Statement>,
    pub kind: ReasonKind,
}

impl Reason<'_> {
    /// The statement's effect, when the reason points at a statement.
    pub fn effect(&self) -> Option<Effect> {
        self.statement.map(|statement| statement.effect)
    }

    /// A sentence a person can act on.
    pub fn why(&self) -> String {
        let policy = self.policy.map(|p| p.name.as_str()).unwrap_or("(none)");
        let statement = self.statement.map(Statement::label).unwrap_or_default();
        match &self.kind {
            ReasonKind::ExplicitDeny => {
                format!(
                    "{statement} of {policy} ({}) explicitly denies the request",
                    self.layer
                )
            }
            ReasonKind::Allow => format!(
                "{statement} of {policy} ({}) allows the request",
                self.layer
            ),
            ReasonKind::NoAllow => match self.layer {
                Layer::Scp(level) => format!(
                    "no service control policy at level {level} ({}) allows the request: every level from the root to the account must allow",
                    self.policy.map(|_| policy).unwrap_or("no policy attached")
                ),
                Layer::Rcp(level) => format!(
                    "no resource control policy at level {level} allows the request: every level must allow"
                ),
                Layer::Identity => "no identity-based policy allows the request".to_owned(),
                Layer::PermissionBoundary => {
                    format!("the permissions boundary {policy} does not allow the request")
                }
                Layer::Session => "no session policy allows the request".to_owned(),
            },
            ReasonKind::MaybeDeny(keys) => format!(
                "{statement} of {policy} ({}) denies the request if its conditions on {} hold",
                self.layer,
                keys.join(", ")
            ),
            ReasonKind::MaybeAllow(keys) => format!(
                "the {} layer allows the request only if conditions on {} hold",
                self.layer,
                keys.join(", ")
            ),
        }
    }
}

/// The policies that apply to one request.
#[derive(Debug, Clone, Copy)]
/// `'s` is how long the lists are borrowed; `'a` how long the policies are (the evaluation
/// points into the policies, so it lives for `'a`).
pub struct PolicySet<'s, 'a> {
    /// The user's own and its groups' policies, or the role's (inline + managed).
    pub identity: &'s [&'a Policy],
    pub permission_boundary: Option<&'a Policy>,
    /// SCPs per level, root first, account last; `None` when not in an Organization.
    pub scp_levels: Option<&'s [Vec<&'a Policy>]>,
    /// RCPs per level, root first; `None` or empty when none apply.
    pub rcp_levels: Option<&'s [Vec<&'a Policy>]>,
    pub session: &'s [&'a Policy],
    /// The principal belongs to the Organization's management account (exempt from SCPs).
    pub management_account: bool,
}

impl<'s, 'a> PolicySet<'s, 'a> {
    /// Identity policies only: no boundary, no Organization, no session policies.
    pub fn identity_only(identity: &'s [&'a Policy]) -> Self {
        PolicySet {
            identity,
            permission_boundary: None,
            scp_levels: None,
            rcp_levels: None,
            session: &[],
            management_account: false,
        }
    }
}

/// One request to evaluate.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub principal: Option<&'a RequestPrincipal>,
    pub action: &'a str,
    pub resource: &'a str,
    pub context: &'a RequestContext,
}

/// A decision with its explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation<'a> {
    pub decision: Decision,
    /// For `Depends`: the context keys the answer turns on (lower-case, sorted).
    pub depends_on: Vec<String>,
    pub reasons: Vec<Reason<'a>>,
}

/// Services whose resources RCPs govern (AWS Organizations user guide, "Resource control
/// policies": List of AWS services that support RCPs).
const RCP_SERVICES: [&str; 10] = [
    "s3",
    "sts",
    "sqs",
    "kms",
    "secretsmanager",
    "ecr",
    "aoss",
    "cognito-identity",
    "logs",
    "dynamodb",
];

/// True when RCPs govern requests for this action's service.
pub fn rcp_applies_to(action: &str) -> bool {
    let service = action.split(':').next().unwrap_or_default();
    RCP_SERVICES
        .iter()
        .any(|supported| supported.eq_ignore_ascii_case(service))
}

/// The state of one allow gate (a layer that must allow) while scanning.
struct Gate<'a> {
    layer: Layer,
    allow: Truth,
    allowed_by: Option<(&'a Policy, &'a Statement)>,
    first_policy: Option<&'a Policy>,
}

/// Evaluates `request` against `policies`.
pub fn evaluate<'a>(request: &Request<'_>, policies: &PolicySet<'_, 'a>) -> Evaluation<'a> {
    // Actions compare case-insensitively; most arrive lower-case already.
    let lower_action: std::borrow::Cow<'_, str> =
        if request.action.bytes().any(|b| b.is_ascii_uppercase()) {
            request.action.to_ascii_lowercase().into()
        } else {
            request.action.into()
        };
    let mut scan = Scan {
        lower_action: &lower_action,
        request,
        denies: Vec::new(),
        maybe_denies: Vec::new(),
        gates: Vec::with_capacity(8),
    };
    let service_linked = request.principal.is_some_and(|p| p.service_linked);

    if let Some(levels) = policies.scp_levels
        && !policies.management_account
        && !service_linked
    {
        for (level, level_policies) in levels.iter().enumerate() {
            scan.gate(Layer::Scp(level), level_policies);
        }
    }
    if let Some(levels) = policies.rcp_levels
        && !service_linked
        && !policies.management_account
        && rcp_applies_to(request.action)
    {
        for (level, level_policies) in levels.iter().enumerate() {
            scan.gate(Layer::Rcp(level), level_policies);
        }
    }
    scan.gate(Layer::Identity, policies.identity);
    if let Some(boundary) = policies.permission_boundary {
        scan.gate(Layer::PermissionBoundary, std::slice::from_ref(&boundary));
    }
    if !policies.session.is_empty() {
        scan.gate(Layer::Session, policies.session);
    }
    scan.conclude()
}

struct Scan<'r, 'a> {
    lower_action: &'r str,
    request: &'r Request<'r>,
    denies: Vec<Reason<'a>>,
    maybe_denies: Vec<Reason<'a>>,
    gates: Vec<Gate<'a>>,
}

impl<'a> Scan<'_, 'a> {
    /// Scans one layer's policies: records every applicable Deny and whether some Allow
    /// applies.
    fn gate(&mut self, layer: Layer, policies: &[&'a Policy]) {
        let mut gate = Gate {
            layer,
            allow: Truth::No,
            allowed_by: None,
            first_policy: policies.first().copied(),
        };
        for &policy in policies {
            for statement in &policy.document.statements {
                let allow_settled = gate.allow.is_yes();
                if statement.effect == Effect::Allow && allow_settled {
                    continue;
                }
                let applies = statement.applies(
                    self.lower_action,
                    self.request.resource,
                    self.request.context,
                );
                match (statement.effect, applies) {
                    (_, Truth::No) => {}
                    (Effect::Deny, Truth::Yes) => self.denies.push(Reason {
                        layer,
                        policy: Some(policy),
                        statement: Some(statement),
                        kind: ReasonKind::ExplicitDeny,
                    }),
                    (Effect::Deny, Truth::Depends(keys)) => self.maybe_denies.push(Reason {
                        layer,
                        policy: Some(policy),
                        statement: Some(statement),
                        kind: ReasonKind::MaybeDeny(keys),
                    }),
                    (Effect::Allow, Truth::Yes) => {
                        gate.allow = Truth::Yes;
                        gate.allowed_by = Some((policy, statement));
                    }
                    (Effect::Allow, depends @ Truth::Depends(_)) => {
                        gate.allow =
                            Truth::any([std::mem::replace(&mut gate.allow, Truth::No), depends]);
                    }
                }
            }
        }
        self.gates.push(gate);
    }

    fn conclude(self) -> Evaluation<'a> {
        if !self.denies.is_empty() {
            return Evaluation {
                decision: Decision::ExplicitlyDenied,
                depends_on: Vec::new(),
                reasons: self.denies,
            };
        }
        let closed_gates: Vec<Reason<'a>> = self
            .gates
            .iter()
            .filter(|gate| gate.allow.is_no())
            .map(|gate| Reason {
                layer: gate.layer,
                policy: gate.first_policy,
                statement: None,
                kind: ReasonKind::NoAllow,
            })
            .collect();
        if !closed_gates.is_empty() {
            return Evaluation {
                decision: Decision::ImplicitlyDenied,
                depends_on: Vec::new(),
                reasons: closed_gates,
            };
        }
        let mut depends_on = Vec::new();
        let mut reasons = Vec::with_capacity(self.gates.len());
        for gate in self.gates {
            match (gate.allow, gate.allowed_by) {
                (Truth::Yes, Some((policy, statement))) => reasons.push(Reason {
                    layer: gate.layer,
                    policy: Some(policy),
                    statement: Some(statement),
                    kind: ReasonKind::Allow,
                }),
                (Truth::Depends(keys), _) => {
                    merge(&mut depends_on, keys.iter().cloned());
                    reasons.push(Reason {
                        layer: gate.layer,
                        policy: gate.first_policy,
                        statement: None,
                        kind: ReasonKind::MaybeAllow(keys),
                    });
                }
                // Closed gates returned above, and a `Yes` always records its statement.
                _ => {}
            }
        }
        for reason in &self.maybe_denies {
            if let ReasonKind::MaybeDeny(keys) = &reason.kind {
                merge(&mut depends_on, keys.iter().cloned());
            }
        }
        let decision = if depends_on.is_empty() {
            Decision::Allowed
        } else {
            reasons.extend(self.maybe_denies);
            Decision::Depends
        };
        Evaluation {
            decision,
            depends_on,
            reasons,
        }
    }
}

#[cfg(test)]
#[path = "evaluate_tests.rs"]
mod tests;
