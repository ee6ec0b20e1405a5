//! Builds the sample project and checks every generated file the way a browser, a feed
//! reader and a search engine would see it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nashr_tests::Sample;
use scraper::{Html, Selector};

const BASE_URL: &str = "https://downtownphysio.example/";
const LOCALES: [(&str, &str); 2] = [("en", "ltr"), ("fa", "rtl")];

struct Site {
    sample: Sample,
    pages: BTreeMap<String, Html>,
}

fn build() -> Site {
    let sample = Sample::new();
    let run = sample.nashr(&["build"]);
    assert_eq!(run.code, 0, "build failed:\n{}", run.output);
    let mut pages = BTreeMap::new();
    for file in nashr_tests::snapshot(&sample.public())
        .into_keys()
        .filter(|f| f.ends_with(".html"))
    {
        let text = std::fs::read_to_string(sample.public().join(&file)).expect("read page");
        pages.insert(file, Html::parse_document(&text));
    }
    Site { sample, pages }
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

/// The file in `public/` a URL on `page` points to, with its fragment; `None` for external URLs.
fn target(public: &Path, page: &str, url: &str) -> Option<(PathBuf, Option<String>)> {
    let (url, fragment) = match url.split_once('#') {
        Some((u, f)) => (u, Some(f.to_string())),
        None => (url, None),
    };
    let path = if let Some(rest) = url.strip_prefix(BASE_URL) {
        rest.to_string()
    } else if url.contains(':') {
        return None; // another site, mailto:, …
    } else if let Some(rest) = url.strip_prefix('/') {
        rest.to_string()
    } else if url.is_empty() {
        page.to_string()
    } else {
        let dir = page.rsplit_once('/').map_or("", |(d, _)| d);
        if dir.is_empty() {
            url.to_string()
        } else {
            format!("{dir}/{url}")
        }
    };
    let path = percent_encoding::percent_decode_str(&path)
        .decode_utf8()
        .expect("utf-8 URL")
        .into_owned();
    let path = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path
    };
    Some((public.join(path), fragment))
}

