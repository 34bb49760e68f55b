//! Causes: a stable code (listed by `rdsiam rules`, documented by `rdsiam explain CODE`), the
//! evidence that points at it, and a fix filled with the real values of this connection
//! (endpoint, port, user, region, a corrected connection string). Titles and fix templates
//! come from the rule catalogue (`rules/<code>.toml`), so the doctor and the docs never drift.

use serde::Serialize;

use crate::pg::params::ConnParams;
use crate::pg::tls::RDS_CA_BUNDLE_URL;
use crate::pg::wire::ServerError;
use crate::rules::catalogue;

/// Stable cause codes.
pub mod codes {
    pub const TOKEN_EXPIRED: &str = "token-expired";
    pub const TOKEN_USER_MISMATCH: &str = "token-user-mismatch";
    pub const TOKEN_HOST_MISMATCH: &str = "token-host-mismatch";
    pub const TOKEN_REGION_MISMATCH: &str = "token-region-mismatch";
    pub const TOKEN_MALFORMED: &str = "token-malformed";
    pub const TOKEN_MISSING: &str = "token-missing";
    pub const CLOCK_SKEW: &str = "clock-skew";
    pub const TOKEN_REJECTED: &str = "token-rejected";
    pub const USER_NOT_IN_RDS_IAM: &str = "user-not-in-rds-iam";
    pub const ROLE_MISSING: &str = "role-missing";
    pub const ROLE_NOLOGIN: &str = "role-nologin";
    pub const DATABASE_MISSING: &str = "database-missing";
    pub const SSL_REQUIRED: &str = "ssl-required";
    pub const TLS_UNKNOWN_CA: &str = "tls-unknown-ca";
    pub const TLS_HOSTNAME_MISMATCH: &str = "tls-hostname-mismatch";
    pub const TLS_NOT_OFFERED: &str = "tls-not-offered";
    pub const IAM_AUTH_DISABLED: &str = "iam-auth-disabled";
    pub const POLICY_RESOURCE_MISMATCH: &str = "policy-resource-mismatch";
    pub const POLICY_NO_ALLOW: &str = "policy-no-allow";
    pub const SCP_DENY: &str = "scp-deny";
    pub const BOUNDARY_DENY: &str = "boundary-deny";
    pub const NETWORK_TIMEOUT: &str = "network-timeout";
    pub const CONNECTION_REFUSED: &str = "connection-refused";
    pub const DNS_FAILURE: &str = "dns-failure";
    pub const CREDENTIALS_MISSING: &str = "credentials-missing";
    /// A protocol step after TCP did not finish within its deadline.
    pub const SERVER_TIMEOUT: &str = "server-timeout";
    /// The server closed the connection, sent a malformed message or exceeded a cap.
    pub const SERVER_PROTOCOL_ERROR: &str = "server-protocol-error";
    /// RDS's own reason from the `iam-db-auth-error` log (`rds-log` step, issue #16).
    pub const RDS_LOG_NOT_AUTHORIZED: &str = "rds-log-not-authorized";
    pub const RDS_LOG_EXPIRED_TOKEN: &str = "rds-log-expired-token";
    pub const RDS_LOG_INVALID_TOKEN: &str = "rds-log-invalid-token";
    pub const RDS_LOG_THROTTLING: &str = "rds-log-throttling";
    pub const RDS_LOG_INTERNAL_ERROR: &str = "rds-log-internal-error";
    /// Shared with the audit rule of the same id: the log export is off.
    pub const IAM_AUTH_ERROR_LOG_NOT_EXPORTED: &str = "iam-auth-error-log-not-exported";

