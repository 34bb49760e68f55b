//! The Athena activity source against moto in server mode (TESTING.md §1): moto runs the real
//! Athena API (StartQueryExecution, GetQueryExecution, GetQueryResults) but does not execute
//! SQL, so each test queues the rows the query would return (header row included, as Athena
//! sends it) with `POST /moto-api/static/athena/query-results`. What Athena itself decides
//! (the SQL) is pinned by insta snapshots and executed for real: parsed as Trino (Athena's
//! engine) and run on DuckDB over a CloudTrail-shaped table (`tests/support/athena_sql_duckdb.py`),
//! whose rows must be exactly what the local scan keeps. Paging and failed queries go through the fault
//! proxy in front of moto, which answers chosen calls with an AWS-shaped page or state (moto
//! never pages Athena results, and never fails a query). Moto missing is a failure, not a skip.

mod support;

use std::path::Path;

use assert_cmd::Command;
use rdsiam::collect::activity::athena::sql::{COLUMNS, DateFormat, Identifier, Partitions};
use rdsiam::collect::activity::cloudtrail_files::ScanOptions;
use rdsiam::collect::activity::sources::{AthenaSettings, athena_sql};
use rdsiam::collect::aws::athena::Polling;
use rdsiam::inventory::Day;
use rdsiam::inventory::snapshot;
use serde_json::{Value, json};
use support::fault_proxy::{Canned, Fault, FaultProxy};
use support::moto::{self, MotoServer};

const ROLE: &str = "arn:aws:iam::222222222222:role/pg-monitor-role";
const OTHER_ROLE: &str = "arn:aws:iam::222222222222:role/ci-deploy";
const ATHENA_FLAGS: &[&str] = &[
    "--athena-database",
    "cloudtrail",
    "--athena-table",
    "cloudtrail_logs",
    "--athena-output",
    "s3://athena-results/rdsiam/",
];

fn rdsiam(endpoint: &str) -> Command {
    let mut cmd = support::cli::rdsiam();
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd.envs(moto::env_for(endpoint));
    cmd.env("AWS_MAX_ATTEMPTS", "1");
    cmd
}

/// CloudTrail AssumeRole records as a trail writes them.
fn records() -> Vec<Value> {
    let caller = json!({"type": "AssumedRole", "arn": "arn:aws:sts::111111111111:assumed-role/monitor/i-0abc", "accountId": "111111111111"});
    vec![
        // Success: the role in resources[] and requestParameters.
        json!({"eventVersion": "1.08", "userIdentity": caller, "eventTime": "2026-11-19T08:55:13Z",
               "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole", "awsRegion": "us-east-1",
               "sourceIPAddress": "10.0.0.7", "userAgent": "aws-sdk-go-v2/1.30",
               "requestParameters": {"roleArn": ROLE, "roleSessionName": "pgmon"},
               "resources": [{"accountId": "222222222222", "type": "AWS::IAM::Role", "ARN": ROLE}],
               "eventID": "ev-1", "sharedEventID": "sh-1", "recipientAccountId": "222222222222"}),
        // Failed call without resources[]: only requestParameters names the role.
        json!({"eventVersion": "1.08", "userIdentity": caller, "eventTime": "2026-11-20T01:02:03Z",
               "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole", "awsRegion": "us-east-1",
               "sourceIPAddress": "203.0.113.9", "userAgent": "aws-cli/2.15",
               "errorCode": "AccessDenied", "errorMessage": "not authorized",
               "requestParameters": {"roleArn": ROLE, "roleSessionName": "probe"},
               "eventID": "ev-2", "recipientAccountId": "222222222222"}),
        // Another role: not asked for.
        json!({"eventVersion": "1.08", "userIdentity": caller, "eventTime": "2026-11-20T05:00:00Z",
               "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole", "awsRegion": "us-east-1",
               "requestParameters": {"roleArn": OTHER_ROLE, "roleSessionName": "ci"},
               "resources": [{"accountId": "222222222222", "type": "AWS::IAM::Role", "ARN": OTHER_ROLE}],
               "eventID": "ev-3", "recipientAccountId": "222222222222"}),
    ]
}

