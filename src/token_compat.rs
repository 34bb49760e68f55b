//! Will this token survive the trip to RDS? Pure checks of a token as a client would hand it
//! over: its length against the documented password limits of common poolers and clients,
//! whitespace or newlines around or inside it, and a token pasted unencoded into a
//! `postgres://` URI (where its `/`, `?`, `&`, `=` and `%` end the password early).
//!
//! RDS answers a mangled token with `InvalidToken` in the `iam-db-auth-error` log
//! (<https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.Troubleshooting.html>);
//! the client sees only `PAM authentication failed`. The limits below are the ones the
//! projects themselves document in source or changelogs (see [`LIMITS`]); nothing here
//! prints the token.

use percent_encoding::percent_decode_str;
use serde::Serialize;

/// A client or pooler that cuts or refuses passwords above a length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClientLimit {
    pub client: &'static str,
    /// Longest password accepted, in bytes.
    pub max_bytes: usize,
    /// What happens above it.
    pub effect: &'static str,
    pub source: &'static str,
}

/// Documented limits a real token can exceed or not, in releases still in use (source: each
/// project's pull request or changelog). A limit warns only when this token is over it.
///
/// Left out on purpose, so the warning does not fire for every token:
/// - limits below the shortest real token (about 350 bytes with a long-term key, 1-2 KB with
///   a session token): PgBouncer up to 1.15 (`MAX_PASSWORD` 160, pgbouncer#619), pgagroal,
///   pgexporter and pgmoneta before July 2026 (256 characters, pgagroal#942). Those clients
///   cannot carry any IAM token: a property of the client, not of this token;
/// - limits since removed from every maintained release: pgAdmin 4 refused passwords over
///   1,000 characters until 4.23 (pgadmin4#3630, 2020);
/// - clients with no documented limit: libpq/psql (PostgreSQL 14 removed the prompt limit;
///   `PGPASSWORD` never had one), the PostgreSQL JDBC driver, psycopg, node-postgres. None was
///   found, and a guess would be worse than nothing.
pub const LIMITS: &[ClientLimit] = &[
    ClientLimit {
        client: "PgBouncer 1.16 (MAX_PASSWORD 996; Ubuntu 22.04 ships 1.16.1)",
        max_bytes: 995,
        effect: "truncates the password",
        source: "https://github.com/pgbouncer/pgbouncer/pull/626",
    },
    ClientLimit {
        client: "PgBouncer 1.17 to 1.25 (MAX_PASSWORD 2048; 65535 since pgbouncer#1310)",
        max_bytes: 2047,
        effect: "truncates the password",
        source: "https://github.com/pgbouncer/pgbouncer/pull/1310",
    },
];

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The token will be refused as given.
    Error,
    /// It will be refused by some clients or setups.
    Warning,
}

/// One compatibility finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compat {
    pub level: Level,
    /// `length`, `whitespace`, `uri-unencoded`, `uri-encoded`.
    pub check: &'static str,
    pub message: String,
}

/// What a client would send: the token itself, or a connection URI carrying it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The token (URI password decoded), untrimmed.
    pub token: String,
    pub findings: Vec<Compat>,
}

/// Checks `given` (a token, or a `postgres://` / `postgresql://` URI whose password is a
/// token) and returns the token a client would send with the findings.
pub fn check(given: &str) -> Extracted {
    let mut findings = Vec::new();
    let token = match uri_password(given) {
        Some(UriPassword::Unencoded(raw)) => {
            findings.push(Compat {
                level: Level::Error,
                check: "uri-unencoded",
                message: "the token sits unencoded in a postgres:// URI: its '/', '?', '&', '=' and '%' end the password early, so the server gets a cut token (InvalidToken). Percent-encode it (e.g. python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe=\"\"))' \"$TOKEN\"), or pass it as PGPASSWORD / a password= keyword instead".to_owned(),
            });
            raw
        }
        Some(UriPassword::Encoded(decoded)) => decoded,
        None => given.to_owned(),
    };
    whitespace(&token, &mut findings);
    length(token.trim().len(), &mut findings);
    Extracted { token, findings }
}

fn whitespace(token: &str, findings: &mut Vec<Compat>) {
    let trimmed = token.trim();
    if trimmed.len() != token.len() {
        let what = if token.contains(['\n', '\r']) {
            "a newline"
        } else {
            "spaces or tabs"
        };
        findings.push(Compat {
            level: Level::Error,
            check: "whitespace",
            message: format!(
                "{what} around the token: clients send it as part of the password and RDS refuses it (InvalidToken). Strip it (e.g. `$(aws rds generate-db-auth-token ...)` in a shell, not a file read with its trailing newline)"
            ),
        });
    }
    if trimmed.contains(char::is_whitespace) {
        findings.push(Compat {
            level: Level::Error,
            check: "whitespace",
            message: "whitespace or a line break inside the token: it was wrapped or pasted in pieces; a token is one unbroken line".to_owned(),
        });
    }
}

