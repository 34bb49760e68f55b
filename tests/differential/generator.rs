//! Deterministic generator of `rdsiam simulate` requests for the differential test.
//!
//! Owns the *shapes* the differential test covers: which principals, actions, resources,
//! context keys, condition operators and policy layers are combined. Every request is kept
//! inside the region where the AWS documentation is unambiguous **and** the oracle
//! (@cloud-copilot/iam-simulate) follows it; each excluded shape is named next to the code that
//! avoids it, with the doc or oracle source that motivates it (details in
//! `tests/oracle/SEMANTICS.md`).
//!
//! It knows nothing about the expected decisions: those come from the oracle and from rdsiam.

use serde_json::{Map, Value, json};

use crate::rng::SplitMix64;

pub const ACCOUNT: &str = "111122223333";
const OTHER_ACCOUNT: &str = "999988887777";
const VERSION_2012: &str = "2012-10-17";

/// Requests per run: enough for every oracle mutant to flip (SEMANTICS.md, "Power of the
/// generated set") while one rdsiam process per request stays around ten seconds.
pub const CASES: usize = 1000;
const SEED: u64 = 0x5EED_0F1A_0C1E;

/// All generated requests, in a stable order.
///
/// `RDSIAM_DIFF_CASES` and `RDSIAM_DIFF_SEED` (decimal or 0x-hex) override the defaults for a
/// longer soak run; the default run is the same everywhere so a failure reproduces from its
/// case number alone.
pub fn requests() -> Vec<Value> {
    let cases = env_number("RDSIAM_DIFF_CASES").map_or(CASES, |n| n as usize);
    let mut rng = SplitMix64::new(env_number("RDSIAM_DIFF_SEED").unwrap_or(SEED));
    (0..cases).map(|_| request(&mut rng)).collect()
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    Some(parsed.unwrap_or_else(|e| panic!("{name}={text:?} is not a number: {e}")))
}

// ---------------------------------------------------------------------------------------------
// The world: principals and the resources they ask for.

struct Principal {
    arn: &'static str,
    /// `aws:PrincipalArn`: the role ARN for an assumed-role session.
    principal_arn: &'static str,
    /// `aws:username` is present only for IAM users.
    username: Option<&'static str>,
    /// Session policies exist only for role sessions (the oracle also refuses them otherwise).
    is_session: bool,
}

const PRINCIPALS: &[Principal] = &[
    Principal {
        arn: "arn:aws:iam::111122223333:role/app",
        principal_arn: "arn:aws:iam::111122223333:role/app",
        username: None,
        is_session: false,
    },
    Principal {
        arn: "arn:aws:sts::111122223333:assumed-role/app/session-1",
        principal_arn: "arn:aws:iam::111122223333:role/app",
        username: None,
        is_session: true,
    },
    Principal {
        arn: "arn:aws:iam::111122223333:role/dba/admin",
        principal_arn: "arn:aws:iam::111122223333:role/dba/admin",
        username: None,
        is_session: false,
    },
    Principal {
        arn: "arn:aws:iam::111122223333:user/alice",
        principal_arn: "arn:aws:iam::111122223333:user/alice",
        username: Some("alice"),
        is_session: false,
    },
    Principal {
        arn: "arn:aws:iam::111122223333:user/ops/pgmonitor",
        principal_arn: "arn:aws:iam::111122223333:user/ops/pgmonitor",
        username: Some("pgmonitor"),
        is_session: false,
    },
];

const REGIONS: &[&str] = &["us-east-1", "eu-west-1"];
const DB_RESOURCE_IDS: &[&str] = &["db-ABCDEFGHIJKL01234", "cluster-QWERTYUIOP567"];
/// DB user names are case-sensitive in the ARN; `pgxmonitor` catches `.` treated as a regex.
const DB_USERS: &[&str] = &["pgmonitor", "pgxmonitor", "app_rw", "alice", "Alice"];
const ROLES: &[&str] = &[
    "arn:aws:iam::111122223333:role/target",
    "arn:aws:iam::111122223333:role/db/connect-dba",
];
const S3_OBJECT: &str = "arn:aws:s3:::app-bucket/reports/2026/q1.csv";
const S3_BUCKET: &str = "arn:aws:s3:::app-bucket";

/// What is being asked for. Resource accounts always equal the principal's: cross-account
/// access needs a resource policy, which the simulate request format does not carry.
#[derive(Clone)]
enum Target {
    RdsDb {
        region: &'static str,
        resource_id: &'static str,
        user: &'static str,
    },
    AssumeRole {
        role: &'static str,
    },
    S3 {
        action: &'static str,
        arn: &'static str,
    },
}

impl Target {
    fn action(&self) -> &'static str {
        match self {
            Target::RdsDb { .. } => "rds-db:connect",
            Target::AssumeRole { .. } => "sts:AssumeRole",
            Target::S3 { action, .. } => action,
        }
    }

    fn resource(&self) -> String {
        match self {
            Target::RdsDb {
                region,
                resource_id,
                user,
            } => rds_db_arn(region, ACCOUNT, resource_id, user),
            Target::AssumeRole { role } => role.to_string(),
            Target::S3 { arn, .. } => arn.to_string(),
        }
    }

    /// RCPs apply only to the services listed in the Organizations docs; rds-db is not one
    /// of them, while the oracle applies RCPs to every service (it has no such list). So RCPs
    /// are generated for sts and s3 only (SEMANTICS.md point 5).
    fn rcp_applies(&self) -> bool {
        !matches!(self, Target::RdsDb { .. })
    }
}

