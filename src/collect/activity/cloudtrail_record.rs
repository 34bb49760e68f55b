//! Deciding whether one CloudTrail record is an AssumeRole into a role of interest: a cheap
//! byte pre-filter every record goes through, then a real JSON parse for the few candidates
//! that pass it. The pre-filter only narrows; the parse alone decides (the role ARN also
//! appears in `sessionIssuer.arn`, `assumedRoleUser`, `errorMessage`... of unrelated records).

use std::borrow::Cow;
use std::collections::HashSet;

use memchr::memmem::Finder;
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::inventory::activity::{AssumeRoleEvent, PrincipalType};

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

    /// Real parse of a candidate record: a borrowing typed parse (few allocations), or, when
    /// a field has an unexpected JSON type, a generic parse with the same rules.
    pub fn confirm(&self, record: &[u8]) -> (Verdict, RecordPlace) {
        let fields = match serde_json::from_slice::<RawRecord>(record) {
            Ok(raw) => Fields::from_raw(raw),
            Err(_) => match serde_json::from_slice::<Value>(record) {
                Ok(value) => Fields::from_value(&value),
                Err(e) => {
                    return (
                        Verdict::Malformed(format!("invalid JSON: {e}")),
                        Default::default(),
                    );
                }
            },
        };
        self.decide(fields)
    }

    fn decide(&self, f: Fields) -> (Verdict, RecordPlace) {
        let place = RecordPlace {
            aws_region: f.aws_region,
        };
        if f.event_name.as_deref() != Some("AssumeRole") {
            return (Verdict::NotRelevant, place);
        }
        let Some(role_arn) = f.role_arn else {
            return (Verdict::NotRelevant, place);
        };
        if !self.arns.contains(&role_arn) {
            return (Verdict::NotRelevant, place);
        }
        let (Some(event_time), Some(event_id)) = (f.event_time, f.event_id) else {
            return (
                Verdict::Malformed(format!(
                    "AssumeRole into {role_arn} without eventTime or eventID"
                )),
                place,
            );
        };
        if !is_event_time(&event_time) {
            let shown: String = event_time.chars().take(40).collect();
            return (
                Verdict::Malformed(format!(
                    "AssumeRole into {role_arn} with eventTime {shown:?}, not a UTC time like 2024-03-01T12:34:56Z"
                )),
                place,
            );
        }
        let event = AssumeRoleEvent {
            event_time,
            event_id,
            shared_event_id: f.shared_event_id,
            source_account: f.source_account,
            principal_arn: f.principal_arn,
            principal_type: f.principal_type.map(principal_type),
            role_arn,
            role_session_name: f.role_session_name,
            source_ip: f.source_ip,
            user_agent: f.user_agent,
            error_code: f.error_code,
            recipient_account: f.recipient_account,
        };
        (Verdict::Event(Box::new(event)), place)
    }
}

/// CloudTrail's `eventTime`: `YYYY-MM-DDThh:mm:ssZ` (UTC, whole seconds), a real date and
/// time. Anything else would become `first_seen`/`last_seen` as is and sort wrongly.
pub(crate) fn is_event_time(text: &str) -> bool {
    let b = text.as_bytes();
    let two = |at: usize| -> Option<u8> {
        let (h, l) = (*b.get(at)?, *b.get(at + 1)?);
        (h.is_ascii_digit() && l.is_ascii_digit()).then(|| (h - b'0') * 10 + (l - b'0'))
    };
    b.len() == 20
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
        && crate::inventory::Day::of_timestamp(text).is_some()
        && two(11).is_some_and(|h| h < 24)
        && two(14).is_some_and(|m| m < 60)
        && two(17).is_some_and(|s| s < 61)
}

/// The record fields the decision reads, whichever parse produced them.
struct Fields {
    event_name: Option<String>,
    event_time: Option<String>,
    event_id: Option<String>,
    shared_event_id: Option<String>,
    source_account: Option<String>,
    principal_arn: Option<String>,
    principal_type: Option<String>,
    /// Already resolved: resources[] role first, else requestParameters.roleArn.
    role_arn: Option<String>,
    role_session_name: Option<String>,
    source_ip: Option<String>,
    user_agent: Option<String>,
    error_code: Option<String>,
    recipient_account: Option<String>,
    aws_region: Option<String>,
}

impl Fields {
    fn from_raw(r: RawRecord<'_>) -> Fields {
        let ui = r.user_identity.unwrap_or_default();
        let params = r.request_parameters.unwrap_or_default();
        let from_resources =
            r.resources.unwrap_or_default().into_iter().find_map(|res| {
                (res.kind.0.as_deref() == Some("AWS::IAM::Role")).then_some(res.arn.0)
            });
        // The first Role-typed resource decides; without a string ARN, fall back (as
        // `role_of` does on the generic path).
        let role_arn = from_resources.flatten().or(params.role_arn.0);
        Fields {
            event_name: r.event_name.owned(),
            event_time: r.event_time.owned(),
            event_id: r.event_id.owned(),
            shared_event_id: r.shared_event_id.owned(),
            source_account: ui.account_id.owned(),
            principal_arn: ui.arn.owned(),
            principal_type: ui.kind.owned(),
            role_arn: role_arn.map(Cow::into_owned),
            role_session_name: params.role_session_name.owned(),
            source_ip: r.source_ip.owned(),
            user_agent: r.user_agent.owned(),
            error_code: r.error_code.owned(),
            recipient_account: r.recipient_account.owned(),
            aws_region: r.aws_region.owned(),
        }
    }

