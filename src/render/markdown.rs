//! GitHub-flavoured Markdown for tickets, pull requests and wikis: scope, a summary by
//! severity and by rule, one findings table per severity, each finding's evidence and fix
//! (commands in fenced blocks) in a `<details>` block, coverage gaps and rules not evaluated.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::names::short_name;
use crate::report::{Finding, Report, Severity};

/// Text safe inside a GFM table cell: pipes escaped, line breaks as `<br>`, HTML inert.
fn cell(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('\n', "<br>")
}

/// A code span in a table cell (pipes still need escaping there in GFM).
fn code(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let fence = if text.contains('`') { "`` " } else { "`" };
    let close = if text.contains('`') { " ``" } else { "`" };
    format!(
        "{fence}{}{close}",
        text.replace('|', "\\|").replace('\n', " ")
    )
}

/// A fenced block long enough not to be closed by backticks in `text`.
fn fenced(lang: &str, text: &str) -> String {
    let mut fence = "```".to_owned();
    while text.contains(fence.as_str()) {
        fence.push('`');
    }
    format!("{fence}{lang}\n{}\n{fence}\n", text.trim_end())
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let scope = &report.scope;
    let _ = writeln!(out, "# rdsiam audit\n");
    let _ = writeln!(
        out,
        "**Scope:** {} · collected {} · {} account(s), {} region(s), {} database(s){}  ",
        cell(scope.snapshot.as_deref().unwrap_or("live inventory")),
        scope.collected_at,
        scope.accounts.len(),
        scope.regions.len(),
        scope.databases,
        scope
            .organization_id
            .as_deref()
            .map(|o| format!(" · organization {o}"))
            .unwrap_or_default(),
    );
    let _ = writeln!(
        out,
        "**Generated:** {} by rdsiam {}\n",
        report.generated_at, report.tool_version
    );
    let _ = writeln!(out, "**{}**\n", super::table::summary_line(report));
    if !report.coverage.is_empty() || !report.not_evaluated.is_empty() {
        let _ = writeln!(
            out,
            "> [!WARNING]\n> {} coverage gap(s) and {} rule evaluation(s) skipped: \"no finding\" there is not \"checked and fine\" (see [Coverage](#coverage)).\n",
            report.coverage.len(),
            report.not_evaluated.len()
        );
    }
    summary_by_rule(report, &mut out);
    for severity in Severity::DESCENDING {
        let group: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .collect();
        if !group.is_empty() {
            severity_section(severity, &group, &mut out);
        }
    }
    coverage(report, &mut out);
    out
}

fn summary_by_rule(report: &Report, out: &mut String) {
    if report.findings.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Summary by rule\n");
    let _ = writeln!(out, "| Severity | Rule | Count | Example |");
    let _ = writeln!(out, "|---|---|---:|---|");
    for group in report
        .findings
        .chunk_by(|a, b| a.rule == b.rule && a.severity == b.severity)
    {
        let first = &group[0];
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            first.severity,
            code(&first.rule),
            group.len(),
            code(&first.resource.arn)
        );
    }
    out.push('\n');
}

fn severity_section(severity: Severity, group: &[&Finding], out: &mut String) {
    let mut title = severity.as_str().to_owned();
    title[..1].make_ascii_uppercase();
    let _ = writeln!(out, "## {title} ({})\n", group.len());
    let _ = writeln!(out, "| Rule | Resource | DB user | Finding |");
    let _ = writeln!(out, "|---|---|---|---|");
    for f in group {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            code(&f.rule),
            code(&f.resource.arn),
            f.resource.db_user.as_deref().map(code).unwrap_or_default(),
            cell(&f.message)
        );
    }
    out.push('\n');
    for f in group {
        details(f, out);
    }
}

fn details(f: &Finding, out: &mut String) {
    let _ = writeln!(
        out,
        "<details><summary><code>{}</code> on <code>{}</code>{}: evidence and fix</summary>\n",
        cell(&f.rule),
        cell(short_name(&f.resource.arn)),
        f.resource
            .db_user
            .as_deref()
            .map(|u| format!(" as <code>{}</code>", cell(u)))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "Fingerprint `{}`\n", f.fingerprint);
    let _ = writeln!(out, "| Source | Observed | Expected |");
    let _ = writeln!(out, "|---|---|---|");
    for e in &f.evidence {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            cell(&e.source),
            cell(&e.observed),
            cell(&e.expected)
        );
    }
    out.push('\n');
    if !f.fix.summary.is_empty() {
        let _ = writeln!(out, "**Fix:** {}\n", f.fix.summary);
    }
    if let Some(cli) = &f.fix.aws_cli {
        out.push_str(&fenced("sh", cli));
        out.push('\n');
    }
    if let Some(sql) = &f.fix.sql {
        out.push_str(&fenced("sql", sql));
        out.push('\n');
    }
    let _ = writeln!(out, "</details>\n");
}

fn place(account: Option<&str>, region: Option<&str>) -> String {
    let parts: Vec<&str> = [account, region].into_iter().flatten().collect();
    if parts.is_empty() {
        "organization".to_owned()
    } else {
        parts.join(" ")
    }
}

fn coverage(report: &Report, out: &mut String) {
    if report.coverage.is_empty() && report.not_evaluated.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Coverage\n");
    if !report.coverage.is_empty() {
        let _ = writeln!(out, "| Source | Error | Needs | Where | Message |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for gap in &report.coverage {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                code(&gap.source),
                cell(&gap.error_code),
                gap.fix_permission.as_deref().map(code).unwrap_or_default(),
                place(gap.account.as_deref(), gap.region.as_deref()),
                cell(&gap.message)
            );
        }
        out.push('\n');
    }
    if !report.not_evaluated.is_empty() {
        let mut causes: BTreeMap<&str, (Vec<&str>, Vec<String>)> = BTreeMap::new();
        for skipped in &report.not_evaluated {
            let (rules, places) = causes.entry(&skipped.reason).or_default();
            if !rules.contains(&skipped.rule.as_str()) {
                rules.push(&skipped.rule);
            }
            let here = place(skipped.account.as_deref(), skipped.region.as_deref());
            if !places.contains(&here) {
                places.push(here);
            }
        }
        let _ = writeln!(out, "**Not evaluated**\n");
        let _ = writeln!(out, "| Cause | Rules | Where |");
        let _ = writeln!(out, "|---|---|---|");
        for (reason, (rules, places)) in causes {
            let _ = writeln!(
                out,
                "| {} | {} | {} ({}) |",
                cell(reason),
                rules.iter().map(|r| code(r)).collect::<Vec<_>>().join(", "),
                cell(&places.join(", ")),
                places.len()
            );
        }
        out.push('\n');
    }
}
