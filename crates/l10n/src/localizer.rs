//! Fluent resources for every locale: UI strings (`locales/<lang>/*.ftl`) and article segment
//! catalogs (`locales/<lang>/articles/<slug>.ftl`), formatted through a fallback chain.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use fluent_bundle::{FluentArgs, FluentError, FluentResource};
use nashr_content::{Error, Project, SourceError};
use unic_langid::{CharacterDirection, LanguageIdentifier};
// Fx: these maps are looked up for every article and segment; their keys are our own.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::format::{self, LocaleFormat};

/// Bundles are shared between rendering threads, and resources between bundles.
pub type Bundle = fluent_bundle::concurrent::FluentBundle<Arc<FluentResource>>;

/// One parsed `.ftl` file.
#[derive(Clone)]
pub struct FtlFile {
    /// Path relative to the project root, as shown in messages.
    pub path: PathBuf,
    pub source: Arc<str>,
    pub resource: Arc<FluentResource>,
}

impl FtlFile {
    /// Parses `text`, the file shown as `path`; broken entries are left out (Fluent's junk).
    pub fn parse(path: PathBuf, text: String) -> FtlFile {
        parse_ftl(path, text).0
    }

    /// 1-based lines where message `id` (or term `-id`) is defined, in file order.
    pub fn definition_lines<'a>(&'a self, id: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.source
            .lines()
            .enumerate()
            .filter(move |(_, l)| {
                l.strip_prefix(id)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
            .map(|(i, _)| i + 1)
    }

    /// 1-based line of the first definition of `id`, if present.
    pub fn line_of(&self, id: &str) -> Option<usize> {
        self.definition_lines(id).next()
    }
}

/// A segment catalog of one article in one locale.
pub struct ArticleCatalog {
    pub file: FtlFile,
    /// `(id, text)` pairs in file order, parsed once: ids are aligned against them for every
    /// page in every locale.
    pub entries: Vec<(String, String)>,
    bundle: Bundle,
}

/// The article catalogs of one locale (`locales/<lang>/articles/<slug>.ftl`), read when an
/// article is rendered and dropped after it ([`Localizer::open_article`]): 10,000 parsed
/// catalogs with their bundles would hold a gigabyte.
struct ArticleCatalogs {
    dir: PathBuf,
    /// `dir` as shown in messages.
    shown_dir: PathBuf,
    /// Ids are aligned against the catalogs of source locales: keep their entries.
    is_source: bool,
    /// `Some(catalog)` when loaded, `None` when the article has no catalog in this locale.
    loaded: std::sync::RwLock<HashMap<String, Option<Arc<ArticleCatalog>>>>,
    /// How many articles have this catalog open ([`Localizer::open_article`]).
    open: Mutex<HashMap<String, usize>>,
    keep: KeepCatalogs,
}

/// How long an article catalog, once read, stays in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeepCatalogs {
    /// Until no article has it open ([`Localizer::load_lazy`]).
    WhileOpen,
    /// For the Localizer's lifetime ([`Localizer::load`]).
    Always,
}

/// Everything nashr knows about one locale.
pub struct LocaleData {
    pub code: String,
    pub langid: LanguageIdentifier,
    pub rtl: bool,
    pub ui_files: Vec<FtlFile>,
    ui: Bundle,
    articles: ArticleCatalogs,
    /// Dates and numbers in this locale's calendar and digits (`[locale.<code>]`).
    pub format: Arc<LocaleFormat>,
}

/// Where a formatted string came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formatted {
    pub text: String,
    /// The locale whose message was used (differs from the requested one on fallback).
    pub locale: String,
}

/// A message that cannot be shown.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MessageError {
    #[error("no locale defines the message `{id}` (tried {tried})")]
    Missing { id: String, tried: String },
    #[error("{location}: message `{id}` cannot be formatted: {errors}")]
    Broken {
        id: String,
        location: String,
        errors: String,
    },
    #[error("`{0}` is not a locale of this site")]
    UnknownLocale(String),
}

/// Stale translations of one locale: `(Some(slug), id)` for segments, `(None, id)` for UI
/// messages.
type StaleSet = HashSet<(Option<String>, String)>;

