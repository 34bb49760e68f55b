//! Parsing throughput of `iam-db-auth-error` lines (events per second, one core): the pure
//! parser alone, and the collector's path (parse + the owned event kept in the inventory).
//! Lines: every documented shape plus unknown lines, as `benches/auth_log_lines.py` writes
//! them (the peer, a Python `re` parser, reads the same lines). Run: `benches/auth_log_parse.sh`
//! (both, interleaved) or `cargo bench --bench auth_log_parse`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rdsiam::collect::aws::auth_log::add_line;
use rdsiam::inventory::DbTargetKind;
use rdsiam::inventory::auth_log::{AuthLog, ParsedLine, parse_line};

/// The shapes `benches/auth_log_lines.py` writes (kept in step with its `SHAPES`).
const SHAPES: &[&str] = &[
    r#"{t} [ERROR] Failed to authenticate the connection request for user 'app_user_{i}' because the provided token is malformed or otherwise invalid. (Status Code: 400, Error Code: InvalidToken)"#,
    r#"{t} [ERROR] Failed to authenticate the connection request for user app_user_{i} because the provided token has expired. (Status Code:400, Error Code:ExpiredToken)"#,
    r#"{t} [ERROR] Failed to authorize the connection request for user 'reporting' because the IAM principal 'arn:aws:sts::123456789012:assumed-role/Role{i}/i-0abc{i}' is not authorized to perform rds-db:connect. (Status Code: 403, Error Code: NotAuthorized)"#,
    r#"{t} [ERROR] Failed to authenticate the connection request for user 'batch' because the request rate exceeded the limit. (Status Code: 429, Error Code: ThrottlingException)"#,
    r#"{t} [ERROR] Failed to authenticate the connection request for user 'batch' because of an internal error. (Status Code: 500, Error Code: InternalError)"#,
    r#"{t} [ERROR] Failed to authenticate the connection request for user 'app_user' because the provided token has expired. (Status Code: 400, Error Code: ExpiredToken)"#,
    r#"{t} [ERROR] Failed to authenticate the connection request for user 'app_user' because the provided token is malformed or otherwise invalid. (Status Code: 400, Error Code: InvalidToken)"#,
    r#"{t} [ERROR] Failed to authorize the connection request for user app_admin because arn:aws:iam::123456789012:user/alice{i} is not authorized. (Status Code: 403, Error Code:NotAuthorized)"#,
    r#"{t} [ERROR] Failed to authenticate the connection request for user 'svc' because the provided token has expired. (Status Code: 400, Error Code: ExpiredToken)"#,
    r#"something RDS might write one day {i}"#,
];

/// The lines `benches/auth_log_parse.sh` wrote (the same file the Python peer reads), or, when
/// that file is absent (`cargo test --benches` on a fresh clone), 10,000 lines made here from
/// the same shapes.
fn lines() -> Vec<String> {
    let path = std::env::var("AUTH_LOG_LINES").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/data/auth-log-lines.txt"
        )
        .to_owned()
    });
    match std::fs::read_to_string(&path) {
        Ok(text) => text.lines().map(str::to_owned).collect(),
        Err(_) if std::env::var_os("AUTH_LOG_LINES").is_none() => (0..10_000)
            .map(|i| {
                SHAPES[i % SHAPES.len()]
                    .replace("{t}", "2025-08-11T04:00:05,804")
                    .replace("{i}", &i.to_string())
            })
            .collect(),
        Err(e) => panic!("{path}: {e}"),
    }
}

fn empty_log() -> AuthLog {
    AuthLog {
        account: "123456789012".into(),
        region: "us-east-1".into(),
        kind: DbTargetKind::Instance,
        identifier: "bench".into(),
        log_group: "/aws/rds/instance/bench/iam-db-auth-error".into(),
        since: String::new(),
        until: String::new(),
        events: Vec::new(),
        unknown_lines: 0,
        unknown_samples: Vec::new(),
        truncated: false,
        metrics: None,
    }
}

fn bench(c: &mut Criterion) {
    let lines = lines();
    let mut group = c.benchmark_group("auth_log");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("parse_line", |b| {
        b.iter(|| {
            let mut events = 0usize;
            for line in &lines {
                if let ParsedLine::Event(e) = parse_line(black_box(line)) {
                    events += e.code.len();
                }
            }
            black_box(events)
        })
    });
    group.bench_function("collect_path", |b| {
        b.iter(|| {
            let mut log = empty_log();
            for (i, line) in lines.iter().enumerate() {
                add_line(
                    &mut log,
                    1_754_884_805_804 + i as i64,
                    black_box(line),
                    usize::MAX,
                );
            }
            black_box(log.events.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
