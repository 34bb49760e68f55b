//! The access matrix says who can log in (issue 12, build 2): the login verdict (IAM ×
//! database side) for every `blocked:` reason, the superuser mark, wildcard grants expanded
//! to the database's roles, `unknown` without database introspection, and every path shape
//! that reaches a DB-connect role (same account, cross-account, external, chained), on the
//! demo organization; the JSON report against the v1 schema; and on a generated
//! organization, entries re-evaluated with `policy::evaluate` from the inventory alone.

#[allow(dead_code)]
#[path = "../examples/gen_org.rs"]
mod gen_org;

use std::path::Path;

use rdsiam::access::Analysis;
use rdsiam::inventory::{IamRole, InlinePolicy, Inventory, snapshot};
use rdsiam::report::{AccessEntry, BlockReason, IamVerdict, LoginVerdict, MissingFact, PathShape};
use serde_json::{Value, json};

fn demo() -> Inventory {
    snapshot::load(Path::new("fixtures/demo")).unwrap_or_else(|e| panic!("demo snapshot: {e}"))
}

fn matrix(inventory: &Inventory) -> Vec<AccessEntry> {
    Analysis::build(inventory).access_entries()
}

/// Entries whose principal, database and DB user end with these (ARN suffixes).
fn find<'a>(
    entries: &'a [AccessEntry],
    principal: &str,
    db: &str,
    user: &str,
) -> Vec<&'a AccessEntry> {
    entries
        .iter()
        .filter(|e| e.principal.ends_with(principal) && e.db.ends_with(db) && e.db_user == user)
        .collect()
}

fn one<'a>(entries: &'a [AccessEntry], principal: &str, db: &str, user: &str) -> &'a AccessEntry {
    let found = find(entries, principal, db, user);
    assert_eq!(
        found.len(),
        1,
        "expected one entry {principal} → {user} on {db}, found {found:#?}"
    );
    found[0]
}

fn role(account: &str, name: &str, trust: Value, inline: Value, tags: &[(&str, &str)]) -> IamRole {
    IamRole {
        name: name.into(),
        arn: format!("arn:aws:iam::{account}:role/{name}"),
        path: "/".into(),
        trust_policy: trust.into(),
        permissions_boundary: None,
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        attached_policies: vec![],
        inline_policies: vec![InlinePolicy {
            name: "inline".into(),
            document: inline.into(),
        }],
        last_used: None,
    }
}

fn account<'a>(inventory: &'a mut Inventory, id: &str) -> &'a mut rdsiam::inventory::Account {
    inventory
        .accounts
        .iter_mut()
        .find(|a| a.account_id == id)
        .unwrap_or_else(|| panic!("account {id} in the demo"))
}

const ORDERS: &str = ":cluster:orders-aurora";
const ANALYTICS: &str = ":cluster:analytics-aurora";
const BILLING: &str = ":db:billing-pg";
const PROXY: &str = ":db-proxy:prx-0a1b2c3d4e5f6a7b8";

