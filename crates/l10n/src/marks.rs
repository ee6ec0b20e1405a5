//! Translation marks, for the preview server (`nashr serve`, `?marks=1`): which texts of a
//! page are not the current translation, and where the translator fixes them.
//!
//! - Article segments: [`Localizer::localize_marked`] wraps each marked segment of the body in
//!   `<span data-nashr-mark="missing|stale|fallback" data-id=… data-file=… data-line=…
//!   data-source=…>` and returns the [`Mark`]s (fields such as the title and image alt texts
//!   are only listed: they also land in attributes and `<title>`, where no tag may go).
//! - UI messages: while [`collect`] runs, [`Localizer::message`] records every message it
//!   shows from another locale or from a stale translation. A thread-local collector, so it
//!   works per page whichever thread renders it; outside [`collect`] nothing is recorded.
//!
//! A normal build never calls either, so its output does not change. Attribute values are
//! escaped and carry no bidi isolation marks (`bidi::Sink::Value`).

use std::cell::RefCell;

use nashr_content::Article;
use nashr_content::html::{Escape, escape};

use crate::bidi::{Sink, for_sink};
use crate::localizer::{FtlFile, Localizer};
use crate::segment::{Segment, SegmentKind};
use crate::translate::LocalizedArticle;

/// Why a text is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MarkKind {
    /// The locale has no translation: the text is shown in a fallback locale.
    Missing,
    /// The source changed since the translation was made (shown, or replaced by the fallback
    /// text with `stale = "fallback"`).
    Stale,
    /// The locale has a translation that cannot be used (it fails to format): the fallback
    /// locale's text is shown.
    Fallback,
}

impl MarkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MarkKind::Missing => "missing",
            MarkKind::Stale => "stale",
            MarkKind::Fallback => "fallback",
        }
    }
}

/// One marked text of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub kind: MarkKind,
    /// Message id (`what-is-physiotherapy-p1`, `article-reading-time`).
    pub id: String,
    /// The article, for a segment; `None` for a UI message.
    pub slug: Option<String>,
    /// The page's locale.
    pub locale: String,
    /// The locale whose text is shown.
    pub shown_locale: String,
    /// The translation file to edit, relative to the project (`locales/fa/site.ftl`).
    pub file: String,
    /// The message's line in `file`, when the file has it.
    pub line: Option<usize>,
    /// Where the source message is (`locales/en/articles/x.ftl`, line).
    pub source_file: String,
    pub source_line: Option<usize>,
    /// The source text (Markdown for a segment, the Fluent pattern for a UI message).
    pub source: String,
    /// The text shown on the page.
    pub text: String,
}

impl Mark {
    /// `file:line`, or just the file when the message is not in it yet.
    pub fn location(&self) -> String {
        match self.line {
            Some(l) => format!("{}:{l}", self.file),
            None => self.file.clone(),
        }
    }

    /// The opening tag that wraps a marked segment in the body's Markdown (inline HTML).
    fn open_tag(&self) -> String {
        let attr = |s: &str| {
            // One line (the Markdown block must not end inside the tag), no marks, escaped.
            let v = for_sink(s, Sink::Value).replace(['\n', '\r'], " ");
            escape(&v, Escape::Markdown)
        };
        let mut tag = format!(
            "<span data-nashr-mark=\"{}\" data-id=\"{}\" data-file=\"{}\"",
            self.kind.as_str(),
            attr(&self.id),
            attr(&self.file)
        );
        if let Some(line) = self.line {
            tag.push_str(&format!(" data-line=\"{line}\""));
        }
        tag.push_str(&format!(" data-source-file=\"{}\"", attr(&self.source_file)));
        if let Some(line) = self.source_line {
            tag.push_str(&format!(" data-source-line=\"{line}\""));
        }
        tag.push_str(&format!(" data-source=\"{}\">", attr(&self.source)));
        tag
    }
}

thread_local! {
    static COLLECTOR: RefCell<Option<Vec<Mark>>> = const { RefCell::new(None) };
}

