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
use std::ops::Range;
use std::path::Path;

use nashr_content::Error;
use sha2::{Digest, Sha256};

const HEADER: &str = "\
# Written by nashr: for each translated message, fingerprints of the source text and of the
# translation when they were last seen together. A translation whose source changed since is
# reported stale by `nashr l10n status` until the translation is edited.
# Commit this file with the translations; do not edit it by hand.
";

/// A fingerprint as stored in the lock: the first 48 bits of a SHA-256.
pub(crate) type Fingerprint = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Record {
    source: Fingerprint,
    translation: Fingerprint,
}

/// Whether a present translation still matches its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Current,
    Stale,
}

/// One translation file's lines. A site of 10,000 articles has a lock of 400,000 lines, and an
/// incremental build looks at one or two files: lines stay unparsed text until a file is
/// looked at, and are written back as they were read.
#[derive(Debug, Clone)]
enum FileLines {
    /// Bytes of the loaded text, whole lines with their newlines.
    Raw(Range<usize>),
    Parsed(BTreeMap<String, Record>),
}

/// The lock of one translation file, taken out of a [`Lock`] to be updated on its own (in
/// parallel with other files) and put back with [`Lock::put_file`].
#[derive(Debug, Default)]
pub struct FileLock {
    records: BTreeMap<String, Record>,
    /// The lines it was parsed from, written back as they were when nothing changed.
    raw: Option<Range<usize>>,
    changed: bool,
}

#[derive(Debug, Default, Clone)]
pub struct Lock {
    /// The text the lock was loaded from; `FileLines::Raw` ranges point into it.
    text: String,
    files: BTreeMap<String, FileLines>,
    /// Whether anything changed since it was loaded (when not, saving writes nothing).
    changed: bool,
}

/// A short, stable fingerprint of a text (SHA-256, 48 bits: enough to tell versions of one
/// message apart, short enough to keep the file readable as 12 hex digits).
pub(crate) fn fingerprint(text: &str) -> Fingerprint {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(6).fold(0, |acc, b| (acc << 8) | u64::from(*b))
}

/// `file \t id \t source \t translation` → its fields, or `None` for a line that does not parse
/// (a comment, a merge conflict marker).
fn fields(line: &str) -> Option<(&str, &str, Record)> {
    // Read from the end: the two fingerprints are 12 hex digits each, so only the first two
    // fields need a search (a large site's lock has hundreds of thousands of lines, read on
    // every build).
    let b = line.as_bytes();
    let n = b.len();
    if n < 2 * 13 + 3 || b[n - 13] != b'\t' || b[n - 26] != b'\t' || line.starts_with('#') {
        return None;
    }
    let head = &line[..n - 26];
    let tab = memchr::memchr(b'\t', head.as_bytes())?;
    let (file, id) = (&head[..tab], &head[tab + 1..]);
    if file.is_empty() || id.is_empty() || memchr::memchr(b'\t', id.as_bytes()).is_some() {
        return None;
    }
    let hex = |s: &str| u64::from_str_radix(s, 16).ok();
    Some((
        file,
        id,
        Record {
            source: hex(&line[n - 25..n - 13])?,
            translation: hex(&line[n - 12..])?,
        },
    ))
}

fn parse_lines(text: &str, into: &mut BTreeMap<String, Record>) {
    for line in text.lines() {
        if let Some((_, id, record)) = fields(line) {
            into.entry(id.to_string()).or_insert(record);
        }
    }
}

impl FileLock {
    /// Compares a translated message with what the lock remembers and updates the lock.
    pub fn observe(&mut self, id: &str, source: Fingerprint, translation: Fingerprint) -> Freshness {
        let now = Record { source, translation };
        match self.records.get(id) {
            Some(seen) if seen.translation == translation && seen.source != source => Freshness::Stale,
            Some(seen) if *seen == now => Freshness::Current,
            _ => {
                self.records.insert(id.to_string(), now);
                self.changed = true;
                Freshness::Current
            }
        }
    }

    /// Forgets messages that no longer exist in the source.
    pub fn retain_ids(&mut self, ids: &BTreeSet<String>) {
        // Both sorted: one walk finds the ids to forget (usually none), without a lookup
        // per message.
        let mut kept = ids.iter().peekable();
        let gone: Vec<String> = self
            .records
            .keys()
            .filter(|id| {
                while kept.next_if(|k| k < id).is_some() {}
                kept.peek() != Some(id)
            })
            .cloned()
            .collect();
        for id in &gone {
            self.records.remove(id);
        }
        self.changed |= !gone.is_empty();
    }
}

