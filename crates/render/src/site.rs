//! Every output file of the static site, rendered in parallel and handed to an
//! [`OutputSink`](crate::OutputSink) as soon as it is rendered.
//!
//! Two phases. **Articles**: each live article is localized and rendered in every locale by
//! one task (its segments are extracted and aligned once, its Markdown parsed once per
//! locale); the task hands its pages and images to the sink and returns only the article's
//! *card* (what listings show: title, summary, date, tags, reading time; the body apart, only
//! for the newest articles, which the feed carries). **Listings**: index pages, tag pages, the
//! tag list, feeds, the root page and the sitemap are rendered from the cards, in parallel too.
//! So memory holds the inputs and one card per article and locale, never the site. An
//! incremental build ([`Prior`]) whose rendered cards are all as before looks at the feeds only.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use minijinja::Value;
use minijinja::value::Serde;
use nashr_content::{Article, Error, Project, SourceError};
use nashr_l10n::Localizer;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::markdown::{self, MarkdownContext};
use crate::templates::Templates;

/// One file of the site: its path relative to the output directory, and its bytes.
#[derive(Debug, Clone)]
pub struct Output {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Site-relative URLs: `fa/slug/` is served at `<base_path>fa/slug/`, linked absolutely as
/// `<base_url>fa/slug/` and written to `fa/slug/index.html`.
#[derive(Clone)]
struct Urls {
    base_url: String,
    base_path: String,
}

impl Urls {
    fn href(&self, rel: &str) -> String {
        format!("{}{rel}", self.base_path)
    }
    fn permalink(&self, rel: &str) -> String {
        format!("{}{rel}", self.base_url)
    }
    fn file(rel: &str) -> String {
        if rel.is_empty() || rel.ends_with('/') {
            format!("{rel}index.html")
        } else {
            rel.to_string()
        }
    }
}

#[derive(Serialize, Clone)]
struct Alternate {
    lang: String,
    dir: &'static str,
    /// The language's name in its own language (`language-name` in its site.ftl).
    name: String,
    url: String,
    permalink: String,
    current: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Hash)]
pub(crate) struct TagRef {
    pub(crate) key: String,
    label: String,
    url: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Hash)]
pub(crate) struct Hero {
    src: String,
    alt: String,
}

/// An article as templates see it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Hash)]
pub(crate) struct ArticleView {
    pub(crate) slug: String,
    title: String,
    summary: Option<String>,
    author: Option<String>,
    reviewed_by: Option<String>,
    /// ISO dates; format them for readers with the `date` filter.
    pub(crate) date: String,
    updated: Option<String>,
    /// RFC 3339, for feeds and `<time datetime>`.
    date_rfc3339: String,
    updated_rfc3339: String,
    reading_minutes: u64,
    pub(crate) tags: Vec<TagRef>,
    url: String,
    permalink: String,
    hero: Option<Hero>,
    /// Sanitised HTML of the body (only kept in cards of articles the feed carries).
    pub(crate) content: String,
    /// Locale whose text fills untranslated segments, when there are any.
    fallback_language: Option<String>,
    source_lang: String,
}

#[derive(Serialize)]
struct Pagination {
    page: usize,
    total: usize,
    newer_url: Option<String>,
    older_url: Option<String>,
}

#[derive(Serialize)]
struct PageInfo {
    kind: &'static str,
    url: String,
    permalink: String,
    alternates: Vec<Alternate>,
    x_default: String,
}

/// What every page template gets.
#[derive(Serialize)]
struct Common {
    lang: String,
    dir: &'static str,
    base_path: String,
    base_url: String,
    home_url: String,
    tags_url: String,
    feed_url: String,
    feed_permalink: String,
    static_url: String,
}

/// Cards of articles by slug, then by locale.
pub(crate) type Cards = BTreeMap<String, BTreeMap<String, ArticleView>>;

/// What an incremental build knows of the earlier build, for the articles it does not render
/// again. The cards are asked for only when a listing page must be looked at, so an edit that
/// changes no card never loads them.
pub(crate) trait Prior: Sync {
    /// Fingerprints of the listing pages of the earlier build.
    fn listings(&self) -> &BTreeMap<String, u64>;
    /// Whether the listing pages may differ from the earlier build's, given the articles
    /// rendered in this run: a card changed, an article came, went, went live, or a listing
    /// template changed. When not, only the feeds (which carry bodies) are looked at.
    fn listings_stale(&self, rendered: &BTreeMap<String, ArticleDone>) -> bool;
    /// The cards (bodies left out) of every live article of the earlier build.
    fn cards(&self) -> Result<&Cards, Error>;
    /// The cards with their bodies of the newest articles of the earlier build (the feeds'
    /// entries and as many again).
    fn feed(&self) -> Result<&Cards, Error>;
    /// Whether an article not rendered in this run produced `path` (a static file must not
    /// replace it).
    fn produced(&self, path: &str) -> bool;
}

