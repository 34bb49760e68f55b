//! Fuzz target: the `iam-db-auth-error` line parser (issue #11), one line per input line.
//! Never a panic, and every field it returns is a piece of the line it was given (the
//! parser borrows; a field from elsewhere would be a slicing bug).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rdsiam::inventory::auth_log::{AuthErrorKind, ParsedLine, parse_line};

fn within(line: &str, field: &str) -> bool {
    let (start, end) = (line.as_ptr() as usize, line.as_ptr() as usize + line.len());
    let at = field.as_ptr() as usize;
    at >= start && at + field.len() <= end
}

fuzz_target!(|data: &[u8]| {
    // CloudWatch Logs delivers messages as UTF-8 strings; the collector sees text.
    let text = String::from_utf8_lossy(data);
    for line in text.lines() {
        if let ParsedLine::Event(event) = parse_line(line) {
            assert!(!event.code.is_empty(), "an event without a code: {line:?}");
            for field in [Some(event.logged_at), Some(event.level), Some(event.code)]
                .into_iter()
                .chain([event.db_user, event.caller_arn])
                .flatten()
            {
                assert!(within(line, field), "{field:?} is not a piece of {line:?}");
            }
            let _ = AuthErrorKind::of(event.code);
        }
    }
});
