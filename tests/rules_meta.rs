//! The rule meta-test: a rule is four things — `rules/<id>.toml` (catalogue), its entry in
//! the rule table `rules::RULES` with audit logic (or, for the rules about accepted risks,
//! marked as judged by `rules::exceptions`), `fixtures/rules/<id>/{fail,pass}.json` (each with
//! an optional `<name>.rdsiam.toml` configuration beside it), and a findings snapshot
//! (`tests/snapshots/rules_meta__rule__<id>.snap`). Each test here fails, naming the rule
//! and the missing or wrong part, when one of the four is absent, when ids collide, or when a
//! fixture does not behave: the rule must fire on `fail.json` and stay silent on `pass.json`.
//!
//! Snapshots are written by insta; after a deliberate change to a rule's findings, review them
//! with `cargo insta review` (or `INSTA_UPDATE=always cargo test --test rules_meta`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use rdsiam::inventory::{Inventory, snapshot};
use rdsiam::report::Finding;
use rdsiam::rules::{self, RULES};
use serde::Serialize;

/// The report time every fixture is evaluated at (rules use no other clock).
const EVALUATED_AT: &str = "2026-11-21T00:00:00Z";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/rules");
const SNAPSHOTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots");
/// insta names snapshots `<test file>__<name>.snap`.
const SNAPSHOT_PREFIX: &str = "rules_meta__rule__";
const FIXTURE_FILES: [&str; 2] = ["fail.json", "pass.json"];
/// Optional configuration of a fixture (`fail.rdsiam.toml` beside `fail.json`): rules about
/// the configuration itself (`exception-*`) need one.
const FIXTURE_CONFIGS: [&str; 2] = ["fail.rdsiam.toml", "pass.rdsiam.toml"];
/// Files allowed directly in `fixtures/rules/` besides one directory per rule.
const FIXTURES_ROOT_FILES: [&str; 1] = ["README.md"];

/// Audit rules only: `doctor` causes come from the live probe, not from an inventory (their
/// tests are in tests/doctor.rs and `doctor::diagnosis`).
fn catalogue_ids() -> Vec<&'static str> {
    rules::catalogue()
        .iter()
        .filter(|r| r.category != rules::Category::Doctor)
        .map(|r| r.id.as_str())
        .collect()
}

fn fixture_path(id: &str, file: &str) -> PathBuf {
    Path::new(FIXTURES).join(id).join(file)
}

fn load_fixture(id: &str, file: &str) -> Result<Inventory, String> {
    let path = fixture_path(id, file);
    if !path.is_file() {
        return Err(format!("rule {id}: fixture {} is missing", relative(&path)));
    }
    snapshot::load(&path).map_err(|e| format!("rule {id}: fixture does not load: {e}"))
}

fn relative(path: &Path) -> String {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string()
}

fn findings_of<'a>(findings: &'a [Finding], id: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.rule == id).collect()
}

/// Panics with every problem at once, so one run shows all rules that need work.
fn assert_no_problems(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s):\n  - {}",
        problems.len(),
        problems.join("\n  - ")
    );
}

#[test]
fn registry_and_catalogue_name_the_same_rules_once() {
    let catalogue = catalogue_ids();
    let mut problems = Vec::new();
    let mut seen = BTreeMap::new();
    let ids = RULES
        .iter()
        .filter(|rule| rule.check.is_some() || rule.exceptions)
        .map(|rule| rule.id);
    for (index, id) in ids.enumerate() {
        if let Some(first) = seen.insert(id, index) {
            problems.push(format!(
                "rule {id}: registered twice in rules::RULES (entries {first} and {index})"
            ));
        }
        if !catalogue.contains(&id) {
            problems.push(format!(
                "rule {id}: in rules::RULES with audit logic but rules/{id}.toml is not an audit rule of the catalogue"
            ));
        }
    }
    let mut catalogue_seen = BTreeSet::new();
    for id in &catalogue {
        if !catalogue_seen.insert(id) {
            problems.push(format!("rule {id}: listed twice in the catalogue"));
        }
        if !seen.contains_key(id) {
            problems.push(format!(
                "rule {id}: rules/{id}.toml has no audit logic in rules::RULES (src/rules/table.rs)"
            ));
        }
    }
    assert_no_problems("registry vs catalogue", &problems);
}