/// What one run renders: the whole site, or (an incremental build) what an edit affects.
pub(crate) struct Scope<'s> {
    /// Every live article's slug: `@/` links to other slugs lose their link.
    pub live: BTreeSet<String>,
    /// `(date, slug)` of every live article not rendered in this run.
    pub prior_order: Vec<(String, String)>,
    /// The earlier build, in an incremental build.
    pub prior: Option<&'s dyn Prior>,
}

/// One rendered article: its cards per locale and the files it produced.
pub(crate) struct ArticleDone {
    /// Cards, bodies left out (`content` is empty).
    pub views: BTreeMap<String, ArticleView>,
    /// The body per locale, kept only for the newest articles (see [`kept_bodies`]).
    pub bodies: BTreeMap<String, String>,
    pub outputs: Vec<String>,
    /// Each card as templates see it and its fingerprint, made once: a card is shown on an
    /// index page and on a page per tag (80,000 times for 10,000 articles in two languages).
    pub(crate) cards: BTreeMap<String, (Value, u64)>,
}

impl ArticleDone {
    /// The fingerprint of its cards in every locale (what listings show of it), from the
    /// fingerprints made when they were rendered rather than by hashing them again.
    pub(crate) fn card_fingerprint(&self) -> u64 {
        let per_locale: Vec<(&String, u64)> = self.cards.iter().map(|(lang, (_, fp))| (lang, *fp)).collect();
        fingerprint(&per_locale)
    }

    /// The card of `lang` with its body, when the body was kept.
    pub(crate) fn full_view(&self, lang: &str) -> Option<ArticleView> {
        let body = self.bodies.get(lang)?;
        let mut v = self.views.get(lang)?.clone();
        v.content = body.clone();
        Some(v)
    }
}

/// Bytes an article page has besides its body, with room to spare (the built-in templates
/// write 5–7 KB): the page is rendered into one buffer of the body's size plus this.
const PAGE_AROUND_BODY: usize = 16 * 1024;

/// How many of the newest articles keep their bodies: the feeds carry `feed_entries`; the
/// incremental state keeps as many again, so that an edit which pushes an entry out of the
/// feeds (or removes one) finds the next one's body without rendering it again.
pub(crate) fn kept_bodies(feed_entries: usize) -> usize {
    feed_entries.saturating_mul(2)
}

/// What a run produced besides the files it handed to the sink.
pub(crate) struct SiteDone {
    pub articles: BTreeMap<String, ArticleDone>,
    /// Every listing page (index, tag, tag list, feed, root, sitemap) with the fingerprint of
    /// its inputs, rendered in this run or not.
    pub listings: BTreeMap<String, u64>,
    /// Every live article, newest first: `(date, slug)`.
    pub order: Vec<(String, String)>,
    /// Files of `static/` copied to the site root.
    pub static_files: Vec<String>,
    /// Pages rendered in this run (articles × locales, listings).
    pub rendered: usize,
}

pub(crate) struct SiteRenderer<'a> {
    project: &'a Project,
    l10n: Arc<Localizer>,
    templates: Templates,
    urls: Urls,
    /// Language names, each in its own language.
    language_names: BTreeMap<String, String>,
    warnings: std::sync::Mutex<BTreeSet<String>>,
    now: jiff::Timestamp,
    /// Translation marks per page, when the preview asks for them.
    pub(crate) marks: crate::marks::Collector,
    /// What every page of a locale gets ([`Common`]), as templates see it: made once.
    common_values: BTreeMap<String, Value>,
    /// The build's check of each article's translations ([`crate::ArticleCheck`]).
    check: Option<Arc<dyn crate::ArticleCheck>>,
}

/// A fingerprint of anything hashable. Stable for one build of nashr (the incremental state
/// records the nashr version and is discarded by another one).
pub(crate) fn fingerprint(value: &impl Hash) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

