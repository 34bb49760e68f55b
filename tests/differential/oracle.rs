//! Runs the test-time oracle (`node tests/oracle/run.mjs`) on a batch of requests.
//!
//! One node process answers every request. A missing `node` or a missing
//! `tests/oracle/node_modules` is a test failure that says how to fix it, never a skip.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The oracle's answer for one request.
#[derive(Debug, Clone)]
pub enum OracleAnswer {
    Decision {
        decision: String,
        /// Context keys the library dropped as not applicable to the action; a non-empty list
        /// means the two engines did not see the same context (a generator bug).
        ignored_context_keys: Vec<String>,
        raw: Value,
    },
    Refused(String),
}

const SETUP_HINT: &str =
    "run `scripts/test.sh` (it installs the oracle with `npm ci --prefix tests/oracle`)";

fn oracle_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle")
}

/// Panics with a setup hint when node or the oracle's node_modules are missing.
pub fn ensure_available() {
    let library = oracle_dir().join("node_modules/@cloud-copilot/iam-simulate/package.json");
    assert!(
        library.is_file(),
        "the differential-test oracle is not installed ({} is missing): {SETUP_HINT}",
        library.display()
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        matches!(&node, Ok(out) if out.status.success()),
        "`node` is not runnable ({node:?}); install Node.js 20+ and {SETUP_HINT}"
    );
}

/// Evaluates every request with the oracle, in order.
pub fn evaluate(requests: &[Value]) -> Vec<OracleAnswer> {
    ensure_available();
    let input = serde_json::to_vec(requests).expect("requests serialize");
    let mut child = Command::new("node")
        .arg(oracle_dir().join("run.mjs"))
        .current_dir(oracle_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start node: {e}; {SETUP_HINT}"));
    // A writer thread keeps a large batch from deadlocking on full pipes.
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().expect("oracle finishes");
    writer
        .join()
        .expect("writer thread")
        .expect("write requests to oracle");
    assert!(
        output.status.success(),
        "oracle failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "oracle printed non-JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    assert_eq!(
        answers.len(),
        requests.len(),
        "oracle answered a different number of requests"
    );
    answers.into_iter().map(parse_answer).collect()
}

fn parse_answer(raw: Value) -> OracleAnswer {
    if let Some(error) = raw.get("error") {
        return OracleAnswer::Refused(error.to_string());
    }
    let decision = raw
        .get("decision")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("oracle answer without decision: {raw}"))
        .to_string();
    let ignored_context_keys = raw
        .get("ignored_context_keys")
        .and_then(Value::as_array)
        .map(|keys| {
            keys.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    OracleAnswer::Decision {
        decision,
        ignored_context_keys,
        raw,
    }
}
