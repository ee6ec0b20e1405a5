//! Stage 1 of nashr: load and validate the project — `nashr.toml` and every article under
//! `content/` — into typed values. Nothing here knows about translation or HTML.
//!
//! ```no_run
//! let project = nashr_content::Project::load(std::path::Path::new("."))?;
//! for article in &project.articles {
//!     println!("{}: {}", article.slug, article.front().title);
//! }
//! # Ok::<(), nashr_content::Error>(())
//! ```

pub mod article;
pub mod config;
pub mod diag;
pub mod fs;
pub mod html;
pub mod mime;
pub mod newsletter;
mod slug;
pub mod targets;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use article::{Article, Document, FrontMatter, Hero, Status};
pub use config::{Calendar, Config, Digits, StaleMode};
pub use diag::{BuildStateError, Error, Secret, SourceError};
pub use slug::slugify;

/// The Markdown dialect nashr reads: CommonMark plus tables and strikethrough. Every stage
/// parses with these options so that segments, checks and rendering agree.
pub fn markdown_options() -> pulldown_cmark::Options {
    pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_STRIKETHROUGH
}

/// The slugs of a project's articles, which `@/slug` links are checked against. A hash set:
/// a binary search over thousands of articles misses the cache at each of its steps, for
/// every link of every article.
#[derive(Debug, Clone, Default)]
pub struct Slugs(rustc_hash::FxHashSet<String>);

impl Slugs {
    pub fn new<'a>(slugs: impl IntoIterator<Item = &'a str>) -> Slugs {
        Slugs(slugs.into_iter().map(str::to_string).collect())
    }

    pub fn contains(&self, slug: &str) -> bool {
        self.0.contains(slug)
    }
}

/// A loaded, validated project.
#[derive(Debug, Clone)]
pub struct Project {
    /// The project directory (where `nashr.toml` is).
    pub root: PathBuf,
    pub config: Config,
    /// Every article, sorted by slug.
    pub articles: Vec<Article>,
}

impl Project {
    /// Loads `nashr.toml` and every article; reports all input problems at once.
    pub fn load(root: &Path) -> Result<Project, Error> {
        let config = Config::load(root)?;
        let articles = load_articles(root, &config, None, None)?;
        Ok(Project {
            root: root.to_path_buf(),
            config,
            articles,
        })
    }

    /// [`Project::load`] for a caller that parses every body anyway (`nashr build`): when
    /// everything else loads without error, the checks that need each body parsed (its images
    /// exist, its `@/` links name articles) are left to the caller, which runs
    /// [`Project::reference_errors`] on each article once it has recorded the references it
    /// found ([`Document::set_references`]). When something else fails, they run here, so
    /// every error is still reported at once.
    pub fn load_deferring_references(root: &Path) -> Result<Project, Error> {
        let config = Config::load(root)?;
        let articles = load_articles_with(root, &config, None, None, ReferenceChecks::Deferred)?;
        Ok(Project {
            root: root.to_path_buf(),
            config,
            articles,
        })
    }