#[test]
fn every_rule_has_pass_and_fail_fixtures_that_load() {
    let mut problems = Vec::new();
    for id in catalogue_ids() {
        for file in FIXTURE_FILES {
            if let Err(problem) = load_fixture(id, file) {
                problems.push(problem);
            }
        }
    }
    assert_no_problems("rule fixtures", &problems);
}

#[test]
fn every_fixture_directory_and_snapshot_belongs_to_a_rule() {
    let catalogue: BTreeSet<&str> = catalogue_ids().into_iter().collect();
    let mut problems = Vec::new();
    let entries = fs::read_dir(FIXTURES).unwrap_or_else(|e| panic!("{FIXTURES}: {e}"));
    for entry in entries {
        let path = entry.unwrap_or_else(|e| panic!("{FIXTURES}: {e}")).path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            if !catalogue.contains(name) {
                problems.push(format!(
                    "{}: no rule {name} in the catalogue (rules/{name}.toml); rename or remove it",
                    relative(&path)
                ));
            }
            problems.extend(stray_files(&path));
        } else if !FIXTURES_ROOT_FILES.contains(&name) {
            problems.push(format!(
                "{}: unexpected file; fixtures live in fixtures/rules/<rule id>/",
                relative(&path)
            ));
        }
    }
    if let Ok(entries) = fs::read_dir(SNAPSHOTS) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix(SNAPSHOT_PREFIX) else {
                continue;
            };
            let id = rest.trim_end_matches(".new").trim_end_matches(".snap");
            if !catalogue.contains(id) {
                problems.push(format!(
                    "tests/snapshots/{name}: snapshot of unknown rule {id}; remove it"
                ));
            }
        }
    }
    assert_no_problems("fixture directories and snapshots", &problems);
}

fn stray_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return vec![format!("{}: cannot be read", relative(dir))];
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            !FIXTURE_FILES.contains(&name) && !FIXTURE_CONFIGS.contains(&name)
        })
        .map(|p| {
            format!(
                "{}: unexpected file; a rule's fixture directory holds only fail.json and pass.json (and their .rdsiam.toml)",
                relative(&p)
            )
        })
        .collect()
}

#[test]
fn fixtures_readme_lists_every_rule() {
    let path = Path::new(FIXTURES).join("README.md");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", relative(&path)));
    let problems: Vec<String> = catalogue_ids()
        .into_iter()
        .filter(|id| !text.contains(&format!("`{id}`")))
        .map(|id| format!("rule {id}: no row in fixtures/rules/README.md"))
        .collect();
    assert_no_problems("fixtures/rules/README.md", &problems);
}

#[test]
fn each_rule_fires_on_its_fail_fixture_and_not_on_its_pass_fixture() {
    let known: BTreeSet<&str> = catalogue_ids().into_iter().collect();
    let mut problems = Vec::new();
    for id in catalogue_ids() {
        for (file, must_fire) in [("fail.json", true), ("pass.json", false)] {
            let inventory = match load_fixture(id, file) {
                Ok(inventory) => inventory,
                Err(problem) => {
                    problems.push(problem);
                    continue;
                }
            };
            let findings = evaluate_fixture(id, file, &inventory);
            let own = findings_of(&findings, id);
            let where_ = relative(&fixture_path(id, file));
            if must_fire && own.is_empty() {
                problems.push(format!("rule {id}: no finding on {where_} (it must fire)"));
            }
            if !must_fire && !own.is_empty() {
                let resources: Vec<String> = own.iter().map(|f| describe(f)).collect();
                problems.push(format!(
                    "rule {id}: {} finding(s) on {where_} (it must not fire): {}",
                    own.len(),
                    resources.join("; ")
                ));
            }
            for finding in findings.iter().filter(|f| !known.contains(f.rule.as_str())) {
                problems.push(format!(
                    "{where_}: finding with rule id {:?}, which is not in the catalogue",
                    finding.rule
                ));
            }
        }
    }
    assert_no_problems("fail/pass fixtures", &problems);
}

