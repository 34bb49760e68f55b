//! Fuzz target: the CloudTrail record splitter (structural scan over a bounded buffer) and
//! the record parser (typed parse, generic fallback) on every record it delivers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rdsiam::collect::activity::cloudtrail_record::RoleMatcher;
use rdsiam::collect::activity::record_splitter::split_records;

fuzz_target!(|data: &[u8]| {
    let matcher = RoleMatcher::new(&["arn:aws:iam::111122223333:role/rds-connect"]);
    // A small record cap so the oversized-record path is reached too.
    let (_stats, _err) = split_records(data, 4096, |record| {
        assert!(!record.is_empty(), "the splitter delivered an empty record");
        let _ = matcher.is_candidate(record);
        let _ = matcher.confirm(record);
    });
    // The parser alone, on the raw input.
    let _ = matcher.confirm(data);
});
