//! The live probe: identity → token → DNS → TCP → TLS → plaintext check → login → session,
//! stopping at the first hard failure, each step timed with its evidence. Network and
//! PostgreSQL only through [`crate::pg`]; AWS only through [`super::aws`].

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use tokio::net::TcpStream;

use super::aws::rds_log::{RdsLogInput, RdsLogReport, rds_log_step};
use super::aws::steps as aws_steps;
use super::aws::{AwsSession, Identity};
use super::diagnosis::{self, AwsFacts, Cause, FixContext, codes};
use super::options::{DoctorOptions, Target, TokenSource};
use super::report::DoctorReport;
use super::step::{Step, StepStatus, StepTimer, skipped};
use super::verdict::{self, FreshToken, TokenReport};
use crate::inventory::endpoint_target::FoundTarget;
use crate::pg::queries::{DATABASES_SQL, POST_LOGIN_SQL};
use crate::pg::session::{self, LoginOutcome, NetFailure, StartupAnswer};
use crate::pg::tls::{self, TlsFailure, TrustRoots};
use crate::token::{self, TokenFacts};

/// Largest tolerated difference between the token date and the local clock (RDS: 5 min).
const MAX_FUTURE_SECONDS: i64 = 300;

/// Probe state: the steps so far and, on failure, the causes.
struct Probe<'a> {
    options: &'a DoctorOptions,
    ctx: FixContext,
    steps: Vec<Step>,
    causes: Vec<Cause>,
    /// The AWS side, when its checks run.
    aws: Option<AwsSession>,
    /// Who signs (STS), when known.
    identity: Option<Identity>,
    /// Which token was tested and what a fresh one showed (for the verdict).
    tokens: TokenReport,
    /// The RDS object behind the endpoint, when the target step found it.
    found: Option<FoundTarget>,
    /// What the `rds-log` step read.
    rds_log: Option<RdsLogReport>,
}

impl Probe<'_> {
    fn fail(&mut self, step: Step, causes: Vec<Cause>) {
        self.steps.push(step);
        self.causes = causes;
    }
    /// Puts `cause` at the top of the diagnosis: the verdict's first line is always the first
    /// cause. A step that knows the reason for certain (e.g. RDS's own log) calls this.
    fn lead(&mut self, cause: Cause) {
        self.causes.insert(0, cause);
    }
    fn cause(
        &self,
        code: &'static str,
        evidence: Vec<String>,
        connection: Option<String>,
    ) -> Cause {
        diagnosis::cause(code, evidence, &self.ctx, connection)
    }
}

/// Runs every step; never panics, never sends the token anywhere but the verified TLS login.
pub async fn run(options: &DoctorOptions) -> DoctorReport {
    let params = &options.params;
    let region = options
        .region
        .clone()
        .or_else(|| token::region_of_endpoint(&params.host))
        .unwrap_or_else(|| "REGION".to_owned());
    let mut probe = Probe {
        options,
        ctx: FixContext {
            params: params.clone(),
            region,
            endpoint: params.host.clone(),
            aws: AwsFacts::default(),
            token_doubt: None,
        },
        steps: Vec::new(),
        causes: Vec::new(),
        aws: None,
        identity: None,
        tokens: TokenReport::default(),
        found: None,
        rds_log: None,
    };
    // The whole run's deadline: each step has its own (`--connect-timeout`), and a server that
    // keeps every step just under it cannot stretch the run beyond this.
    let budget = options
        .connect_timeout
        .saturating_mul(crate::pg::bounds::RUN_DEADLINE_STEPS);
    let ok = match tokio::time::timeout(budget, steps(&mut probe)).await {
        Ok(done) => done.is_some(),
        Err(_) => {
            let mut t = StepTimer::start("deadline");
            let why = format!(
                "the run did not finish within {budget:?} ({} × --connect-timeout; README \"Bounds\")",
                crate::pg::bounds::RUN_DEADLINE_STEPS
            );
            t.evidence(why.clone());
            let cause = probe.cause(codes::SERVER_TIMEOUT, vec![why], None);
            probe.fail(
                t.finish(StepStatus::Fail, "run deadline exceeded"),
                vec![cause],
            );
            false
        }
    };
    if !ok && needs_fresh_token(&probe) {
        fresh_token(&mut probe).await;
    }
    if probe.options.rds_log || (!ok && refused_by_rds(&probe)) {
        rds_log(&mut probe).await;
    }
    let mut report = DoctorReport {
        ok,
        target: Target::of(params),
        steps: probe.steps,
        diagnosis: probe.causes,
        token: probe.tokens,
        verdict: verdict::Verdict::default(),
        rds_log: probe.rds_log,
    };
    report.verdict = verdict::build(
        report.ok,
        &report.target,
        &report.diagnosis,
        &report.token,
        &probe.ctx,
    );
    report
}

/// RDS refused a token the server was sent (PAM authentication failed): its own reason is in
/// the `iam-db-auth-error` log.
fn refused_by_rds(probe: &Probe<'_>) -> bool {
    let login_refused = probe
        .steps
        .iter()
        .any(|s| (s.name == "login" || s.name == "fresh-token") && s.status == StepStatus::Fail);
    login_refused
        && probe
            .causes
            .iter()
            .any(|c| matches!(c.code, codes::TOKEN_REJECTED | codes::TOKEN_HOST_MISMATCH))
}

