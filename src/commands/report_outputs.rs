//! Where an audit report goes: `--format`, repeatable `--output` (each file's format from
//! `--format` when one output is given, else from its extension), and the terminal view's
//! `--color`, `--limit`, `--all`. Files are written atomically ([`crate::output`]); the
//! renderers themselves live in [`crate::render`].

use std::path::PathBuf;

use anyhow::{Result, bail};

use crate::output;
use crate::render::table::{DEFAULT_LIMIT, TableOptions};
use crate::render::term::{self, ColorChoice};
use crate::render::{self, Format};
use crate::report::Report;

#[derive(Debug, Clone, clap::Args)]
pub struct ReportOutputArgs {
    /// Report format. With several --output files, each file's extension picks its format
    /// instead (.json, .sarif, .csv, .md, .ocsf.json, .txt).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// Write the report to FILE (atomically) instead of stdout. Repeat it to write several
    /// formats from one run: `--output report.html --output findings.csv --output ocsf.ocsf.json`.
    #[arg(long, value_name = "FILE")]
    pub output: Vec<PathBuf>,
    /// Colour severities in the table: auto (on a terminal, unless NO_COLOR is set), always,
    /// never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Table: findings shown per rule before the rest is collapsed into a count.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LIMIT, conflicts_with = "all")]
    pub limit: usize,
    /// Table: show every finding and every account (no collapsing).
    #[arg(long)]
    pub all: bool,
    /// Table: list findings covered by an exception too (set from `--show-excepted`).
    #[arg(skip)]
    pub show_excepted: bool,
}

/// One destination: a file or stdout (`None`), and its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub path: Option<PathBuf>,
    pub format: Format,
}

impl ReportOutputArgs {
    /// The destinations, checked before any work is done (an unknown extension is a usage
    /// error, not something discovered after a 10-minute collection).
    pub fn targets(&self) -> Result<Vec<Target>> {
        match self.output.as_slice() {
            [] => Ok(vec![Target {
                path: None,
                format: self.format.unwrap_or_default(),
            }]),
            [one] => Ok(vec![Target {
                path: Some(one.clone()),
                format: self
                    .format
                    .or_else(|| Format::from_path(one))
                    .unwrap_or_default(),
            }]),
            several => {
                if let Some(format) = self.format {
                    bail!(
                        "--format {} with {} --output files: with several outputs each file's extension picks its format ({}); drop --format",
                        format_name(format),
                        several.len(),
                        Format::EXTENSIONS
                    );
                }
                let mut targets: Vec<Target> = Vec::new();
                for path in several {
                    if targets.iter().any(|t| t.path.as_ref() == Some(path)) {
                        bail!("--output {} is given twice", path.display());
                    }
                    let Some(format) = Format::from_path(path) else {
                        bail!(
                            "--output {}: cannot tell the format from the file name (known: {})",
                            path.display(),
                            Format::EXTENSIONS
                        );
                    };
                    targets.push(Target {
                        path: Some(path.clone()),
                        format,
                    });
                }
                Ok(targets)
            }
        }
    }

    /// `--matrix` renders the access matrix: as a table, CSV (one row per entry), DOT or the
    /// JSON report (which always carries it); other formats are refused before any work.
    pub fn check_matrix(&self, matrix: bool) -> Result<()> {
        for target in self.targets()? {
            if matrix
                && !matches!(
                    target.format,
                    Format::Table | Format::Csv | Format::Dot | Format::Json
                )
            {
                bail!(
                    "--matrix renders the access matrix as table, csv, dot or json, not {} (the html report draws it as the access graph without --matrix)",
                    format_name(target.format)
                );
            }
        }
        Ok(())
    }

    /// The table layout for a destination: the terminal's width and colour for stdout,
    /// `COLUMNS` or 100 and no colour (unless `--color always`) for a file.
    pub fn table_options(&self, to_stdout: bool) -> TableOptions {
        let (width, color) = term::detect(self.color, to_stdout);
        TableOptions {
            width,
            color,
            limit: (!self.all).then_some(self.limit),
            show_excepted: self.show_excepted,
        }
    }

    /// Renders `report` into every destination; each file is written atomically.
    pub fn write(&self, report: &Report, matrix: bool) -> Result<()> {
        for target in self.targets()? {
            let options = self.table_options(target.path.is_none());
            output::emit_with(target.path.as_deref(), |out| match target.format {
                Format::Table if matrix => {
                    out.write_all(render::matrix_table::render(report).as_bytes())
                }
                Format::Csv if matrix => render::csv::write_access(report, out),
                format => render::write(report, format, &options, out),
            })?;
        }
        Ok(())
    }
}

fn format_name(format: Format) -> String {
    clap::ValueEnum::to_possible_value(&format)
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        out: ReportOutputArgs,
    }

    fn targets(args: &[&str]) -> Result<Vec<Target>> {
        let cli = Cli::try_parse_from(std::iter::once("t").chain(args.iter().copied()))?;
        cli.out.targets()
    }

    #[test]
    fn one_output_takes_the_format_flag_else_its_extension() {
        let one = targets(&["--format", "csv", "--output", "r.json"]).unwrap_or_default();
        assert_eq!(one[0].format, Format::Csv);
        let by_ext = targets(&["--output", "r.ocsf.json"]).unwrap_or_default();
        assert_eq!(by_ext[0].format, Format::Ocsf);
        let stdout = targets(&[]).unwrap_or_default();
        assert_eq!(
            stdout,
            vec![Target {
                path: None,
                format: Format::Table
            }]
        );
    }

    #[test]
    fn several_outputs_are_typed_by_extension() {
        let several = targets(&[
            "--output", "a.md", "--output", "b.csv", "--output", "c.sarif",
        ])
        .unwrap_or_default();
        let formats: Vec<Format> = several.iter().map(|t| t.format).collect();
        assert_eq!(formats, [Format::Markdown, Format::Csv, Format::Sarif]);
        let err = targets(&["--output", "a.md", "--output", "b.xyz"]).map(|_| ());
        assert!(format!("{err:?}").contains("b.xyz"), "{err:?}");
        assert!(targets(&["--format", "csv", "--output", "a.md", "--output", "b.csv"]).is_err());
        assert!(targets(&["--output", "a.md", "--output", "a.md"]).is_err());
    }
}
