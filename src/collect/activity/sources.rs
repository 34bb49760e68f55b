//! The AWS-side activity sources behind one interface: Athena over a CloudTrail table and
//! CloudTrail LookupEvents (local files are [`super::cloudtrail_files`]). Each gives the same
//! [`AssumeRoleEvent`]s, filtered by the same [`ScanOptions`] as the local scan (roles, days,
//! trail accounts, regions), plus what it covered ([`ActivityScope`]) and what it could not
//! read (coverage [`Gap`]s naming the region, API and permission). Failures never panic and
//! never stop the other sources.
//!
//! Owns the LookupEvents window (the 90-day limit) and the Athena scope; the AWS calls are in
//! `crate::collect::aws::{athena, cloudtrail}`, the SQL in [`super::athena`].

use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

use super::athena::rows::map_rows;
use super::athena::sql::{Identifier, Partitions, QuerySpec, assume_role_query};
use super::cloudtrail_files::{ScanOptions, keeps_event};
use super::cloudtrail_layout::FileLayout;
use super::cloudtrail_record::{RecordPlace, RoleMatcher};
use crate::collect::aws::athena::{self as athena_api, Polling, Query};
use crate::collect::aws::cloudtrail as cloudtrail_api;
use crate::collect::aws::config::Clients;
use crate::collect::aws::faults::{self, Scope};
use crate::collect::aws::operations;
use crate::inventory::ActivityScope;
use crate::inventory::AssumeRoleEvent;
use crate::inventory::Day;
use crate::inventory::Gap;
use crate::policy::condition::days_from_civil;

/// The `source` of Athena scopes.
pub const ATHENA_SOURCE: &str = "cloudtrail:athena";
/// The `source` of LookupEvents scopes.
pub const LOOKUP_SOURCE: &str = "cloudtrail:lookup-events";
/// How far back LookupEvents can see.
pub const LOOKUP_DAYS: i64 = 90;

/// Where the CloudTrail table is and how to query it.
#[derive(Debug, Clone)]
pub struct AthenaSettings {
    pub database: Identifier,
    pub table: Identifier,
    pub workgroup: Option<String>,
    /// `s3://...` (validated by the CLI); `None`: the workgroup's.
    pub output: Option<String>,
    /// Region of the Athena workgroup; `None`: the configured region.
    pub region: Option<String>,
    pub partitions: Partitions,
    pub polling: Polling,
}

/// The AWS-side sources read with a collection's clients after the IAM/RDS facts, for the
/// roles the caller names (`collect`, live `audit`; `crate::collect::aws::find_activity`).
#[derive(Debug, Clone, Default)]
pub struct ActivityRequest {
    pub athena: Option<AthenaSettings>,
    pub lookup_events: bool,
    /// `--activity-since`; Athena defaults to [`LOOKUP_DAYS`] ago, LookupEvents reads all it
    /// keeps.
    pub since: Option<Day>,
}

/// Events, scopes and gaps of one source run.
#[derive(Debug, Default)]
pub struct SourceOutcome {
    /// Sorted by time, then event id.
    pub events: Vec<AssumeRoleEvent>,
    pub scopes: Vec<ActivityScope>,
    pub gaps: Vec<Gap>,
    /// One line of what was done, for stderr and the `activity` summary.
    pub notes: Vec<String>,
}

/// The events of an AWS-side source that pass `filter`'s window and region checks, as the
/// local files' do (an API answer has no file layout: only the record's own region counts).
fn kept_events(
    events: Vec<(AssumeRoleEvent, RecordPlace)>,
    filter: &ScanOptions,
) -> Vec<AssumeRoleEvent> {
    events
        .into_iter()
        .filter(|(e, place)| {
            keeps_event(
                e,
                place.aws_region.as_deref(),
                &FileLayout::default(),
                filter,
            )
        })
        .map(|(e, _)| e)
        .collect()
}

