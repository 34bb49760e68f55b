//! The `rules`, `explain` and `audit` commands end to end through the binary: output, exit
//! codes (0 clean, 1 findings at/above --fail-on, 2 error), and `--output`.

mod support;

use assert_cmd::Command;
use predicates::prelude::*;

const DEMO_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo");

fn rdsiam() -> Command {
    support::cli::rdsiam()
}

#[test]
fn rules_lists_the_catalogue() {
    let out = rdsiam().arg("rules").assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for id in [
        "arn-missing-dbuser",
        "grant-blocked-by-scp",
        "rds-iam-orphan",
        "policy-unparseable",
    ] {
        assert!(text.contains(id), "{id} missing from:\n{text}");
    }
    assert!(text.contains(&format!("{} rules.", rdsiam::rules::catalogue().len())));
}

#[test]
fn explain_prints_fixed_headings() {
    rdsiam()
        .args(["explain", "db-user-lacks-rds-iam"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("## What it finds")
                .and(predicate::str::contains("## Why it matters"))
                .and(predicate::str::contains("## Example"))
                .and(predicate::str::contains("## Fix"))
                .and(predicate::str::contains(
                    "GRANT rds_iam TO {db_user_ident};",
                ))
                .and(predicate::str::contains("## References")),
        );
}

#[test]
fn explain_unknown_rule_is_an_error_with_a_hint() {
    rdsiam()
        .args(["explain", "orphan"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("unknown rule")
                .and(predicate::str::contains("rds-iam-orphan")),
        );
}

#[test]
fn audit_demo_directory_renders_every_format() {
    for format in ["table", "json", "sarif"] {
        rdsiam()
            .args([
                "audit",
                "--snapshot",
                DEMO_DIR,
                "--format",
                format,
                "--fail-on",
                "info",
            ])
            .assert()
            // The demo plants drift for every rule: findings at or above `info` exit 1.
            .code(1);
    }
}

#[test]
fn audit_writes_output_file() {
    let dir = std::env::temp_dir().join(format!("rdsiam-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let out = dir.join("report.json");
    rdsiam()
        .args([
            "audit",
            "--snapshot",
            DEMO_DIR,
            "--format",
            "json",
            "--output",
        ])
        .arg(&out)
        .assert()
        .code(1)
        .stdout("");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["scope"]["accounts"].as_array().map(Vec::len), Some(3));
    assert_eq!(json["coverage"].as_array().map(Vec::len), Some(2));
}

#[test]
fn audit_errors_exit_2_and_name_the_file() {
    rdsiam()
        .arg("audit")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--snapshot"));
    let dir = std::env::temp_dir().join(format!("rdsiam-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let bad = dir.join("broken.json");
    std::fs::write(&bad, "{\"schema_version\": 1, \"collected_at\": ")
        .unwrap_or_else(|e| panic!("{e}"));
    rdsiam()
        .args(["audit", "--snapshot"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("broken.json").and(predicate::str::contains("line 1")));
    rdsiam()
        .args(["audit", "--snapshot", DEMO_DIR, "--fail-on", "severe"])
        .assert()
        .code(2);
}
