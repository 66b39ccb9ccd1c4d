//! The workspace's structural rules, checked on its sources (the rules are in `ARCHITECTURE.md`
//! under Cross-cutting concerns):
//!
//! * no module cycles: within every module of every crate, the child modules' references to
//!   each other (`use crate::…`, `super::…`, paths in code) form no cycle, so each level reads
//!   as layers (a parent's re-exports of its children, and children using their parent's
//!   items, are structure, not references between siblings);
//! * no library function longer than 120 lines, and no library source file over 700 lines.
//!
//! Test modules (`#[cfg(test)]`, at the end of a file by the workspace's habit), examples,
//! benchmarks and integration tests are not library code and are not checked.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_FN_LINES: usize = 120;
const MAX_FILE_LINES: usize = 700;

/// The crates whose sources are checked, relative to the workspace root.
const CRATES: [&str; 9] = [
    "sim-core",
    "radio",
    "transport",
    "learned",
    "scenarios",
    "scenarios/format",
    "scenarios/cli",
    "viewer",
    "benches/fuzz",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The library part of a source: without its test module and without comments.
fn library_code(src: &str) -> String {
    let src = src.find("#[cfg(test)]").map_or(src, |i| &src[..i]);
    src.lines()
        .map(|l| match l.find("//") {
            // A `//` inside a string literal (a URL) is rare; cutting there only loses
            // references, which the check tolerates.
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module path of a source file (`src/replay/state.rs` → `replay::state`; the crate root
/// and `mod.rs` files are their directory's module).
fn module_of(src_dir: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src_dir).unwrap();
    let mut parts: Vec<String> =
        rel.iter().map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

fn ident_end(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == b'_') {
        i += 1;
    }
    i
}

/// The paths a `crate::`, `super::` or `self::` reference at `i` names, each as segments
/// relative to the anchor; a use-tree's braces give several.
fn paths_at(s: &[u8], mut i: usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    loop {
        if s.get(i) == Some(&b'{') {
            // A group: split at top-level commas, each item continuing the path.
            let (mut depth, mut start) = (0, i + 1);
            let mut j = i;
            while j < s.len() {
                match s[j] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    b',' if depth == 1 => {
                        paths_at(s, skip_ws(s, start), path.clone(), out);
                        start = j + 1;
                    }
                    _ => {}
                }
                j += 1;
            }
            paths_at(s, skip_ws(s, start), path, out);
            return;
        }
        let end = ident_end(s, i);
        if end == i {
            break;
        }
        path.push(String::from_utf8_lossy(&s[i..end]).into_owned());
        if s.get(end..end + 2) == Some(b"::") {
            i = end + 2;
        } else {
            break;
        }
    }
    out.push(path);
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The modules that `code` (of module `me`) refers to, among `modules`.
fn references(code: &str, me: &[String], modules: &BTreeSet<Vec<String>>) -> BTreeSet<Vec<String>> {
    let s = code.as_bytes();
    let mut found = BTreeSet::new();
    for anchor in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(k) = code[from..].find(anchor) {
            let at = from + k;
            from = at + anchor.len();
            if at > 0 && (s[at - 1].is_ascii_alphanumeric() || s[at - 1] == b'_') {
                continue;
            }
            let base: Vec<String> = match anchor {
                "crate::" => Vec::new(),
                "self::" => me.to_vec(),
                _ => {
                    // `super::super::…`
                    let mut base = me.to_vec();
                    base.pop();
                    let mut j = from;
                    while code[j..].starts_with("super::") {
                        base.pop();
                        j += "super::".len();
                    }
                    from = j;
                    base
                }
            };
            let mut paths = Vec::new();
            paths_at(s, from, base, &mut paths);
            for p in paths {
                // The longest prefix that is a module.
                if let Some(m) =
                    (0..=p.len()).rev().map(|n| p[..n].to_vec()).find(|m| modules.contains(m))
                {
                    found.insert(m);
                }
            }
        }
    }
    found
}

/// A cycle in `edges`, if there is one.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let i = stack.iter().position(|x| x == m).unwrap();
                    let mut c = stack[i..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                0 => {
                    if let Some(c) = visit(m, edges, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0
            && let Some(c) = visit(n, edges, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

/// Every sibling-level cycle of a crate's modules.
fn module_cycles(krate: &str) -> Vec<String> {
    let src_dir = root().join(krate).join("src");
    let mut files = Vec::new();
    rust_files(&src_dir, &mut files);
    files.retain(|f| !f.strip_prefix(&src_dir).unwrap().starts_with("bin"));
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(&src_dir, f)).collect();
    let mut refs: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for f in &files {
        let me = module_of(&src_dir, f);
        let code = library_code(&std::fs::read_to_string(f).unwrap());
        for to in references(&code, &me, &modules) {
            refs.push((me.clone(), to));
        }
    }
    // For every parent module, the edges between the children its descendants belong to.
    let mut problems = Vec::new();
    for parent in &modules {
        let child = |m: &Vec<String>| -> Option<String> {
            (m.len() > parent.len() && m[..parent.len()] == parent[..])
                .then(|| m[parent.len()].clone())
        };
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in &refs {
            if let (Some(ca), Some(cb)) = (child(a), child(b))
                && ca != cb
            {
                edges.entry(ca).or_default().insert(cb);
            }
        }
        if let Some(c) = cycle(&edges) {
            let at = if parent.is_empty() {
                krate.to_string()
            } else {
                format!("{krate}::{}", parent.join("::"))
            };
            problems.push(format!("{at}: {}", c.join(" → ")));
        }
    }
    problems
}

#[test]
fn no_module_depends_on_itself_through_its_siblings() {
    let problems: Vec<String> = CRATES.iter().flat_map(|c| module_cycles(c)).collect();
    assert!(problems.is_empty(), "module cycles:\n  {}", problems.join("\n  "));
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    // Two sibling modules that use each other, through `crate::` and `super::`.
    let modules: BTreeSet<Vec<String>> =
        [vec![], vec!["a".into()], vec!["b".into()], vec!["b".into(), "c".into()]].into();
    let a = references("use crate::{b::c::X, other};", &["a".into()], &modules);
    assert_eq!(a, BTreeSet::from([vec!["b".to_string(), "c".to_string()], vec![]]));
    let c = references("let x = super::super::a::f();", &["b".into(), "c".into()], &modules);
    assert_eq!(c, BTreeSet::from([vec!["a".to_string()]]));
    let edges = BTreeMap::from([
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["a".to_string()])),
    ]);
    assert_eq!(cycle(&edges), Some(vec!["a".into(), "b".into(), "a".into()]));
}

/// The functions of `code` longer than `max` lines: (name, first line, lines).
fn long_functions(code: &str, max: usize) -> Vec<(String, usize, usize)> {
    let s = code.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(k) = code[from..].find("fn ") {
        let at = from + k;
        from = at + 3;
        if at > 0 && (s[at - 1].is_ascii_alphanumeric() || s[at - 1] == b'_') {
            continue;
        }
        let name_end = ident_end(s, from);
        if name_end == from {
            continue;
        }
        // The body: the first `{` before a `;` (a declaration without a body has none).
        let Some(open) = code[name_end..].find(['{', ';']).map(|j| name_end + j) else { break };
        if s[open] == b';' {
            continue;
        }
        let (mut depth, mut j) = (0usize, open);
        while j < s.len() {
            match s[j] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        let first = code[..at].matches('\n').count() + 1;
        let lines = code[at..j.min(s.len())].matches('\n').count() + 1;
        if lines > max {
            out.push((String::from_utf8_lossy(&s[from..name_end]).into_owned(), first, lines));
        }
    }
    out
}

#[test]
fn library_functions_and_files_stay_short() {
    let mut problems = Vec::new();
    for krate in CRATES {
        let src_dir = root().join(krate).join("src");
        let mut files = Vec::new();
        rust_files(&src_dir, &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let rel = f.strip_prefix(root()).unwrap().display().to_string();
            let n = text.lines().count();
            if n > MAX_FILE_LINES {
                problems.push(format!("{rel}: {n} lines (at most {MAX_FILE_LINES})"));
            }
            for (name, line, len) in long_functions(&library_code(&text), MAX_FN_LINES) {
                problems.push(format!(
                    "{rel}:{line}: fn {name} is {len} lines (at most {MAX_FN_LINES})"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "too long:\n  {}", problems.join("\n  "));
}

#[test]
fn the_length_check_measures_a_function() {
    let code = format!(
        "fn short() {{ 1 }}\nfn long() {{\n{}}}\ntrait T {{ fn decl(); }}\n",
        "  x;\n".repeat(5)
    );
    assert_eq!(long_functions(&code, 3), vec![("long".to_string(), 2, 7)]);
}
