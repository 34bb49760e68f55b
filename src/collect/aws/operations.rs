//! Every AWS operation the collector may invoke, in one list.
//!
//! The list is enforced at run time: [`crate::collect::aws::config`] installs an interceptor
//! that refuses (before anything is signed or sent) any operation missing from it. Tests check
//! that each entry is a read (`Describe`/`List`/`Get`/...) and is granted by
//! `policies/rdsiam-readonly.json`, so "rdsiam is read-only" is proven, not promised.

/// One AWS API operation, named as IAM names the action that authorizes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Operation {
    /// IAM service prefix: `iam`, `rds`, `sts`, `organizations`, `athena`, `cloudtrail`.
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

/// Activity (issue #6). StartQueryExecution is the one call that is not a read by name: it
/// makes Athena write the query's results to the caller's own output location (Athena has no
/// other way to run a query); it changes nothing else. See README, "Read-only".
pub const START_QUERY_EXECUTION: Operation = Operation::new("athena", "StartQueryExecution");
pub const GET_QUERY_EXECUTION: Operation = Operation::new("athena", "GetQueryExecution");
pub const GET_QUERY_RESULTS: Operation = Operation::new("athena", "GetQueryResults");
pub const LOOKUP_EVENTS: Operation = Operation::new("cloudtrail", "LookupEvents");

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
    START_QUERY_EXECUTION,
    GET_QUERY_EXECUTION,
    GET_QUERY_RESULTS,
    LOOKUP_EVENTS,
];

/// Maps the SDK's operation metadata (`"RDS"`, `"DescribeDBInstances"`) to a listed
/// operation; `None` means the call is not allowed.
pub fn lookup(sdk_service: &str, name: &str) -> Option<Operation> {
    let service = sdk_service.to_ascii_lowercase();
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
    const READ_VERBS: &[&str] = &["Describe", "List", "Get", "Lookup", "Simulate"];
    READ_VERBS.iter().any(|verb| op.name.starts_with(verb))
        || *op == ASSUME_ROLE
        || *op == START_QUERY_EXECUTION
}
