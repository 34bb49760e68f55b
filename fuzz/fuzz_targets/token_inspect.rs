//! Fuzz target: `token inspect` (decode, clock, redaction). Never a panic, and the redacted
//! form never contains the signature or session token value of a token that decoded.
#![no_main]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use rdsiam::token;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let redacted = token::redact(&text);
    let _ = rdsiam::redact::redact_text(&text);
    if let Ok(facts) = token::inspect(&text) {
        for now in [
            UNIX_EPOCH,
            SystemTime::now(),
            UNIX_EPOCH + Duration::from_secs(u32::MAX as u64 * 8),
        ] {
            let _ = facts.clock(now);
        }
        let _ = token::rfc3339(facts.issued_at);
        let _ = token::rfc3339(facts.expires_at);
        let _ = serde_json::to_string(&facts);
    }
    // No query parameter named like the signature may keep a long value after redaction.
    for pair in redacted.split(['&', '?']) {
        if let Some((k, v)) = pair.split_once('=') {
            let k = k.to_ascii_lowercase();
            if k.contains("signature") || k.contains("token") {
                assert!(v.starts_with("<redacted"), "not redacted: {pair}");
            }
        }
    }
});
