//! The tunable parameters of the rules: for each, the rule, the key in `[rules.<id>]` of
//! `rdsiam.toml`, the default, the allowed range and what it means. `rdsiam explain <id>`
//! lists them; `config` validates against them. [`RuleSettings`] holds their values.

/// One parameter of one rule. Values are whole days today.
pub struct Parameter {
    pub rule: &'static str,
    /// Key in `[rules.<rule>]` (kebab-case).
    pub key: &'static str,
    pub doc: &'static str,
    pub min: u32,
    pub max: u32,
    pub get: fn(&RuleSettings) -> u32,
    pub set: fn(&mut RuleSettings, u32),
}

impl Parameter {
    pub fn default_value(&self) -> u32 {
        (self.get)(&RuleSettings::default())
    }
}

/// `assume-role-first-seen`: a caller is new when its first successful AssumeRole falls in
/// this many days before the report time...
pub const FIRST_SEEN_DAYS: u32 = 14;
/// ...and the trail was read for at least this many days before that, so "first" means
/// something (on the first scan of a fresh trail every caller would look new).
pub const FIRST_SEEN_BASELINE_DAYS: u32 = 30;

/// Thresholds of the rules that a user may tune (`rdsiam.toml` `[rules.<id>]`, some also
/// from the command line), with their defaults. [`PARAMETERS`] documents each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSettings {
    /// `connect-role-unused`: days without a successful AssumeRole before a DB-connect role
    /// counts as unused (`rdsiam audit --unused-days`).
    pub unused_days: u32,
    /// `assume-role-first-seen`: a caller is new when first seen within this many days.
    pub first_seen_days: u32,
    /// `assume-role-first-seen`: days of trail before that window that must have been read.
    pub first_seen_baseline_days: u32,
    /// `ca-certificate-expiring`: days before the CA's expiry the rule starts reporting.
    pub ca_expiry_days: u32,
}

impl RuleSettings {
    pub const DEFAULT_UNUSED_DAYS: u32 = 90;
}

impl Default for RuleSettings {
    fn default() -> Self {
        RuleSettings {
            unused_days: Self::DEFAULT_UNUSED_DAYS,
            first_seen_days: FIRST_SEEN_DAYS,
            first_seen_baseline_days: FIRST_SEEN_BASELINE_DAYS,
            ca_expiry_days: 30,
        }
    }
}

pub const PARAMETERS: &[Parameter] = &[
    Parameter {
        rule: "connect-role-unused",
        key: "unused-days",
        doc: "days without a successful AssumeRole before a DB-connect role counts as unused (also `rdsiam audit --unused-days`)",
        min: 1,
        max: 3650,
        get: |s| s.unused_days,
        set: |s, v| s.unused_days = v,
    },
    Parameter {
        rule: "assume-role-first-seen",
        key: "window-days",
        doc: "a caller counts as new when its first AssumeRole is within this many days of the evaluation time",
        min: 1,
        max: 3650,
        get: |s| s.first_seen_days,
        set: |s, v| s.first_seen_days = v,
    },
    Parameter {
        rule: "assume-role-first-seen",
        key: "baseline-days",
        doc: "days of trail before that window that must have been read (to know the caller was absent)",
        min: 1,
        max: 3650,
        get: |s| s.first_seen_baseline_days,
        set: |s, v| s.first_seen_baseline_days = v,
    },
    Parameter {
        rule: "ca-certificate-expiring",
        key: "horizon-days",
        doc: "report a CA certificate this many days before it expires (an expired one is always reported, as high)",
        min: 0,
        max: 3650,
        get: |s| s.ca_expiry_days,
        set: |s, v| s.ca_expiry_days = v,
    },
];

/// The parameters of rule `id`.
pub fn of(id: &str) -> impl Iterator<Item = &'static Parameter> + '_ {
    PARAMETERS.iter().filter(move |p| p.rule == id)
}
