//! The demo organization keeps DRIFT.md's promises (`fixtures/demo/DRIFT.md`): every catalogue
//! rule fires at least once, each on the object DRIFT.md's table plants for it, and the
//! "clean paths" produce no finding. Evaluated at a fixed report time.

use std::path::Path;

use rdsiam::inventory::snapshot;
use rdsiam::report::Finding;
use rdsiam::rules;

const DEMO_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo");
const EVALUATED_AT: &str = "2026-11-21T00:00:00Z";

const ORDERS_AURORA: &str = "arn:aws:rds:us-east-1:222222222222:cluster:orders-aurora";
const BILLING_PG: &str = "arn:aws:rds:us-east-1:222222222222:db:billing-pg";
const ANALYTICS_AURORA: &str = "arn:aws:rds:us-east-1:333333333333:cluster:analytics-aurora";
const ORDERS_PROXY: &str = "arn:aws:rds:us-east-1:222222222222:db-proxy:prx-0a1b2c3d4e5f6a7b8";
const BILLING_PROXY: &str = "arn:aws:rds:us-east-1:222222222222:db-proxy:prx-0b2c3d4e5f6a7b8c9";
const LEGACY_DB_ACCESS: &str = "arn:aws:iam::222222222222:policy/LegacyDbAccess";

fn demo_findings() -> Vec<Finding> {
    let inventory = snapshot::load(Path::new(DEMO_DIR))
        .unwrap_or_else(|e| panic!("fixtures/demo does not load: {e}"));
    // With the demo's configuration: its expired and unused exceptions plant the two
    // `exception-*` rules (excepted findings stay in the list).
    let config = rdsiam::config::load(&Path::new(DEMO_DIR).join("rdsiam.toml"))
        .unwrap_or_else(|e| panic!("fixtures/demo/rdsiam.toml: {e}"));
    rules::evaluate_configured(&inventory, EVALUATED_AT, &config.rules).findings
}

fn describe(finding: &Finding) -> String {
    match &finding.resource.db_user {
        Some(user) => format!(
            "{} on {} (db user {user:?})",
            finding.rule, finding.resource.arn
        ),
        None => format!("{} on {}", finding.rule, finding.resource.arn),
    }
}

fn assert_no_problems(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s):\n  - {}",
        problems.len(),
        problems.join("\n  - ")
    );
}

#[test]
fn every_catalogue_rule_fires_on_the_demo() {
    let findings = demo_findings();
    let problems: Vec<String> = rules::catalogue()
        .iter()
        // Doctor causes come from a live login, not from an inventory.
        .filter(|rule| rule.category != rules::Category::Doctor)
        .filter(|rule| !findings.iter().any(|f| f.rule == rule.id))
        .map(|rule| {
            format!(
                "rule {}: no finding on fixtures/demo (DRIFT.md plants one)",
                rule.id
            )
        })
        .collect();
    assert_no_problems("fixtures/demo", &problems);
}

/// One row of DRIFT.md's "Planted drift" table: the rule must report one of `resources`
/// (resource ARN, and the DB user when the row names one). Several candidates where the
/// resource convention leaves a choice (guardrail rules: the principal, or the database
/// user it is kept from).
struct Planted {
    rule: &'static str,
    resources: &'static [(&'static str, Option<&'static str>)],
}

