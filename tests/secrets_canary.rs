//! Canary secrets through every subcommand and format, valid and invalid paths (issue #17):
//! token signature and session token, `PGPASSWORD`, conninfo and URI passwords, AWS secret
//! keys in the environment and in profile files. The test fails if any canary (or a long
//! piece of one) appears in stdout, stderr or any file written.
//!
//! No server is needed: connections go to a closed local port, AWS to a closed local
//! endpoint, so each command runs its parsing, error and output paths for real.

mod support;

use std::ffi::OsString;
use std::fs;
use std::os::unix::ffi::OsStringExt;
use std::path::Path;
use std::process::Stdio;

use anyhow::{Result, bail};

const SIG: &str = "c0ffee11c0ffee11c0ffee11c0ffee11c0ffee11c0ffee11c0ffee11canary01";
const SESSION: &str = "CanarySessionTokenCanarySessionToken02";
const PGPASS: &str = "CanaryPgPassword03";
const CONNINFO_PASS: &str = "CanaryConninfo04";
const URI_PASS: &str = "CanaryUriPassw0rd05";
const AWS_SECRET: &str = "CanaryAwsSecretKeyCanaryAwsSecretKey06";
const AWS_SESSION: &str = "CanaryAwsSessionToken07";
const PROFILE_SECRET: &str = "CanaryProfileSecret08";
const CANARIES: &[&str] = &[
    SIG,
    SESSION,
    PGPASS,
    CONNINFO_PASS,
    URI_PASS,
    AWS_SECRET,
    AWS_SESSION,
    PROFILE_SECRET,
];
const HOST: &str = "mydb.abc123xyz.us-east-1.rds.amazonaws.com";
const DEMO: &str = "fixtures/demo/snapshot.json";

fn token(date: &str, expires: &str) -> String {
    format!(
        "{HOST}:5432/?Action=connect&DBUser=pgmonitor&X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=ASIAEXAMPLEEXAMPLE12%2F20261121%2Fus-east-1%2Frds-db%2Faws4_request\
         &X-Amz-Date={date}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host\
         &X-Amz-Security-Token={SESSION}&X-Amz-Signature={SIG}"
    )
}

/// Where a canary (or a 10-character piece of one) shows up in `text`, if anywhere.
fn leak(text: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(text);
    for canary in CANARIES {
        for piece in canary.as_bytes().windows(10) {
            let piece = std::str::from_utf8(piece).unwrap_or_default();
            if let Some(at) = text.find(piece) {
                let from = text[..at]
                    .char_indices()
                    .rev()
                    .nth(60)
                    .map_or(0, |(i, _)| i);
                return Some(format!(
                    "{piece:?} of {canary:?} in …{}…",
                    &text[from..(at + 40).min(text.len())]
                ));
            }
        }
    }
    None
}

struct Case {
    name: String,
    args: Vec<OsString>,
    env: Vec<(String, OsString)>,
    stdin: Option<String>,
}

fn case(name: &str, args: &[&str]) -> Case {
    Case {
        name: name.into(),
        args: args.iter().map(OsString::from).collect(),
        env: Vec::new(),
        stdin: None,
    }
}

impl Case {
    fn env(mut self, k: &str, v: impl Into<OsString>) -> Case {
        self.env.push((k.into(), v.into()));
        self
    }
    fn stdin(mut self, text: &str) -> Case {
        self.stdin = Some(text.into());
        self
    }
}

