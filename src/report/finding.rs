//! One finding: which rule, which resource, the evidence that proves it, the fix, and its
//! status against a baseline ([`DiffStatus`]; the comparison itself is `diff`'s). Built
//! only through [`FindingBuilder`], whose `build()` refuses a finding without a resource or
//! without evidence, and computes the stable fingerprint.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Severity;
use crate::policy::Statement;

/// What kind of thing a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceKind {
    Account,
    IamUser,
    IamGroup,
    IamRole,
    IamPolicy,
    OrgPolicy,
    DbInstance,
    DbCluster,
    DbProxy,
    ParameterGroup,
    /// An `[[exceptions]]` entry of the configuration (`exception-*` rules).
    Exception,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Account => "account",
            ResourceKind::IamUser => "iam-user",
            ResourceKind::IamGroup => "iam-group",
            ResourceKind::IamRole => "iam-role",
            ResourceKind::IamPolicy => "iam-policy",
            ResourceKind::OrgPolicy => "org-policy",
            ResourceKind::DbInstance => "db-instance",
            ResourceKind::DbCluster => "db-cluster",
            ResourceKind::DbProxy => "db-proxy",
            ResourceKind::ParameterGroup => "parameter-group",
            ResourceKind::Exception => "exception",
        }
    }
}

/// The resource a finding is about. `db_user` narrows a DB resource to one PostgreSQL role.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Resource {
    pub arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub kind: ResourceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_user: Option<String>,
}

impl Resource {
    pub fn new(kind: ResourceKind, arn: impl Into<String>) -> Self {
        Resource {
            arn: arn.into(),
            account: None,
            region: None,
            kind,
            db_user: None,
        }
    }

    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    pub fn db_user(mut self, db_user: impl Into<String>) -> Self {
        self.db_user = Some(db_user.into());
        self
    }
}

/// One fact that supports the finding: where it was read, what it is, what it should be.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Evidence {
    /// Where the fact comes from, stable across runs: `iam:policy/<arn> Statement[0].Resource[1]`,
    /// `rds:DescribeDBInstances mydb`, `postgres:pg_roles`...
    pub source: String,
    pub observed: String,
    pub expected: String,
}

/// How to fix it: a sentence, and when possible a ready command or SQL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_cli: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
}

/// A finding compared with the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffStatus {
    New,
    Unchanged,
}

impl DiffStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DiffStatus::New => "new",
            DiffStatus::Unchanged => "unchanged",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Rule id (kebab-case, matches `rules/<id>.toml`).
    pub rule: String,
    pub severity: Severity,
    pub title: String,
    /// One human sentence about this resource.
    pub message: String,
    pub resource: Resource,
    pub evidence: Vec<Evidence>,
    pub fix: Fix,
    /// Stable across runs for the same rule, resource and key evidence (16 hex digits).
    pub fingerprint: String,
    /// The accepted risk (configuration `[[exceptions]]`) covering it: an excepted finding
    /// stays in the report but does not count towards the exit code.
    #[serde(skip)]
    pub exception: Option<std::sync::Arc<super::Exception>>,
    /// Compared with a `--baseline` report: new or unchanged (`None` without a baseline).
    #[serde(skip)]
    pub status: Option<DiffStatus>,
}

impl Finding {
    /// Covered by an accepted risk.
    pub fn excepted(&self) -> bool {
        self.exception.is_some()
    }

    pub fn builder(
        rule: impl Into<String>,
        severity: Severity,
        title: impl Into<String>,
    ) -> FindingBuilder {
        FindingBuilder {
            rule: rule.into(),
            severity,
            title: title.into(),
            message: None,
            resource: None,
            evidence: Vec::new(),
            fix: Fix::default(),
            key_parts: Vec::new(),
        }
    }
}

/// Why a finding could not be built: a rule bug, never a user error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FindingError {
    #[error("finding for rule {0} has no resource")]
    MissingResource(String),
    #[error("finding for rule {0} has no evidence")]
    MissingEvidence(String),
    #[error("finding for rule {0} has no message")]
    MissingMessage(String),
}

#[derive(Debug, Clone)]
pub struct FindingBuilder {
    rule: String,
    severity: Severity,
    title: String,
    message: Option<String>,
    resource: Option<Resource>,
    evidence: Vec<Evidence>,
    fix: Fix,
    key_parts: Vec<String>,
}

