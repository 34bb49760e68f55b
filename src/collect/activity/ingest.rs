//! Activity into an inventory, before the rules run. Local CloudTrail files (`rdsiam audit
//! --cloudtrail-dir`, `rdsiam collect --cloudtrail-dir`): scans for AssumeRole into the roles
//! of interest the caller passes in (its DB-connect roles: collecting builds no access
//! analysis) with the [`super::cloudtrail_files`] scanner, merges the events into `activity` (a cross-account
//! call logged in both trails counts once), records which trail accounts and days were read in
//! `activity_scope`, and turns every file that could not be fully read into a coverage
//! [`Gap`] (`cloudtrail:files`) naming the files. Damaged files never stop the audit.
//!
//! The AWS-side sources ([`find_aws_activity`]: Athena once with the caller's credentials,
//! LookupEvents per collected account and region, through [`super::sources`]) are found the
//! same way, after the collection, with its clients ([`AwsActivityClients`]), for the roles
//! the caller names: the audit keeps them beside the inventory, `rdsiam collect` adds them.
//!
//! Owns no rule logic and touches nothing but `activity`, `activity_scope` and `coverage`.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use anyhow::Result;

use super::cloudtrail_files::{FoundFiles, ScanOptions, find_files, opens, scan_found};
use super::cloudtrail_layout::FileLayout;
use super::scan_report::{FileProblem, ProblemKind, ScanReport};
use super::sources::{self, ActivityRequest, SourceOutcome};
use crate::collect::aws::config::Clients;
use crate::inventory::ActivityScope;
use crate::inventory::AssumeRoleEvent;
use crate::inventory::Day;
use crate::inventory::{Gap, Inventory};

/// The `source` of scopes and gaps this module records.
pub const SOURCE: &str = "cloudtrail:files";
/// Files named in one gap's message before "and N more".
const MAX_NAMED_FILES: usize = 10;

/// Where to read and what to keep.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Directories to walk, or single files.
    pub paths: Vec<PathBuf>,
    /// Only events on or after this day (UTC).
    pub since: Option<Day>,
    /// Scan threads (`None`: one per core).
    pub threads: Option<usize>,
}

/// What the ingestion did, for a one-line summary.
#[derive(Debug, Clone, Default)]
pub struct IngestOutcome {
    /// Roles looked for.
    pub roles: usize,
    /// Events found in the files.
    pub events_found: usize,
    /// Events added to the inventory (after removing duplicates).
    pub events_added: usize,
    pub scan: ScanReport,
}

/// Scans the files for AssumeRole into `roles` (the roles of interest, which the caller
/// computes: collecting analyses nothing) and adds the activity, scope and gaps to
/// `inventory`.
pub fn add_cloudtrail_activity(
    inventory: &mut Inventory,
    roles: &[String],
    opts: &IngestOptions,
) -> Result<IngestOutcome> {
    let found = scan_cloudtrail_files(roles, opts)?;
    if roles.is_empty() {
        // Nothing was looked for: the inventory stays as it was.
        return Ok(IngestOutcome::default());
    }
    let scan = found.scan.clone();
    let merged = merge(inventory, found);
    inventory.activity = merged.events;
    inventory.activity_scope = merged.scopes;
    inventory.coverage.extend(merged.gaps);
    Ok(IngestOutcome {
        roles: roles.len(),
        events_found: merged.events_found,
        events_added: merged.events_added,
        scan,
    })
}

/// The inventory's activity joined with what a scan found, the inventory untouched: every
/// event deduplicated in time order, every scope, and the scan's gaps.
#[derive(Debug, Clone, Default)]
pub struct MergedActivity {
    pub events: Vec<AssumeRoleEvent>,
    pub scopes: Vec<ActivityScope>,
    /// The scan's gaps only (the inventory's own stay in its `coverage`).
    pub gaps: Vec<Gap>,
    /// Events the scan found.
    pub events_found: usize,
    /// Events that were not already there (after removing duplicates).
    pub events_added: usize,
}

/// Joins `found` with `inventory`'s own activity (see [`MergedActivity`]).
pub fn merge(inventory: &Inventory, found: FoundActivity) -> MergedActivity {
    merge_onto(&inventory.activity, &inventory.activity_scope, found)
}

