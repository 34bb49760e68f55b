//! Three-valued truth for open-context evaluation: a condition can be true, false, or
//! depend on context keys the tool cannot know (Kleene logic; `Depends` carries the keys).

/// The truth of a condition, statement or layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Truth {
    Yes,
    No,
    /// Turns on these context keys (lower-case, sorted, unique).
    Depends(Vec<String>),
}

impl From<bool> for Truth {
    fn from(value: bool) -> Self {
        if value { Truth::Yes } else { Truth::No }
    }
}

impl Truth {
    /// Depends on one key.
    pub fn depends(key: &str) -> Truth {
        Truth::Depends(vec![key.to_owned()])
    }

    pub fn is_yes(&self) -> bool {
        matches!(self, Truth::Yes)
    }

    pub fn is_no(&self) -> bool {
        matches!(self, Truth::No)
    }

    /// Negation: unknown stays unknown.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Truth {
        match self {
            Truth::Yes => Truth::No,
            Truth::No => Truth::Yes,
            depends => depends,
        }
    }

    /// Conjunction; stops at the first `No`.
    pub fn all(items: impl IntoIterator<Item = Truth>) -> Truth {
        let mut keys = Vec::new();
        for item in items {
            match item {
                Truth::No => return Truth::No,
                Truth::Yes => {}
                Truth::Depends(more) => merge(&mut keys, more),
            }
        }
        if keys.is_empty() {
            Truth::Yes
        } else {
            Truth::Depends(keys)
        }
    }

    /// Disjunction; stops at the first `Yes`.
    pub fn any(items: impl IntoIterator<Item = Truth>) -> Truth {
        let mut keys = Vec::new();
        for item in items {
            match item {
                Truth::Yes => return Truth::Yes,
                Truth::No => {}
                Truth::Depends(more) => merge(&mut keys, more),
            }
        }
        if keys.is_empty() {
            Truth::No
        } else {
            Truth::Depends(keys)
        }
    }

    /// The keys this truth depends on (empty when determined).
    pub fn keys(&self) -> &[String] {
        match self {
            Truth::Depends(keys) => keys,
            _ => &[],
        }
    }
}

/// Adds `more` to the sorted, unique `keys`.
pub fn merge(keys: &mut Vec<String>, more: impl IntoIterator<Item = String>) {
    for key in more {
        if let Err(at) = keys.binary_search(&key) {
            keys.insert(at, key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(key: &str) -> Truth {
        Truth::depends(key)
    }

    #[test]
    fn kleene_conjunction_and_disjunction() {
        assert_eq!(Truth::all([Truth::Yes, Truth::Yes]), Truth::Yes);
        assert_eq!(Truth::all([Truth::Yes, dep("b"), Truth::No]), Truth::No);
        assert_eq!(
            Truth::all([dep("b"), dep("a"), dep("b")]),
            Truth::Depends(vec!["a".into(), "b".into()])
        );
        assert_eq!(Truth::any([Truth::No, dep("a"), Truth::Yes]), Truth::Yes);
        assert_eq!(Truth::any([Truth::No, dep("a")]), dep("a"));
        assert_eq!(Truth::any(Vec::new()), Truth::No);
        assert_eq!(Truth::all(Vec::new()), Truth::Yes);
        assert_eq!(dep("a").not(), dep("a"));
        assert_eq!(Truth::Yes.not(), Truth::No);
    }
}