pub struct Localizer {
    source_locale: String,
    locales: Vec<LocaleData>,
    chains: HashMap<String, Vec<usize>>,
    /// Stale translations per locale: `(slug, id)` for segments, `(None, id)` for UI messages.
    /// Segments are added while articles render ([`Localizer::mark_stale_segments`]).
    stale: std::sync::RwLock<HashMap<String, StaleSet>>,
    /// Locales whose readers get the fallback text instead of a stale translation.
    stale_fallback: HashSet<String>,
    /// Shared with the bundles' `DATETIME` functions, which report bad options here.
    warnings: Warnings,
    fallbacks: Mutex<BTreeSet<(String, String)>>,
}

impl Localizer {
    /// The `(id, text)` pairs of article `slug`'s catalog in `locale`, to align segment ids:
    /// from the open catalog, or straight from the file (no Fluent bundle is built for it).
    pub(crate) fn catalog_entries(&self, locale: &str, slug: &str) -> Vec<(String, String)> {
        let Some(data) = self.locale(locale) else {
            return Vec::new();
        };
        if let Some(Some(open)) = read_lock(&data.articles.loaded).get(slug) {
            return open.entries.clone();
        }
        nashr_content::fs::read_text(&data.articles.dir.join(format!("{slug}.ftl")))
            .map(|text| crate::catalog::entries(&text))
            .unwrap_or_default()
    }

    /// Loads and parses every `.ftl` file of every configured locale. Syntax errors and
    /// duplicate ids are reported together, each with its file, line and column.
    pub fn load(project: &Project) -> Result<Localizer, Error> {
        let slugs: Vec<String> = project.articles.iter().map(|a| a.slug.clone()).collect();
        Localizer::load_pinned(project, &slugs)
    }

    /// The UI files of every locale, with each article's catalogs read only when the article
    /// is rendered ([`Localizer::open_article`]) and dropped after: what a build of a large
    /// site uses, so memory does not grow with the number of articles. A catalog's syntax
    /// errors are reported when its article is opened.
    pub fn load_lazy(project: &Project) -> Result<Localizer, Error> {
        Localizer::load_catalogs(project, KeepCatalogs::WhileOpen)
    }

    /// Loads the UI files and keeps the catalogs of `slugs` for the Localizer's lifetime;
    /// every error is reported at once.
    fn load_pinned(project: &Project, slugs: &[String]) -> Result<Localizer, Error> {
        use rayon::prelude::*;
        let l10n = Localizer::load_catalogs(project, KeepCatalogs::Always)?;
        let results: Vec<Result<(), Vec<SourceError>>> =
            slugs.par_iter().map(|slug| l10n.open_article(slug).map(drop)).collect();
        let errors: Vec<SourceError> = results.into_iter().filter_map(Result::err).flatten().collect();
        if !errors.is_empty() {
            return Err(Error::Input(errors));
        }
        Ok(l10n)
    }

