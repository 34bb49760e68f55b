//! What a CloudTrail file's *path* says about it, read before the file is opened: the trail
//! account, the region and the delivery day, from the S3 layout
//! `AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<rand>.json.gz`.
//! The calendar date itself is the model's [`Day`] (`crate::inventory::Day`).

pub use crate::inventory::Day;
use std::path::Path;

/// What the path of one CloudTrail file tells; each part is `None` when the path does not say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileLayout {
    pub account: Option<String>,
    pub region: Option<String>,
    /// Delivery day (the file holds events from this day or, near midnight, the day before).
    pub day: Option<Day>,
}

impl FileLayout {
    /// Reads account, region and day from the file name
    /// (`<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<rand>.json.gz`), falling back to the
    /// directories (`.../<account>/CloudTrail/<region>/YYYY/MM/DD/`).
    pub fn of_path(path: &Path) -> FileLayout {
        let mut layout = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(from_file_name)
            .unwrap_or_default();
        if layout.account.is_none() || layout.region.is_none() || layout.day.is_none() {
            let dirs = from_directories(path);
            layout.account = layout.account.or(dirs.account);
            layout.region = layout.region.or(dirs.region);
            layout.day = layout.day.or(dirs.day);
        }
        layout
    }
}

fn from_file_name(name: &str) -> FileLayout {
    let mut parts = name.split('_');
    let (Some(account), Some("CloudTrail"), Some(region), Some(ts)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return FileLayout::default();
    };
    if !is_account_id(account) {
        return FileLayout::default();
    }
    let day = ts
        .get(..8)
        .filter(|d| d.is_ascii()) // byte offsets below are char boundaries
        .and_then(|d| Day::from_digits(&d[0..4], &d[4..6], &d[6..8]));
    FileLayout {
        account: Some(account.to_owned()),
        region: Some(region.to_owned()).filter(|r| !r.is_empty()),
        day,
    }
}

fn from_directories(path: &Path) -> FileLayout {
    let parts: Vec<&str> = path
        .parent()
        .map(|p| p.iter().filter_map(|c| c.to_str()).collect())
        .unwrap_or_default();
    // The last `CloudTrail` component: `<account>/CloudTrail/<region>/YYYY/MM/DD`.
    let Some(at) = parts.iter().rposition(|c| *c == "CloudTrail") else {
        return FileLayout::default();
    };
    let get = |i: usize| parts.get(i).copied();
    FileLayout {
        account: at
            .checked_sub(1)
            .and_then(get)
            .filter(|a| is_account_id(a))
            .map(str::to_owned),
        region: get(at + 1).map(str::to_owned),
        day: match (get(at + 2), get(at + 3), get(at + 4)) {
            (Some(y), Some(m), Some(d)) => Day::from_digits(y, m, d),
            _ => None,
        },
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_file_name() {
        let l = FileLayout::of_path(Path::new(
            "x/123456789012_CloudTrail_eu-west-1_20260301T1205Z_abcDEF0123456789.json.gz",
        ));
        assert_eq!(l.account.as_deref(), Some("123456789012"));
        assert_eq!(l.region.as_deref(), Some("eu-west-1"));
        assert_eq!(l.day, Day::parse("2026-03-01"));
    }

    #[test]
    fn falls_back_to_directories_with_org_id() {
        let l = FileLayout::of_path(Path::new(
            "AWSLogs/o-abc123/123456789012/CloudTrail/us-east-1/2026/02/28/renamed.json.gz",
        ));
        assert_eq!(l.account.as_deref(), Some("123456789012"));
        assert_eq!(l.region.as_deref(), Some("us-east-1"));
        assert_eq!(l.day, Day::parse("2026-02-28"));
    }

    #[test]
    fn odd_names_do_not_panic() {
        let l = FileLayout::of_path(Path::new("123456789012_CloudTrail_r_2026é301T1205Z_x.json"));
        assert_eq!(l.day, None);
        assert_eq!(l.account.as_deref(), Some("123456789012"));
    }

    #[test]
    fn unknown_layout_says_nothing() {
        assert_eq!(
            FileLayout::of_path(Path::new("/tmp/events.json")),
            FileLayout::default()
        );
    }

    #[test]
    fn day_parse_and_next() {
        assert_eq!(Day::parse("2026-02-30"), None);
        assert_eq!(Day::parse("2026-2-3"), None);
        assert_eq!(
            Day::parse("2024-02-28").unwrap().next(),
            Day::parse("2024-02-29").unwrap()
        );
        assert_eq!(
            Day::parse("2026-12-31").unwrap().next(),
            Day::parse("2027-01-01").unwrap()
        );
        assert_eq!(
            Day::parse("2024-03-01").unwrap().prev(),
            Day::parse("2024-02-29").unwrap()
        );
        assert_eq!(
            Day::parse("2026-01-01").unwrap().prev(),
            Day::parse("2025-12-31").unwrap()
        );
        assert_eq!(
            Day::of_timestamp("2026-03-01T00:00:01Z"),
            Day::parse("2026-03-01")
        );
    }
}
