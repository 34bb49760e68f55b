//! What an activity collection covered: per trail account, which source was read and for which
//! days. Rules that judge *absence* ("never assumed in 90 days", "first seen this week") need
//! it: no event means "not used" only where that account's trail was read for the whole window.
//! Owns the shape only; the sources fill it (see `crate::collect::activity::ingest`), rules read it.

use serde::{Deserialize, Serialize};

use super::Day;

/// One trail account read by one activity source over a span of days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityScope {
    /// The trail's account: AssumeRole into a role is recorded in the role's own account.
    pub account: String,
    /// Where the events came from: `cloudtrail:files`, `cloudtrail:athena`,
    /// `cloudtrail:lookup-events`.
    pub source: String,
    /// First day read, `YYYY-MM-DD` (UTC).
    pub since: String,
    /// Last day read, `YYYY-MM-DD` (UTC).
    pub until: String,
}

impl ActivityScope {
    pub fn since_day(&self) -> Option<Day> {
        Day::parse(&self.since)
    }

    pub fn until_day(&self) -> Option<Day> {
        Day::parse(&self.until)
    }
}

/// The widest span read for `account` over all sources: the earliest `since` and latest
/// `until` (`None` when nothing was read for it, or its days do not parse).
pub fn span_of(scopes: &[ActivityScope], account: &str) -> Option<(Day, Day)> {
    scopes
        .iter()
        .filter(|s| s.account == account)
        .filter_map(|s| Some((s.since_day()?, s.until_day()?)))
        .reduce(|(a_since, a_until), (b_since, b_until)| {
            (a_since.min(b_since), a_until.max(b_until))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(account: &str, since: &str, until: &str) -> ActivityScope {
        ActivityScope {
            account: account.into(),
            source: "cloudtrail:files".into(),
            since: since.into(),
            until: until.into(),
        }
    }

    #[test]
    fn span_merges_sources_of_one_account_only() {
        let scopes = [
            scope("222222222222", "2026-09-01", "2026-10-01"),
            scope("222222222222", "2026-08-15", "2026-09-20"),
            scope("333333333333", "2026-01-01", "2026-12-01"),
        ];
        assert_eq!(
            span_of(&scopes, "222222222222"),
            Some((
                Day::parse("2026-08-15").unwrap(),
                Day::parse("2026-10-01").unwrap()
            ))
        );
        assert_eq!(span_of(&scopes, "111111111111"), None);
    }

    #[test]
    fn unparseable_days_do_not_count_as_read() {
        assert_eq!(
            span_of(
                &[scope("222222222222", "yesterday", "2026-10-01")],
                "222222222222"
            ),
            None
        );
    }
}
