//! Typesetting a [`Doc`] into a tagged PDF with krilla: ddf breaks the lines and the pages
//! itself (US Letter, one column, tables with a repeated header row); krilla embeds and subsets
//! the font (DejaVu Sans, bundled) and writes the structure tree. Glyphs come straight from the
//! font's character map (no shaper), so measuring and drawing agree.
//!
//! Layout runs first, over the whole document, so that the running footer can say "page X of
//! Y"; drawing follows page by page. Every line of body text is a marked-content span in the
//! tag tree (paragraphs `P`, headings `H1`-`H3`, tables `Table`/`TR`/`TH`/`TD`); the running
//! header and footer, rules and shading are artifacts. The text is drawn as text (never as
//! outlines), so it is searchable and `pdftotext` extracts it.

use super::doc::{Block, Doc};
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule};
use krilla::surface::Surface;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Identifier, Node, SpanTag, TableHeaderScope, Tag, TagGroup,
    TagKind, TagTree,
};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::Document;
use std::num::NonZeroU16;
use std::sync::OnceLock;

const REGULAR: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("fonts/DejaVuSans-Bold.ttf");

/// US Letter, in points.
const PAGE_W: f32 = 612.0;
const PAGE_H: f32 = 792.0;
const MARGIN: f32 = 54.0;
/// Where body text starts and must end (the running header and footer sit outside).
const BODY_TOP: f32 = MARGIN + 34.0;
const BODY_BOTTOM: f32 = PAGE_H - MARGIN - 24.0;
const BODY_W: f32 = PAGE_W - 2.0 * MARGIN;
const TEXT: f32 = 9.5;
const SMALL: f32 = 8.0;
const CELL_PAD: f32 = 3.0;
/// The widest word a table column is made wide enough for (about 18 characters at 8 pt).
const MAX_WORD: f32 = 90.0;
/// The widest word (with its cell padding) a table column keeps whole when the long words of a
/// table do not all fit: `code_not_present`, `VULN-0001`, a date.
const HARD_WORD: f32 = 80.0;

/// A font for drawing (krilla) and measuring (ttf-parser).
struct Face {
    font: Font,
    metrics: ttf_parser::Face<'static>,
    upem: f32,
}

impl Face {
    fn load(data: &'static [u8]) -> Option<Face> {
        let metrics = ttf_parser::Face::parse(data, 0).ok()?;
        Some(Face {
            font: Font::new(data.into(), 0)?,
            upem: f32::from(metrics.units_per_em()),
            metrics,
        })
    }

    /// The glyph of `c` and its advance in font units (`.notdef` for a character the font
    /// lacks).
    fn glyph(&self, c: char) -> (u16, u16) {
        let g = self
            .metrics
            .glyph_index(c)
            .unwrap_or(ttf_parser::GlyphId(0));
        (g.0, self.metrics.glyph_hor_advance(g).unwrap_or(0))
    }

    /// The advance width of `text` at `size`: exactly what [`Face::glyphs`] draws.
    fn width(&self, text: &str, size: f32) -> f32 {
        let units: u32 = text.chars().map(|c| u32::from(self.glyph(c).1)).sum();
        units as f32 * size / self.upem
    }

    /// One glyph per character, with its advance from the font, each mapped back to its
    /// character so that the PDF's text is the record's text. No shaping (kerning, ligatures,
    /// complex scripts): the documents are tables of ids and prose, and shaping every line
    /// through a shaper was most of the time a large package took.
    fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(i, c)| {
                let (g, adv) = self.glyph(c);
                KrillaGlyph::new(
                    GlyphId::new(u32::from(g)),
                    f32::from(adv) / self.upem,
                    0.0,
                    0.0,
                    0.0,
                    i..i + c.len_utf8(),
                    None,
                )
            })
            .collect()
    }
}

/// The two bundled faces, parsed once per process.
fn faces() -> Option<&'static (Face, Face)> {
    static FACES: OnceLock<Option<(Face, Face)>> = OnceLock::new();
    FACES
        .get_or_init(|| Some((Face::load(REGULAR)?, Face::load(BOLD)?)))
        .as_ref()
}

