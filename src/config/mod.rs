//! `rdsiam.toml`: the audit's configuration file. Found in the current directory (or given
//! with `--config FILE`; `--no-config` ignores it), parsed and validated into typed
//! [`Settings`]: `[audit]` defaults, `[rules.<id>]` (enabled, severity, parameters),
//! `[scope]` filters and `[[exceptions]]` (accepted risks with a reason, an owner and an
//! expiry). Every error names the file, the line and the key. Owns no audit logic: the
//! rules receive [`crate::rules::AuditSettings`]; commands read the file and pass it down.

mod raw;
pub mod template;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::render::Format;
use crate::report::{ConfigRef, Exception, Severity};
use crate::rules::settings::Filter;
use crate::rules::{self, AuditSettings, RuleConfig, ScopeFilter, params};
use raw::{RawAudit, RawConfig, RawException, RawScope};

/// The file looked for in the current directory.
pub const FILE_NAME: &str = "rdsiam.toml";

/// `[audit]`: defaults for flags of `rdsiam audit` (a flag given on the command line wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditDefaults {
    pub fail_on: Option<Severity>,
    pub fail_on_new: Option<bool>,
    pub format: Option<Format>,
    pub output: Option<PathBuf>,
}

/// The validated configuration.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The file, when one was read.
    pub source: Option<ConfigRef>,
    pub audit: AuditDefaults,
    pub rules: AuditSettings,
}

/// A configuration error: file, line (when known), key (when known) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ConfigError {
    pub file: String,
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl ConfigError {
    fn render(&self) -> String {
        let place = match self.line {
            Some(line) => format!("{}:{line}", self.file),
            None => self.file.clone(),
        };
        match &self.key {
            Some(key) => format!("{place}: `{key}`: {}", self.message),
            None => format!("{place}: {}", self.message),
        }
    }
}

/// Which configuration the command line asks for.
pub fn discover(explicit: Option<&Path>, no_config: bool) -> anyhow::Result<Settings> {
    if no_config {
        return Ok(Settings::default());
    }
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => {
            let here = PathBuf::from(FILE_NAME);
            if !here.is_file() {
                return Ok(Settings::default());
            }
            here
        }
    };
    Ok(load(&path)?)
}

/// Reads and validates `path`.
pub fn load(path: &Path) -> Result<Settings, ConfigError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ConfigError {
        file: file.clone(),
        line: None,
        key: None,
        message: format!(
            "cannot read the configuration: {e} (give another with --config FILE, or --no-config)"
        ),
    })?;
    let text = String::from_utf8(bytes.clone()).map_err(|_| ConfigError {
        file: file.clone(),
        line: None,
        key: None,
        message: "not UTF-8 text".to_owned(),
    })?;
    let mut settings = parse(&text, &file)?;
    settings.source = Some(ConfigRef {
        path: file,
        sha256: hex(&Sha256::digest(&bytes)),
    });
    Ok(settings)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses and validates configuration `text`; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Settings, ConfigError> {
    let cx = Cx {
        text,
        file,
        newlines: memchr::memchr_iter(b'\n', text.as_bytes()).collect(),
    };
    let raw: RawConfig = toml::from_str(text).map_err(|e| cx.toml_error(&e))?;
    let mut settings = Settings::default();
    if let Some(audit) = &raw.audit {
        settings.audit = cx.audit(audit.get_ref())?;
    }
    for (id, table) in &raw.rules {
        cx.rule(id, table, &mut settings.rules)?;
    }
    if let Some(scope) = &raw.scope {
        settings.rules.scope = cx.scope(scope.get_ref())?;
    }
    for (index, exception) in raw.exceptions.iter().enumerate() {
        let exception = cx.exception(index, exception)?;
        settings.rules.exceptions.push(Arc::new(exception));
    }
    Ok(settings)
}

struct Cx<'a> {
    text: &'a str,
    file: &'a str,
    /// Offsets of every `\n` in `text`: a line number is a binary search, not a scan (every
    /// exception records its line, and a configuration may hold 10,000 of them).
    newlines: Vec<usize>,
}

