//! Live collection from AWS into an [`Inventory`].
//!
//! One run: resolve the caller (STS), read the organization when the caller can, pick the
//! accounts (`--org`: every ACTIVE account; `--accounts`; else the caller's own), assume
//! `--assume-role-name` in each account other than the caller's, then collect IAM once per
//! account and RDS once per account and region. Those units run concurrently, at most
//! `--concurrency` at a time.
//!
//! Faults never abort: each failed call becomes a coverage [`Gap`] naming the account,
//! region, API, error code and the permission that would fix it ([`faults`]). The run fails
//! only when nothing at all could be collected.
//!
//! Modules: [`config`] (SDK config, guarded clients), [`operations`] (the allow-list),
//! [`sts`], [`iam`], [`rds`], [`org`], [`faults`]; for activity, [`athena`] and [`cloudtrail`]
//! (LookupEvents).

pub mod athena;
pub mod auth_log;
pub mod cloudtrail;
pub mod config;
pub mod faults;
pub mod iam;
pub mod operations;
pub mod org;
pub mod org_chain;
pub mod pages;
pub mod principal;
pub mod proxy_scheme;
pub mod rds;
pub mod sts;
pub mod xml_check;

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::{Result, bail};
use aws_config::SdkConfig;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::collect::activity::ingest::{AwsActivityClients, FoundActivity, find_aws_activity};
use crate::collect::activity::sources::ActivityRequest;
use crate::inventory::{Account, Gap, Iam, Inventory, Region};
pub use config::{CallLog, Settings};

/// Default number of concurrent units (one unit: IAM of an account, or RDS of an account and
/// region, or one AssumeRole).
pub const DEFAULT_CONCURRENCY: usize = 8;

/// What to collect and how.
#[derive(Debug, Clone)]
pub struct Options {
    pub settings: Settings,
    /// Regions to read RDS in; empty means the configured region.
    pub regions: Vec<String>,
    /// Every ACTIVE account of the organization.
    pub org: bool,
    /// These accounts (when not `org`).
    pub accounts: Vec<String>,
    /// Role to assume in every account other than the caller's.
    pub assume_role_name: Option<String>,
    pub external_id: Option<String>,
    pub concurrency: usize,
    /// Draw a progress bar on stderr (only when stderr is a terminal).
    pub progress: bool,
    /// The `iam-db-auth-error` log and `IamDbAuth*` metrics of every target whose export is
    /// on (`--auth-errors-since`); `None` reads neither.
    pub auth_errors: Option<auth_log::Request>,
}

/// The collected inventory and the calls it took.
#[derive(Debug)]
pub struct Collection {
    pub inventory: Inventory,
    pub calls: CallLog,
    /// The clients of the collection, for the AWS-side activity sources ([`find_activity`],
    /// on the runtime the collection ran on).
    pub activity_clients: AwsActivityClients,
}

/// The runtime a collection and the activity read after it run on ([`collect`], then
/// [`find_activity`]: the SDK clients keep connections on the runtime that made them).
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Reads the AWS-side activity sources of `request` (Athena, LookupEvents) for `roles` with a
/// collection's clients; nothing is added to its inventory. Returns what was found and one
/// note per source run (for stderr). Fails only if the read-only guard refused a call.
pub async fn find_activity(
    clients: &AwsActivityClients,
    calls: &CallLog,
    roles: &[String],
    request: &ActivityRequest,
) -> Result<(FoundActivity, Vec<String>)> {
    let found = find_aws_activity(roles, clients, request).await;
    calls.ensure_nothing_refused()?;
    Ok(found)
}

/// Runs a collection on a fresh multi-threaded tokio runtime (for synchronous callers).
pub fn collect_blocking(options: &Options) -> Result<Collection> {
    runtime()?.block_on(collect(options))
}

