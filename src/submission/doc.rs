//! The document model the submission's PDFs are typeset from: a title, identifying lines for
//! the running header and footer, and a list of blocks (headings, paragraphs, tables).
//!
//! Everything here is plain text. There is no markup language between the records and the PDF
//! ([`super::pdf`] draws these strings glyph by glyph), so nothing a record says can act as a
//! command: a title of `#set page(...)` or `<script>` prints as those characters.

/// One PDF of the package, before layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    /// The document's title (first line of the header, PDF title).
    pub title: String,
    /// The document id (`REL-002-SUB-05`), in the header and the footer.
    pub id: String,
    /// The revision: the commit the package was built from (header and footer).
    pub revision: String,
    /// The project (ddf.yaml `project`), in the header.
    pub project: String,
    /// The content, in reading order.
    pub blocks: Vec<Block>,
}

/// A block of content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A heading: level 1 (section) or 2 (subsection).
    Heading(u8, String),
    /// A paragraph of running text.
    Para(String),
    /// A bulleted list item.
    Item(String),
    /// A table with a header row; every row has as many cells as the header.
    Table {
        /// Column headers.
        header: Vec<String>,
        /// Rows of cells.
        rows: Vec<Vec<String>>,
    },
}

impl Doc {
    /// A document with no content yet.
    pub fn new(title: &str, id: &str, revision: &str, project: &str) -> Doc {
        Doc {
            title: title.to_string(),
            id: id.to_string(),
            revision: revision.to_string(),
            project: project.to_string(),
            blocks: Vec::new(),
        }
    }

    /// Adds a section heading.
    pub fn h1(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Heading(1, text.into()));
        self
    }

    /// Adds a subsection heading.
    pub fn h2(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Heading(2, text.into()));
        self
    }

    /// Adds a paragraph (nothing when `text` is blank).
    pub fn para(&mut self, text: impl Into<String>) -> &mut Self {
        let text = text.into();
        if !text.trim().is_empty() {
            self.blocks.push(Block::Para(text));
        }
        self
    }

    /// Adds a list item.
    pub fn item(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Item(text.into()));
        self
    }

    /// Adds a table; `empty` is said instead when there are no rows, so that an empty table
    /// reads as a statement ("No hazards are recorded.") and not as a layout fault.
    pub fn table(&mut self, header: &[&str], rows: Vec<Vec<String>>, empty: &str) -> &mut Self {
        if rows.is_empty() {
            return self.para(empty);
        }
        let n = header.len();
        let rows = rows
            .into_iter()
            .map(|mut r| {
                r.resize(n, String::new());
                r
            })
            .collect();
        self.blocks.push(Block::Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows,
        });
        self
    }

    /// Adds a two-column table of fields (`name`, `value`), leaving out empty values.
    pub fn fields(&mut self, pairs: Vec<(&str, String)>) -> &mut Self {
        let rows: Vec<Vec<String>> = pairs
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| vec![k.to_string(), v])
            .collect();
        self.table(&["Field", "Value"], rows, "")
    }

    /// Adds Markdown text (a record body) as paragraphs, list items and subheadings. Inline
    /// markup is reduced to its text; tables become rows of text separated by ` | `.
    pub fn markdown(&mut self, md: &str) -> &mut Self {
        use pulldown_cmark::{Event, Parser, Tag, TagEnd};
        let mut text = String::new();
        let mut item_depth = 0usize;
        let flush = |doc: &mut Doc, text: &mut String, item: bool, heading: bool| {
            let t = std::mem::take(text);
            let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
            if t.is_empty() {
                return;
            }
            if heading {
                doc.blocks.push(Block::Heading(2, t));
            } else if item {
                doc.blocks.push(Block::Item(t));
            } else {
                doc.blocks.push(Block::Para(t));
            }
        };
        for ev in Parser::new_ext(md, pulldown_cmark::Options::ENABLE_TABLES) {
            match ev {
                Event::Start(Tag::Item) => {
                    flush(self, &mut text, item_depth > 0, false);
                    item_depth += 1;
                }
                Event::End(TagEnd::Item) => {
                    flush(self, &mut text, true, false);
                    item_depth = item_depth.saturating_sub(1);
                }
                Event::End(TagEnd::TableRow) | Event::End(TagEnd::TableHead) => {
                    // Cells are joined with ` | `; the row does not end with one.
                    let kept = text.trim_end().trim_end_matches('|').len();
                    text.truncate(kept);
                    flush(self, &mut text, item_depth > 0, false)
                }
                Event::End(TagEnd::Paragraph)
                | Event::End(TagEnd::HtmlBlock)
                | Event::End(TagEnd::CodeBlock)
                | Event::End(TagEnd::BlockQuote(_)) => {
                    flush(self, &mut text, item_depth > 0, false)
                }
                Event::End(TagEnd::Heading(_)) => flush(self, &mut text, false, true),
                Event::End(TagEnd::TableCell) => text.push_str(" | "),
                Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                    text.push_str(&t)
                }
                Event::Html(t) | Event::InlineHtml(t) => text.push_str(&t),
                Event::SoftBreak | Event::HardBreak => text.push(' '),
                _ => {}
            }
        }
        flush(self, &mut text, false, false);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_keeps_text_and_drops_markup() {
        let mut d = Doc::new("t", "i", "r", "p");
        d.markdown("# Scope\n\nThe *pump* `fw`.\n\n- one\n- two **b**\n\n<script>x</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert_eq!(
            d.blocks,
            vec![
                Block::Heading(2, "Scope".into()),
                Block::Para("The pump fw.".into()),
                Block::Item("one".into()),
                Block::Item("two b".into()),
                Block::Para("<script>x</script>".into()),
                Block::Para("a | b".into()),
                Block::Para("1 | 2".into()),
            ]
        );
    }

    #[test]
    fn empty_table_is_a_statement() {
        let mut d = Doc::new("t", "i", "r", "p");
        d.table(&["a"], Vec::new(), "No hazards are recorded.");
        assert_eq!(
            d.blocks,
            vec![Block::Para("No hazards are recorded.".into())]
        );
    }
}
