//! `rdsiam explain RULE`: one rule's documentation under fixed headings (What it finds /
//! Why it matters / Example / Fix / References), from its `rules/<id>.toml`.

use std::fmt::Write as _;

use anyhow::{Result, bail};

use crate::exit::Outcome;
use crate::output;
use crate::rules::{RuleMeta, catalogue, lookup};

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// Rule id, as listed by `rdsiam rules`.
    pub rule: String,
}

pub fn run(args: ExplainArgs) -> Result<Outcome> {
    let Some(rule) = lookup(args.rule.trim()) else {
        let close: Vec<&str> = catalogue()
            .iter()
            .map(|r| r.id.as_str())
            .filter(|id| id.contains(args.rule.trim()) || args.rule.contains(id))
            .collect();
        let hint = if close.is_empty() {
            "run `rdsiam rules` for the list".to_owned()
        } else {
            format!("did you mean: {}?", close.join(", "))
        };
        bail!("unknown rule {:?}; {hint}", args.rule);
    };
    output::print_stdout(&document(rule))?;
    Ok(Outcome::Clean)
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("    {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The rule's documentation as plain text with markdown-style headings.
pub fn document(rule: &RuleMeta) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {} ({})\n", rule.id, rule.title);
    let _ = writeln!(
        out,
        "Severity: {}    Category: {}\n",
        rule.severity,
        rule.category.as_str()
    );
    let _ = writeln!(
        out,
        "## What it finds\n\n{}\n\n{}\n",
        rule.summary,
        rule.doc.trim_end()
    );
    let _ = writeln!(out, "## Why it matters\n\n{}\n", rule.risk.trim_end());
    let _ = writeln!(out, "## Example\n\n{}\n", indent(&rule.example));
    let _ = writeln!(out, "## Fix\n\n{}\n", rule.fix.summary);
    for (label, text) in [
        ("AWS CLI", &rule.fix.aws_cli),
        ("SQL", &rule.fix.sql),
        ("Terraform", &rule.fix.terraform),
    ] {
        if let Some(text) = text {
            let _ = writeln!(out, "{label}:\n\n{}\n", indent(text));
        }
    }
    if rule.category != crate::rules::Category::Doctor {
        let _ = writeln!(
            out,
            "## Configuration (rdsiam.toml)\n\n    [rules.{}]\n    enabled = true          # false: the rule does not run\n    severity = \"{}\"    # replaces the catalogue severity",
            rule.id, rule.severity
        );
        for parameter in crate::rules::params::of(&rule.id) {
            let _ = writeln!(
                out,
                "    {} = {}    # default; {}..={}: {}",
                parameter.key,
                parameter.default_value(),
                parameter.min,
                parameter.max,
                parameter.doc
            );
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "## References\n");
    for reference in &rule.references {
        let _ = writeln!(out, "- {reference}");
    }
    out
}
