//! The listings stage: each locale's index pages (paginated), a page per tag and the tag list,
//! built from the cards as jobs with the fingerprint of everything they show; and the last
//! stage, which renders the jobs whose fingerprint differs from the previous build's.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use minijinja::Value;
use nashr_content::{Error, SourceError};
use rayon::prelude::*;
use serde::Serialize;

use super::prior::{NO_CARDS, Prior};
use super::sitemap::{SitemapUrl, sitemap_entry};
use super::{ArticleDone, ArticleView, Cards, Common, SiteRenderer, Urls, fingerprint, put, ser};

/// Bytes a card renders to in the sample layouts: only the ratios matter, to order listing
/// jobs ([`Listing::cost`]).
pub(crate) const CARD_BYTES: usize = 700;

/// A listing page to render, with the fingerprint of everything it shows.
pub(crate) struct Listing<'c> {
    pub path: String,
    pub fingerprint: u64,
    /// About how many bytes it renders to: the largest are rendered first, so that no core
    /// is left with a sitemap or a large tag page at the end while the others wait.
    pub cost: usize,
    #[allow(clippy::type_complexity)]
    pub render: Box<dyn FnOnce(&SiteRenderer) -> Result<Vec<u8>, SourceError> + Send + 'c>,
}

#[derive(Serialize)]
struct Pagination {
    page: usize,
    total: usize,
    newer_url: Option<String>,
    older_url: Option<String>,
}

#[derive(Serialize, Hash)]
struct TagCount {
    key: String,
    label: String,
    url: String,
    count: usize,
}

/// What listings show: every live article's card, newest first, from this run's articles or
/// the previous build's.
pub(crate) struct Shown<'r> {
    /// `(date, slug)` of every live article, newest first.
    pub order: &'r [(String, String)],
    pub rendered: &'r BTreeMap<String, ArticleDone>,
    /// Articles that failed in this run: left out, and not asked of the previous build.
    pub failed: &'r HashSet<&'r str>,
    /// The previous build's cards (empty when no listing needs them).
    pub prior_cards: &'r Cards,
    /// The previous build's newest cards with their bodies (empty when no feed needs them).
    pub prior_feed: &'r Cards,
    pub feed_entries: usize,
}

impl<'r> Shown<'r> {
    /// This run's articles, and of the previous build what they leave to it: its cards when
    /// every listing is looked at and an article was not rendered, its feed file when a feed
    /// entry was not rendered (each is read only then).
    pub(crate) fn gather(
        prior: &'r dyn Prior,
        listed_all: bool,
        order: &'r [(String, String)],
        rendered: &'r BTreeMap<String, ArticleDone>,
        failed: &'r HashSet<&'r str>,
        feed_entries: usize,
    ) -> Result<Shown<'r>, Error> {
        let prior_cards = if listed_all && !prior.unrendered().is_empty() {
            prior.cards()?
        } else {
            &NO_CARDS
        };
        let feed_unrendered = order
            .iter()
            .take(feed_entries)
            .any(|(_, s)| !rendered.contains_key(s) && !failed.contains(s.as_str()));
        let prior_feed = if feed_unrendered { prior.feed()? } else { &NO_CARDS };
        Ok(Shown {
            order,
            rendered,
            failed,
            prior_cards,
            prior_feed,
            feed_entries,
        })
    }

    /// The cards of `lang`, newest first, and whether one is missing (neither rendered nor
    /// kept by the previous build). References, not copies: 10,000 articles are 20,000 cards,
    /// each on an index page and three tag pages.
    pub(crate) fn views(&self, lang: &str) -> (Vec<&'r ArticleView>, bool) {
        let mut missing = false;
        let views = self
            .order
            .iter()
            .filter_map(|(_, slug)| {
                let v = self
                    .rendered
                    .get(slug)
                    .and_then(|d: &ArticleDone| d.views.get(lang))
                    .or_else(|| self.prior_cards.get(slug).and_then(|c| c.get(lang)));
                if v.is_none() && !self.failed.contains(slug.as_str()) {
                    missing = true;
                }
                v
            })
            .collect();
        (views, missing)
    }

    /// Each card's template value and fingerprint, made once per article and locale (an
    /// article rendered in this run made them already).
    pub(crate) fn card_values(&self, lang: &str, views: &[&ArticleView]) -> Vec<(Value, u64)> {
        views
            .iter()
            .map(|v| {
                self.rendered
                    .get(&v.slug)
                    .and_then(|d| d.cards.get(lang))
                    .cloned()
                    .unwrap_or_else(|| (ser(*v), fingerprint(*v)))
            })
            .collect()
    }

    /// Whether one of the feeds' entries was rendered in this run.
    pub(crate) fn feed_rendered(&self) -> bool {
        self.order
            .iter()
            .take(self.feed_entries)
            .any(|(_, s)| self.rendered.contains_key(s))
    }

    /// The newest `feed_entries` articles with their bodies, in `lang`; and whether one is
    /// missing (not rendered, not in the previous build's feed file).
    pub(crate) fn feed_entries(&self, lang: &str) -> (Vec<ArticleView>, bool) {
        let mut missing = false;
        let entries = self
            .order
            .iter()
            .take(self.feed_entries)
            .filter_map(|(_, slug)| {
                let v = match self.rendered.get(slug) {
                    Some(d) => d.full_view(lang),
                    None => self.prior_feed.get(slug).and_then(|c| c.get(lang)).cloned(),
                };
                missing |= v.is_none() && !self.failed.contains(slug.as_str());
                v
            })
            .collect();
        (entries, missing)
    }
}

