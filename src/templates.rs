//! Templates embedded in the binary, overridable file by file from the DDF's own `templates/`.
//!
//! The built-in files live in the repository's `templates/` folder and are compiled in with
//! `include_str!`, so the binary needs nothing on disk. A DDF repository overrides any of them by
//! putting a file with the same relative path in its templates folder (`site.templates` in
//! ddf.yaml, default `templates`).

use crate::source::Source;

/// Built-in templates: (relative path, text).
pub const BUILTIN: &[(&str, &str)] = &[
    ("new/record.md", include_str!("../templates/new/record.md")),
    (
        "site/base.html",
        include_str!("../templates/site/base.html"),
    ),
    (
        "site/home.html",
        include_str!("../templates/site/home.html"),
    ),
    (
        "site/type.html",
        include_str!("../templates/site/type.html"),
    ),
    (
        "site/record.html",
        include_str!("../templates/site/record.html"),
    ),
    (
        "site/trace.html",
        include_str!("../templates/site/trace.html"),
    ),
    (
        "site/check.html",
        include_str!("../templates/site/check.html"),
    ),
    (
        "site/style.css",
        include_str!("../templates/site/style.css"),
    ),
];

/// The template at `name`: the DDF's override if there is one, else the built-in.
pub fn get(source: &dyn Source, templates_dir: &str, name: &str) -> Option<String> {
    let over = source
        .read(&format!("{templates_dir}/{name}"))
        .ok()
        .flatten()
        .and_then(|b| String::from_utf8(b).ok());
    over.or_else(|| {
        BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| (*t).to_string())
    })
}

/// Renders template text with a serialisable context.
pub fn render<T: serde::Serialize>(name: &str, text: &str, context: &T) -> Result<String, String> {
    let mut tera = tera::Tera::new();
    tera.add_raw_template(name, text)
        .map_err(|e| format!("template {name}: {e}"))?;
    let ctx =
        tera::Context::from_serialize(context).map_err(|e| format!("template {name}: {e}"))?;
    tera.render(name, &ctx)
        .map_err(|e| format!("template {name}: {e}"))
}