    /// Every code the doctor can report, in no particular order.
    pub const ALL: &[&str] = &[
        TOKEN_EXPIRED,
        TOKEN_USER_MISMATCH,
        TOKEN_HOST_MISMATCH,
        TOKEN_REGION_MISMATCH,
        TOKEN_MALFORMED,
        TOKEN_MISSING,
        CLOCK_SKEW,
        TOKEN_REJECTED,
        USER_NOT_IN_RDS_IAM,
        ROLE_MISSING,
        ROLE_NOLOGIN,
        DATABASE_MISSING,
        SSL_REQUIRED,
        TLS_UNKNOWN_CA,
        TLS_HOSTNAME_MISMATCH,
        TLS_NOT_OFFERED,
        IAM_AUTH_DISABLED,
        POLICY_RESOURCE_MISMATCH,
        POLICY_NO_ALLOW,
        SCP_DENY,
        BOUNDARY_DENY,
        NETWORK_TIMEOUT,
        CONNECTION_REFUSED,
        DNS_FAILURE,
        CREDENTIALS_MISSING,
        SERVER_TIMEOUT,
        SERVER_PROTOCOL_ERROR,
        RDS_LOG_NOT_AUTHORIZED,
        RDS_LOG_EXPIRED_TOKEN,
        RDS_LOG_INVALID_TOKEN,
        RDS_LOG_THROTTLING,
        RDS_LOG_INTERNAL_ERROR,
        IAM_AUTH_ERROR_LOG_NOT_EXPORTED,
    ];
}

/// A concrete fix.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CauseFix {
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_cli: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
    /// A corrected libpq connection string (no password).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
}

/// One ranked cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cause {
    pub code: &'static str,
    pub title: String,
    pub evidence: Vec<String>,
    pub fix: CauseFix,
    /// Whether the doctor checked this cause. An unchecked candidate carries no fix command
    /// (only the summary), and `check` says what would check it.
    pub checked: bool,
    /// The read-only command that checks an unchecked cause (or tells candidates apart).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
}

impl Cause {
    /// This cause as a candidate the doctor did not check: the fix commands are dropped (a
    /// write command for an unchecked cause would be a guess), `check` says how to check it.
    pub fn unchecked(mut self, check: String) -> Self {
        self.checked = false;
        self.check = Some(check);
        self.fix.aws_cli = None;
        self.fix.sql = None;
        self.fix.connection = None;
        self
    }
}

/// Values a fix template is filled with.
#[derive(Debug, Clone)]
pub struct FixContext {
    pub params: ConnParams,
    /// Region of the database (from `--region`, or the endpoint name).
    pub region: String,
    /// The real endpoint name, when known (the host, or a name from the server certificate).
    pub endpoint: String,
    /// What the AWS-side steps learned (empty when they did not run).
    pub aws: AwsFacts,
    /// Set by the token check when a token fact could not be verified (a tunnel's local port
    /// differs from the token's and RDS's port is unknown): a later rejection names it.
    pub token_doubt: Option<String>,
}