impl<'a> SiteRenderer<'a> {
    pub(crate) fn new(
        project: &'a Project,
        l10n: Arc<Localizer>,
        now: jiff::Timestamp,
        marks: bool,
    ) -> Result<Self, Error> {
        let templates = Templates::load(project, l10n.clone())?;
        let mut language_names = BTreeMap::new();
        for code in &project.config.site.locales {
            let name = l10n
                .message(code, "language-name", None)
                .map(|f| f.text)
                .unwrap_or_else(|_| code.clone());
            language_names.insert(code.clone(), name);
        }
        let urls = Urls {
            base_url: project.config.base_url(),
            base_path: project.config.base_path(),
        };
        let mut renderer = SiteRenderer {
            project,
            l10n,
            templates,
            urls,
            language_names,
            warnings: Default::default(),
            now,
            marks: crate::marks::Collector::new(marks),
            common_values: BTreeMap::new(),
            check: None,
        };
        renderer.common_values = project
            .config
            .site
            .locales
            .iter()
            .map(|l| (l.clone(), ser(&renderer.common(l))))
            .collect();
        Ok(renderer)
    }

    /// Runs `check` on every article before rendering it.
    pub(crate) fn with_check(mut self, check: Option<Arc<dyn crate::ArticleCheck>>) -> Self {
        self.check = check;
        self
    }

    pub(crate) fn templates(&self) -> &Templates {
        &self.templates
    }

