//! The rule table: every audit rule and every doctor cause, registered exactly once, as its
//! id, its logic and its `rules/<id>.toml` (compiled in with `include_str!`; nothing walks
//! directories at run time). Adding a rule is one line here plus its TOML file; the order of
//! the table is the order of the catalogue (`rdsiam rules`) and of the audit's findings.
//!
//! An entry says what runs it: `audit(f)` — a pure function of the inventory and its analysis,
//! handed its own metadata (id, severity, title, fix template) so it never repeats its id;
//! `exceptions(NAME)` — judged by [`super::exceptions`] after every other rule;
//! `doctor(NAME)` — a cause `rdsiam doctor` diagnoses on a live login. `NAME` becomes a
//! constant in [`codes`] holding the id, the handle that code outside the table uses.

use std::sync::OnceLock;

use super::catalogue::{self, RuleMeta};
use super::context::RuleContext;
use super::{activity, auth_log, cross_account, database, guardrails, policy_arns, proxy_e2e, rds};
use crate::report::Finding;

/// The logic of an audit rule: findings of one rule, given its metadata.
pub type Check = fn(&RuleContext<'_>, &RuleMeta) -> Vec<Finding>;

/// One registered rule.
#[derive(Clone, Copy)]
pub struct Rule {
    /// Kebab-case id, the stem of `rules/<id>.toml`.
    pub id: &'static str,
    /// The TOML text of `rules/<id>.toml`.
    pub source: &'static str,
    /// The audit logic, for a rule the audit runs over every inventory.
    pub check: Option<Check>,
    /// A rule about the configuration's accepted risks, judged after every other rule.
    pub exceptions: bool,
    /// A cause of a failing live login that `rdsiam doctor` diagnoses.
    pub doctor: bool,
}

impl Rule {
    const fn new(id: &'static str, source: &'static str) -> Self {
        Rule {
            id,
            source,
            check: None,
            exceptions: false,
            doctor: false,
        }
    }

    const fn audit(mut self, check: Check) -> Self {
        self.check = Some(check);
        self
    }

    const fn exceptions(mut self, _id: &str) -> Self {
        self.exceptions = true;
        self
    }

    const fn doctor(mut self, _id: &str) -> Self {
        self.doctor = true;
        self
    }

    /// This rule's parsed metadata.
    pub fn meta(&self) -> &'static RuleMeta {
        // Every entry of RULES is parsed by `catalogue()` (a parse failure panics there).
        lookup(self.id).unwrap_or_else(|| panic!("rule {} is not in the catalogue", self.id))
    }
}

/// `pub const NAME: &str = "<id>";` for entries that code outside the table names.
macro_rules! code_const {
    (audit, $id:literal, $($logic:tt)*) => {};
    ($kind:ident, $id:literal, $name:ident) => {
        pub const $name: &str = $id;
    };
}

macro_rules! rule_table {
    ($( $id:literal => $( $kind:ident ( $($arg:tt)* ) ),+ ; )*) => {
        /// Every rule, in catalogue order.
        pub const RULES: &[Rule] = &[$(
            Rule::new($id, include_str!(concat!("../../rules/", $id, ".toml")))
                $( .$kind(rule_table!(@arg $kind $($arg)*)) )+
        ),*];

        /// The ids that code outside the table names: doctor causes and the rules about
        /// accepted risks (audit rules are reached through the table only).
        pub mod codes {
            $( $( code_const!($kind, $id, $($arg)*); )+ )*
        }
    };
    (@arg audit $($logic:tt)*) => { $($logic)* };
    (@arg $kind:ident $name:ident) => { codes::$name };
}

