//! Stable fingerprints (issue #12): a finding's fingerprint depends on the rule, the
//! resource, the DB user and the content that identifies the defect (the statement's Sid,
//! else a hash of its normalised text; the defective pattern), never on a statement's
//! position, an account's display name or any clock. A scheduled job diffing fingerprints
//! must not see "8 fixed, 8 new" after an unrelated policy edit.
//!
//! Each test edits the demo snapshot (fixtures/demo) the way a real change would and
//! compares every fingerprint. Re-collecting is covered by tests/fix_proving.rs, which
//! re-collects live after each applied fix and fails on any fingerprint it has not seen.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rdsiam::inventory::snapshot;
use serde_json::{Value, json};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo/snapshot.json");
const EVALUATED_AT: &str = "2026-11-21T00:00:00Z";

fn demo() -> Value {
    serde_json::from_slice(&std::fs::read(DEMO).expect("demo snapshot")).expect("demo is JSON")
}

/// Fingerprint → "rule resource" of every finding of `snapshot` evaluated at `at`.
fn fingerprints_at(snapshot: &Value, at: &str) -> BTreeMap<String, String> {
    let bytes = serde_json::to_vec(snapshot).expect("serialise");
    let inventory = snapshot::parse(Path::new("edited.json"), &bytes).expect("edited demo loads");
    rdsiam::rules::evaluate(&inventory, at)
        .findings
        .into_iter()
        .map(|f| {
            let what = format!("{} {}", f.rule, f.resource.arn);
            (f.fingerprint, what)
        })
        .collect()
}

fn fingerprints(snapshot: &Value) -> BTreeMap<String, String> {
    fingerprints_at(snapshot, EVALUATED_AT)
}

/// Every identity policy document of the snapshot (managed and inline), as JSON values
/// (documents stored as JSON strings are decoded in place so they can be edited).
fn for_each_document(snapshot: &mut Value, mut edit: impl FnMut(&mut Value)) {
    let mut visit = |document: &mut Value| {
        if let Value::String(text) = document {
            let Ok(mut parsed) = serde_json::from_str::<Value>(text) else {
                return;
            };
            edit(&mut parsed);
            *document = parsed;
        } else {
            edit(document);
        }
    };
    for account in snapshot["accounts"].as_array_mut().expect("accounts") {
        let iam = &mut account["iam"];
        for policy in iam["managed_policies"].as_array_mut().into_iter().flatten() {
            visit(&mut policy["document"]);
        }
        for kind in ["users", "groups", "roles"] {
            for owner in iam[kind].as_array_mut().into_iter().flatten() {
                for policy in owner["inline_policies"]
                    .as_array_mut()
                    .into_iter()
                    .flatten()
                {
                    visit(&mut policy["document"]);
                }
            }
        }
    }
}

fn statements(document: &mut Value) -> Option<&mut Vec<Value>> {
    let statement = document.get_mut("Statement")?;
    if statement.is_object() {
        *statement = Value::Array(vec![statement.take()]);
    }
    statement.as_array_mut()
}

fn assert_same(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>, what: &str) {
    let gone: Vec<&String> = before
        .iter()
        .filter(|(fp, _)| !after.contains_key(*fp))
        .map(|(_, w)| w)
        .collect();
    let new: Vec<&String> = after
        .iter()
        .filter(|(fp, _)| !before.contains_key(*fp))
        .map(|(_, w)| w)
        .collect();
    assert!(
        gone.is_empty() && new.is_empty(),
        "{what} moved fingerprints:\n gone: {gone:#?}\n new: {new:#?}"
    );
}

#[test]
fn inserting_an_unrelated_statement_first_moves_no_fingerprint() {
    let original = demo();
    let before = fingerprints(&original);
    assert!(before.len() > 20, "the demo has findings: {}", before.len());
    let mut edited = original.clone();
    let mut touched = 0;
    for_each_document(&mut edited, |document| {
        if let Some(list) = statements(document) {
            list.insert(
                0,
                json!({"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}),
            );
            touched += 1;
        }
    });
    assert!(touched > 5, "{touched} documents edited");
    assert_same(&before, &fingerprints(&edited), "inserting a statement");
}

#[test]
fn reordering_statements_moves_no_fingerprint() {
    let original = demo();
    let before = fingerprints(&original);
    let mut edited = original.clone();
    for_each_document(&mut edited, |document| {
        if let Some(list) = statements(document) {
            list.reverse();
        }
    });
    assert_same(&before, &fingerprints(&edited), "reversing statements");
}

#[test]
fn renaming_accounts_moves_no_fingerprint() {
    let original = demo();
    let before = fingerprints(&original);
    let mut edited = original.clone();
    for account in edited["accounts"].as_array_mut().expect("accounts") {
        account["name"] = json!(format!("renamed-{}", account["account_id"]));
    }
    assert_same(&before, &fingerprints(&edited), "renaming account aliases");
}

#[test]
fn another_clock_moves_no_fingerprint() {
    let original = demo();
    let mut edited = original.clone();
    edited["collected_at"] = json!("2026-12-01T08:00:00Z");
    // A later report time (and collection time) changes observed values, not identities.
    let before = fingerprints(&original);
    let after = fingerprints_at(&edited, "2026-11-22T13:37:00Z");
    let common: BTreeSet<&String> = before.keys().filter(|k| after.contains_key(*k)).collect();
    // Time-window rules may find more or less a day later; every finding found both times
    // keeps its fingerprint, and nearly all are found both times.
    assert!(
        common.len() * 10 >= before.len() * 9,
        "{} of {} fingerprints survive a day's difference",
        common.len(),
        before.len()
    );
    let same_clock_again = fingerprints_at(&edited, EVALUATED_AT);
    let collected_at_only: BTreeSet<&String> = same_clock_again.keys().collect();
    assert_eq!(
        before.keys().collect::<BTreeSet<_>>(),
        collected_at_only,
        "the collection time alone moved fingerprints"
    );
}

#[test]
fn changing_the_defective_pattern_changes_its_fingerprint() {
    let original = demo();
    let inventory = snapshot::load(Path::new(DEMO)).expect("demo");
    let findings = rdsiam::rules::evaluate(&inventory, EVALUATED_AT).findings;
    // An ARN finding: its observed value is the defective pattern.
    let finding = findings
        .iter()
        .find(|f| f.rule == "arn-db-identifier-not-resource-id")
        .expect("the demo plants arn-db-identifier-not-resource-id");
    let pattern = finding.evidence[0].observed.clone();
    let changed = pattern.replacen("/", "/x", 1);
    let mut edited = original.clone();
    let mut replaced = 0;
    for_each_document(&mut edited, |document| {
        let text = document.to_string();
        if text.contains(&format!("\"{pattern}\"")) {
            *document = serde_json::from_str(
                &text.replace(&format!("\"{pattern}\""), &format!("\"{changed}\"")),
            )
            .expect("still JSON");
            replaced += 1;
        }
    });
    assert!(replaced > 0, "pattern {pattern} not found in the documents");
    let after = fingerprints(&edited);
    assert!(
        !after.contains_key(&finding.fingerprint),
        "the fingerprint of {} survived changing its pattern {pattern} to {changed}",
        finding.rule
    );
    assert!(
        after.values().any(|w| w.starts_with(&finding.rule)),
        "the changed pattern is still a finding of {}",
        finding.rule
    );
}
