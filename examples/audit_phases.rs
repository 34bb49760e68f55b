//! Profiling driver: times each phase of an audit (load, analysis, each rule, render).
//! `cargo run --release --example audit_phases -- /tmp/org.json.gz`

use std::time::Instant;

use rdsiam::access::Analysis;
use rdsiam::inventory::snapshot;
use rdsiam::rules::{REGISTRY, RuleContext};

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: audit_phases SNAPSHOT");
    let start = Instant::now();
    let inventory = snapshot::load(std::path::Path::new(&path)).expect("loads");
    eprintln!("load            {:>8.3}s", start.elapsed().as_secs_f64());
    let t = Instant::now();
    let analysis = Analysis::build(&inventory);
    eprintln!(
        "analysis        {:>8.3}s ({} grants, {} trust entries)",
        t.elapsed().as_secs_f64(),
        analysis.grants.len(),
        analysis.trust.len()
    );
    let context = RuleContext::new(&inventory, &analysis, "2026-11-21T00:00:00Z");
    let mut total = 0;
    for rule in REGISTRY {
        let t = Instant::now();
        let findings = (rule.check)(&context);
        total += findings.len();
        let secs = t.elapsed().as_secs_f64();
        if secs > 0.01 {
            eprintln!(
                "rule {:<34} {:>8.3}s ({} findings)",
                rule.id,
                secs,
                findings.len()
            );
        }
    }
    let t = Instant::now();
    let access = analysis.access_entries();
    eprintln!(
        "access entries  {:>8.3}s ({})",
        t.elapsed().as_secs_f64(),
        access.len()
    );
    eprintln!(
        "total           {:>8.3}s ({total} findings)",
        start.elapsed().as_secs_f64()
    );
}
