//! `rdsiam simulate`: one IAM decision (or a batch) with the reason chain, from a request
//! file or from flags. Owns the flags, reading the request files and printing; the request
//! format and the rendering are `crate::policy::simulate`, the decision
//! `crate::policy::evaluate`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use serde_json::{Map, Value, json};

use crate::exit::Outcome;
use crate::output;
use crate::policy::Decision;
use crate::policy::Evaluation;
use crate::policy::simulate::{
    EvaluationJson, PreparedRequest, SimulateRequest, render_table, to_json,
};

/// Evaluate one IAM request the way AWS does, and say which statements decided it.
///
/// Layers: explicit Deny anywhere wins; every SCP level (root → OUs → account) and every
/// RCP level (for services that support RCPs, e.g. sts) must allow; the identity policies
/// must allow; a permissions boundary and session policies intersect.
///
/// Example: rdsiam simulate --input request.json --expect allowed
///
/// Flag form: rdsiam simulate --principal arn:aws:iam::111122223333:role/app
///   --policy role-policy.json --scp root.json --scp ou.json --scp account.json
///   --action rds-db:connect
///   --resource arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/pgmonitor
///   --context aws:PrincipalTag/team=dba
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Request file (JSON object, or an array of them for a batch); `-` reads stdin.
    /// Fields: principal, action, resource, context, identity_policies,
    /// permission_boundary, scp_levels (root first), rcp_levels, session_policies,
    /// management_account.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["policy", "action", "resource"])]
    pub input: Option<PathBuf>,

    /// Identity policy document (repeatable). JSON or URL-encoded JSON.
    #[arg(long, value_name = "FILE")]
    pub policy: Vec<PathBuf>,

    /// Permissions boundary document.
    #[arg(long, value_name = "FILE")]
    pub boundary: Option<PathBuf>,

    /// SCP level (repeatable, root first, account last). A file holding a JSON array of
    /// documents is one level with several policies.
    #[arg(long, value_name = "FILE")]
    pub scp: Vec<PathBuf>,

    /// RCP level (repeatable, root first); same file forms as --scp.
    #[arg(long, value_name = "FILE")]
    pub rcp: Vec<PathBuf>,

    /// Session policy document (repeatable).
    #[arg(long, value_name = "FILE")]
    pub session_policy: Vec<PathBuf>,

    /// The requesting principal's ARN.
    #[arg(long, value_name = "ARN")]
    pub principal: Option<String>,

    /// The action, e.g. rds-db:connect.
    #[arg(long, required_unless_present = "input")]
    pub action: Option<String>,

    /// The resource ARN, e.g. arn:aws:rds-db:REGION:ACCOUNT:dbuser:db-…/USER.
    #[arg(long, required_unless_present = "input")]
    pub resource: Option<String>,

    /// A request context key (repeatable): key=value. Repeating a key makes it multi-valued.
    #[arg(long, value_name = "KEY=VALUE")]
    pub context: Vec<String>,

    /// The principal belongs to the Organization's management account (exempt from SCPs).
    #[arg(long)]
    pub management_account: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Exit 1 unless every decision is this.
    #[arg(long, value_enum)]
    pub expect: Option<Expectation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// What `--expect` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Expectation {
    /// Allowed.
    Allowed,
    /// ImplicitlyDenied or ExplicitlyDenied.
    Denied,
    ImplicitlyDenied,
    ExplicitlyDenied,
}

impl Expectation {
    pub fn accepts(self, decision: Decision) -> bool {
        match self {
            Expectation::Allowed => decision == Decision::Allowed,
            Expectation::Denied => decision.is_denied(),
            Expectation::ImplicitlyDenied => decision == Decision::ImplicitlyDenied,
            Expectation::ExplicitlyDenied => decision == Decision::ExplicitlyDenied,
        }
    }
}

/// Reads the requests from `--input` (object or array) or builds one from flags.
fn load_requests(args: &SimulateArgs) -> Result<(Vec<SimulateRequest>, bool)> {
    if let Some(path) = &args.input {
        let (text, label) = read_input(path)?;
        let value: Value = crate::json_input::parse_strict(&text)
            .with_context(|| format!("{label}: not valid JSON"))?;
        return match value {
            Value::Array(items) if items.is_empty() && args.expect.is_some() => bail!(
                "{label}: an empty batch ([]) has nothing to check --expect against; give at least one request"
            ),
            Value::Array(items) => {
                let requests = items
                    .into_iter()
                    .enumerate()
                    .map(|(index, item)| {
                        serde_json::from_value(item).with_context(|| format!("{label}: [{index}]"))
                    })
                    .collect::<Result<_>>()?;
                Ok((requests, true))
            }
            other => Ok((
                vec![serde_json::from_value(other).with_context(|| label.clone())?],
                false,
            )),
        };
    }
    Ok((vec![request_from_flags(args)?], false))
}

