//! nashr's build, in one place: load the project, check its translations (the source
//! catalogs, and which translations went stale), render the site and write it, all of it or
//! only what changed since the last build.
//!
//! - [`Site::load`] then [`Site::build`]: `nashr build` and `nashr run`, to disk.
//! - [`Preview::load`] then [`Preview::render`]: `nashr serve`, in memory, through the same
//!   checks and stale detection, reusing what an edit did not touch.
//! - [`record_stale`]: the same checks alone, for `nashr l10n sync`.
//!
//! ```no_run
//! # fn main() -> Result<(), nashr_site::Error> {
//! use nashr_site::{BuildSettings, Site};
//!
//! let site = Site::load("my-site".as_ref(), BuildSettings::new().full(true))?;
//! let report = site.build(&|_phase, _done, _total| {})?;
//! println!("{} files written", report.written.len());
//! for (locale, stale) in &report.stale {
//!     for message in stale {
//!         println!("{locale}: {} in {} is stale", message.id, message.file);
//!     }
//! }
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use nashr_check::in_build::{BuildCheck, CheckOptions, UiStale};
use nashr_content::{Config, Project};
use nashr_l10n::Localizer;
use nashr_render::incremental::{self, Plan};

pub use nashr_check::in_build::{StaleMessage, StaleSet};
pub use nashr_content::Error;
pub use nashr_render::{Progress, Rendered};

/// How [`Site::load`] builds.
#[derive(Debug, Clone, Default)]
pub struct BuildSettings {
    out_dir: Option<PathBuf>,
    full: bool,
    sync_first: bool,
}

impl BuildSettings {
    /// An incremental build into the project's `output_dir`.
    pub fn new() -> BuildSettings {
        BuildSettings::default()
    }

    /// Writes into `dir` (relative: to the current directory) instead of the `output_dir`
    /// of `nashr.toml`.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> BuildSettings {
        self.out_dir = Some(dir.into());
        self
    }

    /// Renders everything, not only what changed since the last build.
    pub fn full(mut self, on: bool) -> BuildSettings {
        self.full = on;
        self
    }

    /// Updates the source catalogs first, as `nashr l10n sync` does ([`Site::sync_catalogs`]);
    /// the build is then a full one.
    pub fn sync_first(mut self, on: bool) -> BuildSettings {
        self.sync_first = on;
        self
    }
}

/// A catalog [`Site::sync_catalogs`] changed, relative to the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncedFile<'a> {
    Updated(&'a Path),
    /// The catalog of an article that no longer exists.
    Removed(&'a Path),
}

/// A project loaded for a build to disk.
pub struct Site {
    options: nashr_render::BuildOptions,
    work: Work,
    /// `None` when nothing changed since the last build.
    project: Option<Project>,
    /// The check of the UI files, made while the articles loaded (unless a sync comes first).
    early_check: Option<Result<(BuildCheck, UiStale), Error>>,
    check_options: CheckOptions,
    /// Catalogs to sync before the check, not synced yet.
    sync_pending: bool,
    locales: usize,
    started: Instant,
}

/// What [`Site::build`] has to do.
enum Work {
    Nothing {
        articles: usize,
    },
    Full,
    Changed {
        state: Box<incremental::State>,
        removed: BTreeSet<String>,
    },
}

/// What a build did: everything `nashr build` reports.
#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    /// Where the site was written.
    pub out_dir: PathBuf,
    /// Nothing changed since the last build: nothing was rendered, checked or written.
    pub nothing_changed: bool,
    /// Only what changed since the last build was rendered again.
    pub incremental: bool,
    /// Articles on the site.
    pub articles: usize,
    pub locales: usize,
    /// Files (relative to the output directory) whose bytes changed and were written.
    pub written: Vec<String>,
    /// Files that already had the right bytes.
    pub unchanged: usize,
    /// Files of an earlier build no longer produced, removed.
    pub removed: Vec<String>,
    /// Pages rendered.
    pub rendered: usize,
    /// Things the editor should know that did not stop the build.
    pub warnings: Vec<String>,
    /// Some source catalog is not what `nashr l10n sync` would write.
    pub catalogs_out_of_date: bool,
    /// The number of stale translations of each translated locale, in the project's order.
    /// An incremental build counts those of the articles it rendered again.
    pub stale_counts: Vec<(String, usize)>,
    /// The stale translations of each translated locale; an incremental build's are those
    /// of the articles it rendered again.
    pub stale: StaleSet,
    /// Texts of each locale shown from the fallback locale, not translated yet.
    pub fallbacks: BTreeMap<String, usize>,
}