const PLANTED: &[Planted] = &[
    Planted {
        rule: "arn-missing-dbuser",
        resources: &[(LEGACY_DB_ACCESS, None)],
    },
    Planted {
        rule: "arn-wrong-service",
        resources: &[(LEGACY_DB_ACCESS, None)],
    },
    Planted {
        rule: "arn-db-identifier-not-resource-id",
        resources: &[(LEGACY_DB_ACCESS, None)],
    },
    Planted {
        rule: "arn-resource-id-dangling",
        resources: &[(LEGACY_DB_ACCESS, None)],
    },
    // Two planted objects: both must be reported.
    Planted {
        rule: "arn-region-account-mismatch",
        resources: &[(LEGACY_DB_ACCESS, None)],
    },
    Planted {
        rule: "arn-region-account-mismatch",
        resources: &[(
            "arn:aws:iam::333333333333:role/analytics-crossread-role",
            None,
        )],
    },
    Planted {
        rule: "arn-instance-id-for-cluster",
        resources: &[(LEGACY_DB_ACCESS, None)],
    },
    Planted {
        rule: "arn-user-name-whitespace-or-case",
        resources: &[(
            "arn:aws:iam::333333333333:policy/pg-db-monitor-policy",
            None,
        )],
    },
    Planted {
        rule: "arn-overbroad-wildcard",
        resources: &[("arn:aws:iam::222222222222:policy/pg-admin-db-access", None)],
    },
    Planted {
        rule: "action-misspelt",
        resources: &[(LEGACY_DB_ACCESS, None)],
    },
    Planted {
        rule: "condition-key-never-present",
        resources: &[("arn:aws:iam::333333333333:role/bi-dashboard-role", None)],
    },
    Planted {
        rule: "policy-unparseable",
        resources: &[("arn:aws:iam::333333333333:role/data-export-role", None)],
    },
    Planted {
        rule: "grant-blocked-by-scp",
        resources: &[
            ("arn:aws:iam::333333333333:role/analytics-etl-role", None),
            (ANALYTICS_AURORA, Some("etl_user")),
        ],
    },
    Planted {
        rule: "grant-blocked-by-rcp",
        resources: &[
            ("arn:aws:iam::222222222222:role/partner-etl-role", None),
            ("arn:aws:iam::888888888888:role/partner-loader", None),
            (BILLING_PG, Some("partner_load")),
        ],
    },
    Planted {
        rule: "grant-blocked-by-boundary",
        resources: &[
            ("arn:aws:iam::222222222222:role/oltp-batch-role", None),
            (ORDERS_AURORA, Some("oltp_rw_user")),
        ],
    },
    Planted {
        rule: "scp-blocks-assume-role",
        resources: &[
            ("arn:aws:iam::333333333333:role/analytics-reporter", None),
            ("arn:aws:iam::222222222222:role/orders-reader-role", None),
            (ORDERS_AURORA, Some("analytics_ro")),
        ],
    },
    Planted {
        rule: "db-user-missing",
        resources: &[(BILLING_PG, Some("reporting_user"))],
    },
    Planted {
        rule: "db-user-lacks-rds-iam",
        resources: &[(ORDERS_AURORA, Some("oltp_ro_user"))],
    },
    Planted {
        rule: "rds-iam-on-master-or-password-user",
        resources: &[(BILLING_PG, Some("postgres"))],
    },
    Planted {
        rule: "rds-iam-superuser",
        resources: &[(ORDERS_AURORA, Some("dba_iam"))],
    },
    Planted {
        rule: "rds-iam-orphan",
        resources: &[(BILLING_PG, Some("legacy_batch"))],
    },
    Planted {
        rule: "rds-iam-nologin",
        resources: &[(ORDERS_AURORA, Some("reporting"))],
    },
    Planted {
        rule: "rds-iam-with-rds-ad",
        resources: &[(ORDERS_AURORA, Some("svc_kerberos"))],
    },
    Planted {
        rule: "iam-auth-disabled",
        resources: &[(ANALYTICS_AURORA, None)],
    },
    Planted {
        rule: "force-ssl-off",
        resources: &[
            (BILLING_PG, None),
            ("arn:aws:rds:us-east-1:222222222222:pg:billing-pg13", None),
        ],
    },
    Planted {
        rule: "ca-certificate-expiring",
        resources: &[(BILLING_PG, None)],
    },
    Planted {
        rule: "iam-auth-error-log-not-exported",
        resources: &[(BILLING_PG, None)],
    },
    Planted {
        rule: "proxy-iam-mode-inconsistent",
        resources: &[(ORDERS_PROXY, None)],
    },
    Planted {
        rule: "role-assumable-outside-org",
        resources: &[("arn:aws:iam::333333333333:role/vendor-support-role", None)],
    },
    Planted {
        rule: "trust-external-without-condition",
        resources: &[("arn:aws:iam::222222222222:role/pg-admin-role", None)],
    },
    Planted {
        rule: "connect-role-unused",
        resources: &[("arn:aws:iam::222222222222:role/reporting-role", None)],
    },
    Planted {
        rule: "assume-role-from-outside-org",
        resources: &[("arn:aws:iam::333333333333:role/vendor-support-role", None)],
    },
    Planted {
        rule: "assume-role-failed",
        resources: &[("arn:aws:iam::222222222222:role/partner-etl-role", None)],
    },
    Planted {
        rule: "auth-log-not-authorized",
        resources: &[(ORDERS_AURORA, Some("dba_iam"))],
    },
    Planted {
        rule: "auth-log-token-reuse-or-truncation",
        resources: &[(ORDERS_AURORA, Some("dba_iam"))],
    },
    Planted {
        rule: "auth-log-throttling",
        resources: &[(ORDERS_AURORA, None)],
    },
    Planted {
        rule: "auth-log-unknown-caller",
        resources: &[(ORDERS_AURORA, None)],
    },
    Planted {
        rule: "proxy-e2e-iam-role-cannot-connect",
        resources: &[(BILLING_PROXY, Some("billing_ops"))],
    },
    Planted {
        rule: "proxy-e2e-user-lacks-rds-iam",
        resources: &[(BILLING_PG, Some("billing_audit"))],
    },
    Planted {
        rule: "assume-role-first-seen",
        resources: &[("arn:aws:iam::222222222222:role/pg-admin-role", None)],
    },
];

