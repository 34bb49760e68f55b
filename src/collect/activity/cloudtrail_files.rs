//! The local CloudTrail source: finds `.json.gz` / `.json` files under the given paths (the S3
//! layout `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/...` or loose files), skips whole
//! files by account / region / day from their path, and scans the rest in parallel (rayon, one
//! file per task) for AssumeRole events into the roles of interest.
//!
//! Per file: stream-decompress ([`flate2`]), split records over a bounded buffer
//! ([`super::record_splitter`]), byte pre-filter, real parse of candidates only
//! ([`super::cloudtrail_record`]). Memory per worker is one read buffer plus one record buffer
//! (at most `max_record_bytes`), whatever the size of the files. Damaged files are reported in
//! the [`ScanReport`] and the scan goes on.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use super::cloudtrail_layout::FileLayout;
use super::cloudtrail_record::{RoleMatcher, Verdict};
use super::file_reader::Worker;
use super::record_splitter::{SplitError, split_records_with};
use super::scan_report::{ProblemKind, ScanReport};
use crate::inventory::AssumeRoleEvent;
use crate::inventory::Day;

/// Default per-record limit: far above any real CloudTrail record (they are KBs), low enough
/// to bound memory at a few tens of MB per worker.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// What to look for and where.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Role ARNs of interest (exact, case-sensitive as CloudTrail writes them).
    pub roles: Vec<String>,
    /// Keep events on or after this day (UTC, by `eventTime`).
    pub since: Option<Day>,
    /// Keep events on or before this day (UTC, by `eventTime`).
    pub until: Option<Day>,
    /// Trail accounts to read (empty: all). From the path; `recipientAccountId` for loose files.
    pub accounts: Vec<String>,
    /// Regions to read (empty: all). From the path; `awsRegion` for loose files.
    pub regions: Vec<String>,
    /// Worker threads: `None` = rayon's default (one per core), `Some(1)` = serial.
    pub threads: Option<usize>,
    pub max_record_bytes: usize,
}

impl ScanOptions {
    pub fn new<S: AsRef<str>>(roles: &[S]) -> ScanOptions {
        ScanOptions {
            roles: roles.iter().map(|r| r.as_ref().to_owned()).collect(),
            since: None,
            until: None,
            accounts: Vec::new(),
            regions: Vec::new(),
            threads: None,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        }
    }
}

/// Events found (sorted by time, then event id) and how the scan went.
#[derive(Debug, Clone, Default)]
pub struct ScanOutcome {
    pub events: Vec<AssumeRoleEvent>,
    pub report: ScanReport,
}

/// The CloudTrail files under some paths, before any filter, and the directories that could
/// not be listed (as problems).
#[derive(Debug, Clone, Default)]
pub struct FoundFiles {
    /// Directories walked in name order; files given directly, as given.
    pub files: Vec<PathBuf>,
    pub report: ScanReport,
}

/// Finds every `.json` / `.json.gz` file under `paths` (directories are walked; files are
/// taken as given). A path that does not exist is an error.
pub fn find_files(paths: &[PathBuf]) -> Result<FoundFiles> {
    let mut found = FoundFiles::default();
    for path in paths {
        let meta =
            std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
        if meta.is_dir() {
            walk(path, &mut found.files, &mut found.report);
        } else {
            found.files.push(path.clone());
        }
    }
    Ok(found)
}

/// Scans every CloudTrail file under `paths`. A path that does not exist is an error;
/// everything after that is reported, not fatal.
pub fn scan_paths(paths: &[PathBuf], opts: &ScanOptions) -> Result<ScanOutcome> {
    if opts.roles.is_empty() {
        bail!("no role ARN to look for");
    }
    scan_found(&find_files(paths)?, opts)
}

/// Scans files found by [`find_files`], merging the walk's problems into the report.
pub fn scan_found(found: &FoundFiles, opts: &ScanOptions) -> Result<ScanOutcome> {
    if opts.roles.is_empty() {
        bail!("no role ARN to look for");
    }
    let mut outcome = scan_files(&found.files, opts)?;
    outcome.report.add(found.report.clone());
    outcome
        .report
        .problems
        .sort_by(|a, b| (&a.path, a.kind).cmp(&(&b.path, b.kind)));
    Ok(outcome)
}

