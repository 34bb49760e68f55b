//! The rule catalogue: one `rules/<id>.toml` per rule, compiled into the binary with
//! `include_str!` and listed explicitly in [`SOURCES`] (adding a rule is one visible line;
//! nothing walks directories at run time). Owns the metadata and documentation of rules, not
//! their logic.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::report::{Finding, FindingBuilder, Fix, Severity};

/// Rule family, for grouping in `rdsiam rules` and SARIF tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// `rds-db:connect` policy statements: ARNs, actions, conditions.
    Policy,
    /// SCPs, RCPs and permission boundaries that cancel a grant.
    Guardrail,
    /// PostgreSQL roles and `rds_iam`.
    Database,
    /// RDS instance, cluster, proxy and parameter settings.
    Rds,
    /// Trust between accounts.
    CrossAccount,
    /// AssumeRole activity into DB-connect roles (CloudTrail).
    Activity,
    /// Causes the live `rdsiam doctor` diagnoses (no audit logic; tests/doctor.rs).
    Doctor,
    /// The audit's own configuration: accepted risks that expired or cover nothing.
    Config,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Policy => "policy",
            Category::Guardrail => "guardrail",
            Category::Database => "database",
            Category::Rds => "rds",
            Category::CrossAccount => "cross-account",
            Category::Activity => "activity",
            Category::Doctor => "doctor",
            Category::Config => "config",
        }
    }
}

/// Fix templates. `{placeholder}`s are filled by the rule at run time (see [`RuleMeta::fix`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixTemplate {
    pub summary: String,
    #[serde(default)]
    pub aws_cli: Option<String>,
    #[serde(default)]
    pub sql: Option<String>,
    #[serde(default)]
    pub terraform: Option<String>,
}

/// One rule's metadata and documentation, as written in its TOML file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub category: Category,
    /// One sentence: what it finds.
    pub summary: String,
    /// Why it matters.
    pub risk: String,
    /// Longer explanation of what the rule checks and how (markdown).
    pub doc: String,
    /// A failing example (policy JSON, SQL, CLI output).
    pub example: String,
    pub fix: FixTemplate,
    /// Documentation URLs.
    pub references: Vec<String>,
    /// Why tests/fix_proving.rs cannot prove this rule's fix by applying it (against moto
    /// and the PostgreSQL harness), when it cannot: `not provable here: <reason>`. Absent
    /// for a fix the suite applies, and for a fix that is advice rather than a command.
    #[serde(default)]
    pub fix_proof: Option<String>,
}

impl RuleMeta {
    /// A finding builder with this rule's id, default severity and title filled in.
    pub fn finding(&self) -> FindingBuilder {
        Finding::builder(&self.id, self.severity, &self.title)
    }

    /// The fix with `{name}` placeholders replaced from `vars`; unknown placeholders stay
    /// visible so a reader sees what to fill in.
    pub fn fix(&self, vars: &[(&str, &str)]) -> Fix {
        Fix {
            summary: fill(&self.fix.summary, vars),
            aws_cli: self.fix.aws_cli.as_deref().map(|t| fill(t, vars)),
            sql: self.fix.sql.as_deref().map(|t| fill(t, vars)),
        }
    }
}