/// Joins `found` with activity already gathered (`events`, `scopes`): the inventory's own, or
/// that plus what an earlier source found.
pub fn merge_onto(
    base_events: &[AssumeRoleEvent],
    base_scopes: &[ActivityScope],
    found: FoundActivity,
) -> MergedActivity {
    let before = base_events.len();
    let events_found = found.events.len();
    let mut events = Vec::with_capacity(before + events_found);
    events.extend(base_events.iter().cloned());
    events.extend(found.events);
    let events = deduplicated(events);
    let mut scopes = base_scopes.to_vec();
    scopes.extend(found.scopes);
    MergedActivity {
        events_added: events.len().saturating_sub(before),
        events,
        scopes,
        gaps: found.gaps,
        events_found,
    }
}

/// What a scan of local CloudTrail files found, before it joins an inventory: the events
/// (not yet merged with any already there), the trail accounts and days read, and a gap per
/// kind of damaged file.
#[derive(Debug, Clone, Default)]
pub struct FoundActivity {
    pub events: Vec<AssumeRoleEvent>,
    pub scopes: Vec<ActivityScope>,
    pub gaps: Vec<Gap>,
    pub scan: ScanReport,
}

/// Scans the files for AssumeRole into `roles`; nothing is added anywhere (the audit engine
/// keeps the result beside the inventory its analysis borrows).
pub fn scan_cloudtrail_files(roles: &[String], opts: &IngestOptions) -> Result<FoundActivity> {
    let found = find_files(&opts.paths)?;
    if roles.is_empty() {
        return Ok(FoundActivity::default());
    }
    let mut scan_opts = ScanOptions::new(roles);
    scan_opts.since = opts.since;
    scan_opts.threads = opts.threads;
    let outcome = scan_found(&found, &scan_opts)?;
    Ok(FoundActivity {
        scopes: scopes_read(&found, &scan_opts),
        gaps: gaps(&outcome.report.problems),
        events: outcome.events,
        scan: outcome.report,
    })
}

/// The clients the AWS-side activity sources use, kept from a collection so the sources can
/// run after the caller has decided which roles to look for (`rdsiam audit` builds its one
/// access analysis first).
#[derive(Debug, Clone)]
pub struct AwsActivityClients {
    /// The caller's own (Athena runs once, in the workgroup's account).
    pub caller: Clients,
    /// One per collected account (LookupEvents runs in each).
    pub accounts: Vec<Clients>,
    pub regions: Vec<String>,
    /// Accounts read at once.
    pub concurrency: usize,
}

/// Reads the AWS-side sources of `request` for `roles`, touching no inventory: Athena once
/// with the caller's clients (the workgroup's account) in its region (`--athena-region`, else
/// the first collected region), LookupEvents with each account's clients in every collected
/// region, at most `concurrency` accounts at once. Returns what was found (events sorted and
/// deduplicated, scopes, gaps; no file scan) and one note per source run, for stderr.
pub async fn find_aws_activity(
    roles: &[String],
    clients: &AwsActivityClients,
    request: &ActivityRequest,
) -> (FoundActivity, Vec<String>) {
    let mut found = FoundActivity::default();
    if roles.is_empty() {
        let note = "activity: no IAM role collected, nothing to look for".to_owned();
        return (found, vec![note]);
    }
    let AwsActivityClients {
        caller,
        accounts,
        regions,
        concurrency,
    } = clients;
    let now = sources::now_secs();
    let today = sources::day_of(now);
    let mut outcomes: Vec<SourceOutcome> = Vec::new();
    if let Some(settings) = &request.athena {
        let mut filter = ScanOptions::new(roles);
        // A bounded default: an unpartitioned CloudTrail table is scanned whole otherwise.
        filter.since = Some(
            request
                .since
                .unwrap_or_else(|| sources::day_of(now - sources::LOOKUP_DAYS * 86_400)),
        );
        match settings
            .region
            .as_deref()
            .or(regions.first().map(String::as_str))
        {
            Some(region) => {
                outcomes.push(sources::from_athena(caller, region, settings, &filter, today).await)
            }
            None => found.gaps.push(Gap {
                account: Some(caller.account.clone()),
                region: None,
                source: sources::ATHENA_SOURCE.to_owned(),
                error_code: "NoRegion".to_owned(),
                message: "no region for Athena: pass --athena-region".to_owned(),
                fix_permission: None,
            }),
        }
    }
    if request.lookup_events {
        let mut filter = ScanOptions::new(roles);
        filter.since = request.since;
        // Accounts at once (LookupEvents is rate-limited per account and region), regions of
        // one account one after the other.
        let semaphore = std::sync::Arc::new(tokio::sync::Semaphore::new((*concurrency).max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for clients in accounts {
            let (clients, regions, filter) = (clients.clone(), regions.to_vec(), filter.clone());
            let semaphore = semaphore.clone();
            tasks.spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                sources::from_lookup_events(&clients, &regions, &filter, now).await
            });
        }
        let mut by_account = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(outcome) => by_account.push(outcome),
                Err(err) => found.gaps.push(Gap {
                    account: None,
                    region: None,
                    source: sources::LOOKUP_SOURCE.to_owned(),
                    error_code: "InternalError".to_owned(),
                    message: format!("a LookupEvents task failed: {err}"),
                    fix_permission: None,
                }),
            }
        }
        // Deterministic order of notes and gaps whatever finished first.
        by_account.sort_by(|a, b| a.notes.cmp(&b.notes));
        outcomes.extend(by_account);
    }
    let mut notes = Vec::new();
    for outcome in outcomes {
        found.events.extend(outcome.events);
        found.scopes.extend(outcome.scopes);
        found.gaps.extend(outcome.gaps);
        notes.extend(outcome.notes);
    }
    found.events = deduplicated(found.events);
    (found, notes)
}

