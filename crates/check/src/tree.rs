//! Which translation file answers which reference file.
//!
//! Two ways to get the pairs: from a nashr project (`locales/<source>/` against every other
//! locale, article catalogs computed from the articles as `nashr l10n sync` would write them),
//! or from any two directories of `.ftl` files (`--reference DIR --l10n DIR`), matched by
//! their path relative to each directory, like compare-locales.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nashr_content::{Error, Project};
use unic_langid::LanguageIdentifier;

use crate::ftl::FtlText;
use nashr_l10n::sync::SourceCatalog;

/// Name of the lock file kept in each translation directory.
pub const LOCK_FILE: &str = "nashr-l10n.lock";

/// One locale's translation files against their references.
#[derive(Debug, Clone)]
pub struct LocaleTree {
    pub locale: String,
    /// The translation directory on disk; the lock file lives in it.
    pub dir: PathBuf,
    /// The same directory as shown in messages.
    pub shown_dir: PathBuf,
    pub pairs: Vec<Pair>,
}

impl LocaleTree {
    pub fn lock_path(&self) -> PathBuf {
        self.dir.join(LOCK_FILE)
    }

    pub fn shown_lock_path(&self) -> PathBuf {
        self.shown_dir.join(LOCK_FILE)
    }
}

/// A reference file and its translation; either may be absent (a missing or obsolete file).
#[derive(Debug, Clone)]
pub struct Pair {
    /// Path relative to the translation directory, with `/`: `site.ftl`, `articles/x.ftl`.
    pub rel: String,
    pub reference: Option<FtlText>,
    pub l10n: Option<FtlText>,
    /// Where the translation is, or should be created, as shown in messages.
    pub l10n_path: PathBuf,
}

/// Pairs for every non-source locale of a project. The reference of an article catalog is
/// computed from the article itself, so status is right even before `nashr l10n sync`.
pub fn project_trees(project: &Project) -> Result<Vec<LocaleTree>, Error> {
    trees_of(project, &nashr_l10n::sync::source_catalogs(project)?)
}

fn trees_of(project: &Project, catalogs: &[SourceCatalog]) -> Result<Vec<LocaleTree>, Error> {
    specs_of(project, catalogs)?
        .into_iter()
        .map(|spec| {
            let pairs = spec.pairs.iter().map(|p| p.read(project)).collect::<Result<_, _>>()?;
            Ok(LocaleTree {
                locale: spec.locale,
                dir: spec.dir,
                shown_dir: spec.shown_dir,
                pairs,
            })
        })
        .collect()
}

/// A locale's pairs before the translation files are read (a build reads only the UI files
/// here: [`crate::in_build`] pairs each article's files as it renders the article).
pub(crate) struct TreeSpec {
    pub locale: String,
    pub dir: PathBuf,
    pub shown_dir: PathBuf,
    pub pairs: Vec<PairSpec>,
}

pub(crate) struct PairSpec {
    pub rel: String,
    pub reference: Option<FtlText>,
    /// The translation file, when it exists.
    pub l10n: Option<PathBuf>,
    pub l10n_path: PathBuf,
}

impl PairSpec {
    pub(crate) fn read(&self, project: &Project) -> Result<Pair, Error> {
        Ok(Pair {
            rel: self.rel.clone(),
            reference: self.reference.clone(),
            l10n: self.l10n.as_deref().map(|p| read(project, p)).transpose()?,
            l10n_path: self.l10n_path.clone(),
        })
    }
}

/// Every translated locale of `project` (not the source locale), without its files.
pub(crate) fn locale_dirs(project: &Project) -> Vec<TreeSpec> {
    let source = &project.config.site.source_locale;
    project
        .config
        .site
        .locales
        .iter()
        .filter(|l| *l != source)
        .map(|locale| {
            let dir = project.locales_dir().join(locale);
            TreeSpec {
                locale: locale.clone(),
                shown_dir: project.shown(&dir),
                dir,
                pairs: Vec::new(),
            }
        })
        .collect()
}

pub(crate) fn specs_of(project: &Project, catalogs: &[SourceCatalog]) -> Result<Vec<TreeSpec>, Error> {
    specs_with(project, catalogs, Articles::Include)
}

/// The UI files of every translated locale ([`specs_of`] without article catalogs): the
/// `articles/` directories, 10,000 files each on a large site, are not listed.
pub(crate) fn ui_specs(project: &Project) -> Result<Vec<TreeSpec>, Error> {
    specs_with(project, &[], Articles::Skip)
}

/// Whether the `articles/` directories of the locales are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Articles {
    Include,
    Skip,
}

