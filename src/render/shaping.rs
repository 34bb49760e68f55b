//! The table's header lines about what shaped the report (kept apart from the table layout
//! so any table view can call them): the baseline diff, the one "shaped by" line
//! (evaluation time, configuration, overrides, exceptions, scope, baseline) and the summary
//! of excepted findings.

use crate::report::{ExceptionState, Report, TimeSource};

/// The header lines: the baseline diff when there is one, the "shaped by" line (always: it
/// says the evaluation time), the excepted findings when there are some. Each line is one
/// paragraph; the caller wraps it to its width.
pub fn header_lines(report: &Report) -> Vec<String> {
    diff_line(report)
        .into_iter()
        .chain([shaped_line(report)])
        .chain(excepted_line(report))
        .collect()
}

/// `3 new, 2 resolved, 40 unchanged since 2026-11-13T09:00:00Z (last-week.json)`.
pub fn diff_line(report: &Report) -> Option<String> {
    let baseline = report.shaped_by.baseline.as_ref()?;
    let s = &report.summary;
    Some(format!(
        "{} new, {} resolved, {} unchanged since {} ({})",
        s.new.unwrap_or(0),
        s.resolved.unwrap_or(0),
        s.unchanged.unwrap_or(0),
        baseline.generated_at,
        baseline.path
    ))
}

/// `evaluated as of 2026-11-20T09:00:00Z (snapshot collected_at); config rdsiam.toml
/// (sha256 1a2b3c4d…); 2 rule override(s); 3 exception(s): 1 applied, 1 expired, 1 unused`.
pub fn shaped_line(report: &Report) -> String {
    let shaped = &report.shaped_by;
    let mut parts = vec![format!(
        "evaluated as of {} ({})",
        report.evaluated_at,
        match shaped.evaluated_at_source {
            TimeSource::Snapshot => "snapshot collected_at",
            TimeSource::Collection => "collection time",
            TimeSource::At => "--at",
        }
    )];
    match &shaped.config {
        Some(config) => parts.push(format!(
            "config {} (sha256 {}…)",
            config.path,
            &config.sha256[..config.sha256.len().min(12)]
        )),
        None => parts.push("no config file".to_owned()),
    }
    if !shaped.rule_overrides.is_empty() {
        let names: Vec<&str> = shaped
            .rule_overrides
            .iter()
            .map(|o| o.rule.as_str())
            .collect();
        parts.push(format!("rule overrides: {}", names.join(", ")));
    }
    if !shaped.scope_filters.is_empty() {
        parts.push(format!("scope: {}", shaped.scope_filters.join("; ")));
    }
    if !shaped.exceptions.is_empty() {
        let count = |state| {
            shaped
                .exceptions
                .iter()
                .filter(|o| o.state == state)
                .count()
        };
        parts.push(format!(
            "{} exception(s): {} applied, {} expired, {} unused",
            shaped.exceptions.len(),
            count(ExceptionState::Applied),
            count(ExceptionState::Expired),
            count(ExceptionState::Unused)
        ));
    }
    format!("{}.", parts.join("; "))
}

/// `5 finding(s) excepted (accepted risks, not counted; --show-excepted lists them): 3 by
/// payments-dba@example.com until 2027-03-31, ...`.
pub fn excepted_line(report: &Report) -> Option<String> {
    let excepted = report.summary.excepted;
    if excepted == 0 {
        return None;
    }
    let owners: Vec<String> = report
        .shaped_by
        .exceptions
        .iter()
        .filter(|o| o.matched > 0)
        .map(|o| {
            format!(
                "{} by {} until {}",
                o.matched, o.exception.owner, o.exception.expires
            )
        })
        .collect();
    Some(format!(
        "{excepted} finding(s) excepted (accepted risks, not counted; --show-excepted lists them): {}",
        owners.join(", ")
    ))
}
