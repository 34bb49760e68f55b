//! Deterministic, realistic CloudTrail log files of any size, for tests and benchmarks (the
//! `gen_cloudtrail` example drives it). Same seed, same bytes.
//!
//! Files use the S3 layout and real field names, compact one-line JSON `{"Records":[...]}`
//! with no trailing newline, gzip'd. Many accounts, regions and days; ~0.5% of records are
//! `AssumeRole` (some into the roles of interest, some failing with `AccessDenied`), and the
//! roles' ARNs and names also appear where they must not count: `sessionIssuer.arn` of callers,
//! `AssumeRoleWithWebIdentity`, `GetRole`, look-alike role names, the same role name in an
//! account that is not of interest. The generator knows the ground truth: every AssumeRole
//! into a role of interest comes back as an [`AssumeRoleEvent`] in [`GenOutput::expected`].
//!
//! Test machinery, not part of the shipped tool: compiled only with the `generators` feature,
//! which the tests, benches and examples turn on through the dev-dependency of the package on
//! itself (Cargo.toml), and in the library's own unit tests.
#![cfg(any(test, feature = "generators"))]

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use rayon::prelude::*;

use crate::collect::activity::cloudtrail_layout::Day;
use crate::inventory::activity::{AssumeRoleEvent, PrincipalType};

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenConfig {
    pub seed: u64,
    /// Total uncompressed JSON bytes (approximately; the last file is cut to fit).
    pub total_bytes: u64,
    /// Average uncompressed size of one file (each is 0.5–1.5× this).
    pub file_bytes: u64,
    pub accounts: usize,
    pub regions: Vec<String>,
    pub first_day: Day,
    pub days: u32,
    /// AssumeRole records per 10 000 records (50 = 0.5%).
    pub assume_role_per_10k: u32,
}

impl GenConfig {
    /// Defaults: 8 accounts, 4 regions, 30 days from 2026-03-01, 4 MiB files, 0.5% AssumeRole.
    pub fn new(seed: u64, total_bytes: u64) -> GenConfig {
        GenConfig {
            seed,
            total_bytes,
            file_bytes: 4 << 20,
            accounts: 8,
            regions: ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"]
                .map(String::from)
                .to_vec(),
            first_day: Day {
                year: 2026,
                month: 3,
                day: 1,
            },
            days: 30,
            assume_role_per_10k: 50,
        }
    }

    /// The accounts, 12 digits each.
    pub fn account_ids(&self) -> Vec<String> {
        (0..self.accounts.max(3) as u64)
            .map(|i| format!("{:012}", 111_122_223_333 + i * 10_101_010_101))
            .collect()
    }

    /// The DB-connect roles of interest: three roles (one with a path) in the first two accounts.
    pub fn roles_of_interest(&self) -> Vec<String> {
        let accounts = self.account_ids();
        accounts[..2]
            .iter()
            .flat_map(|a| INTEREST_ROLES.iter().map(move |r| role_arn(a, r)))
            .collect()
    }
}

/// Role names (with path) of interest; the decoys below share their names or prefixes.
const INTEREST_ROLES: [&str; 3] = ["rds-db-admin", "app/rds-db-reader", "rds-pgmonitor"];
const DECOY_ROLES: [&str; 2] = ["rds-db-admin-legacy", "app/rds-db-reader-old"];
const OTHER_ROLES: [&str; 6] = [
    "OrganizationAccountAccessRole",
    "ci-deploy",
    "lambda-exec-orders",
    "ops/breakglass",
    "AWSServiceRoleForRDS",
    "eks-node-group",
];
const USERS: [&str; 5] = ["alice", "bob", "carol", "svc-backup", "terraform"];
const USER_AGENTS: [&str; 6] = [
    "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#debian.12 md/prompt#off md/command#sts.assume-role",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.219-208.866.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69",
    "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64 api/sts#1.28.6",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "aws-sdk-java/2.25.28 Linux/5.10.215-203.850.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy",
    "Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.45.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2",
];
const SERVICES: [&str; 4] = [
    "ec2.amazonaws.com",
    "lambda.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "rds.amazonaws.com",
];

fn role_arn(account: &str, role: &str) -> String {
    format!("arn:aws:iam::{account}:role/{role}")
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, Default)]
pub struct GenOutput {
    /// Files written, in generation order.
    pub files: Vec<PathBuf>,
    pub bytes_uncompressed: u64,
    pub bytes_compressed: u64,
    pub records: u64,
    /// Every AssumeRole into a role of interest, sorted by (eventTime, eventID) as the scan sorts.
    pub expected: Vec<AssumeRoleEvent>,
}