/// One thing drawn on a page.
enum Op {
    /// A line of text at a baseline; `leaf` is its index in the structure tree (`None`: an
    /// artifact, such as a table header repeated on a continuation page).
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
        leaf: Option<usize>,
    },
    /// A filled rectangle (rules, header-row shading): always an artifact.
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        grey: u8,
    },
}

/// A node of the structure tree before drawing (leaves are indices of text lines).
enum SNode {
    Group(Kind, Vec<SNode>),
    Leaf(usize),
}

/// Structure types used.
#[derive(Clone)]
enum Kind {
    H(u16, String),
    P,
    Table,
    Tr,
    Th,
    Td,
}

/// The layout in progress.
struct Layout<'f> {
    faces: &'f (Face, Face),
    pages: Vec<Vec<Op>>,
    y: f32,
    leaves: usize,
}

impl<'f> Layout<'f> {
    fn face(&self, bold: bool) -> &'f Face {
        if bold {
            &self.faces.1
        } else {
            &self.faces.0
        }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = BODY_TOP;
    }

    fn room(&self) -> f32 {
        BODY_BOTTOM - self.y
    }

    fn push(&mut self, op: Op) {
        if let Some(p) = self.pages.last_mut() {
            p.push(op);
        }
    }

    /// Draws one line of text as a structure leaf and returns the leaf.
    fn text(&mut self, x: f32, baseline: f32, size: f32, bold: bool, text: String) -> SNode {
        let leaf = self.leaves;
        self.leaves += 1;
        self.push(Op::Text {
            x,
            y: baseline,
            size,
            bold,
            text,
            leaf: Some(leaf),
        });
        SNode::Leaf(leaf)
    }

    /// Breaks `text` into lines no wider than `width`: at spaces, and inside a word only when
    /// the word alone is wider than the line. Explicit newlines are kept.
    fn wrap(&self, text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
        let face = self.face(bold);
        let space = face.width(" ", size);
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            let mut w = 0.0;
            for word in para.split_whitespace() {
                let ww = face.width(word, size);
                if !line.is_empty() && w + space + ww <= width {
                    line.push(' ');
                    line.push_str(word);
                    w += space + ww;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                if ww <= width {
                    line.push_str(word);
                    w = ww;
                    continue;
                }
                // A word wider than the line (a hash, a URL): broken between characters.
                w = 0.0;
                for c in word.chars() {
                    let cw = face.width(c.encode_utf8(&mut [0; 4]), size);
                    if !line.is_empty() && w + cw > width {
                        lines.push(std::mem::take(&mut line));
                        w = 0.0;
                    }
                    line.push(c);
                    w += cw;
                }
            }
            lines.push(line);
        }
        if lines.iter().all(|l| l.is_empty()) {
            return vec![String::new()];
        }
        // Blank lines inside a cell are kept, trailing ones are not.
        while lines.len() > 1 && lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        lines
    }

    /// A paragraph (or heading) of running text starting at `x`.
    fn paragraph(&mut self, text: &str, size: f32, bold: bool, x: f32, after: f32) -> Vec<SNode> {
        let lh = size * 1.35;
        let mut out = Vec::new();
        for line in self.wrap(text, size, bold, BODY_W - (x - MARGIN)) {
            if self.y + lh > BODY_BOTTOM {
                self.new_page();
            }
            self.y += lh;
            out.push(self.text(x, self.y - lh * 0.25, size, bold, line));
        }
        self.y += after;
        out
    }

    fn block(&mut self, b: &Block) -> SNode {
        match b {
            Block::Heading(level, t) => {
                let size = if *level <= 1 { 13.0 } else { 11.0 };
                // Keep a heading with the first lines that follow it.
                if self.room() < size * 1.35 + 4.0 * TEXT * 1.35 {
                    self.new_page();
                } else {
                    self.y += size * 0.6;
                }
                let lines = self.paragraph(t, size, true, MARGIN, 3.0);
                let level = NonZeroU16::new(u16::from(*level) + 1).unwrap_or(NonZeroU16::MIN);
                SNode::Group(Kind::H(level.get(), t.clone()), lines)
            }
            Block::Para(t) => SNode::Group(Kind::P, self.paragraph(t, TEXT, false, MARGIN, 4.0)),
            Block::Item(t) => {
                let bullet = format!("\u{2022} {t}");
                SNode::Group(
                    Kind::P,
                    self.paragraph(&bullet, TEXT, false, MARGIN + 8.0, 2.0),
                )
            }
            Block::Table { header, rows } => self.table(header, rows),
        }
    }

    /// Column widths: each column gets at least its longest word (up to [`MAX_WORD`], so that
    /// ids, states and dates are never broken while a long URL or vector string is) and the
    /// rest of the width in proportion to how much more its longest cell wants.
    fn widths(&self, header: &[String], rows: &[Vec<String>]) -> Vec<f32> {
        let n = header.len().max(1);
        let cap = BODY_W * 0.6;
        let pad = 2.0 * CELL_PAD;
        let mut min = vec![0f32; n];
        let mut max = vec![0f32; n];
        // The short words (ids, states, dates, enum values) a column must never break, even
        // when the long ones (vectors, URLs) have to be.
        let mut hard = vec![0f32; n];
        let sample = rows.iter().take(2000);
        for (bold, row) in
            std::iter::once((true, header)).chain(sample.map(|r| (false, r.as_slice())))
        {
            for (i, cell) in row.iter().enumerate().take(n) {
                let face = self.face(bold);
                for word in cell.split_whitespace() {
                    let w = face.width(word, SMALL) + pad;
                    min[i] = min[i].max(w.min(MAX_WORD));
                    if w <= HARD_WORD {
                        hard[i] = hard[i].max(w);
                    }
                }
                for line in cell.split('\n') {
                    max[i] = max[i].max((face.width(line, SMALL) + pad).min(cap));
                }
            }
        }
        for i in 0..n {
            max[i] = max[i].max(min[i]).max(pad + 1.0);
        }
        let (smin, smax): (f32, f32) = (min.iter().sum(), max.iter().sum());
        if smax <= BODY_W {
            // Everything fits on one line: spread the slack evenly.
            let extra = (BODY_W - smax) / n as f32;
            return max.iter().map(|m| m + extra).collect();
        }
        if smin >= BODY_W {
            // Too many long words: the short ones keep their width, the long ones share what is
            // left in proportion to how much more they want.
            let shard: f32 = hard.iter().sum();
            if shard < BODY_W && smin > shard {
                return (0..n)
                    .map(|i| hard[i] + (BODY_W - shard) * (min[i] - hard[i]) / (smin - shard))
                    .collect();
            }
            return min.iter().map(|m| m * BODY_W / smin).collect();
        }
        let slack = BODY_W - smin;
        (0..n)
            .map(|i| min[i] + slack * (max[i] - min[i]) / (smax - smin))
            .collect()
    }

    /// Draws the header row at the current position; as structure when `leaves`, else as an
    /// artifact (a repeat on a continuation page).
    fn header_row(&mut self, header: &[String], widths: &[f32], leaves: bool) -> Option<SNode> {
        let lh = SMALL * 1.3;
        let cells: Vec<Vec<String>> = header
            .iter()
            .zip(widths)
            .map(|(h, w)| self.wrap(h, SMALL, true, w - 2.0 * CELL_PAD))
            .collect();
        let lines = cells.iter().map(Vec::len).max().unwrap_or(1);
        let h = lines as f32 * lh + 2.0 * CELL_PAD;
        self.push(Op::Rect {
            x: MARGIN,
            y: self.y,
            w: BODY_W,
            h,
            grey: 225,
        });
        let mut x = MARGIN;
        let mut groups = Vec::new();
        for (cell, w) in cells.into_iter().zip(widths) {
            let mut kids = Vec::new();
            for (k, line) in cell.into_iter().enumerate() {
                let base = self.y + CELL_PAD + (k as f32 + 1.0) * lh - lh * 0.25;
                if leaves {
                    kids.push(self.text(x + CELL_PAD, base, SMALL, true, line));
                } else {
                    self.push(Op::Text {
                        x: x + CELL_PAD,
                        y: base,
                        size: SMALL,
                        bold: true,
                        text: line,
                        leaf: None,
                    });
                }
            }
            groups.push(SNode::Group(Kind::Th, kids));
            x += w;
        }
        self.y += h;
        leaves.then_some(SNode::Group(Kind::Tr, groups))
    }

    fn table(&mut self, header: &[String], rows: &[Vec<String>]) -> SNode {
        let widths = self.widths(header, rows);
        let lh = SMALL * 1.3;
        let mut kids = Vec::new();
        self.y += 2.0;
        if self.room() < 4.0 * lh + 4.0 * CELL_PAD {
            self.new_page();
        }
        if let Some(h) = self.header_row(header, &widths, true) {
            kids.push(h);
        }
        for row in rows {
            let cells: Vec<Vec<String>> = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| self.wrap(c, SMALL, false, w - 2.0 * CELL_PAD))
                .collect();
            let lines = cells.iter().map(Vec::len).max().unwrap_or(1);
            let height = lines as f32 * lh + 2.0 * CELL_PAD;
            // A row that fits on a fresh page is not split.
            if height > self.room() && height <= BODY_BOTTOM - BODY_TOP - 4.0 * lh {
                self.new_page();
                self.header_row(header, &widths, false);
            }
            let mut groups: Vec<Vec<SNode>> = cells.iter().map(|_| Vec::new()).collect();
            self.y += CELL_PAD;
            for k in 0..lines {
                if self.y + lh > BODY_BOTTOM {
                    self.new_page();
                    self.header_row(header, &widths, false);
                    self.y += CELL_PAD;
                }
                let mut x = MARGIN;
                for (c, cell) in cells.iter().enumerate() {
                    if let Some(line) = cell.get(k).filter(|l| !l.is_empty()) {
                        let base = self.y + lh - lh * 0.25;
                        let leaf = self.text(x + CELL_PAD, base, SMALL, false, line.clone());
                        groups[c].push(leaf);
                    }
                    x += widths.get(c).copied().unwrap_or(0.0);
                }
                self.y += lh;
            }
            self.y += CELL_PAD;
            self.push(Op::Rect {
                x: MARGIN,
                y: self.y - 0.25,
                w: BODY_W,
                h: 0.5,
                grey: 170,
            });
            kids.push(SNode::Group(
                Kind::Tr,
                groups
                    .into_iter()
                    .map(|g| SNode::Group(Kind::Td, g))
                    .collect(),
            ));
        }
        self.y += 8.0;
        SNode::Group(Kind::Table, kids)
    }
}

