//! No import circles in `src/` (issue 29): no module uses another that uses it back, directly or
//! through others. A module is a file (`src/a.rs` or `src/a/mod.rs` is `a`, `src/a/b.rs` is
//! `a::b`); it uses the module that a path in its code names (`crate::..`, `super::..`,
//! `self::..`, or a child's name in a module that has children; `use` trees with braces
//! expanded), resolved to the longest module prefix. Not uses: `mod x;` declarations, a
//! module's `pub use` of its own descendants (presenting them, as `geometry` re-exports
//! `relax::relax`), comments, string literals, and `#[cfg(test)]` items (unit tests may reach
//! anywhere). `src/main.rs` is the binary, a crate of its own, and is left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;

fn name(m: &[String]) -> String {
    if m.is_empty() {
        "crate".to_string()
    } else {
        m.join("::")
    }
}

/// Every module file under `dir` (the crate root, `src/`): module path -> source text.
fn module_files(dir: &Path, prefix: &[String], out: &mut BTreeMap<Module, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            let mut sub = prefix.to_vec();
            sub.push(stem);
            module_files(&path, &sub, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let module = match (prefix.is_empty(), stem.as_str()) {
                (true, "main") => continue,
                (true, "lib") | (false, "mod") => prefix.to_vec(),
                _ => prefix.iter().cloned().chain([stem]).collect(),
            };
            out.insert(module, std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// The code without comments (nested block comments included) and with string and character
/// literals emptied, so that neither can look like a path.
fn strip(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let ident_before = |i: usize| i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_');
    while i < c.len() {
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if !ident_before(i) && (c[i] == 'r' || (c[i] == 'b' && c.get(i + 1) == Some(&'r'))) && {
            let j = i + if c[i] == 'b' { 2 } else { 1 };
            let hashes = c[j..].iter().take_while(|&&h| h == '#').count();
            c.get(j + hashes) == Some(&'"')
        } {
            // Raw string r"..", r#".."#, br"..": ends at '"' followed by as many '#'.
            let j = i + if c[i] == 'b' { 2 } else { 1 };
            let hashes = c[j..].iter().take_while(|&&h| h == '#').count();
            i = j + hashes + 1;
            while i < c.len() && !(c[i] == '"' && c[i + 1..].iter().take(hashes).filter(|&&h| h == '#').count() == hashes) {
                i += 1;
            }
            i += 1 + hashes;
            out.push_str("\"\"");
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c[i] == '\'' && (c.get(i + 1) == Some(&'\\') || c.get(i + 2) == Some(&'\'')) {
            // A character literal ('x', '\n', '\'', '\u{..}'); a lifetime ('a) has no closing quote.
            i += 1;
            while i < c.len() && c[i] != '\'' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// Identifiers, `::` and single punctuation characters.
fn tokens(code: &str) -> Vec<String> {
    let c: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if c[i].is_alphanumeric() || c[i] == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push(c[start..i].iter().collect());
        } else if c[i] == ':' && c.get(i + 1) == Some(&':') {
            out.push("::".to_string());
            i += 2;
        } else {
            if !c[i].is_whitespace() {
                out.push(c[i].to_string());
            }
            i += 1;
        }
    }
    out
}

/// The tokens without `#[cfg(test)]` items: the attribute and the item after it, up to its `;`
/// or through its balanced `{ }`.
fn without_test_items(t: Vec<String>) -> Vec<String> {
    let attr = ["#", "[", "cfg", "(", "test", ")", "]"];
    let mut out = Vec::with_capacity(t.len());
    let mut i = 0;
    while i < t.len() {
        if t[i..].starts_with(&attr.map(String::from)) {
            i += attr.len();
            while i < t.len() && t[i] != ";" && t[i] != "{" {
                i += 1;
            }
            if i < t.len() && t[i] == "{" {
                let mut depth = 0;
                while i < t.len() {
                    depth += match t[i].as_str() {
                        "{" => 1,
                        "}" => -1,
                        _ => 0,
                    };
                    i += 1;
                    if depth == 0 {
                        break;
                    }
                }
            } else {
                i += 1;
            }
        } else {
            out.push(t[i].clone());
            i += 1;
        }
    }
    out
}

fn is_ident(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// Parses a path or `use` tree from `t[*i]` (`a::b::{c, d::{self, e}}`): every full path it
/// names, as segments.
fn path_tree(t: &[String], i: &mut usize) -> Vec<Vec<String>> {
    let mut segments = Vec::new();
    while *i < t.len() && is_ident(&t[*i]) {
        segments.push(t[*i].clone());
        *i += 1;
        if t.get(*i).map(String::as_str) != Some("::") {
            return vec![segments];
        }
        *i += 1;
    }
    if t.get(*i).map(String::as_str) != Some("{") {
        return vec![segments];
    }
    *i += 1;
    let mut out = Vec::new();
    while *i < t.len() && t[*i] != "}" {
        for tail in path_tree(t, i) {
            out.push(segments.iter().cloned().chain(tail).collect());
        }
        while *i < t.len() && t[*i] != "," && t[*i] != "}" {
            *i += 1; // `as name`, `*`
        }
        if t.get(*i).map(String::as_str) == Some(",") {
            *i += 1;
        }
    }
    *i += 1;
    out
}

/// module -> the modules it uses (itself and unknown paths left out).
fn import_graph(files: &BTreeMap<Module, String>) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut graph = BTreeMap::new();
    for (module, text) in files {
        let t = without_test_items(tokens(&strip(text)));
        let children: BTreeSet<&str> = files.keys().filter(|k| k.len() == module.len() + 1 && k.starts_with(module)).map(|k| k[module.len()].as_str()).collect();
        let mut uses = BTreeSet::new();
        let (mut in_use, mut pub_use) = (false, false);
        let mut i = 0;
        while i < t.len() {
            let tok = t[i].as_str();
            if tok == "mod" && t.get(i + 2).map(String::as_str) == Some(";") {
                i += 3;
                continue;
            }
            if tok == "use" {
                in_use = true;
                // `pub use`, `pub(crate) use`: the tokens before are `pub` or `pub ( .. )`.
                pub_use = i > 0 && (t[i - 1] == "pub" || (t[i - 1] == ")" && t[..i].iter().rev().take(5).any(|x| x == "pub")));
            } else if tok == ";" {
                in_use = false;
            }
            let starts_path = (tok == "crate" || tok == "super" || tok == "self" || children.contains(tok)) && (i == 0 || t[i - 1] != "::") && t.get(i + 1).map(String::as_str) == Some("::");
            if !starts_path {
                i += 1;
                continue;
            }
            for path in path_tree(&t, &mut i) {
                let mut segments = path.into_iter().peekable();
                let mut at: Module = match segments.next().as_deref() {
                    Some("crate") => Vec::new(),
                    Some("super") => module[..module.len().saturating_sub(1)].to_vec(),
                    Some("self") => module.clone(),
                    Some(child) => module.iter().cloned().chain([child.to_string()]).collect(),
                    None => continue,
                };
                while segments.peek().map(String::as_str) == Some("super") {
                    segments.next();
                    at.pop();
                }
                let full: Module = at.into_iter().chain(segments.filter(|s| s != "self")).collect();
                let Some(target) = (0..=full.len()).rev().map(|k| full[..k].to_vec()).find(|p| files.contains_key(p)) else { continue };
                let presents_descendant = in_use && pub_use && target.len() > module.len() && target.starts_with(module);
                if &target != module && !presents_descendant {
                    uses.insert(target);
                }
            }
        }
        graph.insert(module.clone(), uses);
    }
    graph
}

/// The strongly connected components of more than one module (Tarjan's algorithm).
fn circles(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct State<'a> {
        graph: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        out: Vec<Vec<Module>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a Module) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        let graph = s.graph;
        for w in &graph[v] {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.stack.contains(&w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State { graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), out: Vec::new() };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out.sort();
    s.out
}

fn m(path: &str) -> Module {
    if path == "crate" {
        Vec::new()
    } else {
        path.split("::").map(String::from).collect()
    }
}

#[test]
fn the_checker_finds_circles_and_only_real_uses() {
    let files: BTreeMap<Module, String> = [
        ("crate", "pub mod geo;\npub mod tpl;\npub mod quiet;\n"),
        // geo presents its children (pub use) and declares them: neither is a use.
        ("geo", "pub mod relax;\npub mod sites;\npub mod pairs;\npub use relax::relax;\npub(crate) fn v64() {}\n"),
        // The old relax <-> relax_o_cb circle: each uses the other.
        ("geo::relax", "use super::{v64, sites::Sites};\npub fn relax() { let _ = Sites; }\npub(crate) fn grid() {}\n"),
        ("geo::sites", "pub struct Sites;\nfn f() { super::relax::grid(); super::super::quiet::g(); }\n"),
        ("geo::pairs", "use crate::geo::{self, relax::{self}};\n"),
        // A module using its child in code (not a re-export) while the child uses it back.
        ("tpl", "pub mod search;\npub struct Use;\npub fn predict() { search::search(); }\n"),
        ("tpl::search", "use super::Use;\npub fn search() {}\n"),
        // Comments, strings, char literals and unit tests name paths that are no uses.
        ("quiet", "// crate::geo::relax::relax()\n/* crate::tpl /* nested */ crate::geo */\npub fn g() { let _ = \"crate::tpl::search\"; let _ = r#\"super::geo\"#; let _ = '\"'; }\nfn h<'a>(x: &'a str) -> &'a str { x }\n#[cfg(test)]\nmod tests { use crate::tpl::search; }\n"),
    ]
    .into_iter()
    .map(|(k, v)| (m(k), v.to_string()))
    .collect();
    let graph = import_graph(&files);
    let edges = |k: &str| graph[&m(k)].iter().map(|x| name(x)).collect::<Vec<_>>();
    assert_eq!(edges("crate"), Vec::<String>::new());
    assert_eq!(edges("geo"), Vec::<String>::new());
    assert_eq!(edges("geo::relax"), ["geo", "geo::sites"]);
    assert_eq!(edges("geo::sites"), ["geo::relax", "quiet"]);
    assert_eq!(edges("geo::pairs"), ["geo", "geo::relax"]);
    assert_eq!(edges("tpl"), ["tpl::search"]);
    assert_eq!(edges("quiet"), Vec::<String>::new());
    assert_eq!(circles(&graph), vec![vec![m("geo::relax"), m("geo::sites")], vec![m("tpl"), m("tpl::search")]]);
}

#[test]
fn src_has_no_import_circles() {
    let mut files = BTreeMap::new();
    module_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &[], &mut files);
    let graph = import_graph(&files);
    // The graph is read from the real code (a checker that saw nothing would pass too).
    for (from, to) in [("geometry::relax", "geometry::relax_o_cb"), ("geometry::relax_o_cb", "geometry::pairs"), ("templates::search", "templates::profile"), ("templates::profile", "templates::align"), ("templates", "templates::search"), ("model::trunk", "model::config"), ("predict", "templates")] {
        assert!(graph[&m(from)].contains(&m(to)), "{from} should use {to}: {:?}", graph[&m(from)]);
    }
    let found = circles(&graph);
    let report: Vec<String> = found
        .iter()
        .map(|c| {
            let uses: Vec<String> = c.iter().flat_map(|a| graph[a].iter().filter(|b| c.contains(b)).map(move |b| format!("{} -> {}", name(a), name(b)))).collect();
            format!("[{}]: {}", c.iter().map(|x| name(x)).collect::<Vec<_>>().join(", "), uses.join("; "))
        })
        .collect();
    assert!(found.is_empty(), "import circles in src/:\n{}", report.join("\n"));
}
