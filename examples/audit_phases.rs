//! Profiling driver: times each phase of an audit (load, analysis, each rule, render).
//! `cargo run --release --example audit_phases -- /tmp/org.json.gz`

use std::time::Instant;

use rdsiam::access::Analysis;
use rdsiam::inventory::snapshot;
use rdsiam::rules::{RuleContext, table};

/// Current and peak resident memory from /proc (Linux), in MB.
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb / 1024)
            .unwrap_or(0)
    };
    format!("rss {} MB, peak {} MB", field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: audit_phases SNAPSHOT");
    let start = Instant::now();
    let inventory = snapshot::load(std::path::Path::new(&path)).expect("loads");
    eprintln!("load            {:>8.3}s", start.elapsed().as_secs_f64());
    eprintln!("                {}", memory());
    {
        use rdsiam::access::{matrix, policies::PolicyIndex, principals, reach, targets};
        let t = Instant::now();
        let index = PolicyIndex::build(&inventory);
        eprintln!("  index         {:>8.3}s", t.elapsed().as_secs_f64());
        let t = Instant::now();
        let people = principals::principals(&inventory, &index);
        let chains = principals::org_chains(&inventory, &index);
        let dbs = targets::targets(&inventory);
        eprintln!("  principals+   {:>8.3}s", t.elapsed().as_secs_f64());
        let org = inventory.organization.as_ref().map(|o| o.id.as_str());
        let t = Instant::now();
        let grants = matrix::grants(&people, &dbs, &index, &chains, org);
        eprintln!("  grants        {:>8.3}s", t.elapsed().as_secs_f64());
        let mut roles: Vec<usize> = grants
            .iter()
            .filter(|g| g.intended())
            .map(|g| g.principal)
            .collect();
        roles.sort_unstable();
        roles.dedup();
        let t = Instant::now();
        let (trust, paths) = reach::reach(&roles, &people, &index, &chains, org);
        eprintln!(
            "  reach         {:>8.3}s ({} trust, {} paths)",
            t.elapsed().as_secs_f64(),
            trust.len(),
            paths.len()
        );
    }
    let t = Instant::now();
    let analysis = Analysis::build(&inventory);
    eprintln!("                {}", memory());
    eprintln!(
        "analysis        {:>8.3}s ({} grants, {} trust entries)",
        t.elapsed().as_secs_f64(),
        analysis.grants.len(),
        analysis.trust.len()
    );
    let context = RuleContext::new(&inventory, &analysis, "2026-11-21T00:00:00Z");
    let mut total = 0;
    for (rule, check) in table::audit_rules() {
        let t = Instant::now();
        let findings = check(&context, rule.meta());
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
    eprintln!("after rules     {}", memory());
    let t = Instant::now();
    let report = rdsiam::engine::audit(
        &inventory,
        &rdsiam::engine::Settings::at("2026-11-21T00:00:00Z"),
    );
    eprintln!("audit() again   {:>8.3}s", t.elapsed().as_secs_f64());
    for format in [
        rdsiam::render::Format::Json,
        rdsiam::render::Format::Table,
        rdsiam::render::Format::Sarif,
    ] {
        let t = Instant::now();
        let text = rdsiam::render::render(&report, format);
        eprintln!(
            "render {format:?}    {:>8.3}s ({} MB)",
            t.elapsed().as_secs_f64(),
            text.len() / 1_000_000
        );
    }
    eprintln!(
        "total           {:>8.3}s ({total} findings)",
        start.elapsed().as_secs_f64()
    );
}