#[test]
fn each_blocked_reason_on_the_demo() {
    let entries = matrix(&demo());
    let cases: [(&str, &str, &str, BlockReason); 10] = [
        // An SCP (Analytics) denies the AssumeRole into prod's orders-* roles.
        (
            "role/analytics-reporter",
            ORDERS,
            "analytics_ro",
            BlockReason::BlockedByScp,
        ),
        // The Prod RCP denies AssumeRole from outside the Organization.
        (
            "role/partner-loader",
            BILLING,
            "partner_load",
            BlockReason::BlockedByRcp,
        ),
        // The Workloads SCP denies connect without the db-access tag.
        (
            "role/analytics-etl-role",
            ANALYTICS,
            "etl_user",
            BlockReason::BlockedByScp,
        ),
        // The boundary allows s3/logs/sqs only.
        (
            "role/oltp-batch-role",
            ORDERS,
            "oltp_rw_user",
            BlockReason::BlockedByBoundary,
        ),
        (
            "role/pg-admin-role",
            ORDERS,
            "rds_superuser",
            BlockReason::Nologin,
        ),
        (
            "role/reporting-role",
            ORDERS,
            "reporting",
            BlockReason::Nologin,
        ),
        (
            "role/billing-report-role",
            BILLING,
            "reporting_user",
            BlockReason::RoleMissing,
        ),
        (
            "role/oltp-readonly-role",
            ORDERS,
            "oltp_ro_user",
            BlockReason::NoRdsIam,
        ),
        (
            "role/oltp-app-role",
            PROXY,
            "oltp_rw_user",
            BlockReason::ProxyIamDisabled,
        ),
        // The proxy's only secret is oltp_rw_user's: it cannot log in as pgmonitor.
        (
            "role/pg-monitor-role",
            PROXY,
            "pgmonitor",
            BlockReason::ProxyNoAuth,
        ),
    ];
    for (principal, db, user, reason) in cases {
        let found = find(&entries, principal, db, user);
        assert!(!found.is_empty(), "no entry {principal} → {user} on {db}");
        for entry in found {
            assert_eq!(entry.login.verdict, LoginVerdict::Blocked, "{entry:#?}");
            assert_eq!(entry.login.reason, Some(reason), "{entry:#?}");
            assert_eq!(
                entry.login.summary(),
                format!("blocked: {}", reason.as_str())
            );
            assert!(!entry.login.detail.is_empty(), "{entry:#?}");
        }
    }
    // IAM auth off on analytics-aurora: every login there is blocked by it (or earlier).
    let analytics: Vec<&AccessEntry> = entries
        .iter()
        .filter(|e| e.db.ends_with(ANALYTICS))
        .collect();
    assert!(!analytics.is_empty());
    assert!(
        analytics
            .iter()
            .all(|e| e.login.verdict == LoginVerdict::Blocked)
    );
    assert!(
        analytics
            .iter()
            .any(|e| e.login.reason == Some(BlockReason::IamAuthDisabled))
    );
    for entry in &analytics {
        assert_eq!(entry.database.iam_auth_enabled, Some(false));
    }
}

#[test]
fn pg_admin_role_logs_in_only_as_its_iam_login_roles_and_the_superuser_is_marked() {
    let inventory = demo();
    let entries = matrix(&inventory);
    // The wildcard `dbuser:cluster-7QZ…/*` expands to every role of orders-aurora.
    let orders = inventory
        .databases
        .iter()
        .find(|d| d.target.identifier == "orders-aurora")
        .expect("orders-aurora introspected");
    let admin: Vec<&AccessEntry> = entries
        .iter()
        .filter(|e| {
            e.principal.ends_with("role/pg-admin-role")
                && e.db.ends_with(ORDERS)
                && e.via.is_empty()
        })
        .collect();
    let mut users: Vec<&str> = admin.iter().map(|e| e.db_user.as_str()).collect();
    users.sort_unstable();
    let mut roles: Vec<&str> = orders.roles.iter().map(|r| r.name.as_str()).collect();
    roles.sort_unstable();
    assert_eq!(users, roles);
    for entry in &admin {
        let role = orders.role(&entry.db_user).expect("a role of the database");
        let expected = if !role.can_login {
            Some(BlockReason::Nologin)
        } else if !role.has_rds_iam() {
            Some(BlockReason::NoRdsIam)
        } else {
            None
        };
        assert_eq!(entry.login.reason, expected, "{entry:#?}");
        assert_eq!(entry.database.superuser, Some(role.superuser_like));
        assert_eq!(entry.database.can_login, Some(role.can_login));
        assert_eq!(entry.database.rds_iam, Some(role.has_rds_iam()));
        assert_eq!(entry.database.role_exists, Some(true));
    }
    for (user, reason) in [
        ("rds_superuser", BlockReason::Nologin),
        ("rds_iam", BlockReason::Nologin),
        ("pg_monitor", BlockReason::Nologin),
        ("orders_admin", BlockReason::NoRdsIam),
    ] {
        let entry = one(&entries, "role/pg-admin-role", ORDERS, user);
        assert_eq!(entry.login.reason, Some(reason), "{entry:#?}");
    }
    let dba = one(&entries, "role/pg-admin-role", ORDERS, "dba_iam");
    assert_eq!(dba.login.verdict, LoginVerdict::Works, "{dba:#?}");
    assert!(dba.superuser());
    assert_eq!(dba.login.summary(), "works");
}

