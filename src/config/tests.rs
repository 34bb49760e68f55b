//! Parsing and validation of `rdsiam.toml`: good files become typed settings, bad ones are
//! errors naming the line and the key.

use super::*;

fn err(text: &str) -> ConfigError {
    match parse(text, "rdsiam.toml") {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

#[test]
fn a_full_file_becomes_typed_settings() {
    let text = r#"
[audit]
fail-on = "medium"
format = "json"

[rules.connect-role-unused]
unused-days = 30
severity = "high"

[rules.rds-iam-orphan]
enabled = false

[scope]
exclude-accounts = ["111111111111"]
include-regions = ["us-east-1"]

[[exceptions]]
rule = "force-ssl-off"
resource = "arn:aws:rds:us-east-1:222222222222:db:billing-pg"
reason = "legacy client"
owner = "dba@example.com"
expires = 2027-03-31
"#;
    let settings = parse(text, "rdsiam.toml").expect("valid");
    assert_eq!(settings.audit.fail_on, Some(Severity::Medium));
    assert_eq!(settings.audit.format, Some(Format::Json));
    assert_eq!(settings.rules.params.unused_days, 30);
    assert_eq!(
        settings.rules.severity("connect-role-unused"),
        Some(Severity::High)
    );
    assert!(!settings.rules.enabled("rds-iam-orphan"));
    assert!(settings.rules.enabled("force-ssl-off"));
    assert!(
        settings
            .rules
            .scope
            .accounts
            .exclude
            .contains("111111111111")
    );
    let exception = &settings.rules.exceptions[0];
    assert_eq!(exception.expires, "2027-03-31");
    assert_eq!(exception.source, "rdsiam.toml:17");
    // The printed effective configuration reads back to the same settings.
    let printed = template::effective(&settings);
    let again = parse(&printed, "printed").expect("printed config parses");
    assert_eq!(again.rules.params, settings.rules.params);
    assert_eq!(again.rules.scope, settings.rules.scope);
    // The printed file spells every default out (`fail-on-new = false` for an absent key).
    let spelled_out = AuditDefaults {
        fail_on_new: Some(settings.audit.fail_on_new.unwrap_or(false)),
        ..settings.audit.clone()
    };
    assert_eq!(again.audit, spelled_out);
    assert_eq!(again.rules.exceptions[0].id, exception.id);
}

#[test]
fn the_starter_file_parses() {
    let settings = parse(&template::starter(), "rdsiam.toml").expect("starter parses");
    assert_eq!(settings.audit.fail_on, Some(Severity::Low));
}

#[test]
fn unknown_keys_name_line_and_suggest() {
    let e = err("[audit]\nfial-on = \"high\"\n");
    assert_eq!(e.line, Some(2), "{e}");
    assert_eq!(e.key.as_deref(), Some("fial-on"), "{e}");
    assert!(e.to_string().contains("did you mean `fail-on`"), "{e}");

    let e = err("[rules.rds-iam-orphn]\nenabled = false\n");
    assert_eq!(e.line, Some(1), "{e}");
    assert!(
        e.to_string().contains("did you mean `rds-iam-orphan`"),
        "{e}"
    );

    let e = err("[rules.connect-role-unused]\nunused-dys = 3\n");
    assert_eq!(e.line, Some(2), "{e}");
    assert!(e.to_string().contains("did you mean `unused-days`"), "{e}");
}

#[test]
fn wrong_types_and_values_name_line_and_key() {
    let e = err("[rules.force-ssl-off]\nseverity = \"severe\"\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(2), Some("rules.force-ssl-off.severity"))
    );
    let e = err("[rules.force-ssl-off]\nenabled = \"no\"\n");
    assert_eq!(e.line, Some(2), "{e}");
    let e = err("[audit]\nfail-on = 3\n");
    assert_eq!(e.line, Some(2), "{e}");
    let e = err("[audit\n");
    assert_eq!(e.line, Some(1), "{e}");
    assert!(e.to_string().starts_with("rdsiam.toml:1"), "{e}");
}

#[test]
fn exceptions_need_reason_owner_and_a_real_date() {
    let base = "[[exceptions]]\nrule = \"force-ssl-off\"\n";
    let e = err(&format!("{base}owner = \"o\"\nexpires = 2027-01-01\n"));
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(1), Some("exceptions[0].reason"))
    );
    let e = err(&format!("{base}reason = \"r\"\nexpires = 2027-01-01\n"));
    assert_eq!(e.key.as_deref(), Some("exceptions[0].owner"));
    let e = err(&format!("{base}reason = \"r\"\nowner = \"o\"\n"));
    assert_eq!(e.key.as_deref(), Some("exceptions[0].expires"));
    let e = err(&format!(
        "{base}reason = \"r\"\nowner = \"o\"\nexpires = \"next year\"\n"
    ));
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(5), Some("exceptions[0].expires"))
    );
    let e = err(&format!(
        "{base}reason = \"r\"\nowner = \"o\"\nexpires = 2027-13-01\n"
    ));
    assert_eq!(e.line, Some(5), "{e}");
    let e = err(
        "[[exceptions]]\nrule = \"force-ssl-of\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2027-01-01\n",
    );
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(2), Some("exceptions[0].rule"))
    );
    assert!(
        e.to_string().contains("did you mean `force-ssl-off`"),
        "{e}"
    );
    // A string date is accepted too.
    let ok = parse(
        &format!("{base}reason = \"r\"\nowner = \"o\"\nexpires = \"2027-01-01\"\n"),
        "f",
    )
    .expect("string date");
    assert_eq!(ok.rules.exceptions[0].expires, "2027-01-01");
}
