//! The request context: the condition keys a request carries, and what an absent key means.
//!
//! - **Closed** mode: the context is the whole request; a key not given is absent (what
//!   `rdsiam simulate` uses, like the IAM policy simulator).
//! - **Open** mode: a key not given is *unknown* to the tool (e.g. `aws:SourceIp` of a
//!   future login), unless it is listed as known-absent; the engine then answers "depends on
//!   these keys" instead of guessing. The audit's access analysis uses this mode.
//!
//! Keys are case-insensitive (stored lower-case); values keep their case.

/// What the context says about one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextValue<'a> {
    /// The request does not carry the key.
    Absent,
    /// Open mode: the tool cannot know whether or how the request carries the key.
    Unknown,
    /// A single-valued key.
    Single(&'a str),
    /// A multi-valued key (given as an array), possibly empty.
    Multi(&'a [String]),
}

impl<'a> ContextValue<'a> {
    /// The values as a slice-like list (a single value is a set of one), or `None` when
    /// absent or unknown.
    pub fn values(self) -> Option<ValueList<'a>> {
        match self {
            ContextValue::Single(value) => Some(ValueList::One(value)),
            ContextValue::Multi(values) => Some(ValueList::Many(values)),
            ContextValue::Absent | ContextValue::Unknown => None,
        }
    }
}

/// The values of a present key, without allocating for the single-valued case.
#[derive(Debug, Clone, Copy)]
pub enum ValueList<'a> {
    One(&'a str),
    Many(&'a [String]),
}

impl<'a> ValueList<'a> {
    pub fn iter(self) -> impl Iterator<Item = &'a str> {
        let (one, many) = match self {
            ValueList::One(value) => (Some(value), &[][..]),
            ValueList::Many(values) => (None, values),
        };
        one.into_iter().chain(many.iter().map(String::as_str))
    }

    pub fn is_empty(self) -> bool {
        matches!(self, ValueList::Many(values) if values.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    key: String,
    values: Vec<String>,
    multi: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    Closed,
    Open { known_absent: Vec<String> },
}

/// The condition keys of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    entries: Vec<Entry>,
    mode: Mode,
}

impl RequestContext {
    /// A context where every key not given is absent.
    pub fn closed() -> Self {
        RequestContext {
            entries: Vec::new(),
            mode: Mode::Closed,
        }
    }

    /// A context where every key not given is unknown, unless declared absent.
    pub fn open() -> Self {
        RequestContext {
            entries: Vec::new(),
            mode: Mode::Open {
                known_absent: Vec::new(),
            },
        }
    }

    /// True in open mode.
    pub fn is_open(&self) -> bool {
        matches!(self.mode, Mode::Open { .. })
    }

    /// Sets a single-valued key.
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.set(key, vec![value.into()], false);
        self
    }

    /// Sets a multi-valued key.
    pub fn with_multi<I, S>(mut self, key: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.set(key, values.into_iter().map(Into::into).collect(), true);
        self
    }

    /// Declares a key absent (meaningful in open mode: the tool knows the request lacks it,
    /// as `rds-db:connect` requests never carry `aws:SourceIp`).
    pub fn with_absent(mut self, key: &str) -> Self {
        let key = key.to_ascii_lowercase();
        self.entries.retain(|entry| entry.key != key);
        if let Mode::Open { known_absent } = &mut self.mode
            && !known_absent.contains(&key)
        {
            known_absent.push(key);
        }
        self
    }

    /// Sets `key` to `values` (`multi` when given as an array), replacing any earlier value.
    pub fn set(&mut self, key: &str, values: Vec<String>, multi: bool) {
        let key = key.to_ascii_lowercase();
        if let Mode::Open { known_absent } = &mut self.mode {
            known_absent.retain(|absent| *absent != key);
        }
        match self.entries.iter_mut().find(|entry| entry.key == key) {
            Some(entry) => {
                entry.values = values;
                entry.multi = multi;
            }
            None => self.entries.push(Entry { key, values, multi }),
        }
    }

    /// True when the key was given a value.
    pub fn contains(&self, key: &str) -> bool {
        let key = key.to_ascii_lowercase();
        self.entries.iter().any(|entry| entry.key == key)
    }

    /// Looks a key up; `lower_key` must already be lower-case (policies store it so).
    pub fn get(&self, lower_key: &str) -> ContextValue<'_> {
        if let Some(entry) = self.entries.iter().find(|entry| entry.key == lower_key) {
            return match (entry.multi, entry.values.as_slice()) {
                (false, [single]) => ContextValue::Single(single),
                (_, values) => ContextValue::Multi(values),
            };
        }
        match &self.mode {
            Mode::Closed => ContextValue::Absent,
            Mode::Open { known_absent } if known_absent.iter().any(|k| k == lower_key) => {
                ContextValue::Absent
            }
            Mode::Open { .. } => ContextValue::Unknown,
        }
    }

    /// The given keys and values, in insertion order (keys lower-case).
    pub fn entries(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries
            .iter()
            .map(|entry| (entry.key.as_str(), entry.values.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_mode_treats_missing_keys_as_absent() {
        let ctx = RequestContext::closed().with("aws:SourceIp", "10.0.0.1");
        assert_eq!(ctx.get("aws:sourceip"), ContextValue::Single("10.0.0.1"));
        assert_eq!(ctx.get("aws:username"), ContextValue::Absent);
    }

    #[test]
    fn open_mode_treats_missing_keys_as_unknown_unless_declared_absent() {
        let ctx = RequestContext::open()
            .with_absent("aws:SourceIp")
            .with("aws:PrincipalTag/Team", "dba");
        assert_eq!(ctx.get("aws:sourceip"), ContextValue::Absent);
        assert_eq!(ctx.get("aws:currenttime"), ContextValue::Unknown);
        assert_eq!(
            ctx.get("aws:principaltag/team"),
            ContextValue::Single("dba")
        );
        assert!(ctx.is_open());
    }

    #[test]
    fn arrays_are_multi_valued_even_with_one_value() {
        let ctx = RequestContext::closed().with_multi("aws:TagKeys", ["a"]);
        assert!(matches!(ctx.get("aws:tagkeys"), ContextValue::Multi(v) if v.len() == 1));
        let values: Vec<&str> = ctx.get("aws:tagkeys").values().unwrap().iter().collect();
        assert_eq!(values, ["a"]);
    }

    #[test]
    fn setting_a_key_again_replaces_it() {
        let ctx = RequestContext::closed().with("k", "1").with("K", "2");
        assert_eq!(ctx.get("k"), ContextValue::Single("2"));
        assert_eq!(ctx.entries().count(), 1);
    }
}
