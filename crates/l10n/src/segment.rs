//! Splitting an article into translation segments, and giving each one a readable, stable id.
//!
//! A segment is the inline Markdown of one leaf block — a heading, paragraph, list item,
//! blockquote paragraph, table cell, or the alt text of an image that stands alone — plus the
//! translatable front matter fields. Code and raw HTML blocks are not segments.
//!
//! Ids look like `what-is-physiotherapy-p2`: the id of the nearest heading (itself the slug of
//! the heading text), the kind of block, and a number. When an earlier catalog exists, ids are
//! carried over by aligning the old and new segment texts, so inserting, removing or editing a
//! paragraph never renumbers any other segment — an edited segment keeps its id, and so its
//! translation, which can then be reported stale.

use std::ops::Range;

use nashr_content::Document;
use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

/// What kind of block a segment comes from. The short name is part of the id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SegmentKind {
    /// A front matter field; the id is the field name.
    Field(Field),
    Heading,
    Paragraph,
    ListItem,
    Quote,
    TableCell,
    /// Alt text of an image that is alone in its paragraph.
    ImageAlt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Title,
    Summary,
    Author,
    ReviewedBy,
    HeroAlt,
}

impl Field {
    pub const ALL: [Field; 5] = [
        Field::Title,
        Field::Summary,
        Field::Author,
        Field::ReviewedBy,
        Field::HeroAlt,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Summary => "summary",
            Field::Author => "author",
            Field::ReviewedBy => "reviewed-by",
            Field::HeroAlt => "hero-alt",
        }
    }
}

impl SegmentKind {
    /// The suffix in ids (`-p3`), or `None` for headings and fields, whose id has no number.
    fn suffix(self) -> Option<&'static str> {
        match self {
            SegmentKind::Paragraph => Some("p"),
            SegmentKind::ListItem => Some("li"),
            SegmentKind::Quote => Some("quote"),
            SegmentKind::TableCell => Some("cell"),
            SegmentKind::ImageAlt => Some("img"),
            SegmentKind::Heading | SegmentKind::Field(_) => None,
        }
    }

    /// The kind an existing id was given for (used to pair edited segments).
    fn of_id(id: &str) -> SegmentKind {
        if let Some(f) = Field::ALL.iter().find(|f| f.id() == id) {
            return SegmentKind::Field(*f);
        }
        let Some((head, n)) = id.rsplit_once('-') else {
            return SegmentKind::Heading;
        };
        for kind in [
            SegmentKind::Paragraph,
            SegmentKind::ListItem,
            SegmentKind::Quote,
            SegmentKind::TableCell,
            SegmentKind::ImageAlt,
        ] {
            let sfx = kind.suffix().unwrap_or_default();
            if !head.is_empty()
                && n.strip_prefix(sfx)
                    .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            {
                return kind;
            }
        }
        SegmentKind::Heading
    }
}

/// One translatable piece of an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub id: String,
    pub kind: SegmentKind,
    /// The source text: inline Markdown on one line.
    pub text: String,
    /// Byte range in the document body that a translation replaces (`None` for fields).
    pub range: Option<Range<usize>>,
    /// For headings: the heading's plain text (used in catalog comments).
    pub heading_level: Option<u8>,
}

/// A segment before it has an id.
#[derive(Debug, Clone)]
struct Raw {
    kind: SegmentKind,
    text: String,
    range: Option<Range<usize>>,
    /// For headings: the slug of the heading's plain text, the basis of its id.
    key: String,
    heading_level: Option<u8>,
}

/// The segments of `doc`, with ids aligned to `previous` (the id/text pairs of the catalog
/// written last time, in order; empty for a new article).
pub fn segments(doc: &Document, previous: &[(String, String)]) -> Vec<Segment> {
    segments_of(doc, previous, &body_events(doc.body()))
}

