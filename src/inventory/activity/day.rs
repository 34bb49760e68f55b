//! [`Day`]: the calendar date (UTC) of the activity model: scopes say which days a trail was
//! read, `--since/--until` filter by it, the activity rules count windows in it.

use std::fmt;

/// A calendar day (proleptic Gregorian, UTC), ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Day {
    /// Parses `YYYY-MM-DD` (also the first 10 bytes of an RFC 3339 timestamp).
    pub fn parse(text: &str) -> Option<Day> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        Day::from_digits(&text[0..4], &text[5..7], &text[8..10])
    }

    /// Parses the date at the start of an RFC 3339 timestamp (`2026-01-01T12:00:00Z`).
    pub fn of_timestamp(timestamp: &str) -> Option<Day> {
        timestamp.get(..10).and_then(Day::parse)
    }

    /// A day from its year, month and day digits (`None` unless all digits and a real date).
    pub fn from_digits(y: &str, m: &str, d: &str) -> Option<Day> {
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
        if !(all_digits(y) && all_digits(m) && all_digits(d)) {
            return None;
        }
        let day = Day {
            year: y.parse().ok()?,
            month: m.parse().ok()?,
            day: d.parse().ok()?,
        };
        let valid = (1..=12).contains(&day.month)
            && day.day >= 1
            && day.day <= days_in_month(day.year, day.month);
        valid.then_some(day)
    }

    /// The day after this one.
    pub fn next(self) -> Day {
        if self.day < days_in_month(self.year, self.month) {
            Day {
                day: self.day + 1,
                ..self
            }
        } else if self.month < 12 {
            Day {
                month: self.month + 1,
                day: 1,
                ..self
            }
        } else {
            Day {
                year: self.year + 1,
                month: 1,
                day: 1,
            }
        }
    }

    /// The day before this one.
    pub fn prev(self) -> Day {
        if self.day > 1 {
            Day {
                day: self.day - 1,
                ..self
            }
        } else if self.month > 1 {
            Day {
                month: self.month - 1,
                day: days_in_month(self.year, self.month - 1),
                ..self
            }
        } else {
            Day {
                year: self.year - 1,
                month: 12,
                day: 31,
            }
        }
    }

    /// `n` days after this one.
    pub fn plus_days(self, n: u32) -> Day {
        (0..n).fold(self, |d, _| d.next())
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}
