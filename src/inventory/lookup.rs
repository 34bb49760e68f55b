//! Read-only navigation over an [`Inventory`]: iterate RDS resources with the account and
//! region they live in, find a resource by its `rds-db` resource id, and list the policies
//! that apply to a principal. Rules use these instead of re-walking the tree.

use super::PolicyText;

use super::{
    Account, Database, DbCluster, DbInstance, DbProxy, DbTarget, DbTargetKind, IamRole, IamUser,
    Inventory,
};

/// An item together with the account and region it was collected in.
#[derive(Debug)]
pub struct Located<'a, T> {
    pub account: &'a str,
    pub region: &'a str,
    pub item: &'a T,
}

// Manual impls: a derive would require `T: Clone`, but only references are copied.
impl<T> Clone for Located<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Located<'_, T> {}

/// Where a policy document comes from, for evidence and fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicySource<'a> {
    /// A managed policy, by ARN.
    Managed { arn: &'a str },
    /// An inline policy of a user, group or role.
    Inline { owner_arn: &'a str, name: &'a str },
}

impl std::fmt::Display for PolicySource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PolicySource::Managed { arn } => write!(f, "{arn}"),
            PolicySource::Inline { owner_arn, name } => {
                write!(f, "{owner_arn} inline policy {name}")
            }
        }
    }
}

/// One identity policy in effect for a principal (directly, or through a group).
#[derive(Debug, Clone, Copy)]
pub struct PolicyAttachment<'a> {
    pub source: PolicySource<'a>,
    /// `None` when the managed policy is attached but absent from the snapshot (a gap).
    pub document: Option<&'a PolicyText>,
}

impl Inventory {
    pub fn account(&self, account_id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.account_id == account_id)
    }

    pub fn db_instances(&self) -> impl Iterator<Item = Located<'_, DbInstance>> {
        self.regions_flat()
            .flat_map(|(account, region)| located(account, &region.region, &region.db_instances))
    }

    pub fn db_clusters(&self) -> impl Iterator<Item = Located<'_, DbCluster>> {
        self.regions_flat()
            .flat_map(|(account, region)| located(account, &region.region, &region.db_clusters))
    }

    pub fn db_proxies(&self) -> impl Iterator<Item = Located<'_, DbProxy>> {
        self.regions_flat()
            .flat_map(|(account, region)| located(account, &region.region, &region.db_proxies))
    }

    /// The PostgreSQL facts of `target`, if collected.
    pub fn database(&self, target: &DbTarget) -> Option<&Database> {
        self.databases.iter().find(|d| &d.target == target)
    }

    /// The instance or cluster a database target points at, as (instance, cluster).
    pub fn target_resource(&self, target: &DbTarget) -> (Option<&DbInstance>, Option<&DbCluster>) {
        let region = self
            .account(&target.account)
            .and_then(|a| a.regions.iter().find(|r| r.region == target.region));
        let Some(region) = region else {
            return (None, None);
        };
        match target.kind {
            DbTargetKind::Instance => (
                region
                    .db_instances
                    .iter()
                    .find(|i| i.identifier == target.identifier),
                None,
            ),
            DbTargetKind::Cluster => (
                None,
                region
                    .db_clusters
                    .iter()
                    .find(|c| c.identifier == target.identifier),
            ),
        }
    }

    /// Every IAM role of every account, with its account id.
    pub fn roles(&self) -> impl Iterator<Item = (&str, &IamRole)> {
        self.accounts
            .iter()
            .flat_map(|a| a.iam.roles.iter().map(move |r| (a.account_id.as_str(), r)))
    }

    fn regions_flat(&self) -> impl Iterator<Item = (&str, &super::Region)> {
        self.accounts
            .iter()
            .flat_map(|a| a.regions.iter().map(move |r| (a.account_id.as_str(), r)))
    }
}

fn located<'a, T>(
    account: &'a str,
    region: &'a str,
    items: &'a [T],
) -> impl Iterator<Item = Located<'a, T>> + 'a {
    items.iter().map(move |item| Located {
        account,
        region,
        item,
    })
}

impl Account {
    pub fn managed_policy_document(&self, arn: &str) -> Option<&PolicyText> {
        self.iam
            .managed_policies
            .iter()
            .find(|p| p.arn == arn)
            .map(|p| &p.document)
    }

    /// Identity policies of a role: attached managed, then inline.
    pub fn role_policies<'a>(&'a self, role: &'a IamRole) -> Vec<PolicyAttachment<'a>> {
        let mut out = self.managed(&role.attached_policies);
        out.extend(inline(&role.arn, &role.inline_policies));
        out
    }

    /// Identity policies of a user: its own (managed, inline), then each group's.
    pub fn user_policies<'a>(&'a self, user: &'a IamUser) -> Vec<PolicyAttachment<'a>> {
        let mut out = self.managed(&user.attached_policies);
        out.extend(inline(&user.arn, &user.inline_policies));
        for group in self
            .iam
            .groups
            .iter()
            .filter(|g| user.groups.contains(&g.name))
        {
            out.extend(self.managed(&group.attached_policies));
            out.extend(inline(&group.arn, &group.inline_policies));
        }
        out
    }

    fn managed<'a>(&'a self, arns: &'a [String]) -> Vec<PolicyAttachment<'a>> {
        arns.iter()
            .map(|arn| PolicyAttachment {
                source: PolicySource::Managed { arn },
                document: self.managed_policy_document(arn),
            })
            .collect()
    }
}

fn inline<'a>(
    owner_arn: &'a str,
    policies: &'a [super::InlinePolicy],
) -> impl Iterator<Item = PolicyAttachment<'a>> + 'a {
    policies.iter().map(move |p| PolicyAttachment {
        source: PolicySource::Inline {
            owner_arn,
            name: &p.name,
        },
        document: Some(&p.document),
    })
}