/// The events of a Markdown body with their byte ranges: [`segments_of`] reads them, and the
/// renderer can render the source locale's page from the same parse.
pub fn body_events(body: &str) -> Vec<(Event<'_>, Range<usize>)> {
    Parser::new_ext(body, nashr_content::markdown_options())
        .into_offset_iter()
        .collect()
}

/// [`segments`] from the body's events, parsed by [`body_events`].
pub fn segments_of(
    doc: &Document,
    previous: &[(String, String)],
    events: &[(Event<'_>, Range<usize>)],
) -> Vec<Segment> {
    let raw = extract(doc, events);
    let ids = assign_ids(&raw, previous);
    raw.into_iter()
        .zip(ids)
        .map(|(r, id)| Segment {
            id,
            kind: r.kind,
            text: r.text,
            range: r.range,
            heading_level: r.heading_level,
        })
        .collect()
}

fn extract(doc: &Document, events: &[(Event<'_>, Range<usize>)]) -> Vec<Raw> {
    let fm = &doc.front;
    let mut out = Vec::new();
    let mut field = |f: Field, v: Option<&str>| {
        if let Some(v) = v.map(normalize).filter(|v| !v.is_empty()) {
            out.push(Raw {
                kind: SegmentKind::Field(f),
                text: v,
                range: None,
                key: String::new(),
                heading_level: None,
            });
        }
    };
    field(Field::Title, Some(&fm.title));
    field(Field::Summary, fm.summary.as_deref());
    field(Field::Author, fm.author.as_deref());
    field(Field::ReviewedBy, fm.reviewed_by.as_deref());
    field(Field::HeroAlt, fm.hero.as_ref().map(|h| h.alt.as_str()));
    extract_body(doc.body(), events, &mut out);
    out
}

/// The leaf block whose inline content is being collected.
struct Leaf {
    kind: SegmentKind,
    range: Option<Range<usize>>,
    /// Plain text of a heading, for its key.
    plain: String,
    heading_level: Option<u8>,
    /// Inline content outside images seen (so the paragraph is not image-only).
    other_content: bool,
    images: usize,
    image_alt: Option<Range<usize>>,
    image_depth: usize,
}

impl Leaf {
    fn new(kind: SegmentKind) -> Self {
        Leaf {
            kind,
            range: None,
            plain: String::new(),
            heading_level: None,
            other_content: false,
            images: 0,
            image_alt: None,
            image_depth: 0,
        }
    }
}

fn extract_body(body: &str, events: &[(Event<'_>, Range<usize>)], out: &mut Vec<Raw>) {
    // Containers that decide what a paragraph is: an item makes it a list item, a blockquote a quote.
    let mut containers: Vec<SegmentKind> = Vec::new();
    let mut leaf: Option<Leaf> = None;
    let mut skip_depth = 0usize; // inside code blocks, HTML blocks, metadata

    let finish = |leaf: Option<Leaf>, out: &mut Vec<Raw>| {
        let Some(leaf) = leaf else { return };
        let (kind, range) = if leaf.kind == SegmentKind::Paragraph
            || leaf.kind == SegmentKind::ListItem
            || leaf.kind == SegmentKind::Quote
        {
            if !leaf.other_content && leaf.images == 1 {
                (SegmentKind::ImageAlt, leaf.image_alt)
            } else {
                (leaf.kind, leaf.range)
            }
        } else {
            (leaf.kind, leaf.range)
        };
        let Some(range) = range else { return };
        let text = normalize(&body[range.clone()]);
        if text.is_empty() {
            return;
        }
        let key = if kind == SegmentKind::Heading {
            slugify_key(&leaf.plain)
        } else {
            String::new()
        };
        out.push(Raw {
            kind,
            text,
            range: Some(range),
            key,
            heading_level: leaf.heading_level,
        });
    };

    for (event, range) in events {
        match event {
            Event::Start(Tag::CodeBlock(_) | Tag::HtmlBlock | Tag::MetadataBlock(_)) => {
                finish(leaf.take(), out);
                skip_depth += 1;
            }
            Event::End(TagEnd::CodeBlock | TagEnd::HtmlBlock | TagEnd::MetadataBlock(_)) => {
                skip_depth = skip_depth.saturating_sub(1);
            }
            _ if skip_depth > 0 => {}
            Event::Start(Tag::Paragraph) => {
                finish(leaf.take(), out);
                let kind = match containers.last() {
                    Some(SegmentKind::ListItem) => SegmentKind::ListItem,
                    Some(SegmentKind::Quote) => SegmentKind::Quote,
                    _ => SegmentKind::Paragraph,
                };
                leaf = Some(Leaf::new(kind));
            }
            Event::Start(Tag::Heading { level, .. }) => {
                finish(leaf.take(), out);
                let mut l = Leaf::new(SegmentKind::Heading);
                l.heading_level = Some(heading_number(*level));
                leaf = Some(l);
            }
            Event::Start(Tag::TableCell) => {
                finish(leaf.take(), out);
                leaf = Some(Leaf::new(SegmentKind::TableCell));
            }
            Event::Start(Tag::Item) => {
                finish(leaf.take(), out);
                containers.push(SegmentKind::ListItem);
            }
            Event::Start(Tag::BlockQuote(_)) => {
                finish(leaf.take(), out);
                containers.push(SegmentKind::Quote);
            }
            Event::End(TagEnd::Item | TagEnd::BlockQuote(_)) => {
                finish(leaf.take(), out);
                containers.pop();
            }
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::TableCell) => finish(leaf.take(), out),
            Event::Start(
                Tag::List(_) | Tag::Table(_) | Tag::TableHead | Tag::TableRow | Tag::FootnoteDefinition(_),
            )
            | Event::End(
                TagEnd::List(_) | TagEnd::Table | TagEnd::TableHead | TagEnd::TableRow | TagEnd::FootnoteDefinition,
            )
            | Event::Rule => finish(leaf.take(), out),
            Event::Start(Tag::Image { .. }) => {
                let l = inline_leaf(&mut leaf, &containers);
                extend(&mut l.range, range);
                l.images += 1;
                l.image_depth += 1;
            }
            Event::End(TagEnd::Image) => {
                if let Some(l) = leaf.as_mut() {
                    l.image_depth = l.image_depth.saturating_sub(1);
                }
            }
            // Every other event is inline content of the current leaf.
            ev => {
                let is_blank_text =
                    matches!(ev, Event::Text(t) if t.trim().is_empty()) || matches!(ev, Event::SoftBreak);
                let l = inline_leaf(&mut leaf, &containers);
                if l.image_depth > 0 {
                    extend(&mut l.image_alt, range);
                } else {
                    extend(&mut l.range, range);
                    if !is_blank_text {
                        l.other_content = true;
                    }
                }
                if let Event::Text(t) | Event::Code(t) = ev {
                    l.plain.push_str(t);
                }
            }
        }
    }
    finish(leaf, out);
}

/// Inline content outside a paragraph is the direct content of a tight list item.
fn inline_leaf<'a>(leaf: &'a mut Option<Leaf>, containers: &[SegmentKind]) -> &'a mut Leaf {
    leaf.get_or_insert_with(|| {
        Leaf::new(match containers.last() {
            Some(SegmentKind::Quote) => SegmentKind::Quote,
            Some(SegmentKind::ListItem) => SegmentKind::ListItem,
            _ => SegmentKind::Paragraph,
        })
    })
}

fn extend(r: &mut Option<Range<usize>>, with: &Range<usize>) {
    *r = Some(match r.take() {
        None => with.clone(),
        Some(r) => r.start.min(with.start)..r.end.max(with.end),
    });
}

fn heading_number(level: HeadingLevel) -> u8 {
    level as u8
}

/// One line of inline Markdown: continuation lines lose their indentation and blockquote
/// markers, soft breaks become spaces, hard breaks become `<br>`.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        let line = line.trim_end_matches('\r');
        let line = if i == 0 {
            line
        } else {
            line.trim_start_matches([' ', '\t', '>'])
        };
        let hard = line.ends_with("  ") || (line.ends_with('\\') && !line.ends_with("\\\\"));
        let line = line.trim_end_matches([' ', '\t']);
        let line = if hard { line.trim_end_matches('\\') } else { line };
        if !out.is_empty() && !line.is_empty() && !out.ends_with("<br>") {
            out.push(' ');
        }
        out.push_str(line.trim_start_matches([' ', '\t']));
        if hard && !line.is_empty() {
            out.push_str("<br>");
        }
    }
    out.trim_end_matches("<br>").trim().to_string()
}

/// A Fluent-safe id fragment from heading text: ASCII letters and digits joined by hyphens,
/// starting with a letter, at most ~48 characters, cut at a word boundary.
fn slugify_key(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug
        .trim_matches('-')
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
    let mut cut = String::new();
    for word in slug.split('-') {
        if !cut.is_empty() && cut.len() + word.len() + 1 > 48 {
            break;
        }
        if !cut.is_empty() {
            cut.push('-');
        }
        cut.push_str(word);
    }
    if cut.is_empty() { "section".into() } else { cut }
}

fn assign_ids(raw: &[Raw], previous: &[(String, String)]) -> Vec<String> {
    let mut ids: Vec<Option<String>> = vec![None; raw.len()];
    let field_ids: Vec<&str> = Field::ALL.iter().map(|f| f.id()).collect();
    for (i, r) in raw.iter().enumerate() {
        if let SegmentKind::Field(f) = r.kind {
            ids[i] = Some(f.id().to_string());
        }
    }
    // Pass 1: carry ids over from the previous catalog. Equal texts are matched by a longest
    // common subsequence; between two matches, remaining segments of the same kind are paired
    // in order (they were edited in place).
    let new_body: Vec<usize> = (0..raw.len()).filter(|&i| ids[i].is_none()).collect();
    let old_body: Vec<&(String, String)> = previous
        .iter()
        .filter(|(id, _)| !field_ids.contains(&id.as_str()))
        .collect();
    let matches = lcs(
        &new_body.iter().map(|&i| raw[i].text.as_str()).collect::<Vec<_>>(),
        &old_body.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(),
    );
    let mut prev = (0usize, 0usize);
    for &(n, o) in matches.iter().chain(std::iter::once(&(new_body.len(), old_body.len()))) {
        let mut olds: Vec<usize> = (prev.1..o).collect();
        for ni in prev.0..n {
            let kind = raw[new_body[ni]].kind;
            if let Some(pos) = olds.iter().position(|&oi| SegmentKind::of_id(&old_body[oi].0) == kind) {
                let oi = olds.remove(pos);
                olds.retain(|&x| x > oi);
                ids[new_body[ni]] = Some(old_body[oi].0.clone());
            }
        }
        if n < new_body.len() {
            ids[new_body[n]] = Some(old_body[o].0.clone());
        }
        prev = (n + 1, o + 1);
    }
    // Pass 2: fresh ids for new segments, never reusing one that is or was in the catalog (an
    // old translation must not attach itself to new text).
    let mut taken: rustc_hash::FxHashSet<String> = previous.iter().map(|(id, _)| id.clone()).collect();
    taken.extend(ids.iter().flatten().cloned());
    let mut section = "intro".to_string();
    for (i, r) in raw.iter().enumerate() {
        if ids[i].is_none() {
            let fresh = match r.kind.suffix() {
                None => unique(&r.key, &taken, |n| format!("{}-{n}", r.key)),
                Some(sfx) => {
                    let base = format!("{section}-{sfx}");
                    let max = taken
                        .iter()
                        .filter_map(|t| t.strip_prefix(&base)?.parse::<usize>().ok())
                        .max()
                        .unwrap_or(0);
                    format!("{base}{}", max + 1)
                }
            };
            taken.insert(fresh.clone());
            ids[i] = Some(fresh);
        }
        if r.kind == SegmentKind::Heading {
            section = ids[i].clone().unwrap_or_default();
        }
    }
    ids.into_iter().map(Option::unwrap_or_default).collect()
}

fn unique(base: &str, taken: &rustc_hash::FxHashSet<String>, numbered: impl Fn(usize) -> String) -> String {
    if !taken.contains(base) && !Field::ALL.iter().any(|f| f.id() == base) {
        return base.to_string();
    }
    (2..).map(numbered).find(|c| !taken.contains(c)).unwrap_or_default()
}

/// Index pairs of a longest common subsequence of equal strings.
fn lcs(a: &[&str], b: &[&str]) -> Vec<(usize, usize)> {
    let (n, m) = (a.len(), b.len());
    let mut table = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[at(i, j)] = if a[i] == b[j] {
                table[at(i + 1, j + 1)] + 1
            } else {
                table[at(i + 1, j)].max(table[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n && j < m {
        if a[i] == b[j] {
            out.push((i, j));
            i += 1;
            j += 1;
        } else if table[at(i + 1, j)] >= table[at(i, j + 1)] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn doc(body: &str) -> Document {
        Document::parse(
            Path::new("x/index.md"),
            format!("+++\ntitle = \"T\"\ndate = 2026-01-01\nhero = {{ src = \"h.svg\", alt = \"Hero\" }}\n+++\n{body}"),
        )
        .unwrap()
    }

    fn ids(segs: &[Segment]) -> Vec<(&str, &str)> {
        segs.iter().map(|s| (s.id.as_str(), s.text.as_str())).collect()
    }

    const BODY: &str = "Intro *one*\ncontinues.\n\n## What is it?\n\nFirst.\n\n- a [link](@/x)\n- b\n\n> quoted\n> more\n\n![Alt text](pic.png)\n\n```\ncode is skipped\n```\n\n### 1. Sub part\n\n| h1 | h2 |\n|----|----|\n| c1 | c2 |\n";

    #[test]
    fn extracts_every_kind_with_readable_ids() {
        let segs = segments(&doc(BODY), &[]);
        assert_eq!(
            ids(&segs),
            [
                ("title", "T"),
                ("hero-alt", "Hero"),
                ("intro-p1", "Intro *one* continues."),
                ("what-is-it", "What is it?"),
                ("what-is-it-p1", "First."),
                ("what-is-it-li1", "a [link](@/x)"),
                ("what-is-it-li2", "b"),
                ("what-is-it-quote1", "quoted more"),
                ("what-is-it-img1", "Alt text"),
                ("sub-part", "1. Sub part"),
                ("sub-part-cell1", "h1"),
                ("sub-part-cell2", "h2"),
                ("sub-part-cell3", "c1"),
                ("sub-part-cell4", "c2"),
            ]
        );
        let d = doc(BODY);
        let alt = segs.iter().find(|s| s.id == "what-is-it-img1").unwrap();
        assert_eq!(&d.body()[alt.range.clone().unwrap()], "Alt text");
    }

    #[test]
    fn insertion_and_edits_keep_other_ids() {
        let before = segments(&doc("## A\n\nOne.\n\nTwo.\n\n## B\n\nThree.\n"), &[]);
        let prev: Vec<(String, String)> = before.iter().map(|s| (s.id.clone(), s.text.clone())).collect();
        // Insert a paragraph at the top of section A and edit "Three."
        let after = segments(
            &doc("## A\n\nNew zero.\n\nOne.\n\nTwo.\n\n## B\n\nThree, edited.\n"),
            &prev,
        );
        assert_eq!(
            ids(&after)[2..],
            [
                ("a", "A"),
                ("a-p3", "New zero."),
                ("a-p1", "One."),
                ("a-p2", "Two."),
                ("b", "B"),
                ("b-p1", "Three, edited.")
            ]
        );
    }

    #[test]
    fn duplicate_headings_get_distinct_ids() {
        let segs = segments(&doc("## Summary\n\nx\n\n## Summary\n\ny\n"), &[]);
        let got: Vec<&str> = segs.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            got,
            [
                "title",
                "hero-alt",
                "summary-2",
                "summary-2-p1",
                "summary-3",
                "summary-3-p1"
            ]
        );
    }

    #[test]
    fn ranges_are_ordered_and_disjoint_on_awkward_markdown() {
        let bodies = [
            "- a\n  - nested\n    continued\n- b\n\n  second paragraph of b\n",
            "1. item\n\n   > quote in item\n   > more\n\n2. ![only](x.png)\n",
            "> # heading in quote\n> para\n>\n> - list in quote\n",
            "| a | *b* |\n|---|---|\n| `c` | [d](@/x) |\n\nAfter\\\nhard break\n",
            "<div>\nraw html block\n</div>\n\ntext <span dir=\"ltr\">inline</span> end\n",
            "Setext\n======\n\n    indented code\n\n***\n\n[ref link][r]\n\n[r]: https://example.com\n",
            "line one\r\nline two\r\n\r\n## CRLF heading\r\n",
            "![a](x.png) and ![b](y.png)\n\n**bold** ~~strike~~ `code`\n",
            "",
        ];
        for body in bodies {
            let d = doc(body);
            let segs = segments(&d, &[]);
            let mut end = 0;
            for s in segs.iter().filter_map(|s| s.range.clone()) {
                assert!(
                    s.start >= end && s.end <= d.body().len() && s.start < s.end,
                    "{body:?}: {s:?}"
                );
                end = s.end;
            }
            let ids: std::collections::HashSet<&str> = segs.iter().map(|s| s.id.as_str()).collect();
            assert_eq!(ids.len(), segs.len(), "{body:?}: ids are unique");
            assert!(segs.iter().all(|s| !s.text.contains('\n')), "{body:?}: one line each");
        }
    }

    /// Bad input never panics: random Markdown-ish text through parsing and segmenting.
    #[test]
    fn random_input_never_panics() {
        const PIECES: &[&str] = &[
            "+++",
            "---",
            "\n",
            "\n\n",
            " ",
            "  ",
            "#",
            "## ",
            "> ",
            "- ",
            "1. ",
            "*",
            "**",
            "_",
            "`",
            "```",
            "[",
            "]",
            "(",
            ")",
            "@/",
            "!",
            "|",
            "---|",
            "<",
            ">",
            "&",
            "\\",
            "\r",
            "title = \"x\"",
            "date = 2026-01-01",
            "title: x",
            "date: 2026-01-01",
            "می\u{200C}شود",
            "\u{2068}",
            "ي",
            "text",
            "{",
            "}",
            "\t",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..3000 {
            let mut text = String::new();
            let len = (seed % 40) as usize;
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(PIECES[(seed % PIECES.len() as u64) as usize]);
            }
            if let Ok(d) = Document::parse(Path::new("fuzz.md"), text.clone()) {
                let segs = segments(&d, &[]);
                let prev: Vec<(String, String)> = segs.iter().map(|s| (s.id.clone(), s.text.clone())).collect();
                segments(&d, &prev);
            }
            let body = Document::parse(
                Path::new("b.md"),
                format!("+++\ntitle = \"t\"\ndate = 2026-01-01\n+++\n{text}"),
            );
            if let Ok(d) = body {
                segments(&d, &[]);
            }
        }
    }

    #[test]
    fn normalize_keeps_zwnj_and_joins_lines() {
        assert_eq!(normalize("می\u{200C}شود\n   ادامه"), "می\u{200C}شود ادامه");
        assert_eq!(normalize("a  \nb"), "a<br>b");
    }
}