impl Lock {
    /// Reads a lock file; a missing file is an empty lock.
    pub fn load(path: &Path) -> Result<Lock, Error> {
        match nashr_content::fs::read_text(path) {
            Ok(text) => Ok(Lock::from_text(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Lock::default()),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// Splits the text into each file's lines, parsing only the first field of every line. A
    /// file whose lines are not together (a hand-merged lock) is parsed at once.
    pub fn parse(text: &str) -> Lock {
        Lock::from_text(text.to_string())
    }

    fn from_text(owned: String) -> Lock {
        let mut lock = Lock {
            text: String::new(),
            files: BTreeMap::new(),
            changed: false,
        };
        let text = owned.as_str();
        let mut scattered: BTreeMap<String, BTreeMap<String, Record>> = BTreeMap::new();
        let mut current: Option<(&str, usize)> = None;
        let mut offset = 0;
        let mut close = |lock: &mut Lock, current: Option<(&str, usize)>, end: usize| {
            let Some((file, start)) = current else { return };
            match lock.files.remove(file) {
                None => {
                    lock.files.insert(file.to_string(), FileLines::Raw(start..end));
                }
                Some(earlier) => {
                    // Seen before: merge both runs of lines (the first line of an id wins).
                    let records = scattered.entry(file.to_string()).or_default();
                    if let FileLines::Raw(r) = earlier {
                        parse_lines(&text[r], records);
                    }
                    parse_lines(&text[start..end], records);
                    lock.files.insert(file.to_string(), FileLines::Parsed(BTreeMap::new()));
                }
            }
        };
        for line in text.split_inclusive('\n') {
            // The lines of a file come together: the next line of the current file is known
            // by its first field, without parsing the rest (a tenth of a one-paragraph
            // rebuild of 10,000 articles went into parsing 420,000 lines here). A malformed
            // line that starts like the file's is skipped when the file is parsed, and goes
            // when its lines are next written.
            if let Some((f, _)) = current
                && line.as_bytes().get(f.len()) == Some(&b'\t')
                && line.starts_with(f)
            {
                offset += line.len();
                continue;
            }
            let file = fields(line.trim_end_matches(['\n', '\r'])).map(|(f, _, _)| f);
            if let Some(file) = file
                && current.is_none_or(|(f, _)| f != file)
            {
                close(&mut lock, current, offset);
                current = Some((file, offset));
            } else if file.is_none() {
                close(&mut lock, current, offset);
                current = None;
                // A line that is neither a record nor a comment (a conflict marker): the
                // next save writes the lock without it.
                if !line.starts_with('#') && !line.trim().is_empty() {
                    lock.changed = true;
                }
            }
            offset += line.len();
        }
        close(&mut lock, current, offset);
        for (file, records) in scattered {
            lock.files.insert(file, FileLines::Parsed(records));
            // Written back together, as one run of lines.
            lock.changed = true;
        }
        lock.text = owned;
        lock
    }

    pub fn to_text(&self) -> String {
        let mut out = Vec::with_capacity(self.text.len() + HEADER.len());
        // Writing to a Vec cannot fail, and only UTF-8 goes in.
        let _ = self.write_to(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Writes the lock's text: the header, then every file's lines in file order.
    fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        out.write_all(HEADER.as_bytes())?;
        for (file, lines) in &self.files {
            match lines {
                FileLines::Raw(range) => {
                    let raw = &self.text[range.clone()];
                    out.write_all(raw.as_bytes())?;
                    if !raw.ends_with('\n') {
                        out.write_all(b"\n")?;
                    }
                }
                FileLines::Parsed(records) => {
                    for (id, r) in records {
                        writeln!(out, "{file}\t{id}\t{:012x}\t{:012x}", r.source, r.translation)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes the lock if its content changed; an empty lock is not written.
    pub fn save(&self, path: &Path) -> Result<bool, Error> {
        if self.is_empty() && !path.exists() {
            return Ok(false);
        }
        if self.text.is_empty() {
            // Not loaded from a file (or from an empty one): compare with what is there.
            return nashr_content::fs::write_if_changed(path, self.to_text().as_bytes())
                .map_err(|e| Error::io(path, e));
        }
        // Loaded and nothing changed: nothing to write.
        if !self.changed {
            return Ok(false);
        }
        // Changed: streamed to a temporary file and renamed over the lock, without building
        // the 26 MB text of a 10,000-article site in memory or reading the old one back.
        let io = |e| Error::io(path, e);
        let dir = path.parent().unwrap_or(Path::new("."));
        let tmp = nashr_content::fs::temp_file_in(dir).map_err(io)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, tmp);
        self.write_to(&mut out).map_err(io)?;
        let tmp = out.into_inner().map_err(|e| io(e.into_error()))?;
        tmp.persist(path).map_err(|e| io(e.error))?;
        Ok(true)
    }

    /// Takes the lock of `file` out, parsed, to be updated and put back with
    /// [`Lock::put_file`].
    pub fn take_file(&mut self, file: &str) -> FileLock {
        match self.files.remove(file) {
            Some(FileLines::Parsed(records)) => FileLock {
                records,
                ..FileLock::default()
            },
            Some(FileLines::Raw(range)) => {
                let mut records = BTreeMap::new();
                parse_lines(&self.text[range.clone()], &mut records);
                FileLock {
                    records,
                    raw: Some(range),
                    changed: false,
                }
            }
            None => FileLock::default(),
        }
    }

    /// Puts back a file's lock taken with [`Lock::take_file`]; an empty one is dropped.
    pub fn put_file(&mut self, file: &str, lock: FileLock) {
        self.changed |= lock.changed;
        let lines = match lock.raw {
            Some(range) if !lock.changed => FileLines::Raw(range),
            _ if lock.records.is_empty() => return,
            _ => FileLines::Parsed(lock.records),
        };
        self.files.insert(file.to_string(), lines);
    }

    /// Compares a translated message with what the lock remembers and updates the lock.
    pub fn observe(&mut self, file: &str, id: &str, source: Fingerprint, translation: Fingerprint) -> Freshness {
        let mut f = self.take_file(file);
        let freshness = f.observe(id, source, translation);
        self.put_file(file, f);
        freshness
    }

    /// Marks a translation as current for the source it has now (a translator checked it and
    /// it needs no change).
    pub fn accept(&mut self, file: &str, id: &str, source: Fingerprint, translation: Fingerprint) {
        let mut f = self.take_file(file);
        f.records.insert(id.to_string(), Record { source, translation });
        f.changed = true;
        self.put_file(file, f);
    }

    /// Forgets messages that no longer exist in the source of `file`.
    pub fn retain_ids(&mut self, file: &str, ids: &BTreeSet<String>) {
        let mut f = self.take_file(file);
        f.retain_ids(ids);
        self.put_file(file, f);
    }

    /// Forgets every file not in `files` (reference files that were removed).
    pub fn retain_files(&mut self, files: &BTreeSet<String>) {
        let before = self.files.len();
        self.files.retain(|f, _| files.contains(f));
        self.changed |= self.files.len() != before;
    }

    /// Number of messages (parses every file's lines).
    pub fn len(&self) -> usize {
        self.files
            .values()
            .map(|lines| match lines {
                FileLines::Parsed(r) => r.len(),
                FileLines::Raw(range) => self.text[range.clone()].lines().filter(|l| fields(l).is_some()).count(),
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_four_fields_of_a_line_and_nothing_else() {
        let record = |s, t| Record {
            source: s,
            translation: t,
        };
        let line = "articles/ماساژ.ftl\tintro-p1\t0123456789ab\tba9876543210";
        assert_eq!(
            fields(line),
            Some((
                "articles/ماساژ.ftl",
                "intro-p1",
                record(0x0123_4567_89ab, 0xba98_7654_3210)
            ))
        );
        for bad in [
            "# articles/a.ftl\tintro-p1\t0123456789ab\tba9876543210",
            "articles/a.ftl\tintro\tp1\t0123456789ab\tba9876543210",
            "\tintro-p1\t0123456789ab\tba9876543210",
            "articles/a.ftl\t\t0123456789ab\tba9876543210",
            "articles/a.ftl intro-p1\t0123456789ab\tba9876543210",
            "articles/a.ftl\tintro-p1\t0123456789ab\tba987654321",
            "articles/a.ftl\tintro-p1\t0123456789xb\tba9876543210",
            "a\tb\t0123456789ab0123456789ab\t",
            "=======",
            "",
        ] {
            assert_eq!(fields(bad), None, "{bad}");
        }
    }

    #[test]
    fn stale_until_the_translation_changes() {
        let mut lock = Lock::default();
        let (s1, s2, t1, t2) = (1, 2, 11, 12);
        assert_eq!(lock.observe("a.ftl", "m", s1, t1), Freshness::Current);
        assert_eq!(lock.observe("a.ftl", "m", s1, t1), Freshness::Current);
        // The source changes: stale, and it stays stale on every later look.
        assert_eq!(lock.observe("a.ftl", "m", s2, t1), Freshness::Stale);
        assert_eq!(lock.observe("a.ftl", "m", s2, t1), Freshness::Stale);
        // The translator edits the translation: current again.
        assert_eq!(lock.observe("a.ftl", "m", s2, t2), Freshness::Current);
        assert_eq!(lock.observe("a.ftl", "m", s2, t2), Freshness::Current);
    }

    #[test]
    fn round_trips_and_ignores_conflict_markers() {
        let mut lock = Lock::default();
        lock.observe("articles/x.ftl", "x-p1", fingerprint("a"), fingerprint("b"));
        let text = lock.to_text();
        let again = Lock::parse(&format!("{text}<<<<<<< HEAD\n=======\n>>>>>>> branch\n"));
        assert_eq!(again.to_text(), text);
        // 48 bits, written as 12 hex digits: SHA-256("a") starts ca978112ca1b.
        assert_eq!(fingerprint("a"), 0xca97_8112_ca1b);
        assert!(text.contains("\tca978112ca1b\t"), "{text}");
    }

    #[test]
    fn files_not_looked_at_are_written_back_as_read() {
        let text = format!(
            "{HEADER}a.ftl\tm1\t000000000001\t00000000000b\n\
             b.ftl\tm1\t000000000002\t00000000000c\n\
             b.ftl\tm2\t000000000003\t00000000000d\n\
             c.ftl\tm1\t000000000004\t00000000000e\n"
        );
        let mut lock = Lock::parse(&text);
        assert_eq!(lock.len(), 4);
        assert_eq!(lock.to_text(), text);
        // Only b.ftl is parsed and changed; a.ftl and c.ftl keep their bytes.
        let mut b = lock.take_file("b.ftl");
        assert_eq!(b.observe("m1", 2, 0xc), Freshness::Current);
        assert_eq!(b.observe("m2", 9, 0xd), Freshness::Stale);
        b.retain_ids(&["m2".to_string()].into());
        lock.put_file("b.ftl", b);
        assert_eq!(
            lock.to_text(),
            format!(
                "{HEADER}a.ftl\tm1\t000000000001\t00000000000b\n\
                 b.ftl\tm2\t000000000003\t00000000000d\n\
                 c.ftl\tm1\t000000000004\t00000000000e\n"
            )
        );
    }

    #[test]
    fn a_file_whose_lines_are_apart_is_merged() {
        // A hand-merged lock: b.ftl's lines in two places, and a duplicate (the first wins).
        let text = "b.ftl\tm1\t000000000001\t000000000002\n\
                    a.ftl\tm1\t000000000003\t000000000004\n\
                    b.ftl\tm2\t000000000005\t000000000006\n\
                    b.ftl\tm1\t00000000000f\t00000000000f\n";
        let mut lock = Lock::parse(text);
        assert_eq!(lock.len(), 3);
        assert_eq!(lock.observe("b.ftl", "m1", 1, 2), Freshness::Current);
        assert_eq!(lock.observe("b.ftl", "m2", 7, 6), Freshness::Stale);
        assert!(lock.to_text().ends_with(
            "a.ftl\tm1\t000000000003\t000000000004\n\
             b.ftl\tm1\t000000000001\t000000000002\n\
             b.ftl\tm2\t000000000005\t000000000006\n"
        ));
    }

    #[test]
    fn saving_writes_only_what_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nashr-l10n.lock");
        let mut lock = Lock::default();
        lock.observe("a.ftl", "m", 1, 2);
        assert!(lock.save(&path).unwrap(), "a new lock is written");
        // Loaded, looked at, nothing changed: not written.
        let mut again = Lock::load(&path).unwrap();
        assert_eq!(again.observe("a.ftl", "m", 1, 2), Freshness::Current);
        assert!(!again.save(&path).unwrap());
        // A conflict marker left by a merge is dropped by the next save.
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{text}<<<<<<< HEAD\n")).unwrap();
        assert!(Lock::load(&path).unwrap().save(&path).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        // A translation edited: written.
        let mut edited = Lock::load(&path).unwrap();
        edited.observe("a.ftl", "m", 1, 3);
        assert!(edited.save(&path).unwrap());
        assert!(std::fs::read_to_string(&path).unwrap().contains("\t000000000003\n"));
    }
}
