//! Stage 3 of nashr: render the project into a static site.
//!
//! Every article in every locale, the per-locale index (paginated), tag pages and Atom feed,
//! the sitemap with hreflang alternates and the language-choice root page are rendered **in
//! parallel** (rayon; one task per article renders it in every locale) and each file is handed
//! to an [`OutputSink`] as soon as it is rendered, so memory does not grow with the site.
//!
//! # The API
//!
//! - [`render_to`]: renders the whole site into any [`OutputSink`]. This is the one rendering
//!   code path; everything below calls it.
//! - [`render`]: the same into memory ([`MemorySink`]), returning every file sorted by path
//!   (a preview server, tests).
//! - [`build`]: a full build into a directory through a [`DiskSink`] (write-if-changed,
//!   atomic, all or nothing), pruning what the previous build wrote and no longer produces,
//!   and recording the incremental state when [`BuildOptions::state`] names a file.
//! - [`incremental`]: a later build that re-renders only what changed since ([`incremental::plan`],
//!   then [`incremental::build_changed`] on a project holding only the affected articles).
//!
//! Everything that changes *what* is rendered is in [`RenderOptions`] (one struct: a new
//! option is one field); [`BuildOptions`] adds where it goes.
//!
//! ```no_run
//! # fn main() -> Result<(), nashr_content::Error> {
//! use std::sync::Arc;
//! let project = nashr_content::Project::load(std::path::Path::new("."))?;
//! let l10n = Arc::new(nashr_l10n::Localizer::load(&project)?);
//! let render = nashr_render::RenderOptions::at(jiff::Timestamp::now());
//! // In memory, e.g. for a preview server:
//! let site = nashr_render::render(&project, &l10n, &render, &|_, _, _| {})?;
//! println!("{} files", site.outputs.len());
//! // Or to disk:
//! let options = nashr_render::BuildOptions {
//!     out_dir: project.output_dir(),
//!     render,
//!     state: None,
//!     started: std::time::SystemTime::now(),
//!     check: None,
//! };
//! let report = nashr_render::build(&project, &l10n, &options, &|_, _, _| {})?;
//! println!("{} files written", report.written.len());
//! # Ok(()) }
//! ```

pub mod incremental;
pub mod markdown;
pub mod marks;
mod site;
pub mod templates;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use nashr_content::{Error, Project};
use nashr_l10n::Localizer;

pub use site::Output;

/// The list of files the last build wrote, kept in the output directory so that the next
/// build removes only files nashr itself created.
pub const MANIFEST: &str = ".nashr-manifest";

/// Where rendered files go. Called from the rendering threads, once per file, as soon as the
/// file is rendered; `path` is relative to the site root, with `/` (`fa/slug/index.html`).
pub trait OutputSink: Sync {
    fn put(&self, path: &str, bytes: Vec<u8>) -> std::io::Result<()>;
}

/// Keeps every file in memory.
#[derive(Default)]
pub struct MemorySink {
    outputs: Mutex<Vec<Output>>,
}

impl MemorySink {
    pub fn new() -> MemorySink {
        MemorySink::default()
    }

    /// The files received, sorted by path.
    pub fn into_outputs(self) -> Vec<Output> {
        let mut outputs = self.outputs.into_inner().unwrap_or_else(|e| e.into_inner());
        outputs.sort_by(|a, b| a.path.cmp(&b.path));
        outputs
    }
}

impl OutputSink for MemorySink {
    fn put(&self, path: &str, bytes: Vec<u8>) -> std::io::Result<()> {
        self.outputs
            .lock()
            .map_err(|_| std::io::Error::other("a rendering thread panicked"))?
            .push(Output {
                path: path.to_string(),
                bytes,
            });
        Ok(())
    }
}

