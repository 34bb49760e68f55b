//! Every AWS operation the collector may invoke, in one list.
//!
//! The list is enforced at run time: [`crate::collect::aws::config`] installs an interceptor
//! that refuses (before anything is signed or sent) any operation missing from it. Tests check
//! that each entry is a read (`Describe`/`List`/`Get`/...) and is granted by
//! `policies/rdsiam-readonly.json`, so "rdsiam is read-only" is proven, not promised.

/// One AWS API operation, named as IAM names the action that authorizes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Operation {
    /// IAM service prefix: `iam`, `rds`, `sts`, `organizations`, `athena`, `cloudtrail`,
    /// `logs`, `cloudwatch`.
    pub service: &'static str,
    /// Operation name as in the API reference: `DescribeDBInstances`.
    pub name: &'static str,
}

impl Operation {
    const fn new(service: &'static str, name: &'static str) -> Self {
        Operation { service, name }
    }

    /// `rds:DescribeDBInstances`: the gap source and the IAM action that allows the call.
    pub fn action(&self) -> String {
        format!("{}:{}", self.service, self.name)
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.service, self.name)
    }
}

pub const GET_CALLER_IDENTITY: Operation = Operation::new("sts", "GetCallerIdentity");
pub const ASSUME_ROLE: Operation = Operation::new("sts", "AssumeRole");

pub const GET_ACCOUNT_AUTHORIZATION_DETAILS: Operation =
    Operation::new("iam", "GetAccountAuthorizationDetails");

pub const DESCRIBE_DB_INSTANCES: Operation = Operation::new("rds", "DescribeDBInstances");
pub const DESCRIBE_DB_CLUSTERS: Operation = Operation::new("rds", "DescribeDBClusters");
pub const DESCRIBE_DB_CLUSTER_ENDPOINTS: Operation =
    Operation::new("rds", "DescribeDBClusterEndpoints");
pub const DESCRIBE_DB_PROXIES: Operation = Operation::new("rds", "DescribeDBProxies");
pub const DESCRIBE_DB_PROXY_TARGETS: Operation = Operation::new("rds", "DescribeDBProxyTargets");
pub const DESCRIBE_DB_PARAMETERS: Operation = Operation::new("rds", "DescribeDBParameters");
pub const DESCRIBE_DB_CLUSTER_PARAMETERS: Operation =
    Operation::new("rds", "DescribeDBClusterParameters");
pub const DESCRIBE_CERTIFICATES: Operation = Operation::new("rds", "DescribeCertificates");

pub const DESCRIBE_ORGANIZATION: Operation =
    Operation::new("organizations", "DescribeOrganization");
pub const LIST_ROOTS: Operation = Operation::new("organizations", "ListRoots");
pub const LIST_ORGANIZATIONAL_UNITS_FOR_PARENT: Operation =
    Operation::new("organizations", "ListOrganizationalUnitsForParent");
pub const LIST_ACCOUNTS_FOR_PARENT: Operation =
    Operation::new("organizations", "ListAccountsForParent");
pub const LIST_POLICIES: Operation = Operation::new("organizations", "ListPolicies");
pub const DESCRIBE_POLICY: Operation = Operation::new("organizations", "DescribePolicy");
pub const LIST_TARGETS_FOR_POLICY: Operation =
    Operation::new("organizations", "ListTargetsForPolicy");

// The doctor's narrow reads of one principal (instead of the whole account) and its
// second opinion from IAM's own simulator.
pub const GET_ROLE: Operation = Operation::new("iam", "GetRole");
pub const GET_USER: Operation = Operation::new("iam", "GetUser");
pub const LIST_ATTACHED_ROLE_POLICIES: Operation =
    Operation::new("iam", "ListAttachedRolePolicies");
pub const LIST_ROLE_POLICIES: Operation = Operation::new("iam", "ListRolePolicies");
pub const GET_ROLE_POLICY: Operation = Operation::new("iam", "GetRolePolicy");
pub const LIST_ATTACHED_USER_POLICIES: Operation =
    Operation::new("iam", "ListAttachedUserPolicies");
pub const LIST_USER_POLICIES: Operation = Operation::new("iam", "ListUserPolicies");
pub const GET_USER_POLICY: Operation = Operation::new("iam", "GetUserPolicy");
pub const LIST_GROUPS_FOR_USER: Operation = Operation::new("iam", "ListGroupsForUser");
pub const LIST_ATTACHED_GROUP_POLICIES: Operation =
    Operation::new("iam", "ListAttachedGroupPolicies");
pub const LIST_GROUP_POLICIES: Operation = Operation::new("iam", "ListGroupPolicies");
pub const GET_GROUP_POLICY: Operation = Operation::new("iam", "GetGroupPolicy");
pub const GET_POLICY: Operation = Operation::new("iam", "GetPolicy");
pub const GET_POLICY_VERSION: Operation = Operation::new("iam", "GetPolicyVersion");
pub const SIMULATE_PRINCIPAL_POLICY: Operation = Operation::new("iam", "SimulatePrincipalPolicy");

