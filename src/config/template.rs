//! The text side of the configuration: the commented starting file `rdsiam config --init`
//! writes, and the effective configuration `rdsiam config --print` shows (as TOML that
//! `parse` reads back to the same settings).

use std::fmt::Write as _;

use super::Settings;
use crate::rules::{self, params};

/// A commented starting `rdsiam.toml`: every section, the defaults, one example exception.
pub fn starter() -> String {
    let mut out = String::from(
        r#"# rdsiam.toml: configuration of `rdsiam audit` (read from the current directory, or
# --config FILE; --no-config ignores it). `rdsiam config --print` shows what is in force.

[audit]
# Exit 1 when a finding not covered by an exception is at or above this severity.
fail-on = "low"
# Exit code considers only findings new since --baseline.
fail-on-new = false
# format = "json"            # table | json | sarif
# output = "rdsiam-report.json"

# Per rule: enabled, severity (replaces the catalogue's), and its parameters.
# `rdsiam explain <id>` lists a rule's parameters and defaults.
# [rules.rds-iam-orphan]
# enabled = false
# [rules.force-ssl-off]
# severity = "high"
"#,
    );
    for parameter in params::PARAMETERS {
        let _ = writeln!(
            out,
            "# [rules.{}]\n# {} = {}    # {}",
            parameter.rule,
            parameter.key,
            parameter.default_value(),
            parameter.doc
        );
    }
    out.push_str(
        r#"
# Which findings are reported (the rules still see the whole inventory). Lists of values;
# an empty include list means everything.
[scope]
# include-accounts = ["222222222222"]
# exclude-accounts = []
# include-ous = ["ou-prod-1234abcd"]      # OU ids or names
# exclude-regions = ["ap-southeast-2"]
# exclude-databases = ["scratch-pg"]      # instance, cluster or proxy identifiers
# exclude-db-users = ["rdsadmin"]

# Accepted risks. Each covers the findings every selector it sets matches: `rule` (id or
# glob, required), `account`, `resource` (ARN glob), `db-user`, `principal` (ARN glob),
# `fingerprint`. `reason`, `owner` and `expires` (last day it applies) are required. An
# expired one raises `exception-expired`; one that covers nothing raises `exception-unused`.
# [[exceptions]]
# rule = "force-ssl-off"
# resource = "arn:aws:rds:us-east-1:222222222222:db:billing-pg"
# reason = "legacy billing client without TLS; replaced in Q1 (TICKET-123)"
# owner = "payments-dba@example.com"
# expires = 2027-03-31
"#,
    );
    out
}

fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

fn list<'a>(values: impl Iterator<Item = &'a String>) -> String {
    let items: Vec<String> = values.map(|v| quoted(v)).collect();
    format!("[{}]", items.join(", "))
}

/// The effective configuration as TOML: every default spelled out.
pub fn effective(settings: &Settings) -> String {
    let mut out = String::new();
    match &settings.source {
        Some(source) => {
            let _ = writeln!(out, "# from {} (sha256 {})", source.path, source.sha256);
        }
        None => out.push_str("# no configuration file: defaults\n"),
    }
    let audit = &settings.audit;
    let _ = writeln!(out, "\n[audit]");
    let fail_on = audit.fail_on.unwrap_or(crate::report::Severity::Low);
    let _ = writeln!(out, "fail-on = {}", quoted(fail_on.as_str()));
    let _ = writeln!(out, "fail-on-new = {}", audit.fail_on_new.unwrap_or(false));
    let format = audit.format.unwrap_or_default();
    if let Some(value) = clap::ValueEnum::to_possible_value(&format) {
        let _ = writeln!(out, "format = {}", quoted(value.get_name()));
    }
    if let Some(output) = &audit.output {
        let _ = writeln!(out, "output = {}", quoted(&output.display().to_string()));
    }
    let rules_settings = &settings.rules;
    for meta in rules::catalogue()
        .iter()
        .filter(|r| r.category != rules::Category::Doctor)
    {
        let config = rules_settings.rules.get(&meta.id);
        let parameters: Vec<_> = params::of(&meta.id).collect();
        if config.is_none() && parameters.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n[rules.{}]", meta.id);
        let enabled = config.is_none_or(|c| c.enabled);
        let _ = writeln!(out, "enabled = {enabled}");
        let severity = config.and_then(|c| c.severity).unwrap_or(meta.severity);
        let _ = writeln!(out, "severity = {}", quoted(severity.as_str()));
        for parameter in parameters {
            let _ = writeln!(
                out,
                "{} = {}",
                parameter.key,
                (parameter.get)(&rules_settings.params)
            );
        }
    }
    let scope = &rules_settings.scope;
    let _ = writeln!(out, "\n[scope]");
    for (name, filter) in [
        ("accounts", &scope.accounts),
        ("ous", &scope.ous),
        ("regions", &scope.regions),
        ("databases", &scope.databases),
        ("db-users", &scope.db_users),
    ] {
        let _ = writeln!(out, "include-{name} = {}", list(filter.include.iter()));
        let _ = writeln!(out, "exclude-{name} = {}", list(filter.exclude.iter()));
    }
    for exception in &rules_settings.exceptions {
        let _ = writeln!(out, "\n[[exceptions]]    # {}", exception.source);
        let _ = writeln!(out, "rule = {}", quoted(&exception.rule));
        for (key, value) in [
            ("account", &exception.account),
            ("resource", &exception.resource),
            ("db-user", &exception.db_user),
            ("principal", &exception.principal),
            ("fingerprint", &exception.fingerprint),
        ] {
            if let Some(value) = value {
                let _ = writeln!(out, "{key} = {}", quoted(value));
            }
        }
        let _ = writeln!(out, "reason = {}", quoted(&exception.reason));
        let _ = writeln!(out, "owner = {}", quoted(&exception.owner));
        let _ = writeln!(out, "expires = {}", exception.expires);
    }
    out
}
