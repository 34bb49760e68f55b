//! The fast path of document parsing: JSON text straight into the statement model through
//! borrowing serde structs, without building a `serde_json::Value` tree first (an audit
//! parses hundreds of thousands of documents; the tree was most of the cost).
//!
//! It accepts exactly the well-formed shapes and gives up (`None`) on anything else; the
//! caller then runs the `Value` path, which owns every error message and its JSON path. Both
//! paths build statements and conditions through the same functions, and a test checks that
//! they produce identical documents.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::condition::{Condition, Operator};
use super::principal::Principals;
use super::statement::{Effect, PolicyDocument, PrincipalBlock, Statement, assemble_statement};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument<'a> {
    #[serde(rename = "Version", borrow, default)]
    version: Option<Cow<'a, str>>,
    #[serde(rename = "Id", borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(rename = "Statement", borrow)]
    statement: OneOrMany<RawStatement<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatement<'a> {
    #[serde(rename = "Sid", borrow, default)]
    sid: Option<Cow<'a, str>>,
    #[serde(rename = "Effect", borrow)]
    effect: Cow<'a, str>,
    #[serde(rename = "Action", borrow, default)]
    action: Option<OneOrMany<Cow<'a, str>>>,
    #[serde(rename = "NotAction", borrow, default)]
    not_action: Option<OneOrMany<Cow<'a, str>>>,
    #[serde(rename = "Resource", borrow, default)]
    resource: Option<OneOrMany<Cow<'a, str>>>,
    #[serde(rename = "NotResource", borrow, default)]
    not_resource: Option<OneOrMany<Cow<'a, str>>>,
    #[serde(rename = "Principal", borrow, default)]
    principal: Option<RawPrincipal<'a>>,
    #[serde(rename = "NotPrincipal", borrow, default)]
    not_principal: Option<RawPrincipal<'a>>,
    #[serde(rename = "Condition", borrow, default)]
    condition: Option<ConditionBlock<'a>>,
}

/// `{"Operator": {"key": value-or-values}}`, in document order.
type ConditionBlock<'a> = Pairs<Cow<'a, str>, Pairs<Cow<'a, str>, Scalars>>;

/// Parses `text` if it is a well-formed document; `None` sends the caller to the `Value`
/// path (for an error message, or for shapes this path does not take).
pub(crate) fn parse_fast(text: &str) -> Option<PolicyDocument> {
    let raw: RawDocument<'_> = serde_json::from_str(text).ok()?;
    let version = raw.version.map(Cow::into_owned);
    if let Some(version) = &version
        && version != "2012-10-17"
        && version != "2008-10-17"
    {
        return None;
    }
    let version_2012 = version.as_deref() == Some("2012-10-17");
    let statements = raw
        .statement
        .0
        .into_iter()
        .enumerate()
        .map(|(index, statement)| build_statement(index, statement, version_2012))
        .collect::<Option<Vec<_>>>()?;
    Some(PolicyDocument {
        version,
        id: raw.id.map(Cow::into_owned),
        statements,
    })
}

fn build_statement(index: usize, raw: RawStatement<'_>, version_2012: bool) -> Option<Statement> {
    let effect = match raw.effect.as_ref() {
        "Allow" => Effect::Allow,
        "Deny" => Effect::Deny,
        _ => return None,
    };
    let owned =
        |list: OneOrMany<Cow<'_, str>>| list.0.into_iter().map(Cow::into_owned).collect::<Vec<_>>();
    let actions = match (raw.action, raw.not_action) {
        (Some(list), None) => (false, owned(list)),
        (None, Some(list)) => (true, owned(list)),
        _ => return None,
    };
    let resources = match (raw.resource, raw.not_resource) {
        (Some(list), None) => Some((false, owned(list))),
        (None, Some(list)) => Some((true, owned(list))),
        (None, None) => None,
        (Some(_), Some(_)) => return None,
    };
    let principal = match (raw.principal, raw.not_principal) {
        (Some(principal), None) => Some(PrincipalBlock {
            negated: false,
            principals: principal.build()?,
        }),
        (None, Some(principal)) => Some(PrincipalBlock {
            negated: true,
            principals: principal.build()?,
        }),
        (None, None) => None,
        (Some(_), Some(_)) => return None,
    };
    let mut conditions = Vec::new();
    for (operator_name, keys) in raw.condition.map(|pairs| pairs.0).unwrap_or_default() {
        let operator = Operator::parse(&operator_name)?;
        for (key, values) in keys.0 {
            conditions.push(Condition::build(operator, &key, values.0, version_2012).ok()?);
        }
    }
    Some(assemble_statement(
        index,
        raw.sid.map(Cow::into_owned),
        effect,
        actions,
        resources,
        principal,
        conditions,
        version_2012,
    ))
}