    /// Reads the catalogs of article `slug` in every locale and keeps them until the returned
    /// guard is dropped; reports their syntax errors and duplicate ids.
    pub fn open_article(&self, slug: &str) -> Result<OpenArticle<'_>, Vec<SourceError>> {
        self.open(slug, None)
    }

    /// Like [`Localizer::open_article`] for the catalogs of `article`'s translations only:
    /// rendering never formats the source catalog (its text is the article itself; it is
    /// read, if at all, to align segment ids).
    pub fn open_translations(&self, article: &nashr_content::Article) -> Result<OpenArticle<'_>, Vec<SourceError>> {
        self.open(&article.slug, Some(self.article_locale(article)))
    }

    fn open(&self, slug: &str, skip: Option<&str>) -> Result<OpenArticle<'_>, Vec<SourceError>> {
        let mut errors = Vec::new();
        for data in self.locales.iter().filter(|d| Some(d.code.as_str()) != skip) {
            let cats = &data.articles;
            *lock(&cats.open).entry(slug.to_string()).or_insert(0) += 1;
            if read_lock(&cats.loaded).contains_key(slug) {
                continue;
            }
            let loaded = match self.read_catalog(data, slug) {
                Ok(Some((catalog, mut errs))) => {
                    errors.append(&mut errs);
                    Some(Arc::new(catalog))
                }
                Ok(None) => None,
                Err(e) => {
                    errors.push(e);
                    None
                }
            };
            write_lock(&cats.loaded).entry(slug.to_string()).or_insert(loaded);
        }
        let open = OpenArticle {
            l10n: self,
            slug: slug.to_string(),
            skipped: skip.map(str::to_string),
        };
        if errors.is_empty() { Ok(open) } else { Err(errors) }
    }

    /// The catalog of article `slug` in `data`'s locale: the open one, or read now.
    pub(crate) fn article_catalog(&self, data: &LocaleData, slug: &str) -> Option<Arc<ArticleCatalog>> {
        if let Some(loaded) = read_lock(&data.articles.loaded).get(slug) {
            return loaded.clone();
        }
        // Not opened (a caller formatting one segment): read it for this call only.
        match self.read_catalog(data, slug) {
            Ok(Some((catalog, _))) => Some(Arc::new(catalog)),
            _ => None,
        }
    }

    /// Reads and parses `locales/<lang>/articles/<slug>.ftl`; `None` when there is none.
    fn read_catalog(
        &self,
        data: &LocaleData,
        slug: &str,
    ) -> Result<Option<(ArticleCatalog, Vec<SourceError>)>, SourceError> {
        let cats = &data.articles;
        let name = format!("{slug}.ftl");
        let path = cats.dir.join(&name);
        let shown = cats.shown_dir.join(&name);
        let text = match nashr_content::fs::read_text(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(SourceError::whole_file(shown, format!("cannot read the file: {e}"))),
        };
        let (file, mut errors) = parse_ftl(shown, text);
        let mut bundle = new_bundle(&data.langid, &self.warnings);
        add_checked(&mut bundle, &file, &mut errors);
        // UI resources after the article's own: terms such as `-clinic-name` become usable in
        // segments, and an article id never loses to a UI id.
        for ui_file in &data.ui_files {
            let _ = bundle.add_resource(ui_file.resource.clone());
        }
        let entries = if cats.is_source {
            crate::catalog::entries(&file.source)
        } else {
            Vec::new()
        };
        Ok(Some((ArticleCatalog { file, entries, bundle }, errors)))
    }

    fn load_catalogs(project: &Project, keep: KeepCatalogs) -> Result<Localizer, Error> {
        let config = &project.config;
        let mut errors = Vec::new();
        let mut locales = Vec::new();
        let warnings = Warnings::default();
        for code in &config.site.locales {
            locales.push(load_locale(project, code, &warnings, &mut errors, keep)?);
        }
        if !errors.is_empty() {
            return Err(Error::Input(errors));
        }
        let index: HashMap<&str, usize> = locales.iter().enumerate().map(|(i, l)| (l.code.as_str(), i)).collect();
        let chains = config
            .site
            .locales
            .iter()
            .map(|code| {
                (
                    code.clone(),
                    config
                        .fallback_chain(code)
                        .iter()
                        .filter_map(|c| index.get(c.as_str()).copied())
                        .collect(),
                )
            })
            .collect();
        let stale_fallback = config
            .locale
            .iter()
            .filter(|(_, c)| c.stale == nashr_content::StaleMode::Fallback)
            .map(|(code, _)| code.clone())
            .collect();
        Ok(Localizer {
            source_locale: config.site.source_locale.clone(),
            locales,
            chains,
            stale: Default::default(),
            stale_fallback,
            warnings,
            fallbacks: Mutex::default(),
        })
    }

    /// Records which translations of `locale` are stale, as `(file, id)` with `file` relative
    /// to the locale's directory (`site.ftl`, `articles/<slug>.ftl`), the form
    /// `nashr-check`'s status reports them in.
    pub fn set_stale<'a>(&mut self, locale: &str, items: impl IntoIterator<Item = (&'a str, &'a str)>) {
        let set = items
            .into_iter()
            .map(|(file, id)| {
                let slug = file
                    .strip_prefix("articles/")
                    .and_then(|f| f.strip_suffix(".ftl"))
                    .map(str::to_string);
                (slug, id.to_string())
            })
            .collect();
        write_lock(&self.stale).insert(locale.to_string(), set);
    }

    /// Adds the stale segments `ids` of article `slug` in `locale`: a build finds them in
    /// the task that renders the article, before its pages.
    pub fn mark_stale_segments(&self, locale: &str, slug: &str, ids: impl IntoIterator<Item = String>) {
        let mut ids = ids.into_iter().peekable();
        if ids.peek().is_none() {
            return;
        }
        let mut stale = write_lock(&self.stale);
        let set = stale.entry(locale.to_string()).or_default();
        set.extend(ids.map(|id| (Some(slug.to_string()), id)));
    }

    /// Whether segment `id` of article `slug` is stale in `locale`.
    pub fn is_stale_segment(&self, locale: &str, slug: &str, id: &str) -> bool {
        read_lock(&self.stale)
            .get(locale)
            .is_some_and(|s| s.contains(&(Some(slug.to_string()), id.to_string())))
    }

    /// Whether UI message `id` is stale in `locale`.
    pub fn is_stale_message(&self, locale: &str, id: &str) -> bool {
        read_lock(&self.stale)
            .get(locale)
            .is_some_and(|s| s.contains(&(None, id.to_string())))
    }

    pub fn source_locale(&self) -> &str {
        &self.source_locale
    }

    pub fn locale(&self, code: &str) -> Option<&LocaleData> {
        self.locales.iter().find(|l| l.code == code)
    }

    pub fn locales(&self) -> impl Iterator<Item = &LocaleData> {
        self.locales.iter()
    }

    /// The locales tried for `code`, in order.
    pub fn chain(&self, code: &str) -> impl Iterator<Item = &LocaleData> {
        self.chains.get(code).into_iter().flatten().map(|&i| &self.locales[i])
    }

    /// Formats UI message `id` (or `id.attribute`) for `locale`, falling back along the chain.
    /// A translation with errors (an unknown variable, say) is skipped with a warning so the
    /// reader sees the next locale's text rather than `{$name}`.
    pub fn message(&self, locale: &str, id: &str, args: Option<&FluentArgs>) -> Result<Formatted, MessageError> {
        let (msg_id, attr) = match id.split_once('.') {
            Some((m, a)) => (m, Some(a)),
            None => (id, None),
        };
        if !self.chains.contains_key(locale) {
            return Err(MessageError::UnknownLocale(locale.to_string()));
        }
        let mut broken = None;
        for data in self.chain(locale) {
            let Some(message) = data.ui.get_message(msg_id) else {
                continue;
            };
            if self.stale_fallback.contains(&data.code) && self.is_stale_message(&data.code, msg_id) {
                continue;
            }
            let pattern = match attr {
                Some(a) => message.get_attribute(a).map(|a| a.value()),
                None => message.value(),
            };
            let Some(pattern) = pattern else { continue };
            let mut errs = Vec::new();
            let text = {
                let _format = format::enter(&data.format);
                data.ui.format_pattern(pattern, args, &mut errs).into_owned()
            };
            if errs.is_empty() {
                if data.code != locale {
                    self.note_fallback(locale, id);
                }
                self.mark_message(locale, id, &data.code, &text);
                return Ok(Formatted {
                    text,
                    locale: data.code.clone(),
                });
            }
            let location = data
                .ui_files
                .iter()
                .find_map(|f| f.line_of(msg_id).map(|l| format!("{}:{l}", f.path.display())))
                .unwrap_or_else(|| data.code.clone());
            let err = MessageError::Broken {
                id: id.to_string(),
                location,
                errors: describe(&errs),
            };
            if data.code == self.source_locale {
                return Err(err);
            }
            self.warn(format!("{err}; showing the next language in the fallback chain"));
            broken.get_or_insert(err);
        }
        Err(broken.unwrap_or_else(|| MessageError::Missing {
            id: id.to_string(),
            tried: self
                .chain(locale)
                .map(|l| l.code.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }))
    }

    /// Formats segment `id` of article `slug` in exactly `locale` (no fallback); `None` when
    /// the catalog lacks it or it has errors (then with a warning).
    pub fn segment(&self, locale: &str, slug: &str, id: &str) -> Option<String> {
        let data = self.locale(locale)?;
        self.segment_in(data, self.article_catalog(data, slug).as_deref(), slug, id)
    }

    /// [`Localizer::segment`] from `catalog`, the article's catalog in `data`'s locale, which
    /// the caller looked up once for all of the article's segments (the lookup takes a lock
    /// both rendering threads share).
    pub(crate) fn segment_in(
        &self,
        data: &LocaleData,
        catalog: Option<&ArticleCatalog>,
        slug: &str,
        id: &str,
    ) -> Option<String> {
        if self.stale_fallback.contains(&data.code) && self.is_stale_segment(&data.code, slug, id) {
            return None;
        }
        let catalog = catalog?;
        let pattern = catalog.bundle.get_message(id)?.value()?;
        let mut errs = Vec::new();
        let text = {
            let _format = format::enter(&data.format);
            catalog.bundle.format_pattern(pattern, None, &mut errs).into_owned()
        };
        if errs.is_empty() {
            return Some(text);
        }
        let line = catalog.file.line_of(id).unwrap_or(1);
        self.warn(format!(
            "{}:{line}: segment `{id}` cannot be formatted ({}); showing the source text",
            catalog.file.path.display(),
            describe(&errs)
        ));
        None
    }

    /// The catalog of article `slug` in `locale`: the one open ([`Localizer::open_article`]),
    /// or read now; `None` when there is none.
    pub fn catalog(&self, locale: &str, slug: &str) -> Option<Arc<ArticleCatalog>> {
        self.article_catalog(self.locale(locale)?, slug)
    }

    pub(crate) fn warn(&self, w: String) {
        self.warnings.push(w);
    }

    pub(crate) fn note_fallback(&self, locale: &str, what: &str) {
        if let Ok(mut set) = self.fallbacks.lock() {
            set.insert((locale.to_string(), what.to_string()));
        }
    }

    /// Warnings raised so far (each once).
    pub fn warnings(&self) -> Vec<String> {
        self.warnings
            .0
            .lock()
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// How many UI messages and segments each locale showed from a fallback locale.
    pub fn fallback_counts(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        if let Ok(set) = self.fallbacks.lock() {
            for (locale, _) in set.iter() {
                *out.entry(locale.clone()).or_insert(0) += 1;
            }
        }
        out
    }
}

/// Warnings, each kept once.
#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<BTreeSet<String>>>);

impl Warnings {
    fn push(&self, w: String) {
        if let Ok(mut set) = self.0.lock()
            && set.insert(w.clone())
        {
            tracing::debug!("{w}");
        }
    }
}

fn describe(errs: &[FluentError]) -> String {
    errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; ")
}

fn load_locale(
    project: &Project,
    code: &str,
    warnings: &Warnings,
    errors: &mut Vec<SourceError>,
    keep: KeepCatalogs,
) -> Result<LocaleData, Error> {
    let langid: LanguageIdentifier = code
        .parse()
        .map_err(|_| Error::InvalidLocale { code: code.to_string() })?;
    let config = &project.config;
    let format = LocaleFormat::new(code, config.calendar(code), config.digits(code)).map_err(|e| {
        Error::Environment(format!(
            "{}: dates and numbers for [locale.{code}]: {e}",
            nashr_content::config::CONFIG_FILE
        ))
    })?;
    let format = Arc::new(format);
    let dir = project.locales_dir().join(code);
    let ui_files = read_ftl_dir(project, &dir, errors)?;
    let mut ui = new_bundle(&langid, warnings);
    for file in &ui_files {
        add_checked(&mut ui, file, errors);
    }
    let is_source =
        code == config.site.source_locale || project.articles.iter().any(|a| a.front().lang.as_deref() == Some(code));
    let articles_dir = dir.join("articles");
    let articles = ArticleCatalogs {
        shown_dir: project.shown(&articles_dir),
        dir: articles_dir,
        is_source,
        loaded: Default::default(),
        open: Default::default(),
        keep,
    };
    let rtl = langid.character_direction() == CharacterDirection::RTL;
    Ok(LocaleData {
        code: code.to_string(),
        langid,
        rtl,
        ui_files,
        ui,
        articles,
        format,
    })
}

fn read_ftl_dir(project: &Project, dir: &Path, errors: &mut Vec<SourceError>) -> Result<Vec<FtlFile>, Error> {
    use rayon::prelude::*;
    let paths: Vec<PathBuf> = {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(Vec::new());
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "ftl") && p.is_file())
            .collect();
        paths.sort();
        paths
    };
    // Read and parsed in parallel; errors kept in file order.
    let parsed: Vec<Result<(FtlFile, Vec<SourceError>), Error>> =
        paths.par_iter().map(|path| read_ftl(project, path)).collect();
    let mut files = Vec::with_capacity(parsed.len());
    for p in parsed {
        let (file, mut errs) = p?;
        errors.append(&mut errs);
        files.push(file);
    }
    Ok(files)
}

