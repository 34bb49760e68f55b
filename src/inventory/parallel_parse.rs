//! The fast path of snapshot parsing. One thread walks the document's top level; each
//! account and each database it meets is handed, as a slice of the document, to the thread
//! pool to deserialize while the walk goes on (an organization's accounts are nearly all of
//! its bytes, and they are independent). The walk only locates values
//! ([`super::json_scan`]); serde parses and validates every one of them.
//!
//! The result is the same [`Inventory`] the one-pass parse builds: the same field types
//! deserialize the same text, and the top level accepts exactly what `Inventory`'s derived
//! deserializer accepts (the same fields, defaults and required fields, no unknown or
//! repeated field). Anything this path does not accept (malformed JSON, an unknown field,
//! another schema version, an escaped field name) returns `None`, and the caller's strict
//! parse runs and explains the problem with its JSON path.

use std::sync::mpsc;

use serde::de::DeserializeOwned;

use super::json_scan::{skip_whitespace, string_end, value_end};
use super::{Account, Database, Inventory, SCHEMA_VERSION};

/// Parses `bytes` into an inventory of the current schema version, or `None` when the
/// document needs the strict parser (for an error message, or because it is not one).
pub fn parse(bytes: &[u8]) -> Option<Inventory> {
    let (accounts_sent, accounts_received) = mpsc::channel();
    let (databases_sent, databases_received) = mpsc::channel();
    let top = rayon::scope(|scope| {
        let mut walk = TopLevel {
            bytes,
            scope,
            accounts: accounts_sent,
            databases: databases_sent,
        };
        walk.read()
    })?;
    if top.schema_version != SCHEMA_VERSION {
        return None;
    }
    Some(Inventory {
        schema_version: top.schema_version,
        collected_at: top.collected_at,
        organization: top.organization,
        accounts: in_order(accounts_received, top.accounts)?,
        databases: in_order(databases_received, top.databases)?,
        activity: top.activity,
        activity_scope: top.activity_scope,
        auth_logs: top.auth_logs,
        coverage: top.coverage,
    })
}

/// The `count` items the pool sent (position, item), in document order; `None` if any
/// failed.
fn in_order<T>(received: mpsc::Receiver<(usize, Option<T>)>, count: usize) -> Option<Vec<T>> {
    let mut slots: Vec<Option<T>> = std::iter::repeat_with(|| None).take(count).collect();
    for (position, item) in received.try_iter() {
        *slots.get_mut(position)? = Some(item?);
    }
    slots.into_iter().collect()
}

/// [`Inventory`]'s fields, with the accounts and databases counted (their values arrive
/// through the channels).
struct Top {
    schema_version: u32,
    collected_at: String,
    organization: Option<super::Organization>,
    accounts: usize,
    databases: usize,
    activity: Vec<super::AssumeRoleEvent>,
    activity_scope: Vec<super::ActivityScope>,
    auth_logs: Vec<super::AuthLog>,
    coverage: Vec<super::Gap>,
}

/// Walks the top-level object like `Inventory`'s derived deserializer reads it
/// (`deny_unknown_fields`; `schema_version` and `collected_at` required; the rest default).
struct TopLevel<'b, 's, 'scope> {
    bytes: &'b [u8],
    scope: &'s rayon::Scope<'scope>,
    accounts: mpsc::Sender<(usize, Option<Account>)>,
    databases: mpsc::Sender<(usize, Option<Database>)>,
}

/// Sets a field read once; a repeated field is refused, as the derived deserializer does.
fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    slot.replace(value).is_none().then_some(())
}

