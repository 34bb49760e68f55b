//! The real AWS CLI (the test venv's `awscli`) as a fix runs it: a rendered fix command is
//! executed exactly as printed (`aws rds …`), with moto as the endpoint.

use anyhow::{Result, ensure};
use std::process::Command as Process;

use super::moto;

/// A directory holding an `aws` that is the venv's AWS CLI pointed at moto, put first on
/// `PATH` so a fix runs exactly as rendered (`aws rds …`).
pub struct AwsCli {
    dir: tempfile::TempDir,
    env: Vec<(&'static str, String)>,
}

impl AwsCli {
    pub fn new(endpoint: &str, env: Vec<(&'static str, String)>) -> Result<AwsCli> {
        let cli = moto::repo().join(".venv/bin/aws");
        ensure!(
            cli.exists(),
            "{} is missing: run scripts/test.sh (awscli is in tests/support/requirements.txt), or .venv/bin/pip install awscli",
            cli.display()
        );
        let dir = tempfile::tempdir()?;
        let wrapper = dir.path().join("aws");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec '{}' --endpoint-url '{endpoint}' \"$@\"\n",
                cli.display()
            ),
        )?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))?;
        Ok(AwsCli { dir, env })
    }

    /// Runs `script` (a rendered fix, or a setup step) with `bash -euo pipefail`.
    pub fn run(&self, script: &str) -> Result<String> {
        let path = format!(
            "{}:{}",
            self.dir.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Process::new("bash")
            .args(["-euo", "pipefail", "-c", script])
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.dir.path())
            .envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .env_remove("AWS_ENDPOINT_URL")
            .output()?;
        ensure!(
            out.status.success(),
            "command failed ({}):\n{script}\n--- stderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}