/// Every placeholder a fix template may use, with what the rule fills in. A test keeps the
/// TOML files to this list so a typo cannot ship as a literal `{acount}`.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("account", "12-digit account id of the database"),
    ("region", "region of the database"),
    (
        "resource_id",
        "the correct `db-…` / `cluster-…` / `prx-…` resource id",
    ),
    ("observed_id", "the wrong id found in the ARN"),
    ("db_identifier", "DB instance or cluster identifier"),
    ("cluster_identifier", "Aurora cluster identifier"),
    ("db_user", "PostgreSQL role name"),
    (
        "policy_arn",
        "ARN of the managed policy to correct (inline: the owner and policy name)",
    ),
    ("version_id", "policy version id"),
    (
        "db_user_ident",
        "PostgreSQL role name quoted for SQL when needed",
    ),
    ("dbname", "database name of the connection"),
    (
        "endpoint",
        "RDS endpoint host name (the token and TLS name)",
    ),
    ("port", "endpoint port"),
    ("ca_bundle_url", "URL of the Amazon RDS global CA bundle"),
    (
        "conninfo",
        "the connection string with verify-full and the CA bundle",
    ),
    ("boundary_arn", "ARN of the permissions boundary policy"),
    (
        "dbuser_arn",
        "the exact `rds-db:connect` resource of this login (`arn:aws:rds-db:…:dbuser:RESOURCE_ID/USER`)",
    ),
    (
        "iam_put_policy",
        "`put-role-policy --role-name …` or `put-user-policy --user-name …` for the signing principal",
    ),
    ("role_name", "IAM role name"),
    ("role_arn", "IAM role ARN"),
    ("scp_id", "SCP id (`p-…`)"),
    (
        "source_account",
        "12-digit account id of the AssumeRole caller",
    ),
    (
        "source_principal",
        "ARN of the AssumeRole caller (role ARN for assumed-role sessions)",
    ),
    ("first_seen", "time of the first event, RFC 3339"),
    (
        "revoke_before",
        "RFC 3339 time: sessions issued before it are revoked (the report time)",
    ),
    ("unused_days", "days without a successful AssumeRole"),
    (
        "exception_source",
        "where the exception is written (`rdsiam.toml:12`)",
    ),
    ("owner", "owner of the exception"),
    (
        "remove_grant",
        "`aws iam` subcommand that removes the grant from the role (`detach-role-policy …` or `delete-role-policy …`)",
    ),
    ("rcp_id", "RCP id (`p-…`)"),
    ("proxy_name", "RDS Proxy name"),
    ("secret_arn", "Secrets Manager ARN of the proxy auth entry"),
    ("parameter_group", "parameter group name"),
    (
        "modify_command",
        "`modify-db-instance` or `modify-db-cluster`",
    ),
    (
        "identifier_flag",
        "`db-instance-identifier` or `db-cluster-identifier`",
    ),
    (
        "modify_parameter_group_command",
        "`modify-db-parameter-group` or `modify-db-cluster-parameter-group`",
    ),
    (
        "parameter_group_flag",
        "`db-parameter-group-name` or `db-cluster-parameter-group-name`",
    ),
    (
        "policy_update",
        "the `aws iam` / `aws organizations` command that publishes the corrected document (`create-policy-version`, `put-role-policy`, `put-user-policy`, `put-group-policy`, `update-assume-role-policy`, `update-policy`), the document inline",
    ),
    (
        "policy_inspect",
        "the read-only command that prints the document as IAM holds it (`get-policy-version`, `get-role-policy`, …)",
    ),
    (
        "caller_arn",
        "the IAM principal RDS logged for a refused token (`iam-db-auth-error`)",
    ),
    (
        "log_group",
        "the CloudWatch Logs group of the target's `iam-db-auth-error` log",
    ),
    (
        "dimension",
        "`DBInstanceIdentifier` or `DBClusterIdentifier` (CloudWatch dimension)",
    ),
    ("last_seen", "time of the last event, RFC 3339"),
];

/// Replaces each `{name}` in `template` with its value from `vars`.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    // A handful of variables: a scan beats building a map for every finding.
    let value_of = |name: &str| {
        vars.iter()
            .rev()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| *value)
    };
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let filled = after
            .find('}')
            .and_then(|close| Some((close, value_of(&after[..close])?)));
        match filled {
            Some((close, value)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

macro_rules! rule_sources {
    ($($id:literal),* $(,)?) => {
        &[$(($id, include_str!(concat!("../../rules/", $id, ".toml")))),*]
    };
}

/// (file stem, TOML text) of every rule, in catalogue order.
pub const SOURCES: &[(&str, &str)] = rule_sources![
    // policy ARNs and statements
    "arn-missing-dbuser",
    "arn-wrong-service",
    "arn-db-identifier-not-resource-id",
    "arn-resource-id-dangling",
    "arn-region-account-mismatch",
    "arn-instance-id-for-cluster",
    "arn-user-name-whitespace-or-case",
    "arn-overbroad-wildcard",
    "action-misspelt",
    "condition-key-never-present",
    "policy-unparseable",
    // guardrails
    "grant-blocked-by-scp",
    "grant-blocked-by-rcp",
    "grant-blocked-by-boundary",
    "scp-blocks-assume-role",
    // database side
    "db-user-missing",
    "db-user-lacks-rds-iam",
    "rds-iam-on-master-or-password-user",
    "rds-iam-superuser",
    "rds-iam-orphan",
    "rds-iam-nologin",
    "rds-iam-with-rds-ad",
    // RDS side
    "iam-auth-disabled",
    "force-ssl-off",
    "ca-certificate-expiring",
    "iam-auth-error-log-not-exported",
    "proxy-iam-mode-inconsistent",
    // cross-account
    "role-assumable-outside-org",
    "trust-external-without-condition",
    // activity (CloudTrail AssumeRole)
    "connect-role-unused",
    "assume-role-from-outside-org",
    "assume-role-failed",
    "assume-role-first-seen",
    // RDS's own verdict: the iam-db-auth-error log and IamDbAuth* metrics (issue #16)
    "auth-log-not-authorized",
    "auth-log-token-reuse-or-truncation",
    "auth-log-throttling",
    "auth-log-unknown-caller",
    // RDS Proxy with end-to-end IAM (DefaultAuthScheme = IAM_AUTH)
    "proxy-e2e-iam-role-cannot-connect",
    "proxy-e2e-user-lacks-rds-iam",
    // doctor: causes of a failing live login (`rdsiam doctor`); no audit logic.
    // `iam-auth-disabled` above is shared with the doctor.
    "token-expired",
    "token-user-mismatch",
    "token-host-mismatch",
    "token-region-mismatch",
    "token-malformed",
    "token-missing",
    "clock-skew",
    "token-rejected",
    "user-not-in-rds-iam",
    "role-missing",
    "role-nologin",
    "database-missing",
    "ssl-required",
    "tls-unknown-ca",
    "tls-hostname-mismatch",
    "tls-not-offered",
    "policy-resource-mismatch",
    "policy-no-allow",
    "scp-deny",
    "boundary-deny",
    "network-timeout",
    "connection-refused",
    "dns-failure",
    "credentials-missing",
    // doctor: RDS's own reason, read from the iam-db-auth-error log (issue #16)
    "rds-log-not-authorized",
    "rds-log-expired-token",
    "rds-log-invalid-token",
    "rds-log-throttling",
    "rds-log-internal-error",
    // accepted risks (`[[exceptions]]` of rdsiam.toml), judged after every other rule
    "exception-expired",
    "exception-unused",
    "server-timeout",
    "server-protocol-error",
];

/// Parses every source. Errors name the file; the catalogue test keeps them from shipping.
pub fn parse_all() -> Result<Vec<RuleMeta>, String> {
    SOURCES
        .iter()
        .map(|(stem, text)| {
            let meta: RuleMeta =
                toml::from_str(text).map_err(|e| format!("rules/{stem}.toml: {e}"))?;
            if meta.id != *stem {
                return Err(format!(
                    "rules/{stem}.toml: id {:?} differs from the file name",
                    meta.id
                ));
            }
            Ok(meta)
        })
        .collect()
}

/// The whole catalogue, parsed once.
pub fn catalogue() -> &'static [RuleMeta] {
    static CATALOGUE: OnceLock<Vec<RuleMeta>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        // The TOML is compiled in and checked by `catalogue_parses`: failure is a build defect.
        parse_all().unwrap_or_else(|e| panic!("rule catalogue is broken: {e}"))
    })
}

