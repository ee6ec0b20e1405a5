//! `Site::load` then `build` on a copy of the repository's sample project.

use std::path::Path;

use nashr_site::{BuildSettings, Site, SyncedFile};

/// A copy of the sample project (at the repository's root).
fn sample() -> tempfile::TempDir {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().expect("temp dir");
    for item in ["nashr.toml", "content", "locales", "templates", "static"] {
        copy(&repo.join(item), &dir.path().join(item));
    }
    dir
}

/// Copies `from` to `to`, every file and directory an hour old: the incremental state does
/// not trust the time of anything modified while a build runs.
fn copy(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in std::fs::read_dir(from).expect("read dir") {
            let entry = entry.expect("entry");
            copy(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::copy(from, to).expect("copy");
    }
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let handle = if from.is_dir() {
        std::fs::File::open(to)
    } else {
        std::fs::File::options().write(true).open(to)
    };
    handle.and_then(|f| f.set_modified(an_hour_ago)).expect("set the time");
}

#[test]
fn a_second_build_finds_nothing_to_do() {
    let dir = sample();
    let first = Site::load(dir.path(), BuildSettings::new())
        .and_then(|site| site.build(&|_, _, _| {}))
        .expect("first build");
    assert!(!first.nothing_changed);
    assert!(!first.written.is_empty());
    assert_eq!(first.out_dir, dir.path().join("public"));
    assert!(first.stale.values().all(|s| s.is_empty()), "{:?}", first.stale);

    let second = Site::load(dir.path(), BuildSettings::new())
        .and_then(|site| site.build(&|_, _, _| {}))
        .expect("second build");
    assert!(second.nothing_changed);
    assert_eq!(second.articles, first.articles);
    assert!(second.written.is_empty());
}

#[test]
fn sync_first_writes_the_catalogs_even_when_nobody_listens() {
    let dir = sample();
    let catalog = dir.path().join("locales/en/articles/acupuncture.ftl");
    std::fs::remove_file(&catalog).expect("remove a source catalog");

    // Told about each file...
    let mut site = Site::load(dir.path(), BuildSettings::new().sync_first(true)).expect("load");
    let mut updated = Vec::new();
    site.sync_catalogs(&mut |change| {
        if let SyncedFile::Updated(p) = change {
            updated.push(p.to_path_buf());
        }
    })
    .expect("sync");
    assert_eq!(updated, [Path::new("locales/en/articles/acupuncture.ftl")]);
    let report = site.build(&|_, _, _| {}).expect("build");
    assert!(!report.catalogs_out_of_date);

    // ...or not: the build syncs first all the same.
    std::fs::remove_file(&catalog).expect("remove it again");
    let site = Site::load(dir.path(), BuildSettings::new().sync_first(true)).expect("load");
    site.build(&|_, _, _| {}).expect("build");
    assert!(catalog.is_file());
}
