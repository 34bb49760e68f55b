//! The SQL rdsiam sends to Athena: one `SELECT` over a CloudTrail table (the schema of AWS's
//! `CREATE EXTERNAL TABLE cloudtrail_logs ...` examples) for `AssumeRole` into the roles of
//! interest, with the same rules as the local scan ([`crate::collect::activity::cloudtrail_record`]):
//!
//! - `eventname = 'AssumeRole'` only (the local scan ignores AssumeRoleWithWebIdentity/SAML);
//! - the role is the first `resources[]` entry of type `AWS::IAM::Role`, else
//!   `requestParameters.roleArn`. Both are selected; the row mapper applies the rule again.
//!   This is not the `CROSS JOIN UNNEST(resources)` of the AWS examples: that join drops every
//!   record whose `resources` is empty or null, and AssumeRole records without it exist (the
//!   project's generator writes half of its failed calls that way); the local scan counts them
//!   through `requestParameters.roleArn`, so this query does too, in one pass over the table;
//! - `--since/--until` on the day of `eventtime` (its first ten characters, as the local scan
//!   reads it), and, for a partitioned table, on the date partition over one more day at the
//!   end (a file delivered on day D holds events of D-1 near midnight) so Athena prunes;
//! - `--account` / `--region` on `recipientaccountid` / `awsregion`, and on the account /
//!   region partition columns when the table has them.
//!
//! Every literal goes through [`literal`] (quotes doubled); every identifier is checked by
//! [`Identifier::parse`] and then double-quoted. Nothing a user typed reaches the SQL otherwise.

use std::fmt::Write as _;

use anyhow::{Result, bail};

use crate::inventory::Day;

/// A database, table or column name: ASCII letters, digits, `_` and `-`, 1 to 255 characters
/// (what the Glue Data Catalog accepts), written double-quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier(String);

impl Identifier {
    /// Validates `name`; `what` names the flag in the error (`--athena-table`).
    pub fn parse(what: &str, name: &str) -> Result<Identifier> {
        let ok = !name.is_empty()
            && name.len() <= 255
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !ok {
            bail!(
                "{what} {name:?}: not a Glue/Athena name (letters, digits, '_' or '-', at most 255)"
            );
        }
        Ok(Identifier(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `"name"`: safe because [`Identifier::parse`] admits no `"`.
    fn quoted(&self) -> String {
        format!("\"{}\"", self.0)
    }
}

/// How the date partition of a partitioned CloudTrail table spells a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DateFormat {
    /// `yyyy/MM/dd`: AWS's partition-projection table (`projection.timestamp.format`), whose
    /// values are the S3 key's `YYYY/MM/DD`.
    #[default]
    #[value(name = "yyyy/MM/dd")]
    SlashYmd,
    /// `yyyy-MM-dd`.
    #[value(name = "yyyy-MM-dd")]
    DashYmd,
    /// `yyyyMMdd`.
    #[value(name = "yyyyMMdd")]
    Compact,
}

impl DateFormat {
    fn format(self, day: Day) -> String {
        let (y, m, d) = (day.year, day.month, day.day);
        match self {
            DateFormat::SlashYmd => format!("{y:04}/{m:02}/{d:02}"),
            DateFormat::DashYmd => format!("{y:04}-{m:02}-{d:02}"),
            DateFormat::Compact => format!("{y:04}{m:02}{d:02}"),
        }
    }
}

/// The partition columns of the table, when it has them (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Partitions {
    /// The date partition (AWS's projection table calls it `timestamp`).
    pub date: Option<Identifier>,
    pub date_format: DateFormat,
    /// A region partition (e.g. `region`), restricted by `--region`.
    pub region: Option<Identifier>,
    /// An account partition (e.g. `account`), restricted by `--account`.
    pub account: Option<Identifier>,
}

/// Where to query and what to keep.
#[derive(Debug, Clone)]
pub struct QuerySpec<'a> {
    pub database: &'a Identifier,
    pub table: &'a Identifier,
    pub partitions: &'a Partitions,
    pub roles: &'a [String],
    pub since: Option<Day>,
    pub until: Option<Day>,
    /// Trail accounts (`recipientaccountid`); empty: all.
    pub accounts: &'a [String],
    /// Regions (`awsregion`); empty: all.
    pub regions: &'a [String],
}

/// The selected columns, in order: the header row Athena returns must match it.
pub const COLUMNS: &[&str] = &[
    "eventtime",
    "eventid",
    "sharedeventid",
    "caller_account",
    "caller_arn",
    "caller_type",
    "resource_role_arn",
    "request_role_arn",
    "role_session_name",
    "sourceipaddress",
    "useragent",
    "errorcode",
    "recipientaccountid",
    "awsregion",
];

/// A SQL string literal: `'` doubled (Trino has no backslash escapes).
pub fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

