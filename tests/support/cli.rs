//! The one way integration tests run the `rdsiam` binary: with nothing of the machine's
//! environment. On a developer's machine with AWS credentials, a `~/.aws/config`, `PG*`
//! variables or a proxy, a test that inherited them could start a real collection against a
//! real account, log in to a real database, or pass because of the machine rather than the
//! code. So the child starts from an empty environment and gets only:
//!
//! - `PATH`: the system directories (a test that needs more sets `PATH` itself);
//! - `HOME`: an empty directory of this test process (no `~/.aws`, no `~/.pgpass`);
//! - `AWS_EC2_METADATA_DISABLED=true`: the credential chain never probes instance metadata.
//!
//! Everything else a test needs (`AWS_*` for moto, `PG*`, tokens) it sets explicitly.
//! `tests/cli_isolation.rs` proves that the parent's credentials do not reach the child.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The system directories only.
pub const MINIMAL_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// `rdsiam` (assert_cmd) in the isolated environment.
pub fn rdsiam() -> assert_cmd::Command {
    assert_cmd::Command::from_std(rdsiam_std())
}

/// `rdsiam` (std) in the isolated environment, for tests that need `std::process::Command`.
pub fn rdsiam_std() -> Command {
    let mut command = Command::new(binary());
    isolate(&mut command);
    command
}

/// The binary under test (for tests that wrap it in another program: [`isolate`] that one).
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rdsiam"))
}

/// Clears the environment of `command` (and so of every process it starts) and sets the
/// minimal one described in the module doc.
pub fn isolate(command: &mut Command) -> &mut Command {
    command
        .env_clear()
        .env("PATH", MINIMAL_PATH)
        .env("HOME", empty_home())
        .env("AWS_EC2_METADATA_DISABLED", "true")
}

/// An empty directory under cargo's scratch directory for integration tests
/// (`CARGO_TARGET_TMPDIR`, removed by `cargo clean`), one per test process: a `TempDir` in a
/// static would never be dropped either, and a directory per command would leave one behind
/// per run of the binary.
pub fn empty_home() -> &'static Path {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("empty-home-{}", std::process::id()));
        // A previous process with the same id may have left it: start empty.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create the test HOME {}: {e}", dir.display()));
        dir
    })
}