fn read_ftl(project: &Project, path: &Path) -> Result<(FtlFile, Vec<SourceError>), Error> {
    let text = nashr_content::fs::read_text(path).map_err(|e| Error::io(path, e))?;
    Ok(parse_ftl(project.shown(path), text))
}

/// The syntax errors of a Fluent file (empty when it parses), each pointing at the unparsable
/// entry, as [`Localizer::load`] reports them.
pub fn syntax_errors(shown: PathBuf, text: String) -> Vec<SourceError> {
    parse_ftl(shown, text).1
}

/// Parses a Fluent file; its syntax errors point at the unparsable entries.
fn parse_ftl(shown: PathBuf, text: String) -> (FtlFile, Vec<SourceError>) {
    let mut errors = Vec::new();
    let source: Arc<str> = Arc::from(text.as_str());
    let resource = match FluentResource::try_new(text) {
        Ok(r) => r,
        Err((r, errs)) => {
            for e in errs {
                // Point at the whole unparsable entry (the "junk"): it starts where the
                // translator's broken message starts, while the parser's own position is
                // often on the next line, or past the end of the file.
                let start = match &e.slice {
                    Some(s) if s.start < source.len() => s.start,
                    _ => entry_start(&source, e.pos.start),
                };
                let end = e.slice.as_ref().map_or(e.pos.end, |s| s.end).clamp(start, source.len());
                let span = start..source[..end].trim_end().len().max(start);
                let (line, col) = nashr_content::diag::line_col(&source, e.pos.start);
                errors.push(
                    SourceError::new(&shown, source.clone(), span, format!("Fluent syntax error: {}", e.kind))
                        .with_label(format!("cannot be parsed (the parser stopped at {line}:{col})"))
                        .with_help("this message is ignored until it is fixed; see https://projectfluent.org/fluent/guide/ for the syntax"),
                );
            }
            r
        }
    };
    (
        FtlFile {
            path: shown,
            source,
            resource: Arc::new(resource),
        },
        errors,
    )
}

