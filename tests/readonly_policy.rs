//! rdsiam is read-only, proven (issue #4, item 7):
//! - every operation in the allow-list (`src/collect/aws/operations.rs`, enforced at run time by
//!   the clients' interceptor) is a read and is granted by `policies/rdsiam-readonly.json`;
//! - the policy grants nothing else (least privilege);
//! - every SDK operation the collector's source calls is in the allow-list (a scan of
//!   `src/collect/aws/*.rs` for `.<operation>()` calls on a client);
//! - the Athena data policy (`policies/rdsiam-athena-data.json`: what Athena itself needs on
//!   S3 and Glue to run rdsiam's query) grants exactly that, on named resources, and no delete.

use std::collections::BTreeSet;
use std::path::Path;

use rdsiam::collect::aws::operations::{self, OPERATIONS};
use serde_json::Value;

fn policy_actions() -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/rdsiam-readonly.json");
    let policy: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("policy file")).expect("policy JSON");
    rdsiam::policy::PolicyDocument::from_value(&policy).expect("a valid IAM policy");
    let mut actions = BTreeSet::new();
    for statement in policy["Statement"].as_array().expect("Statement array") {
        assert_eq!(statement["Effect"], "Allow");
        assert!(
            statement.get("NotAction").is_none(),
            "no NotAction in a least-privilege policy"
        );
        for action in statement["Action"].as_array().expect("Action array") {
            let action = action.as_str().unwrap();
            assert!(!action.contains('*'), "no wildcard actions: {action}");
            actions.insert(action.to_owned());
        }
    }
    actions
}

#[test]
fn every_operation_is_a_read_granted_by_the_policy() {
    let actions = policy_actions();
    for op in OPERATIONS {
        assert!(operations::is_read(op), "{op} is not a read operation");
        assert!(
            actions.contains(&op.action()),
            "{op} is missing from policies/rdsiam-readonly.json"
        );
    }
    let listed: BTreeSet<String> = OPERATIONS.iter().map(|op| op.action()).collect();
    let extra: Vec<&String> = actions.difference(&listed).collect();
    assert!(
        extra.is_empty(),
        "the policy grants actions no code uses: {extra:?}"
    );
}

#[test]
fn write_verbs_are_not_reads() {
    for name in [
        "CreateDBInstance",
        "ModifyDBParameterGroup",
        "DeleteRole",
        "PutRolePolicy",
        "AttachPolicy",
    ] {
        let op = operations::Operation {
            service: "rds",
            name,
        };
        assert!(!operations::is_read(&op), "{name}");
    }
}

/// SDK operation calls in the collector's source: `.describe_db_instances()` (or any
/// `.verb_…()` with an AWS verb, write verbs included so they would be caught) whose statement
/// goes on to `.send()` — which is what makes a fluent builder an API call, as opposed to an
/// accessor on returned data.
fn sdk_calls_in_source() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/collect/aws");
    let verbs = [
        "describe_",
        "list_",
        "get_",
        "assume_",
        "lookup_",
        "filter_",
        "create_",
        "delete_",
        "modify_",
        "put_",
        "update_",
        "attach_",
        "detach_",
        "tag_",
        "untag_",
        "start_",
        "stop_",
        "reboot_",
        "add_",
        "remove_",
        "enable_",
        "disable_",
        "register_",
        "deregister_",
        "restore_",
        "copy_",
        "reset_",
        "failover_",
        "promote_",
        "upload_",
        "set_",
        "change_",
        "generate_",
        "accept_",
        "invite_",
        "move_",
        "leave_",
        "close_",
        "decline_",
        "cancel_",
        "simulate_",
    ];
    let mut calls = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        // Comments out, whitespace collapsed: a chain split over lines becomes one string.
        let code: String = text
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("");
        for (at, _) in code.match_indices('.') {
            let rest = &code[at + 1..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name.is_empty() || !rest[name.len()..].starts_with("()") {
                continue;
            }
            if !verbs.iter().any(|v| name.starts_with(v)) {
                continue;
            }
            let statement = rest.split(';').next().unwrap_or("");
            if statement.contains(".send()") {
                calls.insert(name);
            }
        }
    }
    // The IAM policy reads are written once as `policy_reads! { … }` (principal.rs), whose
    // invocation names each call as `list_role_policies / LIST_ROLE_POLICIES`.
    let principal = std::fs::read_to_string(dir.join("principal.rs")).unwrap();
    let invocation = principal
        .split_once("policy_reads! {")
        .and_then(|(_, rest)| rest.split_once('}'))
        .map(|(body, _)| body)
        .expect("principal.rs invokes policy_reads!");
    for pair in invocation.split(',').flat_map(|p| p.split(';')) {
        if let Some((name, _)) = pair.split_once('/') {
            calls.insert(name.trim().to_owned());
        }
    }
    calls
}

