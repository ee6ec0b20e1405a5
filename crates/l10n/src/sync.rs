//! `nashr l10n sync`: writes each article's source catalog, the file translators work from.

use std::path::PathBuf;

use nashr_content::{Error, Project};

use crate::catalog;
use crate::segment::segments;

/// What a sync changed (or, with `check`, would change).
#[derive(Debug, Default, Clone)]
pub struct SyncReport {
    /// Catalogs written (or out of date, with `check`), relative to the project root.
    pub changed: Vec<PathBuf>,
    /// Catalogs of articles that no longer exist, removed (or to remove, with `check`).
    pub removed: Vec<PathBuf>,
    pub unchanged: usize,
}

impl SyncReport {
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty() && self.removed.is_empty()
    }
}

/// Brings every source catalog up to date with its article. With [`Mode::Report`], writes
/// nothing and only reports what is out of date (for CI).
pub fn sync(project: &Project, mode: Mode) -> Result<SyncReport, Error> {
    sync_with(project, &source_catalogs(project)?, mode)
}

/// [`sync`] from catalogs already computed by [`source_catalogs`] (a build computes them once
/// for this check and for stale detection).
pub fn sync_with(project: &Project, catalogs: &[SourceCatalog], mode: Mode) -> Result<SyncReport, Error> {
    let (mut report, expected) = sync_catalogs(project, catalogs, mode)?;
    remove_orphans(project, mode, &expected, &mut report)?;
    Ok(report)
}

/// Whether a sync changes files or only reports what it would change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write what changed (`nashr l10n sync`).
    Write,
    /// Write nothing; report what is out of date (`nashr l10n sync --check`).
    Report,
}

/// An article's source catalog as `nashr l10n sync` writes it, and the file as it is now.
#[derive(Debug, Clone)]
pub struct SourceCatalog {
    pub slug: String,
    /// `locales/<source>/articles/<slug>.ftl` (absolute).
    pub path: PathBuf,
    /// What the file should hold (shared with the checks that compare translations with it).
    pub text: std::sync::Arc<str>,
    /// Whether the file holds exactly that.
    pub up_to_date: bool,
}

/// The source catalog of every article of `project`, computed in parallel (ids aligned with
/// the catalog on disk, as `sync` does).
pub fn source_catalogs(project: &Project) -> Result<Vec<SourceCatalog>, Error> {
    use rayon::prelude::*;
    project
        .articles
        .par_iter()
        .map(|article| {
            let path = catalog_path(project, article);
            let on_disk = nashr_content::fs::read_text_if_exists(&path).map_err(|e| Error::io(&path, e))?;
            let previous = on_disk.as_deref().map(catalog::entries).unwrap_or_default();
            let segs = segments(&article.doc, &previous);
            Ok(source_catalog(article, path, on_disk.as_deref(), &segs))
        })
        .collect()
}

/// Where the source catalog of `article` is: `locales/<its language>/articles/<slug>.ftl`.
pub fn catalog_path(project: &Project, article: &nashr_content::Article) -> PathBuf {
    let lang = article
        .front()
        .lang
        .as_deref()
        .unwrap_or(&project.config.site.source_locale);
    project
        .locales_dir()
        .join(lang)
        .join("articles")
        .join(format!("{}.ftl", article.slug))
}

/// The source catalog of `article` from its segments (aligned with `on_disk`, the file at
/// `path` as it is now, as [`segments`] does).
pub fn source_catalog(
    article: &nashr_content::Article,
    path: PathBuf,
    on_disk: Option<&str>,
    segs: &[crate::segment::Segment],
) -> SourceCatalog {
    let text = catalog::write_source_catalog(
        &article.doc.path.display().to_string().replace('\\', "/"),
        &article.slug,
        segs,
    );
    SourceCatalog {
        slug: article.slug.clone(),
        up_to_date: on_disk == Some(text.as_str()),
        path,
        text: text.into(),
    }
}

/// The source catalogs in the project that belong to no article of `expected` (the paths of
/// every article's catalog): what `sync` removes.
pub fn orphans(project: &Project, expected: &std::collections::BTreeSet<PathBuf>) -> Result<Vec<PathBuf>, Error> {
    let mut report = SyncReport::default();
    remove_orphans(project, Mode::Report, expected, &mut report)?;
    Ok(report.removed)
}

fn sync_catalogs(
    project: &Project,
    catalogs: &[SourceCatalog],
    mode: Mode,
) -> Result<(SyncReport, std::collections::BTreeSet<PathBuf>), Error> {
    let mut report = SyncReport::default();
    let mut expected = std::collections::BTreeSet::new();
    for c in catalogs {
        expected.insert(c.path.clone());
        if c.up_to_date {
            report.unchanged += 1;
            continue;
        }
        if mode == Mode::Write {
            nashr_content::fs::write_if_changed(&c.path, c.text.as_bytes()).map_err(|e| Error::io(&c.path, e))?;
        }
        report.changed.push(project.shown(&c.path));
    }
    Ok((report, expected))
}

fn remove_orphans(
    project: &Project,
    mode: Mode,
    expected: &std::collections::BTreeSet<PathBuf>,
    report: &mut SyncReport,
) -> Result<(), Error> {
    let source = &project.config.site.source_locale;
    // Catalogs of deleted articles, in every locale that is some article's source.
    let mut sources: std::collections::BTreeSet<&str> = project
        .articles
        .iter()
        .filter_map(|a| a.front().lang.as_deref())
        .collect();
    sources.insert(source);
    for lang in sources {
        let dir = project.locales_dir().join(lang).join("articles");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut stale: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "ftl") && !expected.contains(p))
            .collect();
        stale.sort();
        for path in stale {
            if mode == Mode::Write {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            }
            report.removed.push(project.shown(&path));
        }
    }
    Ok(())
}
