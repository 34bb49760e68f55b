//! The statement model: a parsed document's statements with every string-or-array field
//! normalised once, the pre-compiled matchers for actions, resources and principals, and the
//! one function that assembles a statement from its parts (shared by the JSON-value parser in
//! [`super::document`] and the streaming one in [`super::fast_parse`], so they cannot compile
//! patterns differently).

use std::sync::Arc;

use super::condition::Condition;
use super::context::RequestContext;
use super::principal::Principals;
use super::truth::Truth;
use super::variables::Template;
use super::wildcard::{Flavour, Wildcard};

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// The shapes nearly every pattern has, read off the pattern's own text so that the common
/// cases keep no second copy of it (an organization compiles a million patterns; each
/// copy was an allocation, and the memory behind it a page the kernel had to zero).
/// Anything else compiles to a [`Wildcard`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// `*` alone.
    Everything,
    /// No wildcard: the text itself.
    Exact,
    /// The text's first `n` bytes, then a single `*` (`s3:Get*`, `arn:…:role/*`). Under
    /// ARN rules a trailing `*` ends its segment, so it too matches anything after.
    Prefix(usize),
}

impl Shape {
    /// The shape of `raw` when it has one of the cheap forms (the same answers
    /// `Wildcard::compile` gives them).
    fn of(raw: &str) -> Option<Shape> {
        let bytes = raw.as_bytes();
        match memchr::memchr2(b'*', b'?', bytes) {
            None => Some(Shape::Exact),
            Some(0) if bytes == b"*" => Some(Shape::Everything),
            Some(first) if first + 1 == bytes.len() && bytes[first] == b'*' => {
                Some(Shape::Prefix(first))
            }
            Some(_) => None,
        }
    }
}

/// An action pattern (`rds-db:connect`, `rds-db:*`, `*`), matched case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionPattern {
    pub raw: String,
    matcher: ActionMatcher,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ActionMatcher {
    /// Compared with `raw`, ignoring ASCII case.
    Shape(Shape),
    /// Compiled from the lower-cased pattern.
    Compiled(Wildcard),
}

impl ActionPattern {
    pub(super) fn compile(raw: String) -> Self {
        let matcher = match Shape::of(&raw) {
            Some(shape) => ActionMatcher::Shape(shape),
            None => ActionMatcher::Compiled(Wildcard::compile(
                &raw.to_ascii_lowercase(),
                Flavour::Plain,
            )),
        };
        ActionPattern { raw, matcher }
    }

    /// `lower_action` must be lower-case.
    #[inline]
    pub fn matches(&self, lower_action: &str) -> bool {
        // With `lower_action` lower-case, comparing ignoring case is comparing with the
        // lower-cased pattern, which is what IAM's case-insensitive actions mean.
        match &self.matcher {
            ActionMatcher::Shape(Shape::Everything) => true,
            ActionMatcher::Shape(Shape::Exact) => self.raw.eq_ignore_ascii_case(lower_action),
            ActionMatcher::Shape(Shape::Prefix(length)) => lower_action
                .as_bytes()
                .get(..*length)
                .is_some_and(|head| head.eq_ignore_ascii_case(&self.raw.as_bytes()[..*length])),
            ActionMatcher::Compiled(wildcard) => wildcard.matches(lower_action),
        }
    }
}

/// A resource pattern: an ARN with `*`/`?` (case-sensitive), possibly with policy variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePattern {
    pub raw: String,
    matcher: ResourceMatcher,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ResourceMatcher {
    /// Compared with `raw`, case-sensitively.
    Shape(Shape),
    Compiled(Wildcard),
    Template(Template),
}

impl ResourcePattern {
    pub(super) fn compile(raw: String, version_2012: bool) -> Self {
        let matcher = match Template::parse(&raw, version_2012) {
            Some(template) => ResourceMatcher::Template(template),
            None => match Shape::of(&raw) {
                Some(shape) => ResourceMatcher::Shape(shape),
                None => ResourceMatcher::Compiled(Wildcard::compile(&raw, Flavour::Arn)),
            },
        };
        ResourcePattern { raw, matcher }
    }

    /// Whether the pattern matches `resource` without policy variables (`None` for a
    /// template, which needs the request).
    #[inline]
    pub(super) fn matches_plain(&self, resource: &str) -> Option<bool> {
        Some(match &self.matcher {
            ResourceMatcher::Shape(Shape::Everything) => true,
            ResourceMatcher::Shape(Shape::Exact) => self.raw == resource,
            ResourceMatcher::Shape(Shape::Prefix(length)) => resource
                .as_bytes()
                .starts_with(&self.raw.as_bytes()[..*length]),
            ResourceMatcher::Compiled(wildcard) => wildcard.matches(resource),
            ResourceMatcher::Template(_) => return None,
        })
    }

