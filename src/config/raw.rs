//! The configuration file as written: serde shapes with spans, before validation. Unknown
//! keys are refused (`deny_unknown_fields`) except where the keys are data (rule ids, rule
//! parameters), which `super::validate` checks against the catalogue with a "did you mean".

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// One `[rules.<id>]` table: key → value, both with their spans.
pub type RawRuleTable = Spanned<BTreeMap<Spanned<String>, Spanned<toml::Value>>>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub audit: Option<Spanned<RawAudit>>,
    /// `[rules.<id>]`: keys are `enabled`, `severity` and the rule's parameters.
    #[serde(default)]
    pub rules: BTreeMap<Spanned<String>, RawRuleTable>,
    #[serde(default)]
    pub scope: Option<Spanned<RawScope>>,
    #[serde(default)]
    pub exceptions: Vec<Spanned<RawException>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawAudit {
    pub fail_on: Option<Spanned<String>>,
    pub fail_on_new: Option<bool>,
    pub format: Option<Spanned<String>>,
    pub output: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawScope {
    #[serde(default)]
    pub include_accounts: Vec<Spanned<String>>,
    #[serde(default)]
    pub exclude_accounts: Vec<Spanned<String>>,
    #[serde(default)]
    pub include_ous: Vec<String>,
    #[serde(default)]
    pub exclude_ous: Vec<String>,
    #[serde(default)]
    pub include_regions: Vec<String>,
    #[serde(default)]
    pub exclude_regions: Vec<String>,
    #[serde(default)]
    pub include_databases: Vec<String>,
    #[serde(default)]
    pub exclude_databases: Vec<String>,
    #[serde(default)]
    pub include_db_users: Vec<String>,
    #[serde(default)]
    pub exclude_db_users: Vec<String>,
}

/// One `[[exceptions]]` entry. The mandatory fields are optional here so that a missing one
/// is reported by name and line rather than as serde's generic "missing field".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawException {
    pub rule: Option<Spanned<String>>,
    pub account: Option<Spanned<String>>,
    pub resource: Option<String>,
    pub db_user: Option<String>,
    pub principal: Option<String>,
    pub fingerprint: Option<Spanned<String>>,
    pub reason: Option<String>,
    pub owner: Option<String>,
    /// A TOML date (`2027-03-31`) or a string holding one.
    pub expires: Option<Spanned<toml::Value>>,
}
