//! `--output` safety (issue #17): the temporary file is created exclusively with an
//! unpredictable name (a symlink planted at the old predictable `.NAME.tmp-PID` names is
//! never followed), a FIFO or device is written straight to and never replaced, and
//! SIGTERM during the write of a large report removes the temporary file (exit 143).

mod support;

#[allow(dead_code)]
#[path = "../examples/gen_org.rs"]
mod gen_org;

use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

const DEMO: &str = "fixtures/demo/snapshot.json";

fn rdsiam() -> Command {
    support::cli::rdsiam_std()
}

fn audit_to(output: &Path) -> Result<std::process::Output> {
    Ok(rdsiam()
        .args([
            "audit",
            "--snapshot",
            DEMO,
            "--format",
            "json",
            "--fail-on",
            "critical",
            "--output",
        ])
        .arg(output)
        .output()?)
}

/// Names in `dir` other than `keep`.
fn others(dir: &Path, keep: &[&str]) -> Result<Vec<String>> {
    let mut names: Vec<String> = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()?;
    names.retain(|n| !keep.contains(&n.as_str()));
    names.sort();
    Ok(names)
}

#[test]
fn output_never_follows_a_symlink_planted_at_a_predictable_temp_name() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let victim = dir.path().join("victim.txt");
    fs::write(&victim, "precious\n")?;
    // The old name was `.report.json.tmp-<pid>`: plant it for the next few hundred PIDs.
    let last: u32 = fs::read_to_string("/proc/sys/kernel/ns_last_pid")?
        .trim()
        .parse()?;
    let planted: Vec<PathBuf> = (last..last + 400)
        .map(|pid| dir.path().join(format!(".report.json.tmp-{pid}")))
        .collect();
    for link in &planted {
        std::os::unix::fs::symlink(&victim, link)?;
    }
    let out = audit_to(&dir.path().join("report.json"))?;
    ensure!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    ensure!(
        fs::read_to_string(&victim)? == "precious\n",
        "the victim file was overwritten"
    );
    let report = fs::symlink_metadata(dir.path().join("report.json"))?;
    ensure!(
        report.file_type().is_file(),
        "report.json is not a regular file"
    );
    serde_json::from_slice::<serde_json::Value>(&fs::read(dir.path().join("report.json"))?)
        .context("report.json is not the JSON report")?;
    for link in &planted {
        ensure!(
            fs::symlink_metadata(link)?.file_type().is_symlink(),
            "{} was replaced",
            link.display()
        );
    }
    ensure!(
        others(dir.path(), &[])?.len() == planted.len() + 2,
        "a temporary file was left"
    );
    Ok(())
}

#[test]
fn output_to_a_fifo_writes_into_it_and_keeps_it() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let fifo = dir.path().join("report.fifo");
    ensure!(
        Command::new("mkfifo").arg(&fifo).status()?.success(),
        "mkfifo failed"
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read(fifo))
    };
    let out = audit_to(&fifo)?;
    ensure!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = reader
        .join()
        .map_err(|_| anyhow::anyhow!("reader panicked"))??;
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .context("the FIFO did not get the report")?;
    ensure!(
        fs::symlink_metadata(&fifo)?.file_type().is_fifo(),
        "the FIFO was replaced"
    );
    ensure!(
        others(dir.path(), &["report.fifo"])?.is_empty(),
        "a temporary file was left"
    );
    Ok(())
}

#[test]
fn output_to_a_full_device_is_a_write_error_and_keeps_the_device() -> Result<()> {
    // A private copy of /dev/full (same major/minor) so the test never touches /dev.
    let dir = tempfile::tempdir()?;
    let full = dir.path().join("full");
    let made = Command::new("mknod")
        .arg(&full)
        .args(["c", "1", "7"])
        .status()?;
    ensure!(
        made.success(),
        "mknod (needs root, as the harness tests do) failed"
    );
    let out = audit_to(&full)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.code() == Some(2),
        "exit {:?}: {stderr}",
        out.status.code()
    );
    ensure!(
        stderr.contains("No space left"),
        "not a clear write error: {stderr}"
    );
    ensure!(
        fs::symlink_metadata(&full)?.file_type().is_char_device(),
        "the device was replaced"
    );
    ensure!(
        others(dir.path(), &["full"])?.is_empty(),
        "a temporary file was left"
    );
    // /dev/null too (a device that accepts everything).
    let out = audit_to(Path::new("/dev/null"))?;
    ensure!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    ensure!(fs::metadata("/dev/null")?.file_type().is_char_device());
    Ok(())
}

#[test]
fn sigterm_during_a_large_report_write_leaves_no_temp_file() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let snapshot = dir.path().join("org.json");
    let inventory = gen_org::generate(&gen_org::Args {
        accounts: 40,
        roles: 4000,
        policies: 8000,
        dbs: 200,
        db_users: 4000,
        seed: 17,
        output: PathBuf::new(),
    });
    rdsiam::inventory::snapshot::save(&inventory, &snapshot)?;
    let out_dir = dir.path().join("out");
    fs::create_dir(&out_dir)?;
    let target = out_dir.join("report.json");
    let mut child = rdsiam()
        .args(["audit", "--snapshot"])
        .arg(&snapshot)
        .args(["--format", "json", "--fail-on", "critical", "--output"])
        .arg(&target)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    // Wait for the temporary file to appear, then interrupt the write.
    let start = Instant::now();
    let temp = loop {
        if let Some(name) = others(&out_dir, &[])?.into_iter().next() {
            break name;
        }
        if let Some(status) = child.try_wait()? {
            bail!(
                "the audit ended ({status}) before its temporary file was seen: make the report larger"
            );
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            bail!("no temporary file after 120 s");
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    ensure!(
        temp.starts_with(".report.json.") && temp.ends_with(".tmp") && !temp.contains("tmp-"),
        "unexpected temporary name {temp}"
    );
    let pid = child.id().to_string();
    ensure!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()?
            .success(),
        "kill failed"
    );
    let status = child.wait()?;
    ensure!(
        status.code() == Some(143),
        "exit {status} (expected 143 after SIGTERM)"
    );
    ensure!(
        others(&out_dir, &[])?.is_empty(),
        "left behind: {:?}",
        others(&out_dir, &[])?
    );
    Ok(())
}
