//! The doctor's diagnosis as audit [`Finding`]s: each ranked cause of a failing login becomes
//! a finding of its rule (`rules/<code>.toml`: severity and title from the catalogue) about
//! the database user the login tried, so every renderer of `crate::render` can serve a
//! doctor run. The doctor's own table and JSON keep their shape ([`super::render`]); this is a
//! conversion, not a second model.

use super::diagnosis::Cause;
use super::options::Target;
use super::report::DoctorReport;
use crate::report::{Finding, Fix, Resource, ResourceKind};
use crate::rules;

/// Where a cause's evidence comes from (it enters the fingerprint: stable across runs).
const EVIDENCE_SOURCE: &str = "rdsiam doctor";

/// Every cause of `report`, most likely first, as findings.
pub fn findings(report: &DoctorReport) -> Vec<Finding> {
    report
        .diagnosis
        .iter()
        .filter_map(|cause| finding(cause, &report.target))
        .collect()
}

/// One cause as a finding about `target`'s user. `None` only for a code missing from the
/// catalogue, which the table's tests keep from shipping.
pub fn finding(cause: &Cause, target: &Target) -> Option<Finding> {
    let meta = rules::lookup(cause.code)?;
    let resource = Resource::new(
        endpoint_kind(&target.host),
        format!(
            "postgresql://{}:{}/{}",
            target.host, target.port, target.dbname
        ),
    )
    .db_user(&target.user);
    let message = match &cause.check {
        Some(check) if !cause.checked => {
            format!("{} (not checked; check with: {check})", cause.title)
        }
        _ => cause.title.clone(),
    };
    let summary = match &cause.fix.connection {
        Some(connection) => format!("{} Connection string: {connection}", cause.fix.summary),
        None => cause.fix.summary.clone(),
    };
    let mut builder = meta.finding().message(message).resource(resource).fix(Fix {
        summary,
        aws_cli: cause.fix.aws_cli.clone(),
        sql: cause.fix.sql.clone(),
    });
    for line in &cause.evidence {
        builder = builder.evidence(EVIDENCE_SOURCE, line, "a working IAM login");
    }
    if cause.evidence.is_empty() {
        builder = builder.evidence(EVIDENCE_SOURCE, &cause.title, "a working IAM login");
    }
    builder.build().ok()
}

/// What answers at an RDS endpoint name: `x.cluster-…` / `x.cluster-ro-…` is an Aurora
/// cluster, `x.proxy-…` an RDS Proxy, anything else an instance (or a name we cannot tell).
fn endpoint_kind(host: &str) -> ResourceKind {
    let second = host.split('.').nth(1).unwrap_or_default();
    if second.starts_with("cluster-") {
        ResourceKind::DbCluster
    } else if second.starts_with("proxy-") {
        ResourceKind::DbProxy
    } else {
        ResourceKind::DbInstance
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::diagnosis::{CauseFix, codes};

    fn target() -> Target {
        Target {
            host: "app.cluster-abc.eu-west-1.rds.amazonaws.com".into(),
            hostaddr: None,
            port: 5432,
            user: "pgmonitor".into(),
            dbname: "postgres".into(),
            dbname_defaulted: false,
            sslmode: "verify-full",
        }
    }

    #[test]
    fn a_cause_becomes_a_finding_of_its_rule() {
        let cause = Cause {
            code: codes::ROLE_MISSING,
            title: "The database user does not exist".into(),
            evidence: vec!["server said: password authentication failed".into()],
            fix: CauseFix {
                summary: "Create the user.".into(),
                sql: Some("CREATE USER pgmonitor WITH LOGIN;".into()),
                connection: Some("host=app dbname=postgres".into()),
                ..CauseFix::default()
            },
            checked: true,
            check: None,
        };
        let finding = finding(&cause, &target()).expect("role-missing is in the catalogue");
        let meta = rules::lookup(codes::ROLE_MISSING).expect("catalogue");
        assert_eq!(finding.rule, "role-missing");
        assert_eq!(finding.severity, meta.severity);
        assert_eq!(finding.title, cause.title);
        assert_eq!(finding.resource.kind, ResourceKind::DbCluster);
        assert_eq!(finding.resource.db_user.as_deref(), Some("pgmonitor"));
        assert_eq!(
            finding.resource.arn,
            "postgresql://app.cluster-abc.eu-west-1.rds.amazonaws.com:5432/postgres"
        );
        assert_eq!(finding.evidence[0].observed, cause.evidence[0]);
        assert_eq!(finding.fix.sql, cause.fix.sql);
        assert_eq!(
            finding.fix.summary,
            "Create the user. Connection string: host=app dbname=postgres"
        );
        assert_eq!(finding.fingerprint.len(), 16);
    }

    #[test]
    fn an_unchecked_candidate_says_how_to_check_it() {
        let cause = Cause {
            code: codes::SCP_DENY,
            title: "An SCP denies it".into(),
            evidence: Vec::new(),
            fix: CauseFix::default(),
            checked: false,
            check: Some("rdsiam doctor '…' --region eu-west-1".into()),
        };
        let finding = finding(&cause, &target()).expect("scp-deny is in the catalogue");
        assert!(
            finding
                .message
                .contains("not checked; check with: rdsiam doctor")
        );
        assert_eq!(finding.evidence.len(), 1);
        let meta = rules::lookup(codes::SCP_DENY).expect("catalogue");
        assert_eq!(finding.severity, meta.severity);
    }
}
