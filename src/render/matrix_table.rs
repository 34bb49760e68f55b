//! `rdsiam audit --matrix`: the access matrix as a table, one block per database, riskiest
//! first. A row is a (principal, DB user, path) with its login verdict; `SU` marks a
//! superuser-like DB user, `EXT` a principal outside the inventory or the Organization.
//! Rows within a database: superuser first, then external reach, then by verdict (works,
//! depends, unknown, blocked). Databases: those where a superuser login works or may work
//! first, then those reached from outside, then by how many logins work.
//!
//! ARNs are printed whole (never cut), so a row can be copied into a policy or a command.

use std::fmt::Write;

use crate::report::{AccessEntry, LoginVerdict, PathShape, Report};

/// The matrix of `report` as text, newline-terminated.
pub fn render(report: &Report) -> String {
    render_entries(&report.access)
}

/// Sort key of a row: lower is riskier.
fn row_key(entry: &AccessEntry) -> (bool, bool, u8) {
    (
        !entry.superuser(),
        !entry.reach.external(),
        verdict_rank(entry.login.verdict),
    )
}

fn verdict_rank(verdict: LoginVerdict) -> u8 {
    match verdict {
        LoginVerdict::Works => 0,
        LoginVerdict::Depends => 1,
        LoginVerdict::Unknown => 2,
        LoginVerdict::Blocked => 3,
    }
}

/// A login that works or may work (not blocked).
fn open(entry: &AccessEntry) -> bool {
    entry.login.verdict != LoginVerdict::Blocked
}

pub fn render_entries(access: &[AccessEntry]) -> String {
    let mut out = String::new();
    if access.is_empty() {
        out.push_str("access matrix: no principal's policies grant rds-db:connect\n");
        return out;
    }
    // Group by database (entries come sorted by database).
    let mut groups: Vec<&[AccessEntry]> = access.chunk_by(|a, b| a.db == b.db).collect();
    groups.sort_by_cached_key(|group| {
        let superuser = group.iter().any(|e| e.superuser() && open(e));
        let external = group.iter().any(|e| e.reach.external() && open(e));
        let works = group
            .iter()
            .filter(|e| e.login.verdict == LoginVerdict::Works)
            .count();
        (
            !superuser,
            !external,
            usize::MAX - works,
            group[0].db.clone(),
        )
    });
    let count = |v: LoginVerdict| access.iter().filter(|e| e.login.verdict == v).count();
    let _ = writeln!(
        out,
        "access matrix: {} entries on {} databases — works {}, depends {}, unknown {}, blocked {}; superuser logins open {}, external reach open {}",
        access.len(),
        groups.len(),
        count(LoginVerdict::Works),
        count(LoginVerdict::Depends),
        count(LoginVerdict::Unknown),
        count(LoginVerdict::Blocked),
        access.iter().filter(|e| e.superuser() && open(e)).count(),
        access
            .iter()
            .filter(|e| e.reach.external() && open(e))
            .count(),
    );
    for group in groups {
        out.push('\n');
        render_group(&mut out, group);
    }
    out
}

fn render_group(out: &mut String, group: &[AccessEntry]) {
    let mut rows: Vec<&AccessEntry> = group.iter().collect();
    rows.sort_by(|a, b| {
        (row_key(a), &a.db_user, &a.principal).cmp(&(row_key(b), &b.db_user, &b.principal))
    });
    // A proxy's IAM auth is per user (its auth entries): said on each row.
    let iam_auth = match rows[0].database.iam_auth_enabled {
        _ if rows[0].db.contains(":db-proxy:") => "RDS Proxy",
        Some(true) => "IAM auth on",
        Some(false) => "IAM auth OFF",
        None => "IAM auth unknown",
    };
    let _ = writeln!(out, "{}  ({iam_auth})", rows[0].db);
    let user_width = rows
        .iter()
        .map(|e| e.db_user.chars().count())
        .max()
        .unwrap_or(0)
        .max("DB USER".len());
    let summaries: Vec<String> = rows.iter().map(|e| e.login.summary()).collect();
    let login_width = summaries
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0)
        .max("LOGIN".len());
    let _ = writeln!(
        out,
        "  {:<6} {:<user_width$}  {:<login_width$}  PRINCIPAL",
        "RISK", "DB USER", "LOGIN"
    );
    for (entry, summary) in rows.iter().zip(&summaries) {
        let mark = match (entry.superuser(), entry.reach.external()) {
            (true, true) => "SU EXT",
            (true, false) => "SU",
            (false, true) => "EXT",
            (false, false) => "",
        };
        let _ = writeln!(
            out,
            "  {mark:<6} {:<user_width$}  {summary:<login_width$}  {}",
            entry.db_user, entry.principal
        );
        if !entry.reach.steps.is_empty() {
            let _ = writeln!(out, "  {:<6} {}", "", path_line(entry));
        }
        if entry.login.verdict != LoginVerdict::Works && !entry.login.detail.is_empty() {
            let _ = writeln!(out, "  {:<6} why: {}", "", entry.login.detail);
        }
    }
}