/// Reads `--input` (a file or `-`), at most [`crate::input::MAX_INPUT_BYTES`].
fn read_input(path: &Path) -> Result<(String, String)> {
    let cap = crate::input::MAX_INPUT_BYTES;
    if path == Path::new("-") {
        use std::io::Read;
        let mut text = String::new();
        std::io::stdin()
            .take(cap + 1)
            .read_to_string(&mut text)
            .context("reading the request from stdin")?;
        if text.len() as u64 > cap {
            anyhow::bail!(
                "<stdin>: larger than the input cap of {} (see README \"Bounds\")",
                crate::input::human_bytes(cap)
            );
        }
        return Ok((text, "<stdin>".to_owned()));
    }
    let text = crate::input::read_capped_text(path, cap)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok((text, path.display().to_string()))
}

fn request_from_flags(args: &SimulateArgs) -> Result<SimulateRequest> {
    let read_doc = |path: &PathBuf| -> Result<Value> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.display().to_string();
        Ok(json!({"name": name, "document": text}))
    };
    let read_level = |path: &PathBuf| -> Result<Vec<Value>> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Array(docs)) => Ok(docs
                .into_iter()
                .enumerate()
                .map(|(index, doc)| json!({"name": format!("{}[{index}]", path.display()), "document": doc}))
                .collect()),
            _ => Ok(vec![json!({"name": path.display().to_string(), "document": text})]),
        }
    };
    let mut context = Map::new();
    for pair in &args.context {
        let (key, value) = pair
            .split_once('=')
            .with_context(|| format!("--context {pair:?}: expected KEY=VALUE"))?;
        match context.get_mut(key) {
            Some(Value::Array(values)) => values.push(Value::String(value.to_owned())),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(value.to_owned())]);
            }
            None => {
                context.insert(key.to_owned(), Value::String(value.to_owned()));
            }
        }
    }
    Ok(SimulateRequest {
        principal: args.principal.clone(),
        action: args.action.clone().unwrap_or_default(),
        resource: args.resource.clone().unwrap_or_default(),
        context,
        identity_policies: args.policy.iter().map(read_doc).collect::<Result<_>>()?,
        permission_boundary: args.boundary.as_ref().map(read_doc).transpose()?,
        scp_levels: (!args.scp.is_empty())
            .then(|| args.scp.iter().map(read_level).collect::<Result<_>>())
            .transpose()?,
        rcp_levels: (!args.rcp.is_empty())
            .then(|| args.rcp.iter().map(read_level).collect::<Result<_>>())
            .transpose()?,
        session_policies: args
            .session_policy
            .iter()
            .map(read_doc)
            .collect::<Result<_>>()?,
        management_account: args.management_account,
    })
}

/// Runs `rdsiam simulate`.
pub fn run(args: &SimulateArgs) -> Result<Outcome> {
    let (requests, batch) = load_requests(args)?;
    let label = args
        .input
        .as_ref()
        .map(|p| format!("{}: ", p.display()))
        .unwrap_or_default();
    let prepared = requests
        .iter()
        .enumerate()
        .map(|(index, request)| {
            let prefix = if batch {
                format!("[{index}].")
            } else {
                String::new()
            };
            PreparedRequest::from_request(request, &prefix)
                .with_context(|| format!("{label}invalid request"))
        })
        .collect::<Result<Vec<_>>>()?;
    let evaluations: Vec<Evaluation<'_>> = prepared.iter().map(PreparedRequest::evaluate).collect();
    let text = match args.format {
        Format::Json => {
            let mut rendered: Vec<EvaluationJson> = evaluations.iter().map(to_json).collect();
            let value = if batch {
                serde_json::to_string_pretty(&rendered)?
            } else {
                serde_json::to_string_pretty(&rendered.remove(0))?
            };
            value + "\n"
        }
        Format::Table => prepared
            .iter()
            .zip(&evaluations)
            .map(|(prepared, evaluation)| render_table(prepared, evaluation))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    // Control characters from the request reach the terminal escaped (JSON escapes its own).
    let text = crate::redact::escape_controls(&text);
    output::print_stdout(&text)?;
    let met = args
        .expect
        .is_none_or(|expect| evaluations.iter().all(|e| expect.accepts(e.decision)));
    Ok(if met { Outcome::Clean } else { Outcome::Failed })
}
