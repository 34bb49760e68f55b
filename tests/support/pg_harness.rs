//! A throwaway PostgreSQL that authenticates like RDS with IAM database authentication.
//!
//! What it reproduces (TESTING.md §2): members of `rds_iam` go through PAM with the token as
//! password, everyone else through scram; only `hostssl` lines, so a non-TLS client gets the
//! "no pg_hba.conf entry ... no encryption" error before any password is asked; a server
//! certificate for an RDS-like name without an IP SAN. The PAM service runs our own module
//! (`pam_rdsiam_token.c`, whole token on stdin — pam_exec truncates at 511 bytes) which runs
//! `rds_token_verifier.py`; the verifier's JSON-lines log stands in for RDS's
//! `iam-db-auth-error` export.
//!
//! Needs root (runuser, /etc/pam.d), the `postgres` OS user, PostgreSQL server binaries, `cc`
//! with PAM headers, `openssl` and a system `python3`. Anything missing is an error that says
//! what to install — never a skip. This module owns the server's lifecycle and files; it never
//! touches anything outside its instance dirs (`/tmp/rdsiam-pg-*`, `/dev/shm/rdsiam-pg-*`),
//! its `/etc/pam.d/rdsiam-test-*` files and its cache under `CARGO_TARGET_TMPDIR`.
//!
//! Cleanup runs in a small reaper process (`sh`, reading a pipe from us): when the pipe closes —
//! on drop, or when the test process exits, even for the never-dropped
//! [`RdsLikePostgres::shared`] server, a panic or a `kill -9` — it stops the server and removes
//! the PAM file and the instance dirs.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::TcpListener;
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use serde::Deserialize;

pub use super::rds_token::{TestCredentials, TokenRequest};

/// The endpoint name in the server certificate and in the verifier's allowed endpoints.
pub const RDS_HOST_NAME: &str = "mydb.abc123xyz.us-east-1.rds.amazonaws.com";
pub const REGION: &str = "us-east-1";
/// Where the server listens. Clients reach [`RDS_HOST_NAME`] with `hostaddr=` this.
pub const LISTEN_ADDR: &str = "127.0.0.1";

/// Roles and databases every harness server has (created once, in the template).
pub mod roles {
    /// Bootstrap superuser, like RDS's own `rdsadmin`; reachable only over the unix socket.
    pub const ADMIN: &str = "rdsadmin";
    /// The master user: member of `rds_superuser`, password login.
    pub const MASTER: &str = "postgres";
    pub const MASTER_PASSWORD: &str = "master-password-1";
    /// LOGIN, member of `rds_iam`: the IAM user of the cross-account story.
    pub const IAM_USER: &str = "pgmonitor";
    /// A second LOGIN `rds_iam` member (tokens for the "wrong user" cases).
    pub const IAM_USER_2: &str = "iam_app";
    /// NOLOGIN member of `rds_iam` (`CREATE ROLE` instead of `CREATE USER`).
    pub const IAM_NOLOGIN: &str = "iam_nologin";
    /// LOGIN with a password, not in `rds_iam`.
    pub const PASSWORD_USER: &str = "app_password";
    pub const PASSWORD_USER_PASSWORD: &str = "app-password-1";
    /// LOGIN, no password, not in `rds_iam`.
    pub const NO_IAM_USER: &str = "no_iam_user";
    /// A database besides `postgres`, owned by the master user.
    pub const DATABASE: &str = "appdb";
}

/// Bumped whenever the template's contents change in a way the hash below cannot see.
const TEMPLATE_FORMAT: u32 = 3;

// Passwords must match `roles::*_PASSWORD` (`password_user_and_master_log_in_with_passwords`
// checks both).
const TEMPLATE_SQL: &str = "
CREATE ROLE rds_iam NOLOGIN;
CREATE ROLE rds_superuser NOLOGIN;
CREATE ROLE postgres LOGIN CREATEDB CREATEROLE PASSWORD 'master-password-1' IN ROLE rds_superuser;
CREATE ROLE pgmonitor LOGIN IN ROLE rds_iam;
GRANT pg_monitor TO pgmonitor;
CREATE ROLE iam_app LOGIN IN ROLE rds_iam;
CREATE ROLE iam_nologin NOLOGIN IN ROLE rds_iam;
CREATE ROLE app_password LOGIN PASSWORD 'app-password-1';
CREATE ROLE no_iam_user LOGIN;
CREATE DATABASE appdb OWNER postgres;
";

/// Settings shared by all instances: durability off (throwaway data), small footprint (the
/// CI machine is shared), connections logged (the server log helps when a test fails).
const BASE_CONF: &str = "
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 20
shared_buffers = 16MB
max_wal_senders = 0
wal_level = minimal
min_wal_size = 2MB
max_wal_size = 32MB
log_connections = on
log_min_messages = warning
password_encryption = 'scram-sha-256'
";

const PAM_MODULE_SOURCE: &str = include_str!("pam_rdsiam_token.c");
const VERIFIER_SOURCE: &str = include_str!("rds_token_verifier.py");
const PAM_FILE_PREFIX: &str = "rdsiam-test-";

