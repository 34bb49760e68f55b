//! CloudTrail activity fed into the audit (`rdsiam audit --cloudtrail-dir`): files written by
//! the project's generator and by hand (valid, duplicated across trails, corrupt) go through
//! the real scanner into the inventory, and the activity rules judge them against the
//! report's time, never the machine clock.

mod support;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use flate2::Compression;
use flate2::write::GzEncoder;
use rdsiam::access::activity_summary::roles_of_interest_in;
use rdsiam::collect::activity::cloudtrail_layout::{Day, FileLayout};
use rdsiam::collect::activity::ingest::{IngestOptions, add_cloudtrail_activity};
use rdsiam::generators::cloudtrail::{GenConfig, generate};
use rdsiam::inventory::{Inventory, snapshot};
use rdsiam::report::Finding;
use rdsiam::rules::{self, Evaluation, RuleSettings};

/// The generator's first account: the DB account of the test world.
const DB_ACCOUNT: &str = "111122223333";
/// A caller account outside the world's organization.
const CALLER_ACCOUNT: &str = "999988887777";
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/rules/connect-role-unused/pass.json"
);

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "rdsiam-activity-audit-{name}-{}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{DB_ACCOUNT}:role/{name}")
}

/// The billing world of the rule fixtures moved into the generator's first account: DB-connect
/// roles `rds-pgmonitor` (a role the generator writes AssumeRole events into) and
/// `idle-db-role` (same grant, no events), no activity and no `RoleLastUsed`.
fn world() -> Inventory {
    let text = fs::read_to_string(FIXTURE)
        .unwrap()
        .replace("222222222222", DB_ACCOUNT)
        .replace("billing-app-role", "rds-pgmonitor");
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["activity"] = serde_json::json!([]);
    value.as_object_mut().unwrap().remove("activity_scope");
    let account = value["accounts"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["account_id"] == DB_ACCOUNT)
        .unwrap();
    let roles = account["iam"]["roles"].as_array_mut().unwrap();
    roles[0].as_object_mut().unwrap().remove("last_used");
    let mut idle = roles[0].clone();
    idle["name"] = "idle-db-role".into();
    idle["arn"] = role_arn("idle-db-role").into();
    roles.push(idle);
    serde_json::from_value(value).unwrap()
}

fn findings_of<'a>(evaluation: &'a Evaluation, rule: &str) -> Vec<&'a Finding> {
    evaluation
        .findings
        .iter()
        .filter(|f| f.rule == rule)
        .collect()
}

fn skipped(evaluation: &Evaluation, rule: &str) -> Vec<String> {
    evaluation
        .not_evaluated
        .iter()
        .filter(|n| n.rule == rule && n.account.as_deref() == Some(DB_ACCOUNT))
        .map(|n| n.reason.clone())
        .collect()
}

fn evaluate(inventory: &Inventory, at: &str, unused_days: u32) -> Evaluation {
    rules::evaluate_with(
        inventory,
        at,
        RuleSettings {
            unused_days,
            ..RuleSettings::default()
        },
    )
}

