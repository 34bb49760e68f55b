//! The `rds-db` resource grammar and lints for the mistakes people make with it.
//!
//! A correct resource is `arn:PARTITION:rds-db:REGION:ACCOUNT:dbuser:RESOURCE_ID/DB_USER`
//! where RESOURCE_ID is the instance's `DbiResourceId` (`db-…`), the Aurora cluster's
//! `DbClusterResourceId` (`cluster-…`), or an RDS Proxy id (`prx-…`) — never the DB
//! identifier (`mydb`) (RDS User Guide, "Creating and using an IAM policy for IAM database
//! access"). Every mistake here makes the token fail with only "PAM authentication failed".

use std::fmt;

/// The one action of IAM database authentication.
pub const CONNECT: &str = "rds-db:connect";

/// Condition keys that `rds-db:connect` requests never carry (the token is checked by the
/// database, not by an AWS endpoint the caller talks to): an Allow conditioned on them never
/// matches, a negated Deny on them always does.
pub const NEVER_IN_CONNECT: [&str; 6] = [
    "aws:SourceIp",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:VpcSourceIp",
    "aws:UserAgent",
    "aws:Referer",
];

/// A parsed `rds-db` resource pattern (parts may hold `*` / `?`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbUserArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub resource_id: String,
    pub db_user: String,
}

impl DbUserArn {
    /// Parses a well-formed `arn:…:rds-db:…:dbuser:ID/USER`; anything else is `None`.
    pub fn parse(arn: &str) -> Option<DbUserArn> {
        let [prefix, partition, service, region, account, resource] =
            crate::policy::condition::split_arn(arn)?;
        if prefix != "arn" || service != "rds-db" {
            return None;
        }
        let (resource_id, db_user) = resource.strip_prefix("dbuser:")?.split_once('/')?;
        Some(DbUserArn {
            partition: partition.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource_id: resource_id.to_owned(),
            db_user: db_user.to_owned(),
        })
    }

    /// The exact ARN that a token for `db_user` on `resource_id` is checked against.
    pub fn format(
        partition: &str,
        region: &str,
        account: &str,
        resource_id: &str,
        db_user: &str,
    ) -> String {
        format!("arn:{partition}:rds-db:{region}:{account}:dbuser:{resource_id}/{db_user}")
    }
}

/// Something wrong with an `rds-db` resource pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceProblem {
    /// `…:rds-db:REGION:ACCOUNT:db-ABC/user` — the `dbuser:` keyword is missing.
    MissingDbuser,
    /// `arn:aws:rds:…:dbuser:…` — service `rds` where `rds-db` belongs.
    WrongService,
    /// `…:dbuser:db-ABC:user` — `:` where `/` belongs.
    ColonForSlash,
    /// The resource id looks like a DB identifier (`mydb`), not `db-`/`cluster-`/`prx-`.
    IdentifierNotResourceId { id: String },
    /// A whole `arn:aws:rds:…:db:mydb` ARN was pasted where the resource id belongs.
    RdsArnAsResourceId { arn: String },
    /// Leading or trailing white space in the user name (`dbuser:*/ pgmonitor`).
    UserWhitespace,
    /// Upper-case letters in the user name: PostgreSQL folds unquoted names to lower case,
    /// so `CREATE USER PGMonitor` makes `pgmonitor`, which this ARN does not name.
    UserCase,
    /// The resource cannot be read as an rds-db ARN at all.
    Unparseable,
}

impl fmt::Display for ResourceProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceProblem::MissingDbuser => f.write_str("the `dbuser:` keyword is missing"),
            ResourceProblem::WrongService => f.write_str("service `rds` where `rds-db` belongs"),
            ResourceProblem::ColonForSlash => {
                f.write_str("`:` between resource id and user where `/` belongs")
            }
            ResourceProblem::IdentifierNotResourceId { id } => write!(
                f,
                "`{id}` looks like a DB identifier; IAM needs the resource id (db-…, cluster-… or prx-…)"
            ),
            ResourceProblem::RdsArnAsResourceId { arn } => {
                write!(
                    f,
                    "the RDS ARN `{arn}` is used where the resource id belongs"
                )
            }
            ResourceProblem::UserWhitespace => f.write_str("white space around the DB user name"),
            ResourceProblem::UserCase => f.write_str("upper-case letters in the DB user name"),
            ResourceProblem::Unparseable => f.write_str("not an rds-db ARN"),
        }
    }
}

