//! Table-driven tests of every condition operator family, written from the IAM User Guide
//! ("IAM JSON policy elements: Condition operators", "Single-valued vs. multivalued context
//! keys"). Each row: condition block, request context, expected truth.

use serde_json::{Value, json};

use super::*;
use crate::policy::context::RequestContext;

fn eval(block: Value, context: &RequestContext) -> Truth {
    let conditions = parse_conditions(&block, "Condition", true).expect("valid condition");
    Truth::all(conditions.iter().map(|c| c.evaluate(context)))
}

fn ctx() -> RequestContext {
    RequestContext::closed()
        .with("aws:PrincipalTag/team", "dba")
        .with("aws:username", "alice")
        .with("aws:SourceIp", "10.1.2.3")
        .with("aws:SourceIpV6", "2001:db8::1")
        .with("aws:CurrentTime", "2026-06-01T12:00:00Z")
        .with("aws:EpochTime", "1780315200")
        .with("aws:MultiFactorAuthPresent", "true")
        .with("aws:MultiFactorAuthAge", "300")
        .with("aws:PrincipalArn", "arn:aws:iam::111122223333:role/app")
        .with("s3:x-amz-content", "QUJD")
        .with_multi("aws:TagKeys", ["env", "team"])
        .with_multi("aws:EmptyList", Vec::<String>::new())
}

#[track_caller]
fn check(rows: &[(Value, bool)]) {
    let context = ctx();
    for (block, expected) in rows {
        let got = eval(block.clone(), &context);
        assert_eq!(got, Truth::from(*expected), "{block}");
    }
}

