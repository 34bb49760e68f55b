//! Deterministic mutation test of the parsers of untrusted input that have cargo-fuzz
//! targets (`fuzz/`, FUZZING.md), run in CI without cargo-fuzz: tokens, conninfo/URI/`PG*`,
//! PostgreSQL backend messages, Athena result rows, CloudTrail splitting and record parsing.
//! Each mutant of the fuzz seeds (`fuzz/seeds/TARGET`) must be handled without a panic, with
//! the same checks the fuzz targets make (no secret survives redaction or reaches an error).
//! `RDSIAM_MUTATIONS=N` runs N mutants per target (default 1,000).

use std::panic::{AssertUnwindSafe, catch_unwind};

use rdsiam::collect::activity::athena::rows::{Row, map_rows};
use rdsiam::collect::activity::cloudtrail_record::RoleMatcher;
use rdsiam::collect::activity::record_splitter::split_records;
use rdsiam::pg::params::{ConnParams, ParamSource};
use rdsiam::pg::wire;
use rdsiam::token;

const INSERTS: [&[u8]; 16] = [
    b"%",
    b"%2D",
    b"%3D",
    b"&",
    b"=",
    b"?",
    b"/",
    b"@",
    b":",
    b"'",
    b"\"",
    b"\\",
    b"{",
    b"}",
    b"\xff",
    b"99999999999999999999",
];

/// xorshift64*: deterministic, so a failure reproduces from the iteration number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..=rng.below(6) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(5) {
            0 => bytes.truncate(at),
            1 if !bytes.is_empty() => {
                bytes.remove(at.min(bytes.len() - 1));
            }
            2 => {
                let insert = INSERTS[rng.below(INSERTS.len())];
                bytes.splice(at..at, insert.iter().copied());
            }
            3 if !bytes.is_empty() => {
                let at = at.min(bytes.len() - 1);
                bytes[at] = rng.next() as u8;
            }
            _ if !bytes.is_empty() => {
                let at = at.min(bytes.len() - 1);
                bytes[at] = bytes[rng.below(bytes.len())];
            }
            _ => {}
        }
    }
    bytes
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = format!("{}/fuzz/seeds/{target}", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    files.sort();
    let seeds: Vec<Vec<u8>> = files.iter().filter_map(|f| std::fs::read(f).ok()).collect();
    assert!(!seeds.is_empty(), "no seeds in {dir}");
    seeds
}

fn iterations() -> usize {
    std::env::var("RDSIAM_MUTATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000)
}

/// Runs `check` on every seed and `iterations()` mutants; names the first that panics.
fn run(target: &str, check: impl Fn(&[u8])) {
    let seeds = seeds(target);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ target.len() as u64);
    for i in 0..seeds.len() + iterations() {
        let input = match seeds.get(i) {
            Some(seed) => seed.clone(),
            None => mutate(&seeds[rng.below(seeds.len())], &mut rng),
        };
        if catch_unwind(AssertUnwindSafe(|| check(&input))).is_err() {
            panic!(
                "{target}: iteration {i} panicked on {:?}",
                String::from_utf8_lossy(&input)
            );
        }
    }
}

#[test]
fn token_inspect_survives_mutants_and_redacts_them() {
    run("token_inspect", |data| {
        let text = String::from_utf8_lossy(data);
        let redacted = token::redact(&text);
        if let Ok(facts) = token::inspect(&text) {
            let _ = facts.clock(std::time::SystemTime::now());
            let _ = token::rfc3339(facts.expires_at);
        }
        for pair in redacted.split(['&', '?']) {
            if let Some((k, v)) = pair.split_once('=') {
                if rdsiam::redact::is_secret_key(k) {
                    assert!(v.starts_with("<redacted"), "not redacted: {pair}");
                }
            }
        }
    });
}

#[test]
fn conninfo_survives_mutants_and_never_echoes_the_password() {
    run("conninfo", |data| {
        let text = String::from_utf8_lossy(data);
        let (conninfo, env_lines) = text.split_once('\n').unwrap_or((&text, ""));
        let env = |name: &str| {
            env_lines
                .lines()
                .filter_map(|l| l.split_once('='))
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_owned())
        };
        let parsed = ParamSource::parse_conninfo(conninfo);
        if let Err(err) = &parsed {
            // A piece of an unparsable conninfo may be a password: errors quote none of the
            // text after `password=` or in a URI's user info.
            if let Some((_, after)) = conninfo.split_once("password=") {
                let piece: String = after.chars().take(8).collect();
                if piece.len() >= 8 && !piece.contains(char::is_whitespace) {
                    assert!(!err.contains(&piece), "{err}");
                }
            }
        }
        let source = match parsed {
            Ok(source) => source.or(ParamSource::from_env(&env)),
            Err(_) => ParamSource::from_env(&env),
        };
        if let Ok(params) = ConnParams::resolve(source) {
            let _ = params.conninfo_with(&[("sslmode", "verify-full")]);
        }
    });
}

#[test]
fn pg_backend_messages_survive_mutants() {
    run("pg_backend", |data| {
        let mut rest = data;
        while rest.len() >= 5 {
            let len = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
            if !(4..=wire::MAX_MESSAGE_LEN).contains(&len) {
                let _ = wire::decode(rest[0], &rest[5..]);
                return;
            }
            let end = (1 + len).min(rest.len());
            let _ = wire::decode(rest[0], &rest[5..end]);
            rest = &rest[end..];
        }
    });
}

#[test]
fn athena_rows_survive_mutants() {
    let matcher = RoleMatcher::new(&["arn:aws:iam::111122223333:role/rds-connect"]);
    run("athena_rows", |data| {
        let text = String::from_utf8_lossy(data);
        let rows: Vec<Row> = text
            .lines()
            .map(|l| {
                l.split('\t')
                    .map(|c| (c != "\\N").then(|| c.to_owned()))
                    .collect()
            })
            .collect();
        let _ = map_rows(&rows, &matcher);
    });
}

#[test]
fn cloudtrail_splitter_and_records_survive_mutants() {
    let matcher = RoleMatcher::new(&["arn:aws:iam::111122223333:role/rds-connect"]);
    run("cloudtrail_records", |data| {
        let _ = split_records(data, 4096, |record| {
            let _ = matcher.confirm(record);
        });
        let _ = matcher.confirm(data);
    });
}