/// Writes into a directory, only files whose bytes differ from what is there. Each changed
/// file is written at once to a temporary file next to its destination; [`DiskSink::commit`]
/// renames them all into place. Dropped without a commit (a failed build), it removes the
/// temporary files: a build that fails changes nothing, and a reader never sees half a file.
///
/// Into an output directory that does not exist yet (a first or clean build),
/// [`DiskSink::for_build`] writes every file straight into a hidden sibling directory and
/// commits by renaming that directory: the same all-or-nothing, without a temporary file and a
/// rename per file (22,000 of each for a site of 10,000 articles in two languages).
pub struct DiskSink {
    out_dir: PathBuf,
    staged: Mutex<Vec<(String, tempfile::TempPath)>>,
    unchanged: AtomicUsize,
    produced: Mutex<Vec<String>>,
    /// The directory written instead of `out_dir` when it did not exist.
    fresh: Option<PathBuf>,
}

impl DiskSink {
    pub fn new(out_dir: &Path) -> DiskSink {
        DiskSink {
            out_dir: out_dir.to_path_buf(),
            staged: Mutex::default(),
            unchanged: AtomicUsize::new(0),
            produced: Mutex::default(),
            fresh: None,
        }
    }

    /// A sink for a build into `out_dir`, which it creates: written in place when the
    /// directory holds files, into a sibling directory renamed at commit when it does not.
    pub fn for_build(out_dir: &Path) -> Result<DiskSink, Error> {
        let empty = match std::fs::read_dir(out_dir) {
            Ok(mut entries) => entries.next().is_none(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Err(e) => return Err(Error::io(out_dir, e)),
        };
        let name = out_dir.file_name().map(|n| n.to_string_lossy().into_owned());
        let (Some(parent), Some(name), true) = (out_dir.parent(), name, empty) else {
            std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
            return Ok(DiskSink::new(out_dir));
        };
        let staging = parent.join(format!(".{name}.nashr-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
        }
        std::fs::create_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
        let mut sink = DiskSink::new(out_dir);
        sink.fresh = Some(staging);
        Ok(sink)
    }

    /// Moves every changed file into place; returns the paths written (sorted) and the number
    /// of files that already had the right bytes.
    pub fn commit(mut self) -> Result<(Vec<String>, usize), Error> {
        if let Some(staging) = self.fresh.take() {
            // An empty output directory (made by hand, or left by a tool) gives way.
            if self.out_dir.is_dir() {
                std::fs::remove_dir(&self.out_dir).map_err(|e| Error::io(&self.out_dir, e))?;
            }
            if let Err(e) = std::fs::rename(&staging, &self.out_dir) {
                let _ = std::fs::remove_dir_all(&staging);
                return Err(Error::io(&self.out_dir, e));
            }
            let mut written = self.produced();
            written.sort();
            return Ok((written, 0));
        }
        let mut staged = std::mem::take(&mut *self.staged.lock().unwrap_or_else(|e| e.into_inner()));
        staged.sort_by(|a, b| a.0.cmp(&b.0));
        let mut written = Vec::with_capacity(staged.len());
        for (rel, tmp) in staged {
            let path = self.out_dir.join(&rel);
            tmp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
            written.push(rel);
        }
        Ok((written, self.unchanged.load(Ordering::Relaxed)))
    }

    /// Every path put so far (written or unchanged), in no particular order.
    pub fn produced(&self) -> Vec<String> {
        self.produced.lock().map(|p| p.clone()).unwrap_or_default()
    }
}

impl Drop for DiskSink {
    fn drop(&mut self) {
        // Not committed (a failed build): the half-built site goes.
        if let Some(staging) = self.fresh.take() {
            let _ = std::fs::remove_dir_all(staging);
        }
    }
}

impl OutputSink for DiskSink {
    fn put(&self, rel: &str, bytes: Vec<u8>) -> std::io::Result<()> {
        if rel.split('/').any(|p| p == ".." || p.is_empty()) {
            return Err(std::io::Error::other(format!("`{rel}` is not a path inside the site")));
        }
        if let Ok(mut p) = self.produced.lock() {
            p.push(rel.to_string());
        }
        if let Some(staging) = &self.fresh {
            // Nothing to compare with and nobody reading: the file goes where it will be.
            let path = staging.join(rel);
            if let Some(dir) = path.parent() {
                // One `mkdir` (`create_dir_all` would `stat` first): each article's directory
                // is new, and its parent made by the first page of the locale.
                match std::fs::create_dir(dir) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(_) => std::fs::create_dir_all(dir)?,
                }
            }
            return std::fs::write(&path, &bytes);
        }
        let path = self.out_dir.join(rel);
        if let Ok(existing) = std::fs::read(&path)
            && existing == bytes
        {
            self.unchanged.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        let dir = path.parent().unwrap_or(&self.out_dir);
        std::fs::create_dir_all(dir)?;
        let mut tmp = nashr_content::fs::temp_file_in(dir)?;
        // No fsync: the rename guarantees a reader sees the old file or the new one, and
        // outputs can be rebuilt after a power cut (syncing made writing ten times slower).
        tmp.write_all(&bytes)?;
        self.staged
            .lock()
            .map_err(|_| std::io::Error::other("a rendering thread panicked"))?
            .push((rel.to_string(), tmp.into_temp_path()));
        Ok(())
    }
}

/// What changes the rendered site.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    /// Articles scheduled after this instant are left out.
    pub now: jiff::Timestamp,
    /// Translation marks for the preview (`nashr serve`): missing, stale and fallback
    /// segments wrapped in marked `<span>`s, and every page's marks in [`Rendered::marks`].
    /// Off, the output is exactly what `nashr build` writes.
    pub marks: bool,
}

impl RenderOptions {
    /// What `nashr build` renders: the site as of `now`, without marks.
    pub fn at(now: jiff::Timestamp) -> RenderOptions {
        RenderOptions { now, marks: false }
    }
}

/// The translation inputs of one article, as the task that renders it holds them.
pub struct ArticleSources<'a> {
    pub project: &'a Project,
    pub article: &'a nashr_content::Article,
    /// Its segments, with the ids `source_catalog` gives them.
    pub segments: &'a [nashr_l10n::segment::Segment],
    /// Its source catalog as it is on disk, parsed once for the segments' ids and the check;
    /// `None` before the first `nashr l10n sync`.
    pub source_catalog: Option<&'a nashr_l10n::localizer::FtlFile>,
    /// Its catalog in a locale, as read and parsed for rendering; `None` when there is none.
    pub translation: &'a dyn Fn(&str) -> Option<nashr_l10n::localizer::FtlFile>,
}

