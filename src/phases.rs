//! Phase timings for profiling large audits: with `RDSIAM_PHASE_TIMES=1` in the
//! environment, each marked phase prints its end time (since the first mark) to stderr.
//! Off by default, and then a mark costs one relaxed atomic load.

use std::sync::OnceLock;
use std::time::Instant;

static START: OnceLock<Option<Instant>> = OnceLock::new();

fn start() -> Option<Instant> {
    *START.get_or_init(|| std::env::var_os("RDSIAM_PHASE_TIMES").map(|_| Instant::now()))
}

/// Marks the end of a phase named `name`.
pub fn mark(name: &str) {
    if let Some(start) = start() {
        eprintln!("phase {:>8.3}s  {name}", start.elapsed().as_secs_f64());
    }
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
