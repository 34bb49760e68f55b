//! Hostile input files: a gzip bomb as a snapshot, `/dev/zero` as `simulate --input`, and the
//! hazards of a CloudTrail directory (a FIFO named `*.json`, symbolic links, file names that
//! are not UTF-8, duplicated events). Each ends with a clear error or a coverage gap naming
//! what was not read, in bounded time.

mod support;

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;
use rdsiam::collect::activity::cloudtrail_files::{ScanOptions, scan_paths};
use rdsiam::collect::activity::scan_report::ProblemKind;
use rdsiam::inventory::snapshot::{self, SnapshotError};

const ROLE: &str = "arn:aws:iam::111122223333:role/app/rds-db-admin";

fn gz(content: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(content).unwrap_or_else(|e| panic!("{e}"));
    enc.finish().unwrap_or_else(|e| panic!("{e}"))
}

fn record(id: &str, time: &str) -> String {
    format!(
        r#"{{"eventTime":"{time}","eventID":"{id}","eventName":"AssumeRole","requestParameters":{{"roleArn":"{ROLE}"}}}}"#
    )
}

#[test]
fn a_gzip_bomb_snapshot_stops_at_the_inflated_cap() {
    // Was: a 5 MB gzip inflating to 5 GB reached 4.2 GB RSS, then "not a valid gzip stream
    // (out of memory)". The same shape, scaled to a 1 MiB cap: 3 MiB of zeros.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("bomb.json.gz");
    let bomb = gz(&vec![0_u8; 3 << 20]);
    fs::write(&path, &bomb).unwrap_or_else(|e| panic!("{e}"));
    let err = snapshot::read_maybe_gzip_capped(&path, 1 << 20).err();
    assert!(
        matches!(err, Some(SnapshotError::TooLarge { .. })),
        "{err:?}"
    );
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        text.contains("cap of 1 MiB") && text.contains("RDSIAM_MAX_SNAPSHOT_MIB"),
        "{text}"
    );
    // A multi-member file (the trailer states only the last member) is caught while inflating.
    let mut two = gz(&vec![0_u8; 700 << 10]);
    two.extend(gz(&vec![0_u8; 700 << 10]));
    fs::write(&path, &two).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        snapshot::read_maybe_gzip_capped(&path, 1 << 20),
        Err(SnapshotError::TooLarge {
            what: "inflated",
            ..
        })
    ));
    // Under the cap it still reads.
    fs::write(&path, gz(b"{}")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        snapshot::read_maybe_gzip_capped(&path, 1 << 20)
            .ok()
            .as_deref(),
        Some(&b"{}"[..])
    );
}

#[test]
fn audit_of_a_gzip_bomb_is_an_error_naming_the_cap() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("bomb.json.gz");
    fs::write(&path, gz(&vec![b' '; 3 << 20])).unwrap_or_else(|e| panic!("{e}"));
    let out = support::cli::rdsiam()
        .env("RDSIAM_MAX_SNAPSHOT_MIB", "1")
        .args(["audit", "--snapshot"])
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("larger than the cap of 1 MiB"), "{stderr}");
}

/// A gzip bomb whose trailer states exactly the cap (what a 5 GiB bomb's size, taken modulo
/// 4 GiB, says to a 1 GiB cap) passes the trailer check: the inflated buffer must still never
/// hold more than the cap. It used to double for the byte past the cap: 2.1 GB resident for a
/// 1 GiB cap (benches/RESULTS.md, "Hostile input and servers"); scaled here to a 64 MiB cap.
#[test]
fn a_gzip_bomb_stating_exactly_the_cap_stays_within_the_cap_in_memory() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("bomb.json.gz");
    let mut bomb = gz(&vec![0_u8; 200 << 20]);
    let trailer = bomb.len() - 4;
    bomb[trailer..].copy_from_slice(&(64_u32 << 20).to_le_bytes());
    fs::write(&path, &bomb).unwrap_or_else(|e| panic!("{e}"));
    let time_file = dir.path().join("time");
    let out = std::process::Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(&time_file)
        .arg(env!("CARGO_BIN_EXE_rdsiam"))
        .args(["audit", "--format", "json", "--snapshot"])
        .arg(&path)
        .env("RDSIAM_MAX_SNAPSHOT_MIB", "64")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("/usr/bin/time (scripts/test.sh installs it): {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("larger than the cap of 64 MiB inflated"),
        "{stderr}"
    );
    let time_text = fs::read_to_string(&time_file).unwrap_or_else(|e| panic!("{e}"));
    let peak_kb: u64 = time_text
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .next_back()
        .unwrap_or_else(|| panic!("no peak RSS in {time_text:?}"));
    // The cap, the 1 MB file and the process itself (~25 MB): well under twice the cap.
    assert!(
        peak_kb < 110 * 1024,
        "peak RSS {} MB for a 64 MiB cap",
        peak_kb / 1024
    );
}