/// `"*"` or `{"AWS": …, "Service": …, …}`.
enum RawPrincipal<'a> {
    Star,
    Entries(Vec<(Cow<'a, str>, OneOrMany<Cow<'a, str>>)>),
}

impl RawPrincipal<'_> {
    fn build(self) -> Option<Principals> {
        let mut principals = Principals::default();
        match self {
            RawPrincipal::Star => principals.everyone = true,
            RawPrincipal::Entries(entries) => {
                for (kind, list) in entries {
                    let target = match kind.as_ref() {
                        "AWS" => &mut principals.aws,
                        "Service" => &mut principals.service,
                        "Federated" => &mut principals.federated,
                        "CanonicalUser" => &mut principals.canonical_user,
                        _ => return None,
                    };
                    target.extend(list.0.into_iter().map(Cow::into_owned));
                }
                if principals.aws.iter().any(|p| p == "*") {
                    principals.everyone = true;
                }
            }
        }
        Some(principals)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawPrincipal<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PrincipalVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for PrincipalVisitor<'a> {
            type Value = RawPrincipal<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"*\" or an object of principals")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                if value == "*" {
                    Ok(RawPrincipal::Star)
                } else {
                    Err(E::custom("a principal string other than \"*\""))
                }
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut entries: Vec<(Cow<'a, str>, OneOrMany<Cow<'a, str>>)> = Vec::new();
                while let Some((kind, list)) =
                    map.next_entry::<Cow<'a, str>, OneOrMany<Cow<'a, str>>>()?
                {
                    if entries.iter().any(|(existing, _)| *existing == kind) {
                        return Err(de::Error::custom("duplicate key"));
                    }
                    entries.push((kind, list));
                }
                Ok(RawPrincipal::Entries(entries))
            }
        }
        deserializer.deserialize_any(PrincipalVisitor(PhantomData))
    }
}

/// A single item or an array of them (IAM's string-or-array fields, `Statement`).
struct OneOrMany<T>(Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value or an array of values")
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(OneOrMany(items))
            }
            fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
                T::deserialize(de::value::BorrowedStrDeserializer::new(value))
                    .map(|item| OneOrMany(vec![item]))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                T::deserialize(de::value::StringDeserializer::new(value.to_owned()))
                    .map(|item| OneOrMany(vec![item]))
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|item| OneOrMany(vec![item]))
            }
        }
        deserializer.deserialize_any(ListVisitor(PhantomData))
    }
}

/// A JSON object kept as ordered (key, value) pairs.
struct Pairs<K, V>(Vec<(K, V)>);

impl<'de, K: Deserialize<'de> + PartialEq, V: Deserialize<'de>> Deserialize<'de> for Pairs<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de> + PartialEq, V: Deserialize<'de>> Visitor<'de>
            for PairsVisitor<K, V>
        {
            type Value = Pairs<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut pairs: Vec<(K, V)> = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some((key, value)) = map.next_entry::<K, V>()? {
                    // A duplicate key means "last one wins" on the Value path: let it decide.
                    if pairs.iter().any(|(existing, _)| *existing == key) {
                        return Err(de::Error::custom("duplicate key"));
                    }
                    pairs.push((key, value));
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor(PhantomData))
    }
}

/// Condition values: a string, number or boolean, or an array of them, as strings written
/// exactly as the `Value` path writes them.
struct Scalars(Vec<String>);