#[test]
fn generated_trail_feeds_the_unused_rule_judged_at_the_report_time() {
    let dir = temp_dir("gen");
    let mut cfg = GenConfig::new(7, 2 << 20);
    cfg.file_bytes = 32 << 10;
    cfg.accounts = 3;
    cfg.days = 5;
    cfg.assume_role_per_10k = 500;
    let generated = generate(&dir, &cfg).unwrap();
    let mut inventory = world();
    let opts = IngestOptions {
        paths: vec![dir.clone()],
        since: None,
        threads: Some(1),
    };
    let roles = roles_of_interest_in(&inventory);
    let outcome = add_cloudtrail_activity(&mut inventory, &roles, &opts).unwrap();

    // Exactly the generator's ground truth for the one generated role the world holds.
    let expected: Vec<&str> = generated
        .expected
        .iter()
        .filter(|e| e.role_arn == role_arn("rds-pgmonitor"))
        .map(|e| e.event_id.as_str())
        .collect();
    assert!(
        !expected.is_empty(),
        "the generator wrote no event into rds-pgmonitor"
    );
    let got: Vec<&str> = inventory
        .activity
        .iter()
        .map(|e| e.event_id.as_str())
        .collect();
    assert_eq!(got, expected);
    assert_eq!((outcome.roles, outcome.events_found), (2, expected.len()));
    assert!(inventory.coverage.is_empty(), "{:?}", inventory.coverage);

    // The scope is the first and last delivery day of the DB account's files.
    let days: Vec<Day> = generated
        .files
        .iter()
        .map(|f| FileLayout::of_path(f))
        .filter(|l| l.account.as_deref() == Some(DB_ACCOUNT))
        .filter_map(|l| l.day)
        .collect();
    let (first, last) = (*days.iter().min().unwrap(), *days.iter().max().unwrap());
    let scope = inventory
        .activity_scope
        .iter()
        .find(|s| s.account == DB_ACCOUNT)
        .unwrap();
    assert_eq!(
        (scope.since.clone(), scope.until.clone()),
        (first.to_string(), last.to_string())
    );
    assert_eq!(scope.source, "cloudtrail:files");

    // Report time: the day after the last file. A window reaching back exactly to the first
    // day read is judged: the idle role is unused, the generated one is not.
    let at = format!("{}T00:00:00Z", last.next());
    let mut read_days = 1;
    let mut day = first;
    while day < last {
        day = day.next();
        read_days += 1;
    }
    let judged = evaluate(&inventory, &at, read_days);
    let unused: Vec<&str> = findings_of(&judged, "connect-role-unused")
        .iter()
        .map(|f| f.resource.arn.as_str())
        .collect();
    assert_eq!(unused, [role_arn("idle-db-role")]);
    assert!(skipped(&judged, "connect-role-unused").is_empty());

    // One more day of window than was read: not evaluated, never "unused".
    let too_long = evaluate(&inventory, &at, read_days + 1);
    assert!(findings_of(&too_long, "connect-role-unused").is_empty());
    assert_eq!(skipped(&too_long, "connect-role-unused").len(), 1);

    // A report a month after the trail ends: the recent part of the window was never read.
    let later = format!("{}T00:00:00Z", last.plus_days(30));
    let stale = evaluate(&inventory, &later, 90);
    assert!(findings_of(&stale, "connect-role-unused").is_empty());
    assert!(skipped(&stale, "connect-role-unused")[0].contains("does not cover"));
    let _ = fs::remove_dir_all(&dir);
}

fn gzip(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(bytes).unwrap();
    fs::write(path, gz.finish().unwrap()).unwrap();
}

fn trail_file(root: &Path, account: &str, stamp: &str, name: &str) -> PathBuf {
    root.join(format!(
        "AWSLogs/{account}/CloudTrail/us-east-1/2026/03/03/{account}_CloudTrail_us-east-1_{stamp}_{name}.json.gz"
    ))
}

/// One cross-account AssumeRole into `idle-db-role` by `pg-mgmt-role` of an outside account,
/// as the trail of `recipient` records it (both trails share `sharedEventID`).
fn assume_role_record(event_id: &str, recipient: &str) -> String {
    let role = role_arn("idle-db-role");
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{"type":"AssumedRole","principalId":"AROAEXAMPLEID:i-0f3c2a1b4d5e6f708","arn":"arn:aws:sts::{CALLER_ACCOUNT}:assumed-role/pg-mgmt-role/i-0f3c2a1b4d5e6f708","accountId":"{CALLER_ACCOUNT}","sessionContext":{{"sessionIssuer":{{"type":"Role","arn":"arn:aws:iam::{CALLER_ACCOUNT}:role/pg-mgmt-role","accountId":"{CALLER_ACCOUNT}","userName":"pg-mgmt-role"}}}}}},"eventTime":"2026-03-03T10:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"10.0.12.34","userAgent":"aws-cli/2.17.20","requestParameters":{{"roleArn":"{role}","roleSessionName":"pgmonitor"}},"responseElements":{{"assumedRoleUser":{{"arn":"arn:aws:sts::{DB_ACCOUNT}:assumed-role/idle-db-role/pgmonitor"}}}},"requestID":"5b9c1e2a-0000-4000-8000-000000000001","eventID":"{event_id}","readOnly":true,"resources":[{{"accountId":"{DB_ACCOUNT}","type":"AWS::IAM::Role","ARN":"{role}"}}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{recipient}","sharedEventID":"7d1e0c55-0000-4000-8000-00000000beef","eventCategory":"Management"}}"#
    )
}

