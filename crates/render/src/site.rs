//! Every output file of the static site, rendered in memory. Nothing is written here: the
//! whole site renders first, so an error anywhere leaves `public/` untouched.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use minijinja::Value;
use minijinja::value::Serde;
use nashr_content::{Article, Error, Project, SourceError};
use nashr_l10n::Localizer;
use nashr_l10n::bidi::{Sink, for_sink};
use serde::Serialize;

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

#[derive(Serialize, Clone)]
struct TagRef {
    key: String,
    label: String,
    url: String,
}

#[derive(Serialize, Clone)]
struct Hero {
    src: String,
    alt: String,
}

/// An article as templates see it.
#[derive(Serialize, Clone)]
struct ArticleView {
    slug: String,
    title: String,
    summary: Option<String>,
    author: Option<String>,
    reviewed_by: Option<String>,
    /// ISO dates; format them for readers with the `date` filter.
    date: String,
    updated: Option<String>,
    /// RFC 3339, for feeds and `<time datetime>`.
    date_rfc3339: String,
    updated_rfc3339: String,
    reading_minutes: u64,
    tags: Vec<TagRef>,
    url: String,
    permalink: String,
    hero: Option<Hero>,
    /// Sanitised HTML of the body.
    content: String,
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

pub(crate) struct SiteRenderer<'a> {
    project: &'a Project,
    l10n: Arc<Localizer>,
    templates: Templates,
    urls: Urls,
    /// Live articles, newest first.
    articles: Vec<&'a Article>,
    /// Language names, each in its own language.
    language_names: BTreeMap<String, String>,
    /// Slugs of the live articles, for resolving `@/` links.
    live: BTreeSet<String>,
    warnings: std::sync::Mutex<BTreeSet<String>>,
    /// Translation marks per page, when the preview asks for them.
    pub(crate) marks: crate::marks::Collector,
}

impl<'a> SiteRenderer<'a> {
    pub(crate) fn new(
        project: &'a Project,
        l10n: Arc<Localizer>,
        now: jiff::Timestamp,
        marks: bool,
    ) -> Result<Self, Error> {
        let templates = Templates::load(project, l10n.clone())?;
        let mut articles: Vec<&Article> = project.articles.iter().filter(|a| a.is_live(now)).collect();
        articles.sort_by(|a, b| b.front().date.cmp(&a.front().date).then(a.slug.cmp(&b.slug)));
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
        let live = articles.iter().map(|a| a.slug.clone()).collect();
        Ok(SiteRenderer {
            project,
            l10n,
            templates,
            urls,
            articles,
            language_names,
            live,
            warnings: Default::default(),
            marks: crate::marks::Collector::new(marks),
        })
    }

