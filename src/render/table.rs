//! Human output for a terminal: scope, a per-rule summary (rule, severity, count, example
//! resource), then the findings by severity, each with its full ARN, its message, the fix
//! sentence and the fix command(s) in full below it, repeats beyond `--limit` collapsed with
//! the count; then coverage gaps and rules not evaluated, grouped by cause with the list of
//! accounts. Every line fits the width ([`super::term`]) unless one token is wider than the
//! line: ARNs and command arguments are never broken ([`super::wrap`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::names::short_name;
use super::term::{self, DEFAULT_WIDTH};
use super::wrap;
use crate::report::{Finding, Report, Severity};

/// Findings shown per rule and severity before the rest is collapsed into a count.
pub const DEFAULT_LIMIT: usize = 5;
/// Accounts listed per grouped coverage gap or skipped rule when a limit is on.
const PLACES_SHOWN: usize = 10;

const INDENT: &str = "    ";
const COMMAND_INDENT: &str = "      ";

/// Layout choices, decided by the command from the terminal and the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableOptions {
    pub width: usize,
    pub color: bool,
    /// Findings shown per rule (`--limit`); `None` shows all (`--all`).
    pub limit: Option<usize>,
    /// List the findings an exception covers too (`--show-excepted`); by default they are
    /// only counted in the header.
    pub show_excepted: bool,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            width: DEFAULT_WIDTH,
            color: false,
            limit: Some(DEFAULT_LIMIT),
            show_excepted: false,
        }
    }
}

/// The report at 100 columns, uncoloured, default limit.
pub fn render(report: &Report) -> String {
    render_with(report, &TableOptions::default())
}

pub fn render_with(report: &Report, options: &TableOptions) -> String {
    let mut out = String::new();
    scope_section(report, &mut out);
    // How the run was shaped (baseline diff, configuration, exceptions): issue #14's lines.
    for line in super::shaping::header_lines(report) {
        push_lines(
            &mut out,
            wrap::words(&clean(&line), options.width, "", INDENT),
        );
    }
    let shown: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| options.show_excepted || !f.excepted())
        .collect();
    rule_summary(report, &shown, options, &mut out);
    findings_section(&shown, options, &mut out);
    coverage_section(report, options, &mut out);
    not_evaluated_section(report, options, &mut out);
    if !report.access.is_empty() {
        let _ = writeln!(
            out,
            "\nAccess matrix: {} entries (see --format json, csv or html)",
            report.access.len()
        );
    }
    out
}

fn push_lines(out: &mut String, lines: Vec<String>) {
    for line in lines {
        out.push_str(line.trim_end_matches(' '));
        out.push('\n');
    }
}

fn scope_section(report: &Report, out: &mut String) {
    let scope = &report.scope;
    let _ = writeln!(
        out,
        "rdsiam audit of {}\ncollected {}: {} account(s), {} region(s), {} database(s)\n",
        clean(scope.snapshot.as_deref().unwrap_or("live inventory")),
        scope.collected_at,
        scope.accounts.len(),
        scope.regions.len(),
        scope.databases,
    );
}

/// Consecutive findings of one rule and severity (the report is sorted that way).
fn rule_groups<'a, 'f>(findings: &'a [&'f Finding]) -> Vec<&'a [&'f Finding]> {
    findings
        .chunk_by(|a, b| a.rule == b.rule && a.severity == b.severity)
        .collect()
}

fn example(finding: &Finding) -> String {
    let r = &finding.resource;
    let mut text = format!("{} {}", r.kind.as_str(), short_name(&r.arn));
    if let Some(user) = &r.db_user {
        let _ = write!(text, " as {user}");
    }
    if let Some(account) = &r.account {
        let _ = write!(text, " ({account})");
    }
    text
}