// The doctor's walk up one account's Organizations chain.
pub const LIST_PARENTS: Operation = Operation::new("organizations", "ListParents");
pub const LIST_POLICIES_FOR_TARGET: Operation =
    Operation::new("organizations", "ListPoliciesForTarget");

/// Activity (issue #6). StartQueryExecution is the one call that is not a read by name: it
/// makes Athena write the query's results to the caller's own output location (Athena has no
/// other way to run a query); it changes nothing else. See README, "Read-only".
pub const START_QUERY_EXECUTION: Operation = Operation::new("athena", "StartQueryExecution");
pub const GET_QUERY_EXECUTION: Operation = Operation::new("athena", "GetQueryExecution");
pub const GET_QUERY_RESULTS: Operation = Operation::new("athena", "GetQueryResults");
pub const LOOKUP_EVENTS: Operation = Operation::new("cloudtrail", "LookupEvents");

/// RDS's own verdict on IAM logins (issue #16): the `iam-db-auth-error` log exported to
/// CloudWatch Logs, and the `IamDbAuthConnection*` metrics.
pub const FILTER_LOG_EVENTS: Operation = Operation::new("logs", "FilterLogEvents");
pub const GET_METRIC_DATA: Operation = Operation::new("cloudwatch", "GetMetricData");

/// The complete list. The interceptor refuses anything else.
pub const OPERATIONS: &[Operation] = &[
    GET_CALLER_IDENTITY,
    ASSUME_ROLE,
    GET_ACCOUNT_AUTHORIZATION_DETAILS,
    DESCRIBE_DB_INSTANCES,
    DESCRIBE_DB_CLUSTERS,
    DESCRIBE_DB_CLUSTER_ENDPOINTS,
    DESCRIBE_DB_PROXIES,
    DESCRIBE_DB_PROXY_TARGETS,
    DESCRIBE_DB_PARAMETERS,
    DESCRIBE_DB_CLUSTER_PARAMETERS,
    DESCRIBE_CERTIFICATES,
    DESCRIBE_ORGANIZATION,
    LIST_ROOTS,
    LIST_ORGANIZATIONAL_UNITS_FOR_PARENT,
    LIST_ACCOUNTS_FOR_PARENT,
    LIST_POLICIES,
    DESCRIBE_POLICY,
    LIST_TARGETS_FOR_POLICY,
    GET_ROLE,
    GET_USER,
    LIST_ATTACHED_ROLE_POLICIES,
    LIST_ROLE_POLICIES,
    GET_ROLE_POLICY,
    LIST_ATTACHED_USER_POLICIES,
    LIST_USER_POLICIES,
    GET_USER_POLICY,
    LIST_GROUPS_FOR_USER,
    LIST_ATTACHED_GROUP_POLICIES,
    LIST_GROUP_POLICIES,
    GET_GROUP_POLICY,
    GET_POLICY,
    GET_POLICY_VERSION,
    SIMULATE_PRINCIPAL_POLICY,
    LIST_PARENTS,
    LIST_POLICIES_FOR_TARGET,
    START_QUERY_EXECUTION,
    GET_QUERY_EXECUTION,
    GET_QUERY_RESULTS,
    LOOKUP_EVENTS,
    FILTER_LOG_EVENTS,
    GET_METRIC_DATA,
];

/// Maps the SDK's operation metadata (`"RDS"`, `"DescribeDBInstances"`) to a listed
/// operation; `None` means the call is not allowed.
pub fn lookup(sdk_service: &str, name: &str) -> Option<Operation> {
    let service = sdk_service.to_ascii_lowercase();
    // The SDK names CloudWatch Logs by its title; IAM by its prefix.
    let service = match service.as_str() {
        "cloudwatch logs" => "logs".to_owned(),
        _ => service,
    };
    OPERATIONS
        .iter()
        .copied()
        .find(|op| op.service == service && op.name == name)
}

/// True for operation names that only read: the verbs AWS uses for reads.
/// Two are allowed by name: `sts:AssumeRole` changes nothing; `athena:StartQueryExecution`
/// runs a `SELECT` whose only effect is the result file Athena writes to the output location
/// the user chose ([`START_QUERY_EXECUTION`]).
pub fn is_read(op: &Operation) -> bool {
    const READ_VERBS: &[&str] = &["Describe", "List", "Get", "Lookup", "Simulate", "Filter"];
    READ_VERBS.iter().any(|verb| op.name.starts_with(verb))
        || *op == ASSUME_ROLE
        || *op == START_QUERY_EXECUTION
}