/// One file as written.
struct Written {
    path: PathBuf,
    raw: u64,
    compressed: u64,
    records: u64,
    expected: Vec<AssumeRoleEvent>,
}

/// One planned file: where it goes and how big it gets.
#[derive(Debug, Clone)]
struct FilePlan {
    index: u64,
    account: usize,
    region: usize,
    day: Day,
    /// Delivery time, seconds after midnight.
    delivered: u32,
    bytes: u64,
}

/// Writes the files under `out` (creating `out/AWSLogs/...`). Files are rendered in parallel;
/// each is a pure function of (config, file index), so the output does not depend on threads.
pub fn generate(out: &Path, cfg: &GenConfig) -> io::Result<GenOutput> {
    let plans = plan(cfg);
    let results: Vec<io::Result<Written>> = plans
        .par_iter()
        .map(|p| {
            let (rel, json, records, expected) = render_file(cfg, p);
            let path = out.join(rel);
            fs::create_dir_all(path.parent().expect("layout has directories"))?;
            let mut gz =
                GzEncoder::new(BufWriter::new(File::create(&path)?), Compression::default());
            gz.write_all(json.as_bytes())?;
            gz.finish()?.flush()?;
            let compressed = fs::metadata(&path)?.len();
            Ok(Written {
                path,
                raw: json.len() as u64,
                compressed,
                records,
                expected,
            })
        })
        .collect();
    let mut output = GenOutput::default();
    for r in results {
        let w = r?;
        output.files.push(w.path);
        output.bytes_uncompressed += w.raw;
        output.bytes_compressed += w.compressed;
        output.records += w.records;
        output.expected.extend(w.expected);
    }
    output
        .expected
        .sort_by(|a, b| (&a.event_time, &a.event_id).cmp(&(&b.event_time, &b.event_id)));
    Ok(output)
}

fn plan(cfg: &GenConfig) -> Vec<FilePlan> {
    let mut rng = Rng::new(cfg.seed ^ 0x9e37_79b9_7f4a_7c15);
    let mut plans = Vec::new();
    let mut total = 0u64;
    let min_file = 2048u64;
    while total < cfg.total_bytes {
        let want = cfg.file_bytes / 2 + rng.below(cfg.file_bytes.max(1));
        let bytes = want.min(cfg.total_bytes - total).max(min_file);
        total += bytes;
        plans.push(FilePlan {
            index: plans.len() as u64,
            account: rng.below(cfg.accounts.max(3) as u64) as usize,
            region: rng.below(cfg.regions.len() as u64) as usize,
            day: cfg
                .first_day
                .plus_days(rng.below(cfg.days.max(1) as u64) as u32),
            delivered: (rng.below(24 * 12) * 300) as u32,
            bytes,
        });
    }
    plans
}

/// Renders one file: its path relative to the output directory, its JSON, its record count
/// and the events of interest it holds.
fn render_file(cfg: &GenConfig, p: &FilePlan) -> (PathBuf, String, u64, Vec<AssumeRoleEvent>) {
    let mut rng = Rng::new(cfg.seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ p.index);
    let accounts = cfg.account_ids();
    let account = &accounts[p.account];
    let region = &cfg.regions[p.region];
    let ts = format!(
        "{:04}{:02}{:02}T{:02}{:02}Z",
        p.day.year,
        p.day.month,
        p.day.day,
        p.delivered / 3600,
        p.delivered / 60 % 60
    );
    let rel = PathBuf::from(format!(
        "AWSLogs/{account}/CloudTrail/{region}/{:04}/{:02}/{:02}/{account}_CloudTrail_{region}_{ts}_{}.json.gz",
        p.day.year,
        p.day.month,
        p.day.day,
        rng.alnum(16)
    ));
    let ctx = FileCtx {
        cfg,
        accounts: &accounts,
        interest: cfg.roles_of_interest(),
        account,
        region,
        day: p.day,
        delivered: p.delivered,
    };
    let mut json = String::with_capacity(p.bytes as usize + 4096);
    json.push_str("{\"Records\":[");
    let mut records = 0u64;
    let mut expected = Vec::new();
    // Stop before the target; the closing `]}` follows.
    while (json.len() as u64) < p.bytes.saturating_sub(2) || records == 0 {
        if records > 0 {
            json.push(',');
        }
        if let Some(event) = ctx.record(&mut rng, &mut json) {
            expected.push(event);
        }
        records += 1;
    }
    json.push_str("]}");
    (rel, json, records, expected)
}