/// The `rds-log` step (after the login and a fresh token): RDS's reason leads the diagnosis;
/// with the export off, the cause saying so follows the first.
async fn rds_log(probe: &mut Probe<'_>) {
    let (Some(session), Some(identity), Some(found)) = (
        probe.aws.clone(),
        probe.identity.clone(),
        probe.found.clone(),
    ) else {
        let why = if probe.aws.is_none() {
            "AWS-side checks off (pass --region or --profile)"
        } else {
            "the database was not found in RDS (see the target step)"
        };
        probe
            .steps
            .push(skipped("rds-log", format!("not read: {why}")));
        return;
    };
    let options = probe.options;
    let input = RdsLogInput {
        session: &session,
        identity: &identity,
        found: &found,
        region: &probe.ctx.region,
        db_user: &options.params.user,
        org_role_arn: options.org_role_arn.as_deref(),
        client_token: probe.tokens.client.as_ref(),
    };
    let outcome = rds_log_step(&mut probe.steps, &input, &probe.ctx).await;
    probe.rds_log = Some(outcome.report);
    if let Some(lead) = outcome.lead {
        probe.lead(lead);
    }
    if let Some(follow) = outcome.follow {
        let at = usize::from(!probe.causes.is_empty());
        probe.causes.insert(at, follow);
    }
}

/// The client's token failed for a token reason (or was missing): a token the doctor signs
/// tells whether the client's token is the problem.
fn needs_fresh_token(probe: &Probe<'_>) -> bool {
    let given = matches!(
        probe.options.token,
        TokenSource::Given { .. } | TokenSource::Missing { .. }
    );
    let token_cause = probe.causes.first().is_some_and(|c| {
        matches!(
            c.code,
            codes::TOKEN_EXPIRED
                | codes::TOKEN_USER_MISMATCH
                | codes::TOKEN_HOST_MISMATCH
                | codes::TOKEN_REGION_MISMATCH
                | codes::TOKEN_MALFORMED
                | codes::TOKEN_MISSING
                | codes::CLOCK_SKEW
                | codes::TOKEN_REJECTED
        )
    });
    given && token_cause
}

/// What a correct token names: the endpoint, RDS's port (through a tunnel the local port is
/// not the endpoint's), the login user and the database's region.
fn needed_port(probe: &Probe<'_>) -> u16 {
    match (probe.ctx.aws.port, &probe.options.params.hostaddr) {
        (Some(port), _) => port,
        (None, _) => probe.options.params.port,
    }
}

/// Signs a token with the doctor's credentials and logs in with it on a new connection
/// (same verified TLS). Records a `fresh-token` step and what it showed.
async fn fresh_token(probe: &mut Probe<'_>) {
    let options = probe.options;
    let params = &options.params;
    if !options.aws_checks {
        probe.tokens.fresh = Some(FreshToken::NotTried(
            "no AWS credentials to sign one: pass --region (or --profile) with the signer's credentials".into(),
        ));
        probe.steps.push(skipped(
            "fresh-token",
            "not tried: pass --region or --profile (with AWS credentials) to compare with a token the doctor signs",
        ));
        return;
    }
    let mut t = StepTimer::start("fresh-token");
    let request = token::TokenRequest {
        host: probe.ctx.endpoint.clone(),
        port: needed_port(probe),
        user: params.user.clone(),
        region: probe.ctx.region.clone(),
        profile: options.profile.clone(),
    };
    let token = match token::generate(&request).await {
        Ok(token) => token,
        Err(e) => {
            t.evidence(e.clone());
            probe.tokens.fresh = Some(FreshToken::NotTried(e));
            probe
                .steps
                .push(t.finish(StepStatus::Skipped, "cannot sign a fresh token"));
            return;
        }
    };
    t.evidence(format!(
        "signed by the doctor for {}:{} as {} in {}",
        request.host, request.port, request.user, request.region
    ));
    probe.tokens.doctor = token::inspect(&token).ok();
    match login_once(probe, &token).await {
        Ok(()) => {
            probe.tokens.fresh = Some(FreshToken::Works);
            probe.steps.push(t.finish(
                StepStatus::Pass,
                format!(
                    "a token the doctor signed logs in as {} to {}",
                    params.user, params.dbname
                ),
            ));
        }
        Err(e) => {
            t.evidence(e.clone());
            probe.tokens.fresh = Some(FreshToken::Fails(e.clone()));
            if let Some(first) = probe.causes.first_mut() {
                first
                    .evidence
                    .push(format!("a token the doctor signed fails too: {e}"));
            }
            probe
                .steps
                .push(t.finish(StepStatus::Fail, "a fresh token fails too"));
        }
    }
}

/// One login with `token` on a new verified TLS connection; the server's answer on failure.
async fn login_once(probe: &Probe<'_>, token: &str) -> Result<(), String> {
    let params = &probe.options.params;
    let timeout = probe.options.connect_timeout;
    let mut tcp = session::connect_tcp(params.connect_address(), params.port, timeout)
        .await
        .map_err(|e| describe_net(&e, timeout))?;
    if !session::request_tls(&mut tcp, timeout).await? {
        return Err("the server does not offer TLS".into());
    }
    let roots = TrustRoots::load(params.sslrootcert.as_deref())?;
    let (tls, _) = tls::handshake(tcp, &params.host, &roots, timeout)
        .await
        .map_err(|e| format!("TLS: {e:?}"))?;
    match session::login_over_tls(tls, &params.user, &params.dbname, token, timeout).await? {
        LoginOutcome::LoggedIn(stream, _) => {
            stream.close().await;
            Ok(())
        }
        LoginOutcome::NotPam(request) => Err(format!(
            "the server asked for {} (the token was not sent)",
            request.describe()
        )),
        LoginOutcome::RefusedBeforeAuth(e)
        | LoginOutcome::AuthFailed(e)
        | LoginOutcome::AfterAuth(e) => Err(format!("server said: {e}")),
    }
}

