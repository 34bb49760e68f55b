//! Layer-by-layer tests of the evaluation logic (IAM User Guide, "Policy evaluation logic",
//! "Service control policies", "Resource control policies", "Permissions boundaries",
//! "Session policies"). Each test names the rule it pins down.

use serde_json::{Value, json};

use super::*;
use crate::policy::{PolicyDocument, RequestContext, RequestPrincipal};

const ROLE: &str = "arn:aws:iam::111122223333:role/app";
const CONNECT: &str = "rds-db:connect";
const DB_USER: &str = "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/pgmonitor";

fn policy(name: &str, statements: Value) -> Policy {
    let document =
        PolicyDocument::from_value(&json!({"Version": "2012-10-17", "Statement": statements}))
            .expect("valid test policy");
    Policy::new(name, document)
}

fn allow_connect() -> Policy {
    policy(
        "allow-connect",
        json!([{"Sid": "Connect", "Effect": "Allow", "Action": "rds-db:connect", "Resource": "arn:aws:rds-db:us-east-1:111122223333:dbuser:*/pgmonitor"}]),
    )
}

fn allow_all(name: &str) -> Policy {
    policy(
        name,
        json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
    )
}

fn deny_connect(name: &str) -> Policy {
    policy(
        name,
        json!([{"Sid": "NoDb", "Effect": "Deny", "Action": "rds-db:*", "Resource": "*"}]),
    )
}

struct Case<'p> {
    identity: Vec<&'p Policy>,
    boundary: Option<&'p Policy>,
    scps: Option<Vec<Vec<&'p Policy>>>,
    rcps: Option<Vec<Vec<&'p Policy>>>,
    session: Vec<&'p Policy>,
    management_account: bool,
    principal: &'p str,
    action: &'p str,
    resource: &'p str,
    context: RequestContext,
}

impl<'p> Case<'p> {
    fn new(identity: Vec<&'p Policy>) -> Self {
        Case {
            identity,
            boundary: None,
            scps: None,
            rcps: None,
            session: Vec::new(),
            management_account: false,
            principal: ROLE,
            action: CONNECT,
            resource: DB_USER,
            context: RequestContext::closed(),
        }
    }

    fn run(&self) -> (Decision, Vec<String>, Vec<(String, String)>) {
        let principal = RequestPrincipal::from_arn(self.principal);
        let set = PolicySet {
            identity: &self.identity,
            permission_boundary: self.boundary,
            scp_levels: self.scps.as_deref(),
            rcp_levels: self.rcps.as_deref(),
            session: &self.session,
            management_account: self.management_account,
        };
        let request = Request {
            principal: Some(&principal),
            action: self.action,
            resource: self.resource,
            context: &self.context,
        };
        let evaluation = evaluate(&request, &set);
        let reasons = evaluation
            .reasons
            .iter()
            .map(|r| {
                (
                    r.layer.to_string(),
                    r.policy.map(|p| p.name.clone()).unwrap_or_default(),
                )
            })
            .collect();
        (evaluation.decision, evaluation.depends_on, reasons)
    }

    fn decision(&self) -> Decision {
        self.run().0
    }
}

#[test]
fn identity_allow_is_needed_and_enough_without_other_layers() {
    let allow = allow_connect();
    assert_eq!(Case::new(vec![&allow]).decision(), Decision::Allowed);
    assert_eq!(Case::new(vec![]).decision(), Decision::ImplicitlyDenied);
    let other_user = Case {
        resource: "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/admin",
        ..Case::new(vec![&allow])
    };
    assert_eq!(other_user.decision(), Decision::ImplicitlyDenied);
}