/// Replaces characters that are not text (controls, tabs) by spaces, keeping newlines.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c != '\n' && c.is_control() { ' ' } else { c })
        .collect()
}

/// `text` cut to `width` with an ellipsis, for the running header.
fn fit(face: &Face, text: &str, size: f32, width: f32) -> String {
    if face.width(text, size) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        out.push(c);
        if face.width(&out, size) + face.width("\u{2026}", size) > width {
            out.pop();
            break;
        }
    }
    out.push('\u{2026}');
    out
}

/// Why a PDF could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The bundled font could not be read (a damaged build).
    #[error("the bundled font cannot be read")]
    Font,
    /// krilla refused the document.
    #[error("cannot write the PDF: {0}")]
    Write(String),
}

/// Typesets `doc` into a PDF.
pub fn render(doc: &Doc) -> Result<Vec<u8>, PdfError> {
    let faces = faces().ok_or(PdfError::Font)?;
    let mut l = Layout {
        faces,
        pages: Vec::new(),
        y: BODY_TOP,
        leaves: 0,
    };
    l.new_page();
    let title = clean(&doc.title);
    let mut tree = vec![SNode::Group(
        Kind::H(1, title.clone()),
        l.paragraph(&title, 16.0, true, MARGIN, 8.0),
    )];
    for b in &doc.blocks {
        let b = match b {
            Block::Heading(n, t) => Block::Heading(*n, clean(t)),
            Block::Para(t) => Block::Para(clean(t)),
            Block::Item(t) => Block::Item(clean(t)),
            Block::Table { header, rows } => Block::Table {
                header: header.iter().map(|c| clean(c)).collect(),
                rows: rows
                    .iter()
                    .map(|r| r.iter().map(|c| clean(c)).collect())
                    .collect(),
            },
        };
        tree.push(l.block(&b));
    }
    draw(doc, &title, faces, l.pages, l.leaves, tree)
}

