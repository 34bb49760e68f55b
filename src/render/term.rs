//! Terminal conventions for human output: the line width (`COLUMNS`, else the terminal's
//! width, else 100) and severity colours (`--color auto|always|never`, `NO_COLOR`). The
//! decisions are pure functions of what the command observed, so tests can pin them.

use crate::report::Severity;

/// Width when the output is not a terminal and `COLUMNS` is unset.
pub const DEFAULT_WIDTH: usize = 100;
/// Narrower than this, nothing useful fits: the layout assumes at least this.
pub const MIN_WIDTH: usize = 40;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    Always,
    Never,
}

/// The line width: `COLUMNS` when it holds a number, else the terminal's width, else 100.
pub fn width(columns_env: Option<&str>, terminal_width: Option<usize>) -> usize {
    columns_env
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|w| *w > 0)
        .or(terminal_width)
        .unwrap_or(DEFAULT_WIDTH)
        .max(MIN_WIDTH)
}

/// Whether to colour: `always`/`never` as asked; `auto` only on a terminal without a
/// non-empty `NO_COLOR` (https://no-color.org: the flag overrides the variable).
pub fn use_color(choice: ColorChoice, no_color_env: Option<&str>, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && no_color_env.is_none_or(str::is_empty),
    }
}

/// What the process sees: `COLUMNS`, `NO_COLOR` and whether stdout is a terminal.
pub fn detect(choice: ColorChoice, to_stdout: bool) -> (usize, bool) {
    use std::io::IsTerminal as _;
    let is_terminal = to_stdout && std::io::stdout().is_terminal();
    let terminal_width = if is_terminal {
        terminal_size::terminal_size().map(|(w, _)| usize::from(w.0))
    } else {
        None
    };
    let columns = std::env::var("COLUMNS").ok();
    let no_color = std::env::var("NO_COLOR").ok();
    (
        width(columns.as_deref(), terminal_width),
        use_color(choice, no_color.as_deref(), is_terminal),
    )
}

/// `text` in the severity's colour when `color` is on (the caller lays out plain text first:
/// escape codes take no columns).
pub fn paint(severity: Severity, text: &str, color: bool) -> String {
    if !color {
        return text.to_owned();
    }
    let code = match severity {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// Bold, for headings.
pub fn bold(text: &str, color: bool) -> String {
    if color {
        format!("\x1b[1m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_wins_then_terminal_then_100() {
        assert_eq!(width(Some("200"), Some(80)), 200);
        assert_eq!(width(Some("junk"), Some(80)), 80);
        assert_eq!(width(None, None), 100);
        assert_eq!(width(Some("10"), None), MIN_WIDTH);
    }

    #[test]
    fn no_color_is_honoured_only_by_auto() {
        assert!(use_color(ColorChoice::Auto, None, true));
        assert!(!use_color(ColorChoice::Auto, Some("1"), true));
        assert!(use_color(ColorChoice::Auto, Some(""), true));
        assert!(!use_color(ColorChoice::Auto, None, false));
        assert!(use_color(ColorChoice::Always, Some("1"), false));
        assert!(!use_color(ColorChoice::Never, None, true));
    }
}