#[test]
fn external_vendor_dba_of_the_critical_finding_appears_with_its_path() {
    let entries = matrix(&demo());
    let found = find(
        &entries,
        "arn:aws:iam::999999999999:role/vendor-dba",
        ANALYTICS,
        "vendor_support",
    );
    assert_eq!(found.len(), 1, "{found:#?}");
    let vendor = found[0];
    assert_eq!(vendor.reach.shape, PathShape::External);
    assert!(vendor.reach.external());
    assert_eq!(vendor.reach.hops, 1);
    assert!(!vendor.reach.in_inventory);
    assert_eq!(vendor.reach.outside_organization, Some(true));
    assert_eq!(
        vendor.via,
        vec!["arn:aws:iam::333333333333:role/vendor-support-role".to_owned()]
    );
    let hop = &vendor.reach.steps[0];
    assert_eq!(hop.caller, "arn:aws:iam::999999999999:role/vendor-dba");
    assert_eq!(hop.iam, IamVerdict::Unknown);
    assert_eq!(hop.depends_on, vec!["sts:ExternalId".to_owned()]);
    // Its own permissions are unknown, and the cluster has IAM auth off (pending on).
    assert_eq!(vendor.login.missing, vec![MissingFact::CallerPolicies]);
    assert_eq!(vendor.login.reason, Some(BlockReason::IamAuthDisabled));
    assert!(
        vendor
            .login
            .depends_on
            .contains(&"sts:ExternalId".to_owned())
    );
}

#[test]
fn cross_account_monitoring_path_works_with_one_hop() {
    let entries = matrix(&demo());
    let entry = one(
        &entries,
        "111111111111:role/pg-mgmt-role",
        ORDERS,
        "pgmonitor",
    );
    assert_eq!(entry.reach.shape, PathShape::CrossAccount);
    assert_eq!(entry.reach.hops, 1);
    assert!(entry.reach.in_inventory);
    assert_eq!(entry.reach.outside_organization, Some(false));
    assert_eq!(
        entry.reach.steps[0].role,
        "arn:aws:iam::222222222222:role/pg-monitor-role"
    );
    assert_eq!(entry.reach.steps[0].iam, IamVerdict::Allowed);
    assert_eq!(entry.login.verdict, LoginVerdict::Works, "{entry:#?}");
    assert!(!entry.superuser());
}

