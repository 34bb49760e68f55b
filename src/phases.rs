//! Phase timings for profiling large audits: with `RDSIAM_PHASE_TIMES=1` in the
//! environment, each marked phase prints its end time (since the first mark) to stderr.
//! Off by default, and then a mark costs one relaxed atomic load.

use std::sync::OnceLock;
use std::time::Instant;

static START: OnceLock<Option<Instant>> = OnceLock::new();

fn start() -> Option<Instant> {
    *START.get_or_init(|| std::env::var_os("RDSIAM_PHASE_TIMES").map(|_| Instant::now()))
}

/// Marks the end of a phase named `name`: wall time since the first mark, and the CPU
/// time the process has used so far (all threads; Linux only, from `/proc/self/stat`, in
/// clock ticks of 10 ms), so a phase's core use is the CPU it added over the wall it took,
/// and the resident memory at that point.
pub fn mark(name: &str) {
    if let Some(start) = start() {
        eprintln!(
            "phase {:>8.3}s  cpu {:>6.2}s  rss {:>5} MiB  {name}",
            start.elapsed().as_secs_f64(),
            cpu_seconds().unwrap_or(f64::NAN),
            resident_mib().map_or_else(|| "?".to_owned(), |mib| mib.to_string())
        );
    }
}

/// User + system CPU time of this process, from `/proc/self/stat` (fields 14 and 15).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces: count fields after its closing paren.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace().skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some((user + system) / 100.0)
}

/// Resident memory of this process now, in MiB (Linux only, `/proc/self/statm` field 2,
/// in pages; assumes 4 KiB pages).
fn resident_mib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096 / (1024 * 1024))
}

/// Whether phase timings are on.
pub fn enabled() -> bool {
    start().is_some()
}

/// Runs `work`, and with timings on prints how long it took (for parallel sub-phases).
pub fn timed<T>(name: &str, work: impl FnOnce() -> T) -> T {
    if !enabled() {
        return work();
    }
    let begin = Instant::now();
    let result = work();
    eprintln!("  took {:>8.3}s  {name}", begin.elapsed().as_secs_f64());
    result
}
