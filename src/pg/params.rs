//! Connection parameters resolved the libpq way: explicit flags, then a conninfo string
//! (`host=... port=...`) or a `postgres://` URI, then the `PG*` environment variables, then
//! defaults (port 5432, dbname = user name as psql does). Owns parsing and precedence only;
//! no I/O except reading the environment through the function it is given.

use std::fmt;
use std::path::PathBuf;

use percent_encoding::percent_decode_str;

/// libpq `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn parse(text: &str) -> Result<Self, String> {
        Ok(match text {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "invalid sslmode {other:?}: use disable, allow, prefer, require, verify-ca or verify-full"
                ));
            }
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
    /// Whether a client with this mode starts without TLS (and so would send the token in
    /// clear, or be refused by `rds.force_ssl`).
    pub fn starts_plaintext(self) -> bool {
        matches!(self, SslMode::Disable | SslMode::Allow)
    }
}

/// One source of parameters, every field optional (flags, a conninfo string, the environment).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParamSource {
    pub host: Option<String>,
    pub hostaddr: Option<String>,
    pub port: Option<String>,
    pub dbname: Option<String>,
    pub user: Option<String>,
    pub sslmode: Option<String>,
    pub sslrootcert: Option<String>,
    pub password: Option<String>,
}

impl ParamSource {
    /// The `PG*` variables, read through `env`.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| env(name).filter(|v| !v.is_empty());
        if let Some(password) = get("PGPASSWORD") {
            crate::redact::register_secret(&password);
        }
        ParamSource {
            host: get("PGHOST"),
            hostaddr: get("PGHOSTADDR"),
            port: get("PGPORT"),
            dbname: get("PGDATABASE"),
            user: get("PGUSER"),
            sslmode: get("PGSSLMODE"),
            sslrootcert: get("PGSSLROOTCERT"),
            password: get("PGPASSWORD"),
        }
    }

    /// A conninfo string (`host=h port=5432 user='a b'`) or a `postgres://` / `postgresql://` URI.
    /// Errors never quote the password, nor text that may be a piece of it.
    pub fn parse_conninfo(text: &str) -> Result<Self, String> {
        let parsed = Self::parse_conninfo_inner(text);
        if let Ok(ParamSource {
            password: Some(password),
            ..
        }) = &parsed
        {
            crate::redact::register_secret(password);
        }
        parsed
    }

    fn parse_conninfo_inner(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
            parse_uri(trimmed)
        } else {
            let mut source = ParamSource::default();
            for (key, value) in parse_keyword_pairs(trimmed)? {
                source.set(&key, value)?;
            }
            Ok(source)
        }
    }

    fn set(&mut self, key: &str, value: String) -> Result<(), String> {
        let slot = match key {
            "host" => &mut self.host,
            "hostaddr" => &mut self.hostaddr,
            "port" => &mut self.port,
            "dbname" => &mut self.dbname,
            "user" => &mut self.user,
            "sslmode" => &mut self.sslmode,
            "sslrootcert" => &mut self.sslrootcert,
            "password" => &mut self.password,
            // Accepted and irrelevant to the diagnosis.
            "connect_timeout"
            | "application_name"
            | "options"
            | "target_session_attrs"
            | "sslcert"
            | "sslkey"
            | "gssencmode"
            | "keepalives" => return Ok(()),
            other => return Err(format!("unknown connection parameter {other:?}")),
        };
        *slot = Some(value);
        Ok(())
    }

    /// Fields of `self`, falling back to `lower` where `self` has none.
    pub fn or(self, lower: ParamSource) -> ParamSource {
        ParamSource {
            host: self.host.or(lower.host),
            hostaddr: self.hostaddr.or(lower.hostaddr),
            port: self.port.or(lower.port),
            dbname: self.dbname.or(lower.dbname),
            user: self.user.or(lower.user),
            sslmode: self.sslmode.or(lower.sslmode),
            sslrootcert: self.sslrootcert.or(lower.sslrootcert),
            password: self.password.or(lower.password),
        }
    }
}

