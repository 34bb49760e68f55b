//! Profiling driver: builds the policy index of a snapshot N times.
//! `cargo run --release --example index_loop -- /tmp/org.json.gz 3`
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: index_loop SNAPSHOT [N]");
    let n: usize = args.next().map(|n| n.parse().expect("N")).unwrap_or(3);
    let inventory = rdsiam::inventory::snapshot::load(std::path::Path::new(&path)).expect("loads");
    for _ in 0..n {
        let t = std::time::Instant::now();
        let index = rdsiam::access::PolicyIndex::build(&inventory);
        eprintln!(
            "index {:.3}s ({} policies)",
            t.elapsed().as_secs_f64(),
            index.policies.len()
        );
        let t = std::time::Instant::now();
        drop(index);
        eprintln!("drop {:.3}s", t.elapsed().as_secs_f64());
    }
}
