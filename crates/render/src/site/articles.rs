//! The articles stage: every live article rendered in every locale, in parallel. Each task
//! hands the article's pages and images to the sink and returns its cards.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use nashr_content::{Article, SourceError};
use rayon::prelude::*;

use super::{ArticleDone, ArticleView, Hero, SiteRenderer, Urls, fingerprint, put, ser};
use crate::markdown::{self, MarkdownContext};

/// What the articles stage produced.
pub(crate) struct RenderedArticles<'a> {
    /// The articles rendered, by slug.
    pub done: BTreeMap<String, ArticleDone>,
    /// Articles that failed: listings leave them out without asking the previous build.
    pub failed: HashSet<&'a str>,
    pub errors: Vec<SourceError>,
}

/// Renders `articles` (each in every locale) in parallel, keeping the bodies of those in
/// `keep`; `live` is every live slug (`@/` links to others lose their link). The build's check
/// also runs on each article of the project that is not live.
pub(crate) fn render_articles<'a>(
    r: &SiteRenderer,
    articles: &[&'a Article],
    live: &HashSet<&str>,
    keep: &HashSet<&str>,
    sink: &dyn crate::OutputSink,
    progress: &crate::Progress<'_>,
) -> RenderedArticles<'a> {
    let done_count = AtomicUsize::new(0);
    let total = articles.len();
    let results: Vec<Result<ArticleDone, Vec<SourceError>>> = articles
        .par_iter()
        .map(|a| {
            let result = r.render_article(a, live, keep.contains(a.slug.as_str()), sink);
            progress("rendering", done_count.fetch_add(1, Ordering::Relaxed) + 1, total);
            result
        })
        .collect();
    let mut rendered = RenderedArticles {
        done: BTreeMap::new(),
        failed: HashSet::new(),
        errors: Vec::new(),
    };
    if let Some(check) = &r.check {
        for a in r.project.articles.iter().filter(|a| !a.is_live(r.now)) {
            rendered.errors.extend(check.not_rendered(r.project, a));
        }
    }
    for (a, result) in articles.iter().zip(results) {
        match result {
            Ok(d) => {
                rendered.done.insert(a.slug.clone(), d);
            }
            Err(mut e) => {
                rendered.errors.append(&mut e);
                rendered.failed.insert(a.slug.as_str());
            }
        }
    }
    rendered
}