/// Start of the entry containing byte `pos`: the nearest line above it that is not indented
/// (continuation lines of a message are).
fn entry_start(source: &str, pos: usize) -> usize {
    // The line the parser stopped on, or the last line when it stopped at the very end.
    let p = pos.min(source.len());
    let p = if p == source.len() { source.trim_end().len() } else { p };
    let mut line_start = source[..p].rfind('\n').map_or(0, |i| i + 1);
    while line_start > 0 && source[line_start..].starts_with([' ', '\t']) {
        line_start = source[..line_start - 1].rfind('\n').map_or(0, |i| i + 1);
    }
    line_start
}

fn add_checked(bundle: &mut Bundle, file: &FtlFile, errors: &mut Vec<SourceError>) {
    if let Err(errs) = bundle.add_resource(file.resource.clone()) {
        for e in errs {
            if let FluentError::Overriding { kind, id } = e {
                let shown_id = if kind.to_string() == "term" {
                    format!("-{id}")
                } else {
                    id.clone()
                };
                // Point at the last definition: the one that was ignored.
                let line = file.definition_lines(&shown_id).last().unwrap_or(1);
                let start = nashr_content::diag::offset_of(&file.source, line, 1);
                errors.push(
                    SourceError::new(
                        &file.path,
                        file.source.clone(),
                        start..start + shown_id.len(),
                        format!("`{shown_id}` is defined more than once"),
                    )
                    .with_label("defined again here")
                    .with_help("each id may be defined once per locale; remove or rename one of them"),
                );
            }
        }
    }
}