/// What a build does with each article's translations while the task rendering the article
/// holds them: `nashr build` checks the source catalog and finds stale translations here
/// (with `nashr-check`), so every catalog is read and every article segmented once.
pub trait ArticleCheck: Send + Sync {
    /// Called before the article's pages are rendered. Returns its stale segments as
    /// `(locale, ids)`: readers of a locale with `stale = "fallback"` see the source instead.
    /// An error fails the build, as any input error does.
    fn check(
        &self,
        sources: &ArticleSources<'_>,
    ) -> Result<Vec<(String, Vec<String>)>, Vec<nashr_content::SourceError>>;

    /// Called, before anything is written, for each article of the project the build does not
    /// render (a draft, or one scheduled later). An error fails the build.
    fn not_rendered(
        &self,
        _project: &nashr_content::Project,
        _article: &nashr_content::Article,
    ) -> Vec<nashr_content::SourceError> {
        Vec::new()
    }
}

pub struct BuildOptions {
    pub out_dir: PathBuf,
    pub render: RenderOptions,
    /// Where the incremental state is recorded (`.nashr/build-state.bin`, the cards and feed
    /// files next to it); `None` records nothing, and every build is a full one.
    pub state: Option<PathBuf>,
    /// When the build started, before it read any input. A file modified since may have been
    /// read before the edit: the state records it without its time, so the next build looks
    /// at it again (an edit saved while a build runs is never missed).
    pub started: std::time::SystemTime,
    /// Run on every article rendered, in its task ([`ArticleCheck`]).
    pub check: Option<Arc<dyn ArticleCheck>>,
}

