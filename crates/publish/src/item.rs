//! What gets published: every article in every locale, as HTML with its metadata, images and
//! links still symbolic, so each target can resolve them its own way.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use nashr_content::html::{Escape, escape};
use nashr_content::{Article, Error, Project, Status};
use nashr_l10n::Localizer;
use nashr_render::markdown::{self, MarkdownContext};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// `@/slug` links are rendered as `href="/__nashr_link__/<locale>/<slug>/…"`; targets replace
/// the marker with the address the article has on them.
pub const LINK_MARKER: &str = "/__nashr_link__/";

/// How a post should appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PostStatus {
    Draft,
    Publish,
    /// Scheduled: appears at `publish_at`.
    Future,
}

impl PostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Draft => "draft",
            PostStatus::Publish => "publish",
            PostStatus::Future => "future",
        }
    }
}

/// A file next to the article that the body or the hero uses.
#[derive(Debug, Clone)]
pub struct Image {
    /// The file name, relative to the article directory (`hero.svg`).
    pub name: String,
    /// SHA-256 of the bytes, hex.
    pub hash: String,
    pub mime: &'static str,
    pub bytes: Arc<Vec<u8>>,
}

/// A tag or category: its key and its label in the item's locale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Term {
    pub key: String,
    pub label: String,
}

/// One article in one locale, ready for a target.
#[derive(Debug, Clone)]
pub struct Item {
    pub article: String,
    pub locale: String,
    /// `ltr` or `rtl`.
    pub dir: &'static str,
    /// The locale's name in its own language (فارسی).
    pub language_name: String,
    pub title: String,
    /// The slug for CMS targets in this locale: front matter `slug`, else the title made into a
    /// slug ([`nashr_content::slugify`]: no ZWNJ, Persian letters, ASCII digits).
    pub slug: String,
    pub excerpt: Option<String>,
    pub author: Option<String>,
    pub reviewed_by: Option<String>,
    /// The body as sanitised HTML. `@/` links carry [`LINK_MARKER`]; images keep their file
    /// names as `src`.
    pub html: String,
    pub status: PostStatus,
    /// The article's date (`YYYY-MM-DD`).
    pub date: String,
    pub updated: Option<String>,
    /// When a scheduled article goes live (UTC, RFC 3339).
    pub publish_at: Option<jiff::Timestamp>,
    pub tags: Vec<Term>,
    /// Images the body uses, in order of first use.
    pub images: Vec<Image>,
    /// The hero image and its alt text in this locale.
    pub hero: Option<(Image, String)>,
    /// The article's permalink on the static site.
    pub site_url: String,
    /// The static site's `base_url` (with a trailing slash).
    pub base_url: String,
}

impl Item {
    /// `article/locale`, for messages.
    pub fn key(&self) -> String {
        format!("{}/{}", self.article, self.locale)
    }

    /// The permalink of article `slug` in `locale` on the static site.
    pub fn site_url_of(&self, locale: &str, slug: &str) -> String {
        format!("{}{locale}/{slug}/", self.base_url)
    }
}

/// The `(locale, slug)` pairs the HTML links to, for resolving [`LINK_MARKER`]s.
pub fn linked(html: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut rest = html;
    while let Some(i) = rest.find(LINK_MARKER) {
        rest = &rest[i + LINK_MARKER.len()..];
        let mut parts = rest.splitn(3, '/');
        if let (Some(locale), Some(slug)) = (parts.next(), parts.next()) {
            out.insert((locale.to_string(), slug.to_string()));
        }
    }
    out
}

/// Replaces each `@/` link marker with `url(locale, slug)`.
pub fn resolve_links(html: &str, url: impl Fn(&str, &str) -> String) -> String {
    let mut out = html.to_string();
    for (locale, slug) in linked(html) {
        out = out.replace(&format!("{LINK_MARKER}{locale}/{slug}/"), &url(&locale, &slug));
    }
    out
}

/// Replaces `src="<name>"` of each image with `src="<url>"`.
pub fn rewrite_images(html: &str, urls: &BTreeMap<String, String>) -> String {
    let mut out = html.to_string();
    for (name, url) in urls {
        for form in src_forms(name) {
            out = out.replace(
                &format!("src=\"{form}\""),
                &format!("src=\"{}\"", escape(url, Escape::DoubleQuoted)),
            );
        }
    }
    out
}

