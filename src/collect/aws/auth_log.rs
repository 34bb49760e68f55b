//! RDS's own verdict on IAM logins, per target whose `iam-db-auth-error` export is on: the log
//! (`logs:FilterLogEvents` on `/aws/rds/{instance|cluster}/<id>/iam-db-auth-error`) parsed
//! into events, and the seven `IamDbAuthConnection*` metrics (`cloudwatch:GetMetricData`) over
//! the same window.
//!
//! Bounded: at most [`Request::max_events`] events and [`MAX_LOG_PAGES`] pages per target
//! (then `truncated`), [`MAX_METRIC_PAGES`] metric pages. Faults are coverage gaps naming the
//! log group or target; the rest of the collection goes on.
//!
//! Aurora members are skipped: RDS exports an Aurora cluster's log under the cluster.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_smithy_types::DateTime;

use super::config::Clients;
use super::faults::{self, Scope};
use super::operations as ops;
use crate::inventory::auth_log::{
    self, AuthErrorEvent, AuthLog, AuthMetrics, METRIC_NAMES, ParsedLine, parse_line,
};
use crate::inventory::{DbTargetKind, Gap, Region};

/// The default window (`--auth-errors-since`).
pub const DEFAULT_SINCE: Duration = Duration::from_secs(7 * 24 * 3600);
/// FilterLogEvents' largest page.
const LOG_PAGE_LIMIT: i32 = 10_000;
/// Pages per target: FilterLogEvents may return empty pages with a token while it scans.
pub const MAX_LOG_PAGES: usize = 200;
pub const MAX_METRIC_PAGES: usize = 20;
/// Raw unknown lines kept per target (all are counted).
const UNKNOWN_SAMPLES: usize = 5;

/// What to read.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    /// The window ends now and starts this long ago.
    pub since: Duration,
    /// Events kept per target; beyond it the log is marked truncated.
    pub max_events: usize,
}

impl Default for Request {
    fn default() -> Self {
        Request {
            since: DEFAULT_SINCE,
            max_events: 10_000,
        }
    }
}

/// The targets of a region whose `iam-db-auth-error` export is on: standalone instances and
/// clusters (members log under their cluster).
pub fn exporting_targets(region: &Region) -> Vec<(DbTargetKind, String)> {
    let exports = |list: &[String]| list.iter().any(|l| l == auth_log::LOG_TYPE);
    let instances = region
        .db_instances
        .iter()
        .filter(|i| i.cluster_identifier.is_none() && exports(&i.enabled_log_exports))
        .map(|i| (DbTargetKind::Instance, i.identifier.clone()));
    let clusters = region
        .db_clusters
        .iter()
        .filter(|c| exports(&c.enabled_log_exports))
        .map(|c| (DbTargetKind::Cluster, c.identifier.clone()));
    instances.chain(clusters).collect()
}

/// The window `[now - since, now]` in milliseconds since the epoch.
pub fn window(since: Duration, now: SystemTime) -> (i64, i64) {
    let end = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    (end.saturating_sub(since.as_millis() as i64).max(0), end)
}

/// Reads one target. `None` (and a gap) when the log could not be read.
pub async fn collect_target(
    clients: &Clients,
    region: &str,
    target: &(DbTargetKind, String),
    window: (i64, i64),
    request: &Request,
    gaps: &mut Vec<Gap>,
) -> Option<AuthLog> {
    let (kind, identifier) = target;
    let scope = Scope::regional(&clients.account, region);
    let log_group = auth_log::log_group_name(*kind, identifier);
    let mut out = AuthLog {
        account: clients.account.clone(),
        region: region.to_owned(),
        kind: *kind,
        identifier: identifier.clone(),
        log_group: log_group.clone(),
        since: rfc3339_millis(window.0),
        until: rfc3339_millis(window.1),
        events: Vec::new(),
        unknown_lines: 0,
        unknown_samples: Vec::new(),
        truncated: false,
        metrics: None,
    };
    if let Err(gap) = read_log(clients, region, &scope, window, request, &mut out).await {
        gaps.push(gap);
        return None;
    }
    match read_metrics(clients, region, &scope, *kind, identifier, window).await {
        Ok(metrics) => out.metrics = Some(metrics),
        Err(gap) => gaps.push(gap),
    }
    Some(out)
}

/// Reads only the log of one target over `window` (no metrics): what `rdsiam doctor` needs
/// after a refused login. `Err` is the coverage gap (e.g. AccessDenied on FilterLogEvents).
pub async fn read_log_only(
    clients: &Clients,
    region: &str,
    target: &(DbTargetKind, String),
    window: (i64, i64),
    request: &Request,
) -> Result<AuthLog, Gap> {
    let (kind, identifier) = target;
    let scope = Scope::regional(&clients.account, region);
    let mut out = AuthLog {
        account: clients.account.clone(),
        region: region.to_owned(),
        kind: *kind,
        identifier: identifier.clone(),
        log_group: auth_log::log_group_name(*kind, identifier),
        since: rfc3339_millis(window.0),
        until: rfc3339_millis(window.1),
        events: Vec::new(),
        unknown_lines: 0,
        unknown_samples: Vec::new(),
        truncated: false,
        metrics: None,
    };
    read_log(clients, region, &scope, window, request, &mut out).await?;
    Ok(out)
}

