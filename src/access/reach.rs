//! Cross-account reach into DB-connect roles: who may assume a role that can connect.
//!
//! `sts:AssumeRole` needs both sides (IAM User Guide, "Cross-account policy evaluation
//! logic"): the role's trust policy must name the caller (or its account), and the caller's
//! own identity policies — under its account's SCP chain — must allow `sts:AssumeRole` on
//! the role. The role's account's RCP chain applies to the call too (STS supports RCPs).
//! When the caller's account is not in the inventory, its side is unknown.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use crate::fast_hash::FastMap;

use crate::policy::principal::Principals;
use crate::policy::{Decision, Effect, Policy, PolicyDocument, PolicySet, Request, RequestContext};

use super::matrix::Blocker;
use super::policies::PolicyIndex;
use super::principals::{OrgChain, Principal};

pub const ASSUME_ROLE: &str = "sts:AssumeRole";

/// Who a trust statement lets in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustedParty {
    /// `"*"` or `{"AWS": "*"}`.
    Everyone,
    /// An account (`123456789012` or `arn:aws:iam::123456789012:root`).
    Account(String),
    /// One principal ARN, in `account`.
    Principal { arn: String, account: String },
    /// A service or federated principal (not a cross-account concern here).
    Other(String),
}

impl TrustedParty {
    pub fn account(&self) -> Option<&str> {
        match self {
            TrustedParty::Account(account) | TrustedParty::Principal { account, .. } => {
                Some(account)
            }
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            TrustedParty::Everyone => "*".to_owned(),
            TrustedParty::Account(account) => format!("arn:aws:iam::{account}:root"),
            TrustedParty::Principal { arn, .. } => arn.clone(),
            TrustedParty::Other(name) => name.clone(),
        }
    }
}

/// One party a DB-connect role's trust policy admits.
#[derive(Debug, Clone)]
pub struct TrustEntry {
    /// Index of the role in the principals list.
    pub role: usize,
    pub statement: String,
    pub party: TrustedParty,
    /// The statement has conditions (e.g. `sts:ExternalId`, `aws:PrincipalOrgID`).
    pub conditioned: bool,
    /// Condition keys of the statement, for evidence.
    pub condition_keys: Vec<String>,
    /// `Some(true)` when the party's account is outside the Organization; `None` when there
    /// is no Organization in the inventory to tell.
    pub outside_organization: Option<bool>,
    /// The role's account RCP chain denies this party's AssumeRole.
    pub rcp_block: Option<Blocker>,
    /// The statement's conditions, read with what the role's account knows of the party:
    /// keys they turn on (e.g. `sts:ExternalId`), and whether one is certainly false.
    pub conditions: TrustConditions,
}

/// A trust statement's conditions evaluated for one caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustConditions {
    /// Condition keys (as written) whose value the tool cannot know.
    pub depends_on: Vec<String>,
    /// Some condition is certainly false for this caller: the trust does not admit it.
    pub refused: bool,
}

impl TrustConditions {
    pub fn of(statement: &crate::policy::statement::Statement, context: &RequestContext) -> Self {
        let mut out = TrustConditions::default();
        for condition in &statement.conditions {
            match condition.evaluate(context) {
                crate::policy::Truth::No => out.refused = true,
                crate::policy::Truth::Depends(_) => {
                    if !out.depends_on.contains(&condition.key) {
                        out.depends_on.push(condition.key.clone());
                    }
                }
                crate::policy::Truth::Yes => {}
            }
        }
        out
    }
}

/// A principal of the inventory whose own policies allow assuming a DB-connect role.
#[derive(Debug, Clone)]
pub struct AssumePath {
    pub source: usize,
    pub role: usize,
    /// With the source's boundary and SCP chain.
    pub effective: Decision,
    pub depends_on: Vec<String>,
    pub blocked_by: Option<Blocker>,
    /// `Statement[i] (Sid …)` of the role's trust policy that names the source.
    pub trust_statement: String,
    /// That statement's conditions, read with the source's context.
    pub trust_conditions: TrustConditions,
    /// The role's account RCP chain denies the call (read for the party naming the source).
    pub rcp_block: Option<Blocker>,
}