/// `None` when a step failed (the causes are recorded).
async fn steps(probe: &mut Probe<'_>) -> Option<()> {
    if probe.options.aws_checks {
        let options = probe.options;
        let session = AwsSession::load(
            options.profile.as_deref(),
            Some(probe.ctx.region.as_str()).filter(|r| *r != "REGION"),
            options.endpoint_url.as_deref(),
            options.connect_timeout,
        )
        .await;
        probe.identity = super::aws::identity_step(&mut probe.steps, &session).await;
        probe.aws = Some(session);
    } else {
        probe.steps.push(skipped(
            "identity",
            "AWS-side checks off: pass --region or --profile (with the signer's AWS credentials) to check STS, RDS and IAM",
        ));
    }
    // A token the doctor signs is signed after the AWS side ran: through a tunnel it must
    // name RDS's port, not the local one.
    let token = if matches!(probe.options.token, TokenSource::Generate) {
        aws_steps(probe, "").await?;
        token_text(probe).await?
    } else {
        let token = token_text(probe).await?;
        aws_steps(probe, &token).await?;
        token
    };
    check_token(probe, &token)?;
    let addrs = resolve(probe).await?;
    let tcp = connect(probe, &addrs).await?;
    let roots = match TrustRoots::load(probe.options.params.sslrootcert.as_deref()) {
        Ok(roots) => roots,
        Err(e) => {
            let mut t = StepTimer::start("tls");
            t.evidence(e.clone());
            let cause = probe.cause(codes::TLS_UNKNOWN_CA, vec![e], None);
            probe.fail(
                t.finish(StepStatus::Fail, "cannot load the CA certificates"),
                vec![cause],
            );
            return None;
        }
    };
    let tls = tls_handshake(probe, tcp, &roots).await?;
    plaintext_check(probe, &addrs).await?;
    let session = login(probe, tls, &token).await?;
    after_login(probe, session).await
}

async fn token_text(probe: &mut Probe<'_>) -> Option<String> {
    let options = probe.options;
    match &options.token {
        TokenSource::Given { token, from } => {
            probe.tokens.tested = format!("your client's token (from {from})");
            probe.tokens.client = token::inspect(token).ok();
            Some(token.clone())
        }
        TokenSource::Missing { tried } => {
            probe.tokens.tested = "none: no token was found".into();
            let mut t = StepTimer::start("token");
            t.evidence(format!("looked in: {tried}"));
            let cause = probe.cause(
                codes::TOKEN_MISSING,
                vec![format!("no token in {tried}")],
                None,
            );
            probe.fail(
                t.finish(StepStatus::Fail, "no token to log in with"),
                vec![cause],
            );
            None
        }
        TokenSource::Generate => {
            let mut t = StepTimer::start("token");
            probe.tokens.tested = "a token the doctor signed itself (your client's token was not tested: pass it with --token - or --token-env VAR)".into();
            let request = token::TokenRequest {
                host: probe.ctx.endpoint.clone(),
                port: needed_port(probe),
                user: options.params.user.clone(),
                region: probe.ctx.region.clone(),
                profile: options.profile.clone(),
            };
            match token::generate(&request).await {
                Ok(token) => {
                    t.evidence(format!(
                        "signed for {}:{} as {} in {} (aws-sdk-rds AuthTokenGenerator)",
                        request.host, request.port, request.user, request.region
                    ));
                    probe.tokens.doctor = token::inspect(&token).ok();
                    probe.steps.push(t.finish(
                        StepStatus::Pass,
                        "token signed by the doctor (not your client's)",
                    ));
                    Some(token)
                }
                Err(e) => {
                    t.evidence(e.clone());
                    let cause = probe.cause(codes::CREDENTIALS_MISSING, vec![e], None);
                    probe.fail(
                        t.finish(StepStatus::Fail, "cannot sign a token"),
                        vec![cause],
                    );
                    None
                }
            }
        }
    }
}

/// target → rds-settings → iam-decision, when the AWS side is on and the signer is known.
async fn aws_steps(probe: &mut Probe<'_>, token: &str) -> Option<()> {
    const AWS_STEPS: [&str; 3] = ["target", "rds-settings", "iam-decision"];
    let why_not = match (&probe.aws, &probe.identity) {
        (None, _) => Some("AWS-side checks off (pass --region or --profile)".to_owned()),
        (Some(_), None) => Some("no AWS identity (see the identity step)".to_owned()),
        _ if probe.ctx.region == "REGION" => Some(
            "the database's region is unknown: pass --region (the host is not an RDS endpoint name)".to_owned(),
        ),
        _ => None,
    };
    if let Some(why) = why_not {
        for name in AWS_STEPS {
            probe
                .steps
                .push(skipped(name, format!("not checked: {why}")));
        }
        return Some(());
    }
    let (Some(session), Some(identity)) = (probe.aws.clone(), probe.identity.clone()) else {
        return Some(());
    };
    // The endpoint the token is for: the host, or through a tunnel the token's own host.
    let endpoint = match token::inspect(token) {
        Ok(facts) if token::is_rds_endpoint(&facts.host) => facts.host,
        _ => probe.ctx.endpoint.clone(),
    };
    let region = probe.ctx.region.clone();
    let Some(found) =
        aws_steps::target_step(&mut probe.steps, &session, &identity, &endpoint, &region).await
    else {
        for name in &AWS_STEPS[1..] {
            probe.steps.push(skipped(
                name,
                "not checked: the database was not found in RDS",
            ));
        }
        return Some(());
    };
    probe.ctx.endpoint = endpoint;
    probe.ctx.aws = AwsFacts::of(&found, &identity);
    probe.found = Some(found.clone());
    if let Err(causes) =
        aws_steps::settings_step(&mut probe.steps, &found, &probe.ctx, SystemTime::now())
    {
        probe.causes = causes;
        return None;
    }
    probe.ctx.aws.settings_checked = true;
    let input = aws_steps::DecisionInput {
        identity: &identity,
        found: &found,
        region: &region,
        db_user: &probe.options.params.user,
        org_role_arn: probe.options.org_role_arn.as_deref(),
    };
    if let Err(causes) =
        aws_steps::decision_step(&mut probe.steps, &session, &input, &probe.ctx).await
    {
        probe.causes = causes;
        return None;
    }
    // Remembered for the diagnosis of a later PAM failure (what is ruled out).
    probe.ctx.aws.decision = probe
        .steps
        .last()
        .filter(|s| s.name == "iam-decision")
        .map(|s| (s.status == StepStatus::Pass, s.summary.clone()));
    Some(())
}

