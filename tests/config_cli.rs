//! The weekly compliance job end to end through the binary on `fixtures/demo` (issue #14):
//! `rdsiam.toml` (exceptions, rule overrides and parameters), the `exception-*` rules,
//! `--baseline` and `--fail-on-new`, evaluation time (`--at`; no rule reads the machine
//! clock: two system clocks under libfaketime give the same report), what shaped the report,
//! and bad input exiting 2 with the file, line and key.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

const DEMO_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo");
const DEMO_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo/rdsiam.toml");

fn rdsiam(dir: &Path) -> Command {
    let mut cmd = support::cli::rdsiam();
    // A temporary directory as the current one: no stray ./rdsiam.toml is picked up.
    cmd.current_dir(dir);
    cmd
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}

/// Runs `rdsiam audit --snapshot DEMO --format json` with `args`; returns (exit code, report).
fn audit_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = rdsiam(dir)
        .args(["audit", "--snapshot", DEMO_DIR, "--format", "json"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    (code(&out), json(&out))
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings array")
}

fn of_rule<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    findings(report)
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

fn exception_toml(selectors: &str, expires: &str) -> String {
    format!(
        "[[exceptions]]\n{selectors}\nreason = \"accepted for the test\"\nowner = \"dba@example.com\"\nexpires = {expires}\n\n"
    )
}

#[test]
fn an_exception_hides_a_finding_and_changes_the_exit_code() {
    let dir = tempdir();
    let (code_before, before) = audit_json(dir.path(), &["--no-config", "--fail-on", "critical"]);
    assert_eq!(code_before, 1, "the demo has critical findings");
    let critical: Vec<&Value> = findings(&before)
        .iter()
        .filter(|f| f["severity"] == "critical")
        .collect();
    assert!(!critical.is_empty());
    let config: String = critical
        .iter()
        .map(|f| {
            exception_toml(
                &format!("rule = {}\nfingerprint = {}", f["rule"], f["fingerprint"]),
                "2027-03-31",
            )
        })
        .collect();
    let config = write(dir.path(), "rdsiam.toml", &config);
    // ./rdsiam.toml is read without --config.
    let (code_after, after) = audit_json(dir.path(), &["--fail-on", "critical"]);
    assert_eq!(code_after, 0, "every critical finding is excepted");
    for f in &critical {
        let now = findings(&after)
            .iter()
            .find(|g| g["fingerprint"] == f["fingerprint"])
            .expect("an excepted finding stays in the JSON");
        assert_eq!(now["excepted"], true);
        assert_eq!(now["exception"]["owner"], "dba@example.com");
        assert_eq!(now["exception"]["expires"], "2027-03-31");
    }
    assert_eq!(after["summary"]["excepted"], critical.len());
    assert_eq!(after["summary"]["critical"], 0);
    assert_eq!(
        after["summary"]["total"].as_u64().unwrap() + critical.len() as u64,
        before["summary"]["total"].as_u64().unwrap()
    );
    assert_eq!(
        after["shaped_by"]["config"]["path"], "rdsiam.toml",
        "the report names the configuration"
    );
    let sha = after["shaped_by"]["config"]["sha256"].as_str().unwrap();
    assert_eq!(sha.len(), 64);
    assert!(config.is_file());
    // The table counts them instead of listing them; --show-excepted lists them.
    let table = rdsiam(dir.path())
        .args(["audit", "--snapshot", DEMO_DIR, "--fail-on", "critical"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains(&format!("{} finding(s) excepted", critical.len())),
        "{text}"
    );
    assert!(!text.contains("CRITICAL ("), "{text}");
    let shown = rdsiam(dir.path())
        .args(["audit", "--snapshot", DEMO_DIR, "--show-excepted"])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("CRITICAL ("), "{shown}");
    assert!(shown.contains("excepted until 2027-03-31"), "{shown}");
}

#[test]
fn expired_and_unused_exceptions_fire_their_rules() {
    let dir = tempdir();
    let config = [
        exception_toml(
            "rule = \"force-ssl-off\"\nresource = \"arn:aws:rds:us-east-1:222222222222:db:billing-pg\"",
            "2026-10-31",
        ),
        exception_toml("rule = \"db-user-lacks-rds-iam\"\naccount = \"333333333333\"", "2027-03-31"),
    ]
    .concat();
    let config = write(dir.path(), "weekly.toml", &config);
    let (_, report) = audit_json(dir.path(), &["--config", config.to_str().unwrap()]);
    let expired = of_rule(&report, "exception-expired");
    assert_eq!(expired.len(), 1, "{expired:?}");
    assert!(
        expired[0]["message"]
            .as_str()
            .unwrap()
            .contains("weekly.toml:1")
    );
    assert_eq!(expired[0]["severity"], "medium");
    // The expired exception covers nothing: force-ssl-off counts again.
    let ssl = of_rule(&report, "force-ssl-off");
    assert_eq!(ssl.len(), 1);
    assert_eq!(ssl[0]["excepted"], false);
    let unused = of_rule(&report, "exception-unused");
    assert_eq!(unused.len(), 1, "{unused:?}");
    assert_eq!(unused[0]["severity"], "info");
    let states: Vec<&str> = report["shaped_by"]["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["expired", "unused"]);
    // With --at before the expiry the same exception is in force and covers the finding.
    let (_, earlier) = audit_json(
        dir.path(),
        &[
            "--config",
            config.to_str().unwrap(),
            "--at",
            "2026-10-31T12:00:00Z",
        ],
    );
    assert!(of_rule(&earlier, "exception-expired").is_empty());
    assert_eq!(of_rule(&earlier, "force-ssl-off")[0]["excepted"], true);
    assert_eq!(earlier["evaluated_at"], "2026-10-31T12:00:00Z");
    assert_eq!(earlier["shaped_by"]["evaluated_at_source"], "at");
}

#[test]
fn severity_override_and_a_disabled_rule() {
    let dir = tempdir();
    let config = write(
        dir.path(),
        "rdsiam.toml",
        "[rules.force-ssl-off]\nseverity = \"critical\"\n\n[rules.rds-iam-orphan]\nenabled = false\n",
    );
    let (_, plain) = audit_json(dir.path(), &["--no-config"]);
    assert!(!of_rule(&plain, "rds-iam-orphan").is_empty());
    assert_eq!(of_rule(&plain, "force-ssl-off")[0]["severity"], "medium");
    let (_, report) = audit_json(dir.path(), &["--config", config.to_str().unwrap()]);
    assert!(of_rule(&report, "rds-iam-orphan").is_empty());
    assert_eq!(of_rule(&report, "force-ssl-off")[0]["severity"], "critical");
    let overrides = report["shaped_by"]["rule_overrides"].as_array().unwrap();
    assert_eq!(overrides.len(), 2, "{overrides:?}");
    assert_eq!(overrides[0]["rule"], "force-ssl-off");
    assert_eq!(overrides[0]["severity"], "critical");
    assert_eq!(overrides[1]["enabled"], false);
}

#[test]
fn a_parameter_change_moves_a_finding() {
    // reporting-role was last used 2026-06-30: unused at 90 days, not at 180.
    let dir = tempdir();
    let (_, plain) = audit_json(dir.path(), &["--no-config"]);
    assert_eq!(of_rule(&plain, "connect-role-unused").len(), 1);
    let config = write(
        dir.path(),
        "rdsiam.toml",
        "[rules.connect-role-unused]\nunused-days = 180\n",
    );
    let (_, report) = audit_json(dir.path(), &["--config", config.to_str().unwrap()]);
    assert!(of_rule(&report, "connect-role-unused").is_empty());
    assert_eq!(
        report["shaped_by"]["rule_overrides"][0]["parameters"]["unused-days"],
        "180"
    );
    // `rdsiam explain` lists the parameter and its default.
    let explain = rdsiam(dir.path())
        .args(["explain", "connect-role-unused"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&explain.stdout);
    assert!(text.contains("unused-days = 90"), "{text}");
}

/// A copy of the demo with one drift fixed (billing-pg13 `rds.force_ssl` 0 → 1) and one
/// added (a second orphaned `rds_iam` login on billing-pg).
fn modified_demo(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(Path::new(DEMO_DIR).join("snapshot.json")).unwrap();
    let mut snapshot: Value = serde_json::from_str(&text).unwrap();
    fn fix_ssl(value: &mut Value) -> usize {
        match value {
            Value::Object(map) => {
                let mut n = 0;
                if map.get("rds.force_ssl") == Some(&Value::from("0")) {
                    map.insert("rds.force_ssl".into(), "1".into());
                    n += 1;
                }
                n + map.values_mut().map(fix_ssl).sum::<usize>()
            }
            Value::Array(items) => items.iter_mut().map(fix_ssl).sum(),
            _ => 0,
        }
    }
    assert_eq!(
        fix_ssl(&mut snapshot),
        1,
        "one parameter group with force_ssl=0"
    );
    let billing = snapshot["databases"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|db| db["target"]["identifier"] == "billing-pg")
        .expect("billing-pg in the demo");
    let roles = billing["roles"].as_array_mut().unwrap();
    let mut orphan = roles
        .iter()
        .find(|r| r["name"] == "legacy_batch")
        .expect("legacy_batch")
        .clone();
    orphan["name"] = "legacy_batch_2".into();
    roles.push(orphan);
    let path = dir.join("modified.json");
    std::fs::write(&path, serde_json::to_string(&snapshot).unwrap()).unwrap();
    path
}

#[test]
fn a_baseline_from_a_modified_demo_gives_one_new_and_one_resolved() {
    let dir = tempdir();
    let modified = modified_demo(dir.path());
    let baseline = dir.path().join("last-week.json");
    rdsiam(dir.path())
        .args(["audit", "--no-config", "--snapshot"])
        .arg(&modified)
        .args(["--format", "json", "--output"])
        .arg(&baseline)
        .output()
        .unwrap();
    assert!(baseline.is_file());
    let base = baseline.to_str().unwrap();
    let (code, report) = audit_json(dir.path(), &["--no-config", "--baseline", base]);
    assert_eq!(code, 1);
    let new: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| f["status"] == "new")
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0]["rule"], "force-ssl-off");
    let resolved = report["resolved"].as_array().unwrap();
    assert_eq!(resolved.len(), 1, "{resolved:?}");
    assert_eq!(resolved[0]["resource"]["db_user"], "legacy_batch_2");
    assert_eq!(report["summary"]["new"], 1);
    assert_eq!(report["summary"]["resolved"], 1);
    assert_eq!(
        report["summary"]["unchanged"].as_u64().unwrap() + 1,
        findings(&report).len() as u64
    );
    assert_eq!(report["shaped_by"]["baseline"]["path"], base);
    // The table opens with the diff.
    let table = rdsiam(dir.path())
        .args([
            "audit",
            "--no-config",
            "--snapshot",
            DEMO_DIR,
            "--baseline",
            base,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("1 new, 1 resolved, "), "{text}");
    // --fail-on-new: the one new finding is medium.
    let (high, _) = audit_json(
        dir.path(),
        &[
            "--no-config",
            "--baseline",
            base,
            "--fail-on-new",
            "--fail-on",
            "high",
        ],
    );
    assert_eq!(high, 0, "no new finding at or above high");
    let (medium, _) = audit_json(
        dir.path(),
        &[
            "--no-config",
            "--baseline",
            base,
            "--fail-on-new",
            "--fail-on",
            "medium",
        ],
    );
    assert_eq!(medium, 1, "the new force-ssl-off finding is medium");
}

#[test]
fn fail_on_new_against_the_same_run_is_clean() {
    let dir = tempdir();
    let baseline = dir.path().join("same.json");
    rdsiam(dir.path())
        .args([
            "audit",
            "--no-config",
            "--snapshot",
            DEMO_DIR,
            "--format",
            "json",
            "--output",
        ])
        .arg(&baseline)
        .output()
        .unwrap();
    let base = baseline.to_str().unwrap();
    let (code, report) = audit_json(
        dir.path(),
        &["--no-config", "--baseline", base, "--fail-on-new"],
    );
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["new"], 0);
    assert_eq!(report["resolved"].as_array().unwrap().len(), 0);
}