fn parse_keyword_pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.peek().copied() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            // After an unquoted password with a space, this word is a piece of the password.
            if pairs
                .iter()
                .any(|(k, _): &(String, String)| k == "password")
            {
                return Err("conninfo: missing \"=\" after a word that follows password= (a password with spaces must be quoted: password='...')".into());
            }
            return Err(format!(
                "conninfo: missing \"=\" after {key:?} (expected key=value pairs or a postgres:// URI)"
            ));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    Some('\\') => value.extend(chars.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => return Err(format!("conninfo: unterminated quote in {key}")),
                }
            }
        } else {
            while let Some(c) = chars.peek().copied() {
                if c.is_whitespace() {
                    break;
                }
                chars.next();
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
}

fn decode(part: &str) -> String {
    percent_decode_str(part).decode_utf8_lossy().into_owned()
}

const UNENCODED_USERINFO: &str = "if the user or password contains \"/\", \"?\", \"#\", \":\" or \"@\", percent-encode it: / as %2F, ? as %3F, # as %23, : as %3A, @ as %40";

fn parse_uri(uri: &str) -> Result<ParamSource, String> {
    let rest = uri
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    // No `@` in the authority but one after it: the user info holds an unencoded `/` or
    // `?`, and a piece of the password would be taken for the port, path or query (and
    // echoed in an error). Refuse without quoting any of it.
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    if !rest[..authority_end].contains('@') && rest[authority_end..].contains('@') {
        return Err(format!(
            "URI: \"@\" after the host part ({UNENCODED_USERINFO})"
        ));
    }
    let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = before_query.split_once('/').unwrap_or((before_query, ""));
    let mut source = ParamSource::default();
    let host_port = match authority.rsplit_once('@') {
        Some((userinfo, host_port)) => {
            let (user, password) = userinfo
                .split_once(':')
                .map_or((userinfo, None), |(u, p)| (u, Some(p)));
            if !user.is_empty() {
                source.user = Some(decode(user));
            }
            source.password = password.map(decode);
            host_port
        }
        None => authority,
    };
    if host_port.contains(',') {
        return Err("URI: several hosts are not supported; diagnose one host at a time".into());
    }
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (ip, after) = bracketed
            .split_once(']')
            .ok_or("URI: unterminated [IPv6] host")?;
        (ip, after.strip_prefix(':'))
    } else {
        host_port
            .rsplit_once(':')
            .map_or((host_port, None), |(h, p)| (h, Some(p)))
    };
    if !host.is_empty() {
        source.host = Some(decode(host));
    }
    if port.is_some_and(|p| !p.bytes().all(|b| b.is_ascii_digit())) {
        // Not quoted: with a `#` or `:` in an unencoded password this is a piece of it.
        return Err(format!(
            "URI: the port is not a number ({UNENCODED_USERINFO})"
        ));
    }
    source.port = port.filter(|p| !p.is_empty()).map(str::to_owned);
    if !path.is_empty() {
        source.dbname = Some(decode(path));
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            // Not quoted: with an unencoded `?` in the password, this is a piece of it.
            .ok_or("URI: a query parameter has no \"=\" (expected ?key=value&key=value)")?;
        source.set(&decode(key), decode(value))?;
    }
    Ok(source)
}

/// Resolved parameters of one connection attempt.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnParams {
    /// The name TLS is verified against and the token is signed for.
    pub host: String,
    /// Where TCP goes instead of resolving `host` (a tunnel, SSM port forwarding).
    pub hostaddr: Option<String>,
    pub port: u16,
    pub user: String,
    pub dbname: String,
    /// The user gave no dbname: psql's default (the user name) was used.
    pub dbname_defaulted: bool,
    pub sslmode: SslMode,
    pub sslrootcert: Option<PathBuf>,
    /// The token (never printed; see `Debug`).
    pub password: Option<String>,
}

