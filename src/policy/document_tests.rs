//! Parser tests: normalisation of string-or-array fields, URL-encoded input, and errors
//! that name the JSON path.

use serde_json::json;

use super::*;

#[test]
fn statement_may_be_an_object_or_an_array_and_fields_strings_or_arrays() {
    let one = PolicyDocument::parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"rds-db:connect","Resource":"*"}}"#).unwrap();
    assert_eq!(one.statements.len(), 1);
    assert_eq!(one.statements[0].action.patterns[0].raw, "rds-db:connect");
    let many = PolicyDocument::from_value(&json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "A", "Effect": "Allow", "Action": ["rds-db:connect", "rds:Describe*"], "Resource": ["a", "b"]},
        {"Effect": "Deny", "NotAction": "s3:*", "NotResource": "x"}
    ]}))
    .unwrap();
    assert_eq!(many.statements[0].sid.as_deref(), Some("A"));
    assert_eq!(many.statements[0].action.patterns.len(), 2);
    assert_eq!(
        many.statements[0].resource.as_ref().unwrap().patterns.len(),
        2
    );
    assert!(many.statements[1].action.negated);
    assert!(many.statements[1].resource.as_ref().unwrap().negated);
    assert_eq!(many.statements[1].index, 1);
}

#[test]
fn url_encoded_documents_as_iam_returns_them() {
    let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22rds-db%3Aconnect%22%2C%22Resource%22%3A%22arn%3Aaws%3Ards-db%3Aus-east-1%3A1%3Adbuser%3A%2A%2Fpg%20monitor%22%7D%5D%7D";
    let doc = PolicyDocument::parse(encoded).unwrap();
    let resource = &doc.statements[0].resource.as_ref().unwrap().patterns[0].raw;
    assert_eq!(resource, "arn:aws:rds-db:us-east-1:1:dbuser:*/pg monitor");
}

#[test]
fn trust_policies_parse_principals_without_resource() {
    let doc = PolicyDocument::from_value(&json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/pg-mgmt-role"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}
    ]}))
    .unwrap();
    let statement = &doc.statements[0];
    assert!(statement.resource.is_none());
    assert_eq!(
        statement.principal.as_ref().unwrap().principals.aws.len(),
        1
    );
    assert_eq!(statement.conditions[0].key, "sts:ExternalId");
}

#[test]
fn errors_name_the_json_path() {
    let cases = [
        (json!([]), "a policy document must be a JSON object"),
        (json!({"Version": "2012-10-17"}), "Statement: missing"),
        (
            json!({"Version": "2012-10-17", "Statement": 3}),
            "Statement: expected an object or an array of objects",
        ),
        (
            json!({"Version": "2021-01-01", "Statement": []}),
            "Version: unsupported version \"2021-01-01\" (expected \"2012-10-17\")",
        ),
        (
            json!({"Version": "2012-10-17", "Statment": []}),
            "Statment: unknown top-level element",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "x"}, "oops"]}),
            "Statement[1]: expected an object",
        ),
        (
            json!({"Statement": [{"Effect": "allow", "Action": "x"}]}),
            "Statement[0].Effect: expected \"Allow\" or \"Deny\", found \"allow\"",
        ),
        (
            json!({"Statement": [{"Action": "x"}]}),
            "Statement[0].Effect: missing",
        ),
        (
            json!({"Statement": [{"Effect": "Allow"}]}),
            "Statement[0]: needs Action or NotAction",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "x", "NotAction": "y"}]}),
            "Statement[0]: has both Action and NotAction",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": ["x", 1]}]}),
            "Statement[0].Action[1]: expected a string",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "x", "Resource": {}}]}),
            "Statement[0].Resource: expected a string or an array of strings",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "x", "Conditon": {}}]}),
            "Statement[0].Conditon: unknown statement element",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "x", "Condition": {"StringLike": []}}]}),
            "Statement[0].Condition.StringLike: expected an object",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "x", "Principal": {"AWS": 1}}]}),
            "Statement[0].Principal.AWS: expected a string or an array of strings",
        ),
    ];
    for (value, expected) in cases {
        let err = PolicyDocument::from_value(&value).unwrap_err();
        assert_eq!(err.to_string(), expected, "{value}");
    }
}

#[test]
fn broken_text_is_an_error_not_a_panic() {
    for text in [
        "",
        "{",
        "%7B",
        "%ZZ",
        "{\"Statement\":[}",
        "null",
        "\u{0}",
        "%FF%FE",
    ] {
        assert!(PolicyDocument::parse(text).is_err(), "{text:?}");
    }
    let err = PolicyDocument::parse("{\n  \"Statement\": [\n}").unwrap_err();
    assert!(err.message.contains("line 3"), "{err}");
}

/// The cheap shapes (`Exact`, `Prefix`, `Everything`, matched against the pattern's own
/// text) must answer exactly as the compiled wildcard of the same pattern does.
#[test]
fn pattern_shapes_match_as_the_compiled_wildcard_does() {
    use crate::policy::wildcard::{Flavour, Wildcard};
    let patterns = [
        "",
        "*",
        "?",
        "**",
        "*?",
        "a",
        "a*",
        "a?",
        "?a",
        "*a",
        "a*b",
        "a**",
        "s3:Get*",
        "S3:GETOBJECT",
        "rds-db:connect",
        "rds-db:*",
        "RDS-DB:Conn*",
        "arn:aws:s3:::b/*",
        "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABC/app",
        "arn:aws:rds-db:*:*:dbuser:*/app",
        "arn:*",
        "x:*:y",
        ":*",
    ];
    let texts = [
        "",
        "a",
        "ab",
        "a:b",
        "s3:getobject",
        "s3:GetObject",
        "s3:get",
        "rds-db:connect",
        "rds-db:conn",
        "arn:aws:s3:::b/key",
        "arn:aws:s3:::b/",
        "arn:aws:s3:::bucket",
        "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABC/app",
        "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-abc/app",
        "x:q:y",
        "x:q:r:y",
    ];
    for pattern in patterns {
        let action = ActionPattern::compile(pattern.to_owned());
        let lowered = Wildcard::compile(&pattern.to_ascii_lowercase(), Flavour::Plain);
        let resource = ResourcePattern::compile(pattern.to_owned(), true);
        let arn = Wildcard::compile(pattern, Flavour::Arn);
        for text in texts {
            let lower_text = text.to_ascii_lowercase();
            assert_eq!(
                action.matches(&lower_text),
                lowered.matches(&lower_text),
                "action {pattern:?} on {lower_text:?}"
            );
            assert_eq!(
                resource.matches_plain(text),
                Some(arn.matches(text)),
                "resource {pattern:?} on {text:?}"
            );
        }
    }
}
