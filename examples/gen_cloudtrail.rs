//! Writes a deterministic, realistic CloudTrail log tree (S3 layout, gzip'd one-line JSON) for
//! benchmarks and manual testing, and prints the role ARNs of interest it planted events into.
//!
//! `cargo run --release --example gen_cloudtrail -- --out DIR --size 2GB [--seed 1] [--file-size 4MB] [--expected FILE]`
//!
//! `--expected FILE` also writes the ground truth (every AssumeRole into the roles, as JSON);
//! keep it outside DIR, or a scan of DIR would read it as one more `.json` file.

use std::path::PathBuf;
use std::process::ExitCode;

use rdsiam::generators::cloudtrail::{GenConfig, generate};

fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim().to_ascii_uppercase();
    let (num, mult) = [
        ("GB", 1u64 << 30),
        ("MB", 1 << 20),
        ("KB", 1 << 10),
        ("B", 1),
    ]
    .iter()
    .find_map(|(suffix, m)| t.strip_suffix(suffix).map(|n| (n.trim().to_owned(), *m)))
    .unwrap_or((t.clone(), 1));
    let value: f64 = num.parse().ok()?;
    (value >= 0.0).then_some((value * mult as f64) as u64)
}

fn main() -> ExitCode {
    let mut out = None;
    let mut size = None;
    let mut seed = 1u64;
    let mut file_size = None;
    let mut expected_path: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        match (arg.as_str(), value) {
            ("--out", Some(v)) => out = Some(PathBuf::from(v)),
            ("--size", Some(v)) => size = parse_size(&v),
            ("--file-size", Some(v)) => file_size = parse_size(&v),
            ("--expected", Some(v)) => expected_path = Some(PathBuf::from(v)),
            ("--seed", Some(v)) => match v.parse() {
                Ok(s) => seed = s,
                Err(_) => {
                    eprintln!("--seed: not a number: {v}");
                    return ExitCode::from(2);
                }
            },
            _ => {
                eprintln!(
                    "usage: gen_cloudtrail --out DIR --size SIZE[KB|MB|GB] [--seed N] [--file-size SIZE] [--expected FILE]"
                );
                return ExitCode::from(2);
            }
        }
    }
    let (Some(out), Some(size)) = (out, size) else {
        eprintln!("--out and --size are required");
        return ExitCode::from(2);
    };
    let mut cfg = GenConfig::new(seed, size);
    if let Some(fs) = file_size {
        cfg.file_bytes = fs.max(4096);
    }
    let started = std::time::Instant::now();
    let result = match generate(&out, &cfg) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("generating into {}: {e}", out.display());
            return ExitCode::from(2);
        }
    };
    if let Some(path) = expected_path {
        let expected = serde_json::to_string_pretty(&result.expected).expect("events serialize");
        if let Err(e) = std::fs::write(&path, expected) {
            eprintln!("writing {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    eprintln!(
        "{} files, {} records, {} bytes uncompressed, {} bytes gzip'd, {} expected events, {:.1}s",
        result.files.len(),
        result.records,
        result.bytes_uncompressed,
        result.bytes_compressed,
        result.expected.len(),
        started.elapsed().as_secs_f64()
    );
    for role in cfg.roles_of_interest() {
        println!("{role}");
    }
    ExitCode::SUCCESS
}