fn rule_summary(report: &Report, shown: &[&Finding], options: &TableOptions, out: &mut String) {
    let _ = writeln!(out, "{}", term::bold(&summary_line(report), options.color));
    if shown.is_empty() {
        return;
    }
    let groups = rule_groups(shown);
    let rule_width = groups
        .iter()
        .map(|g| g[0].rule.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let count_width = groups
        .iter()
        .map(|g| g.len().to_string().len())
        .max()
        .unwrap_or(1)
        .max(5);
    let _ = writeln!(
        out,
        "\n  {:<8}  {:<rule_width$}  {:>count_width$}  EXAMPLE",
        "SEVERITY", "RULE", "COUNT"
    );
    for group in groups {
        let first = &group[0];
        let severity = first.severity.as_str();
        let head = format!(
            "  {severity:<8}  {:<rule_width$}  {:>count_width$}  ",
            first.rule,
            group.len()
        );
        let example = clean(&example(first)).into_owned();
        let painted = format!(
            "  {}{}",
            term::paint(first.severity, severity, options.color),
            &head[2 + severity.len()..]
        );
        if wrap::width_of(&head) + wrap::width_of(&example) <= options.width {
            let _ = writeln!(out, "{painted}{example}");
        } else {
            let _ = writeln!(out, "{}", painted.trim_end());
            push_lines(out, wrap::words(&example, options.width, INDENT, INDENT));
        }
    }
}

fn findings_section(shown: &[&Finding], options: &TableOptions, out: &mut String) {
    for severity in Severity::DESCENDING {
        let of_severity: Vec<&[&Finding]> = rule_groups(shown)
            .into_iter()
            .filter(|g| g[0].severity == severity)
            .collect();
        if of_severity.is_empty() {
            continue;
        }
        let count: usize = of_severity.iter().map(|g| g.len()).sum();
        let heading = format!("{} ({count})", severity.as_str().to_uppercase());
        let _ = writeln!(out, "\n{}", term::paint(severity, &heading, options.color));
        for group in of_severity {
            let shown = options.limit.unwrap_or(usize::MAX).min(group.len());
            for finding in &group[..shown] {
                out.push('\n');
                finding_block(finding, options, out);
            }
            let hidden = group.len() - shown;
            if hidden > 0 {
                let line = format!(
                    "… {hidden} more {} finding(s) not shown (--limit N or --all; every finding is in --format json/csv)",
                    group[0].rule
                );
                out.push('\n');
                push_lines(out, wrap::words(&line, options.width, "", INDENT));
            }
        }
    }
}

/// One finding: the row (rule, ARN, DB user), the message, the fix sentence, the commands.
fn finding_block(finding: &Finding, options: &TableOptions, out: &mut String) {
    let r = &finding.resource;
    let mut row = format!("{}  {}", finding.rule, r.arn);
    if let Some(user) = &r.db_user {
        let _ = write!(row, " db user \"{user}\"");
    }
    let mut lines = wrap::words(&clean(&row), options.width, "", INDENT);
    if options.color
        && let Some(first) = lines.first_mut()
        && let Some(rest) = first.strip_prefix(finding.rule.as_str())
    {
        *first = format!(
            "{}{rest}",
            term::paint(finding.severity, &finding.rule, true)
        );
    }
    push_lines(out, lines);
    push_lines(
        out,
        wrap::words(&clean(&finding.message), options.width, INDENT, INDENT),
    );
    if let Some(e) = &finding.exception {
        let line = format!("excepted until {} ({}): {}", e.expires, e.owner, e.reason);
        push_lines(
            out,
            wrap::words(&clean(&line), options.width, INDENT, INDENT),
        );
    }
    if !finding.fix.summary.is_empty() {
        push_lines(
            out,
            wrap::words(
                &clean(&format!("fix: {}", finding.fix.summary)),
                options.width,
                INDENT,
                INDENT,
            ),
        );
    }
    if let Some(cli) = &finding.fix.aws_cli {
        push_lines(out, wrap::shell(&clean(cli), options.width, COMMAND_INDENT));
    }
    if let Some(sql) = &finding.fix.sql {
        push_lines(out, wrap::sql(&clean(sql), options.width, COMMAND_INDENT));
    }
}

/// `a b c … and N more` for a list of places, cut at the limit.
fn place_list(places: &[String], options: &TableOptions) -> String {
    let cap = options.limit.map_or(usize::MAX, |n| n.max(PLACES_SHOWN));
    let mut text = places
        .iter()
        .take(cap)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if places.len() > cap {
        let _ = write!(text, " … and {} more (--all)", places.len() - cap);
    }
    text
}

fn place(account: Option<&str>, region: Option<&str>) -> String {
    let parts: Vec<&str> = [account, region].into_iter().flatten().collect();
    if parts.is_empty() {
        "organization".to_owned()
    } else {
        parts.join(" ")
    }
}

/// A coverage gap's cause: source, error code, the permission that would close it.
type GapCause<'a> = (&'a str, &'a str, Option<&'a str>);

