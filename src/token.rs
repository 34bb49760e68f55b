//! RDS IAM authentication tokens: decode one ([`inspect`]) and make one ([`generate`], through
//! `aws_sdk_rds::auth_token`, never a hand-written signer). A token is a presigned URL without
//! its scheme: `host:port/?Action=connect&DBUser=u&X-Amz-Algorithm=...&X-Amz-Credential=
//! AKID/DATE/REGION/rds-db/aws4_request&X-Amz-Date=...&X-Amz-Expires=900&X-Amz-SignedHeaders=
//! host[&X-Amz-Security-Token=...]&X-Amz-Signature=...`.
//!
//! The signature and the session token are secrets: nothing here returns them, and
//! [`redact`] is the only way a token is shown.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use percent_encoding::percent_decode_str;
use serde::Serialize;

/// RDS accepts tokens for 15 minutes at most.
pub const MAX_EXPIRES_SECONDS: u64 = 900;

/// What a token says about itself (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenFacts {
    pub user: String,
    pub host: String,
    pub port: Option<u16>,
    pub region: String,
    pub service: String,
    pub action: String,
    pub access_key_id: String,
    /// `AKIA` long-term (IAM user), `ASIA` temporary (role, SSO), else `unknown`.
    pub access_key_type: &'static str,
    #[serde(serialize_with = "ser_time")]
    pub issued_at: SystemTime,
    pub expires_in_seconds: u64,
    #[serde(serialize_with = "ser_time")]
    pub expires_at: SystemTime,
    pub session_token_present: bool,
    pub signed_headers: String,
    pub algorithm: String,
    /// Length of the whole token in bytes (session-token tokens are 1–4 KB).
    pub length: usize,
}

fn ser_time<S: serde::Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

/// `2026-11-21T21:00:00Z`.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Time-relative view of a token at `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenClock {
    pub expired: bool,
    /// Seconds until expiry (negative: expired that long ago).
    pub seconds_left: i64,
    /// Seconds the token is dated in the future (signing clock ahead), 0 if not.
    pub issued_in_future_seconds: i64,
}

impl TokenFacts {
    pub fn clock(&self, now: SystemTime) -> TokenClock {
        let left = signed_seconds_between(now, self.expires_at);
        TokenClock {
            expired: left <= 0,
            seconds_left: left,
            issued_in_future_seconds: signed_seconds_between(now, self.issued_at).max(0),
        }
    }
}

