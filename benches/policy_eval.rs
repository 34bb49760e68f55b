//! Decisions per second of the policy engine for `rds-db:connect` by a realistic role:
//! 5 managed policies with 20 statements, a permissions boundary, a 3-level SCP chain
//! (benches/data/realistic-role.json). Run: `cargo bench --bench policy_eval`.
//! The peer figure comes from `benches/peer_iam_simulate.mjs` in the same run
//! (`benches/policy_eval.sh` runs both).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rdsiam::policy::simulate::{PreparedRequest, SimulateRequest};
use rdsiam::policy::{Policy, PolicySet, Request, RequestContext, evaluate};

fn load() -> PreparedRequest {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/data/realistic-role.json"
    ))
    .expect("benches/data/realistic-role.json");
    let request: SimulateRequest = serde_json::from_str(&text).expect("valid request");
    PreparedRequest::from_request(&request, "").expect("valid policies")
}

fn bench(c: &mut Criterion) {
    let prepared = load();
    let identity: Vec<&Policy> = prepared.identity.iter().collect();
    let scps: Vec<Vec<&Policy>> = prepared
        .scp_levels
        .as_ref()
        .expect("scp levels")
        .iter()
        .map(|level| level.iter().collect())
        .collect();
    let set = PolicySet {
        identity: &identity,
        permission_boundary: prepared.boundary.as_ref(),
        scp_levels: Some(&scps),
        rcp_levels: None,
        session: &[],
        management_account: false,
    };
    let untagged = RequestContext::closed()
        .with("aws:RequestedRegion", "us-east-1")
        .with(
            "aws:PrincipalArn",
            prepared.principal.as_ref().unwrap().arn.clone(),
        );
    let allowed = Request {
        principal: prepared.principal.as_ref(),
        action: &prepared.action,
        resource: &prepared.resource,
        context: &prepared.context,
    };
    let denied = Request {
        context: &untagged,
        ..allowed
    };
    assert!(evaluate(&allowed, &set).decision.is_allowed());
    assert!(evaluate(&denied, &set).decision.is_denied());

    let mut group = c.benchmark_group("rds-db:connect, realistic role");
    group.throughput(Throughput::Elements(1));
    group.bench_function("allowed (all layers scanned)", |b| {
        b.iter(|| evaluate(black_box(&allowed), black_box(&set)).decision)
    });
    group.bench_function("denied by OU SCP", |b| {
        b.iter(|| evaluate(black_box(&denied), black_box(&set)).decision)
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