/// Facts from RDS and STS that make fixes concrete: the database's account and resource id,
/// its kind and identifier, and the signing principal.
#[derive(Debug, Clone, Default)]
pub struct AwsFacts {
    pub account: Option<String>,
    pub resource_id: Option<String>,
    /// `modify-db-instance` / `modify-db-cluster` with its identifier flag and value.
    pub modify: Option<(&'static str, &'static str, String)>,
    /// The signing principal: (`role`|`user`, name).
    pub principal: Option<(&'static str, String)>,
    /// The SCP (`p-…`) that denies, when the IAM decision found one.
    pub scp_id: Option<String>,
    /// The permissions boundary that denies, when the IAM decision found one.
    pub boundary_arn: Option<String>,
    /// The rds-settings step ran and IAM authentication is on.
    pub settings_checked: bool,
    /// What the iam-decision step concluded: `(allowed for certain, summary)`.
    pub decision: Option<(bool, String)>,
    /// The port RDS reports for the endpoint (the one a token must be signed for).
    pub port: Option<u16>,
}

impl AwsFacts {
    pub fn of(
        found: &crate::doctor::aws::target::FoundTarget,
        identity: &crate::doctor::aws::Identity,
    ) -> Self {
        use crate::collect::aws::principal::{CallerKind, caller_kind};
        use crate::doctor::aws::target::TargetKind;
        let modify = match found.kind {
            TargetKind::Instance if found.iam_source.starts_with("cluster ") => Some((
                "modify-db-cluster",
                "db-cluster-identifier",
                found.iam_source["cluster ".len()..].to_owned(),
            )),
            TargetKind::Instance => Some((
                "modify-db-instance",
                "db-instance-identifier",
                found.identifier.clone(),
            )),
            TargetKind::Cluster => Some((
                "modify-db-cluster",
                "db-cluster-identifier",
                found.identifier.clone(),
            )),
            TargetKind::Proxy => None,
        };
        let principal = match caller_kind(&identity.arn) {
            CallerKind::AssumedRole { role_name, .. } => Some(("role", role_name)),
            CallerKind::User { user_name } => Some(("user", user_name)),
            _ => None,
        };
        AwsFacts {
            account: Some(found.account.clone()),
            resource_id: Some(found.resource_id.clone()),
            modify,
            principal,
            scp_id: None,
            boundary_arn: None,
            settings_checked: false,
            decision: None,
            port: Some(found.port),
        }
    }
}

impl FixContext {
    fn vars(&self) -> Vec<(&'static str, String)> {
        let p = &self.params;
        let mut vars = vec![
            ("db_user", p.user.clone()),
            ("db_user_ident", quote_ident(&p.user)),
            ("dbname", p.dbname.clone()),
            ("region", self.region.clone()),
            ("endpoint", self.endpoint.clone()),
            ("port", self.aws.port.unwrap_or(p.port).to_string()),
            ("ca_bundle_url", RDS_CA_BUNDLE_URL.to_owned()),
            ("conninfo", p.conninfo_with(&[])),
        ];
        // The identifier is the first label of an RDS endpoint; `x.cluster-...` is Aurora.
        let mut labels = self.endpoint.split('.');
        let identifier = labels.next().unwrap_or_default().to_owned();
        let is_cluster = labels.next().is_some_and(|l| l.starts_with("cluster-"));
        let (command, flag) = if is_cluster {
            ("modify-db-cluster", "db-cluster-identifier")
        } else {
            ("modify-db-instance", "db-instance-identifier")
        };
        let (command, flag, identifier) = match &self.aws.modify {
            Some((command, flag, identifier)) => (*command, *flag, identifier.clone()),
            None => (command, flag, identifier),
        };
        vars.extend([
            ("db_identifier", identifier),
            ("modify_command", command.to_owned()),
            ("identifier_flag", flag.to_owned()),
        ]);
        let account = self.aws.account.clone().unwrap_or_else(|| "ACCOUNT".into());
        let resource_id = self
            .aws
            .resource_id
            .clone()
            .unwrap_or_else(|| "RESOURCE_ID".into());
        let partition = if self.region.starts_with("cn-") {
            "aws-cn"
        } else if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        };
        vars.push((
            "dbuser_arn",
            format!(
                "arn:{partition}:rds-db:{}:{account}:dbuser:{resource_id}/{}",
                self.region, p.user
            ),
        ));
        let put_policy = match &self.aws.principal {
            Some(("user", name)) => format!("put-user-policy --user-name {name}"),
            Some((_, name)) => format!("put-role-policy --role-name {name}"),
            None => "put-role-policy --role-name ROLE_NAME".to_owned(),
        };
        vars.push(("iam_put_policy", put_policy));
        vars.push((
            "scp_id",
            self.aws.scp_id.clone().unwrap_or_else(|| "SCP_ID".into()),
        ));
        vars.push((
            "boundary_arn",
            self.aws
                .boundary_arn
                .clone()
                .unwrap_or_else(|| "BOUNDARY_POLICY_ARN".into()),
        ));
        vars.push(("account", account));
        vars.push(("resource_id", resource_id));
        vars
    }
}