    fn from_value(v: &Value) -> Fields {
        Fields {
            event_name: str_at(v, &["eventName"]),
            event_time: str_at(v, &["eventTime"]),
            event_id: str_at(v, &["eventID"]),
            shared_event_id: str_at(v, &["sharedEventID"]),
            source_account: str_at(v, &["userIdentity", "accountId"]),
            principal_arn: str_at(v, &["userIdentity", "arn"]),
            principal_type: str_at(v, &["userIdentity", "type"]),
            role_arn: role_of(v),
            role_session_name: str_at(v, &["requestParameters", "roleSessionName"]),
            source_ip: str_at(v, &["sourceIPAddress"]),
            user_agent: str_at(v, &["userAgent"]),
            error_code: str_at(v, &["errorCode"]),
            recipient_account: str_at(v, &["recipientAccountId"]),
            aws_region: str_at(v, &["awsRegion"]),
        }
    }
}

/// A string field that borrows from the record when it has no escapes, and is `None` for any
/// non-string JSON value (which it skips), so an odd type never fails the typed parse.
#[derive(Default)]
struct Lenient<'a>(Option<Cow<'a, str>>);

impl Lenient<'_> {
    fn owned(self) -> Option<String> {
        self.0.map(Cow::into_owned)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Lenient<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Lenient<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Borrowed(s))))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Owned(s.to_owned()))))
            }
            fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Owned(s))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// The top-level fields of a record that matter; everything else is skipped unparsed.
/// Nested objects that are `null` become `None`; any other odd shape fails this parse and the
/// generic one takes over.
#[derive(Deserialize)]
struct RawRecord<'a> {
    #[serde(rename = "eventName", default, borrow)]
    event_name: Lenient<'a>,
    #[serde(rename = "eventTime", default, borrow)]
    event_time: Lenient<'a>,
    #[serde(rename = "eventID", default, borrow)]
    event_id: Lenient<'a>,
    #[serde(rename = "sharedEventID", default, borrow)]
    shared_event_id: Lenient<'a>,
    #[serde(rename = "userIdentity", default, borrow)]
    user_identity: Option<RawIdentity<'a>>,
    #[serde(rename = "requestParameters", default, borrow)]
    request_parameters: Option<RawParams<'a>>,
    #[serde(default, borrow)]
    resources: Option<Vec<RawResource<'a>>>,
    #[serde(rename = "sourceIPAddress", default, borrow)]
    source_ip: Lenient<'a>,
    #[serde(rename = "userAgent", default, borrow)]
    user_agent: Lenient<'a>,
    #[serde(rename = "errorCode", default, borrow)]
    error_code: Lenient<'a>,
    #[serde(rename = "recipientAccountId", default, borrow)]
    recipient_account: Lenient<'a>,
    #[serde(rename = "awsRegion", default, borrow)]
    aws_region: Lenient<'a>,
}

#[derive(Deserialize, Default)]
struct RawIdentity<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Lenient<'a>,
    #[serde(default, borrow)]
    arn: Lenient<'a>,
    #[serde(rename = "accountId", default, borrow)]
    account_id: Lenient<'a>,
}

#[derive(Deserialize, Default)]
struct RawParams<'a> {
    #[serde(rename = "roleArn", default, borrow)]
    role_arn: Lenient<'a>,
    #[serde(rename = "roleSessionName", default, borrow)]
    role_session_name: Lenient<'a>,
}

#[derive(Deserialize)]
struct RawResource<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Lenient<'a>,
    #[serde(rename = "ARN", default, borrow)]
    arn: Lenient<'a>,
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
    fn odd_types_fall_back_to_the_generic_parse_with_the_same_answer() {
        // requestParameters as a string and a numeric userAgent break the typed parse only.
        let odd = br#"{"eventName":"AssumeRole","eventTime":"2026-03-01T00:00:00Z","eventID":"e","userAgent":5,"requestParameters":"x","resources":[{"type":"AWS::IAM::Role","ARN":"arn:aws:iam::111122223333:role/app/rds-db-admin"}]}"#;
        assert!(serde_json::from_slice::<RawRecord>(odd).is_err());
        let (v, _) = m().confirm(odd);
        let Verdict::Event(e) = v else {
            panic!("{v:?}")
        };
        assert_eq!((e.role_arn.as_str(), e.user_agent), (ROLE, None));
        // Strings with escapes are unescaped on both paths.
        let esc = br#"{"eventName":"AssumeRole","eventTime":"2026-03-01T00:00:00Z","eventID":"e\u0031","userAgent":"a\"b","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/app/rds-db-admin"}}"#;
        let (v, _) = m().confirm(esc);
        let Verdict::Event(e) = v else {
            panic!("{v:?}")
        };
        assert_eq!(
            (e.event_id.as_str(), e.user_agent.as_deref()),
            ("e1", Some("a\"b"))
        );
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

    #[test]
    fn an_event_time_that_is_not_a_utc_time_is_malformed() {
        // Was: "not-a-time" became the role's last_seen as is.
        for bad in [
            "not-a-time",
            "2026-03-01",
            "2026-02-30T00:00:00Z",
            "2026-03-01T24:00:00Z",
            "2026-03-01 00:00:00Z",
        ] {
            let rec = format!(
                r#"{{"eventName":"AssumeRole","eventTime":"{bad}","eventID":"e","requestParameters":{{"roleArn":"{ROLE}"}}}}"#
            );
            let (v, _) = m().confirm(rec.as_bytes());
            assert!(
                matches!(&v, Verdict::Malformed(why) if why.contains("eventTime")),
                "{bad}: {v:?}"
            );
        }
        assert!(is_event_time("2026-03-01T23:59:60Z"), "a leap second");
    }
}
