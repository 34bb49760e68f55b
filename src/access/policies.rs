//! Every policy document of an inventory, parsed once into an arena: customer- and
//! AWS-managed policies (by ARN), inline policies of users, groups and roles, role trust
//! policies, and Organizations SCPs/RCPs. A text that repeats (the same trust policy on
//! every role of a service, say) is parsed once and its document shared. A document that does not parse is recorded (the
//! `policy-unparseable` rule reports it) and left out of evaluation; the audit goes on.

use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::HashTable;
use rayon::prelude::*;

use crate::inventory::{Inventory, PolicyText};
use crate::policy::rds_db::{CONNECT, NEVER_IN_CONNECT, is_connect_mistake, names_connect};
use crate::policy::{Effect, Policy, PolicyDocument};

/// Index of a policy in [`PolicyIndex::policies`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PolicyId(pub u32);

/// Where a policy document lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyOwner {
    /// A managed policy (customer or AWS), by ARN.
    Managed { arn: String, account: String },
    /// An inline policy of a user, group or role.
    Inline {
        owner_arn: String,
        account: String,
        name: String,
    },
    /// A role's trust policy.
    Trust { role_arn: String, account: String },
    /// An Organizations SCP or RCP.
    Organization {
        policy_arn: String,
        policy_id: String,
    },
}

impl PolicyOwner {
    /// The ARN a finding about this document points at.
    pub fn resource_arn(&self) -> &str {
        match self {
            PolicyOwner::Managed { arn, .. } => arn,
            PolicyOwner::Inline { owner_arn, .. } => owner_arn,
            PolicyOwner::Trust { role_arn, .. } => role_arn,
            PolicyOwner::Organization { policy_arn, .. } => policy_arn,
        }
    }

    pub fn account(&self) -> Option<&str> {
        match self {
            PolicyOwner::Managed { account, .. }
            | PolicyOwner::Inline { account, .. }
            | PolicyOwner::Trust { account, .. } => Some(account),
            PolicyOwner::Organization { .. } => None,
        }
    }

    /// How the document is named in reasons and evidence.
    pub fn label(&self) -> String {
        match self {
            PolicyOwner::Managed { arn, .. } => arn.clone(),
            PolicyOwner::Inline {
                owner_arn, name, ..
            } => format!("{owner_arn} inline policy {name}"),
            PolicyOwner::Trust { role_arn, .. } => format!("{role_arn} trust policy"),
            PolicyOwner::Organization { policy_arn, .. } => policy_arn.clone(),
        }
    }
}

/// A document that failed to parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnparseablePolicy {
    pub owner: PolicyOwner,
    pub error: String,
}

/// What the access matrix and the document rules need to know first about a document,
/// read once while it is parsed (on the pool, with the document in cache). A rule that
/// walks every document checks these flags and skips the ones that cannot concern it,
/// instead of reading 200,000 documents' statements from memory again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DocumentFacts {
    /// Some Allow statement's actions cover `rds-db:connect`.
    pub allows_connect: bool,
    /// Some Allow statement names `rds-db:` or a mistake for it ([`names_connect`]).
    pub names_connect: bool,
    /// Some Allow statement's `Action` (not `NotAction`) lists `rds:connect` or a
    /// misspelling of `rds-db:connect`.
    pub connect_mistake: bool,
    /// Some statement covering `rds-db:connect` has a condition on a key such requests
    /// never carry ([`NEVER_IN_CONNECT`], case-insensitively).
    pub never_present_key: bool,
}

impl DocumentFacts {
    pub fn of(document: &PolicyDocument) -> DocumentFacts {
        let mut facts = DocumentFacts::default();
        for statement in &document.statements {
            let covers = statement.action.covers(CONNECT);
            if statement.effect == Effect::Allow {
                facts.allows_connect |= covers;
                facts.names_connect |= names_connect(statement);
                facts.connect_mistake |= !statement.action.negated
                    && statement
                        .action
                        .patterns
                        .iter()
                        .any(|action| is_connect_mistake(&action.raw));
            }
            facts.never_present_key |= covers
                && statement.conditions.iter().any(|condition| {
                    NEVER_IN_CONNECT
                        .iter()
                        .any(|key| key.eq_ignore_ascii_case(&condition.key))
                });
        }
        facts
    }
}

