//! Each stage on its own, on a small project in a temporary directory with the built-in
//! templates and the sample's UI messages.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use nashr_content::{Error, Project};

use super::listings::{self, Listing, LocaleCards};
use super::sitemap::{self, SitemapUrl};
use super::*;
use crate::MemorySink;

struct Fixture {
    _dir: tempfile::TempDir,
    project: Project,
    l10n: Arc<Localizer>,
}

/// A project in English and Persian, two cards per index page, with `files` added.
fn fixture(files: &[(&str, &str)]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("nashr.toml"),
        "[site]\nbase_url = \"https://example.org/\"\nsource_locale = \"en\"\nlocales = [\"en\", \"fa\"]\nper_page = 2\n",
    )
    .unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for lang in ["en", "fa"] {
        let to = root.join("locales").join(lang);
        std::fs::create_dir_all(&to).unwrap();
        std::fs::copy(repo.join("locales").join(lang).join("site.ftl"), to.join("site.ftl")).unwrap();
    }
    std::fs::create_dir_all(root.join("content")).unwrap();
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let project = Project::load(root).unwrap();
    let l10n = Arc::new(Localizer::load(&project).unwrap());
    Fixture {
        _dir: dir,
        project,
        l10n,
    }
}

impl Fixture {
    fn renderer(&self) -> SiteRenderer<'_> {
        let now = "2030-01-01T00:00:00Z".parse().unwrap();
        SiteRenderer::new(&self.project, self.l10n.clone(), now, false).unwrap()
    }
}

fn article(title: &str, date: &str, tags: &[&str]) -> String {
    let tags: Vec<String> = tags.iter().map(|t| format!("\"{t}\"")).collect();
    format!(
        "+++\ntitle = \"{title}\"\ndate = {date}\ntags = [{}]\n+++\n\nThe body of {title}.\n",
        tags.join(", ")
    )
}

/// A card as the articles stage makes it, without rendering an article.
fn card(r: &SiteRenderer, lang: &str, slug: &str, date: &str, tags: &[&str]) -> ArticleView {
    let rel = format!("{lang}/{slug}/");
    ArticleView {
        slug: slug.into(),
        title: format!("Title of {slug}"),
        summary: None,
        author: None,
        reviewed_by: None,
        date: date.into(),
        updated: None,
        date_rfc3339: format!("{date}T00:00:00Z"),
        updated_rfc3339: format!("{date}T00:00:00Z"),
        reading_minutes: 1,
        tags: tags.iter().map(|t| r.tag_ref(lang, t)).collect(),
        url: r.urls.href(&rel),
        permalink: r.urls.permalink(&rel),
        hero: None,
        content: String::new(),
        fallback_language: None,
        source_lang: "en".into(),
    }
}

/// The listings stage for `lang` over `views` (newest first).
fn listings_of(r: &SiteRenderer, lang: &str, views: &[&ArticleView]) -> listings::LocaleListings {
    let common = Arc::new(r.common(lang));
    let common_value = ser(&*common);
    let cards = views.iter().map(|v| (ser(*v), fingerprint(*v))).collect();
    let cards = Arc::new(LocaleCards::new(r, cards, common_value.clone()));
    listings::locale_listings(r, &common, &common_value, views, &cards)
}

fn rendered(r: &SiteRenderer, job: Listing<'_>) -> String {
    String::from_utf8((job.render)(r).unwrap()).unwrap()
}