/// Per trail account (from the S3 layout of the path), the first and last delivery day of
/// the files the scan opened. Files whose path names no account (loose files) prove nothing
/// about any account and add no scope.
pub fn scopes_read(found: &FoundFiles, opts: &ScanOptions) -> Vec<ActivityScope> {
    let mut spans: BTreeMap<String, (Day, Day)> = BTreeMap::new();
    for path in found.files.iter().filter(|p| opens(p, opts)) {
        let layout = FileLayout::of_path(path);
        let (Some(account), Some(day)) = (layout.account, layout.day) else {
            continue;
        };
        let span = spans.entry(account).or_insert((day, day));
        span.0 = span.0.min(day);
        span.1 = span.1.max(day);
    }
    spans
        .into_iter()
        .map(|(account, (first, last))| ActivityScope {
            account,
            source: SOURCE.to_owned(),
            // Events before --since were dropped even from files delivered later.
            since: opts.since.map_or(first, |s| s.max(first)).to_string(),
            until: last.to_string(),
        })
        .collect()
}

/// One gap per (trail account, kind of problem), naming the files and how often.
pub fn gaps(problems: &[FileProblem]) -> Vec<Gap> {
    let mut grouped: BTreeMap<(Option<String>, ProblemKind), Vec<&FileProblem>> = BTreeMap::new();
    for problem in problems {
        let account = FileLayout::of_path(&problem.path).account;
        grouped
            .entry((account, problem.kind))
            .or_default()
            .push(problem);
    }
    grouped
        .into_iter()
        .map(|((account, kind), problems)| gap(account, kind, &problems))
        .collect()
}

fn gap(account: Option<String>, kind: ProblemKind, problems: &[&FileProblem]) -> Gap {
    let named: Vec<String> = problems
        .iter()
        .take(MAX_NAMED_FILES)
        .map(|p| format!("{} (x{}: {})", p.path.display(), p.count, p.detail))
        .collect();
    let more = problems.len().saturating_sub(MAX_NAMED_FILES);
    let tail = if more > 0 {
        format!("; and {more} more file(s)")
    } else {
        String::new()
    };
    Gap {
        account,
        region: None,
        source: SOURCE.to_owned(),
        error_code: error_code(kind).to_owned(),
        message: format!(
            "{} CloudTrail file(s) could not be fully read ({}); AssumeRole activity in them may be missing: {}{tail}",
            problems.len(),
            describe(kind),
            named.join("; ")
        ),
        fix_permission: (kind == ProblemKind::Unreadable)
            .then(|| "read access to the files (s3:GetObject on the trail bucket)".to_owned()),
    }
}

fn error_code(kind: ProblemKind) -> &'static str {
    match kind {
        ProblemKind::Unreadable => "Unreadable",
        ProblemKind::Decompress => "CorruptGzip",
        ProblemKind::NotJson => "NotJson",
        ProblemKind::Truncated => "TruncatedJson",
        ProblemKind::RecordTooLarge => "RecordTooLarge",
        ProblemKind::MalformedRecord => "MalformedRecord",
    }
}