/// The demo plus a same-account path (`dba-jump` → `db-console-role`, both in prod) and a
/// chain (`oncall` → `pg-mgmt-role` → `pg-monitor-role`, management → prod).
fn demo_with_more_paths() -> Inventory {
    let mut inventory = demo();
    let orders_connect =
        "arn:aws:rds-db:us-east-1:222222222222:dbuser:cluster-7QZ4XKMB2N5RTYWPLE3HJ6DVCA/pgmonitor";
    let prod = account(&mut inventory, "222222222222");
    prod.iam.roles.push(role(
        "222222222222",
        "dba-jump",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::222222222222:role/db-console-role"}]}),
        &[],
    ));
    prod.iam.roles.push(role(
        "222222222222",
        "db-console-role",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:role/dba-jump"}, "Action": "sts:AssumeRole"}]}),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "rds-db:connect", "Resource": orders_connect}]}),
        &[("db-access", "console")],
    ));
    let management = account(&mut inventory, "111111111111");
    management.iam.roles.push(role(
        "111111111111",
        "oncall",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::111111111111:role/pg-mgmt-role"}]}),
        &[],
    ));
    let mgmt = management
        .iam
        .roles
        .iter_mut()
        .find(|r| r.name == "pg-mgmt-role")
        .expect("pg-mgmt-role in the demo");
    mgmt.trust_policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
        {"Sid": "Oncall", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/oncall"}, "Action": "sts:AssumeRole"}]})
    .into();
    inventory
}

#[test]
fn same_account_and_chained_paths_with_their_hops() {
    let entries = matrix(&demo_with_more_paths());
    let same = one(&entries, "222222222222:role/dba-jump", ORDERS, "pgmonitor");
    assert_eq!(same.reach.shape, PathShape::SameAccount);
    assert_eq!(same.reach.hops, 1);
    assert_eq!(
        same.via,
        vec!["arn:aws:iam::222222222222:role/db-console-role".to_owned()]
    );
    assert_eq!(same.login.verdict, LoginVerdict::Works, "{same:#?}");

    let chained = one(&entries, "111111111111:role/oncall", ORDERS, "pgmonitor");
    assert_eq!(chained.reach.shape, PathShape::Chained);
    assert_eq!(chained.reach.hops, 2);
    assert_eq!(
        chained.via,
        vec![
            "arn:aws:iam::111111111111:role/pg-mgmt-role".to_owned(),
            "arn:aws:iam::222222222222:role/pg-monitor-role".to_owned(),
        ]
    );
    assert_eq!(
        chained.reach.steps[0].caller,
        "arn:aws:iam::111111111111:role/oncall"
    );
    assert_eq!(
        chained.reach.steps[0].trust_statement.as_deref(),
        Some("Statement[1] (Sid \"Oncall\")")
    );
    assert_eq!(
        chained.reach.steps[1].caller,
        "arn:aws:iam::111111111111:role/pg-mgmt-role"
    );
    assert_eq!(chained.login.verdict, LoginVerdict::Works, "{chained:#?}");
}

#[test]
fn without_database_introspection_a_wildcard_grant_is_unknown_not_works() {
    let mut inventory = demo();
    for database in &mut inventory.databases {
        if database.target.identifier == "orders-aurora" {
            database.roles.clear();
        }
    }
    let entries = matrix(&inventory);
    let any = one(&entries, "role/pg-admin-role", ORDERS, "*");
    assert_eq!(any.login.verdict, LoginVerdict::Unknown, "{any:#?}");
    assert_eq!(any.login.missing, vec![MissingFact::DatabaseRoles]);
    assert_eq!(any.login.summary(), "unknown: database-roles");
    assert_eq!(any.database.role_exists, None);
    assert_eq!(any.database.superuser, None);
    // A user a policy names is kept, and unknown too.
    let named = one(&entries, "role/oltp-app-role", ORDERS, "oltp_rw_user");
    assert_eq!(named.login.verdict, LoginVerdict::Unknown, "{named:#?}");
    // Nothing on orders-aurora claims to work.
    assert!(
        entries
            .iter()
            .filter(|e| e.db.ends_with(ORDERS))
            .all(|e| e.login.verdict != LoginVerdict::Works)
    );
}

#[test]
fn demo_json_report_with_the_matrix_matches_the_v1_schema() {
    let schema: Value =
        serde_json::from_str(include_str!("../schemas/report-v1.schema.json")).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let inventory = demo_with_more_paths();
    let report = rdsiam::engine::audit(
        &inventory,
        &rdsiam::engine::Settings::at("2026-11-21T00:00:00Z"),
    );
    let text = rdsiam::render::json::render(&report);
    let json: Value = serde_json::from_str(&text).expect("JSON");
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let access = json["access"].as_array().expect("access");
    for shape in [
        "direct",
        "same-account",
        "cross-account",
        "external",
        "chained",
    ] {
        assert!(
            access.iter().any(|e| e["reach"]["shape"] == shape),
            "no {shape} entry in the JSON"
        );
    }
    for verdict in ["works", "blocked"] {
        assert!(access.iter().any(|e| e["login"]["verdict"] == verdict));
    }
}

// --- The generated organization, spot-checked against the policy engine ---------------

use rdsiam::inventory::OrgPolicyKind;
use rdsiam::policy::{Decision, Policy, PolicySet, Request, RequestContext, RequestPrincipal};

/// A small generated organization (4 accounts; its roles' trust policies name `role/ops` of
/// random accounts, most of them outside it: external callers) with a sixth of the roles
/// trusting their own account's `ops` and a sixth the next account's, plus the `ops` role
/// in each account (allowed to assume any role, tagged), and in the first account a `jump`
/// role every `ops` trusts: same-account, cross-account, chained (`jump` → `ops` → DB
/// role) and external paths.
fn generated_org() -> Inventory {
    let mut inventory = gen_org::generate(&gen_org::Args {
        accounts: 4,
        roles: 400,
        policies: 600,
        dbs: 13,
        db_users: 200,
        seed: 12,
        output: std::path::PathBuf::new(),
    });
    let first = inventory.accounts[0].account_id.clone();
    let ids: Vec<String> = inventory
        .accounts
        .iter()
        .map(|a| a.account_id.clone())
        .collect();
    // Some roles trust their own account's `ops`, some the next account's.
    for (position, account) in inventory.accounts.iter_mut().enumerate() {
        let next = &ids[(position + 1) % ids.len()];
        for (i, role) in account.iam.roles.iter_mut().enumerate() {
            let ops = match i % 6 {
                0 => &ids[position],
                1 => next,
                _ => continue,
            };
            role.trust_policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ops}:role/ops")}, "Action": "sts:AssumeRole"}]}).into();
        }
    }
    for account in &mut inventory.accounts {
        let id = account.account_id.clone();
        account.iam.roles.push(role(
            &id,
            "ops",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{first}:role/jump")}, "Action": "sts:AssumeRole"}]}),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}),
            &[("db-access", "ops")],
        ));
    }
    inventory.accounts[0].iam.roles.push(role(
        &first,
        "jump",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/ops"}]}),
        &[],
    ));
    inventory
}