impl SiteRenderer<'_> {
    fn view(
        &self,
        article: &Article,
        lang: &str,
        segs: &[nashr_l10n::segment::Segment],
        live: &HashSet<&str>,
        source_events: Option<Vec<(pulldown_cmark::Event<'_>, std::ops::Range<usize>)>>,
    ) -> ArticleView {
        let rel = format!("{lang}/{}/", article.slug);
        let marked = self.marks.enabled();
        let loc = if marked {
            let (loc, marks) = self.l10n.localize_marked(article, lang, segs);
            self.marks.add(&Urls::file(&rel), marks);
            loc
        } else {
            self.l10n.localize_segments(article, lang, segs)
        };
        let ctx = MarkdownContext {
            lang,
            base_path: &self.urls.base_path,
            heading_ids: &loc.heading_ids,
            is_live: &|slug| live.contains(slug),
        };
        let body = match source_events {
            _ if marked => markdown::render_marked(&loc.body, &ctx),
            // The source locale's page: its body as parsed for segmenting.
            Some(events) if loc.body == article.doc.body() => markdown::render_parsed(&loc.body, events, &ctx),
            _ => markdown::render(&loc.body, &ctx),
        };
        for slug in &body.unpublished_links {
            self.warn(format!(
                "{} links to `@/{slug}`, which is not published yet (a draft, or scheduled later); the link is left out until it is",
                article.doc.path.display()
            ));
        }
        let fm = article.front();
        let source_lang = self.l10n.article_locale(article).to_string();
        let rfc = |d: jiff::civil::Date| format!("{d}T00:00:00Z");
        ArticleView {
            slug: article.slug.clone(),
            title: loc.title,
            summary: loc.summary,
            author: loc.author,
            reviewed_by: loc.reviewed_by,
            date: fm.date.0.to_string(),
            updated: fm.updated.map(|d| d.0.to_string()),
            date_rfc3339: rfc(fm.date.0),
            updated_rfc3339: rfc(fm.updated.unwrap_or(fm.date).0),
            reading_minutes: (body.words as u64).div_ceil(200).max(1),
            tags: fm.tags.iter().map(|t| self.tag_ref(lang, t)).collect(),
            url: self.urls.href(&rel),
            permalink: self.urls.permalink(&rel),
            hero: fm.hero.as_ref().map(|h| Hero {
                src: h.src.clone(),
                alt: loc.hero_alt.clone().unwrap_or_else(|| h.alt.clone()),
            }),
            content: body.html,
            fallback_language: if loc.fallback.is_empty() {
                None
            } else {
                Some(self.language_in(lang, &source_lang))
            },
            source_lang,
        }
    }

    /// One article in every locale: pages and images go to `sink`; the cards come back.
    fn render_article(
        &self,
        article: &Article,
        live: &HashSet<&str>,
        keep_content: bool,
        sink: &dyn crate::OutputSink,
    ) -> Result<ArticleDone, Vec<SourceError>> {
        // The article's translations in every locale, read now and dropped when it is done;
        // its source catalog, read once to align the segment ids and for the build's check.
        let opened = self.l10n.open_translations(article);
        let path = nashr_l10n::sync::catalog_path(self.project, article);
        let source_catalog = nashr_content::fs::read_text_if_exists(&path).map_err(|e| {
            vec![SourceError::whole_file(
                self.project.shown(&path),
                format!("cannot read the file: {e}"),
            )]
        })?;
        // Parsed once: for the segments' ids here, and as the check's reference.
        let source_catalog =
            source_catalog.map(|text| nashr_l10n::localizer::FtlFile::parse(self.project.shown(&path), text));
        let entries = source_catalog
            .as_ref()
            .map(|f| nashr_l10n::catalog::entries_of(&f.resource))
            .unwrap_or_default();
        // One parse of the body: for its segments, then for the source locale's page.
        let mut source_events = Some(nashr_l10n::segment::body_events(article.doc.body()));
        // Its links and images too (the build checks them on this parse, not one of its own).
        article.doc.set_references(nashr_content::article::references_in(
            source_events.iter().flatten().map(|(e, r)| (e, r.clone())),
        ));
        let segs =
            nashr_l10n::segment::segments_of(&article.doc, &entries, source_events.as_deref().unwrap_or_default());
        drop(entries);
        let mut errors = Vec::new();
        if let Some(check) = &self.check {
            let translation = |locale: &str| self.l10n.catalog(locale, &article.slug).map(|c| c.file.clone());
            let sources = crate::ArticleSources {
                project: self.project,
                article,
                segments: &segs,
                source_catalog: source_catalog.as_ref(),
                translation: &translation,
            };
            match check.check(&sources) {
                Ok(stale) => {
                    for (locale, ids) in stale {
                        self.l10n.mark_stale_segments(&locale, &article.slug, ids);
                    }
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        drop(source_catalog);
        let _catalogs = match opened {
            Ok(open) => open,
            Err(mut e) => {
                errors.append(&mut e);
                return Err(errors);
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let source_locale = &self.project.config.site.source_locale;
        let mut done = ArticleDone {
            views: BTreeMap::new(),
            bodies: BTreeMap::new(),
            outputs: Vec::new(),
            cards: BTreeMap::new(),
        };
        let mut assets = Vec::new();
        for asset in &article.assets {
            let src = article.dir.join(asset);
            match std::fs::read(&src) {
                Ok(bytes) => assets.push((asset.to_string_lossy().replace('\\', "/"), bytes)),
                Err(e) => errors.push(SourceError::whole_file(
                    self.project.shown(&src),
                    format!("cannot read the file: {e}"),
                )),
            }
        }
        for lang in self.locales() {
            let events = if *lang == self.l10n.article_locale(article) {
                source_events.take()
            } else {
                None
            };
            let mut view = self.view(article, lang, &segs, live, events);
            let rel = format!("{lang}/{}/", article.slug);
            let slug = &article.slug;
            let page = self.page(
                lang,
                "article",
                &rel,
                |l| format!("{l}/{slug}/"),
                self.urls.permalink(&format!("{source_locale}/{slug}/")),
            );
            let ctx =
                minijinja::context! { page => ser(&page), article => ser(&view), ..self.common_values[lang].clone() };
            let path = Urls::file(&rel);
            match self
                .marks
                .page(&path, || self.render_around("article.html", ctx, &view.content))
                .and_then(|bytes| put(sink, &path, bytes))
            {
                Ok(()) => done.outputs.push(path),
                Err(e) => errors.push(e),
            }
            for (name, bytes) in &assets {
                let path = format!("{rel}{name}");
                match put(sink, &path, bytes.clone()) {
                    Ok(()) => done.outputs.push(path),
                    Err(e) => errors.push(e),
                }
            }
            let body = std::mem::take(&mut view.content);
            if keep_content {
                done.bodies.insert(lang.clone(), body);
            }
            done.cards.insert(lang.clone(), (ser(&view), fingerprint(&view)));
            done.views.insert(lang.clone(), view);
        }
        if errors.is_empty() { Ok(done) } else { Err(errors) }
    }
}
