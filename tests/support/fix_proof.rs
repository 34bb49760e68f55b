//! Which rules' fixes tests/fix_proving.rs proves by applying them, shared with
//! tests/rules_meta.rs (which checks that every other rule whose fix is a command says why
//! in its TOML `fix_proof`). Included by path, not through `mod support`, so rules_meta does
//! not compile the harnesses.

// Each including test binary uses its own part of the lists.
#![allow(dead_code)]

/// Rules whose `aws_cli` fix is run with the real AWS CLI against moto, in the order the
/// fixes are applied.
pub const PROVEN_AWS: &[&str] = &[
    "iam-auth-disabled",
    "force-ssl-off",
    "iam-auth-error-log-not-exported",
    "arn-missing-dbuser",
    "arn-wrong-service",
    "arn-db-identifier-not-resource-id",
    "arn-resource-id-dangling",
    "arn-user-name-whitespace-or-case",
    "action-misspelt",
    "condition-key-never-present",
];

/// Rules whose `sql` fix is run as the master user on the RDS-like PostgreSQL harness, in
/// the order the fixes are applied.
pub const PROVEN_SQL: &[&str] = &[
    // First: the master user in rds_iam cannot log in with its password, so no other fix
    // can be applied as the master until this one is; and it must be this rule's own fix,
    // not rds-iam-superuser's, that clears the master's findings.
    "rds-iam-on-master-or-password-user",
    "db-user-missing",
    "db-user-lacks-rds-iam",
    "rds-iam-nologin",
    "rds-iam-superuser",
    "rds-iam-orphan",
];

/// Doctor causes whose fix (the verdict's first fix lines) tests/doctor_verdict.rs proves on
/// the RDS-like PostgreSQL harness: the doctor fails with the cause, the fix is run as
/// printed (the AWS CLI signs a token; SQL as the master user), and the doctor, run again
/// with what the fix produced, prints `✓ login works`.
pub const PROVEN_DOCTOR_HARNESS: &[&str] = &[
    "token-expired",
    "token-host-mismatch",
    "token-region-mismatch",
    "token-user-mismatch",
    "token-malformed",
    "token-missing",
    "role-missing",
    "user-not-in-rds-iam",
    "role-nologin",
];

/// Doctor causes whose AWS CLI fix tests/doctor_aws.rs runs against moto, then runs the
/// doctor again and asserts the cause is gone and the login works.
pub const PROVEN_DOCTOR_AWS: &[&str] = &["policy-no-allow", "policy-resource-mismatch"];

/// Every rule or cause proven by applying its fix.
pub fn all_proven() -> impl Iterator<Item = &'static str> {
    PROVEN_AWS
        .iter()
        .chain(PROVEN_SQL)
        .chain(PROVEN_DOCTOR_HARNESS)
        .chain(PROVEN_DOCTOR_AWS)
        .copied()
}
