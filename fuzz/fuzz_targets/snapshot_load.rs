//! Fuzz target: the snapshot loader, fast path (parallel locator) and strict path
//! (serde_path_to_error, which locates errors), then validation. Neither may panic, and
//! when both accept a document they must agree on its accounts.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use rdsiam::inventory::{Inventory, snapshot, validate};

fuzz_target!(|data: &[u8]| {
    // Fast path first (falls back to the strict parse on failure), as `--snapshot` does.
    let fast = snapshot::parse(Path::new("fuzz.json"), data);
    // Strict path on its own: the same typed parse with path tracking.
    let mut de = serde_json::Deserializer::from_slice(data);
    let strict = serde_path_to_error::deserialize::<_, Inventory>(&mut de);
    if let Ok(inventory) = &fast {
        let _ = validate::validate(inventory);
    }
    if let (Ok(a), Ok(b)) = (&fast, &strict) {
        assert_eq!(
            a.accounts.len(),
            b.accounts.len(),
            "fast and strict parses disagree on the account count"
        );
    }
});