/// The SQL rdsiam sends for `settings` and `filter` (also what `rdsiam activity --print-sql` prints).
pub fn athena_sql(settings: &AthenaSettings, filter: &ScanOptions) -> anyhow::Result<String> {
    assume_role_query(&QuerySpec {
        database: &settings.database,
        table: &settings.table,
        partitions: &settings.partitions,
        roles: &filter.roles,
        since: filter.since,
        until: filter.until,
        accounts: &filter.accounts,
        regions: &filter.regions,
    })
}

/// Runs the Athena query with `clients` (the account that owns the workgroup) in `region`.
pub async fn from_athena(
    clients: &Clients,
    region: &str,
    settings: &AthenaSettings,
    filter: &ScanOptions,
    today: Day,
) -> SourceOutcome {
    let mut out = SourceOutcome::default();
    let scope = Scope::regional(&clients.account, region);
    let sql = match athena_sql(settings, filter) {
        Ok(sql) => sql,
        Err(err) => {
            out.gaps.push(faults::other(
                &scope,
                operations::START_QUERY_EXECUTION,
                "InvalidQuery",
                err.to_string(),
            ));
            return out;
        }
    };
    let query = Query {
        sql,
        database: settings.database.as_str().to_owned(),
        workgroup: settings.workgroup.clone(),
        output: settings.output.clone(),
        polling: settings.polling,
    };
    let (id, rows) = match athena_api::run(clients, region, &query).await {
        Ok(done) => done,
        Err(gap) => {
            out.notes.push(format!(
                "Athena ({region}): query failed: {} — {}",
                gap.error_code, gap.message
            ));
            out.gaps.push(gap);
            return out;
        }
    };
    let matcher = RoleMatcher::new(&filter.roles);
    let mapped = map_rows(&rows, &matcher);
    out.events = kept_events(mapped.events, filter);
    out.gaps.extend(malformed_row_gaps(
        &clients.account,
        region,
        &id,
        &mapped.malformed,
    ));
    sort(&mut out.events);
    out.scopes = athena_scopes(filter, today);
    out.notes.push(format!(
        "Athena ({region}): query {id} over {}.{} returned {} row(s), {} event(s)",
        settings.database.as_str(),
        settings.table.as_str(),
        rows.len(),
        out.events.len()
    ));
    out
}

/// One gap per trail account (the row's `recipientaccountid`; the querying account when the
/// row has none) for rows that could not be used, with source [`ATHENA_SOURCE`]: like a
/// damaged file, it makes the activity rules say "not evaluated" for that trail.
fn malformed_row_gaps(
    caller: &str,
    region: &str,
    id: &str,
    malformed: &[(Option<String>, String)],
) -> Vec<Gap> {
    let mut by_account: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (account, why) in malformed {
        by_account
            .entry(account.as_deref().unwrap_or(caller))
            .or_default()
            .push(why);
    }
    by_account
        .into_iter()
        .map(|(account, whys)| Gap {
            account: Some(account.to_owned()),
            region: Some(region.to_owned()),
            source: ATHENA_SOURCE.to_owned(),
            error_code: "MalformedRecord".to_owned(),
            message: format!(
                "Athena query {id}: {} row(s) could not be used; AssumeRole activity in them may be missing: {}",
                whys.len(),
                whys.iter().take(10).copied().collect::<Vec<_>>().join("; ")
            ),
            fix_permission: None,
        })
        .collect()
}

/// What an Athena query covers: the trail of every account that owns a queried role (an
/// AssumeRole is recorded in the role's own account), restricted to `--account` when given,
/// from `--since` to `--until` (or today). Without `--since` the start is unknown: no scope,
/// so rules that judge absence say "not evaluated" rather than guess.
pub fn athena_scopes(filter: &ScanOptions, today: Day) -> Vec<ActivityScope> {
    let Some(since) = filter.since else {
        return Vec::new();
    };
    let until = filter.until.unwrap_or(today).min(today);
    let accounts: BTreeSet<&str> = filter
        .roles
        .iter()
        .filter_map(|r| r.split(':').nth(4))
        .filter(|a| filter.accounts.is_empty() || filter.accounts.iter().any(|x| x == a))
        .collect();
    accounts
        .into_iter()
        .map(|account| ActivityScope {
            account: account.to_owned(),
            source: ATHENA_SOURCE.to_owned(),
            since: since.to_string(),
            until: until.to_string(),
        })
        .collect()
}

