//! The translation checks of `nashr build`: is every source catalog what `nashr l10n sync`
//! would write, and which translations went stale (updating each locale's lock).
//!
//! A build makes them on each article in the task that renders it ([`BuildCheck::article`]),
//! from the catalogs and segments rendering has in hand: every catalog is read, and every
//! article segmented, once. The results are those of [`crate::status::status`] on
//! [`crate::tree::project_trees`], the same functions per file.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use nashr_content::{Article, Error, Project, SourceError};
use nashr_l10n::localizer::FtlFile;
use nashr_l10n::segment::Segment;

use crate::ftl::FtlText;
use crate::lock::Lock;
use crate::status::{Counts, LocaleStatus, finish, prepare, status_of};
use crate::tree::{LOCK_FILE, Pair, has_catalog_in};

/// What a build checks: [`BuildCheck::start`] takes it.
///
/// ```
/// use nashr_check::in_build::CheckOptions;
/// // An incremental build right after `nashr l10n sync`: its catalogs were just written.
/// let options = CheckOptions::new().partial(true).catalogs(false);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckOptions {
    partial: bool,
    catalogs: bool,
    references: bool,
}

impl CheckOptions {
    /// The checks of a full build: the UI files, the source catalogs and every article's
    /// translations; not the images and links.
    pub fn new() -> CheckOptions {
        CheckOptions {
            partial: false,
            catalogs: true,
            references: false,
        }
    }

    /// An incremental build checks only the articles it loaded: no UI files, no orphaned
    /// catalogs, and the lock lines of every other file are kept.
    pub fn partial(mut self, on: bool) -> CheckOptions {
        self.partial = on;
        self
    }

    /// Whether the source catalogs are checked against what `nashr l10n sync` would write
    /// (not when the build just synced them).
    pub fn catalogs(mut self, on: bool) -> CheckOptions {
        self.catalogs = on;
        self
    }

    /// Whether each article's images and `@/` links are checked too
    /// ([`Project::reference_errors`]), for a project loaded with
    /// [`Project::load_deferring_references`].
    pub fn references(mut self, on: bool) -> CheckOptions {
        self.references = on;
        self
    }
}

impl Default for CheckOptions {
    fn default() -> CheckOptions {
        CheckOptions::new()
    }
}

/// The checks of one build, shared by its rendering tasks.
pub struct BuildCheck {
    /// An incremental build checks only the articles it loaded: no UI files, no orphans, and
    /// the lock lines of every other file are kept.
    partial: bool,
    /// Whether to check the source catalogs (not when the build just synced them).
    check_catalogs: bool,
    locales: Vec<LocaleCheck>,
    /// Articles checked so far; [`BuildCheck::finish`] checks the others (drafts, or all of
    /// them when rendering stopped early).
    seen: Mutex<HashSet<String>>,
    out_of_date: AtomicBool,
    /// Whether each article's images and `@/` links are checked here: the project was loaded
    /// with [`Project::load_deferring_references`].
    references: bool,
    /// The slugs `@/` links are checked against, made at the first article checked.
    slugs: std::sync::OnceLock<nashr_content::Slugs>,
}

struct LocaleCheck {
    locale: String,
    dir: PathBuf,
    shown_dir: PathBuf,
    lock: Mutex<Lock>,
    stale: AtomicUsize,
    /// The stale messages found so far.
    stale_messages: Mutex<Vec<StaleMessage>>,
    /// The UI files of the source locale, by path relative to the locale directory.
    ui_files: BTreeSet<String>,
}

/// What a build's checks found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BuildCheckReport {
    /// Some source catalog is not what `nashr l10n sync` would write, or belongs to no article.
    pub out_of_date: bool,
    /// The number of stale translations of each translated locale.
    pub stale: Vec<(String, usize)>,
    /// The stale translations themselves, of every translated locale.
    pub stale_messages: StaleSet,
}

/// A translation whose source changed since it was made: the message `id` of `file`, relative
/// to the locale's directory (`site.ftl`, `articles/<slug>.ftl`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct StaleMessage {
    pub file: String,
    pub id: String,
}

/// The stale translations of each translated locale (every such locale has an entry).
pub type StaleSet = BTreeMap<String, BTreeSet<StaleMessage>>;

/// Stale UI messages of each locale, as `(locale, [(file, id)])`: what
/// `Localizer::set_stale` takes before anything is rendered.
pub type UiStale = Vec<(String, Vec<(String, String)>)>;