impl<'de> Deserialize<'de> for Scalars {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor {
            in_array: bool,
        }
        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalars;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean, or an array of them")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                Ok(Scalars(vec![value.to_owned()]))
            }
            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
                Ok(Scalars(vec![value.to_string()]))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
                Ok(Scalars(vec![serde_json::Number::from(value).to_string()]))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
                Ok(Scalars(vec![serde_json::Number::from(value).to_string()]))
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
                serde_json::Number::from_f64(value)
                    .map(|n| Scalars(vec![n.to_string()]))
                    .ok_or_else(|| E::custom("not a finite number"))
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
                if self.in_array {
                    return Err(de::Error::custom("nested array"));
                }
                let mut values = Vec::new();
                while let Some(element) = seq.next_element::<ScalarElement>()? {
                    values.push(element.0);
                }
                Ok(Scalars(values))
            }
        }
        /// One element of a value array (no nested arrays).
        struct ScalarElement(String);
        impl<'de> Deserialize<'de> for ScalarElement {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let mut scalars = deserializer.deserialize_any(ScalarVisitor { in_array: true })?;
                scalars
                    .0
                    .pop()
                    .map(ScalarElement)
                    .ok_or_else(|| de::Error::custom("empty"))
            }
        }
        deserializer.deserialize_any(ScalarVisitor { in_array: false })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// Every policy document (any object with a `Statement`) inside a JSON value.
    fn documents(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(object) => {
                if object.contains_key("Statement") {
                    out.push(serde_json::to_string(value).unwrap());
                }
                object.values().for_each(|v| documents(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| documents(v, out)),
            _ => {}
        }
    }

    fn corpus() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = vec![
            root.join("fixtures/demo/snapshot.json"),
            root.join("benches/data/realistic-role.json"),
            root.join("fixtures/simulate/cross-account-monitor.json"),
        ];
        for entry in std::fs::read_dir(root.join("fixtures/rules"))
            .unwrap()
            .flatten()
        {
            for name in ["fail.json", "pass.json"] {
                files.push(entry.path().join(name));
            }
        }
        let mut out = Vec::new();
        for file in files.iter().filter(|f| f.exists()) {
            let value: Value =
                serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
            documents(&value, &mut out);
        }
        out
    }

    /// Byte-level mutants (deterministic), so both paths also meet near-miss shapes.
    fn mutants(seed: &str, count: usize, state: &mut u64) -> Vec<String> {
        const INSERTS: [&str; 10] = ["\"", "[", "]", "{", "}", ",", ":", "*", "1.50", "true"];
        (0..count)
            .map(|_| {
                *state ^= *state << 13;
                *state ^= *state >> 7;
                *state ^= *state << 17;
                let mut text = seed.to_owned();
                let at = (*state as usize) % (text.len() + 1);
                let at = (0..=at)
                    .rev()
                    .find(|i| text.is_char_boundary(*i))
                    .unwrap_or(0);
                match *state % 3 {
                    0 => text.insert_str(at, INSERTS[(*state as usize / 3) % INSERTS.len()]),
                    1 if at < text.len() && text.is_char_boundary(at + 1) => {
                        text.remove(at);
                    }
                    _ => text.truncate(at),
                }
                text
            })
            .collect()
    }

    #[test]
    fn fast_and_value_paths_build_identical_documents() {
        let corpus = corpus();
        assert!(corpus.len() > 100, "only {} documents found", corpus.len());
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut fast = 0;
        let all: Vec<String> = corpus
            .iter()
            .flat_map(|doc| std::iter::once(doc.clone()).chain(mutants(doc, 20, &mut state)))
            .collect();
        for text in &all {
            let Some(from_fast) = parse_fast(text) else {
                continue;
            };
            fast += 1;
            let value: Value =
                serde_json::from_str(text).expect("the fast path accepted valid JSON");
            let from_value = PolicyDocument::from_value(&value).unwrap_or_else(|err| {
                panic!("fast path accepted what the Value path rejects ({err}):\n{text}")
            });
            assert_eq!(from_fast, from_value, "paths disagree on:\n{text}");
        }
        // Every original document is well-formed and must take the fast path.
        assert!(
            fast >= corpus.len(),
            "fast path took {fast} of {} documents",
            all.len()
        );
    }

    #[test]
    fn numbers_and_booleans_become_the_same_strings() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*",
            "Condition":{"NumericLessThan":{"k":[300, 1.5, -2, 1e3]},"Bool":{"b":true}}}]}"#;
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            parse_fast(text).unwrap(),
            PolicyDocument::from_value(&value).unwrap()
        );
    }
}