/// Runs `f`, returning what it returned and the UI-message marks recorded meanwhile on this
/// thread (each id once). Nested calls each get their own.
pub fn collect<R>(f: impl FnOnce() -> R) -> (R, Vec<Mark>) {
    let outer = COLLECTOR.with(|c| c.borrow_mut().replace(Vec::new()));
    let result = f();
    let marks = COLLECTOR.with(|c| std::mem::replace(&mut *c.borrow_mut(), outer));
    (result, marks.unwrap_or_default())
}

/// Whether [`collect`] is running on this thread (a cache of formatted messages must not
/// answer then, or the marks of every page after the first would be lost).
pub fn collecting() -> bool {
    COLLECTOR.with(|c| c.borrow().is_some())
}

fn record(mark: Mark) {
    COLLECTOR.with(|c| {
        if let Some(list) = c.borrow_mut().as_mut()
            && !list.iter().any(|m| m.id == mark.id && m.slug == mark.slug)
        {
            list.push(mark);
        }
    });
}

/// The Fluent source of message `id` in `file`: its definition line and continuation lines.
fn message_source(file: &FtlFile, id: &str) -> Option<(usize, String)> {
    let line = file.line_of(id)?;
    let mut lines = file.source.lines().skip(line - 1);
    let first = lines.next()?;
    let mut text = first.split_once('=').map_or(first, |(_, v)| v).trim().to_string();
    for l in lines.take_while(|l| l.starts_with([' ', '\t']) || l.trim().is_empty()) {
        if l.trim().is_empty() {
            break;
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(l.trim());
    }
    Some((line, text))
}

fn shown(path: &std::path::Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

impl Localizer {
    /// [`Localizer::localize`] with translation marks: every missing, stale or fallback
    /// segment of the body is wrapped in a marked `<span>`, and every marked segment (body
    /// and front matter) is returned.
    pub fn localize_marked(&self, article: &Article, locale: &str, segs: &[Segment]) -> (LocalizedArticle, Vec<Mark>) {
        let mut marks = Vec::new();
        let localized = self.localize_with(article, locale, segs, Some(&mut marks));
        (localized, marks)
    }

    /// Called by `localize` for each segment when marks are wanted: records a mark and returns
    /// the text to put into the body (wrapped, for body segments).
    pub(crate) fn mark_segment(
        &self,
        article: &Article,
        locale: &str,
        seg: &Segment,
        shown_locale: &str,
        text: String,
        marks: &mut Vec<Mark>,
    ) -> String {
        let slug = &article.slug;
        let source_locale = self.article_locale(article);
        let catalog = self.catalog(locale, slug);
        let line = catalog.as_ref().and_then(|c| c.file.line_of(&seg.id));
        let kind = if self.is_stale_segment(locale, slug, &seg.id) {
            MarkKind::Stale
        } else if shown_locale == locale {
            return text;
        } else if line.is_some() {
            MarkKind::Fallback
        } else {
            MarkKind::Missing
        };
        let source_catalog = self.catalog(source_locale, slug);
        let mark = Mark {
            kind,
            id: seg.id.clone(),
            slug: Some(slug.clone()),
            locale: locale.to_string(),
            shown_locale: shown_locale.to_string(),
            file: catalog.as_ref().map_or_else(
                || format!("locales/{locale}/articles/{slug}.ftl"),
                |c| shown(&c.file.path),
            ),
            line,
            source_file: source_catalog.as_ref().map_or_else(
                || format!("locales/{source_locale}/articles/{slug}.ftl"),
                |c| shown(&c.file.path),
            ),
            source_line: source_catalog.and_then(|c| c.file.line_of(&seg.id)),
            source: seg.text.clone(),
            text: text.clone(),
        };
        // Front matter fields also go into attributes and <title>; image alt text is an
        // attribute. They are listed, not wrapped.
        let wrap = !matches!(seg.kind, SegmentKind::Field(_) | SegmentKind::ImageAlt);
        let out = if wrap {
            format!("{}{text}</span>", mark.open_tag())
        } else {
            text
        };
        marks.push(mark);
        out
    }

    /// Called by `message` while [`collect`] runs: records UI message `id` of `locale` when it
    /// is shown from `shown_locale` (another locale) or is stale.
    pub(crate) fn mark_message(&self, locale: &str, id: &str, shown_locale: &str, text: &str) {
        if !collecting() {
            return;
        }
        let msg_id = id.split('.').next().unwrap_or(id);
        let stale = self.is_stale_message(locale, msg_id);
        let own = self.locale(locale);
        let own_file = own.and_then(|l| l.ui_files.iter().find(|f| f.line_of(msg_id).is_some()));
        let kind = if stale {
            MarkKind::Stale
        } else if shown_locale == locale {
            return;
        } else if own_file.is_some() {
            MarkKind::Fallback
        } else {
            MarkKind::Missing
        };
        let source = self.locale(self.source_locale());
        let source_file = source.and_then(|l| l.ui_files.iter().find(|f| f.line_of(msg_id).is_some()));
        let source_def = source_file.and_then(|f| message_source(f, msg_id));
        // The file to edit: the one that has the message, else the source file's namesake.
        let file = match (own_file, source_file) {
            (Some(f), _) => shown(&f.path),
            (None, Some(sf)) => {
                let name = sf.path.file_name().map(|n| n.to_string_lossy().into_owned());
                format!("locales/{locale}/{}", name.unwrap_or_else(|| "site.ftl".into()))
            }
            (None, None) => format!("locales/{locale}/site.ftl"),
        };
        record(Mark {
            kind,
            id: id.to_string(),
            slug: None,
            locale: locale.to_string(),
            shown_locale: shown_locale.to_string(),
            file,
            line: own_file.and_then(|f| f.line_of(msg_id)),
            source_file: source_file.map_or_else(String::new, |f| shown(&f.path)),
            source_line: source_def.as_ref().map(|(l, _)| *l),
            source: source_def.map(|(_, s)| s).unwrap_or_default(),
            text: text.to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_escaped_single_line_and_free_of_isolation_marks() {
        let mark = Mark {
            kind: MarkKind::Stale,
            id: "a-p1".into(),
            slug: Some("a".into()),
            locale: "fa".into(),
            shown_locale: "fa".into(),
            file: "locales/fa/articles/a.ftl".into(),
            line: Some(7),
            source_file: "locales/en/articles/a.ftl".into(),
            source_line: Some(9),
            source: "Say \"hi\" <b>&</b> to \u{2068}{ $name }\u{2069}\nnow `x`".into(),
            text: String::new(),
        };
        let tag = mark.open_tag();
        assert!(
            tag.starts_with("<span data-nashr-mark=\"stale\" data-id=\"a-p1\""),
            "{tag}"
        );
        assert!(
            tag.contains("data-line=\"7\"") && tag.contains("data-source-line=\"9\""),
            "{tag}"
        );
        assert!(
            tag.contains("data-source=\"Say &quot;hi&quot; &lt;b&gt;&amp;&lt;/b&gt; to { $name } now &#96;x&#96;\""),
            "{tag}"
        );
        assert!(!tag.contains(['\u{2068}', '\u{2069}', '\n']), "{tag}");
        assert_eq!(mark.location(), "locales/fa/articles/a.ftl:7");
    }

    #[test]
    fn collect_is_scoped_and_nests() {
        let (_, outer) = collect(|| {
            record(Mark {
                kind: MarkKind::Missing,
                id: "x".into(),
                slug: None,
                locale: "fa".into(),
                shown_locale: "en".into(),
                file: String::new(),
                line: None,
                source_file: String::new(),
                source_line: None,
                source: String::new(),
                text: String::new(),
            });
            let (_, inner) = collect(|| ());
            assert!(inner.is_empty());
        });
        assert_eq!(outer.len(), 1);
        assert!(!collecting());
    }
}