struct FileCtx<'a> {
    cfg: &'a GenConfig,
    accounts: &'a [String],
    interest: Vec<String>,
    account: &'a str,
    region: &'a str,
    day: Day,
    delivered: u32,
}

/// The caller of one record, as `userIdentity` and as the event fields it fills.
struct Caller {
    json: String,
    arn: Option<String>,
    account: Option<String>,
    kind: PrincipalType,
    source_ip: String,
    user_agent: String,
}

macro_rules! put {
    ($s:expr, $($arg:tt)*) => {{
        let _ = write!($s, $($arg)*);
    }};
}

impl FileCtx<'_> {
    /// Appends one record; returns the event when it is an AssumeRole into a role of interest.
    fn record(&self, rng: &mut Rng, out: &mut String) -> Option<AssumeRoleEvent> {
        let roll = rng.below(10_000) as u32;
        let ar = self.cfg.assume_role_per_10k;
        if roll < ar {
            return self.assume_role(rng, out);
        }
        match roll - ar {
            0..5 => self.web_identity(rng, out),
            5..15 => self.get_role(rng, out),
            r => self.ordinary(rng, out, r),
        }
        None
    }

    fn event_time(&self, rng: &mut Rng) -> String {
        // Events happen in the 15 minutes before delivery; near midnight that is the day before.
        let back = rng.below(900) as i64 + 1;
        let mut secs = self.delivered as i64 - back;
        let mut day = self.day;
        if secs < 0 {
            secs += 86_400;
            day = day.prev();
        }
        format!(
            "{day}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }

    fn caller(&self, rng: &mut Rng, sts_call: bool) -> Caller {
        let account = self.accounts[rng.below(self.accounts.len() as u64) as usize].clone();
        let ip = match rng.below(3) {
            0 => format!(
                "10.{}.{}.{}",
                rng.below(256),
                rng.below(256),
                rng.below(254) + 1
            ),
            1 => format!("203.0.113.{}", rng.below(254) + 1),
            _ => format!("198.51.100.{}", rng.below(254) + 1),
        };
        let user_agent = USER_AGENTS[rng.below(USER_AGENTS.len() as u64) as usize].to_owned();
        let roll = rng.below(100);
        if sts_call && roll < 15 {
            let service = SERVICES[rng.below(SERVICES.len() as u64) as usize];
            return Caller {
                json: format!(r#"{{"type":"AWSService","invokedBy":"{service}"}}"#),
                arn: None,
                account: None,
                kind: PrincipalType::AWSService,
                source_ip: service.to_owned(),
                user_agent: service.to_owned(),
            };
        }
        if roll < 45 {
            let user = USERS[rng.below(USERS.len() as u64) as usize];
            let arn = format!("arn:aws:iam::{account}:user/{user}");
            let json = format!(
                r#"{{"type":"IAMUser","principalId":"AIDA{}","arn":"{arn}","accountId":"{account}","accessKeyId":"AKIA{}","userName":"{user}"}}"#,
                rng.upper(17),
                rng.upper(16)
            );
            return Caller {
                json,
                arn: Some(arn),
                account: Some(account),
                kind: PrincipalType::IAMUser,
                source_ip: ip,
                user_agent,
            };
        }
        // An assumed-role session; a fifth of them are sessions of a role of interest, so that
        // role's ARN sits in `sessionIssuer.arn` of records that must not count.
        let issuer = if rng.below(5) == 0 {
            self.interest[rng.below(self.interest.len() as u64) as usize].clone()
        } else {
            role_arn(
                &account,
                OTHER_ROLES[rng.below(OTHER_ROLES.len() as u64) as usize],
            )
        };
        let issuer_account = issuer[13..25].to_owned();
        let role_name = issuer.rsplit('/').next().unwrap_or_default();
        let session = format!(
            "{}-{}",
            USERS[rng.below(USERS.len() as u64) as usize],
            rng.digits(10)
        );
        let role_id = format!("AROA{}", rng.upper(17));
        let arn = format!("arn:aws:sts::{issuer_account}:assumed-role/{role_name}/{session}");
        let json = format!(
            r#"{{"type":"AssumedRole","principalId":"{role_id}:{session}","arn":"{arn}","accountId":"{issuer_account}","accessKeyId":"ASIA{}","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"{role_id}","arn":"{issuer}","accountId":"{issuer_account}","userName":"{role_name}"}},"webIdFederationData":{{}},"attributes":{{"creationDate":"{}T{:02}:{:02}:{:02}Z","mfaAuthenticated":"false"}}}}}}"#,
            rng.upper(16),
            self.day,
            rng.below(24),
            rng.below(60),
            rng.below(60)
        );
        Caller {
            json,
            arn: Some(arn),
            account: Some(issuer_account),
            kind: PrincipalType::AssumedRole,
            source_ip: ip,
            user_agent,
        }
    }

    /// The common tail of every record.
    fn tail(&self, rng: &mut Rng, out: &mut String, read_only: bool, host: &str) {
        put!(
            out,
            r#","requestID":"{}","eventID":"{}","readOnly":{read_only},"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{}","eventCategory":"Management","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"{host}"}}}}"#,
            rng.uuid(),
            rng.uuid(),
            self.account
        );
    }

    fn assume_role(&self, rng: &mut Rng, out: &mut String) -> Option<AssumeRoleEvent> {
        let caller = self.caller(rng, true);
        let target = match rng.below(100) {
            0..45 => self.interest[rng.below(self.interest.len() as u64) as usize].clone(),
            // Look-alike names in the accounts of interest, and the same names elsewhere.
            45..52 => role_arn(
                &self.accounts[rng.below(2) as usize],
                DECOY_ROLES[rng.below(DECOY_ROLES.len() as u64) as usize],
            ),
            52..60 => role_arn(
                &self.accounts[2 + rng.below(self.accounts.len() as u64 - 2) as usize],
                INTEREST_ROLES[rng.below(INTEREST_ROLES.len() as u64) as usize],
            ),
            _ => role_arn(
                &self.accounts[rng.below(self.accounts.len() as u64) as usize],
                OTHER_ROLES[rng.below(OTHER_ROLES.len() as u64) as usize],
            ),
        };
        let target_account = &target[13..25];
        let failed = rng.below(100) < 12;
        let with_resources = if failed {
            rng.below(2) == 0
        } else {
            rng.below(10) != 0
        };
        // A few successful records carry the role only in `resources[]`.
        let with_role_arn = !with_resources || rng.below(20) != 0;
        let session_name = format!(
            "{}-{}",
            USERS[rng.below(USERS.len() as u64) as usize],
            rng.digits(13)
        );
        let time = self.event_time(rng);
        let host = format!("sts.{}.amazonaws.com", self.region);

        put!(
            out,
            r#"{{"eventVersion":"1.08","userIdentity":{},"eventTime":"{time}","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"{}","sourceIPAddress":"{}","userAgent":"{}""#,
            caller.json,
            self.region,
            caller.source_ip,
            caller.user_agent
        );
        if failed {
            put!(
                out,
                r#","errorCode":"AccessDenied","errorMessage":"User: {} is not authorized to perform: sts:AssumeRole on resource: {target}""#,
                caller
                    .arn
                    .as_deref()
                    .unwrap_or("arn:aws:iam::000000000000:root")
            );
        }
        out.push_str(r#","requestParameters":{"#);
        if with_role_arn {
            put!(out, r#""roleArn":"{target}","#);
        }
        put!(
            out,
            r#""roleSessionName":"{session_name}","durationSeconds":3600}}"#
        );
        if failed {
            out.push_str(r#","responseElements":null"#);
        } else {
            let role_name = target.rsplit('/').next().unwrap_or_default();
            put!(
                out,
                r#","responseElements":{{"credentials":{{"accessKeyId":"ASIA{}","sessionToken":"{}","expiration":"Mar 1, 2026, 1:00:00 PM"}},"assumedRoleUser":{{"assumedRoleId":"AROA{}:{session_name}","arn":"arn:aws:sts::{target_account}:assumed-role/{role_name}/{session_name}"}}}}"#,
                rng.upper(16),
                rng.token(360),
                rng.upper(17)
            );
        }
        let shared = (caller.account.as_deref() != Some(target_account)).then(|| rng.uuid());
        let request_id = rng.uuid();
        let event_id = rng.uuid();
        put!(
            out,
            r#","requestID":"{request_id}","eventID":"{event_id}","readOnly":true"#
        );
        if with_resources {
            put!(
                out,
                r#","resources":[{{"accountId":"{target_account}","type":"AWS::IAM::Role","ARN":"{target}"}}]"#
            );
        }
        put!(
            out,
            r#","eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{}""#,
            self.account
        );
        if let Some(shared) = &shared {
            put!(out, r#","sharedEventID":"{shared}""#);
        }
        put!(
            out,
            r#","eventCategory":"Management","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"{host}"}}}}"#
        );

        self.interest.contains(&target).then(|| AssumeRoleEvent {
            event_time: time,
            event_id,
            shared_event_id: shared,
            source_account: caller.account,
            principal_arn: caller.arn,
            principal_type: Some(caller.kind),
            role_arn: target,
            role_session_name: Some(session_name),
            source_ip: Some(caller.source_ip),
            user_agent: Some(caller.user_agent),
            error_code: failed.then(|| "AccessDenied".to_owned()),
            recipient_account: Some(self.account.to_owned()),
        })
    }

    /// `AssumeRoleWithWebIdentity` into a role of interest: another event name, never counted.
    fn web_identity(&self, rng: &mut Rng, out: &mut String) {
        let target = &self.interest[rng.below(self.interest.len() as u64) as usize];
        let time = self.event_time(rng);
        put!(
            out,
            r#"{{"eventVersion":"1.08","userIdentity":{{"type":"WebIdentityUser","principalId":"arn:aws:iam::{}:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:acme/app:ref:refs/heads/main","userName":"repo:acme/app:ref:refs/heads/main","identityProvider":"arn:aws:iam::{}:oidc-provider/token.actions.githubusercontent.com"}},"eventTime":"{time}","eventSource":"sts.amazonaws.com","eventName":"AssumeRoleWithWebIdentity","awsRegion":"{}","sourceIPAddress":"{}","userAgent":"aws-sdk-js/3.540.0","requestParameters":{{"roleArn":"{target}","roleSessionName":"GitHubActions"}},"responseElements":{{"subjectFromWebIdentityToken":"repo:acme/app:ref:refs/heads/main","assumedRoleUser":{{"arn":"{target}"}}}},"resources":[{{"accountId":"{}","type":"AWS::IAM::Role","ARN":"{target}"}}]"#,
            self.account,
            self.account,
            self.region,
            format_args!(
                "20.{}.{}.{}",
                rng.below(256),
                rng.below(256),
                rng.below(254) + 1
            ),
            &target[13..25]
        );
        self.tail(rng, out, true, "sts.amazonaws.com");
    }

    /// `GetRole` on a role of interest: its name and ARN everywhere, but not an AssumeRole.
    fn get_role(&self, rng: &mut Rng, out: &mut String) {
        let target = &self.interest[rng.below(self.interest.len() as u64) as usize];
        let name = target.rsplit('/').next().unwrap_or_default();
        let caller = self.caller(rng, false);
        let time = self.event_time(rng);
        put!(
            out,
            r#"{{"eventVersion":"1.08","userIdentity":{},"eventTime":"{time}","eventSource":"iam.amazonaws.com","eventName":"GetRole","awsRegion":"us-east-1","sourceIPAddress":"{}","userAgent":"{}","errorCode":"AccessDenied","errorMessage":"User: {} is not authorized to perform: iam:GetRole on resource: role {name} because no identity-based policy allows the iam:GetRole action (needed to sts:AssumeRole {target})","requestParameters":null,"responseElements":null"#,
            caller.json,
            caller.source_ip,
            caller.user_agent,
            caller.arn.as_deref().unwrap_or("unknown")
        );
        self.tail(rng, out, true, "iam.amazonaws.com");
    }

    /// The bulk: everyday management events from EC2, RDS, KMS, SSM, S3, CloudWatch.
    fn ordinary(&self, rng: &mut Rng, out: &mut String, roll: u32) {
        let caller = self.caller(rng, false);
        let time = self.event_time(rng);
        let (source, name, params, resources, read_only) = match roll % 7 {
            0 => (
                "ec2",
                "DescribeInstances",
                format!(
                    r#"{{"instancesSet":{{"items":[{{"instanceId":"i-0{}"}}]}},"filterSet":{{"items":[{{"name":"tag:Name","valueSet":{{"items":[{{"value":"web \"blue\" {{A}} \\ [x]"}}]}}}}]}}}}"#,
                    rng.hex(16)
                ),
                String::new(),
                true,
            ),
            1 => (
                "rds",
                "DescribeDBInstances",
                format!(
                    r#"{{"dBInstanceIdentifier":"orders-db-{}"}}"#,
                    rng.below(40)
                ),
                String::new(),
                true,
            ),
            2 | 3 => {
                let key = format!(
                    "arn:aws:kms:{}:{}:key/{}",
                    self.region,
                    self.account,
                    rng.uuid()
                );
                (
                    "kms",
                    if roll % 7 == 2 {
                        "Decrypt"
                    } else {
                        "GenerateDataKey"
                    },
                    format!(
                        r#"{{"encryptionAlgorithm":"SYMMETRIC_DEFAULT","keyId":"{key}","encryptionContext":{{"aws:lambda:FunctionArn":"arn:aws:lambda:{}:{}:function:orders-{}"}}}}"#,
                        self.region,
                        self.account,
                        rng.below(20)
                    ),
                    format!(
                        r#","resources":[{{"accountId":"{}","type":"AWS::KMS::Key","ARN":"{key}"}}]"#,
                        self.account
                    ),
                    true,
                )
            }
            4 => (
                "ssm",
                "GetParameter",
                format!(
                    r#"{{"name":"/app/orders/db/password-{}","withDecryption":true}}"#,
                    rng.below(9)
                ),
                String::new(),
                true,
            ),
            5 => (
                "logs",
                "CreateLogStream",
                format!(
                    r#"{{"logGroupName":"/aws/lambda/orders-{}","logStreamName":"{}/[$LATEST]{}"}}"#,
                    rng.below(20),
                    self.day,
                    rng.hex(32)
                ),
                String::new(),
                false,
            ),
            _ => (
                "s3",
                "ListBuckets",
                r#"{"Host":"s3.amazonaws.com"}"#.to_owned(),
                String::new(),
                true,
            ),
        };
        put!(
            out,
            r#"{{"eventVersion":"1.09","userIdentity":{},"eventTime":"{time}","eventSource":"{source}.amazonaws.com","eventName":"{name}","awsRegion":"{}","sourceIPAddress":"{}","userAgent":"{}""#,
            caller.json,
            self.region,
            caller.source_ip,
            caller.user_agent
        );
        if rng.below(50) == 0 {
            put!(
                out,
                r#","errorCode":"AccessDenied","errorMessage":"User: {} is not authorized to perform: {source}:{name} because no identity-based policy allows the {source}:{name} action""#,
                caller.arn.as_deref().unwrap_or("unknown")
            );
        }
        put!(
            out,
            r#","requestParameters":{params},"responseElements":null{resources}"#
        );
        self.tail(
            rng,
            out,
            read_only,
            &format!("{source}.{}.amazonaws.com", self.region),
        );
    }
}

/// SplitMix64: tiny, fast, and the same on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform-enough in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    fn pick(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[self.below(alphabet.len() as u64) as usize] as char)
            .collect()
    }

    fn upper(&mut self, n: usize) -> String {
        self.pick(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", n)
    }

    fn alnum(&mut self, n: usize) -> String {
        self.pick(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            n,
        )
    }

    fn digits(&mut self, n: usize) -> String {
        self.pick(b"0123456789", n)
    }

    fn hex(&mut self, n: usize) -> String {
        self.pick(b"0123456789abcdef", n)
    }

    fn token(&mut self, n: usize) -> String {
        self.pick(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            n,
        )
    }

    fn uuid(&mut self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_and_valid_json() {
        let mut cfg = GenConfig::new(7, 200_000);
        cfg.file_bytes = 50_000;
        let plans = plan(&cfg);
        assert!(plans.len() >= 3);
        let (p1, j1, n1, e1) = render_file(&cfg, &plans[0]);
        let (p2, j2, _, e2) = render_file(&cfg, &plans[0]);
        assert_eq!((p1, &j1, e1), (p2, &j2, e2));
        assert!(!j1.ends_with('\n') && !j1.contains('\n'));
        let doc: serde_json::Value = serde_json::from_str(&j1).expect("valid JSON");
        assert_eq!(doc["Records"].as_array().unwrap().len() as u64, n1);
        let other = GenConfig::new(8, 200_000);
        assert_ne!(render_file(&other, &plan(&other)[0]).1, j1);
    }
}