fn src_forms(name: &str) -> Vec<String> {
    let mut forms = vec![escape(name, Escape::DoubleQuoted)];
    let encoded = escape(&name.replace(' ', "%20"), Escape::DoubleQuoted);
    if !forms.contains(&encoded) {
        forms.push(encoded);
    }
    forms
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A label from `site.ftl` (`tag-<key>`, `category-<key>`), or the key with spaces.
pub fn label(l10n: &Localizer, locale: &str, prefix: &str, key: &str) -> String {
    l10n.message(locale, &format!("{prefix}-{key}"), None)
        .map(|f| nashr_l10n::bidi::for_sink(&f.text, nashr_l10n::bidi::Sink::Value).into_owned())
        .unwrap_or_else(|_| key.replace('-', " "))
}

/// Every article in every locale of the project.
pub fn items(project: &Project, l10n: &Localizer, now: jiff::Timestamp) -> Result<Vec<Item>, Error> {
    let live: BTreeSet<&str> = project
        .articles
        .iter()
        .filter(|a| a.is_live(now))
        .map(|a| a.slug.as_str())
        .collect();
    let base_url = project.config.base_url();
    let mut out = Vec::new();
    for article in &project.articles {
        let files = read_images(article)?;
        for locale in &project.config.site.locales {
            out.push(item(article, locale, l10n, &live, &files, &base_url, now));
        }
    }
    Ok(out)
}

fn read_images(article: &Article) -> Result<BTreeMap<String, Image>, Error> {
    let mut files = BTreeMap::new();
    for asset in &article.assets {
        let name = asset.to_string_lossy().replace('\\', "/");
        let Some(mime) = nashr_content::mime::image_of_path(&name) else {
            continue;
        };
        let path = article.dir.join(asset);
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        files.insert(
            name.clone(),
            Image {
                hash: sha256_hex(&bytes),
                name,
                mime,
                bytes: Arc::new(bytes),
            },
        );
    }
    Ok(files)
}

fn item(
    article: &Article,
    locale: &str,
    l10n: &Localizer,
    live: &BTreeSet<&str>,
    files: &BTreeMap<String, Image>,
    base_url: &str,
    now: jiff::Timestamp,
) -> Item {
    let loc = l10n.localize(article, locale);
    let ctx = MarkdownContext {
        lang: locale,
        base_path: LINK_MARKER,
        heading_ids: &loc.heading_ids,
        is_live: &|slug| live.contains(slug),
    };
    let body = markdown::render(&loc.body, &ctx);
    let html = nashr_l10n::bidi::for_sink(&body.html, nashr_l10n::bidi::Sink::Markup).into_owned();
    let images: Vec<Image> = files
        .values()
        .filter(|img| {
            src_forms(&img.name)
                .iter()
                .any(|f| html.contains(&format!("src=\"{f}\"")))
        })
        .cloned()
        .collect();
    let fm = article.front();
    let hero = fm.hero.as_ref().and_then(|h| {
        let img = files.get(&h.src)?.clone();
        let alt = loc.hero_alt.clone().unwrap_or_else(|| h.alt.clone());
        Some((
            img,
            nashr_l10n::bidi::for_sink(&alt, nashr_l10n::bidi::Sink::Value).into_owned(),
        ))
    });
    let status = match (fm.status, fm.publish_at) {
        (Status::Draft, _) => PostStatus::Draft,
        (_, Some(at)) if at.0 > now => PostStatus::Future,
        _ => PostStatus::Publish,
    };
    let rtl = l10n.locale(locale).is_some_and(|l| l.rtl);
    Item {
        article: article.slug.clone(),
        locale: locale.to_string(),
        dir: if rtl { "rtl" } else { "ltr" },
        language_name: l10n
            .message(locale, "language-name", None)
            .map(|f| f.text)
            .unwrap_or_else(|_| locale.to_string()),
        title: loc.title,
        slug: loc.slug,
        excerpt: loc.summary,
        author: loc.author,
        reviewed_by: loc.reviewed_by,
        html,
        status,
        date: fm.date.0.to_string(),
        updated: fm.updated.map(|d| d.0.to_string()),
        publish_at: fm.publish_at.map(|t| t.0),
        tags: fm
            .tags
            .iter()
            .map(|key| Term {
                key: key.clone(),
                label: label(l10n, locale, "tag", key),
            })
            .collect(),
        images,
        hero,
        site_url: format!("{base_url}{locale}/{}/", article.slug),
        base_url: base_url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_images_are_resolved_per_target() {
        let html = format!(
            "<p><a href=\"{LINK_MARKER}fa/other/#part\">x</a> <a href=\"{LINK_MARKER}fa/other/\">y</a><img src=\"my%20photo.png\" alt=\"\"></p>"
        );
        assert_eq!(
            linked(&html).into_iter().collect::<Vec<_>>(),
            [("fa".to_string(), "other".to_string())]
        );
        let resolved = resolve_links(&html, |l, s| format!("https://wp.example/{l}-{s}/"));
        assert!(
            resolved.contains("href=\"https://wp.example/fa-other/#part\""),
            "{resolved}"
        );
        let urls = BTreeMap::from([("my photo.png".to_string(), "https://wp.example/u/a.png".to_string())]);
        assert!(rewrite_images(&resolved, &urls).contains("src=\"https://wp.example/u/a.png\""));
    }
}
