//! Runs the built `rdsiam simulate` on requests, one process per request.
//!
//! The contract used is the CLI's: `rdsiam simulate --input FILE --format json` prints
//! `{"decision": ..., "depends_on": [...], "reasons": [...]}`. Only `decision` is compared.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// rdsiam's decision, or a description of why there is none (crash, non-JSON output...).
pub type RdsiamAnswer = Result<String, String>;

pub fn evaluate(requests: &[Value], work_dir: &Path) -> Vec<RdsiamAnswer> {
    std::fs::create_dir_all(work_dir).expect("create work dir");
    let binary = crate::support::cli::binary();
    requests
        .iter()
        .enumerate()
        .map(|(index, request)| {
            let file = work_dir.join(format!("request-{index:04}.json"));
            let body = serde_json::to_vec_pretty(request).expect("request serializes");
            std::fs::write(&file, body).expect("write request file");
            run_one(&binary, &file)
        })
        .collect()
}

fn run_one(binary: &Path, file: &Path) -> RdsiamAnswer {
    let output = crate::support::cli::isolate(&mut Command::new(binary))
        .arg("simulate")
        .arg("--input")
        .arg(file)
        .args(["--format", "json"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let parsed: Value = serde_json::from_str(&stdout).map_err(|e| {
        format!(
            "exit {}, stdout is not JSON ({e}); stdout: {stdout}; stderr: {stderr}",
            output.status
        )
    })?;
    parsed
        .get("decision")
        .and_then(Value::as_str)
        .map(String::from)
        .ok_or_else(|| {
            format!(
                "exit {}, no \"decision\" in {parsed}; stderr: {stderr}",
                output.status
            )
        })
}
