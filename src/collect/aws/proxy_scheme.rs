//! `DefaultAuthScheme` of RDS Proxies (end-to-end IAM, `IAM_AUTH`), read from the raw
//! `DescribeDBProxies` answer.
//!
//! The aws-sdk-rds release pinned in Cargo.lock predates the field, and a newer one would move
//! every shared SDK crate; so the one field is read from the XML the SDK already received:
//! an interceptor on the proxy listing keeps each answer's body, and [`schemes`] maps proxy
//! name → scheme. Same call, same permission, nothing extra sent.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::AfterDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Keeps the bodies of the answers it sees.
#[derive(Debug, Clone, Default)]
pub struct BodyCapture {
    bodies: Arc<Mutex<Vec<String>>>,
}

impl BodyCapture {
    pub fn bodies(&self) -> Vec<String> {
        self.bodies.lock().map(|b| b.clone()).unwrap_or_default()
    }
}

impl Intercept for BodyCapture {
    fn name(&self) -> &'static str {
        "rdsiam::BodyCapture"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(bytes) = context.response().body().bytes()
            && let Ok(mut bodies) = self.bodies.lock()
        {
            bodies.push(String::from_utf8_lossy(bytes).into_owned());
        }
        Ok(())
    }
}

/// Proxy name → `DefaultAuthScheme`, from `DescribeDBProxies` XML bodies.
pub fn schemes(bodies: &[String]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for body in bodies {
        for member in body.split("<DBProxy>").skip(1) {
            let member = member.split("</DBProxy>").next().unwrap_or(member);
            if let (Some(name), Some(scheme)) = (
                element(member, "DBProxyName"),
                element(member, "DefaultAuthScheme"),
            ) {
                out.insert(name.to_owned(), scheme.to_owned());
            }
        }
    }
    out
}

/// The text of the first `<name>…</name>` (no attributes, no nesting: these are enum and
/// identifier fields).
fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))?;
    Some(xml[start..start + end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_per_proxy_name() {
        let body = "<DescribeDBProxiesResponse><DescribeDBProxiesResult><DBProxies>\
            <DBProxy><DBProxyName>e2e</DBProxyName><Auth><member><AuthScheme>SECRETS</AuthScheme></member></Auth><DefaultAuthScheme>IAM_AUTH</DefaultAuthScheme></DBProxy>\
            <DBProxy><DBProxyName>classic</DBProxyName><DefaultAuthScheme>NONE</DefaultAuthScheme></DBProxy>\
            <DBProxy><DBProxyName>old</DBProxyName></DBProxy>\
            </DBProxies></DescribeDBProxiesResult></DescribeDBProxiesResponse>";
        let map = schemes(&[body.to_owned()]);
        assert_eq!(map.get("e2e").map(String::as_str), Some("IAM_AUTH"));
        assert_eq!(map.get("classic").map(String::as_str), Some("NONE"));
        assert_eq!(map.get("old"), None);
    }
}