#[test]
fn explicit_deny_anywhere_wins() {
    let allow = allow_connect();
    let deny = deny_connect("deny");
    let all = allow_all("FullAWSAccess");
    assert_eq!(
        Case::new(vec![&allow, &deny]).decision(),
        Decision::ExplicitlyDenied
    );
    let boundary_deny = policy(
        "boundary",
        json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "Deny", "Action": "rds-db:connect", "Resource": "*"}]),
    );
    let case = Case {
        boundary: Some(&boundary_deny),
        ..Case::new(vec![&allow])
    };
    assert_eq!(case.decision(), Decision::ExplicitlyDenied);
    let case = Case {
        session: vec![&deny],
        ..Case::new(vec![&allow])
    };
    assert_eq!(case.decision(), Decision::ExplicitlyDenied);
    let case = Case {
        scps: Some(vec![vec![&all], vec![&all, &deny]]),
        ..Case::new(vec![&allow])
    };
    let (decision, _, reasons) = case.run();
    assert_eq!(decision, Decision::ExplicitlyDenied);
    assert_eq!(reasons, [("scp[1]".to_owned(), "deny".to_owned())]);
}

#[test]
fn every_scp_level_must_allow() {
    let allow = allow_connect();
    let all = allow_all("FullAWSAccess");
    let only_s3 = policy(
        "only-s3",
        json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]),
    );
    let case = Case {
        scps: Some(vec![vec![&all], vec![&all], vec![&all]]),
        ..Case::new(vec![&allow])
    };
    assert_eq!(case.decision(), Decision::Allowed);
    let case = Case {
        scps: Some(vec![vec![&all], vec![&only_s3], vec![&all]]),
        ..Case::new(vec![&allow])
    };
    let (decision, _, reasons) = case.run();
    assert_eq!(decision, Decision::ImplicitlyDenied);
    assert_eq!(reasons, [("scp[1]".to_owned(), "only-s3".to_owned())]);
    // A level with no policy at all allows nothing.
    let case = Case {
        scps: Some(vec![vec![&all], vec![]]),
        ..Case::new(vec![&allow])
    };
    assert_eq!(case.decision(), Decision::ImplicitlyDenied);
    // An SCP allow never grants by itself: identity must allow too.
    let case = Case {
        scps: Some(vec![vec![&all]]),
        ..Case::new(vec![])
    };
    assert_eq!(case.decision(), Decision::ImplicitlyDenied);
}

#[test]
fn management_account_and_service_linked_roles_are_exempt_from_scps() {
    let allow = allow_connect();
    let deny = deny_connect("deny-db");
    let case = Case {
        scps: Some(vec![vec![&deny]]),
        management_account: true,
        ..Case::new(vec![&allow])
    };
    assert_eq!(case.decision(), Decision::Allowed);
    let slr =
        "arn:aws:iam::111122223333:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS";
    let case = Case {
        scps: Some(vec![vec![&deny]]),
        principal: slr,
        ..Case::new(vec![&allow])
    };
    assert_eq!(case.decision(), Decision::Allowed);
}

#[test]
fn rcps_apply_only_to_supported_services() {
    let all = allow_all("RCPFullAWSAccess");
    let deny_sts = policy(
        "deny-sts",
        json!([{"Effect": "Deny", "Action": "sts:*", "Resource": "*"}, {"Effect": "Allow", "Action": "*", "Resource": "*"}]),
    );
    let assume = policy(
        "assume",
        json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]),
    );
    let target = "arn:aws:iam::111122223333:role/pg-monitor-role";
    let case = Case {
        rcps: Some(vec![vec![&all], vec![&deny_sts]]),
        action: "sts:AssumeRole",
        resource: target,
        ..Case::new(vec![&assume])
    };
    assert_eq!(case.decision(), Decision::ExplicitlyDenied);
    // rds-db is not an RCP service: the same RCP chain has no effect on connect.
    let allow = allow_connect();
    let deny_all = policy(
        "deny-all",
        json!([{"Effect": "Deny", "Action": "*", "Resource": "*"}]),
    );
    let case = Case {
        rcps: Some(vec![vec![&deny_all]]),
        ..Case::new(vec![&allow])
    };
    assert_eq!(case.decision(), Decision::Allowed);
    // Each RCP level must allow, like SCPs.
    let case = Case {
        rcps: Some(vec![vec![&all], vec![]]),
        action: "sts:AssumeRole",
        resource: target,
        ..Case::new(vec![&assume])
    };
    assert_eq!(case.decision(), Decision::ImplicitlyDenied);
}