    /// The live articles of the project, newest first.
    pub(crate) fn live_articles(&self) -> Vec<&'a Article> {
        let mut articles: Vec<&Article> = self.project.articles.iter().filter(|a| a.is_live(self.now)).collect();
        articles.sort_by(|a, b| {
            newest_first(
                (&a.front().date.0.to_string(), &a.slug),
                (&b.front().date.0.to_string(), &b.slug),
            )
        });
        articles
    }

    fn warn(&self, warning: String) {
        if let Ok(mut w) = self.warnings.lock() {
            w.insert(warning);
        }
    }

    /// Warnings raised while rendering, each once.
    pub(crate) fn warnings(&self) -> Vec<String> {
        self.warnings
            .lock()
            .map(|w| w.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn locales(&self) -> &[String] {
        &self.project.config.site.locales
    }

    fn dir(&self, lang: &str) -> &'static str {
        if self.l10n.locale(lang).is_some_and(|l| l.rtl) {
            "rtl"
        } else {
            "ltr"
        }
    }

    fn alternates(&self, current: &str, rel_for: impl Fn(&str) -> String) -> Vec<Alternate> {
        self.locales()
            .iter()
            .map(|l| {
                let rel = rel_for(l);
                Alternate {
                    lang: l.clone(),
                    dir: self.dir(l),
                    name: self.language_names.get(l).cloned().unwrap_or_else(|| l.clone()),
                    url: self.urls.href(&rel),
                    permalink: self.urls.permalink(&rel),
                    current: l == current,
                }
            })
            .collect()
    }

    fn common(&self, lang: &str) -> Common {
        Common {
            lang: lang.to_string(),
            dir: self.dir(lang),
            base_path: self.urls.base_path.clone(),
            base_url: self.urls.base_url.clone(),
            home_url: self.urls.href(&format!("{lang}/")),
            tags_url: self.urls.href(&format!("{lang}/tags/")),
            feed_url: self.urls.href(&format!("{lang}/atom.xml")),
            feed_permalink: self.urls.permalink(&format!("{lang}/atom.xml")),
            static_url: self.urls.href(""),
        }
    }

    /// The name of language `code` in the words of locale `lang` (`language-en = انگلیسی`),
    /// or the language's own name when `lang` has no such message.
    fn language_in(&self, lang: &str, code: &str) -> String {
        match self.l10n.message(lang, &format!("language-{code}"), None) {
            Ok(f) if f.locale == lang => f.text,
            _ => self
                .language_names
                .get(code)
                .cloned()
                .unwrap_or_else(|| code.to_string()),
        }
    }

    fn tag_label(&self, lang: &str, key: &str) -> String {
        self.l10n
            .message(lang, &format!("tag-{key}"), None)
            .map(|f| f.text)
            .unwrap_or_else(|_| key.replace('-', " "))
    }

    fn tag_ref(&self, lang: &str, key: &str) -> TagRef {
        TagRef {
            key: key.to_string(),
            label: self.tag_label(lang, key),
            url: self.urls.href(&format!("{lang}/tags/{key}/")),
        }
    }

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

    fn page(
        &self,
        lang: &str,
        kind: &'static str,
        rel: &str,
        rel_for: impl Fn(&str) -> String,
        x_default: String,
    ) -> PageInfo {
        PageInfo {
            kind,
            url: self.urls.href(rel),
            permalink: self.urls.permalink(rel),
            alternates: self.alternates(lang, rel_for),
            x_default,
        }
    }

    fn render(&self, template: &str, ctx: Value) -> Result<Vec<u8>, SourceError> {
        self.render_around(template, ctx, "")
    }

    /// [`SiteRenderer::render`] for a page that shows `body`, a rendered Markdown body: the
    /// isolation marks of its tags are gone already, and it is not scanned again.
    fn render_around(&self, template: &str, ctx: Value, body: &str) -> Result<Vec<u8>, SourceError> {
        let text = if body.is_empty() {
            self.templates.render(template, ctx)?
        } else {
            self.templates
                .render_sized(template, ctx, body.len() + PAGE_AROUND_BODY)?
        };
        // Every page, feed and sitemap: isolation marks only in text content. Most pages
        // have none elsewhere, and keep their bytes (no copy).
        Ok(match nashr_l10n::bidi::strip_isolates_in_markup_around(&text, body) {
            std::borrow::Cow::Borrowed(_) => text.into_bytes(),
            std::borrow::Cow::Owned(clean) => clean.into_bytes(),
        })
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

    /// Renders the articles of the project (every one that is live) and the listings, handing
    /// each file to `sink`.
    pub(crate) fn render_site(
        &self,
        scope: &Scope<'_>,
        sink: &dyn crate::OutputSink,
        progress: &crate::Progress<'_>,
    ) -> Result<SiteDone, Error> {
        let locales = self.locales().to_vec();
        let per_page = self.project.config.site.per_page;
        let feed_entries = self.project.config.site.feed_entries;
        let to_render = self.live_articles();

        // The order of every live article, rendered now or not: newest first.
        let mut order: Vec<(String, String)> = to_render
            .iter()
            .map(|a| (a.front().date.0.to_string(), a.slug.clone()))
            .collect();
        order.extend(scope.prior_order.iter().cloned());
        order.sort_by(|a, b| newest_first((&a.0, &a.1), (&b.0, &b.1)));
        let keep: HashSet<&str> = order
            .iter()
            .take(kept_bodies(feed_entries))
            .map(|(_, s)| s.as_str())
            .collect();

        // Phase 1: articles, in parallel. Each page asks for every `@/slug` link it has.
        let live: HashSet<&str> = scope.live.iter().map(String::as_str).collect();
        let done_count = AtomicUsize::new(0);
        let total = to_render.len();
        let results: Vec<Result<ArticleDone, Vec<SourceError>>> = to_render
            .par_iter()
            .map(|a| {
                let r = self.render_article(a, &live, keep.contains(a.slug.as_str()), sink);
                progress("rendering", done_count.fetch_add(1, Ordering::Relaxed) + 1, total);
                r
            })
            .collect();
        let mut errors = Vec::new();
        if let Some(check) = &self.check {
            for a in self.project.articles.iter().filter(|a| !a.is_live(self.now)) {
                errors.extend(check.not_rendered(self.project, a));
            }
        }
        let mut articles = BTreeMap::new();
        let mut failed = HashSet::new();
        for (a, r) in to_render.iter().zip(results) {
            match r {
                Ok(d) => {
                    articles.insert(a.slug.clone(), d);
                }
                Err(mut e) => {
                    errors.append(&mut e);
                    failed.insert(a.slug.as_str());
                }
            }
        }
        let rendered_pages = articles.len() * locales.len();
        let started = std::time::Instant::now();
        let ms = || started.elapsed().as_secs_f64() * 1000.0;

        // Phase 2: listings from the cards. An incremental build whose cards are all as before
        // looks at the feeds only (they carry bodies).
        let listed_all = scope.prior.is_none_or(|p| p.listings_stale(&articles));
        let prior_cards = match scope.prior {
            Some(p) if listed_all && !scope.prior_order.is_empty() => Some(p.cards()?),
            _ => None,
        };
        let prior_feed = match scope.prior {
            Some(p)
                if order
                    .iter()
                    .take(feed_entries)
                    .any(|(_, s)| !articles.contains_key(s) && !failed.contains(s.as_str())) =>
            {
                Some(p.feed()?)
            }
            _ => None,
        };
        // The newest `feed_entries` articles with their bodies, in `lang`; and whether one is
        // missing (not rendered, not in the feed file).
        let feed_entries_of = |lang: &str| -> (Vec<ArticleView>, bool) {
            let mut missing = false;
            let entries = order
                .iter()
                .take(feed_entries)
                .filter_map(|(_, slug)| {
                    let v = match articles.get(slug) {
                        Some(d) => d.full_view(lang),
                        None => prior_feed.and_then(|f| f.get(slug)).and_then(|c| c.get(lang)).cloned(),
                    };
                    missing |= v.is_none() && !failed.contains(slug.as_str());
                    v
                })
                .collect();
            (entries, missing)
        };
        tracing::debug!("listings: cards read by {:.1} ms", ms());
        let mut jobs: Vec<Listing> = Vec::new();
        let mut sitemap: Vec<SitemapUrl> = Vec::new();
        let source_locale = self.project.config.site.source_locale.clone();
        let root_x_default = self.urls.permalink("");
        let mut missing_view = false;
        if !listed_all {
            for lang in &locales {
                // A feed none of whose entries was rendered again is as before.
                if order.iter().take(feed_entries).any(|(_, s)| articles.contains_key(s)) {
                    let (entries, missing) = feed_entries_of(lang);
                    missing_view |= missing;
                    jobs.push(self.feed_job(Arc::new(self.common(lang)), entries));
                }
            }
        }
        // Every listing of each locale, the locales in parallel; collected in locale order, so
        // the sitemap and the jobs come out as from one thread.
        let per_locale = |lang: &String| -> (Vec<Listing<'_>>, Vec<SitemapUrl>, bool) {
            let mut jobs: Vec<Listing> = Vec::new();
            let mut sitemap: Vec<SitemapUrl> = Vec::new();
            let mut missing_view = false;
            let common = Arc::new(self.common(lang));
            let common_value = ser(&*common);
            // References to the cards, not copies: 10,000 articles are 20,000 cards, each on an
            // index page and three tag pages.
            let views: Vec<&ArticleView> = order
                .iter()
                .filter_map(|(_, slug)| {
                    let v = articles
                        .get(slug)
                        .and_then(|d: &ArticleDone| d.views.get(lang))
                        .or_else(|| prior_cards.and_then(|c| c.get(slug)).and_then(|c| c.get(lang)));
                    if v.is_none() && !failed.contains(slug.as_str()) {
                        missing_view = true;
                    }
                    v
                })
                .collect();
            // Each card's template value and fingerprint, made once per article and locale
            // (an article rendered in this run made them already).
            let cards: Vec<(Value, u64)> = views
                .iter()
                .map(|v| {
                    articles
                        .get(&v.slug)
                        .and_then(|d| d.cards.get(lang))
                        .cloned()
                        .unwrap_or_else(|| (ser(*v), fingerprint(*v)))
                })
                .collect();
            let cards = Arc::new(LocaleCards::new(self, cards, common_value.clone()));
            let card_fps =
                |indices: std::ops::Range<usize>| cards.cards[indices].iter().map(|c| c.1).collect::<Vec<u64>>();
            for v in views.iter() {
                let slug = &v.slug;
                let page = self.page(
                    lang,
                    "article",
                    &format!("{lang}/{slug}/"),
                    |l| format!("{l}/{slug}/"),
                    self.urls.permalink(&format!("{source_locale}/{slug}/")),
                );
                sitemap_entry(&mut sitemap, &page, Some(v.updated.clone().unwrap_or(v.date.clone())));
            }

            // Index pages: /fa/, /fa/page/2/, …
            let pages = views.len().div_ceil(per_page).max(1);
            let index_rel = |l: &str, n: usize| {
                if n == 1 {
                    format!("{l}/")
                } else {
                    format!("{l}/page/{n}/")
                }
            };
            for n in 1..=pages {
                let rel = index_rel(lang, n);
                let page = self.page(lang, "index", &rel, |l| index_rel(l, n), root_x_default.clone());
                sitemap_entry(&mut sitemap, &page, None);
                let pagination = Pagination {
                    page: n,
                    total: pages,
                    newer_url: (n > 1).then(|| self.urls.href(&index_rel(lang, n - 1))),
                    older_url: (n < pages).then(|| self.urls.href(&index_rel(lang, n + 1))),
                };
                let range = ((n - 1) * per_page).min(views.len())..(n * per_page).min(views.len());
                let fp = fingerprint(&(
                    "index",
                    self.templates.fingerprint("index.html"),
                    &common.lang,
                    &pagination.page,
                    &pagination.total,
                    card_fps(range.clone()),
                ));
                let (cards, common_value) = (cards.clone(), common_value.clone());
                jobs.push(Listing {
                    path: Urls::file(&rel),
                    fingerprint: fp,
                    cost: range.len() * CARD_BYTES,
                    render: Box::new(move |r: &SiteRenderer| {
                        let ctx = minijinja::context! { page => ser(&page), articles => cards.values(r, range), pagination => ser(&pagination), ..common_value };
                        r.render("index.html", ctx)
                    }),
                });
            }

            // Tag pages.
            let mut tags: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for (i, v) in views.iter().enumerate() {
                for t in &v.tags {
                    tags.entry(t.key.as_str()).or_default().push(i);
                }
            }
            let mut tag_list = Vec::new();
            for (key, members) in &tags {
                let rel = format!("{lang}/tags/{key}/");
                let page = self.page(
                    lang,
                    "tag",
                    &rel,
                    |l| format!("{l}/tags/{key}/"),
                    root_x_default.clone(),
                );
                sitemap_entry(&mut sitemap, &page, None);
                let tag = self.tag_ref(lang, key);
                tag_list.push(TagCount {
                    key: tag.key.clone(),
                    label: tag.label.clone(),
                    url: tag.url.clone(),
                    count: members.len(),
                });
                let tagged = members.clone();
                let fp = fingerprint(&(
                    "tag",
                    self.templates.fingerprint("tag.html"),
                    &common.lang,
                    &tag,
                    tagged.iter().map(|&i| cards.cards[i].1).collect::<Vec<u64>>(),
                ));
                let (cards, common_value) = (cards.clone(), common_value.clone());
                jobs.push(Listing {
                    path: Urls::file(&rel),
                    fingerprint: fp,
                    cost: tagged.len() * CARD_BYTES,
                    render: Box::new(move |r: &SiteRenderer| {
                        let ctx = minijinja::context! { page => ser(&page), tag => ser(&tag), articles => cards.values(r, tagged.iter().copied()), ..common_value };
                        r.render("tag.html", ctx)
                    }),
                });
            }
            let rel = format!("{lang}/tags/");
            let page = self.page(lang, "tags", &rel, |l| format!("{l}/tags/"), root_x_default.clone());
            sitemap_entry(&mut sitemap, &page, None);
            let fp = fingerprint(&("tags", self.templates.fingerprint("tags.html"), &common.lang, &tag_list));
            let common2 = common.clone();
            jobs.push(Listing {
                path: Urls::file(&rel),
                fingerprint: fp,
                cost: tag_list.len() * CARD_BYTES,
                render: Box::new(move |r: &SiteRenderer| {
                    let ctx = minijinja::context! { page => ser(&page), tags => ser(&tag_list), ..ser(&*common2) };
                    r.render("tags.html", ctx)
                }),
            });

            let (entries, missing) = feed_entries_of(lang);
            missing_view |= missing;
            jobs.push(self.feed_job(common, entries));
            (jobs, sitemap, missing_view)
        };
        if listed_all {
            let done: Vec<_> = locales.par_iter().map(per_locale).collect();
            for (j, s, missing) in done {
                jobs.extend(j);
                sitemap.extend(s);
                missing_view |= missing;
            }
        }
        if missing_view {
            return Err(Error::Environment(
                "the incremental build state is missing an article; run a full build (`nashr build --full`)".into(),
            ));
        }

        if listed_all {
            // The site root: every language to choose from (it is the x-default of index pages).
            let page = self.page(&source_locale, "root", "", |l| format!("{l}/"), root_x_default.clone());
            let fp = fingerprint(&("root", self.templates.fingerprint("root.html"), &locales));
            let root_lang = source_locale.clone();
            jobs.push(Listing {
                path: "index.html".into(),
                fingerprint: fp,
                cost: locales.len() * CARD_BYTES,
                render: Box::new(move |r: &SiteRenderer| {
                    let choices: Vec<Value> = r
                        .locales()
                        .iter()
                        .map(|l| {
                            let title = r.l10n.message(l, "site-title", None).map(|f| f.text).unwrap_or_default();
                            let choose = r.l10n.message(l, "root-title", None).map(|f| f.text).unwrap_or_default();
                            minijinja::context! { lang => l, dir => r.dir(l), name => r.language_names.get(l).cloned(), url => r.urls.href(&format!("{l}/")), title => title, prompt => choose }
                        })
                        .collect();
                    let ctx = minijinja::context! { page => ser(&page), choices => choices, ..ser(&r.common(&root_lang)) };
                    r.render("root.html", ctx)
                }),
            });
            let fp = fingerprint(&("sitemap", self.templates.fingerprint("sitemap.xml"), &sitemap));
            let sitemap_lang = source_locale.clone();
            jobs.push(Listing {
                path: "sitemap.xml".into(),
                fingerprint: fp,
                cost: sitemap.len() * SITEMAP_URL_BYTES,
                render: Box::new(move |r: &SiteRenderer| {
                    let ctx = minijinja::context! { urls => ser(&sitemap), lang => sitemap_lang };
                    r.render("sitemap.xml", ctx)
                }),
            });
        }

        tracing::debug!("listings: {} fingerprinted by {:.1} ms", jobs.len(), ms());
        let prior_listings = scope.prior.map(|p| p.listings());
        let mut listings: BTreeMap<String, u64> = match prior_listings {
            Some(p) if !listed_all => p.clone(),
            _ => BTreeMap::new(),
        };
        listings.extend(jobs.iter().map(|j| (j.path.clone(), j.fingerprint)));
        let mut todo: Vec<Listing> = jobs
            .into_iter()
            .filter(|j| prior_listings.and_then(|p| p.get(&j.path)) != Some(&j.fingerprint))
            .collect();
        // Largest first: the thread that starts takes the front, the others steal the rest,
        // and the small jobs fill in at the end.
        todo.sort_by_key(|j| std::cmp::Reverse(j.cost));
        let rendered = rendered_pages + todo.len();
        let listing_count = AtomicUsize::new(0);
        let total = todo.len();
        let results: Vec<Result<(), SourceError>> = todo
            .into_par_iter()
            .map(|job| {
                let r = self
                    .marks
                    .page(&job.path, || (job.render)(self))
                    .and_then(|bytes| put(sink, &job.path, bytes));
                progress("listings", listing_count.fetch_add(1, Ordering::Relaxed) + 1, total);
                r
            })
            .collect();
        errors.extend(results.into_iter().filter_map(Result::err));
        tracing::debug!("listings: {total} rendered by {:.1} ms", ms());

        // Static files (stylesheet, fonts, robots.txt, favicon): copied as they are to the site
        // root, as Hugo and Zola do. One that would replace a generated page is an error.
        let static_dir = self.project.static_dir();
        let mut static_files = Vec::new();
        for path in nashr_content::fs::walk_files(&static_dir).map_err(|e| Error::io(&static_dir, e))? {
            let rel = nashr_content::fs::relative_slash(&path, &static_dir);
            let generated = listings.contains_key(&rel)
                || scope.prior.is_some_and(|p| p.produced(&rel))
                || articles.values().any(|d| d.outputs.contains(&rel));
            if generated {
                errors.push(
                    SourceError::whole_file(
                        self.project.shown(&path),
                        format!("would replace the generated `{rel}`"),
                    )
                    .with_help("static files are copied to the site root; rename or move this one"),
                );
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            match put(sink, &rel, bytes) {
                Ok(()) => static_files.push(rel),
                Err(e) => errors.push(e),
            }
        }

        tracing::debug!("listings: static files copied by {:.1} ms", ms());
        if !errors.is_empty() {
            // The same template error repeats on every page (and locale) that uses it: report
            // each place once, in a fixed order whatever the number of threads.
            let mut seen = BTreeSet::new();
            errors.retain(|e| seen.insert(e.location()));
            errors.sort_by_key(|e| e.location());
            return Err(Error::Input(errors));
        }
        Ok(SiteDone {
            articles,
            listings,
            order,
            static_files,
            rendered,
        })
    }

    /// The Atom feed of `common.lang`: machine dates stay RFC 3339. `updated` is the newest of
    /// the entries', so an unchanged site gives an unchanged feed.
    fn feed_job(&self, common: Arc<Common>, entries: Vec<ArticleView>) -> Listing<'static> {
        let lang = &common.lang;
        let updated = entries
            .iter()
            .map(|v| v.updated_rfc3339.clone())
            .max()
            .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
        let alternate_url = self.urls.permalink(&format!("{lang}/"));
        let fp = fingerprint(&("feed", self.templates.fingerprint("atom.xml"), lang, &entries, &updated));
        Listing {
            path: format!("{lang}/atom.xml"),
            fingerprint: fp,
            cost: entries.iter().map(|e| e.content.len() + CARD_BYTES).sum(),
            render: Box::new(move |r: &SiteRenderer| {
                let feed = minijinja::context! {
                    updated => updated,
                    self_url => common.feed_permalink.clone(),
                    alternate_url => alternate_url,
                };
                let ctx = minijinja::context! { feed => feed, articles => ser(&entries), ..ser(&*common) };
                r.render("atom.xml", ctx)
            }),
        }
    }
}

/// A value templates can read, from anything serializable.
/// One locale's cards for its index and tag pages. When `card.html` reads nothing but `a` and
/// the site's common values, each card is rendered once, the first time a page shows it, and
/// the pages get it as `a.card_html` (the built-in `index.html` and `tag.html` show that
/// instead of including `card.html`): 20,000 cards appear 70,000 times in the listings of
/// 10,000 articles.
struct LocaleCards {
    cards: Vec<(Value, u64)>,
    common: Value,
    rendered: Option<Vec<std::sync::OnceLock<Value>>>,
}

impl LocaleCards {
    fn new(r: &SiteRenderer, cards: Vec<(Value, u64)>, common: Value) -> LocaleCards {
        let mut allowed = vec!["a".to_string()];
        if let Ok(keys) = common.try_iter() {
            allowed.extend(keys.filter_map(|k| k.as_str().map(str::to_string)));
        }
        // Not while marks are collected: each page records the marks of its own cards.
        let once = !r.marks.enabled() && r.templates.reads_only("card.html", &allowed);
        let rendered = once.then(|| cards.iter().map(|_| std::sync::OnceLock::new()).collect());
        LocaleCards {
            cards,
            common,
            rendered,
        }
    }

    /// The cards at `indices`, as a listing's `articles`.
    fn values(&self, r: &SiteRenderer, indices: impl Iterator<Item = usize>) -> Value {
        Value::from(indices.map(|i| self.value(r, i)).collect::<Vec<_>>())
    }

    fn value(&self, r: &SiteRenderer, i: usize) -> Value {
        let card = &self.cards[i].0;
        let Some(rendered) = &self.rendered else {
            return card.clone();
        };
        let html = rendered[i].get_or_init(|| {
            let ctx = minijinja::context! { a => card.clone(), ..self.common.clone() };
            // An error is left to the page's own `include`, which reports it where it is.
            r.templates
                .render("card.html", ctx)
                .map_or(Value::UNDEFINED, Value::from_safe_string)
        });
        if html.is_undefined() {
            return card.clone();
        }
        Value::from_object(RenderedCard {
            card: card.clone(),
            html: html.clone(),
        })
    }
}

/// A card with `card_html` (see [`LocaleCards`]); every other field is the card's.
#[derive(Debug)]
struct RenderedCard {
    card: Value,
    html: Value,
}

impl minijinja::value::Object for RenderedCard {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        key.as_str().and_then(|k| self.get_value_by_str(k))
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        if key == "card_html" {
            return Some(self.html.clone());
        }
        self.card.get_attr(key).ok().filter(|v| !v.is_undefined())
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        match self.card.try_iter() {
            Ok(keys) => minijinja::value::Enumerator::Values(keys.collect()),
            Err(_) => minijinja::value::Enumerator::Empty,
        }
    }
}

