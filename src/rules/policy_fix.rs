//! Ready-to-run fixes for policy documents: the corrected document (the snapshot's own text
//! with exactly one defect edited) and the `aws` command that publishes it for this kind of
//! owner — `create-policy-version` for a managed policy, `put-role-policy` /
//! `put-user-policy` / `put-group-policy` for an inline one, `update-assume-role-policy`
//! for a trust policy, `organizations update-policy` for an SCP or RCP.
//!
//! A fix is only worth printing if pasting it works, so nothing here renders a template
//! name such as `file://fixed-policy.json` or `ROLE_NAME`: a fact the snapshot does not
//! hold is named in the command as `<WHAT: why it is unknown>` (a shell refuses to run it).

use serde_json::Value;

use crate::access::PolicyOwner;
use crate::inventory::{Inventory, PolicyText};
use crate::policy::Statement;

/// One change to one statement of a document.
#[derive(Debug, Clone, Copy)]
pub enum Edit<'a> {
    /// Replace the resource pattern `old` with `new`.
    ReplaceResource { old: &'a str, new: &'a str },
    /// Remove the resource pattern `old` (the statement goes when it was its only one).
    RemoveResource { old: &'a str },
    /// Replace the action `old` with `new`.
    ReplaceAction { old: &'a str, new: &'a str },
    /// Make a condition on a key that connect requests never carry stop mattering for
    /// `rds-db:connect`: an Allow loses the condition; a Deny stops covering the action.
    NeverPresentKey { key: &'a str },
}

/// A fact missing from the snapshot, as it appears in a rendered command.
pub fn unknown(what: &str, why: &str) -> String {
    format!("<{what}: {why}>")
}

/// `text` as one single-quoted shell word.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The document text of `owner` as collected.
pub fn document_text<'i>(inventory: &'i Inventory, owner: &PolicyOwner) -> Option<&'i PolicyText> {
    match owner {
        PolicyOwner::Managed { arn, account } => inventory
            .account(account)
            .and_then(|a| a.iam.managed_policies.iter().find(|p| p.arn == *arn))
            .or_else(|| {
                // AWS-managed policies are indexed once, under the first account holding them.
                inventory
                    .accounts
                    .iter()
                    .find_map(|a| a.iam.managed_policies.iter().find(|p| p.arn == *arn))
            })
            .map(|p| &p.document),
        PolicyOwner::Inline {
            owner_arn,
            account,
            name,
        } => {
            let iam = &inventory.account(account)?.iam;
            let sets = iam
                .users
                .iter()
                .map(|u| (&u.arn, &u.inline_policies))
                .chain(iam.groups.iter().map(|g| (&g.arn, &g.inline_policies)))
                .chain(iam.roles.iter().map(|r| (&r.arn, &r.inline_policies)));
            sets.filter(|(arn, _)| *arn == owner_arn)
                .flat_map(|(_, policies)| policies)
                .find(|p| p.name == *name)
                .map(|p| &p.document)
        }
        PolicyOwner::Trust { role_arn, account } => inventory
            .account(account)?
            .iam
            .roles
            .iter()
            .find(|r| r.arn == *role_arn)
            .map(|r| &r.trust_policy),
        PolicyOwner::Organization { policy_id, .. } => inventory
            .organization
            .as_ref()?
            .policies
            .iter()
            .find(|p| p.id == *policy_id)
            .map(|p| &p.document),
    }
}

/// The document as a JSON value, whether stored as an object, a JSON string or URL-encoded.
fn document_value(text: &PolicyText) -> Option<Value> {
    match serde_json::from_str::<Value>(text.as_json()).ok()? {
        Value::String(inner) => {
            let trimmed = inner.trim();
            let decoded = if !trimmed.starts_with('{') && trimmed.contains('%') {
                percent_encoding::percent_decode_str(trimmed)
                    .decode_utf8()
                    .ok()?
                    .into_owned()
            } else {
                trimmed.to_owned()
            };
            serde_json::from_str(&decoded).ok()
        }
        value @ Value::Object(_) => Some(value),
        _ => None,
    }
}