fn rds_db_arn(region: &str, account: &str, resource_id: &str, user: &str) -> String {
    format!("arn:aws:rds-db:{region}:{account}:dbuser:{resource_id}/{user}")
}

fn target(rng: &mut SplitMix64) -> Target {
    match rng.below(10) {
        0..=5 => Target::RdsDb {
            region: rng.pick_copy(REGIONS),
            resource_id: rng.pick_copy(DB_RESOURCE_IDS),
            user: rng.pick_copy(DB_USERS),
        },
        6 | 7 => Target::AssumeRole {
            role: rng.pick_copy(ROLES),
        },
        _ => {
            let (action, arn) = *rng.pick(&[
                ("s3:GetObject", S3_OBJECT),
                ("s3:PutObject", S3_OBJECT),
                ("s3:ListBucket", S3_BUCKET),
            ]);
            Target::S3 { action, arn }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The request.

fn request(rng: &mut SplitMix64) -> Value {
    let principal = rng.pick(PRINCIPALS);
    let target = target(rng);
    let context = context(rng, principal, &target);
    let mut request = Map::new();
    request.insert("principal".into(), json!(principal.arn));
    request.insert("action".into(), json!(target.action()));
    request.insert("resource".into(), json!(target.resource()));
    request.insert("context".into(), Value::Object(context));

    let style = if rng.chance(45) {
        Style::Focused
    } else {
        Style::Broad
    };
    let identity_count = match style {
        Style::Broad => *rng.pick(&[0, 1, 1, 1, 2, 2, 3]),
        Style::Focused => 1,
    };
    let identity: Vec<Value> = (0..identity_count)
        .map(|_| policy(rng, &target, Layer::Identity, style))
        .collect();
    request.insert("identity_policies".into(), Value::Array(identity));

    if rng.chance(25) {
        request.insert(
            "permission_boundary".into(),
            policy(rng, &target, Layer::Boundary, style),
        );
    } else if rng.chance(50) {
        request.insert("permission_boundary".into(), Value::Null);
    }
    if rng.chance(35) {
        let levels = rng.between(1, 3);
        let scps = (0..levels)
            .map(|_| scp_level(rng, &target, style))
            .collect();
        request.insert("scp_levels".into(), Value::Array(scps));
    }
    if target.rcp_applies() && rng.chance(40) {
        let levels = rng.between(1, 3);
        let rcps = (0..levels).map(|_| rcp_level(rng, &target)).collect();
        request.insert("rcp_levels".into(), Value::Array(rcps));
    }
    // One session policy at most: the oracle takes a single one, and how AWS combines an
    // inline session policy with managed session-policy ARNs is not needed by rdsiam.
    if principal.is_session && rng.chance(45) {
        let session = policy(rng, &target, Layer::Session, style);
        request.insert("session_policies".into(), json!([session]));
    }
    let mut request = Value::Object(request);
    anchor_conditions_to_context(rng, &mut request);
    request
}

// ---------------------------------------------------------------------------------------------
// Anchoring condition values to the request context.

/// Values drawn from fixed pools rarely sit exactly on the context's value, yet that is where
/// operators differ: `<` vs `<=`, `Equals` vs `EqualsIgnoreCase`, `?` as exactly one character,
/// a /32 range. So after a request is built, some condition values are replaced by one derived
/// from the context value of the same key (only literal values: a policy variable is never
/// replaced, and the replacement is a literal, so the variable rules of `statement` still hold).
fn anchor_conditions_to_context(rng: &mut SplitMix64, request: &mut Value) {
    let context = request["context"].clone();
    let mut documents: Vec<&mut Value> = Vec::new();
    let Value::Object(fields) = request else {
        unreachable!("a request is an object")
    };
    for (field, value) in fields.iter_mut() {
        match field.as_str() {
            "identity_policies" | "session_policies" => {
                documents.extend(value.as_array_mut().into_iter().flatten());
            }
            "permission_boundary" if value.is_object() => documents.push(value),
            "scp_levels" | "rcp_levels" => documents.extend(
                value
                    .as_array_mut()
                    .into_iter()
                    .flatten()
                    .flat_map(|level| level.as_array_mut().into_iter().flatten()),
            ),
            _ => {}
        }
    }
    for document in documents {
        let statements = match &mut document["Statement"] {
            Value::Array(list) => list.iter_mut().collect::<Vec<_>>(),
            single => vec![single],
        };
        for statement in statements {
            let Some(Value::Object(block)) = statement.get_mut("Condition") else {
                continue;
            };
            for (operator, keys) in block.iter_mut() {
                for (key, values) in keys.as_object_mut().into_iter().flatten() {
                    let Some(actual) = context_value(rng, &context, key) else {
                        continue;
                    };
                    if !rng.chance(40) {
                        continue;
                    }
                    let first = match values {
                        Value::Array(list) => list.first_mut(),
                        single => Some(single),
                    };
                    let Some(first) = first else { continue };
                    if first.as_str().is_some_and(|v| v.contains("${")) {
                        continue;
                    }
                    if let Some(anchored) = anchored_value(rng, operator, &actual) {
                        *first = json!(anchored);
                    }
                }
            }
        }
    }
}

/// The context value of `key` (one element of a multi-valued key), if present.
fn context_value(rng: &mut SplitMix64, context: &Value, key: &str) -> Option<String> {
    match context.get(key)? {
        Value::String(value) => Some(value.clone()),
        Value::Array(values) if !values.is_empty() => {
            values[rng.below(values.len())].as_str().map(String::from)
        }
        _ => None,
    }
}

/// A policy value for `operator` derived from the context value `actual`: equal, or a near
/// miss that only a correct implementation tells apart.
fn anchored_value(rng: &mut SplitMix64, operator: &str, actual: &str) -> Option<String> {
    let base = operator.rsplit(':').next().unwrap_or(operator);
    let base = base.strip_suffix("IfExists").unwrap_or(base);
    let value = match base {
        "Null" => return None,
        "StringEquals"
        | "StringNotEquals"
        | "StringEqualsIgnoreCase"
        | "StringNotEqualsIgnoreCase" => {
            if rng.chance(50) {
                actual.to_string()
            } else {
                swap_case(actual)
            }
        }
        "StringLike" | "StringNotLike" => {
            let chars: Vec<char> = actual.chars().collect();
            match rng.below(3) {
                // Exactly one character: matches.
                0 if !chars.is_empty() => {
                    let at = rng.below(chars.len());
                    let mut pattern = chars.clone();
                    pattern[at] = '?';
                    pattern.into_iter().collect()
                }
                // One character too many: must not match.
                1 => format!("{actual}?"),
                _ => format!(
                    "{}*",
                    chars.iter().take(chars.len() / 2).collect::<String>()
                ),
            }
        }
        "ArnEquals" | "ArnLike" | "ArnNotEquals" | "ArnNotLike" => match rng.below(3) {
            0 => actual.to_string(),
            1 => format!("{}?", &actual[..actual.len() - 1]),
            _ => swap_case(actual),
        },
        "IpAddress" | "NotIpAddress" => {
            if actual.contains(':') {
                format!("{actual}/128")
            } else if rng.chance(50) {
                format!("{actual}/32")
            } else {
                let network = actual.rsplit_once('.').map_or(actual, |(n, _)| n);
                format!("{network}.0/24")
            }
        }
        // Numeric, Date, Bool: the very value (boundaries of <, <=, >, >=, =).
        _ => actual.to_string(),
    };
    Some(value)
}

/// ASCII case flipped, so the result differs from the input whenever it has a letter.
fn swap_case(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Request context (closed world: a key not listed is absent).

const TEAMS: &[&str] = &["dba", "dev", "DBA", "db"];
const ENVS: &[&str] = &["prod", "staging"];
const ORG_IDS: &[&str] = &["o-abc123", "o-zzz999"];
const TAG_KEYS: &[&str] = &["team", "env", "cost-center"];
const CALLED_VIA: &[&str] = &["athena.amazonaws.com", "rds.amazonaws.com"];
/// (aws:CurrentTime, aws:EpochTime) for the same instant.
const TIMES: &[(&str, &str)] = &[
    ("2025-12-31T23:59:59Z", "1767225599"),
    ("2026-01-01T00:00:00Z", "1767225600"),
    ("2026-06-15T12:00:00Z", "1781524800"),
];
/// Only canonical, non-mapped addresses: the oracle mis-parses IPv4-mapped IPv6
/// (`::ffff:10.1.2.3`) and compares bare IPv6 values as strings (SEMANTICS.md point 11).
const SOURCE_IPS: &[&str] = &[
    "10.1.2.3",
    "10.9.9.9",
    "192.168.1.1",
    "203.0.113.7",
    "2001:db8:1234::1",
    "2001:db8:ffff::5",
    "fd12::1",
];

fn context(rng: &mut SplitMix64, principal: &Principal, target: &Target) -> Map<String, Value> {
    let mut ctx = Map::new();
    // Derived keys are given explicitly so the comparison never turns on how each engine
    // derives them from the principal.
    ctx.insert("aws:PrincipalArn".into(), json!(principal.principal_arn));
    ctx.insert("aws:PrincipalAccount".into(), json!(ACCOUNT));
    if let Some(username) = principal.username {
        ctx.insert("aws:username".into(), json!(username));
    }
    let mut maybe = |rng: &mut SplitMix64, key: &str, value: Value| {
        if rng.chance(60) {
            ctx.insert(key.into(), value);
        }
    };
    let team = json!(rng.pick(TEAMS));
    maybe(rng, "aws:PrincipalTag/team", team);
    let env = json!(rng.pick(ENVS));
    maybe(rng, "aws:PrincipalTag/env", env);
    let dbuser = json!(rng.pick(&["pgmonitor", "app_rw"]));
    maybe(rng, "aws:PrincipalTag/dbuser", dbuser);
    let org = json!(rng.pick(ORG_IDS));
    maybe(rng, "aws:PrincipalOrgID", org);
    let region = match target {
        Target::RdsDb { region, .. } => *region,
        _ => rng.pick(REGIONS),
    };
    maybe(rng, "aws:RequestedRegion", json!(region));
    let ip = json!(rng.pick(SOURCE_IPS));
    maybe(rng, "aws:SourceIp", ip);
    let secure = json!(rng.pick(&["true", "false"]));
    maybe(rng, "aws:SecureTransport", secure);
    let via = json!(rng.pick(&["true", "false"]));
    maybe(rng, "aws:ViaAWSService", via);
    let count = rng_count(rng, TAG_KEYS.len());
    let tag_keys = json!(rng.pick_distinct(TAG_KEYS, count));
    maybe(rng, "aws:TagKeys", tag_keys);
    let count = rng_count(rng, CALLED_VIA.len());
    let called_via = json!(rng.pick_distinct(CALLED_VIA, count));
    maybe(rng, "aws:CalledVia", called_via);
    if rng.chance(15) {
        ctx.insert(
            "aws:SourceArn".into(),
            json!("arn:aws:rds:us-east-1:111122223333:db:mydb"),
        );
    }
    if rng.chance(70) {
        let (iso, epoch) = *rng.pick(TIMES);
        ctx.insert("aws:CurrentTime".into(), json!(iso));
        ctx.insert("aws:EpochTime".into(), json!(epoch));
    }
    if rng.chance(50) {
        let mfa = rng.chance(60);
        ctx.insert("aws:MultiFactorAuthPresent".into(), json!(mfa.to_string()));
        if mfa {
            let age = rng.pick(&["60", "3600", "7200", "90000"]);
            ctx.insert("aws:MultiFactorAuthAge".into(), json!(age));
        }
    }
    ctx
}

/// 1..=max values for a multi-valued key; never an empty set (how an empty set differs from
/// an absent key is not something the docs settle for every operator).
fn rng_count(rng: &mut SplitMix64, max: usize) -> usize {
    rng.between(1, max)
}

// ---------------------------------------------------------------------------------------------
// Policies and statements.

/// How a request's statements are drawn. `Broad` mixes matching and non-matching actions and
/// resources, to exercise Action/Resource matching. `Focused` makes every statement's action
/// and resource match the request and always adds a condition, so the condition decides: that
/// is what gives each condition operator the power to expose a wrong implementation (measured
/// by mutating the oracle; see SEMANTICS.md, "Power of the generated set").
#[derive(Clone, Copy, PartialEq)]
enum Style {
    Broad,
    Focused,
}

#[derive(Clone, Copy, PartialEq)]
enum Layer {
    Identity,
    Boundary,
    Session,
}

fn policy(rng: &mut SplitMix64, target: &Target, layer: Layer, style: Style) -> Value {
    let count = match style {
        Style::Broad => rng.between(1, 3),
        Style::Focused => rng.between(1, 2),
    };
    let statements: Vec<Value> = (0..count)
        .map(|index| {
            let deny_percent = if layer == Layer::Identity { 25 } else { 15 };
            // A focused policy leads with an Allow, so its condition can grant.
            let effect = if (style == Style::Focused && index == 0) || !rng.chance(deny_percent) {
                "Allow"
            } else {
                "Deny"
            };
            let mut statement = match style {
                Style::Broad => statement(rng, target, effect),
                Style::Focused => focused_statement(rng, target, effect),
            };
            // IAM requires Sids to be unique within a policy.
            if statement.get("Sid").is_some() {
                statement["Sid"] = json!(format!("S{index}"));
            }
            statement
        })
        .collect();
    document(rng, statements)
}

/// Wraps statements in a document. `Statement` may be a bare object (AWS accepts one
/// statement without the array). `Version` is 2012-10-17 unless the document uses no policy
/// variable: under 2008-10-17 (also the default when `Version` is absent) AWS treats
/// `${...}` literally, the oracle substitutes anyway (SEMANTICS.md point 1).
fn document(rng: &mut SplitMix64, statements: Vec<Value>) -> Value {
    let statement = if statements.len() == 1 && rng.chance(20) {
        statements.into_iter().next().expect("one statement")
    } else {
        Value::Array(statements)
    };
    let uses_variables = statement.to_string().contains("${");
    let mut doc = Map::new();
    match rng.below(10) {
        0 if !uses_variables => {}
        1 if !uses_variables => {
            doc.insert("Version".into(), json!("2008-10-17"));
        }
        _ => {
            doc.insert("Version".into(), json!(VERSION_2012));
        }
    }
    doc.insert("Statement".into(), statement);
    Value::Object(doc)
}

fn statement(rng: &mut SplitMix64, target: &Target, effect: &str) -> Value {
    let mut s = Map::new();
    if rng.chance(20) {
        s.insert("Sid".into(), json!(format!("S{}", rng.below(1000))));
    }
    s.insert("Effect".into(), json!(effect));
    let action_key = if rng.chance(15) {
        "NotAction"
    } else {
        "Action"
    };
    let actions = actions(rng, target);
    s.insert(action_key.into(), one_or_many(rng, actions));
    let not_resource = rng.chance(15);
    // A variable whose key may be missing makes AWS treat the statement as not applying
    // ("might cause the entire statement to be invalid", reference_policies_variables).
    // That reading and the oracle's agree only for Allow statements with a lone Resource
    // value, so that is the only place such variables go.
    let missing_vars_ok = effect == "Allow" && !not_resource;
    let resources = resources(rng, target, !not_resource, missing_vars_ok);
    let resource_key = if not_resource {
        "NotResource"
    } else {
        "Resource"
    };
    s.insert(resource_key.into(), one_or_many(rng, resources));
    if rng.chance(50) {
        s.insert("Condition".into(), condition_block(rng, effect == "Allow"));
    }
    Value::Object(s)
}

/// A statement whose action and resource match the request (bar the occasional NotAction or
/// NotResource naming something else, which matches too), with a condition block that decides.
fn focused_statement(rng: &mut SplitMix64, target: &Target, effect: &str) -> Value {
    let mut s = Map::new();
    s.insert("Effect".into(), json!(effect));
    if rng.chance(10) {
        let other = rng.pick(&["iam:PassRole", "rds:*", "s3:DeleteObject", "sts:TagSession"]);
        s.insert("NotAction".into(), json!(other));
    } else {
        let action = rng.pick_copy(matching_actions(target));
        s.insert("Action".into(), one_or_many(rng, vec![action.to_string()]));
    }
    if rng.chance(10) {
        s.insert("NotResource".into(), json!(non_matching_resource(target)));
    } else {
        let resource = matching_resource(rng, target);
        s.insert("Resource".into(), one_or_many(rng, vec![resource]));
    }
    s.insert("Condition".into(), condition_block(rng, effect == "Allow"));
    Value::Object(s)
}

fn matching_actions(target: &Target) -> &'static [&'static str] {
    match target {
        Target::RdsDb { .. } => &[
            "rds-db:connect",
            "rds-db:*",
            "RDS-DB:Connect",
            "rds-db:Conn*",
            "rds-db:c?nnect",
            "*",
        ],
        Target::AssumeRole { .. } => &[
            "sts:AssumeRole",
            "sts:*",
            "STS:assumerole",
            "sts:Assume*",
            "*",
        ],
        Target::S3 {
            action: "s3:ListBucket",
            ..
        } => &["s3:ListBucket", "s3:List*", "s3:*", "*"],
        Target::S3 { .. } => &["s3:*Object", "s3:*", "*"],
    }
}

fn matching_resource(rng: &mut SplitMix64, target: &Target) -> String {
    match target {
        Target::RdsDb {
            region,
            resource_id,
            user,
        } => {
            let forms = [
                "*".to_string(),
                target.resource(),
                format!("arn:aws:rds-db:{region}:{ACCOUNT}:dbuser:{resource_id}/*"),
                format!("arn:aws:rds-db:*:{ACCOUNT}:dbuser:*/{user}"),
                format!("arn:aws:rds-db:{region}:{ACCOUNT}:*"),
            ];
            rng.pick(&forms).clone()
        }
        Target::AssumeRole { .. } => {
            let forms = [
                "*".to_string(),
                target.resource(),
                "arn:aws:iam::111122223333:role/*".into(),
            ];
            rng.pick(&forms).clone()
        }
        Target::S3 { .. } => {
            let forms = [
                "*".to_string(),
                target.resource(),
                "arn:aws:s3:::app-bucket*".into(),
            ];
            rng.pick(&forms).clone()
        }
    }
}

fn non_matching_resource(target: &Target) -> &'static str {
    match target {
        Target::RdsDb { .. } => "arn:aws:rds-db:us-east-1:999988887777:dbuser:*/*",
        Target::AssumeRole { .. } => "arn:aws:iam::999988887777:role/*",
        Target::S3 { .. } => "arn:aws:s3:::other-bucket/*",
    }
}

/// A single value is written as a bare string half of the time (AWS accepts both forms).
fn one_or_many(rng: &mut SplitMix64, values: Vec<String>) -> Value {
    if values.len() == 1 && rng.chance(50) {
        json!(values[0])
    } else {
        json!(values)
    }
}

fn actions(rng: &mut SplitMix64, target: &Target) -> Vec<String> {
    // Patterns near the target make matches likely; the rest probe the wildcard rules:
    // case-insensitive actions, `?` as one character, `rds:*` not covering `rds-db:`.
    let near: &[&str] = match target {
        Target::RdsDb { .. } => &[
            "rds-db:connect",
            "rds-db:*",
            "RDS-DB:Connect",
            "rds-db:Conn*",
            "rds-db:c?nnect",
            "rds-db:connect?",
            "rds:*",
        ],
        Target::AssumeRole { .. } => &[
            "sts:AssumeRole",
            "sts:*",
            "STS:assumerole",
            "sts:Assume*",
            "sts:AssumeRole?",
            "sts:AssumeRoleWith*",
        ],
        Target::S3 { .. } => &[
            "s3:GetObject",
            "s3:PutObject",
            "s3:ListBucket",
            "s3:Get*",
            "s3:*Object",
            "s3:*",
            "s3:List?ucket",
        ],
    };
    let far: &[&str] = &["*", "iam:PassRole", "rds-db:*", "sts:AssumeRole", "s3:*"];
    let count = rng.between(1, 2);
    (0..count)
        .map(|_| {
            let pool = if rng.chance(75) { near } else { far };
            rng.pick(pool).to_string()
        })
        .collect()
}

/// Resource patterns for a statement. `positive` is false for NotResource. Only full
/// six-part ARN patterns (or `*`) are used except `arn:aws:rds-db:*` in a positive Resource:
/// AWS lets a segment-final `*` run across colons while the oracle pads short ARNs with `*`
/// segments; the two agree on these shapes and differ on others (SEMANTICS.md points 7-8).
fn resources(
    rng: &mut SplitMix64,
    target: &Target,
    positive: bool,
    missing_vars_ok: bool,
) -> Vec<String> {
    let with_missing_var = missing_vars_ok && rng.chance(20);
    if with_missing_var {
        return vec![resource_with_maybe_missing_var(rng, target)];
    }
    let count = rng.between(1, 2);
    (0..count)
        .map(|_| resource_pattern(rng, target, positive))
        .collect()
}

fn resource_with_maybe_missing_var(rng: &mut SplitMix64, target: &Target) -> String {
    match target {
        Target::RdsDb {
            region,
            resource_id,
            ..
        } => {
            let user = rng.pick(&["${aws:username}", "${aws:PrincipalTag/dbuser}"]);
            rds_db_arn(region, ACCOUNT, resource_id, user)
        }
        Target::AssumeRole { .. } => {
            "arn:aws:iam::111122223333:role/db/connect-${aws:PrincipalTag/team}".into()
        }
        Target::S3 { .. } => "arn:aws:s3:::app-bucket/${aws:username}/*".into(),
    }
}

fn resource_pattern(rng: &mut SplitMix64, target: &Target, positive: bool) -> String {
    if rng.chance(12) {
        return "*".into();
    }
    match target {
        Target::RdsDb {
            region,
            resource_id,
            user,
        } => rds_db_pattern(rng, region, resource_id, user, positive),
        Target::AssumeRole { role } => {
            let pool = [
                role.to_string(),
                "arn:aws:iam::111122223333:role/target".into(),
                "arn:aws:iam::111122223333:role/*".into(),
                "arn:aws:iam::*:role/db/*".into(),
                "arn:aws:iam::111122223333:role/db/connect-*".into(),
                "arn:aws:iam::111122223333:role/Target".into(),
                "arn:aws:iam::999988887777:role/target".into(),
                // Always resolvable (default value), so fine in any statement.
                "arn:aws:iam::111122223333:role/db/connect-${aws:PrincipalTag/team, 'dba'}".into(),
            ];
            rng.pick(&pool).clone()
        }
        Target::S3 { .. } => rng
            .pick(&[
                S3_OBJECT,
                S3_BUCKET,
                "arn:aws:s3:::app-bucket/*",
                "arn:aws:s3:::app-bucket/reports/*",
                "arn:aws:s3:::app-bucket/*/q?.csv",
                "arn:aws:s3:::App-Bucket/*",
                "arn:aws:s3:::*",
                "arn:aws:s3:::app-bucket/reports/2026/q1.csv*",
                "arn:aws:s3:::app-bucket/${aws:PrincipalTag/team, 'dba'}/*",
            ])
            .to_string(),
    }
}

fn rds_db_pattern(
    rng: &mut SplitMix64,
    region: &str,
    resource_id: &str,
    user: &str,
    positive: bool,
) -> String {
    match rng.below(12) {
        0 if positive => "arn:aws:rds-db:*".into(),
        1 => format!("arn:aws:rds-db:{region}:{ACCOUNT}:*"),
        2 => format!("arn:aws:rds-db:{region}:{ACCOUNT}:dbuser:*"),
        3 => format!("arn:aws:rds-db:{region}:{ACCOUNT}:dbuser:{resource_id}*"),
        4 => format!("arn:aws:rds:{region}:{ACCOUNT}:db:mydb"),
        _ => {
            // Segment by segment, each either the target's value (likely match), another
            // value, or a wildcard form. Partition, service and the `dbuser` resource type
            // stay literal: AWS forbids wildcards in the service segment, and the oracle
            // requires the resource type to match literally (SEMANTICS.md points 7-8).
            let region = pick_segment(rng, region, REGIONS, &["*", "us-east-?", "us-*", "*-1"]);
            let account = pick_segment(
                rng,
                ACCOUNT,
                &[ACCOUNT, OTHER_ACCOUNT],
                // No policy variable here: the oracle substitutes variables only in the
                // resource part of an ARN (SEMANTICS.md, "Policy variables").
                &["*", "1111222233??"],
            );
            let id = pick_segment(
                rng,
                resource_id,
                DB_RESOURCE_IDS,
                &[
                    "*",
                    "db-*",
                    "cluster-*",
                    "db-ABCDEFGHIJKL0123?",
                    "db-abcdefghijkl01234",
                ],
            );
            let user = pick_segment(
                rng,
                user,
                DB_USERS,
                &[
                    "*",
                    "pg*",
                    "app_??",
                    "pg.monitor",
                    "pgmonitor?",
                    "${aws:username, 'pgmonitor'}",
                    "${aws:PrincipalTag/dbuser, 'app_rw'}",
                ],
            );
            rds_db_arn(&region, &account, &id, &user)
        }
    }
}

fn pick_segment(rng: &mut SplitMix64, own: &str, others: &[&str], wild: &[&str]) -> String {
    match rng.below(10) {
        0..=4 => own.to_string(),
        5 | 6 => rng.pick(others).to_string(),
        _ => rng.pick(wild).to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Conditions.

/// One to two operators, each with one or two keys: operators AND, keys AND, values OR
/// (NOR for negated operators) — reference_policies_multi-value-conditions.
fn condition_block(rng: &mut SplitMix64, is_allow: bool) -> Value {
    let mut block = Map::new();
    let operators = if rng.chance(65) { 1 } else { 2 };
    for _ in 0..operators {
        let (operator, key, values) = condition(rng, is_allow);
        let entry = block
            .entry(operator)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(keys) = entry {
            keys.entry(key).or_insert(values);
        }
    }
    Value::Object(block)
}

const STRING_OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
];
const NUMERIC_OPERATORS: &[&str] = &[
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
];
const DATE_OPERATORS: &[&str] = &[
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
];
const ARN_OPERATORS: &[&str] = &["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"];
const SET_BASE_OPERATORS: &[&str] = &[
    "StringEquals",
    "StringLike",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotLike",
];

/// (operator, key, value-or-values). Operator names are always in AWS's documented case:
/// the oracle matches them case-insensitively, AWS's grammar lists one spelling
/// (SEMANTICS.md, "Values and combination").
fn condition(rng: &mut SplitMix64, is_allow: bool) -> (String, String, Value) {
    let if_exists = rng.chance(25);
    let suffix = if if_exists { "IfExists" } else { "" };
    let (base, key, values): (String, &str, Vec<String>) = match rng.below(10) {
        0..=2 => {
            let op = *rng.pick(STRING_OPERATORS);
            let (key, values) = string_condition_values(rng, op, is_allow && !if_exists);
            (op.into(), key, values)
        }
        3 => {
            let op = rng.pick(NUMERIC_OPERATORS).to_string();
            let values = some_of(rng, &["300", "3600", "86400"]);
            (op, "aws:MultiFactorAuthAge", values)
        }
        4 => {
            let op = rng.pick(DATE_OPERATORS).to_string();
            // Each key is compared with values of its own form only: the oracle compares
            // epoch seconds with ISO milliseconds (SEMANTICS.md point 10).
            if rng.chance(60) {
                let values = some_of(
                    rng,
                    &[
                        "2026-01-01T00:00:00Z",
                        "2026-01-01T01:00:00+01:00",
                        "2025-06-01T00:00:00Z",
                        "2026-03-01T00:00:00.000Z",
                    ],
                );
                (op, "aws:CurrentTime", values)
            } else {
                let values = some_of(rng, &["1767225600", "1735689600", "1798761600"]);
                (op, "aws:EpochTime", values)
            }
        }
        5 => {
            let key = *rng.pick(&[
                "aws:SecureTransport",
                "aws:MultiFactorAuthPresent",
                "aws:ViaAWSService",
            ]);
            let value = rng.pick(&["true", "false"]).to_string();
            ("Bool".into(), key, vec![value])
        }
        6 => {
            let op = rng.pick(&["IpAddress", "NotIpAddress"]).to_string();
            // No /0: the oracle's IPv4 mask for /0 is wrong. No bare address: the oracle's
            // NotIpAddress with a bare IPv4 value is false for an IPv6 source
            // (SEMANTICS.md point 11).
            let values = some_of(
                rng,
                &[
                    "10.0.0.0/8",
                    "10.1.2.0/24",
                    "192.168.0.0/16",
                    "128.0.0.0/1",
                    "203.0.113.7/32",
                    "2001:db8::/32",
                    "2001:db8:1234::/48",
                    "fd00::/8",
                ],
            );
            (op, "aws:SourceIp", values)
        }
        7 => {
            let op = rng.pick(ARN_OPERATORS).to_string();
            let key = if rng.chance(75) {
                "aws:PrincipalArn"
            } else {
                "aws:SourceArn"
            };
            let values = some_of(
                rng,
                &[
                    "arn:aws:iam::111122223333:role/app",
                    "arn:aws:iam::111122223333:role/*",
                    "arn:aws:iam::*:role/dba/*",
                    "arn:aws:iam::111122223333:user/*",
                    "arn:aws:iam::111122223333:role/App",
                    "arn:aws:iam::1111222233??:*",
                    "arn:aws:rds:*:111122223333:db:*",
                ],
            );
            (op, key, values)
        }
        8 => {
            // Null takes no IfExists form.
            let key = *rng.pick(&[
                "aws:PrincipalTag/team",
                "aws:SourceIp",
                "aws:username",
                "aws:TagKeys",
                "aws:MultiFactorAuthAge",
                "aws:SourceArn",
            ]);
            let value = rng.pick(&["true", "false"]).to_string();
            return ("Null".into(), key.into(), json!(value));
        }
        _ => {
            // Set qualifiers only on multi-valued keys, and multi-valued keys only with set
            // qualifiers: without one, AWS and the oracle disagree on nothing documented
            // (SEMANTICS.md point 12).
            let qualifier = rng.pick(&["ForAllValues", "ForAnyValue"]);
            let op = rng.pick(SET_BASE_OPERATORS);
            let (key, pool): (&str, &[&str]) = if rng.chance(60) {
                ("aws:TagKeys", &["team", "env", "Team", "cost-*"])
            } else {
                (
                    "aws:CalledVia",
                    &[
                        "athena.amazonaws.com",
                        "rds.amazonaws.com",
                        "*.amazonaws.com",
                    ],
                )
            };
            let values = some_of(rng, pool);
            return (
                format!("{qualifier}:{op}"),
                key.into(),
                string_or_array(rng, values),
            );
        }
    };
    let operator = format!("{base}{suffix}");
    (operator, key.into(), string_or_array(rng, values))
}

/// Keys and values for the String* family. Values may hold policy variables: ones that
/// always resolve anywhere; ones that may be missing only alone in a non-negated Allow
/// condition without IfExists (see `statement`).
fn string_condition_values(
    rng: &mut SplitMix64,
    operator: &str,
    missing_vars_ok: bool,
) -> (&'static str, Vec<String>) {
    let negated = operator.contains("Not");
    if missing_vars_ok && !negated && rng.chance(15) {
        let (key, value) = *rng.pick(&[
            ("aws:PrincipalTag/dbuser", "${aws:username}"),
            ("aws:username", "${aws:PrincipalTag/dbuser}"),
            ("aws:PrincipalTag/team", "${aws:PrincipalTag/env}"),
        ]);
        return (key, vec![value.into()]);
    }
    let like = operator.contains("Like");
    let (key, pool): (&str, Vec<&str>) = match rng.below(6) {
        0 => ("aws:PrincipalTag/team", {
            let mut pool = vec!["dba", "dev", "DBA", "${aws:PrincipalTag/team, 'dba'}"];
            // `db?` against the tag `db`: `?` is exactly one character.
            pool.extend(if like { ["d*", "db?"] } else { ["d*", "dba "] });
            pool
        }),
        1 => (
            "aws:PrincipalTag/env",
            vec!["prod", "staging", "prod*", "prod?"],
        ),
        2 => ("aws:PrincipalOrgID", vec!["o-abc123", "o-zzz999", "o-*"]),
        3 => (
            "aws:RequestedRegion",
            vec![
                "us-east-1",
                "eu-west-1",
                "us-*",
                "us-east-1?",
                "${aws:PrincipalTag/region, 'us-east-1'}",
            ],
        ),
        4 => (
            "aws:PrincipalAccount",
            vec![ACCOUNT, OTHER_ACCOUNT, "${aws:PrincipalAccount}", "1111*"],
        ),
        // String operators on an ARN key: `*` here is a plain string wildcard and may run
        // across colons, unlike ArnLike's per-segment matching.
        _ => (
            "aws:PrincipalArn",
            vec![
                "arn:aws:iam::111122223333:role/app",
                "arn:aws:iam::*/app",
                "arn:aws:iam::111122223333:user/*",
                "*:role/dba/*",
            ],
        ),
    };
    let mut values = some_of(rng, &pool);
    // Case is where Equals and EqualsIgnoreCase part ways: sometimes shout a literal value.
    if rng.chance(30) && !values[0].contains("${") {
        values[0] = values[0].to_uppercase();
    }
    (key, values)
}

/// One value usually, sometimes two (OR, or NOR for negated operators).
fn some_of(rng: &mut SplitMix64, pool: &[&str]) -> Vec<String> {
    let count = if rng.chance(70) { 1 } else { 2 };
    rng.pick_distinct(pool, count.min(pool.len()))
        .into_iter()
        .map(String::from)
        .collect()
}

fn string_or_array(rng: &mut SplitMix64, values: Vec<String>) -> Value {
    one_or_many(rng, values)
}

// ---------------------------------------------------------------------------------------------
// Organization policies.

const FULL_AWS_ACCESS: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
/// The AWS-managed RCP attached to every root, OU and account; it cannot be detached, so
/// every generated RCP level carries it (the oracle adds it itself; run.mjs drops this copy).
const RCP_FULL_AWS_ACCESS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;

/// One SCP level (the policies attached to one root/OU/account). SCP Allow statements stay
/// in the long-documented subset (Action list, `Resource: "*"`, no condition); Deny
/// statements use the full statement generator.
fn scp_level(rng: &mut SplitMix64, target: &Target, style: Style) -> Value {
    let mut policies = Vec::new();
    if rng.chance(75) {
        policies.push(serde_json::from_str(FULL_AWS_ACCESS).expect("valid JSON"));
    } else {
        let actions =
            rng.pick_distinct(&["rds-db:*", "sts:*", "s3:*", "iam:*", "rds-db:connect"], 2);
        let allow = json!({"Effect": "Allow", "Action": actions, "Resource": "*"});
        policies.push(json!({"Version": VERSION_2012, "Statement": [allow]}));
    }
    if rng.chance(35) {
        let deny = match style {
            Style::Broad => statement(rng, target, "Deny"),
            Style::Focused => focused_statement(rng, target, "Deny"),
        };
        let deny = scp_compatible(deny, target);
        policies.push(json!({"Version": VERSION_2012, "Statement": [deny]}));
    }
    Value::Array(policies)
}

/// Keeps an SCP statement inside the SCP grammar that has been documented for years
/// (orgs_manage_policies_scps_syntax): no NotResource, and action wildcards only at the end,
/// without `?`. AWS has since widened SCP syntax; shapes outside the old grammar are not
/// needed to audit rds-db access and would only test parsers, not semantics.
fn scp_compatible(mut statement: Value, target: &Target) -> Value {
    let s = statement.as_object_mut().expect("statement is an object");
    if let Some(resources) = s.remove("NotResource") {
        s.insert("Resource".into(), resources);
    }
    for key in ["Action", "NotAction"] {
        let Some(actions) = s.get_mut(key) else {
            continue;
        };
        let fix = |action: &Value| {
            let text = action.as_str().expect("action is a string");
            let star = text.find('*');
            let plain = !text.contains('?') && star.is_none_or(|i| i == text.len() - 1);
            if plain {
                action.clone()
            } else {
                json!(target.action())
            }
        };
        let fixed = match &*actions {
            Value::Array(list) => Value::Array(list.iter().map(fix).collect()),
            single => fix(single),
        };
        *actions = fixed;
    }
    statement
}

/// One RCP level: RCPFullAWSAccess plus, sometimes, a Deny guardrail. RCP statements must
/// have `Principal: "*"`, Effect Deny, no NotAction and not `Action: "*"`
/// (orgs_manage_policies_rcps_syntax).
fn rcp_level(rng: &mut SplitMix64, target: &Target) -> Value {
    let mut policies: Vec<Value> = vec![serde_json::from_str(RCP_FULL_AWS_ACCESS).expect("JSON")];
    if rng.chance(60) {
        let mut deny = Map::new();
        deny.insert("Effect".into(), json!("Deny"));
        deny.insert("Principal".into(), json!("*"));
        let action = rng.pick(&[
            "sts:AssumeRole",
            "sts:*",
            "s3:*",
            "s3:GetObject",
            "s3:List*",
        ]);
        deny.insert("Action".into(), json!(action));
        let resource = if rng.chance(60) {
            "*".to_string()
        } else {
            resource_pattern(rng, target, true)
        };
        deny.insert("Resource".into(), json!(resource));
        let condition = match rng.below(4) {
            0 => json!({"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}}),
            1 => json!({"BoolIfExists": {"aws:SecureTransport": "false"}}),
            2 => json!({"NotIpAddressIfExists": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}}),
            _ => condition_block(rng, false),
        };
        deny.insert("Condition".into(), condition);
        policies.push(json!({"Version": VERSION_2012, "Statement": [Value::Object(deny)]}));
    }
    Value::Array(policies)
}