/// The row the query selects for a record: what Athena computes for each column.
fn row_of(record: &Value) -> Vec<Option<String>> {
    let s = |v: &Value| v.as_str().map(str::to_owned);
    let role_resource = record["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["type"] == "AWS::IAM::Role"))
        .and_then(|r| s(&r["ARN"]));
    vec![
        s(&record["eventTime"]),
        s(&record["eventID"]),
        s(&record["sharedEventID"]),
        s(&record["userIdentity"]["accountId"]),
        s(&record["userIdentity"]["arn"]),
        s(&record["userIdentity"]["type"]),
        role_resource,
        s(&record["requestParameters"]["roleArn"]),
        s(&record["requestParameters"]["roleSessionName"]),
        s(&record["sourceIPAddress"]),
        s(&record["userAgent"]),
        s(&record["errorCode"]),
        s(&record["recipientAccountId"]),
        s(&record["awsRegion"]),
    ]
}

/// A GetQueryResults row: `{"Data": [{"VarCharValue": ...} or {} for NULL]}`.
fn datum_row(values: &[Option<String>]) -> Value {
    let data: Vec<Value> = values
        .iter()
        .map(|v| match v {
            Some(v) => json!({ "VarCharValue": v }),
            None => json!({}),
        })
        .collect();
    json!({ "Data": data })
}

fn header() -> Value {
    let names: Vec<Option<String>> = COLUMNS.iter().map(|c| Some((*c).to_owned())).collect();
    datum_row(&names)
}

fn json_out(out: &std::process::Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

fn activity_json(endpoint: &str, extra: &[&str]) -> std::process::Output {
    rdsiam(endpoint)
        .args(["activity", "--role", ROLE, "--format", "json"])
        .args(ATHENA_FLAGS)
        .args(extra)
        .output()
        .expect("run rdsiam activity")
}

#[test]
fn athena_rows_become_the_same_events_as_the_local_scan_of_the_same_records() {
    let server = MotoServer::start().expect("moto server");
    let mut rows = vec![header()];
    rows.extend(records().iter().map(|r| datum_row(&row_of(r))));
    server
        .queue_athena_results(&json!([{ "rows": rows }]))
        .expect("queue results");
    let athena = json_out(&activity_json(&server.endpoint(), &[]));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trail.json");
    std::fs::write(&file, json!({ "Records": records() }).to_string()).unwrap();
    let local = json_out(
        &support::cli::rdsiam()
            .args([
                "activity",
                "--role",
                ROLE,
                "--format",
                "json",
                "--cloudtrail-dir",
            ])
            .arg(&file)
            .output()
            .unwrap(),
    );

    let events = athena["events"].as_array().expect("events");
    let ids: Vec<&str> = events
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ev-1", "ev-2"], "the other role's ev-3 is dropped");
    assert_eq!(events[1]["error_code"], "AccessDenied");
    assert_eq!(
        events[1]["role_arn"], ROLE,
        "found through requestParameters"
    );
    assert_eq!(events[0]["principal_type"], "AssumedRole");
    assert_eq!(
        athena["events"], local["events"],
        "same events as the local scan"
    );
    assert_eq!(athena["summary"]["roles"], local["summary"]["roles"]);
    assert_eq!(athena["summary"]["source"], "athena");
    assert_eq!(athena["summary"]["coverage"], json!([]));
    let notes = athena["summary"]["notes"].to_string();
    assert!(notes.contains("returned 3 row(s), 2 event(s)"), "{notes}");
}

#[test]
fn a_row_without_event_time_is_a_coverage_gap_not_a_failure() {
    let server = MotoServer::start().expect("moto server");
    let mut broken = row_of(&records()[0]);
    broken[0] = None;
    broken[1] = Some("ev-broken".into());
    let rows = vec![
        header(),
        datum_row(&broken),
        datum_row(&row_of(&records()[1])),
    ];
    server
        .queue_athena_results(&json!([{ "rows": rows }]))
        .expect("queue results");
    let out = activity_json(&server.endpoint(), &[]);
    let doc = json_out(&out);
    assert_eq!(doc["events"].as_array().unwrap().len(), 1);
    let gap = &doc["summary"]["coverage"][0];
    assert_eq!(gap["error_code"], "MalformedRecord");
    // Under the trail's account, as a cloudtrail source: the activity rules treat it like a
    // damaged file there.
    assert_eq!(gap["source"], "cloudtrail:athena");
    assert_eq!(gap["account"], "222222222222");
    assert_eq!(gap["region"], "us-east-1");
    assert!(
        gap["message"]
            .as_str()
            .unwrap()
            .contains("without eventTime"),
        "{gap}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 coverage gap(s)"));
}

/// moto never pages: the proxy serves two AWS-shaped pages for the query moto started.
#[test]
fn result_pages_are_followed_and_only_the_first_header_is_skipped() {
    let server = MotoServer::start().expect("moto server");
    let proxy = FaultProxy::start(server.port, moto::ACCESS_KEY, moto::DEFAULT_ACCOUNT, vec![])
        .expect("proxy");
    let page = |rows: Vec<Value>, token: Option<&str>| {
        let mut page =
            json!({"ResultSet": {"Rows": rows, "ResultSetMetadata": {"ColumnInfo": []}}});
        if let Some(token) = token {
            page["NextToken"] = json!(token);
        }
        page.to_string()
    };
    let records = records();
    // Page 2 starts with a data row: it must not be taken for a header.
    proxy.add_canned(vec![
        Canned {
            operation: "GetQueryResults".into(),
            request_contains: "\"NextToken\":\"page-2\"".into(),
            body: page(vec![datum_row(&row_of(&records[1]))], None),
        },
        Canned {
            operation: "GetQueryResults".into(),
            request_contains: "\"QueryExecutionId\"".into(),
            body: page(
                vec![header(), datum_row(&row_of(&records[0]))],
                Some("page-2"),
            ),
        },
    ]);
    let doc = json_out(&activity_json(&proxy.endpoint(), &[]));
    let ids: Vec<&str> = doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ev-1", "ev-2"]);
    let results_calls: Vec<String> = proxy
        .bodies()
        .into_iter()
        .filter(|(op, _)| op == "GetQueryResults")
        .map(|(_, body)| body)
        .collect();
    assert_eq!(results_calls.len(), 2, "{results_calls:?}");
    assert!(!results_calls[0].contains("NextToken"));
    assert!(results_calls[1].contains("\"NextToken\":\"page-2\""));
    // The SQL moto received is the one rdsiam generates.
    let start = proxy
        .bodies()
        .into_iter()
        .find(|(op, _)| op == "StartQueryExecution")
        .expect("StartQueryExecution sent")
        .1;
    let sent: Value = serde_json::from_str(&start).unwrap();
    assert!(
        sent["QueryString"]
            .as_str()
            .unwrap()
            .contains(&format!("IN ('{ROLE}')")),
        "{sent}"
    );
    assert_eq!(sent["QueryExecutionContext"]["Database"], "cloudtrail");
    assert_eq!(
        sent["ResultConfiguration"]["OutputLocation"],
        "s3://athena-results/rdsiam/"
    );
}

#[test]
fn a_failed_query_is_an_error_with_athenas_reason() {
    let server = MotoServer::start().expect("moto server");
    let proxy = FaultProxy::start(server.port, moto::ACCESS_KEY, moto::DEFAULT_ACCOUNT, vec![])
        .expect("proxy");
    proxy.add_canned(vec![Canned {
        operation: "GetQueryExecution".into(),
        request_contains: "QueryExecutionId".into(),
        body: json!({"QueryExecution": {"QueryExecutionId": "q-1", "Status": {
            "State": "FAILED",
            "StateChangeReason": "Access Denied (Service: Amazon S3; Status Code: 403; Error Code: AccessDenied)"}}})
        .to_string(),
    }]);
    let out = activity_json(&proxy.endpoint(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "QueryFailed",
        "FAILED: Access Denied (Service: Amazon S3",
        "us-east-1",
        "s3:PutObject and s3:GetObject on the output location",
    ] {
        assert!(stderr.contains(expected), "{expected:?} in {stderr}");
    }
}

#[test]
fn access_denied_on_start_query_names_the_permission() {
    let server = MotoServer::start().expect("moto server");
    let proxy = FaultProxy::start(
        server.port,
        moto::ACCESS_KEY,
        moto::DEFAULT_ACCOUNT,
        vec![Fault::new(
            None,
            "StartQueryExecution",
            400,
            "AccessDeniedException",
        )],
    )
    .expect("proxy");
    let out = activity_json(&proxy.endpoint(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("athena:StartQueryExecution"), "{stderr}");
    assert!(stderr.contains("AccessDeniedException"), "{stderr}");
    assert!(stderr.contains("us-east-1"), "{stderr}");
    assert!(stderr.contains("glue:GetTable"), "{stderr}");
}

#[test]
fn collect_adds_athena_activity_and_scope_and_a_lookup_events_gap() {
    let server = MotoServer::start().expect("moto server");
    let seeded = server.seed("single", &[]).expect("seed");
    let role = seeded["app_role"]
        .as_str()
        .expect("app role ARN")
        .to_owned();
    let mut record = records()[0].clone();
    record["requestParameters"]["roleArn"] = json!(role);
    record["resources"][0]["ARN"] = json!(role);
    record["recipientAccountId"] = json!(moto::DEFAULT_ACCOUNT);
    record["eventTime"] = json!("2026-11-20T08:55:13Z");
    server
        .queue_athena_results(&json!([{ "rows": [header(), datum_row(&row_of(&record))] }]))
        .expect("queue results");
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("snapshot.json");
    let out = rdsiam(&server.endpoint())
        .args(["collect", "--regions", "us-east-1", "--output"])
        .arg(&out_file)
        .args(ATHENA_FLAGS)
        .args(["--activity-since", "2026-11-01", "--lookup-events"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Athena (us-east-1): query"), "{stderr}");
    let inventory = snapshot::load(Path::new(&out_file)).expect("snapshot loads");

    assert_eq!(inventory.activity.len(), 1, "{:?}", inventory.activity);
    assert_eq!(inventory.activity[0].role_arn, role);
    let athena_scope = inventory
        .activity_scope
        .iter()
        .find(|s| s.source == "cloudtrail:athena")
        .expect("Athena scope");
    assert_eq!(athena_scope.account, moto::DEFAULT_ACCOUNT);
    assert_eq!(athena_scope.since, "2026-11-01");
    // moto does not implement LookupEvents: a gap naming the API and region, not a crash.
    let lookup_gap = inventory
        .coverage
        .iter()
        .find(|g| g.source == "cloudtrail:LookupEvents")
        .expect("LookupEvents gap");
    assert_eq!(lookup_gap.region.as_deref(), Some("us-east-1"));
    assert_eq!(
        lookup_gap.fix_permission.as_deref(),
        Some("cloudtrail:LookupEvents")
    );
    assert!(
        !inventory
            .activity_scope
            .iter()
            .any(|s| s.source == "cloudtrail:lookup-events"),
        "a failed lookup covers nothing"
    );
}

#[test]
fn incomplete_or_conflicting_flags_are_usage_errors() {
    let cases: [(&[&str], &str); 7] = [
        (&["--athena-database", "cloudtrail"], "--athena-table"),
        (
            &["--athena-database", "cloudtrail", "--athena-table", "logs"],
            "--athena-output",
        ),
        (
            &[
                "--athena-database",
                "cloudtrail",
                "--athena-table",
                "logs\"; DROP",
                "--athena-output",
                "s3://b/",
            ],
            "--athena-table",
        ),
        (
            &[
                "--athena-database",
                "cloudtrail",
                "--athena-table",
                "logs",
                "--athena-output",
                "https://b/",
            ],
            "not an S3 location",
        ),
        (
            &["--lookup-events", "--cloudtrail-dir", "/tmp"],
            "choose one activity source",
        ),
        (&[], "choose one activity source"),
        (&["--lookup-events", "--print-sql"], "--print-sql"),
    ];
    for (args, expected) in cases {
        let out = support::cli::rdsiam()
            .args(["activity", "--role", ROLE])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let audit = support::cli::rdsiam()
        .args(["audit", "--snapshot", "fixtures/demo", "--lookup-events"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(audit.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&audit.stderr).contains("while collecting"));
}

fn settings(partitions: Partitions) -> AthenaSettings {
    AthenaSettings {
        database: Identifier::parse("--athena-database", "cloudtrail").unwrap(),
        table: Identifier::parse("--athena-table", "cloudtrail_logs_pp").unwrap(),
        workgroup: None,
        output: Some("s3://athena-results/rdsiam/".into()),
        region: None,
        partitions,
        polling: Polling::default(),
    }
}

#[test]
fn sql_unpartitioned() {
    let mut filter = ScanOptions::new(&[ROLE, OTHER_ROLE]);
    filter.since = Day::parse("2026-08-23");
    let sql = athena_sql(&settings(Partitions::default()), &filter).unwrap();
    insta::assert_snapshot!("sql_unpartitioned", sql);
}

#[test]
fn sql_partition_projection_with_region_and_account() {
    let column = |name: &str| Some(Identifier::parse("--test", name).unwrap());
    let partitions = Partitions {
        date: column("timestamp"),
        date_format: DateFormat::SlashYmd,
        region: column("region"),
        account: column("account"),
    };
    let mut filter = ScanOptions::new(&[ROLE]);
    filter.since = Day::parse("2026-11-01");
    filter.until = Day::parse("2026-11-30");
    filter.regions = vec!["us-east-1".into(), "eu-west-1".into()];
    filter.accounts = vec!["222222222222".into()];
    let sql = athena_sql(&settings(partitions), &filter).unwrap();
    insta::assert_snapshot!("sql_partition_projection", sql);
}

#[test]
fn sql_escapes_a_quote_in_a_role_arn() {
    let evil = "arn:aws:iam::222222222222:role/x') OR 1=1 OR ('";
    let filter = ScanOptions::new(&[evil]);
    let sql = athena_sql(&settings(Partitions::default()), &filter).unwrap();
    assert!(
        sql.ends_with("IN ('arn:aws:iam::222222222222:role/x'') OR 1=1 OR (''')"),
        "{sql}"
    );
    // Outside string literals the text is only the query's own: every quote is paired.
    let unquoted: String = sql.split('\'').step_by(2).collect();
    assert!(!unquoted.contains("OR 1=1"), "{unquoted}");
    insta::assert_snapshot!("sql_escaped_role", sql);
}

/// CANCELLED ends the wait with Athena's reason; a query still RUNNING at `--athena-timeout`
/// ends it too (bounded polling), naming the query.
#[test]
fn cancelled_and_timed_out_queries_end_the_wait() {
    let server = MotoServer::start().expect("moto server");
    for (state, extra, expected) in [
        (
            "CANCELLED",
            &[][..],
            "was CANCELLED: Query cancelled by user admin",
        ),
        (
            "RUNNING",
            &["--athena-timeout", "1"][..],
            "did not finish within 1 s",
        ),
    ] {
        let proxy = FaultProxy::start(server.port, moto::ACCESS_KEY, moto::DEFAULT_ACCOUNT, vec![])
            .expect("proxy");
        proxy.add_canned(vec![Canned {
            operation: "GetQueryExecution".into(),
            request_contains: "QueryExecutionId".into(),
            body: json!({"QueryExecution": {"QueryExecutionId": "q-1", "Status": {
                "State": state, "StateChangeReason": "Query cancelled by user admin"}}})
            .to_string(),
        }]);
        let started = std::time::Instant::now();
        let out = activity_json(&proxy.endpoint(), extra);
        assert_eq!(out.status.code(), Some(2), "{state}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{state}: {stderr}");
        let polls = proxy
            .seen()
            .iter()
            .filter(|(_, op, _)| op == "GetQueryExecution")
            .count();
        if state == "RUNNING" {
            // 0, 250 ms, 750 ms: the doubling delay, stopped before passing the deadline.
            assert_eq!(polls, 3, "{stderr}");
            assert!(started.elapsed() < std::time::Duration::from_secs(10));
        } else {
            assert_eq!(polls, 1);
        }
    }
}

/// moto answers LookupEvents with 500: with every region failing, `activity` exits 2 and names
/// the API, the region and the permission.
#[test]
fn lookup_events_failing_everywhere_is_an_error() {
    let server = MotoServer::start().expect("moto server");
    let out = rdsiam(&server.endpoint())
        .args([
            "activity",
            "--role",
            ROLE,
            "--lookup-events",
            "--region",
            "eu-west-1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "LookupEvents failed in every region",
        "eu-west-1 cloudtrail:LookupEvents",
        "(needs cloudtrail:LookupEvents)",
    ] {
        assert!(stderr.contains(expected), "{expected:?} in {stderr}");
    }
}

/// Live audit of a three-account organization with `--lookup-events`: one LookupEvents run per
/// collected account (with that account's credentials) and region, concurrently; moto's 500
/// becomes one gap per account and region, and the audit still reports; the access analysis
/// is built once.
#[test]
fn live_audit_reads_lookup_events_in_every_account_and_region() {
    let server = MotoServer::start().expect("moto server");
    server.seed("org", &[]).expect("seed");
    let out = rdsiam(&server.endpoint())
        .args([
            "audit",
            "--org",
            "--assume-role-name",
            "OrganizationAccountAccessRole",
            "--regions",
            "us-east-1,eu-west-1",
            "--format",
            "json",
            "--lookup-events",
        ])
        .env("RDSIAM_PHASE_TIMES", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{stderr}");
    // One access analysis per audit: LookupEvents looks for the roles of the audit's own
    // analysis (collecting builds none); `RDSIAM_PHASE_TIMES` marks every analysis built.
    let analyses = stderr
        .lines()
        .filter(|l| l.starts_with("phase ") && l.ends_with("  analysis"))
        .count();
    assert_eq!(analyses, 1, "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let accounts: Vec<String> = report["scope"]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(accounts.len(), 3, "{accounts:?}");
    let mut lookups: Vec<(String, String)> = report["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["source"] == "cloudtrail:LookupEvents")
        .map(|g| {
            (
                g["account"].as_str().unwrap_or("").to_owned(),
                g["region"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    lookups.sort();
    let mut expected: Vec<(String, String)> = accounts
        .iter()
        .flat_map(|a| {
            ["eu-west-1", "us-east-1"]
                .into_iter()
                .map(move |r| (a.clone(), r.to_owned()))
        })
        .collect();
    expected.sort();
    assert_eq!(lookups, expected, "{stderr}");
    assert_eq!(
        stderr.matches("LookupEvents (").count(),
        6,
        "one note per account and region: {stderr}"
    );
}

/// Runs `sql` over `records` (each with its `timestamp` partition) on DuckDB through
/// `tests/support/athena_sql_duckdb.py` (sqlglot parses it as Trino, Athena's engine, and
/// transpiles it): the query's real result rows, as Athena would compute them.
fn run_sql_on_duckdb(sql: &str, records: &[(&str, Value)]) -> Vec<Vec<Option<String>>> {
    let python = moto::repo().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/test.sh (it installs tests/support/requirements.txt)",
        python.display()
    );
    let job = json!({
        "database": "cloudtrail",
        "table": "cloudtrail_logs_pp",
        "sql": sql,
        "records": records
            .iter()
            .map(|(partition, record)| json!({"timestamp": partition, "record": record}))
            .collect::<Vec<_>>(),
    });
    let mut child = std::process::Command::new(python)
        .arg(moto::repo().join("tests/support/athena_sql_duckdb.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run athena_sql_duckdb.py");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(job.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "athena_sql_duckdb.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("rows as JSON")
}

/// The generated SQL, executed for real (DuckDB, via sqlglot's Trino parser), selects exactly
/// the records the local scan keeps; its rows, served by moto's Athena API, become the same
/// events as the local scan of the same records.
#[test]
fn the_generated_sql_selects_what_the_local_scan_keeps() {
    let mut all = records();
    let web_identity = {
        let mut r = all[0].clone();
        r["eventName"] = json!("AssumeRoleWithWebIdentity");
        r["eventID"] = json!("ev-web");
        r
    };
    let after_until = {
        let mut r = all[0].clone();
        r["eventTime"] = json!("2026-11-21T00:01:00Z");
        r["eventID"] = json!("ev-after");
        r
    };
    let before_since = {
        let mut r = all[1].clone();
        r["eventTime"] = json!("2026-11-18T23:59:59Z");
        r["eventID"] = json!("ev-before");
        r
    };
    let kms_first = {
        let mut r = all[0].clone();
        r["eventTime"] = json!("2026-11-20T12:00:00Z");
        r["eventID"] = json!("ev-kms-first");
        r["resources"] = json!([{"type": "AWS::KMS::Key", "ARN": "arn:aws:kms:us-east-1:222222222222:key/k"},
                                {"type": "AWS::IAM::Role", "ARN": ROLE}]);
        r
    };
    // (delivery-day partition, record): each event sits in the partition of its file.
    let mut partitioned: Vec<(&str, Value)> = vec![
        ("2026/11/19", all.remove(0)),
        ("2026/11/20", all.remove(0)),
        ("2026/11/20", all.remove(0)),
        ("2026/11/19", web_identity),
        ("2026/11/21", after_until),
        ("2026/11/19", before_since),
        ("2026/11/20", kms_first),
    ];
    // Outside the partition range: pruned, whatever its eventTime says.
    let mut pruned = records()[0].clone();
    pruned["eventID"] = json!("ev-pruned");
    partitioned.push(("2026/11/25", pruned));

    let window = [
        "--since",
        "2026-11-19",
        "--until",
        "2026-11-20",
        "--athena-partition-column",
        "timestamp",
    ];
    let flags: Vec<&str> = ATHENA_FLAGS
        .iter()
        .map(|f| {
            if *f == "cloudtrail_logs" {
                "cloudtrail_logs_pp"
            } else {
                f
            }
        })
        .collect();
    let sql = support::cli::rdsiam()
        .args(["activity", "--role", ROLE, "--print-sql"])
        .args(&flags)
        .args(window)
        .output()
        .unwrap();
    assert!(sql.status.success());
    let sql = String::from_utf8(sql.stdout).unwrap();
    let rows = run_sql_on_duckdb(&sql, &partitioned);
    let mut ids: Vec<&str> = rows.iter().map(|r| r[1].as_deref().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, ["ev-1", "ev-2", "ev-kms-first"], "{rows:?}");

    let server = MotoServer::start().expect("moto server");
    let mut result = vec![header()];
    result.extend(rows.iter().map(|r| datum_row(r)));
    server
        .queue_athena_results(&json!([{ "rows": result }]))
        .expect("queue results");
    let athena = json_out(
        &rdsiam(&server.endpoint())
            .args(["activity", "--role", ROLE, "--format", "json"])
            .args(&flags)
            .args(window)
            .output()
            .unwrap(),
    );
    // The same records as trail files, one per delivery day in the S3 layout the partitions
    // project: the local scan skips the 2026/11/25 file by its path, as Athena prunes it.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("AWSLogs");
    for (partition, _) in &partitioned {
        let day_dir = file.join(format!("222222222222/CloudTrail/us-east-1/{partition}"));
        let stamp = partition.replace('/', "");
        let records: Vec<&Value> = partitioned
            .iter()
            .filter(|(p, _)| p == partition)
            .map(|(_, r)| r)
            .collect();
        std::fs::create_dir_all(&day_dir).unwrap();
        std::fs::write(
            day_dir.join(format!(
                "222222222222_CloudTrail_us-east-1_{stamp}T0000Z_test.json"
            )),
            json!({ "Records": records }).to_string(),
        )
        .unwrap();
    }
    let local = json_out(
        &support::cli::rdsiam()
            .args(["activity", "--role", ROLE, "--format", "json"])
            .args(["--since", "2026-11-19", "--until", "2026-11-20"])
            .arg("--cloudtrail-dir")
            .arg(&file)
            .output()
            .unwrap(),
    );
    assert_eq!(athena["events"], local["events"]);
    assert_eq!(athena["summary"]["roles"], local["summary"]["roles"]);
    assert_eq!(athena["events"].as_array().unwrap().len(), 3);
    assert_eq!(local["summary"]["scan"]["files_skipped"], 1, "{local}");
}
