//! Times loading a snapshot phase by phase (read, parse, validate, index) and reports peak
//! RSS, for the scale figures in the README and for comparing changes to the loader.
//!
//! ```sh
//! cargo run --release --example gen_org -- --output /tmp/org.json.gz
//! cargo run --release --example load_snapshot -- /tmp/org.json.gz
//! ```

use std::path::PathBuf;
use std::time::Instant;

use rdsiam::inventory::validate::validate;
use rdsiam::inventory::{DbIndex, snapshot};

/// Peak resident set size in MB (Linux `VmHWM`); `None` elsewhere.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() -> anyhow::Result<()> {
    let path: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .ok_or_else(|| anyhow::anyhow!("usage: load_snapshot SNAPSHOT"))?;
    let file = snapshot::resolve(&path)?;
    let t = Instant::now();
    let bytes = snapshot::read_maybe_gzip(&file)?;
    let read = t.elapsed();
    let t = Instant::now();
    let inventory = snapshot::parse(&file, &bytes)?;
    let parse = t.elapsed();
    let size_mb = bytes.len() as f64 / 1e6;
    drop(bytes);
    let t = Instant::now();
    let issues = validate(&inventory);
    let validated = t.elapsed();
    let t = Instant::now();
    let index = DbIndex::new(&inventory);
    let documents = inventory.policy_documents();
    let indexed = t.elapsed();
    println!(
        "{}: {size_mb:.1} MB JSON; read {read:.2?}, parse {parse:.2?}, validate {validated:.2?} ({} issues), index {indexed:.2?} ({} policy documents, {} resource ids resolvable); peak RSS {:.0} MB",
        file.display(),
        issues.len(),
        documents.len(),
        inventory.db_instances().count()
            + inventory.db_clusters().count()
            + inventory.db_proxies().count(),
        peak_rss_mb().unwrap_or(f64::NAN),
    );
    drop(index);
    Ok(())
}