/// One rule by id.
pub fn lookup(id: &str) -> Option<&'static RuleMeta> {
    catalogue().iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn catalogue_parses_and_ids_match_file_stems() {
        let rules = parse_all().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rules.len(), SOURCES.len());
    }

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut seen = HashSet::new();
        for (stem, _) in SOURCES {
            assert!(seen.insert(*stem), "duplicate rule id {stem}");
            assert!(
                stem.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "rule id {stem} is not kebab-case"
            );
        }
    }

    #[test]
    fn every_toml_in_rules_dir_is_registered() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
        let registered: HashSet<&str> = SOURCES.iter().map(|(stem, _)| *stem).collect();
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir}: {e}")) {
            let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
            if path.extension().is_some_and(|e| e == "toml") {
                let stem = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default();
                assert!(
                    registered.contains(stem),
                    "{} is not listed in SOURCES",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn references_are_urls_and_docs_are_filled() {
        for rule in parse_all().unwrap_or_else(|e| panic!("{e}")) {
            assert!(!rule.references.is_empty(), "{} has no references", rule.id);
            for r in &rule.references {
                assert!(
                    r.starts_with("https://"),
                    "{}: reference {r} is not a URL",
                    rule.id
                );
            }
            for (field, text) in [
                ("summary", &rule.summary),
                ("risk", &rule.risk),
                ("doc", &rule.doc),
                ("example", &rule.example),
            ] {
                assert!(!text.trim().is_empty(), "{}: empty {field}", rule.id);
            }
        }
    }

    #[test]
    fn fix_placeholders_are_known() {
        let known: HashSet<&str> = PLACEHOLDERS.iter().map(|(name, _)| *name).collect();
        for rule in parse_all().unwrap_or_else(|e| panic!("{e}")) {
            let f = &rule.fix;
            let texts = [
                Some(&f.summary),
                f.aws_cli.as_ref(),
                f.sql.as_ref(),
                f.terraform.as_ref(),
            ];
            for text in texts.into_iter().flatten() {
                for piece in text.split('{').skip(1) {
                    let Some(name) = piece.split('}').next() else {
                        continue;
                    };
                    let is_name = !name.is_empty()
                        && name.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                    if is_name {
                        assert!(
                            known.contains(name),
                            "{}: unknown placeholder {{{name}}}",
                            rule.id
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn fill_replaces_known_placeholders_only() {
        let out = fill(
            "modify {db} in {region} {other}",
            &[("db", "mydb"), ("region", "eu-west-1")],
        );
        assert_eq!(out, "modify mydb in eu-west-1 {other}");
    }
}