/// Offline token checks against this connection: shape, user, host:port, region, expiry.
fn check_token(probe: &mut Probe<'_>, token: &str) -> Option<()> {
    let mut t = StepTimer::start("token-check");
    let facts = match token::inspect(token) {
        Ok(facts) => facts,
        Err(e) => {
            t.evidence(format!("{e} (length {} bytes)", token.trim().len()));
            let cause = probe.cause(codes::TOKEN_MALFORMED, vec![e], None);
            probe.fail(
                t.finish(StepStatus::Fail, "not a valid RDS auth token"),
                vec![cause],
            );
            return None;
        }
    };
    describe_token(&mut t, &facts);
    let params = &probe.options.params;
    if token::is_rds_endpoint(&facts.host) && !facts.host.eq_ignore_ascii_case(&params.host) {
        probe.ctx.endpoint = facts.host.clone();
        if params.hostaddr.is_none() && !token::is_rds_endpoint(&params.host) {
            t.evidence(format!(
                "token is for {} but the connection host is {} (a tunnel?): TLS will check that name",
                facts.host, params.host
            ));
        }
    }
    if params.hostaddr.is_some()
        && probe.ctx.aws.port.is_none()
        && facts.port.is_some_and(|p| p != params.port)
    {
        let doubt = format!(
            "token port {} differs from the tunnel's local port {} and RDS's port is unknown (AWS not read): the token is right only if the tunnel forwards {} to the endpoint's port {}",
            port_text(&facts),
            params.port,
            params.port,
            port_text(&facts)
        );
        t.evidence(doubt.clone());
        probe.ctx.token_doubt = Some(doubt);
    }
    let problems = token_problems(probe, &facts);
    if problems.is_empty() {
        let left = facts.clock(aws_now(probe)).seconds_left;
        probe.steps.push(t.finish(
            StepStatus::Pass,
            format!(
                "token for {} at {}:{} valid for {left} s more",
                facts.user,
                facts.host,
                port_text(&facts)
            ),
        ));
        return Some(());
    }
    let summary = problems
        .iter()
        .map(|c| c.code)
        .collect::<Vec<_>>()
        .join(", ");
    probe.fail(
        t.finish(
            StepStatus::Fail,
            format!("token does not fit this login: {summary}"),
        ),
        problems,
    );
    None
}

