//! The schema of the rule catalogue: what a `rules/<id>.toml` file says (metadata and
//! documentation of one rule), the placeholders its fix templates may use, and how a template
//! is filled. Which rules exist, with which logic, is the rule table's ([`super::table`]).

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

/// Parses the TOML text of `rules/<stem>.toml`. Errors name the file; the table's tests keep
/// them from shipping.
pub fn parse(stem: &str, text: &str) -> Result<RuleMeta, String> {
    let meta: RuleMeta = toml::from_str(text).map_err(|e| format!("rules/{stem}.toml: {e}"))?;
    if meta.id != stem {
        return Err(format!(
            "rules/{stem}.toml: id {:?} differs from the file name",
            meta.id
        ));
    }
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_known_placeholders_only() {
        let out = fill(
            "modify {db} in {region} {other}",
            &[("db", "mydb"), ("region", "eu-west-1")],
        );
        assert_eq!(out, "modify mydb in eu-west-1 {other}");
    }
}