/// The document with `edit` applied to `statement`, as compact JSON; `None` when the edit
/// cannot be made safely (the statement is not where the parser saw it, or the edit would
/// leave the document without statements).
pub fn corrected_document(
    text: &PolicyText,
    statement: &Statement,
    edit: Edit<'_>,
) -> Option<String> {
    let mut document = document_value(text)?;
    let statements = document.get_mut("Statement")?;
    let single = statements.is_object();
    let target = if single {
        (statement.index == 0).then_some(&mut *statements)?
    } else {
        statements.as_array_mut()?.get_mut(statement.index)?
    };
    // The parser's index must point at the same statement: check the Sid when there is one.
    let sid = target.get("Sid").and_then(Value::as_str);
    if sid.filter(|s| !s.is_empty()) != statement.sid.as_deref().filter(|s| !s.is_empty()) {
        return None;
    }
    let keep = apply(target.as_object_mut()?, edit)?;
    if !keep {
        if single {
            return None;
        }
        let list = statements.as_array_mut()?;
        list.remove(statement.index);
        if list.is_empty() {
            return None;
        }
    }
    serde_json::to_string(&document).ok()
}

/// Applies `edit` to one statement object; `Some(false)` when the statement must go.
fn apply(statement: &mut serde_json::Map<String, Value>, edit: Edit<'_>) -> Option<bool> {
    match edit {
        Edit::ReplaceResource { old, new } => {
            replace_in(statement.get_mut("Resource")?, old, new).then_some(true)
        }
        Edit::ReplaceAction { old, new } => {
            replace_in(statement.get_mut("Action")?, old, new).then_some(true)
        }
        Edit::RemoveResource { old } => {
            let resource = statement.get_mut("Resource")?;
            match resource {
                Value::String(s) if s == old => Some(false),
                Value::Array(list) => {
                    let before = list.len();
                    list.retain(|v| v.as_str() != Some(old));
                    if list.len() == before {
                        return None;
                    }
                    Some(!list.is_empty())
                }
                _ => None,
            }
        }
        Edit::NeverPresentKey { key } => {
            let deny = statement.get("Effect").and_then(Value::as_str) == Some("Deny");
            if deny {
                exempt_connect(statement).then_some(true)
            } else {
                drop_condition_key(statement, key).then_some(true)
            }
        }
    }
}

/// Replaces every string equal to `old` in a string-or-list element.
fn replace_in(element: &mut Value, old: &str, new: &str) -> bool {
    let mut replaced = false;
    let mut swap = |v: &mut Value| {
        if v.as_str() == Some(old) {
            *v = Value::String(new.to_owned());
            replaced = true;
        }
    };
    match element {
        Value::Array(list) => list.iter_mut().for_each(&mut swap),
        other => swap(other),
    }
    replaced
}

/// Removes `key` (any case) from every operator of the statement's Condition.
fn drop_condition_key(statement: &mut serde_json::Map<String, Value>, key: &str) -> bool {
    let Some(Value::Object(condition)) = statement.get_mut("Condition") else {
        return false;
    };
    let mut removed = false;
    for block in condition.values_mut() {
        if let Value::Object(keys) = block {
            let before = keys.len();
            keys.retain(|k, _| !k.eq_ignore_ascii_case(key));
            removed |= keys.len() != before;
        }
    }
    condition.retain(|_, block| block.as_object().is_none_or(|keys| !keys.is_empty()));
    if condition.is_empty() {
        statement.remove("Condition");
    }
    removed
}

/// A Deny whose condition always matches for connect requests: take `rds-db:connect` out of
/// what it covers (`Action: "*"` becomes `NotAction: "rds-db:connect"`, an explicit
/// `rds-db:connect` is removed from the list, a `NotAction` list gains it). Other shapes
/// (`rds-db:*`, `rds*`) need a person: `false`.
fn exempt_connect(statement: &mut serde_json::Map<String, Value>) -> bool {
    use crate::policy::rds_db::CONNECT;
    let is_connect = |v: &Value| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(CONNECT));
    if let Some(not_action) = statement.get_mut("NotAction") {
        match not_action {
            Value::String(s) => {
                let existing = Value::String(std::mem::take(s));
                *not_action = Value::Array(vec![existing, Value::String(CONNECT.into())]);
            }
            Value::Array(list) => list.push(Value::String(CONNECT.into())),
            _ => return false,
        }
        return true;
    }
    let Some(action) = statement.get_mut("Action") else {
        return false;
    };
    match action {
        Value::String(s) if s == "*" => {
            statement.remove("Action");
            statement.insert("NotAction".into(), Value::String(CONNECT.into()));
            true
        }
        Value::Array(list) if list.iter().any(is_connect) && list.len() > 1 => {
            list.retain(|v| !is_connect(v));
            true
        }
        _ => false,
    }
}