/// Whether a scan with `opts` opens `path` (it is not skipped by account, region or day from
/// its path, nor as a digest or Insights file).
pub fn opens(path: &Path, opts: &ScanOptions) -> bool {
    !skipped_by_path(path, &FileLayout::of_path(path), opts)
}

/// Scans the given files (no directory walking).
pub fn scan_files(files: &[PathBuf], opts: &ScanOptions) -> Result<ScanOutcome> {
    let matcher = RoleMatcher::new(&opts.roles);
    let per_file = |worker: &mut Worker, path: &PathBuf| scan_one(worker, path, opts, &matcher);
    let parallel = || files.par_iter().map_init(Worker::new, per_file).collect();
    let results: Vec<(Vec<AssumeRoleEvent>, ScanReport)> = match opts.threads {
        Some(1) => {
            let mut worker = Worker::new();
            files.iter().map(|f| per_file(&mut worker, f)).collect()
        }
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .context("starting the scan threads")?
            .install(parallel),
        None => parallel(),
    };
    let mut outcome = ScanOutcome::default();
    for (events, report) in results {
        outcome.events.extend(events);
        outcome.report.add(report);
    }
    outcome.report.files_found = files.len() as u64;
    outcome
        .events
        .sort_by(|a, b| (&a.event_time, &a.event_id).cmp(&(&b.event_time, &b.event_id)));
    // The same event delivered twice (a file copied into two folders of the scanned tree,
    // a re-delivery) has the same eventID and eventTime: count it once.
    outcome
        .events
        .dedup_by(|a, b| a.event_id == b.event_id && a.event_time == b.event_time);
    outcome.report.events = outcome.events.len() as u64;
    Ok(outcome)
}

/// Collects `.json` / `.json.gz` files under `dir`, sorted, recording unreadable directories.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, report: &mut ScanReport) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            report.problem(
                dir,
                ProblemKind::Unreadable,
                format!("listing directory: {e}"),
            );
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        // file_type does not follow symlinks: a link loop cannot make the walk endless. Only
        // regular files are read (a FIFO named `*.json` would block the scan forever); what
        // is not read but may hold trail data is a coverage gap, never silence.
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, files, report),
            Ok(t) if t.is_file() && is_trail_file(&path) => files.push(path),
            Ok(t) if t.is_symlink() => {
                let target = std::fs::metadata(&path);
                if target.as_ref().is_ok_and(|m| m.is_dir()) || is_trail_file(&path) {
                    report.problem(
                        &path,
                        ProblemKind::Unreadable,
                        "symbolic link not followed (pass its target as a path to scan it)"
                            .to_owned(),
                    );
                }
            }
            Ok(t) if is_trail_file(&path) => report.problem(
                &path,
                ProblemKind::Unreadable,
                format!("not a regular file ({}): not read", describe_type(&t)),
            ),
            Ok(_) => {}
            Err(e) => report.problem(&path, ProblemKind::Unreadable, format!("file type: {e}")),
        }
    }
}

fn describe_type(file_type: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        "a FIFO"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_char_device() || file_type.is_block_device() {
        "a device"
    } else {
        "not a file"
    }
}

/// `*.json` or `*.json.gz`, by the name's bytes: a name that is not UTF-8 is still a trail
/// file (it used to be skipped without a word).
fn is_trail_file(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let name = path.file_name().map(|n| n.as_bytes()).unwrap_or_default();
    name.ends_with(b".json.gz") || name.ends_with(b".json")
}

/// Whether a file is skipped, unopened, by what its path says.
fn skipped_by_path(path: &Path, layout: &FileLayout, opts: &ScanOptions) -> bool {
    // Digest and Insights files share the layout but hold no management events.
    let p = path.to_string_lossy();
    if p.contains("CloudTrail-Digest") || p.contains("CloudTrail-Insight") {
        return true;
    }
    if let Some(account) = &layout.account {
        if !opts.accounts.is_empty() && !opts.accounts.contains(account) {
            return true;
        }
    }
    if let Some(region) = &layout.region {
        if !opts.regions.is_empty() && !opts.regions.contains(region) {
            return true;
        }
    }
    if let Some(day) = layout.day {
        // A file delivered on day D holds events up to D, some from D-1 near midnight:
        // skip it when D < since, or when D-1 > until.
        if opts.since.is_some_and(|since| day < since) {
            return true;
        }
        if opts.until.is_some_and(|until| day > until.next()) {
            return true;
        }
    }
    false
}

