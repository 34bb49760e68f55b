//! The verdict: what the first lines of the doctor's output say, built from the ranked
//! diagnosis after the probe. Line 1 is always the first cause (`✗ code: sentence`) or `✓`
//! saying whose token logged in; then the fixes of *checked* causes with real values, the
//! evidence (`why`), how the client's token differs from what the endpoint needs, and the
//! candidates that were not checked with the read-only command that would check them.
//!
//! A step that knows the reason for certain contributes it by putting its cause first in the
//! diagnosis (`Probe::lead`): the verdict never reorders causes, it only reads them. The
//! `rds-log` step does so with RDS's own reason; when the log export is off, its
//! `iam-auth-error-log-not-exported` cause adds the command that turns it on to the fixes.

use serde::Serialize;

use super::diagnosis::{self, Cause, FixContext, codes};
use super::options::Target;
use crate::token::{self, TokenFacts};

/// What a token the doctor signed itself showed, when it tried one after the client's failed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "result", content = "detail", rename_all = "kebab-case")]
pub enum FreshToken {
    /// It logged in: the client's token is the problem.
    Works,
    /// It failed too (the server's answer).
    Fails(String),
    /// Not tried (why).
    NotTried(String),
}

/// Which token the probe tested, and the facts of the tokens involved (never secrets).
#[derive(Debug, Clone, Default, Serialize)]
pub struct TokenReport {
    /// Whose token the login step used, in words.
    pub tested: String,
    /// The client's token (given with `--token -`, `--token-env`, `PGPASSWORD`, conninfo).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<TokenFacts>,
    /// A token the doctor signed (instead of, or after, the client's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doctor: Option<TokenFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fresh: Option<FreshToken>,
}

/// One fix line: a command with real values (`kind`: `aws-cli`, `sql`, `connection`), and
/// when it applies (for the outcomes of a check).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VerdictFix {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    pub command: String,
}

/// A field where the client's token differs from what the endpoint needs.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TokenDifference {
    /// `host`, `port`, `region`, `user`, `expiry`, `signer`.
    pub field: &'static str,
    pub client: String,
    pub needed: String,
}

/// Causes not checked, grouped by the read-only command that would check them.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NotChecked {
    pub codes: Vec<&'static str>,
    pub what: String,
    pub check: String,
}

/// The verdict, in the order the table prints it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verdict {
    /// The first output line without its symbol: `code: sentence`, or the success sentence.
    pub line: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// Whose token was tested (the second line).
    pub token_tested: String,
    /// A read-only check that decides between candidate causes (run as the master user).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<VerdictFix>,
    pub fixes: Vec<VerdictFix>,
    pub why: Vec<String>,
    pub token_differences: Vec<TokenDifference>,
    /// Other checked causes, after the first (code: title).
    pub also: Vec<String>,
    pub not_checked: Vec<NotChecked>,
}

