//! Turns an SDK error into a coverage [`Gap`]: which account, region and API failed, the
//! error code as AWS returned it, and the IAM permission that would let the call succeed.
//!
//! Faults never abort a collection: AccessDenied, throttling that outlived the SDK's retries,
//! an API the endpoint does not implement (moto answers 500), a network error — all become
//! gaps, and the collector moves on to the next call.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::operations::Operation;
use crate::inventory::Gap;

/// Where a call was made: the account and (for regional services) the region.
#[derive(Debug, Clone)]
pub struct Scope {
    pub account: Option<String>,
    pub region: Option<String>,
}

impl Scope {
    pub fn account(account: &str) -> Self {
        Scope {
            account: Some(account.to_owned()),
            region: None,
        }
    }

    pub fn regional(account: &str, region: &str) -> Self {
        Scope {
            account: Some(account.to_owned()),
            region: Some(region.to_owned()),
        }
    }
}

/// The gap for a failed call of `op` in `scope`.
pub fn gap<E, R>(scope: &Scope, op: Operation, err: &SdkError<E, R>) -> Gap
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + HasStatus,
{
    let (code, message) = classify(err);
    Gap {
        account: scope.account.clone(),
        region: scope.region.clone(),
        source: op.action(),
        error_code: code,
        message,
        fix_permission: Some(op.action()),
    }
}

/// A gap that is not an SDK error (e.g. a document that could not be decoded).
pub fn other(scope: &Scope, op: Operation, code: &str, message: String) -> Gap {
    Gap {
        account: scope.account.clone(),
        region: scope.region.clone(),
        source: op.action(),
        error_code: code.to_owned(),
        message,
        fix_permission: None,
    }
}

/// The error of any SDK operation, as [`gap`] and [`classify`] take it: one name for the
/// bounds every collector that handles such errors would otherwise repeat.
pub trait OperationError: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static {}

impl<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static> OperationError for E {}

/// Access to the HTTP status of a raw response, so 500s without an error code (an API the
/// endpoint does not implement) still get a meaningful code.
pub trait HasStatus {
    fn status_code(&self) -> u16;
}

impl HasStatus for aws_smithy_runtime_api::http::Response {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

/// (error code, one-line message) for any SDK error.
pub fn classify<E, R>(err: &SdkError<E, R>) -> (String, String)
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + HasStatus,
{
    match err {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            let status = service.raw().status_code();
            let code = inner
                .code()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("HTTP{status}"));
            let message = inner
                .message()
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    format!(
                        "HTTP {status} without an error code or message (the endpoint may not implement this API)"
                    )
                });
            (code, message)
        }
        SdkError::ResponseError(response) => (
            format!("HTTP{}", response.raw().status_code()),
            format!("unparseable response: {}", chain(err)),
        ),
        SdkError::TimeoutError(_) => ("Timeout".to_owned(), chain(err)),
        SdkError::DispatchFailure(_) => ("DispatchFailure".to_owned(), chain(err)),
        SdkError::ConstructionFailure(_) => ("ConstructionFailure".to_owned(), chain(err)),
        _ => ("Unknown".to_owned(), chain(err)),
    }
}

/// The error and its sources as one line (`a: b: c`), without the Debug dump that
/// `DisplayErrorContext` appends.
fn chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = inner.source();
    }
    parts.join(": ")
}

/// True when `code` says the caller lacks permission (as opposed to a service fault).
pub fn is_access_denied(code: &str) -> bool {
    matches!(
        code,
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "AuthFailure"
    )
}
