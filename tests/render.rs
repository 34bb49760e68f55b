//! Renderers over a hand-built report (rule logic comes later; the findings below mirror
//! planted drift in fixtures/demo): table and JSON v1 are snapshot-tested, JSON v1 is
//! validated against schemas/report-v1.schema.json, SARIF is checked structurally.

use std::path::Path;

use rdsiam::engine::scope;
use rdsiam::exit::Outcome;
use rdsiam::inventory::snapshot;
use rdsiam::render::{self, Format};
use rdsiam::report::{
    AccessDecision, AccessEntry, Finding, NotEvaluated, Report, Resource, ResourceKind, Severity,
};
use rdsiam::rules::lookup;
use serde_json::Value;

const DEMO_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo");
const SCHEMA: &str = include_str!("../schemas/report-v1.schema.json");
const SARIF_SCHEMA: &str = include_str!("fixtures/sarif/sarif-2.1.0-rtm.5.json");

fn finding(
    rule: &str,
    resource: Resource,
    message: &str,
    evidence: [&str; 3],
    vars: &[(&str, &str)],
) -> Finding {
    let meta = lookup(rule).unwrap_or_else(|| panic!("rule {rule} not in catalogue"));
    Finding::builder(&meta.id, meta.severity, &meta.title)
        .message(message)
        .resource(resource)
        .evidence(evidence[0], evidence[1], evidence[2])
        .fix(meta.fix(vars))
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn sample_report() -> Report {
    let inv = snapshot::load(Path::new(DEMO_DIR)).unwrap_or_else(|e| panic!("{e}"));
    let prod = |kind, arn: &str| {
        Resource::new(kind, arn)
            .account("222222222222")
            .region("us-east-1")
    };
    let findings = vec![
        finding(
            "rds-iam-on-master-or-password-user",
            prod(
                ResourceKind::DbInstance,
                "arn:aws:rds:us-east-1:222222222222:db:billing-pg",
            )
            .db_user("postgres"),
            "Master user \"postgres\" of billing-pg is a member of rds_iam: password login no longer works.",
            [
                "postgres:pg_roles billing-pg",
                "postgres member of rds_iam (direct)",
                "master user not in rds_iam",
            ],
            &[("db_user", "postgres"), ("db_user_ident", "postgres")],
        ),
        finding(
            "arn-instance-id-for-cluster",
            Resource::new(
                ResourceKind::IamPolicy,
                "arn:aws:iam::222222222222:policy/LegacyDbAccess",
            )
            .account("222222222222"),
            "Statement MemberInstanceIdForCluster grants connect on instance orders-aurora-1, a member of Aurora cluster orders-aurora: Aurora authorizes against the cluster resource id.",
            [
                "iam:policy arn:aws:iam::222222222222:policy/LegacyDbAccess Statement[5].Resource",
                "arn:aws:rds-db:us-east-1:222222222222:dbuser:db-H3KQ7ZP2M4XN6RTW8YB5LCVJ2E/oltp_rw_user",
                "arn:aws:rds-db:us-east-1:222222222222:dbuser:cluster-7QZ4XKMB2N5RTYWPLE3HJ6DVCA/oltp_rw_user",
            ],
            &[
                ("resource_id", "cluster-7QZ4XKMB2N5RTYWPLE3HJ6DVCA"),
                ("cluster_identifier", "orders-aurora"),
                (
                    "policy_arn",
                    "arn:aws:iam::222222222222:policy/LegacyDbAccess",
                ),
                (
                    "policy_update",
                    r#"aws iam create-policy-version --policy-arn arn:aws:iam::222222222222:policy/LegacyDbAccess --policy-document '{"Version":"2012-10-17","Statement":[{"Sid":"MemberInstanceIdForCluster","Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:us-east-1:222222222222:dbuser:cluster-7QZ4XKMB2N5RTYWPLE3HJ6DVCA/oltp_rw_user"}]}' --set-as-default"#,
                ),
            ],
        ),
        finding(
            "role-assumable-outside-org",
            Resource::new(
                ResourceKind::IamRole,
                "arn:aws:iam::333333333333:role/vendor-support-role",
            )
            .account("333333333333"),
            "vendor-support-role grants rds-db:connect and trusts arn:aws:iam::999999999999:role/vendor-dba, outside organization o-rdsiamdemo1.",
            [
                "iam:role vendor-support-role trust policy Statement[0].Principal",
                "arn:aws:iam::999999999999:role/vendor-dba",
                "principals of o-rdsiamdemo1",
            ],
            &[("role_name", "vendor-support-role")],
        ),
        finding(
            "force-ssl-off",
            prod(
                ResourceKind::ParameterGroup,
                "arn:aws:rds:us-east-1:222222222222:pg:billing-pg13",
            ),
            "Parameter group billing-pg13 (instance billing-pg) sets rds.force_ssl=0.",
            [
                "rds:DescribeDBParameters billing-pg13",
                "rds.force_ssl = 0",
                "rds.force_ssl = 1",
            ],
            &[
                (
                    "modify_parameter_group_command",
                    "modify-db-parameter-group",
                ),
                ("parameter_group_flag", "db-parameter-group-name"),
                ("parameter_group", "billing-pg13"),
                ("region", "us-east-1"),
            ],
        ),
        finding(
            "rds-iam-orphan",
            prod(
                ResourceKind::DbInstance,
                "arn:aws:rds:us-east-1:222222222222:db:billing-pg",
            )
            .db_user("legacy_batch"),
            "legacy_batch on billing-pg holds rds_iam but no IAM principal may connect as it.",
            [
                "postgres:pg_roles billing-pg",
                "legacy_batch: LOGIN, rds_iam (direct)",
                "a policy granting dbuser:db-B7LM2QXK9TRP4ZWN6HJC3VYE5D/legacy_batch",
            ],
            &[
                ("db_user", "legacy_batch"),
                ("db_user_ident", "legacy_batch"),
            ],
        ),
    ];
    let access = vec![
        AccessEntry {
            principal: "arn:aws:iam::111111111111:role/pg-mgmt-role".into(),
            db: "arn:aws:rds:us-east-1:222222222222:cluster:orders-aurora".into(),
            db_user: "pgmonitor".into(),
            decision: AccessDecision::Allowed,
            depends_on: vec![],
            via: vec!["arn:aws:iam::222222222222:role/pg-monitor-role".into()],
            ..AccessEntry::default()
        },
        AccessEntry {
            principal: "arn:aws:iam::333333333333:role/analytics-etl-role".into(),
            db: "arn:aws:rds:us-east-1:333333333333:cluster:analytics-aurora".into(),
            db_user: "etl_user".into(),
            decision: AccessDecision::ExplicitlyDenied,
            depends_on: vec!["aws:PrincipalTag/db-access".into()],
            via: vec![],
            ..AccessEntry::default()
        },
    ];
    let mut report = Report::new(
        "2026-11-20T10:00:00Z",
        scope(&inv, Some(Path::new("fixtures/demo"))),
        inv.coverage.clone(),
        findings,
        access,
        vec![NotEvaluated {
            rule: "proxy-iam-mode-inconsistent".into(),
            account: Some("333333333333".into()),
            region: Some("eu-west-1".into()),
            reason: "rds:DescribeDBProxies AccessDenied".into(),
        }],
    );
    report.tool_version = "0.0.0-test".into();
    report
}

#[test]
fn findings_are_sorted_and_counted() {
    let report = sample_report();
    let severities: Vec<Severity> = report.findings.iter().map(|f| f.severity).collect();
    let mut sorted = severities.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(severities, sorted);
    assert_eq!(
        (
            report.summary.total,
            report.summary.critical,
            report.summary.high
        ),
        (5, 1, 2)
    );
    assert_eq!(report.outcome(Severity::Critical), Outcome::Failed);
    let empty = Report::new(
        "2026-11-20T10:00:00Z",
        report.scope.clone(),
        vec![],
        vec![],
        vec![],
        vec![],
    );
    assert_eq!(empty.outcome(Severity::Info), Outcome::Clean);
}

#[test]
fn table_output() {
    let text = render::render(&sample_report(), Format::Table);
    for line in text.lines() {
        // A fix command now carries the corrected policy document, whose ARNs can be longer
        // than a line by themselves; such a line holds that one token and nothing else (a
        // newline inside a JSON string would change the command).
        let one_token = line.trim().trim_end_matches(" \\").split(' ').count() == 1;
        assert!(
            line.chars().count() <= 100 || one_token,
            "line wider than 100 columns: {line}"
        );
    }
    insta::assert_snapshot!(text);
}

#[test]
fn json_v1_output() {
    insta::assert_snapshot!(render::render(&sample_report(), Format::Json));
}

#[test]
fn json_v1_matches_schema() {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap_or_else(|e| panic!("schema: {e}"));
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("schema: {e}"));
    for report in [
        sample_report(),
        Report::new(
            "2026-11-20T10:00:00Z",
            Default::default(),
            vec![],
            vec![],
            vec![],
            vec![],
        ),
    ] {
        let json: Value = serde_json::from_str(&render::render(&report, Format::Json))
            .unwrap_or_else(|e| panic!("{e}"));
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
}

#[test]
fn schema_rejects_what_v1_forbids() {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap_or_else(|e| panic!("schema: {e}"));
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("schema: {e}"));
    let mut json: Value = serde_json::from_str(&render::render(&sample_report(), Format::Json))
        .unwrap_or_else(|e| panic!("{e}"));
    json["findings"][0]["evidence"] = Value::Array(vec![]);
    assert!(
        !validator.is_valid(&json),
        "a finding without evidence must not validate"
    );
    json["findings"][0]["evidence"] =
        serde_json::json!([{"source": "s", "observed": "o", "expected": "e"}]);
    assert!(validator.is_valid(&json));
    json["schema_version"] = 2.into();
    assert!(!validator.is_valid(&json));
}