/// Evaluates a fixture with its configuration (`<file stem>.rdsiam.toml`) when it has one.
fn evaluate_fixture(id: &str, file: &str, inventory: &Inventory) -> Vec<Finding> {
    let config = fixture_path(id, &file.replace(".json", ".rdsiam.toml"));
    if !config.is_file() {
        return rules::evaluate(inventory, EVALUATED_AT).findings;
    }
    let settings = rdsiam::config::load(&config)
        .unwrap_or_else(|e| panic!("rule {id}: fixture configuration: {e}"));
    rules::evaluate_configured(inventory, EVALUATED_AT, &settings.rules).findings
}

fn describe(finding: &Finding) -> String {
    match &finding.resource.db_user {
        Some(user) => format!("{} (db user {user:?})", finding.resource.arn),
        None => finding.resource.arn.clone(),
    }
}

/// The part of a finding that must stay stable: which rule, how severe, about what, from
/// which evidence, and whether the fix is actionable. Messages and observed values may be
/// reworded without touching the snapshots.
#[derive(Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
struct StableFinding {
    rule: String,
    severity: String,
    resource_arn: String,
    db_user: Option<String>,
    evidence_sources: Vec<String>,
    fix_has_aws_cli: bool,
    fix_has_sql: bool,
}

impl StableFinding {
    fn of(finding: &Finding) -> Self {
        StableFinding {
            rule: finding.rule.clone(),
            severity: finding.severity.to_string(),
            resource_arn: finding.resource.arn.clone(),
            db_user: finding.resource.db_user.clone(),
            evidence_sources: finding.evidence.iter().map(|e| e.source.clone()).collect(),
            fix_has_aws_cli: finding.fix.aws_cli.is_some(),
            fix_has_sql: finding.fix.sql.is_some(),
        }
    }
}

#[test]
fn fail_fixture_findings_match_their_snapshots() {
    let mut problems = Vec::new();
    for id in catalogue_ids() {
        let inventory = match load_fixture(id, "fail.json") {
            Ok(inventory) => inventory,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let findings = evaluate_fixture(id, "fail.json", &inventory);
        let mut stable: Vec<StableFinding> = findings_of(&findings, id)
            .into_iter()
            .map(StableFinding::of)
            .collect();
        if stable.is_empty() {
            // An empty snapshot would freeze the absence of the rule: refuse to write one.
            problems.push(format!(
                "rule {id}: no finding on fail.json, nothing to snapshot"
            ));
            continue;
        }
        stable.sort();
        let text = serde_json::to_string_pretty(&stable)
            .unwrap_or_else(|e| panic!("rule {id}: findings do not serialize: {e}"));
        // Run every rule's assertion, so one run writes every new or changed `.snap.new`.
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            insta::assert_snapshot!(format!("rule__{id}"), text);
        }));
        if outcome.is_err() {
            problems.push(format!(
                "rule {id}: findings on fail.json differ from tests/snapshots/{SNAPSHOT_PREFIX}{id}.snap (missing or changed; see above, then `cargo insta review`)"
            ));
        }
    }
    assert_no_problems("rule snapshots", &problems);
}

#[path = "support/fix_proof.rs"]
mod fix_proof;