#[test]
fn every_internal_link_and_asset_resolves() {
    let site = build();
    let public = site.sample.public();
    let mut checked = 0;
    for (page, html) in &site.pages {
        for (selector, attr) in [("a[href]", "href"), ("link[href]", "href"), ("img[src]", "src")] {
            for el in html.select(&sel(selector)) {
                let url = el.value().attr(attr).unwrap_or_default();
                let Some((file, fragment)) = target(&public, page, url) else {
                    continue;
                };
                assert!(
                    file.is_file(),
                    "{page}: {selector} `{url}` points to {} which does not exist",
                    file.display()
                );
                if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
                    let rel = file.strip_prefix(&public).unwrap().to_string_lossy().replace('\\', "/");
                    let target_page = site
                        .pages
                        .get(&rel)
                        .unwrap_or_else(|| panic!("{page}: `{url}` has a fragment but is not a page"));
                    let by_id = sel(&format!("[id=\"{fragment}\"]"));
                    assert!(
                        target_page.select(&by_id).next().is_some(),
                        "{page}: `{url}`: no element with id {fragment} in {rel}"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(
        checked > 300,
        "only {checked} links checked: the site is not what the test expects"
    );
}

#[test]
fn every_page_has_lang_dir_and_hreflang_alternates() {
    let site = build();
    let public = site.sample.public();
    for (page, html) in &site.pages {
        let root = html.root_element();
        let lang = root.value().attr("lang").unwrap_or_default();
        let dir = root.value().attr("dir").unwrap_or_default();
        let expected_lang = page
            .split('/')
            .next()
            .filter(|l| LOCALES.iter().any(|(c, _)| c == l))
            .unwrap_or("en");
        let expected_dir = LOCALES
            .iter()
            .find(|(c, _)| *c == expected_lang)
            .map(|(_, d)| *d)
            .unwrap();
        assert_eq!((lang, dir), (expected_lang, expected_dir), "{page}: <html lang dir>");

        let alternates: BTreeMap<String, String> = html
            .select(&sel("head link[rel=alternate][hreflang]"))
            .map(|l| {
                (
                    l.value().attr("hreflang").unwrap().to_string(),
                    l.value().attr("href").unwrap().to_string(),
                )
            })
            .collect();
        let keys: Vec<&str> = alternates.keys().map(String::as_str).collect();
        assert_eq!(keys, ["en", "fa", "x-default"], "{page}: hreflang alternates");
        for href in alternates.values() {
            assert!(
                href.starts_with(BASE_URL),
                "{page}: hreflang href {href} is not absolute"
            );
            let (file, _) = target(&public, page, href).unwrap();
            assert!(file.is_file(), "{page}: hreflang {href} does not resolve");
        }
        if page != "index.html" {
            // The page is among its own alternates, under its own language.
            let own = format!("{BASE_URL}{}", page.trim_end_matches("index.html"));
            assert_eq!(alternates.get(expected_lang), Some(&own), "{page}: self alternate");
        }
    }
}

#[test]
fn no_bidi_isolates_inside_any_attribute() {
    let site = build();
    let mut isolates_in_text = 0;
    for (page, html) in &site.pages {
        for node in html.tree.nodes() {
            if let Some(el) = node.value().as_element() {
                for (name, value) in el.attrs() {
                    assert!(
                        !value.contains(['\u{2068}', '\u{2069}', '\u{2066}', '\u{2067}']),
                        "{page}: <{} {name}={value:?}> contains a bidi isolate",
                        el.name()
                    );
                }
            } else if let Some(text) = node.value().as_text() {
                isolates_in_text += text.matches('\u{2068}').count();
            }
        }
    }
    // Running text keeps Fluent's isolation (reviewer names, dates, counts in Persian text).
    assert!(
        isolates_in_text > 0,
        "isolation marks were stripped from running text too"
    );
    for xml in ["en/atom.xml", "fa/atom.xml", "sitemap.xml"] {
        let text = site.sample.read(&format!("public/{xml}"));
        let doc = roxmltree::Document::parse(&text).unwrap();
        for node in doc.descendants() {
            for a in node.attributes() {
                assert!(
                    !a.value().contains(['\u{2068}', '\u{2069}']),
                    "{xml}: attribute {} contains a bidi isolate",
                    a.name()
                );
            }
        }
    }
}

#[test]
fn feeds_and_sitemap_are_well_formed_xml() {
    let site = build();
    for (lang, _) in LOCALES {
        let text = site.sample.read(&format!("public/{lang}/atom.xml"));
        let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{lang}/atom.xml: {e}"));
        let feed = doc.root_element();
        assert_eq!(feed.tag_name().name(), "feed");
        assert_eq!(
            feed.attribute(("http://www.w3.org/XML/1998/namespace", "lang")),
            Some(lang)
        );
        let entries: Vec<_> = feed.children().filter(|n| n.has_tag_name("entry")).collect();
        assert_eq!(entries.len(), 3, "{lang}: one entry per article");
        for e in &entries {
            let updated = e
                .children()
                .find(|n| n.has_tag_name("updated"))
                .and_then(|n| n.text())
                .unwrap();
            assert!(
                updated.is_ascii() && updated.parse::<jiff::Timestamp>().is_ok(),
                "{lang}: machine date {updated} must be RFC 3339 with ASCII digits"
            );
            let content = e
                .children()
                .find(|n| n.has_tag_name("content"))
                .and_then(|n| n.text())
                .unwrap();
            assert!(content.contains("<p>"), "{lang}: entry content is the article HTML");
        }
    }
    let text = site.sample.read("public/sitemap.xml");
    let doc = roxmltree::Document::parse(&text).expect("sitemap.xml is well-formed");
    let urls: Vec<_> = doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("url"))
        .collect();
    let html_pages = site.pages.len() - 1; // every page but the language-choice root
    assert_eq!(urls.len(), html_pages);
    for url in urls {
        let alternates: Vec<&str> = url
            .children()
            .filter(|n| n.has_tag_name(("http://www.w3.org/1999/xhtml", "link")))
            .filter_map(|n| n.attribute("hreflang"))
            .collect();
        assert_eq!(alternates, ["en", "fa", "x-default"]);
    }
}

#[test]
fn persian_article_is_persian_with_zwnj_and_working_switcher() {
    let site = build();
    let page = &site.pages["fa/physiotherapy-vs-massage/index.html"];
    let root = page.root_element();
    assert_eq!(root.value().attr("lang"), Some("fa"));
    assert_eq!(root.value().attr("dir"), Some("rtl"));

    // Every paragraph and heading of the body is Persian.
    let is_persian = |c: char| ('\u{0600}'..='\u{06FF}').contains(&c);
    let mut blocks = 0;
    for el in page.select(&sel(".content p, .content h2, .content h3, .content li")) {
        let text: String = el.text().collect();
        if text.trim().is_empty() {
            continue; // an image-only paragraph
        }
        let persian = text.chars().filter(|c| is_persian(*c)).count();
        let latin = text.chars().filter(|c| c.is_ascii_alphabetic()).count();
        assert!(persian > 0 && latin * 10 < persian, "not Persian: {text}");
        blocks += 1;
    }
    assert!(blocks >= 35, "only {blocks} blocks of body text");

    // Every word the translator wrote with a ZWNJ reaches the page intact, in text or in an
    // attribute (the summary is the meta description, image alt texts are attributes).
    let mut text: String = page.root_element().text().collect();
    for node in page.tree.nodes() {
        if let Some(el) = node.value().as_element() {
            el.attrs().for_each(|(_, v)| text.push_str(v));
        }
    }
    let catalog = site.sample.read("locales/fa/articles/physiotherapy-vs-massage.ftl");
    let mut words = 0;
    for (_, value) in nashr_l10n::catalog::entries(&catalog) {
        for word in value.split_whitespace().filter(|w| w.contains('\u{200C}')) {
            let word = word.trim_matches(|c: char| !c.is_alphabetic() && c != '\u{200C}');
            assert!(text.contains(word), "ZWNJ word {word:?} is not on the page intact");
            words += 1;
        }
    }
    assert!(words > 50, "the translation has only {words} words with ZWNJ");

    // The reviewer, the disclaimer and the dates are localized.
    let reviewed: String = page.select(&sel(".reviewed")).next().unwrap().text().collect();
    assert!(reviewed.contains("احمد رضوانی"), "{reviewed}");
    let meta: String = page.select(&sel(".meta")).next().unwrap().text().collect();
    assert!(meta.contains("۱۴۰۵"), "Solar Hijri year in Persian digits: {meta}");
    assert!(page.select(&sel(".disclaimer")).next().is_some());
    assert!(
        page.select(&sel(".notice")).next().is_none(),
        "a complete translation shows no fallback notice"
    );

    // The switcher links the English edition of the same article, which exists.
    let en = page
        .select(&sel("nav.languages a[hreflang=en]"))
        .next()
        .expect("switcher link to English");
    assert_eq!(en.value().attr("href"), Some("/en/physiotherapy-vs-massage/"));
    assert!(site.pages.contains_key("en/physiotherapy-vs-massage/index.html"));
    let back = site.pages["en/physiotherapy-vs-massage/index.html"]
        .select(&sel("nav.languages a[hreflang=fa]"))
        .next()
        .expect("switcher link to Persian");
    assert_eq!(back.value().attr("href"), Some("/fa/physiotherapy-vs-massage/"));

    // Cross-links stay in Persian.
    let links: Vec<&str> = page
        .select(&sel(".content a"))
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert!(
        links.contains(&"/fa/benefits-of-physiotherapy/") && links.contains(&"/fa/acupuncture/"),
        "{links:?}"
    );
}

#[test]
fn index_is_paginated_and_tags_list_their_articles() {
    let site = build();
    // per_page = 2 in the sample: three articles make two index pages per locale.
    for (lang, _) in LOCALES {
        let first = &site.pages[&format!("{lang}/index.html")];
        let second = &site.pages[&format!("{lang}/page/2/index.html")];
        assert_eq!(first.select(&sel("ol.articles > li")).count(), 2);
        assert_eq!(second.select(&sel("ol.articles > li")).count(), 1);
        let older = first.select(&sel("a[rel=next]")).next().unwrap();
        assert_eq!(older.value().attr("href"), Some(format!("/{lang}/page/2/").as_str()));
        let tag = &site.pages[&format!("{lang}/tags/physiotherapy/index.html")];
        assert_eq!(tag.select(&sel("ol.articles > li")).count(), 3);
    }
    // Newest first: acupuncture (2026-11-10) heads the index.
    let first_link = site.pages["en/index.html"]
        .select(&sel("ol.articles h2 a"))
        .next()
        .unwrap();
    assert_eq!(first_link.value().attr("href"), Some("/en/acupuncture/"));
    // Persian page numbers use Persian digits.
    let status: String = site.pages["fa/page/2/index.html"]
        .select(&sel(".pagination span"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(status.contains('۲'), "{status}");
}

/// Pages, the lock file and synced catalogs are written through temporary files and renames;
/// they must get the permissions any new file gets (a web server running as another user
/// reads the site), not the temporary file's private 0600.
#[cfg(unix)]
#[test]
fn written_files_are_readable_like_any_new_file() {
    use std::os::unix::fs::PermissionsExt;
    let sample = Sample::new();
    // Change a translation so the build rewrites the lock file too.
    let fa = sample.root().join("locales/fa/articles/acupuncture.ftl");
    let text = std::fs::read_to_string(&fa).unwrap();
    std::fs::write(&fa, text.replacen("title = ", "title = تازه ", 1)).unwrap();
    let run = sample.nashr(&["build"]);
    assert_eq!(run.code, 0, "build failed:\n{}", run.output);
    let plain = sample.root().join("plain-new-file");
    std::fs::write(&plain, "x").unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let expected = mode(&plain);
    for file in [
        sample.public().join("en/index.html"),
        sample.public().join("fa/acupuncture/index.html"),
        sample.root().join("locales/fa/nashr-l10n.lock"),
    ] {
        assert_eq!(mode(&file), expected, "{} has mode {:o}", file.display(), mode(&file));
    }
}

/// Each card is rendered once and shown on the index and topic pages as `a.card_html`, the
/// same as including card.html there; a card.html that reads the page around it (here the
/// listing's own URL) is included on each page instead.
#[test]
fn cards_render_once_unless_they_read_the_listing() {
    let sample = Sample::new();
    let listings = [
        "public/en/index.html",
        "public/fa/index.html",
        "public/fa/tags/physiotherapy/index.html",
    ];
    let build = |args: &[&str]| {
        let run = sample.nashr(args);
        assert_eq!(run.code, 0, "build failed:\n{}", run.output);
        listings.map(|page| sample.read(page))
    };
    let once = build(&["build"]);
    // The same site with card.html included for every card.
    for page in ["templates/index.html", "templates/tag.html"] {
        sample.replace(
            page,
            r#"{% if a.card_html is defined %}{{ a.card_html }}{% else %}{% include "card.html" %}{% endif %}"#,
            r#"{% include "card.html" %}"#,
        );
    }
    assert_eq!(
        build(&["build", "--full"]),
        once,
        "a card rendered once reads as one included"
    );
    for page in ["templates/index.html", "templates/tag.html"] {
        sample.replace(
            page,
            r#"{% include "card.html" %}"#,
            r#"{% if a.card_html is defined %}{{ a.card_html }}{% else %}{% include "card.html" %}{% endif %}"#,
        );
    }
    sample.replace(
        "templates/card.html",
        r#"<article class="card">"#,
        r#"<article class="card" data-on="{{ page.url }}">"#,
    );
    let [en_index, _, fa_tag] = build(&["build"]);
    assert_eq!(en_index.matches(r#"data-on="/en/""#).count(), 2, "{en_index}");
    let on_tag = r#"data-on="/fa/tags/physiotherapy/""#;
    assert_eq!(fa_tag.matches(on_tag).count(), 3, "{fa_tag}");
}
