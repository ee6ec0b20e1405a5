//! `nashr l10n status`: per locale and file, what is translated, missing, stale, obsolete and
//! identical to the source, with word counts. Computing it also updates the lock file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use nashr_content::Error;
use serde::Serialize;

use crate::ftl::{self, Entry};
use crate::lock::{FileLock, Freshness, Lock, fingerprint};
use crate::tree::{LocaleTree, Pair};

/// Message counts; `total` is the number of messages and terms in the reference.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub total: usize,
    /// Present, current and different from the source.
    pub translated: usize,
    /// Present, current and exactly the source text (names, numbers — or forgotten).
    pub identical: usize,
    /// Present, but the source changed since it was translated.
    pub stale: usize,
    pub missing: usize,
    /// In the translation only: the source no longer has them.
    pub obsolete: usize,
    /// Words of the source text of all messages, of the missing ones, and of the stale ones.
    pub words: usize,
    pub missing_words: usize,
    pub stale_words: usize,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.total += o.total;
        self.translated += o.translated;
        self.identical += o.identical;
        self.stale += o.stale;
        self.missing += o.missing;
        self.obsolete += o.obsolete;
        self.words += o.words;
        self.missing_words += o.missing_words;
        self.stale_words += o.stale_words;
    }

    /// Share of the source's messages that are translated and current, in percent.
    pub fn percent_done(&self) -> u32 {
        if self.total == 0 {
            return 100;
        }
        ((self.translated + self.identical) * 100 / self.total) as u32
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileState {
    /// Both files exist.
    Present,
    /// The translation file does not exist yet.
    MissingFile,
    /// The source file is gone; the translation can be deleted.
    ObsoleteFile,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileStatus {
    /// The translation file (where it is or should be created).
    pub file: PathBuf,
    /// The source file it translates.
    pub reference: Option<PathBuf>,
    pub state: FileState,
    #[serde(flatten)]
    pub counts: Counts,
    pub missing_ids: Vec<String>,
    pub stale_ids: Vec<String>,
    pub obsolete_ids: Vec<String>,
    pub identical_ids: Vec<String>,
    /// Messages of the translation that cannot be read (`nashr l10n lint` shows them); their
    /// ids count as missing.
    pub syntax_errors: usize,
    /// Path relative to the translation directory (the lock file's key).
    #[serde(skip)]
    pub rel: String,
    /// Line of each listed id: in the translation, or in the source for missing ones.
    #[serde(skip)]
    pub lines: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LocaleStatus {
    pub locale: String,
    pub lock_file: PathBuf,
    pub files: Vec<FileStatus>,
    pub total: Counts,
}

impl LocaleStatus {
    /// `(file relative to the translation directory, id)` of every stale translation.
    pub fn stale(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files
            .iter()
            .flat_map(|f| f.stale_ids.iter().map(move |id| (f.rel.as_str(), id.as_str())))
    }
}

/// Computes the status of every tree, updating (and writing) each tree's lock file.
pub fn status(trees: &[LocaleTree]) -> Result<Vec<LocaleStatus>, Error> {
    with_locks(trees, status_with_lock)
}

/// Runs `each` on every tree with its lock file loaded, and saves the lock.
fn with_locks(
    trees: &[LocaleTree],
    each: fn(&LocaleTree, &mut Lock) -> LocaleStatus,
) -> Result<Vec<LocaleStatus>, Error> {
    trees
        .iter()
        .map(|tree| {
            let path = tree.lock_path();
            let t = std::time::Instant::now();
            let mut lock = Lock::load(&path)?;
            tracing::debug!(
                "lock {}: loaded in {:.1} ms",
                path.display(),
                t.elapsed().as_secs_f64() * 1e3
            );
            let status = each(tree, &mut lock);
            let t = std::time::Instant::now();
            lock.save(&path)?;
            tracing::debug!(
                "lock {}: saved in {:.1} ms",
                path.display(),
                t.elapsed().as_secs_f64() * 1e3
            );
            Ok(status)
        })
        .collect()
}

/// Computes one locale's status against `lock`, which it updates.
pub fn status_with_lock(tree: &LocaleTree, lock: &mut Lock) -> LocaleStatus {
    let status = status_of_pairs(tree, lock);
    lock.retain_files(&with_reference(
        tree.pairs.iter().map(|p| (&p.rel, p.reference.is_some())),
    ));
    status
}

/// The files that have a reference: the lock forgets the others (removed sources).
fn with_reference<'a>(pairs: impl Iterator<Item = (&'a String, bool)>) -> BTreeSet<String> {
    pairs.filter(|(_, has)| *has).map(|(rel, _)| rel.clone()).collect()
}

fn status_of_pairs(tree: &LocaleTree, lock: &mut Lock) -> LocaleStatus {
    let mut status = LocaleStatus {
        locale: tree.locale.clone(),
        lock_file: tree.shown_lock_path(),
        files: Vec::new(),
        total: Counts::default(),
    };
    status_of(&tree.pairs, lock, &mut status, true);
    status
}

/// Adds the status of `pairs` to `status`: each file parsed, fingerprinted and compared with
/// its own part of the lock in parallel, the results kept in file order. Without `words`, the
/// word counts stay 0 (counting them was a tenth of a build's stale detection).
pub(crate) fn status_of(pairs: &[Pair], lock: &mut Lock, status: &mut LocaleStatus, words: bool) {
    use rayon::prelude::*;
    let taken: Vec<FileLock> = pairs.iter().map(|p| lock.take_file(&p.rel)).collect();
    let done: Vec<(FileStatus, FileLock)> = pairs
        .par_iter()
        .zip(taken)
        .map(|(pair, mut file_lock)| {
            let l10n = pair.l10n.as_ref().map(|f| &*f.text);
            (finish(prepare(pair, words), &mut file_lock, l10n), file_lock)
        })
        .collect();
    for (file, file_lock) in done {
        lock.put_file(&file.rel, file_lock);
        status.total.add(&file.counts);
        status.files.push(file);
    }
}

/// A translated message of a file, ready to be compared with the lock.
struct Present {
    id: String,
    words: usize,
    source_fp: crate::lock::Fingerprint,
    translation_fp: crate::lock::Fingerprint,
    identical: bool,
    /// Byte offset of the translation, for the line of stale reports (computed for those
    /// only: counting lines for every message of 10,000 files was a tenth of a build).
    offset: usize,
}

/// One file's status without the lock: what is missing and obsolete, and the fingerprints of
/// what is present.
pub(crate) struct Prepared {
    status: FileStatus,
    present: Vec<Present>,
    /// The source's ids, when the source parsed without errors (the lock forgets the others).
    retain: Option<BTreeSet<String>>,
}

pub(crate) fn prepare(pair: &Pair, with_words: bool) -> Prepared {
    let reference = pair.reference.as_ref().map(|f| f.parse());
    let l10n = pair.l10n.as_ref().map(|f| f.parse());
    let ref_entries = reference
        .as_ref()
        .map(|p| first_of_each(p.entries()))
        .unwrap_or_default();
    let l10n_entries = l10n.as_ref().map(|p| first_of_each(p.entries())).unwrap_or_default();
    let (ref_ids, l10n_ids) = (by_id(&ref_entries), by_id(&l10n_entries));
    let state = match (&pair.reference, &pair.l10n) {
        (Some(_), Some(_)) => FileState::Present,
        (Some(_), None) => FileState::MissingFile,
        _ => FileState::ObsoleteFile,
    };
    let mut status = FileStatus {
        file: pair.l10n_path.clone(),
        reference: pair.reference.as_ref().map(|f| f.path.clone()),
        state,
        counts: Counts::default(),
        missing_ids: Vec::new(),
        stale_ids: Vec::new(),
        obsolete_ids: Vec::new(),
        identical_ids: Vec::new(),
        syntax_errors: l10n.as_ref().map_or(0, |l| l.syntax_errors()),
        rel: pair.rel.clone(),
        lines: BTreeMap::new(),
    };
    let line = |text: &str, offset: usize| nashr_content::diag::line_col(text, offset).0;
    let mut present = Vec::new();
    let c = &mut status.counts;
    // The canonical forms of one entry at a time, in two buffers reused for every entry.
    let (mut source, mut translation) = (String::new(), String::new());
    for r in &ref_entries {
        let (id, r_offset) = (&r.id, r.offset);
        let words = if with_words { ftl::words(r) } else { 0 };
        c.total += 1;
        c.words += words;
        let Some(t) = l10n_ids.get(id.as_str()) else {
            c.missing += 1;
            c.missing_words += words;
            status.missing_ids.push(id.clone());
            if let Some(file) = &pair.reference {
                status.lines.insert(id.clone(), line(&file.text, r_offset));
            }
            continue;
        };
        source.clear();
        translation.clear();
        ftl::canonical_into(r, &mut source);
        ftl::canonical_into(t, &mut translation);
        present.push(Present {
            id: id.clone(),
            words,
            source_fp: fingerprint(&source),
            translation_fp: fingerprint(&translation),
            identical: source == translation,
            offset: t.offset,
        });
    }
    for t in &l10n_entries {
        if !ref_ids.contains_key(t.id.as_str()) {
            c.obsolete += 1;
            status.obsolete_ids.push(t.id.clone());
            if let Some(l) = &pair.l10n {
                status.lines.insert(t.id.clone(), line(&l.text, t.offset));
            }
        }
    }
    // Forget removed messages, unless the source could not be read completely (a syntax
    // error hides messages that still exist).
    let retain = reference
        .as_ref()
        .filter(|r| r.syntax_errors() == 0)
        .map(|_| ref_entries.iter().map(|e| e.id.clone()).collect());
    Prepared {
        status,
        present,
        retain,
    }
}

pub(crate) fn finish(prepared: Prepared, lock: &mut FileLock, l10n: Option<&str>) -> FileStatus {
    let Prepared {
        mut status,
        present,
        retain,
    } = prepared;
    for p in present {
        let c = &mut status.counts;
        match lock.observe(&p.id, p.source_fp, p.translation_fp) {
            Freshness::Stale => {
                c.stale += 1;
                c.stale_words += p.words;
                if let Some(text) = l10n {
                    let line = nashr_content::diag::line_col(text, p.offset).0;
                    status.lines.insert(p.id.clone(), line);
                }
                status.stale_ids.push(p.id);
            }
            Freshness::Current if p.identical => {
                c.identical += 1;
                status.identical_ids.push(p.id);
            }
            Freshness::Current => c.translated += 1,
        }
    }
    if let Some(ids) = retain {
        lock.retain_ids(&ids);
    }
    status
}

/// Entries in file order without duplicates (the first definition wins, as in Fluent bundles).
pub(crate) fn first_of_each(entries: Vec<Entry<'_>>) -> Vec<Entry<'_>> {
    let mut seen = rustc_hash::FxHashSet::default();
    seen.reserve(entries.len());
    let first: Vec<bool> = entries.iter().map(|e| seen.insert(e.id.as_str())).collect();
    drop(seen);
    entries
        .into_iter()
        .zip(first)
        .filter_map(|(e, first)| first.then_some(e))
        .collect()
}

/// Entries by id (a lookup per message of the other file: hashed, not compared).
fn by_id<'a, 's>(entries: &'a [Entry<'s>]) -> rustc_hash::FxHashMap<&'a str, &'a Entry<'s>> {
    entries.iter().map(|e| (e.id.as_str(), e)).collect()
}