fn snake_to_lower(name: &str) -> String {
    name.replace('_', "").to_ascii_lowercase()
}

#[test]
fn every_sdk_call_in_the_source_is_allow_listed() {
    let allowed: BTreeSet<String> = OPERATIONS
        .iter()
        .map(|op| op.name.to_ascii_lowercase())
        .collect();
    let calls = sdk_calls_in_source();
    for call in [
        "describe_db_instances",
        "describe_db_cluster_parameters",
        "list_attached_role_policies",
        "get_group_policy",
    ] {
        assert!(calls.contains(call), "the scan misses {call}: {calls:?}");
    }
    let unknown: Vec<&String> = calls
        .iter()
        .filter(|c| !allowed.contains(&snake_to_lower(c)))
        .collect();
    assert!(
        unknown.is_empty(),
        "SDK calls not in operations::OPERATIONS: {unknown:?}"
    );
    // And the other way: every listed operation is called somewhere.
    let called: BTreeSet<String> = calls.iter().map(|c| snake_to_lower(c)).collect();
    let unused: Vec<&String> = allowed.iter().filter(|a| !called.contains(*a)).collect();
    assert!(
        unused.is_empty(),
        "listed operations the code never calls: {unused:?}"
    );
}

/// The guard refuses a write before anything is sent, and lets listed reads through.
#[test]
fn the_guard_refuses_unlisted_operations_before_sending() {
    use aws_config::Region;
    use aws_smithy_types::retry::RetryConfig;
    use rdsiam::collect::aws::config::{CallLog, Clients};

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // Nothing listens on port 9: a call that passes the guard fails to connect instead.
        let config = rdsiam::aws_http::defaults()
            .region(Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "AKIDTEST", "secret", None, None, "test",
            ))
            .endpoint_url("http://127.0.0.1:9")
            .retry_config(RetryConfig::disabled())
            .load()
            .await;
        let log = CallLog::default();
        let clients = Clients::new(config, "123456789012", &log);

        let write = clients
            .rds("us-east-1")
            .delete_db_instance()
            .db_instance_identifier("prod")
            .send()
            .await;
        let message = format!(
            "{:?}",
            write.expect_err("the guard refuses DeleteDBInstance")
        );
        assert!(message.contains("read-only guard"), "{message}");
        assert_eq!(log.refused(), vec!["RDS:DeleteDBInstance".to_owned()]);

        let read = clients
            .rds("us-east-1")
            .describe_db_instances()
            .send()
            .await;
        let message = format!("{:?}", read.expect_err("nothing listens"));
        assert!(!message.contains("read-only guard"), "{message}");
        let counts = log.counts();
        assert_eq!(counts.len(), 1);
        let ((account, region, op), n) = counts.iter().next().unwrap();
        assert_eq!(
            (account.as_str(), region.as_str(), op.action().as_str(), *n),
            ("123456789012", "us-east-1", "rds:DescribeDBInstances", 1)
        );
        assert_eq!(log.refused().len(), 1, "the read was not refused");
    });
}

/// `policies/rdsiam-athena-data.json`: the S3 and Glue permissions Athena needs to run the
/// activity query (read the table and the trail, write the results to the output location).
/// Kept out of the read-only policy, whose every action is a call rdsiam makes itself; this
/// one is exactly the documented set, on placeholder resources the user fills in.
#[test]
fn the_athena_data_policy_grants_only_what_athena_needs_on_named_resources() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/rdsiam-athena-data.json");
    let policy: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("policy file")).expect("policy JSON");
    rdsiam::policy::PolicyDocument::from_value(&policy).expect("a valid IAM policy");
    let mut actions = BTreeSet::new();
    for statement in policy["Statement"].as_array().expect("Statement array") {
        assert_eq!(statement["Effect"], "Allow");
        let resources: Vec<&str> = match &statement["Resource"] {
            Value::String(r) => vec![r.as_str()],
            Value::Array(rs) => rs.iter().map(|r| r.as_str().unwrap()).collect(),
            other => panic!("Resource must be named: {other}"),
        };
        assert!(
            resources.iter().all(|r| *r != "*"),
            "no account-wide resource in {statement}"
        );
        for action in statement["Action"].as_array().expect("Action array") {
            let action = action.as_str().unwrap();
            assert!(!action.contains('*'), "no wildcard actions: {action}");
            actions.insert(action.to_owned());
        }
        // Writes only to the output location.
        if statement["Action"].to_string().contains("s3:PutObject") {
            assert!(
                resources
                    .iter()
                    .all(|r| r.starts_with("arn:aws:s3:::ATHENA-RESULTS-BUCKET/")),
                "{statement}"
            );
        }
    }
    let expected: BTreeSet<String> = [
        "glue:GetDatabase",
        "glue:GetPartitions",
        "glue:GetTable",
        "s3:GetBucketLocation",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:PutObject",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(actions, expected);
}
