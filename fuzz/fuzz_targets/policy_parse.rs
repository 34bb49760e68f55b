//! Fuzz target: the policy parser and evaluator must never panic, whatever the input
//! (JSON, URL-encoded JSON, or garbage). Run: see README "Fuzzing".
#![no_main]

use libfuzzer_sys::fuzz_target;
use rdsiam::policy::{Policy, PolicyDocument, PolicySet, Request, RequestContext, evaluate};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(document) = PolicyDocument::parse(text) else {
        return;
    };
    // A parsed document must also evaluate without panicking, in both context modes.
    let policy = Policy::new("fuzz", document);
    let identity = [&policy];
    let set = PolicySet::identity_only(&identity);
    for context in [
        RequestContext::closed().with("aws:username", "alice"),
        RequestContext::open(),
    ] {
        let request = Request {
            principal: None,
            action: "rds-db:connect",
            resource: "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABC/pgmonitor",
            context: &context,
        };
        let _ = evaluate(&request, &set);
    }
});