/// Whose clock [`aws_now`] is.
fn clock_basis(probe: &Probe<'_>) -> &'static str {
    if probe
        .identity
        .as_ref()
        .is_some_and(|i| i.clock_skew_seconds.is_some())
    {
        "AWS's clock"
    } else {
        "this machine's clock"
    }
}

/// Now by AWS's clock when the identity step measured the skew, else the local clock.
fn aws_now(probe: &Probe<'_>) -> SystemTime {
    let now = SystemTime::now();
    match probe.identity.as_ref().and_then(|i| i.clock_skew_seconds) {
        Some(skew) if skew > 0 => now - Duration::from_secs(skew.unsigned_abs()),
        Some(skew) => now + Duration::from_secs(skew.unsigned_abs()),
        None => now,
    }
}

fn port_text(facts: &TokenFacts) -> String {
    facts
        .port
        .map_or_else(|| "(no port)".into(), |p| p.to_string())
}

fn describe_token(t: &mut StepTimer, facts: &TokenFacts) {
    let clock = facts.clock(SystemTime::now());
    t.evidence(format!(
        "user {:?}, host {}:{}, region {}, service {}",
        facts.user,
        facts.host,
        port_text(facts),
        facts.region,
        facts.service
    ));
    t.evidence(format!(
        "key {} ({}), session token {}, {} bytes",
        facts.access_key_id,
        facts.access_key_type,
        if facts.session_token_present {
            "present"
        } else {
            "absent"
        },
        facts.length
    ));
    t.evidence(format!(
        "issued {}, expires {} ({})",
        token::rfc3339(facts.issued_at),
        token::rfc3339(facts.expires_at),
        if clock.expired {
            format!("expired {} s ago", -clock.seconds_left)
        } else {
            format!("{} s left", clock.seconds_left)
        }
    ));
}

fn token_problems(probe: &Probe<'_>, facts: &TokenFacts) -> Vec<Cause> {
    let params = &probe.options.params;
    let mut causes = Vec::new();
    if facts.service != "rds-db" || facts.action != "connect" {
        causes.push(probe.cause(
            codes::TOKEN_MALFORMED,
            vec![format!(
                "token is for service {:?} action {:?}; RDS needs service rds-db, Action=connect",
                facts.service, facts.action
            )],
            None,
        ));
    }
    if facts.user != params.user {
        causes.push(probe.cause(
            codes::TOKEN_USER_MISMATCH,
            vec![format!(
                "token DBUser {:?} but logging in as user {:?} (byte for byte; case and spaces matter)",
                facts.user, params.user
            )],
            None,
        ));
    }
    let host_differs = !facts.host.eq_ignore_ascii_case(&params.host);
    // The port a token must name: RDS's, when AWS was read; else the connection's, except
    // through a tunnel (hostaddr), whose local port may differ from the endpoint's.
    let port_differs = match (probe.ctx.aws.port, &params.hostaddr) {
        (Some(rds_port), _) => facts.port != Some(rds_port),
        (None, None) => facts.port != Some(params.port),
        (None, Some(_)) => false,
    };
    // Token for the real endpoint, connection to localhost or an IP without hostaddr: the
    // token is right and the connection string is not; TLS names the fix (host + hostaddr).
    let tunnel_without_hostaddr = host_differs
        && token::is_rds_endpoint(&facts.host)
        && !token::is_rds_endpoint(&params.host)
        && params.hostaddr.is_none();
    if (host_differs || port_differs) && !tunnel_without_hostaddr {
        let mut evidence = vec![match probe.ctx.aws.port {
            Some(rds_port) => format!(
                "token signed for {}:{}, but RDS reports the endpoint {}:{rds_port}",
                facts.host,
                port_text(facts),
                probe.ctx.endpoint
            ),
            None => format!(
                "token signed for {}:{}, but the connection is to {}:{}",
                facts.host,
                port_text(facts),
                params.host,
                params.port
            ),
        }];
        if !token::is_rds_endpoint(&facts.host) {
            evidence.push(format!(
                "{} is not an RDS endpoint name: through a tunnel, sign for the real endpoint and connect with hostaddr",
                facts.host
            ));
        }
        causes.push(probe.cause(codes::TOKEN_HOST_MISMATCH, evidence, None));
    }
    if facts.region != probe.ctx.region && probe.ctx.region != "REGION" {
        causes.push(probe.cause(
            codes::TOKEN_REGION_MISMATCH,
            vec![format!(
                "token credential scope region {} but the database is in {}",
                facts.region, probe.ctx.region
            )],
            None,
        ));
    }
    let skew = probe.identity.as_ref().and_then(|i| i.clock_skew_seconds);
    if let Some(skew) = skew.filter(|s| s.abs() > MAX_FUTURE_SECONDS) {
        causes.push(probe.cause(
            codes::CLOCK_SKEW,
            vec![format!(
                "this machine's clock is {} of AWS's (the Date header of the STS answer); SigV4 allows 5 min",
                super::aws::identity::describe_skew(skew)
            )],
            None,
        ));
    }
    // RDS judges expiry by AWS's clock: use it when known.
    let clock = facts.clock(aws_now(probe));
    if clock.expired {
        causes.push(probe.cause(
            codes::TOKEN_EXPIRED,
            vec![format!(
                "token expired at {} ({} s ago by {}; tokens live {} s at most)",
                token::rfc3339(facts.expires_at),
                -clock.seconds_left,
                clock_basis(probe),
                token::MAX_EXPIRES_SECONDS
            )],
            None,
        ));
    } else if facts.expires_in_seconds > token::MAX_EXPIRES_SECONDS || facts.expires_in_seconds == 0
    {
        causes.push(probe.cause(
            codes::TOKEN_MALFORMED,
            vec![format!(
                "X-Amz-Expires={} is outside 1..=900",
                facts.expires_in_seconds
            )],
            None,
        ));
    }
    let skew_reported = causes.iter().any(|c| c.code == codes::CLOCK_SKEW);
    if clock.issued_in_future_seconds > MAX_FUTURE_SECONDS && !skew_reported {
        causes.push(probe.cause(
            codes::CLOCK_SKEW,
            vec![format!(
                "token dated {} s in the future of {}: the signing clock is ahead",
                clock.issued_in_future_seconds,
                clock_basis(probe)
            )],
            None,
        ));
    }
    causes
}

async fn resolve(probe: &mut Probe<'_>) -> Option<Vec<IpAddr>> {
    let params = &probe.options.params;
    let mut t = StepTimer::start("dns");
    if let Some(addr) = &params.hostaddr {
        let Ok(ip) = addr.parse::<IpAddr>() else {
            t.evidence(format!(
                "hostaddr {addr:?} is not an IP address (libpq needs a numeric address)"
            ));
            let cause = probe.cause(
                codes::DNS_FAILURE,
                vec![format!("hostaddr {addr:?} is not an IP address")],
                None,
            );
            probe.fail(t.finish(StepStatus::Fail, "invalid hostaddr"), vec![cause]);
            return None;
        };
        t.evidence(format!(
            "TCP goes to hostaddr {ip}; TLS is verified for and the token signed for {}",
            params.host
        ));
        probe
            .steps
            .push(t.finish(StepStatus::Pass, format!("using hostaddr {ip} (tunnel)")));
        return Some(vec![ip]);
    }
    if let Ok(ip) = params.host.parse::<IpAddr>() {
        probe
            .steps
            .push(t.finish(StepStatus::Pass, format!("{ip} is an address, no lookup")));
        return Some(vec![ip]);
    }
    let lookup = tokio::net::lookup_host((params.host.as_str(), params.port));
    let result = tokio::time::timeout(probe.options.connect_timeout, lookup).await;
    match result {
        Ok(Ok(addrs)) => {
            let ips: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
            if !ips.is_empty() {
                let shown: Vec<String> = ips.iter().map(IpAddr::to_string).collect();
                t.evidence(format!("{} → {}", params.host, shown.join(", ")));
                let private = ips.iter().any(is_private);
                let summary = if private {
                    format!(
                        "{} resolves to a private address: reachable only inside the VPC (or through a tunnel with --hostaddr)",
                        params.host
                    )
                } else {
                    format!("{} resolves", params.host)
                };
                probe.steps.push(t.finish(StepStatus::Pass, summary));
                return Some(ips);
            }
            dns_failed(probe, t, "no addresses".into())
        }
        Ok(Err(e)) => dns_failed(probe, t, e.to_string()),
        Err(_) => dns_failed(
            probe,
            t,
            format!("no answer within {:?}", probe.options.connect_timeout),
        ),
    }
}

fn is_private(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private(),
        IpAddr::V6(_) => false,
    }
}