    /// Whether the pattern matches `resource` in this request.
    pub fn matches(&self, resource: &str, context: &RequestContext) -> Truth {
        if let Some(plain) = self.matches_plain(resource) {
            return Truth::from(plain);
        }
        let ResourceMatcher::Template(template) = &self.matcher else {
            return Truth::No;
        };
        let resolved = template.resolve(context);
        if let super::variables::Resolved::Unknown(key) = &resolved {
            return Truth::depends(key);
        }
        Truth::from(
            resolved
                .to_wildcard(Flavour::Arn)
                .is_some_and(|wildcard| wildcard.matches(resource)),
        )
    }
}

/// `Action` or `NotAction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionBlock {
    pub negated: bool,
    pub patterns: Vec<ActionPattern>,
}

impl ActionBlock {
    /// True when the statement covers the action (`lower_action` lower-case).
    #[inline]
    pub fn covers(&self, lower_action: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(lower_action)) != self.negated
    }
}

/// `Resource` or `NotResource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceBlock {
    pub negated: bool,
    pub patterns: Vec<ResourcePattern>,
    /// Some pattern holds policy variables (the slow, three-valued path is needed).
    has_variables: bool,
}

impl ResourceBlock {
    fn new(negated: bool, patterns: Vec<ResourcePattern>) -> Self {
        let has_variables = patterns
            .iter()
            .any(|p| matches!(p.matcher, ResourceMatcher::Template(_)));
        ResourceBlock {
            negated,
            patterns,
            has_variables,
        }
    }

    pub fn covers(&self, resource: &str, context: &RequestContext) -> Truth {
        let any = if self.has_variables {
            Truth::any(self.patterns.iter().map(|p| p.matches(resource, context)))
        } else {
            // Hot path: plain patterns answer yes or no.
            Truth::from(
                self.patterns
                    .iter()
                    .any(|p| p.matches_plain(resource) == Some(true)),
            )
        };
        if self.negated { any.not() } else { any }
    }
}

/// `Principal` or `NotPrincipal` (trust and other resource-based policies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalBlock {
    pub negated: bool,
    pub principals: Principals,
}

/// One statement, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Position in the document's `Statement` list (0-based).
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    pub action: ActionBlock,
    /// Absent in resource-based policies (the resource is the one the policy is attached to).
    pub resource: Option<ResourceBlock>,
    pub principal: Option<PrincipalBlock>,
    pub conditions: Vec<Condition>,
}

impl Statement {
    /// Whether the statement applies to the request: action, resource and conditions.
    /// (Principals are matched by the evaluator for resource-based policies.)
    pub fn applies(&self, lower_action: &str, resource: &str, context: &RequestContext) -> Truth {
        if !self.action.covers(lower_action) {
            return Truth::No;
        }
        let resource_truth = match &self.resource {
            Some(block) => block.covers(resource, context),
            None => Truth::Yes,
        };
        if resource_truth.is_no() || self.conditions.is_empty() {
            return resource_truth;
        }
        let conditions = Truth::all(self.conditions.iter().map(|c| c.evaluate(context)));
        if resource_truth.is_yes() {
            return conditions;
        }
        Truth::all([resource_truth, conditions])
    }

    /// `Statement[3] (Sid "AllowConnect")`-style label for reasons.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) if !sid.is_empty() => format!("Statement[{}] (Sid {sid:?})", self.index),
            _ => format!("Statement[{}]", self.index),
        }
    }
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    pub version: Option<String>,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

/// A policy with the name it is reported under (policy name or ARN).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub name: String,
    /// Shared, because documents repeat: every role trusted by the same service has the
    /// same trust policy, and an organization's index parses each text once.
    pub document: Arc<PolicyDocument>,
}

impl Policy {
    pub fn new(name: impl Into<String>, document: PolicyDocument) -> Self {
        Self::shared(name, Arc::new(document))
    }

    /// A policy holding a document parsed once for several policies.
    pub fn shared(name: impl Into<String>, document: Arc<PolicyDocument>) -> Self {
        Policy {
            name: name.into(),
            document,
        }
    }
}

/// Builds a statement from its normalised parts (shared by both parsers, so they cannot
/// compile patterns differently).
#[allow(clippy::too_many_arguments)]
pub(crate) fn assemble_statement(
    index: usize,
    sid: Option<String>,
    effect: Effect,
    (actions_negated, actions): (bool, Vec<String>),
    resources: Option<(bool, Vec<String>)>,
    principal: Option<PrincipalBlock>,
    conditions: Vec<Condition>,
    version_2012: bool,
) -> Statement {
    Statement {
        index,
        sid,
        effect,
        action: ActionBlock {
            negated: actions_negated,
            patterns: actions.into_iter().map(ActionPattern::compile).collect(),
        },
        resource: resources.map(|(negated, resources)| {
            ResourceBlock::new(
                negated,
                resources
                    .into_iter()
                    .map(|raw| ResourcePattern::compile(raw, version_2012))
                    .collect(),
            )
        }),
        principal,
        conditions,
    }
}