impl Site {
    /// Reads `nashr.toml` and the incremental state, and loads the articles the build will
    /// render (none when nothing changed), checking the UI translations meanwhile.
    pub fn load(root: &Path, settings: BuildSettings) -> Result<Site, Error> {
        let started = Instant::now();
        let inputs_read_after = SystemTime::now();
        let config = Config::load(root)?;
        let out_dir = match &settings.out_dir {
            Some(dir) if dir.is_absolute() => dir.clone(),
            Some(dir) => std::env::current_dir()
                .map(|c| c.join(dir))
                .unwrap_or_else(|_| dir.clone()),
            None => root.join(&config.build.output_dir),
        };
        let options = nashr_render::BuildOptions {
            out_dir,
            render: nashr_render::RenderOptions::at(jiff::Timestamp::now()),
            state: Some(root.join(incremental::STATE_FILE)),
            started: inputs_read_after,
            check: None,
        };
        let plan = if settings.sync_first || settings.full {
            Plan::Full("asked for".into())
        } else {
            incremental::plan(root, &config, &options)?
        };
        match &plan {
            Plan::Full(why) => tracing::debug!("build: full: {why}"),
            Plan::Changed { articles, .. } => {
                tracing::debug!("build: {} article(s) to render again", articles.len())
            }
            Plan::Nothing { .. } => {}
        }
        phase(started, "plan");
        let partial = matches!(plan, Plan::Changed { .. });
        // Every article is rendered in a full build: the checks of its images and links run
        // on the parse it is rendered from.
        let check_options = CheckOptions::new()
            .partial(partial)
            .catalogs(!settings.sync_first)
            .references(!partial);
        let mut site = Site {
            options,
            work: Work::Full,
            project: None,
            early_check: None,
            check_options,
            sync_pending: settings.sync_first,
            locales: config.site.locales.len(),
            started,
        };
        let slugs = match plan {
            Plan::Nothing { articles } => {
                site.work = Work::Nothing { articles };
                return Ok(site);
            }
            Plan::Full(_) => None,
            Plan::Changed {
                articles,
                state,
                removed,
                slugs,
            } => {
                site.work = Work::Changed { state, removed };
                Some((articles, slugs))
            }
        };
        // The check of the UI files (and the load of the 26 MB lock of a large site) reads no
        // article: it runs while the articles load, unless a sync comes first (it may write
        // newsletter catalogs, which are UI files). The catalog check and stale detection of
        // the articles run on each article in the task that renders it (`BuildChecker`).
        let without_articles = Project {
            root: root.to_path_buf(),
            config: config.clone(),
            articles: Vec::new(),
        };
        let (project, early_check) = std::thread::scope(|scope| {
            let early =
                (!settings.sync_first).then(|| scope.spawn(|| BuildCheck::start(&without_articles, check_options)));
            let project = match &slugs {
                Some((articles, slugs)) => Project::load_only_among(root, config, articles, slugs.clone()),
                // Every article is rendered: the checks of its images and links run on the
                // parse it is rendered from (`CheckOptions::references`).
                None => Project::load_deferring_references(root),
            };
            let early = early.map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
            (project, early)
        });
        site.project = Some(project?);
        site.early_check = early_check;
        phase(started, "load articles");
        Ok(site)
    }

