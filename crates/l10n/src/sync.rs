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

/// Brings every source catalog up to date with its article. With `check`, writes nothing and
/// only reports what is out of date (for CI).
pub fn sync(project: &Project, check: bool) -> Result<SyncReport, Error> {
    let (mut report, expected) = sync_catalogs(project, check)?;
    remove_orphans(project, check, &expected, &mut report)?;
    Ok(report)
}

/// Like [`sync`] with `check`, for the articles of `project` only: an incremental build,
/// which loads only the articles it renders again, checks their catalogs (not whether other
/// catalogs are orphaned).
pub fn check_articles(project: &Project) -> Result<SyncReport, Error> {
    Ok(sync_catalogs(project, true)?.0)
}

fn sync_catalogs(project: &Project, check: bool) -> Result<(SyncReport, std::collections::BTreeSet<PathBuf>), Error> {
    let mut report = SyncReport::default();
    let source = &project.config.site.source_locale;
    let mut expected = std::collections::BTreeSet::new();
    for article in &project.articles {
        let lang = article.front().lang.as_deref().unwrap_or(source);
        let path = project
            .locales_dir()
            .join(lang)
            .join("articles")
            .join(format!("{}.ftl", article.slug));
        expected.insert(path.clone());
        let previous = match std::fs::read_to_string(&path) {
            Ok(text) => catalog::entries(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let segs = segments(&article.doc, &previous);
        let text = catalog::write_source_catalog(
            &article.doc.path.display().to_string().replace('\\', "/"),
            &article.slug,
            &segs,
        );
        let current = std::fs::read(&path).ok();
        if current.as_deref() == Some(text.as_bytes()) {
            report.unchanged += 1;
            continue;
        }
        if !check {
            nashr_content::fs::write_if_changed(&path, text.as_bytes()).map_err(|e| Error::io(&path, e))?;
        }
        report.changed.push(project.shown(&path));
    }
    Ok((report, expected))
}

fn remove_orphans(
    project: &Project,
    check: bool,
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
            if !check {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            }
            report.removed.push(project.shown(&path));
        }
    }
    Ok(())
}
