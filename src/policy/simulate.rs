//! The simulation of one IAM request (`rdsiam simulate`): the request file format, its
//! preparation into a [`Request`] with its policy layers, and the two renderings of the
//! decision with its reason chain (JSON, text). Pure: the command
//! (`crate::commands::simulate`) reads the files and prints; the decision itself is
//! [`super::evaluate`].
//!
//! Closed context: the request's `context` is the whole request context, plus the keys AWS
//! always derives from the principal (`aws:PrincipalArn`, `aws:PrincipalAccount`,
//! `aws:PrincipalType`, and `aws:username` for IAM users) unless the request sets them.

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    Decision, Evaluation, Policy, PolicyDocument, PolicySet, Request, RequestContext,
    RequestPrincipal, evaluate,
};

/// The request file format (see `rdsiam simulate --help`).
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
pub struct EvaluationJson {
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
    effect: Option<super::Effect>,
    why: String,
}

pub fn to_json(evaluation: &Evaluation<'_>) -> EvaluationJson {
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

pub fn render_table(prepared: &PreparedRequest, evaluation: &Evaluation<'_>) -> String {
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
            super::ReasonKind::Allow => "✓",
            super::ReasonKind::ExplicitDeny | super::ReasonKind::NoAllow => "✗",
            _ => "?",
        };
        text.push_str(&format!("  {mark} [{}] {}\n", reason.layer, reason.why()));
    }
    text
}
