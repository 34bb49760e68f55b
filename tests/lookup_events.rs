//! The CloudTrail LookupEvents source (`--lookup-events`) against the SDK's own mocks
//! (`aws-smithy-mocks`). This is the one mocked AWS API in the suite, because no real part can
//! answer it here: moto does not implement LookupEvents (it answers 500, TESTING.md §1). The
//! mocks replace only the HTTP exchange: the real SDK client builds the requests (checked
//! below) and parses the modeled responses, and rdsiam's own code does the rest (paging, the
//! 90-day window, the record parser shared with the local scan, the role filter, gaps).

use std::sync::{Arc, Mutex};

use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::config::{BehaviorVersion, Region};
use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
use aws_sdk_cloudtrail::types::{Event, LookupAttributeKey};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use rdsiam::collect::activity::cloudtrail_files::ScanOptions;
use rdsiam::collect::activity::sources::{self, SourceOutcome, day_start, lookup_events_with};
use rdsiam::inventory::Day;

const ACCOUNT: &str = "222222222222";
const ROLE: &str = "arn:aws:iam::222222222222:role/pg-monitor-role";
const OTHER_ROLE: &str = "arn:aws:iam::222222222222:role/ci-deploy";
/// 2026-11-21T12:00:00Z.
const NOW: i64 = 1_795_262_400;

fn record(id: &str, time: &str, role: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!(r#","errorCode":"{e}","errorMessage":"not authorized""#))
        .unwrap_or_default();
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{"type":"AssumedRole","arn":"arn:aws:sts::111111111111:assumed-role/monitor/i-1","accountId":"111111111111"}},"eventTime":"{time}","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.7","userAgent":"aws-sdk-go-v2","requestParameters":{{"roleArn":"{role}","roleSessionName":"pgmon"}},"eventID":"{id}","sharedEventID":"s-{id}","recipientAccountId":"{ACCOUNT}"{error}}}"#
    )
}

fn event(id: &str, cloudtrail_event: Option<String>) -> Event {
    Event::builder()
        .event_id(id)
        .event_name("AssumeRole")
        .set_cloud_trail_event(cloudtrail_event)
        .build()
}

/// What the SDK put in each request: (StartTime, EndTime, NextToken, attribute).
type Seen = Arc<Mutex<Vec<(Option<i64>, Option<i64>, Option<String>, String)>>>;

fn client(rules: &[&Rule]) -> Client {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for rule in rules {
        interceptor = interceptor.with_rule(rule);
    }
    let config = aws_sdk_cloudtrail::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        ))
        .http_client(create_mock_http_client())
        .interceptor(interceptor)
        .build();
    Client::from_conf(config)
}

/// Two pages: the first with a token, the second selected by it.
fn paged_rules(seen: &Seen) -> (Rule, Rule) {
    let record_seen = |seen: &Seen| {
        let seen = seen.clone();
        move |req: &aws_sdk_cloudtrail::operation::lookup_events::LookupEventsInput| {
            let attribute = req
                .lookup_attributes()
                .first()
                .map(|a| format!("{:?}={}", a.attribute_key(), a.attribute_value()))
                .unwrap_or_default();
            seen.lock().unwrap().push((
                req.start_time().map(|t| t.secs()),
                req.end_time().map(|t| t.secs()),
                req.next_token().map(str::to_owned),
                attribute,
            ));
        }
    };
    let first_seen = record_seen(seen);
    let first = mock!(Client::lookup_events)
        .match_requests(move |req| {
            first_seen(req);
            req.next_token().is_none()
        })
        .then_output(|| {
            LookupEventsOutput::builder()
                .events(event(
                    "e1",
                    Some(record("e1", "2026-11-20T08:00:00Z", ROLE, None)),
                ))
                .events(event(
                    "e2",
                    Some(record("e2", "2026-11-20T09:00:00Z", OTHER_ROLE, None)),
                ))
                .next_token("page-2")
                .build()
        });
    let second_seen = record_seen(seen);
    let second = mock!(Client::lookup_events)
        .match_requests(move |req| {
            second_seen(req);
            req.next_token() == Some("page-2")
        })
        .then_output(|| {
            LookupEventsOutput::builder()
                .events(event(
                    "e3",
                    Some(record(
                        "e3",
                        "2026-11-21T10:00:00Z",
                        ROLE,
                        Some("AccessDenied"),
                    )),
                ))
                .events(event("e4", Some("{\"eventName\":\"AssumeRole\",".into())))
                .events(event("e5", None))
                .build()
        });
    (first, second)
}

fn run(client: Client, filter: &ScanOptions) -> SourceOutcome {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(lookup_events_with(
        ACCOUNT,
        &["us-east-1".to_owned()],
        filter,
        NOW,
        move |_| client.clone(),
    ))
}

