//! Fuzz target: the configuration file (`rdsiam.toml`, issue #9): TOML parse, then the
//! validation of `[audit]`, `[rules.<id>]`, `[scope]` and `[[exceptions]]` with its line
//! numbers and "did you mean" suggestions. Never a panic; an accepted file's effective
//! configuration (`rdsiam config show`) must itself be an accepted file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rdsiam::config::{parse, template};

fuzz_target!(|data: &[u8]| {
    // `config::load` refuses non-UTF-8 bytes before parsing: only text reaches the parser.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse(text, "fuzz.toml") {
        Ok(settings) => {
            let shown = template::effective(&settings);
            if let Err(err) = parse(&shown, "effective.toml") {
                panic!("the effective configuration is not accepted back: {err}\n{shown}");
            }
        }
        Err(err) => {
            // The error renders (file:line: `key`: message) without panicking.
            let _ = err.to_string();
        }
    }
});
