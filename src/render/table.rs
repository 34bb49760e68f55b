//! Human output: one table per severity (highest first), a summary line, then coverage gaps.
//! Laid out for a 100-column terminal; full ARNs are in the JSON and SARIF outputs.

use std::fmt::Write as _;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width};

use super::short_name;
use crate::report::{Finding, Report, Severity};

pub const WIDTH: u16 = 100;

pub fn render(report: &Report) -> String {
    render_with(report, false)
}

/// [`render`] listing the findings covered by an exception too (`--show-excepted`).
pub fn render_with_excepted(report: &Report) -> String {
    render_with(report, true)
}

fn render_with(report: &Report, show_excepted: bool) -> String {
    let mut out = String::new();
    let scope = &report.scope;
    let _ = writeln!(
        out,
        "rdsiam audit of {}\ncollected {}: {} account(s), {} region(s), {} database(s)\n",
        scope.snapshot.as_deref().unwrap_or("live inventory"),
        scope.collected_at,
        scope.accounts.len(),
        scope.regions.len(),
        scope.databases,
    );
    // Issue #14's lines: baseline diff, what shaped the report, excepted findings.
    let _ = writeln!(out, "{}", super::shaping::header_lines(report));
    for severity in Severity::DESCENDING {
        let group: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.severity == severity && (show_excepted || !f.excepted()))
            .collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "{} ({})",
            severity.as_str().to_uppercase(),
            group.len()
        );
        let _ = writeln!(out, "{}\n", findings_table(&group));
    }
    let _ = writeln!(out, "{}", summary_line(report));
    if !report.coverage.is_empty() {
        let _ = writeln!(
            out,
            "\nCoverage gaps ({}): rules needing these facts were not evaluated",
            report.coverage.len()
        );
        for gap in &report.coverage {
            let place = [gap.account.as_deref(), gap.region.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            let needs = gap
                .fix_permission
                .as_deref()
                .map(|p| format!(" (needs {p})"))
                .unwrap_or_default();
            let line = format!(
                "- {place} {}: {} {}{needs}",
                gap.source, gap.error_code, gap.message
            );
            let _ = writeln!(out, "{}", wrap(&line, usize::from(WIDTH), "    "));
        }
    }
    if !report.not_evaluated.is_empty() {
        let _ = writeln!(out, "\nNot evaluated ({}):", report.not_evaluated.len());
        for skipped in &report.not_evaluated {
            let place = [skipped.account.as_deref(), skipped.region.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            let line = format!("- {} {place}: {}", skipped.rule, skipped.reason);
            let _ = writeln!(out, "{}", wrap(&line, usize::from(WIDTH), "    "));
        }
    }
    if !report.access.is_empty() {
        let _ = writeln!(
            out,
            "\nAccess matrix: {} entries (see --format json)",
            report.access.len()
        );
    }
    out
}

fn findings_table(findings: &[&Finding]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(WIDTH)
        .set_header(["Rule", "Resource", "Finding and fix"]);
    for finding in findings {
        table.add_row([
            finding.rule.clone(),
            resource_cell(finding),
            finding_cell(finding),
        ]);
    }
    // Rule ids are identifiers: never break them across lines (content + 1 padding each side).
    let id_width = findings.iter().map(|f| f.rule.len()).max().unwrap_or(4) + 2;
    if let Some(column) = table.column_mut(0) {
        column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(
            u16::try_from(id_width).unwrap_or(u16::MAX),
        )));
    }
    table
}

fn resource_cell(finding: &Finding) -> String {
    let r = &finding.resource;
    let mut cell = format!("{} {}", r.kind.as_str(), short_name(&r.arn));
    let place: Vec<&str> = [r.account.as_deref(), r.region.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !place.is_empty() {
        let _ = write!(cell, "\n{}", place.join(" "));
    }
    if let Some(user) = &r.db_user {
        let _ = write!(cell, "\ndb user {user:?}");
    }
    cell
}

fn finding_cell(finding: &Finding) -> String {
    let mut cell = finding.message.clone();
    if let Some(e) = &finding.exception {
        let _ = write!(
            cell,
            "\nexcepted until {} ({}): {}",
            e.expires, e.owner, e.reason
        );
    }
    if !finding.fix.summary.is_empty() {
        let _ = write!(cell, "\nfix: {}", finding.fix.summary);
    }
    cell
}

/// Word-wraps `text` to `width` columns, continuation lines indented by `indent`.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line_len = 0;
    for word in text.split(' ') {
        let len = word.chars().count();
        if line_len > 0 && line_len + 1 + len > width {
            out.push('\n');
            out.push_str(indent);
            line_len = indent.len();
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += len;
    }
    out
}

pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    if s.total == 0 {
        return "No findings.".to_owned();
    }
    let parts: Vec<String> = Severity::DESCENDING
        .into_iter()
        .filter(|sev| s.count(*sev) > 0)
        .map(|sev| format!("{} {sev}", s.count(sev)))
        .collect();
    format!("{} finding(s): {}", s.total, parts.join(", "))
}