/// The time window one LookupEvents run reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupWindow {
    /// StartTime, seconds since the epoch: max(since, now − 90 days).
    pub start: i64,
    /// EndTime: the end of `until`, or now.
    pub end: i64,
    /// First whole day read.
    pub first_day: Day,
    /// Last day read.
    pub last_day: Day,
    /// Set when `since` was before what LookupEvents keeps: the first day that was read.
    pub clamped_to: Option<Day>,
}

/// The window for `since..=until` at `now` (seconds since the epoch).
pub fn lookup_window(since: Option<Day>, until: Option<Day>, now: i64) -> LookupWindow {
    let limit = now - LOOKUP_DAYS * 86_400;
    let wanted_start = since.map(day_start).unwrap_or(limit);
    let start = wanted_start.max(limit);
    let end = until.map(|u| day_start(u.next())).unwrap_or(now).min(now);
    // A start inside a day reads that day only in part: the first whole day is the next.
    let first_day = if start % 86_400 == 0 {
        day_of(start)
    } else {
        day_of(start).next()
    };
    let clamped_to = since.filter(|s| day_start(*s) < limit).map(|_| first_day);
    LookupWindow {
        start,
        end,
        first_day,
        last_day: day_of(end - 1),
        clamped_to,
    }
}

/// LookupEvents in every region of `regions` with the account's `clients`.
pub async fn from_lookup_events(
    clients: &Clients,
    regions: &[String],
    filter: &ScanOptions,
    now: i64,
) -> SourceOutcome {
    lookup_events_with(&clients.account, regions, filter, now, |region| {
        clients.cloudtrail(region)
    })
    .await
}

/// [`from_lookup_events`] with the client for each region made by `client_for` (the tests
/// pass the SDK's own mocks: moto does not implement LookupEvents).
pub async fn lookup_events_with(
    account: &str,
    regions: &[String],
    filter: &ScanOptions,
    now: i64,
    client_for: impl Fn(&str) -> aws_sdk_cloudtrail::Client,
) -> SourceOutcome {
    let mut out = SourceOutcome::default();
    let window = lookup_window(filter.since, filter.until, now);
    let matcher = RoleMatcher::new(&filter.roles);
    if let Some(first) = window.clamped_to {
        let wanted = filter.since.map(|d| d.to_string()).unwrap_or_default();
        // No `account`: the scope below already starts at `first`, which is what the
        // activity rules judge by; an account gap would also void windows that were read.
        out.gaps.push(Gap {
            account: None,
            region: None,
            source: operations::LOOKUP_EVENTS.action(),
            error_code: "WindowBeyond90Days".to_owned(),
            message: format!(
                "account {account}: --since {wanted} is before what LookupEvents keeps ({LOOKUP_DAYS} days): AssumeRole activity before {first} was not read (use --cloudtrail-dir or --athena-table for older events)"
            ),
            fix_permission: None,
        });
    }
    let mut any_region_read = false;
    for region in regions {
        let scope = Scope::regional(account, region);
        let lookup = cloudtrail_api::lookup_with_client(
            &client_for(region),
            &scope,
            window.start,
            window.end,
            &matcher,
        )
        .await;
        let failed = lookup
            .gaps
            .iter()
            .any(|g| g.error_code != "MalformedRecord");
        any_region_read |= !failed;
        let kept = kept_events(lookup.events, filter);
        out.notes.push(format!(
            "LookupEvents ({account}, {region}): {} page(s), {} AssumeRole event(s), {} into the roles{}",
            lookup.pages,
            lookup.events_seen,
            kept.len(),
            if failed {
                " (failed; see coverage)"
            } else {
                ""
            }
        ));
        out.events.extend(kept);
        out.gaps.extend(lookup.gaps);
    }
    if let Some(first) = window.clamped_to {
        out.notes.push(format!(
            "LookupEvents keeps {LOOKUP_DAYS} days: the requested window was cut to start on {first}"
        ));
    }
    if any_region_read && window.first_day <= window.last_day {
        out.scopes.push(ActivityScope {
            account: account.to_owned(),
            source: LOOKUP_SOURCE.to_owned(),
            since: window.first_day.to_string(),
            until: window.last_day.to_string(),
        });
    }
    sort(&mut out.events);
    out
}

