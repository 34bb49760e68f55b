//! Benchmark of live collection against moto (figures in benches/RESULTS.md):
//!
//! 1. API calls per account and region as a function of the number of IAM roles
//!    (they must not grow with the role count beyond pagination);
//! 2. wall time to collect 20 accounts × 2 regions at concurrency 8 (and 1, for reference).
//!
//! Run: `cargo run --example collect_bench` (needs `.venv` with moto: `scripts/test.sh`).
//! Optional args: `--roles 10,200,1200 --accounts 20 --repeat 3`.

#[path = "../tests/support/moto.rs"]
#[allow(dead_code)]
mod moto;

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Result;
use rdsiam::collect::aws::{self, Options, Settings};

fn options(endpoint: &str, regions: &[&str], org: bool, concurrency: usize) -> Options {
    Options {
        settings: Settings {
            endpoint_url: Some(endpoint.to_owned()),
            ..Settings::default()
        },
        regions: regions.iter().map(|r| (*r).to_owned()).collect(),
        org,
        accounts: Vec::new(),
        assume_role_name: org.then(|| "OrganizationAccountAccessRole".to_owned()),
        external_id: None,
        concurrency,
        progress: false,
        // The collection benchmark measures the facts, as before the auth-error log.
        auth_errors: None,
    }
}

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

fn main() -> Result<()> {
    // Static test credentials for the in-process SDK; set before any thread exists.
    for (key, value) in moto::env_for("http://unused") {
        if key != "AWS_ENDPOINT_URL" {
            // SAFETY: single-threaded at this point (no runtime, no server threads yet).
            unsafe { std::env::set_var(key, value) };
        }
    }
    // SAFETY: as above.
    unsafe { std::env::set_var("AWS_MAX_ATTEMPTS", "1") };
    let server = moto::MotoServer::start()?;
    let endpoint = server.endpoint();
    let role_counts: Vec<usize> = arg("--roles", "10,200,1200")
        .split(',')
        .map(|n| n.parse())
        .collect::<Result<_, _>>()?;
    let accounts: usize = arg("--accounts", "20").parse()?;
    let repeat: usize = arg("--repeat", "3").parse()?;

    println!("## API calls per account and region vs IAM role count\n");
    println!(
        "| IAM roles in the account | IAM calls (GetAccountAuthorizationDetails) | RDS calls in us-east-1 | STS + Organizations | total |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for &roles in &role_counts {
        server.reset()?;
        let seeded = server.seed("many-roles", &[&roles.to_string()])?;
        let total_roles = seeded["extra_roles"].as_u64().unwrap_or(0) + 2;
        let collection = aws::collect_blocking(&options(&endpoint, &["us-east-1"], false, 8))?;
        let counts = collection.calls.counts();
        let mut by_service: BTreeMap<&str, u64> = BTreeMap::new();
        for ((_, _, op), n) in &counts {
            *by_service.entry(op.service).or_default() += n;
        }
        let got_roles = collection.inventory.accounts[0].iam.roles.len();
        assert_eq!(got_roles as u64, total_roles, "every role collected");
        println!(
            "| {got_roles} | {} | {} | {} | {} |",
            by_service.get("iam").unwrap_or(&0),
            by_service.get("rds").unwrap_or(&0),
            by_service.get("sts").unwrap_or(&0) + by_service.get("organizations").unwrap_or(&0),
            collection.calls.total()
        );
        if roles == *role_counts.last().unwrap_or(&0) {
            println!("\nPer operation at {got_roles} roles:\n");
            for ((account, region, op), n) in &counts {
                println!("- {account} {region} {op}: {n}");
            }
            println!();
        }
    }

    println!("\n## Wall time: {accounts} accounts × 2 regions\n");
    server.reset()?;
    // SAFETY: moto_seed.py reads REGIONS from its own environment; set before the child runs.
    unsafe { std::env::set_var("REGIONS", "us-east-1,eu-west-1") };
    let seed_start = Instant::now();
    server.seed("accounts", &[&accounts.to_string()])?;
    eprintln!("seeded in {:.1} s", seed_start.elapsed().as_secs_f64());
    println!("| concurrency | run | wall time (s) | API calls | accounts collected | gaps |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for concurrency in [8, 1] {
        for run in 1..=repeat {
            let start = Instant::now();
            let collection = aws::collect_blocking(&options(
                &endpoint,
                &["us-east-1", "eu-west-1"],
                true,
                concurrency,
            ))?;
            let elapsed = start.elapsed().as_secs_f64();
            println!(
                "| {concurrency} | {run} | {elapsed:.2} | {} | {} | {} |",
                collection.calls.total(),
                collection.inventory.accounts.len(),
                collection.inventory.coverage.len()
            );
        }
    }
    Ok(())
}
