//! The house keeps its architecture (docs/architecture.md): no hand-written source file over
//! 700 lines, no import cycle between files, and every top-level module of the library uses
//! only the modules its layer allows.
//!
//! The import graph is read from the sources with a small lexer, not from the compiler: a file
//! depends on another when it names it in a `use` or in a path (`crate::…`, `super::…`,
//! `self::…`, or a child module's name). Parents and children count like any other pair, so a
//! `mod.rs` that re-exports its children must not also hold items they import: it stays a
//! facade, and children name the sibling that defines what they need.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// Longest a hand-written source file may grow (the fonts are not Rust; generated code is in
/// `OUT_DIR`).
const MAX_LINES: usize = 700;

/// What each top-level module of the library may use, besides itself. Dependencies point one
/// way: from the interfaces and the wiring down to the pure domain rules.
const LAYERS: &[(&str, &[&str])] = &[
    ("flow", &[]),
    ("crypto", &[]),
    ("ledger", &[]),
    ("proto", &[]),
    ("pki", &["flow", "crypto"]),
    ("access", &["crypto"]),
    ("cms", &["crypto", "pki"]),
    ("pdf", &["flow", "crypto", "pki", "cms"]),
    ("record", &["flow", "crypto", "pki", "cms", "proto"]),
    ("archive", &["flow", "ledger", "crypto"]),
    ("verify", &["flow", "crypto", "pki", "cms", "pdf", "record"]),
    (
        "package",
        &[
            "flow", "crypto", "pki", "cms", "ledger", "record", "archive", "verify",
        ],
    ),
    (
        "service",
        &[
            "flow", "crypto", "pki", "cms", "pdf", "ledger", "record", "archive", "verify",
            "package", "proto", "access",
        ],
    ),
    (
        "grpc",
        &[
            "service", "flow", "crypto", "pki", "pdf", "ledger", "record", "archive", "verify",
            "proto", "access",
        ],
    ),
    // The pages name their callers as gRPC does: citizens are `access::Caller::anonymous()`.
    (
        "web",
        &["service", "flow", "cms", "archive", "verify", "access"],
    ),
    // Events out: reads the outbox through the archive's contracts, like an interface.
    ("notify", &["archive", "flow"]),
    (
        "server",
        &[
            "grpc", "web", "notify", "service", "flow", "crypto", "pki", "cms", "ledger",
            "archive", "verify", "proto", "access",
        ],
    ),
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Semi,
    Other,
}

/// Rust tokens, as far as imports need them: comments, strings, chars and lifetimes skipped.
fn lex(src: &str) -> Vec<Token> {
    let chars: Vec<char> = src.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = at(i);
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && at(i) != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if at(i) == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if at(i) == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if (c == 'r' || (c == 'b' && at(i + 1) == 'r'))
            && matches!(at(i + if c == 'b' { 2 } else { 1 }), '"' | '#')
            && (i == 0 || !is_ident_char(at(i - 1)))
        {
            // A raw string: r"…", r#"…"#, br"…".
            let mut j = i + if c == 'b' { 2 } else { 1 };
            let mut hashes = 0;
            while at(j) == '#' {
                hashes += 1;
                j += 1;
            }
            if at(j) != '"' {
                // `r#ident`, a raw identifier.
                let start = j;
                while is_ident_char(at(j)) {
                    j += 1;
                }
                tokens.push(Token::Ident(chars[start..j].iter().collect()));
                i = j;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if at(j) == '"' && (1..=hashes).all(|k| at(j + k) == '#') {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            tokens.push(Token::Other);
            i = j;
        } else if c == '"' || (c == 'b' && at(i + 1) == '"') {
            let mut j = i + if c == 'b' { 2 } else { 1 };
            while j < chars.len() && at(j) != '"' {
                j += if at(j) == '\\' { 2 } else { 1 };
            }
            tokens.push(Token::Other);
            i = j + 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
            if at(i + 1) == '\\' {
                let mut j = i + 2;
                while j < chars.len() && at(j) != '\'' {
                    j += 1;
                }
                i = j + 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
                while is_ident_char(at(i)) {
                    i += 1;
                }
            }
            tokens.push(Token::Other);
        } else if is_ident_char(c) && !c.is_ascii_digit() {
            let start = i;
            while is_ident_char(at(i)) {
                i += 1;
            }
            tokens.push(Token::Ident(chars[start..i].iter().collect()));
        } else if c == ':' && at(i + 1) == ':' {
            tokens.push(Token::PathSep);
            i += 2;
        } else {
            tokens.push(match c {
                '{' => Token::Open,
                '}' => Token::Close,
                ',' => Token::Comma,
                ';' => Token::Semi,
                _ => Token::Other,
            });
            i += 1;
        }
    }
    tokens
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// One source file: the child modules it declares, and every path it names, each with the
/// inline module it was named in.
struct SourceFile {
    children: BTreeSet<String>,
    paths: Vec<(Vec<String>, Vec<String>)>,
}

fn parse(src: &str) -> SourceFile {
    let tokens = lex(src);
    let ident = |i: usize| match tokens.get(i) {
        Some(Token::Ident(s)) => Some(s.as_str()),
        _ => None,
    };
    let mut children = BTreeSet::new();
    let mut paths = Vec::new();
    // Inline modules (`mod tests { … }`) and the brace depth at which each was opened.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut pending_inline: Option<String> = None;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Open => {
                depth += 1;
                if let Some(name) = pending_inline.take() {
                    inline.push((name, depth));
                }
            }
            Token::Close => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        let scope: Vec<String> = inline.iter().map(|(n, _)| n.clone()).collect();
        if ident(i) == Some("mod") {
            if let Some(name) = ident(i + 1) {
                match tokens.get(i + 2) {
                    Some(Token::Semi) if inline.is_empty() => {
                        children.insert(name.to_owned());
                    }
                    Some(Token::Open) => pending_inline = Some(name.to_owned()),
                    _ => {}
                }
                i += 2;
                continue;
            }
        }
        if ident(i) == Some("use") {
            let mut j = i + 1;
            let mut found = Vec::new();
            use_tree(&tokens, &mut j, Vec::new(), &mut found);
            for path in found {
                paths.push((scope.clone(), path));
            }
            i = j;
            continue;
        }
        // A path in code: `a::b::c`, read from its first segment.
        if let Some(first) = ident(i) {
            let after_sep = i > 0 && tokens.get(i - 1) == Some(&Token::PathSep);
            if !after_sep && tokens.get(i + 1) == Some(&Token::PathSep) {
                let mut path = vec![first.to_owned()];
                let mut j = i + 1;
                while tokens.get(j) == Some(&Token::PathSep) {
                    match ident(j + 1) {
                        Some(seg) => path.push(seg.to_owned()),
                        None => break,
                    }
                    j += 2;
                }
                paths.push((scope, path));
                i = j;
                continue;
            }
        }
        i += 1;
    }
    SourceFile { children, paths }
}