fn dns_failed(probe: &mut Probe<'_>, mut t: StepTimer, why: String) -> Option<Vec<IpAddr>> {
    let host = probe.options.params.host.clone();
    t.evidence(format!("lookup of {host}: {why}"));
    let cause = probe.cause(
        codes::DNS_FAILURE,
        vec![format!("{host} does not resolve: {why}")],
        None,
    );
    probe.fail(
        t.finish(StepStatus::Fail, format!("{host} does not resolve")),
        vec![cause],
    );
    None
}

async fn connect(probe: &mut Probe<'_>, addrs: &[IpAddr]) -> Option<TcpStream> {
    let port = probe.options.params.port;
    let mut t = StepTimer::start("tcp");
    let mut last = None;
    for ip in addrs {
        match session::connect_tcp(&ip.to_string(), port, probe.options.connect_timeout).await {
            Ok(stream) => {
                probe
                    .steps
                    .push(t.finish(StepStatus::Pass, format!("connected to {ip}:{port}")));
                return Some(stream);
            }
            Err(failure) => {
                t.evidence(format!(
                    "{ip}:{port}: {}",
                    describe_net(&failure, probe.options.connect_timeout)
                ));
                last = Some(failure);
            }
        }
    }
    let tunnel = probe.options.params.hostaddr.is_some();
    let (code, summary) = match last {
        Some(NetFailure::Refused) => (
            codes::CONNECTION_REFUSED,
            if tunnel {
                "connection refused: is the tunnel (SSM port forwarding) running on that port?"
            } else {
                "connection refused: wrong port, or nothing listening"
            },
        ),
        _ => (
            codes::NETWORK_TIMEOUT,
            "no TCP connection: security group, route, NACL, or a private endpoint reached from outside the VPC",
        ),
    };
    let evidence = t_evidence(&t);
    let cause = probe.cause(code, evidence, None);
    probe.fail(t.finish(StepStatus::Fail, summary), vec![cause]);
    None
}

fn t_evidence(t: &StepTimer) -> Vec<String> {
    t.evidence_lines().to_vec()
}

fn describe_net(failure: &NetFailure, timeout: Duration) -> String {
    match failure {
        NetFailure::Timeout => format!("timed out after {timeout:?}"),
        NetFailure::Refused => "connection refused".into(),
        NetFailure::Other(e) => e.clone(),
    }
}

async fn tls_handshake(
    probe: &mut Probe<'_>,
    mut tcp: TcpStream,
    roots: &TrustRoots,
) -> Option<tokio_rustls::client::TlsStream<TcpStream>> {
    let params = &probe.options.params;
    let mut t = StepTimer::start("tls");
    t.evidence(format!("trusting {}", roots.describe()));
    // One deadline for the step: the SSLRequest answer and the handshake together.
    let deadline = tokio::time::Instant::now() + probe.options.connect_timeout;
    match session::request_tls(&mut tcp, probe.options.connect_timeout).await {
        Ok(true) => {}
        Ok(false) => {
            t.evidence("server answered N to SSLRequest".to_owned());
            let cause = probe.cause(
                codes::TLS_NOT_OFFERED,
                vec!["server answered N to SSLRequest: TLS is off (ssl=off)".into()],
                None,
            );
            probe.fail(
                t.finish(
                    StepStatus::Fail,
                    "server does not offer TLS; IAM tokens need TLS",
                ),
                vec![cause],
            );
            return None;
        }
        Err(e) => {
            t.evidence(e.text.clone());
            let causes = diagnosis::causes_of_exchange_failure(&e, &probe.ctx);
            probe.fail(t.finish(StepStatus::Fail, "SSLRequest failed"), causes);
            return None;
        }
    }
    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
    match tls::handshake(tcp, &params.host, roots, left).await {
        Ok((stream, info)) => {
            t.evidence(format!(
                "{} {}; certificate chain and name {} verified",
                info.protocol, info.cipher, params.host
            ));
            probe.steps.push(t.finish(
                StepStatus::Pass,
                format!("verified TLS for {}", params.host),
            ));
            Some(stream)
        }
        Err(failure) => {
            let (code, summary, evidence, connection) = tls_failure(probe, &failure, roots);
            t.evidence(evidence.join("; "));
            let cause = probe.cause(code, evidence, connection);
            probe.fail(t.finish(StepStatus::Fail, summary), vec![cause]);
            None
        }
    }
}

