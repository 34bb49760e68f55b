//! Differential test of rdsiam's IAM policy engine (`rdsiam simulate`) against an independent
//! implementation, @cloud-copilot/iam-simulate, run by `tests/oracle/run.mjs` (TESTING.md §4).
//!
//! Several hundred deterministic requests (`differential/generator.rs`) plus hand-checked
//! cases (`differential/cases.rs`) go through both engines; every disagreement is printed in
//! full. The oracle is installed by `scripts/test.sh`; without it these tests fail, they never
//! skip. Where the oracle departs from the AWS documentation the generator avoids the shape,
//! and `tests/oracle/SEMANTICS.md` says why.

#[path = "differential/cases.rs"]
mod cases;
#[path = "differential/generator.rs"]
mod generator;
#[path = "differential/oracle.rs"]
mod oracle;
#[path = "differential/rdsiam.rs"]
mod rdsiam;
#[path = "differential/rng.rs"]
mod rng;
mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;

use oracle::OracleAnswer;

const DECISIONS: [&str; 3] = ["Allowed", "ImplicitlyDenied", "ExplicitlyDenied"];

/// The generated requests and the oracle's answers, computed once per test binary.
fn generated() -> &'static (Vec<Value>, Vec<OracleAnswer>) {
    static GENERATED: OnceLock<(Vec<Value>, Vec<OracleAnswer>)> = OnceLock::new();
    GENERATED.get_or_init(|| {
        let requests = generator::requests();
        // Kept for debugging: `node tests/oracle/run.mjs < FILE` replays the oracle side.
        let dump = work_dir("generated-requests.json");
        std::fs::create_dir_all(work_dir("")).expect("create target tmp dir");
        std::fs::write(&dump, pretty(&Value::Array(requests.clone()))).expect("write dump");
        let answers = oracle::evaluate(&requests);
        (requests, answers)
    })
}

fn work_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON value serializes")
}

/// The oracle's decision, or a panic naming the request when the oracle refused it or saw a
/// different context than rdsiam will (both are generator bugs, not engine differences).
fn oracle_decision<'a>(label: &str, request: &Value, answer: &'a OracleAnswer) -> &'a str {
    match answer {
        OracleAnswer::Refused(error) => {
            panic!(
                "{label}: the oracle refused the request: {error}\n{}",
                pretty(request)
            )
        }
        OracleAnswer::Decision {
            decision,
            ignored_context_keys,
            raw,
        } => {
            assert!(
                ignored_context_keys.is_empty(),
                "{label}: the oracle ignored context keys {ignored_context_keys:?} ({raw})\n{}",
                pretty(request)
            );
            decision
        }
    }
}

#[test]
fn generator_is_deterministic() {
    assert_eq!(generator::requests(), generator::requests());
    assert!(generator::requests().len() >= 500);
}

#[test]
fn oracle_agrees_with_aws_docs_on_hand_checked_cases() {
    let cases = cases::documented();
    let requests: Vec<Value> = cases.iter().map(|c| c.request.clone()).collect();
    let answers = oracle::evaluate(&requests);
    let mut wrong = Vec::new();
    for (case, answer) in cases.iter().zip(&answers) {
        let got = oracle_decision(case.name, &case.request, answer);
        if got != case.aws {
            wrong.push(format!(
                "{}: docs say {}, oracle says {got} ({})\n{}",
                case.name,
                case.aws,
                case.doc,
                pretty(&case.request)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// Pins each known oracle deviation. If this fails after an oracle upgrade, the upgrade fixed
/// (or changed) a deviation: update SEMANTICS.md and widen the generator.
#[test]
fn oracle_still_deviates_where_documented() {
    let cases = cases::deviations();
    let requests: Vec<Value> = cases.iter().map(|c| c.request.clone()).collect();
    let answers = oracle::evaluate(&requests);
    for (case, answer) in cases.iter().zip(&answers) {
        let expected = case.oracle.expect("a deviation names the oracle's answer");
        assert_ne!(expected, case.aws, "{}: not a deviation", case.name);
        let got = oracle_decision(case.name, &case.request, answer);
        assert_eq!(
            got,
            expected,
            "{}: oracle behaviour changed\n{}",
            case.name,
            pretty(&case.request)
        );
    }
}

/// Guards the generator against drifting into one answer: a differential test where nearly
/// everything is denied proves little.
#[test]
fn generated_requests_are_accepted_by_the_oracle_and_cover_every_decision() {
    let (requests, answers) = generated();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, (request, answer)) in requests.iter().zip(answers).enumerate() {
        let decision = oracle_decision(&format!("case {index}"), request, answer);
        *counts.entry(decision).or_default() += 1;
    }
    println!(
        "oracle decisions over {} generated requests: {counts:?}",
        requests.len()
    );
    for decision in DECISIONS {
        let count = counts.get(decision).copied().unwrap_or(0);
        assert!(
            count * 10 >= requests.len(),
            "only {count} of {} generated requests are {decision}: {counts:?}",
            requests.len()
        );
    }
}

/// The differential test proper: rdsiam and the oracle must agree on every generated and
/// hand-checked request.
#[test]
fn rdsiam_agrees_with_the_oracle() {
    let (generated_requests, generated_answers) = generated();
    let mut labels: Vec<String> = (0..generated_requests.len())
        .map(|i| format!("generated case {i}"))
        .collect();
    let mut requests = generated_requests.clone();
    let mut expected: Vec<String> = generated_requests
        .iter()
        .zip(generated_answers)
        .zip(&labels)
        .map(|((request, answer), label)| oracle_decision(label, request, answer).to_string())
        .collect();
    for case in cases::documented() {
        labels.push(format!("hand-checked case {:?}", case.name));
        requests.push(case.request);
        expected.push(case.aws.to_string());
    }

    let actual = rdsiam::evaluate(&requests, &work_dir("differential"));
    let mismatches: Vec<String> = requests
        .iter()
        .zip(&expected)
        .zip(&actual)
        .zip(&labels)
        .filter(|(((_, want), got), _)| got.as_deref() != Ok(want.as_str()))
        .map(|(((request, want), got), label)| {
            format!(
                "{label}: oracle {want}, rdsiam {}\n{}",
                match got {
                    Ok(decision) => decision.clone(),
                    Err(error) => format!("error: {error}"),
                },
                pretty(request)
            )
        })
        .collect();
    // A one-line-per-kind summary first: hundreds of identical failures usually share a cause.
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for (want, got) in expected.iter().zip(&actual) {
        if got.as_deref() != Ok(want.as_str()) {
            let got = got.as_deref().unwrap_or("error");
            *kinds
                .entry(format!("oracle {want} / rdsiam {got}"))
                .or_default() += 1;
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} requests differ (request files in {}): {kinds:#?}\n\n{}",
        mismatches.len(),
        requests.len(),
        work_dir("differential").display(),
        mismatches.join("\n\n")
    );
}

/// Where the oracle departs from the AWS docs, rdsiam must follow the docs.
#[test]
fn rdsiam_follows_aws_docs_where_the_oracle_deviates() {
    let cases = cases::deviations();
    let requests: Vec<Value> = cases.iter().map(|c| c.request.clone()).collect();
    let actual = rdsiam::evaluate(&requests, &work_dir("differential-deviations"));
    let wrong: Vec<String> = cases
        .iter()
        .zip(&actual)
        .filter(|(case, got)| got.as_deref() != Ok(case.aws))
        .map(|(case, got)| {
            format!(
                "{}: docs say {}, rdsiam {got:?} ({})\n{}",
                case.name,
                case.aws,
                case.doc,
                pretty(&case.request)
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}