#[test]
fn permission_boundary_and_session_policies_intersect() {
    let allow = allow_connect();
    let s3_only = policy(
        "s3-only",
        json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]),
    );
    let all = allow_all("all");
    let case = Case {
        boundary: Some(&s3_only),
        ..Case::new(vec![&allow])
    };
    let (decision, _, reasons) = case.run();
    assert_eq!(decision, Decision::ImplicitlyDenied);
    assert_eq!(
        reasons,
        [("permission-boundary".to_owned(), "s3-only".to_owned())]
    );
    let case = Case {
        boundary: Some(&all),
        ..Case::new(vec![&allow])
    };
    assert_eq!(case.decision(), Decision::Allowed);
    // A boundary allow never grants by itself.
    let case = Case {
        boundary: Some(&all),
        ..Case::new(vec![])
    };
    assert_eq!(case.decision(), Decision::ImplicitlyDenied);
    let case = Case {
        session: vec![&s3_only],
        ..Case::new(vec![&allow])
    };
    assert_eq!(case.decision(), Decision::ImplicitlyDenied);
    let case = Case {
        session: vec![&s3_only, &all],
        ..Case::new(vec![&allow])
    };
    assert_eq!(case.decision(), Decision::Allowed);
}

#[test]
fn not_action_and_not_resource() {
    let not_action = policy(
        "na",
        json!([{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}]),
    );
    assert_eq!(Case::new(vec![&not_action]).decision(), Decision::Allowed);
    let not_action_db = policy(
        "na-db",
        json!([{"Effect": "Allow", "NotAction": "rds-db:*", "Resource": "*"}]),
    );
    assert_eq!(
        Case::new(vec![&not_action_db]).decision(),
        Decision::ImplicitlyDenied
    );
    let not_resource = policy(
        "nr",
        json!([{"Effect": "Allow", "Action": "rds-db:connect", "NotResource": "arn:aws:rds-db:*:*:dbuser:*/admin"}]),
    );
    assert_eq!(Case::new(vec![&not_resource]).decision(), Decision::Allowed);
    let deny_not_resource = policy(
        "dnr",
        json!([{"Effect": "Deny", "Action": "rds-db:connect", "NotResource": "arn:aws:rds-db:*:*:dbuser:*/admin"}]),
    );
    let allow = allow_connect();
    assert_eq!(
        Case::new(vec![&allow, &deny_not_resource]).decision(),
        Decision::ExplicitlyDenied
    );
}

#[test]
fn actions_are_case_insensitive_and_resources_case_sensitive() {
    let allow = policy(
        "mixed",
        json!([{"Effect": "Allow", "Action": "RDS-DB:Connect", "Resource": DB_USER}]),
    );
    let case = Case {
        action: "rds-db:CONNECT",
        ..Case::new(vec![&allow])
    };
    assert_eq!(case.decision(), Decision::Allowed);
    let upper = "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/PGMONITOR";
    let case = Case {
        resource: upper,
        ..Case::new(vec![&allow])
    };
    assert_eq!(case.decision(), Decision::ImplicitlyDenied);
}

