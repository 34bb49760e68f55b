//! Deterministic mutation test of the policy parser and evaluator, run in CI (the
//! coverage-guided fuzzer in `fuzz/` goes deeper but needs cargo-fuzz). Every mutant of
//! real policies must parse or fail with a ParseError — never panic — and a parsed mutant
//! must evaluate without panicking in both context modes.

use std::panic::{AssertUnwindSafe, catch_unwind};

use rdsiam::policy::{Policy, PolicyDocument, PolicySet, Request, RequestContext, evaluate};

const SEEDS: [&str; 4] = [
    r#"{"Version":"2012-10-17","Statement":[{"Sid":"C","Effect":"Allow","Action":["rds-db:connect","rds:Describe*"],"Resource":"arn:aws:rds-db:us-east-1:111122223333:dbuser:*/${aws:username, 'x'}","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["a*","?b"]},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}}]}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"s3:*","NotResource":["arn:aws:*:*:*:*"],"Condition":{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"},"NumericGreaterThanIfExists":{"aws:MultiFactorAuthAge":3600},"Null":{"aws:PrincipalTag/x":"true"}}}}"#,
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root","222222222222"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"${$}${*}"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"},"Bool":{"aws:SecureTransport":true}}}]}"#,
    "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D",
];

const INSERTS: [&str; 14] = [
    "*",
    "?",
    ":",
    "${",
    "}",
    "'",
    "\"",
    "[",
    "]",
    "{",
    ",",
    "%",
    "\\u0000",
    "ForAllValues:",
];

/// xorshift64*: deterministic, so a failure reproduces from the iteration number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(seed: &str, rng: &mut Rng) -> String {
    let mut text: Vec<u8> = seed.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(text.len() + 1);
        match rng.below(4) {
            0 => {
                text.truncate(at);
            }
            1 if !text.is_empty() => {
                let at = at.min(text.len() - 1);
                text.remove(at);
            }
            2 => {
                let insert = INSERTS[rng.below(INSERTS.len())];
                text.splice(at..at, insert.bytes());
            }
            _ if !text.is_empty() => {
                let at = at.min(text.len() - 1);
                text[at] = text[rng.below(text.len())];
            }
            _ => {}
        }
    }
    String::from_utf8_lossy(&text).into_owned()
}

fn exercise(text: &str) {
    let Ok(document) = PolicyDocument::parse(text) else {
        return;
    };
    let policy = Policy::new("mutant", document);
    let identity = [&policy];
    let set = PolicySet::identity_only(&identity);
    for context in [
        RequestContext::closed()
            .with("aws:username", "alice")
            .with("aws:SourceIp", "10.1.2.3")
            .with_multi("aws:TagKeys", ["ab", "b"]),
        RequestContext::open(),
    ] {
        for (action, resource) in [
            (
                "rds-db:connect",
                "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABC/alice",
            ),
            (
                "sts:AssumeRole",
                "arn:aws:iam::111122223333:role/pg-monitor-role",
            ),
            ("s3:GetObject", "arn:aws:s3:::bucket/key:with:colons"),
        ] {
            let request = Request {
                principal: None,
                action,
                resource,
                context: &context,
            };
            let _ = evaluate(&request, &set);
        }
    }
}

#[test]
fn mutated_policies_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut parsed = 0;
    for iteration in 0..30_000 {
        let seed = SEEDS[iteration % SEEDS.len()];
        let mutant = mutate(seed, &mut rng);
        let result = catch_unwind(AssertUnwindSafe(|| exercise(&mutant)));
        assert!(
            result.is_ok(),
            "iteration {iteration} panicked on input:\n{mutant}"
        );
        parsed += usize::from(PolicyDocument::parse(&mutant).is_ok());
    }
    // The mutations must exercise the evaluator too, not only the error paths.
    assert!(parsed > 1_000, "only {parsed} mutants parsed");
}
