//! The test harness keeps the machine out of the binary (tests/support/cli.rs): AWS
//! credentials, `PG*` variables, `HOME` (and its `~/.aws`) and proxies set in the test
//! process never reach `rdsiam`. One test in its own binary, because it sets variables in
//! its own process, which other tests running in parallel threads would otherwise see.

mod support;

use anyhow::{Result, ensure};

#[test]
fn parent_credentials_home_and_pg_variables_do_not_reach_the_child() -> Result<()> {
    // A HOME with working-looking AWS credentials and a profile region: if the child saw it
    // (or the variables below), `token generate` would sign a token offline and succeed.
    let parent_home = tempfile::tempdir()?;
    let aws = parent_home.path().join(".aws");
    std::fs::create_dir(&aws)?;
    std::fs::write(
        aws.join("credentials"),
        "[default]\naws_access_key_id = AKIAPARENTHOMEEXAMPLE\naws_secret_access_key = parent-home-secret\n",
    )?;
    std::fs::write(aws.join("config"), "[default]\nregion = us-east-1\n")?;
    let parent = [
        ("HOME", parent_home.path().to_str().unwrap_or_default()),
        ("AWS_ACCESS_KEY_ID", "AKIAPARENTENVEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "parent-env-secret"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_PROFILE", "default"),
        ("PGHOST", "parent-pghost.example.com"),
        ("PGPASSWORD", "parent-pgpassword"),
        ("PGUSER", "parent_pguser"),
        ("HTTPS_PROXY", "http://127.0.0.1:9"),
        ("https_proxy", "http://127.0.0.1:9"),
        ("ALL_PROXY", "http://127.0.0.1:9"),
    ];
    for (name, value) in parent {
        // SAFETY: this test binary has this one test, so no other thread reads the
        // environment while it is changed.
        unsafe { std::env::set_var(name, value) };
    }

    // AWS: no credentials anywhere the child can see, so signing a token must fail.
    let token = support::cli::rdsiam()
        .args([
            "token",
            "generate",
            "--host",
            "mydb.abc123.us-east-1.rds.amazonaws.com",
            "--port",
            "5432",
            "--user",
            "app",
            "--region",
            "us-east-1",
        ])
        .output()?;
    let token_text = format!(
        "{}{}",
        String::from_utf8_lossy(&token.stdout),
        String::from_utf8_lossy(&token.stderr)
    );
    ensure!(
        !token.status.success() && !token_text.contains("X-Amz-Signature"),
        "the child signed a token with the parent's credentials:\n{token_text}"
    );
    ensure!(
        !token_text.contains("AKIAPARENT"),
        "the parent's access key id reached the child:\n{token_text}"
    );

    // PG*: with no --host the doctor must not find the parent's PGHOST.
    let doctor = support::cli::rdsiam()
        .args(["doctor", "--format", "json"])
        .output()?;
    let doctor_text = format!(
        "{}{}",
        String::from_utf8_lossy(&doctor.stdout),
        String::from_utf8_lossy(&doctor.stderr)
    );
    ensure!(
        doctor_text.contains("no host") && !doctor_text.contains("parent-pghost"),
        "the doctor saw the parent's PGHOST:\n{doctor_text}"
    );

    // And directly: the environment the harness hands a child.
    let env = support::cli::isolate(&mut std::process::Command::new("/usr/bin/env")).output()?;
    let env_text = String::from_utf8_lossy(&env.stdout);
    let mut names: Vec<&str> = env_text
        .lines()
        .filter_map(|line| line.split_once('=').map(|(name, _)| name))
        .collect();
    names.sort_unstable();
    ensure!(
        names == ["AWS_EC2_METADATA_DISABLED", "HOME", "PATH"],
        "the child's environment is not the minimal one: {names:?}"
    );
    let home = support::cli::empty_home();
    ensure!(
        env_text.contains(&format!("HOME={}\n", home.display()))
            && std::fs::read_dir(home)?.next().is_none(),
        "HOME is not the empty test directory:\n{env_text}"
    );
    Ok(())
}
