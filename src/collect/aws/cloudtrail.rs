//! CloudTrail LookupEvents: the last 90 days of management events of one account and region,
//! without a trail. One paginated call per region with `EventName=AssumeRole` over a time
//! window; each event's `CloudTrailEvent` JSON string goes through the local scan's record
//! parser ([`RoleMatcher::confirm`]), so the events are the same shape and obey the same
//! rules as those read from files. The window itself (the 90-day clamp) is decided by the
//! caller ([`crate::collect::activity::sources`]).
//!
//! A failed call is a coverage [`Gap`] naming the region and `cloudtrail:LookupEvents`; an
//! event whose `CloudTrailEvent` is missing or does not parse is a gap too, never a crash.
//! Events read before a failure are kept.

use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use aws_smithy_types::DateTime;

use super::faults::{self, Scope};
use super::operations;
use super::pages::{self, Site};
use crate::collect::activity::cloudtrail_record::{RecordPlace, RoleMatcher, Verdict};
use crate::inventory::AssumeRoleEvent;
use crate::inventory::Gap;

/// Events per page (the API's maximum).
const PAGE_SIZE: i32 = 50;
/// Event ids named in a malformed-events gap before "and N more".
const MAX_NAMED: usize = 10;

/// What one region's lookup gave.
#[derive(Debug, Default)]
pub struct Lookup {
    /// AssumeRole events into the roles, with the region each was recorded in.
    pub events: Vec<(AssumeRoleEvent, RecordPlace)>,
    pub gaps: Vec<Gap>,
    /// Pages read.
    pub pages: usize,
    /// Events the API returned (before the role filter).
    pub events_seen: usize,
}

/// LookupEvents for AssumeRole between `start` and `end` (seconds since the epoch) with
/// `client` (the account's guarded client for one region, or in tests the SDK's mocks);
/// `scope` names the account and region in gaps.
pub async fn lookup_with_client(
    client: &aws_sdk_cloudtrail::Client,
    scope: &Scope,
    start: i64,
    end: i64,
    matcher: &RoleMatcher,
) -> Lookup {
    let attribute = LookupAttribute::builder()
        .attribute_key(LookupAttributeKey::EventName)
        .attribute_value("AssumeRole")
        .build();
    let attribute = match attribute {
        Ok(a) => a,
        Err(err) => {
            let gap = faults::other(
                scope,
                operations::LOOKUP_EVENTS,
                "ConstructionFailure",
                err.to_string(),
            );
            return Lookup {
                gaps: vec![gap],
                ..Lookup::default()
            };
        }
    };
    let pages = client
        .lookup_events()
        .lookup_attributes(attribute)
        .start_time(DateTime::from_secs(start))
        .end_time(DateTime::from_secs(end))
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    let mut out = Lookup::default();
    let mut malformed: Vec<String> = Vec::new();
    let site = Site::new(scope, operations::LOOKUP_EVENTS);
    pages::each_page_or_gap(pages, site, &mut out.gaps, |page| {
        out.pages += 1;
        for event in page.events() {
            out.events_seen += 1;
            let id = event.event_id().unwrap_or("(no EventId)");
            let Some(record) = event.cloud_trail_event() else {
                malformed.push(format!("{id}: no CloudTrailEvent"));
                continue;
            };
            match matcher.confirm(record.as_bytes()) {
                (Verdict::Event(found), place) => out.events.push((*found, place)),
                (Verdict::NotRelevant, _) => {}
                (Verdict::Malformed(why), _) => malformed.push(format!("{id}: {why}")),
            }
        }
    })
    .await;
    if !malformed.is_empty() {
        out.gaps.push(malformed_gap(scope, &malformed));
    }
    out
}

fn malformed_gap(scope: &Scope, malformed: &[String]) -> Gap {
    let more = malformed.len().saturating_sub(MAX_NAMED);
    let tail = if more > 0 {
        format!("; and {more} more")
    } else {
        String::new()
    };
    faults::other(
        scope,
        operations::LOOKUP_EVENTS,
        "MalformedRecord",
        format!(
            "{} AssumeRole event(s) from LookupEvents could not be read; activity in them may be missing: {}{tail}",
            malformed.len(),
            malformed
                .iter()
                .take(MAX_NAMED)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        ),
    )
}