#[derive(Debug, Default, Clone)]
pub struct BuildReport {
    /// Files (relative to the output directory) whose bytes changed and were written.
    pub written: Vec<String>,
    /// Files that already had the right bytes and were not touched.
    pub unchanged: usize,
    /// Files of an earlier build that are no longer produced, removed.
    pub removed: Vec<String>,
    pub articles: usize,
    pub locales: usize,
    /// Pages rendered (an incremental build renders only what an edit affects).
    pub rendered: usize,
    pub warnings: Vec<String>,
    /// Why this was a full build, when it was not incremental.
    pub full_because: Option<String>,
}

/// Called as work completes: `(phase, done, total)`, the phase being "rendering" (articles)
/// or "listings". Called from the rendering threads.
pub type Progress<'a> = dyn Fn(&str, usize, usize) + Sync + 'a;

/// The whole site, rendered in memory.
pub struct Rendered {
    /// Every file, sorted by path.
    pub outputs: Vec<Output>,
    /// With [`RenderOptions::marks`]: the translation marks of each page, by output path.
    pub marks: std::collections::BTreeMap<String, Vec<marks::Mark>>,
    /// Articles on the site (drafts and articles scheduled later are not).
    pub articles: usize,
    /// Things the editor should know that do not stop the build (a link to a draft, say).
    pub warnings: Vec<String>,
}

/// What [`render_to`] did.
#[derive(Debug, Clone)]
pub struct RenderReport {
    pub articles: usize,
    pub rendered: usize,
    pub warnings: Vec<String>,
    /// With [`RenderOptions::marks`]: the translation marks of each page, by output path.
    pub marks: std::collections::BTreeMap<String, Vec<marks::Mark>>,
}

/// Renders the whole site into `sink`. On an input error some files may already have been
/// handed to the sink; the error lists every problem, sorted by location.
pub fn render_to(
    project: &Project,
    l10n: &Arc<Localizer>,
    options: &RenderOptions,
    sink: &dyn OutputSink,
    progress: &Progress<'_>,
) -> Result<RenderReport, Error> {
    let renderer = site::SiteRenderer::new(project, l10n.clone(), options.now, options.marks)?;
    let done = full(&renderer, sink, progress)?;
    Ok(RenderReport {
        articles: done.articles.len(),
        rendered: done.rendered,
        warnings: renderer.warnings(),
        marks: renderer.marks.into_pages(),
    })
}

fn full(
    renderer: &site::SiteRenderer,
    sink: &dyn OutputSink,
    progress: &Progress<'_>,
) -> Result<site::SiteDone, Error> {
    let scope = site::Scope {
        live: renderer.live_articles().iter().map(|a| a.slug.clone()).collect(),
        prior: &site::NoPrior,
    };
    renderer.render_site(&scope, sink, progress)
}

/// Renders the whole site in memory; nothing is written.
pub fn render(
    project: &Project,
    l10n: &Arc<Localizer>,
    options: &RenderOptions,
    progress: &Progress<'_>,
) -> Result<Rendered, Error> {
    render_checked(project, l10n, options, None, progress)
}

/// [`render`], running `check` on every article in the task that renders it, as [`build`]
/// runs [`BuildOptions::check`]: a preview finds stale translations the way a build does.
pub fn render_checked(
    project: &Project,
    l10n: &Arc<Localizer>,
    options: &RenderOptions,
    check: Option<Arc<dyn ArticleCheck>>,
    progress: &Progress<'_>,
) -> Result<Rendered, Error> {
    let renderer = site::SiteRenderer::new(project, l10n.clone(), options.now, options.marks)?.with_check(check);
    let sink = MemorySink::new();
    let done = full(&renderer, &sink, progress)?;
    Ok(Rendered {
        outputs: sink.into_outputs(),
        articles: done.articles.len(),
        warnings: renderer.warnings(),
        marks: renderer.marks.into_pages(),
    })
}

