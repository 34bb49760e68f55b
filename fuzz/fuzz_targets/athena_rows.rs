//! Fuzz target: Athena result rows (13 nullable string columns per row) mapped to events by
//! the local scan's matcher. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rdsiam::collect::activity::athena::rows::{Row, map_rows};
use rdsiam::collect::activity::cloudtrail_record::RoleMatcher;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Rows are lines; columns are separated by TAB; a lone "\N" is SQL NULL.
    let rows: Vec<Row> = text
        .lines()
        .map(|line| {
            line.split('\t')
                .map(|c| (c != "\\N").then(|| c.to_owned()))
                .collect()
        })
        .collect();
    let matcher = RoleMatcher::new(&["arn:aws:iam::111122223333:role/rds-connect"]);
    let mapped = map_rows(&rows, &matcher);
    let _ = format!("{:?}", mapped.events);
});
