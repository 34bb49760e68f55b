//! The report side of the CLI through the built binary: shell completions and the man page
//! (generated from the clap definitions), the access graph as DOT (`audit --matrix --format
//! dot`, node and edge counts against the access matrix), and the terminal view on a real
//! pseudo-terminal (util-linux `script` gives the binary a pty of 80, 100 and 200 columns: the
//! width comes from the terminal itself, not from `COLUMNS`).

mod support;

use std::collections::BTreeSet;
use std::process::Command;

use rdsiam::report::Report;

use support::demo::DIR as DEMO_DIR;
use support::demo::arns;

fn demo_report() -> Report {
    support::demo::report()
}

/// Runs the binary; returns stdout and the exit code (0 or 1: findings are not an error).
fn rdsiam(args: &[&str]) -> (String, i32) {
    // Isolated: no NO_COLOR, COLUMNS, AWS_* or PG* from the parent.
    let out = support::cli::rdsiam_std()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("rdsiam: {e}"));
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "rdsiam {args:?} exited {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (String::from_utf8_lossy(&out.stdout).into_owned(), code)
}

const SUBCOMMANDS: [&str; 4] = ["audit", "doctor", "collect", "completions"];

#[test]
fn completions_for_every_shell_name_the_subcommands_and_bash_parses_them() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let (script, code) = rdsiam(&["completions", shell]);
        assert_eq!(code, 0, "{shell}");
        for word in SUBCOMMANDS.iter().chain(&["--format", "--output", "ocsf"]) {
            assert!(
                script.contains(word),
                "{shell} completions lack {word}:\n{}",
                &script[..script.len().min(400)]
            );
        }
        if shell == "bash" {
            // The real shell: syntax check, then load it and ask for the audit formats.
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let file = dir.path().join("rdsiam.bash");
            std::fs::write(&file, &script).unwrap_or_else(|e| panic!("{e}"));
            let check = Command::new("bash")
                .arg("-n")
                .arg(&file)
                .output()
                .unwrap_or_else(|e| panic!("bash: {e}"));
            assert!(
                check.status.success(),
                "bash -n: {}",
                String::from_utf8_lossy(&check.stderr)
            );
            let complete = format!(
                "source {}; COMP_WORDS=(rdsiam audit --format ''); COMP_CWORD=3; COMP_LINE='rdsiam audit --format '; COMP_POINT=${{#COMP_LINE}}; _rdsiam rdsiam '' --format; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                file.display()
            );
            let out = Command::new("bash")
                .args(["-c", &complete])
                .output()
                .unwrap_or_else(|e| panic!("bash: {e}"));
            let words = String::from_utf8_lossy(&out.stdout);
            for format in [
                "table", "json", "sarif", "csv", "markdown", "ocsf", "html", "dot",
            ] {
                assert!(
                    words.lines().any(|w| w == format),
                    "bash completes `rdsiam audit --format ` without {format}: {words:?} {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
}

#[test]
fn man_page_renders_with_man_and_names_every_subcommand() {
    let (page, code) = rdsiam(&["man"]);
    assert_eq!(code, 0);
    assert!(
        page.starts_with(".ie") || page.contains(".TH rdsiam 1"),
        "{page:.200}"
    );
    // Rendered by the real man/groff, as a user reads it.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("rdsiam.1");
    std::fs::write(&file, &page).unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new("man")
        .arg("-l")
        .arg(&file)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .unwrap_or_else(|e| panic!("man: {e}"));
    assert!(
        out.status.success(),
        "man -l: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for section in ["NAME", "SYNOPSIS", "SUBCOMMANDS"] {
        assert!(text.contains(section), "man page lacks {section}");
    }
    for sub in SUBCOMMANDS {
        assert!(
            text.contains(&format!("rdsiam-{sub}")),
            "man page lacks {sub}"
        );
    }

    // --dir: one page per subcommand, each readable by man.
    let pages = dir.path().join("man1");
    let (_, code) = rdsiam(&["man", "--dir", &pages.display().to_string()]);
    assert_eq!(code, 0);
    for sub in SUBCOMMANDS {
        let file = pages.join(format!("rdsiam-{sub}.1"));
        let out = Command::new("man")
            .arg("-l")
            .arg(&file)
            .env("MANPAGER", "cat")
            .output()
            .unwrap_or_else(|e| panic!("man: {e}"));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("SYNOPSIS"),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(
        pages
            .join("rdsiam-audit.1")
            .exists()
            .then(|| std::fs::read_to_string(pages.join("rdsiam-audit.1")).unwrap_or_default())
            .is_some_and(|p| p.contains("format")),
        "rdsiam-audit.1 documents --format"
    );
}

/// A DOT string literal's content (`"a\"b"` → `a"b`) at the start of `text`, and the rest.
fn dot_literal(text: &str) -> Option<(String, &str)> {
    let body = text.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?.1),
            '"' => return Some((out, &body[i + 1..])),
            c => out.push(c),
        }
    }
    None
}