impl BuildCheck {
    /// Loads the lock of every translated locale and, unless the check is partial, checks the
    /// UI files. Reads no article (`project.articles` may be empty): `nashr build` runs it
    /// while the articles load.
    pub fn start(project: &Project, options: CheckOptions) -> Result<(BuildCheck, UiStale), Error> {
        let CheckOptions {
            partial,
            catalogs: check_catalogs,
            references,
        } = options;
        let mut locales = Vec::new();
        let mut ui_stale = Vec::new();
        // An incremental build looks at no UI file: no need to list the locale directories.
        let specs = if partial {
            crate::tree::locale_dirs(project)
        } else {
            crate::tree::ui_specs(project)?
        };
        for spec in specs {
            let mut lock = Lock::load(&spec.dir.join(LOCK_FILE))?;
            let mut ui = LocaleStatus {
                locale: spec.locale.clone(),
                lock_file: spec.shown_dir.join(LOCK_FILE),
                files: Vec::new(),
                total: Counts::default(),
            };
            let mut ui_files = BTreeSet::new();
            if !partial {
                // Without catalogs, the only references are the UI files; translation files of
                // articles are paired with nothing here, and checked with their article.
                let pairs = spec
                    .pairs
                    .iter()
                    .filter(|p| !p.rel.starts_with("articles/"))
                    .map(|p| p.read(project))
                    .collect::<Result<Vec<Pair>, Error>>()?;
                ui_files.extend(pairs.iter().filter(|p| p.reference.is_some()).map(|p| p.rel.clone()));
                status_of(&pairs, &mut lock, &mut ui, false);
            }
            let stale: Vec<(String, String)> = ui.stale().map(|(f, id)| (f.to_string(), id.to_string())).collect();
            let stale_messages = stale
                .iter()
                .map(|(file, id)| StaleMessage {
                    file: file.clone(),
                    id: id.clone(),
                })
                .collect();
            locales.push(LocaleCheck {
                locale: spec.locale.clone(),
                dir: spec.dir,
                shown_dir: spec.shown_dir,
                lock: Mutex::new(lock),
                stale: AtomicUsize::new(stale.len()),
                stale_messages: Mutex::new(stale_messages),
                ui_files,
            });
            ui_stale.push((spec.locale, stale));
        }
        let check = BuildCheck {
            partial,
            check_catalogs,
            locales,
            seen: Mutex::default(),
            out_of_date: AtomicBool::new(false),
            references,
            slugs: std::sync::OnceLock::new(),
        };
        Ok((check, ui_stale))
    }

    /// Checks one article: `segments` aligned with `on_disk` (its source catalog as it is on
    /// disk), `translation(locale)` its catalog in a locale. Returns its stale segments as
    /// `(locale, ids)`; a source catalog that differs from what sync would write and does
    /// not parse is an error.
    pub fn article(
        &self,
        project: &Project,
        article: &Article,
        segments: &[Segment],
        on_disk: Option<&FtlFile>,
        translation: &dyn Fn(&str) -> Option<FtlFile>,
    ) -> Result<Vec<(String, Vec<String>)>, Vec<SourceError>> {
        let errors = self.reference_errors(project, article);
        self.article_with(project, article, segments, on_disk, translation, errors)
    }

    /// The checks a build makes on an article it does not render (a draft, or one scheduled
    /// later), before it writes anything: its images and links, when [`BuildCheck::article`]
    /// would check them. Its translations are checked with the others, by [`BuildCheck::finish`].
    pub fn not_rendered(&self, project: &Project, article: &Article) -> Vec<SourceError> {
        self.reference_errors(project, article)
    }

    /// The article's images and links, when they are checked here.
    fn reference_errors(&self, project: &Project, article: &Article) -> Vec<SourceError> {
        if self.references {
            project.reference_errors(article, self.slugs.get_or_init(|| project.slugs()))
        } else {
            Vec::new()
        }
    }

    /// [`BuildCheck::article`] adding to `errors` (found before).
    fn article_with(
        &self,
        project: &Project,
        article: &Article,
        segments: &[Segment],
        on_disk: Option<&FtlFile>,
        translation: &dyn Fn(&str) -> Option<FtlFile>,
        mut errors: Vec<SourceError>,
    ) -> Result<Vec<(String, Vec<String>)>, Vec<SourceError>> {
        relock(&self.seen).insert(article.slug.clone());
        let path = nashr_l10n::sync::catalog_path(project, article);
        let shown = project.shown(&path);
        let catalog = nashr_l10n::sync::source_catalog(article, path, on_disk.map(|f| &*f.source), segments);
        if !catalog.up_to_date {
            self.out_of_date.store(true, Ordering::Relaxed);
            // Only a catalog that differs from what sync writes can be broken.
            if let (true, Some(file)) = (self.check_catalogs, on_disk) {
                let broken = nashr_l10n::localizer::syntax_errors(shown.clone(), file.source.to_string());
                if !broken.is_empty() {
                    errors.extend(broken);
                    return Err(errors);
                }
            }
        }
        let rel = format!("articles/{}.ftl", article.slug);
        let mut stale = Vec::new();
        for locale in self
            .locales
            .iter()
            .filter(|l| has_catalog_in(project, article, &l.locale))
        {
            // The translation as rendering parsed it: not parsed again.
            let l10n = translation(&locale.locale).map(|file| FtlText::parsed(locale.shown_dir.join(&rel), &file));
            let pair = Pair {
                rel: rel.clone(),
                // What sync writes; when that is what is on disk, as the renderer parsed it.
                reference: Some(match on_disk {
                    Some(file) if catalog.up_to_date => FtlText::parsed(shown.clone(), file),
                    _ => FtlText::new(shown.clone(), catalog.text.clone()),
                }),
                l10n,
                l10n_path: locale.shown_dir.join(&rel),
            };
            let prepared = prepare(&pair, false);
            let mut file_lock = relock(&locale.lock).take_file(&rel);
            let status = finish(prepared, &mut file_lock, pair.l10n.as_ref().map(|f| &*f.text));
            relock(&locale.lock).put_file(&rel, file_lock);
            if !status.stale_ids.is_empty() {
                locale.stale.fetch_add(status.stale_ids.len(), Ordering::Relaxed);
                relock(&locale.stale_messages).extend(status.stale_ids.iter().map(|id| StaleMessage {
                    file: rel.clone(),
                    id: id.clone(),
                }));
                stale.push((locale.locale.clone(), status.stale_ids));
            }
        }
        if errors.is_empty() { Ok(stale) } else { Err(errors) }
    }