/// A principal's policies read straight from the inventory (not through the analysis).
struct Side {
    identity: Vec<Policy>,
    boundary: Option<Policy>,
    scps: Option<Vec<Vec<Policy>>>,
    management: bool,
    context: RequestContext,
    principal: RequestPrincipal,
}

fn side(inventory: &Inventory, arn: &str) -> Side {
    let account_id = arn.split(':').nth(4).expect("an IAM ARN");
    let account = inventory
        .accounts
        .iter()
        .find(|a| a.account_id == account_id)
        .expect("the principal's account");
    let role = account
        .iam
        .roles
        .iter()
        .find(|r| r.arn == arn)
        .expect("a role");
    let managed = |policy_arn: &str| {
        account
            .iam
            .managed_policies
            .iter()
            .find(|p| p.arn == policy_arn)
            .map(|p| Policy::new(policy_arn, p.document.parse().expect("parses")))
    };
    let mut identity: Vec<Policy> = role
        .inline_policies
        .iter()
        .map(|p| Policy::new(&p.name, p.document.parse().expect("parses")))
        .collect();
    identity.extend(role.attached_policies.iter().filter_map(|a| managed(a)));
    let boundary = role.permissions_boundary.as_deref().and_then(managed);
    let organization = inventory.organization.as_ref().expect("an organization");
    let scps = organization.ancestry(account_id).map(|chain| {
        chain
            .iter()
            .map(|target| {
                organization
                    .policies_on(target, OrgPolicyKind::ServiceControlPolicy)
                    .map(|p| Policy::new(&p.arn, p.document.parse().expect("parses")))
                    .collect()
            })
            .collect()
    });
    let mut context = RequestContext::open().with_absent_prefix("aws:PrincipalTag/");
    for (key, value) in &role.tags {
        context.set(
            &format!("aws:PrincipalTag/{key}"),
            vec![value.clone()],
            false,
        );
    }
    for key in rdsiam::policy::rds_db::NEVER_IN_CONNECT {
        context = context.with_absent(key);
    }
    Side {
        identity,
        boundary,
        scps,
        management: organization.is_management_account(account_id),
        context,
        principal: RequestPrincipal::from_arn(arn),
    }
}

/// `policy::evaluate` of `action` on `resource` for the principal `arn`: (identity only,
/// with boundary and SCPs).
fn decide(inventory: &Inventory, arn: &str, action: &str, resource: &str) -> (Decision, Decision) {
    let side = side(inventory, arn);
    let identity: Vec<&Policy> = side.identity.iter().collect();
    let scps: Option<Vec<Vec<&Policy>>> = side
        .scps
        .as_ref()
        .map(|levels| levels.iter().map(|l| l.iter().collect()).collect());
    let request = Request {
        principal: Some(&side.principal),
        action,
        resource,
        context: &side.context,
    };
    let alone = rdsiam::policy::evaluate(&request, &PolicySet::identity_only(&identity));
    let full = rdsiam::policy::evaluate(
        &request,
        &PolicySet {
            identity: &identity,
            permission_boundary: side.boundary.as_ref(),
            scp_levels: scps.as_deref(),
            rcp_levels: None,
            session: &[],
            management_account: side.management,
        },
    );
    (alone.decision, full.decision)
}

fn allows(decision: Decision) -> bool {
    matches!(decision, Decision::Allowed | Decision::Depends)
}