rule_table! {
    // policy ARNs and statements
    "arn-missing-dbuser" => audit(policy_arns::missing_dbuser);
    "arn-wrong-service" => audit(policy_arns::wrong_service);
    "arn-db-identifier-not-resource-id" => audit(policy_arns::identifier_not_resource_id);
    "arn-resource-id-dangling" => audit(policy_arns::resource_id_dangling);
    "arn-region-account-mismatch" => audit(policy_arns::region_account_mismatch);
    "arn-instance-id-for-cluster" => audit(policy_arns::instance_id_for_cluster);
    "arn-user-name-whitespace-or-case" => audit(policy_arns::user_name_whitespace_or_case);
    "arn-overbroad-wildcard" => audit(policy_arns::overbroad_wildcard);
    "action-misspelt" => audit(policy_arns::action_misspelt);
    "condition-key-never-present" => audit(policy_arns::condition_key_never_present);
    "policy-unparseable" => audit(policy_arns::policy_unparseable);
    // guardrails
    "grant-blocked-by-scp" => audit(guardrails::blocked_by_scp);
    "grant-blocked-by-rcp" => audit(guardrails::blocked_by_rcp);
    "grant-blocked-by-boundary" => audit(guardrails::blocked_by_boundary);
    "scp-blocks-assume-role" => audit(guardrails::scp_blocks_assume_role);
    // database side
    "db-user-missing" => audit(database::user_missing);
    "db-user-lacks-rds-iam" => audit(database::user_lacks_rds_iam);
    "rds-iam-on-master-or-password-user" => audit(database::on_master_or_password_user);
    "rds-iam-superuser" => audit(database::superuser);
    "rds-iam-orphan" => audit(database::orphan);
    "rds-iam-nologin" => audit(database::nologin);
    "rds-iam-with-rds-ad" => audit(database::with_rds_ad);
    // RDS side
    "iam-auth-disabled" => audit(rds::iam_auth_disabled), doctor(IAM_AUTH_DISABLED);
    "force-ssl-off" => audit(rds::force_ssl_off);
    "ca-certificate-expiring" => audit(rds::ca_certificate_expiring);
    // Shared with the doctor: the log export is off (the rds-log step says so).
    "iam-auth-error-log-not-exported" => audit(rds::error_log_not_exported),
        doctor(IAM_AUTH_ERROR_LOG_NOT_EXPORTED);
    "proxy-iam-mode-inconsistent" => audit(rds::proxy_iam_mode_inconsistent);
    // cross-account
    "role-assumable-outside-org" => audit(cross_account::assumable_outside_org);
    "trust-external-without-condition" => audit(cross_account::external_without_condition);
    // activity (CloudTrail AssumeRole)
    "connect-role-unused" => audit(activity::connect_role_unused);
    "assume-role-from-outside-org" => audit(activity::from_outside_org);
    "assume-role-failed" => audit(activity::failed);
    "assume-role-first-seen" => audit(activity::first_seen);
    // RDS's own verdict: the iam-db-auth-error log and IamDbAuth* metrics (issue #16)
    "auth-log-not-authorized" => audit(auth_log::not_authorized);
    "auth-log-token-reuse-or-truncation" => audit(auth_log::token_reuse_or_truncation);
    "auth-log-throttling" => audit(auth_log::throttling);
    "auth-log-unknown-caller" => audit(auth_log::unknown_caller);
    // RDS Proxy with end-to-end IAM (DefaultAuthScheme = IAM_AUTH)
    "proxy-e2e-iam-role-cannot-connect" => audit(proxy_e2e::role_cannot_connect);
    "proxy-e2e-user-lacks-rds-iam" => audit(proxy_e2e::user_lacks_rds_iam);
    // doctor: causes of a failing live login (`rdsiam doctor`); no audit logic.
    // `iam-auth-disabled` above is shared with the doctor.
    "token-expired" => doctor(TOKEN_EXPIRED);
    "token-user-mismatch" => doctor(TOKEN_USER_MISMATCH);
    "token-host-mismatch" => doctor(TOKEN_HOST_MISMATCH);
    "token-region-mismatch" => doctor(TOKEN_REGION_MISMATCH);
    "token-malformed" => doctor(TOKEN_MALFORMED);
    "token-missing" => doctor(TOKEN_MISSING);
    "clock-skew" => doctor(CLOCK_SKEW);
    "token-rejected" => doctor(TOKEN_REJECTED);
    "user-not-in-rds-iam" => doctor(USER_NOT_IN_RDS_IAM);
    "role-missing" => doctor(ROLE_MISSING);
    "role-nologin" => doctor(ROLE_NOLOGIN);
    "database-missing" => doctor(DATABASE_MISSING);
    "ssl-required" => doctor(SSL_REQUIRED);
    "tls-unknown-ca" => doctor(TLS_UNKNOWN_CA);
    "tls-hostname-mismatch" => doctor(TLS_HOSTNAME_MISMATCH);
    "tls-not-offered" => doctor(TLS_NOT_OFFERED);
    "policy-resource-mismatch" => doctor(POLICY_RESOURCE_MISMATCH);
    "policy-no-allow" => doctor(POLICY_NO_ALLOW);
    "scp-deny" => doctor(SCP_DENY);
    "boundary-deny" => doctor(BOUNDARY_DENY);
    "network-timeout" => doctor(NETWORK_TIMEOUT);
    "connection-refused" => doctor(CONNECTION_REFUSED);
    "dns-failure" => doctor(DNS_FAILURE);
    "credentials-missing" => doctor(CREDENTIALS_MISSING);
    // doctor: RDS's own reason from the iam-db-auth-error log (`rds-log` step, issue #16)
    "rds-log-not-authorized" => doctor(RDS_LOG_NOT_AUTHORIZED);
    "rds-log-expired-token" => doctor(RDS_LOG_EXPIRED_TOKEN);
    "rds-log-invalid-token" => doctor(RDS_LOG_INVALID_TOKEN);
    "rds-log-throttling" => doctor(RDS_LOG_THROTTLING);
    "rds-log-internal-error" => doctor(RDS_LOG_INTERNAL_ERROR);
    // accepted risks (`[[exceptions]]` of rdsiam.toml), judged after every other rule
    "exception-expired" => exceptions(EXCEPTION_EXPIRED);
    "exception-unused" => exceptions(EXCEPTION_UNUSED);
    // doctor: the two causes of an exchange that failed without PostgreSQL's own answer
    "server-timeout" => doctor(SERVER_TIMEOUT);
    "server-protocol-error" => doctor(SERVER_PROTOCOL_ERROR);
}

