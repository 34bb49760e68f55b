//! Doctor output: a human table (one line per step with ✓ ✗ ! –, evidence indented, then the
//! ranked diagnosis with fixes) and JSON (`ok`, `target`, `steps`, `diagnosis`).

use std::fmt::Write;

use super::DoctorReport;

/// JSON, pretty-printed, newline-terminated.
pub fn json(report: &DoctorReport) -> Result<String, String> {
    serde_json::to_string_pretty(report)
        .map(|mut text| {
            text.push('\n');
            text
        })
        .map_err(|e| format!("cannot render JSON: {e}"))
}

/// The human view.
pub fn table(report: &DoctorReport) -> String {
    let mut out = String::new();
    let t = &report.target;
    let via = t
        .hostaddr
        .as_ref()
        .map(|a| format!(" via {a}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "rdsiam doctor: {}@{}:{}/{}{via} (sslmode={})",
        t.user, t.host, t.port, t.dbname, t.sslmode
    );
    if t.dbname_defaulted {
        let _ = writeln!(
            out,
            "  (no dbname given: using the user name {:?}, as psql does)",
            t.dbname
        );
    }
    let _ = writeln!(out);
    for step in &report.steps {
        let _ = writeln!(
            out,
            "{} {:<12} {:>7.1} ms  {}",
            step.status.symbol(),
            step.name,
            step.ms,
            step.summary
        );
        for line in &step.evidence {
            let _ = writeln!(out, "      {line}");
        }
    }
    let _ = writeln!(out);
    if report.ok {
        let _ = writeln!(out, "✓ login works.");
        return out;
    }
    let _ = writeln!(out, "✗ login fails. Diagnosis (most likely first):");
    for (rank, cause) in report.diagnosis.iter().enumerate() {
        let _ = writeln!(out, "\n{}. [{}] {}", rank + 1, cause.code, cause.title);
        for line in &cause.evidence {
            let _ = writeln!(out, "   evidence: {line}");
        }
        let _ = writeln!(out, "   fix: {}", cause.fix.summary);
        if let Some(cli) = &cause.fix.aws_cli {
            let _ = writeln!(out, "     $ {cli}");
        }
        if let Some(sql) = &cause.fix.sql {
            let _ = writeln!(out, "     SQL> {sql}");
        }
        if let Some(conn) = &cause.fix.connection {
            let _ = writeln!(out, "     connect with: \"{conn}\"");
        }
    }
    let _ = writeln!(out, "\n`rdsiam explain <code>` documents each cause.");
    out
}
