//! Producing an article in a locale: the source document with every segment replaced by its
//! translation, each missing one falling back along the locale chain.

use nashr_content::{Article, Document};

use crate::localizer::Localizer;
use crate::segment::{Field, Segment, SegmentKind, segments};

/// An article's text in one locale, still Markdown.
#[derive(Debug, Clone)]
pub struct LocalizedArticle {
    pub locale: String,
    pub title: String,
    /// The slug for CMS targets in this locale: front matter `slug` (of the whole-file
    /// translation, else of the source), or else [`nashr_content::slugify`] of `title`.
    /// Site URLs do not use it: they are `/<lang>/<directory name>/` in every locale.
    pub slug: String,
    pub summary: Option<String>,
    pub author: Option<String>,
    pub reviewed_by: Option<String>,
    pub hero_alt: Option<String>,
    /// The Markdown body with translations applied.
    pub body: String,
    /// Anchor ids for the body's headings, in order: the same in every locale, so a link to
    /// `#what-is-physiotherapy` works on the English and the Persian page alike.
    pub heading_ids: Vec<String>,
    /// Number of segments in the article.
    pub segments: usize,
    /// Ids of segments shown in another locale because this one lacks them.
    pub fallback: Vec<String>,
    /// Whether a whole-file translation (`index.<lang>.md`) was used.
    pub whole_file: bool,
}

impl Localizer {
    /// Text shown from a fallback locale written the other way (English in a Persian page),
    /// in a block of the body: isolated in its own direction (U+2066 LRI or U+2067 RLI …
    /// U+2069 PDI), so its punctuation and any number stay at the right end for a reader of
    /// the page's direction. Front matter fields and alt text are left alone: they also go
    /// into attributes, titles and headers, where isolation marks must never be.
    fn isolate_fallback(&self, kind: SegmentKind, locale: &str, shown: &str, text: String) -> String {
        let rtl = |code: &str| self.locale(code).is_some_and(|l| l.rtl);
        let in_body = matches!(
            kind,
            SegmentKind::Heading
                | SegmentKind::Paragraph
                | SegmentKind::ListItem
                | SegmentKind::Quote
                | SegmentKind::TableCell
        );
        if !in_body || rtl(locale) == rtl(shown) || text.is_empty() {
            return text;
        }
        let open = if rtl(shown) { '\u{2067}' } else { '\u{2066}' };
        format!("{open}{text}\u{2069}")
    }

    /// The source locale of `article`.
    pub fn article_locale<'a>(&'a self, article: &'a Article) -> &'a str {
        article.front().lang.as_deref().unwrap_or(self.source_locale())
    }

    /// The segments of `article` with the ids its source catalog gives them.
    pub fn article_segments(&self, article: &Article) -> Vec<Segment> {
        segments(
            &article.doc,
            &self.catalog_entries(self.article_locale(article), &article.slug),
        )
    }

    /// `article` in `locale`.
    pub fn localize(&self, article: &Article, locale: &str) -> LocalizedArticle {
        self.localize_segments(article, locale, &self.article_segments(article))
    }

    /// `article` in `locale`, given its segments ([`Localizer::article_segments`]): a caller
    /// rendering several locales extracts and aligns them once.
    pub fn localize_segments(&self, article: &Article, locale: &str, segs: &[Segment]) -> LocalizedArticle {
        self.localize_with(article, locale, segs, None)
    }