fn set_grey(s: &mut Surface<'_>, grey: u8) {
    s.set_fill(Some(Fill {
        paint: rgb::Color::new(grey, grey, grey).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }));
}

fn draw(
    doc: &Doc,
    title: &str,
    faces: &(Face, Face),
    pages: Vec<Vec<Op>>,
    leaves: usize,
    tree: Vec<SNode>,
) -> Result<Vec<u8>, PdfError> {
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .language("en".into())
            .creator(format!("ddf {}", env!("CARGO_PKG_VERSION")))
            .document_id(format!("{} {}", doc.id, doc.revision)),
    );
    let mut ids: Vec<Option<Identifier>> = (0..leaves).map(|_| None).collect();
    let total = pages.len();
    let size = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or(PdfError::Write("page size".into()))?;
    let (regular, bold) = (&faces.0, &faces.1);
    let revision = format!("Revision {}", clean(&doc.revision));
    for (n, ops) in pages.into_iter().enumerate() {
        let mut page = document.start_page_with(size.clone());
        let mut s = page.surface();
        let line = |s: &mut Surface<'_>, x: f32, y: f32, size: f32, face: &Face, text: &str| {
            if !text.is_empty() {
                s.draw_glyphs(
                    Point::from_xy(x, y),
                    &face.glyphs(text),
                    face.font.clone(),
                    text,
                    size,
                    false,
                );
            }
        };
        let rect = |s: &mut Surface<'_>, x: f32, y: f32, w: f32, h: f32, grey: u8| {
            let mut pb = PathBuilder::new();
            if let Some(r) = Rect::from_xywh(x, y, w, h) {
                pb.push_rect(r);
            }
            if let Some(path) = pb.finish() {
                set_grey(s, grey);
                s.draw_path(&path);
                set_grey(s, 0);
            }
        };
        // Running header: title and document id; project and revision; a rule.
        s.start_tagged(ContentTag::Artifact(Artifact::with_kind(
            ArtifactType::Header,
        )));
        let id_w = bold.width(&doc.id, 9.0);
        let head = fit(bold, title, 9.0, BODY_W - id_w - 12.0);
        line(&mut s, MARGIN, MARGIN + 9.0, 9.0, bold, &head);
        line(
            &mut s,
            PAGE_W - MARGIN - id_w,
            MARGIN + 9.0,
            9.0,
            bold,
            &doc.id,
        );
        let rev_w = regular.width(&revision, 7.5);
        let project = fit(regular, &clean(&doc.project), 7.5, BODY_W - rev_w - 12.0);
        line(&mut s, MARGIN, MARGIN + 20.0, 7.5, regular, &project);
        line(
            &mut s,
            PAGE_W - MARGIN - rev_w,
            MARGIN + 20.0,
            7.5,
            regular,
            &revision,
        );
        rect(&mut s, MARGIN, MARGIN + 25.0, BODY_W, 0.6, 0);
        s.end_tagged();
        // Running footer: a rule; document id and revision; page X of Y.
        s.start_tagged(ContentTag::Artifact(Artifact::with_kind(
            ArtifactType::Footer,
        )));
        let fy = PAGE_H - MARGIN;
        rect(&mut s, MARGIN, fy - 12.0, BODY_W, 0.6, 0);
        let left = fit(
            regular,
            &format!("{} \u{00b7} {}", doc.id, revision),
            7.5,
            BODY_W - 90.0,
        );
        line(&mut s, MARGIN, fy, 7.5, regular, &left);
        let pages = format!("Page {} of {}", n + 1, total);
        let pw = regular.width(&pages, 7.5);
        line(&mut s, PAGE_W - MARGIN - pw, fy, 7.5, regular, &pages);
        s.end_tagged();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    bold: b,
                    text,
                    leaf,
                } => {
                    let face = if b { bold } else { regular };
                    match leaf {
                        Some(i) => {
                            let id = s.start_tagged(ContentTag::Span(SpanTag::empty()));
                            line(&mut s, x, y, size, face, &text);
                            s.end_tagged();
                            if let Some(slot) = ids.get_mut(i) {
                                *slot = Some(id);
                            }
                        }
                        None => {
                            s.start_tagged(ContentTag::Artifact(Artifact::with_kind(
                                ArtifactType::Other,
                            )));
                            line(&mut s, x, y, size, face, &text);
                            s.end_tagged();
                        }
                    }
                }
                Op::Rect { x, y, w, h, grey } => {
                    s.start_tagged(ContentTag::Artifact(Artifact::with_kind(
                        ArtifactType::Other,
                    )));
                    rect(&mut s, x, y, w, h, grey);
                    s.end_tagged();
                }
            }
        }
        s.finish();
        page.finish();
    }
    let mut root = TagTree::new().with_lang(Some("en".into()));
    for node in tree {
        if let Some(n) = to_node(node, &mut ids) {
            root.push(n);
        }
    }
    document.set_tag_tree(root);
    document
        .finish()
        .map_err(|e| PdfError::Write(format!("{e:?}")))
}

