//! Embeds every file under `templates/` in the binary: writes the list of (relative path, text)
//! that `src/templates.rs` includes, so adding a template is adding a file.

use std::path::Path;

fn collect(dir: &Path, rel: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let rel = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let path = e.path();
        if path.is_dir() {
            collect(&path, &rel, out);
        } else {
            out.push(rel);
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    println!("cargo::rerun-if-changed=templates");
    let mut files = Vec::new();
    collect(&root, "", &mut files);
    // Sorted, so the binary is the same whatever order the file system lists them in.
    files.sort();
    let mut code = String::from("&[\n");
    for f in &files {
        println!("cargo::rerun-if-changed=templates/{f}");
        code.push_str(&format!(
            "    ({f:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/templates/{f}\"))),\n"
        ));
    }
    code.push_str("]\n");
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("templates.rs");
    std::fs::write(out, code).expect("write templates list");
}
