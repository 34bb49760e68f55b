//! Which rules' fixes tests/fix_proving.rs proves by applying them, shared with
//! tests/rules_meta.rs (which checks that every other rule whose fix is a command says why
//! in its TOML `fix_proof`). Included by path, not through `mod support`, so rules_meta does
//! not compile the harnesses.

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
