//! The flags of `rdsiam audit` that shape a report besides the inventory, and their I/O:
//! the configuration file (`--config`, `--no-config`), the evaluation time (`--at`), the
//! baseline report (`--baseline`, `--fail-on-new`) and `--show-excepted`. Reads the files;
//! the logic lives in `config`, `rules` and `report`.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::config::{self, Settings};
use crate::report::{Baseline, BaselineFinding, Scope};

#[derive(Debug, Clone, clap::Args)]
pub struct ShapingArgs {
    /// Configuration file (rule settings, scope filters, accepted risks). Default:
    /// `rdsiam.toml` in the current directory when it exists. `rdsiam config --init` writes
    /// a commented one; `rdsiam config --print` shows what is in force.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore `rdsiam.toml` in the current directory (catalogue defaults, no exceptions).
    #[arg(long)]
    pub no_config: bool,
    /// Evaluate as of TIME (RFC 3339, e.g. 2026-11-21T00:00:00Z) instead of the snapshot's
    /// `collected_at` (or, live, the time of collection). Rules never read the machine clock:
    /// the same snapshot, config and --at give the same report.
    #[arg(long, value_name = "TIME", value_parser = parse_at)]
    pub at: Option<String>,
    /// Compare with an earlier JSON report (`--format json`) of the same scope: each finding
    /// is `new` or `unchanged`, the baseline's findings gone now are listed as `resolved`.
    #[arg(long, value_name = "REPORT.json")]
    pub baseline: Option<PathBuf>,
    /// Exit 1 only for new findings (at or above --fail-on) since --baseline.
    #[arg(long, requires = "baseline")]
    pub fail_on_new: bool,
    /// List findings covered by an exception in the table (by default only counted).
    #[arg(long)]
    pub show_excepted: bool,
}

/// `--at`: an RFC 3339 time with a date and a time of day, normalised to UTC seconds.
fn parse_at(text: &str) -> Result<String, String> {
    let millis = text
        .contains(['T', 't'])
        .then(|| crate::policy::condition::parse_date(text))
        .flatten()
        .ok_or_else(|| {
            format!("{text:?} is not an RFC 3339 time (e.g. 2026-11-21T00:00:00Z or 2026-11-21T09:00:00+01:00)")
        })?;
    let seconds =
        u64::try_from(millis.div_euclid(1000)).map_err(|_| format!("{text:?} is before 1970"))?;
    Ok(humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(seconds)).to_string())
}

impl ShapingArgs {
    /// The configuration the flags select (none, `--config FILE`, or ./rdsiam.toml).
    pub fn settings(&self) -> Result<Settings> {
        config::discover(self.config.as_deref(), self.no_config)
    }
}

/// The part of a JSON v1 report a baseline needs; everything else is ignored. All fields
/// optional so that a file of another kind is told apart from a report with a problem.
/// Findings are kept as their JSON text: only resolved ones are parsed in full, later.
#[derive(Deserialize)]
struct BaselineFile<'a> {
    tool: Option<String>,
    schema_version: Option<serde_json::Value>,
    generated_at: Option<String>,
    #[serde(default)]
    evaluated_at: Option<String>,
    scope: Option<BaselineScope>,
    #[serde(borrow)]
    findings: Option<Vec<&'a RawValue>>,
}

/// What the diff needs of every baseline finding up front.
#[derive(Deserialize)]
struct FingerprintOf<'a> {
    #[serde(borrow)]
    fingerprint: Cow<'a, str>,
}

/// Only what says which kind of file it is (when the whole does not parse).
#[derive(Deserialize)]
struct Probe {
    tool: Option<String>,
    schema_version: Option<serde_json::Value>,
}

#[derive(Deserialize)]
pub struct BaselineScope {
    #[serde(default)]
    pub organization_id: Option<String>,
    #[serde(default)]
    pub accounts: Vec<String>,
}

