//! A small HTML writer for the pages ddf writes without a template engine ([`super::native`]).
//!
//! Every value goes through one of a few methods that escape it exactly as the site templates
//! do: [`Html::text`] with the entities of [`super`]'s escape function (Tera's five),
//! [`Html::css`] as the `css_string` filter, [`Html::float`] as Tera prints a float. Markup is
//! written with [`Html::raw`], which takes only `&'static str`, so a value cannot be written
//! unescaped by mistake; the one value that is HTML already (a sanitised body or field) goes
//! through [`Html::safe`], which says so at the call.

/// The entity Tera's default escaping writes for byte `b`, if it escapes it. The template path
/// ([`super`]) and the native one share this table, so their escaping cannot drift.
pub(crate) fn entity(b: u8) -> Option<&'static str> {
    match b {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'"' => Some("&quot;"),
        b'\'' => Some("&#39;"),
        _ => None,
    }
}

/// `input` HTML-escaped onto `out`, the text between escaped characters copied in one piece.
pub(crate) fn escape_into(input: &str, out: &mut String) {
    let bytes = input.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(e) = entity(b) {
            // The escaped characters are ASCII, so `start..i` are character boundaries.
            out.push_str(&input[start..i]);
            out.push_str(e);
            start = i + 1;
        }
    }
    out.push_str(&input[start..]);
}

/// `v` as a quoted CSS string onto `out` (the `css_string` filter; see
/// [`super::css_string`] for why each character is kept or escaped).
pub(crate) fn css_string_into(v: &str, out: &mut String) {
    use std::fmt::Write;
    out.push('"');
    for c in v.chars() {
        if c.is_alphanumeric() || " .,:;-_()/+#·@".contains(c) {
            out.push(c);
        } else {
            // Writing into a String cannot fail.
            let _ = write!(out, "\\{:x} ", c as u32);
        }
    }
    out.push('"');
}

/// `v` as a CSS class name part onto `out` (the `slug` filter, [`super::slug`]).
pub(crate) fn slug_into(v: &str, out: &mut String) {
    out.extend(v.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '-'
        }
    }));
}

/// A page being written.
pub struct Html {
    out: String,
}

impl Html {
    /// An empty page with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Html {
        Html {
            out: String::with_capacity(capacity),
        }
    }

    /// Markup, as written in the template.
    pub fn raw(&mut self, markup: &'static str) -> &mut Html {
        self.out.push_str(markup);
        self
    }

    /// A value marked `| safe` in the template: HTML ddf made and sanitised itself.
    pub fn safe(&mut self, html: &str) -> &mut Html {
        self.out.push_str(html);
        self
    }

    /// A value, HTML-escaped (`{{ value }}`).
    pub fn text(&mut self, value: &str) -> &mut Html {
        escape_into(value, &mut self.out);
        self
    }

    /// A value as a quoted CSS string (`{{ value | css_string }}`, which is marked safe).
    pub fn css(&mut self, value: &str) -> &mut Html {
        css_string_into(value, &mut self.out);
        self
    }

    /// A value as a CSS class name part, escaped (`{{ value | slug }}`; the slug has nothing to
    /// escape).
    pub fn slug(&mut self, value: &str) -> &mut Html {
        slug_into(value, &mut self.out);
        self
    }

    /// An integer (`{{ n }}`).
    pub fn int(&mut self, n: usize) -> &mut Html {
        use std::fmt::Write;
        let _ = write!(self.out, "{n}");
        self
    }

    /// A float as Tera prints one: Rust's `Debug` form, which keeps `.0` on whole numbers
    /// (`0.0`, `1.5`, `3.0`).
    pub fn float(&mut self, x: f64) -> &mut Html {
        use std::fmt::Write;
        let _ = write!(self.out, "{x:?}");
        self
    }

    /// The page written.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_as_teras_default_escapes_it() {
        for text in [
            "",
            "plain",
            "<script>alert('x')</script>",
            "a & b \"quoted\" > c",
            "Débit ≥ 5 mL/h & <b>",
            "&&&''\"\"<<>>",
            "é<é>é",
        ] {
            let mut ours = Html::with_capacity(0);
            ours.text(text);
            let mut teras = Vec::new();
            tera::escape_html(text, &mut teras).expect("escape");
            assert_eq!(ours.finish().as_bytes(), teras, "{text}");
        }
    }

    #[test]
    fn floats_print_as_tera_prints_them() {
        let mut h = Html::with_capacity(0);
        for d in [0usize, 1, 2, 3, 250] {
            h.float(d as f64 * 1.5).raw(" ");
        }
        assert_eq!(h.finish(), "0.0 1.5 3.0 4.5 375.0 ");
    }
}
