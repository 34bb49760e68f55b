//! The demo organization plants drift for every rule: fixtures/demo/DRIFT.md must name each
//! catalogue rule exactly once in its "Planted drift" table, and no unknown rule.

use std::collections::BTreeSet;

const DRIFT: &str = include_str!("../fixtures/demo/DRIFT.md");

#[test]
fn drift_table_covers_every_rule_once() {
    let section = DRIFT
        .split("## Planted drift")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap_or_else(|| panic!("DRIFT.md has no 'Planted drift' section"));
    let mut listed = Vec::new();
    for line in section.lines() {
        if let Some(id) = line
            .strip_prefix("| `")
            .and_then(|rest| rest.split('`').next())
        {
            listed.push(id.to_owned());
        }
    }
    let unique: BTreeSet<&str> = listed.iter().map(String::as_str).collect();
    assert_eq!(
        unique.len(),
        listed.len(),
        "a rule is listed twice: {listed:?}"
    );
    let catalogue: BTreeSet<&str> = rdsiam::rules::catalogue()
        .iter()
        .filter(|r| r.category != rdsiam::rules::Category::Doctor)
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(unique, catalogue);
}
