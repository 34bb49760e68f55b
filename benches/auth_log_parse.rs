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

fn lines() -> Vec<String> {
    let path = std::env::var("AUTH_LOG_LINES").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/data/auth-log-lines.txt"
        )
        .to_owned()
    });
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (run benches/auth_log_parse.sh, which writes it)"));
    text.lines().map(str::to_owned).collect()
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
