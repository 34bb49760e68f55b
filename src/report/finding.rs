//! One finding: which rule, which resource, the evidence that proves it and the fix. Built
//! only through [`FindingBuilder`], whose `build()` refuses a finding without a resource or
//! without evidence, and computes the stable fingerprint.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Severity;

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
    pub status: Option<super::DiffStatus>,
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

    /// Adds evidence. Its `source` enters the fingerprint; `observed` does not (values such
    /// as "expires in 12 days" change from run to run). Use [`Self::key`] for stable values
    /// that distinguish two findings on the same resource.
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
        let mut parts: Vec<&str> = vec![&self.rule, &resource.arn];
        parts.push(resource.db_user.as_deref().unwrap_or(""));
        parts.extend(self.evidence.iter().map(|e| e.source.as_str()));
        parts.extend(self.key_parts.iter().map(String::as_str));
        Ok(Finding {
            fingerprint: fingerprint(&parts),
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
}
