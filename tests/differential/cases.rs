//! Hand-written requests whose answers were worked out from the AWS documentation.
//!
//! `documented()` are cases where the oracle and the docs agree: they prove the oracle
//! adapter (`tests/oracle/run.mjs`) wires each policy layer correctly before its answers are
//! trusted for the generated requests. `deviations()` are cases where the oracle departs from
//! the docs; the generator avoids those shapes, and these cases pin both answers so that an
//! oracle upgrade that fixes one is noticed (and the generator can be widened). See
//! `tests/oracle/SEMANTICS.md` for the discussion of each.

use serde_json::{Value, json};

pub struct Case {
    pub name: &'static str,
    /// Where the expected answer comes from.
    pub doc: &'static str,
    pub request: Value,
    /// The answer AWS gives according to `doc`.
    pub aws: &'static str,
    /// The oracle's answer when it differs from `aws` (deviations only).
    pub oracle: Option<&'static str>,
}

const ROLE: &str = "arn:aws:iam::111122223333:role/app";
const USER: &str = "arn:aws:iam::111122223333:user/alice";
const DB_USER_ARN: &str =
    "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/pgmonitor";
const EVAL_LOGIC: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html";
const RESOURCE_DOC: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html";
const OPERATORS_DOC: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html";
const MULTI_VALUE_DOC: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html";
const VARIABLES_DOC: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html";
const SCP_DOC: &str = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html";
const RCP_DOC: &str =
    "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html";

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn allow(action: &str, resource: &str) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": resource})
}

fn with_condition(mut statement: Value, condition: Value) -> Value {
    statement["Condition"] = condition;
    statement
}

/// A request by the role `app` (or `principal`) for `rds-db:connect` on pgmonitor.
fn connect(principal: &str, context: Value, identity: Vec<Value>) -> Value {
    let mut ctx = json!({"aws:PrincipalArn": principal, "aws:PrincipalAccount": "111122223333"});
    if principal == USER {
        ctx["aws:username"] = json!("alice");
    }
    for (key, value) in context.as_object().into_iter().flatten() {
        ctx[key] = value.clone();
    }
    json!({
        "principal": principal,
        "action": "rds-db:connect",
        "resource": DB_USER_ARN,
        "context": ctx,
        "identity_policies": identity,
    })
}

fn set(mut request: Value, field: &str, value: Value) -> Value {
    request[field] = value;
    request
}

fn case(name: &'static str, doc: &'static str, aws: &'static str, request: Value) -> Case {
    Case {
        name,
        doc,
        request,
        aws,
        oracle: None,
    }
}