fn take(jobs: &mut Vec<Listing<'static>>, path: &str) -> Listing<'static> {
    let i = jobs
        .iter()
        .position(|j| j.path == path)
        .unwrap_or_else(|| panic!("no job for {path}"));
    jobs.remove(i)
}

fn index_paths<'j>(jobs: &'j [Listing<'_>]) -> Vec<&'j str> {
    jobs.iter()
        .map(|j| j.path.as_str())
        .filter(|p| !p.contains("/tags/"))
        .collect()
}

#[test]
fn index_pages_hold_per_page_cards_and_at_least_one_page() {
    let f = fixture(&[]);
    let r = f.renderer();
    let all: Vec<ArticleView> = ["e", "d", "c", "b", "a"]
        .iter()
        .enumerate()
        .map(|(i, s)| card(&r, "en", s, &format!("2026-01-{:02}", 10 - i), &[]))
        .collect();
    let views: Vec<&ArticleView> = all.iter().collect();
    let pages = |n: usize| index_paths(&listings_of(&r, "en", &views[..n]).jobs).len();
    assert_eq!(pages(0), 1, "an empty site still has its index page");
    assert_eq!(pages(2), 1);
    assert_eq!(pages(3), 2);
    assert_eq!(pages(4), 2);
    assert_eq!(pages(5), 3);

    let mut jobs = listings_of(&r, "en", &views).jobs;
    assert_eq!(
        index_paths(&jobs),
        ["en/index.html", "en/page/2/index.html", "en/page/3/index.html"]
    );
    let middle = rendered(&r, take(&mut jobs, "en/page/2/index.html"));
    for shown in ["/en/c/", "/en/b/"] {
        assert!(middle.contains(shown), "page 2 shows {shown}");
    }
    for other in ["/en/e/", "/en/d/", "/en/a/"] {
        assert!(!middle.contains(other), "page 2 does not show {other}");
    }
    assert!(middle.contains(r#"href="/en/" rel="prev""#), "newer: page 1\n{middle}");
    assert!(middle.contains(r#"href="/en/page/3/" rel="next""#), "older: page 3");
    let last = rendered(&r, take(&mut jobs, "en/page/3/index.html"));
    assert!(last.contains("/en/a/") && !last.contains(r#"rel="next""#));
}

#[test]
fn an_index_page_changes_its_fingerprint_only_with_its_own_cards() {
    let f = fixture(&[]);
    let r = f.renderer();
    let mut all: Vec<ArticleView> = ["c", "b", "a"]
        .iter()
        .map(|s| card(&r, "en", s, "2026-01-01", &[]))
        .collect();
    let fingerprints = |all: &[ArticleView]| -> BTreeMap<String, u64> {
        let views: Vec<&ArticleView> = all.iter().collect();
        listings_of(&r, "en", &views)
            .jobs
            .iter()
            .map(|j| (j.path.clone(), j.fingerprint))
            .collect()
    };
    let before = fingerprints(&all);
    all[2].title = "Another title".into();
    let after = fingerprints(&all);
    assert_eq!(before["en/index.html"], after["en/index.html"]);
    assert_ne!(before["en/page/2/index.html"], after["en/page/2/index.html"]);
}

#[test]
fn tag_pages_group_cards_by_tag_newest_first() {
    let f = fixture(&[]);
    let r = f.renderer();
    let all = [
        card(&r, "en", "newest", "2026-03-01", &["knee", "back-pain"]),
        card(&r, "en", "middle", "2026-02-01", &["back-pain"]),
        card(&r, "en", "oldest", "2026-01-01", &[]),
    ];
    let views: Vec<&ArticleView> = all.iter().collect();
    let mut out = listings_of(&r, "en", &views);
    let tag_paths: Vec<&str> = out
        .jobs
        .iter()
        .map(|j| j.path.as_str())
        .filter(|p| p.contains("/tags/"))
        .collect();
    assert_eq!(
        tag_paths,
        [
            "en/tags/back-pain/index.html",
            "en/tags/knee/index.html",
            "en/tags/index.html"
        ]
    );
    let back = rendered(&r, take(&mut out.jobs, "en/tags/back-pain/index.html"));
    let (newest, middle) = (back.find("/en/newest/").unwrap(), back.find("/en/middle/").unwrap());
    assert!(newest < middle, "newest first");
    assert!(!back.contains("/en/oldest/"));
    let knee = rendered(&r, take(&mut out.jobs, "en/tags/knee/index.html"));
    assert!(knee.contains("/en/newest/") && !knee.contains("/en/middle/"));
    let list = rendered(&r, take(&mut out.jobs, "en/tags/index.html"));
    assert!(list.contains("/en/tags/back-pain/") && list.contains("/en/tags/knee/"));
    // An untranslated tag is shown by its key, dashes as spaces.
    assert!(list.contains("back pain"), "{list}");
    // The sitemap gets every listing page, in job order.
    let locs: Vec<&str> = out.sitemap.iter().map(|u| u.loc.as_str()).collect();
    assert_eq!(
        locs,
        [
            "https://example.org/en/",
            "https://example.org/en/page/2/",
            "https://example.org/en/tags/back-pain/",
            "https://example.org/en/tags/knee/",
            "https://example.org/en/tags/",
        ]
    );
}

fn alternates(u: &SitemapUrl) -> Vec<(&str, &str)> {
    u.alternates
        .iter()
        .map(|a| (a.hreflang.as_str(), a.href.as_str()))
        .collect()
}

#[test]
fn sitemap_entries_name_every_locale_and_an_x_default() {
    let f = fixture(&[]);
    let r = f.renderer();
    let mut v = card(&r, "fa", "knee", "2026-01-05", &[]);
    v.updated = Some("2026-02-01".into());
    let entries = sitemap::article_entries(&r, "fa", &[&v]);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].loc, "https://example.org/fa/knee/");
    assert_eq!(
        entries[0].lastmod.as_deref(),
        Some("2026-02-01"),
        "updated, not published"
    );
    assert_eq!(
        alternates(&entries[0]),
        [
            ("en", "https://example.org/en/knee/"),
            ("fa", "https://example.org/fa/knee/"),
            // An article's x-default is its source locale's page.
            ("x-default", "https://example.org/en/knee/"),
        ]
    );

    // A listing page's x-default is the root page, where readers choose a language.
    let index = &listings_of(&r, "fa", &[]).sitemap[0];
    assert_eq!(index.loc, "https://example.org/fa/");
    assert_eq!(index.lastmod, None);
    assert_eq!(
        alternates(index),
        [
            ("en", "https://example.org/en/"),
            ("fa", "https://example.org/fa/"),
            ("x-default", "https://example.org/"),
        ]
    );

    let [root, map] = sitemap::root_and_sitemap(&r, entries);
    assert_eq!((root.path.as_str(), map.path.as_str()), ("index.html", "sitemap.xml"));
    let root = rendered(&r, root);
    assert!(
        root.contains(r#"href="/en/""#) && root.contains(r#"href="/fa/""#),
        "{root}"
    );
    let xml = rendered(&r, map);
    assert!(xml.contains("<loc>https://example.org/fa/knee/</loc>"), "{xml}");
    assert!(xml.contains("<lastmod>2026-02-01</lastmod>"));
    assert!(
        xml.contains(r#"<xhtml:link rel="alternate" hreflang="x-default" href="https://example.org/en/knee/"/>"#),
        "{xml}"
    );
}

#[test]
fn a_static_file_that_would_replace_a_generated_page_is_an_error_naming_it() {
    let f = fixture(&[
        ("static/robots.txt", "User-agent: *\n"),
        ("static/en/tags/index.html", "mine"),
    ]);
    let r = f.renderer();
    let sink = MemorySink::new();
    let (copied, errors) = static_files::copy_static(&r, |rel| rel == "en/tags/index.html", &sink).unwrap();
    assert_eq!(copied, ["robots.txt"]);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].path, Path::new("static/en/tags/index.html"));
    assert!(
        errors[0].message.contains("`en/tags/index.html`"),
        "{}",
        errors[0].message
    );
    let outputs = sink.into_outputs();
    assert_eq!(outputs.len(), 1);
    assert_eq!(
        (outputs[0].path.as_str(), &outputs[0].bytes[..]),
        ("robots.txt", &b"User-agent: *\n"[..])
    );

    // The whole site: the static file is not copied over the tag list, and the build fails.
    let sink = MemorySink::new();
    let scope = full_scope(&r);
    let Err(Error::Input(errors)) = r.render_site(&scope, &sink, &|_, _, _| {}) else {
        panic!("a static file replaced a generated page");
    };
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].path, Path::new("static/en/tags/index.html"));
    let tags = sink
        .into_outputs()
        .into_iter()
        .find(|o| o.path == "en/tags/index.html")
        .unwrap();
    assert_ne!(tags.bytes, b"mine");
}

fn full_scope<'s>(r: &SiteRenderer) -> Scope<'s> {
    Scope {
        live: r.live_articles().iter().map(|a| a.slug.clone()).collect(),
        prior: &NoPrior,
    }
}

/// A previous build that rendered every article (so none is left to it) and the listings of
/// `listings`; it says the listings may have changed, so every one is looked at.
struct Listed {
    listings: BTreeMap<String, u64>,
}

impl Prior for Listed {
    fn unrendered(&self) -> &[(String, String)] {
        &[]
    }
    fn listings(&self) -> &BTreeMap<String, u64> {
        &self.listings
    }
    fn listings_stale(&self, _rendered: &BTreeMap<String, ArticleDone>) -> bool {
        true
    }
    fn cards(&self) -> Result<&Cards, Error> {
        unreachable!("every article is rendered")
    }
    fn feed(&self) -> Result<&Cards, Error> {
        unreachable!("every article is rendered")
    }
    fn produced(&self, _path: &str) -> bool {
        false
    }
}

#[test]
fn a_listing_whose_fingerprint_is_unchanged_is_not_rendered_again() {
    let f = fixture(&[
        ("content/knee/index.md", &article("Knee", "2026-01-02", &["knee"])),
        ("content/back/index.md", &article("Back", "2026-01-01", &["back"])),
    ]);
    let r = f.renderer();
    let first = MemorySink::new();
    let full = r.render_site(&full_scope(&r), &first, &|_, _, _| {}).unwrap();
    let first: BTreeMap<String, Vec<u8>> = first.into_outputs().into_iter().map(|o| (o.path, o.bytes)).collect();
    assert!(full.listings.contains_key("en/tags/knee/index.html"));
    assert!(full.listings.contains_key("sitemap.xml"));

    // One listing's inputs changed since (its fingerprint differs): only it is rendered.
    let mut listings = full.listings.clone();
    *listings.get_mut("fa/tags/back/index.html").unwrap() ^= 1;
    let prior = Listed { listings };
    let scope = Scope {
        live: full_scope(&r).live,
        prior: &prior,
    };
    let second = MemorySink::new();
    let again = r.render_site(&scope, &second, &|_, _, _| {}).unwrap();
    let second = second.into_outputs();
    let listing_pages: Vec<&str> = second
        .iter()
        .map(|o| o.path.as_str())
        .filter(|p| full.listings.contains_key(*p))
        .collect();
    assert_eq!(listing_pages, ["fa/tags/back/index.html"]);
    assert_eq!(
        again.rendered,
        2 * 2 + 1,
        "the articles in both locales, and one listing"
    );
    assert_eq!(
        again.listings, full.listings,
        "every listing is recorded, rendered or not"
    );
    // The articles' own pages were rendered again, as they were.
    for o in &second {
        assert_eq!(first.get(&o.path), Some(&o.bytes), "{}", o.path);
    }
}

#[test]
fn with_no_previous_build_every_listing_is_rendered() {
    let f = fixture(&[("content/knee/index.md", &article("Knee", "2026-01-02", &["knee"]))]);
    let r = f.renderer();
    let sink = MemorySink::new();
    let done = r.render_site(&full_scope(&r), &sink, &|_, _, _| {}).unwrap();
    let paths: Vec<String> = sink.into_outputs().into_iter().map(|o| o.path).collect();
    for listing in done.listings.keys() {
        assert!(paths.contains(listing), "{listing}");
    }
    let expected = [
        "en/index.html",
        "en/tags/index.html",
        "en/tags/knee/index.html",
        "en/atom.xml",
        "fa/index.html",
        "fa/tags/index.html",
        "fa/tags/knee/index.html",
        "fa/atom.xml",
        "index.html",
        "sitemap.xml",
    ];
    assert_eq!(done.listings.len(), expected.len());
    for e in expected {
        assert!(done.listings.contains_key(e), "{e}");
    }
    assert_eq!(done.rendered, 2 + expected.len());
}
