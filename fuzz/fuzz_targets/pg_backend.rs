//! Fuzz target: PostgreSQL backend messages as a server sends them (tag, length, body),
//! decoded one after another. Never a panic, whatever the lengths say.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rdsiam::pg::wire;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while rest.len() >= 5 {
        let tag = rest[0];
        let len = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        if len < 4 || len > wire::MAX_MESSAGE_LEN {
            // The session rejects these lengths before reading a body; decode the rest anyway.
            let _ = wire::decode(tag, &rest[5..]);
            return;
        }
        let end = (1 + len).min(rest.len());
        if let Ok(message) = wire::decode(tag, &rest[5..end]) {
            let _ = format!("{message:?}");
        }
        rest = &rest[end..];
    }
});
