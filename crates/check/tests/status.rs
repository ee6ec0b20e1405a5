//! Every status category on fixture trees, and stale detection through the lock file.

use std::path::{Path, PathBuf};

use nashr_check::status::{FileState, LocaleStatus, accept, status};
use nashr_check::tree::{LOCK_FILE, dir_trees};

struct Trees {
    _dir: tempfile::TempDir,
    en: PathBuf,
    fa: PathBuf,
}

impl Trees {
    fn new() -> Trees {
        let dir = tempfile::tempdir().expect("temp dir");
        let (en, fa) = (dir.path().join("en"), dir.path().join("fa"));
        write(
            &en.join("app.ftl"),
            "a = Book\nb = OK\nc = Three more words\nd = Massage therapy\n",
        );
        write(&en.join("sub/second.ftl"), "s1 = One two\ns2 = Three\n");
        write(
            &fa.join("app.ftl"),
            "a = کتاب\nb = OK\nd = ماساژدرمانی\ne = پیام قدیمی\n",
        );
        write(&fa.join("old.ftl"), "old = قدیمی\n");
        Trees { _dir: dir, en, fa }
    }

    fn status(&self) -> LocaleStatus {
        let trees = dir_trees(&self.en, std::slice::from_ref(&self.fa), None).expect("trees");
        status(&trees).expect("status").remove(0)
    }

    fn accept(&self, ids: &[String]) -> Vec<(String, String)> {
        let trees = dir_trees(&self.en, std::slice::from_ref(&self.fa), None).expect("trees");
        accept(&trees[0], ids).expect("accept")
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn file<'a>(s: &'a LocaleStatus, name: &str) -> &'a nashr_check::status::FileStatus {
    s.files
        .iter()
        .find(|f| f.file.ends_with(name))
        .unwrap_or_else(|| panic!("no row for {name}"))
}

#[test]
fn every_category_is_counted() {
    let t = Trees::new();
    let s = t.status();
    let app = file(&s, "app.ftl");
    assert_eq!(app.state, FileState::Present);
    assert_eq!(
        (
            app.counts.total,
            app.counts.translated,
            app.counts.identical,
            app.counts.missing
        ),
        (4, 2, 1, 1)
    );
    assert_eq!((app.counts.stale, app.counts.obsolete), (0, 1));
    assert_eq!(app.missing_ids, ["c"]);
    assert_eq!(app.identical_ids, ["b"]);
    assert_eq!(app.obsolete_ids, ["e"]);
    assert_eq!(app.counts.missing_words, 3);
    assert_eq!(app.counts.words, 1 + 1 + 3 + 2);

    let second = file(&s, "sub/second.ftl");
    assert_eq!(second.state, FileState::MissingFile);
    assert_eq!((second.counts.missing, second.counts.missing_words), (2, 3));

    let old = file(&s, "old.ftl");
    assert_eq!(old.state, FileState::ObsoleteFile);
    assert_eq!(old.obsolete_ids, ["old"]);

    assert_eq!((s.total.total, s.total.missing, s.total.obsolete), (6, 3, 2));
    assert_eq!(s.total.percent_done(), 50);
    assert!(t.fa.join(LOCK_FILE).is_file(), "the lock file is written");
}

#[test]
fn a_source_change_makes_the_translation_stale_until_it_is_edited() {
    let t = Trees::new();
    assert_eq!(t.status().total.stale, 0);

    write(
        &t.en.join("app.ftl"),
        "a = Book\nb = OK\nc = Three more words\nd = Massage and manual therapy\n",
    );
    for _ in 0..2 {
        // Stale on every look, not only the first: the lock keeps the old fingerprint.
        let s = t.status();
        let app = file(&s, "app.ftl");
        assert_eq!(app.stale_ids, ["d"]);
        assert_eq!(
            (app.counts.stale, app.counts.stale_words, app.counts.translated),
            (1, 4, 1)
        );
    }

    // A syntax error elsewhere in the translation does not make nashr forget.
    write(
        &t.fa.join("app.ftl"),
        "a = کتاب {\nb = OK\nd = ماساژدرمانی\ne = پیام قدیمی\n",
    );
    assert_eq!(file(&t.status(), "app.ftl").stale_ids, ["d"]);

    // The translator updates the translation: current again.
    write(
        &t.fa.join("app.ftl"),
        "a = کتاب\nb = OK\nd = ماساژ و درمان دستی\ne = پیام قدیمی\n",
    );
    let s = t.status();
    assert_eq!(file(&s, "app.ftl").counts.stale, 0);
    assert_eq!(file(&s, "app.ftl").counts.translated, 2);
}

#[test]
fn accept_marks_a_stale_translation_current_without_editing_it() {
    let t = Trees::new();
    t.status();
    write(
        &t.en.join("app.ftl"),
        "a = A book\nb = OK\nc = Three more words\nd = Massage\n",
    );
    assert_eq!(file(&t.status(), "app.ftl").stale_ids, ["a", "d"]);
    assert_eq!(t.accept(&["d".into()]), [("app.ftl".to_string(), "d".to_string())]);
    assert_eq!(file(&t.status(), "app.ftl").stale_ids, ["a"]);
    assert_eq!(t.accept(&[]).len(), 1);
    assert_eq!(t.status().total.stale, 0);
}

#[test]
fn removed_messages_leave_the_lock() {
    let t = Trees::new();
    t.status();
    let lock = std::fs::read_to_string(t.fa.join(LOCK_FILE)).expect("lock");
    assert!(lock.contains("app.ftl\td\t"), "{lock}");
    write(&t.en.join("app.ftl"), "a = Book\nb = OK\nc = Three more words\n");
    t.status();
    let lock = std::fs::read_to_string(t.fa.join(LOCK_FILE)).expect("lock");
    assert!(!lock.contains("app.ftl\td\t"), "{lock}");
    assert!(lock.contains("app.ftl\ta\t"), "{lock}");
}