/// How much an rds-db resource pattern grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Breadth {
    /// One user on one DB.
    OneUserOneDb,
    /// Any (or a wildcard set of) user(s) on one DB: `dbuser:db-ABC/*`.
    AnyUserOneDb,
    /// One user on any DB of the account and region: `dbuser:*/pgmonitor`.
    OneUserAnyDb,
    /// Any user on any DB: `dbuser:*/*`.
    AnyUserAnyDb,
    /// `*` or `arn:aws:rds-db:*`: every rds-db resource everywhere.
    Everything,
}

/// What a resource pattern in an rds-db grant says and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceLint {
    pub raw: String,
    /// The pattern read as the resource it was probably meant to be.
    pub parsed: Option<DbUserArn>,
    pub problems: Vec<ResourceProblem>,
    pub breadth: Breadth,
}

fn has_wildcard(text: &str) -> bool {
    text.contains(['*', '?'])
}

fn is_resource_id(id: &str) -> bool {
    has_wildcard(id)
        || ["db-", "cluster-", "prx-"]
            .iter()
            .any(|prefix| id.starts_with(prefix))
}

/// Classifies a resource pattern from a statement that grants (or tries to grant)
/// `rds-db:connect`.
pub fn lint_resource(raw: &str) -> ResourceLint {
    let mut problems = Vec::new();
    if raw == "*" {
        return ResourceLint {
            raw: raw.to_owned(),
            parsed: None,
            problems,
            breadth: Breadth::Everything,
        };
    }
    let Some([prefix, partition, service, region, account, resource]) =
        crate::policy::condition::split_arn(raw)
    else {
        // `arn:aws:rds-db:*` and friends: a trailing `*` that spans the remaining segments.
        let breadth = if raw.starts_with("arn:") && raw.ends_with('*') {
            Breadth::Everything
        } else {
            problems.push(ResourceProblem::Unparseable);
            Breadth::OneUserOneDb
        };
        return ResourceLint {
            raw: raw.to_owned(),
            parsed: None,
            problems,
            breadth,
        };
    };
    if prefix != "arn" {
        problems.push(ResourceProblem::Unparseable);
    }
    if service == "rds" {
        problems.push(ResourceProblem::WrongService);
    } else if service != "rds-db" && !has_wildcard(service) {
        problems.push(ResourceProblem::Unparseable);
    }
    if resource == "*" {
        return ResourceLint {
            raw: raw.to_owned(),
            parsed: None,
            problems,
            breadth: Breadth::Everything,
        };
    }
    let after_keyword = match resource.strip_prefix("dbuser:") {
        Some(rest) => rest,
        None => {
            problems.push(ResourceProblem::MissingDbuser);
            resource.strip_prefix("dbuser/").unwrap_or(resource)
        }
    };
    let (resource_id, db_user) = split_id_and_user(after_keyword, &mut problems);
    check_resource_id(resource_id, &mut problems);
    if db_user.trim() != db_user {
        problems.push(ResourceProblem::UserWhitespace);
    }
    if db_user.chars().any(|c| c.is_uppercase()) {
        problems.push(ResourceProblem::UserCase);
    }
    let breadth = match (resource_id == "*", db_user == "*") {
        (true, true) => Breadth::AnyUserAnyDb,
        (true, false) => Breadth::OneUserAnyDb,
        (false, true) => Breadth::AnyUserOneDb,
        (false, false) if has_wildcard(db_user) => Breadth::AnyUserOneDb,
        (false, false) => Breadth::OneUserOneDb,
    };
    ResourceLint {
        raw: raw.to_owned(),
        parsed: Some(DbUserArn {
            partition: partition.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource_id: resource_id.to_owned(),
            db_user: db_user.to_owned(),
        }),
        problems,
        breadth,
    }
}

/// Splits `ID/USER`, noticing `ID:USER` and a pasted `arn:aws:rds:…:db:NAME/USER`.
fn split_id_and_user<'r>(text: &'r str, problems: &mut Vec<ResourceProblem>) -> (&'r str, &'r str) {
    if text.starts_with("arn:") {
        // The user name follows the last `/`; everything before it is the pasted ARN.
        let (arn, user) = text.rsplit_once('/').unwrap_or((text, ""));
        problems.push(ResourceProblem::RdsArnAsResourceId {
            arn: arn.to_owned(),
        });
        return (arn, user);
    }
    if let Some((id, user)) = text.split_once('/') {
        return (id, user);
    }
    if let Some((id, user)) = text.split_once(':') {
        problems.push(ResourceProblem::ColonForSlash);
        return (id, user);
    }
    problems.push(ResourceProblem::Unparseable);
    (text, "")
}

fn check_resource_id(id: &str, problems: &mut Vec<ResourceProblem>) {
    if id.starts_with("arn:")
        || is_resource_id(id)
        || problems.contains(&ResourceProblem::Unparseable)
    {
        return;
    }
    problems.push(ResourceProblem::IdentifierNotResourceId { id: id.to_owned() });
}