/// `to - from` in whole seconds, negative when `to` is earlier.
fn signed_seconds_between(from: SystemTime, to: SystemTime) -> i64 {
    match to.duration_since(from) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Decodes `token`. Errors say which part is missing or malformed (a truncated token, a
/// password pasted instead of a token, a `https://` URL...).
pub fn inspect(token: &str) -> Result<TokenFacts, String> {
    let token = token.trim();
    if token.is_empty() {
        return Err("the token is empty".into());
    }
    let without_scheme = token
        .strip_prefix("https://")
        .or_else(|| token.strip_prefix("http://"))
        .unwrap_or(token);
    let (authority, query) = without_scheme.split_once("/?").ok_or(
        "not an RDS auth token: no \"/?\" (expected host:port/?Action=connect&DBUser=...); was a password or a truncated token given?",
    )?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (
            h.to_owned(),
            Some(
                p.parse::<u16>()
                    .map_err(|_| format!("token host:port has an invalid port {p:?}"))?,
            ),
        ),
        None => (authority.to_owned(), None),
    };
    let param = |name: &str| -> Option<String> {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            // Names compared decoded, as a server reads them (`X-Amz-Security%2DToken`).
            .find(|(k, _)| *k == name || percent_decode_str(k).decode_utf8_lossy() == name)
            .map(|(_, v)| percent_decode_str(v).decode_utf8_lossy().into_owned())
    };
    let require = |value: Option<String>, name: &str| {
        value.ok_or_else(|| format!("token has no {name}: truncated or not an RDS auth token"))
    };
    let credential = require(param("X-Amz-Credential"), "X-Amz-Credential")?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, _date, region, service, terminator] = scope[..] else {
        return Err(format!(
            "X-Amz-Credential has {} parts, expected KEY/DATE/REGION/SERVICE/aws4_request",
            scope.len()
        ));
    };
    if terminator != "aws4_request" {
        return Err("X-Amz-Credential does not end with aws4_request".into());
    }
    let date = require(param("X-Amz-Date"), "X-Amz-Date")?;
    let issued_at = parse_amz_date(&date)?;
    let expires_text = require(param("X-Amz-Expires"), "X-Amz-Expires")?;
    let expires_in_seconds = expires_text
        .parse::<u64>()
        .map_err(|_| format!("X-Amz-Expires {expires_text:?} is not a number"))?;
    // Any expiry that is representable is kept (and shown as not what RDS accepts); one past
    // the last RFC 3339 second (year 9999) is not a real token.
    let expires_at = issued_at
        .checked_add(Duration::from_secs(expires_in_seconds))
        .filter(|t| *t <= latest_time())
        .ok_or_else(|| {
            format!(
                "X-Amz-Expires={expires_in_seconds} after X-Amz-Date {date} ends after the year 9999: not a real token (RDS accepts at most {MAX_EXPIRES_SECONDS})"
            )
        })?;
    require(param("X-Amz-Signature"), "X-Amz-Signature")?;
    Ok(TokenFacts {
        user: require(param("DBUser"), "DBUser")?,
        action: param("Action").unwrap_or_default(),
        host,
        port,
        region: region.to_owned(),
        service: service.to_owned(),
        access_key_type: key_type(access_key_id),
        access_key_id: access_key_id.to_owned(),
        issued_at,
        expires_in_seconds,
        expires_at,
        session_token_present: param("X-Amz-Security-Token").is_some(),
        signed_headers: param("X-Amz-SignedHeaders").unwrap_or_default(),
        algorithm: param("X-Amz-Algorithm").unwrap_or_default(),
        length: token.len(),
    })
}

fn key_type(access_key_id: &str) -> &'static str {
    if access_key_id.starts_with("AKIA") {
        "AKIA (long-term IAM user key)"
    } else if access_key_id.starts_with("ASIA") {
        "ASIA (temporary credentials: role, SSO, session)"
    } else {
        "unknown"
    }
}

/// 9999-12-31T23:59:59Z, the last second RFC 3339 (and `humantime`) can write.
fn latest_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(253_402_300_799)
}

/// `20261121T210000Z` → time.
fn parse_amz_date(text: &str) -> Result<SystemTime, String> {
    let bad = || format!("X-Amz-Date {text:?} is not YYYYMMDDTHHMMSSZ");
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return Err(bad());
    }
    let num = |range: std::ops::Range<usize>| -> Result<i64, String> {
        text.get(range)
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(bad)
    };
    let (year, month, day) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hour, minute, second) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(bad());
    }
    let seconds = crate::policy::condition::days_from_civil(year, month, day) * 86_400
        + hour * 3600
        + minute * 60
        + second;
    let seconds = u64::try_from(seconds).map_err(|_| bad())?;
    Ok(UNIX_EPOCH + Duration::from_secs(seconds))
}