/// Builds the verdict of a finished probe: whether the login worked, what was probed, the
/// ranked causes and the tokens tested.
pub fn build(
    ok: bool,
    t: &Target,
    causes: &[Cause],
    tokens: &TokenReport,
    ctx: &FixContext,
) -> Verdict {
    let token_tested = if tokens.tested.is_empty() {
        "none (the probe stopped before a token was needed)".to_owned()
    } else {
        tokens.tested.clone()
    };
    if ok {
        let line = if tokens.client.is_some() {
            format!(
                "login works: your client's token logged in as {} to {}",
                t.user, t.dbname
            )
        } else {
            "login works, with a token the doctor signed itself: your client's token was not tested"
                .to_owned()
        };
        return Verdict {
            line,
            token_tested,
            ..Verdict::default()
        };
    }
    let Some(first) = causes.first() else {
        return Verdict {
            line: "login fails: no cause was found".into(),
            token_tested,
            ..Verdict::default()
        };
    };
    let fresh_works = tokens.fresh == Some(FreshToken::Works);
    let differences = match &tokens.client {
        Some(client) if is_token_cause(first.code) => {
            differences(client, tokens.doctor.as_ref().filter(|_| fresh_works), ctx)
        }
        _ => Vec::new(),
    };
    let not_pam = first.code == codes::USER_NOT_IN_RDS_IAM
        && causes.iter().any(|c| c.code == codes::ROLE_MISSING);
    // Line 1 stays short (it must fit 80 columns); the differences follow under `why:`.
    let sentence = if fresh_works {
        "a fresh token works: the client's token is the problem".to_owned()
    } else if not_pam {
        format!(
            "{} is not in rds_iam or does not exist: the server asked for a password",
            t.user
        )
    } else {
        first.title.clone()
    };
    let mut verdict = Verdict {
        line: format!("{}: {sentence}", first.code),
        code: Some(first.code),
        token_tested,
        token_differences: differences,
        why: first.evidence.clone(),
        ..Verdict::default()
    };
    if let (true, Some(doctor)) = (fresh_works, &tokens.doctor) {
        verdict.why.push(format!(
            "a token the doctor signed for {}:{} as {} in {} logs in (fresh-token step)",
            doctor.host,
            doctor.port.map_or_else(String::new, |p| p.to_string()),
            doctor.user,
            doctor.region
        ));
    }
    if not_pam {
        not_pam_verdict(&mut verdict, causes, ctx);
    } else if fresh_works {
        // Do what the doctor did: sign a new token for the endpoint, port, user and region.
        let sign = diagnosis::cause(codes::TOKEN_EXPIRED, Vec::new(), ctx, None);
        push_fixes(&mut verdict.fixes, &sign, None);
    } else {
        for (rank, cause) in causes.iter().enumerate().filter(|(_, c)| c.checked) {
            let related = rank == 0 || (is_token_cause(first.code) && is_token_cause(cause.code));
            if related {
                push_fixes(&mut verdict.fixes, cause, None);
            }
        }
    }
    // RDS's own reason was not recorded: say so, with the command that records it next time.
    if let Some(off) = causes
        .iter()
        .find(|c| c.checked && c.code == codes::IAM_AUTH_ERROR_LOG_NOT_EXPORTED)
    {
        verdict.why.extend(off.evidence.iter().cloned());
        push_fixes(
            &mut verdict.fixes,
            off,
            Some("to record RDS's own reason for the next refusal (printed, not run: rdsiam is read-only)".into()),
        );
    }
    // A fresh token that works proves the AWS side for the doctor's signer: the rejection
    // and the AWS-side candidates are symptoms of the client's token then.
    let same_signer = !verdict
        .token_differences
        .iter()
        .any(|d| d.field == "signer");
    if fresh_works && same_signer {
        return verdict;
    }
    for cause in causes.iter().skip(1).filter(|c| c.checked) {
        if not_pam && cause.code == codes::ROLE_MISSING {
            continue;
        }
        verdict
            .also
            .push(format!("{}: {}", cause.code, cause.title));
    }
    for cause in causes.iter().filter(|c| !c.checked) {
        let check = cause.check.clone().unwrap_or_default();
        match verdict.not_checked.iter_mut().find(|n| n.check == check) {
            Some(group) => group.codes.push(cause.code),
            None => verdict.not_checked.push(NotChecked {
                codes: vec![cause.code],
                what: cause
                    .evidence
                    .first()
                    .map(|e| e.trim_start_matches("not checked: ").to_owned())
                    .unwrap_or_default(),
                check,
            }),
        }
    }
    if let Some(FreshToken::NotTried(why)) = &tokens.fresh {
        let check = diagnosis::aws_side_check(ctx);
        let fresh = "a token the doctor signs itself";
        match verdict.not_checked.iter_mut().find(|n| n.check == check) {
            Some(group) => group.what = format!("{}; and {fresh}", group.what),
            None => verdict.not_checked.push(NotChecked {
                codes: Vec::new(),
                what: format!("{fresh} ({why})"),
                check,
            }),
        }
    }
    verdict
}

fn is_token_cause(code: &str) -> bool {
    matches!(
        code,
        codes::TOKEN_EXPIRED
            | codes::TOKEN_USER_MISMATCH
            | codes::TOKEN_HOST_MISMATCH
            | codes::TOKEN_REGION_MISMATCH
            | codes::TOKEN_MALFORMED
            | codes::TOKEN_MISSING
            | codes::CLOCK_SKEW
            | codes::RDS_LOG_EXPIRED_TOKEN
            | codes::RDS_LOG_INVALID_TOKEN
    )
}

