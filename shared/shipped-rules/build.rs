//! Builds the repository's `rules/` into the binary: rules are code, reviewed in git and
//! shipped with the function.
//!
//! Two forms are written: the files themselves (`EMBEDDED_RULES`), and, when they check
//! clean, the rule set [prepared](rules::RuleSet::prepare) from them (`PREPARED_RULES`),
//! which a cold start reads without parsing YAML or compiling CEL. Rules that do not
//! check leave `PREPARED_RULES` as `None` and print each diagnostic as a cargo warning;
//! the build still succeeds, so `okta-hooks rules check` can be built to explain them,
//! and a function built from them fails its cold start with the same `file:line` errors.

use std::fmt::Write;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    let dir = manifest.join("../../rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"));
    files.sort();
    let mut code = String::from(
        "/// The rules of the repository's `rules/`, built in: `(\"rules/<file>\", text)`.\npub const EMBEDDED_RULES: &[(&str, &str)] = &[\n",
    );
    let mut sources = Vec::with_capacity(files.len());
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let path = file.canonicalize().unwrap_or_else(|_| file.clone());
        let _ = writeln!(
            code,
            "    (\"rules/{name}\", include_str!({:?})),",
            path.display().to_string()
        );
        match std::fs::read_to_string(file) {
            Ok(text) => sources.push((format!("rules/{name}"), text)),
            Err(e) => panic!("cannot read {}: {e}", file.display()),
        }
    }
    code.push_str("];\n\n");
    code.push_str(
        "/// `EMBEDDED_RULES` checked and prepared at build time (`rules::RuleSet::prepare`), or\n/// `None` when they do not check.\npub const PREPARED_RULES: Option<&str> = ",
    );
    match rules::RuleSet::prepare(&sources) {
        Ok(prepared) => {
            let file = out_dir.join("prepared_rules.json");
            if let Err(e) = std::fs::write(&file, prepared) {
                panic!("cannot write {}: {e}", file.display());
            }
            let _ = writeln!(
                code,
                "Some(include_str!({:?}));",
                file.display().to_string()
            );
        }
        Err(diagnostics) => {
            for d in diagnostics {
                println!("cargo:warning={d}");
            }
            code.push_str("None;\n");
        }
    }
    let out = out_dir.join("embedded_rules.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}
