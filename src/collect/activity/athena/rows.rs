//! Athena result rows into [`AssumeRoleEvent`]s, and the pager over `GetQueryResults` pages.
//!
//! A row is rebuilt into the CloudTrail record it came from (only the fields the query
//! selected) and handed to the local scan's own [`RoleMatcher::confirm`], so an event from
//! Athena is decided and shaped exactly like one read from a file: same role rule, same
//! principal types, same "malformed" verdicts. Owns no AWS calls (see
//! `crate::collect::aws::athena`).

use std::future::Future;

use anyhow::{Result, bail};
use serde_json::{Map, Value, json};

use super::sql::COLUMNS;
use crate::collect::activity::cloudtrail_record::{RecordPlace, RoleMatcher, Verdict};
use crate::inventory::AssumeRoleEvent;

/// One result row: a value per column, `None` for SQL NULL.
pub type Row = Vec<Option<String>>;

/// One page of `GetQueryResults`: its rows (the first page starts with the header row) and
/// the token of the next page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub rows: Vec<Row>,
    pub next_token: Option<String>,
}

/// Fetches every page (`fetch(None)` first, then each `NextToken`), drops the header row of
/// the first page only after checking it names [`COLUMNS`], and returns the data rows.
/// `max_pages` bounds the loop (a token that never ends is an error, not a hang).
pub async fn all_rows<F, Fut>(mut fetch: F, max_pages: usize) -> Result<Vec<Row>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page>>,
{
    let mut rows = Vec::new();
    let mut token: Option<String> = None;
    for page_number in 0..max_pages {
        let page = fetch(token.take()).await?;
        let mut page_rows = page.rows.into_iter();
        if page_number == 0 {
            match page_rows.next() {
                Some(header) => check_header(&header)?,
                None => bail!("Athena returned no header row (expected the columns {COLUMNS:?})"),
            }
        }
        rows.extend(page_rows);
        match page.next_token {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => return Ok(rows),
        }
    }
    bail!("Athena results: more than {max_pages} pages; stopped (the NextToken never ended)")
}

fn check_header(header: &Row) -> Result<()> {
    let names: Vec<&str> = header.iter().map(|c| c.as_deref().unwrap_or("")).collect();
    if names != COLUMNS {
        bail!("Athena result header {names:?} is not the query's columns {COLUMNS:?}");
    }
    Ok(())
}

/// What the rows gave: events, and rows that could not be used (with why).
#[derive(Debug, Clone, Default)]
pub struct MappedRows {
    /// Events with the region each was recorded in (`awsregion`).
    pub events: Vec<(AssumeRoleEvent, RecordPlace)>,
    /// (the row's `recipientaccountid` if it has one, why it could not be used).
    pub malformed: Vec<(Option<String>, String)>,
}

/// Index of `recipientaccountid` in [`COLUMNS`].
const RECIPIENT: usize = 12;

/// Maps data rows to events with the local scan's matcher; rows for other roles (there should
/// be none) are dropped, rows the matcher calls malformed are reported.
pub fn map_rows(rows: &[Row], matcher: &RoleMatcher) -> MappedRows {
    let mut out = MappedRows::default();
    for (index, row) in rows.iter().enumerate() {
        if row.len() != COLUMNS.len() {
            let why = format!(
                "row {}: {} values for {} columns",
                index + 1,
                row.len(),
                COLUMNS.len()
            );
            out.malformed.push((None, why));
            continue;
        }
        let record = record_of(row);
        match matcher.confirm(record.to_string().as_bytes()) {
            (Verdict::Event(event), place) => out.events.push((*event, place)),
            (Verdict::NotRelevant, _) => {}
            (Verdict::Malformed(why), _) => {
                let recipient = row[RECIPIENT].clone();
                out.malformed
                    .push((recipient, format!("row {}: {why}", index + 1)));
            }
        }
    }
    out
}