/// Marks stale translations of `tree` as current (all of them when `ids` is empty): the
/// translator checked them against the new source and they need no change. Returns the
/// `(file, id)` pairs accepted.
pub fn accept(tree: &LocaleTree, ids: &[String]) -> Result<Vec<(String, String)>, Error> {
    let path = tree.lock_path();
    let mut lock = Lock::load(&path)?;
    let status = status_with_lock(tree, &mut lock);
    let mut accepted = Vec::new();
    for (pair, file) in tree.pairs.iter().zip(&status.files) {
        let wanted: Vec<&String> = file
            .stale_ids
            .iter()
            .filter(|id| ids.is_empty() || ids.contains(id))
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let (Some(r), Some(l)) = (&pair.reference, &pair.l10n) else {
            continue;
        };
        let (r, l) = (r.parse(), l.parse());
        let (r_entries, l_entries) = (first_of_each(r.entries()), first_of_each(l.entries()));
        let (r_ids, l_ids) = (by_id(&r_entries), by_id(&l_entries));
        for id in wanted {
            if let (Some(re), Some(le)) = (r_ids.get(id.as_str()), l_ids.get(id.as_str())) {
                lock.accept(
                    &pair.rel,
                    id,
                    fingerprint(&ftl::canonical(re)),
                    fingerprint(&ftl::canonical(le)),
                );
                accepted.push((pair.rel.clone(), id.clone()));
            }
        }
    }
    lock.save(&path)?;
    Ok(accepted)
}