impl FindingBuilder {
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    pub fn resource(mut self, resource: Resource) -> Self {
        self.resource = Some(resource);
        self
    }

    /// Adds evidence. Its `source` enters the fingerprint without statement positions
    /// (`Statement[3]` counts as `Statement`: inserting an unrelated statement above must
    /// not turn one finding into "fixed" plus "new"); `observed` does not enter it (values
    /// such as "expires in 12 days" change from run to run). Use [`Self::key`] for stable
    /// values that distinguish two findings on the same resource, and
    /// [`statement_identity`] for the statement a finding is about.
    pub fn evidence(
        mut self,
        source: impl Into<String>,
        observed: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        self.evidence.push(Evidence {
            source: source.into(),
            observed: observed.into(),
            expected: expected.into(),
        });
        self
    }

    /// Adds a value to the fingerprint (e.g. the offending ARN string).
    pub fn key(mut self, part: impl Into<String>) -> Self {
        self.key_parts.push(part.into());
        self
    }

    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = fix;
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn build(self) -> Result<Finding, FindingError> {
        let resource = self
            .resource
            .ok_or_else(|| FindingError::MissingResource(self.rule.clone()))?;
        if self.evidence.is_empty() {
            return Err(FindingError::MissingEvidence(self.rule));
        }
        let message = self
            .message
            .ok_or_else(|| FindingError::MissingMessage(self.rule.clone()))?;
        let sources: Vec<std::borrow::Cow<'_, str>> = self
            .evidence
            .iter()
            .map(|e| without_positions(&e.source))
            .collect();
        let mut parts: Vec<&str> = vec![&self.rule, &resource.arn];
        parts.push(resource.db_user.as_deref().unwrap_or(""));
        parts.extend(sources.iter().map(|s| s.as_ref()));
        parts.extend(self.key_parts.iter().map(String::as_str));
        let fingerprint = fingerprint(&parts);
        Ok(Finding {
            fingerprint,
            rule: self.rule,
            severity: self.severity,
            title: self.title,
            message,
            resource,
            evidence: self.evidence,
            fix: self.fix,
            exception: None,
            status: None,
        })
    }
}

