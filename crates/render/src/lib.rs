//! Stage 3 of nashr: render the project into a static site.
//!
//! [`build`] renders every article in every locale, the per-locale index (paginated), tag
//! pages and Atom feed, the sitemap with hreflang alternates and the language-choice root page,
//! all in memory; then it writes the files that changed, atomically, and removes the files a
//! previous build wrote that are no longer produced.
//!
//! ```no_run
//! # fn main() -> Result<(), nashr_content::Error> {
//! use std::sync::Arc;
//! let project = nashr_content::Project::load(std::path::Path::new("."))?;
//! let l10n = Arc::new(nashr_l10n::Localizer::load(&project)?);
//! let options = nashr_render::BuildOptions { out_dir: project.output_dir(), now: jiff::Timestamp::now() };
//! let report = nashr_render::build(&project, &l10n, &options, &|_, _, _| {})?;
//! println!("{} files written", report.written.len());
//! # Ok(()) }
//! ```

pub mod markdown;
pub mod marks;
mod site;
pub mod templates;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nashr_content::{Error, Project};
use nashr_l10n::Localizer;

pub use site::Output;

/// The list of files the last build wrote, kept in the output directory so that the next
/// build removes only files nashr itself created.
pub const MANIFEST: &str = ".nashr-manifest";

pub struct BuildOptions {
    pub out_dir: PathBuf,
    /// Articles scheduled after this instant are left out.
    pub now: jiff::Timestamp,
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
    pub warnings: Vec<String>,
}

/// Called as work completes: `(phase, done, total)`, the phase being "rendering" or "writing".
pub type Progress<'a> = dyn Fn(&str, usize, usize) + 'a;

/// How to render, for [`render_with`].
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    /// Articles scheduled after this instant are left out.
    pub now: jiff::Timestamp,
    /// Translation marks for the preview (`nashr serve`): missing, stale and fallback
    /// segments wrapped in marked `<span>`s, and every page's marks in [`Rendered::marks`].
    /// Off, the output is exactly what `nashr build` writes.
    pub marks: bool,
}

/// The whole site, rendered in memory.
pub struct Rendered {
    pub outputs: Vec<Output>,
    /// With [`RenderOptions::marks`]: the translation marks of each page, by output path.
    pub marks: std::collections::BTreeMap<String, Vec<marks::Mark>>,
    /// Articles on the site (drafts and articles scheduled later are not).
    pub articles: usize,
    /// Things the editor should know that do not stop the build (a link to a draft, say).
    pub warnings: Vec<String>,
}

/// Renders the whole site in memory; nothing is written.
pub fn render(
    project: &Project,
    l10n: &Arc<Localizer>,
    now: jiff::Timestamp,
    progress: &Progress<'_>,
) -> Result<Rendered, Error> {
    render_with(project, l10n, &RenderOptions { now, marks: false }, progress)
}

/// [`render`] with options.
pub fn render_with(
    project: &Project,
    l10n: &Arc<Localizer>,
    options: &RenderOptions,
    progress: &Progress<'_>,
) -> Result<Rendered, Error> {
    let renderer = site::SiteRenderer::new(project, l10n.clone(), options.now, options.marks)?;
    let outputs = renderer.render_all(progress)?;
    let articles = renderer.article_count();
    let warnings = renderer.warnings();
    Ok(Rendered {
        outputs,
        marks: renderer.marks.into_pages(),
        articles,
        warnings,
    })
}

/// Renders the site and writes it to `options.out_dir`.
pub fn build(
    project: &Project,
    l10n: &Arc<Localizer>,
    options: &BuildOptions,
    progress: &Progress<'_>,
) -> Result<BuildReport, Error> {
    let rendered = render(project, l10n, options.now, progress)?;
    let mut report = write_outputs(&options.out_dir, &rendered.outputs, progress)?;
    report.articles = rendered.articles;
    report.locales = project.config.site.locales.len();
    report.warnings = rendered.warnings;
    Ok(report)
}

/// Writes `outputs` under `out_dir`: only changed files, each atomically; then removes what
/// the previous build wrote and this one did not.
pub fn write_outputs(out_dir: &Path, outputs: &[Output], progress: &Progress<'_>) -> Result<BuildReport, Error> {
    let mut report = BuildReport::default();
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
    for (i, output) in outputs.iter().enumerate() {
        progress("writing", i + 1, outputs.len());
        let path = out_dir.join(&output.path);
        if nashr_content::fs::write_if_changed(&path, &output.bytes).map_err(|e| Error::io(&path, e))? {
            report.written.push(output.path.clone());
        } else {
            report.unchanged += 1;
        }
    }
    let manifest_path = out_dir.join(MANIFEST);
    let produced: BTreeSet<&str> = outputs.iter().map(|o| o.path.as_str()).collect();
    if let Ok(previous) = std::fs::read_to_string(&manifest_path) {
        for old in previous.lines().filter(|l| !l.is_empty() && !produced.contains(l)) {
            // Never follow a manifest line out of the output directory.
            if old.split('/').any(|part| part == ".." || part.is_empty()) {
                continue;
            }
            let path = out_dir.join(old);
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    report.removed.push(old.to_string());
                    remove_empty_parents(out_dir, &path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
    }
    let manifest: String = produced.iter().map(|p| format!("{p}\n")).collect();
    nashr_content::fs::write_if_changed(&manifest_path, manifest.as_bytes())
        .map_err(|e| Error::io(&manifest_path, e))?;
    Ok(report)
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
