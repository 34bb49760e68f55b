//! `rdsiam simulate`: one IAM decision (or a batch) with the reason chain, from a request
//! file or from flags. Owns the request file format and its rendering; the decision itself
//! is [`crate::policy::evaluate`].
//!
//! Closed context: the request's `context` is the whole request context, plus the keys AWS
//! always derives from the principal (`aws:PrincipalArn`, `aws:PrincipalAccount`,
//! `aws:PrincipalType`, and `aws:username` for IAM users) unless the request sets them.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::exit::Outcome;
use crate::output;
use crate::policy::{
    Decision, Evaluation, Policy, PolicyDocument, PolicySet, Request, RequestContext,
    RequestPrincipal, evaluate,
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

/// The request file format (see `--help`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulateRequest {
    #[serde(default)]
    pub principal: Option<String>,
    pub action: String,
    pub resource: String,
    #[serde(default)]
    pub context: Map<String, Value>,
    #[serde(default)]
    pub identity_policies: Vec<Value>,
    #[serde(default)]
    pub permission_boundary: Option<Value>,
    #[serde(default)]
    pub scp_levels: Option<Vec<Vec<Value>>>,
    #[serde(default)]
    pub rcp_levels: Option<Vec<Vec<Value>>>,
    #[serde(default)]
    pub session_policies: Vec<Value>,
    #[serde(default)]
    pub management_account: bool,
}

/// A request with its documents parsed, ready to evaluate.
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    pub principal: Option<RequestPrincipal>,
    pub action: String,
    pub resource: String,
    pub context: RequestContext,
    pub identity: Vec<Policy>,
    pub boundary: Option<Policy>,
    pub scp_levels: Option<Vec<Vec<Policy>>>,
    pub rcp_levels: Option<Vec<Vec<Policy>>>,
    pub session: Vec<Policy>,
    pub management_account: bool,
}

impl PreparedRequest {
    /// Parses every document; errors name the JSON path inside the request (`prefix` is
    /// the request's own path in a batch, e.g. `[3].`).
    pub fn from_request(request: &SimulateRequest, prefix: &str) -> Result<PreparedRequest> {
        let policy = |value: &Value, path: String| parse_policy(value, &format!("{prefix}{path}"));
        let levels =
            |levels: &Option<Vec<Vec<Value>>>, field: &str| -> Result<Option<Vec<Vec<Policy>>>> {
                levels
                    .as_ref()
                    .map(|levels| {
                        levels
                            .iter()
                            .enumerate()
                            .map(|(level, docs)| {
                                docs.iter()
                                    .enumerate()
                                    .map(|(index, doc)| {
                                        policy(doc, format!("{field}[{level}][{index}]"))
                                    })
                                    .collect()
                            })
                            .collect()
                    })
                    .transpose()
            };
        let principal = request.principal.as_deref().map(RequestPrincipal::from_arn);
        let context = build_context(&request.context, principal.as_ref(), prefix)?;
        Ok(PreparedRequest {
            identity: request
                .identity_policies
                .iter()
                .enumerate()
                .map(|(index, doc)| policy(doc, format!("identity_policies[{index}]")))
                .collect::<Result<_>>()?,
            boundary: request
                .permission_boundary
                .as_ref()
                .filter(|value| !value.is_null())
                .map(|doc| policy(doc, "permission_boundary".into()))
                .transpose()?,
            scp_levels: levels(&request.scp_levels, "scp_levels")?,
            rcp_levels: levels(&request.rcp_levels, "rcp_levels")?,
            session: request
                .session_policies
                .iter()
                .enumerate()
                .map(|(index, doc)| policy(doc, format!("session_policies[{index}]")))
                .collect::<Result<_>>()?,
            principal,
            action: request.action.clone(),
            resource: request.resource.clone(),
            context,
            management_account: request.management_account,
        })
    }

    /// Evaluates the request.
    pub fn evaluate(&self) -> Evaluation<'_> {
        let identity: Vec<&Policy> = self.identity.iter().collect();
        let scp_levels = level_refs(&self.scp_levels);
        let rcp_levels = level_refs(&self.rcp_levels);
        let session: Vec<&Policy> = self.session.iter().collect();
        let set = PolicySet {
            identity: &identity,
            permission_boundary: self.boundary.as_ref(),
            scp_levels: scp_levels.as_deref(),
            rcp_levels: rcp_levels.as_deref(),
            session: &session,
            management_account: self.management_account,
        };
        let request = Request {
            principal: self.principal.as_ref(),
            action: &self.action,
            resource: &self.resource,
            context: &self.context,
        };
        // The evaluation borrows only the policies (owned by `self`), not the local slices.
        evaluate(&request, &set)
    }
}