pub fn documented() -> Vec<Case> {
    let allow_connect = || doc(json!([allow("rds-db:connect", DB_USER_ARN)]));
    vec![
        case(
            "exact allow",
            EVAL_LOGIC,
            "Allowed",
            connect(ROLE, json!({}), vec![allow_connect()]),
        ),
        case(
            "no policy is an implicit deny",
            EVAL_LOGIC,
            "ImplicitlyDenied",
            connect(ROLE, json!({}), vec![]),
        ),
        case(
            "explicit deny beats allow",
            EVAL_LOGIC,
            "ExplicitlyDenied",
            connect(
                ROLE,
                json!({}),
                vec![doc(json!([
                    allow("rds-db:*", "*"),
                    {"Effect": "Deny", "Action": "rds-db:connect", "Resource": DB_USER_ARN},
                ]))],
            ),
        ),
        case(
            "resource ARN is case-sensitive",
            RESOURCE_DOC,
            "ImplicitlyDenied",
            connect(
                ROLE,
                json!({}),
                vec![doc(json!([allow(
                    "rds-db:connect",
                    "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-abcdefghijkl01234/pgmonitor",
                )]))],
            ),
        ),
        case(
            "action names are case-insensitive",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html",
            "Allowed",
            connect(
                ROLE,
                json!({}),
                vec![doc(json!([allow("RDS-DB:Connect", DB_USER_ARN)]))],
            ),
        ),
        case(
            "rds:* does not cover rds-db:connect",
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrdsiamauthentication.html",
            "ImplicitlyDenied",
            connect(ROLE, json!({}), vec![doc(json!([allow("rds:*", "*")]))]),
        ),
        case(
            "* inside the last segment crosses /",
            RESOURCE_DOC,
            "Allowed",
            connect(
                ROLE,
                json!({}),
                vec![doc(json!([allow(
                    "rds-db:connect",
                    "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEF*",
                )]))],
            ),
        ),
        case(
            "negated operator on a missing key is true",
            OPERATORS_DOC,
            "ExplicitlyDenied",
            connect(
                ROLE,
                json!({}),
                vec![doc(json!([
                    allow("rds-db:connect", "*"),
                    with_condition(
                        json!({"Effect": "Deny", "Action": "*", "Resource": "*"}),
                        json!({"StringNotEquals": {"aws:PrincipalTag/team": "dba"}}),
                    ),
                ]))],
            ),
        ),
        case(
            "IfExists passes on a missing key",
            OPERATORS_DOC,
            "Allowed",
            connect(
                ROLE,
                json!({}),
                vec![doc(json!([with_condition(
                    allow("rds-db:connect", "*"),
                    json!({"StringEqualsIfExists": {"aws:PrincipalTag/team": "dba"}}),
                )]))],
            ),
        ),
        case(
            "Null true on a missing key",
            OPERATORS_DOC,
            "Allowed",
            connect(
                ROLE,
                json!({}),
                vec![doc(json!([with_condition(
                    allow("rds-db:connect", "*"),
                    json!({"Null": {"aws:SourceIp": "true"}}),
                )]))],
            ),
        ),
        case(
            "ForAllValues on a missing key is true",
            MULTI_VALUE_DOC,
            "Allowed",
            connect(
                ROLE,
                json!({}),
                vec![doc(json!([with_condition(
                    allow("rds-db:connect", "*"),
                    json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}),
                )]))],
            ),
        ),
        case(
            "ForAnyValue on a missing key is false",
            MULTI_VALUE_DOC,
            "ImplicitlyDenied",
            connect(
                ROLE,
                json!({}),
                vec![doc(json!([with_condition(
                    allow("rds-db:connect", "*"),
                    json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}),
                )]))],
            ),
        ),
        case(
            "StringLike ? is exactly one character",
            OPERATORS_DOC,
            "ImplicitlyDenied",
            connect(
                ROLE,
                json!({"aws:PrincipalTag/team": "dbaa"}),
                vec![doc(json!([with_condition(
                    allow("rds-db:connect", "*"),
                    json!({"StringLike": {"aws:PrincipalTag/team": "db?"}}),
                )]))],
            ),
        ),
        case(
            "Date with a UTC offset compares instants",
            OPERATORS_DOC,
            "Allowed",
            connect(
                ROLE,
                json!({"aws:CurrentTime": "2025-12-31T23:59:59Z"}),
                vec![doc(json!([with_condition(
                    allow("rds-db:connect", "*"),
                    json!({"DateLessThan": {"aws:CurrentTime": "2026-01-01T01:00:00+01:00"}}),
                )]))],
            ),
        ),
        case(
            "IPv6 source in an IPv6 range",
            OPERATORS_DOC,
            "Allowed",
            connect(
                ROLE,
                json!({"aws:SourceIp": "2001:db8:1234::1"}),
                vec![doc(json!([with_condition(
                    allow("rds-db:connect", "*"),
                    json!({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}}),
                )]))],
            ),
        ),
        case(
            "${aws:username} in the resource",
            VARIABLES_DOC,
            "Allowed",
            set(
                connect(
                    USER,
                    json!({}),
                    vec![doc(json!([allow(
                        "rds-db:connect",
                        "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/${aws:username}",
                    )]))],
                ),
                "resource",
                json!("arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/alice"),
            ),
        ),
        case(
            "${aws:username} missing for a role: the statement does not apply",
            VARIABLES_DOC,
            "ImplicitlyDenied",
            connect(
                ROLE,
                json!({}),
                vec![doc(json!([allow(
                    "rds-db:connect",
                    "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/${aws:username}",
                )]))],
            ),
        ),
        case(
            "variable default value when the key is missing",
            VARIABLES_DOC,
            "Allowed",
            connect(
                ROLE,
                json!({}),
                vec![doc(json!([allow(
                    "rds-db:connect",
                    "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/${aws:PrincipalTag/dbuser, 'pgmonitor'}",
                )]))],
            ),
        ),
        case(
            "every SCP level must allow",
            SCP_DOC,
            "ImplicitlyDenied",
            set(
                connect(ROLE, json!({}), vec![allow_connect()]),
                "scp_levels",
                json!([
                    [doc(json!([allow("*", "*")]))],
                    [doc(json!([allow("s3:*", "*")]))]
                ]),
            ),
        ),
        case(
            "SCP levels that all allow",
            SCP_DOC,
            "Allowed",
            set(
                connect(ROLE, json!({}), vec![allow_connect()]),
                "scp_levels",
                json!([
                    [doc(json!([allow("*", "*")]))],
                    [doc(json!([allow("rds-db:*", "*")]))]
                ]),
            ),
        ),
        case(
            "permission boundary must allow too",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html",
            "ImplicitlyDenied",
            set(
                connect(ROLE, json!({}), vec![allow_connect()]),
                "permission_boundary",
                doc(json!([allow("s3:*", "*")])),
            ),
        ),
        case(
            "session policy must allow too",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session",
            "ImplicitlyDenied",
            set(
                connect(
                    "arn:aws:sts::111122223333:assumed-role/app/session-1",
                    json!({"aws:PrincipalArn": ROLE}),
                    vec![allow_connect()],
                ),
                "session_policies",
                json!([doc(json!([allow("s3:*", "*")]))]),
            ),
        ),
        case(
            "RCP deny applies to sts:AssumeRole",
            RCP_DOC,
            "ExplicitlyDenied",
            json!({
                "principal": ROLE,
                "action": "sts:AssumeRole",
                "resource": "arn:aws:iam::111122223333:role/target",
                "context": {"aws:PrincipalArn": ROLE, "aws:PrincipalAccount": "111122223333", "aws:PrincipalOrgID": "o-zzz999"},
                "identity_policies": [doc(json!([allow("sts:AssumeRole", "*")]))],
                "rcp_levels": [[
                    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]},
                    doc(json!([{"Effect": "Deny", "Principal": "*", "Action": "sts:*", "Resource": "*",
                        "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}}}])),
                ]],
            }),
        ),
    ]
}