/// Something wrong with an action meant to grant IAM DB access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionProblem {
    /// `rds:connect`: no such action; the DB-connect action is `rds-db:connect`.
    RdsConnect,
    /// A near miss of `rds-db:connect` (`rds-db:conect`, `rdsdb:connect`, …).
    Misspelt,
    /// `rds-db:*`: equivalent today (connect is the only rds-db action) but grants any
    /// action the service adds later.
    ServiceWildcard,
}

impl fmt::Display for ActionProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ActionProblem::RdsConnect => "`rds:connect` is not an action; use `rds-db:connect`",
            ActionProblem::Misspelt => {
                "looks like a misspelling of `rds-db:connect`, which it does not match"
            }
            ActionProblem::ServiceWildcard => {
                "`rds-db:*` grants every present and future rds-db action"
            }
        })
    }
}

/// Checks one action string for the mistakes above. Called for every action of every
/// statement of an organization, so it decides most actions by length, without allocating.
/// True for a statement meant to grant DB access: an action names `rds-db:` or is a
/// recognisable mistake for it (`rds:connect`, a misspelling).
pub fn names_connect(statement: &crate::policy::Statement) -> bool {
    statement.action.patterns.iter().any(|p| {
        p.raw
            .get(..7)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("rds-db:"))
            || is_connect_mistake(&p.raw)
    })
}

/// `rds:connect` or a misspelling of `rds-db:connect`.
pub fn is_connect_mistake(raw: &str) -> bool {
    matches!(
        lint_action(raw),
        Some(ActionProblem::RdsConnect | ActionProblem::Misspelt)
    )
}

pub fn lint_action(raw: &str) -> Option<ActionProblem> {
    if raw.eq_ignore_ascii_case("rds-db:connect") {
        return None;
    }
    if raw.eq_ignore_ascii_case("rds:connect") {
        return Some(ActionProblem::RdsConnect);
    }
    if raw.eq_ignore_ascii_case("rds-db:*") {
        return Some(ActionProblem::ServiceWildcard);
    }
    // An edit distance of at most 2 needs a length within 2 of `rds-db:connect` (14).
    if !(12..=16).contains(&raw.len()) || has_wildcard(raw) {
        return None;
    }
    if raw.trim() != raw {
        return Some(ActionProblem::Misspelt);
    }
    // Each edit changes at most two character counts: a count difference over 4 rules
    // out distance 2 without the full computation (almost every real action).
    if count_difference(raw.as_bytes(), b"rds-db:connect") > 4 {
        return None;
    }
    (edit_distance(raw.as_bytes(), b"rds-db:connect") <= 2).then_some(ActionProblem::Misspelt)
}

/// A lower bound of the sum of the absolute differences of (ASCII-case-folded) byte
/// counts: bytes are counted in 32 buckets (`byte & 31`), and merging counts can only
/// shrink the difference, so "over 4" here means over 4 exactly. Small enough to stay in
/// registers: this runs for every action of every Allow statement of an organization.
fn count_difference(a: &[u8], b: &[u8]) -> usize {
    let mut counts = [0i8; 32];
    for &byte in a {
        let slot = &mut counts[usize::from(byte.to_ascii_lowercase() & 31)];
        *slot = slot.wrapping_add(1);
    }
    for &byte in b {
        let slot = &mut counts[usize::from(byte.to_ascii_lowercase() & 31)];
        *slot = slot.wrapping_sub(1);
    }
    counts.iter().map(|c| usize::from(c.unsigned_abs())).sum()
}