fn sort(events: &mut [AssumeRoleEvent]) {
    events.sort_by(|a, b| (&a.event_time, &a.event_id).cmp(&(&b.event_time, &b.event_id)));
}

/// Seconds since the epoch now.
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The day (UTC) `secs` falls on.
pub fn day_of(secs: i64) -> Day {
    let time = UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64);
    let text = humantime::format_rfc3339_seconds(time).to_string();
    Day::of_timestamp(&text).unwrap_or(Day {
        year: 1970,
        month: 1,
        day: 1,
    })
}

/// Midnight (UTC) at the start of `day`, in seconds since the epoch.
pub fn day_start(day: Day) -> i64 {
    days_from_civil(
        i64::from(day.year),
        i64::from(day.month),
        i64::from(day.day),
    ) * 86_400
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Day {
        Day::parse(text).unwrap()
    }

    // 2026-11-21T12:00:00Z
    const NOW: i64 = 1_795_262_400;

    #[test]
    fn day_arithmetic_round_trips() {
        assert_eq!(day_of(NOW), day("2026-11-21"));
        assert_eq!(day_start(day("2026-11-21")), NOW - 12 * 3600);
        assert_eq!(day_of(day_start(day("2024-02-29"))), day("2024-02-29"));
    }

    #[test]
    fn a_window_older_than_90_days_is_clamped_and_says_so() {
        let w = lookup_window(Some(day("2026-01-01")), None, NOW);
        assert_eq!(w.start, NOW - 90 * 86_400);
        assert_eq!(w.end, NOW);
        // The limit falls at noon on 2026-08-23: that day is read only in part.
        assert_eq!(w.first_day, day("2026-08-24"));
        assert_eq!(w.clamped_to, Some(day("2026-08-24")));
        assert_eq!(w.last_day, day("2026-11-21"));
    }

    #[test]
    fn a_recent_window_is_kept_whole() {
        let w = lookup_window(Some(day("2026-11-01")), Some(day("2026-11-10")), NOW);
        assert_eq!(w.start, day_start(day("2026-11-01")));
        assert_eq!(w.end, day_start(day("2026-11-11")));
        assert_eq!(
            (w.first_day, w.last_day),
            (day("2026-11-01"), day("2026-11-10"))
        );
        assert_eq!(w.clamped_to, None);
        // No --since: the last 90 days, not a clamp.
        assert_eq!(lookup_window(None, None, NOW).clamped_to, None);
    }

    #[test]
    fn athena_scope_is_the_role_accounts_from_since() {
        let mut filter = ScanOptions::new(&[
            "arn:aws:iam::222222222222:role/a",
            "arn:aws:iam::333333333333:role/b",
            "arn:aws:iam::222222222222:role/c",
        ]);
        assert!(athena_scopes(&filter, day("2026-11-21")).is_empty());
        filter.since = Some(day("2026-09-01"));
        filter.accounts = vec!["222222222222".into()];
        let scopes = athena_scopes(&filter, day("2026-11-21"));
        assert_eq!(scopes.len(), 1);
        assert_eq!(
            (
                scopes[0].account.as_str(),
                scopes[0].since.as_str(),
                scopes[0].until.as_str()
            ),
            ("222222222222", "2026-09-01", "2026-11-21")
        );
    }
}