    /// The checks [`Project::load_deferring_references`] left: `article`'s images exist next
    /// to it and its `@/` links name articles of the project, in it and its whole-file
    /// translations.
    pub fn reference_errors(&self, article: &Article, slugs: &Slugs) -> Vec<SourceError> {
        let mut errors = Vec::new();
        for doc in std::iter::once(&article.doc).chain(article.translations.values()) {
            image_errors(&article.dir, doc, &mut errors);
        }
        // Loaded without errors: the articles are every directory with an `index.md`.
        let all = || {
            self.articles
                .iter()
                .map(|a| a.slug.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        link_errors(article, &|slug| slugs.contains(slug), &all, &mut errors);
        errors
    }

    /// The slugs of the project's articles, for [`Project::reference_errors`]: made once by
    /// a caller that checks many articles.
    pub fn slugs(&self) -> Slugs {
        Slugs::new(self.articles.iter().map(|a| a.slug.as_str()))
    }

    /// Loads `nashr.toml` and only the articles whose slugs are in `only` (an incremental
    /// build: the articles that changed). Their `@/` links are still checked against every
    /// article directory.
    pub fn load_only(root: &Path, config: Config, only: &std::collections::BTreeSet<String>) -> Result<Project, Error> {
        let articles = load_articles(root, &config, Some(only), None)?;
        Ok(Project {
            root: root.to_path_buf(),
            config,
            articles,
        })
    }

    /// [`Project::load_only`] when the caller has just listed the article directories:
    /// `slugs` are those with an `index.md` (sorted), against which links are checked, so the
    /// thousands of directories are not looked at again.
    pub fn load_only_among(
        root: &Path,
        config: Config,
        only: &std::collections::BTreeSet<String>,
        slugs: Vec<String>,
    ) -> Result<Project, Error> {
        let articles = load_articles(root, &config, Some(only), Some(slugs))?;
        Ok(Project {
            root: root.to_path_buf(),
            config,
            articles,
        })
    }

    pub fn article(&self, slug: &str) -> Option<&Article> {
        self.articles.iter().find(|a| a.slug == slug)
    }

    pub fn content_dir(&self) -> PathBuf {
        self.root.join(&self.config.build.content_dir)
    }
    pub fn locales_dir(&self) -> PathBuf {
        self.root.join(&self.config.build.locales_dir)
    }
    pub fn templates_dir(&self) -> PathBuf {
        self.root.join(&self.config.build.templates_dir)
    }
    pub fn static_dir(&self) -> PathBuf {
        self.root.join(&self.config.build.static_dir)
    }
    pub fn output_dir(&self) -> PathBuf {
        self.root.join(&self.config.build.output_dir)
    }

    /// `path` relative to the project root, for messages.
    pub fn shown(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root).unwrap_or(path).to_path_buf()
    }
}

/// Directories under `content/` that hold other things than articles.
const RESERVED_DIRS: &[&str] = &["newsletters"];

/// One article directory loaded: its article, none (no `index.md`), or its errors.
type Loaded = Result<Option<Article>, Vec<SourceError>>;

fn load_articles(
    root: &Path,
    config: &Config,
    only: Option<&std::collections::BTreeSet<String>>,
    slugs: Option<Vec<String>>,
) -> Result<Vec<Article>, Error> {
    load_articles_with(root, config, only, slugs, ReferenceChecks::Now)
}

/// When the checks that need an article's references (its images exist, its `@/` links name
/// articles) run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReferenceChecks {
    /// While loading.
    Now,
    /// Left to the caller unless some other error is reported
    /// ([`Project::load_deferring_references`]).
    Deferred,
}

/// [`load_articles`], with the reference checks run `references`.
fn load_articles_with(
    root: &Path,
    config: &Config,
    only: Option<&std::collections::BTreeSet<String>>,
    slugs: Option<Vec<String>>,
    references: ReferenceChecks,
) -> Result<Vec<Article>, Error> {
    // Every article directory counts for links, even one whose own file has errors: a typo in
    // one article must not be reported again as a broken link in every article linking to it.
    let content_dir = root.join(&config.build.content_dir);
    let name = |d: &PathBuf| d.file_name().map(|n| n.to_string_lossy().into_owned());
    let (dirs, slugs) = match (only, slugs) {
        (Some(only), Some(slugs)) => (
            only.iter()
                .map(|s| content_dir.join(s))
                .filter(|d| d.is_dir())
                .collect(),
            Some(slugs),
        ),
        (Some(only), None) => {
            let dirs = article_dirs(root, config)?;
            let slugs = dirs
                .iter()
                .filter(|d| d.join("index.md").is_file())
                .filter_map(name)
                .collect();
            let dirs = dirs
                .into_iter()
                .filter(|d| name(d).is_some_and(|n| only.contains(&n)))
                .collect();
            (dirs, Some(slugs))
        }
        // Every directory is loaded: which ones hold an article is known from loading them.
        (None, _) => (article_dirs(root, config)?, None),
    };
    // Parsed in parallel, collected in directory order: errors come out in the same order
    // whatever the number of threads.
    use rayon::prelude::*;
    let loaded: Vec<Loaded> = dirs
        .par_iter()
        .map(|dir| load_article(root, config, dir, references))
        .collect();
    // Deferred only while nothing else failed: then every error is reported at once.
    let check_now = references == ReferenceChecks::Now || loaded.iter().any(Result::is_err);
    // A directory is an article when it has an `index.md`, whether that loaded or not.
    let slugs: Vec<String> = match slugs {
        Some(slugs) => slugs,
        None => dirs
            .iter()
            .zip(&loaded)
            .filter(|(_, result)| !matches!(result, Ok(None)))
            .filter_map(|(d, _)| name(d))
            .collect(),
    };
    let mut errors = Vec::new();
    let mut articles = Vec::new();
    for result in loaded {
        match result {
            Ok(Some(a)) => {
                if references == ReferenceChecks::Deferred && check_now {
                    for doc in std::iter::once(&a.doc).chain(a.translations.values()) {
                        image_errors(&a.dir, doc, &mut errors);
                    }
                }
                articles.push(a)
            }
            Ok(None) => {}
            Err(mut e) => errors.append(&mut e),
        }
    }
    if check_now {
        let set = Slugs::new(slugs.iter().map(String::as_str));
        let all = || slugs.join(", ");
        for a in &articles {
            link_errors(a, &|slug| set.contains(slug), &all, &mut errors);
        }
    }
    if errors.is_empty() {
        Ok(articles)
    } else {
        Err(Error::Input(errors))
    }
}

