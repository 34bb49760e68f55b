//! The synthetic-org generator (examples/gen_org.rs) at a small size: its output is a valid
//! snapshot, generation is deterministic, and sizes are honoured.

#[allow(dead_code)]
#[path = "../examples/gen_org.rs"]
mod gen_org;

use rdsiam::inventory::snapshot;
use rdsiam::inventory::validate::validate;

fn small(seed: u64) -> gen_org::Args {
    gen_org::Args {
        accounts: 4,
        roles: 90,
        policies: 250,
        dbs: 13,
        db_users: 200,
        seed,
        output: std::path::PathBuf::new(),
    }
}

#[test]
fn generated_snapshot_is_valid_deterministic_and_sized() {
    let inv = gen_org::generate(&small(7));
    assert_eq!(validate(&inv), vec![]);
    assert_eq!(inv, gen_org::generate(&small(7)));
    assert_ne!(inv, gen_org::generate(&small(8)));
    assert_eq!(inv.accounts.len(), 4);
    assert_eq!(
        inv.accounts
            .iter()
            .map(|a| a.iam.roles.len())
            .sum::<usize>(),
        90
    );
    assert_eq!(
        inv.accounts
            .iter()
            .map(|a| a.iam.managed_policies.len())
            .sum::<usize>(),
        250
    );
    assert_eq!(inv.databases.len(), 13);
    let login_users: usize = inv
        .databases
        .iter()
        .map(|d| {
            d.roles
                .iter()
                .filter(|r| r.name.starts_with("app_"))
                .count()
        })
        .sum();
    assert_eq!(login_users, 200);

    let dir = std::env::temp_dir().join(format!("rdsiam-gen-org-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let file = snapshot::save(&inv, &dir.join("org.json.gz")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(snapshot::load(&file).unwrap_or_else(|e| panic!("{e}")), inv);
}
