//! CSV (RFC 4180: comma-separated, CRLF line ends, fields quoted when they hold a comma, a
//! quote or a line break): one row per finding, or one row per access-matrix entry. Lists
//! inside a cell (evidence, condition keys, hops) are joined with newlines or ` > `.

use std::io::{self, Write};

use crate::report::{AccessEntry, Finding, Report};

pub const FINDING_COLUMNS: [&str; 15] = [
    "severity",
    "rule",
    "title",
    "account",
    "region",
    "resource_type",
    "resource_arn",
    "db_user",
    "message",
    "fix",
    "fix_aws_cli",
    "fix_sql",
    "evidence",
    "fingerprint",
    "generated_at",
];

pub const ACCESS_COLUMNS: [&str; 11] = [
    "principal",
    "db",
    "db_user",
    "login",
    "login_detail",
    "superuser",
    "path",
    "hops",
    "decision",
    "depends_on",
    "via",
];

fn writer(out: &mut dyn Write) -> ::csv::Writer<&mut dyn Write> {
    ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(out)
}

fn evidence(finding: &Finding) -> String {
    finding
        .evidence
        .iter()
        .map(|e| format!("{}: {} (expected: {})", e.source, e.observed, e.expected))
        .collect::<Vec<_>>()
        .join("\n")
}

fn finding_row(report: &Report, f: &Finding) -> [String; 15] {
    let r = &f.resource;
    [
        f.severity.as_str().to_owned(),
        f.rule.clone(),
        f.title.clone(),
        r.account.clone().unwrap_or_default(),
        r.region.clone().unwrap_or_default(),
        r.kind.as_str().to_owned(),
        r.arn.clone(),
        r.db_user.clone().unwrap_or_default(),
        f.message.clone(),
        f.fix.summary.clone(),
        f.fix.aws_cli.clone().unwrap_or_default(),
        f.fix.sql.clone().unwrap_or_default(),
        evidence(f),
        f.fingerprint.clone(),
        report.generated_at.clone(),
    ]
}

fn io_error(err: ::csv::Error) -> io::Error {
    match err.into_kind() {
        ::csv::ErrorKind::Io(err) => err,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// One row per finding, with a header row.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut csv = writer(out);
    csv.write_record(FINDING_COLUMNS).map_err(io_error)?;
    for finding in &report.findings {
        csv.write_record(finding_row(report, finding))
            .map_err(io_error)?;
    }
    csv.flush()
}

fn access_row(entry: &AccessEntry) -> [String; 11] {
    [
        entry.principal.clone(),
        entry.db.clone(),
        entry.db_user.clone(),
        entry.login.summary(),
        entry.login.detail.clone(),
        entry.superuser().to_string(),
        entry.reach.shape.as_str().to_owned(),
        entry.reach.hops.to_string(),
        entry.decision.as_str().to_owned(),
        entry.depends_on.join("\n"),
        entry.via.join(" > "),
    ]
}

/// `--matrix --format csv`: one row per access-matrix entry, with a header row.
pub fn write_access(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut csv = writer(out);
    csv.write_record(ACCESS_COLUMNS).map_err(io_error)?;
    for entry in &report.access {
        csv.write_record(access_row(entry)).map_err(io_error)?;
    }
    csv.flush()
}