fn specs_with(project: &Project, catalogs: &[SourceCatalog], articles: Articles) -> Result<Vec<TreeSpec>, Error> {
    let ftl_files = |dir: &Path| ftl_files(dir, articles);
    let source = &project.config.site.source_locale;
    let locales_dir = project.locales_dir();
    // The source catalog of every article, as `nashr l10n sync` would write it.
    let computed: Vec<(String, FtlText)> = catalogs
        .iter()
        .map(|c| {
            (
                format!("articles/{}.ftl", c.slug),
                FtlText::new(project.shown(&c.path), c.text.clone()),
            )
        })
        .collect();
    let mut trees = Vec::new();
    for locale in project.config.site.locales.iter().filter(|l| *l != source) {
        let dir = locales_dir.join(locale);
        let mut refs: BTreeMap<String, FtlText> = BTreeMap::new();
        // UI files of the source locale (not its article catalogs).
        for path in ftl_files(&locales_dir.join(source))? {
            let rel = nashr_content::fs::relative_slash(&path, &locales_dir.join(source));
            if !rel.starts_with("articles/") {
                refs.insert(rel, read(project, &path)?);
            }
        }
        // One catalog per article whose source language is not this locale, unless the
        // article is translated as a whole file (`index.<locale>.md`).
        let mut own_articles = std::collections::BTreeSet::new();
        for (article, (rel, text)) in project.articles.iter().zip(&computed) {
            if !has_catalog_in(project, article, locale) {
                own_articles.insert(rel.clone());
                continue;
            }
            refs.insert(rel.clone(), text.clone());
        }
        let mut l10n: BTreeMap<String, PathBuf> = BTreeMap::new();
        for path in ftl_files(&dir)? {
            let rel = nashr_content::fs::relative_slash(&path, &dir);
            if !own_articles.contains(&rel) {
                l10n.insert(rel, path);
            }
        }
        let shown_dir = project.shown(&dir);
        trees.push(TreeSpec {
            locale: locale.clone(),
            pairs: pair_up(refs, l10n, &shown_dir)
                .into_iter()
                .map(|(rel, reference, l10n, l10n_path)| PairSpec {
                    rel,
                    reference,
                    l10n,
                    l10n_path,
                })
                .collect(),
            shown_dir,
            dir,
        });
    }
    Ok(trees)
}

/// Whether `article` is translated into `locale` through a segment catalog: not when it is
/// written in `locale`, nor when `locale` has the whole article (`index.<locale>.md`).
pub(crate) fn has_catalog_in(project: &Project, article: &nashr_content::Article, locale: &str) -> bool {
    let lang = article
        .front()
        .lang
        .as_deref()
        .unwrap_or(&project.config.site.source_locale);
    lang != locale && !article.translations.contains_key(locale)
}

/// Pairs for `--reference DIR --l10n DIR…`: files matched by relative path. The locale of each
/// translation directory is `locale` or, when not given, the directory's name.
pub fn dir_trees(reference: &Path, l10n_dirs: &[PathBuf], locale: Option<&str>) -> Result<Vec<LocaleTree>, Error> {
    let refs = read_tree(reference, "reference")?;
    let mut trees = Vec::new();
    for dir in l10n_dirs {
        let l10n = read_tree(dir, "translation")?;
        let locale = match locale {
            Some(l) => l.to_string(),
            None => locale_of_dir(dir)?,
        };
        trees.push(LocaleTree {
            locale,
            dir: dir.clone(),
            shown_dir: dir.clone(),
            pairs: pair_up(refs.clone(), l10n, dir)
                .into_iter()
                .map(|(rel, reference, l10n, l10n_path)| Pair {
                    rel,
                    reference,
                    l10n,
                    l10n_path,
                })
                .collect(),
        });
    }
    Ok(trees)
}

/// Every `.ftl` file under `dir`, by path relative to it.
fn read_tree(dir: &Path, what: &'static str) -> Result<BTreeMap<String, FtlText>, Error> {
    if !dir.is_dir() {
        return Err(Error::MissingDirectory {
            role: what,
            dir: dir.to_path_buf(),
        });
    }
    let mut files = BTreeMap::new();
    for path in ftl_files(dir, Articles::Include)? {
        let text = FtlText::read(&path, path.clone()).map_err(|e| Error::io(&path, e))?;
        files.insert(nashr_content::fs::relative_slash(&path, dir), text);
    }
    Ok(files)
}

fn locale_of_dir(dir: &Path) -> Result<String, Error> {
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let name = canonical
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.parse::<LanguageIdentifier>() {
        Ok(id) if !name.is_empty() && id.language.as_str() != "und" => Ok(name),
        _ => Err(Error::LocaleOfDirectory { dir: dir.to_path_buf() }),
    }
}

/// `(relative path, reference, translation, translation path as shown)` for every path in
/// either map, in path order.
fn pair_up<T>(
    mut refs: BTreeMap<String, FtlText>,
    mut l10n: BTreeMap<String, T>,
    shown_dir: &Path,
) -> Vec<(String, Option<FtlText>, Option<T>, PathBuf)> {
    let mut rels: Vec<String> = refs.keys().chain(l10n.keys()).cloned().collect();
    rels.sort();
    rels.dedup();
    rels.into_iter()
        .map(|rel| (rel.clone(), refs.remove(&rel), l10n.remove(&rel), shown_dir.join(&rel)))
        .collect()
}

fn ftl_files(dir: &Path, articles: Articles) -> Result<Vec<PathBuf>, Error> {
    let articles_dir = dir.join("articles");
    let files = nashr_content::fs::walk_files_skipping(dir, |d| articles == Articles::Skip && d == articles_dir)
        .map_err(|e| Error::io(dir, e))?;
    Ok(files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "ftl"))
        .collect())
}

fn read(project: &Project, path: &Path) -> Result<FtlText, Error> {
    FtlText::read(path, project.shown(path)).map_err(|e| Error::io(path, e))
}