fn level_refs(levels: &Option<Vec<Vec<Policy>>>) -> Option<Vec<Vec<&Policy>>> {
    levels
        .as_ref()
        .map(|levels| levels.iter().map(|level| level.iter().collect()).collect())
}

/// A policy given inline as a document object, a JSON / URL-encoded string, or
/// `{"name": …, "document": …}`.
fn parse_policy(value: &Value, path: &str) -> Result<Policy> {
    let (name, document) = match value {
        Value::Object(object) if object.contains_key("document") => {
            let name = object
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(path)
                .to_owned();
            (name, &object["document"])
        }
        other => (path.to_owned(), other),
    };
    let parsed = match document {
        Value::String(text) => PolicyDocument::parse(text),
        other => PolicyDocument::from_value(other),
    };
    let document = parsed.map_err(|err| {
        if err.path.is_empty() {
            anyhow::anyhow!("{path}: {}", err.message)
        } else {
            anyhow::anyhow!("{path}.{err}")
        }
    })?;
    Ok(Policy::new(name, document))
}

fn build_context(
    given: &Map<String, Value>,
    principal: Option<&RequestPrincipal>,
    prefix: &str,
) -> Result<RequestContext> {
    let mut context = RequestContext::closed();
    for (key, value) in given {
        let path = format!("{prefix}context.{key}");
        let scalar = |value: &Value| -> Result<String> {
            match value {
                Value::String(text) => Ok(text.clone()),
                Value::Number(number) => Ok(number.to_string()),
                Value::Bool(flag) => Ok(flag.to_string()),
                _ => bail!("{path}: expected a string or an array of strings"),
            }
        };
        match value {
            Value::Array(items) => {
                let values = items.iter().map(scalar).collect::<Result<_>>()?;
                context.set(key, values, true);
            }
            other => context.set(key, vec![scalar(other)?], false),
        }
    }
    if let Some(principal) = principal {
        derive_principal_keys(&mut context, principal);
    }
    Ok(context)
}

/// Adds the keys AWS puts in every request from the principal, unless already given.
pub fn derive_principal_keys(context: &mut RequestContext, principal: &RequestPrincipal) {
    let mut derive = |key: &str, value: Option<&str>| {
        if let Some(value) = value
            && !context.contains(key)
        {
            context.set(key, vec![value.to_owned()], false);
        }
    };
    derive(
        "aws:PrincipalArn",
        principal
            .arn
            .starts_with("arn:")
            .then_some(principal.arn.as_str()),
    );
    derive("aws:PrincipalAccount", principal.account.as_deref());
    derive("aws:PrincipalType", principal.principal_type());
    derive("aws:username", principal.user_name());
}

/// The JSON form of one evaluation.
#[derive(Debug, Serialize)]
struct EvaluationJson {
    decision: Decision,
    depends_on: Vec<String>,
    reasons: Vec<ReasonJson>,
}

#[derive(Debug, Serialize)]
struct ReasonJson {
    layer: String,
    policy: Option<String>,
    statement: Option<usize>,
    sid: Option<String>,
    effect: Option<crate::policy::Effect>,
    why: String,
}

fn to_json(evaluation: &Evaluation<'_>) -> EvaluationJson {
    EvaluationJson {
        decision: evaluation.decision,
        depends_on: evaluation.depends_on.clone(),
        reasons: evaluation
            .reasons
            .iter()
            .map(|reason| ReasonJson {
                layer: reason.layer.to_string(),
                policy: reason.policy.map(|p| p.name.clone()),
                statement: reason.statement.map(|s| s.index),
                sid: reason.statement.and_then(|s| s.sid.clone()),
                effect: reason.effect(),
                why: reason.why(),
            })
            .collect(),
    }
}

fn render_table(prepared: &PreparedRequest, evaluation: &Evaluation<'_>) -> String {
    let mut text = format!(
        "{} {} on {}\n  decision: {}\n",
        prepared
            .principal
            .as_ref()
            .map(|p| p.arn.as_str())
            .unwrap_or("(no principal)"),
        prepared.action,
        prepared.resource,
        evaluation.decision
    );
    if !evaluation.depends_on.is_empty() {
        text.push_str(&format!(
            "  depends on: {}\n",
            evaluation.depends_on.join(", ")
        ));
    }
    for reason in &evaluation.reasons {
        let mark = match reason.kind {
            crate::policy::ReasonKind::Allow => "✓",
            crate::policy::ReasonKind::ExplicitDeny | crate::policy::ReasonKind::NoAllow => "✗",
            _ => "?",
        };
        text.push_str(&format!("  {mark} [{}] {}\n", reason.layer, reason.why()));
    }
    text
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