/// The parsed policies of an inventory.
#[derive(Debug, Default)]
pub struct PolicyIndex {
    pub policies: Vec<Policy>,
    pub owners: Vec<PolicyOwner>,
    /// Per policy (same positions as `policies`).
    pub facts: Vec<DocumentFacts>,
    /// Lookup tables: each holds ids only, hashed by the owner's key (see [`Key`]) so the
    /// strings are stored once, in `owners`.
    hasher: foldhash::fast::RandomState,
    managed: HashTable<PolicyId>,
    inline: HashTable<PolicyId>,
    trust: HashTable<PolicyId>,
    organization: HashTable<PolicyId>,
    pub unparseable: Vec<UnparseablePolicy>,
}

/// The key a document is found by: managed policy ARN, (owner ARN, inline policy name),
/// role ARN for a trust policy, Organizations policy id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key<'a> {
    Managed(&'a str),
    Inline(&'a str, &'a str),
    Trust(&'a str),
    Organization(&'a str),
}

impl PolicyOwner {
    fn key(&self) -> Key<'_> {
        match self {
            PolicyOwner::Managed { arn, .. } => Key::Managed(arn),
            PolicyOwner::Inline {
                owner_arn, name, ..
            } => Key::Inline(owner_arn, name),
            PolicyOwner::Trust { role_arn, .. } => Key::Trust(role_arn),
            PolicyOwner::Organization { policy_id, .. } => Key::Organization(policy_id),
        }
    }
}

/// Where a document comes from, borrowed from the inventory (the owned [`PolicyOwner`] is
/// made on the pool, with the parse).
enum Source<'i> {
    Managed {
        arn: &'i str,
        account: &'i str,
    },
    Inline {
        owner_arn: &'i str,
        account: &'i str,
        name: &'i str,
    },
    Trust {
        role_arn: &'i str,
        account: &'i str,
    },
    Organization {
        policy_arn: &'i str,
        policy_id: &'i str,
    },
}

impl Source<'_> {
    fn owner(&self) -> PolicyOwner {
        match *self {
            Source::Managed { arn, account } => PolicyOwner::Managed {
                arn: arn.to_owned(),
                account: account.to_owned(),
            },
            Source::Inline {
                owner_arn,
                account,
                name,
            } => PolicyOwner::Inline {
                owner_arn: owner_arn.to_owned(),
                account: account.to_owned(),
                name: name.to_owned(),
            },
            Source::Trust { role_arn, account } => PolicyOwner::Trust {
                role_arn: role_arn.to_owned(),
                account: account.to_owned(),
            },
            Source::Organization {
                policy_arn,
                policy_id,
            } => PolicyOwner::Organization {
                policy_arn: policy_arn.to_owned(),
                policy_id: policy_id.to_owned(),
            },
        }
    }
}

/// A document's source and text.
type SourceText<'i> = (Source<'i>, &'i PolicyText);

/// Every document of `inventory` with where it comes from, in inventory order. An
/// AWS-managed policy repeats in every account: only its first copy is kept.
fn sources<'i>(
    inventory: &'i Inventory,
    hasher: &foldhash::fast::RandomState,
) -> Vec<SourceText<'i>> {
    // Each account's list on the pool (an organization holds 200,000 documents), with its
    // managed policies' ARNs hashed there; what stays in sequence is the first-copy check.
    let per_account: Vec<(Vec<SourceText<'i>>, Vec<u64>)> = inventory
        .accounts
        .par_iter()
        .map(|account| {
            let list = account_sources(account);
            let hashes = list
                .iter()
                .map_while(|(source, _)| match source {
                    Source::Managed { arn, .. } => Some(hasher.hash_one(*arn)),
                    _ => None,
                })
                .collect();
            (list, hashes)
        })
        .collect();
    let organization_policies = inventory
        .organization
        .as_ref()
        .map_or(&[][..], |organization| &organization.policies);
    let total = per_account
        .iter()
        .map(|(list, _)| list.len())
        .sum::<usize>();
    let mut sources = Vec::with_capacity(total + organization_policies.len());
    let managed_count = per_account.iter().map(|(_, hashes)| hashes.len()).sum();
    let mut seen_managed: HashTable<&str> = HashTable::with_capacity(managed_count);
    for (list, hashes) in per_account {
        for (position, entry) in list.into_iter().enumerate() {
            // Managed policies come first in each account's list, one hash each.
            if let (Source::Managed { arn, .. }, Some(&hash)) = (&entry.0, hashes.get(position)) {
                let arn: &str = arn;
                match seen_managed.entry(hash, |seen| *seen == arn, |seen| hasher.hash_one(*seen)) {
                    hashbrown::hash_table::Entry::Occupied(_) => continue,
                    hashbrown::hash_table::Entry::Vacant(slot) => {
                        slot.insert(arn);
                    }
                }
            }
            sources.push(entry);
        }
    }
    for policy in organization_policies {
        let source = Source::Organization {
            policy_arn: &policy.arn,
            policy_id: &policy.id,
        };
        sources.push((source, &policy.document));
    }
    sources
}