/// Levenshtein distance over ASCII-case-folded bytes, without allocating (inputs here are
/// at most 16 bytes; longer ones are compared on their first 32).
fn edit_distance(a: &[u8], b: &[u8]) -> usize {
    const MAX: usize = 32;
    let (a, b) = (&a[..a.len().min(MAX)], &b[..b.len().min(MAX)]);
    let mut previous = [0usize; MAX + 1];
    let mut current = [0usize; MAX + 1];
    for (j, slot) in previous.iter_mut().enumerate().take(b.len() + 1) {
        *slot = j;
    }
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(!ca.eq_ignore_ascii_case(cb));
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(raw: &str) -> Vec<ResourceProblem> {
        lint_resource(raw).problems
    }

    #[test]
    fn well_formed_arn_has_no_problems() {
        let lint = lint_resource(
            "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/pgmonitor",
        );
        assert!(lint.problems.is_empty(), "{:?}", lint.problems);
        assert_eq!(lint.breadth, Breadth::OneUserOneDb);
        let parsed = lint.parsed.unwrap();
        assert_eq!(parsed.resource_id, "db-ABCDEFGHIJKL01234");
        assert_eq!(parsed.db_user, "pgmonitor");
        assert!(problems("arn:aws:rds-db:us-east-1:1:dbuser:cluster-ABC/app").is_empty());
        assert!(problems("arn:aws:rds-db:us-east-1:1:dbuser:prx-0123abcd/app").is_empty());
    }

    #[test]
    fn finds_each_kind_of_mistake() {
        let cases: [(&str, ResourceProblem); 7] = [
            (
                "arn:aws:rds-db:us-east-1:1:db-ABC/pgmonitor",
                ResourceProblem::MissingDbuser,
            ),
            (
                "arn:aws:rds:us-east-1:1:dbuser:db-ABC/pgmonitor",
                ResourceProblem::WrongService,
            ),
            (
                "arn:aws:rds-db:us-east-1:1:dbuser:db-ABC:pgmonitor",
                ResourceProblem::ColonForSlash,
            ),
            (
                "arn:aws:rds-db:us-east-1:1:dbuser:mydb/pgmonitor",
                ResourceProblem::IdentifierNotResourceId { id: "mydb".into() },
            ),
            (
                "arn:aws:rds-db:us-east-1:1:dbuser:arn:aws:rds:us-east-1:1:db:mydb/pgmonitor",
                ResourceProblem::RdsArnAsResourceId {
                    arn: "arn:aws:rds:us-east-1:1:db:mydb".into(),
                },
            ),
            (
                "arn:aws:rds-db:us-east-1:1:dbuser:*/ pgmonitor",
                ResourceProblem::UserWhitespace,
            ),
            (
                "arn:aws:rds-db:us-east-1:1:dbuser:*/PGMonitor",
                ResourceProblem::UserCase,
            ),
        ];
        for (raw, expected) in cases {
            assert!(
                problems(raw).contains(&expected),
                "{raw}: {:?}",
                problems(raw)
            );
        }
    }

    #[test]
    fn measures_breadth() {
        let cases = [
            ("*", Breadth::Everything),
            ("arn:aws:rds-db:*", Breadth::Everything),
            ("arn:aws:rds-db:us-east-1:1:*", Breadth::Everything),
            (
                "arn:aws:rds-db:us-east-1:1:dbuser:*/*",
                Breadth::AnyUserAnyDb,
            ),
            (
                "arn:aws:rds-db:us-east-1:1:dbuser:*/pgmonitor",
                Breadth::OneUserAnyDb,
            ),
            (
                "arn:aws:rds-db:us-east-1:1:dbuser:db-ABC/*",
                Breadth::AnyUserOneDb,
            ),
            (
                "arn:aws:rds-db:us-east-1:1:dbuser:db-ABC/app_*",
                Breadth::AnyUserOneDb,
            ),
            (
                "arn:aws:rds-db:us-east-1:1:dbuser:db-ABC/app",
                Breadth::OneUserOneDb,
            ),
        ];
        for (raw, expected) in cases {
            assert_eq!(lint_resource(raw).breadth, expected, "{raw}");
        }
    }

    #[test]
    fn lints_actions() {
        assert_eq!(lint_action("rds-db:connect"), None);
        assert_eq!(lint_action("RDS-DB:Connect"), None);
        assert_eq!(lint_action("rds:connect"), Some(ActionProblem::RdsConnect));
        assert_eq!(
            lint_action("rds-db:*"),
            Some(ActionProblem::ServiceWildcard)
        );
        for misspelt in [
            "rds-db:conect",
            "rdsdb:connect",
            "rds_db:connect",
            "rds-db:connects",
            "rds-db:connect ",
        ] {
            assert_eq!(
                lint_action(misspelt),
                Some(ActionProblem::Misspelt),
                "{misspelt}"
            );
        }
        for unrelated in [
            "s3:GetObject",
            "rds:DescribeDBInstances",
            "sts:AssumeRole",
            "*",
            "rds-db:conn*",
        ] {
            assert_eq!(lint_action(unrelated), None, "{unrelated}");
        }
    }

    #[test]
    fn formats_and_parses_the_exact_arn() {
        let arn = DbUserArn::format("aws", "us-east-1", "111122223333", "db-ABC", "pgmonitor");
        assert_eq!(
            arn,
            "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABC/pgmonitor"
        );
        assert_eq!(DbUserArn::parse(&arn).unwrap().db_user, "pgmonitor");
        assert_eq!(
            DbUserArn::parse("arn:aws:rds:us-east-1:1:dbuser:db-ABC/x"),
            None
        );
    }
}