/// What a harness instance accepts. `Default` is an RDS instance in us-east-1 whose
/// certificate also names `localhost` (TESTING.md §2).
#[derive(Clone, Debug)]
pub struct HarnessOptions {
    pub region: String,
    /// DNS names in the server certificate (first = CN). Never an IP address, like RDS.
    pub tls_names: Vec<String>,
    /// Host names whose `host:<port>` tokens the verifier accepts (the DB's endpoints).
    pub endpoint_hosts: Vec<String>,
    /// The access keys the verifier knows; tokens signed with any other key are refused.
    pub keys: Vec<KnownKey>,
    /// The port tokens must name: RDS's port when the harness plays an endpoint reached
    /// through a tunnel (TCP to the harness's own port, tokens for the endpoint's port).
    /// `None`: the harness's own port.
    pub endpoint_port: Option<u16>,
}

/// An access key as the verifier (standing in for IAM and STS) knows it.
#[derive(Clone, Debug)]
pub struct KnownKey {
    pub credentials: TestCredentials,
    /// Emulated `rds-db:connect` policy: `None` = `dbuser:*/*`, else only these DB users.
    pub allowed_users: Option<Vec<String>>,
    /// For temporary credentials: `YYYY-MM-DDTHH:MM:SSZ` after which tokens are refused even
    /// when the token itself is fresh.
    pub expiration: Option<String>,
}

impl KnownKey {
    pub fn any_user(credentials: TestCredentials) -> Self {
        Self {
            credentials,
            allowed_users: None,
            expiration: None,
        }
    }
}

impl Default for HarnessOptions {
    fn default() -> Self {
        Self {
            region: REGION.into(),
            tls_names: vec![RDS_HOST_NAME.into(), "localhost".into()],
            endpoint_hosts: vec![RDS_HOST_NAME.into()],
            keys: vec![
                KnownKey::any_user(TestCredentials::long_term()),
                KnownKey::any_user(TestCredentials::temporary()),
                KnownKey {
                    allowed_users: Some(vec![roles::IAM_USER.into()]),
                    ..KnownKey::any_user(TestCredentials::restricted())
                },
            ],
            endpoint_port: None,
        }
    }
}

/// How long the phases of [`RdsLikePostgres::start`] took (reported, never asserted).
#[derive(Clone, Debug, Default)]
pub struct StartupTimings {
    /// Prerequisite checks and PAM module build; only the first start in a process pays.
    pub environment: Duration,
    pub template: Duration,
    pub template_was_cached: bool,
    /// Copy of the template, certificates, PAM and verifier files.
    pub prepare: Duration,
    /// `pg_ctl start -w` until the server accepts connections.
    pub server_start: Duration,
}

/// One verifier decision (a line of [`RdsLikePostgres::verifier_log`]).
#[derive(Clone, Debug, Deserialize)]
pub struct VerifierDecision {
    pub user: String,
    pub decision: String,
    /// Stable code: `ok`, `expired`, `dbuser-mismatch`, `endpoint`, `scope-region`,
    /// `signature`, `not-authorized`, ... (see `rds_token_verifier.py`).
    pub reason: String,
    pub detail: String,
    pub token_length: usize,
    pub signature: Option<String>,
    pub access_key_id: Option<String>,
}

/// A running RDS-like PostgreSQL. Stops and cleans up on drop (and at process exit).
pub struct RdsLikePostgres {
    dir: PathBuf,
    /// The data directory; in /dev/shm when possible (see [`data_dir_for`]).
    data: PathBuf,
    port: u16,
    pam_service: String,
    options: HarnessOptions,
    bin: PgBinaries,
    timings: StartupTimings,
    reaper: Option<Reaper>,
}