#[test]
fn sarif_has_catalogue_rules_and_located_results() {
    let report = sample_report();
    let sarif: Value = serde_json::from_str(&render::render(&report, Format::Sarif))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(rules.len(), rdsiam::rules::catalogue().len());
    let results = run["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), report.findings.len());
    for (result, finding) in results.iter().zip(&report.findings) {
        let index = result["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert_eq!(result["ruleId"], finding.rule.as_str());
        assert_eq!(
            result["partialFingerprints"]["rdsiamFingerprint/v1"],
            finding.fingerprint.as_str()
        );
        assert_eq!(
            result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            finding.resource.arn.as_str()
        );
        let level = result["level"].as_str().unwrap_or_default();
        assert!(["error", "warning", "note"].contains(&level));
    }
    assert_eq!(results[0]["level"], "error");
    assert_eq!(
        run["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
}

#[test]
fn sarif_matches_the_sarif_2_1_0_schema() {
    // The published schema's `language` pattern has an unescaped `]`, which ECMA-262 takes
    // literally and Rust's regex engines reject; escape it, the meaning is unchanged.
    let text = SARIF_SCHEMA.replace("[a-zA-Z]{2}]?$", "[a-zA-Z]{2}\\\\]?$");
    let schema: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("schema: {e}"));
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("schema: {e}"));
    let empty = Report::new(
        "2026-11-20T10:00:00Z",
        Default::default(),
        vec![],
        vec![],
        vec![],
        vec![],
    );
    for report in [sample_report(), empty] {
        let sarif: Value = serde_json::from_str(&render::render(&report, Format::Sarif))
            .unwrap_or_else(|e| panic!("{e}"));
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
}