/// The token with its secrets replaced: `X-Amz-Signature=<redacted: 64 chars>`,
/// `X-Amz-Security-Token=<redacted: N chars>`. Safe to print and log.
pub fn redact(token: &str) -> String {
    let token = token.trim();
    let Some((head, query)) = token.split_once('?') else {
        return format!("<{} chars, not a token: redacted>", token.len());
    };
    // A token's head is `host:port/`: one holding `=` or `&` is a damaged or spliced token
    // whose "host" may carry a secret's parameter (found by fuzzing `token_inspect`).
    let head = if head.contains(['=', '&']) {
        format!("<{} chars, not a host: redacted>", head.len())
    } else {
        head.to_owned()
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            // Any spelling of a secret's name: `X-Amz-Security%2DToken`, `x-amz-signature`…
            Some((k, v)) if crate::redact::may_name_a_secret(k) => {
                format!("{k}=<redacted: {} chars>", v.len())
            }
            // Shown only when the value is one value: a `?` or `=` inside it means a second
            // parameter (perhaps a secret's) was spliced into it.
            Some((k, v))
                if (k.starts_with("X-Amz-") || k == "Action" || k == "DBUser")
                    && !v.contains(['?', '=']) =>
            {
                format!("{k}={v}")
            }
            Some((k, _)) => format!("{k}=<redacted>"),
            None => "<redacted>".to_owned(),
        })
        .collect();
    // The kept values go through the one redaction function too (a value may hide an
    // encoded `X-Amz-Signature%3D…`).
    crate::redact::redact_text(&format!("{head}?{}", pairs.join("&"))).into_owned()
}

/// What to sign a token for.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub region: String,
    pub profile: Option<String>,
}

/// Checks what `token generate` is asked for before the SDK sees it: a host name (no
/// scheme, path, port or spaces), a port 1-65535, a user and a region that are not empty.
pub fn validate_request_parts(
    host: &str,
    port: u16,
    user: &str,
    region: Option<&str>,
) -> Result<(), String> {
    if host.trim().is_empty() {
        return Err("--host is empty: pass the endpoint name (e.g. mydb.abc123.us-east-1.rds.amazonaws.com)".into());
    }
    if let Some(bad) = host.chars().find(|c| {
        c.is_whitespace()
            || c.is_control()
            || matches!(c, '/' | '?' | '#' | '@' | ':' | '&' | '%' | '\\')
    }) {
        return Err(format!(
            "--host {host:?} is not a host name (it contains {bad:?}): pass the endpoint name only, the port with --port"
        ));
    }
    if port == 0 {
        return Err(
            "--port 0 is not a port: pass the database port (1-65535, usually 5432)".into(),
        );
    }
    if user.is_empty() {
        return Err("--user is empty: pass the database user the token is for".into());
    }
    if region.is_some_and(|r| r.trim().is_empty()) {
        return Err("--region is empty: pass the endpoint's region (e.g. us-east-1), or leave it out to take it from the endpoint name".into());
    }
    if let Some(r) = region.filter(|r| !r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')) {
        return Err(format!(
            "--region {r:?} is not a region name (e.g. us-east-1)"
        ));
    }
    Ok(())
}

/// `DBUser` as botocore writes it: every byte but the RFC 3986 unreserved characters
/// (`A-Z a-z 0-9 - _ . ~`) percent-encoded (`a&b` → `a%26b`). The SDK's generator puts the
/// user into the URL as given, so it is encoded here first.
pub fn encode_db_user(user: &str) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(user, UNRESERVED).to_string()
}

/// Signs a token with the default AWS credential chain (or `profile`) through the SDK's
/// `AuthTokenGenerator`.
pub async fn generate(request: &TokenRequest) -> Result<String, String> {
    let mut loader =
        crate::aws_http::defaults().region(aws_config::Region::new(request.region.clone()));
    if let Some(profile) = &request.profile {
        loader = loader.profile_name(profile);
    }
    let sdk_config = loader.load().await;
    let config = aws_sdk_rds::auth_token::Config::builder()
        .hostname(&request.host)
        .port(u64::from(request.port))
        .username(encode_db_user(&request.user))
        .region(aws_config::Region::new(request.region.clone()))
        .build()
        .map_err(|e| format!("token request: {e}"))?;
    aws_sdk_rds::auth_token::AuthTokenGenerator::new(config)
        .auth_token(&sdk_config)
        .await
        .map(|t| t.as_str().to_owned())
        .map_err(|e| {
            format!(
                "cannot sign a token: {e} (AWS credentials: set AWS_PROFILE / --profile, or run `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
            )
        })
}