/// Renders the whole site and writes it to `options.out_dir`: only files whose bytes changed,
/// all or nothing; then removes what the previous build wrote and this one did not, and
/// records the incremental state (when `options.state` is set).
pub fn build(
    project: &Project,
    l10n: &Arc<Localizer>,
    options: &BuildOptions,
    progress: &Progress<'_>,
) -> Result<BuildReport, Error> {
    let renderer = site::SiteRenderer::new(project, l10n.clone(), options.render.now, options.render.marks)?
        .with_check(options.check.clone());
    let sink = DiskSink::for_build(&options.out_dir)?;
    // A failed build must not leave a state that claims it succeeded.
    if let Some(state) = &options.state {
        incremental::forget(state);
    }
    let done = full(&renderer, &sink, progress)?;
    let started = std::time::Instant::now();
    let ms = || started.elapsed().as_secs_f64() * 1000.0;
    let mut produced = sink.produced();
    let (written, unchanged) = sink.commit()?;
    tracing::debug!("build: output committed by {:.1} ms", ms());
    produced.sort();
    let removed = prune(&options.out_dir, &produced)?;
    tracing::debug!("build: manifest written by {:.1} ms", ms());
    if let Some(state) = &options.state {
        incremental::save_full(project, &renderer, options, &done, state)?;
        tracing::debug!("build: incremental state saved by {:.1} ms", ms());
    }
    let report = BuildReport {
        written,
        unchanged,
        removed,
        articles: done.articles.len(),
        locales: project.config.site.locales.len(),
        rendered: done.rendered,
        warnings: renderer.warnings(),
        full_because: None,
    };
    // Freeing every page's views and cards is slow on one core once everything else is
    // done: a pool thread frees them while the caller reports (or exits).
    rayon::spawn(move || drop(done));
    Ok(report)
}

/// Writes `outputs` under `out_dir`: only changed files, each atomically; then removes what
/// the previous build wrote and this one did not.
pub fn write_outputs(out_dir: &Path, outputs: &[Output], progress: &Progress<'_>) -> Result<BuildReport, Error> {
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
    let sink = DiskSink::new(out_dir);
    for (i, output) in outputs.iter().enumerate() {
        progress("writing", i + 1, outputs.len());
        sink.put(&output.path, output.bytes.clone())
            .map_err(|e| Error::io(out_dir.join(&output.path), e))?;
    }
    let (written, unchanged) = sink.commit()?;
    let produced: Vec<String> = outputs.iter().map(|o| o.path.clone()).collect();
    let removed = prune(out_dir, &produced)?;
    Ok(BuildReport {
        written,
        unchanged,
        removed,
        ..BuildReport::default()
    })
}

/// Removes the files the manifest lists that are not in `produced` (sorted), then writes the
/// new manifest.
fn prune(out_dir: &Path, produced: &[String]) -> Result<Vec<String>, Error> {
    let manifest_path = out_dir.join(MANIFEST);
    let mut removed = Vec::new();
    if let Ok(previous) = std::fs::read_to_string(&manifest_path) {
        for old in previous
            .lines()
            .filter(|l| !l.is_empty() && produced.binary_search_by(|p| p.as_str().cmp(l)).is_err())
        {
            // Never follow a manifest line out of the output directory.
            if old.split('/').any(|part| part == ".." || part.is_empty()) {
                continue;
            }
            let path = out_dir.join(old);
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    removed.push(old.to_string());
                    remove_empty_parents(out_dir, &path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
    }
    let mut manifest = String::with_capacity(produced.len() * 40);
    for p in produced {
        manifest.push_str(p);
        manifest.push('\n');
    }
    nashr_content::fs::write_if_changed(&manifest_path, manifest.as_bytes())
        .map_err(|e| Error::io(&manifest_path, e))?;
    Ok(removed)
}

fn remove_empty_parents(root: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == root || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}