/// The article directories under `content/`, sorted (directories without `index.md` included:
/// they may hold shared images).
pub fn article_dirs(root: &Path, config: &Config) -> Result<Vec<PathBuf>, Error> {
    let content_dir = root.join(&config.build.content_dir);
    let entries = std::fs::read_dir(&content_dir).map_err(|e| Error::io(&content_dir, e))?;
    let mut dirs: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(&content_dir, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.file_type().is_ok_and(|t| t.is_dir())
            && !name.starts_with('.')
            && !RESERVED_DIRS.contains(&name.as_ref())
        {
            dirs.push(entry.path());
        }
    }
    dirs.sort();
    Ok(dirs)
}

fn load_article(
    root: &Path,
    config: &Config,
    dir: &Path,
    references: ReferenceChecks,
) -> Result<Option<Article>, Vec<SourceError>> {
    let slug = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let index = dir.join("index.md");
    let shown = |p: &Path| p.strip_prefix(root).unwrap_or(p).to_path_buf();
    // The directory before its entries, and both before any file is read: an edit made while
    // this build runs shows as a change to the next one.
    let dir_seen = std::fs::metadata(dir).map_or((0, 0), |m| crate::fs::size_time(&m));
    let entries = crate::fs::list_dir(dir).map_err(|e| {
        vec![SourceError::whole_file(
            shown(dir),
            format!("cannot read the directory: {e}"),
        )]
    })?;
    if !entries.iter().any(|(name, meta)| name == "index.md" && meta.is_some()) {
        // A directory without index.md is not an article (it may hold shared images).
        return Ok(None);
    }
    let mut errors = Vec::new();
    let read = |p: &Path| {
        crate::fs::read_text(p)
            .map_err(|e| vec![SourceError::whole_file(shown(p), format!("cannot read the file: {e}"))])
    };
    let doc = Document::parse(&shown(&index), read(&index)?).map_err(|e| vec![e])?;
    if !article::is_slug(&slug) {
        errors.push(
            SourceError::whole_file(shown(&index), format!("the directory name `{slug}` cannot be used as a URL slug"))
                .with_help("rename the directory with lowercase ASCII letters, digits and hyphens, e.g. `physiotherapy-vs-massage`"),
        );
    }

    let mut assets = Vec::new();
    let mut translations = BTreeMap::new();
    for (name, meta) in &entries {
        let file = dir.join(name);
        if name == "index.md" || name.starts_with('.') {
            continue;
        }
        if let Some(lang) = name.strip_prefix("index.").and_then(|n| n.strip_suffix(".md")) {
            if !config.site.locales.iter().any(|l| l == lang) {
                errors.push(
                    SourceError::whole_file(shown(&file), format!("`{lang}` is not one of the site's locales"))
                        .with_help(format!(
                            "whole-file translations are named index.<locale>.md with a locale from nashr.toml: {}",
                            config.site.locales.join(", ")
                        )),
                );
                continue;
            }
            match read(&file).and_then(|s| Document::parse(&shown(&file), s).map_err(|e| vec![e])) {
                Ok(d) => {
                    check_document(dir, &d, config, &mut errors);
                    if references == ReferenceChecks::Now {
                        image_errors(dir, &d, &mut errors);
                    }
                    translations.insert(lang.to_string(), d);
                }
                Err(mut e) => errors.append(&mut e),
            }
        } else if meta.as_ref().is_some_and(std::fs::Metadata::is_file) {
            assets.push(PathBuf::from(name));
        }
    }
    check_document(dir, &doc, config, &mut errors);
    if references == ReferenceChecks::Now {
        image_errors(dir, &doc, &mut errors);
    }
    if errors.is_empty() {
        Ok(Some(Article {
            slug,
            dir: dir.to_path_buf(),
            doc,
            assets,
            translations,
            seen: (dir_seen.0, dir_seen.1, crate::fs::listing(&entries)),
        }))
    } else {
        Err(errors)
    }
}

