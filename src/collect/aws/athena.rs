//! Athena: runs one query and returns its rows. StartQueryExecution, then GetQueryExecution
//! polled with exponential backoff until SUCCEEDED (FAILED / CANCELLED are errors carrying
//! Athena's StateChangeReason; the wait is bounded), then GetQueryResults page by page
//! ([`crate::collect::activity::athena::rows::all_rows`]).
//!
//! The query text is built elsewhere ([`crate::collect::activity::athena::sql`]); this module only
//! talks to the API. A failure is a [`Gap`] naming the region, the API and the permission.

use std::time::{Duration, Instant};

use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, ResultConfiguration};

use super::config::Clients;
use super::faults::{self, Scope};
use super::operations::{self, Operation};
use crate::collect::activity::athena::rows::{Page, Row, all_rows};
use crate::inventory::Gap;

/// The permissions a query needs besides the athena:* calls (README, "Read-only").
pub const QUERY_DATA_PERMISSIONS: &str = "s3:GetObject and s3:ListBucket on the CloudTrail bucket, glue:GetTable and glue:GetPartitions on the table, s3:PutObject and s3:GetObject on the output location";

/// Rows per GetQueryResults page (the API's maximum).
const PAGE_SIZE: i32 = 1000;
/// Pages at most: 10 million rows, far beyond any AssumeRole history.
const MAX_PAGES: usize = 10_000;

/// How long to wait for a query, and how often to ask.
#[derive(Debug, Clone, Copy)]
pub struct Polling {
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// Give up after this long (the query goes on in Athena; its id is in the error).
    pub timeout: Duration,
}

impl Default for Polling {
    fn default() -> Self {
        Polling {
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(5),
            timeout: Duration::from_secs(30 * 60),
        }
    }
}

/// One query to run.
#[derive(Debug, Clone)]
pub struct Query {
    pub sql: String,
    pub database: String,
    pub workgroup: Option<String>,
    /// `s3://...`; `None` leaves it to the workgroup's configuration.
    pub output: Option<String>,
    pub polling: Polling,
}

/// Runs `query` in `region`; returns the data rows (header dropped) and the execution id.
pub async fn run(
    clients: &Clients,
    region: &str,
    query: &Query,
) -> Result<(String, Vec<Row>), Gap> {
    let client = clients.athena(region);
    let scope = Scope::regional(&clients.account, region);
    let started = client
        .start_query_execution()
        .query_string(&query.sql)
        .query_execution_context(
            QueryExecutionContext::builder()
                .database(&query.database)
                .build(),
        )
        .set_work_group(query.workgroup.clone())
        .set_result_configuration(query.output.as_ref().map(|output| {
            ResultConfiguration::builder()
                .output_location(output)
                .build()
        }))
        .send()
        .await
        .map_err(|err| {
            with_data_hint(faults::gap(&scope, operations::START_QUERY_EXECUTION, &err))
        })?;
    let Some(id) = started.query_execution_id().map(str::to_owned) else {
        return Err(incomplete(
            &scope,
            operations::START_QUERY_EXECUTION,
            "no QueryExecutionId",
        ));
    };
    wait(&client, &scope, &id, query.polling).await?;
    let fetch = |token: Option<String>| {
        let (client, scope, id) = (client.clone(), scope.clone(), id.clone());
        async move {
            let out = client
                .get_query_results()
                .query_execution_id(&id)
                .set_next_token(token)
                .max_results(PAGE_SIZE)
                .send()
                .await
                .map_err(|err| faults::gap(&scope, operations::GET_QUERY_RESULTS, &err))
                .map_err(GapError)?;
            let rows = out
                .result_set()
                .map(|set| {
                    set.rows()
                        .iter()
                        .map(|row| {
                            row.data()
                                .iter()
                                .map(|d| d.var_char_value().map(str::to_owned))
                                .collect()
                        })
                        .collect()
                })
                .unwrap_or_default();
            Ok(Page {
                rows,
                next_token: out.next_token().map(str::to_owned),
            })
        }
    };
    match all_rows(fetch, MAX_PAGES).await {
        Ok(rows) => Ok((id, rows)),
        Err(err) => Err(match err.downcast::<GapError>() {
            Ok(GapError(gap)) => gap,
            Err(other) => faults::other(
                &scope,
                operations::GET_QUERY_RESULTS,
                "UnexpectedResults",
                format!("query {id}: {other}"),
            ),
        }),
    }
}

/// A gap carried through the pager's `anyhow` errors.
#[derive(Debug)]
struct GapError(Gap);

impl std::fmt::Display for GapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.0.error_code, self.0.message)
    }
}

impl std::error::Error for GapError {}

/// Polls until the query ends; FAILED and CANCELLED carry Athena's reason.
async fn wait(
    client: &aws_sdk_athena::Client,
    scope: &Scope,
    id: &str,
    polling: Polling,
) -> Result<(), Gap> {
    let deadline = Instant::now() + polling.timeout;
    let mut delay = polling.first_delay;
    loop {
        let out = client
            .get_query_execution()
            .query_execution_id(id)
            .send()
            .await
            .map_err(|err| faults::gap(scope, operations::GET_QUERY_EXECUTION, &err))?;
        let status = out.query_execution().and_then(|q| q.status());
        let reason = status
            .and_then(|s| s.state_change_reason())
            .or_else(|| {
                status
                    .and_then(|s| s.athena_error())
                    .and_then(|e| e.error_message())
            })
            .unwrap_or("no reason given");
        match status.and_then(|s| s.state()) {
            Some(QueryExecutionState::Succeeded) => return Ok(()),
            Some(QueryExecutionState::Failed) => {
                let mut gap = faults::other(
                    scope,
                    operations::GET_QUERY_EXECUTION,
                    "QueryFailed",
                    format!("Athena query {id} FAILED: {reason}"),
                );
                if mentions_access(reason) {
                    gap.fix_permission = Some(QUERY_DATA_PERMISSIONS.to_owned());
                }
                return Err(gap);
            }
            Some(QueryExecutionState::Cancelled) => {
                return Err(faults::other(
                    scope,
                    operations::GET_QUERY_EXECUTION,
                    "QueryCancelled",
                    format!("Athena query {id} was CANCELLED: {reason}"),
                ));
            }
            _ => {}
        }
        if Instant::now() + delay > deadline {
            return Err(faults::other(
                scope,
                operations::GET_QUERY_EXECUTION,
                "QueryTimeout",
                format!(
                    "Athena query {id} did not finish within {} s; it may still be running in Athena",
                    polling.timeout.as_secs()
                ),
            ));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(polling.max_delay);
    }
}

fn mentions_access(reason: &str) -> bool {
    let reason = reason.to_ascii_lowercase();
    [
        "access denied",
        "accessdenied",
        "not authorized",
        "insufficient permissions",
    ]
    .iter()
    .any(|w| reason.contains(w))
}

/// An AccessDenied on StartQueryExecution may be about the data, not the call: say both.
fn with_data_hint(mut gap: Gap) -> Gap {
    if faults::is_access_denied(&gap.error_code) || mentions_access(&gap.message) {
        gap.fix_permission = Some(format!(
            "{} (and {QUERY_DATA_PERMISSIONS})",
            operations::START_QUERY_EXECUTION.action()
        ));
    }
    gap
}

fn incomplete(scope: &Scope, op: Operation, what: &str) -> Gap {
    faults::other(
        scope,
        op,
        "IncompleteResponse",
        format!("{op} returned {what}"),
    )
}