/// The listing pages of one locale: their jobs, and their sitemap entries in page order.
pub(crate) struct LocaleListings {
    pub jobs: Vec<Listing<'static>>,
    pub sitemap: Vec<SitemapUrl>,
}

/// `/fa/`, `/fa/page/2/`, …
fn index_rel(lang: &str, n: usize) -> String {
    if n == 1 {
        format!("{lang}/")
    } else {
        format!("{lang}/page/{n}/")
    }
}

/// The index pages (`per_page` cards each, at least one page), the tag pages and the tag list
/// of `common.lang`, showing `views` (newest first) whose template values are `cards`.
pub(crate) fn locale_listings(
    r: &SiteRenderer,
    common: &Arc<Common>,
    common_value: &Value,
    views: &[&ArticleView],
    cards: &Arc<LocaleCards>,
) -> LocaleListings {
    let mut out = LocaleListings {
        jobs: Vec::new(),
        sitemap: Vec::new(),
    };
    index_pages(r, common, common_value, views.len(), cards, &mut out);
    tag_pages(r, common, common_value, views, cards, &mut out);
    out
}

fn index_pages(
    r: &SiteRenderer,
    common: &Common,
    common_value: &Value,
    count: usize,
    cards: &Arc<LocaleCards>,
    out: &mut LocaleListings,
) {
    let lang = common.lang.as_str();
    let per_page = r.project.config.site.per_page;
    let root_x_default = r.urls.permalink("");
    let pages = count.div_ceil(per_page).max(1);
    for n in 1..=pages {
        let rel = index_rel(lang, n);
        let page = r.page(lang, "index", &rel, |l| index_rel(l, n), root_x_default.clone());
        sitemap_entry(&mut out.sitemap, &page, None);
        let pagination = Pagination {
            page: n,
            total: pages,
            newer_url: (n > 1).then(|| r.urls.href(&index_rel(lang, n - 1))),
            older_url: (n < pages).then(|| r.urls.href(&index_rel(lang, n + 1))),
        };
        let range = ((n - 1) * per_page).min(count)..(n * per_page).min(count);
        let fp = fingerprint(&(
            "index",
            r.templates.fingerprint("index.html"),
            &common.lang,
            &pagination.page,
            &pagination.total,
            cards.fingerprints(range.clone()),
        ));
        let (cards, common_value) = (cards.clone(), common_value.clone());
        out.jobs.push(Listing {
            path: Urls::file(&rel),
            fingerprint: fp,
            cost: range.len() * CARD_BYTES,
            render: Box::new(move |r: &SiteRenderer| {
                let ctx = minijinja::context! { page => ser(&page), articles => cards.values(r, range), pagination => ser(&pagination), ..common_value };
                r.render("index.html", ctx)
            }),
        });
    }
}

/// The articles of each tag, as indices into `views` (newest first), by tag key.
fn tag_members<'v>(views: &[&'v ArticleView]) -> BTreeMap<&'v str, Vec<usize>> {
    let mut tags: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, v) in views.iter().enumerate() {
        for t in &v.tags {
            tags.entry(t.key.as_str()).or_default().push(i);
        }
    }
    tags
}