fn describe(kind: ProblemKind) -> &'static str {
    match kind {
        ProblemKind::Unreadable => "cannot be opened or listed",
        ProblemKind::Decompress => "corrupt or truncated gzip; records before the damage were used",
        ProblemKind::NotJson => "not JSON",
        ProblemKind::Truncated => {
            "JSON cut short or unbalanced; complete records before it were used"
        }
        ProblemKind::RecordTooLarge => "records over the size limit were skipped",
        ProblemKind::MalformedRecord => "AssumeRole-like records that do not parse were skipped",
    }
}

/// Events in time order with duplicates removed: the same event read twice (or already in
/// the snapshot), and a cross-account call logged in both accounts' trails (same
/// `sharedEventID`), where the copy from the role's own account is kept.
pub fn deduplicated(mut events: Vec<AssumeRoleEvent>) -> Vec<AssumeRoleEvent> {
    let identity = |e: &AssumeRoleEvent| {
        (
            e.role_arn.clone(),
            e.shared_event_id
                .clone()
                .unwrap_or_else(|| e.event_id.clone()),
        )
    };
    // The role's own account's copy first, so the dedup below keeps it.
    events.sort_by_key(|e| {
        (
            identity(e),
            !recorded_by_role_account(e),
            e.event_id.clone(),
        )
    });
    let mut seen = HashSet::new();
    events.retain(|e| seen.insert(identity(e)));
    events.sort_by(|a, b| (&a.event_time, &a.event_id).cmp(&(&b.event_time, &b.event_id)));
    events
}

fn recorded_by_role_account(event: &AssumeRoleEvent) -> bool {
    let role_account = event.role_arn.split(':').nth(4).unwrap_or("");
    event.recipient_account.as_deref() == Some(role_account)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, shared: Option<&str>, recipient: &str) -> AssumeRoleEvent {
        AssumeRoleEvent {
            event_time: "2026-11-20T08:55:13Z".into(),
            event_id: id.into(),
            shared_event_id: shared.map(Into::into),
            source_account: Some("111111111111".into()),
            principal_arn: None,
            principal_type: None,
            role_arn: "arn:aws:iam::222222222222:role/pg-monitor-role".into(),
            role_session_name: None,
            source_ip: None,
            user_agent: None,
            error_code: None,
            recipient_account: Some(recipient.into()),
        }
    }

    #[test]
    fn a_cross_account_call_in_both_trails_counts_once_from_the_role_account() {
        let events = vec![
            event("caller-copy", Some("s1"), "111111111111"),
            event("role-copy", Some("s1"), "222222222222"),
            event("other", Some("s2"), "222222222222"),
            event("other", Some("s2"), "222222222222"),
            event("same-account", None, "222222222222"),
        ];
        let ids: Vec<String> = deduplicated(events)
            .into_iter()
            .map(|e| e.event_id)
            .collect();
        assert_eq!(ids, ["other", "role-copy", "same-account"]);
    }

    fn problem(path: &str, kind: ProblemKind) -> FileProblem {
        FileProblem {
            path: path.into(),
            kind,
            count: 1,
            detail: "bad".into(),
        }
    }

    #[test]
    fn problems_become_one_gap_per_account_and_kind_naming_the_files() {
        let a = "AWSLogs/222222222222/CloudTrail/us-east-1/2026/11/01/222222222222_CloudTrail_us-east-1_20261101T0000Z_a.json.gz";
        let b = "AWSLogs/222222222222/CloudTrail/us-east-1/2026/11/02/222222222222_CloudTrail_us-east-1_20261102T0000Z_b.json.gz";
        let gaps = gaps(&[
            problem(a, ProblemKind::Decompress),
            problem(b, ProblemKind::Decompress),
            problem("loose/events.json", ProblemKind::Truncated),
        ]);
        assert_eq!(gaps.len(), 2);
        assert_eq!(gaps[0].account, None);
        assert_eq!(gaps[0].error_code, "TruncatedJson");
        assert_eq!(gaps[1].account.as_deref(), Some("222222222222"));
        assert_eq!(gaps[1].source, "cloudtrail:files");
        assert_eq!(gaps[1].error_code, "CorruptGzip");
        assert!(gaps[1].message.starts_with("2 CloudTrail file(s)"));
        assert!(gaps[1].message.contains(a) && gaps[1].message.contains(b));
    }
}