impl RdsLikePostgres {
    /// One server per test process, for tests that only connect (most of them). It is never
    /// dropped; the reaper cleans it up when the process exits. A failed start is reported to
    /// every caller.
    pub fn shared() -> Result<&'static Self> {
        static SHARED: OnceLock<std::result::Result<RdsLikePostgres, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| Self::start(HarnessOptions::default()).map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|message| anyhow!("{message}"))
    }

    pub fn start(options: HarnessOptions) -> Result<Self> {
        let mut timings = StartupTimings::default();
        let mut phase = Instant::now();
        let mut lap = |slot: &mut Duration| {
            *slot = phase.elapsed();
            phase = Instant::now();
        };
        let env = Environment::get()?;
        lap(&mut timings.environment);
        let (template, template_was_cached) = template_data_dir(env)?;
        timings.template_was_cached = template_was_cached;
        lap(&mut timings.template);

        let dir = unique_temp_dir()?;
        let data = data_dir_for(&dir);
        let reaper = Reaper::spawn(&dir, &data, env)?;
        let mut server = Self {
            dir,
            data,
            port: 0,
            pam_service: String::new(),
            options,
            bin: env.bin.clone(),
            timings: StartupTimings::default(),
            reaper: Some(reaper),
        };
        server.prepare(env, &template)?;
        lap(&mut timings.prepare);
        server.start_postgres()?;
        lap(&mut timings.server_start);
        eprintln!(
            "pg harness: port {}, dir {}, {timings:?}",
            server.port,
            server.dir.display()
        );
        server.timings = timings;
        Ok(server)
    }

    pub fn host_name(&self) -> &str {
        RDS_HOST_NAME
    }
    pub fn port(&self) -> u16 {
        self.port
    }
    /// `host:port` as it appears at the start of a token for this server.
    pub fn endpoint(&self) -> String {
        format!("{}:{}", RDS_HOST_NAME, self.port)
    }
    pub fn region(&self) -> &str {
        &self.options.region
    }
    /// The CA that signed the server certificate (the "RDS CA bundle" of this instance).
    pub fn ca_cert_path(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }
    /// What `psql` uses when `ConnParams::sslrootcert` is `None`: a file that does not exist,
    /// standing in for a missing `~/.postgresql/root.crt`.
    pub fn absent_root_cert_path(&self) -> PathBuf {
        self.dir.join("absent/root.crt")
    }
    /// JSON lines, one per PAM login attempt: the stand-in for RDS's `iam-db-auth-error` log.
    pub fn verifier_log(&self) -> PathBuf {
        self.dir.join("verifier.log")
    }
    pub fn server_log(&self) -> PathBuf {
        self.dir.join("server.log")
    }
    pub fn pam_service(&self) -> &str {
        &self.pam_service
    }
    pub fn timings(&self) -> &StartupTimings {
        &self.timings
    }

    pub fn verifier_decisions(&self) -> Result<Vec<VerifierDecision>> {
        let text = fs::read_to_string(self.verifier_log())
            .with_context(|| format!("reading {}", self.verifier_log().display()))?;
        // Only newline-terminated lines: a verifier of a parallel test may be mid-append.
        text.split_inclusive('\n')
            .filter_map(|line| line.strip_suffix('\n'))
            .map(|line| {
                serde_json::from_str(line).with_context(|| format!("verifier log line {line:?}"))
            })
            .collect()
    }

    /// The decision about exactly this token (matched by its signature, so tests sharing a
    /// server in parallel do not see each other's entries). Err if the verifier never saw it.
    pub fn verifier_decision_for(&self, token: &str) -> Result<VerifierDecision> {
        let signature = token
            .rsplit_once("X-Amz-Signature=")
            .map(|(_, rest)| rest.split('&').next().unwrap_or_default())
            .ok_or_else(|| anyhow!("token has no X-Amz-Signature: {token:.80}..."))?;
        let decisions = self.verifier_decisions()?;
        decisions
            .iter()
            .rev()
            .find(|d| d.signature.as_deref() == Some(signature))
            .cloned()
            .ok_or_else(|| {
                anyhow!(
                    "the verifier never saw the token with signature {signature} \
                     ({} entries in {})",
                    decisions.len(),
                    self.verifier_log().display()
                )
            })
    }

    /// A token request for `user` at this server's endpoint and region, long-term keys.
    pub fn token_request(&self, user: &str) -> TokenRequest {
        TokenRequest {
            host: RDS_HOST_NAME.into(),
            port: self.port,
            user: user.into(),
            region: self.options.region.clone(),
            credentials: TestCredentials::long_term(),
            signed_offset_seconds: 0,
            expires_in: None,
        }
    }

    /// Connection parameters the way a careful client uses them: the RDS name for TLS
    /// verification, `hostaddr` for the TCP connection, `verify-full` against this CA.
    pub fn conn(&self, user: &str) -> ConnParams {
        ConnParams {
            host: RDS_HOST_NAME.into(),
            hostaddr: Some(LISTEN_ADDR.into()),
            port: self.port,
            user: user.into(),
            dbname: Some("postgres".into()),
            sslmode: "verify-full".into(),
            sslrootcert: Some(self.ca_cert_path()),
            password: None,
        }
    }

    /// Runs `psql -c sql` with a clean environment (no PG* variables, C locale so libpq's
    /// messages are the English texts FAILURES.md lists).
    pub fn psql(&self, conn: &ConnParams, sql: &str) -> Result<PsqlOutput> {
        let mut command = Command::new(&self.bin.psql);
        command
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("LANG", "C")
            .env("PGCONNECT_TIMEOUT", "10")
            // libpq finds ~/.pgpass and ~/.postgresql/* through getpwuid, not $HOME: point
            // every one of them at files that do not exist, so the tester's own cannot count.
            .env("PGPASSFILE", self.dir.join("absent/pgpass"))
            .env("PGSSLCERT", self.dir.join("absent/postgresql.crt"))
            .env("PGSSLKEY", self.dir.join("absent/postgresql.key"))
            .env("PGSSLROOTCERT", self.absent_root_cert_path())
            .env("HOME", self.dir.join("absent"))
            // -w: never prompt; without a password psql fails with libpq's own text.
            .args(["-X", "-w", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .arg(conn.conninfo());
        if let Some(password) = &conn.password {
            command.env("PGPASSWORD", password);
        }
        let output = command
            .output()
            .with_context(|| format!("running {}", self.bin.psql.display()))?;
        Ok(PsqlOutput::from(output))
    }

    /// The exact first line psql prints when the server refuses `conn` with `FATAL:  message`.
    pub fn expected_fatal(&self, conn: &ConnParams, message: &str) -> String {
        format!("psql: error: {}FATAL:  {message}", conn.failure_prefix())
    }

    /// SQL as the bootstrap superuser over the unix socket (setup and inspection only).
    pub fn admin_sql(&self, sql: &str) -> Result<String> {
        admin_psql(&self.bin, &self.dir, self.port, sql)
    }

    /// Runs this instance's verifier on `token` for login `user` without PostgreSQL (the same
    /// program, config and log PAM uses). True = accepted; the reason is in the log.
    pub fn run_verifier(&self, user: &str, token: &str) -> Result<bool> {
        use std::io::Write;
        let env = Environment::get()?;
        let mut child = Command::new(&env.python)
            .arg(self.dir.join("rds_token_verifier.py"))
            .arg(self.dir.join("verifier.json"))
            .arg(user)
            .env_clear()
            .env("PAM_USER", user)
            .stdin(Stdio::piped())
            .spawn()
            .context("running rds_token_verifier.py")?;
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(token.as_bytes())?;
        Ok(child.wait()?.success())
    }

    fn prepare(&mut self, env: &Environment, template: &Path) -> Result<()> {
        let dir = self.dir.clone();
        let data = self.data.clone();
        run(Command::new("cp").arg("-a").arg(template).arg(&data))?;
        write_certificates(&dir, &self.options.tls_names, env.postgres)?;

        let module = dir.join("pam_rdsiam_token.so");
        fs::copy(&env.pam_module, &module).context("copying the PAM module")?;
        let verifier = dir.join("rds_token_verifier.py");
        fs::write(&verifier, VERIFIER_SOURCE)?;
        fs::write(self.verifier_log(), "")?;
        chown(
            self.verifier_log(),
            Some(env.postgres.0),
            Some(env.postgres.1),
        )?;

        self.port = free_port()?;
        self.write_verifier_config()?;

        self.pam_service = format!(
            "{PAM_FILE_PREFIX}{}-{}",
            std::process::id(),
            NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed)
        );
        let pam_file = Path::new("/etc/pam.d").join(&self.pam_service);
        // Told to the reaper before the file exists, so a crash right after still cleans up.
        self.reaper_mut().forget_pam_file_later(&pam_file)?;
        fs::write(
            &pam_file,
            format!(
                "# rdsiam test harness, pid {pid}; removed when that process exits\n\
                 auth required {module} {python} {verifier} {config}\n\
                 account required pam_permit.so\n",
                pid = std::process::id(),
                module = module.display(),
                python = env.python.display(),
                verifier = verifier.display(),
                config = dir.join("verifier.json").display(),
            ),
        )
        .with_context(|| format!("writing {}", pam_file.display()))?;

        fs::write(
            data.join("pg_hba.conf"),
            format!(
                "# The harness's own admin path; RDS has no local lines, and they cannot match TCP.\n\
                 local all {admin} peer map=harness\n\
                 hostssl all +rds_iam {LISTEN_ADDR}/32 pam pamservice={service}\n\
                 hostssl all all {LISTEN_ADDR}/32 scram-sha-256\n",
                admin = roles::ADMIN,
                service = self.pam_service,
            ),
        )?;
        fs::write(
            data.join("pg_ident.conf"),
            format!("harness root {a}\nharness postgres {a}\n", a = roles::ADMIN),
        )?;
        let mut conf = fs::read_to_string(data.join("postgresql.conf"))?;
        write!(
            conf,
            "\n# rdsiam harness instance\nlisten_addresses = '{LISTEN_ADDR}'\nport = {port}\n\
             unix_socket_directories = '{dir}'\nssl = on\nssl_cert_file = '{dir}/server.crt'\n\
             ssl_key_file = '{dir}/server.key'\n",
            port = self.port,
            dir = dir.display(),
        )?;
        fs::write(data.join("postgresql.conf"), conf)?;
        Ok(())
    }

    fn write_verifier_config(&self) -> Result<()> {
        let keys: BTreeMap<_, _> = self
            .options
            .keys
            .iter()
            .map(|known| {
                let c = &known.credentials;
                let mut key = serde_json::json!({ "secret": c.secret_access_key });
                if let Some(token) = &c.session_token {
                    key["session_token"] = token.clone().into();
                }
                if let Some(users) = &known.allowed_users {
                    key["allowed_users"] = users.clone().into();
                }
                if let Some(expiration) = &known.expiration {
                    key["expiration"] = expiration.clone().into();
                }
                (c.access_key_id.clone(), key)
            })
            .collect();
        let endpoints: Vec<String> = self
            .options
            .endpoint_hosts
            .iter()
            .map(|h| format!("{h}:{}", self.options.endpoint_port.unwrap_or(self.port)))
            .collect();
        let config = serde_json::json!({
            "region": self.options.region,
            "endpoints": endpoints,
            "max_clock_skew_seconds": 300,
            "log": self.verifier_log(),
            "keys": keys,
        });
        fs::write(
            self.dir.join("verifier.json"),
            serde_json::to_string_pretty(&config)?,
        )?;
        Ok(())
    }

    fn start_postgres(&mut self) -> Result<()> {
        // The port was free a moment ago; another process may take it first. Retry with a
        // fresh one only for that reason.
        for attempt in 1..=3 {
            let result = run(Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&self.bin.pg_ctl)
                .arg("-D")
                .arg(&self.data)
                .arg("-l")
                .arg(self.server_log())
                .args(["-w", "-t", "30", "start"]));
            let Err(error) = result else {
                return Ok(());
            };
            let log = fs::read_to_string(self.server_log()).unwrap_or_default();
            if attempt < 3 && log.contains("Address already in use") {
                self.port = free_port()?;
                self.write_verifier_config()?;
                let conf_path = self.data.join("postgresql.conf");
                let conf = fs::read_to_string(&conf_path)?;
                fs::write(&conf_path, format!("{conf}port = {}\n", self.port))?;
                continue;
            }
            bail!(
                "{error:#}\nserver log {}:\n{log}",
                self.server_log().display()
            );
        }
        unreachable!("the last attempt returns")
    }

    fn reaper_mut(&mut self) -> &mut Reaper {
        self.reaper.as_mut().expect("present until drop")
    }
}

