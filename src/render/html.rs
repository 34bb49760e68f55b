//! A self-contained HTML review (inline CSS, JS and SVG; no network fetch; opens from
//! `file://`): scope, coverage gaps and evaluation context up top, summaries by severity,
//! rule and account, searchable and filterable findings with evidence and copyable fixes,
//! and the access graph (principals → roles → DB users → database, one layered SVG per
//! database). The report travels as compact JSON in a `<script type="application/json">`
//! (strings interned once: an organization repeats each ARN thousands of times); the page's
//! script builds rows in pages and a database's SVG only when its section is opened, so the
//! file of a 500-account organization opens in seconds.

use std::collections::HashMap;
use std::io::{self, Write};

use serde_json::{Value, json};

use crate::report::{AccessEntry, Finding, Report, Severity};

const CSS: &str = include_str!("html/report.css");
const JS: &str = include_str!("html/report.js");

/// Strings stored once, referred to by index.
#[derive(Default)]
struct Interner<'a> {
    index: HashMap<&'a str, usize>,
    strings: Vec<&'a str>,
}

impl<'a> Interner<'a> {
    fn id(&mut self, s: &'a str) -> usize {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        self.strings.push(s);
        self.index.insert(s, self.strings.len() - 1);
        self.strings.len() - 1
    }

    fn opt(&mut self, s: Option<&'a str>) -> Value {
        s.map_or(Value::Null, |s| json!(self.id(s)))
    }
}

fn severity_rank(severity: Severity) -> usize {
    Severity::DESCENDING
        .iter()
        .position(|s| *s == severity)
        .unwrap_or(0)
}

/// `[severity, rule, title, arn, kind, account, region, db_user, message, fix summary,
/// aws cli, sql, evidence [[source, observed, expected]], fingerprint]`, strings interned
/// where they repeat (rule, title, ARN, kind, account, region, user, fix summary).
fn finding_row<'a>(f: &'a Finding, strings: &mut Interner<'a>) -> Value {
    let r = &f.resource;
    json!([
        severity_rank(f.severity),
        strings.id(&f.rule),
        strings.id(&f.title),
        strings.id(&r.arn),
        strings.id(r.kind.as_str()),
        strings.opt(r.account.as_deref()),
        strings.opt(r.region.as_deref()),
        strings.opt(r.db_user.as_deref()),
        f.message,
        strings.id(&f.fix.summary),
        f.fix.aws_cli,
        f.fix.sql,
        f.evidence
            .iter()
            .map(|e| json!([e.source, e.observed, e.expected]))
            .collect::<Vec<_>>(),
        f.fingerprint,
    ])
}

/// `[principal, db, db_user, verdict, reason, via [roles], superuser, external]`, strings
/// interned. The verdict is the access matrix's login verdict (`works`, `depends`, `unknown`,
/// `blocked`); the reason (its summary and sentence) is shown on hover.
fn access_row<'a>(a: &'a AccessEntry, strings: &mut Interner<'a>) -> Value {
    let mut reason = a.login.summary();
    if !a.login.detail.is_empty() {
        reason.push_str(" — ");
        reason.push_str(&a.login.detail);
    }
    json!([
        strings.id(&a.principal),
        strings.id(&a.db),
        strings.id(&a.db_user),
        a.login.verdict.as_str(),
        reason,
        a.via.iter().map(|v| strings.id(v)).collect::<Vec<_>>(),
        a.superuser(),
        a.reach.external(),
    ])
}

/// The data the page's script reads.
fn data(report: &Report) -> Value {
    let mut strings = Interner::default();
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| finding_row(f, &mut strings))
        .collect();
    let access: Vec<Value> = report
        .access
        .iter()
        .map(|a| access_row(a, &mut strings))
        .collect();
    json!({
        "tool_version": report.tool_version,
        "generated_at": report.generated_at,
        "scope": report.scope,
        "summary": report.summary,
        "coverage": report.coverage,
        "not_evaluated": report.not_evaluated,
        "severities": Severity::DESCENDING.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "strings": strings.strings,
        "findings": findings,
        "access": access,
    })
}

/// JSON that cannot end the `<script>` element it sits in: every `<` (only ever inside a
/// JSON string) becomes `\u003c`.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let data = script_safe(&serde_json::to_string(&data(report))?);
    let title = format!(
        "rdsiam audit: {}",
        report.scope.snapshot.as_deref().unwrap_or("live inventory")
    );
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n\
         <noscript><p class=\"noscript\">This report is drawn by its own inline script (no network access); enable JavaScript, or use <code>rdsiam audit --format markdown</code>.</p></noscript>\n\
         <main id=\"app\"></main>\n\
         <script type=\"application/json\" id=\"report-data\">{data}</script>\n\
         <script>\n{JS}</script>\n</body>\n</html>\n",
        escape(&title)
    )
}

pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    let _ = write(report, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}
