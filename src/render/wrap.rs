//! Line wrapping that never breaks a token: prose at spaces (an ARN is one word), shell
//! commands at argument boundaries with ` \` continuations so the printed lines paste as one
//! command, SQL at token boundaries (a `--` comment continues as a comment). A single token
//! wider than the line is printed whole on its own line: a broken ARN or argument is worse
//! than a long line. The one exception is a single-quoted JSON argument (`'{"Version":...}'`):
//! it may break after a JSON comma, because the newline then lands inside the quotes, where it
//! is JSON whitespace and the command still pastes and runs unchanged in meaning.

/// Display width of `text` in columns (one per char: the report is ASCII but for names).
pub fn width_of(text: &str) -> usize {
    text.chars().count()
}

/// Word-wraps `text` at spaces to `width` columns; the first line starts with `first`, the
/// following ones with `indent`. Existing newlines in `text` start new lines.
pub fn words(text: &str, width: usize, first: &str, indent: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut prefix = first;
    for paragraph in text.split('\n') {
        let mut line = prefix.to_owned();
        let mut empty = true;
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            if !empty && width_of(&line) + 1 + width_of(word) > width {
                lines.push(std::mem::replace(&mut line, indent.to_owned()));
                empty = true;
            }
            if !empty {
                line.push(' ');
            }
            line.push_str(word);
            empty = false;
        }
        lines.push(line);
        prefix = indent;
    }
    lines
}

/// How a break before a segment is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Join {
    /// Between two shell arguments: a space on one line, ` \` + newline across lines.
    Argument,
    /// Inside a quoted JSON argument, after a comma: nothing on one line, a bare newline
    /// (JSON whitespace inside the quotes) across lines.
    InsideJson,
}

/// Wraps one shell command (each line of `command` is a separate command) to `width`:
/// arguments are never split; continuation lines end in ` \` and are indented by 4 more.
pub fn shell(command: &str, width: usize, indent: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for one in command.lines().filter(|l| !l.trim().is_empty()) {
        let mut segments = Vec::new();
        for token in shell_tokens(one.trim()) {
            let pieces = json_pieces(&token);
            for (i, piece) in pieces.into_iter().enumerate() {
                let join = if i == 0 {
                    Join::Argument
                } else {
                    Join::InsideJson
                };
                segments.push((join, piece));
            }
        }
        pack(&segments, width, indent, &mut lines);
    }
    lines
}

fn pack(segments: &[(Join, String)], width: usize, indent: &str, lines: &mut Vec<String>) {
    let continued = format!("{indent}    ");
    let mut line = indent.to_owned();
    let mut empty = true;
    for (index, (join, text)) in segments.iter().enumerate() {
        // Room for the ` \` this line needs if a later argument follows on another line.
        let more_args = segments[index + 1..]
            .iter()
            .any(|(j, _)| *j == Join::Argument);
        let tail = if more_args { 2 } else { 0 };
        let sep = if empty || *join == Join::InsideJson {
            0
        } else {
            1
        };
        if !empty && width_of(&line) + sep + width_of(text) + tail > width {
            match join {
                Join::Argument => line.push_str(" \\"),
                Join::InsideJson => {}
            }
            lines.push(std::mem::replace(&mut line, continued.clone()));
            empty = true;
        }
        if !empty && *join == Join::Argument {
            line.push(' ');
        }
        line.push_str(text);
        empty = false;
    }
    lines.push(line);
}