/// One account's documents: managed policies, inline policies of users, groups and roles,
/// trust policies, in that order.
fn account_sources(account: &crate::inventory::Account) -> Vec<SourceText<'_>> {
    let account_id = account.account_id.as_str();
    let iam = &account.iam;
    let mut sources = Vec::new();
    for managed in &iam.managed_policies {
        let source = Source::Managed {
            arn: &managed.arn,
            account: account_id,
        };
        sources.push((source, &managed.document));
    }
    let inline_sets = iam
        .users
        .iter()
        .map(|u| (&u.arn, &u.inline_policies))
        .chain(iam.groups.iter().map(|g| (&g.arn, &g.inline_policies)))
        .chain(iam.roles.iter().map(|r| (&r.arn, &r.inline_policies)));
    for (owner_arn, inline) in inline_sets {
        for policy in inline {
            let source = Source::Inline {
                owner_arn,
                account: account_id,
                name: &policy.name,
            };
            sources.push((source, &policy.document));
        }
    }
    for role in &iam.roles {
        let source = Source::Trust {
            role_arn: &role.arn,
            account: account_id,
        };
        sources.push((source, &role.trust_policy));
    }
    sources
}

/// A parsed document and its facts, or the parser's message.
type Parse = Result<(Arc<PolicyDocument>, DocumentFacts), String>;