fn deviation(
    name: &'static str,
    doc: &'static str,
    aws: &'static str,
    oracle: &'static str,
    request: Value,
) -> Case {
    Case {
        name,
        doc,
        request,
        aws,
        oracle: Some(oracle),
    }
}

pub fn deviations() -> Vec<Case> {
    let allow_all_connect = || doc(json!([allow("rds-db:connect", "*")]));
    vec![
        deviation(
            "IpAddress 0.0.0.0/0 contains every IPv4 address",
            OPERATORS_DOC,
            "Allowed",
            "ImplicitlyDenied",
            connect(
                ROLE,
                json!({"aws:SourceIp": "10.1.2.3"}),
                vec![doc(json!([with_condition(
                    allow("rds-db:connect", "*"),
                    json!({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}),
                )]))],
            ),
        ),
        deviation(
            "NotIpAddress with a bare IPv4 address and an IPv6 source",
            OPERATORS_DOC,
            "Allowed",
            "ImplicitlyDenied",
            connect(
                ROLE,
                json!({"aws:SourceIp": "2001:db8::1"}),
                vec![doc(json!([with_condition(
                    allow("rds-db:connect", "*"),
                    json!({"NotIpAddress": {"aws:SourceIp": "203.0.113.7"}}),
                )]))],
            ),
        ),
        deviation(
            "epoch policy value against an ISO aws:CurrentTime",
            OPERATORS_DOC,
            "Allowed",
            "ImplicitlyDenied",
            connect(
                ROLE,
                json!({"aws:CurrentTime": "2026-01-01T00:00:00Z"}),
                vec![doc(json!([with_condition(
                    allow("rds-db:connect", "*"),
                    json!({"DateLessThan": {"aws:CurrentTime": "1798761600"}}),
                )]))],
            ),
        ),
        deviation(
            "policy variables are literal text under Version 2008-10-17",
            VARIABLES_DOC,
            "ImplicitlyDenied",
            "Allowed",
            json!({
                "principal": USER,
                "action": "rds-db:connect",
                "resource": "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/alice",
                "context": {"aws:PrincipalArn": USER, "aws:PrincipalAccount": "111122223333", "aws:username": "alice"},
                "identity_policies": [{"Version": "2008-10-17", "Statement": [allow(
                    "rds-db:connect",
                    "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/${aws:username}",
                )]}],
            }),
        ),
        deviation(
            "SCPs do not restrict service-linked roles",
            "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html",
            "Allowed",
            "ExplicitlyDenied",
            set(
                connect(
                    "arn:aws:iam::111122223333:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS",
                    json!({}),
                    vec![allow_all_connect()],
                ),
                "scp_levels",
                json!([[doc(
                    json!([allow("*", "*"), {"Effect": "Deny", "Action": "*", "Resource": "*"}])
                )]]),
            ),
        ),
        deviation(
            // The oracle has no notion of the management account; run.mjs passes the SCPs on
            // rather than deciding for it.
            "SCPs do not restrict the management account",
            "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html",
            "Allowed",
            "ExplicitlyDenied",
            set(
                set(
                    connect(ROLE, json!({}), vec![allow_all_connect()]),
                    "scp_levels",
                    json!([[doc(
                        json!([allow("*", "*"), {"Effect": "Deny", "Action": "*", "Resource": "*"}])
                    )]]),
                ),
                "management_account",
                json!(true),
            ),
        ),
        deviation(
            "RCPs do not apply to rds-db",
            RCP_DOC,
            "Allowed",
            "ExplicitlyDenied",
            set(
                connect(ROLE, json!({}), vec![allow_all_connect()]),
                "rcp_levels",
                json!([[
                    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]},
                    doc(json!([{"Effect": "Deny", "Principal": "*", "Action": "rds-db:*", "Resource": "*"}])),
                ]]),
            ),
        ),
        deviation(
            "Deny NotResource with a short ARN of another service",
            RESOURCE_DOC,
            "ExplicitlyDenied",
            "Allowed",
            connect(
                ROLE,
                json!({}),
                vec![doc(json!([
                    allow("rds-db:connect", "*"),
                    {"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:s3:*"},
                ]))],
            ),
        ),
    ]
}
