//! TEMPORARY home of the CloudTrail data generator (test and benchmark machinery), until
//! branch `arch-build` moves it behind a cargo feature. Everything else that lived here moved
//! by layer: the event model to `crate::inventory::activity`, the sources to
//! `crate::collect::activity`, the per-role summary to `crate::access::activity_summary`.
//! The private imports below only keep the generator's `super::` paths resolving.

pub mod cloudtrail_gen;

use crate::collect::activity::cloudtrail_layout;
use crate::inventory::activity as event;