/// Splits a command line into shell words, keeping quotes (the text is printed as is).
fn shell_tokens(line: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in line.chars() {
        if escaped {
            current.push(c);
            escaped = false;
            continue;
        }
        match quote {
            Some(q) => {
                current.push(c);
                if c == q {
                    quote = None;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                }
            }
            None if c.is_whitespace() => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            None => {
                current.push(c);
                if c == '\'' || c == '"' {
                    quote = Some(c);
                } else if c == '\\' {
                    escaped = true;
                }
            }
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

/// A single-quoted JSON argument cut after each comma outside JSON strings; any other token
/// is one piece.
fn json_pieces(token: &str) -> Vec<String> {
    let starts_json = token.starts_with("'{") || token.starts_with("'[");
    if !starts_json || !token.ends_with('\'') || token[1..token.len() - 1].contains('\'') {
        return vec![token.to_owned()];
    }
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut in_string = false;
    let mut escaped = false;
    for c in token.chars() {
        current.push(c);
        if escaped {
            escaped = false;
        } else if in_string && c == '\\' {
            escaped = true;
        } else if c == '"' {
            in_string = !in_string;
        } else if c == ',' && !in_string {
            pieces.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// Wraps SQL to `width` at token boundaries (SQL whitespace may be a newline); a `--` comment
/// that needs a second line continues it with `-- `. Quoted identifiers stay whole.
pub fn sql(text: &str, width: usize, indent: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for one in text.lines().filter(|l| !l.trim().is_empty()) {
        let (code, comment) = split_comment(one.trim());
        let mut line = indent.to_owned();
        let mut empty = true;
        for token in shell_tokens(code) {
            if !empty && width_of(&line) + 1 + width_of(&token) > width {
                lines.push(std::mem::replace(&mut line, format!("{indent}    ")));
                empty = true;
            }
            if !empty {
                line.push(' ');
            }
            line.push_str(&token);
            empty = false;
        }
        if let Some(comment) = comment {
            let body = comment.trim_start_matches('-').trim();
            if !empty && width_of(&line) + 4 + width_of(body) > width {
                lines.push(std::mem::replace(&mut line, indent.to_owned()));
                empty = true;
            }
            let first = if empty {
                format!("{line}-- ")
            } else {
                format!("{line}  -- ")
            };
            let mut wrapped = words(body, width, &first, &format!("{indent}-- "));
            lines.append(&mut wrapped);
        } else {
            lines.push(line);
        }
    }
    lines
}

/// `code -- comment` → (`code`, Some(`-- comment`)), ignoring `--` inside quotes.
fn split_comment(line: &str) -> (&str, Option<&str>) {
    let mut quote: Option<char> = None;
    let bytes = line.as_bytes();
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '-' && bytes.get(i + 1) == Some(&b'-') => {
                return (line[..i].trim_end(), Some(&line[i..]));
            }
            None => {}
        }
    }
    (line, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_never_split_an_arn() {
        let arn = "arn:aws:iam::999999999999:role/vendor-dba-with-a-rather-long-name";
        let lines = words(&format!("trusts {arn}, outside"), 30, "", "  ");
        assert!(lines.iter().any(|l| l.trim() == format!("{arn},")));
    }

    #[test]
    fn shell_wraps_with_continuations_and_keeps_arguments_whole() {
        let cmd = "aws iam create-policy-version --policy-arn arn:aws:iam::222222222222:policy/LegacyDbAccess --policy-document file://fixed-policy.json --set-as-default";
        let lines = shell(cmd, 60, "  ");
        assert!(lines.len() > 1);
        for line in &lines[..lines.len() - 1] {
            assert!(line.ends_with(" \\"), "{line}");
        }
        let joined: Vec<String> = lines
            .iter()
            .flat_map(|l| l.trim_end_matches(" \\").split_whitespace())
            .map(str::to_owned)
            .collect();
        assert_eq!(joined, shell_tokens(cmd));
    }

    #[test]
    fn quoted_json_breaks_only_after_commas_inside_the_quotes() {
        let cmd = r#"aws iam put-role-policy --role-name r --policy-name p --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:us-east-1:1:dbuser:db-X/u, v"}]}'"#;
        let lines = shell(cmd, 50, "");
        let json_start = lines.iter().position(|l| l.contains("'{")).unwrap_or(0);
        let json: String = lines[json_start..].iter().map(|l| l.trim_start()).collect();
        assert!(json.ends_with("\"}]}'"), "{json}");
        let inner = json
            .trim_start_matches("--policy-document ")
            .trim_matches('\'');
        let value: serde_json::Value = serde_json::from_str(inner).unwrap_or_default();
        assert_eq!(
            value["Statement"][0]["Resource"],
            "arn:aws:rds-db:us-east-1:1:dbuser:db-X/u, v"
        );
    }

    #[test]
    fn sql_comment_continues_as_a_comment() {
        let lines = sql(
            r#"REVOKE rds_iam FROM "legacy_batch";  -- or: DROP ROLE "legacy_batch";"#,
            40,
            "  ",
        );
        assert_eq!(lines[0], r#"  REVOKE rds_iam FROM "legacy_batch";"#);
        assert!(
            lines[1..].iter().all(|l| l.starts_with("  -- ")),
            "{lines:?}"
        );
    }
}
