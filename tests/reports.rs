//! The report formats over the real demo audit (fixtures/demo, rules evaluated at a fixed
//! time): the terminal view at widths 80, 100 and 200 (no line wider than the width unless a
//! single unbreakable token, no ARN or command broken inside a token), CSV parsed back by an
//! independent parser (Python's csv module) with the same rows, OCSF validated and
//! round-tripped by py-ocsf-models (the models Prowler uses), Markdown snapshot-tested, and
//! several `--output`s in one run.

mod support;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rdsiam::render::{self, Format};
use rdsiam::report::{Report, Severity};
use serde_json::Value;

use support::demo::DIR as DEMO_DIR;
use support::demo::arns;

fn demo_report() -> Report {
    let mut report = support::demo::report();
    report.tool_version = "0.0.0-test".into();
    report
}

fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(
        venv.exists(),
        "{} is missing: run scripts/test.sh (it installs tests/support/requirements.txt)",
        venv.display()
    );
    venv
}

fn run_python(args: &[&str], stdin: &[u8]) -> String {
    let mut child = Command::new(python())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("python: {e}"));
    child
        .stdin
        .take()
        .map(|mut s| s.write_all(stdin))
        .transpose()
        .unwrap_or_else(|e| panic!("python stdin: {e}"));
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("python: {e}"));
    assert!(
        out.status.success(),
        "python {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn rdsiam(args: &[&str], envs: &[(&str, &str)]) -> (String, i32) {
    let mut cmd = support::cli::rdsiam();
    cmd.args(args).env_remove("NO_COLOR").env_remove("COLUMNS");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("rdsiam: {e}"));
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "rdsiam {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// The findings of the same CLI run's JSON report (rules that read the clock, such as
/// connect-role-unused, are evaluated at the run's own time). Timestamps are blanked: two
/// runs seconds apart embed different ones (the session-revocation fix).
fn cli_report() -> rdsiam::report::Report {
    let (json, _) = rdsiam(&["audit", "--snapshot", DEMO_DIR, "--format", "json"], &[]);
    let value: Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
    let mut report = demo_report();
    report.findings = serde_json::from_value(value["findings"].clone())
        .unwrap_or_else(|e| panic!("findings: {e}"));
    report
}