fn ser<T: Serialize + ?Sized>(value: &T) -> Value {
    Value::from(Serde(value))
}

/// Hands one file to the sink; a sink's I/O error becomes an error naming the file.
fn put(sink: &dyn crate::OutputSink, path: &str, bytes: Vec<u8>) -> Result<(), SourceError> {
    sink.put(path, bytes)
        .map_err(|e| SourceError::whole_file(path, format!("cannot write the output file: {e}")))
}

/// Newest first; the slug breaks ties, so the order never depends on the file system.
fn newest_first(a: (&String, &String), b: (&String, &String)) -> std::cmp::Ordering {
    b.0.cmp(a.0).then(a.1.cmp(b.1))
}

/// A listing page to render, with the fingerprint of everything it shows; it borrows the
/// cards (`'c`).
/// Bytes a card renders to in the sample layouts, and a sitemap URL (its alternates
/// included): only the ratios matter, to order listing jobs ([`Listing::cost`]).
const CARD_BYTES: usize = 700;
const SITEMAP_URL_BYTES: usize = 400;

struct Listing<'c> {
    path: String,
    fingerprint: u64,
    /// About how many bytes it renders to: the largest are rendered first, so that no core
    /// is left with a sitemap or a large tag page at the end while the others wait.
    cost: usize,
    #[allow(clippy::type_complexity)]
    render: Box<dyn FnOnce(&SiteRenderer) -> Result<Vec<u8>, SourceError> + Send + 'c>,
}

#[derive(Serialize, Hash)]
struct TagCount {
    key: String,
    label: String,
    url: String,
    count: usize,
}

#[derive(Serialize, Hash)]
struct SitemapUrl {
    loc: String,
    lastmod: Option<String>,
    alternates: Vec<SitemapAlt>,
}

#[derive(Serialize, Hash)]
struct SitemapAlt {
    hreflang: String,
    href: String,
}

fn sitemap_entry(urls: &mut Vec<SitemapUrl>, page: &PageInfo, lastmod: Option<String>) {
    let mut alternates: Vec<SitemapAlt> = page
        .alternates
        .iter()
        .map(|a| SitemapAlt {
            hreflang: a.lang.clone(),
            href: a.permalink.clone(),
        })
        .collect();
    alternates.push(SitemapAlt {
        hreflang: "x-default".into(),
        href: page.x_default.clone(),
    });
    urls.push(SitemapUrl {
        loc: page.permalink.clone(),
        lastmod,
        alternates,
    });
}
