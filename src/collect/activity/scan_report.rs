//! What a CloudTrail file scan did and what it could not read: counts for the whole scan and
//! one problem entry per (file, kind), so the caller can turn them into coverage gaps.

use std::path::PathBuf;

use serde::Serialize;

/// Why (part of) a file could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The file could not be opened or read from disk.
    Unreadable,
    /// The gzip stream is corrupt or truncated; records before the damage were used.
    Decompress,
    /// The content is not a JSON document.
    NotJson,
    /// The JSON document is cut short or unbalanced; complete records before it were used.
    Truncated,
    /// A record larger than the per-record limit, skipped.
    RecordTooLarge,
    /// A record that looked relevant but is not valid JSON or lacks eventTime/eventID.
    MalformedRecord,
}

/// One kind of problem in one file (`count` times; `detail` describes the first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileProblem {
    pub path: PathBuf,
    pub kind: ProblemKind,
    pub count: u64,
    pub detail: String,
}

/// Counts for one scan. `bytes_*` cover the files read (not the skipped ones).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanReport {
    /// `.json` / `.json.gz` files found under the given paths.
    pub files_found: u64,
    /// Files opened and read (fully or up to a problem).
    pub files_read: u64,
    /// Files skipped by `--since/--until/--account/--region` (or digest files) without opening.
    pub files_skipped: u64,
    pub bytes_compressed: u64,
    pub bytes_uncompressed: u64,
    pub records_seen: u64,
    /// Records that passed the byte pre-filter and were parsed.
    pub candidates: u64,
    /// AssumeRole events into the roles that passed every filter.
    pub events: u64,
    /// Per-file problems, ordered by path then kind.
    pub problems: Vec<FileProblem>,
}

impl ScanReport {
    /// Distinct files with at least one problem, in path order.
    pub fn problem_files(&self) -> Vec<&PathBuf> {
        let mut files: Vec<&PathBuf> = self.problems.iter().map(|p| &p.path).collect();
        files.dedup();
        files
    }

    pub(crate) fn add(&mut self, other: ScanReport) {
        self.files_found += other.files_found;
        self.files_read += other.files_read;
        self.files_skipped += other.files_skipped;
        self.bytes_compressed += other.bytes_compressed;
        self.bytes_uncompressed += other.bytes_uncompressed;
        self.records_seen += other.records_seen;
        self.candidates += other.candidates;
        self.events += other.events;
        self.problems.extend(other.problems);
    }

    /// Records a problem, merging repeats of the same kind in the same file.
    pub(crate) fn problem(&mut self, path: &std::path::Path, kind: ProblemKind, detail: String) {
        if let Some(p) = self
            .problems
            .iter_mut()
            .find(|p| p.kind == kind && p.path == path)
        {
            p.count += 1;
        } else {
            self.problems.push(FileProblem {
                path: path.to_owned(),
                kind,
                count: 1,
                detail,
            });
        }
    }
}
