//! Collectors: read facts into the [`Inventory`](crate::inventory::Inventory), never change
//! anything.
//!
//! - [`postgres`]: roles and databases from inside PostgreSQL.

pub mod postgres;
