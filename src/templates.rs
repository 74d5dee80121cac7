//! Templates embedded in the binary, overridable file by file from the DDF's own `templates/`.
//!
//! The built-in files live in the repository's `templates/` folder and are compiled in with
//! `include_str!`, so the binary needs nothing on disk. A DDF repository overrides any of them by
//! putting a file with the same relative path in its templates folder (`site.templates` in
//! ddf.yaml, default `templates`).

use crate::source::Source;

/// Built-in templates: (relative path, text), sorted by path. `build.rs` lists every file under
/// the repository's `templates/` folder.
pub const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// The template at `name`: the DDF's override if there is one, else the built-in; an override
/// that cannot be used is skipped (see [`load`] for the error).
pub fn get(source: &dyn Source, templates_dir: &str, name: &str) -> Option<String> {
    load(source, templates_dir, name).unwrap_or_else(|_| builtin(name))
}

/// The template at `name`: the DDF's override if there is one, else the built-in (`None` when
/// neither exists). An override ddf will not read (a link out of the repository, a FIFO, a path
/// into `.git`; see [`crate::fsafe`]) or that is not UTF-8 is an error naming the file, so a
/// site is never built from a template other than the one its author meant.
pub fn load(
    source: &dyn Source,
    templates_dir: &str,
    name: &str,
) -> Result<Option<String>, String> {
    Ok(load_override(source, templates_dir, name)?.or_else(|| builtin(name)))
}

/// The DDF's own file for template `name` (`None` when it has none and the built-in applies):
/// whether a template is overridden, and by what. Errors as [`load`]'s.
pub fn load_override(
    source: &dyn Source,
    templates_dir: &str,
    name: &str,
) -> Result<Option<String>, String> {
    let path = format!("{templates_dir}/{name}");
    match source.read(&path) {
        Ok(Some(bytes)) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| format!("{path}: the template is not UTF-8")),
        Ok(None) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// The built-in template `name`, if there is one.
pub fn builtin(name: &str) -> Option<String> {
    BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| (*t).to_string())
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