fn tag_pages(
    r: &SiteRenderer,
    common: &Arc<Common>,
    common_value: &Value,
    views: &[&ArticleView],
    cards: &Arc<LocaleCards>,
    out: &mut LocaleListings,
) {
    let lang = common.lang.as_str();
    let root_x_default = r.urls.permalink("");
    let mut tag_list = Vec::new();
    for (key, members) in &tag_members(views) {
        let rel = format!("{lang}/tags/{key}/");
        let page = r.page(
            lang,
            "tag",
            &rel,
            |l| format!("{l}/tags/{key}/"),
            root_x_default.clone(),
        );
        sitemap_entry(&mut out.sitemap, &page, None);
        let tag = r.tag_ref(lang, key);
        tag_list.push(TagCount {
            key: tag.key.clone(),
            label: tag.label.clone(),
            url: tag.url.clone(),
            count: members.len(),
        });
        let tagged = members.clone();
        let fp = fingerprint(&(
            "tag",
            r.templates.fingerprint("tag.html"),
            &common.lang,
            &tag,
            tagged.iter().map(|&i| cards.cards[i].1).collect::<Vec<u64>>(),
        ));
        let (cards, common_value) = (cards.clone(), common_value.clone());
        out.jobs.push(Listing {
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
    let page = r.page(lang, "tags", &rel, |l| format!("{l}/tags/"), root_x_default);
    sitemap_entry(&mut out.sitemap, &page, None);
    let fp = fingerprint(&("tags", r.templates.fingerprint("tags.html"), &common.lang, &tag_list));
    let common = common.clone();
    out.jobs.push(Listing {
        path: Urls::file(&rel),
        fingerprint: fp,
        cost: tag_list.len() * CARD_BYTES,
        render: Box::new(move |r: &SiteRenderer| {
            let ctx = minijinja::context! { page => ser(&page), tags => ser(&tag_list), ..ser(&*common) };
            r.render("tags.html", ctx)
        }),
    });
}

/// What the previous build's listings spare this run: the fingerprint of every listing page
/// (this run's, and when only some were looked at, the previous build's for the others), and
/// the jobs whose fingerprint changed, largest first.
pub(crate) fn changed<'c>(
    prior: &dyn Prior,
    listed_all: bool,
    jobs: Vec<Listing<'c>>,
) -> (BTreeMap<String, u64>, Vec<Listing<'c>>) {
    let before = prior.listings();
    let mut listings: BTreeMap<String, u64> = if listed_all { BTreeMap::new() } else { before.clone() };
    listings.extend(jobs.iter().map(|j| (j.path.clone(), j.fingerprint)));
    let mut todo: Vec<Listing> = jobs
        .into_iter()
        .filter(|j| before.get(&j.path) != Some(&j.fingerprint))
        .collect();
    // Largest first: the thread that starts takes the front, the others steal the rest,
    // and the small jobs fill in at the end.
    todo.sort_by_key(|j| std::cmp::Reverse(j.cost));
    (listings, todo)
}

/// Renders `jobs` in parallel (in their order, for stealing), handing each page to `sink`.
pub(crate) fn render_jobs(
    r: &SiteRenderer,
    jobs: Vec<Listing<'_>>,
    sink: &dyn crate::OutputSink,
    progress: &crate::Progress<'_>,
) -> Vec<SourceError> {
    let listing_count = AtomicUsize::new(0);
    let total = jobs.len();
    let results: Vec<Result<(), SourceError>> = jobs
        .into_par_iter()
        .map(|job| {
            let result = r
                .marks
                .page(&job.path, || (job.render)(r))
                .and_then(|bytes| put(sink, &job.path, bytes));
            progress("listings", listing_count.fetch_add(1, Ordering::Relaxed) + 1, total);
            result
        })
        .collect();
    results.into_iter().filter_map(Result::err).collect()
}

/// One locale's cards for its index and tag pages. When `card.html` reads nothing but `a` and
/// the site's common values, each card is rendered once, the first time a page shows it, and
/// the pages get it as `a.card_html` (the built-in `index.html` and `tag.html` show that
/// instead of including `card.html`): 20,000 cards appear 70,000 times in the listings of
/// 10,000 articles.
pub(crate) struct LocaleCards {
    cards: Vec<(Value, u64)>,
    common: Value,
    rendered: Option<Vec<std::sync::OnceLock<Value>>>,
}

impl LocaleCards {
    pub(crate) fn new(r: &SiteRenderer, cards: Vec<(Value, u64)>, common: Value) -> LocaleCards {
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

    fn fingerprints(&self, indices: std::ops::Range<usize>) -> Vec<u64> {
        self.cards[indices].iter().map(|c| c.1).collect()
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
