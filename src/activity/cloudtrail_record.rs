//! Deciding whether one CloudTrail record is an AssumeRole into a role of interest: a cheap
//! byte pre-filter every record goes through, then a real JSON parse for the few candidates
//! that pass it. The pre-filter only narrows; the parse alone decides (the role ARN also
//! appears in `sessionIssuer.arn`, `assumedRoleUser`, `errorMessage`... of unrelated records).

use std::collections::HashSet;

use memchr::memmem::Finder;
use serde_json::Value;

use super::event::{AssumeRoleEvent, PrincipalType};

/// The roles of interest, prepared for the byte pre-filter and the exact match.
pub struct RoleMatcher {
    arns: HashSet<String>,
    assume_role: Finder<'static>,
    /// One finder per distinct role *name* (the ARN after its last `/`): names never need JSON
    /// escaping, whereas a serializer may write the ARN's slashes as `\/`.
    names: Vec<Finder<'static>>,
}

/// What the parse of a candidate concluded.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// An AssumeRole into a role of interest.
    Event(Box<AssumeRoleEvent>),
    /// Something else (another event, another role, a nested object): not counted.
    NotRelevant,
    /// An AssumeRole into a role of interest that lacks what an event needs, or not JSON.
    Malformed(String),
}

/// The fields of a record the filters look at besides the event itself.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RecordPlace {
    pub aws_region: Option<String>,
}

impl RoleMatcher {
    pub fn new<S: AsRef<str>>(role_arns: &[S]) -> RoleMatcher {
        let arns: HashSet<String> = role_arns.iter().map(|a| a.as_ref().to_owned()).collect();
        let names: HashSet<&str> = arns
            .iter()
            .map(|a| a.rsplit('/').next().unwrap_or(a))
            .collect();
        let mut names: Vec<&str> = names.into_iter().collect();
        names.sort_unstable();
        RoleMatcher {
            names: names
                .into_iter()
                .map(|n| Finder::new(n.as_bytes()).into_owned())
                .collect(),
            assume_role: Finder::new(b"\"AssumeRole\"").into_owned(),
            arns,
        }
    }

    /// Byte pre-filter: could this record be an AssumeRole into one of the roles?
    #[inline]
    pub fn is_candidate(&self, record: &[u8]) -> bool {
        self.assume_role.find(record).is_some()
            && self.names.iter().any(|n| n.find(record).is_some())
    }

    /// Real parse of a candidate record.
    pub fn confirm(&self, record: &[u8]) -> (Verdict, RecordPlace) {
        let value: Value = match serde_json::from_slice(record) {
            Ok(v) => v,
            Err(e) => {
                return (
                    Verdict::Malformed(format!("invalid JSON: {e}")),
                    Default::default(),
                );
            }
        };
        let place = RecordPlace {
            aws_region: str_at(&value, &["awsRegion"]),
        };
        if value.get("eventName").and_then(Value::as_str) != Some("AssumeRole") {
            return (Verdict::NotRelevant, place);
        }
        let Some(role_arn) = role_of(&value) else {
            return (Verdict::NotRelevant, place);
        };
        if !self.arns.contains(&role_arn) {
            return (Verdict::NotRelevant, place);
        }
        let (Some(event_time), Some(event_id)) =
            (str_at(&value, &["eventTime"]), str_at(&value, &["eventID"]))
        else {
            return (
                Verdict::Malformed(format!(
                    "AssumeRole into {role_arn} without eventTime or eventID"
                )),
                place,
            );
        };
        let event = AssumeRoleEvent {
            event_time,
            event_id,
            shared_event_id: str_at(&value, &["sharedEventID"]),
            source_account: str_at(&value, &["userIdentity", "accountId"]),
            principal_arn: str_at(&value, &["userIdentity", "arn"]),
            principal_type: str_at(&value, &["userIdentity", "type"]).map(principal_type),
            role_arn,
            role_session_name: str_at(&value, &["requestParameters", "roleSessionName"]),
            source_ip: str_at(&value, &["sourceIPAddress"]),
            user_agent: str_at(&value, &["userAgent"]),
            error_code: str_at(&value, &["errorCode"]),
            recipient_account: str_at(&value, &["recipientAccountId"]),
        };
        (Verdict::Event(Box::new(event)), place)
    }
}

/// The assumed role: the first `resources[]` entry of type `AWS::IAM::Role`, else
/// `requestParameters.roleArn` (the rule [`AssumeRoleEvent::role_arn`] documents).
fn role_of(record: &Value) -> Option<String> {
    let from_resources = record
        .get("resources")
        .and_then(Value::as_array)
        .and_then(|rs| {
            rs.iter()
                .find(|r| r.get("type").and_then(Value::as_str) == Some("AWS::IAM::Role"))
        })
        .and_then(|r| r.get("ARN"))
        .and_then(Value::as_str);
    from_resources
        .or_else(|| {
            record
                .get("requestParameters")
                .and_then(|p| p.get("roleArn"))
                .and_then(Value::as_str)
        })
        .map(str::to_owned)
}

fn str_at(value: &Value, path: &[&str]) -> Option<String> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn principal_type(t: String) -> PrincipalType {
    match t.as_str() {
        "Root" => PrincipalType::Root,
        "IAMUser" => PrincipalType::IAMUser,
        "AssumedRole" => PrincipalType::AssumedRole,
        "FederatedUser" => PrincipalType::FederatedUser,
        "AWSAccount" => PrincipalType::AWSAccount,
        "AWSService" => PrincipalType::AWSService,
        _ => PrincipalType::Other(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:aws:iam::111122223333:role/app/rds-db-admin";

    fn m() -> RoleMatcher {
        RoleMatcher::new(&[ROLE])
    }

    #[test]
    fn escaped_slashes_still_pass_the_prefilter_and_match() {
        let rec = br#"{"eventName":"AssumeRole","eventTime":"2026-03-01T00:00:00Z","eventID":"e1","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role\/app\/rds-db-admin"}}"#;
        assert!(m().is_candidate(rec));
        let (v, _) = m().confirm(rec);
        let Verdict::Event(e) = v else {
            panic!("{v:?}")
        };
        assert_eq!(e.role_arn, ROLE);
        assert_eq!(e.error_code, None);
    }

    #[test]
    fn resources_win_over_request_parameters() {
        let rec = br#"{"eventName":"AssumeRole","eventTime":"t","eventID":"e","resources":[{"type":"AWS::KMS::Key","ARN":"k"},{"type":"AWS::IAM::Role","ARN":"arn:aws:iam::111122223333:role/other"}],"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/app/rds-db-admin"}}"#;
        assert_eq!(m().confirm(rec).0, Verdict::NotRelevant);
    }

    #[test]
    fn other_event_names_and_missing_fields() {
        let web = br#"{"eventName":"AssumeRoleWithWebIdentity","eventTime":"t","eventID":"e","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/app/rds-db-admin"}}"#;
        assert!(!m().is_candidate(web));
        assert_eq!(m().confirm(web).0, Verdict::NotRelevant);
        let no_time = br#"{"eventName":"AssumeRole","eventID":"e","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/app/rds-db-admin"}}"#;
        assert!(matches!(m().confirm(no_time).0, Verdict::Malformed(_)));
        assert!(matches!(m().confirm(b"{\"a\":").0, Verdict::Malformed(_)));
    }
}