/// Reads `path` as a baseline: a rdsiam JSON v1 report. Returns it with its scope.
pub fn load_baseline(path: &Path) -> Result<(Baseline, BaselineScope)> {
    let name = path.display();
    let how = "make one with `rdsiam audit --format json --output FILE`";
    let bytes = std::fs::read(path).with_context(|| format!("--baseline {name}: cannot read"))?;
    // Borrowed parsing (the findings' text is sliced, not copied) needs UTF-8 text; JSON is.
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) => text,
        Err(err) => bail!("--baseline {name}: not a rdsiam JSON report ({err}); {how}"),
    };
    let check_kind = |tool: Option<&str>, version: Option<&serde_json::Value>| -> Result<()> {
        if tool != Some("rdsiam") {
            bail!("--baseline {name}: not a rdsiam report (no \"tool\": \"rdsiam\"); {how}");
        }
        if version.and_then(serde_json::Value::as_u64) != Some(1) {
            bail!(
                "--baseline {name}: report schema_version {} is not one this rdsiam reads (1)",
                version.map_or_else(|| "missing".to_owned(), ToString::to_string)
            );
        }
        Ok(())
    };
    let file: BaselineFile = match serde_json::from_str(text) {
        Ok(file) => file,
        Err(err) => {
            let Ok(probe) = serde_json::from_slice::<Probe>(&bytes) else {
                bail!("--baseline {name}: not a rdsiam JSON report ({err}); {how}");
            };
            check_kind(probe.tool.as_deref(), probe.schema_version.as_ref())?;
            bail!("--baseline {name}: a rdsiam v1 report with a malformed finding: {err}");
        }
    };
    check_kind(file.tool.as_deref(), file.schema_version.as_ref())?;
    let (Some(generated_at), Some(scope), Some(raw)) =
        (file.generated_at, file.scope, file.findings)
    else {
        bail!(
            "--baseline {name}: a rdsiam v1 report without generated_at, scope or findings; {how}"
        );
    };
    // Keep only the findings' part of the file (not the access matrix beside it), with
    // each finding's span rebased onto it.
    let offset = |json: &RawValue| json.get().as_ptr() as usize - text.as_ptr() as usize;
    let start = raw.first().map_or(0, |json| offset(json));
    let end = raw.last().map_or(0, |json| offset(json) + json.get().len());
    let mut findings = Vec::with_capacity(raw.len());
    for json in &raw {
        let of: FingerprintOf = serde_json::from_str(json.get()).map_err(|err| {
            anyhow::anyhow!("--baseline {name}: a rdsiam v1 report with a malformed finding: {err}")
        })?;
        let at = offset(json) - start;
        findings.push(BaselineFinding {
            fingerprint: of.fingerprint.into_owned(),
            span: at..at + json.get().len(),
        });
    }
    Ok((
        Baseline {
            path: name.to_string(),
            generated_at,
            evaluated_at: file.evaluated_at,
            text: text[start..end].to_owned(),
            findings,
        },
        scope,
    ))
}

/// Refuses a baseline of another scope: another organization, or no account in common.
pub fn check_scope(path: &Path, scope: &Scope, baseline: &BaselineScope) -> Result<()> {
    let name = path.display();
    let accounts = &baseline.accounts;
    if let (Some(then), Some(now)) = (
        baseline.organization_id.as_deref(),
        scope.organization_id.as_deref(),
    ) {
        if then != now {
            bail!(
                "--baseline {name}: a report of organization {then}, this audit is of {now}: compare runs of the same scope"
            );
        }
    }
    let shared = accounts.iter().any(|a| scope.accounts.contains(a));
    if !(shared || accounts.is_empty() && scope.accounts.is_empty()) {
        bail!(
            "--baseline {name}: a report of account(s) {}, none of which this audit covers ({}): compare runs of the same scope",
            accounts.join(", "),
            scope.accounts.join(", ")
        );
    }
    Ok(())
}
