//! Thin binary: parse arguments, run the command, map the outcome to an exit code.
//! Everything of substance lives in the library (`rdsiam::…`).

use std::process::ExitCode;

/// mimalloc rather than the system allocator: an organization's audit makes tens of
/// millions of small allocations (policy statements, grants, findings), and glibc's
/// malloc/free took a quarter of its instructions (benches/RESULTS.md, "Audit at scale").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    rdsiam::cli::main()
}
