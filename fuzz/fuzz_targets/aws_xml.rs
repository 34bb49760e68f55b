//! Fuzz target: the well-formedness check of AWS XML answers (`collect::aws::xml_check`),
//! which decides whether an answer the SDK accepted becomes a coverage gap. Never a panic;
//! a document it accepts stays accepted when wrapped in one more element, and is refused
//! when cut before its last `>` (a cut answer must never pass).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rdsiam::collect::aws::xml_check::check;

fuzz_target!(|data: &[u8]| {
    if check(data).is_err() {
        return;
    }
    let mut wrapped = b"<W>".to_vec();
    wrapped.extend_from_slice(data);
    wrapped.extend_from_slice(b"</W>");
    // A prolog (`<?xml …?>`, `<!DOCTYPE …>`) cannot move inside an element.
    let prolog =
        data.trim_ascii_start().starts_with(b"<?") || data.trim_ascii_start().starts_with(b"<!");
    if !prolog {
        assert!(
            check(&wrapped).is_ok(),
            "accepted, but not inside an element"
        );
    }
    if let Some(last) = data.iter().rposition(|&b| b == b'>') {
        assert!(
            check(&data[..last]).is_err(),
            "accepted when cut before its last '>'"
        );
    }
});