    pub(crate) fn article_count(&self) -> usize {
        self.articles.len()
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

    fn view(&self, article: &Article, lang: &str) -> ArticleView {
        let rel = format!("{lang}/{}/", article.slug);
        let marked = self.marks.enabled();
        let loc = if marked {
            let (loc, marks) = self.l10n.localize_marked(article, lang);
            self.marks.add(&Urls::file(&rel), marks);
            loc
        } else {
            self.l10n.localize(article, lang)
        };
        let ctx = MarkdownContext {
            lang,
            base_path: &self.urls.base_path,
            heading_ids: &loc.heading_ids,
            is_live: &|slug| self.live.contains(slug),
        };
        let body = if marked {
            markdown::render_marked(&loc.body, &ctx)
        } else {
            markdown::render(&loc.body, &ctx)
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

    fn render(&self, template: &str, path: String, ctx: Value) -> Result<Output, SourceError> {
        let text = self.marks.page(&path, || self.templates.render(template, ctx))?;
        Ok(Output {
            path,
            // Every page, feed and sitemap: isolation marks only in text content.
            bytes: for_sink(&text, Sink::Markup).into_owned().into_bytes(),
        })
    }

    /// Renders every file, reporting each page to `progress`.
    pub(crate) fn render_all(&self, progress: &crate::Progress<'_>) -> Result<Vec<Output>, Error> {
        let locales = self.locales().to_vec();
        let per_page = self.project.config.site.per_page;
        let mut tags: BTreeSet<&str> = BTreeSet::new();
        for a in &self.articles {
            tags.extend(a.front().tags.iter().map(String::as_str));
        }
        let index_pages = self.articles.len().div_ceil(per_page).max(1);
        let total = locales.len() * (self.articles.len() + index_pages + tags.len() + 2) + 2;
        let mut done = 0;
        let mut tick = || {
            done += 1;
            progress("rendering", done, total);
        };

        let mut outputs = Vec::new();
        let mut errors = Vec::new();
        let mut push = |r: Result<Output, SourceError>, outputs: &mut Vec<Output>| match r {
            Ok(o) => outputs.push(o),
            Err(e) => errors.push(e),
        };
        let source_locale = self.project.config.site.source_locale.clone();
        let root_x_default = self.urls.permalink("");
        let mut sitemap: Vec<SitemapUrl> = Vec::new();

        // Article images, read once and published next to the article in every locale.
        let mut assets: BTreeMap<&str, Vec<(String, Vec<u8>)>> = BTreeMap::new();
        for article in &self.articles {
            let mut files = Vec::new();
            for asset in &article.assets {
                let src = article.dir.join(asset);
                let bytes = std::fs::read(&src).map_err(|e| Error::io(&src, e))?;
                files.push((asset.to_string_lossy().replace('\\', "/"), bytes));
            }
            assets.insert(&article.slug, files);
        }

        for lang in &locales {
            let common = self.common(lang);
            let views: Vec<ArticleView> = self.articles.iter().map(|a| self.view(a, lang)).collect();

            // Article pages, and the files next to them.
            for (article, view) in self.articles.iter().zip(&views) {
                let rel = format!("{lang}/{}/", article.slug);
                let slug = article.slug.clone();
                let page = self.page(
                    lang,
                    "article",
                    &rel,
                    |l| format!("{l}/{slug}/"),
                    self.urls.permalink(&format!("{source_locale}/{slug}/")),
                );
                let ctx = minijinja::context! { page => Value::from(Serde(&page)), article => Value::from(Serde(view)), ..Value::from(Serde(&common)) };
                push(self.render("article.html", Urls::file(&rel), ctx), &mut outputs);
                sitemap_entry(
                    &mut sitemap,
                    &page,
                    Some(view.updated.clone().unwrap_or(view.date.clone())),
                );
                for (name, bytes) in &assets[article.slug.as_str()] {
                    outputs.push(Output {
                        path: format!("{rel}{name}"),
                        bytes: bytes.clone(),
                    });
                }
                tick();
            }

            // Index pages: /fa/, /fa/page/2/, …
            let chunks: Vec<&[ArticleView]> = if views.is_empty() {
                vec![&[][..]]
            } else {
                views.chunks(per_page).collect()
            };
            let index_rel = |l: &str, n: usize| {
                if n == 1 {
                    format!("{l}/")
                } else {
                    format!("{l}/page/{n}/")
                }
            };
            for (i, chunk) in chunks.iter().enumerate() {
                let n = i + 1;
                let rel = index_rel(lang, n);
                let page = self.page(lang, "index", &rel, |l| index_rel(l, n), root_x_default.clone());
                let pagination = Pagination {
                    page: n,
                    total: chunks.len(),
                    newer_url: (n > 1).then(|| self.urls.href(&index_rel(lang, n - 1))),
                    older_url: (n < chunks.len()).then(|| self.urls.href(&index_rel(lang, n + 1))),
                };
                let ctx = minijinja::context! { page => Value::from(Serde(&page)), articles => Value::from(Serde(chunk)), pagination => Value::from(Serde(&pagination)), ..Value::from(Serde(&common)) };
                push(self.render("index.html", Urls::file(&rel), ctx), &mut outputs);
                sitemap_entry(&mut sitemap, &page, None);
                tick();
            }

            // Tag pages.
            let mut tag_list = Vec::new();
            for key in &tags {
                let tagged: Vec<&ArticleView> = views.iter().filter(|v| v.tags.iter().any(|t| t.key == *key)).collect();
                let rel = format!("{lang}/tags/{key}/");
                let page = self.page(
                    lang,
                    "tag",
                    &rel,
                    |l| format!("{l}/tags/{key}/"),
                    root_x_default.clone(),
                );
                let tag = self.tag_ref(lang, key);
                let ctx = minijinja::context! { page => Value::from(Serde(&page)), tag => Value::from(Serde(&tag)), articles => Value::from(Serde(&tagged)), ..Value::from(Serde(&common)) };
                push(self.render("tag.html", Urls::file(&rel), ctx), &mut outputs);
                sitemap_entry(&mut sitemap, &page, None);
                tag_list.push(
                    minijinja::context! { key => tag.key, label => tag.label, url => tag.url, count => tagged.len() },
                );
                tick();
            }
            let rel = format!("{lang}/tags/");
            let page = self.page(lang, "tags", &rel, |l| format!("{l}/tags/"), root_x_default.clone());
            let ctx = minijinja::context! { page => Value::from(Serde(&page)), tags => tag_list, ..Value::from(Serde(&common)) };
            push(self.render("tags.html", Urls::file(&rel), ctx), &mut outputs);
            sitemap_entry(&mut sitemap, &page, None);
            tick();

            // Atom feed: machine dates stay RFC 3339.
            // The newest `feed_entries` articles; `updated` is the newest of theirs, so an
            // unchanged site gives an unchanged feed.
            let entries = &views[..views.len().min(self.project.config.site.feed_entries)];
            let updated = entries
                .iter()
                .map(|v| v.updated_rfc3339.clone())
                .max()
                .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
            let feed = minijinja::context! {
                updated => updated,
                self_url => common.feed_permalink.clone(),
                alternate_url => self.urls.permalink(&format!("{lang}/")),
            };
            let ctx = minijinja::context! { feed => feed, articles => Value::from(Serde(entries)), ..Value::from(Serde(&common)) };
            push(self.render("atom.xml", format!("{lang}/atom.xml"), ctx), &mut outputs);
            tick();
        }

        // The site root: every language to choose from (it is the x-default of index pages).
        let choices: Vec<Value> = locales
            .iter()
            .map(|l| {
                let title = self.l10n.message(l, "site-title", None).map(|f| f.text).unwrap_or_default();
                let choose = self.l10n.message(l, "root-title", None).map(|f| f.text).unwrap_or_default();
                minijinja::context! { lang => l, dir => self.dir(l), name => self.language_names.get(l).cloned(), url => self.urls.href(&format!("{l}/")), title => title, prompt => choose }
            })
            .collect();
        let page = self.page(&source_locale, "root", "", |l| format!("{l}/"), root_x_default.clone());
        let ctx = minijinja::context! { page => Value::from(Serde(&page)), choices => choices, ..Value::from(Serde(self.common(&source_locale))) };
        push(self.render("root.html", "index.html".into(), ctx), &mut outputs);
        tick();

        let ctx = minijinja::context! { urls => Value::from(Serde(&sitemap)), lang => source_locale.clone() };
        push(self.render("sitemap.xml", "sitemap.xml".into(), ctx), &mut outputs);
        tick();

        // Static files (stylesheet, fonts, robots.txt, favicon): copied as they are to the site
        // root, as Hugo and Zola do. One that would replace a generated page is an error.
        let static_dir = self.project.static_dir();
        let generated: BTreeSet<String> = outputs.iter().map(|o| o.path.clone()).collect();
        for path in nashr_content::fs::walk_files(&static_dir).map_err(|e| Error::io(&static_dir, e))? {
            let rel = nashr_content::fs::relative_slash(&path, &static_dir);
            if generated.contains(&rel) {
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
            outputs.push(Output { path: rel, bytes });
        }

        if !errors.is_empty() {
            // The same template error repeats on every page (and locale) that uses it: report
            // each place once.
            let mut seen = BTreeSet::new();
            errors.retain(|e| seen.insert(e.location()));
            return Err(Error::Input(errors));
        }
        outputs.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(outputs)
    }
}

#[derive(Serialize)]
struct SitemapUrl {
    loc: String,
    lastmod: Option<String>,
    alternates: Vec<SitemapAlt>,
}

#[derive(Serialize)]
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
