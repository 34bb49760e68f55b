//! The layering of `src/` (ARCHITECTURE.md), enforced: every `crate::…` path (in `use`
//! declarations and in code) and every `super::…` path of every file is resolved to the file
//! it names, and the test fails when
//!
//! - a file imports a file of a layer above its own (naming both and the line), or
//! - files import each other, directly or around a circle (naming every edge of the circle).
//!
//! A folder's `mod.rs` is the folder's face: its declarations and uses of its own children
//! are not edges (a child may use what its `mod.rs` defines). A path to a name that a
//! `mod.rs` re-exports from one of its children (`pub use matrix::CONNECT`) is followed to
//! that child, so a re-export does not hide a circle.
//!
//! A plain parser (comments and literals blanked, then tokens), no dependency: it reads
//! paths, not types, so a path through a `use … as` alias of another module is not followed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, bottom to top, and the files of each (a path under `src/`; a trailing `/` is
/// a folder). A file may import its own layer and the layers below, never one above.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "base",
        &[
            "exit.rs",
            "fast_hash.rs",
            "redact.rs",
            "input.rs",
            "json_input.rs",
            "output.rs",
            "phases.rs",
            "dispose.rs",
            "token_compat.rs",
            "json_blocks.rs",
            "aws_http.rs",
        ],
    ),
    ("policy", &["policy/"]),
    ("inventory", &["inventory/"]),
    ("report", &["report/"]),
    ("clients", &["pg/", "token.rs"]),
    // The generators write files in the layout the collectors read (test machinery, behind
    // the `generators` feature).
    ("collect", &["collect/", "generators/"]),
    ("access", &["access/"]),
    ("rules", &["rules/"]),
    ("render", &["render/"]),
    ("config", &["config/"]),
    ("engine", &["engine.rs", "doctor/"]),
    ("commands", &["commands/", "cli.rs", "main.rs", "lib.rs"]),
];

/// One resolved import: `from` names `to` at `line`.
#[derive(Debug, Clone)]
struct Edge {
    from: String,
    to: String,
    line: usize,
    path: String,
}