#[test]
fn string_operators() {
    check(&[
        (
            json!({"StringEquals": {"aws:PrincipalTag/team": "dba"}}),
            true,
        ),
        (
            json!({"StringEquals": {"aws:PrincipalTag/team": "DBA"}}),
            false,
        ),
        (
            json!({"StringEquals": {"aws:PrincipalTag/team": ["ops", "dba"]}}),
            true,
        ),
        (
            json!({"StringEquals": {"AWS:PRINCIPALTAG/TEAM": "dba"}}),
            true,
        ),
        (
            json!({"StringNotEquals": {"aws:PrincipalTag/team": "dba"}}),
            false,
        ),
        (
            json!({"StringNotEquals": {"aws:PrincipalTag/team": ["ops", "dev"]}}),
            true,
        ),
        (
            json!({"StringNotEquals": {"aws:PrincipalTag/team": ["ops", "dba"]}}),
            false,
        ),
        (
            json!({"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "DbA"}}),
            true,
        ),
        (
            json!({"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "DBA"}}),
            false,
        ),
        (
            json!({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/a?p"}}),
            true,
        ),
        (
            json!({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/A*"}}),
            false,
        ),
        (
            json!({"StringNotLike": {"aws:PrincipalArn": "*:role/app"}}),
            false,
        ),
        (
            json!({"StringNotLike": {"aws:PrincipalArn": "*:user/*"}}),
            true,
        ),
        (json!({"StringLike": {"aws:username": "a.*"}}), false),
    ]);
}

#[test]
fn absent_keys() {
    check(&[
        (json!({"StringEquals": {"aws:SourceVpc": "vpc-1"}}), false),
        (json!({"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}), true),
        (json!({"StringNotLike": {"aws:SourceVpc": "vpc-*"}}), true),
        (
            json!({"NotIpAddress": {"aws:VpcSourceIp": "10.0.0.0/8"}}),
            true,
        ),
        (
            json!({"IpAddress": {"aws:VpcSourceIp": "10.0.0.0/8"}}),
            false,
        ),
        (
            json!({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}}),
            true,
        ),
        (
            json!({"StringEqualsIfExists": {"aws:PrincipalTag/team": "ops"}}),
            false,
        ),
        (
            json!({"NumericLessThanIfExists": {"aws:MultiFactorAuthAge": "600"}}),
            true,
        ),
        (
            json!({"BoolIfExists": {"aws:SecureTransport": "true"}}),
            true,
        ),
        (
            json!({"ForAllValues:StringEquals": {"aws:Missing": "x"}}),
            true,
        ),
        (
            json!({"ForAnyValue:StringEquals": {"aws:Missing": "x"}}),
            false,
        ),
        (
            json!({"ForAnyValue:StringNotEquals": {"aws:Missing": "x"}}),
            false,
        ),
        (
            json!({"ForAllValues:StringEquals": {"aws:EmptyList": "x"}}),
            true,
        ),
        (
            json!({"ForAnyValue:StringEquals": {"aws:EmptyList": "x"}}),
            false,
        ),
    ]);
}

#[test]
fn null_operator() {
    check(&[
        (json!({"Null": {"aws:SourceVpc": "true"}}), true),
        (json!({"Null": {"aws:SourceVpc": "false"}}), false),
        (json!({"Null": {"aws:PrincipalTag/team": "false"}}), true),
        (json!({"Null": {"aws:PrincipalTag/team": "true"}}), false),
        (json!({"Null": {"aws:PrincipalTag/team": true}}), false),
    ]);
}

#[test]
fn numeric_operators() {
    check(&[
        (
            json!({"NumericEquals": {"aws:MultiFactorAuthAge": "300"}}),
            true,
        ),
        (
            json!({"NumericEquals": {"aws:MultiFactorAuthAge": 300}}),
            true,
        ),
        (
            json!({"NumericEquals": {"aws:MultiFactorAuthAge": "300.0"}}),
            true,
        ),
        (
            json!({"NumericNotEquals": {"aws:MultiFactorAuthAge": "300"}}),
            false,
        ),
        (
            json!({"NumericLessThan": {"aws:MultiFactorAuthAge": "301"}}),
            true,
        ),
        (
            json!({"NumericLessThan": {"aws:MultiFactorAuthAge": "300"}}),
            false,
        ),
        (
            json!({"NumericLessThanEquals": {"aws:MultiFactorAuthAge": "300"}}),
            true,
        ),
        (
            json!({"NumericGreaterThan": {"aws:MultiFactorAuthAge": "299"}}),
            true,
        ),
        (
            json!({"NumericGreaterThanEquals": {"aws:MultiFactorAuthAge": "301"}}),
            false,
        ),
        (
            json!({"NumericEquals": {"aws:PrincipalTag/team": "1"}}),
            false,
        ),
    ]);
}

#[test]
fn date_operators() {
    check(&[
        (
            json!({"DateLessThan": {"aws:CurrentTime": "2026-12-31T00:00:00Z"}}),
            true,
        ),
        (
            json!({"DateLessThan": {"aws:CurrentTime": "2026-01-01"}}),
            false,
        ),
        (
            json!({"DateGreaterThan": {"aws:CurrentTime": "2026-06-01T11:59:59Z"}}),
            true,
        ),
        (
            json!({"DateEquals": {"aws:CurrentTime": "2026-06-01T12:00:00Z"}}),
            true,
        ),
        (
            json!({"DateEquals": {"aws:CurrentTime": "2026-06-01T14:00:00+02:00"}}),
            true,
        ),
        (
            json!({"DateEquals": {"aws:CurrentTime": "2026-06-01T12:00:00.000Z"}}),
            true,
        ),
        (
            json!({"DateEquals": {"aws:CurrentTime": "1780315200"}}),
            true,
        ),
        (
            json!({"DateNotEquals": {"aws:CurrentTime": "1780315200"}}),
            false,
        ),
        (
            json!({"DateLessThanEquals": {"aws:EpochTime": "2026-06-01T12:00:00Z"}}),
            true,
        ),
        (
            json!({"DateGreaterThanEquals": {"aws:EpochTime": "2026-06-01T12:00:01Z"}}),
            false,
        ),
    ]);
}

#[test]
fn bool_and_binary_operators() {
    check(&[
        (
            json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
            true,
        ),
        (json!({"Bool": {"aws:MultiFactorAuthPresent": true}}), true),
        (
            json!({"Bool": {"aws:MultiFactorAuthPresent": "false"}}),
            false,
        ),
        (json!({"Bool": {"aws:SecureTransport": "false"}}), false),
        (json!({"BinaryEquals": {"s3:x-amz-content": "QUJD"}}), true),
        (json!({"BinaryEquals": {"s3:x-amz-content": "QUJE"}}), false),
    ]);
}

#[test]
fn ip_address_operators() {
    check(&[
        (json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}), true),
        (json!({"IpAddress": {"aws:SourceIp": "10.1.2.3"}}), true),
        (json!({"IpAddress": {"aws:SourceIp": "10.1.2.4/32"}}), false),
        (
            json!({"IpAddress": {"aws:SourceIp": ["192.168.0.0/16", "10.1.0.0/16"]}}),
            true,
        ),
        (json!({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}), true),
        (
            json!({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
            false,
        ),
        (
            json!({"NotIpAddress": {"aws:SourceIp": "192.168.0.0/16"}}),
            true,
        ),
        (
            json!({"IpAddress": {"aws:SourceIpV6": "2001:db8::/32"}}),
            true,
        ),
        (
            json!({"IpAddress": {"aws:SourceIpV6": "2001:db9::/32"}}),
            false,
        ),
        (
            json!({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}),
            false,
        ),
    ]);
}

#[test]
fn arn_operators() {
    check(&[
        (
            json!({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/app"}}),
            true,
        ),
        (
            json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}),
            true,
        ),
        (
            json!({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}),
            true,
        ),
        (
            json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/*"}}),
            false,
        ),
        (
            json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/APP"}}),
            false,
        ),
        (
            json!({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/app"}}),
            false,
        ),
        (
            json!({"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::*:role/other"}}),
            true,
        ),
        // Wildcards stay inside their component.
        (
            json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:*:role/app"}}),
            false,
        ),
        (json!({"ArnLike": {"aws:PrincipalArn": "*"}}), true),
    ]);
}

#[test]
fn set_qualifiers() {
    check(&[
        (
            json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team", "cost"]}}),
            true,
        ),
        (
            json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}),
            false,
        ),
        (
            json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}),
            true,
        ),
        (
            json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["cost"]}}),
            false,
        ),
        (
            json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["cost"]}}),
            true,
        ),
        (
            json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["env"]}}),
            false,
        ),
        (
            json!({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["env"]}}),
            true,
        ),
        (
            json!({"ForAnyValue:StringLike": {"aws:TagKeys": ["te*"]}}),
            true,
        ),
        // A single-valued key is a set of one.
        (
            json!({"ForAnyValue:StringEquals": {"aws:PrincipalTag/team": "dba"}}),
            true,
        ),
        (
            json!({"ForAllValues:StringEqualsIfExists": {"aws:Missing": "x"}}),
            true,
        ),
    ]);
}

#[test]
fn several_keys_are_anded_and_several_operators_too() {
    check(&[
        (
            json!({"StringEquals": {"aws:PrincipalTag/team": "dba", "aws:username": "alice"}}),
            true,
        ),
        (
            json!({"StringEquals": {"aws:PrincipalTag/team": "dba", "aws:username": "bob"}}),
            false,
        ),
        (
            json!({"StringEquals": {"aws:PrincipalTag/team": "dba"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
            true,
        ),
        (
            json!({"StringEquals": {"aws:PrincipalTag/team": "dba"}, "IpAddress": {"aws:SourceIp": "11.0.0.0/8"}}),
            false,
        ),
    ]);
}

#[test]
fn policy_variables_in_values() {
    check(&[
        (
            json!({"StringEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/team}"}}),
            true,
        ),
        (
            json!({"StringLike": {"aws:PrincipalArn": "*/${aws:username, 'app'}"}}),
            false,
        ),
        (
            json!({"StringLike": {"aws:PrincipalArn": "*/${aws:userid, 'app'}"}}),
            true,
        ),
        (
            json!({"StringEquals": {"aws:username": "${aws:userid}"}}),
            false,
        ),
        // An unresolvable variable invalidates the condition, negated or not.
        (
            json!({"StringNotEquals": {"aws:username": "${aws:userid}"}}),
            false,
        ),
        (
            json!({"StringNotEquals": {"aws:username": "${aws:userid, 'bob'}"}}),
            true,
        ),
        (
            json!({"StringNotEquals": {"aws:SourceVpc": "${aws:userid}"}}),
            false,
        ),
        (
            json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/${aws:userid, 'app'}"}}),
            true,
        ),
        // Variables are not substituted in numeric operators.
        (
            json!({"NumericEquals": {"aws:MultiFactorAuthAge": 300}}),
            true,
        ),
    ]);
}

#[test]
fn open_context_gives_depends_on_unknown_keys() {
    let context = RequestContext::open()
        .with("aws:PrincipalTag/team", "dba")
        .with_absent("aws:SourceIp");
    let unknown = eval(
        json!({"StringEquals": {"aws:SourceVpce": "vpce-1"}}),
        &context,
    );
    assert_eq!(unknown, Truth::depends("aws:sourcevpce"));
    let known = eval(
        json!({"StringEquals": {"aws:PrincipalTag/team": "dba"}}),
        &context,
    );
    assert_eq!(known, Truth::Yes);
    let absent = eval(
        json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        &context,
    );
    assert_eq!(absent, Truth::No);
    let negated_absent = eval(
        json!({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        &context,
    );
    assert_eq!(negated_absent, Truth::Yes);
    let mixed = eval(
        json!({"StringEquals": {"aws:PrincipalTag/team": "ops", "aws:SourceVpce": "x"}}),
        &context,
    );
    assert_eq!(mixed, Truth::No, "a definite false decides an AND");
    let variable = eval(
        json!({"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}}),
        &context,
    );
    assert_eq!(variable, Truth::depends("aws:username"));
}

#[test]
fn operator_names() {
    for name in [
        "StringEquals",
        "ForAllValues:StringLike",
        "ForAnyValue:ArnNotLikeIfExists",
        "NumericGreaterThanEqualsIfExists",
        "stringequals",
    ] {
        assert!(Operator::parse(name).is_some(), "{name}");
    }
    for name in [
        "StringEqual",
        "NullIfExists",
        "ForSomeValues:StringEquals",
        "IfExists",
        "Regex",
    ] {
        assert!(Operator::parse(name).is_none(), "{name}");
    }
    let op = Operator::parse("ForAnyValue:StringLikeIfExists").unwrap();
    assert_eq!(op.name(), "ForAnyValue:StringLikeIfExists");
}

#[test]
fn malformed_conditions_name_their_json_path() {
    let cases = [
        (
            json!({"StringLike": "x"}),
            "Condition.StringLike: expected an object",
        ),
        (
            json!({"Regex": {"k": "v"}}),
            "Condition.Regex: unknown condition operator",
        ),
        (
            json!({"StringEquals": {"k": {"a": 1}}}),
            "Condition.StringEquals.k: expected a string, number or boolean",
        ),
        (
            json!({"StringEquals": {"k": ["a", null]}}),
            "Condition.StringEquals.k[1]: expected a string, number or boolean",
        ),
        (
            json!({"NumericEquals": {"k": "ten"}}),
            "Condition.NumericEquals.k[0]: \"ten\" is not a number",
        ),
        (
            json!({"IpAddress": {"k": "10.0.0.0/33"}}),
            "Condition.IpAddress.k[0]: \"10.0.0.0/33\" is not an IP address or CIDR range",
        ),
        (
            json!({"DateEquals": {"k": "yesterday"}}),
            "Condition.DateEquals.k[0]: \"yesterday\" is not an ISO 8601 date or epoch seconds",
        ),
        (
            json!({"Bool": {"k": "yes"}}),
            "Condition.Bool.k[0]: \"yes\" is not true or false",
        ),
        (
            json!("x"),
            "Condition: expected an object of condition operators",
        ),
    ];
    for (block, expected) in cases {
        let err = parse_conditions(&block, "Condition", true).unwrap_err();
        assert_eq!(err.to_string(), expected);
    }
}

#[test]
fn dates_parse_in_every_documented_form() {
    let base = parse_date("2026-06-01T12:00:00Z").unwrap();
    assert_eq!(parse_date("2026-06-01T12:00:00.000Z"), Some(base));
    assert_eq!(parse_date("2026-06-01T12:00Z"), Some(base));
    assert_eq!(parse_date("2026-06-01T13:30:00+01:30"), Some(base));
    assert_eq!(parse_date("2026-06-01T10:00:00-0200"), Some(base));
    assert_eq!(parse_date("1780315200"), Some(base));
    assert_eq!(parse_date("1970-01-01"), Some(0));
    assert_eq!(parse_date("2000-02-29"), Some(951_782_400_000));
    for bad in ["", "2026-13-01", "2026-1-1", "noon", "2026-06-01T25:00:00Z"] {
        assert_eq!(parse_date(bad), None, "{bad}");
    }
}

#[test]
fn split_arn_is_splitn_six() {
    fn reference(arn: &str) -> Option<Vec<&str>> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        (parts.len() == 6).then_some(parts)
    }
    for arn in [
        "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABC/app",
        "arn:aws:rds:eu-west-1:1:db:mydb:extra:colons",
        "arn:aws:iam::111122223333:role/r",
        ":::::",
        "::::",
        "",
        "arn:aws:rds-db:*",
        "arn:ä:ö::ü:é/ß",
        "a:b:c:d:e:",
    ] {
        assert_eq!(
            super::split_arn(arn).map(|parts| parts.to_vec()),
            reference(arn),
            "{arn:?}"
        );
    }
}
