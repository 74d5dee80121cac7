//! Embeds every file under `templates/` in the binary: writes the list of (relative path, text)
//! that `src/templates.rs` includes, so adding a template is adding a file. Also records the
//! compiler and target the binary is built with, for the environment section of
//! `ddf validation-report` (ddf runs no compiler at runtime).

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

    // `rustc --version` of the compiler cargo builds with (RUSTC is set by cargo).
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo::rustc-env=DDF_BUILD_RUSTC={version}");
    println!(
        "cargo::rustc-env=DDF_BUILD_TARGET={}",
        std::env::var("TARGET").unwrap_or_else(|_| "unknown".into())
    );
}