fn reports(finding: &Finding, arn: &str, db_user: Option<&str>) -> bool {
    finding.resource.arn == arn
        && db_user.is_none_or(|user| finding.resource.db_user.as_deref() == Some(user))
}

#[test]
fn each_rule_fires_on_the_object_drift_md_plants_for_it() {
    let findings = demo_findings();
    let mut problems = Vec::new();
    for planted in PLANTED {
        let hit = findings.iter().any(|f| {
            f.rule == planted.rule
                && planted
                    .resources
                    .iter()
                    .any(|(arn, user)| reports(f, arn, *user))
        });
        if !hit {
            let wanted: Vec<String> = planted
                .resources
                .iter()
                .map(|(arn, user)| match user {
                    Some(user) => format!("{arn} (db user {user:?})"),
                    None => (*arn).to_owned(),
                })
                .collect();
            let got: Vec<String> = findings
                .iter()
                .filter(|f| f.rule == planted.rule)
                .map(describe)
                .collect();
            problems.push(format!(
                "rule {}: no finding on {} (DRIFT.md's planted object); it reported: [{}]",
                planted.rule,
                wanted.join(" or "),
                got.join("; ")
            ));
        }
    }
    assert_no_problems("fixtures/demo planted drift", &problems);
}

/// One clean object of DRIFT.md's "clean paths": no finding may be about it, except from
/// the rules DRIFT.md's drift table names for the same object through another path.
struct Clean {
    /// Why it is clean, as DRIFT.md says.
    path: &'static str,
    /// What a finding is about when it concerns this object.
    object: Object,
    /// Rules whose planted drift legitimately reports this object (DRIFT.md's table).
    except: &'static [&'static str],
}