#[test]
fn simulate_input_dev_zero_is_refused_at_the_input_cap() {
    // Was: read 1.9 GB before failing.
    let started = Instant::now();
    let out = support::cli::rdsiam()
        .args(["simulate", "--input", "/dev/zero"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("/dev/zero") && stderr.contains("input cap of 64 MiB"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

/// A trail directory with one good file, a FIFO named `*.json`, a symbolic link to a
/// directory of trail files, and a file whose name is not UTF-8.
fn hazardous_trail(root: &Path) -> PathBuf {
    let trail = root.join("trail");
    fs::create_dir_all(trail.join("real")).unwrap_or_else(|e| panic!("{e}"));
    fs::write(
        trail.join("real/a.json"),
        format!(
            r#"{{"Records":[{}]}}"#,
            record("e-1", "2026-03-01T10:00:00Z")
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let fifo = trail.join("stuck.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap_or_else(|e| panic!("mkfifo: {e}"));
    assert!(made.success(), "mkfifo failed");
    let elsewhere = root.join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap_or_else(|e| panic!("{e}"));
    fs::write(
        elsewhere.join("b.json"),
        format!(
            r#"{{"Records":[{}]}}"#,
            record("e-2", "2026-03-01T11:00:00Z")
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(&elsewhere, trail.join("linked")).unwrap_or_else(|e| panic!("{e}"));
    let latin1 = trail.join(OsStr::from_bytes(b"caf\xe9.json"));
    fs::write(
        &latin1,
        format!(
            r#"{{"Records":[{}]}}"#,
            record("e-3", "2026-03-01T12:00:00Z")
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    trail
}

#[test]
fn cloudtrail_fifo_symlink_and_non_utf8_names_are_read_or_reported_never_hang() {
    // Was: the FIFO hung the scan forever; the link and the non-UTF-8 name were skipped
    // without a word.
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let trail = hazardous_trail(root.path());
    let started = Instant::now();
    let outcome = scan_paths(std::slice::from_ref(&trail), &ScanOptions::new(&[ROLE]))
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert!(started.elapsed() < Duration::from_secs(10));
    let ids: Vec<&str> = outcome.events.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["e-1", "e-3"], "the non-UTF-8 name is read too");
    let problem = |name: &str| {
        outcome
            .report
            .problems
            .iter()
            .find(|p| p.path.ends_with(name))
            .map(|p| (p.kind, p.detail.clone()))
    };
    let fifo = problem("stuck.json");
    assert!(
        matches!(&fifo, Some((ProblemKind::Unreadable, d)) if d.contains("FIFO")),
        "{fifo:?}"
    );
    let link = problem("linked");
    assert!(
        matches!(&link, Some((ProblemKind::Unreadable, d)) if d.contains("symbolic link")),
        "{link:?}"
    );
}

#[test]
fn the_same_event_in_two_files_counts_once() {
    // Was: duplicate eventIDs (a file copied into two scanned folders) counted twice.
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let body = format!(
        r#"{{"Records":[{},{}]}}"#,
        record("dup", "2026-03-01T10:00:00Z"),
        record("other", "2026-03-01T10:05:00Z")
    );
    for folder in ["a", "b"] {
        let dir = root.path().join(folder);
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        fs::write(dir.join("x.json"), &body).unwrap_or_else(|e| panic!("{e}"));
    }
    let outcome = scan_paths(&[root.path().to_path_buf()], &ScanOptions::new(&[ROLE]))
        .unwrap_or_else(|e| panic!("{e:#}"));
    let ids: Vec<&str> = outcome.events.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["dup", "other"]);
    assert_eq!(outcome.report.events, 2);
}
