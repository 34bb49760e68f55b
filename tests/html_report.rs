//! The HTML review opened in a real headless Chromium (Debian's `chromium`, installed by
//! scripts/test.sh): the demo report is written to target/html-report/, a screenshot is taken
//! there (kept as a test artefact), and the DOM after the page's script ran is checked: the
//! finding count, the access graph's node and edge counts against the access matrix (every
//! database section opened with `#open=all`), and filters from the URL fragment changing the
//! visible rows, and the evidence and fixes (a second, lazily inflated part of the file) shown
//! when findings are opened.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use rdsiam::render::{self, Format};
use rdsiam::report::{Report, Severity};

fn chromium() -> PathBuf {
    let path = PathBuf::from("/usr/bin/chromium");
    assert!(
        path.exists(),
        "/usr/bin/chromium is missing: scripts/test.sh installs it (apt-get install chromium)"
    );
    path
}

fn artefacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/html-report");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

fn demo_report() -> Report {
    support::demo::report()
}

/// Runs headless Chromium on `url` with `extra` arguments and a fresh profile; returns stdout.
fn run_chromium(url: &str, extra: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .output()
        .unwrap_or_else(|e| panic!("chromium: {e}"));
    assert!(
        out.status.success(),
        "chromium {extra:?} {url} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn dom(file: &Path, fragment: &str) -> String {
    let url = format!("file://{}#{fragment}", file.display());
    let dom = run_chromium(&url, &["--virtual-time-budget=5000", "--dump-dom"]);
    assert!(
        dom.contains("data-ready=\"1\""),
        "the page's script did not finish for #{fragment}"
    );
    dom
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// The graph the page must draw, computed here from the matrix: per database, nodes are the
/// distinct (layer, id) pairs — layer 0 the principal of a chain (or an IAM user), layer 1
/// the roles that connect (a role principal without hops, and every hop), layer 2 DB users,
/// layer 3 the database — and edges the distinct links between consecutive nodes.
fn expected_graph(report: &Report) -> (usize, usize) {
    let mut nodes = BTreeSet::new();
    let mut edges = BTreeSet::new();
    for a in &report.access {
        let db = a.db.as_str();
        let first_layer = if a.principal.contains(":role/") && a.via.is_empty() {
            1
        } else {
            0
        };
        let mut chain = vec![(first_layer, a.principal.as_str())];
        chain.extend(a.via.iter().map(|v| (1, v.as_str())));
        chain.push((2, a.db_user.as_str()));
        chain.push((3, db));
        for node in &chain {
            nodes.insert((db, *node));
        }
        for pair in chain.windows(2) {
            edges.insert((db, pair[0], pair[1]));
        }
    }
    (nodes.len(), edges.len())
}

#[test]
fn html_report_opens_in_chromium_with_findings_graph_and_filters() {
    let report = demo_report();
    assert!(!report.access.is_empty(), "the demo has an access matrix");
    let dir = artefacts();
    let file = dir.join("demo.html");
    std::fs::write(&file, render::render(&report, Format::Html))
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()));

    // Self-contained: nothing the browser would fetch.
    let html = std::fs::read_to_string(&file).unwrap_or_default();
    for fetch in ["src=\"http", "href=\"http", "@import", "url(http", "fetch("] {
        assert!(!html.contains(fetch), "the report would fetch: {fetch}");
    }

    // A screenshot of the opened report, kept for people (and the README).
    let shot = dir.join("demo.png");
    let _ = std::fs::remove_file(&shot);
    run_chromium(
        &format!(
            "file://{}#open={}",
            file.display(),
            first_external_db(&report)
        ),
        &[
            "--window-size=1280,2200",
            "--virtual-time-budget=5000",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    let png = std::fs::read(&shot).unwrap_or_default();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "screenshot {} missing or blank ({} bytes)",
        shot.display(),
        png.len()
    );

    // Every finding is a row (the demo is below one page), every graph drawn.
    let all = dom(&file, "open=all");
    assert_eq!(
        count(&all, "<tr class=\"finding\""),
        report.findings.len(),
        "one row per finding"
    );
    assert!(all.contains(&format!("{} findings in total", report.findings.len())));
    let databases: BTreeSet<&str> = report.access.iter().map(|a| a.db.as_str()).collect();
    assert_eq!(count(&all, "<svg class=\"graph\""), databases.len());
    let (nodes, edges) = expected_graph(&report);
    assert_eq!(count(&all, "<g class=\"node "), nodes, "graph nodes");
    assert_eq!(count(&all, "<path class=\"edge "), edges, "graph edges");
    // External principals and superuser-like DB users are marked.
    if report.access.iter().any(|a| a.reach.external()) {
        assert!(
            all.contains("node layer-0 external"),
            "external principal marked"
        );
    }
    if report.access.iter().any(|a| a.superuser()) {
        assert!(
            all.contains("node layer-2 superuser"),
            "superuser-like DB user marked"
        );
    }
    // Edges into DB users carry the matrix's login verdict.
    for verdict in ["works", "blocked"] {
        if report
            .access
            .iter()
            .any(|a| a.login.verdict.as_str() == verdict)
        {
            assert!(
                all.contains(&format!("<path class=\"edge {verdict}\"")),
                "{verdict} edge"
            );
        }
    }

    // Filters from the fragment change the visible rows.
    let critical = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .count();
    assert!(critical > 0 && critical < report.findings.len());
    let filtered = dom(&file, "severity=critical");
    assert_eq!(count(&filtered, "<tr class=\"finding\""), critical);
    let rule = &report.findings[report.findings.len() - 1].rule;
    let by_rule = dom(&file, &format!("rule={rule}"));
    assert_eq!(
        count(&by_rule, "<tr class=\"finding\""),
        report.findings.iter().filter(|f| &f.rule == rule).count()
    );
    let searched = dom(&file, "q=vendor-dba");
    let matching = report
        .findings
        .iter()
        .filter(|f| {
            format!("{} {} {} {}", f.rule, f.resource.arn, f.message, f.title)
                .to_lowercase()
                .contains("vendor-dba")
        })
        .count();
    assert!(matching > 0);
    assert_eq!(count(&searched, "<tr class=\"finding\""), matching);

    // Evidence and fixes sit in a second compressed part, inflated when a finding is first
    // opened: a copy of the page that clicks every row shows each finding's evidence table,
    // fingerprint and copyable command / SQL.
    let clicking = dir.join("demo-opened.html");
    std::fs::write(
        &clicking,
        html.replace(
            "</body>",
            "<script>setTimeout(function () { document.querySelectorAll('tr.finding').forEach(function (r) { r.click(); }); }, 100);</script></body>",
        ),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", clicking.display()));
    let opened = dom(&clicking, "");
    assert_eq!(
        count(&opened, "<table class=\"evidence\""),
        report.findings.len(),
        "every opened finding shows its evidence"
    );
    for f in &report.findings {
        assert!(
            opened.contains(&format!("fingerprint {}", f.fingerprint)),
            "fingerprint of {}",
            f.rule
        );
    }
    let with = |pick: fn(&rdsiam::report::Finding) -> bool| {
        report.findings.iter().filter(|f| pick(f)).count()
    };
    assert_eq!(
        count(&opened, "<pre class=\"fix-cli\""),
        with(|f| f.fix.aws_cli.is_some())
    );
    assert_eq!(
        count(&opened, "<pre class=\"fix-sql\""),
        with(|f| f.fix.sql.is_some())
    );
}

/// The database to open in the screenshot: one reached from outside if any.
fn first_external_db(report: &Report) -> String {
    report
        .access
        .iter()
        .find(|a| !a.via.is_empty())
        .or(report.access.first())
        .map(|a| a.db.clone())
        .unwrap_or_default()
}