impl<'b: 'scope, 'scope> TopLevel<'b, '_, 'scope> {
    fn read(&mut self) -> Option<Top> {
        let bytes = self.bytes;
        let mut schema_version = None;
        let mut collected_at = None;
        let mut organization: Option<Option<super::Organization>> = None;
        let mut accounts = None;
        let mut databases = None;
        let mut activity = None;
        let mut activity_scope = None;
        let mut auth_logs = None;
        let mut coverage = None;
        let mut at = skip_whitespace(bytes, 0);
        (bytes.get(at) == Some(&b'{')).then_some(())?;
        at = skip_whitespace(bytes, at + 1);
        if bytes.get(at) == Some(&b'}') {
            at += 1;
        } else {
            loop {
                (bytes.get(at) == Some(&b'"')).then_some(())?;
                let key_end = string_end(bytes, at)?;
                let key = &bytes[at + 1..key_end - 1];
                // An escaped field name: the strict parser reads it.
                (!key.contains(&b'\\')).then_some(())?;
                at = skip_whitespace(bytes, key_end);
                (bytes.get(at) == Some(&b':')).then_some(())?;
                at = skip_whitespace(bytes, at + 1);
                at = match key {
                    b"accounts" => {
                        let (count, end) = self.spawn_each(at, &self.accounts)?;
                        once(&mut accounts, count)?;
                        end
                    }
                    b"databases" => {
                        let (count, end) = self.spawn_each(at, &self.databases)?;
                        once(&mut databases, count)?;
                        end
                    }
                    b"schema_version" => self.field(at, &mut schema_version)?,
                    b"collected_at" => self.field(at, &mut collected_at)?,
                    b"organization" => self.field(at, &mut organization)?,
                    b"activity" => self.field(at, &mut activity)?,
                    b"activity_scope" => self.field(at, &mut activity_scope)?,
                    b"auth_logs" => self.field(at, &mut auth_logs)?,
                    b"coverage" => self.field(at, &mut coverage)?,
                    _ => return None,
                };
                at = skip_whitespace(bytes, at);
                match bytes.get(at) {
                    Some(b',') => at = skip_whitespace(bytes, at + 1),
                    Some(b'}') => {
                        at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        // Nothing but whitespace may follow the document.
        (skip_whitespace(bytes, at) == bytes.len()).then_some(())?;
        Some(Top {
            schema_version: schema_version?,
            collected_at: collected_at?,
            organization: organization.flatten(),
            accounts: accounts.unwrap_or_default(),
            databases: databases.unwrap_or_default(),
            activity: activity.unwrap_or_default(),
            activity_scope: activity_scope.unwrap_or_default(),
            auth_logs: auth_logs.unwrap_or_default(),
            coverage: coverage.unwrap_or_default(),
        })
    }

    /// Parses the value at `at` into `slot` (read once); the end of the value.
    fn field<T: DeserializeOwned>(&self, at: usize, slot: &mut Option<T>) -> Option<usize> {
        let end = value_end(self.bytes, at)?;
        once(slot, serde_json::from_slice(&self.bytes[at..end]).ok()?)?;
        Some(end)
    }

    /// Hands each item of the array at `at` to the pool to deserialize; the number of items
    /// and the end of the array.
    fn spawn_each<T>(
        &self,
        at: usize,
        sent: &mpsc::Sender<(usize, Option<T>)>,
    ) -> Option<(usize, usize)>
    where
        T: DeserializeOwned + Send + 'scope,
    {
        let bytes = self.bytes;
        (bytes.get(at) == Some(&b'[')).then_some(())?;
        let mut at = skip_whitespace(bytes, at + 1);
        if bytes.get(at) == Some(&b']') {
            return Some((0, at + 1));
        }
        let mut count = 0;
        loop {
            let end = value_end(bytes, at)?;
            let item: &'scope [u8] = &bytes[at..end];
            let (position, sent) = (count, sent.clone());
            self.scope.spawn(move |_| {
                let item = serde_json::from_slice::<T>(item).ok();
                // The receiver outlives the scope; a send cannot fail.
                let _ = sent.send((position, item));
            });
            count += 1;
            at = skip_whitespace(bytes, end);
            match bytes.get(at) {
                Some(b',') => at = skip_whitespace(bytes, at + 1),
                Some(b']') => return Some((count, at + 1)),
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Vec<u8> {
        // Read directly: `snapshot` uses this module, and this module does not use it.
        std::fs::read("fixtures/demo/snapshot.json").expect("demo snapshot readable")
    }

    #[test]
    fn same_inventory_as_the_one_pass_parse() {
        let bytes = demo();
        let one_pass: Inventory = serde_json::from_slice(&bytes).expect("demo parses");
        assert!(!one_pass.accounts.is_empty() && !one_pass.databases.is_empty());
        assert_eq!(parse(&bytes), Some(one_pass));
    }

    #[test]
    fn leaves_what_the_derived_parser_refuses_to_the_strict_path() {
        let minimal = r#"{"schema_version":1,"collected_at":"t"}"#;
        let parsed = parse(minimal.as_bytes()).expect("minimal snapshot");
        assert_eq!(
            Some(parsed),
            serde_json::from_str::<Inventory>(minimal).ok()
        );
        for refused in [
            r#"{"schema_version":1,"collected_at":"t","collected_at":"u"}"#,
            r#"{"schema_version":1,"collected_at":"t","extra":0}"#,
            r#"{"schema_version":1}"#,
            r#"{"schema_version":2,"collected_at":"t"}"#,
            r#"{"schema_version":1,"collected_at":"t","accounts":[{"account_id":5}]}"#,
            r#"{"schema_version":1,"collected_at":"t","accounts":[],"accounts":[]}"#,
            r#"{"schema_version":1,"collected_at":"t","accounts":null}"#,
            r#"{"schema_version":1,"collected_at":"t"} trailing"#,
        ] {
            assert_eq!(parse(refused.as_bytes()), None, "{refused}");
        }
        // `null` organization is no organization, as with the derived parser.
        let null_org = r#"{"schema_version":1,"collected_at":"t","organization":null}"#;
        assert_eq!(
            parse(null_org.as_bytes()),
            serde_json::from_str::<Inventory>(null_org).ok()
        );
    }
}