impl Drop for RdsLikePostgres {
    fn drop(&mut self) {
        if let Some(reaper) = self.reaper.take() {
            reaper.clean_up_now();
        }
    }
}

static NEXT_INSTANCE: AtomicU32 = AtomicU32::new(0);

/// libpq connection parameters; `conninfo()` renders them for psql or any libpq client.
#[derive(Clone, Debug)]
pub struct ConnParams {
    pub host: String,
    pub hostaddr: Option<String>,
    pub port: u16,
    pub user: String,
    /// `None` = libpq's default, the user name.
    pub dbname: Option<String>,
    /// Always explicit: with `prefer`, libpq appends a second "no encryption" error line.
    pub sslmode: String,
    pub sslrootcert: Option<PathBuf>,
    /// Sent through `PGPASSWORD`, never on a command line.
    pub password: Option<String>,
}

impl ConnParams {
    pub fn password(mut self, password: &str) -> Self {
        self.password = Some(password.into());
        self
    }
    pub fn sslmode(mut self, mode: &str) -> Self {
        self.sslmode = mode.into();
        self
    }
    pub fn dbname(mut self, dbname: Option<&str>) -> Self {
        self.dbname = dbname.map(Into::into);
        self
    }
    /// Connects by `host` alone (no `hostaddr`): TLS is then verified against `host` too.
    pub fn host_only(mut self, host: &str) -> Self {
        self.host = host.into();
        self.hostaddr = None;
        self
    }

