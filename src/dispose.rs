//! How large, short-lived structures end. A library caller gets ordinary drops. A command
//! that is about to exit (`rdsiam audit`) calls [`exit_soon`] first: then
//! [`dispose`] forgets the value instead, because freeing an organization's inventory and
//! compiled policies (millions of small allocations, ~0.5 s of CPU at 500 accounts) only
//! delays an exit that hands all memory back to the system at once.

use std::sync::atomic::{AtomicBool, Ordering};

static EXIT_SOON: AtomicBool = AtomicBool::new(false);

/// Declares that the process exits once the current command is done.
pub fn exit_soon() {
    EXIT_SOON.store(true, Ordering::Relaxed);
}

/// Drops `value`, or leaks it when the process is about to exit.
pub fn dispose<T>(value: T) {
    if EXIT_SOON.load(Ordering::Relaxed) {
        std::mem::forget(value);
    } else {
        drop(value);
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    #[test]
    fn drops_unless_the_process_exits_soon() {
        // Only this test touches the flag's effect on a value it can observe.
        let shared = Rc::new(());
        super::dispose(Rc::clone(&shared));
        assert_eq!(Rc::strong_count(&shared), 1, "dropped while not exiting");
    }
}
