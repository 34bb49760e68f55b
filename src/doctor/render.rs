//! Doctor output. The table is verdict first: line 1 `✗ code: sentence` (or `✓` saying whose
//! token logged in), whose token was tested, the fix commands, `why:` evidence, the client's
//! token against what the endpoint needs, what was not checked (with the read-only command
//! that checks it), then the steps, one line each (evidence of passing steps only with
//! `--verbose`). Lines wrap at the given width between words, never inside a word (a token,
//! an ARN); commands wrap with a shell continuation (` \`) so they still paste.
//! JSON carries the same facts (`verdict`, `token`) next to `ok`, `target`, `steps`,
//! `diagnosis`.

use super::report::DoctorReport;
use super::step::StepStatus;
use super::verdict::VerdictFix;

/// How the table is laid out.
#[derive(Debug, Clone, Copy)]
pub struct TableStyle {
    /// Columns available (the terminal's, `COLUMNS`, or 100 when not a terminal).
    pub width: usize,
    pub color: bool,
    /// Evidence of passing steps too.
    pub verbose: bool,
}

impl Default for TableStyle {
    fn default() -> Self {
        TableStyle {
            width: 100,
            color: false,
            verbose: false,
        }
    }
}

/// JSON, pretty-printed, newline-terminated.
pub fn json(report: &DoctorReport) -> Result<String, String> {
    serde_json::to_string_pretty(report)
        .map(|mut text| {
            text.push('\n');
            text
        })
        .map_err(|e| format!("cannot render JSON: {e}"))
}

/// The human view with the default style (100 columns, no colour, not verbose).
pub fn table(report: &DoctorReport) -> String {
    table_with(report, TableStyle::default())
}

/// Lines being laid out at one width.
struct Out {
    width: usize,
    lines: Vec<String>,
}

impl Out {
    /// `text` wrapped between words: `first` prefixes the first line, `rest` the others.
    fn prose(&mut self, first: &str, rest: &str, text: &str) {
        self.wrap(first, rest, text, "");
    }

    /// A shell command: continuation lines end in ` \` so the whole still pastes.
    fn command(&mut self, first: &str, rest: &str, text: &str) {
        self.wrap(first, rest, text, " \\");
    }

    fn wrap(&mut self, first: &str, rest: &str, text: &str, continuation: &str) {
        let mut line = first.to_owned();
        let mut empty = true;
        for word in text.split(' ').filter(|w| !w.is_empty()) {
            let need = usize::from(!empty) + cols(word) + cols(continuation);
            if !empty && cols(&line) + need > self.width {
                line.push_str(continuation);
                self.lines.push(std::mem::take(&mut line));
                line.push_str(rest);
                empty = true;
            }
            if !empty {
                line.push(' ');
            }
            line.push_str(word);
            empty = false;
        }
        self.lines.push(line);
    }

    fn blank(&mut self) {
        self.lines.push(String::new());
    }
}

fn cols(text: &str) -> usize {
    text.chars().count()
}