#[test]
fn pages_are_followed_roles_filtered_and_a_malformed_event_is_a_gap() {
    let seen: Seen = Arc::default();
    let (first, second) = paged_rules(&seen);
    let filter = ScanOptions::new(&[ROLE]);
    let outcome = run(client(&[&first, &second]), &filter);

    let seen = seen.lock().unwrap().clone();
    let tokens: Vec<Option<String>> = seen.iter().map(|s| s.2.clone()).collect();
    assert!(
        tokens.contains(&None) && tokens.contains(&Some("page-2".into())),
        "{seen:?}"
    );
    assert_eq!(first.num_calls() + second.num_calls(), 2);
    let attribute = format!("{:?}=AssumeRole", LookupAttributeKey::EventName);
    assert!(seen.iter().all(|s| s.3 == attribute), "{seen:?}");
    // No --since: StartTime is exactly 90 days back, EndTime now; not a clamp.
    assert!(
        seen.iter()
            .all(|s| s.0 == Some(NOW - 90 * 86_400) && s.1 == Some(NOW)),
        "{seen:?}"
    );

    let ids: Vec<&str> = outcome.events.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["e1", "e3"], "the other role's e2 is filtered out");
    let failed = &outcome.events[1];
    assert_eq!(failed.error_code.as_deref(), Some("AccessDenied"));
    assert_eq!(failed.role_arn, ROLE);
    assert_eq!(failed.source_account.as_deref(), Some("111111111111"));
    assert_eq!(failed.shared_event_id.as_deref(), Some("s-e3"));

    assert_eq!(outcome.gaps.len(), 1, "{:?}", outcome.gaps);
    let gap = &outcome.gaps[0];
    assert_eq!(
        (gap.error_code.as_str(), gap.source.as_str()),
        ("MalformedRecord", "cloudtrail:LookupEvents")
    );
    assert_eq!(gap.region.as_deref(), Some("us-east-1"));
    assert!(
        gap.message.starts_with("2 AssumeRole event(s)"),
        "{}",
        gap.message
    );
    assert!(
        gap.message.contains("e4: invalid JSON") && gap.message.contains("e5: no CloudTrailEvent"),
        "{}",
        gap.message
    );
    // The region was read: the account's scope covers the 90 days (the first, partial day
    // excluded).
    assert_eq!(outcome.scopes.len(), 1);
    assert_eq!(outcome.scopes[0].account, ACCOUNT);
    assert_eq!(outcome.scopes[0].source, sources::LOOKUP_SOURCE);
    assert_eq!(
        (
            outcome.scopes[0].since.as_str(),
            outcome.scopes[0].until.as_str()
        ),
        ("2026-08-24", "2026-11-21")
    );
}

#[test]
fn a_window_beyond_90_days_is_clamped_and_reported() {
    let seen: Seen = Arc::default();
    let (first, second) = paged_rules(&seen);
    let mut filter = ScanOptions::new(&[ROLE]);
    filter.since = Day::parse("2026-01-01");
    filter.until = Day::parse("2026-11-20");
    let outcome = run(client(&[&first, &second]), &filter);

    let seen = seen.lock().unwrap().clone();
    let until_end = day_start(Day::parse("2026-11-21").unwrap());
    assert!(
        seen.iter()
            .all(|s| s.0 == Some(NOW - 90 * 86_400) && s.1 == Some(until_end)),
        "StartTime clamped to now - 90 days, EndTime the end of --until: {seen:?}"
    );
    // --until 2026-11-20 drops e3 (2026-11-21) like the local scan's day filter would.
    let ids: Vec<&str> = outcome.events.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["e1"]);
    let clamp = outcome
        .gaps
        .iter()
        .find(|g| g.error_code == "WindowBeyond90Days")
        .expect("the clamp is a coverage gap");
    // Not an account gap (that would void the windows that were read): the scope says it.
    assert_eq!(clamp.account, None);
    assert!(
        clamp.message.contains(&format!("account {ACCOUNT}"))
            && clamp.message.contains("--since 2026-01-01")
            && clamp.message.contains("before 2026-08-24"),
        "{}",
        clamp.message
    );
    assert!(
        outcome
            .notes
            .iter()
            .any(|n| n.contains("cut to start on 2026-08-24")),
        "{:?}",
        outcome.notes
    );
    assert_eq!(
        (
            outcome.scopes[0].since.as_str(),
            outcome.scopes[0].until.as_str()
        ),
        ("2026-08-24", "2026-11-20")
    );
}

#[test]
fn access_denied_is_a_gap_naming_the_permission_and_the_region() {
    let denied = mock!(Client::lookup_events).then_http_response(|| {
        Response::new(
            StatusCode::try_from(400).unwrap(),
            SdkBody::from(
                r#"{"__type":"AccessDeniedException","message":"User: arn:aws:iam::222222222222:user/auditor is not authorized to perform: cloudtrail:LookupEvents"}"#,
            ),
        )
    });
    let outcome = run(client(&[&denied]), &ScanOptions::new(&[ROLE]));
    assert!(outcome.events.is_empty());
    assert!(outcome.scopes.is_empty(), "nothing was read: no scope");
    assert_eq!(outcome.gaps.len(), 1, "{:?}", outcome.gaps);
    let gap = &outcome.gaps[0];
    assert_eq!(gap.error_code, "AccessDeniedException");
    assert_eq!(
        gap.fix_permission.as_deref(),
        Some("cloudtrail:LookupEvents")
    );
    assert_eq!(gap.region.as_deref(), Some("us-east-1"));
    assert_eq!(gap.account.as_deref(), Some(ACCOUNT));
    assert!(gap.message.contains("not authorized"), "{}", gap.message);
    assert!(outcome.notes[0].contains("failed"), "{:?}", outcome.notes);
}
