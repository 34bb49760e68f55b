//! The local CloudTrail scan against real gzip files: files from the generator (whose ground
//! truth is known) and hand-made edge cases (look-alike records, damaged files, layouts).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use rdsiam::collect::activity::cloudtrail_files::{ScanOptions, scan_paths};
use rdsiam::collect::activity::scan_report::ProblemKind;
use rdsiam::generators::cloudtrail::{GenConfig, GenOutput, generate};
use rdsiam::inventory::AssumeRoleEvent;
use rdsiam::inventory::Day;

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rdsiam-ct-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn small_set(name: &str, seed: u64) -> (PathBuf, GenConfig, GenOutput) {
    let dir = tempdir(name);
    let mut cfg = GenConfig::new(seed, 6 << 20);
    cfg.file_bytes = 96 << 10;
    cfg.days = 6;
    cfg.assume_role_per_10k = 500; // more events per MB keeps the set small
    let out = generate(&dir, &cfg).unwrap();
    (dir, cfg, out)
}

fn gz(path: &Path, content: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(content).unwrap();
    fs::write(path, enc.finish().unwrap()).unwrap();
}

fn ids(events: &[AssumeRoleEvent]) -> Vec<&str> {
    events.iter().map(|e| e.event_id.as_str()).collect()
}

#[test]
fn generated_set_matches_ground_truth_serial_and_parallel() {
    let (dir, cfg, gen_out) = small_set("truth", 11);
    assert!(gen_out.files.len() > 40, "{} files", gen_out.files.len());
    let expected = &gen_out.expected;
    // The set exercises what it should: failures, successes, both role forms, decoys.
    assert!(expected.iter().any(|e| e.failed()));
    assert!(expected.iter().any(|e| !e.failed()));
    assert!(expected.len() > 100, "{}", expected.len());

    let mut opts = ScanOptions::new(&cfg.roles_of_interest());
    opts.threads = Some(1);
    let serial = scan_paths(std::slice::from_ref(&dir), &opts).unwrap();
    opts.threads = Some(3);
    let parallel = scan_paths(std::slice::from_ref(&dir), &opts).unwrap();

    assert_eq!(&serial.events, expected);
    assert_eq!(parallel.events, serial.events);
    assert_eq!(parallel.report, serial.report);

    let r = &serial.report;
    assert_eq!(r.files_found, gen_out.files.len() as u64);
    assert_eq!(r.files_read, gen_out.files.len() as u64);
    assert_eq!(r.files_skipped, 0);
    assert_eq!(r.bytes_uncompressed, gen_out.bytes_uncompressed);
    assert_eq!(r.bytes_compressed, gen_out.bytes_compressed);
    assert_eq!(r.records_seen, gen_out.records);
    assert_eq!(r.events, expected.len() as u64);
    // Decoys (sessionIssuer, look-alike names, other accounts) passed the byte pre-filter and
    // were rejected by the parse.
    assert!(r.candidates > r.events, "{} candidates", r.candidates);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn date_account_and_region_filters_skip_files_unopened() {
    let (dir, cfg, gen_out) = small_set("filters", 12);
    let roles = cfg.roles_of_interest();
    let since = cfg.first_day.plus_days(2);
    let until = cfg.first_day.plus_days(3);

    // A garbage file in a day directory the filter excludes: never opened, so no problem.
    let accounts = cfg.account_ids();
    let skipped_junk = dir.join(format!(
        "AWSLogs/{a}/CloudTrail/us-east-1/2026/03/01/{a}_CloudTrail_us-east-1_20260301T0000Z_junk.json.gz",
        a = accounts[0]
    ));
    fs::create_dir_all(skipped_junk.parent().unwrap()).unwrap();
    fs::write(&skipped_junk, b"not gzip at all").unwrap();

    let mut opts = ScanOptions::new(&roles);
    opts.since = Some(since);
    opts.until = Some(until);
    let out = scan_paths(std::slice::from_ref(&dir), &opts).unwrap();
    let want: Vec<&AssumeRoleEvent> = gen_out
        .expected
        .iter()
        .filter(|e| {
            let d = Day::of_timestamp(&e.event_time).unwrap();
            d >= since && d <= until
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(out.events.iter().collect::<Vec<_>>(), want);
    assert!(out.report.files_skipped > 0);
    assert_eq!(
        out.report.files_read + out.report.files_skipped,
        out.report.files_found
    );
    assert!(out.report.problems.is_empty(), "{:?}", out.report.problems);
    // Without the filter the junk file is opened, and reported.
    let unfiltered = scan_paths(std::slice::from_ref(&dir), &ScanOptions::new(&roles)).unwrap();
    assert_eq!(unfiltered.report.problem_files(), vec![&skipped_junk]);
    fs::remove_file(&skipped_junk).unwrap();

    // Account: the trail account of the path.
    let mut opts = ScanOptions::new(&roles);
    opts.accounts = vec![accounts[1].clone()];
    let out = scan_paths(std::slice::from_ref(&dir), &opts).unwrap();
    let want: Vec<&AssumeRoleEvent> = gen_out
        .expected
        .iter()
        .filter(|e| e.recipient_account.as_deref() == Some(accounts[1].as_str()))
        .collect();
    assert!(!want.is_empty());
    assert_eq!(out.events.iter().collect::<Vec<_>>(), want);
    let files_of_account = gen_out
        .files
        .iter()
        .filter(|f| {
            f.to_string_lossy()
                .contains(&format!("/{}/CloudTrail/", accounts[1]))
        })
        .count() as u64;
    assert_eq!(out.report.files_read, files_of_account);

    // Regions partition the events, and each reads only its own files.
    let mut total = 0;
    for region in &cfg.regions {
        let mut opts = ScanOptions::new(&roles);
        opts.regions = vec![region.clone()];
        let out = scan_paths(std::slice::from_ref(&dir), &opts).unwrap();
        let files_in_region = gen_out
            .files
            .iter()
            .filter(|f| {
                f.to_string_lossy()
                    .contains(&format!("/CloudTrail/{region}/"))
            })
            .count() as u64;
        assert_eq!(out.report.files_read, files_in_region, "{region}");
        total += out.events.len();
    }
    assert_eq!(total, gen_out.expected.len());
    fs::remove_dir_all(dir).unwrap();
}

const ROLE: &str = "arn:aws:iam::111122223333:role/app/rds-db-admin";

/// Records around one role: only the first three are AssumeRole calls into it.
fn edge_records() -> String {
    let records = [
        // 1. role only in resources[] (no requestParameters.roleArn)
        r#"{"eventTime":"2026-03-02T10:00:00Z","eventID":"ev-resources","eventName":"AssumeRole","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::444455556666:user/alice","accountId":"444455556666"},"sourceIPAddress":"203.0.113.9","requestParameters":{"roleSessionName":"s1"},"resources":[{"accountId":"111122223333","type":"AWS::IAM::Role","ARN":"arn:aws:iam::111122223333:role/app/rds-db-admin"}],"recipientAccountId":"111122223333","sharedEventID":"sh-1"}"#,
        // 2. role only in requestParameters.roleArn, failed
        r#"{"eventTime":"2026-03-02T11:00:00Z","eventID":"ev-rolearn-denied","eventName":"AssumeRole","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/ci/x","accountId":"111122223333"},"errorCode":"AccessDenied","errorMessage":"User: arn:aws:sts::111122223333:assumed-role/ci/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/app/rds-db-admin","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/app/rds-db-admin","roleSessionName":"s2"},"recipientAccountId":"111122223333"}"#,
        // 3. an escaped-slash ARN and a weird principal type, kept verbatim
        r#"{"eventTime":"2026-03-02T12:00:00Z","eventID":"ev-escaped","eventName":"AssumeRole","userIdentity":{"type":"SAMLUser","accountId":"111122223333"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role\/app\/rds-db-admin"}}"#,
        // 4. a session OF the role assuming another role: ARN in sessionIssuer.arn only
        r#"{"eventTime":"2026-03-02T13:00:00Z","eventID":"ev-issuer","eventName":"AssumeRole","userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/app/rds-db-admin"}}},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/other"},"resources":[{"type":"AWS::IAM::Role","ARN":"arn:aws:iam::111122223333:role/other"}]}"#,
        // 5. another event naming "AssumeRole" and the ARN in its parameters and errorMessage
        r#"{"eventTime":"2026-03-02T14:00:00Z","eventID":"ev-simulate","eventName":"SimulatePrincipalPolicy","requestParameters":{"actionNames":["AssumeRole"],"resourceArns":["arn:aws:iam::111122223333:role/app/rds-db-admin"]},"errorMessage":"denied on arn:aws:iam::111122223333:role/app/rds-db-admin"}"#,
        // 6. AssumeRoleWithSAML into the role: not AssumeRole
        r#"{"eventTime":"2026-03-02T15:00:00Z","eventID":"ev-saml","eventName":"AssumeRoleWithSAML","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/app/rds-db-admin"}}"#,
        // 7. look-alike role name
        r#"{"eventTime":"2026-03-02T16:00:00Z","eventID":"ev-lookalike","eventName":"AssumeRole","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/app/rds-db-admin-old"}}"#,
        // 8. the role nested in an unrelated object with an "AssumeRole" string
        r#"{"eventTime":"2026-03-02T17:00:00Z","eventID":"ev-nested","eventName":"PutRule","requestParameters":{"inner":{"eventName":"AssumeRole","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/app/rds-db-admin"}}}}"#,
        // 9. AssumeRole into the role without eventTime: reported, not counted
        r#"{"eventID":"ev-no-time","eventName":"AssumeRole","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/app/rds-db-admin"}}"#,
    ];
    format!("{{\"Records\":[{}]}}", records.join(","))
}

#[test]
fn only_real_assume_role_calls_into_the_role_count() {
    let dir = tempdir("edges");
    let file = dir.join(
        "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/02/111122223333_CloudTrail_us-east-1_20260302T1800Z_a1.json.gz",
    );
    gz(&file, edge_records().as_bytes());
    let out = scan_paths(std::slice::from_ref(&dir), &ScanOptions::new(&[ROLE])).unwrap();

    assert_eq!(
        ids(&out.events),
        vec!["ev-resources", "ev-rolearn-denied", "ev-escaped"]
    );
    let e = &out.events[0];
    assert_eq!(e.role_arn, ROLE);
    assert_eq!(e.source_account.as_deref(), Some("444455556666"));
    assert_eq!(
        e.principal_arn.as_deref(),
        Some("arn:aws:iam::444455556666:user/alice")
    );
    assert_eq!(e.role_session_name.as_deref(), Some("s1"));
    assert_eq!(e.shared_event_id.as_deref(), Some("sh-1"));
    assert_eq!(e.source_ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(e.recipient_account.as_deref(), Some("111122223333"));
    assert!(!e.failed());
    assert_eq!(out.events[1].error_code.as_deref(), Some("AccessDenied"));
    assert_eq!(out.events[2].role_arn, ROLE);
    assert_eq!(
        out.events[2].principal_type,
        Some(rdsiam::inventory::activity::PrincipalType::Other(
            "SAMLUser".into()
        ))
    );

    let r = &out.report;
    assert_eq!(r.records_seen, 9);
    // 6 is rejected by the byte pre-filter ("AssumeRoleWithSAML" is not "AssumeRole").
    assert_eq!(r.candidates, 8);
    assert_eq!(r.problems.len(), 1);
    assert_eq!(r.problems[0].kind, ProblemKind::MalformedRecord);
    assert_eq!(r.problems[0].count, 1);
    assert_eq!(r.problems[0].path, file);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn damaged_files_are_reported_and_the_scan_goes_on() {
    let (dir, cfg, gen_out) = small_set("damaged", 13);
    let roles = cfg.roles_of_interest();
    let clean = scan_paths(std::slice::from_ref(&dir), &ScanOptions::new(&roles)).unwrap();
    assert!(clean.report.problems.is_empty());

    // Truncate the largest generated file to 60% of its bytes.
    let victim = gen_out
        .files
        .iter()
        .max_by_key(|f| fs::metadata(f).unwrap().len())
        .unwrap();
    let full_victim = scan_paths(std::slice::from_ref(victim), &ScanOptions::new(&roles)).unwrap();
    let bytes = fs::read(victim).unwrap();
    fs::write(victim, &bytes[..bytes.len() * 6 / 10]).unwrap();
    // Not gzip at all, gzip of non-JSON, JSON cut short inside valid gzip, a loose bad .json.
    let junk = dir.join("junk");
    fs::create_dir_all(&junk).unwrap();
    fs::write(junk.join("random.json.gz"), b"\x00\x01garbage\xff").unwrap();
    gz(&junk.join("text.json.gz"), b"hello, this is not JSON");
    gz(
        &junk.join("cut.json.gz"),
        br#"{"Records":[{"eventName":"AssumeRole"},{"eventName":"#,
    );
    fs::write(junk.join("loose.json"), b"<html>").unwrap();
    gz(&junk.join("empty.json.gz"), b"");

    let out = scan_paths(std::slice::from_ref(&dir), &ScanOptions::new(&roles)).unwrap();
    let kinds: Vec<(String, ProblemKind)> = out
        .report
        .problems
        .iter()
        .map(|p| {
            (
                p.path.file_name().unwrap().to_string_lossy().into_owned(),
                p.kind,
            )
        })
        .collect();
    let victim_name = victim.file_name().unwrap().to_string_lossy().into_owned();
    let mut want = vec![
        (victim_name, ProblemKind::Decompress),
        ("cut.json.gz".to_owned(), ProblemKind::Truncated),
        ("loose.json".to_owned(), ProblemKind::NotJson),
        ("random.json.gz".to_owned(), ProblemKind::Decompress),
        ("text.json.gz".to_owned(), ProblemKind::NotJson),
    ];
    want.sort();
    let mut got = kinds.clone();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(out.report.problem_files().len(), 5);
    assert!(
        out.report.problems.iter().all(|p| !p.detail.is_empty()),
        "{:?}",
        out.report.problems
    );
    // Every other file was still read, and the victim's readable part was used: the events
    // are the clean ones less those in the victim's lost tail.
    assert_eq!(out.report.files_found, gen_out.files.len() as u64 + 5);
    assert_eq!(out.report.files_read, out.report.files_found);
    let cut_victim = scan_paths(std::slice::from_ref(victim), &ScanOptions::new(&roles)).unwrap();
    assert!(cut_victim.report.records_seen > 0);
    assert!(cut_victim.report.records_seen < full_victim.report.records_seen);
    assert!(
        cut_victim
            .events
            .iter()
            .all(|e| full_victim.events.contains(e))
    );
    let want: Vec<&AssumeRoleEvent> = clean
        .events
        .iter()
        .filter(|e| !full_victim.events.contains(e) || cut_victim.events.contains(e))
        .collect();
    assert_eq!(out.events.iter().collect::<Vec<_>>(), want);
    assert_eq!(
        out.report.records_seen,
        clean.report.records_seen - full_victim.report.records_seen
            + cut_victim.report.records_seen
            + 1 // the one complete record of cut.json.gz
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn loose_files_use_record_fields_for_account_and_region() {
    let dir = tempdir("loose");
    let rec = |id: &str, acct: &str, region: &str| {
        format!(
            r#"{{"eventTime":"2026-03-02T10:00:00Z","eventID":"{id}","eventName":"AssumeRole","awsRegion":"{region}","recipientAccountId":"{acct}","requestParameters":{{"roleArn":"{ROLE}"}}}}"#
        )
    };
    let doc = format!(
        "[{},{},{}]",
        rec("a", "111122223333", "us-east-1"),
        rec("b", "999988887777", "us-east-1"),
        rec("c", "111122223333", "eu-west-1")
    );
    let file = dir.join("export.json");
    fs::write(&file, doc).unwrap();
    let mut opts = ScanOptions::new(&[ROLE]);
    opts.accounts = vec!["111122223333".into()];
    opts.regions = vec!["us-east-1".into()];
    let out = scan_paths(&[file], &opts).unwrap();
    assert_eq!(ids(&out.events), vec!["a"]);
    assert_eq!(out.report.files_skipped, 0);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_missing_path_is_an_error_naming_it() {
    let err = scan_paths(
        &[PathBuf::from("/nonexistent/rdsiam/trail")],
        &ScanOptions::new(&[ROLE]),
    )
    .unwrap_err();
    assert!(format!("{err:#}").contains("/nonexistent/rdsiam/trail"));
}

#[test]
fn until_reads_the_next_days_file_for_events_just_before_midnight() {
    let dir = tempdir("midnight");
    let rec = |id: &str, time: &str| {
        format!(
            r#"{{"eventTime":"{time}","eventID":"{id}","eventName":"AssumeRole","requestParameters":{{"roleArn":"{ROLE}"}}}}"#
        )
    };
    let file = |day: &str, stamp: &str| {
        dir.join(format!(
            "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/{day}/111122223333_CloudTrail_us-east-1_202603{day}T{stamp}Z_x.json.gz"
        ))
    };
    // Delivered on the 3rd just after midnight: one event of the 2nd, one of the 3rd.
    gz(
        &file("03", "0005"),
        format!(
            r#"{{"Records":[{},{}]}}"#,
            rec("late-on-2nd", "2026-03-02T23:58:00Z"),
            rec("early-on-3rd", "2026-03-03T00:01:00Z")
        )
        .as_bytes(),
    );
    // Delivered on the 4th: cannot hold events of the 2nd, so never opened (it is garbage).
    let junk = file("04", "0005");
    fs::create_dir_all(junk.parent().unwrap()).unwrap();
    fs::write(&junk, b"garbage").unwrap();

    let mut opts = ScanOptions::new(&[ROLE]);
    opts.until = Day::parse("2026-03-02");
    let out = scan_paths(std::slice::from_ref(&dir), &opts).unwrap();
    assert_eq!(ids(&out.events), vec!["late-on-2nd"]);
    assert_eq!((out.report.files_read, out.report.files_skipped), (1, 1));
    assert!(out.report.problems.is_empty(), "{:?}", out.report.problems);

    opts.until = None;
    opts.since = Day::parse("2026-03-03");
    let out = scan_paths(std::slice::from_ref(&dir), &opts).unwrap();
    assert_eq!(ids(&out.events), vec!["early-on-3rd"]);
    fs::remove_dir_all(dir).unwrap();
}