#[test]
fn policy_variables_in_resources() {
    let own_user = policy(
        "own",
        json!([{"Effect": "Allow", "Action": "rds-db:connect", "Resource": "arn:aws:rds-db:us-east-1:111122223333:dbuser:*/${aws:PrincipalTag/dbuser}"}]),
    );
    let case = Case {
        context: RequestContext::closed().with("aws:PrincipalTag/dbuser", "pgmonitor"),
        ..Case::new(vec![&own_user])
    };
    assert_eq!(case.decision(), Decision::Allowed);
    let case = Case {
        context: RequestContext::closed().with("aws:PrincipalTag/dbuser", "admin"),
        ..Case::new(vec![&own_user])
    };
    assert_eq!(case.decision(), Decision::ImplicitlyDenied);
    // Missing key, no default: the resource matches nothing.
    assert_eq!(
        Case::new(vec![&own_user]).decision(),
        Decision::ImplicitlyDenied
    );
    // Without Version 2012-10-17 `${…}` is literal text.
    let old = Policy::new(
        "old",
        PolicyDocument::from_value(&json!({"Statement": [{"Effect": "Allow", "Action": "rds-db:connect", "Resource": "arn:aws:rds-db:us-east-1:111122223333:dbuser:*/${aws:PrincipalTag/dbuser}"}]})).unwrap(),
    );
    let case = Case {
        context: RequestContext::closed().with("aws:PrincipalTag/dbuser", "pgmonitor"),
        ..Case::new(vec![&old])
    };
    assert_eq!(case.decision(), Decision::ImplicitlyDenied);
    let literal = "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-X/${aws:PrincipalTag/dbuser}";
    let case = Case {
        resource: literal,
        ..Case::new(vec![&old])
    };
    assert_eq!(case.decision(), Decision::Allowed);
}

#[test]
fn conditions_on_keys_connect_never_carries() {
    // aws:SourceIp is not in rds-db:connect requests: an Allow on it never matches and a
    // NotIpAddress Deny always matches (FAILURES.md).
    let allow_ip = policy(
        "allow-ip",
        json!([{"Effect": "Allow", "Action": "rds-db:connect", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]),
    );
    assert_eq!(
        Case::new(vec![&allow_ip]).decision(),
        Decision::ImplicitlyDenied
    );
    let allow = allow_connect();
    let deny_outside = policy(
        "deny-outside",
        json!([{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]),
    );
    assert_eq!(
        Case::new(vec![&allow, &deny_outside]).decision(),
        Decision::ExplicitlyDenied
    );
}

#[test]
fn open_context_reports_what_the_answer_depends_on() {
    let allow = allow_connect();
    let tagged = policy(
        "tagged",
        json!([{"Effect": "Deny", "Action": "rds-db:connect", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}]),
    );
    let case = Case {
        context: RequestContext::open(),
        ..Case::new(vec![&allow, &tagged])
    };
    let (decision, depends_on, _) = case.run();
    assert_eq!(decision, Decision::Depends);
    assert_eq!(depends_on, ["aws:multifactorauthpresent"]);
    // A known-absent key settles it.
    let case = Case {
        context: RequestContext::open().with_absent("aws:MultiFactorAuthPresent"),
        ..Case::new(vec![&allow, &tagged])
    };
    assert_eq!(case.decision(), Decision::Allowed);
    // A definite denial is not "depends", whatever else is unknown.
    let case = Case {
        context: RequestContext::open(),
        ..Case::new(vec![&tagged])
    };
    assert_eq!(case.decision(), Decision::ImplicitlyDenied);
    // Unknown allow condition.
    let vpce = policy(
        "vpce",
        json!([{"Effect": "Allow", "Action": "rds-db:connect", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "dba"}}}]),
    );
    let case = Case {
        context: RequestContext::open(),
        ..Case::new(vec![&vpce])
    };
    let (decision, depends_on, _) = case.run();
    assert_eq!(
        (decision, depends_on),
        (Decision::Depends, vec!["aws:principaltag/team".to_owned()])
    );
}

#[test]
fn reasons_name_the_allowing_statement_in_each_layer() {
    let allow = allow_connect();
    let all = allow_all("FullAWSAccess");
    let case = Case {
        scps: Some(vec![vec![&all], vec![&all]]),
        boundary: Some(&all),
        ..Case::new(vec![&allow])
    };
    let (decision, _, reasons) = case.run();
    assert_eq!(decision, Decision::Allowed);
    let layers: Vec<&str> = reasons.iter().map(|(layer, _)| layer.as_str()).collect();
    assert_eq!(
        layers,
        ["scp[0]", "scp[1]", "identity", "permission-boundary"]
    );
}