fn length(bytes: usize, findings: &mut Vec<Compat>) {
    let cut_by: Vec<&ClientLimit> = LIMITS.iter().filter(|l| bytes > l.max_bytes).collect();
    if cut_by.is_empty() {
        return;
    }
    let list = cut_by
        .iter()
        .map(|l| format!("{} ({} bytes: {})", l.client, l.max_bytes, l.effect))
        .collect::<Vec<_>>()
        .join("; ");
    findings.push(Compat {
        level: Level::Warning,
        check: "length",
        message: format!(
            "the token is {bytes} bytes (temporary credentials add a session token of several hundred bytes): longer than the password limit of {list}. If one of them is between the client and RDS, the token arrives cut (InvalidToken)"
        ),
    });
}

enum UriPassword {
    /// The password as written (it was not percent-encoded).
    Unencoded(String),
    /// The decoded password.
    Encoded(String),
}

/// The password of a `postgres://user:password@host/...` URI, when `given` is one.
fn uri_password(given: &str) -> Option<UriPassword> {
    let trimmed = given.trim();
    let rest = trimmed
        .strip_prefix("postgresql://")
        .or_else(|| trimmed.strip_prefix("postgres://"))?;
    // libpq ends the authority at the first '/' or '?': a raw token's "/?Action=" does that
    // before its '@' is reached.
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let password = userinfo.split_once(':').map(|(_, p)| p)?;
            Some(UriPassword::Encoded(
                percent_decode_str(password)
                    .decode_utf8_lossy()
                    .into_owned(),
            ))
        }
        None => {
            // No '@' before the path: if a '@' follows and what precedes it looks like a
            // token, the token was pasted raw.
            let at = rest.rfind('@')?;
            let userinfo = &rest[..at];
            let password = userinfo.split_once(':').map(|(_, p)| p)?;
            password
                .contains("Action=connect")
                .then(|| UriPassword::Unencoded(password.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "mydb.c1.us-east-1.rds.amazonaws.com:5432/?Action=connect&DBUser=app&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261120%2Fus-east-1%2Frds-db%2Faws4_request&X-Amz-Date=20261120T090000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=abc";

    fn checks(e: &Extracted) -> Vec<&'static str> {
        e.findings.iter().map(|f| f.check).collect()
    }

    #[test]
    fn a_clean_token_gets_no_finding() {
        // ~300 bytes: under every listed limit (issue #16: the length warning used to fire
        // for every token, through limits no IAM token can meet).
        let e = check(TOKEN);
        assert_eq!(e.token, TOKEN);
        assert!(e.findings.is_empty(), "{:?}", e.findings);
        // A typical session-token token (~1.2 KB) is only over PgBouncer 1.16's limit.
        let session = format!("{TOKEN}&X-Amz-Security-Token={}", "T".repeat(900));
        let e = check(&session);
        assert_eq!(checks(&e), ["length"]);
        assert!(e.findings[0].message.contains("PgBouncer 1.16"));
        assert!(!e.findings[0].message.contains("PgBouncer 1.17"));
    }

    #[test]
    fn newline_and_spaces_around_and_inside_are_errors() {
        let e = check(&format!("{TOKEN}\n"));
        assert_eq!(checks(&e), ["whitespace"]);
        assert_eq!(e.findings[0].level, Level::Error);
        assert!(e.findings[0].message.starts_with("a newline"));
        let e = check(&format!(" {TOKEN}"));
        assert!(e.findings[0].message.starts_with("spaces or tabs"));
        let (a, b) = TOKEN.split_at(60);
        let e = check(&format!("{a}\n{b}"));
        assert_eq!(checks(&e), ["whitespace"]);
        assert!(e.findings[0].message.contains("inside"));
    }

    #[test]
    fn length_warns_exactly_over_each_limit() {
        for limit in LIMITS {
            let pad = |len: usize| format!("{TOKEN}&X-Amz-Security-Token={}", "T".repeat(len));
            let base = pad(0).len();
            let at = pad(limit.max_bytes - base);
            assert_eq!(at.len(), limit.max_bytes);
            let over = pad(limit.max_bytes + 1 - base);
            let names = |t: &str| {
                check(t)
                    .findings
                    .iter()
                    .any(|f| f.message.contains(limit.client))
            };
            assert!(!names(&at), "{} bytes is within {}", at.len(), limit.client);
            assert!(
                names(&over),
                "{} bytes is over {}",
                over.len(),
                limit.client
            );
        }
        // Every listed limit is one a real token can meet: above the shortest token.
        assert!(LIMITS.iter().all(|l| l.max_bytes > TOKEN.len()));
    }

    #[test]
    fn an_unencoded_token_in_a_uri_is_an_error_and_an_encoded_one_is_decoded() {
        let raw = format!(
            "postgresql://app:{TOKEN}@mydb.c1.us-east-1.rds.amazonaws.com:5432/postgres?sslmode=verify-full"
        );
        let e = check(&raw);
        assert!(checks(&e).contains(&"uri-unencoded"), "{:?}", e.findings);
        assert_eq!(e.token, TOKEN);

        let encoded: String =
            percent_encoding::utf8_percent_encode(TOKEN, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        let uri =
            format!("postgres://app:{encoded}@mydb.c1.us-east-1.rds.amazonaws.com:5432/postgres");
        let e = check(&uri);
        assert!(!checks(&e).contains(&"uri-unencoded"), "{:?}", e.findings);
        assert_eq!(e.token, TOKEN, "decoded back to the token");
    }

    #[test]
    fn a_uri_without_a_token_is_left_alone() {
        let e = check("postgres://app@host/db");
        assert_eq!(e.token, "postgres://app@host/db");
    }
}
