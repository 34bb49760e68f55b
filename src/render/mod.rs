//! Renderers: a [`Report`] to text. They see only the report (never inventory or collector
//! types) and never decide anything: table for humans, JSON v1 (frozen DTO) for schedulers
//! and SIEMs, SARIF 2.1.0 for code-scanning dashboards, CSV for spreadsheets, Markdown for
//! tickets, OCSF for Security Hub / Security Lake, HTML for a review. The command picks the
//! renderers ([`Format`], [`Format::from_path`]) and writes the files.

pub mod csv;
pub mod dot;
pub mod html;
pub mod json;
pub mod markdown;
pub mod matrix_table;
mod names;
pub mod ocsf;
mod pretty_parallel;
pub mod sarif;
pub mod shaping;
pub mod table;
pub mod term;
pub mod wrap;

use std::io::{self, Write};
use std::path::Path;

use crate::report::Report;

/// `--format` of `rdsiam audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Human view for a terminal (width from COLUMNS or the terminal).
    #[default]
    Table,
    /// JSON v1 (schemas/report-v1.schema.json).
    Json,
    /// SARIF 2.1.0 for code-scanning dashboards.
    Sarif,
    /// One row per finding (RFC 4180).
    Csv,
    /// GitHub-flavoured Markdown for tickets and pull requests.
    Markdown,
    /// OCSF 1.5 Detection Findings (class 2004) for Security Hub / Security Lake.
    Ocsf,
    /// One self-contained HTML review with the access graph (opens from file://).
    Html,
    /// The access graph as Graphviz DOT (`| dot -Tsvg > access.svg`).
    Dot,
}

impl Format {
    /// The format a file name asks for: `.json`, `.sarif`, `.html`, `.md`, `.csv`,
    /// `.ocsf.json` (checked before `.json`), `.txt` for the table.
    pub fn from_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let by_suffix: [(&str, Format); 12] = [
            (".ocsf.json", Format::Ocsf),
            (".sarif.json", Format::Sarif),
            (".json", Format::Json),
            (".sarif", Format::Sarif),
            (".csv", Format::Csv),
            (".md", Format::Markdown),
            (".markdown", Format::Markdown),
            (".txt", Format::Table),
            (".html", Format::Html),
            (".htm", Format::Html),
            (".dot", Format::Dot),
            (".gv", Format::Dot),
        ];
        by_suffix
            .into_iter()
            .find(|(suffix, _)| name.ends_with(suffix))
            .map(|(_, format)| format)
    }

    /// The extensions [`Format::from_path`] knows, for error messages.
    pub const EXTENSIONS: &'static str =
        ".json, .sarif, .html, .csv, .md, .ocsf.json, .dot, .txt (table)";
}

/// The whole report as one string (the table at 100 columns, uncoloured).
pub fn render(report: &Report, format: Format) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write(report, format, &table::TableOptions::default(), &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Streams `report` in `format` to `out` (large formats are written as they are produced).
pub fn write(
    report: &Report,
    format: Format,
    table_options: &table::TableOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Table => out.write_all(table::render_with(report, table_options).as_bytes()),
        Format::Json => json::write(report, out),
        Format::Sarif => out.write_all(sarif::render(report).as_bytes()),
        Format::Csv => csv::write(report, out),
        Format::Markdown => out.write_all(markdown::render(report).as_bytes()),
        Format::Ocsf => ocsf::write(report, out),
        Format::Html => html::write(report, out),
        Format::Dot => out.write_all(dot::render(report).as_bytes()),
    }
}