/// The region in an RDS endpoint name (`x.y.us-east-1.rds.amazonaws.com`), if it is one.
pub fn region_of_endpoint(host: &str) -> Option<String> {
    let lower = host.to_ascii_lowercase();
    let labels: Vec<&str> = lower.trim_end_matches('.').split('.').collect();
    let rds_at = labels.iter().position(|l| *l == "rds")?;
    let region = labels.get(rds_at.checked_sub(1)?)?;
    let tail = &labels[rds_at + 1..];
    let is_aws = tail.first().is_some_and(|d| d.starts_with("amazonaws"));
    (is_aws && region.contains('-')).then(|| (*region).to_owned())
}

/// Whether `host` looks like an RDS/Aurora/Proxy endpoint name.
pub fn is_rds_endpoint(host: &str) -> bool {
    region_of_endpoint(host).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_secret_parameter_name_is_still_redacted() {
        let token = "db.example.com:5432/?Action=connect&DBUser=u&X-Amz-Security-bToken=SESSIONVALUE&x-amz-SIGNATUREx=abc";
        let shown = redact(token);
        assert!(!shown.contains("SESSIONVALUE"), "{shown}");
        assert!(!shown.contains("=abc"), "{shown}");
        assert!(shown.contains("DBUser=u"), "{shown}");
        // A secret spliced into a shown value is not shown either.
        let shown = redact("h:5432/?Action=connect?X-Token=SPLICED&DBUser=u");
        assert!(!shown.contains("SPLICED"), "{shown}");
        // A secret spliced into the part before `?` (the host) is not shown either.
        let spliced =
            "db.amazo-Token=SESSIONVALUE&X-Amz-Signature=abc0naws.com:5432/?Action=connect";
        let shown = redact(spliced);
        assert!(
            !shown.contains("SESSIONVALUE") && !shown.contains("abc0n"),
            "{shown}"
        );
    }

    const TOKEN: &str = "mydb.abc.us-east-1.rds.amazonaws.com:5432/?Action=connect&DBUser=pgmonitor&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLEKEY123456%2F20261121%2Fus-east-1%2Frds-db%2Faws4_request&X-Amz-Date=20261121T210000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=SESSIONSECRET&X-Amz-Signature=abcdef0123456789";

    #[test]
    fn inspect_reads_every_field() {
        let facts = inspect(TOKEN).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(facts.user, "pgmonitor");
        assert_eq!(facts.host, "mydb.abc.us-east-1.rds.amazonaws.com");
        assert_eq!(facts.port, Some(5432));
        assert_eq!(facts.region, "us-east-1");
        assert_eq!(facts.service, "rds-db");
        assert!(facts.access_key_type.starts_with("ASIA"));
        assert!(facts.session_token_present);
        assert_eq!(rfc3339(facts.issued_at), "2026-11-21T21:00:00Z");
        assert_eq!(rfc3339(facts.expires_at), "2026-11-21T21:15:00Z");
        let clock = facts.clock(facts.issued_at + Duration::from_secs(1000));
        assert!(clock.expired);
        assert_eq!(clock.seconds_left, -100);
    }

    #[test]
    fn redact_hides_signature_and_session_token() {
        let shown = redact(TOKEN);
        assert!(!shown.contains("abcdef0123456789"));
        assert!(!shown.contains("SESSIONSECRET"));
        assert!(shown.contains("DBUser=pgmonitor"));
    }

    #[test]
    fn truncated_token_says_what_is_missing() {
        let cut = &TOKEN[..TOKEN.find("&X-Amz-Date").unwrap_or(0)];
        let err = inspect(cut).err().unwrap_or_default();
        assert!(err.contains("X-Amz-Date"), "{err}");
        assert!(inspect("hunter2").is_err());
    }

    #[test]
    fn endpoint_regions() {
        assert_eq!(
            region_of_endpoint("mydb.abc.eu-west-1.rds.amazonaws.com").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            region_of_endpoint("c.cluster-ro-x.cn-north-1.rds.amazonaws.com.cn").as_deref(),
            Some("cn-north-1")
        );
        assert_eq!(region_of_endpoint("localhost"), None);
    }
}
