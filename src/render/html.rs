//! A self-contained HTML review (inline CSS, JS and SVG; no network fetch; opens from
//! `file://`): scope, coverage gaps and evaluation context up top, summaries by severity,
//! rule and account, searchable and filterable findings with evidence and copyable fixes,
//! and the access graph (principals → roles → DB users → database, one layered SVG per
//! database). Scope and summary travel as plain JSON; findings and the access matrix as
//! compact JSON (strings interned once: an organization repeats each ARN thousands of times),
//! gzip'd and base64-encoded ([`blob`]) in two parts: what the page shows when it opens, and
//! the evidence and fixes, inflated only when a finding is first opened. The page's script
//! builds rows in pages, database sections in pages, and a database's SVG only when its
//! section is opened, so the file of a 500-account organization opens in seconds.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::json;

use crate::fast_hash::FastMap;
use crate::report::{AccessEntry, Finding, Report, Severity};

mod blob;

const CSS: &str = include_str!("html/report.css");
const JS: &str = include_str!("html/report.js");

/// Strings stored once, referred to by index.
#[derive(Default)]
struct Interner<'a> {
    index: FastMap<&'a str, usize>,
    strings: Vec<&'a str>,
}

impl<'a> Interner<'a> {
    fn id(&mut self, s: &'a str) -> usize {
        let next = self.strings.len();
        let id = *self.index.entry(s).or_insert(next);
        if id == next {
            self.strings.push(s);
        }
        id
    }

    fn opt(&mut self, s: Option<&'a str>) -> Option<usize> {
        s.map(|s| self.id(s))
    }
}

fn severity_rank(severity: Severity) -> usize {
    Severity::DESCENDING
        .iter()
        .position(|s| *s == severity)
        .unwrap_or(0)
}

/// `[severity, rule, title, arn, kind, account, region, db_user, message, fix summary]`:
/// what a row, the filters and the search need when the page opens; strings interned where
/// they repeat (all but the message).
type FindingRow<'a> = (
    usize,
    usize,
    usize,
    usize,
    usize,
    Option<usize>,
    Option<usize>,
    Option<usize>,
    &'a str,
    usize,
);

fn finding_row<'a>(f: &'a Finding, strings: &mut Interner<'a>) -> FindingRow<'a> {
    let r = &f.resource;
    (
        severity_rank(f.severity),
        strings.id(&f.rule),
        strings.id(&f.title),
        strings.id(&r.arn),
        strings.id(r.kind.as_str()),
        strings.opt(r.account.as_deref()),
        strings.opt(r.region.as_deref()),
        strings.opt(r.db_user.as_deref()),
        &f.message,
        strings.id(&f.fix.summary),
    )
}

/// `[aws cli, sql, evidence [[source, observed, expected]], fingerprint]`, read only when a
/// finding is opened; every string but the fingerprint interned (an organization's 65,000
/// findings share ~3,000 commands and a few evidence sources and expectations).
type DetailRow<'a> = (
    Option<usize>,
    Option<usize>,
    Vec<(usize, usize, usize)>,
    &'a str,
);

fn detail_row<'a>(f: &'a Finding, strings: &mut Interner<'a>) -> DetailRow<'a> {
    (
        strings.opt(f.fix.aws_cli.as_deref()),
        strings.opt(f.fix.sql.as_deref()),
        f.evidence
            .iter()
            .map(|e| {
                (
                    strings.id(&e.source),
                    strings.id(&e.observed),
                    strings.id(&e.expected),
                )
            })
            .collect(),
        &f.fingerprint,
    )
}

/// `[principal, db, db_user, verdict, reason, via [roles], superuser, external]`, strings
/// interned; the reason (the login verdict's summary and sentence, shown on hover) indexes
/// `reasons`. The verdict is the access matrix's login verdict (`works`, `depends`,
/// `unknown`, `blocked`).
type AccessRow<'a> = (
    usize,
    usize,
    usize,
    &'static str,
    usize,
    Vec<usize>,
    bool,
    bool,
);

fn access_row<'a>(
    a: &'a AccessEntry,
    strings: &mut Interner<'a>,
    reasons: &mut FastMap<String, usize>,
) -> AccessRow<'a> {
    let mut reason = a.login.summary();
    if !a.login.detail.is_empty() {
        reason.push_str(" — ");
        reason.push_str(&a.login.detail);
    }
    let next = reasons.len();
    let reason = *reasons.entry(reason).or_insert(next);
    (
        strings.id(&a.principal),
        strings.id(&a.db),
        strings.id(&a.db_user),
        a.login.verdict.as_str(),
        reason,
        a.via.iter().map(|v| strings.id(v)).collect(),
        a.superuser(),
        a.reach.external(),
    )
}

/// What the page draws when it opens: finding rows and the access matrix.
#[derive(Serialize)]
struct MainData<'a> {
    strings: Vec<&'a str>,
    reasons: Vec<String>,
    findings: Vec<FindingRow<'a>>,
    access: Vec<AccessRow<'a>>,
}

fn main_data(report: &Report) -> MainData<'_> {
    let mut strings = Interner::default();
    let findings = report
        .findings
        .iter()
        .map(|f| finding_row(f, &mut strings))
        .collect();
    let mut reason_ids = FastMap::default();
    let access = report
        .access
        .iter()
        .map(|a| access_row(a, &mut strings, &mut reason_ids))
        .collect();
    let mut reasons = vec![String::new(); reason_ids.len()];
    for (reason, id) in reason_ids {
        reasons[id] = reason;
    }
    MainData {
        strings: strings.strings,
        reasons,
        findings,
        access,
    }
}

/// Evidence, fixes and fingerprints, one row per finding in the same order.
#[derive(Serialize)]
struct DetailData<'a> {
    strings: Vec<&'a str>,
    details: Vec<DetailRow<'a>>,
}

fn detail_data(report: &Report) -> DetailData<'_> {
    let mut strings = Interner::default();
    let details = report
        .findings
        .iter()
        .map(|f| detail_row(f, &mut strings))
        .collect();
    DetailData {
        strings: strings.strings,
        details,
    }
}

/// The small, uncompressed part: scope, summary, coverage and the evaluation context, shown
/// at once (and readable in the file by anyone who opens it in an editor).
fn meta(report: &Report) -> serde_json::Value {
    json!({
        "tool_version": report.tool_version,
        "generated_at": report.generated_at,
        "scope": report.scope,
        "summary": report.summary,
        "coverage": report.coverage,
        "not_evaluated": report.not_evaluated,
        "severities": Severity::DESCENDING.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    })
}

fn compressed(data: &impl Serialize) -> io::Result<Vec<u8>> {
    blob::encode(|out| serde_json::to_writer(out, data).map_err(io::Error::from))
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
    // The two compressed parts are independent: built and compressed side by side.
    let (main, details) = rayon::join(
        || compressed(&main_data(report)),
        || compressed(&detail_data(report)),
    );
    let (main, details) = (main?, details?);
    let meta = script_safe(&serde_json::to_string(&meta(report))?);
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
         <script type=\"application/json\" id=\"report-data\">{meta}</script>\n",
        escape(&title)
    )?;
    // Base64 never contains `<`: nothing in it can end the element.
    for (id, data) in [("report-main", &main), ("report-details", &details)] {
        write!(
            out,
            "<script type=\"application/octet-stream\" id=\"{id}\" data-encoding=\"gzip+base64\">"
        )?;
        out.write_all(data)?;
        out.write_all(b"</script>\n")?;
    }
    write!(out, "<script>\n{JS}</script>\n</body>\n</html>\n")
}

pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    let _ = write(report, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}