    /// Checks the articles no rendering task checked, looks for orphaned source catalogs, and
    /// saves the locks. Called once, after rendering (whether it succeeded or not).
    pub fn finish(&self, project: &Project) -> Result<BuildCheckReport, Error> {
        use rayon::prelude::*;
        let unseen: Vec<&Article> = {
            let seen = relock(&self.seen);
            project.articles.iter().filter(|a| !seen.contains(&a.slug)).collect()
        };
        let results: Vec<Result<(), Vec<SourceError>>> =
            unseen.par_iter().map(|a| self.article_from_disk(project, a)).collect();
        let errors: Vec<SourceError> = results.into_iter().filter_map(Result::err).flatten().collect();
        if !errors.is_empty() {
            return Err(Error::Input(errors));
        }
        if !self.partial && self.check_catalogs {
            let expected = project
                .articles
                .iter()
                .map(|a| nashr_l10n::sync::catalog_path(project, a))
                .collect();
            if !nashr_l10n::sync::orphans(project, &expected)?.is_empty() {
                self.out_of_date.store(true, Ordering::Relaxed);
            }
        }
        let mut report = BuildCheckReport {
            out_of_date: self.check_catalogs && self.out_of_date.load(Ordering::Relaxed),
            stale: Vec::new(),
            stale_messages: StaleSet::new(),
        };
        for locale in &self.locales {
            let mut lock = std::mem::take(&mut *relock(&locale.lock));
            if !self.partial {
                // The lock forgets files whose source is gone.
                let mut referenced = locale.ui_files.clone();
                referenced.extend(
                    project
                        .articles
                        .iter()
                        .filter(|a| has_catalog_in(project, a, &locale.locale))
                        .map(|a| format!("articles/{}.ftl", a.slug)),
                );
                lock.retain_files(&referenced);
            }
            lock.save(&locale.dir.join(LOCK_FILE))?;
            report
                .stale
                .push((locale.locale.clone(), locale.stale.load(Ordering::Relaxed)));
            let messages = std::mem::take(&mut *relock(&locale.stale_messages));
            report
                .stale_messages
                .insert(locale.locale.clone(), messages.into_iter().collect());
        }
        Ok(report)
    }

    /// [`BuildCheck::article`] for an article no rendering task had: its files read here.
    fn article_from_disk(&self, project: &Project, article: &Article) -> Result<(), Vec<SourceError>> {
        let read = |path: &std::path::Path| {
            nashr_content::fs::read_text_if_exists(path).map_err(|e| {
                vec![SourceError::whole_file(
                    project.shown(path),
                    format!("cannot read the file: {e}"),
                )]
            })
        };
        let path = nashr_l10n::sync::catalog_path(project, article);
        let on_disk = read(&path)?.map(|text| FtlFile::parse(project.shown(&path), text));
        let previous = on_disk
            .as_ref()
            .map(|f| nashr_l10n::catalog::entries_of(&f.resource))
            .unwrap_or_default();
        let segments = nashr_l10n::segment::segments(&article.doc, &previous);
        let mut translations = Vec::new();
        for locale in self
            .locales
            .iter()
            .filter(|l| has_catalog_in(project, article, &l.locale))
        {
            let path = locale.dir.join("articles").join(format!("{}.ftl", article.slug));
            if let Some(text) = read(&path)? {
                translations.push((locale.locale.as_str(), FtlFile::parse(path, text)));
            }
        }
        let translation = |code: &str| translations.iter().find(|(l, _)| *l == code).map(|(_, t)| t.clone());
        self.article_with(project, article, &segments, on_disk.as_ref(), &translation, Vec::new())
            .map(drop)
    }
}

fn relock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