/// The krilla node of a structure node; `None` for a group left empty (an empty cell).
fn to_node(n: SNode, ids: &mut [Option<Identifier>]) -> Option<Node> {
    match n {
        SNode::Leaf(i) => ids.get_mut(i).and_then(Option::take).map(Node::from),
        SNode::Group(kind, kids) => {
            let kids: Vec<Node> = kids.into_iter().filter_map(|k| to_node(k, ids)).collect();
            // Table cells and rows stay even when empty, so that columns line up for a reader.
            let keep = matches!(kind, Kind::Td | Kind::Th | Kind::Tr);
            if kids.is_empty() && !keep {
                return None;
            }
            let tag: TagKind = match kind {
                Kind::H(level, title) => Tag::Hn(
                    NonZeroU16::new(level).unwrap_or(NonZeroU16::MIN),
                    Some(title),
                )
                .into(),
                Kind::P => Tag::P.into(),
                Kind::Table => Tag::Table.into(),
                Kind::Tr => Tag::TR.into(),
                Kind::Th => Tag::TH(TableHeaderScope::Column).into(),
                Kind::Td => Tag::TD.into(),
            };
            Some(TagGroup::with_children(tag, kids).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_word_is_broken_and_lines_fit() {
        let faces = faces().expect("bundled fonts");
        let l = Layout {
            faces,
            pages: Vec::new(),
            y: BODY_TOP,
            leaves: 0,
        };
        let word = "a".repeat(400);
        let lines = l.wrap(&format!("x {word} y"), TEXT, false, 100.0);
        assert!(lines.len() > 3);
        assert_eq!(lines.concat().replace(' ', ""), format!("x{word}y"));
        for line in &lines {
            assert!(faces.0.width(line, TEXT) <= 100.0, "{line}");
        }
    }

    #[test]
    fn renders_every_block_kind() {
        let mut d = Doc::new("T", "REL-1-SUB-01", "abc", "P");
        d.h1("Section").para("Text.").item("Item");
        let rows = (0..300)
            .map(|i| vec![format!("R-{i}"), "word ".repeat(i % 40)])
            .collect();
        d.table(&["Id", "Text"], rows, "none");
        let pdf = render(&d).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
