//! The module graph: which top-level module of `src/` imports which (`crate::<module>` paths in
//! its files), checked to have no cycle, to keep the layering rules (the core never imports
//! `tauri`; `oauth` and `vault` never import each other or `session`; the leaves import only
//! `error`), and to equal the edge list in the README's "Architecture" section.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Top-level module → the other top-level modules its files name as `crate::<module>`.
fn graph_of_src() -> Graph {
    let src = root().join("src");
    let mut modules = BTreeSet::new();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().unwrap().is_dir() {
            modules.insert(name);
        } else if let Some(m) = name.strip_suffix(".rs") {
            if m != "lib" {
                modules.insert(m.to_string());
            }
        }
    }
    let mut graph = Graph::new();
    for m in &modules {
        let mut files = Vec::new();
        let (dir, file) = (src.join(m), src.join(format!("{m}.rs")));
        if file.exists() {
            files.push(file);
        }
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    files.push(p);
                }
            }
        }
        let deps = graph.entry(m.clone()).or_default();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for (i, _) in text.match_indices("crate::") {
                let rest = &text[i + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if name != *m && modules.contains(&name) {
                    deps.insert(name);
                }
            }
            // The Tauri shell: the commands, the managed state and the native plugin glue.
            if !["commands", "token_vault", "mobile"].contains(&m.as_str())
                && text.contains("tauri::")
            {
                panic!("{} is core and must not name `tauri::`", f.display());
            }
        }
    }
    graph
}

/// The edge list in the README between `<!-- module-graph -->` markers: `a → b, c` per line.
fn graph_in_readme() -> Graph {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("<!-- module-graph -->")
        .expect("README has a module-graph block");
    let end = readme[start + 1..]
        .find("<!-- /module-graph -->")
        .expect("the block is closed")
        + start
        + 1;
    let mut graph = Graph::new();
    for line in readme[start..end].lines() {
        let Some((from, to)) = line.split_once('→') else {
            continue;
        };
        let clean = |s: &str| {
            s.trim()
                .trim_start_matches("- ")
                .trim_matches('`')
                .trim()
                .to_string()
        };
        let deps = graph.entry(clean(from)).or_default();
        for d in to
            .split(',')
            .map(clean)
            .filter(|d| !d.is_empty() && d != "—")
        {
            deps.insert(d);
        }
    }
    graph
}

fn find_cycle(g: &Graph) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &Graph,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(2) => return None,
            Some(1) => {
                let at = path.iter().position(|p| p == n).unwrap();
                let mut cycle = path[at..].to_vec();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(n.to_string(), 1);
        path.push(n.to_string());
        for d in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, g, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in g.keys() {
        if let Some(c) = visit(n, g, &mut state, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_module_graph_has_no_cycle_and_keeps_the_layering_rules() {
    let g = graph_of_src();
    assert!(g.len() >= 10, "modules found: {g:?}");
    if let Some(cycle) = find_cycle(&g) {
        panic!("import cycle: {}", cycle.join(" → "));
    }
    for leaf in ["error", "secret", "url_policy", "models", "http"] {
        let deps = &g[leaf];
        assert!(
            deps.iter().all(|d| d == "error"),
            "{leaf} is a leaf and imports only `error`: {deps:?}"
        );
    }
    for (a, b) in [("oauth", "vault"), ("vault", "oauth")] {
        assert!(!g[a].contains(b), "{a} must not import {b}");
    }
    for m in ["oauth", "vault", "redirect"] {
        assert!(!g[m].contains("session"), "{m} must not import session");
    }
}

#[test]
fn the_readme_module_graph_is_the_code_s() {
    assert_eq!(
        graph_in_readme(),
        graph_of_src(),
        "README's module-graph block differs from the imports in src/"
    );
}

#[test]
fn a_planted_cycle_is_found() {
    let mut g = Graph::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_cycle(&g).unwrap(), ["a", "b", "c", "a"]);
    g.get_mut("c").unwrap().clear();
    assert!(find_cycle(&g).is_none());
}
