//! Collectors: read facts from live sources into an [`crate::inventory::Inventory`].
//! They only collect; what they cannot read becomes a coverage gap, never an abort.
//!
//! - [`aws`]: STS, IAM, RDS and Organizations through the AWS SDK.

pub mod aws;