/// Checks of the front matter that need no other article: the hero image exists, tags and
/// lang are valid. The body's images are [`image_errors`].
fn check_document(dir: &Path, doc: &Document, config: &Config, errors: &mut Vec<SourceError>) {
    let fm = &doc.front;
    if fm.title.trim().is_empty() {
        errors.push(doc.field_error("title", "the title is empty"));
    }
    if let Some(hero) = &fm.hero
        && !dir.join(&hero.src).is_file()
    {
        errors.push(
            doc.field_error(
                "hero",
                format!("the hero image `{}` does not exist next to the article", hero.src),
            )
            .with_help(format!(
                "put the file in {} or fix the name",
                doc.path.parent().unwrap_or(Path::new("")).display()
            )),
        );
    }
    if let Some(lang) = &fm.lang
        && !config.site.locales.contains(lang)
    {
        errors.push(doc.field_error(
            "lang",
            format!(
                "`{lang}` is not one of the site's locales ({})",
                config.site.locales.join(", ")
            ),
        ));
    }
    for tag in &fm.tags {
        if !article::is_slug(tag) {
            errors.push(
                doc.field_error(
                    "tags",
                    format!("tag `{tag}` must be lowercase ASCII letters, digits and hyphens"),
                )
                .with_help("tags are keys; their display names are translated in site.ftl as `tag-<key>`"),
            );
        }
    }
    if let Some(slug) = &fm.slug
        && !slug::is_slug(slug)
    {
        let suggestion = slugify(slug);
        let help = if suggestion.is_empty() {
            "a slug needs letters or digits".to_string()
        } else {
            format!("write it as slug = \"{suggestion}\" (lowercase, hyphens between words, no punctuation or ZWNJ)")
        };
        errors.push(
            doc.field_error("slug", format!("`{slug}` is not a slug"))
                .with_help(help),
        );
    }
    if fm.status == Status::Scheduled && fm.publish_at.is_none() {
        errors.push(
            doc.field_error("status", "a scheduled article needs `publish_at`")
                .with_help("add e.g. publish_at = 2026-12-01T09:00:00-08:00"),
        );
    }
}

/// The images `doc` shows that are not next to it (in `dir`): a check that parses its body.
fn image_errors(dir: &Path, doc: &Document, errors: &mut Vec<SourceError>) {
    for r in doc.references() {
        if r.kind == article::ReferenceKind::Image && article::is_local_file(&r.target) {
            let file = r.target.split(['#', '?']).next().unwrap_or_default();
            let decoded = file.replace("%20", " ");
            if !dir.join(&decoded).is_file() {
                errors.push(
                    doc.body_error(
                        r.range.clone(),
                        format!("the image `{}` does not exist next to the article", r.target),
                    )
                    .with_label("referenced here")
                    .with_help("images are files in the article's directory, referenced by their name"),
                );
            }
        }
    }
}

/// `@/slug` links of `a` (and of its whole-file translations) must name an existing article;
/// `all` lists them for the help.
fn link_errors(a: &Article, exists: &dyn Fn(&str) -> bool, all: &dyn Fn() -> String, errors: &mut Vec<SourceError>) {
    for doc in std::iter::once(&a.doc).chain(a.translations.values()) {
        for r in doc.references() {
            if let Some((slug, _)) = article::internal_link(&r.target)
                && !exists(slug)
            {
                errors.push(
                    doc.body_error(
                        r.range.clone(),
                        format!("`{}` links to an article that does not exist", r.target),
                    )
                    .with_label("unknown article")
                    .with_help(format!("articles are: {}", all())),
                );
            }
        }
    }
}