/// A trail directory written by hand: the role-side and caller-side copies of one
/// cross-account call, a truncated gzip in the DB account's trail, and a loose file that is
/// not gzip at all.
fn hand_made_trail(name: &str) -> (PathBuf, PathBuf) {
    let root = temp_dir(name);
    let records = |event_id: &str, recipient: &str| {
        format!(
            r#"{{"Records":[{}]}}"#,
            assume_role_record(event_id, recipient)
        )
    };
    gzip(
        &trail_file(&root, DB_ACCOUNT, "20260303T1005Z", "roleside"),
        records("1f0e0000-0000-4000-8000-0000000000a1", DB_ACCOUNT).as_bytes(),
    );
    gzip(
        &trail_file(&root, CALLER_ACCOUNT, "20260303T1005Z", "callerside"),
        records("1f0e0000-0000-4000-8000-0000000000b2", CALLER_ACCOUNT).as_bytes(),
    );
    let truncated = trail_file(&root, DB_ACCOUNT, "20260303T1105Z", "truncated");
    gzip(
        &truncated,
        records("1f0e0000-0000-4000-8000-0000000000c3", DB_ACCOUNT).as_bytes(),
    );
    let bytes = fs::read(&truncated).unwrap();
    fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    fs::write(root.join("loose-export.json.gz"), b"not gzip").unwrap();
    (root, truncated)
}

#[test]
fn hand_made_files_count_once_and_corrupt_ones_become_gaps() {
    let (root, truncated) = hand_made_trail("hand");
    let mut inventory = world();
    let opts = IngestOptions {
        paths: vec![root.clone()],
        since: None,
        threads: Some(1),
    };
    let roles = roles_of_interest_in(&inventory);
    let outcome = add_cloudtrail_activity(&mut inventory, &roles, &opts).unwrap();
    assert_eq!(outcome.scan.files_found, 4);
    assert_eq!(outcome.scan.problem_files().len(), 2);

    // Both trails logged the call: it counts once, from the role's own account.
    assert_eq!(inventory.activity.len(), 1, "{:?}", inventory.activity);
    let event = &inventory.activity[0];
    assert_eq!(event.event_id, "1f0e0000-0000-4000-8000-0000000000a1");
    assert_eq!(event.source_account.as_deref(), Some(CALLER_ACCOUNT));
    assert_eq!(event.source_ip.as_deref(), Some("10.0.12.34"));

    // Each damaged file is a gap naming it, under its trail account (or none, loose).
    let gap = inventory
        .coverage
        .iter()
        .find(|g| g.account.as_deref() == Some(DB_ACCOUNT))
        .unwrap();
    assert_eq!(
        (gap.source.as_str(), gap.error_code.as_str()),
        ("cloudtrail:files", "CorruptGzip")
    );
    assert!(
        gap.message.contains(&truncated.display().to_string()),
        "{}",
        gap.message
    );
    let loose = inventory
        .coverage
        .iter()
        .find(|g| g.account.is_none())
        .unwrap();
    assert!(loose.message.contains("loose-export.json.gz"));

    // Missing events must not make a role look unused: not evaluated, naming the gap.
    let evaluation = evaluate(&inventory, "2026-03-04T00:00:00Z", 1);
    assert!(findings_of(&evaluation, "connect-role-unused").is_empty());
    assert!(skipped(&evaluation, "connect-role-unused")[0].contains("not fully read"));
    // The call that did happen is judged: the caller's account is outside the organization.
    let outside = findings_of(&evaluation, "assume-role-from-outside-org");
    assert_eq!(outside.len(), 1);
    assert_eq!(outside[0].resource.arn, role_arn("idle-db-role"));
    assert!(outside[0].evidence[0].observed.contains("10.0.12.34"));
    let _ = fs::remove_dir_all(&root);
}

