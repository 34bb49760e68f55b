//! Fuzz target: conninfo strings, `postgres://` URIs and `PG*` variables (parse, merge,
//! resolve, the fix conninfo). Never a panic; a password never appears in an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rdsiam::pg::params::{ConnParams, ParamSource};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first line is a conninfo/URI, the rest PG* variables as NAME=value lines.
    let (conninfo, env_lines) = text.split_once('\n').unwrap_or((text, ""));
    let env = |name: &str| {
        env_lines
            .lines()
            .filter_map(|l| l.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    };
    let from_env = ParamSource::from_env(&env);
    let parsed = ParamSource::parse_conninfo(conninfo);
    let source = match parsed {
        Ok(source) => source.or(from_env),
        Err(_) => from_env,
    };
    let password = source.password.clone();
    match ConnParams::resolve(source) {
        Ok(params) => {
            let _ = params.connect_address();
            let fix = params.conninfo_with(&[("sslmode", "verify-full")]);
            let _ = ParamSource::parse_conninfo(&fix);
            let _ = format!("{params:?}");
        }
        Err(err) => {
            // A password that is a plain word can be a word of the message itself (the smoke
            // found PGPASSWORD=PGUSER against "no user: ... (or PGUSER, ...)"): only passwords
            // with a character no message word has are checked.
            let checkable = |p: &String| {
                p.len() >= 6 && !p.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_')
            };
            if let Some(password) = password.filter(checkable) {
                assert!(!err.contains(&password), "the password leaked into: {err}");
            }
        }
    }
});