fn new_bundle(langid: &LanguageIdentifier, warnings: &Warnings) -> Bundle {
    let mut bundle = Bundle::new_concurrent(vec![langid.clone()]);
    // Numbers in placeables get the locale's digits (fluent-bundle alone prints ASCII digits,
    // fluent-rs#269); NUMBER and DATETIME are backed by ICU4X. See `format`.
    bundle.set_formatter(Some(format::fluent_formatter));
    let _ = bundle.add_function("NUMBER", format::number_function);
    let warnings = warnings.clone();
    let _ = bundle.add_function("DATETIME", move |positional, named| {
        format::datetime_function(positional, named, &|w| warnings.push(w))
    });
    bundle
}

/// An article's catalogs, kept while this lives ([`Localizer::open_article`]).
pub struct OpenArticle<'a> {
    l10n: &'a Localizer,
    slug: String,
    /// The locale not opened ([`Localizer::open_translations`]).
    skipped: Option<String>,
}

impl Drop for OpenArticle<'_> {
    fn drop(&mut self) {
        for data in self
            .l10n
            .locales
            .iter()
            .filter(|d| Some(&d.code) != self.skipped.as_ref())
        {
            let cats = &data.articles;
            let mut open = lock(&cats.open);
            let count = open.entry(self.slug.clone()).or_insert(1);
            *count = count.saturating_sub(1);
            if *count == 0 && cats.keep == KeepCatalogs::WhileOpen {
                open.remove(&self.slug);
                write_lock(&cats.loaded).remove(&self.slug);
            }
        }
    }
}

// A panic while a lock is held must not hide every catalog afterwards: use the data as is.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn read_lock<T>(l: &std::sync::RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write_lock<T>(l: &std::sync::RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}
