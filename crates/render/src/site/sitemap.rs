//! The sitemap stage: every page with its hreflang alternates and x-default, and the root
//! page where readers choose a language (the x-default of the index pages).

use minijinja::Value;
use serde::Serialize;

use super::listings::{CARD_BYTES, Listing};
use super::{ArticleView, PageInfo, SiteRenderer, fingerprint, ser};

/// Bytes a sitemap URL renders to, its alternates included: only the ratio to
/// [`CARD_BYTES`] matters, to order listing jobs.
const SITEMAP_URL_BYTES: usize = 400;

#[derive(Serialize, Hash, Debug)]
pub(crate) struct SitemapUrl {
    pub loc: String,
    pub lastmod: Option<String>,
    pub alternates: Vec<SitemapAlt>,
}

#[derive(Serialize, Hash, Debug)]
pub(crate) struct SitemapAlt {
    pub hreflang: String,
    pub href: String,
}

/// Adds `page` to the sitemap: its URL, and each locale's version of it and the x-default.
pub(crate) fn sitemap_entry(urls: &mut Vec<SitemapUrl>, page: &PageInfo, lastmod: Option<String>) {
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

/// The sitemap entries of `lang`'s article pages, in the order of `views`: last modified when
/// updated (or published), and the source locale's page as x-default.
pub(crate) fn article_entries(r: &SiteRenderer, lang: &str, views: &[&ArticleView]) -> Vec<SitemapUrl> {
    let source_locale = &r.project.config.site.source_locale;
    let mut sitemap = Vec::with_capacity(views.len());
    for v in views {
        let slug = &v.slug;
        let page = r.page(
            lang,
            "article",
            &format!("{lang}/{slug}/"),
            |l| format!("{l}/{slug}/"),
            r.urls.permalink(&format!("{source_locale}/{slug}/")),
        );
        sitemap_entry(&mut sitemap, &page, Some(v.updated.clone().unwrap_or(v.date.clone())));
    }
    sitemap
}

/// The site root (every language to choose from, each in its own words) and the sitemap of
/// every page in `sitemap`.
pub(crate) fn root_and_sitemap(r: &SiteRenderer, sitemap: Vec<SitemapUrl>) -> [Listing<'static>; 2] {
    let locales = r.locales().to_vec();
    let source_locale = r.project.config.site.source_locale.clone();
    let page = r.page(&source_locale, "root", "", |l| format!("{l}/"), r.urls.permalink(""));
    let fp = fingerprint(&("root", r.templates.fingerprint("root.html"), &locales));
    let root_lang = source_locale.clone();
    let root = Listing {
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
    };
    let fp = fingerprint(&("sitemap", r.templates.fingerprint("sitemap.xml"), &sitemap));
    let sitemap_lang = source_locale;
    let sitemap = Listing {
        path: "sitemap.xml".into(),
        fingerprint: fp,
        cost: sitemap.len() * SITEMAP_URL_BYTES,
        render: Box::new(move |r: &SiteRenderer| {
            let ctx = minijinja::context! { urls => ser(&sitemap), lang => sitemap_lang };
            r.render("sitemap.xml", ctx)
        }),
    };
    [root, sitemap]
}