async fn read_log(
    clients: &Clients,
    region: &str,
    scope: &Scope,
    (start, end): (i64, i64),
    request: &Request,
    out: &mut AuthLog,
) -> Result<(), Gap> {
    let client = clients.logs(region);
    let mut token: Option<String> = None;
    for _ in 0..MAX_LOG_PAGES {
        let page = client
            .filter_log_events()
            .log_group_name(&out.log_group)
            .start_time(start)
            .end_time(end)
            .limit(LOG_PAGE_LIMIT)
            .set_next_token(token.take())
            .send()
            .await;
        let page = match page {
            Ok(page) => page,
            Err(err) => {
                // RDS creates the group with the first line it exports: an export that never
                // refused anyone has no group yet. That is "no refusals", not a gap.
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception())
                {
                    return Ok(());
                }
                let mut gap = faults::gap(scope, ops::FILTER_LOG_EVENTS, &err);
                gap.message = format!("{}: {}", out.log_group, gap.message);
                return Err(gap);
            }
        };
        for event in page.events() {
            let Some(line) = event.message() else {
                continue;
            };
            add_line(
                out,
                event.timestamp().unwrap_or(0),
                line,
                request.max_events,
            );
        }
        match page.next_token() {
            Some(next) if !out.truncated && !next.is_empty() => token = Some(next.to_owned()),
            _ => {
                out.events.sort_by(|a, b| a.time.cmp(&b.time));
                return Ok(());
            }
        }
    }
    out.truncated = true;
    out.events.sort_by(|a, b| a.time.cmp(&b.time));
    Ok(())
}

/// Parses one exported line into `out` (an event, or an unknown line counted and sampled).
pub fn add_line(out: &mut AuthLog, timestamp_ms: i64, line: &str, max_events: usize) {
    match parse_line(line) {
        ParsedLine::Event(parsed) => {
            if out.events.len() >= max_events {
                out.truncated = true;
                return;
            }
            out.events.push(AuthErrorEvent {
                time: rfc3339_millis(timestamp_ms),
                db_user: parsed.db_user.map(str::to_owned),
                code: parsed.code.to_owned(),
                status_code: parsed.status_code,
                caller_arn: parsed.caller_arn.map(str::to_owned),
                raw: line.trim_end().to_owned(),
            });
        }
        ParsedLine::Unknown => {
            out.unknown_lines += 1;
            if out.unknown_samples.len() < UNKNOWN_SAMPLES {
                out.unknown_samples.push(line.trim_end().to_owned());
            }
        }
        ParsedLine::Blank => {}
    }
}

/// The metric period CloudWatch accepts for a window starting `start` ms ago: one-minute data
/// is kept 15 days, five-minute data 63 days.
fn period_for(start: i64, now: i64) -> i32 {
    let age_days = (now - start) / (24 * 3600 * 1000);
    match age_days {
        ..15 => 60,
        15..63 => 300,
        _ => 3600,
    }
}

async fn read_metrics(
    clients: &Clients,
    region: &str,
    scope: &Scope,
    kind: DbTargetKind,
    identifier: &str,
    (start, end): (i64, i64),
) -> Result<AuthMetrics, Gap> {
    let client = clients.cloudwatch(region);
    let period = period_for(start, end);
    let dimension = Dimension::builder()
        .name(match kind {
            DbTargetKind::Instance => "DBInstanceIdentifier",
            DbTargetKind::Cluster => "DBClusterIdentifier",
        })
        .value(identifier)
        .build();
    let queries: Vec<MetricDataQuery> = METRIC_NAMES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let metric = Metric::builder()
                .namespace("AWS/RDS")
                .metric_name(*name)
                .dimensions(dimension.clone())
                .build();
            let stat = MetricStat::builder()
                .metric(metric)
                .period(period)
                .stat("Sum")
                .build();
            MetricDataQuery::builder()
                .id(format!("m{i}"))
                .metric_stat(stat)
                .return_data(true)
                .build()
        })
        .collect();
    let mut metrics = AuthMetrics {
        period_seconds: period as u32,
        ..AuthMetrics::default()
    };
    let mut peak: f64 = 0.0;
    let mut token: Option<String> = None;
    for _ in 0..MAX_METRIC_PAGES {
        let page = client
            .get_metric_data()
            .set_metric_data_queries(Some(queries.clone()))
            .start_time(DateTime::from_millis(start))
            .end_time(DateTime::from_millis(end))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|err| {
                let mut gap = faults::gap(scope, ops::GET_METRIC_DATA, &err);
                gap.message = format!("AWS/RDS IamDbAuth* of {identifier}: {}", gap.message);
                gap
            })?;
        for result in page.metric_data_results() {
            let Some(index) = result
                .id()
                .and_then(|id| id.strip_prefix('m'))
                .and_then(|n| n.parse::<usize>().ok())
            else {
                continue;
            };
            let values = result.values();
            if let Some(sum) = metrics.sum_mut(index) {
                *sum += values.iter().sum::<f64>();
            }
            if index == 0 {
                peak = values.iter().copied().fold(peak, f64::max);
            }
        }
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => break,
        }
    }
    metrics.peak_requests_per_second = peak / f64::from(period);
    Ok(metrics)
}

fn rfc3339_millis(ms: i64) -> String {
    let time = UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_millis(time).to_string()
}
