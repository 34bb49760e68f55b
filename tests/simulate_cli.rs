//! `rdsiam simulate` through the real binary: request files, the flag form, batches,
//! `--expect`, and bad input (exit 2 naming the file and JSON path).

mod support;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::{Value, json};

const FIXTURE: &str = "fixtures/simulate/cross-account-monitor.json";

fn rdsiam() -> Command {
    support::cli::rdsiam()
}

fn write(dir: &tempfile::TempDir, name: &str, value: &Value) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, serde_json::to_string_pretty(value).unwrap()).unwrap();
    path.display().to_string()
}

fn fixture_without_tag() -> Value {
    let mut request: Value =
        serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    request["context"] = json!({});
    request
}

#[test]
fn fixture_request_is_allowed_with_reasons_per_layer() {
    let output = rdsiam()
        .args([
            "simulate", "--input", FIXTURE, "--format", "json", "--expect", "allowed",
        ])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["decision"], "Allowed");
    let layers: Vec<&str> = result["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["layer"].as_str().unwrap())
        .collect();
    assert_eq!(layers, ["scp[0]", "scp[1]", "scp[2]", "identity"]);
    assert_eq!(result["reasons"][3]["policy"], "pg-monitor-connect");
    assert_eq!(result["reasons"][3]["sid"], "ConnectAsPgmonitor");
}

#[test]
fn missing_tag_is_denied_by_the_ou_scp_and_expect_allowed_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "untagged.json", &fixture_without_tag());
    let output = rdsiam()
        .args([
            "simulate", "--input", &path, "--format", "json", "--expect", "allowed",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["decision"], "ExplicitlyDenied");
    assert_eq!(result["reasons"][0]["layer"], "scp[1]");
    assert_eq!(result["reasons"][0]["policy"], "require-db-access-tag");
    assert_eq!(result["reasons"][0]["sid"], "DenyUntaggedDbConnect");
    rdsiam()
        .args([
            "simulate",
            "--input",
            &path,
            "--expect",
            "explicitly-denied",
        ])
        .assert()
        .code(0);
    rdsiam()
        .args(["simulate", "--input", &path])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("decision: ExplicitlyDenied"))
        .stdout(predicate::str::contains("DenyUntaggedDbConnect"));
}

#[test]
fn batch_input_gives_an_array_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let allowed: Value = serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    let path = write(&dir, "batch.json", &json!([allowed, fixture_without_tag()]));
    let output = rdsiam()
        .args(["simulate", "--input", &path, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let results: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(results[0]["decision"], "Allowed");
    assert_eq!(results[1]["decision"], "ExplicitlyDenied");
    rdsiam()
        .args(["simulate", "--input", &path, "--expect", "allowed"])
        .assert()
        .code(1);
}

#[test]
fn flag_form_with_policy_and_scp_files() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        &dir,
        "policy.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "rds-db:connect", "Resource": "arn:aws:rds-db:*:*:dbuser:*/pgmonitor"}]}),
    );
    let root = write(
        &dir,
        "root.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    );
    let ou = write(
        &dir,
        "ou.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
    );
    let resource = "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABC/pgmonitor";
    let base = [
        "simulate",
        "--principal",
        "arn:aws:iam::111122223333:role/app",
        "--policy",
        &policy,
        "--action",
        "rds-db:connect",
        "--resource",
        resource,
    ];
    rdsiam()
        .args(base)
        .args(["--scp", &root, "--expect", "allowed"])
        .assert()
        .code(0);
    rdsiam()
        .args(base)
        .args(["--scp", &root, "--scp", &ou, "--format", "json"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"ImplicitlyDenied\""))
        .stdout(predicate::str::contains(ou.as_str()));
    rdsiam()
        .args(base)
        .args(["--context", "aws:SourceIp=10.0.0.1", "--expect", "denied"])
        .assert()
        .code(1);
}

#[test]
fn stdin_input() {
    let request = std::fs::read_to_string(FIXTURE).unwrap();
    rdsiam()
        .args(["simulate", "--input", "-", "--expect", "allowed"])
        .write_stdin(request)
        .assert()
        .code(0);
}

#[test]
fn bad_input_exits_2_naming_file_and_json_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut request = fixture_without_tag();
    request["scp_levels"][1][1]["document"]["Statement"][0]["Condition"] = json!({"Null": []});
    let path = write(&dir, "bad.json", &request);
    rdsiam()
        .args(["simulate", "--input", &path])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.json"))
        .stderr(predicate::str::contains(
            "scp_levels[1][1].Statement[0].Condition.Null: expected an object",
        ));
    let unknown_field = write(
        &dir,
        "typo.json",
        &json!({"action": "x", "resource": "y", "scp_level": []}),
    );
    rdsiam()
        .args(["simulate", "--input", &unknown_field])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown field `scp_level`"));
    let not_json = dir.path().join("broken.json");
    std::fs::write(&not_json, "{\"action\": ").unwrap();
    rdsiam()
        .args(["simulate", "--input", not_json.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("broken.json: not valid JSON"));
    rdsiam()
        .args(["simulate", "--input", "/nonexistent/request.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/request.json"));
    rdsiam()
        .args(["simulate", "--action", "x"])
        .assert()
        .code(2);
    rdsiam()
        .args([
            "simulate",
            "--action",
            "x",
            "--resource",
            "y",
            "--context",
            "novalue",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("KEY=VALUE"));
}