/// The CloudTrail record a row stands for, with only the selected fields.
fn record_of(row: &Row) -> Value {
    let at = |name: &str| -> Value {
        COLUMNS
            .iter()
            .position(|c| *c == name)
            .and_then(|i| row[i].clone())
            .map_or(Value::Null, Value::String)
    };
    let mut record = Map::new();
    record.insert("eventName".into(), json!("AssumeRole"));
    for (field, column) in [
        ("eventTime", "eventtime"),
        ("eventID", "eventid"),
        ("sharedEventID", "sharedeventid"),
        ("sourceIPAddress", "sourceipaddress"),
        ("userAgent", "useragent"),
        ("errorCode", "errorcode"),
        ("recipientAccountId", "recipientaccountid"),
        ("awsRegion", "awsregion"),
    ] {
        let value = at(column);
        if !value.is_null() {
            record.insert(field.into(), value);
        }
    }
    record.insert(
        "userIdentity".into(),
        json!({"accountId": at("caller_account"), "arn": at("caller_arn"), "type": at("caller_type")}),
    );
    record.insert(
        "requestParameters".into(),
        json!({"roleArn": at("request_role_arn"), "roleSessionName": at("role_session_name")}),
    );
    let resource = at("resource_role_arn");
    if !resource.is_null() {
        record.insert(
            "resources".into(),
            json!([{"type": "AWS::IAM::Role", "ARN": resource}]),
        );
    }
    Value::Object(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:aws:iam::222222222222:role/pg-monitor-role";

    fn header() -> Row {
        COLUMNS.iter().map(|c| Some((*c).to_owned())).collect()
    }

    pub(crate) fn row(id: &str, resource: Option<&str>, request: Option<&str>) -> Row {
        let mut r: Row = vec![None; COLUMNS.len()];
        r[0] = Some("2026-11-20T08:55:13Z".into());
        r[1] = Some(id.into());
        r[3] = Some("111111111111".into());
        r[5] = Some("AssumedRole".into());
        r[6] = resource.map(Into::into);
        r[7] = request.map(Into::into);
        r[12] = Some("222222222222".into());
        r
    }

    #[tokio::test(flavor = "current_thread")]
    async fn pages_are_followed_and_only_the_first_header_is_dropped() {
        let pages = [
            Page {
                rows: vec![header(), row("e1", Some(ROLE), None)],
                next_token: Some("t2".into()),
            },
            // A later page whose first row happens to look like data: it must be kept.
            Page {
                rows: vec![row("e2", None, Some(ROLE)), row("e3", Some(ROLE), None)],
                next_token: Some("t3".into()),
            },
            Page {
                rows: vec![row("e4", Some(ROLE), None)],
                next_token: None,
            },
        ];
        let mut asked = Vec::new();
        let rows = all_rows(
            |token| {
                asked.push(token.clone());
                let index = match token.as_deref() {
                    None => 0,
                    Some("t2") => 1,
                    Some(_) => 2,
                };
                let page = pages[index].clone();
                async move { Ok(page) }
            },
            10,
        )
        .await
        .unwrap();
        assert_eq!(asked, [None, Some("t2".into()), Some("t3".into())]);
        let ids: Vec<_> = rows.iter().map(|r| r[1].clone().unwrap()).collect();
        assert_eq!(ids, ["e1", "e2", "e3", "e4"]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_bad_header_or_an_endless_token_is_an_error() {
        let wrong = all_rows(
            |_| async {
                Ok(Page {
                    rows: vec![vec![Some("x".into())]],
                    next_token: None,
                })
            },
            10,
        )
        .await;
        assert!(wrong.unwrap_err().to_string().contains("header"));
        let endless = all_rows(
            |_| async {
                Ok(Page {
                    rows: vec![header()],
                    next_token: Some("again".into()),
                })
            },
            3,
        )
        .await;
        assert!(
            endless
                .unwrap_err()
                .to_string()
                .contains("more than 3 pages")
        );
    }

    #[test]
    fn rows_map_with_the_local_scans_role_rule() {
        let matcher = RoleMatcher::new(&[ROLE]);
        let other = "arn:aws:iam::222222222222:role/other";
        let mut no_time = row("e4", Some(ROLE), None);
        no_time[0] = None;
        let rows = vec![
            row("e1", Some(ROLE), Some(other)),
            // No resources[]: requestParameters.roleArn decides (a failed call).
            row("e2", None, Some(ROLE)),
            // The resource wins over requestParameters, as in the local scan.
            row("e3", Some(other), Some(ROLE)),
            no_time,
            vec![Some("short".into())],
        ];
        let mapped = map_rows(&rows, &matcher);
        let ids: Vec<&str> = mapped
            .events
            .iter()
            .map(|(e, _)| e.event_id.as_str())
            .collect();
        assert_eq!(ids, ["e1", "e2"]);
        assert_eq!(mapped.events[0].0.role_arn, ROLE);
        assert_eq!(
            mapped.events[0].0.principal_type,
            Some(crate::inventory::activity::PrincipalType::AssumedRole)
        );
        assert_eq!(mapped.malformed.len(), 2, "{:?}", mapped.malformed);
        assert!(mapped.malformed[0].1.contains("without eventTime"));
        assert_eq!(mapped.malformed[0].0.as_deref(), Some("222222222222"));
        assert_eq!(COLUMNS[RECIPIENT], "recipientaccountid");
    }
}