/// Runs every case in a fresh directory; fails listing every leak found.
fn check_all(cases: Vec<Case>) -> Result<()> {
    let root = tempfile::tempdir()?;
    let aws_dir = root.path().join("aws");
    fs::create_dir(&aws_dir)?;
    fs::write(
        aws_dir.join("credentials"),
        format!(
            "[default]\naws_access_key_id = AKIACANARYPROFILE000\naws_secret_access_key = {PROFILE_SECRET}\n[canary]\naws_access_key_id = AKIACANARYPROFILE001\naws_secret_access_key = {PROFILE_SECRET}\n"
        ),
    )?;
    fs::write(
        aws_dir.join("config"),
        "[default]\nregion = us-east-1\n[profile canary]\nregion = us-east-1\n",
    )?;
    let mut leaks = Vec::new();
    for (index, case) in cases.into_iter().enumerate() {
        let work = root.path().join(format!("case{index}"));
        fs::create_dir(&work)?;
        let mut command = support::cli::rdsiam_std();
        command
            .current_dir(&work)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &work)
            .env("AWS_SHARED_CREDENTIALS_FILE", aws_dir.join("credentials"))
            .env("AWS_CONFIG_FILE", aws_dir.join("config"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_MAX_ATTEMPTS", "1")
            .args(&case.args)
            .envs(case.env.iter().map(|(k, v)| (k, v)))
            .stdin(if case.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn()?;
        if let Some(text) = &case.stdin {
            use std::io::Write;
            child.stdin.take().map(|mut s| s.write_all(text.as_bytes()));
        }
        let out = child.wait_with_output()?;
        if out.status.code() == Some(101) || out.status.code().is_none() {
            leaks.push(format!("{}: crashed ({})", case.name, out.status));
        }
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            if let Some(found) = leak(bytes) {
                leaks.push(format!("{} ({stream}): {found}", case.name));
            }
        }
        for file in files_under(&work)? {
            if let Some(found) = leak(&fs::read(&file)?) {
                leaks.push(format!("{} (file {}): {found}", case.name, file.display()));
            }
        }
    }
    if !leaks.is_empty() {
        bail!("canary secrets printed or written:\n{}", leaks.join("\n"));
    }
    Ok(())
}

fn files_under(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(files_under(&path)?);
        } else {
            files.push(path);
        }
    }
    Ok(files)
}