fn tls_failure(
    probe: &mut Probe<'_>,
    failure: &TlsFailure,
    roots: &TrustRoots,
) -> (&'static str, String, Vec<String>, Option<String>) {
    let params = &probe.options.params;
    match failure {
        TlsFailure::UnknownCa => (
            codes::TLS_UNKNOWN_CA,
            "server certificate is not signed by a trusted CA".into(),
            vec![format!(
                "the server's chain leads to none of the {}; libpq says `SSL error: certificate verify failed`",
                roots.describe()
            )],
            None,
        ),
        TlsFailure::Expired => (
            codes::TLS_UNKNOWN_CA,
            "server certificate or its CA expired (or is not yet valid)".into(),
            vec![
                "certificate outside its validity period (rds-ca-2019 expired in August 2024)"
                    .into(),
            ],
            None,
        ),
        TlsFailure::HostnameMismatch { presented } => {
            let real = presented
                .iter()
                .find(|n| token::is_rds_endpoint(n))
                .or_else(|| presented.first())
                .cloned();
            let mut evidence = vec![format!(
                "certificate names {} but the connection verifies {:?}",
                if presented.is_empty() {
                    "(not reported)".to_owned()
                } else {
                    presented.join(", ")
                },
                params.host
            )];
            let connection = real.as_ref().map(|name| {
                probe.ctx.endpoint = name.clone();
                let addr = params.hostaddr.clone().unwrap_or_else(|| params.host.clone());
                evidence.push(format!(
                    "through a tunnel, keep TCP on {addr} with hostaddr and use the real name {name} as host (TLS and token)"
                ));
                params.conninfo_with(&[("host", name), ("hostaddr", &addr)])
            });
            (
                codes::TLS_HOSTNAME_MISMATCH,
                "certificate does not match the host name".into(),
                evidence,
                connection,
            )
        }
        TlsFailure::Timeout(_) => (
            codes::SERVER_TIMEOUT,
            "the server agreed to TLS, then did not finish the handshake".into(),
            vec![format!(
                "the server answered S to the SSLRequest, then no complete TLS handshake within the step's {} deadline (--connect-timeout); the token was not sent",
                humantime::format_duration(probe.options.connect_timeout)
            )],
            None,
        ),
        TlsFailure::Closed(text) => (
            codes::SERVER_PROTOCOL_ERROR,
            "the connection broke during the TLS handshake".into(),
            vec![
                format!("during the TLS handshake: {text}; no certificate was judged"),
                "the token was not sent".into(),
            ],
            None,
        ),
        TlsFailure::Other(text) => (
            codes::TLS_UNKNOWN_CA,
            "TLS handshake failed".into(),
            vec![text.clone()],
            None,
        ),
    }
}

/// A second connection without TLS and without any password: does the server refuse
/// non-TLS clients before asking for a password?
async fn plaintext_check(probe: &mut Probe<'_>, addrs: &[IpAddr]) -> Option<()> {
    let params = &probe.options.params;
    let mut t = StepTimer::start("plaintext");
    let Some(ip) = addrs.first() else {
        probe.steps.push(skipped("plaintext", "no address"));
        return Some(());
    };
    let tcp =
        match session::connect_tcp(&ip.to_string(), params.port, probe.options.connect_timeout)
            .await
        {
            Ok(tcp) => tcp,
            Err(e) => {
                probe.steps.push(t.finish(
                    StepStatus::Skipped,
                    format!("second connection failed: {e:?}"),
                ));
                return Some(());
            }
        };
    let answer = session::plaintext_probe(
        tcp,
        &params.user,
        &params.dbname,
        probe.options.connect_timeout,
    )
    .await;
    let client_plain = params.sslmode.starts_plaintext();
    match answer {
        Ok(StartupAnswer::Refused(error)) if error.message.contains("no encryption") => {
            t.evidence(format!("startup without TLS and without password: {error}"));
            if client_plain {
                let fixed = params.conninfo_with(&[]);
                let cause = probe.cause(
                    codes::SSL_REQUIRED,
                    vec![
                        format!("server said: {error}"),
                        format!("sslmode={} starts without TLS", params.sslmode.as_str()),
                    ],
                    Some(fixed),
                );
                probe.fail(
                    t.finish(
                        StepStatus::Fail,
                        format!(
                            "server refuses non-TLS connections, and sslmode={} does not use TLS",
                            params.sslmode.as_str()
                        ),
                    ),
                    vec![cause],
                );
                return None;
            }
            probe.steps.push(t.finish(
                StepStatus::Pass,
                "server refuses non-TLS connections (good: tokens never travel in clear)",
            ));
        }
        Ok(StartupAnswer::Refused(error)) => {
            t.evidence(format!("server said: {error}"));
            probe.steps.push(t.finish(
                StepStatus::Warn,
                "non-TLS startup refused for another reason",
            ));
        }
        Ok(StartupAnswer::Auth(request)) => {
            t.evidence(format!(
                "without TLS the server asks for {} (no password was sent; connection closed)",
                request.describe()
            ));
            probe.steps.push(t.finish(StepStatus::Warn, "server accepts non-TLS connections: set rds.force_ssl=1 so tokens cannot be sent in clear"));
        }
        Err(e) => {
            t.evidence(e.text);
            probe
                .steps
                .push(t.finish(StepStatus::Warn, "plaintext check inconclusive"));
        }
    }
    Some(())
}

