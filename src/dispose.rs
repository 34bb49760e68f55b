//! How large, short-lived structures end. A library caller gets ordinary drops
//! ([`Teardown::Free`], the default). A command that is about to exit (`rdsiam audit`) asks
//! for [`Teardown::LeaveToExit`] and passes it down: then [`Teardown::dispose`] forgets the
//! value instead, because freeing an organization's inventory and compiled policies
//! (millions of small allocations, ~0.5 s of CPU at 500 accounts) only delays an exit that
//! hands all memory back to the system at once. A value, not a process-global flag: the
//! caller decides, and two audits in one process never see each other's choice.

/// What to do with a large value nobody needs any more.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Teardown {
    /// Drop it (free its memory now).
    #[default]
    Free,
    /// Leak it: the process exits soon and the system takes the memory back at once.
    LeaveToExit,
}

impl Teardown {
    /// Drops `value`, or leaks it when the process is about to exit.
    pub fn dispose<T>(self, value: T) {
        match self {
            Teardown::Free => drop(value),
            Teardown::LeaveToExit => std::mem::forget(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::Teardown;

    #[test]
    fn frees_by_default_and_leaks_only_when_asked() {
        let shared = Rc::new(());
        Teardown::default().dispose(Rc::clone(&shared));
        assert_eq!(Rc::strong_count(&shared), 1, "dropped by default");
        Teardown::LeaveToExit.dispose(Rc::clone(&shared));
        assert_eq!(
            Rc::strong_count(&shared),
            2,
            "leaked when the process exits soon"
        );
    }
}