fn push_fixes(fixes: &mut Vec<VerdictFix>, cause: &Cause, when: Option<String>) {
    let fix = &cause.fix;
    for (kind, command) in [
        ("aws-cli", &fix.aws_cli),
        ("sql", &fix.sql),
        ("connection", &fix.connection),
    ] {
        if let Some(command) = command {
            let line = VerdictFix {
                kind,
                when: when.clone(),
                command: command.clone(),
            };
            if !fixes.contains(&line) {
                fixes.push(line);
            }
        }
    }
}

/// Role missing and not in `rds_iam` look the same from outside: one read-only query tells
/// them apart, and each outcome has its own fix.
fn not_pam_verdict(verdict: &mut Verdict, causes: &[Cause], ctx: &FixContext) {
    verdict.check = Some(VerdictFix {
        kind: "sql",
        when: Some("as the master user, to tell the causes apart".into()),
        command: diagnosis::role_check_sql(&ctx.params.user),
    });
    let nologin = diagnosis::cause(codes::ROLE_NOLOGIN, Vec::new(), ctx, None);
    for (code, when) in [
        (codes::ROLE_MISSING, "no row (role-missing)"),
        (
            codes::USER_NOT_IN_RDS_IAM,
            "in_rds_iam = f (user-not-in-rds-iam)",
        ),
    ] {
        if let Some(cause) = causes.iter().find(|c| c.code == code) {
            push_fixes(&mut verdict.fixes, cause, Some(when.into()));
        }
    }
    push_fixes(
        &mut verdict.fixes,
        &nologin,
        Some("rolcanlogin = f (role-nologin)".into()),
    );
}

/// How the client's token differs from what the endpoint needs: a token the doctor signed
/// and proved (`proven`), else the facts of this connection (and RDS's port when read).
fn differences(
    client: &TokenFacts,
    proven: Option<&TokenFacts>,
    ctx: &FixContext,
) -> Vec<TokenDifference> {
    let p = &ctx.params;
    let needed_host = proven.map_or_else(|| ctx.endpoint.clone(), |d| d.host.clone());
    let needed_port = proven
        .and_then(|d| d.port)
        .or(ctx.aws.port)
        .or(p.hostaddr.is_none().then_some(p.port));
    let needed_region = proven
        .map(|d| d.region.clone())
        .or_else(|| Some(ctx.region.clone()).filter(|r| r != "REGION"));
    let mut out = Vec::new();
    if !client.host.eq_ignore_ascii_case(&needed_host) {
        out.push(TokenDifference {
            field: "host",
            client: client.host.clone(),
            needed: needed_host,
        });
    }
    if let Some(port) = needed_port.filter(|port| client.port != Some(*port)) {
        out.push(TokenDifference {
            field: "port",
            client: client
                .port
                .map_or_else(|| "(none)".into(), |p| p.to_string()),
            needed: port.to_string(),
        });
    }
    if let Some(region) = needed_region.filter(|r| *r != client.region) {
        out.push(TokenDifference {
            field: "region",
            client: client.region.clone(),
            needed: region,
        });
    }
    if client.user != p.user {
        out.push(TokenDifference {
            field: "user",
            client: client.user.clone(),
            needed: p.user.clone(),
        });
    }
    let clock = client.clock(std::time::SystemTime::now());
    if clock.expired {
        out.push(TokenDifference {
            field: "expiry",
            client: format!(
                "expired {} ({} s ago)",
                token::rfc3339(client.expires_at),
                -clock.seconds_left
            ),
            needed: format!("signed less than {} s ago", client.expires_in_seconds),
        });
    }
    if let Some(doctor) = proven.filter(|d| d.access_key_id != client.access_key_id) {
        out.push(TokenDifference {
            field: "signer",
            client: format!("key {} ({})", client.access_key_id, client.access_key_type),
            needed: format!(
                "key {} ({}) works, the doctor's credentials",
                doctor.access_key_id, doctor.access_key_type
            ),
        });
    }
    out
}