enum Object {
    /// Any finding whose resource is this ARN.
    Resource(&'static str),
    /// A finding about this DB user on one of these DB resources.
    DbUser(&'static str, &'static [&'static str]),
    /// A finding of one of `rules` whose resource ARN contains the text (an RDS resource
    /// and its members or parameter groups).
    RdsSetting {
        arn_contains: &'static str,
        rules: &'static [&'static str],
    },
}

impl Object {
    fn matches(&self, finding: &Finding) -> bool {
        match self {
            Object::Resource(arn) => finding.resource.arn == *arn,
            Object::DbUser(user, dbs) => {
                finding.resource.db_user.as_deref() == Some(*user)
                    && dbs.contains(&finding.resource.arn.as_str())
            }
            Object::RdsSetting {
                arn_contains,
                rules,
            } => {
                rules.contains(&finding.rule.as_str())
                    && finding.resource.arn.contains(arn_contains)
            }
        }
    }
}

const CROSS_ACCOUNT_MONITORING: &str =
    "cross-account monitoring: 111 pg-mgmt-role -> 222 pg-monitor-role -> dbuser:*/pgmonitor";
const OLTP_APP: &str = "oltp-app-role -> oltp_rw_user on orders-aurora via cluster-7QZ...";
const BILLING_APP: &str = "billing-app-role -> billing_app on billing-pg (inline, db- id)";
const MASTERS: &str = "orders_admin / analytics_admin masters: password, no rds_iam";
const INHERITED: &str = "analytics_ro holds rds_iam inherited through NOLOGIN iam_readers";
const ORDERS_SETTINGS: &str =
    "orders-aurora: IAM on, rds.force_ssl=1, iam-db-auth-error exported, CA valid to 2027-10";
const ANALYTICS_SETTINGS: &str = "analytics-aurora exports the log and forces SSL";
const SERVICE_LINKED: &str = "service-linked AWSServiceRoleForRDS in both DB accounts";

/// The orders-aurora cluster and its members: findings about a DB user may name any.
const ORDERS_DBS: &[&str] = &[
    ORDERS_AURORA,
    "arn:aws:rds:us-east-1:222222222222:db:orders-aurora-1",
    "arn:aws:rds:us-east-1:222222222222:db:orders-aurora-2",
];

fn clean_paths() -> Vec<Clean> {
    let resource = |path, arn: &'static str| Clean {
        path,
        object: Object::Resource(arn),
        except: &[],
    };
    vec![
        resource(
            CROSS_ACCOUNT_MONITORING,
            "arn:aws:iam::111111111111:role/pg-mgmt-role",
        ),
        resource(
            CROSS_ACCOUNT_MONITORING,
            "arn:aws:iam::111111111111:policy/pg-mgmt-policy",
        ),
        resource(
            CROSS_ACCOUNT_MONITORING,
            "arn:aws:iam::222222222222:role/pg-monitor-role",
        ),
        resource(
            CROSS_ACCOUNT_MONITORING,
            "arn:aws:iam::222222222222:policy/pg-db-monitor-policy",
        ),
        Clean {
            path: CROSS_ACCOUNT_MONITORING,
            object: Object::DbUser("pgmonitor", ORDERS_DBS),
            except: &[],
        },
        Clean {
            path: CROSS_ACCOUNT_MONITORING,
            object: Object::DbUser("pgmonitor", &[BILLING_PG]),
            except: &[],
        },
        resource(OLTP_APP, "arn:aws:iam::222222222222:role/oltp-app-role"),
        resource(OLTP_APP, "arn:aws:iam::222222222222:policy/AppBoundary"),
        Clean {
            path: OLTP_APP,
            object: Object::Resource("arn:aws:iam::222222222222:policy/oltp-app-db-access"),
            // Its second ARN, through the proxy, is the proxy drift.
            except: &["proxy-iam-mode-inconsistent"],
        },
        Clean {
            path: OLTP_APP,
            object: Object::DbUser("oltp_rw_user", ORDERS_DBS),
            // Other principals' broken or blocked grants name oltp_rw_user (DRIFT.md table).
            except: &[
                "arn-wrong-service",
                "arn-db-identifier-not-resource-id",
                "arn-region-account-mismatch",
                "arn-instance-id-for-cluster",
                "grant-blocked-by-boundary",
                "proxy-iam-mode-inconsistent",
            ],
        },
        resource(
            BILLING_APP,
            "arn:aws:iam::222222222222:role/billing-app-role",
        ),
        Clean {
            path: BILLING_APP,
            object: Object::DbUser("billing_app", &[BILLING_PG]),
            // LegacyDbAccess's broken ARNs name billing_app (DRIFT.md table).
            except: &[
                "arn-missing-dbuser",
                "arn-db-identifier-not-resource-id",
                "arn-resource-id-dangling",
            ],
        },
        Clean {
            path: MASTERS,
            object: Object::DbUser("orders_admin", ORDERS_DBS),
            except: &[],
        },
        Clean {
            path: MASTERS,
            object: Object::DbUser(
                "analytics_admin",
                &[
                    ANALYTICS_AURORA,
                    "arn:aws:rds:us-east-1:333333333333:db:analytics-aurora-1",
                ],
            ),
            except: &[],
        },
        Clean {
            path: INHERITED,
            object: Object::DbUser("analytics_ro", ORDERS_DBS),
            // Its only grant sits behind the SCP-blocked AssumeRole (DRIFT.md table).
            except: &["scp-blocks-assume-role"],
        },
        Clean {
            path: INHERITED,
            // Reached only through pg-admin-role's wildcard: not rds-iam-nologin.
            object: Object::DbUser("iam_readers", ORDERS_DBS),
            except: &[],
        },
        Clean {
            path: ORDERS_SETTINGS,
            object: Object::RdsSetting {
                arn_contains: "orders-aurora",
                rules: &[
                    "iam-auth-disabled",
                    "force-ssl-off",
                    "iam-auth-error-log-not-exported",
                    "ca-certificate-expiring",
                ],
            },
            except: &[],
        },
        Clean {
            path: ANALYTICS_SETTINGS,
            object: Object::RdsSetting {
                arn_contains: "analytics-aurora",
                rules: &["force-ssl-off", "iam-auth-error-log-not-exported"],
            },
            except: &[],
        },
        resource(
            SERVICE_LINKED,
            "arn:aws:iam::222222222222:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS",
        ),
        resource(
            SERVICE_LINKED,
            "arn:aws:iam::333333333333:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS",
        ),
    ]
}

#[test]
fn drift_md_clean_paths_produce_no_finding() {
    let findings = demo_findings();
    let mut problems = Vec::new();
    for clean in clean_paths() {
        for finding in findings
            .iter()
            .filter(|f| clean.object.matches(f) && !clean.except.contains(&f.rule.as_str()))
        {
            problems.push(format!(
                "{} (clean path: {})",
                describe(finding),
                clean.path
            ));
        }
    }
    assert_no_problems("fixtures/demo clean paths", &problems);
}

/// The activity rules read every event and are easy to over-trigger: on the demo each reports
/// exactly DRIFT.md's planted object, plus the co-firing DRIFT.md lists, and nothing else.
#[test]
fn activity_rules_report_only_their_planted_objects() {
    let expected: &[(&str, &[&str])] = &[
        (
            "connect-role-unused",
            &["arn:aws:iam::222222222222:role/reporting-role"],
        ),
        (
            "assume-role-from-outside-org",
            &["arn:aws:iam::333333333333:role/vendor-support-role"],
        ),
        (
            "assume-role-failed",
            &[
                "arn:aws:iam::222222222222:role/orders-reader-role",
                "arn:aws:iam::222222222222:role/partner-etl-role",
            ],
        ),
        (
            "assume-role-first-seen",
            &["arn:aws:iam::222222222222:role/pg-admin-role"],
        ),
    ];
    let findings = demo_findings();
    let mut problems = Vec::new();
    for (rule, resources) in expected {
        let mut got: Vec<&str> = findings
            .iter()
            .filter(|f| f.rule == *rule)
            .map(|f| f.resource.arn.as_str())
            .collect();
        got.sort_unstable();
        if got != *resources {
            problems.push(format!(
                "rule {rule}: reported {got:?}, DRIFT.md plants {resources:?}"
            ));
        }
    }
    assert_no_problems("fixtures/demo activity rules", &problems);
}