impl Cx<'_> {
    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        // Newlines strictly before `end`.
        self.newlines.partition_point(|&at| at < end) + 1
    }

    fn error(&self, offset: Option<usize>, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_owned(),
            line: offset.map(|o| self.line_of(o)),
            key: Some(key.to_owned()),
            message: message.into(),
        }
    }

    fn toml_error(&self, err: &toml::de::Error) -> ConfigError {
        let offset = err.span().map(|s| s.start);
        let message = err.message().trim().to_owned();
        let (key, message) = match unknown_field(&message) {
            Some((field, expected)) => {
                let hint = did_you_mean(field, expected.iter().map(String::as_str))
                    .map(|m| format!("; did you mean `{m}`?"))
                    .unwrap_or_else(|| format!(" (known: {})", expected.join(", ")));
                (Some(field.to_owned()), format!("unknown key{hint}"))
            }
            None => (None, message),
        };
        ConfigError {
            file: self.file.to_owned(),
            line: offset.map(|o| self.line_of(o)),
            key,
            message,
        }
    }

    fn audit(&self, raw: &RawAudit) -> Result<AuditDefaults, ConfigError> {
        let fail_on = match &raw.fail_on {
            Some(value) => Some(
                value
                    .get_ref()
                    .parse::<Severity>()
                    .map_err(|e| self.error(Some(value.span().start), "audit.fail-on", e))?,
            ),
            None => None,
        };
        let format = match &raw.format {
            Some(value) => {
                let text = value.get_ref();
                let format = <Format as clap::ValueEnum>::from_str(text, true).map_err(|_| {
                    let names: Vec<String> = <Format as clap::ValueEnum>::value_variants()
                        .iter()
                        .filter_map(clap::ValueEnum::to_possible_value)
                        .map(|p| p.get_name().to_owned())
                        .collect();
                    self.error(
                        Some(value.span().start),
                        "audit.format",
                        format!(
                            "unknown format {text:?} (expected one of {})",
                            names.join(", ")
                        ),
                    )
                })?;
                Some(format)
            }
            None => None,
        };
        Ok(AuditDefaults {
            fail_on,
            fail_on_new: raw.fail_on_new,
            format,
            output: raw.output.as_ref().map(PathBuf::from),
        })
    }

    fn rule(
        &self,
        id: &Spanned<String>,
        table: &raw::RawRuleTable,
        settings: &mut AuditSettings,
    ) -> Result<(), ConfigError> {
        let name = id.get_ref().as_str();
        let audit_rules: Vec<&str> = rules::catalogue()
            .iter()
            .filter(|r| r.category != rules::Category::Doctor)
            .map(|r| r.id.as_str())
            .collect();
        if !audit_rules.contains(&name) {
            let hint = did_you_mean(name, audit_rules.iter().copied())
                .map(|m| format!("; did you mean `{m}`?"))
                .unwrap_or_else(|| " (`rdsiam rules` lists them)".to_owned());
            return Err(self.error(
                Some(id.span().start),
                &format!("rules.{name}"),
                format!("unknown rule id{hint}"),
            ));
        }
        let mut config = RuleConfig::default();
        for (key, value) in table.get_ref() {
            let key_name = key.get_ref().as_str();
            let full = format!("rules.{name}.{key_name}");
            let at = Some(value.span().start);
            match key_name {
                "enabled" => {
                    config.enabled = value
                        .get_ref()
                        .as_bool()
                        .ok_or_else(|| self.error(at, &full, "expected true or false"))?;
                }
                "severity" => {
                    let text = value.get_ref().as_str().ok_or_else(|| {
                        self.error(
                            at,
                            &full,
                            "expected a string: info, low, medium, high or critical",
                        )
                    })?;
                    config.severity = Some(
                        text.parse::<Severity>()
                            .map_err(|e| self.error(at, &full, e))?,
                    );
                }
                _ => {
                    let Some(parameter) = params::of(name).find(|p| p.key == key_name) else {
                        let known: Vec<&str> = ["enabled", "severity"]
                            .into_iter()
                            .chain(params::of(name).map(|p| p.key))
                            .collect();
                        let hint = did_you_mean(key_name, known.iter().copied())
                            .map(|m| format!("; did you mean `{m}`?"))
                            .unwrap_or_default();
                        return Err(self.error(
                            Some(key.span().start),
                            &full,
                            format!(
                                "unknown key{hint} (rule {name} takes: {})",
                                known.join(", ")
                            ),
                        ));
                    };
                    let number = value
                        .get_ref()
                        .as_integer()
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|n| (parameter.min..=parameter.max).contains(n))
                        .ok_or_else(|| {
                            self.error(
                                at,
                                &full,
                                format!(
                                    "expected a whole number of days from {} to {} (default {})",
                                    parameter.min,
                                    parameter.max,
                                    parameter.default_value()
                                ),
                            )
                        })?;
                    (parameter.set)(&mut settings.params, number);
                }
            }
        }
        settings.rules.insert(name.to_owned(), config);
        Ok(())
    }

    fn scope(&self, raw: &RawScope) -> Result<ScopeFilter, ConfigError> {
        for account in raw.include_accounts.iter().chain(&raw.exclude_accounts) {
            self.account(account, "scope accounts")?;
        }
        let set = |list: &[String]| list.iter().cloned().collect();
        let spanned = |list: &[Spanned<String>]| list.iter().map(|s| s.get_ref().clone()).collect();
        Ok(ScopeFilter {
            accounts: Filter {
                include: spanned(&raw.include_accounts),
                exclude: spanned(&raw.exclude_accounts),
            },
            ous: Filter {
                include: set(&raw.include_ous),
                exclude: set(&raw.exclude_ous),
            },
            regions: Filter {
                include: set(&raw.include_regions),
                exclude: set(&raw.exclude_regions),
            },
            databases: Filter {
                include: set(&raw.include_databases),
                exclude: set(&raw.exclude_databases),
            },
            db_users: Filter {
                include: set(&raw.include_db_users),
                exclude: set(&raw.exclude_db_users),
            },
        })
    }

    fn account(&self, account: &Spanned<String>, key: &str) -> Result<(), ConfigError> {
        let text = account.get_ref();
        if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(())
        } else {
            Err(self.error(
                Some(account.span().start),
                key,
                format!("{text:?} is not a 12-digit AWS account id"),
            ))
        }
    }

    fn exception(
        &self,
        index: usize,
        raw: &Spanned<RawException>,
    ) -> Result<Exception, ConfigError> {
        let start = raw.span().start;
        let line = self.line_of(start);
        let key = |name: &str| format!("exceptions[{index}].{name}");
        let e = raw.get_ref();
        let missing = |name: &str, what: &str| {
            self.error(
                Some(start),
                &key(name),
                format!("missing: every exception needs `rule`, `reason`, `owner` and `expires` ({what})"),
            )
        };
        let rule = e.rule.as_ref().ok_or_else(|| {
            missing(
                "rule",
                "a rule id or glob such as \"rds-iam-orphan\" or \"arn-*\"",
            )
        })?;
        let rule_text = rule.get_ref().trim().to_owned();
        let glob = crate::policy::wildcard::Wildcard::compile(
            &rule_text,
            crate::policy::wildcard::Flavour::Plain,
        );
        let matches_any = rules::catalogue()
            .iter()
            .filter(|r| r.category != rules::Category::Doctor)
            .any(|r| glob.matches(&r.id));
        if !matches_any {
            let ids = rules::catalogue()
                .iter()
                .filter(|r| r.category != rules::Category::Doctor)
                .map(|r| r.id.as_str());
            let hint = did_you_mean(&rule_text, ids)
                .map(|m| format!("; did you mean `{m}`?"))
                .unwrap_or_else(|| " (`rdsiam rules` lists them)".to_owned());
            return Err(self.error(
                Some(rule.span().start),
                &key("rule"),
                format!("{rule_text:?} names no audit rule{hint}"),
            ));
        }
        let reason =
            nonempty(&e.reason).ok_or_else(|| missing("reason", "why the risk is accepted"))?;
        let owner =
            nonempty(&e.owner).ok_or_else(|| missing("owner", "who decided and re-decides it"))?;
        let expires = e
            .expires
            .as_ref()
            .ok_or_else(|| missing("expires", "a date such as 2027-03-31"))?;
        let expires_text = match expires.get_ref() {
            toml::Value::Datetime(dt) if dt.date.is_some() && dt.time.is_none() => dt.to_string(),
            toml::Value::String(s) => s.trim().to_owned(),
            _ => String::new(),
        };
        let valid_date = expires_text.len() == 10
            && crate::policy::condition::parse_date(&expires_text).is_some();
        if !valid_date {
            return Err(self.error(
                Some(expires.span().start),
                &key("expires"),
                "not a date: write the last day the exception applies as YYYY-MM-DD (e.g. expires = 2027-03-31)",
            ));
        }
        if let Some(account) = &e.account {
            self.account(account, &key("account"))?;
        }
        if let Some(fp) = &e.fingerprint {
            let text = fp.get_ref();
            if text.len() != 16 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(self.error(
                    Some(fp.span().start),
                    &key("fingerprint"),
                    format!("{text:?} is not a finding fingerprint (16 hex digits, the `fingerprint` of a JSON report's finding)"),
                ));
            }
        }
        let account = e.account.as_ref().map(|a| a.get_ref().clone());
        let fingerprint = e
            .fingerprint
            .as_ref()
            .map(|f| f.get_ref().to_ascii_lowercase());
        let id = crate::report::fingerprint(&[
            "exception",
            &rule_text,
            account.as_deref().unwrap_or(""),
            e.resource.as_deref().unwrap_or(""),
            e.db_user.as_deref().unwrap_or(""),
            e.principal.as_deref().unwrap_or(""),
            fingerprint.as_deref().unwrap_or(""),
        ]);
        Ok(Exception {
            id,
            source: format!("{}:{line}", self.file),
            rule: rule_text,
            account,
            resource: e.resource.clone(),
            db_user: e.db_user.clone(),
            principal: e.principal.clone(),
            fingerprint,
            reason,
            owner,
            expires: expires_text,
        })
    }
}

fn nonempty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// serde's "unknown field `x`, expected one of `a`, `b`" (or "expected `a`").
fn unknown_field(message: &str) -> Option<(&str, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    Some((field, expected))
}

/// The closest of `candidates` to `word`, when close enough to be a typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(distance, c)| *distance <= 2.max(c.len() / 4))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests;