    /// With [`BuildSettings::sync_first`]: writes the source catalogs of the articles and of
    /// the newsletter issues, telling `on_change` about each file it writes or removes.
    /// [`Site::build`] calls it (silently) when the caller did not. Otherwise does nothing.
    pub fn sync_catalogs(&mut self, on_change: &mut dyn FnMut(SyncedFile<'_>)) -> Result<(), Error> {
        let Some(project) = self.project.as_ref().filter(|_| self.sync_pending) else {
            return Ok(());
        };
        let report = nashr_l10n::sync::sync(project, nashr_l10n::sync::Mode::Write)?;
        for p in &report.changed {
            on_change(SyncedFile::Updated(p));
        }
        for p in nashr_newsletter::issue::sync_catalogs(project, nashr_l10n::sync::Mode::Write)? {
            on_change(SyncedFile::Updated(&p));
        }
        for p in &report.removed {
            on_change(SyncedFile::Removed(p));
        }
        self.sync_pending = false;
        Ok(())
    }

    /// Checks the translations, renders what the plan says and writes it. `progress` hears
    /// about the rendering, from the rendering threads.
    pub fn build(mut self, progress: &Progress<'_>) -> Result<BuildReport, Error> {
        self.sync_catalogs(&mut |_| {})?;
        let started = self.started;
        let Some(project) = self.project.take() else {
            let articles = match self.work {
                Work::Nothing { articles } => articles,
                _ => 0,
            };
            return Ok(BuildReport {
                out_dir: self.options.out_dir,
                nothing_changed: true,
                articles,
                locales: self.locales,
                ..BuildReport::default()
            });
        };
        let (check, ui_stale) = match self.early_check.take() {
            Some(checked) => checked?,
            None => BuildCheck::start(&project, self.check_options)?,
        };
        let check = Arc::new(check);
        phase(started, "UI translations checked");
        let mut l10n = Localizer::load_lazy(&project)?;
        phase(started, "translations");
        set_stale(&mut l10n, &ui_stale);
        let options = nashr_render::BuildOptions {
            check: Some(Arc::new(BuildChecker(check.clone()))),
            ..self.options
        };
        let l10n = Arc::new(l10n);
        let incremental = matches!(self.work, Work::Changed { .. });
        let report = match self.work {
            Work::Changed { state, removed } => {
                incremental::build_changed(&project, &l10n, &options, *state, &removed, progress)
            }
            _ => nashr_render::build(&project, &l10n, &options, progress),
        };
        phase(started, "render and write");
        // The locks are saved even when rendering failed, as they were before it started.
        let checked = check.finish(&project);
        phase(started, "translation checks finished");
        let report = report?;
        let checked = checked?;
        let built = BuildReport {
            out_dir: options.out_dir.clone(),
            nothing_changed: false,
            incremental,
            articles: report.articles,
            locales: report.locales,
            written: report.written,
            unchanged: report.unchanged,
            removed: report.removed,
            rendered: report.rendered,
            warnings: report.warnings.into_iter().chain(l10n.warnings()).collect(),
            catalogs_out_of_date: checked.out_of_date,
            stale_counts: checked.stale,
            stale: checked.stale_messages,
            fallbacks: l10n.fallback_counts(),
        };
        // The articles, catalogs and locks of a large site (hundreds of megabytes) are
        // freed on a thread of their own: the caller reports meanwhile, and the process exits
        // without waiting for it.
        std::thread::spawn(move || drop((project, l10n, check, options)));
        Ok(built)
    }
}

/// What [`Preview::load`] loads again; the rest comes from the previous preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reload {
    /// `nashr.toml` and the articles (and so the translations: stale detection reads the
    /// articles' source text).
    pub project: bool,
    /// The translations.
    pub translations: bool,
}

impl Reload {
    /// Everything: the first preview, or after an edit that may affect anything.
    pub fn all() -> Reload {
        Reload {
            project: true,
            translations: true,
        }
    }

    /// Nothing: only templates or static files changed.
    pub fn rendering_only() -> Reload {
        Reload {
            project: false,
            translations: false,
        }
    }
}

/// A project loaded for the preview: rendered in memory, nothing written but the locks (as a
/// build writes them).
#[derive(Clone)]
pub struct Preview {
    project: Arc<Project>,
    l10n: Arc<Localizer>,
    stale: Arc<StaleSet>,
}