fn main_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/`, relative (`access/matrix.rs`).
fn source_files(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|x| x == "rs") {
                let rel = path.strip_prefix(root).expect("under src");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out
}

/// The module path of a file: `access/mod.rs` → `[access]`, `access/matrix.rs` →
/// `[access, matrix]`, `lib.rs` → `[]`.
fn module_of(file: &str) -> Vec<String> {
    let stem = file.trim_end_matches(".rs");
    let mut parts: Vec<String> = stem.split('/').map(str::to_owned).collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn layer_of(file: &str) -> Option<(usize, &'static str)> {
    LAYERS
        .iter()
        .enumerate()
        .find_map(|(index, (name, files))| {
            files
                .iter()
                .any(|f| {
                    if f.ends_with('/') {
                        file.starts_with(f)
                    } else {
                        file == *f
                    }
                })
                .then_some((index, *name))
        })
}

/// The text with comments, string and char literals replaced by spaces (newlines kept, so
/// lines still count).
fn blank(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    let wipe = |out: &mut Vec<u8>, from: usize, to: usize| {
        for byte in &mut out[from..to] {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
    };
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = b[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |p| i + p);
                wipe(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let (mut depth, mut j) = (1, i + 2);
                while j < b.len() && depth > 0 {
                    if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                        depth += 1;
                        j += 2;
                    } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                        depth -= 1;
                        j += 2;
                    } else {
                        j += 1;
                    }
                }
                wipe(&mut out, i, j);
                i = j;
            }
            b'r' if !prev_is_ident(b, i)
                && (b.get(i + 1) == Some(&b'"')
                    || (b.get(i + 1) == Some(&b'#')
                        && b[i + 1..].iter().take_while(|&&c| c == b'#').count() > 0
                        && b.get(
                            i + 1 + b[i + 1..].iter().take_while(|&&c| c == b'#').count(),
                        ) == Some(&b'"'))) =>
            {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                let body = i + 1 + hashes + 1;
                let mut closing = vec![b'"'];
                closing.extend(std::iter::repeat_n(b'#', hashes));
                let end = b[body..]
                    .windows(closing.len())
                    .position(|w| w == closing.as_slice())
                    .map_or(b.len(), |p| body + p + closing.len());
                wipe(&mut out, i, end);
                i = end;
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                let end = (j + 1).min(b.len());
                wipe(&mut out, i, end);
                i = end;
            }
            b'\'' => {
                // A char literal ('x', '\n', '\u{..}') or a lifetime ('a): only the former
                // closes with a quote within a few bytes.
                let close = if b.get(i + 1) == Some(&b'\\') {
                    b[i + 2..]
                        .iter()
                        .take(10)
                        .position(|&c| c == b'\'')
                        .map(|p| i + 2 + p)
                } else {
                    let width = std::str::from_utf8(&b[i + 1..(i + 5).min(b.len())])
                        .ok()
                        .or_else(|| std::str::from_utf8(&b[i + 1..(i + 2).min(b.len())]).ok())
                        .and_then(|s| s.chars().next())
                        .map_or(1, char::len_utf8);
                    (b.get(i + 1 + width) == Some(&b'\'')).then_some(i + 1 + width)
                };
                match close {
                    Some(end) => {
                        wipe(&mut out, i, end + 1);
                        i = end + 1;
                    }
                    None => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn prev_is_ident(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Colons,
    Open,
    Close,
    Comma,
    Semi,
    Star,
    Other,
}

fn tokens(text: &str) -> Vec<(Tok, usize)> {
    let b = text.as_bytes();
    let (mut out, mut i, mut line) = (Vec::new(), 0, 1);
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line += 1;
            i += 1;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push((Tok::Ident(text[start..i].to_owned()), line));
        } else if c == b':' && b.get(i + 1) == Some(&b':') {
            out.push((Tok::Colons, line));
            i += 2;
        } else {
            let tok = match c {
                b'{' => Tok::Open,
                b'}' => Tok::Close,
                b',' => Tok::Comma,
                b';' => Tok::Semi,
                b'*' => Tok::Star,
                _ => Tok::Other,
            };
            out.push((tok, line));
            i += 1;
        }
    }
    out
}

/// A path as written (`crate::access::matrix::CONNECT`) with its line.
#[derive(Debug, Clone)]
struct Written {
    segments: Vec<String>,
    line: usize,
    /// The module the path was written in (inline modules included).
    module: Vec<String>,
    /// Part of a `pub use` (a re-export).
    public_use: bool,
}

/// Every `crate::`/`super::`/`self::` path of a file: the leaves of `use` trees, and paths
/// in code.
fn written_paths(file: &str, text: &str) -> Vec<Written> {
    let toks = tokens(&blank(text));
    let base = module_of(file);
    let mut out = Vec::new();
    // Inline modules: (name, brace depth at which it opened).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let module = |inline: &Vec<(String, usize)>| -> Vec<String> {
        base.iter()
            .cloned()
            .chain(inline.iter().map(|(n, _)| n.clone()))
            .collect()
    };
    let mut i = 0;
    while i < toks.len() {
        match &toks[i].0 {
            Tok::Open => depth += 1,
            Tok::Close => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            Tok::Ident(word) if word == "mod" => {
                if let (Some((Tok::Ident(name), _)), Some((Tok::Open, _))) =
                    (toks.get(i + 1), toks.get(i + 2))
                {
                    inline.push((name.clone(), depth));
                }
            }
            Tok::Ident(word) if word == "use" => {
                let public_use = i > 0 && matches!(&toks[i - 1].0, Tok::Ident(w) if w == "pub")
                    || (i > 3
                        && matches!(&toks[i - 1].0, Tok::Other)
                        && toks[..i]
                            .iter()
                            .rev()
                            .take(6)
                            .any(|(t, _)| matches!(t, Tok::Ident(w) if w == "pub")));
                let end = toks[i..]
                    .iter()
                    .position(|(t, _)| *t == Tok::Semi)
                    .map_or(toks.len(), |p| i + p);
                let mut leaves = Vec::new();
                use_tree(&toks[i + 1..end], Vec::new(), &mut leaves);
                for (segments, line) in leaves {
                    if matches!(
                        segments.first().map(String::as_str),
                        Some("crate" | "super" | "self")
                    ) {
                        out.push(Written {
                            segments,
                            line,
                            module: module(&inline),
                            public_use,
                        });
                    }
                }
                i = end;
                continue;
            }
            Tok::Ident(word)
                if (word == "crate" || word == "super")
                    && !(i > 0 && toks[i - 1].0 == Tok::Colons)
                    && toks.get(i + 1).map(|t| &t.0) == Some(&Tok::Colons) =>
            {
                let line = toks[i].1;
                let mut segments = vec![word.clone()];
                let mut j = i + 1;
                while toks.get(j).map(|t| &t.0) == Some(&Tok::Colons) {
                    match toks.get(j + 1) {
                        Some((Tok::Ident(next), _)) => {
                            segments.push(next.clone());
                            j += 2;
                        }
                        _ => break,
                    }
                }
                out.push(Written {
                    segments,
                    line,
                    module: module(&inline),
                    public_use: false,
                });
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Expands a use tree (`a::{b, c::{d, e}}`) into its leaf paths, each with the line of its
/// last segment.
fn use_tree(toks: &[(Tok, usize)], prefix: Vec<String>, out: &mut Vec<(Vec<String>, usize)>) {
    let mut path = prefix.clone();
    let mut line = toks.first().map_or(0, |t| t.1);
    let mut i = 0;
    while i < toks.len() {
        match &toks[i].0 {
            Tok::Ident(word) if word == "as" => {
                // `x as y`: the path is x; skip the alias.
                i += 2;
                continue;
            }
            Tok::Ident(word) => {
                path.push(word.clone());
                line = toks[i].1;
            }
            Tok::Colons | Tok::Star => {}
            Tok::Open => {
                // The group runs to the matching close; split it at top-level commas.
                let (mut depth, mut j, mut start) = (1, i + 1, i + 1);
                while j < toks.len() && depth > 0 {
                    match toks[j].0 {
                        Tok::Open => depth += 1,
                        Tok::Close => {
                            depth -= 1;
                            if depth == 0 {
                                use_tree(&toks[start..j], path.clone(), out);
                            }
                        }
                        Tok::Comma if depth == 1 => {
                            use_tree(&toks[start..j], path.clone(), out);
                            start = j + 1;
                        }
                        _ => {}
                    }
                    j += 1;
                }
                return;
            }
            Tok::Comma => {
                if path.len() > prefix.len() {
                    out.push((path, line));
                }
                path = prefix.clone();
            }
            _ => {}
        }
        i += 1;
    }
    if path.len() > prefix.len() || (!path.is_empty() && prefix.is_empty()) {
        out.push((path, line));
    } else if path == prefix && !toks.is_empty() {
        // `self` inside a group (`a::{self, b}`) names `a` itself.
        out.push((path, line));
    }
}

/// The source tree: which module paths are files, and what each `mod.rs` re-exports from
/// its children (name → child file).
struct Tree {
    files: BTreeMap<Vec<String>, String>,
    reexports: BTreeMap<(String, String), String>,
}

impl Tree {
    /// The file a module path lands in: the longest prefix that is a file; a name that the
    /// landing `mod.rs` re-exports from a child goes on to that child.
    fn resolve(&self, module: &[String]) -> Option<String> {
        for len in (0..=module.len()).rev() {
            if let Some(file) = self.files.get(&module[..len]) {
                if let Some(name) = module.get(len) {
                    if let Some(child) = self.reexports.get(&(file.clone(), name.clone())) {
                        return Some(child.clone());
                    }
                }
                return Some(file.clone());
            }
        }
        None
    }

    /// A written path as an absolute module path (`super`/`self` resolved), or `None` for a
    /// path that leaves the crate.
    fn absolute(written: &Written) -> Option<Vec<String>> {
        let mut segments = written.segments.iter();
        let mut module = match segments.next().map(String::as_str) {
            Some("crate") => Vec::new(),
            Some("self") => written.module.clone(),
            Some("super") => {
                let mut m = written.module.clone();
                m.pop()?;
                m
            }
            _ => return None,
        };
        for segment in segments {
            if segment == "super" {
                module.pop()?;
            } else if segment != "self" {
                module.push(segment.clone());
            }
        }
        Some(module)
    }
}

fn is_mod_rs(file: &str) -> bool {
    file.ends_with("/mod.rs") || file == "lib.rs" || file == "main.rs"
}

/// `parent` is a folder face (`mod.rs`, `lib.rs`) and `child` is inside its folder.
fn is_own_child(parent: &str, child: &str) -> bool {
    if !is_mod_rs(parent) {
        return false;
    }
    let folder = parent.trim_end_matches("mod.rs");
    let folder = if parent == "lib.rs" || parent == "main.rs" {
        ""
    } else {
        folder
    };
    child != parent && child.starts_with(folder)
}

fn edges() -> Vec<Edge> {
    let root = main_dir();
    let files = source_files(&root);
    let texts: BTreeMap<String, String> = files
        .iter()
        .map(|f| {
            (
                f.clone(),
                fs::read_to_string(root.join(f)).expect("readable"),
            )
        })
        .collect();
    let mut tree = Tree {
        files: files
            .iter()
            .filter(|f| f.as_str() != "main.rs")
            .map(|f| (module_of(f), f.clone()))
            .collect(),
        reexports: BTreeMap::new(),
    };
    let written: BTreeMap<String, Vec<Written>> = texts
        .iter()
        .map(|(f, text)| (f.clone(), written_paths(f, text)))
        .collect();
    // Re-exports of a mod.rs from its own children: `pub use child::Name`.
    let mut reexports = BTreeMap::new();
    for (file, paths) in &written {
        if !is_mod_rs(file) {
            continue;
        }
        for path in paths.iter().filter(|p| p.public_use) {
            let Some(module) = Tree::absolute(path) else {
                continue;
            };
            let Some(target) = tree.resolve(&module) else {
                continue;
            };
            if is_own_child(file, &target) && target != *file {
                if let Some(name) = module.last() {
                    reexports.insert((file.clone(), name.clone()), target);
                }
            }
        }
    }
    // Plain `pub use child::Name` without `self::` in a mod.rs is relative: read those too.
    for (file, text) in &texts {
        if !is_mod_rs(file) {
            continue;
        }
        let base = module_of(file);
        for line in blank(text).lines() {
            let line = line.trim();
            let Some(rest) = line.strip_prefix("pub use ") else {
                continue;
            };
            let first = rest.split("::").next().unwrap_or("");
            let mut child = base.clone();
            child.push(first.to_owned());
            let Some(target) = tree.files.get(&child).cloned() else {
                continue;
            };
            let names = rest
                .trim_end_matches(';')
                .split_once("::")
                .map_or("", |(_, names)| names);
            for name in names
                .trim_matches(|c| c == '{' || c == '}')
                .split(',')
                .map(|n| n.trim().rsplit(" as ").next().unwrap_or("").trim())
                .filter(|n| !n.is_empty())
            {
                reexports.insert((file.clone(), name.to_owned()), target.clone());
            }
        }
    }
    tree.reexports = reexports;
    let mut out = Vec::new();
    for (file, paths) in &written {
        for path in paths {
            let Some(module) = Tree::absolute(path) else {
                continue;
            };
            let Some(target) = tree.resolve(&module) else {
                continue;
            };
            if target == *file || is_own_child(file, &target) {
                continue;
            }
            out.push(Edge {
                from: file.clone(),
                to: target,
                line: path.line,
                path: path.segments.join("::"),
            });
        }
    }
    out
}

fn upward_violations(edges: &[Edge]) -> Vec<(&Edge, String)> {
    edges
        .iter()
        .filter_map(|edge| {
            let (from, from_name) = layer_of(&edge.from)?;
            let (to, to_name) = layer_of(&edge.to)?;
            (to > from).then(|| {
                (
                    edge,
                    format!(
                        "src/{}:{}: layer `{from_name}` imports `{}` of the higher layer `{to_name}` ({})",
                        edge.from, edge.line, edge.to, edge.path
                    ),
                )
            })
        })
        .collect()
}

/// Strongly connected components of more than one file (Tarjan).
fn circles(edges: &[Edge]) -> Vec<BTreeSet<String>> {
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for edge in edges {
        graph.entry(&edge.from).or_default().insert(&edge.to);
        graph.entry(&edge.to).or_default();
    }
    struct State<'a> {
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        out: Vec<BTreeSet<String>>,
    }
    fn visit<'a>(node: &'a str, graph: &BTreeMap<&'a str, BTreeSet<&'a str>>, s: &mut State<'a>) {
        s.index.insert(node, s.next);
        s.low.insert(node, s.next);
        s.next += 1;
        s.stack.push(node);
        s.on_stack.insert(node);
        for &next in &graph[node] {
            if !s.index.contains_key(next) {
                visit(next, graph, s);
                let low = s.low[node].min(s.low[next]);
                s.low.insert(node, low);
            } else if s.on_stack.contains(next) {
                let low = s.low[node].min(s.index[next]);
                s.low.insert(node, low);
            }
        }
        if s.low[node] == s.index[node] {
            let mut component = BTreeSet::new();
            while let Some(top) = s.stack.pop() {
                s.on_stack.remove(top);
                component.insert(top.to_owned());
                if top == node {
                    break;
                }
            }
            if component.len() > 1 {
                s.out.push(component);
            }
        }
    }
    let mut state = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for &node in graph.keys() {
        if !state.index.contains_key(node) {
            visit(node, &graph, &mut state);
        }
    }
    state.out
}

#[test]
fn every_file_has_a_layer() {
    let unmapped: Vec<String> = source_files(&main_dir())
        .into_iter()
        .filter(|f| layer_of(f).is_none())
        .collect();
    assert!(
        unmapped.is_empty(),
        "files in no layer (add them to LAYERS here and to ARCHITECTURE.md): {unmapped:?}"
    );
}

#[test]
fn no_module_imports_a_higher_layer_or_sits_in_an_import_circle() {
    let edges = edges();
    assert!(
        edges.len() > 300,
        "the parser found only {} imports: it is broken",
        edges.len()
    );
    // No exceptions: every upward import and every circle is a failure.
    let mut problems: Vec<String> = upward_violations(&edges)
        .into_iter()
        .map(|(_, message)| message)
        .collect();
    for component in circles(&edges) {
        let inside: Vec<String> = edges
            .iter()
            .filter(|e| component.contains(&e.from) && component.contains(&e.to))
            .map(|e| format!("  src/{}:{} uses {} ({})", e.from, e.line, e.to, e.path))
            .collect();
        problems.push(format!(
            "import circle between {:?}:\n{}",
            component,
            inside.join("\n")
        ));
    }
    assert!(
        problems.is_empty(),
        "{} layering problem(s) (see ARCHITECTURE.md):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The parser itself, on the shapes it must read.
#[test]
fn the_parser_reads_use_trees_code_paths_and_skips_comments_and_strings() {
    let text = r#"
//! crate::doc::comment is not an import
use crate::a::{b, c::{d, e as f}};
use super::g;
pub use self::h::I;
fn x() {
    let s = "crate::in_string::no";
    crate::code::path(1);
    let c = '"'; crate::after_char::ok();
    /* crate::block::comment */
}
mod tests {
    use super::*;
}
"#;
    let paths: Vec<(String, usize)> = written_paths("m/n.rs", text)
        .into_iter()
        .map(|w| (w.segments.join("::"), w.line))
        .collect();
    let names: Vec<&str> = paths.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        names,
        [
            "crate::a::b",
            "crate::a::c::d",
            "crate::a::c::e",
            "super::g",
            "self::h::I",
            "crate::code::path",
            "crate::after_char::ok",
            "super",
        ],
        "{paths:?}"
    );
    assert_eq!(paths[0].1, 3);
    assert_eq!(paths[5].1, 8);
}
