//! The house's walls, checked: data flows one way through the pipeline crate.
//!
//! Crates already keep the big walls (`mawb-model` depends on nothing of ours, `mawb-wire` on the model,
//! `mawb-sandbox` on the wire and the model; Cargo refuses anything else). Inside the `mawb` crate the
//! modules follow the data flow of ARCHITECTURE.md, and this test fails when a module names a module of a
//! later stage (`crate::later::…`): the error says which file and which edge. Test code (`tests.rs` files and
//! what follows `#[cfg(test)]`) may use anything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The pipeline's modules in data-flow order: a module may name modules of its own rank or lower only.
const RANKS: &[(&str, u8)] = &[
    // Foundations any stage may use: problems, file writing, containment, stdout, locks, the vocabulary
    // and the sandbox (both re-exported crates).
    ("problem", 0),
    ("fsutil", 0),
    ("contain", 0),
    ("out", 0),
    ("outln", 0),
    ("mawb_lock", 0),
    ("allocator", 0),
    ("model", 0),
    ("sandbox", 0),
    // The ACP client (HTTP, retries, model -> wire conversion) and the state database.
    ("acp", 1),
    ("ledger", 2),
    // The stages, in the order data flows through them.
    ("ingest", 3),
    ("validate", 4),
    ("aggregate", 5),
    ("check", 6),
    ("plan", 7),
    ("archive", 8),
    ("flow", 9),
    ("prepare", 9),
    ("report", 10),
    ("runner", 11),
    ("watch", 12),
    ("samples", 13),
    ("cli", 14),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read src") {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`src/flow/steps.rs` is `flow`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    first.trim_end_matches(".rs").to_string()
}

/// Every `crate::name` the non-test code of `text` refers to.
fn crate_refs(text: &str) -> Vec<String> {
    let code = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    };
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        // `crate::{a, b}` groups name several modules.
        if name.is_empty() && after.starts_with('{') {
            let group = &after[1..after.find('}').unwrap_or(after.len())];
            for part in group.split(',') {
                let n: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !n.is_empty() {
                    out.push(n);
                }
            }
        } else if !name.is_empty() {
            out.push(name);
        }
        rest = after;
    }
    out
}

#[test]
fn no_module_names_a_module_of_a_later_stage() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let ranks: BTreeMap<&str, u8> = RANKS.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut back_edges = Vec::new();
    let mut unranked = Vec::new();
    for file in &files {
        if file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let module = module_of(&src, file);
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(&from) = ranks.get(module.as_str()) else {
            unranked.push(module.clone());
            continue;
        };
        let text = std::fs::read_to_string(file).expect("read a source file");
        for target in crate_refs(&text) {
            if target == module {
                continue;
            }
            match ranks.get(target.as_str()) {
                Some(&to) if to > from => back_edges.push(format!(
                    "{}: {module} (rank {from}) names crate::{target} (rank {to}), a later stage",
                    file.strip_prefix(root).unwrap_or(file).display()
                )),
                Some(_) => {}
                None => unranked.push(target),
            }
        }
    }
    unranked.sort();
    unranked.dedup();
    assert!(
        unranked.is_empty(),
        "modules missing from RANKS (add them where they sit in the data flow): {unranked:?}"
    );
    assert!(
        back_edges.is_empty(),
        "data must flow one way (see ARCHITECTURE.md):\n{}",
        back_edges.join("\n")
    );
}

#[test]
fn the_check_sees_a_back_edge_and_a_grouped_import() {
    let refs = crate_refs("use crate::{flow::Outcome, plan};\nfn f() { crate::report::x(); }\n#[cfg(test)]\nuse crate::cli;");
    assert_eq!(refs, vec!["flow", "plan", "report"]);
}

#[test]
fn the_crates_depend_only_downwards() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (krate, forbidden) in [
        ("model", &["mawb-wire", "mawb-sandbox", "mawb ="][..]),
        ("wire", &["mawb-sandbox", "mawb ="][..]),
        ("sandbox", &["mawb ="][..]),
    ] {
        let manifest = std::fs::read_to_string(root.join("crates").join(krate).join("Cargo.toml"))
            .expect("read a crate's Cargo.toml");
        for f in forbidden {
            assert!(
                !manifest.contains(f),
                "crates/{krate} must not depend on {f}: the crate walls are the invariants"
            );
        }
    }
}
