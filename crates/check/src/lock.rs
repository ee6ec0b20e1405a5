//! The translation lock file: how nashr knows a translation is stale without asking the
//! translator for anything but the translation.
//!
//! `<translation dir>/nashr-l10n.lock` records, for every translated message, a fingerprint of
//! the source text and of the translation as they were last seen together. Every nashr command
//! that reads translations updates it:
//!
//! - a message seen for the first time is taken as current;
//! - when the translation's fingerprint changed, the translator worked on it: it is current,
//!   and the source fingerprint of that moment is recorded;
//! - when only the source fingerprint changed, the translation is **stale** until it is edited.
//!
//! One line per message, sorted, tab-separated, so the file merges well in git. Lines that do
//! not parse (a merge conflict marker, say) are ignored: the worst case is a translation taken
//! as current once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use nashr_content::Error;
use sha2::{Digest, Sha256};

const HEADER: &str = "\
# Written by nashr: for each translated message, fingerprints of the source text and of the
# translation when they were last seen together. A translation whose source changed since is
# reported stale by `nashr l10n status` until the translation is edited.
# Commit this file with the translations; do not edit it by hand.
";

#[derive(Debug, Clone, PartialEq, Eq)]
struct Record {
    source: String,
    translation: String,
}

/// Whether a present translation still matches its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Current,
    Stale,
}

#[derive(Debug, Default, Clone)]
pub struct Lock {
    records: BTreeMap<(String, String), Record>,
}

/// A short, stable fingerprint of a text (SHA-256, 48 bits: enough to tell versions of one
/// message apart, short enough to keep the file readable).
pub fn fingerprint(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

impl Lock {
    /// Reads a lock file; a missing file is an empty lock.
    pub fn load(path: &Path) -> Result<Lock, Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Lock::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Lock::default()),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    pub fn parse(text: &str) -> Lock {
        let mut records = BTreeMap::new();
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            if let [file, id, source, translation] = fields[..]
                && !file.is_empty()
                && !id.is_empty()
            {
                records
                    .entry((file.to_string(), id.to_string()))
                    .or_insert_with(|| Record {
                        source: source.to_string(),
                        translation: translation.to_string(),
                    });
            }
        }
        Lock { records }
    }

    pub fn to_text(&self) -> String {
        let mut out = String::from(HEADER);
        for ((file, id), r) in &self.records {
            out.push_str(&format!("{file}\t{id}\t{}\t{}\n", r.source, r.translation));
        }
        out
    }

    /// Writes the lock if its content changed; an empty lock is not written.
    pub fn save(&self, path: &Path) -> Result<bool, Error> {
        if self.records.is_empty() && !path.exists() {
            return Ok(false);
        }
        nashr_content::fs::write_if_changed(path, self.to_text().as_bytes()).map_err(|e| Error::io(path, e))
    }

    /// Compares a translated message with what the lock remembers and updates the lock.
    pub fn observe(&mut self, file: &str, id: &str, source: &str, translation: &str) -> Freshness {
        let key = (file.to_string(), id.to_string());
        let now = Record {
            source: source.to_string(),
            translation: translation.to_string(),
        };
        match self.records.get(&key) {
            Some(seen) if seen.translation == translation && seen.source != source => Freshness::Stale,
            Some(seen) if *seen == now => Freshness::Current,
            _ => {
                self.records.insert(key, now);
                Freshness::Current
            }
        }
    }

    /// Marks a translation as current for the source it has now (a translator checked it and
    /// it needs no change).
    pub fn accept(&mut self, file: &str, id: &str, source: &str, translation: &str) {
        self.records.insert(
            (file.to_string(), id.to_string()),
            Record {
                source: source.to_string(),
                translation: translation.to_string(),
            },
        );
    }

    /// Forgets messages that no longer exist in the source of `file`.
    pub fn retain_ids(&mut self, file: &str, ids: &BTreeSet<String>) {
        // Only this file's lines: a lock holds every message of the site.
        let doomed: Vec<(String, String)> = self
            .records
            .range((file.to_string(), String::new())..)
            .take_while(|((f, _), _)| f == file)
            .filter(|((_, id), _)| !ids.contains(id))
            .map(|(k, _)| k.clone())
            .collect();
        for key in doomed {
            self.records.remove(&key);
        }
    }

    /// Forgets every file not in `files` (reference files that were removed).
    pub fn retain_files(&mut self, files: &BTreeSet<String>) {
        self.records.retain(|(f, _), _| files.contains(f));
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_until_the_translation_changes() {
        let mut lock = Lock::default();
        assert_eq!(lock.observe("a.ftl", "m", "s1", "t1"), Freshness::Current);
        assert_eq!(lock.observe("a.ftl", "m", "s1", "t1"), Freshness::Current);
        // The source changes: stale, and it stays stale on every later look.
        assert_eq!(lock.observe("a.ftl", "m", "s2", "t1"), Freshness::Stale);
        assert_eq!(lock.observe("a.ftl", "m", "s2", "t1"), Freshness::Stale);
        // The translator edits the translation: current again.
        assert_eq!(lock.observe("a.ftl", "m", "s2", "t2"), Freshness::Current);
        assert_eq!(lock.observe("a.ftl", "m", "s2", "t2"), Freshness::Current);
    }

    #[test]
    fn round_trips_and_ignores_conflict_markers() {
        let mut lock = Lock::default();
        lock.observe("articles/x.ftl", "x-p1", &fingerprint("a"), &fingerprint("b"));
        let text = lock.to_text();
        let again = Lock::parse(&format!("{text}<<<<<<< HEAD\n=======\n>>>>>>> branch\n"));
        assert_eq!(again.to_text(), text);
        assert_eq!(fingerprint("a").len(), 12);
    }
}