/// `path: external, 1 hop: A → B (depends: sts:ExternalId)`.
fn path_line(entry: &AccessEntry) -> String {
    let reach = &entry.reach;
    let shape = match reach.shape {
        PathShape::Direct => "direct",
        PathShape::SameAccount => "same account",
        PathShape::CrossAccount => "cross-account",
        PathShape::External => "external",
        PathShape::Chained => "chained",
    };
    let mut line = format!(
        "path: {shape}, {} hop{}: {}",
        reach.hops,
        if reach.hops == 1 { "" } else { "s" },
        reach.steps[0].caller
    );
    for step in &reach.steps {
        line.push_str(" → ");
        line.push_str(&step.role);
        if !step.depends_on.is_empty() {
            let _ = write!(line, " (depends: {})", step.depends_on.join(", "));
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{DbSide, Hop, IamVerdict, Login, Reach};

    fn entry(db: &str, user: &str, principal: &str, verdict: LoginVerdict) -> AccessEntry {
        AccessEntry {
            principal: principal.into(),
            db: db.into(),
            db_user: user.into(),
            login: Login {
                verdict,
                ..Login::default()
            },
            ..AccessEntry::default()
        }
    }

    #[test]
    fn superuser_and_external_rows_come_first_and_their_database_leads() {
        let mut plain = entry("arn:db/a", "app", "arn:p/app", LoginVerdict::Works);
        plain.database = DbSide {
            superuser: Some(false),
            ..DbSide::default()
        };
        let mut external = entry("arn:db/b", "ro", "arn:p/vendor", LoginVerdict::Depends);
        external.reach = Reach {
            shape: PathShape::External,
            hops: 1,
            in_inventory: false,
            outside_organization: Some(true),
            steps: vec![Hop {
                caller: "arn:p/vendor".into(),
                role: "arn:p/support".into(),
                iam: IamVerdict::Unknown,
                depends_on: vec!["sts:ExternalId".into()],
                ..Hop::default()
            }],
        };
        let mut superuser = entry("arn:db/b", "zz_admin", "arn:p/admin", LoginVerdict::Works);
        superuser.database.superuser = Some(true);
        let text = render_entries(&[plain, external, superuser]);
        let lines: Vec<&str> = text.lines().collect();
        // Database b (a superuser login works there) before database a.
        let b = lines
            .iter()
            .position(|l| l.starts_with("arn:db/b"))
            .unwrap();
        let a = lines
            .iter()
            .position(|l| l.starts_with("arn:db/a"))
            .unwrap();
        assert!(b < a, "{text}");
        // Within b: the superuser row, then the external one with its path.
        assert!(
            lines[b + 2].contains("SU") && lines[b + 2].contains("zz_admin"),
            "{text}"
        );
        assert!(
            lines[b + 3].contains("EXT") && lines[b + 3].contains("depends: "),
            "{text}"
        );
        assert!(
            lines[b + 4].contains(
                "path: external, 1 hop: arn:p/vendor → arn:p/support (depends: sts:ExternalId)"
            ),
            "{text}"
        );
    }
}
