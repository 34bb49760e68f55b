//! Renderers: a [`Report`] to text. They see only the report (never inventory or collector
//! types) and never decide anything: table for humans, JSON v1 (frozen DTO) for schedulers
//! and SIEMs, SARIF 2.1.0 for code-scanning dashboards.

pub mod json;
pub mod matrix_table;
mod pretty_parallel;
pub mod sarif;
pub mod shaping;
pub mod table;

use crate::report::Report;

/// `--format` of `rdsiam audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
    Sarif,
}

pub fn render(report: &Report, format: Format) -> String {
    match format {
        // Human output: control characters from snapshot strings escaped (crate::redact).
        Format::Table => crate::redact::escape_controls(&table::render(report)).into_owned(),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
    }
}

/// The last segment of an ARN (`role/pg-monitor-role` → `pg-monitor-role`), for display.
pub(crate) fn short_name(arn: &str) -> &str {
    arn.rsplit([':', '/']).next().unwrap_or(arn)
}
