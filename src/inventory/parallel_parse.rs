//! The fast path of snapshot parsing. One thread reads the document's top level; each
//! account and each database it meets is handed, as a borrowed slice of raw JSON, to the
//! thread pool to deserialize while the reading goes on (an organization's accounts are
//! nearly all of its bytes, and they are independent).
//!
//! The result is the same [`Inventory`] the one-pass parse builds: the same field types
//! deserialize the same text, and the top level accepts exactly what `Inventory`'s derived
//! deserializer accepts (the same fields, defaults and required fields, no unknown or
//! repeated field). Anything this path does not accept (malformed JSON, an unknown field,
//! another schema version, an escaped field name) returns `None`, and the caller's strict
//! parse runs and explains the problem with its JSON path.

use std::fmt;
use std::marker::PhantomData;
use std::sync::mpsc;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::{Account, Database, Inventory, SCHEMA_VERSION};

/// Parses `bytes` into an inventory of the current schema version, or `None` when the
/// document needs the strict parser (for an error message, or because it is not one).
pub fn parse(bytes: &[u8]) -> Option<Inventory> {
    let (accounts_sent, accounts_received) = mpsc::channel();
    let (databases_sent, databases_received) = mpsc::channel();
    let top = rayon::scope(|scope| {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let top = de::Deserializer::deserialize_map(
            &mut deserializer,
            TopLevel {
                scope,
                accounts: accounts_sent,
                databases: databases_sent,
            },
        )
        .ok()?;
        deserializer.end().ok()?;
        Some(top)
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
    coverage: Vec<super::Gap>,
}

/// Reads the top-level object like `Inventory`'s derived deserializer
/// (`deny_unknown_fields`; `schema_version` and `collected_at` required; the rest default).
struct TopLevel<'s, 'scope> {
    scope: &'s rayon::Scope<'scope>,
    accounts: mpsc::Sender<(usize, Option<Account>)>,
    databases: mpsc::Sender<(usize, Option<Database>)>,
}

const FIELDS: &[&str] = &[
    "schema_version",
    "collected_at",
    "organization",
    "accounts",
    "databases",
    "activity",
    "activity_scope",
    "coverage",
];

impl<'de: 'scope, 'scope> Visitor<'de> for TopLevel<'_, 'scope> {
    type Value = Top;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an rdsiam snapshot")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Top, M::Error> {
        fn once<T, E: de::Error>(
            slot: &mut Option<T>,
            name: &'static str,
            value: T,
        ) -> Result<(), E> {
            if slot.replace(value).is_some() {
                return Err(E::duplicate_field(name));
            }
            Ok(())
        }
        let mut schema_version = None;
        let mut collected_at = None;
        let mut organization = None;
        let mut accounts = None;
        let mut databases = None;
        let mut activity = None;
        let mut activity_scope = None;
        let mut coverage = None;
        while let Some(key) = map.next_key::<&str>()? {
            match key {
                "schema_version" => once(&mut schema_version, FIELDS[0], map.next_value()?)?,
                "collected_at" => once(&mut collected_at, FIELDS[1], map.next_value()?)?,
                "organization" => once(&mut organization, FIELDS[2], map.next_value()?)?,
                "accounts" => {
                    let seed = SpawnEach::new(self.scope, &self.accounts);
                    once(&mut accounts, FIELDS[3], map.next_value_seed(seed)?)?
                }
                "databases" => {
                    let seed = SpawnEach::new(self.scope, &self.databases);
                    once(&mut databases, FIELDS[4], map.next_value_seed(seed)?)?
                }
                "activity" => once(&mut activity, FIELDS[5], map.next_value()?)?,
                "activity_scope" => once(&mut activity_scope, FIELDS[6], map.next_value()?)?,
                "coverage" => once(&mut coverage, FIELDS[7], map.next_value()?)?,
                other => return Err(de::Error::unknown_field(other, FIELDS)),
            }
        }
        Ok(Top {
            schema_version: schema_version.ok_or_else(|| de::Error::missing_field(FIELDS[0]))?,
            collected_at: collected_at.ok_or_else(|| de::Error::missing_field(FIELDS[1]))?,
            organization: organization.flatten(),
            accounts: accounts.unwrap_or_default(),
            databases: databases.unwrap_or_default(),
            activity: activity.unwrap_or_default(),
            activity_scope: activity_scope.unwrap_or_default(),
            coverage: coverage.unwrap_or_default(),
        })
    }
}

/// A JSON array whose items are deserialized on the pool as the reader meets them; its
/// value is the number of items.
struct SpawnEach<'s, 'scope, T> {
    scope: &'s rayon::Scope<'scope>,
    sent: &'s mpsc::Sender<(usize, Option<T>)>,
    item: PhantomData<T>,
}

impl<'s, 'scope, T> SpawnEach<'s, 'scope, T> {
    fn new(scope: &'s rayon::Scope<'scope>, sent: &'s mpsc::Sender<(usize, Option<T>)>) -> Self {
        SpawnEach {
            scope,
            sent,
            item: PhantomData,
        }
    }
}

impl<'de: 'scope, 'scope, T> DeserializeSeed<'de> for SpawnEach<'_, 'scope, T>
where
    T: DeserializeOwned + Send + 'scope,
{
    type Value = usize;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de: 'scope, 'scope, T> Visitor<'de> for SpawnEach<'_, 'scope, T>
where
    T: DeserializeOwned + Send + 'scope,
{
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<usize, S::Error> {
        let mut count = 0;
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            let (position, sent) = (count, self.sent.clone());
            self.scope.spawn(move |_| {
                let item = serde_json::from_str::<T>(raw.get()).ok();
                // The receiver outlives the scope; a send cannot fail.
                let _ = sent.send((position, item));
            });
            count += 1;
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Vec<u8> {
        let path = std::path::Path::new("fixtures/demo");
        let file = crate::inventory::snapshot::resolve(path).expect("demo snapshot");
        crate::inventory::snapshot::read_maybe_gzip(&file).expect("readable")
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