/// `text` with every RFC 3339 UTC timestamp (`2026-11-21T00:00:00Z`) replaced by `<time>`.
fn blank_times(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < text.len() {
        let candidate = bytes.get(i..i + 20);
        let is_time = candidate.is_some_and(|c| {
            c.iter().enumerate().all(|(k, b)| match k {
                4 | 7 => *b == b'-',
                10 => *b == b'T',
                13 | 16 => *b == b':',
                19 => *b == b'Z',
                _ => b.is_ascii_digit(),
            })
        });
        if is_time {
            out.push_str("<time>");
            i += 20;
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The printed text with the wrapper's continuations undone: ` \` + newline + indent joins
/// shell arguments, newline + indent after a comma joins quoted JSON pieces.
fn unwrapped(text: &str) -> String {
    let mut out = String::new();
    let mut previous = "";
    for line in text.lines() {
        if previous.ends_with(" \\") {
            out.truncate(out.len() - 1);
            out.push_str(line.trim_start());
        } else if previous.ends_with(',') && line.starts_with("          ") {
            out.push_str(line.trim_start());
        } else {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(line);
        }
        previous = line;
    }
    out
}

#[test]
fn terminal_view_fits_80_100_200_columns_and_never_breaks_a_token() {
    let report = cli_report();
    assert!(report.findings.len() > 20, "the demo plants many findings");
    for width in [80usize, 100, 200] {
        let (text, code) = rdsiam(
            &["audit", "--snapshot", DEMO_DIR, "--all", "--color", "never"],
            &[("COLUMNS", &width.to_string())],
        );
        assert_eq!(code, 1, "the demo has findings at or above low");
        for line in text.lines() {
            let len = line.chars().count();
            if len > width {
                let body = line.trim_start().trim_end_matches(" \\");
                assert!(
                    !body.contains(' ') || body.starts_with('\''),
                    "width {width}: line of {len} columns holds more than one token: {line}"
                );
            }
        }
        let lines: Vec<&str> = text.lines().collect();
        let joined = blank_times(&unwrapped(&text));
        for finding in &report.findings {
            let mut expected_arns = arns(&finding.message);
            expected_arns.push(finding.resource.arn.clone());
            for arn in expected_arns {
                assert!(
                    lines.iter().any(|l| l.contains(arn.as_str())),
                    "width {width}: ARN {arn} of {} not whole on one line",
                    finding.rule
                );
            }
            for command in finding.fix.aws_cli.iter().flat_map(|c| c.lines()) {
                let command = blank_times(command.trim());
                let command = command.as_str();
                assert!(
                    joined.contains(command),
                    "width {width}: fix command of {} not printed whole:\n{command}",
                    finding.rule
                );
                for arn in arns(command) {
                    assert!(
                        lines.iter().any(|l| l.contains(arn.as_str())),
                        "width {width}: ARN {arn} in the fix of {} broken across lines",
                        finding.rule
                    );
                }
            }
            for statement in finding.fix.sql.iter().flat_map(|c| c.lines()) {
                let code = statement.split("--").next().unwrap_or("").trim();
                let squeezed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
                assert!(
                    squeezed.contains(code),
                    "width {width}: SQL fix of {} missing: {code}",
                    finding.rule
                );
            }
        }
    }
}

#[test]
fn terminal_view_starts_with_the_per_rule_summary_and_collapses_repeats() {
    let report = cli_report();
    let (text, _) = rdsiam(
        &[
            "audit",
            "--snapshot",
            DEMO_DIR,
            "--limit",
            "1",
            "--color",
            "never",
        ],
        &[],
    );
    let summary_at = text.find("SEVERITY  RULE").unwrap_or(usize::MAX);
    let first_finding = text.find("\nCRITICAL (").unwrap_or(0);
    assert!(summary_at < first_finding, "summary comes first:\n{text}");
    // Every rule appears in the summary with its count.
    for group in report
        .findings
        .chunk_by(|a, b| a.rule == b.rule && a.severity == b.severity)
    {
        let row = text
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(group[0].rule.as_str()))
            .unwrap_or_else(|| panic!("no summary row for {}", group[0].rule));
        assert_eq!(
            row.split_whitespace().nth(2),
            Some(group.len().to_string().as_str()),
            "{row}"
        );
        if group.len() > 1 {
            let collapsed = format!("… {} more {} finding(s)", group.len() - 1, group[0].rule);
            assert!(text.contains(&collapsed), "missing {collapsed:?}");
        }
    }
    let (colored, _) = rdsiam(
        &["audit", "--snapshot", DEMO_DIR, "--color", "always"],
        &[("NO_COLOR", "1")],
    );
    assert!(
        colored.contains("\x1b[1;31mCRITICAL"),
        "--color always colours"
    );
    let (auto, _) = rdsiam(&["audit", "--snapshot", DEMO_DIR], &[]);
    assert!(
        !auto.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn csv_parses_back_with_the_same_rows() {
    let report = demo_report();
    let csv = render::render(&report, Format::Csv);
    assert!(csv.contains("\r\n"), "RFC 4180 line ends");
    let parsed = run_python(
        &[
            "-c",
            "import csv, json, sys; print(json.dumps(list(csv.reader(sys.stdin.buffer.read().decode().splitlines(True)))))",
        ],
        csv.as_bytes(),
    );
    let rows: Vec<Vec<String>> =
        serde_json::from_str(parsed.trim()).unwrap_or_else(|e| panic!("{e}: {parsed}"));
    assert_eq!(rows[0], render::csv::FINDING_COLUMNS);
    assert_eq!(rows.len(), report.findings.len() + 1);
    for (row, f) in rows[1..].iter().zip(&report.findings) {
        assert_eq!(row[0], f.severity.as_str());
        assert_eq!(row[1], f.rule);
        assert_eq!(row[6], f.resource.arn);
        assert_eq!(row[7], f.resource.db_user.clone().unwrap_or_default());
        assert_eq!(row[8], f.message);
        assert_eq!(row[10], f.fix.aws_cli.clone().unwrap_or_default());
        assert_eq!(row[11], f.fix.sql.clone().unwrap_or_default());
        assert_eq!(row[13], f.fingerprint);
    }
    let access = {
        let mut out = Vec::new();
        render::csv::write_access(&report, &mut out).unwrap_or_else(|e| panic!("{e}"));
        String::from_utf8(out).unwrap_or_default()
    };
    let mut reader = ::csv::Reader::from_reader(access.as_bytes());
    let entries: Vec<::csv::StringRecord> =
        reader.records().map(|r| r.unwrap_or_default()).collect();
    assert_eq!(entries.len(), report.access.len());
    for (row, entry) in entries.iter().zip(&report.access) {
        assert_eq!(&row[0], entry.principal);
        assert_eq!(&row[2], entry.db_user);
    }
}

#[test]
fn ocsf_findings_validate_and_round_trip_with_py_ocsf_models() {
    let report = demo_report();
    let ocsf = render::render(&report, Format::Ocsf);
    let out = run_python(&["tests/support/ocsf_validate.py"], ocsf.as_bytes());
    let parsed: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(
        parsed.len(),
        report.findings.len(),
        "every finding validated"
    );
    for (o, f) in parsed.iter().zip(&report.findings) {
        assert_eq!(o["uid"], f.fingerprint.as_str());
        assert_eq!(o["class_uid"], 2004);
        assert_eq!(o["type_uid"], 200401);
        let severity_id = match f.severity {
            Severity::Info => 1,
            Severity::Low => 2,
            Severity::Medium => 3,
            Severity::High => 4,
            Severity::Critical => 5,
        };
        assert_eq!(o["severity_id"], severity_id);
        assert_eq!(o["status_code"], "FAIL");
        assert_eq!(o["resource_uid"], f.resource.arn.as_str());
        assert_eq!(o["account"].as_str(), f.resource.account.as_deref());
        assert_eq!(o["region"].as_str(), f.resource.region.as_deref());
        let remediation = o["remediation"].as_str().unwrap_or_default();
        assert!(remediation.starts_with(&f.fix.summary));
        if let Some(cli) = &f.fix.aws_cli {
            assert!(remediation.contains(cli.as_str()), "{remediation}");
        }
    }
}

#[test]
fn markdown_output() {
    let text = render::render(&demo_report(), Format::Markdown);
    assert!(text.contains("<details>"));
    insta::assert_snapshot!(text);
}

#[test]
fn several_outputs_in_one_run_each_format_from_its_extension() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = |name: &str| dir.path().join(name).display().to_string();
    let (stdout, _) = rdsiam(
        &[
            "audit",
            "--snapshot",
            DEMO_DIR,
            "--output",
            &path("r.json"),
            "--output",
            &path("r.csv"),
            "--output",
            &path("r.md"),
            "--output",
            &path("r.ocsf.json"),
            "--output",
            &path("r.sarif"),
            "--output",
            &path("r.html"),
        ],
        &[],
    );
    assert!(stdout.is_empty(), "everything went to files: {stdout}");
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap_or_default();
    let json: Value = serde_json::from_str(&read("r.json")).unwrap_or_default();
    let total = json["summary"]["total"].as_u64().unwrap_or(0) as usize;
    assert!(total > 20);
    // Records end in CRLF; line breaks inside quoted fields are bare LF.
    assert_eq!(read("r.csv").matches("\r\n").count(), total + 1);
    let ocsf: Value = serde_json::from_str(&read("r.ocsf.json")).unwrap_or_default();
    assert_eq!(ocsf.as_array().map(Vec::len), Some(total));
    assert!(read("r.md").starts_with("# rdsiam audit"));
    let sarif: Value = serde_json::from_str(&read("r.sarif")).unwrap_or_default();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(read("r.html").starts_with("<!DOCTYPE html>"));
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(names.len(), 6, "{names:?}");
}