fn scan_one(
    worker: &mut Worker,
    path: &PathBuf,
    opts: &ScanOptions,
    matcher: &RoleMatcher,
) -> (Vec<AssumeRoleEvent>, ScanReport) {
    let mut report = ScanReport::default();
    let mut events = Vec::new();
    let layout = FileLayout::of_path(path);
    if skipped_by_path(path, &layout, opts) {
        report.files_skipped = 1;
        return (events, report);
    }
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            report.problem(path, ProblemKind::Unreadable, format!("opening: {e}"));
            return (events, report);
        }
    };
    report.files_read = 1;
    report.bytes_compressed = file.metadata().map(|m| m.len()).unwrap_or(0);
    let gzipped = path.to_string_lossy().ends_with(".gz");
    let mut split_buf = std::mem::take(&mut worker.split_buf);
    let input = worker.open(file, gzipped);

    let mut malformed: Option<(u64, String)> = None;
    let (stats, err) = split_records_with(input, opts.max_record_bytes, &mut split_buf, |record| {
        if !matcher.is_candidate(record) {
            return;
        }
        report.candidates += 1;
        let (verdict, place) = matcher.confirm(record);
        match verdict {
            Verdict::NotRelevant => {}
            Verdict::Malformed(detail) => {
                let entry = malformed.get_or_insert((0, detail));
                entry.0 += 1;
            }
            Verdict::Event(event) => {
                if keeps_event(&event, place.aws_region.as_deref(), &layout, opts) {
                    events.push(*event);
                }
            }
        }
    });
    worker.split_buf = split_buf;
    report.bytes_uncompressed = stats.bytes;
    report.records_seen = stats.records;
    report.events = events.len() as u64;
    if let Some((count, detail)) = malformed {
        report.problem(path, ProblemKind::MalformedRecord, detail);
        report.problems.last_mut().expect("just added").count = count;
    }
    if stats.oversized > 0 {
        report.problem(
            path,
            ProblemKind::RecordTooLarge,
            format!("record(s) over {} bytes skipped", opts.max_record_bytes),
        );
        report.problems.last_mut().expect("just added").count = stats.oversized;
    }
    if let Some(err) = err {
        let kind = match &err {
            SplitError::Io(_) if gzipped => ProblemKind::Decompress,
            SplitError::Io(_) => ProblemKind::Unreadable,
            SplitError::NotJson { .. } => ProblemKind::NotJson,
            SplitError::Malformed { .. } | SplitError::Truncated { .. } => ProblemKind::Truncated,
        };
        report.problem(
            path,
            kind,
            format!("{err} (after {} decompressed bytes)", stats.bytes),
        );
    }
    (events, report)
}

/// Event-level filters: the day always (files hold events from two days); account and region
/// only when the path did not already say (loose files, and the AWS sources, which pass an
/// empty layout).
pub(crate) fn keeps_event(
    event: &AssumeRoleEvent,
    aws_region: Option<&str>,
    layout: &FileLayout,
    opts: &ScanOptions,
) -> bool {
    if opts.since.is_some() || opts.until.is_some() {
        let Some(day) = Day::of_timestamp(&event.event_time) else {
            return false;
        };
        if opts.since.is_some_and(|s| day < s) || opts.until.is_some_and(|u| day > u) {
            return false;
        }
    }
    if layout.account.is_none() && !opts.accounts.is_empty() {
        let recipient = event.recipient_account.as_deref().unwrap_or("");
        if !opts.accounts.iter().any(|a| a == recipient) {
            return false;
        }
    }
    if layout.region.is_none() && !opts.regions.is_empty() {
        let region = aws_region.unwrap_or("");
        if !opts.regions.iter().any(|r| r == region) {
            return false;
        }
    }
    true
}