/// Collects everything `options` asks for.
pub async fn collect(options: &Options) -> Result<Collection> {
    let log = CallLog::default();
    let mut settings = options.settings.clone();
    if settings.region.is_none() {
        settings.region = options.regions.first().cloned();
    }
    let base = config::load(&settings).await;
    let regions: Vec<String> = if options.regions.is_empty() {
        match base.region() {
            Some(region) => vec![region.to_string()],
            None => bail!(
                "no region: pass --region/--regions, or set AWS_REGION or a region in the profile"
            ),
        }
    } else {
        dedup(options.regions.iter().cloned())
    };

    let caller = match sts::caller_identity(&base, &log).await {
        Ok(caller) => caller,
        Err(gap) => bail!(
            "cannot identify the caller with sts:GetCallerIdentity ({}): {} — check the credentials (--profile, AWS_PROFILE, AWS_ACCESS_KEY_ID...)",
            gap.error_code,
            gap.message
        ),
    };
    let mut gaps = Vec::new();
    let caller_clients = config::Clients::new(base.clone(), &caller.account, &log);
    let organization = org::collect(&caller_clients, &mut gaps).await;

    let accounts: Vec<String> = if options.org {
        match &organization {
            Some(org) => dedup(
                org.accounts
                    .iter()
                    .filter(|a| a.status == "ACTIVE")
                    .map(|a| a.id.clone()),
            ),
            None => {
                eprintln!(
                    "rdsiam: warning: --org: the organization could not be read (see the coverage gaps); collecting only the caller's account {}",
                    caller.account
                );
                vec![caller.account.clone()]
            }
        }
    } else if options.accounts.is_empty() {
        vec![caller.account.clone()]
    } else {
        dedup(options.accounts.iter().cloned())
    };

    let progress = progress_bar(options.progress, accounts.len() * (2 + regions.len()));
    let semaphore = Arc::new(Semaphore::new(options.concurrency.max(1)));

    // Phase 1: credentials per account (the caller's own, or AssumeRole).
    let mut configs: BTreeMap<String, SdkConfig> = BTreeMap::new();
    let mut assumes = JoinSet::new();
    for account in &accounts {
        if *account == caller.account {
            configs.insert(account.clone(), base.clone());
            progress.inc(1);
            continue;
        }
        let Some(role_name) = options.assume_role_name.clone() else {
            gaps.push(unreachable_gap(
                account,
                "NoRoleToAssume",
                format!(
                    "account {account} is not the caller's ({}) and no --assume-role-name was given",
                    caller.account
                ),
            ));
            progress.inc(1);
            continue;
        };
        let (base, log, semaphore) = (base.clone(), log.clone(), semaphore.clone());
        let (account, external_id) = (account.clone(), options.external_id.clone());
        let partition = sts::partition(&caller.arn).to_owned();
        assumes.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            let spec = sts::AssumeSpec {
                role_name: &role_name,
                external_id: external_id.as_deref(),
                partition: &partition,
            };
            let result = sts::assume(&base, &log, &account, &spec).await;
            (account, result)
        });
    }
    while let Some(joined) = assumes.join_next().await {
        progress.inc(1);
        match joined {
            Ok((account, Ok(config))) => {
                configs.insert(account, config);
            }
            Ok((account, Err(gap))) => {
                gaps.extend(not_collected(&account, &regions, &gap));
                gaps.push(gap);
            }
            Err(err) => bail!("internal error: an AssumeRole task failed: {err}"),
        }
    }

    // Phase 2: IAM per account and RDS per account and region, all bounded together.
    let mut units = JoinSet::new();
    for (account, config) in &configs {
        let clients = config::Clients::new(config.clone(), account, &log);
        for region in std::iter::once(None).chain(regions.iter().cloned().map(Some)) {
            let (clients, semaphore) = (clients.clone(), semaphore.clone());
            units.spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                let mut gaps = Vec::new();
                let result = match &region {
                    None => Unit::Iam(iam::collect(&clients, &mut gaps).await),
                    Some(region) => {
                        let (collected, ok) = rds::collect(&clients, region, &mut gaps).await;
                        Unit::Rds(collected, ok)
                    }
                };
                (clients.account.clone(), result, gaps)
            });
        }
    }
    let mut iam_by_account: BTreeMap<String, Iam> = BTreeMap::new();
    let mut regions_by_account: BTreeMap<String, Vec<Region>> = BTreeMap::new();
    let mut collected_anything = organization.is_some();
    while let Some(joined) = units.join_next().await {
        progress.inc(1);
        let (account, unit, unit_gaps) = match joined {
            Ok(done) => done,
            Err(err) => bail!("internal error: a collection task failed: {err}"),
        };
        gaps.extend(unit_gaps);
        match unit {
            Unit::Iam(Some(iam)) => {
                collected_anything = true;
                iam_by_account.insert(account, iam);
            }
            Unit::Iam(None) => {}
            Unit::Rds(region, ok) => {
                collected_anything |= ok;
                if ok {
                    regions_by_account.entry(account).or_default().push(region);
                }
            }
        }
    }
    progress.finish_and_clear();
    let auth_logs = match &options.auth_errors {
        Some(request) => {
            read_auth_logs(
                &configs,
                &regions_by_account,
                request,
                &log,
                &semaphore,
                &mut gaps,
            )
            .await?
        }
        None => Vec::new(),
    };

    log.ensure_nothing_refused()?;
    if !collected_anything {
        bail!("nothing could be collected:\n{}", describe_gaps(&gaps));
    }

    let names: BTreeMap<&str, &str> = organization
        .iter()
        .flat_map(|o| o.accounts.iter().map(|a| (a.id.as_str(), a.name.as_str())))
        .collect();
    let mut inventory = Inventory::new(now_rfc3339());
    for account in configs.keys() {
        let iam = iam_by_account.remove(account);
        let mut account_regions = regions_by_account.remove(account).unwrap_or_default();
        if iam.is_none() && account_regions.is_empty() {
            continue;
        }
        account_regions.sort_by_key(|r| regions.iter().position(|x| *x == r.region));
        inventory.accounts.push(Account {
            account_id: account.clone(),
            name: names.get(account.as_str()).map(|n| (*n).to_owned()),
            iam: iam.unwrap_or_default(),
            regions: account_regions,
        });
    }
    gaps.sort_by(|a, b| {
        (&a.account, &a.region, &a.source, &a.error_code).cmp(&(
            &b.account,
            &b.region,
            &b.source,
            &b.error_code,
        ))
    });
    gaps.dedup();
    inventory.organization = organization;
    inventory.auth_logs = auth_logs;
    inventory.coverage = gaps;
    // The AWS-side activity sources run after the caller has chosen the roles to look for
    // (`find_activity`), with the same clients.
    let activity_clients = AwsActivityClients {
        caller: caller_clients,
        accounts: inventory
            .accounts
            .iter()
            .filter_map(|a| configs.get(&a.account_id).map(|c| (a, c)))
            .map(|(a, c)| config::Clients::new(c.clone(), &a.account_id, &log))
            .collect(),
        regions,
        concurrency: options.concurrency,
    };
    Ok(Collection {
        inventory,
        calls: log,
        activity_clients,
    })
}