/// `"Name"` when the name needs quoting in SQL, else the name.
pub fn quote_ident(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// Builds a cause from the catalogue entry `code`, with `evidence` and a fix filled from `ctx`;
/// `connection` is a corrected connection string when the fix is one.
pub fn cause(
    code: &'static str,
    evidence: Vec<String>,
    ctx: &FixContext,
    connection: Option<String>,
) -> Cause {
    let vars = ctx.vars();
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    match catalogue::lookup(code) {
        Some(meta) => {
            let fix = meta.fix(&pairs);
            Cause {
                code,
                title: meta.title.clone(),
                evidence,
                fix: CauseFix {
                    summary: fix.summary,
                    aws_cli: fix.aws_cli,
                    sql: fix.sql,
                    connection,
                },
                checked: true,
                check: None,
            }
        }
        // Kept from shipping by the `every_doctor_code_is_in_the_catalogue` test.
        None => Cause {
            code,
            title: code.to_owned(),
            evidence,
            fix: CauseFix {
                connection,
                ..CauseFix::default()
            },
            checked: true,
            check: None,
        },
    }
}

/// The causes a server error points at, most likely first. `authenticated` tells whether
/// AuthenticationOk was seen before the error (then the token was good).
pub fn causes_of_server_error(
    error: &ServerError,
    authenticated: bool,
    ctx: &FixContext,
) -> Vec<Cause> {
    let said = format!("server said: {error}");
    let msg = error.message.as_str();
    if error.sqlstate == "3D000" || msg.contains("does not exist") && msg.starts_with("database") {
        let mut evidence = vec![
            said,
            "authentication succeeded: the token was accepted".into(),
        ];
        if ctx.params.dbname_defaulted {
            evidence.push(format!(
                "no dbname was given, so the database name defaulted to the user name {:?} (as psql does)",
                ctx.params.user
            ));
        }
        let fixed = ctx.params.conninfo_with(&[("dbname", "postgres")]);
        return vec![cause(codes::DATABASE_MISSING, evidence, ctx, Some(fixed))];
    }
    if msg.contains("is not permitted to log in") {
        return vec![cause(
            codes::ROLE_NOLOGIN,
            vec![
                said,
                "authentication succeeded: the token was accepted".into(),
            ],
            ctx,
            None,
        )];
    }
    if msg.contains("no encryption") {
        let fixed = ctx.params.conninfo_with(&[]);
        return vec![cause(codes::SSL_REQUIRED, vec![said], ctx, Some(fixed))];
    }
    if msg.starts_with("password authentication failed") || error.sqlstate == "28P01" {
        return not_pam_causes(said, ctx);
    }
    if msg.starts_with("PAM authentication failed") || msg.contains("The IAM authentication failed")
    {
        return token_rejected_causes(said, ctx);
    }
    let what = if authenticated {
        "after authentication"
    } else {
        "before authentication"
    };
    vec![cause(
        codes::TOKEN_REJECTED,
        vec![format!(
            "{said} ({what}); no specific cause is known for this text"
        )],
        ctx,
        None,
    )]
}

/// The server asked for (or checked) a password instead of PAM: the role is not in `rds_iam`,
/// or does not exist at all (PostgreSQL does not tell them apart before authentication).
pub fn not_pam_causes(said: String, ctx: &FixContext) -> Vec<Cause> {
    let check = role_check_sql(&ctx.params.user);
    let causes = vec![
        cause(
            codes::USER_NOT_IN_RDS_IAM,
            vec![
                said.clone(),
                "members of rds_iam are sent to PAM, which asks for a cleartext password (the token)".into(),
            ],
            ctx,
            None,
        ),
        cause(
            codes::ROLE_MISSING,
            vec![
                said,
                "a role that does not exist gets the same password challenge (PostgreSQL hides which)".into(),
            ],
            ctx,
            None,
        ),
    ];
    causes
        .into_iter()
        .map(|mut c| {
            c.check = Some(check.clone());
            c
        })
        .collect()
}

/// The one read-only query (run as the master user) that tells `role-missing` (no row),
/// `role-nologin` (`rolcanlogin` false) and `user-not-in-rds-iam` (`in_rds_iam` false) apart.
pub fn role_check_sql(user: &str) -> String {
    format!(
        "SELECT rolname, rolcanlogin, pg_has_role(oid, 'rds_iam', 'member') AS in_rds_iam FROM pg_roles WHERE rolname = '{}';",
        user.replace('\'', "''")
    )
}

/// The read-only command that runs the AWS-side checks this run could not (the doctor itself,
/// with the signer's credentials and the database's region).
pub fn aws_side_check(ctx: &FixContext) -> String {
    let region = if ctx.region == "REGION" {
        "<REGION: not in the endpoint name>"
    } else {
        ctx.region.as_str()
    };
    format!(
        "rdsiam doctor '{}' --region {region}",
        ctx.params.conninfo_with(&[])
    )
}

/// PAM rejected a token whose offline checks passed: the cause is on the AWS side. Candidates
/// the AWS-side steps ruled out are left out (and said so); the others are listed with what
/// is known of them.
pub fn token_rejected_causes(said: String, ctx: &FixContext) -> Vec<Cause> {
    let unchecked = "not checked: AWS-side checks need --region and the signer's AWS credentials";
    let matched = match &ctx.token_doubt {
        None => "the token's user, host, port, region and expiry match this connection".into(),
        Some(_) => "the token's user, host, region and expiry match this connection; its port could not be checked (see token-host-mismatch)".into(),
    };
    let mut evidence = vec![
        said.clone(),
        matched,
        "RDS's own reason is only in the iam-db-auth-error log export (off by default)".into(),
    ];
    let aws = &ctx.aws;
    if aws.settings_checked {
        evidence.push("ruled out: IAM authentication is enabled (rds-settings)".into());
    }
    let decision_allows = matches!(aws.decision, Some((true, _)));
    if let Some((true, summary)) = &aws.decision {
        evidence.push(format!(
            "ruled out: the IAM decision for the checked identity is {summary} (iam-decision)"
        ));
    }
    if aws.settings_checked && decision_allows {
        evidence.push(
            "what remains: the token was signed by other credentials than the identity checked, a session policy narrowed the role session, or a policy change has not propagated yet (IAM is eventually consistent; retry in a minute)".into(),
        );
    }
    let mut causes = Vec::new();
    // A fact the token check could not verify is the first suspect, named as the cause.
    if let Some(doubt) = &ctx.token_doubt {
        causes.push(cause(
            codes::TOKEN_HOST_MISMATCH,
            vec![said, doubt.clone()],
            ctx,
            None,
        ));
    }
    causes.push(cause(codes::TOKEN_REJECTED, evidence, ctx, None));
    let check = aws_side_check(ctx);
    if !aws.settings_checked {
        causes.push(
            cause(codes::IAM_AUTH_DISABLED, vec![unchecked.into()], ctx, None)
                .unchecked(check.clone()),
        );
    }
    if !decision_allows {
        let known = aws
            .decision
            .as_ref()
            .map(|(_, summary)| format!("not certain: the IAM decision step says {summary}"));
        for code in [
            codes::POLICY_NO_ALLOW,
            codes::POLICY_RESOURCE_MISMATCH,
            codes::SCP_DENY,
            codes::BOUNDARY_DENY,
        ] {
            let line = known.clone().unwrap_or_else(|| unchecked.to_owned());
            let candidate = cause(code, vec![line], ctx, None);
            // Checked but not certain (e.g. the simulator was not available): the decision
            // step's evidence stands, the fix is still a guess.
            causes.push(candidate.unchecked(check.clone()));
        }
    }
    causes
}

/// The cause of a PostgreSQL exchange that failed without an answer from PostgreSQL itself
/// (timeout, closed connection, malformed message, cap exceeded): a network or protocol cause,
/// never a verdict on the token. The evidence says whether the token had been sent.
pub fn causes_of_exchange_failure(
    error: &crate::pg::bounds::PgError,
    ctx: &FixContext,
) -> Vec<Cause> {
    use crate::pg::bounds::PgErrorKind;
    let code = match error.kind {
        PgErrorKind::Timeout => codes::SERVER_TIMEOUT,
        PgErrorKind::Closed | PgErrorKind::Protocol | PgErrorKind::Cap | PgErrorKind::Other => {
            codes::SERVER_PROTOCOL_ERROR
        }
    };
    let sent = if error.secret_sent {
        "the token had been sent over verified TLS, and no answer on it came back"
    } else {
        "the token was not sent"
    };
    vec![cause(
        code,
        vec![error.text.clone(), sent.to_owned()],
        ctx,
        None,
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_doctor_code_is_in_the_catalogue() {
        let missing: Vec<&str> = codes::ALL
            .iter()
            .copied()
            .filter(|c| catalogue::lookup(c).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "doctor cause codes without rules/<code>.toml in the catalogue: {missing:?}"
        );
    }

    #[test]
    fn idents_are_quoted_when_needed() {
        assert_eq!(quote_ident("pgmonitor"), "pgmonitor");
        assert_eq!(quote_ident("PgMon"), "\"PgMon\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