    /// [`Localizer::localize_segments`], recording translation marks when `marks` is given
    /// (see [`crate::marks`]).
    pub(crate) fn localize_with(
        &self,
        article: &Article,
        locale: &str,
        segs: &[Segment],
        mut marks: Option<&mut Vec<crate::marks::Mark>>,
    ) -> LocalizedArticle {
        let source_locale = self.article_locale(article);
        let heading_ids: Vec<String> = segs
            .iter()
            .filter(|s| s.kind == SegmentKind::Heading)
            .map(|s| s.id.clone())
            .collect();

        if locale == source_locale {
            return from_document(&article.doc, locale, heading_ids, segs.len());
        }
        if let Some(doc) = article.translations.get(locale) {
            let own: Vec<String> = segments(doc, &[])
                .into_iter()
                .filter(|s| s.kind == SegmentKind::Heading)
                .map(|s| s.id)
                .collect();
            let ids = if own.len() == heading_ids.len() {
                heading_ids
            } else {
                own
            };
            let mut localized = LocalizedArticle {
                whole_file: true,
                ..from_document(doc, locale, ids, segs.len())
            };
            if doc.front.slug.is_none()
                && let Some(source_slug) = &article.front().slug
            {
                localized.slug = source_slug.clone();
            }
            return localized;
        }

        let mut fallback = Vec::new();
        // The article's catalog in each locale of the chain, looked up once, not per segment.
        let catalogs: Vec<_> = self
            .chain(locale)
            .take_while(|data| data.code != source_locale)
            .map(|data| (data, self.article_catalog(data, &article.slug)))
            .collect();
        let mut translated = |seg: &Segment| -> String {
            let mut shown = None;
            for (data, catalog) in &catalogs {
                if let Some(text) = self.segment_in(data, catalog.as_deref(), &article.slug, &seg.id) {
                    shown = Some((data.code.as_str(), one_line(&text)));
                    break;
                }
            }
            let (shown_locale, mut text) = shown.unwrap_or_else(|| (source_locale, seg.text.clone()));
            if shown_locale != locale {
                fallback.push(seg.id.clone());
                text = self.isolate_fallback(seg.kind, locale, shown_locale, text);
            }
            match marks.as_deref_mut() {
                Some(marks) => self.mark_segment(article, locale, seg, shown_locale, text, marks),
                None => text,
            }
        };

        let mut fields = std::collections::HashMap::new();
        let body_src = article.doc.body();
        let mut body = String::with_capacity(body_src.len() * 2);
        let mut pos = 0;
        for seg in segs {
            let text = translated(seg);
            match (seg.kind, &seg.range) {
                (SegmentKind::Field(f), _) => {
                    fields.insert(f, text);
                }
                // Segments come in document order and never overlap; the guard keeps a parser
                // surprise from becoming a panic (the segment then stays in the source language).
                (_, Some(range)) if range.start >= pos && range.end <= body_src.len() => {
                    body.push_str(&body_src[pos..range.start]);
                    body.push_str(&text);
                    pos = range.end;
                }
                _ => {}
            }
        }
        body.push_str(&body_src[pos..]);
        for id in &fallback {
            self.note_fallback(locale, &format!("{}#{id}", article.slug));
        }
        let mut take = |f: Field| fields.remove(&f);
        let title = take(Field::Title).unwrap_or_else(|| article.front().title.clone());
        LocalizedArticle {
            locale: locale.to_string(),
            slug: slug_for(article.front().slug.as_deref(), &title),
            title,
            summary: take(Field::Summary),
            author: take(Field::Author),
            reviewed_by: take(Field::ReviewedBy),
            hero_alt: take(Field::HeroAlt),
            body,
            heading_ids,
            segments: segs.len(),
            fallback,
            whole_file: false,
        }
    }
}

/// `doc` as the article in `locale`; the caller marks a whole-file translation.
fn from_document(doc: &Document, locale: &str, heading_ids: Vec<String>, segments: usize) -> LocalizedArticle {
    let fm = &doc.front;
    LocalizedArticle {
        locale: locale.to_string(),
        slug: slug_for(fm.slug.as_deref(), &fm.title),
        title: fm.title.clone(),
        summary: fm.summary.clone(),
        author: fm.author.clone(),
        reviewed_by: fm.reviewed_by.clone(),
        hero_alt: fm.hero.as_ref().map(|h| h.alt.clone()),
        body: doc.body().to_string(),
        heading_ids,
        segments,
        fallback: Vec::new(),
        whole_file: false,
    }
}

/// An explicit slug always wins; otherwise the title's.
fn slug_for(explicit: Option<&str>, title: &str) -> String {
    explicit.map_or_else(|| nashr_content::slugify(title), str::to_string)
}

/// A translation spread over several Fluent lines becomes one line, so it cannot break the
/// Markdown block it is put into. Only line breaks and the spaces around them go; no-break
/// spaces and ZWNJ stay.
fn one_line(text: &str) -> String {
    if !text.contains('\n') {
        return text.trim_matches([' ', '\t']).to_string();
    }
    text.split('\n')
        .map(|l| l.trim_matches([' ', '\t', '\r']))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