#[test]
fn dot_through_the_cli_draws_the_access_matrix() {
    let report = demo_report();
    assert!(!report.access.is_empty());
    let (dot, _) = rdsiam(&[
        "audit",
        "--snapshot",
        DEMO_DIR,
        "--matrix",
        "--format",
        "dot",
    ]);
    assert!(dot.starts_with("digraph rdsiam_access {"), "{dot:.200}");
    assert!(dot.trim_end().ends_with('}'));
    let mut nodes = BTreeSet::new();
    let mut edges = BTreeSet::new();
    let mut clusters = 0;
    for line in dot.lines().map(str::trim_start) {
        if line.starts_with("subgraph cluster_") {
            clusters += 1;
        }
        let Some((from, rest)) = dot_literal(line) else {
            continue;
        };
        if let Some(rest) = rest.strip_prefix(" -> ") {
            let (to, _) = dot_literal(rest).unwrap_or_else(|| panic!("edge line: {line}"));
            edges.insert((from, to));
        } else {
            assert!(rest.starts_with(" [label="), "node line: {line}");
            nodes.insert(from);
        }
    }
    // Expected from the matrix: per database, the distinct nodes (layer, id) and links
    // between consecutive nodes of each chain, as the HTML graph draws them.
    let mut want_nodes = BTreeSet::new();
    let mut want_edges = BTreeSet::new();
    for a in &report.access {
        let first = if a.principal.contains(":role/") && a.via.is_empty() {
            1
        } else {
            0
        };
        let mut chain = vec![(first, a.principal.as_str())];
        chain.extend(a.via.iter().map(|v| (1, v.as_str())));
        chain.push((2, a.db_user.as_str()));
        chain.push((3, a.db.as_str()));
        let id = |(layer, name): (i32, &str)| format!("{}|{layer}|{name}", a.db);
        for node in &chain {
            want_nodes.insert(id(*node));
        }
        for pair in chain.windows(2) {
            want_edges.insert((id(pair[0]), id(pair[1])));
        }
    }
    let databases: BTreeSet<&str> = report.access.iter().map(|a| a.db.as_str()).collect();
    assert_eq!(clusters, databases.len(), "one cluster per database");
    assert_eq!(nodes, want_nodes, "DOT nodes");
    assert_eq!(edges, want_edges, "DOT edges");
    // Edges into DB users carry the login verdict's colour and reason.
    assert!(
        dot.contains("tooltip=\"works: "),
        "a works edge with its reason"
    );
}

/// What a terminal shows: escape sequences (colours) removed, CR LF made LF.
fn screen_text(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                // CSI: parameters until a final byte in @..~.
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
        } else if c != '\r' {
            out.push(c);
        }
    }
    out
}

#[test]
fn terminal_view_on_a_real_pty_fits_80_100_200_columns() {
    let report = demo_report();
    let binary = support::cli::binary();
    for width in [80usize, 100, 200] {
        // `script` runs the command on a new pty; `stty` sets that pty's size, which the
        // binary reads with TIOCGWINSZ (COLUMNS is removed from the environment).
        let command = format!(
            "stty cols {width} rows 50; exec {} audit --snapshot {DEMO_DIR} --all",
            binary.display()
        );
        let mut script = Command::new("script");
        // Isolated (no COLUMNS, NO_COLOR, AWS_* or PG* from the parent); a colour terminal.
        support::cli::isolate(&mut script);
        let out = script
            .args(["-q", "-e", "-c", &command, "/dev/null"])
            .env("TERM", "xterm-256color")
            .output()
            .unwrap_or_else(|e| panic!("script: {e}"));
        let raw = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(1),
            "width {width}: findings at or above low exit 1: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            raw.contains("\u{1b}["),
            "width {width}: a terminal gets severity colours (--color auto)"
        );
        let text = screen_text(&raw);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() > 50, "width {width}: {} lines", lines.len());
        let widest = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        assert!(
            widest > width * 3 / 4,
            "width {width}: the view uses the terminal's width (widest line {widest})"
        );
        for line in &lines {
            let len = line.chars().count();
            if len > width {
                // Only a single token longer than the whole terminal may overflow it:
                // breaking it would break an ARN or a command.
                let body = line.trim_start().trim_end_matches(" \\");
                assert!(
                    !body.contains(' ') || body.starts_with('\''),
                    "width {width}: line of {len} columns holds more than one token: {line}"
                );
            }
        }
        for finding in &report.findings {
            let mut whole = arns(&finding.message);
            whole.push(finding.resource.arn.clone());
            for command in finding.fix.aws_cli.iter() {
                whole.extend(arns(command));
            }
            for arn in whole {
                assert!(
                    lines.iter().any(|l| l.contains(arn.as_str())),
                    "width {width}: ARN {arn} of {} not whole on one line",
                    finding.rule
                );
            }
        }
    }
}