/// The trust entries of `roles` and the inventory principals that can use them.
pub fn reach(
    roles: &[usize],
    principals: &[Principal<'_>],
    index: &PolicyIndex,
    chains: &HashMap<String, OrgChain>,
    organization_id: Option<&str>,
) -> (Vec<TrustEntry>, Vec<AssumePath>) {
    let allow_all = Policy::new(
        "(the caller's own permissions)",
        PolicyDocument::from_value(&serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
            .expect("a constant, valid policy"),
    );
    let mut by_arn: FastMap<&str, usize> = FastMap::default();
    let mut by_account: FastMap<&str, Vec<usize>> = FastMap::default();
    for (position, principal) in principals.iter().enumerate() {
        by_arn.insert(principal.arn, position);
        by_account
            .entry(principal.account)
            .or_default()
            .push(position);
    }
    // Each role's entries and paths depend only on that role: roles on every core,
    // results in role order.
    let per_role: Vec<(Vec<TrustEntry>, Vec<AssumePath>)> = roles
        .par_iter()
        .map(|&role_index| {
            let mut entries = Vec::new();
            let mut paths = Vec::new();
            role_reach(
                role_index,
                principals,
                index,
                chains,
                organization_id,
                &allow_all,
                (&by_arn, &by_account),
                (&mut entries, &mut paths),
            );
            (entries, paths)
        })
        .collect();
    let mut entries = Vec::new();
    let mut paths = Vec::new();
    for (role_entries, role_paths) in per_role {
        entries.extend(role_entries);
        paths.extend(role_paths);
    }
    (entries, paths)
}

/// The trust entries of one DB-connect role, and the inventory principals that can use it.
#[allow(clippy::too_many_arguments)]
fn role_reach(
    role_index: usize,
    principals: &[Principal<'_>],
    index: &PolicyIndex,
    chains: &HashMap<String, OrgChain>,
    organization_id: Option<&str>,
    allow_all: &Policy,
    (by_arn, by_account): (&FastMap<&str, usize>, &FastMap<&str, Vec<usize>>),
    (entries, paths): (&mut Vec<TrustEntry>, &mut Vec<AssumePath>),
) {
    // Sources already evaluated for this role (a party may be named twice).
    let mut evaluated: HashSet<usize> = HashSet::new();
    {
        let role = &principals[role_index];
        let Some(trust) = role.trust.map(|id| index.get(id)) else {
            return;
        };
        let role_chain = chains.get(role.account);
        for statement in &trust.document.statements {
            if statement.effect != Effect::Allow || !statement.action.covers("sts:assumerole") {
                continue;
            }
            let Some(block) = statement.principal.as_ref().filter(|b| !b.negated) else {
                continue;
            };
            for party in parties(&block.principals) {
                let account = party.account().map(str::to_owned);
                let in_org = account
                    .as_deref()
                    .map(|a| chains.get(a).is_some_and(|c| c.in_organization));
                let outside_organization = match (&party, organization_id) {
                    (TrustedParty::Everyone, _) => Some(true),
                    (_, None) => None,
                    (_, Some(_)) => in_org.map(|inside| !inside),
                };
                let rcp_block = role_chain
                    .filter(|c| !c.rcp_levels.is_empty() && !c.management)
                    .and_then(|chain| {
                        let caller =
                            caller_context(&party, account.as_deref(), in_org, organization_id);
                        let principal_arn = party_principal_arn(&party);
                        let request_principal =
                            crate::policy::RequestPrincipal::from_arn(&principal_arn);
                        let rcp_levels = OrgChain::levels(&chain.rcp_levels, index);
                        let identity = [allow_all];
                        let set = PolicySet {
                            identity: &identity,
                            permission_boundary: None,
                            scp_levels: None,
                            rcp_levels: Some(&rcp_levels),
                            session: &[],
                            management_account: false,
                        };
                        let request = Request {
                            principal: Some(&request_principal),
                            action: ASSUME_ROLE,
                            resource: role.arn,
                            context: &caller,
                        };
                        let evaluation = crate::policy::evaluate(&request, &set);
                        evaluation
                            .decision
                            .is_denied()
                            .then(|| Blocker::of(&evaluation))
                            .flatten()
                    });
                let condition_keys = statement.conditions.iter().map(|c| c.key.clone()).collect();
                let conditions = if statement.conditions.is_empty() {
                    TrustConditions::default()
                } else {
                    let caller =
                        caller_context(&party, account.as_deref(), in_org, organization_id);
                    TrustConditions::of(statement, &caller)
                };
                let label = statement.label();
                entries.push(TrustEntry {
                    role: role_index,
                    statement: label.clone(),
                    party: party.clone(),
                    conditioned: !statement.conditions.is_empty(),
                    condition_keys,
                    outside_organization,
                    rcp_block: rcp_block.clone(),
                    conditions,
                });
                let sources: Vec<usize> = match &party {
                    TrustedParty::Principal { arn, .. } => {
                        by_arn.get(arn.as_str()).copied().into_iter().collect()
                    }
                    TrustedParty::Account(account) => by_account
                        .get(account.as_str())
                        .cloned()
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
                for source_index in sources {
                    if source_index == role_index || !evaluated.insert(source_index) {
                        continue;
                    }
                    if let Some(mut path) = assume_path(
                        source_index,
                        role_index,
                        principals,
                        index,
                        chains,
                        organization_id,
                        statement,
                    ) {
                        path.trust_statement = label.clone();
                        path.rcp_block = rcp_block.clone();
                        paths.push(path);
                    }
                }
            }
        }
    }
}

/// Evaluates a source principal's own permission to assume the role.
fn assume_path(
    source_index: usize,
    role_index: usize,
    principals: &[Principal<'_>],
    index: &PolicyIndex,
    chains: &HashMap<String, OrgChain>,
    organization_id: Option<&str>,
    statement: &crate::policy::statement::Statement,
) -> Option<AssumePath> {
    let source = &principals[source_index];
    let role = &principals[role_index];
    let policies = source.guarded(index, chains);
    let context = source.context(organization_id);
    let request = Request {
        principal: Some(&source.request_principal),
        action: ASSUME_ROLE,
        resource: role.arn,
        context: &context,
    };
    let identity_only = crate::policy::evaluate(&request, &policies.identity_only());
    if !matches!(
        identity_only.decision,
        Decision::Allowed | Decision::Depends
    ) {
        return None;
    }
    let set = policies.set();
    let effective = crate::policy::evaluate(&request, &set);
    Some(AssumePath {
        source: source_index,
        role: role_index,
        effective: effective.decision,
        depends_on: effective.depends_on.clone(),
        blocked_by: effective
            .decision
            .is_denied()
            .then(|| Blocker::of(&effective))
            .flatten(),
        trust_statement: String::new(),
        trust_conditions: if statement.conditions.is_empty() {
            TrustConditions::default()
        } else {
            TrustConditions::of(statement, &context)
        },
        rcp_block: None,
    })
}

fn parties(principals: &Principals) -> Vec<TrustedParty> {
    if principals.everyone {
        return vec![TrustedParty::Everyone];
    }
    let mut out = Vec::new();
    for entry in &principals.aws {
        let account_id = account_of(entry);
        match account_id {
            Some(account) if entry.len() == 12 || entry.ends_with(":root") => {
                out.push(TrustedParty::Account(account))
            }
            Some(account) => out.push(TrustedParty::Principal {
                arn: entry.clone(),
                account,
            }),
            None => out.push(TrustedParty::Other(entry.clone())),
        }
    }
    out.extend(
        principals
            .service
            .iter()
            .chain(&principals.federated)
            .cloned()
            .map(TrustedParty::Other),
    );
    out
}

/// The account id in a principal entry (bare id or the ARN's account field).
fn account_of(entry: &str) -> Option<String> {
    if entry.len() == 12 && entry.bytes().all(|b| b.is_ascii_digit()) {
        return Some(entry.to_owned());
    }
    let account = entry.strip_prefix("arn:")?.split(':').nth(3)?;
    (account.len() == 12).then(|| account.to_owned())
}

fn party_principal_arn(party: &TrustedParty) -> String {
    match party {
        TrustedParty::Principal { arn, .. } => arn.clone(),
        TrustedParty::Account(account) => format!("arn:aws:iam::{account}:root"),
        TrustedParty::Everyone => "arn:aws:iam::000000000000:root".to_owned(),
        TrustedParty::Other(name) => name.clone(),
    }
}

/// What the role's account sees of a caller it knows only from a trust policy. A caller
/// from outside the Organization carries another organization's id or none; either way it
/// is not ours, so a value that cannot equal any real id stands for it (`StringEquals` /
/// `StringNotEquals` against our id then decide as AWS would).
pub(crate) fn caller_context(
    party: &TrustedParty,
    account: Option<&str>,
    in_org: Option<bool>,
    organization_id: Option<&str>,
) -> RequestContext {
    let mut context = RequestContext::open();
    if let Some(account) = account {
        context.set("aws:PrincipalAccount", vec![account.to_owned()], false);
    }
    if let TrustedParty::Principal { arn, .. } = party {
        context.set("aws:PrincipalArn", vec![arn.clone()], false);
    }
    match (in_org, organization_id) {
        (Some(true), Some(org)) => context.set("aws:PrincipalOrgID", vec![org.to_owned()], false),
        (Some(false), Some(_)) => context.set(
            "aws:PrincipalOrgID",
            vec!["(outside the organization)".to_owned()],
            false,
        ),
        _ => {}
    }
    context.set("aws:PrincipalIsAWSService", vec!["false".to_owned()], false);
    context
}
