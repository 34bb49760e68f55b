//! Refuses an XML answer that is not well formed, so that it becomes a coverage gap.
//!
//! The SDK's XML reader (aws-smithy-xml) accepts a cut or unbalanced document: the answer
//! `<DescribeDBProxiesResponse><DescribeDBProxiesResult><broken` deserializes into an empty
//! list, and a collector trusting it would report "no proxies" where it knows nothing. The
//! [`WellFormedXml`] interceptor, installed on the clients of the XML (query-protocol)
//! services, checks the body of every answer the SDK accepted and turns a malformed one into
//! a response error; [`super::faults`] then makes it a gap naming the operation, like any
//! other unparseable answer.
//!
//! [`check`] is a structural check, not a validating parser: tags balance and nest, there is
//! exactly one root element and no text outside it, comments, CDATA sections, processing instructions and tags are
//! terminated, attribute values are quoted. Linear in the body's length, no recursion.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::AfterDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// The interceptor: an accepted answer with a malformed XML body becomes an error.
#[derive(Debug, Clone, Copy, Default)]
pub struct WellFormedXml;

impl Intercept for WellFormedXml {
    fn name(&self) -> &'static str {
        "rdsiam::WellFormedXml"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Only answers the SDK accepted: an error answer is already an error (and a 500 from an
        // endpoint that does not implement the API keeps its own diagnosis).
        if context.output_or_error().is_err() {
            return Ok(());
        }
        let Some(body) = context.response().body().bytes() else {
            return Ok(());
        };
        // Only XML bodies (the JSON services and empty bodies are not this check's business).
        if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'<') {
            return Ok(());
        }
        check(body).map_err(|why| {
            format!(
                "malformed XML answer ({} bytes, cut or unbalanced): {why}",
                body.len()
            )
            .into()
        })
    }
}

/// `Ok` when `xml` is structurally well formed; otherwise what is wrong, and where.
pub fn check(xml: &[u8]) -> Result<(), String> {
    let mut open: Vec<&[u8]> = Vec::new();
    let mut roots = 0_usize;
    let mut at = 0;
    while let Some(found) = memchr::memchr(b'<', &xml[at..]) {
        let start = at + found;
        if open.is_empty() && !xml[at..start].trim_ascii().is_empty() {
            return Err(format!("text outside the root element at byte {at}"));
        }
        let rest = &xml[start..];
        at = if rest.starts_with(b"<?") {
            start + 2 + find(&rest[2..], b"?>", "processing instruction", start)? + 2
        } else if rest.starts_with(b"<!--") {
            start + 4 + find(&rest[4..], b"-->", "comment", start)? + 3
        } else if rest.starts_with(b"<![CDATA[") {
            if open.is_empty() {
                return Err(format!("CDATA outside the root element at byte {start}"));
            }
            start + 9 + find(&rest[9..], b"]]>", "CDATA section", start)? + 3
        } else if rest.starts_with(b"<!") {
            // <!DOCTYPE …> (no internal subset in AWS answers).
            if roots > 0 || !open.is_empty() {
                return Err(format!("declaration inside the document at byte {start}"));
            }
            start + 2 + find(&rest[2..], b">", "declaration", start)? + 1
        } else if let Some(tag) = rest.strip_prefix(b"</") {
            let end = find(tag, b">", "closing tag", start)?;
            let name = tag[..end].trim_ascii_end();
            match open.pop() {
                Some(expected) if expected == name => {}
                Some(expected) => {
                    return Err(format!(
                        "</{}> at byte {start} closes <{}>",
                        shown(name),
                        shown(expected)
                    ));
                }
                None => {
                    return Err(format!("</{}> at byte {start} closes nothing", shown(name)));
                }
            }
            start + 2 + end + 1
        } else {
            let (name, end, self_closing) = start_tag(&rest[1..], start)?;
            if open.is_empty() {
                roots += 1;
                if roots > 1 {
                    return Err(format!("a second root element <{}>", shown(name)));
                }
            }
            if !self_closing {
                open.push(name);
            }
            start + 1 + end + 1
        };
    }
    if open.is_empty() && !xml[at..].trim_ascii().is_empty() {
        return Err(format!("text outside the root element at byte {at}"));
    }
    if let Some(unclosed) = open.last() {
        return Err(format!(
            "<{}> is never closed ({} element(s) open at the end)",
            shown(unclosed),
            open.len()
        ));
    }
    if roots == 0 {
        return Err("no element".to_owned());
    }
    Ok(())
}

/// The offset of `needle` in `haystack`, or an error naming the unterminated `what`.
fn find(haystack: &[u8], needle: &[u8], what: &str, start: usize) -> Result<usize, String> {
    memchr::memmem::find(haystack, needle)
        .ok_or_else(|| format!("unterminated {what} at byte {start}"))
}

/// A start tag after its `<`: (name, offset of its `>`, self-closing). Attribute values are
/// quoted and may contain `>`.
fn start_tag(tag: &[u8], start: usize) -> Result<(&[u8], usize, bool), String> {
    let name_len = tag
        .iter()
        .position(|&b| b.is_ascii_whitespace() || b == b'/' || b == b'>')
        .unwrap_or(tag.len());
    let name = &tag[..name_len];
    if name.is_empty() || name.contains(&b'<') {
        return Err(format!("a tag without a name at byte {start}"));
    }
    let mut quote = None;
    for (i, &b) in tag.iter().enumerate().skip(name_len) {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'<') => return Err(format!("<{}> at byte {start} is cut", shown(name))),
            (None, b'>') => return Ok((name, i, i > 0 && tag[i - 1] == b'/')),
            (None, _) => {}
        }
    }
    Err(format!("<{}> at byte {start} is cut", shown(name)))
}

/// A tag name for an error message: printable, at most 64 characters.
fn shown(name: &[u8]) -> String {
    String::from_utf8_lossy(name)
        .chars()
        .take(64)
        .flat_map(char::escape_default)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn well_formed_answers_pass() {
        for xml in [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<A xmlns=\"x\"><B>1</B><C/><D a='>'>t</D></A>\n",
            "<DescribeDBProxiesResponse><DescribeDBProxiesResult><DBProxies/></DescribeDBProxiesResult></DescribeDBProxiesResponse>",
            "<!-- c --><A><![CDATA[<not a tag>]]><B >x</B ></A>",
            "<!DOCTYPE A><A/>",
        ] {
            assert_eq!(check(xml.as_bytes()), Ok(()), "{xml}");
        }
    }

    #[test]
    fn cut_or_unbalanced_answers_are_refused() {
        for xml in [
            // What the fault proxy's `MalformedXml` sends: read as an empty list by the SDK.
            "<DescribeDBProxiesResponse><DescribeDBProxiesResult><broken",
            "<A><B></A>",
            "<A></A><B/>",
            "</A>",
            "<A>",
            "<A><!-- cut",
            "<A><![CDATA[x</A>",
            "<A b=\"c>",
            "text only",
            "",
            "<A><</A>",
            "<A/>trailing",
            "leading<A/>",
        ] {
            assert!(check(xml.as_bytes()).is_err(), "{xml}");
        }
    }
}