async fn login(
    probe: &mut Probe<'_>,
    tls: tokio_rustls::client::TlsStream<TcpStream>,
    token: &str,
) -> Option<Box<session::PgStream<tokio_rustls::client::TlsStream<TcpStream>>>> {
    let params = &probe.options.params;
    let mut t = StepTimer::start("login");
    let outcome = session::login_over_tls(
        tls,
        &params.user,
        &params.dbname,
        token,
        probe.options.connect_timeout,
    )
    .await;
    let causes = match outcome {
        Ok(LoginOutcome::LoggedIn(stream, server)) => {
            t.evidence(format!(
                "PostgreSQL {}; token accepted for {:?} on database {:?}",
                server.server_version, params.user, params.dbname
            ));
            probe.steps.push(t.finish(
                StepStatus::Pass,
                format!("logged in as {} to {}", params.user, params.dbname),
            ));
            return Some(stream);
        }
        Ok(LoginOutcome::NotPam(request)) => {
            let said = format!(
                "the server asked for {} instead of a cleartext password; the token was not sent",
                request.describe()
            );
            t.evidence(said.clone());
            diagnosis::not_pam_causes(said, &probe.ctx)
        }
        Ok(LoginOutcome::RefusedBeforeAuth(error)) => {
            t.evidence(format!("refused before authentication: {error}"));
            diagnosis::causes_of_server_error(&error, false, &probe.ctx)
        }
        Ok(LoginOutcome::AuthFailed(error)) => {
            t.evidence(format!(
                "token sent over verified TLS and rejected: {error}"
            ));
            diagnosis::causes_of_server_error(&error, false, &probe.ctx)
        }
        Ok(LoginOutcome::AfterAuth(error)) => {
            t.evidence(format!("authenticated, then: {error}"));
            let mut causes = diagnosis::causes_of_server_error(&error, true, &probe.ctx);
            if error.sqlstate == "3D000" {
                existing_databases(probe, token, &mut causes).await;
            }
            causes
        }
        // No answer from PostgreSQL on the token (timeout, closed connection, malformed
        // message, cap): a network or protocol cause, not a token verdict.
        Err(e) => {
            t.evidence(e.text.clone());
            diagnosis::causes_of_exchange_failure(&e, &probe.ctx)
        }
    };
    let summary = causes.first().map_or_else(
        || "login failed".to_owned(),
        |c| format!("login failed: {}", c.title),
    );
    probe.fail(t.finish(StepStatus::Fail, summary), causes);
    None
}

/// After `database does not exist` the token is known good: log in again to `postgres` (same
/// token, same verified TLS) and name the databases that exist.
async fn existing_databases(probe: &Probe<'_>, token: &str, causes: &mut [Cause]) {
    if probe.options.params.dbname == "postgres" {
        return;
    }
    let names = list_databases(probe, token).await;
    if let (Some(cause), Ok(names)) = (causes.first_mut(), names) {
        cause
            .evidence
            .push(format!("databases that exist: {}", names.join(", ")));
        if let Some(first) = names
            .iter()
            .find(|n| n.as_str() != "postgres" && n.as_str() != "rdsadmin")
            .or(names.first())
        {
            cause.fix.connection = Some(probe.options.params.conninfo_with(&[("dbname", first)]));
        }
    }
}

async fn list_databases(probe: &Probe<'_>, token: &str) -> Result<Vec<String>, String> {
    let params = &probe.options.params;
    let timeout = probe.options.connect_timeout;
    let mut tcp = session::connect_tcp(params.connect_address(), params.port, timeout)
        .await
        .map_err(|e| format!("{e:?}"))?;
    if !session::request_tls(&mut tcp, timeout).await? {
        return Err("no TLS".into());
    }
    let roots = TrustRoots::load(params.sslrootcert.as_deref())?;
    let (tls, _) = tls::handshake(tcp, &params.host, &roots, timeout)
        .await
        .map_err(|e| format!("{e:?}"))?;
    match session::login_over_tls(tls, &params.user, "postgres", token, timeout).await? {
        LoginOutcome::LoggedIn(mut stream, _) => {
            let rows = stream.query_rows(DATABASES_SQL).await;
            stream.close().await;
            Ok(rows?
                .into_iter()
                .filter_map(|r| r.into_iter().next().flatten())
                .collect())
        }
        _ => Err("cannot log in to postgres either".into()),
    }
}

async fn after_login(
    probe: &mut Probe<'_>,
    mut stream: Box<session::PgStream<tokio_rustls::client::TlsStream<TcpStream>>>,
) -> Option<()> {
    let mut t = StepTimer::start("session");
    let rows = stream.query_rows(POST_LOGIN_SQL).await;
    stream.close().await;
    let row = match rows {
        Ok(rows) => rows.into_iter().next().unwrap_or_default(),
        Err(e) => {
            t.evidence(e.text);
            probe
                .steps
                .push(t.finish(StepStatus::Warn, "logged in, but the session checks failed"));
            return Some(());
        }
    };
    let cell = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
    let (user, in_rds_iam, ssl, db) = (cell(0), cell(1) == "t", cell(2) == "t", cell(3));
    t.evidence(format!("current_user {user}, database {db}"));
    t.evidence(format!(
        "pg_has_role(current_user, 'rds_iam', 'member') = {in_rds_iam}"
    ));
    t.evidence(format!("pg_stat_ssl.ssl = {ssl}"));
    let status = if in_rds_iam && ssl {
        StepStatus::Pass
    } else {
        StepStatus::Warn
    };
    probe.steps.push(t.finish(
        status,
        format!("{user} in rds_iam: {in_rds_iam}, TLS in use: {ssl}, database {db} exists"),
    ));
    Some(())
}