    pub fn conninfo(&self) -> String {
        let mut parts = vec![
            ("host", self.host.clone()),
            ("port", self.port.to_string()),
            ("user", self.user.clone()),
            ("sslmode", self.sslmode.clone()),
        ];
        if let Some(addr) = &self.hostaddr {
            parts.push(("hostaddr", addr.clone()));
        }
        if let Some(db) = &self.dbname {
            parts.push(("dbname", db.clone()));
        }
        if let Some(ca) = &self.sslrootcert {
            parts.push(("sslrootcert", ca.display().to_string()));
        }
        // Always quoted: role names may hold spaces or quotes ('Report Reader').
        let quote = |v: &str| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"));
        parts
            .iter()
            .map(|(k, v)| format!("{k}={}", quote(v)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// libpq's `connection to server at "H" (IP), port P failed: ` prefix for this target.
    /// Measured (libpq 15): with `hostaddr` set, libpq names the *address* alone, not `host`;
    /// an IP literal in `host` is shown alone too; only a name resolved by DNS gets the
    /// `"H" (IP)` form (the IP is the harness's, the only address it listens on).
    pub fn failure_prefix(&self) -> String {
        let shown = match &self.hostaddr {
            Some(addr) => format!("\"{addr}\""),
            None if self.host.parse::<std::net::IpAddr>().is_ok() => format!("\"{}\"", self.host),
            None => format!("\"{}\" ({LISTEN_ADDR})", self.host),
        };
        format!(
            "connection to server at {shown}, port {} failed: ",
            self.port
        )
    }
}

#[derive(Debug)]
pub struct PsqlOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl PsqlOutput {
    pub fn first_stderr_line(&self) -> &str {
        self.stderr.lines().next().unwrap_or_default()
    }
}

impl From<Output> for PsqlOutput {
    fn from(output: Output) -> Self {
        Self {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Background cleanup: a `sh` that waits for EOF on its stdin, then stops the server and
/// deletes the instance's files. In its own process group so a Ctrl-C of the test run does
/// not kill it before it has cleaned up.
struct Reaper {
    child: Child,
    stdin: Option<ChildStdin>,
}

const REAPER_SCRIPT: &str = r#"
trap '' INT TERM HUP
dir=$1 data=$2 pg_ctl=$3
pam_files=
while read -r line; do pam_files="$pam_files $line"; done
if [ -f "$data/postmaster.pid" ]; then
    runuser -u postgres -- "$pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1
fi
for f in $pam_files; do rm -f "$f"; done
rm -rf "$data" "$dir"
"#;

impl Reaper {
    fn spawn(dir: &Path, data: &Path, env: &Environment) -> Result<Self> {
        let mut child = Command::new("sh")
            .args(["-c", REAPER_SCRIPT, "rdsiam-pg-reaper"])
            .arg(dir)
            .arg(data)
            .arg(&env.bin.pg_ctl)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .context("starting the cleanup process (sh)")?;
        let stdin = child.stdin.take();
        Ok(Self { child, stdin })
    }

    fn forget_pam_file_later(&mut self, path: &Path) -> Result<()> {
        use std::io::Write;
        let stdin = self.stdin.as_mut().expect("open until clean_up_now");
        writeln!(stdin, "{}", path.display()).context("telling the reaper about the PAM file")
    }

    fn clean_up_now(mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// Everything start() needs from the machine, checked once per process.
struct Environment {
    bin: PgBinaries,
    postgres: (u32, u32),
    python: PathBuf,
    pam_module: PathBuf,
}

#[derive(Clone, Debug)]
struct PgBinaries {
    initdb: PathBuf,
    pg_ctl: PathBuf,
    psql: PathBuf,
}

impl Environment {
    fn get() -> Result<&'static Self> {
        static ENV: OnceLock<std::result::Result<Environment, String>> = OnceLock::new();
        ENV.get_or_init(|| {
            Self::check().map_err(|e| format!("PostgreSQL test harness cannot run: {e:#}"))
        })
        .as_ref()
        .map_err(|message| anyhow!("{message}"))
    }

    fn check() -> Result<Self> {
        ensure!(
            effective_uid()? == 0,
            "must run as root (it runs PostgreSQL as the postgres OS user via runuser and \
             writes /etc/pam.d); CI runs scripts/test.sh as root"
        );
        let postgres = os_user_ids("postgres")?;
        for tool in ["runuser", "cc", "openssl", "cp", "sh"] {
            find_in_path(tool).ok_or_else(|| anyhow!("`{tool}` not found on PATH"))?;
        }
        let bin = PgBinaries::find()?;
        let python = ["/usr/bin/python3", "/usr/local/bin/python3"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .ok_or_else(|| {
                anyhow!(
                    "no system python3 (/usr/bin/python3) for the token verifier, which runs \
                     as the postgres OS user: apt-get install -y python3"
                )
            })?;
        run(Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(&python)
            .args(["-c", "import hashlib, hmac, json, urllib.parse"]))
        .context("the postgres OS user cannot run the verifier's python3")?;
        let pam_module = compile_pam_module()?;
        Ok(Self {
            bin,
            postgres,
            python,
            pam_module,
        })
    }
}

impl PgBinaries {
    /// Debian's versioned directory first (highest version), else whatever PATH has.
    fn find() -> Result<Self> {
        let mut versioned: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let version = e.file_name().to_str()?.parse().ok()?;
                Some((version, e.path().join("bin")))
            })
            .filter(|(_, bin)| bin.join("initdb").exists())
            .collect();
        versioned.sort();
        let dir = match versioned.pop() {
            Some((_, dir)) => dir,
            None => find_in_path("initdb")
                .and_then(|p| p.parent().map(Path::to_path_buf))
                .ok_or_else(|| {
                    anyhow!(
                        "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb, \
                         no initdb on PATH): apt-get install -y postgresql"
                    )
                })?,
        };
        let in_dir = |name: &str| -> Result<PathBuf> {
            let path = dir.join(name);
            ensure!(path.exists(), "missing {} (next to initdb)", path.display());
            Ok(path)
        };
        let psql = in_dir("psql")
            .ok()
            .or_else(|| find_in_path("psql"))
            .ok_or_else(|| anyhow!("psql not found: apt-get install -y postgresql-client"))?;
        in_dir("postgres")?;
        Ok(Self {
            initdb: in_dir("initdb")?,
            pg_ctl: in_dir("pg_ctl")?,
            psql,
        })
    }
}

/// Where caches shared by the test binaries of one checkout live (`target/tmp`).
fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rdsiam-pg-harness")
}

/// Compiles pam_rdsiam_token.c once per source version into the cache.
fn compile_pam_module() -> Result<PathBuf> {
    let header = Path::new("/usr/include/security/pam_modules.h");
    ensure!(
        header.exists(),
        "missing {} (PAM development headers): apt-get install -y libpam0g-dev",
        header.display()
    );
    let cache = cache_dir();
    fs::create_dir_all(&cache)?;
    let module = cache.join(format!(
        "pam_rdsiam_token-{:016x}.so",
        hash_of(&PAM_MODULE_SOURCE)
    ));
    if module.exists() {
        return Ok(module);
    }
    let source = cache.join(format!("pam_rdsiam_token-{}.c", std::process::id()));
    fs::write(&source, PAM_MODULE_SOURCE)?;
    let partial = module.with_extension(format!("so.{}", std::process::id()));
    let result = run(Command::new("cc")
        .args(["-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-o"])
        .arg(&partial)
        .arg(&source)
        .arg("-lpam"))
    .context("compiling tests/support/pam_rdsiam_token.c (needs cc and libpam0g-dev)");
    let _ = fs::remove_file(&source);
    result?;
    // Rename is atomic: concurrent test binaries either see no module or a complete one.
    fs::rename(&partial, &module)?;
    Ok(module)
}

/// A stopped data dir after initdb and the role setup, cached across test binaries and runs.
/// Keyed by the server version and everything that goes into it. Returns (path, was_cached).
fn template_data_dir(env: &Environment) -> Result<(PathBuf, bool)> {
    // Tests of one binary start harnesses in parallel: one thread builds the template, the
    // others wait for it (across binaries, the atomic rename below decides).
    static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _building = BUILDING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let version = run(Command::new(&env.bin.initdb).arg("--version"))?;
    let key = hash_of(&(TEMPLATE_FORMAT, version, TEMPLATE_SQL, BASE_CONF));
    let template = cache_dir().join(format!("template-{key:016x}"));
    if template.join("PG_VERSION").exists() {
        return Ok((template, true));
    }
    // Built in /tmp (the cache dir may sit where the postgres user cannot write), copied in.
    let build = unique_temp_dir()?;
    let result = build_template(env, &build).and_then(|()| {
        let partial = template.with_extension(format!("partial-{}", std::process::id()));
        run(Command::new("cp")
            .arg("-a")
            .arg(build.join("data"))
            .arg(&partial))?;
        if fs::rename(&partial, &template).is_err() {
            // Another test binary finished first; its template is equivalent.
            fs::remove_dir_all(&partial)?;
        }
        Ok(())
    });
    let _ = fs::remove_dir_all(&build);
    result.map(|()| (template, false))
}

fn build_template(env: &Environment, dir: &Path) -> Result<()> {
    let data = dir.join("data");
    run(Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(&env.bin.initdb)
        .args(["--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C"])
        // 1 MB WAL segments instead of 16: the template is copied per instance, and a 16 MB
        // segment was a third of it.
        .arg("--wal-segsize=1")
        .args(["-U", roles::ADMIN, "--auth=trust", "-D"])
        .arg(&data))
    .context("initdb")?;
    let conf_path = data.join("postgresql.conf");
    let conf = fs::read_to_string(&conf_path)?;
    fs::write(&conf_path, format!("{conf}\n# rdsiam harness\n{BASE_CONF}"))?;

    // Set up over the unix socket only; the instance writes its own listen/TLS/hba settings.
    let port = free_port()?;
    let pg_ctl = |action: &str| {
        run(Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(&env.bin.pg_ctl)
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.join("template.log"))
            .arg("-o")
            .arg(format!(
                "-c listen_addresses='' -c port={port} -c unix_socket_directories='{}'",
                dir.display()
            ))
            .args(["-w", "-t", "30", action]))
    };
    pg_ctl("start").context("starting the template server")?;
    let setup = admin_psql(&env.bin, dir, port, TEMPLATE_SQL);
    let stop = pg_ctl("stop");
    setup.context("creating the RDS-like roles in the template")?;
    stop.context("stopping the template server")?;
    remove_unneeded_wal(env, &data)
}

/// After a clean shutdown only the segment holding the last checkpoint's REDO point is needed;
/// the others are recycled spares that would be copied into every instance for nothing.
fn remove_unneeded_wal(env: &Environment, data: &Path) -> Result<()> {
    let control = run(Command::new(env.bin.initdb.with_file_name("pg_controldata")).arg(data))?;
    let field = |name: &str| {
        control
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
            .ok_or_else(|| anyhow!("pg_controldata has no {name:?}:\n{control}"))
    };
    ensure!(
        field("Database cluster state:")? == "shut down",
        "template not shut down cleanly:\n{control}"
    );
    let redo = field("Latest checkpoint's REDO WAL file:")?;
    for entry in fs::read_dir(data.join("pg_wal"))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_segment = name.len() == 24 && name.chars().all(|c| c.is_ascii_hexdigit());
        if is_segment && name != redo {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// Runs `sql` from a file (`-f`): statement by statement, so `CREATE DATABASE` works, which a
/// multi-statement `-c` (one implicit transaction) refuses.
fn admin_psql(bin: &PgBinaries, socket_dir: &Path, port: u16, sql: &str) -> Result<String> {
    let script = socket_dir.join(format!(
        "admin-{}.sql",
        NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed)
    ));
    fs::write(&script, sql)?;
    let result = run(Command::new(&bin.psql)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LANG", "C")
        .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
        .arg("-h")
        .arg(socket_dir)
        .arg("-p")
        .arg(port.to_string())
        .args(["-U", roles::ADMIN, "-d", "postgres", "-f"])
        .arg(&script));
    let _ = fs::remove_file(&script);
    result
}

/// A test CA and a server certificate for `names` (DNS SANs only, like RDS), the key 0600
/// and owned by postgres (the server refuses a key others can read).
fn write_certificates(dir: &Path, names: &[String], postgres: (u32, u32)) -> Result<()> {
    let cn = names.first().ok_or_else(|| anyhow!("tls_names is empty"))?;
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(Command::new("openssl")
        .current_dir(dir)
        .args(["req", "-x509"])
        .args(ec)
        .args(["-keyout", "ca.key", "-out", "ca.crt", "-days", "3650"])
        .args(["-subj", "/CN=rdsiam test CA"])
        .args(["-addext", "basicConstraints=critical,CA:TRUE"])
        .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]))
    .context("creating the test CA")?;
    run(Command::new("openssl")
        .current_dir(dir)
        .args(["req", "-new"])
        .args(ec)
        .args(["-keyout", "server.key", "-out", "server.csr"])
        .arg("-subj")
        .arg(format!("/CN={cn}")))
    .context("creating the server key")?;
    let san: Vec<String> = names.iter().map(|n| format!("DNS:{n}")).collect();
    fs::write(
        dir.join("server-ext.cnf"),
        format!(
            "subjectAltName={}\nbasicConstraints=CA:FALSE\n\
             keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
            san.join(",")
        ),
    )?;
    run(Command::new("openssl")
        .current_dir(dir)
        .args([
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
        ])
        .args([
            "-set_serial",
            &format!("{}", std::process::id() as u64 * 1000 + 1),
        ])
        .args([
            "-days",
            "825",
            "-out",
            "server.crt",
            "-extfile",
            "server-ext.cnf",
        ]))
    .context("signing the server certificate")?;
    let key = dir.join("server.key");
    chown(&key, Some(postgres.0), Some(postgres.1))?;
    fs::set_permissions(&key, fs::Permissions::from_mode(0o600))?;
    Ok(())
}

/// A fresh dir under the system temp dir, owned by postgres (the server writes its log, socket
/// and verifier log there) and readable by everyone (the PAM module and CA live there too).
fn unique_temp_dir() -> Result<PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .subsec_nanos();
    let dir = std::env::temp_dir().join(format!(
        "rdsiam-pg-{}-{}-{nanos}",
        std::process::id(),
        NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755))?;
    let (uid, gid) = os_user_ids("postgres")?;
    chown(&dir, Some(uid), Some(gid))?;
    remove_stale_pam_files();
    Ok(dir)
}

/// Where an instance's data directory goes: a ~30 MB copy of the template per instance,
/// which on a busy CI disk took 0.7 s in /tmp and 0.1 s in /dev/shm. Only the data dir moves
/// there: /dev/shm may be mounted noexec, and the PAM module must stay loadable. Falls back to
/// the instance dir when /dev/shm is missing or small (Docker's default is 64 MB).
fn data_dir_for(instance_dir: &Path) -> PathBuf {
    const MIN_FREE_KB: u64 = 512 * 1024;
    let shm_free_kb = Command::new("df")
        .args(["-Pk", "/dev/shm"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            text.lines()
                .nth(1)?
                .split_whitespace()
                .nth(3)?
                .parse::<u64>()
                .ok()
        });
    match (shm_free_kb, instance_dir.file_name()) {
        (Some(free), Some(name)) if free >= MIN_FREE_KB => {
            Path::new("/dev/shm").join(format!("{}-data", name.to_string_lossy()))
        }
        _ => instance_dir.join("data"),
    }
}

/// PAM files of earlier test processes whose reaper was killed too (SIGKILL of the group).
fn remove_stale_pam_files() {
    let Ok(entries) = fs::read_dir("/etc/pam.d") else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(PAM_FILE_PREFIX)
            .and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((LISTEN_ADDR, 0)).context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Runs a command; on failure the error holds the command line, exit status and output.
fn run(command: &mut Command) -> Result<String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not run {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn effective_uid() -> Result<u32> {
    let status = fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1)?.parse().ok())
        .ok_or_else(|| anyhow!("no effective Uid in /proc/self/status"))
}

fn os_user_ids(name: &str) -> Result<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").context("reading /etc/passwd")?;
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 3 && f[0] == name)
        .and_then(|f| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
        .ok_or_else(|| {
            anyhow!(
                "no `{name}` OS user in /etc/passwd (PostgreSQL refuses to run as root): \
                 apt-get install -y postgresql creates it"
            )
        })
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}
