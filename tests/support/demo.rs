//! The shipped demo snapshot (`fixtures/demo`) and its report as the library makes it,
//! evaluated at a fixed time, for the report and renderer tests.

use std::path::Path;

use rdsiam::engine::{self, audit};
use rdsiam::inventory::snapshot;
use rdsiam::report::Report;

pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo");

/// The time the demo report is evaluated at.
pub const EVALUATED_AT: &str = "2026-11-21T00:00:00Z";

/// The demo's report, evaluated at [`EVALUATED_AT`], naming `fixtures/demo` as its snapshot.
pub fn report() -> Report {
    let inventory = snapshot::load(Path::new(DIR))
        .unwrap_or_else(|e| panic!("fixtures/demo does not load: {e}"));
    audit(
        &inventory,
        &engine::Settings {
            snapshot: Some("fixtures/demo".into()),
            ..engine::Settings::at(EVALUATED_AT)
        },
    )
}

/// Every `arn:` token in a printed report (terminal view, table), trailing punctuation
/// trimmed: what a test compares between views of the same report.
pub fn arns(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || "\"'`,()[]{}".contains(c))
        .filter(|t| t.starts_with("arn:"))
        .map(|t| t.trim_end_matches(['.', ';', ':']).to_owned())
        .collect()
}