fn rdsiam() -> Command {
    support::cli::rdsiam()
}

fn write_world(dir: &Path) -> PathBuf {
    let path = dir.join("snapshot.json");
    snapshot::save(&world(), &path).unwrap();
    path
}

#[test]
fn audit_cli_reads_cloudtrail_dir_and_reports_gaps() {
    let (root, truncated) = hand_made_trail("cli");
    let snapshot_dir = temp_dir("cli-snapshot");
    let snapshot = write_world(&snapshot_dir);
    let run = |extra: &[&str]| {
        rdsiam()
            .arg("audit")
            .arg("--snapshot")
            .arg(&snapshot)
            .arg("--cloudtrail-dir")
            .arg(&root)
            .args(["--format", "json"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("4 file(s) read") || stderr.contains("of 4 file(s)"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(rules.contains(&"assume-role-from-outside-org"), "{rules:?}");
    let coverage = report["coverage"].to_string();
    assert!(coverage.contains("CorruptGzip"), "{coverage}");
    assert!(coverage.contains(&truncated.file_name().unwrap().to_string_lossy().to_string()));

    // --activity-since drops the day of the call: nothing left to report about it.
    let since = run(&["--activity-since", "2026-03-04"]);
    let report: serde_json::Value = serde_json::from_slice(&since.stdout).unwrap();
    assert!(
        !report["findings"]
            .to_string()
            .contains("assume-role-from-outside-org")
    );
    let _ = fs::remove_dir_all(&root);
    let _ = fs::remove_dir_all(&snapshot_dir);
}

/// The audit builds its access analysis once, and the CloudTrail scan looks for the roles
/// that analysis found (before, the scan built a second analysis of its own): the engine
/// marks the phase once per analysis it builds.
#[test]
fn an_audit_with_cloudtrail_files_builds_the_analysis_once() {
    let (root, _) = hand_made_trail("once");
    let snapshot_dir = temp_dir("once-snapshot");
    let snapshot = write_world(&snapshot_dir);
    let out = rdsiam()
        .arg("audit")
        .arg("--snapshot")
        .arg(&snapshot)
        .arg("--cloudtrail-dir")
        .arg(&root)
        .args(["--format", "json"])
        .env("RDSIAM_PHASE_TIMES", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let phases: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("phase "))
        .map(|l| l.rsplit("  ").next().unwrap_or(""))
        .collect();
    assert_eq!(
        phases,
        [
            "start",
            "inventory loaded",
            "analysis",
            "rules + access entries",
            "report",
            "render + write"
        ],
        "{stderr}"
    );
    // And the scan looked for that analysis's roles.
    assert!(stderr.contains("4 file(s) read for"), "{stderr}");
    let _ = fs::remove_dir_all(&root);
    let _ = fs::remove_dir_all(&snapshot_dir);
}

#[test]
fn activity_flags_are_validated() {
    let snapshot_dir = temp_dir("cli-usage");
    let snapshot = write_world(&snapshot_dir);
    let usage = |args: &[&str]| {
        rdsiam()
            .arg("audit")
            .arg("--snapshot")
            .arg(&snapshot)
            .args(args)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(
        usage(&["--activity-since", "2026-03-04"]),
        Some(2),
        "needs --cloudtrail-dir"
    );
    assert_eq!(usage(&["--unused-days", "0"]), Some(2));
    assert_eq!(usage(&["--cloudtrail-dir", "/nonexistent/trail"]), Some(2));
    let _ = fs::remove_dir_all(&snapshot_dir);
}

#[test]
fn a_garbled_activity_scope_is_refused_at_load() {
    let dir = temp_dir("bad-scope");
    let mut inventory = world();
    inventory
        .activity_scope
        .push(rdsiam::inventory::ActivityScope {
            account: DB_ACCOUNT.into(),
            source: "cloudtrail:files".into(),
            since: "2026-11-20".into(),
            until: "2026-03-01".into(),
        });
    inventory
        .activity_scope
        .push(rdsiam::inventory::ActivityScope {
            account: "12345".into(),
            source: "cloudtrail:files".into(),
            since: "yesterday".into(),
            until: "2026-03-01".into(),
        });
    let path = dir.join("snapshot.json");
    snapshot::save(&inventory, &path).unwrap();
    let error = snapshot::load(&path).unwrap_err().to_string();
    assert!(
        error.contains("activity_scope[0].since: since 2026-11-20 is after until 2026-03-01"),
        "{error}"
    );
    assert!(error.contains("activity_scope[1].account"), "{error}");
    assert!(
        error.contains("activity_scope[1].since: \"yesterday\" is not a date"),
        "{error}"
    );
    let _ = fs::remove_dir_all(&dir);
}

fn event(
    id: &str,
    principal: Option<&str>,
    kind: rdsiam::inventory::activity::PrincipalType,
    error: Option<&str>,
) -> rdsiam::inventory::AssumeRoleEvent {
    rdsiam::inventory::AssumeRoleEvent {
        event_time: "2026-03-03T10:00:00Z".into(),
        event_id: id.into(),
        shared_event_id: None,
        source_account: principal.and_then(|p| p.split(':').nth(4)).map(Into::into),
        principal_arn: principal.map(Into::into),
        principal_type: Some(kind),
        role_arn: role_arn("rds-pgmonitor"),
        role_session_name: Some("s".into()),
        source_ip: Some(
            if principal.is_some() {
                "10.1.2.3"
            } else {
                "ec2.amazonaws.com"
            }
            .into(),
        ),
        user_agent: None,
        error_code: error.map(Into::into),
        recipient_account: Some(DB_ACCOUNT.into()),
    }
}

/// `rds-pgmonitor` trusts only `ec2.amazonaws.com`: the service's own AssumeRole is use, not
/// an intrusion; a role of a member account the trust does not name is reported (high), and
/// so are its failed attempts (high: not admitted).
#[test]
fn callers_the_trust_does_not_admit_are_reported_at_high() {
    use rdsiam::inventory::activity::PrincipalType;
    use rdsiam::report::Severity;
    let intruder = "arn:aws:sts::111111111111:assumed-role/intruder/session-1";
    let mut inventory = world();
    inventory.activity = vec![
        event("e1", None, PrincipalType::AWSService, None),
        event("e2", Some(intruder), PrincipalType::AssumedRole, None),
        event(
            "e3",
            Some(intruder),
            PrincipalType::AssumedRole,
            Some("AccessDenied"),
        ),
        event(
            "e4",
            Some(intruder),
            PrincipalType::AssumedRole,
            Some("AccessDenied"),
        ),
    ];
    let evaluation = evaluate(&inventory, "2026-03-04T00:00:00Z", 90);
    let outside = findings_of(&evaluation, "assume-role-from-outside-org");
    assert_eq!(outside.len(), 1);
    assert_eq!(outside[0].severity, Severity::High);
    assert!(
        outside[0]
            .message
            .contains("arn:aws:iam::111111111111:role/intruder")
    );
    let failed = findings_of(&evaluation, "assume-role-failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].severity, Severity::High);
    assert!(failed[0].evidence[0].observed.starts_with("2 failed"));
    assert!(failed[0].evidence[0].observed.contains("AccessDenied x2"));
    // Fingerprints hold the role and caller, not counts: one more attempt, same fingerprint.
    let before = failed[0].fingerprint.clone();
    inventory.activity.push(event(
        "e5",
        Some(intruder),
        PrincipalType::AssumedRole,
        Some("AccessDenied"),
    ));
    let again = evaluate(&inventory, "2026-03-05T00:00:00Z", 90);
    assert_eq!(
        findings_of(&again, "assume-role-failed")[0].fingerprint,
        before
    );
}