/// Reads a use tree starting at `*i`, appending every full path it names.
fn use_tree(tokens: &[Token], i: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    loop {
        match tokens.get(*i) {
            Some(Token::Ident(s)) if s == "as" => {
                *i += 2;
            }
            Some(Token::Ident(s)) => {
                path.push(s.clone());
                *i += 1;
            }
            Some(Token::PathSep) => *i += 1,
            Some(Token::Open) => {
                *i += 1;
                loop {
                    use_tree(tokens, i, path.clone(), out);
                    match tokens.get(*i) {
                        Some(Token::Comma) => *i += 1,
                        Some(Token::Close) => {
                            *i += 1;
                            return;
                        }
                        _ => return,
                    }
                    if tokens.get(*i) == Some(&Token::Close) {
                        *i += 1;
                        return;
                    }
                }
            }
            Some(Token::Other) => {
                // `*` of a glob, or a stray token: the path so far is what is used.
                *i += 1;
            }
            _ => {
                if !path.is_empty() {
                    out.push(path);
                }
                return;
            }
        }
    }
}

fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs").to_owned();
        if !matches!(stem.as_str(), "mod" | "lib" | "main") {
            parts.push(stem);
        }
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// One crate's files keyed by module path, and the file-level import graph between them.
struct Crate {
    files: BTreeMap<Vec<String>, SourceFile>,
}

impl Crate {
    fn read(root: &Path, skip: &[&str]) -> Crate {
        let mut paths = Vec::new();
        rust_files(root, &mut paths);
        let mut files = BTreeMap::new();
        for path in paths {
            let relative = path.strip_prefix(root).expect("under the root");
            if skip.iter().any(|s| relative.starts_with(s)) {
                continue;
            }
            let src = fs::read_to_string(&path).expect("a UTF-8 source file");
            files.insert(module_of(relative), parse(&src));
        }
        Crate { files }
    }

    /// The file a path names, from a file at `module` inside its inline modules `scope`.
    fn resolve(&self, module: &[String], scope: &[String], path: &[String]) -> Option<Vec<String>> {
        let first = path.first()?;
        let here: Vec<String> = module.iter().chain(scope).cloned().collect();
        let (mut base, rest): (Vec<String>, &[String]) = match first.as_str() {
            "crate" => (Vec::new(), &path[1..]),
            "self" => (here, &path[1..]),
            "super" => {
                let mut base = here;
                let mut rest = path;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                (base, rest)
            }
            // A bare path from a file to one of the child modules it declares.
            child
                if scope.is_empty()
                    && self
                        .files
                        .get(module)
                        .is_some_and(|f| f.children.contains(child)) =>
            {
                (module.to_vec(), path)
            }
            _ => return None,
        };
        // Inline modules live in their file: strip them to find the file.
        while !base.is_empty() && !self.files.contains_key(&base) {
            base.pop();
        }
        let mut best = base.clone();
        for segment in rest {
            base.push(segment.clone());
            if self.files.contains_key(&base) {
                best = base.clone();
            } else {
                break;
            }
        }
        Some(best)
    }