fn literal_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| literal(v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The query for `spec`. Fails only when there is no role to look for.
pub fn assume_role_query(spec: &QuerySpec) -> Result<String> {
    if spec.roles.is_empty() {
        bail!("no role ARN to look for");
    }
    let mut conditions = vec!["eventname = 'AssumeRole'".to_owned()];
    conditions.extend(partition_conditions(spec));
    let day = |d: Day| literal(&d.to_string());
    match (spec.since, spec.until) {
        (Some(s), Some(u)) => conditions.push(format!(
            "substr(eventtime, 1, 10) BETWEEN {} AND {}",
            day(s),
            day(u)
        )),
        (Some(s), None) => conditions.push(format!("substr(eventtime, 1, 10) >= {}", day(s))),
        (None, Some(u)) => conditions.push(format!("substr(eventtime, 1, 10) <= {}", day(u))),
        (None, None) => {}
    }
    if !spec.accounts.is_empty() {
        conditions.push(format!(
            "recipientaccountid IN ({})",
            literal_list(spec.accounts)
        ));
    }
    if !spec.regions.is_empty() {
        conditions.push(format!("awsregion IN ({})", literal_list(spec.regions)));
    }

    let mut sql = String::new();
    sql.push_str("WITH assume_role AS (\n  SELECT\n");
    sql.push_str("    eventtime,\n    eventid,\n    sharedeventid,\n");
    sql.push_str("    useridentity.accountid AS caller_account,\n");
    sql.push_str("    useridentity.arn AS caller_arn,\n");
    sql.push_str("    useridentity.type AS caller_type,\n");
    sql.push_str(
        "    element_at(filter(resources, r -> r.type = 'AWS::IAM::Role'), 1).arn AS resource_role_arn,\n",
    );
    sql.push_str("    json_extract_scalar(requestparameters, '$.roleArn') AS request_role_arn,\n");
    sql.push_str(
        "    json_extract_scalar(requestparameters, '$.roleSessionName') AS role_session_name,\n",
    );
    sql.push_str("    sourceipaddress,\n    useragent,\n    errorcode,\n");
    sql.push_str("    recipientaccountid,\n    awsregion\n");
    let _ = writeln!(
        sql,
        "  FROM {}.{}",
        spec.database.quoted(),
        spec.table.quoted()
    );
    let _ = writeln!(sql, "  WHERE {}", conditions.join("\n    AND "));
    sql.push_str(")\nSELECT * FROM assume_role\n");
    let _ = write!(
        sql,
        "WHERE coalesce(resource_role_arn, request_role_arn) IN ({})",
        literal_list(spec.roles)
    );
    Ok(sql)
}

/// Predicates on the partition columns, so Athena reads only the partitions that can hold
/// matching events.
fn partition_conditions(spec: &QuerySpec) -> Vec<String> {
    let p = spec.partitions;
    let mut out = Vec::new();
    if let Some(column) = &p.date {
        let value = |d: Day| literal(&p.date_format.format(d));
        // Events of day `until` are delivered up to the next day.
        match (spec.since, spec.until.map(Day::next)) {
            (Some(s), Some(u)) => out.push(format!(
                "{} BETWEEN {} AND {}",
                column.quoted(),
                value(s),
                value(u)
            )),
            (Some(s), None) => out.push(format!("{} >= {}", column.quoted(), value(s))),
            (None, Some(u)) => out.push(format!("{} <= {}", column.quoted(), value(u))),
            (None, None) => {}
        }
    }
    if let Some(column) = &p.region {
        if !spec.regions.is_empty() {
            out.push(format!(
                "{} IN ({})",
                column.quoted(),
                literal_list(spec.regions)
            ));
        }
    }
    if let Some(column) = &p.account {
        if !spec.accounts.is_empty() {
            out.push(format!(
                "{} IN ({})",
                column.quoted(),
                literal_list(spec.accounts)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> Identifier {
        Identifier::parse("--test", name).unwrap()
    }

    #[test]
    fn identifiers_admit_glue_names_only() {
        for good in ["cloudtrail_logs", "CloudTrail-2026", "t1"] {
            assert!(Identifier::parse("--athena-table", good).is_ok(), "{good}");
        }
        let long = "a".repeat(256);
        for bad in ["", "a\"b", "a.b", "a b", "t;DROP", "x'--", long.as_str()] {
            let err = Identifier::parse("--athena-table", bad).unwrap_err();
            assert!(err.to_string().starts_with("--athena-table"), "{err}");
        }
    }

    #[test]
    fn literals_double_quotes_and_nothing_else() {
        assert_eq!(literal("a'b"), "'a''b'");
        assert_eq!(literal("'; DROP TABLE x; --"), "'''; DROP TABLE x; --'");
        assert_eq!(literal(r"a\'b"), r"'a\''b'");
    }

    #[test]
    fn partition_range_adds_the_delivery_day_after_until() {
        let (db, table) = (id("db"), id("t"));
        let partitions = Partitions {
            date: Some(id("timestamp")),
            date_format: DateFormat::Compact,
            region: None,
            account: None,
        };
        let roles = vec!["arn:aws:iam::111122223333:role/r".to_owned()];
        let spec = QuerySpec {
            database: &db,
            table: &table,
            partitions: &partitions,
            roles: &roles,
            since: Day::parse("2026-12-30"),
            until: Day::parse("2026-12-31"),
            accounts: &[],
            regions: &[],
        };
        let sql = assume_role_query(&spec).unwrap();
        assert!(
            sql.contains("\"timestamp\" BETWEEN '20261230' AND '20270101'"),
            "{sql}"
        );
        assert!(
            sql.contains("substr(eventtime, 1, 10) BETWEEN '2026-12-30' AND '2026-12-31'"),
            "{sql}"
        );
        let spec = QuerySpec { roles: &[], ..spec };
        assert!(assume_role_query(&spec).is_err());
    }
}