/// Parses every rule's TOML. Errors name the file; the tests below keep them from shipping.
pub fn parse_all() -> Result<Vec<RuleMeta>, String> {
    RULES
        .iter()
        .map(|rule| catalogue::parse(rule.id, rule.source))
        .collect()
}

/// The whole catalogue, parsed once, in table order.
pub fn catalogue() -> &'static [RuleMeta] {
    static CATALOGUE: OnceLock<Vec<RuleMeta>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        // The TOML is compiled in and checked by `catalogue_parses`: failure is a build defect.
        parse_all().unwrap_or_else(|e| panic!("rule catalogue is broken: {e}"))
    })
}

/// One rule's metadata by id.
pub fn lookup(id: &str) -> Option<&'static RuleMeta> {
    catalogue().iter().find(|r| r.id == id)
}

/// The audit rules with their logic, in table order.
pub fn audit_rules() -> impl Iterator<Item = (&'static Rule, Check)> {
    RULES
        .iter()
        .filter_map(|rule| rule.check.map(|check| (rule, check)))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::rules::catalogue::PLACEHOLDERS;

    // Here rather than in `params`: `params` must not import the table (which imports the
    // rule context, which imports `params`).
    #[test]
    fn every_parameter_names_a_catalogue_rule_and_round_trips() {
        for parameter in crate::rules::params::PARAMETERS {
            assert!(lookup(parameter.rule).is_some(), "{}", parameter.rule);
            let mut settings = crate::rules::params::RuleSettings::default();
            (parameter.set)(&mut settings, parameter.max);
            assert_eq!(
                (parameter.get)(&settings),
                parameter.max,
                "{}",
                parameter.key
            );
            assert!((parameter.min..=parameter.max).contains(&parameter.default_value()));
        }
    }

    #[test]
    fn catalogue_parses_and_ids_match_file_stems() {
        let rules = parse_all().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rules.len(), RULES.len());
    }

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut seen = HashSet::new();
        for stem in RULES.iter().map(|rule| rule.id) {
            assert!(seen.insert(stem), "duplicate rule id {stem}");
            assert!(
                stem.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "rule id {stem} is not kebab-case"
            );
        }
    }

    #[test]
    fn every_toml_in_rules_dir_is_registered() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
        let registered: HashSet<&str> = RULES.iter().map(|rule| rule.id).collect();
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir}: {e}")) {
            let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
            if path.extension().is_some_and(|e| e == "toml") {
                let stem = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default();
                assert!(
                    registered.contains(stem),
                    "{} is not registered in the rule table (src/rules/table.rs)",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn references_are_urls_and_docs_are_filled() {
        for rule in parse_all().unwrap_or_else(|e| panic!("{e}")) {
            assert!(!rule.references.is_empty(), "{} has no references", rule.id);
            for r in &rule.references {
                assert!(
                    r.starts_with("https://"),
                    "{}: reference {r} is not a URL",
                    rule.id
                );
            }
            for (field, text) in [
                ("summary", &rule.summary),
                ("risk", &rule.risk),
                ("doc", &rule.doc),
                ("example", &rule.example),
            ] {
                assert!(!text.trim().is_empty(), "{}: empty {field}", rule.id);
            }
        }
    }

    #[test]
    fn fix_placeholders_are_known() {
        let known: HashSet<&str> = PLACEHOLDERS.iter().map(|(name, _)| *name).collect();
        for rule in parse_all().unwrap_or_else(|e| panic!("{e}")) {
            let f = &rule.fix;
            let texts = [
                Some(&f.summary),
                f.aws_cli.as_ref(),
                f.sql.as_ref(),
                f.terraform.as_ref(),
            ];
            for text in texts.into_iter().flatten() {
                for piece in text.split('{').skip(1) {
                    let Some(name) = piece.split('}').next() else {
                        continue;
                    };
                    let is_name = !name.is_empty()
                        && name.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                    if is_name {
                        assert!(
                            known.contains(name),
                            "{}: unknown placeholder {{{name}}}",
                            rule.id
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_entry_has_logic_that_matches_its_category() {
        for rule in RULES {
            let meta = rule.meta();
            let audited = rule.check.is_some() || rule.exceptions;
            assert!(
                audited || rule.doctor,
                "{}: registered with no logic",
                rule.id
            );
            assert_eq!(
                meta.category == catalogue::Category::Doctor,
                !audited,
                "{}: category {} does not match its entry (audit logic: {audited})",
                rule.id,
                meta.category.as_str()
            );
        }
    }
}