/// The connect ARN of an entry, from the target's ARN and the inventory.
fn connect_arn(inventory: &Inventory, entry: &AccessEntry) -> String {
    let parts: Vec<&str> = entry.db.split(':').collect();
    let (region, account) = (parts[3], parts[4]);
    let resource_id = inventory
        .db_instances()
        .find(|i| i.item.arn == entry.db)
        .map(|i| i.item.resource_id.clone())
        .or_else(|| {
            inventory
                .db_clusters()
                .find(|c| c.item.arn == entry.db)
                .map(|c| c.item.resource_id.clone())
        })
        .or_else(|| {
            inventory
                .db_proxies()
                .find(|p| p.item.arn == entry.db)
                .map(|p| p.item.resource_id.clone())
        })
        .expect("the entry's target is in the inventory");
    format!(
        "arn:aws:rds-db:{region}:{account}:dbuser:{resource_id}/{}",
        entry.db_user
    )
}

#[test]
fn generated_organization_entries_agree_with_the_policy_engine() {
    let inventory = generated_org();
    let entries = matrix(&inventory);
    let mut checked = std::collections::BTreeMap::<&str, usize>::new();
    for shape in [
        PathShape::Direct,
        PathShape::SameAccount,
        PathShape::CrossAccount,
        PathShape::Chained,
        PathShape::External,
    ] {
        let sample: Vec<&AccessEntry> = entries
            .iter()
            .filter(|e| e.reach.shape == shape)
            .step_by(7)
            .take(25)
            .collect();
        assert!(
            !sample.is_empty(),
            "no {} entry in the generated organization",
            shape.as_str()
        );
        for entry in sample {
            // Every AssumeRole on the path, re-evaluated for inventory callers.
            for step in &entry.reach.steps {
                if !entry.reach.in_inventory && step.caller == entry.principal {
                    assert_eq!(step.iam, IamVerdict::Unknown, "{entry:#?}");
                    continue;
                }
                let (alone, full) = decide(&inventory, &step.caller, "sts:AssumeRole", &step.role);
                assert!(
                    allows(alone),
                    "{} cannot assume {} on its own: {entry:#?}",
                    step.caller,
                    step.role
                );
                assert_eq!(
                    allows(full),
                    !matches!(
                        step.iam,
                        IamVerdict::BlockedByScp
                            | IamVerdict::BlockedByBoundary
                            | IamVerdict::BlockedByRcp
                            | IamVerdict::ImplicitlyDenied
                            | IamVerdict::ExplicitlyDenied
                    ),
                    "{entry:#?}"
                );
            }
            // The connect of the last principal (the grant's owner).
            let owner = entry
                .via
                .last()
                .map_or(entry.principal.as_str(), String::as_str);
            let (alone, full) = decide(
                &inventory,
                owner,
                "rds-db:connect",
                &connect_arn(&inventory, entry),
            );
            assert!(
                allows(alone),
                "{owner}'s own policies do not allow {entry:#?}"
            );
            let connect_blocked = !allows(full);
            // The database side, from the inventory's roles.
            let target_account = entry.db.split(':').nth(4).unwrap();
            let database = inventory.databases.iter().find(|d| {
                d.target.account == target_account
                    && entry.db.ends_with(&format!(":{}", d.target.identifier))
            });
            let role = database.and_then(|d| d.role(&entry.db_user));
            let path_blocked = entry.reach.steps.iter().any(|s| {
                !matches!(
                    s.iam,
                    IamVerdict::Allowed | IamVerdict::Depends | IamVerdict::Unknown
                )
            });
            let expected = if path_blocked
                || connect_blocked
                || entry.database.iam_auth_enabled == Some(false)
            {
                LoginVerdict::Blocked
            } else if let Some(database) = database {
                match database.role(&entry.db_user) {
                    None => LoginVerdict::Blocked,
                    Some(r) if !r.can_login || !r.has_rds_iam() => LoginVerdict::Blocked,
                    Some(_) if !entry.reach.in_inventory => LoginVerdict::Unknown,
                    Some(_) if !entry.login.depends_on.is_empty() => LoginVerdict::Depends,
                    Some(_) => LoginVerdict::Works,
                }
            } else {
                LoginVerdict::Unknown
            };
            assert_eq!(entry.login.verdict, expected, "{entry:#?}");
            assert_eq!(
                entry.database.superuser,
                role.map(|r| r.superuser_like),
                "{entry:#?}"
            );
            *checked.entry(shape.as_str()).or_default() += 1;
        }
    }
    eprintln!("spot-checked entries by shape: {checked:?}");
}
