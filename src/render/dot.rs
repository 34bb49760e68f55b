//! The access graph as Graphviz DOT (`rdsiam audit --matrix --format dot | dot -Tsvg`): one
//! cluster per database, principals → roles → DB users → database left to right (the same
//! layers as the HTML report), edges coloured by the login verdict with the reason as tooltip.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::names::short_name;
use crate::report::{AccessEntry, LoginVerdict, Report};

/// A DOT string literal.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The login verdict of an entry, its line style, and the reason shown on hover.
fn verdict(entry: &AccessEntry) -> (&'static str, &'static str, String) {
    let style = match entry.login.verdict {
        LoginVerdict::Works => "solid",
        LoginVerdict::Depends | LoginVerdict::Unknown => "dashed",
        LoginVerdict::Blocked => "dotted",
    };
    (entry.login.verdict.as_str(), style, entry.login.summary())
}

fn colour(verdict: &str) -> &'static str {
    match verdict {
        "works" => "#2b8a3e",
        "depends" => "#e67700",
        "unknown" => "#868e96",
        _ => "#c92a2a",
    }
}

pub fn render(report: &Report) -> String {
    let mut out = String::from(
        "digraph rdsiam_access {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f1f3f5\", fontname=\"monospace\", fontsize=10];\n  edge [fontsize=9];\n",
    );
    let databases: BTreeSet<&str> = report.access.iter().map(|a| a.db.as_str()).collect();
    for (index, db) in databases.into_iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph cluster_{index} {{\n    label={};",
            quoted(db)
        );
        let id = |layer: u8, name: &str| quoted(&format!("{db}|{layer}|{name}"));
        let mut nodes = BTreeSet::new();
        let mut edges = BTreeSet::new();
        for a in report.access.iter().filter(|a| a.db == db) {
            let first = if a.principal.contains(":role/") && a.via.is_empty() {
                1
            } else {
                0
            };
            let mut chain = vec![(first, a.principal.as_str())];
            chain.extend(a.via.iter().map(|v| (1u8, v.as_str())));
            let external = |arn: &str| {
                let account = arn.split(':').nth(4).unwrap_or("");
                !account.is_empty() && !report.scope.accounts.iter().any(|s| s == account)
            };
            for (i, (layer, arn)) in chain.iter().enumerate() {
                let outside = external(arn) || (i == 0 && a.reach.external());
                nodes.insert((*layer, arn.to_string(), outside));
            }
            nodes.insert((2, a.db_user.clone(), a.superuser()));
            nodes.insert((3, db.to_owned(), false));
            for pair in chain.windows(2) {
                edges.insert((
                    id(pair[0].0, pair[0].1),
                    id(pair[1].0, pair[1].1),
                    String::new(),
                ));
            }
            let (v, style, reason) = verdict(a);
            let last = chain[chain.len() - 1];
            edges.insert((
                id(last.0, last.1),
                id(2, &a.db_user),
                format!(
                    "color={}, style={style}, tooltip={}",
                    quoted(colour(v)),
                    quoted(&format!(
                        "{v}: {} as {}: {reason}",
                        short_name(a.principal.as_str()),
                        a.db_user
                    ))
                ),
            ));
            edges.insert((id(2, &a.db_user), id(3, db), String::new()));
        }
        for (layer, name, external) in &nodes {
            let label = if *layer == 2 {
                name.as_str()
            } else {
                short_name(name)
            };
            let fill = match (layer, external) {
                (2, true) => ", color=\"#6741d9\", penwidth=2.5, xlabel=\"superuser\"",
                (_, true) => ", fillcolor=\"#ffe3e3\", color=\"#b00020\"",
                (3, _) => ", fillcolor=\"#e7f5ff\"",
                _ => "",
            };
            let _ = writeln!(
                out,
                "    {} [label={}, tooltip={}{fill}];",
                id(*layer, name),
                quoted(label),
                quoted(name)
            );
        }
        for (from, to, attrs) in &edges {
            if attrs.is_empty() {
                let _ = writeln!(out, "    {from} -> {to} [color=\"#868e96\"];");
            } else {
                let _ = writeln!(out, "    {from} -> {to} [{attrs}];");
            }
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}
