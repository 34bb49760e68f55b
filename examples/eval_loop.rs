//! Profiling driver: evaluates the benchmark request N times (for callgrind / perf).
//! `cargo run --release --example eval_loop -- 100000`

use rdsiam::policy::simulate::{PreparedRequest, SimulateRequest};
use rdsiam::policy::{Policy, PolicySet, Request, evaluate};

fn main() {
    let iterations: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let text = std::fs::read_to_string("benches/data/realistic-role.json")
        .expect("run from the repo root");
    let request: SimulateRequest = serde_json::from_str(&text).expect("valid request");
    let prepared = PreparedRequest::from_request(&request, "").expect("valid policies");
    let identity: Vec<&Policy> = prepared.identity.iter().collect();
    let scps: Vec<Vec<&Policy>> = prepared
        .scp_levels
        .iter()
        .flatten()
        .map(|l| l.iter().collect())
        .collect();
    let set = PolicySet {
        identity: &identity,
        permission_boundary: prepared.boundary.as_ref(),
        scp_levels: Some(&scps),
        rcp_levels: None,
        session: &[],
        management_account: false,
    };
    let request = Request {
        principal: prepared.principal.as_ref(),
        action: &prepared.action,
        resource: &prepared.resource,
        context: &prepared.context,
    };
    let mut allowed = 0usize;
    let start = std::time::Instant::now();
    for _ in 0..iterations {
        allowed += usize::from(
            std::hint::black_box(evaluate(&request, &set))
                .decision
                .is_allowed(),
        );
    }
    let elapsed = start.elapsed();
    println!(
        "{allowed}/{iterations} allowed, {:.0} decisions/s",
        iterations as f64 / elapsed.as_secs_f64()
    );
}