/// Phase 3: the `iam-db-auth-error` log and metrics of every exporting target, one unit per
/// target, bounded by the same semaphore.
async fn read_auth_logs(
    configs: &BTreeMap<String, SdkConfig>,
    regions_by_account: &BTreeMap<String, Vec<Region>>,
    request: &auth_log::Request,
    log: &CallLog,
    semaphore: &Arc<Semaphore>,
    gaps: &mut Vec<Gap>,
) -> Result<Vec<crate::inventory::AuthLog>> {
    let window = auth_log::window(request.since, std::time::SystemTime::now());
    let mut units = JoinSet::new();
    for (account, regions) in regions_by_account {
        let Some(config) = configs.get(account) else {
            continue;
        };
        let clients = config::Clients::new(config.clone(), account, log);
        for region in regions {
            for target in auth_log::exporting_targets(region) {
                let (clients, semaphore, request) = (clients.clone(), semaphore.clone(), *request);
                let region = region.region.clone();
                units.spawn(async move {
                    let _permit = semaphore.acquire_owned().await;
                    let mut gaps = Vec::new();
                    let read = auth_log::collect_target(
                        &clients, &region, &target, window, &request, &mut gaps,
                    )
                    .await;
                    (read, gaps)
                });
            }
        }
    }
    let mut logs = Vec::new();
    while let Some(joined) = units.join_next().await {
        let (read, unit_gaps) = match joined {
            Ok(done) => done,
            Err(err) => bail!("internal error: an auth-error log task failed: {err}"),
        };
        gaps.extend(unit_gaps);
        logs.extend(read);
    }
    logs.sort_by(|a, b| {
        (&a.account, &a.region, a.kind, &a.identifier).cmp(&(
            &b.account,
            &b.region,
            b.kind,
            &b.identifier,
        ))
    });
    Ok(logs)
}

enum Unit {
    Iam(Option<Iam>),
    Rds(Region, bool),
}

/// The gap for an account that could not be reached at all.
fn unreachable_gap(account: &str, code: &str, message: String) -> Gap {
    Gap {
        account: Some(account.to_owned()),
        region: None,
        source: operations::ASSUME_ROLE.action(),
        error_code: code.to_owned(),
        message,
        fix_permission: Some("--assume-role-name NAME (a role the caller may assume)".to_owned()),
    }
}

/// For an account whose role could not be assumed: gaps for the IAM and RDS facts that were
/// therefore not read, so rules about that account say "not evaluated" instead of guessing.
fn not_collected(account: &str, regions: &[String], cause: &Gap) -> Vec<Gap> {
    let gap = |region: Option<&String>, source: String| Gap {
        account: Some(account.to_owned()),
        region: region.cloned(),
        source,
        error_code: "AccountNotCollected".to_owned(),
        message: format!(
            "not read: {} failed with {} for account {account}",
            cause.source, cause.error_code
        ),
        fix_permission: cause.fix_permission.clone(),
    };
    std::iter::once(gap(
        None,
        operations::GET_ACCOUNT_AUTHORIZATION_DETAILS.action(),
    ))
    .chain(
        regions
            .iter()
            .map(|r| gap(Some(r), operations::DESCRIBE_DB_INSTANCES.action())),
    )
    .collect()
}

/// One line per gap, for error messages and the collect summary.
pub fn describe_gaps(gaps: &[Gap]) -> String {
    gaps.iter()
        .map(|g| {
            format!(
                "  {} {} {}: {} — {}{}",
                g.account.as_deref().unwrap_or("-"),
                g.region.as_deref().unwrap_or("-"),
                g.source,
                g.error_code,
                g.message,
                g.fix_permission
                    .as_deref()
                    .map(|p| format!(" (needs {p})"))
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn dedup(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && seen.insert(s.clone()))
        .collect()
}

fn progress_bar(wanted: bool, total: usize) -> ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} collecting {pos}/{len} [{elapsed}] {wide_bar}")
    {
        bar.set_style(style);
    }
    bar
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}
