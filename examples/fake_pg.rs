//! The hostile fake PostgreSQL server of the tests (tests/support/fake_pg.rs) as a program,
//! for `benches/hostile.sh`: `cargo run --release --example fake_pg -- SCRIPT` prints
//! `PORT CA_PATH` and serves until killed. Scripts: silent-after-s, close-after-s, refuse-tls,
//! trickle, oversized-length, mid-message-close, flood-notices, silent-after-password,
//! flood-rows.

#[allow(dead_code)]
#[path = "../tests/support/fake_pg.rs"]
mod fake_pg;

use std::io::Write;

fn main() -> anyhow::Result<()> {
    let name = std::env::args().nth(1).unwrap_or_default();
    let Some((_, script)) = fake_pg::Script::NAMES.iter().find(|(n, _)| *n == name) else {
        let names: Vec<&str> = fake_pg::Script::NAMES.iter().map(|(n, _)| *n).collect();
        anyhow::bail!("usage: fake_pg SCRIPT (one of {})", names.join(", "));
    };
    let fake = fake_pg::FakePg::start(*script)?;
    println!("{} {}", fake.port, fake.ca_cert_path().display());
    std::io::stdout().flush()?;
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