/// The last path segment of an IAM ARN (`…:role/path/name` → `name`).
fn arn_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The command that replaces `owner`'s document with `document` (compact JSON), or with a
/// named unknown when the correction is not known.
pub fn publish_command(owner: &PolicyOwner, document: Result<String, String>) -> String {
    let body = match document {
        Ok(json) => shell_quote(&json),
        Err(unknown) => unknown,
    };
    match owner {
        PolicyOwner::Managed { arn, .. } => format!(
            "aws iam create-policy-version --policy-arn {arn} --policy-document {body} --set-as-default"
        ),
        PolicyOwner::Inline {
            owner_arn, name, ..
        } => {
            let command = inline_kind(owner_arn);
            format!(
                "aws iam put-{command}-policy --{command}-name {} --policy-name {} --policy-document {body}",
                shell_word(arn_name(owner_arn)),
                shell_word(name)
            )
        }
        PolicyOwner::Trust { role_arn, .. } => format!(
            "aws iam update-assume-role-policy --role-name {} --policy-document {body}",
            shell_word(arn_name(role_arn))
        ),
        PolicyOwner::Organization { policy_id, .. } => {
            format!("aws organizations update-policy --policy-id {policy_id} --content {body}")
        }
    }
}

/// The read-only command that prints `owner`'s document as IAM holds it now.
pub fn inspect_command(owner: &PolicyOwner, version_id: Option<&str>) -> String {
    match owner {
        PolicyOwner::Managed { arn, .. } => format!(
            "aws iam get-policy-version --policy-arn {arn} --version-id {}",
            version_id.map_or_else(
                || unknown("VERSION_ID", "default version not in snapshot"),
                str::to_owned
            )
        ),
        PolicyOwner::Inline {
            owner_arn, name, ..
        } => {
            let command = inline_kind(owner_arn);
            format!(
                "aws iam get-{command}-policy --{command}-name {} --policy-name {}",
                shell_word(arn_name(owner_arn)),
                shell_word(name)
            )
        }
        PolicyOwner::Trust { role_arn, .. } => format!(
            "aws iam get-role --role-name {} --query Role.AssumeRolePolicyDocument",
            shell_word(arn_name(role_arn))
        ),
        PolicyOwner::Organization { policy_id, .. } => format!(
            "aws organizations describe-policy --policy-id {policy_id} --query Policy.Content --output text"
        ),
    }
}

/// `role`, `user` or `group`: whose inline policy, from the owner's ARN.
fn inline_kind(owner_arn: &str) -> &'static str {
    if owner_arn.contains(":user/") {
        "user"
    } else if owner_arn.contains(":group/") {
        "group"
    } else {
        "role"
    }
}