/// `source` with every `Statement[N]` written as `Statement`: a statement's position is
/// not its identity. Borrowed unchanged when there is no position (the common case).
fn without_positions(source: &str) -> std::borrow::Cow<'_, str> {
    const MARK: &str = "Statement[";
    if !source.contains(MARK) {
        return std::borrow::Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at + MARK.len() - 1]);
        let after = &rest[at + MARK.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with(']') {
            rest = &after[digits + 1..];
        } else {
            out.push('[');
            rest = after;
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// What identifies a statement independent of where it sits in its document: its Sid when
/// it has one, else a hash of its normalised content (effect, actions, resources,
/// principals, conditions; lists sorted, so reordering inside a list changes nothing).
pub fn statement_identity(statement: &Statement) -> String {
    if let Some(sid) = statement.sid.as_deref().filter(|s| !s.is_empty()) {
        return format!("sid:{sid}");
    }
    let mut parts: Vec<String> = Vec::new();
    parts.push(format!("{:?}", statement.effect));
    let mut actions: Vec<String> = statement
        .action
        .patterns
        .iter()
        .map(|a| a.raw.to_ascii_lowercase())
        .collect();
    actions.sort_unstable();
    parts.push(format!(
        "action:{}:{}",
        statement.action.negated,
        actions.join(",")
    ));
    if let Some(block) = &statement.resource {
        let mut resources: Vec<&str> = block.patterns.iter().map(|p| p.raw.as_str()).collect();
        resources.sort_unstable();
        parts.push(format!(
            "resource:{}:{}",
            block.negated,
            resources.join(",")
        ));
    }
    if let Some(block) = &statement.principal {
        parts.push(format!(
            "principal:{}:{:?}",
            block.negated, block.principals
        ));
    }
    let mut conditions: Vec<String> = statement
        .conditions
        .iter()
        .map(|c| {
            let mut values = c.values.clone();
            values.sort_unstable();
            format!(
                "{}:{}:{}",
                c.operator.name(),
                c.key.to_ascii_lowercase(),
                values.join(",")
            )
        })
        .collect();
    conditions.sort_unstable();
    parts.extend(conditions);
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    format!("stmt:{}", fingerprint(&refs))
}

/// SHA-256 over the parts (each followed by a NUL, so `["ab","c"]` ≠ `["a","bc"]`), as the
/// first 16 hex digits. Stable across runs, platforms and Rust versions.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(16);
    for byte in &digest[..8] {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> FindingBuilder {
        Finding::builder("db-user-missing", Severity::High, "title").message("m")
    }

    #[test]
    fn build_refuses_missing_resource_or_evidence() {
        let no_resource = base().evidence("s", "o", "e").build();
        assert_eq!(
            no_resource,
            Err(FindingError::MissingResource("db-user-missing".into()))
        );
        let no_evidence = base()
            .resource(Resource::new(ResourceKind::DbInstance, "arn:x"))
            .build();
        assert_eq!(
            no_evidence,
            Err(FindingError::MissingEvidence("db-user-missing".into()))
        );
    }

    #[test]
    fn fingerprint_is_stable_and_ignores_observed_values() {
        let make = |observed: &str| {
            base()
                .resource(Resource::new(ResourceKind::DbInstance, "arn:x").db_user("u"))
                .evidence("src", observed, "e")
                .build()
                .map(|f| f.fingerprint)
        };
        assert_eq!(make("expires in 3 days"), make("expires in 2 days"));
        assert_ne!(
            make("a"),
            base()
                .resource(Resource::new(ResourceKind::DbInstance, "arn:y"))
                .evidence("src", "a", "e")
                .build()
                .map(|f| f.fingerprint)
        );
        assert_eq!(fingerprint(&["a"]), "ffe9aaeaa2a2d504");
        assert_eq!(fingerprint(&["ab", "c"]).len(), 16);
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
    }

    fn statement(json: &str) -> Statement {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{json}]}}"#);
        crate::policy::PolicyDocument::parse(&text)
            .expect("test statement parses")
            .statements
            .remove(0)
    }

    #[test]
    fn statement_identity_is_the_sid_else_the_content_in_any_list_order() {
        let a = statement(
            r#"{"Sid":"Reports","Effect":"Allow","Action":"rds-db:connect","Resource":"arn:x"}"#,
        );
        let b = statement(
            r#"{"Sid":"Reports","Effect":"Allow","Action":"rds-db:connect","Resource":["arn:y","arn:z"]}"#,
        );
        assert_eq!(statement_identity(&a), "sid:Reports");
        assert_eq!(statement_identity(&a), statement_identity(&b));
        let c = statement(
            r#"{"Effect":"Allow","Action":["rds-db:connect","s3:GetObject"],"Resource":["arn:y","arn:z"]}"#,
        );
        let d = statement(
            r#"{"Effect":"Allow","Action":["s3:GetObject","rds-db:connect"],"Resource":["arn:z","arn:y"]}"#,
        );
        let e = statement(
            r#"{"Effect":"Allow","Action":["s3:GetObject","rds-db:connect"],"Resource":["arn:z","arn:w"]}"#,
        );
        assert_eq!(statement_identity(&c), statement_identity(&d));
        assert_ne!(statement_identity(&c), statement_identity(&e));
        assert!(statement_identity(&c).starts_with("stmt:"));
    }

    #[test]
    fn statement_positions_do_not_enter_the_fingerprint() {
        assert_eq!(
            without_positions("iam:X arn:p Statement[3] (Sid \"A\")"),
            "iam:X arn:p Statement (Sid \"A\")"
        );
        assert_eq!(
            without_positions("trust policy Statement[12]"),
            "trust policy Statement"
        );
        assert_eq!(without_positions("Statement[x]"), "Statement[x]");
        let make = |position: &str| {
            base()
                .resource(Resource::new(ResourceKind::IamPolicy, "arn:p"))
                .evidence(
                    format!("iam:GetAccountAuthorizationDetails arn:p {position}"),
                    "o",
                    "e",
                )
                .build()
                .map(|f| f.fingerprint)
        };
        assert_eq!(make("Statement[0]"), make("Statement[7]"));
    }
}