    fn edges(&self) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
        let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
        for (module, file) in &self.files {
            let targets = edges.entry(module.clone()).or_default();
            for (scope, path) in &file.paths {
                if let Some(target) = self.resolve(module, scope, path) {
                    if &target != module {
                        targets.insert(target);
                    }
                }
            }
        }
        edges
    }
}

fn name(module: &[String]) -> String {
    if module.is_empty() {
        "crate root".to_owned()
    } else {
        module.join("::")
    }
}

/// A cycle of the graph, if there is one, as the modules along it.
fn find_cycle(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Option<Vec<Vec<String>>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        marks: &mut BTreeMap<Vec<String>, Mark>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        marks.insert(node.clone(), Mark::Open);
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            match marks.get(next) {
                Some(Mark::Open) => {
                    let start = stack.iter().position(|m| m == next).unwrap_or(0);
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Some(Mark::Done) => {}
                None => {
                    if let Some(cycle) = visit(next, edges, marks, stack) {
                        return Some(cycle);
                    }
                }
            }
        }
        stack.pop();
        marks.insert(node.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in edges.keys() {
        if !marks.contains_key(node) {
            if let Some(cycle) = visit(node, edges, &mut marks, &mut Vec::new()) {
                return Some(cycle);
            }
        }
    }
    None
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn library() -> Crate {
    Crate::read(&src(), &["bin"])
}

fn binary() -> Crate {
    Crate::read(&src().join("bin/ketqua"), &[])
}

#[test]
fn no_source_file_is_over_the_limit() {
    let mut paths = Vec::new();
    rust_files(&src(), &mut paths);
    let long: Vec<String> = paths
        .iter()
        .filter_map(|path| {
            let lines = fs::read_to_string(path).ok()?.lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", path.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split these along their seams (at most {MAX_LINES} lines): {long:#?}"
    );
    // The check reads something: a crate this size has dozens of files.
    assert!(paths.len() > 50, "only {} files found", paths.len());
}

#[test]
fn no_import_cycles_between_files() {
    for (what, krate) in [("library", library()), ("binary", binary())] {
        let edges = krate.edges();
        assert!(
            edges.values().map(BTreeSet::len).sum::<usize>() > 0,
            "the {what}'s import graph has no edges: the reader is broken"
        );
        if let Some(cycle) = find_cycle(&edges) {
            let names: Vec<String> = cycle.iter().map(|m| name(m)).collect();
            panic!("import cycle in the {what}: {}", names.join(" -> "));
        }
    }
}

#[test]
fn modules_use_only_the_layers_beneath_them() {
    let krate = library();
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut breaches = BTreeSet::new();
    let mut top_level = BTreeSet::new();
    for (from, targets) in krate.edges() {
        let Some(from_top) = from.first() else {
            continue;
        };
        top_level.insert(from_top.clone());
        let Some(may_use) = allowed.get(from_top.as_str()) else {
            breaches.insert(format!(
                "{from_top} is not in the LAYERS table of tests/layout.rs"
            ));
            continue;
        };
        for target in targets {
            match target.first() {
                Some(to_top) if to_top != from_top && !may_use.contains(&to_top.as_str()) => {
                    breaches.insert(format!(
                        "{} uses {}, but {from_top} may only use {may_use:?}",
                        name(&from),
                        name(&target)
                    ));
                }
                None => {
                    breaches.insert(format!(
                        "{} uses the crate root; name the module instead",
                        name(&from)
                    ));
                }
                _ => {}
            }
        }
    }
    assert!(breaches.is_empty(), "layering breached: {breaches:#?}");
    assert!(top_level.len() >= 10, "only {top_level:?} found");
}

#[test]
fn the_reader_sees_what_a_file_imports() {
    let file = parse(
        r#"
        //! use crate::not_this;
        use super::{c::{D, E as F}, g};
        use crate::h::*;
        mod child;
        fn f() { let s = "crate::nor_this"; child::x(); ::std::mem::drop(s); crate::i::j(); }
        #[cfg(test)]
        mod tests { use super::*; use crate::k; }
        "#,
    );
    let paths: Vec<String> = file
        .paths
        .iter()
        .map(|(scope, p)| format!("{}:{}", scope.join("/"), p.join("::")))
        .collect();
    assert_eq!(
        paths,
        [
            ":super::c::D",
            ":super::c::E",
            ":super::g",
            ":crate::h",
            ":child::x",
            ":crate::i::j",
            "tests:super",
            "tests:crate::k",
        ]
    );
    assert_eq!(file.children, BTreeSet::from(["child".to_owned()]));
}