fn coverage_section(report: &Report, options: &TableOptions, out: &mut String) {
    if report.coverage.is_empty() {
        return;
    }
    // One cause (source, error, missing permission) → the places it hit, first message.
    let mut causes: BTreeMap<GapCause, (Vec<String>, &str)> = BTreeMap::new();
    for gap in &report.coverage {
        let key = (
            gap.source.as_str(),
            gap.error_code.as_str(),
            gap.fix_permission.as_deref(),
        );
        causes
            .entry(key)
            .or_insert_with(|| (Vec::new(), gap.message.as_str()))
            .0
            .push(place(gap.account.as_deref(), gap.region.as_deref()));
    }
    let _ = writeln!(
        out,
        "\nCoverage gaps ({}, {} cause(s)): rules needing these facts were not evaluated",
        report.coverage.len(),
        causes.len()
    );
    for ((source, code, permission), (places, message)) in causes {
        let needs = permission
            .map(|p| format!(" (needs {p})"))
            .unwrap_or_default();
        let line = if places.len() == 1 {
            format!("- {} {source}: {code} {message}{needs}", places[0])
        } else {
            format!(
                "- {source}: {code}{needs} in {} places: {}",
                places.len(),
                place_list(&places, options)
            )
        };
        push_lines(out, wrap::words(&clean(&line), options.width, "", INDENT));
        if places.len() > 1 {
            push_lines(
                out,
                wrap::words(
                    &clean(&format!("e.g. {message}")),
                    options.width,
                    INDENT,
                    INDENT,
                ),
            );
        }
    }
}

fn not_evaluated_section(report: &Report, options: &TableOptions, out: &mut String) {
    if report.not_evaluated.is_empty() {
        return;
    }
    // One cause → the rules it stopped and the places.
    let mut causes: BTreeMap<&str, (Vec<&str>, Vec<String>)> = BTreeMap::new();
    for skipped in &report.not_evaluated {
        let (rules, places) = causes.entry(skipped.reason.as_str()).or_default();
        if !rules.contains(&skipped.rule.as_str()) {
            rules.push(&skipped.rule);
        }
        let here = place(skipped.account.as_deref(), skipped.region.as_deref());
        if !places.contains(&here) {
            places.push(here);
        }
    }
    let _ = writeln!(
        out,
        "\nNot evaluated ({}, {} cause(s)):",
        report.not_evaluated.len(),
        causes.len()
    );
    for (reason, (rules, places)) in causes {
        let line = format!(
            "- {reason}: {} in {} place(s): {}",
            rules.join(", "),
            places.len(),
            place_list(&places, options)
        );
        push_lines(out, wrap::words(&clean(&line), options.width, "", INDENT));
    }
}

/// Text from a snapshot or a server, with control characters escaped (`crate::redact`), so
/// nothing but the renderer's own colour codes reaches the terminal.
fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    crate::redact::escape_controls(text)
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
