//! How a resource is named where an ARN is too long to show: the last segment of the ARN.
//! Shared by the renderers (a leaf below them, so none imports the render module's root).

/// The last segment of an ARN (`role/pg-monitor-role` → `pg-monitor-role`), for display.
pub(crate) fn short_name(arn: &str) -> &str {
    arn.rsplit([':', '/']).next().unwrap_or(arn)
}