fn without_generated_at(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .filter(|l| !l.trim_start().starts_with("\"generated_at\""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn two_system_clocks_give_identical_reports() {
    let faketime = ["/usr/bin/faketime", "/usr/local/bin/faketime"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .expect(
            "faketime (libfaketime) is not installed: scripts/test.sh ensure_faketime installs it",
        );
    let dir = tempdir();
    write(
        dir.path(),
        "rdsiam.toml",
        &exception_toml("rule = \"force-ssl-off\"", "2026-12-31"),
    );
    let binary = support::cli::binary();
    let run = |clock: &str| {
        let out = support::cli::isolate(&mut std::process::Command::new(faketime))
            .arg(clock)
            .arg(&binary)
            .args(["audit", "--snapshot", DEMO_DIR, "--format", "json"])
            .current_dir(dir.path())
            .output()
            .unwrap_or_else(|e| panic!("faketime: {e}"));
        assert!(code(&out) <= 1, "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let (past, future) = (run("2020-01-01 00:00:00"), run("2031-06-01 12:00:00"));
    // The clocks did change the wall-clock stamp...
    let stamp = |bytes: &[u8]| json_stamp(bytes);
    assert!(stamp(&past).starts_with("2020-01-01"), "{}", stamp(&past));
    assert!(
        stamp(&future).starts_with("2031-06-01"),
        "{}",
        stamp(&future)
    );
    // ...and nothing else.
    assert_eq!(without_generated_at(&past), without_generated_at(&future));
    let report: Value = serde_json::from_slice(&past).unwrap();
    assert_eq!(report["evaluated_at"], "2026-11-20T09:00:00Z");
    assert_eq!(report["shaped_by"]["exceptions"][0]["state"], "applied");
}

fn json_stamp(bytes: &[u8]) -> String {
    let report: Value = serde_json::from_slice(bytes).unwrap();
    report["generated_at"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_malformed_config_exits_2_naming_file_line_and_key() {
    let dir = tempdir();
    for (text, expect) in [
        (
            "[audit]\nfial-on = \"high\"\n",
            "bad.toml:2: `fial-on`: unknown key; did you mean `fail-on`?",
        ),
        (
            "[rules.no-such-rule]\nenabled = false\n",
            "bad.toml:1: `rules.no-such-rule`: unknown rule id",
        ),
        (
            "[rules.force-ssl-off]\nenabled = \"yes\"\n",
            "bad.toml:2: `rules.force-ssl-off.enabled`",
        ),
        (
            "[[exceptions]]\nrule = \"force-ssl-off\"\nowner = \"o\"\nexpires = 2027-01-01\n",
            "bad.toml:1: `exceptions[0].reason`: missing",
        ),
        (
            "[[exceptions]]\nrule = \"force-ssl-off\"\nreason = \"r\"\nowner = \"o\"\nexpires = \"soon\"\n",
            "bad.toml:5: `exceptions[0].expires`: not a date",
        ),
        ("[audit\n", "bad.toml:1"),
    ] {
        let config = write(dir.path(), "bad.toml", text);
        let out = rdsiam(dir.path())
            .args(["audit", "--snapshot", DEMO_DIR, "--config"])
            .arg(&config)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(code(&out), 2, "{text}: {stderr}");
        assert!(
            stderr.contains(expect),
            "{text}:\nexpected {expect:?} in:\n{stderr}"
        );
    }
}

#[test]
fn a_bad_baseline_exits_2_naming_the_file() {
    let dir = tempdir();
    let not_json = write(dir.path(), "notes.txt", "hello");
    let snapshot = Path::new(DEMO_DIR).join("snapshot.json");
    let v2 = write(
        dir.path(),
        "v2.json",
        r#"{"schema_version": 2, "tool": "rdsiam", "findings": []}"#,
    );
    for (path, expect) in [
        (not_json.as_path(), "not a rdsiam JSON report"),
        (snapshot.as_path(), "not a rdsiam report"),
        (v2.as_path(), "schema_version 2"),
    ] {
        let out = rdsiam(dir.path())
            .args(["audit", "--no-config", "--snapshot", DEMO_DIR, "--baseline"])
            .arg(path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(code(&out), 2, "{stderr}");
        assert!(
            stderr.contains(&path.display().to_string()) && stderr.contains(expect),
            "{stderr}"
        );
    }
    // A report of another scope.
    let (_, mut other) = audit_json(dir.path(), &["--no-config"]);
    other["scope"]["organization_id"] = "o-someoneelse".into();
    other["scope"]["accounts"] = serde_json::json!(["999999999999"]);
    let other_path = write(dir.path(), "other.json", &other.to_string());
    let out = rdsiam(dir.path())
        .args(["audit", "--no-config", "--snapshot", DEMO_DIR, "--baseline"])
        .arg(&other_path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 2, "{stderr}");
    assert!(stderr.contains("o-someoneelse"), "{stderr}");
}

#[test]
fn config_init_writes_a_file_that_print_reads_back() {
    let dir = tempdir();
    rdsiam(dir.path())
        .args(["config", "--init"])
        .assert()
        .success();
    let written = std::fs::read_to_string(dir.path().join("rdsiam.toml")).unwrap();
    assert!(written.contains("[[exceptions]]") && written.contains("fail-on"));
    // A second --init refuses to overwrite.
    rdsiam(dir.path())
        .args(["config", "--init"])
        .assert()
        .code(2);
    let out = rdsiam(dir.path())
        .args(["config", "--print"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("# from rdsiam.toml (sha256 "), "{text}");
    assert!(
        text.contains("[rules.connect-role-unused]\nenabled = true"),
        "{text}"
    );
    assert!(text.contains("unused-days = 90"), "{text}");
}

#[test]
fn the_demo_config_shapes_the_demo_report() {
    let dir = tempdir();
    let (code, report) = audit_json(dir.path(), &["--config", DEMO_CONFIG]);
    assert_eq!(code, 1);
    for rule in ["exception-expired", "exception-unused"] {
        assert_eq!(of_rule(&report, rule).len(), 1, "{rule}");
    }
    assert!(report["summary"]["excepted"].as_u64().unwrap() >= 1);
    assert_eq!(report["schema_minor_version"], 1);
}
