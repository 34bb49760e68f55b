//! Snapshot loading: the demo in every form, and every way a file can be wrong, each with an
//! error that names the file and the place.

use std::fs;
use std::path::{Path, PathBuf};

use rdsiam::inventory::snapshot::{self, SnapshotError};
use rdsiam::inventory::{Inventory, SCHEMA_VERSION};

const DEMO_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo");

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "rdsiam-snapshot-test-{}-{name}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

fn demo_text() -> String {
    fs::read_to_string(Path::new(DEMO_DIR).join("snapshot.json")).unwrap_or_else(|e| panic!("{e}"))
}

fn load_text(name: &str, text: &str) -> Result<Inventory, SnapshotError> {
    let dir = scratch(name);
    let file = dir.join("snapshot.json");
    fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
    snapshot::load(&file)
}

fn error_text(name: &str, text: &str) -> String {
    match load_text(name, text) {
        Ok(_) => panic!("{name}: expected an error"),
        Err(err) => err.to_string(),
    }
}

#[test]
fn demo_loads_from_directory_and_file() {
    let from_dir = snapshot::load(Path::new(DEMO_DIR)).unwrap_or_else(|e| panic!("{e}"));
    let from_file = snapshot::load(&Path::new(DEMO_DIR).join("snapshot.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_dir, from_file);
    assert_eq!(from_dir.schema_version, SCHEMA_VERSION);
    assert_eq!(from_dir.accounts.len(), 3);
    assert_eq!(from_dir.databases.len(), 3);
    let org = from_dir
        .organization
        .as_ref()
        .unwrap_or_else(|| panic!("demo has an organization"));
    assert_eq!(
        org.ancestry("222222222222"),
        Some(vec![
            "r-d3m0",
            "ou-d3m0-wrkl0ads",
            "ou-d3m0-pr0d0001",
            "222222222222"
        ])
    );
}

#[test]
fn gzip_round_trip_and_directory_save() {
    let inv = snapshot::load(Path::new(DEMO_DIR)).unwrap_or_else(|e| panic!("{e}"));
    let dir = scratch("gzip");
    let gz = dir.join("demo.json.gz");
    snapshot::save(&inv, &gz).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fs::read(&gz).unwrap_or_default()[..2], [0x1f, 0x8b]);
    assert_eq!(snapshot::load(&gz).unwrap_or_else(|e| panic!("{e}")), inv);
    let written = snapshot::save(&inv, &dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(written, dir.join("snapshot.json"));
    assert_eq!(snapshot::load(&dir).unwrap_or_else(|e| panic!("{e}")), inv);
}

#[test]
fn truncated_json_names_file_and_position() {
    let text = demo_text();
    let err = error_text("truncated", &text[..text.len() / 2]);
    assert!(err.contains("snapshot.json"), "{err}");
    assert!(err.contains("EOF while parsing"), "{err}");
    assert!(err.contains("line "), "{err}");
}

#[test]
fn truncated_gzip_is_a_clear_error() {
    let inv = snapshot::load(Path::new(DEMO_DIR)).unwrap_or_else(|e| panic!("{e}"));
    let dir = scratch("gzip-truncated");
    let gz = dir.join("s.json.gz");
    snapshot::save(&inv, &gz).unwrap_or_else(|e| panic!("{e}"));
    let bytes = fs::read(&gz).unwrap_or_default();
    fs::write(&gz, &bytes[..bytes.len() / 2]).unwrap_or_else(|e| panic!("{e}"));
    let err = snapshot::load(&gz)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("s.json.gz") && err.contains("gzip"), "{err}");
}

#[test]
fn wrong_type_names_the_json_path() {
    let text = demo_text().replacen("\"port\": 5432", "\"port\": \"5432\"", 1);
    let err = error_text("wrong-type", &text);
    assert!(
        err.contains("accounts[1].regions[0].db_instances[0].endpoint.port"),
        "{err}"
    );
    assert!(err.contains("line "), "{err}");
}

#[test]
fn unknown_field_names_the_json_path() {
    let text = demo_text().replacen(
        "\"can_login\": true",
        "\"can_login\": true, \"canlogin\": true",
        1,
    );
    let err = error_text("unknown-field", &text);
    assert!(err.contains("databases[0].roles[4]"), "{err}");
    assert!(err.contains("unknown field `canlogin`"), "{err}");
}

#[test]
fn future_schema_version_is_refused_by_name() {
    let text = demo_text().replacen("\"schema_version\": 1", "\"schema_version\": 7", 1);
    let err = error_text("future", &text);
    assert!(err.contains("schema_version 7 is not supported"), "{err}");
    // Even when the future format has fields this build does not know.
    let text = text.replacen("\"collected_at\"", "\"new_thing\": [], \"collected_at\"", 1);
    assert!(error_text("future-shape", &text).contains("schema_version 7"));
}

#[test]
fn not_json_at_all() {
    let err = error_text("garbage", "\u{0}\u{1}PK not json");
    assert!(
        err.contains("snapshot.json") && err.contains("line 1"),
        "{err}"
    );
    let err = error_text("empty", "");
    assert!(err.contains("EOF while parsing"), "{err}");
}

#[test]
fn directory_without_snapshot() {
    let dir = scratch("empty-dir");
    let err = snapshot::load(&dir)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("snapshot.json") && err.contains(&dir.display().to_string()),
        "{err}"
    );
}

#[test]
fn duplicates_and_dangling_references_are_listed() {
    let mut inv = snapshot::load(Path::new(DEMO_DIR)).unwrap_or_else(|e| panic!("{e}"));
    let dup_account = inv.accounts[1].clone();
    inv.accounts.push(dup_account);
    inv.accounts[1].iam.roles[1]
        .attached_policies
        .push("arn:aws:iam::222222222222:policy/Gone".into());
    inv.accounts[1].regions[0].db_instances[0].cluster_identifier = Some("no-such-cluster".into());
    inv.accounts[1].regions[0].db_proxies[0].targets[0].identifier = "nowhere".into();
    inv.databases[0].target.identifier = "renamed".into();
    let dup_role = inv.databases[1].roles[4].clone();
    let dup_at = inv.databases[1].roles.len();
    inv.databases[1].roles.push(dup_role);
    if let Some(org) = inv.organization.as_mut() {
        org.policies[2].targets.push("ou-unknown".into());
    }
    let dir = scratch("invalid");
    let file = dir.join("snapshot.json");
    fs::write(&file, serde_json::to_string(&inv).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    let err = snapshot::load(&file)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    let dup_role_error = format!(
        "databases[1].roles[{dup_at}]: duplicate PostgreSQL role \"postgres\" (first at databases[1].roles[4])"
    );
    for expected in [
        "accounts[3]: duplicate account \"222222222222\" (first at accounts[1])",
        "accounts[1].iam.roles[1].attached_policies[1]: managed policy \"arn:aws:iam::222222222222:policy/Gone\"",
        "accounts[1].regions[0].db_instances[0].cluster_identifier: cluster_identifier \"no-such-cluster\"",
        "accounts[1].regions[0].db_proxies[0].targets[0]: target \"nowhere\"",
        "databases[0].target: target 222222222222/us-east-1/cluster/renamed",
        dup_role_error.as_str(),
        "organization.policies[2].targets[1]: target \"ou-unknown\"",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
}