fn doctor_args(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "doctor",
        "--host",
        HOST,
        "--hostaddr",
        "127.0.0.1",
        "--port",
        "1",
        "--user",
        "pgmonitor",
        "--connect-timeout",
        "2s",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn owned(name: &str, args: Vec<String>) -> Case {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    case(name, &refs)
}

#[test]
fn no_canary_secret_in_any_output_of_token_and_doctor() -> Result<()> {
    let good = token("20990101T000000Z", "900");
    let expired = token("20201121T210000Z", "900");
    let encoded = good
        .replace("X-Amz-Security-Token=", "X-Amz-Security%2DToken=")
        .replace("X-Amz-Signature=", "X%2DAmz%2DSignature=");
    let mut bad_utf8 = good.clone().into_bytes();
    bad_utf8.insert(60, 0xfe);
    let huge = token("20261121T210000Z", "18446744073709551615");
    let truncated = good[..good.len() - 20].to_owned();
    let mut cases = Vec::new();
    for format in ["table", "json"] {
        for (what, value) in [
            ("valid", &good),
            ("expired", &expired),
            ("encoded names", &encoded),
            ("overflow", &huge),
            ("truncated", &truncated),
        ] {
            cases.push(
                case(
                    &format!("token inspect {what} --env {format}"),
                    &["token", "inspect", "--env", "T", "--format", format],
                )
                .env("T", value.as_str()),
            );
            cases.push(
                case(
                    &format!("token inspect {what} stdin {format}"),
                    &["token", "inspect", "-", "--format", format],
                )
                .stdin(value),
            );
            cases.push(case(
                &format!("token inspect {what} arg {format}"),
                &["token", "inspect", value, "--format", format],
            ));
        }
        cases.push(
            case(
                &format!("token inspect non-UTF-8 {format}"),
                &["token", "inspect", "--env", "T", "--format", format],
            )
            .env("T", OsString::from_vec(bad_utf8.clone())),
        );
        for (what, value) in [("valid", &good), ("overflow", &huge), ("encoded", &encoded)] {
            cases.push(
                owned(
                    &format!("doctor PGPASSWORD {what} {format}"),
                    doctor_args(&["--no-aws", "--format", format]),
                )
                .env("PGPASSWORD", value.as_str()),
            );
            cases.push(
                owned(
                    &format!("doctor --token-env {what} {format}"),
                    doctor_args(&["--no-aws", "--token-env", "T", "--format", format]),
                )
                .env("T", value.as_str()),
            );
        }
        cases.push(
            owned(
                &format!("doctor PGPASSWORD plain {format}"),
                doctor_args(&["--no-aws", "--format", format]),
            )
            .env("PGPASSWORD", PGPASS),
        );
        cases.push(
            owned(
                &format!("doctor PGPASSWORD non-UTF-8 {format}"),
                doctor_args(&["--no-aws", "--format", format]),
            )
            .env(
                "PGPASSWORD",
                OsString::from_vec([PGPASS.as_bytes(), &[0xff]].concat()),
            ),
        );
        cases.push(
            owned(
                &format!("doctor aws env creds {format}"),
                doctor_args(&[
                    "--region",
                    "us-east-1",
                    "--endpoint-url",
                    "http://127.0.0.1:1",
                    "--format",
                    format,
                ]),
            )
            .env("AWS_ACCESS_KEY_ID", "AKIACANARYENV0000000")
            .env("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
            .env("AWS_SESSION_TOKEN", AWS_SESSION),
        );
        cases.push(owned(
            &format!("doctor aws profile {format}"),
            doctor_args(&[
                "--profile",
                "canary",
                "--endpoint-url",
                "http://127.0.0.1:1",
                "--format",
                format,
            ]),
        ));
    }
    for (what, conninfo) in [
        (
            "conninfo",
            format!("host={HOST} hostaddr=127.0.0.1 port=1 user=u password={CONNINFO_PASS}"),
        ),
        (
            "conninfo quoted",
            format!("host={HOST} hostaddr=127.0.0.1 port=1 user=u password='{CONNINFO_PASS} x'"),
        ),
        (
            "conninfo unquoted space",
            format!("host={HOST} password={CONNINFO_PASS} {URI_PASS} port=1"),
        ),
        (
            "conninfo bad port",
            format!("host={HOST} port={CONNINFO_PASS} password={URI_PASS}"),
        ),
        (
            "uri",
            format!("postgres://u:{URI_PASS}@127.0.0.1:1/db?sslmode=require"),
        ),
        (
            "uri slash in password",
            format!("postgres://u:pa/ss:{URI_PASS}@{HOST}:5432/db"),
        ),
        (
            "uri hash in password",
            format!("postgres://u:pa#ss:{URI_PASS}@{HOST}:5432/db"),
        ),
        (
            "uri question mark",
            format!("postgres://u:pa?ss{URI_PASS}@{HOST}/db"),
        ),
        (
            "uri at in password",
            format!("postgres://u:p@{URI_PASS}@127.0.0.1:1/db"),
        ),
        (
            "uri bad query",
            format!("postgres://u:{URI_PASS}@{HOST}/db?password{CONNINFO_PASS}"),
        ),
        (
            "uri encoded",
            format!("postgres://u:{URI_PASS}%2F@{HOST}:1/db?sslmode=bogus"),
        ),
    ] {
        cases.push(case(
            &format!("doctor {what}"),
            &[
                "doctor",
                conninfo.as_str(),
                "--no-aws",
                "--connect-timeout",
                "2s",
            ],
        ));
        cases.push(case(
            &format!("doctor {what} json"),
            &[
                "doctor",
                conninfo.as_str(),
                "--no-aws",
                "--connect-timeout",
                "2s",
                "--format",
                "json",
            ],
        ));
        cases.push(case(
            &format!("audit --db {what}"),
            &[
                "audit",
                "--snapshot",
                DEMO,
                "--db",
                conninfo.as_str(),
                "--db-timeout",
                "2s",
                "--output",
                "report.json",
                "--format",
                "json",
            ],
        ));
        cases.push(case(
            &format!("collect --db {what}"),
            &[
                "collect",
                "--db",
                conninfo.as_str(),
                "--output",
                "snap.json",
            ],
        ));
    }
    // Usage errors echo the offending argument.
    cases.push(case(
        "clap invalid duration",
        &[
            "doctor",
            "--host",
            HOST,
            "--user",
            "u",
            "--connect-timeout",
            &format!("password={CONNINFO_PASS}"),
        ],
    ));
    cases.push(case(
        "clap invalid token format",
        &["token", "inspect", &good, "--format", "bogus"],
    ));
    cases.push(case(
        "clap unexpected token",
        &["token", "inspect", "x", &good],
    ));
    check_all(cases)
}

#[test]
// One push per case, with its comment, reads as the list of paths covered.
#[allow(clippy::vec_init_then_push)]
fn no_canary_secret_in_any_output_of_generate_audit_simulate_and_the_rest() -> Result<()> {
    let mut cases = Vec::new();
    // token generate prints a token (its purpose): never the secret key it was signed with.
    cases.push(
        case(
            "token generate env",
            &["token", "generate", "--host", HOST, "--user", "pgmonitor"],
        )
        .env("AWS_ACCESS_KEY_ID", "AKIACANARYENV0000000")
        .env("AWS_SECRET_ACCESS_KEY", AWS_SECRET),
    );
    cases.push(case(
        "token generate profile",
        &[
            "token",
            "generate",
            "--host",
            HOST,
            "--user",
            "pgmonitor",
            "--profile",
            "canary",
        ],
    ));
    cases.push(
        case(
            "token generate bad host",
            &[
                "token",
                "generate",
                "--host",
                "",
                "--user",
                "u",
                "--region",
                "us-east-1",
            ],
        )
        .env("AWS_ACCESS_KEY_ID", "AKIACANARYENV0000000")
        .env("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
        .env("AWS_SESSION_TOKEN", AWS_SESSION),
    );
    cases.push(case(
        "token generate missing profile",
        &[
            "token",
            "generate",
            "--host",
            HOST,
            "--user",
            "u",
            "--profile",
            "nope",
        ],
    ));
    for format in ["table", "json", "sarif"] {
        cases.push(
            case(
                &format!("audit {format}"),
                &[
                    "audit",
                    "--snapshot",
                    DEMO,
                    "--format",
                    format,
                    "--output",
                    "out.txt",
                ],
            )
            .env("PGPASSWORD", PGPASS)
            .env("AWS_SECRET_ACCESS_KEY", AWS_SECRET),
        );
        cases.push(
            case(
                &format!("audit live {format}"),
                &[
                    "audit",
                    "--profile",
                    "canary",
                    "--endpoint-url",
                    "http://127.0.0.1:1",
                    "--format",
                    format,
                ],
            )
            .env("PGPASSWORD", PGPASS),
        );
    }
    cases.push(
        case(
            "collect live",
            &[
                "collect",
                "--endpoint-url",
                "http://127.0.0.1:1",
                "--output",
                "snap.json",
            ],
        )
        .env("AWS_ACCESS_KEY_ID", "AKIACANARYENV0000000")
        .env("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
        .env("AWS_SESSION_TOKEN", AWS_SESSION),
    );
    for format in ["table", "json"] {
        cases.push(case(
            &format!("simulate secret in context {format}"),
            &[
                "simulate",
                "--principal",
                "arn:aws:iam::111122223333:role/r",
                "--action",
                "rds-db:connect",
                "--resource",
                "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABC/u",
                "--context",
                &format!("aws:SourceIp=x&X-Amz-Signature={SIG}"),
                "--format",
                format,
            ],
        ));
        cases.push(
            case(
                &format!("simulate bad input {format}"),
                &["simulate", "--input", "-", "--format", format],
            )
            .stdin(&format!(
                "{{\"principal\": \"postgres://u:{URI_PASS}@h\", \"password\": \"{CONNINFO_PASS}\""
            )),
        );
        cases.push(
            case(
                &format!("activity {format}"),
                &[
                    "activity",
                    "--role",
                    "arn:aws:iam::111122223333:role/r",
                    "--cloudtrail-dir",
                    "nope",
                    "--format",
                    format,
                ],
            )
            .env("AWS_SECRET_ACCESS_KEY", AWS_SECRET),
        );
    }
    cases.push(case("rules", &["rules"]).env("PGPASSWORD", PGPASS));
    cases.push(case("explain", &["explain", "force-ssl-off"]).env("PGPASSWORD", PGPASS));
    check_all(cases)
}
