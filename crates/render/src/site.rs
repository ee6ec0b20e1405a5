//! Every output file of the static site, rendered in parallel and handed to an
//! [`OutputSink`](crate::OutputSink) as soon as it is rendered.
//!
//! [`SiteRenderer::render_site`] runs the stages in turn:
//!
//! 1. **Articles** ([`articles`]): each live article is localized and rendered in every locale
//!    by one task (its segments are extracted and aligned once, its Markdown parsed once per
//!    locale); the task hands its pages and images to the sink and returns only the article's
//!    *cards* (what listings show: title, summary, date, tags, reading time; the body apart,
//!    only for the newest articles, which the feed carries).
//! 2. **Listings** ([`listings`]), the locales in parallel: index pages, tag pages and the tag
//!    list from the cards; the **feeds** ([`feeds`]); the **sitemap** and the root page
//!    ([`sitemap`]). Each is a job with the fingerprint of everything it shows.
//! 3. The listing jobs whose fingerprint the previous build does not have are rendered, in
//!    parallel, largest first.
//! 4. **Static files** ([`static_files`]) are copied.
//!
//! So memory holds the inputs and one card per article and locale, never the site. What a
//! stage reuses of the previous build it asks of [`Prior`]; a full build has none
//! ([`NoPrior`]). An incremental build whose rendered cards are all as before looks at the
//! feeds only.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use minijinja::Value;
use minijinja::value::Serde;
use nashr_content::{Article, Error, Project, SourceError};
use nashr_l10n::Localizer;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

mod articles;
mod feeds;
mod listings;
mod prior;
mod sitemap;
mod static_files;

pub(crate) use prior::{NoPrior, Prior, Scope};

use listings::{Listing, LocaleCards, Shown};
use sitemap::SitemapUrl;

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

    /// Renders the articles of the project (every one that is live) and the listings, handing
    /// each file to `sink`.
    pub(crate) fn render_site(
        &self,
        scope: &Scope<'_>,
        sink: &dyn crate::OutputSink,
        progress: &crate::Progress<'_>,
    ) -> Result<SiteDone, Error> {
        let prior = scope.prior;
        let feed_entries = self.project.config.site.feed_entries;
        let to_render = self.live_articles();
        let order = self.order(&to_render, prior);
        let keep: HashSet<&str> = order
            .iter()
            .take(kept_bodies(feed_entries))
            .map(|(_, s)| s.as_str())
            .collect();

        // Each page asks for every `@/slug` link it has.
        let live: HashSet<&str> = scope.live.iter().map(String::as_str).collect();
        let rendered = articles::render_articles(self, &to_render, &live, &keep, sink, progress);
        let mut errors = rendered.errors;
        let (articles, failed) = (rendered.done, rendered.failed);
        let started = std::time::Instant::now();
        let ms = || started.elapsed().as_secs_f64() * 1000.0;

        // An incremental build whose cards are all as before looks at the feeds only (they
        // carry bodies).
        let listed_all = prior.listings_stale(&articles);
        let shown = Shown::gather(prior, listed_all, &order, &articles, &failed, feed_entries)?;
        tracing::debug!("listings: cards read by {:.1} ms", ms());
        let (jobs, missing_view) = if listed_all {
            self.every_listing(&shown)
        } else {
            self.changed_feeds(&shown)
        };
        if missing_view {
            return Err(nashr_content::BuildStateError::MissingArticle.into());
        }
        tracing::debug!("listings: {} fingerprinted by {:.1} ms", jobs.len(), ms());

        let (listings, todo) = listings::changed(prior, listed_all, jobs);
        let rendered = articles.len() * self.locales().len() + todo.len();
        tracing::debug!("listings: {} to render", todo.len());
        errors.extend(listings::render_jobs(self, todo, sink, progress));
        tracing::debug!("listings: rendered by {:.1} ms", ms());

        let generated = |rel: &str| {
            listings.contains_key(rel)
                || prior.produced(rel)
                || articles.values().any(|d| d.outputs.iter().any(|o| *o == rel))
        };
        let (static_files, static_errors) = static_files::copy_static(self, generated, sink)?;
        errors.extend(static_errors);
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

    /// Every live article, rendered now (`to_render`) or not: `(date, slug)`, newest first.
    fn order(&self, to_render: &[&Article], prior: &dyn Prior) -> Vec<(String, String)> {
        let mut order: Vec<(String, String)> = to_render
            .iter()
            .map(|a| (a.front().date.0.to_string(), a.slug.clone()))
            .collect();
        order.extend(prior.unrendered().iter().cloned());
        order.sort_by(|a, b| newest_first((&a.0, &a.1), (&b.0, &b.1)));
        order
    }

    /// Every listing page: each locale's index, tag and tag list pages and feed, the root
    /// page and the sitemap; and whether a card was missing. The locales in parallel,
    /// collected in locale order, so the sitemap and the jobs come out as from one thread.
    fn every_listing(&self, shown: &Shown<'_>) -> (Vec<Listing<'static>>, bool) {
        let per_locale = |lang: &String| -> (Vec<Listing<'static>>, Vec<SitemapUrl>, bool) {
            let common = Arc::new(self.common(lang));
            let common_value = ser(&*common);
            let (views, missing_card) = shown.views(lang);
            let cards = shown.card_values(lang, &views);
            let cards = Arc::new(LocaleCards::new(self, cards, common_value.clone()));
            let mut sitemap = sitemap::article_entries(self, lang, &views);
            let mut locale = listings::locale_listings(self, &common, &common_value, &views, &cards);
            sitemap.append(&mut locale.sitemap);
            let (entries, missing_entry) = shown.feed_entries(lang);
            locale.jobs.push(feeds::feed_job(self, common, entries));
            (locale.jobs, sitemap, missing_card || missing_entry)
        };
        let done: Vec<_> = self.locales().par_iter().map(per_locale).collect();
        let mut jobs = Vec::new();
        let mut sitemap = Vec::new();
        let mut missing_view = false;
        for (j, s, missing) in done {
            jobs.extend(j);
            sitemap.extend(s);
            missing_view |= missing;
        }
        jobs.extend(sitemap::root_and_sitemap(self, sitemap));
        (jobs, missing_view)
    }

    /// The feeds, when the listings are as before: a feed none of whose entries was rendered
    /// again is as before too. And whether an entry was missing.
    fn changed_feeds(&self, shown: &Shown<'_>) -> (Vec<Listing<'static>>, bool) {
        let mut jobs = Vec::new();
        let mut missing_view = false;
        if shown.feed_rendered() {
            for lang in self.locales() {
                let (entries, missing) = shown.feed_entries(lang);
                missing_view |= missing;
                jobs.push(feeds::feed_job(self, Arc::new(self.common(lang)), entries));
            }
        }
        (jobs, missing_view)
    }
}

/// A value templates can read, from anything serializable.
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

#[cfg(test)]
mod tests;