/// The human view.
pub fn table_with(report: &DoctorReport, style: TableStyle) -> String {
    let mut out = Out {
        width: style.width.max(40),
        lines: Vec::new(),
    };
    let v = &report.verdict;
    let symbol = if report.ok { "✓" } else { "✗" };
    out.prose(&format!("{symbol} "), "  ", &v.line);
    out.prose("  token tested: ", "    ", &v.token_tested);
    if let Some(check) = &v.check {
        out.prose("check ", "  ", check.when.as_deref().unwrap_or_default());
        fix_line(&mut out, check);
    }
    if !v.fixes.is_empty() {
        out.lines.push("fix:".into());
        for fix in &v.fixes {
            if let Some(when) = &fix.when {
                out.prose("  if ", "    ", &format!("{when}:"));
            }
            fix_line(&mut out, fix);
        }
    }
    if !v.why.is_empty() || !v.token_differences.is_empty() {
        out.lines.push("why:".into());
        for line in &v.why {
            out.prose("  - ", "    ", line);
        }
        if !v.token_differences.is_empty() {
            out.prose(
                "  ",
                "    ",
                "the client's token against what the endpoint needs:",
            );
            for d in &v.token_differences {
                out.prose(
                    &format!("    {:<7} ", d.field),
                    "            ",
                    &format!("{} ≠ needed {}", d.client, d.needed),
                );
            }
        }
    }
    if !v.also.is_empty() {
        out.lines.push("also found:".into());
        for line in &v.also {
            out.prose("  - ", "    ", line);
        }
    }
    for group in &v.not_checked {
        let text = if group.codes.is_empty() {
            group.what.clone()
        } else {
            format!("{} ({})", group.codes.join(", "), group.what)
        };
        out.prose("not checked: ", "  ", &text);
        out.command("  $ ", "      ", &group.check);
    }
    out.blank();
    let t = &report.target;
    let via = t
        .hostaddr
        .as_ref()
        .map(|a| format!(" via {a}"))
        .unwrap_or_default();
    out.prose(
        "steps: ",
        "  ",
        &format!(
            "{}@{}:{}/{}{via} (sslmode={})",
            t.user, t.host, t.port, t.dbname, t.sslmode
        ),
    );
    if t.dbname_defaulted {
        out.prose(
            "  ",
            "  ",
            &format!(
                "(no dbname given: using the user name {:?}, as psql does)",
                t.dbname
            ),
        );
    }
    for step in &report.steps {
        let head = format!(
            "{} {:<12} {:>7.1} ms  ",
            step.status.symbol(),
            step.name,
            step.ms
        );
        out.prose(&head, &" ".repeat(cols(&head)), &step.summary);
        if style.verbose || step.status != StepStatus::Pass {
            for line in &step.evidence {
                out.prose("      ", "        ", line);
            }
        }
    }
    if !report.ok {
        out.blank();
        out.prose(
            "",
            "",
            "`rdsiam explain <code>` documents each cause; --verbose shows every step's evidence; --format json has the same facts.",
        );
    }
    let mut text = String::new();
    for line in &out.lines {
        // Server messages and names reach the terminal escaped (crate::redact); colour is
        // added after escaping so its own escape codes survive.
        let line = crate::redact::escape_controls(line);
        if style.color {
            text.push_str(&colored(&line));
        } else {
            text.push_str(&line);
        }
        text.push('\n');
    }
    text
}

fn fix_line(out: &mut Out, fix: &VerdictFix) {
    match fix.kind {
        "sql" => out.prose("  SQL> ", "       ", &fix.command),
        "connection" => out.command("  connect with: ", "    ", &format!("\"{}\"", fix.command)),
        _ => out.command("  $ ", "      ", &fix.command),
    }
}

/// The status symbol at the start of a line in its colour (red ✗, green ✓, yellow !, dim –).
fn colored(line: &str) -> String {
    let (code, rest) = match line.chars().next() {
        Some('✗') => ("31;1", &line['✗'.len_utf8()..]),
        Some('✓') => ("32;1", &line['✓'.len_utf8()..]),
        Some('!') => ("33;1", &line[1..]),
        Some('–') => ("2", &line['–'.len_utf8()..]),
        _ => return line.to_owned(),
    };
    let symbol = &line[..line.len() - rest.len()];
    format!("\x1b[{code}m{symbol}\x1b[0m{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_never_splits_a_word_and_commands_continue() {
        let mut out = Out {
            width: 40,
            lines: Vec::new(),
        };
        let command = "aws rds generate-db-auth-token --hostname mydb.aaaaaaaaaa.us-east-1.rds.amazonaws.com --port 5432";
        out.command("  $ ", "      ", command);
        let joined: String = out
            .lines
            .iter()
            .map(|l| l.trim_end_matches(" \\").trim())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(joined, format!("$ {command}"));
        for line in &out.lines[..out.lines.len() - 1] {
            assert!(line.ends_with(" \\"), "{line:?}");
        }
        // The 43-column host name is longer than what is left: alone on its line, whole.
        assert!(out.lines.iter().any(|l| {
            l.trim()
                .starts_with("mydb.aaaaaaaaaa.us-east-1.rds.amazonaws.com")
        }));
    }

    #[test]
    fn prose_fits_the_width() {
        let mut out = Out {
            width: 30,
            lines: Vec::new(),
        };
        out.prose(
            "✗ ",
            "  ",
            "token-host-mismatch: a fresh token works: the client's token is the problem",
        );
        assert!(out.lines.iter().all(|l| cols(l) <= 30), "{:?}", out.lines);
        assert!(out.lines[0].starts_with("✗ token-host-mismatch:"));
    }

    #[test]
    fn colour_wraps_only_the_symbol() {
        assert_eq!(colored("✗ x"), "\x1b[31;1m✗\x1b[0m x");
        assert_eq!(colored("plain"), "plain");
    }
}