/// A name as a shell word: IAM names are `[\w+=,.@-]+`, safe unquoted; anything else quoted.
fn shell_word(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if plain {
        name.to_owned()
    } else {
        shell_quote(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(text: &str, index: usize) -> Statement {
        let document = crate::policy::PolicyDocument::parse(text).expect("test policy parses");
        document.statements[index].clone()
    }

    const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Other","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Allow","Action":["rds-db:connect"],"Resource":["arn:aws:rds-db:eu-west-1:111122223333:dbuser:orders-db/app","arn:aws:rds-db:eu-west-1:111122223333:dbuser:db-ABC/ro"]}]}"#;

    #[test]
    fn replaces_exactly_the_defective_resource_of_the_statement() {
        let text = PolicyText::from(DOC);
        let fixed = corrected_document(
            &text,
            &statement(DOC, 1),
            Edit::ReplaceResource {
                old: "arn:aws:rds-db:eu-west-1:111122223333:dbuser:orders-db/app",
                new: "arn:aws:rds-db:eu-west-1:111122223333:dbuser:db-XYZ/app",
            },
        )
        .expect("edit applies");
        assert!(fixed.contains("dbuser:db-XYZ/app"), "{fixed}");
        assert!(!fixed.contains("orders-db"), "{fixed}");
        assert!(fixed.contains(r#""Sid":"Other""#), "{fixed}");
        assert!(fixed.contains("dbuser:db-ABC/ro"), "{fixed}");
    }

    #[test]
    fn removing_the_last_resource_removes_the_statement_but_never_the_last_one() {
        let text = PolicyText::from(DOC);
        let st = statement(DOC, 1);
        let fixed = corrected_document(
            &text,
            &st,
            Edit::RemoveResource {
                old: "arn:aws:rds-db:eu-west-1:111122223333:dbuser:db-ABC/ro",
            },
        )
        .expect("edit applies");
        assert!(!fixed.contains("db-ABC"), "{fixed}");
        let only = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:eu-west-1:1:dbuser:db-A/x"}}"#;
        let none = corrected_document(
            &PolicyText::from(only),
            &statement(only, 0),
            Edit::RemoveResource {
                old: "arn:aws:rds-db:eu-west-1:1:dbuser:db-A/x",
            },
        );
        assert_eq!(none, None);
    }

    #[test]
    fn never_present_key_drops_the_allow_condition_and_exempts_connect_from_the_deny() {
        let allow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds-db:connect","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;
        let fixed = corrected_document(
            &PolicyText::from(allow),
            &statement(allow, 0),
            Edit::NeverPresentKey {
                key: "aws:SourceIp",
            },
        )
        .expect("edit applies");
        assert!(!fixed.contains("Condition"), "{fixed}");
        let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;
        let fixed = corrected_document(
            &PolicyText::from(deny),
            &statement(deny, 0),
            Edit::NeverPresentKey {
                key: "aws:SourceIp",
            },
        )
        .expect("edit applies");
        assert!(fixed.contains(r#""NotAction":"rds-db:connect""#), "{fixed}");
        assert!(fixed.contains("NotIpAddress"), "{fixed}");
    }

    #[test]
    fn a_statement_whose_sid_differs_from_the_parsed_one_is_not_edited() {
        let text = PolicyText::from(DOC);
        let mut st = statement(DOC, 1);
        st.sid = Some("Moved".into());
        let edit = Edit::RemoveResource {
            old: "arn:aws:rds-db:eu-west-1:111122223333:dbuser:db-ABC/ro",
        };
        assert_eq!(corrected_document(&text, &st, edit), None);
    }

    #[test]
    fn publish_command_matches_the_owner_and_quotes_the_document() {
        let inline = PolicyOwner::Inline {
            owner_arn: "arn:aws:iam::111122223333:role/data/data-export-role".into(),
            account: "111122223333".into(),
            name: "db-connect".into(),
        };
        assert_eq!(
            publish_command(&inline, Ok(r#"{"a":"it's"}"#.into())),
            r#"aws iam put-role-policy --role-name data-export-role --policy-name db-connect --policy-document '{"a":"it'\''s"}'"#
        );
        let user = PolicyOwner::Inline {
            owner_arn: "arn:aws:iam::111122223333:user/alice".into(),
            account: "111122223333".into(),
            name: "p".into(),
        };
        assert!(
            publish_command(&user, Ok("{}".into()))
                .starts_with("aws iam put-user-policy --user-name alice --policy-name p")
        );
        assert_eq!(
            inspect_command(&inline, None),
            "aws iam get-role-policy --role-name data-export-role --policy-name db-connect"
        );
        let managed = PolicyOwner::Managed {
            arn: "arn:aws:iam::111122223333:policy/p".into(),
            account: "111122223333".into(),
        };
        assert_eq!(
            publish_command(&managed, Err(unknown("POLICY_DOCUMENT", "x"))),
            "aws iam create-policy-version --policy-arn arn:aws:iam::111122223333:policy/p --policy-document <POLICY_DOCUMENT: x> --set-as-default"
        );
    }
}
