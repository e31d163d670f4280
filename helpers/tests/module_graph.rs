//! The crate's top-level modules import each other in one direction only.
//!
//! This test reads `src/`, lists every `crate::…` path each module names (its `use`
//! lines and its inline paths, tests included; comments and doc comments left out),
//! maps a name re-exported at the crate root (`crate::Error`) to the module it comes
//! from, and fails naming the cycle if one module reaches back to itself through others.
//! The layout it protects is drawn in the crate docs (`src/lib.rs`, "Layout").

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The code of a file with comment lines and trailing `//` comments removed (a `//`
/// inside a string literal ends the line early; that can only drop an edge found in
/// a message text, never invent one).
fn code_of(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("//") {
            continue;
        }
        let code = match line.find("//") {
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level names a `crate::` path starts with: `crate::a::B` gives `a`,
/// `crate::{a::B, C}` gives `a` and `C`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `mycrate::`, not ours
        }
        if let Some(group) = rest.strip_prefix('{') {
            // A braced group: take the first name of each top-level item.
            let mut depth = 0;
            let mut start = true;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && (c.is_alphanumeric() || c == '_') => {
                        found.push(ident_at(&group[k..]).to_string());
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident_at(rest);
            if !name.is_empty() {
                found.push(name.to_string());
            }
        }
    }
    found
}

/// Which module each name re-exported at the root comes from (`pub use record::{Lane,
/// …};` in lib.rs gives `Lane → record`).
fn root_names(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let code = code_of(lib);
    let mut rest = code.as_str();
    while let Some(i) = rest.find("pub use ") {
        rest = &rest[i + "pub use ".len()..];
        let module = ident_at(rest).to_string();
        if module == "crate" || module.is_empty() {
            continue;
        }
        let after = &rest[module.len()..];
        let Some(after) = after.strip_prefix("::") else {
            continue; // `pub use rayon;`: an outside crate
        };
        let end = after.find(';').unwrap_or(after.len());
        let items = after[..end].trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            let last = item.trim().rsplit("::").next().unwrap_or("").trim();
            if !last.is_empty() {
                names.insert(last.to_string(), module.clone());
            }
        }
    }
    names
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module graph of the crate under `src`: top-level module → modules it names,
/// with or without what its unit tests name (a `#[cfg(test)] mod tests` at the end of a
/// file, or a `tests.rs`).
fn module_graph(src: &Path, with_tests: bool) -> Graph {
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let roots = root_names(&lib);
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut graph = Graph::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" {
            continue; // the root re-exports everything; it is the top of the graph
        }
        let mut text = std::fs::read_to_string(&file).unwrap();
        if !with_tests {
            if file.file_name().is_some_and(|n| n == "tests.rs") {
                continue;
            }
            if let Some(at) = text.find("#[cfg(test)]\nmod tests {") {
                text.truncate(at);
            }
        }
        let code = code_of(&text);
        let edges = graph.entry(module.clone()).or_default();
        for name in crate_paths(&code) {
            let target = roots.get(&name).cloned().unwrap_or(name);
            if target != module {
                edges.insert(target);
            }
        }
    }
    // Names that are neither modules nor root re-exports (a root function such as
    // `crate::ready`) point at lib: keep only edges to modules.
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for edges in graph.values_mut() {
        edges.retain(|e| modules.contains(e));
    }
    graph
}

/// A cycle in `graph` as the modules along it (first repeated at the end), if any.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(k) = path.iter().position(|p| p == node) {
            let mut cycle = path[k..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, done, path) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut done, &mut Vec::new()))
}

fn graph_of(edges: &[(&str, &str)]) -> Graph {
    let mut g = Graph::new();
    for (a, b) in edges {
        g.entry(a.to_string()).or_default().insert(b.to_string());
        g.entry(b.to_string()).or_default();
    }
    g
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let knot = graph_of(&[("draw", "record"), ("record", "error"), ("error", "draw")]);
    let cycle = find_cycle(&knot).expect("a three-module cycle");
    assert_eq!(cycle.first(), cycle.last());
    assert_eq!(cycle.len(), 4, "{cycle:?}");
    let line = graph_of(&[("draw", "record"), ("record", "error"), ("draw", "error")]);
    assert_eq!(find_cycle(&line), None);
}

#[test]
fn paths_are_read_from_use_lines_groups_and_inline_code() {
    let code = code_of(
        "use crate::error::{Error, Result};\n\
         use crate::{Recorder, draw::Bars};\n\
         // use crate::commented::Out;\n\
         fn f() { crate::show::emit(\"x\", \"y\"); $crate::Figure::new() }\n\
         let s = \"https://x\"; mycrate::nope();",
    );
    assert_eq!(
        crate_paths(&code),
        ["error", "Recorder", "draw", "show", "Figure"]
    );
    let roots = root_names("pub use record::{Kind, Lane};\npub use draw::Figure;\npub use rayon;");
    assert_eq!(roots["Lane"], "record");
    assert_eq!(roots["Figure"], "draw");
    assert!(!roots.contains_key("rayon"));
}

#[test]
fn the_crate_modules_import_each_other_one_way() {
    let graph = module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), true);
    let listing: Vec<String> = graph
        .iter()
        .map(|(m, e)| {
            format!(
                "{m} -> {}",
                e.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    assert!(
        graph.contains_key("record") && graph.contains_key("draw"),
        "{listing:#?}"
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "import cycle: {}\nthe module graph:\n{}",
            cycle.join(" -> "),
            listing.join("\n")
        );
    }
    println!("{}", listing.join("\n"));
}

/// The layer table in the crate docs: module → (layer, the modules it says it uses).
fn documented_layers(lib: &str) -> BTreeMap<String, (u32, BTreeSet<String>)> {
    let mut table = BTreeMap::new();
    let start = lib
        .find("//! layer  module")
        .expect("the layer table in lib.rs");
    for line in lib[start..].lines().skip(1) {
        let row = line.trim_start_matches("//!").trim();
        if row.starts_with("```") {
            break;
        }
        let mut words = row.split_whitespace();
        let layer: u32 = words.next().unwrap().parse().unwrap();
        let module = words.next().unwrap().to_string();
        let rest: Vec<&str> = words.collect();
        let uses = if rest.join(" ") == "nothing of the crate" {
            BTreeSet::new()
        } else {
            rest.iter()
                .map(|w| w.trim_end_matches(',').to_string())
                .collect()
        };
        table.insert(module, (layer, uses));
    }
    table
}

#[test]
fn the_crate_docs_draw_the_graph_as_it_is() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let graph = module_graph(&root.join("src"), false);
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let table = documented_layers(&lib);
    let modules: BTreeSet<&String> = graph.keys().collect();
    assert_eq!(modules, table.keys().collect(), "every module has one row");
    for (module, edges) in &graph {
        let (layer, uses) = &table[module];
        assert_eq!(edges, uses, "lib.rs's layer table, the row of {module}");
        for used in edges {
            assert!(
                table[used].0 < *layer,
                "{module} (layer {layer}) uses {used} (layer {})",
                table[used].0
            );
        }
    }
}