/// For each source, the position of the first source with the same text (its own position
/// when it is the first). Hashing runs on the pool; the grouping is one table pass.
fn first_copies(sources: &[SourceText<'_>], hasher: &foldhash::fast::RandomState) -> Vec<u32> {
    let hashes: Vec<u64> = sources
        .par_iter()
        .map(|(_, text)| hasher.hash_one(text.as_json()))
        .collect();
    let text_of = |position: u32| sources[position as usize].1.as_json();
    let mut firsts: HashTable<u32> = HashTable::with_capacity(sources.len());
    let mut first_copy = Vec::with_capacity(sources.len());
    for (position, &hash) in hashes.iter().enumerate() {
        let position = position as u32;
        let text = text_of(position);
        let first = match firsts.entry(
            hash,
            |&other| text_of(other) == text,
            |&other| hashes[other as usize],
        ) {
            hashbrown::hash_table::Entry::Occupied(entry) => *entry.get(),
            hashbrown::hash_table::Entry::Vacant(entry) => {
                entry.insert(position);
                position
            }
        };
        first_copy.push(first);
    }
    first_copy
}

impl PolicyIndex {
    /// Parses every document of `inventory`, in parallel (documents are independent).
    /// Everything per document (owner, parse, key hash) runs on the pool; what is left in
    /// sequence is moving the results into place.
    pub fn build(inventory: &Inventory) -> PolicyIndex {
        let hasher = foldhash::fast::RandomState::default();
        let sources = sources(inventory, &hasher);
        // Texts repeat (every role trusted by the same service has the same trust policy):
        // each distinct text is parsed once, at its first copy, and shared by the others.
        let first_copy = first_copies(&sources, &hasher);
        let documents: Vec<Option<Parse>> = sources
            .par_iter()
            .zip(&first_copy)
            .enumerate()
            .map(|(position, ((_, text), &first))| {
                (first as usize == position).then(|| {
                    text.parse()
                        .map(|document| {
                            let facts = DocumentFacts::of(&document);
                            (Arc::new(document), facts)
                        })
                        .map_err(|err| err.to_string())
                })
            })
            .collect();
        type Parsed = (String, PolicyOwner, Parse, u64);
        let parsed: Vec<Parsed> = sources
            .into_par_iter()
            .zip(&first_copy)
            .map(|((source, _), &first)| {
                let owner = source.owner();
                // A first copy always has its parse (the pass above made it).
                let parse = documents[first as usize]
                    .clone()
                    .unwrap_or_else(|| Err("internal: no parse for the first copy".to_owned()));
                let hash = hasher.hash_one(owner.key());
                (owner.label(), owner, parse, hash)
            })
            .collect();
        // Only `Arc` counts go down here: every document lives on in `parsed`.
        drop(documents);
        let mut policies = Vec::with_capacity(parsed.len());
        let mut facts = Vec::with_capacity(parsed.len());
        let mut owners = Vec::with_capacity(parsed.len());
        let mut hashes = Vec::with_capacity(parsed.len());
        let mut unparseable = Vec::new();
        for (label, owner, result, hash) in parsed {
            match result {
                Ok((document, document_facts)) => {
                    policies.push(Policy::shared(label, document));
                    facts.push(document_facts);
                    owners.push(owner);
                    hashes.push(hash);
                }
                Err(error) => unparseable.push(UnparseablePolicy { owner, error }),
            }
        }
        let mut index = PolicyIndex {
            policies,
            facts,
            owners,
            hasher,
            unparseable,
            ..PolicyIndex::default()
        };
        // One table per kind of owner, built side by side, each sized up front (growing
        // would hash every key it holds again).
        let kind_of = |owner: &PolicyOwner| match owner {
            PolicyOwner::Managed { .. } => 0,
            PolicyOwner::Inline { .. } => 1,
            PolicyOwner::Trust { .. } => 2,
            PolicyOwner::Organization { .. } => 3,
        };
        let build_table = |kind: usize| {
            let owners = &index.owners;
            let rehash = |id: &PolicyId| index.hasher.hash_one(owners[id.0 as usize].key());
            let size = owners.iter().filter(|owner| kind_of(owner) == kind).count();
            let mut table = HashTable::with_capacity(size);
            for (position, (owner, &hash)) in owners.iter().zip(&hashes).enumerate() {
                if kind_of(owner) != kind {
                    continue;
                }
                let id = PolicyId(position as u32);
                let key = owner.key();
                let same = |other: &PolicyId| owners[other.0 as usize].key() == key;
                // A key seen twice (a malformed snapshot): the later document wins, as a
                // map's insert would have it.
                match table.entry(hash, same, rehash) {
                    hashbrown::hash_table::Entry::Occupied(mut entry) => *entry.get_mut() = id,
                    hashbrown::hash_table::Entry::Vacant(entry) => {
                        entry.insert(id);
                    }
                }
            }
            table
        };
        let ((managed, inline), (trust, organization)) = rayon::join(
            || rayon::join(|| build_table(0), || build_table(1)),
            || rayon::join(|| build_table(2), || build_table(3)),
        );
        index.managed = managed;
        index.inline = inline;
        index.trust = trust;
        index.organization = organization;
        index
    }

    fn find(&self, table: &HashTable<PolicyId>, key: Key<'_>) -> Option<PolicyId> {
        let hash = self.hasher.hash_one(key);
        table
            .find(hash, |id| self.owners[id.0 as usize].key() == key)
            .copied()
    }

    pub fn get(&self, id: PolicyId) -> &Policy {
        &self.policies[id.0 as usize]
    }

    /// What the document says about `rds-db:connect`, at a glance.
    pub fn facts(&self, id: PolicyId) -> DocumentFacts {
        self.facts[id.0 as usize]
    }

    pub fn owner(&self, id: PolicyId) -> &PolicyOwner {
        &self.owners[id.0 as usize]
    }

    pub fn managed(&self, arn: &str) -> Option<PolicyId> {
        self.find(&self.managed, Key::Managed(arn))
    }

    pub fn inline(&self, owner_arn: &str, name: &str) -> Option<PolicyId> {
        self.find(&self.inline, Key::Inline(owner_arn, name))
    }

    pub fn trust(&self, role_arn: &str) -> Option<PolicyId> {
        self.find(&self.trust, Key::Trust(role_arn))
    }

    pub fn organization(&self, policy_id: &str) -> Option<PolicyId> {
        self.find(&self.organization, Key::Organization(policy_id))
    }

    /// Every identity-side document (managed and inline), with its id.
    pub fn identity_documents(&self) -> impl Iterator<Item = (PolicyId, &Policy, &PolicyOwner)> {
        self.policies
            .iter()
            .zip(&self.owners)
            .enumerate()
            .filter(|(_, (_, owner))| {
                matches!(
                    owner,
                    PolicyOwner::Managed { .. } | PolicyOwner::Inline { .. }
                )
            })
            .map(|(index, (policy, owner))| (PolicyId(index as u32), policy, owner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;

    fn inventory() -> Inventory {
        let doc: serde_json::Value = serde_json::from_str(DOC).unwrap();
        let deny = serde_json::json!({"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]});
        let aws_managed = "arn:aws:iam::aws:policy/ReadOnlyAccess";
        let account = |id: &str, trust_docs: Vec<serde_json::Value>| {
            serde_json::json!({
                "account_id": id,
                "iam": {
                    "managed_policies": [
                        {"arn": aws_managed, "name": "ReadOnlyAccess", "document": if id == "111111111111" { doc.clone() } else { deny.clone() }},
                        {"arn": format!("arn:aws:iam::{id}:policy/app"), "name": "app", "document": doc},
                        {"arn": format!("arn:aws:iam::{id}:policy/broken"), "name": "broken", "document": {"Statement": 3}}
                    ],
                    "roles": trust_docs.into_iter().map(|trust| serde_json::json!({
                        "name": "dup", "arn": format!("arn:aws:iam::{id}:role/dup"), "trust_policy": trust,
                        "inline_policies": [{"name": "inline", "document": doc}]
                    })).collect::<Vec<_>>()
                }
            })
        };
        serde_json::from_value(serde_json::json!({
            "schema_version": 1,
            "collected_at": "2026-11-20T09:00:00Z",
            "accounts": [account("111111111111", vec![doc.clone()]), account("222222222222", vec![doc.clone(), deny.clone()])]
        }))
        .unwrap()
    }

    fn facts(statements: &str) -> DocumentFacts {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":{statements}}}"#);
        let document = crate::policy::PolicyDocument::parse(&text).unwrap();
        DocumentFacts::of(&document)
    }

    #[test]
    fn document_facts_say_what_each_rule_may_skip() {
        let none = DocumentFacts::default();
        assert_eq!(
            facts(
                r#"[{"Effect":"Allow","Action":["s3:GetObject","sqs:SendMessage"],"Resource":"*"}]"#
            ),
            none
        );
        let grant = facts(r#"[{"Effect":"Allow","Action":"rds-db:connect","Resource":"*"}]"#);
        assert!(grant.allows_connect && grant.names_connect);
        assert!(!grant.connect_mistake && !grant.never_present_key);
        // `*` covers connect without naming it.
        let star = facts(r#"[{"Effect":"Allow","Action":"*","Resource":"*"}]"#);
        assert!(star.allows_connect && !star.names_connect);
        // A Deny neither allows nor names; its conditions still count.
        let deny = facts(
            r#"[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"AWS:SOURCEIP":"10.0.0.0/8"}}}]"#,
        );
        assert_eq!(
            deny,
            DocumentFacts {
                never_present_key: true,
                ..none
            }
        );
        // A condition on such a key in a statement that does not cover connect is no concern.
        let s3 = facts(
            r#"[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]"#,
        );
        assert!(!s3.never_present_key);
        let typo = facts(
            r#"[{"Effect":"Allow","Action":["rds:connect","rds-db:conect"],"Resource":"*"}]"#,
        );
        assert!(typo.connect_mistake && typo.names_connect && !typo.allows_connect);
        // In NotAction a mistake grants nothing by name (the rule reads Action only).
        let negated = facts(r#"[{"Effect":"Allow","NotAction":"rds:connect","Resource":"*"}]"#);
        assert!(!negated.connect_mistake && negated.names_connect && negated.allows_connect);
    }

    #[test]
    fn repeated_texts_are_parsed_once_and_shared() {
        let index = PolicyIndex::build(&inventory());
        let id = |arn: &str| index.managed(arn).unwrap();
        let app_1 = id("arn:aws:iam::111111111111:policy/app");
        let app_2 = id("arn:aws:iam::222222222222:policy/app");
        let inline = index
            .inline("arn:aws:iam::111111111111:role/dup", "inline")
            .unwrap();
        let shared = &index.get(app_1).document;
        assert!(Arc::ptr_eq(shared, &index.get(app_2).document));
        assert!(Arc::ptr_eq(shared, &index.get(inline).document));
        assert_eq!(index.facts(app_2), index.facts(app_1));
        // Each policy keeps its own name and owner.
        assert_eq!(
            index.get(app_2).name,
            "arn:aws:iam::222222222222:policy/app"
        );
        assert_eq!(
            index.get(inline).name,
            "arn:aws:iam::111111111111:role/dup inline policy inline"
        );
        // Another text is another document (the later `dup` role of 222… trusts `deny`).
        let trust = index.trust("arn:aws:iam::222222222222:role/dup").unwrap();
        assert!(!Arc::ptr_eq(shared, &index.get(trust).document));
        assert_eq!(
            index.get(trust).document.statements[0].effect,
            crate::policy::Effect::Deny
        );
        // Every copy of an unparseable text is reported, under its own owner.
        let broken: Vec<&str> = index
            .unparseable
            .iter()
            .map(|policy| policy.owner.resource_arn())
            .collect();
        assert_eq!(
            broken,
            [
                "arn:aws:iam::111111111111:policy/broken",
                "arn:aws:iam::222222222222:policy/broken"
            ]
        );
        assert_eq!(index.unparseable[0].error, index.unparseable[1].error);
    }

    #[test]
    fn finds_documents_by_their_keys_without_copies_of_the_keys() {
        let index = PolicyIndex::build(&inventory());
        // The AWS-managed policy repeats per account: the first copy is the one kept.
        let aws = index
            .managed("arn:aws:iam::aws:policy/ReadOnlyAccess")
            .unwrap();
        assert_eq!(
            index.get(aws).document.statements[0].effect,
            crate::policy::Effect::Allow
        );
        assert_eq!(index.owner(aws).account(), Some("111111111111"));
        let app = index
            .managed("arn:aws:iam::222222222222:policy/app")
            .unwrap();
        assert_eq!(
            index.owner(app).resource_arn(),
            "arn:aws:iam::222222222222:policy/app"
        );
        assert!(
            index
                .managed("arn:aws:iam::333333333333:policy/app")
                .is_none()
        );
        // Unparseable documents are recorded, not indexed.
        assert!(
            index
                .managed("arn:aws:iam::111111111111:policy/broken")
                .is_none()
        );
        assert_eq!(index.unparseable.len(), 2);
        let inline = index
            .inline("arn:aws:iam::111111111111:role/dup", "inline")
            .unwrap();
        assert!(
            matches!(index.owner(inline), PolicyOwner::Inline { name, .. } if name == "inline")
        );
        assert!(
            index
                .inline("arn:aws:iam::111111111111:role/dup", "other")
                .is_none()
        );
        assert!(
            index
                .inline("arn:aws:iam::111111111111:role/du", "pinline")
                .is_none()
        );
        // Two roles with one ARN (a malformed snapshot): the later trust policy wins.
        let trust = index.trust("arn:aws:iam::222222222222:role/dup").unwrap();
        assert_eq!(
            index.get(trust).document.statements[0].effect,
            crate::policy::Effect::Deny
        );
        assert!(
            index
                .trust("arn:aws:iam::222222222222:policy/app")
                .is_none()
        );
    }
}
