//! Test and benchmark data generators: test machinery, compiled only with the `generators`
//! cargo feature (tests, benches and examples get it through the package's dev-dependency on
//! itself) or in unit tests; the shipped tool does not contain them. The organization
//! generator is `examples/gen_org.rs`.
//!
//! - [`cloudtrail`]: deterministic gzip CloudTrail files in the layout the collectors read.

pub mod cloudtrail;