impl Preview {
    /// Loads what `reload` says (reusing the rest of `previous`), checks the translations as
    /// [`Site::build`] does, and renders the site in memory. The rendering's warnings include
    /// the translations'.
    pub fn load(root: &Path, previous: Option<&Preview>, reload: Reload) -> Result<(Preview, Rendered), Error> {
        let project = match previous.filter(|_| !reload.project) {
            Some(p) => p.project.clone(),
            None => Arc::new(Project::load(root)?),
        };
        if let Some(previous) = previous.filter(|_| !reload.project && !reload.translations) {
            // The translations and what was stale in them are what they were.
            let preview = Preview {
                project,
                l10n: previous.l10n.clone(),
                stale: previous.stale.clone(),
            };
            let rendered = preview.render(false)?;
            return Ok((preview, rendered));
        }
        let (check, ui_stale) = BuildCheck::start(&project, CheckOptions::new())?;
        let check = Arc::new(check);
        let mut l10n = Localizer::load(&project)?;
        set_stale(&mut l10n, &ui_stale);
        let l10n = Arc::new(l10n);
        let options = nashr_render::RenderOptions::at(jiff::Timestamp::now());
        let checker: Arc<dyn nashr_render::ArticleCheck> = Arc::new(BuildChecker(check.clone()));
        let rendered = nashr_render::render_checked(&project, &l10n, &options, Some(checker), &|_, _, _| {});
        let checked = check.finish(&project);
        let mut rendered = rendered?;
        let checked = checked?;
        rendered.warnings.extend(l10n.warnings());
        let preview = Preview {
            project,
            l10n,
            stale: Arc::new(checked.stale_messages),
        };
        Ok((preview, rendered))
    }

    /// Renders the site in memory again, with translation marks or without (the stale
    /// translations found by [`Preview::load`] are marked).
    pub fn render(&self, marks: bool) -> Result<Rendered, Error> {
        let options = nashr_render::RenderOptions {
            now: jiff::Timestamp::now(),
            marks,
        };
        let mut rendered = nashr_render::render(&self.project, &self.l10n, &options, &|_, _, _| {})?;
        rendered.warnings.extend(self.l10n.warnings());
        Ok(rendered)
    }

    pub fn project(&self) -> &Arc<Project> {
        &self.project
    }

    pub fn l10n(&self) -> &Arc<Localizer> {
        &self.l10n
    }

    /// The stale translations of each translated locale, as [`BuildReport::stale`].
    pub fn stale(&self) -> &StaleSet {
        &self.stale
    }
}

/// Checks every translation of `project` as [`Site::build`] does, rendering nothing: records
/// in each locale's lock which translations the source edits made stale. `nashr l10n sync`
/// runs it after writing the catalogs, while the old fingerprints are still in the locks.
pub fn record_stale(project: &Project) -> Result<StaleSet, Error> {
    // The catalogs were just written: nothing to check in them.
    let (check, _) = BuildCheck::start(project, CheckOptions::new().catalogs(false))?;
    Ok(check.finish(project)?.stale_messages)
}

/// The UI files' stale messages, known before anything is rendered.
fn set_stale(l10n: &mut Localizer, ui_stale: &UiStale) {
    for (locale, stale) in ui_stale {
        l10n.set_stale(locale, stale.iter().map(|(file, id)| (file.as_str(), id.as_str())));
    }
}

/// `nashr-check`'s build checks, run by the renderer on each article.
struct BuildChecker(Arc<BuildCheck>);

impl nashr_render::ArticleCheck for BuildChecker {
    fn check(
        &self,
        s: &nashr_render::ArticleSources<'_>,
    ) -> Result<Vec<(String, Vec<String>)>, Vec<nashr_content::SourceError>> {
        self.0
            .article(s.project, s.article, s.segments, s.source_catalog, s.translation)
    }

    fn not_rendered(&self, project: &Project, article: &nashr_content::Article) -> Vec<nashr_content::SourceError> {
        self.0.not_rendered(project, article)
    }
}

/// The debug log's line at the end of a phase of the build.
fn phase(started: Instant, name: &str) {
    tracing::debug!(
        "build: {name} done at {:.1} ms ({})",
        started.elapsed().as_secs_f64() * 1000.0,
        memory_use()
    )
}

/// Resident and peak memory, for the debug log's phase lines (Linux; empty elsewhere).
fn memory_use() -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("VmRSS") || l.starts_with("VmHWM"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(", ")
}
