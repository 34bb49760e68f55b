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
        read_body(body, &mut out);
    }
    out
}

/// Each child of `<DBProxies>` is one proxy: `<member>`, as AWS sends a list in the query
/// protocol (the `DBProxyList` shape names no member element, unlike `DBInstanceList`'s
/// `<DBInstance>`), or `<DBProxy>`. Its direct children `DBProxyName` and
/// `DefaultAuthScheme` are read; the `<member>`s nested deeper (`Auth`) are not proxies. A
/// body that stops parsing keeps what was read before (the SDK accepted the answer; a cut
/// answer is reported as a gap by the XML check of the client).
fn read_body(body: &str, out: &mut BTreeMap<String, String>) {
    use xmlparser::{ElementEnd, Token, Tokenizer};
    let mut path: Vec<&str> = Vec::new();
    let mut text: Option<&str> = None;
    let (mut name, mut scheme): (Option<String>, Option<String>) = (None, None);
    for token in Tokenizer::from(body) {
        let Ok(token) = token else { break };
        match token {
            Token::ElementStart { local, .. } => {
                path.push(local.as_str());
                text = None;
            }
            Token::Text { text: t } => text = Some(t.as_str()),
            Token::ElementEnd {
                end: ElementEnd::Close(..) | ElementEnd::Empty,
                ..
            } => {
                let depth = path.len();
                let parent = |up: usize| depth.checked_sub(up).and_then(|i| path.get(i));
                if parent(3) == Some(&"DBProxies") {
                    let value = text.map(|t| t.trim().to_owned());
                    match path.last() {
                        Some(&"DBProxyName") => name = value,
                        Some(&"DefaultAuthScheme") => scheme = value,
                        _ => {}
                    }
                }
                if parent(2) == Some(&"DBProxies") {
                    if let (Some(n), Some(s)) = (name.take(), scheme.take()) {
                        out.insert(n, s);
                    }
                    (name, scheme) = (None, None);
                }
                path.pop();
                text = None;
            }
            _ => {}
        }
    }
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

    /// The shape AWS sends (`DBProxyList` members are `<member>`), with `<member>`s nested
    /// in `Auth` that are not proxies. Reading only `<DBProxy>` elements missed every proxy
    /// of a real answer.
    #[test]
    fn list_members_as_aws_sends_them() {
        let body = "<DescribeDBProxiesResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\
            <DescribeDBProxiesResult><DBProxies>\
            <member><DBProxyName>e2e</DBProxyName><Auth><member><AuthScheme>SECRETS</AuthScheme>\
            <IAMAuth>REQUIRED</IAMAuth></member></Auth><DefaultAuthScheme>IAM_AUTH</DefaultAuthScheme></member>\
            <member><DefaultAuthScheme>NONE</DefaultAuthScheme><DBProxyName>classic</DBProxyName></member>\
            <member><DBProxyName>old</DBProxyName><Auth><member><AuthScheme>SECRETS</AuthScheme></member></Auth></member>\
            </DBProxies></DescribeDBProxiesResult></DescribeDBProxiesResponse>";
        let map = schemes(&[body.to_owned()]);
        assert_eq!(map.get("e2e").map(String::as_str), Some("IAM_AUTH"));
        assert_eq!(map.get("classic").map(String::as_str), Some("NONE"));
        assert_eq!(map.get("old"), None);
        assert_eq!(map.len(), 2);
    }
}