impl fmt::Debug for ConnParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnParams")
            .field("host", &self.host)
            .field("hostaddr", &self.hostaddr)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("dbname", &self.dbname)
            .field("sslmode", &self.sslmode)
            .field("sslrootcert", &self.sslrootcert)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl ConnParams {
    /// Resolves `source` (already merged: flags over conninfo over environment).
    pub fn resolve(source: ParamSource) -> Result<Self, String> {
        // An error quotes the value it refuses, and a damaged conninfo can hold the password
        // inside another parameter's value (found by fuzzing `conninfo`): never show it.
        // (Passwords under 4 characters are left: replacing every "a" would garble the
        // message, and such a password is not a secret worth the name.)
        let password = source.password.clone().filter(|p| p.len() >= 4);
        Self::resolve_quoting(source).map_err(|err| match &password {
            Some(password) if err.contains(password.as_str()) => {
                err.replace(password.as_str(), "<password redacted>")
            }
            _ => err,
        })
    }

    fn resolve_quoting(source: ParamSource) -> Result<Self, String> {
        let host = source
            .host
            .ok_or("no host: pass --host <endpoint> (or PGHOST, or host= in the conninfo)")?;
        if host.starts_with('/') {
            return Err(format!(
                "host {host:?} is a Unix socket directory; RDS is reached over TCP: pass the endpoint name"
            ));
        }
        let user = source
            .user
            .ok_or("no user: pass --user <db user> (or PGUSER, or user= in the conninfo)")?;
        let port = match source.port {
            Some(p) => p
                .parse::<u16>()
                .map_err(|_| format!("invalid port {p:?}: expected a number 1-65535"))?,
            None => 5432,
        };
        let dbname_defaulted = source.dbname.is_none();
        let sslmode = match source.sslmode {
            Some(m) => SslMode::parse(&m)?,
            None => SslMode::Prefer,
        };
        Ok(ConnParams {
            dbname: source.dbname.unwrap_or_else(|| user.clone()),
            host,
            hostaddr: source.hostaddr,
            port,
            user,
            dbname_defaulted,
            sslmode,
            sslrootcert: source.sslrootcert.map(PathBuf::from),
            password: source.password,
        })
    }

    /// Where the TCP connection goes: `hostaddr` when set, otherwise `host`.
    pub fn connect_address(&self) -> &str {
        self.hostaddr.as_deref().unwrap_or(&self.host)
    }

    /// A psql-ready conninfo (no password) with `changes` applied, for fixes.
    pub fn conninfo_with(&self, changes: &[(&str, &str)]) -> String {
        let root = self
            .sslrootcert
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "global-bundle.pem".into());
        let port = self.port.to_string();
        let mut pairs: Vec<(&str, String)> = vec![("host", self.host.clone())];
        if let Some(addr) = &self.hostaddr {
            pairs.push(("hostaddr", addr.clone()));
        }
        pairs.extend([
            ("port", port),
            ("dbname", self.dbname.clone()),
            ("user", self.user.clone()),
            ("sslmode", "verify-full".to_owned()),
            ("sslrootcert", root),
        ]);
        for (key, value) in changes {
            match pairs.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = (*value).to_owned(),
                // hostaddr reads best next to host.
                None if *key == "hostaddr" => pairs.insert(1, (key, (*value).to_owned())),
                None => pairs.push((key, (*value).to_owned())),
            }
        }
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", quote_value(v)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn quote_value(value: &str) -> String {
    if !value.is_empty() && !value.contains([' ', '\'', '\\']) {
        return value.to_owned();
    }
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {

    #[test]
    fn an_error_quoting_a_value_never_shows_the_password() {
        let source =
            ParamSource::parse_conninfo("host=h user=u password=S3cret!x sslmode=req-S3cret!x")
                .unwrap_or_else(|e| panic!("{e}"));
        let err = ConnParams::resolve(source).err().unwrap_or_default();
        assert!(
            err.contains("sslmode") && !err.contains("S3cret!x"),
            "{err}"
        );
    }

    use super::*;

    fn ok<T, E: fmt::Display>(r: Result<T, E>) -> T {
        r.unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn conninfo_pairs_with_quotes() {
        let s = ok(ParamSource::parse_conninfo(
            "host=db.example port=6543 user='a b' dbname=app sslmode=verify-full",
        ));
        assert_eq!(s.host.as_deref(), Some("db.example"));
        assert_eq!(s.user.as_deref(), Some("a b"));
        assert_eq!(s.port.as_deref(), Some("6543"));
    }

    #[test]
    fn uri_with_userinfo_and_query() {
        let s = ok(ParamSource::parse_conninfo(
            "postgres://pg%40mon:tok@db.example:5433/app?sslmode=require&hostaddr=127.0.0.1",
        ));
        assert_eq!(s.user.as_deref(), Some("pg@mon"));
        assert_eq!(s.password.as_deref(), Some("tok"));
        assert_eq!(s.port.as_deref(), Some("5433"));
        assert_eq!(s.dbname.as_deref(), Some("app"));
        assert_eq!(s.hostaddr.as_deref(), Some("127.0.0.1"));
    }

    #[test]
    fn flags_beat_conninfo_beat_env_and_dbname_defaults_to_user() {
        let env = |k: &str| match k {
            "PGHOST" => Some("env-host".to_owned()),
            "PGUSER" => Some("envuser".to_owned()),
            "PGPORT" => Some("1111".to_owned()),
            _ => None,
        };
        let flags = ParamSource {
            user: Some("flaguser".into()),
            ..Default::default()
        };
        let conninfo = ok(ParamSource::parse_conninfo("host=ci-host"));
        let params = ok(ConnParams::resolve(
            flags.or(conninfo).or(ParamSource::from_env(&env)),
        ));
        assert_eq!(params.host, "ci-host");
        assert_eq!(params.user, "flaguser");
        assert_eq!(params.port, 1111);
        assert_eq!(params.dbname, "flaguser");
        assert!(params.dbname_defaulted);
    }

    #[test]
    fn missing_host_says_what_to_pass() {
        let err = ConnParams::resolve(ParamSource::default()).err();
        assert!(err.is_some_and(|e| e.contains("--host")));
    }

    #[test]
    fn debug_never_shows_the_password() {
        let params = ok(ConnParams::resolve(ParamSource {
            host: Some("h".into()),
            user: Some("u".into()),
            password: Some("SECRET".into()),
            ..Default::default()
        }));
        assert!(!format!("{params:?}").contains("SECRET"));
    }
}
