//! `rdsiam activity` as a user runs it: JSON shape, table, exit codes.

mod support;

use std::fs;
use std::path::PathBuf;

use assert_cmd::Command;
use rdsiam::generators::cloudtrail::{GenConfig, generate};

fn generated(
    name: &str,
) -> (
    PathBuf,
    GenConfig,
    rdsiam::generators::cloudtrail::GenOutput,
) {
    let dir = std::env::temp_dir().join(format!("rdsiam-cli-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let mut cfg = GenConfig::new(21, 1 << 20);
    cfg.file_bytes = 64 << 10;
    cfg.assume_role_per_10k = 500;
    let out = generate(&dir, &cfg).unwrap();
    (dir, cfg, out)
}

fn rdsiam() -> Command {
    support::cli::rdsiam()
}

#[test]
fn json_has_events_and_per_role_summary() {
    let (dir, cfg, gen_out) = generated("json");
    fs::write(dir.join("broken.json.gz"), b"nope").unwrap();
    let roles = cfg.roles_of_interest();
    let mut cmd = rdsiam();
    cmd.arg("activity").arg("--cloudtrail-dir").arg(&dir);
    for r in &roles {
        cmd.arg("--role").arg(r);
    }
    let out = cmd.arg("--format").arg("json").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 CloudTrail file(s)"));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let events = doc["events"].as_array().unwrap();
    assert_eq!(events.len(), gen_out.expected.len());
    assert_eq!(
        events[0]["event_id"].as_str(),
        Some(gen_out.expected[0].event_id.as_str())
    );
    let summary = doc["summary"]["roles"].as_array().unwrap();
    assert_eq!(summary.len(), roles.len());
    let total: u64 = summary.iter().map(|r| r["count"].as_u64().unwrap()).sum();
    assert_eq!(total as usize, gen_out.expected.len());
    let failures: u64 = summary
        .iter()
        .map(|r| r["failures"].as_u64().unwrap())
        .sum();
    assert_eq!(
        failures as usize,
        gen_out.expected.iter().filter(|e| e.failed()).count()
    );
    let admin = &summary[0];
    assert_eq!(admin["role_arn"], roles[0].as_str());
    let admin_events: Vec<_> = gen_out
        .expected
        .iter()
        .filter(|e| e.role_arn == roles[0])
        .collect();
    assert_eq!(
        admin["first_seen"].as_str(),
        admin_events.first().map(|e| e.event_time.as_str())
    );
    let scan = &doc["summary"]["scan"];
    assert_eq!(scan["files_read"], gen_out.files.len() as u64 + 1);
    assert_eq!(scan["records_seen"], gen_out.records);
    assert_eq!(scan["problems"][0]["kind"], "decompress");
    assert_eq!(
        doc["summary"]["corrupt_files"][0].as_str(),
        Some(dir.join("broken.json.gz").to_str().unwrap())
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn table_lists_every_role_even_unused() {
    let (dir, cfg, _) = generated("table");
    let unused = "arn:aws:iam::111122223333:role/never-used";
    let out = rdsiam()
        .args([
            "activity",
            "--role",
            &cfg.roles_of_interest()[0],
            "--role",
            unused,
        ])
        .arg("--cloudtrail-dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&cfg.roles_of_interest()[0]), "{text}");
    let unused_line = text.lines().find(|l| l.contains(unused)).unwrap();
    assert!(unused_line.contains("never"), "{unused_line}");
    assert!(text.contains("Scanned"), "{text}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn usage_and_runtime_errors_exit_2() {
    let role = "arn:aws:iam::111122223333:role/x";
    let cases: [&[&str]; 4] = [
        &[
            "activity",
            "--role",
            "not-an-arn",
            "--cloudtrail-dir",
            "/tmp",
        ],
        &[
            "activity",
            "--role",
            role,
            "--cloudtrail-dir",
            "/nonexistent/rdsiam",
        ],
        &[
            "activity",
            "--role",
            role,
            "--cloudtrail-dir",
            "/tmp",
            "--since",
            "2026-13-01",
        ],
        &[
            "activity",
            "--role",
            role,
            "--cloudtrail-dir",
            "/tmp",
            "--since",
            "2026-03-02",
            "--until",
            "2026-03-01",
        ],
    ];
    for args in cases {
        let out = rdsiam().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}