/// Every rule (doctor causes included) whose fix is a command or SQL is either proven by
/// tests/fix_proving.rs or says in its TOML `fix_proof` why it cannot be, in the agreed
/// words; a `fix_proof` on a rule without a command is a mistake too.
#[test]
fn every_command_fix_is_proven_or_says_why_not() {
    let proven: BTreeSet<&str> = fix_proof::all_proven().collect();
    let mut problems = Vec::new();
    for meta in rules::catalogue() {
        let id = meta.id.as_str();
        let command = meta.fix.aws_cli.is_some() || meta.fix.sql.is_some();
        match (&meta.fix_proof, proven.contains(id), command) {
            (_, _, false) if meta.fix_proof.is_some() || proven.contains(id) => problems
                .push(format!(
                    "rule {id}: has no aws_cli or sql fix, yet is listed as proven or has fix_proof"
                )),
            (None, false, true) => problems.push(format!(
                "rule {id}: its fix is a command but tests/fix_proving.rs does not prove it; add `fix_proof = 'not provable here: <why>'` to rules/{id}.toml or prove it"
            )),
            (Some(why), is_proven, true) => {
                let words_ok = if is_proven {
                    why.starts_with("partly proven: ")
                } else {
                    why.starts_with("not provable here: ")
                        || why.starts_with("not provable here yet: ")
                };
                if !words_ok || why.len() < 40 {
                    problems.push(format!(
                        "rule {id}: fix_proof must start with `not provable here: ` (or `partly proven: ` when tests/fix_proving.rs proves part) and say why: {why:?}"
                    ));
                }
            }
            _ => {}
        }
    }
    for id in fix_proof::all_proven() {
        if rules::lookup(id).is_none() {
            problems.push(format!(
                "tests/support/fix_proof.rs lists unknown rule {id}"
            ));
        }
    }
    assert_no_problems("fix proofs", &problems);
}

/// A rendered fix names no template placeholder (`{account}`), no file the user is meant to
/// write (`file://fixed-policy.json`), no stand-in (`ROLE_NAME`), no doubled flag dashes;
/// an unknown fact appears only as `<WHAT: why>`.
#[test]
fn rendered_fixes_hold_real_values_or_named_unknowns() {
    let mut problems = Vec::new();
    for id in catalogue_ids() {
        let Ok(inventory) = load_fixture(id, "fail.json") else {
            continue;
        };
        for finding in rules::evaluate(&inventory, EVALUATED_AT).findings {
            for text in [&finding.fix.aws_cli, &finding.fix.sql]
                .into_iter()
                .flatten()
            {
                if let Some(problem) = placeholder_problem(text) {
                    problems.push(format!(
                        "rule {} on fixtures/rules/{id}/fail.json: {problem}:\n{text}",
                        finding.rule
                    ));
                }
            }
        }
    }
    assert_no_problems("rendered fixes", &problems);
}

fn placeholder_problem(text: &str) -> Option<String> {
    for (name, _) in rules::catalogue::PLACEHOLDERS {
        if text.contains(&format!("{{{name}}}")) {
            return Some(format!("unfilled placeholder {{{name}}}"));
        }
    }
    for bad in [
        "file://",
        "----",
        "ROLE_NAME",
        "RESOURCE_ID",
        "ACCOUNT_ID",
        "POLICY_ARN",
    ] {
        // Inside a named unknown (`<RESOURCE_ID: …>`) the name is the point.
        let outside: String = strip_named_unknowns(text);
        if outside.contains(bad) {
            return Some(format!("stand-in `{bad}` outside a named unknown"));
        }
    }
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let close = after.find('>')?;
        let inner = &after[..close];
        let named = inner.split_once(": ").is_some_and(|(what, why)| {
            !what.is_empty()
                && what.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                && !why.is_empty()
        });
        if !named {
            return Some(format!("`<{inner}>` is not a named unknown `<WHAT: why>`"));
        }
        rest = &after[close + 1..];
    }
    None
}

fn strip_named_unknowns(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        match rest[open..].find('>') {
            Some(close) => rest = &rest[open + close + 1..],
            None => {
                rest = &rest[open..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}
