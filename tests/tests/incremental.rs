//! Output files are written only when their bytes change, and only the pages that depend on
//! an edit change.

use nashr_tests::{Sample, changed, snapshot};

fn build(sample: &Sample) {
    let run = sample.nashr(&["build"]);
    assert_eq!(run.code, 0, "{}", run.output);
}

#[test]
fn second_build_rewrites_nothing() {
    let sample = Sample::new();
    build(&sample);
    let before = snapshot(&sample.public());
    assert!(before.len() > 30);
    let run = sample.nashr(&["build"]);
    assert_eq!(run.code, 0);
    assert!(run.output.contains(" 0 files written"), "{}", run.output);
    assert_eq!(changed(&before, &snapshot(&sample.public())), Vec::<String>::new());
}

#[test]
fn one_translation_changes_only_the_pages_that_show_it() {
    let sample = Sample::new();
    build(&sample);
    let before = snapshot(&sample.public());
    // A body paragraph: shown on the article page and, as full content, in the feed.
    let catalog = "locales/fa/articles/acupuncture.ftl";
    let line = sample.line_starting(catalog, "intro-p1 = ");
    sample.replace(catalog, &line, &format!("{line} (ویرایش شد)"));
    build(&sample);
    assert_eq!(
        changed(&before, &snapshot(&sample.public())),
        ["fa/acupuncture/index.html", "fa/atom.xml"]
    );
    assert!(sample.read("public/fa/acupuncture/index.html").contains("(ویرایش شد)"));

    // A title is also on the index, topic pages and the feed, but only in Persian.
    let before = snapshot(&sample.public());
    let line = sample.line_starting(catalog, "title = ");
    sample.replace(catalog, &line, &format!("{line}!"));
    build(&sample);
    let changed = changed(&before, &snapshot(&sample.public()));
    assert!(changed.iter().all(|f| f.starts_with("fa/")), "{changed:?}");
    assert!(
        changed.contains(&"fa/index.html".to_string())
            && changed.contains(&"fa/tags/acupuncture/index.html".to_string()),
        "{changed:?}"
    );
}

#[test]
fn removed_article_disappears_from_the_output() {
    let sample = Sample::new();
    build(&sample);
    std::fs::write(sample.public().join("mine.txt"), "a file the user put there").unwrap();
    std::fs::remove_dir_all(sample.path("content/acupuncture")).unwrap();
    for other in ["physiotherapy-vs-massage", "benefits-of-physiotherapy"] {
        let path = format!("content/{other}/index.md");
        let text = sample
            .read(&path)
            .replace("[acupuncture](@/acupuncture)", "acupuncture");
        sample.write(&path, &text);
    }
    let run = sample.nashr(&["build"]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(!sample.public().join("en/acupuncture").exists());
    assert!(!sample.public().join("fa/acupuncture/hero.svg").exists());
    assert!(!sample.public().join("en/tags/acupuncture").exists());
    // Files nashr did not write are left alone.
    assert!(sample.public().join("mine.txt").exists());
}

#[test]
fn out_flag_builds_elsewhere_and_leaves_public_alone() {
    let sample = Sample::new();
    let elsewhere = sample.path("preview");
    let run = sample.nashr(&["build", "--out", elsewhere.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(elsewhere.join("fa/physiotherapy-vs-massage/index.html").is_file());
    assert!(
        !sample.public().exists(),
        "--out replaces the configured output directory"
    );
}

/// Every file under `dir` with its bytes (the manifest and dot-files excluded).
fn contents(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    nashr_content::fs::walk_files(dir)
        .unwrap()
        .into_iter()
        .map(|p| (nashr_content::fs::relative_slash(&p, dir), std::fs::read(&p).unwrap()))
        .collect()
}

/// A generated bilingual corpus (see `nashr_tests::corpus`) of `n` articles in a temporary
/// directory.
fn corpus(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    nashr_tests::corpus::write_nashr(dir.path(), &nashr_tests::repo_root(), n).unwrap();
    // Files modified within 100 ms of a build are recorded without their times and looked
    // at again by the next build (the racy-clean rule): the corpus is dated long before, so
    // the tests see exactly what one edit makes the next build render.
    nashr_tests::backdate(dir.path());
    dir
}

fn nashr_at(root: &std::path::Path, args: &[&str]) -> nashr_tests::Run {
    let mut all: Vec<std::ffi::OsString> = vec!["nashr".into()];
    all.extend(args.iter().map(std::ffi::OsString::from));
    all.push("--root".into());
    all.push(root.into());
    let run = nashr_tests::run(all);
    assert_eq!(run.code, 0, "{}", run.output);
    run
}

/// The incremental build's result is exactly a full build's.
fn assert_same_as_full_build(root: &std::path::Path) {
    let full = root.join("full-build");
    nashr_at(root, &["build", "--full", "--out", full.to_str().unwrap()]);
    let (a, b) = (contents(&root.join("public")), contents(&full));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the incremental and the full build have different files"
    );
    for (path, bytes) in &a {
        assert!(
            bytes == &b[path],
            "{path} differs between the incremental and the full build"
        );
    }
    std::fs::remove_dir_all(full).unwrap();
}

#[test]
fn one_persian_paragraph_rerenders_one_page_and_equals_a_full_build() {
    let dir = corpus(50);
    let root = dir.path();
    nashr_at(root, &["build"]);
    let before = snapshot(&root.join("public"));
    // Article 45 is not among the 20 newest, so not in the feed: only its page shows it. Nor
    // among the 40 newest, whose bodies the feed file keeps.
    let catalog = root.join("locales/fa/articles/article-00045.ftl");
    let text = std::fs::read_to_string(&catalog).unwrap();
    let line = text.lines().find(|l| l.starts_with("intro-p1 = ")).unwrap().to_string();
    std::fs::write(&catalog, text.replacen(&line, &format!("{line} (ویرایش‌شده)"), 1)).unwrap();
    let saved = state_files(root);
    let run = nashr_at(root, &["build"]);
    // Exactly its page in both languages: not the articles linking to it (its live status
    // cannot change with a catalog), not the feed articles, no listing.
    assert!(
        run.output.contains("(2 pages rendered again"),
        "not 2 pages: {}",
        run.output
    );
    assert_eq!(
        changed(&before, &snapshot(&root.join("public"))),
        ["fa/article-00045/index.html"]
    );
    // No card changed: the cards and feed files are not rewritten (the state is, with the new
    // time of the catalog).
    let now = state_files(root);
    assert_eq!(now[CARDS], saved[CARDS]);
    assert_eq!(now[FEED], saved[FEED]);
    assert_ne!(now[STATE], saved[STATE]);
    let page = std::fs::read_to_string(root.join("public/fa/article-00045/index.html")).unwrap();
    assert!(page.contains("(ویرایش\u{200C}شده)"), "ZWNJ kept");
    assert_same_as_full_build(root);
}

#[test]
fn a_no_op_rebuild_reads_the_state_and_writes_nothing() {
    let dir = corpus(12);
    let root = dir.path();
    nashr_at(root, &["build"]);
    assert!(root.join(nashr_render::incremental::STATE_FILE).is_file());
    let before = snapshot(&root.join("public"));
    let saved = state_files(root);
    let run = nashr_at(root, &["build"]);
    assert!(run.output.contains("nothing changed"), "{}", run.output);
    assert!(run.output.contains(" 0 files written"), "{}", run.output);
    assert_eq!(changed(&before, &snapshot(&root.join("public"))), Vec::<String>::new());
    assert_eq!(state_files(root), saved, "the state was written again");
}

const STATE: usize = 0;
const CARDS: usize = 1;
const FEED: usize = 2;

/// The bytes and modification times of the state, cards and feed files.
fn state_files(root: &std::path::Path) -> Vec<(Vec<u8>, std::time::SystemTime)> {
    use nashr_render::incremental::{CARDS_FILE, FEED_FILE, STATE_FILE};
    [STATE_FILE, CARDS_FILE, FEED_FILE]
        .iter()
        .map(|f| {
            let path = root.join(f);
            let time = std::fs::metadata(&path).unwrap().modified().unwrap();
            (std::fs::read(&path).unwrap(), time)
        })
        .collect()
}

/// Replaces the `intro-p1` message of an article's Persian catalog with `text`.
fn edit_intro(root: &std::path::Path, slug: &str, text: &str) {
    let catalog = root.join(format!("locales/fa/articles/{slug}.ftl"));
    let old = std::fs::read_to_string(&catalog).unwrap();
    let line = old.lines().find(|l| l.starts_with("intro-p1 = ")).unwrap().to_string();
    std::fs::write(&catalog, old.replacen(&line, &format!("intro-p1 = {text}"), 1)).unwrap();
}

/// What the next build plans to do, as `nashr build` would.
fn plan_of(root: &std::path::Path) -> nashr_render::incremental::Plan {
    let config = nashr_content::Config::load(root).unwrap();
    let options = nashr_render::BuildOptions {
        out_dir: root.join("public"),
        render: nashr_render::RenderOptions::at(jiff::Timestamp::now()),
        state: Some(root.join(nashr_render::incremental::STATE_FILE)),
        started: std::time::SystemTime::now(),
        check: None,
    };
    nashr_render::incremental::plan(root, &config, &options).unwrap()
}

#[test]
fn a_feed_article_paragraph_rerenders_its_pages_and_its_feed() {
    let dir = corpus(40);
    let root = dir.path();
    nashr_at(root, &["build"]);
    let before = snapshot(&root.join("public"));
    let saved = state_files(root);
    // Article 3 is among the 20 newest: the Persian feed carries its body.
    edit_intro(root, "article-00003", "بند تازه برای خبرنامه");
    let run = nashr_at(root, &["build"]);
    assert!(
        run.output.contains("(3 pages rendered again"),
        "its 2 pages and the Persian feed: {}",
        run.output
    );
    assert_eq!(
        changed(&before, &snapshot(&root.join("public"))),
        ["fa/article-00003/index.html", "fa/atom.xml"]
    );
    let feed = std::fs::read_to_string(root.join("public/fa/atom.xml")).unwrap();
    assert!(feed.contains("بند تازه برای خبرنامه"), "the feed has the new body");
    let now = state_files(root);
    assert_eq!(now[CARDS], saved[CARDS], "no card changed");
    assert_ne!(now[FEED].0, saved[FEED].0, "the feed file holds the new body");
    assert_same_as_full_build(root);

    // The next edit of another feed article takes the first one's body from the feed file.
    edit_intro(root, "article-00005", "بند دیگر");
    nashr_at(root, &["build"]);
    let feed = std::fs::read_to_string(root.join("public/fa/atom.xml")).unwrap();
    assert!(feed.contains("بند دیگر") && feed.contains("بند تازه برای خبرنامه"));
    assert_same_as_full_build(root);
}

#[test]
fn a_changed_card_rerenders_the_listings_that_show_it() {
    let dir = corpus(40);
    let root = dir.path();
    nashr_at(root, &["build"]);
    let before = snapshot(&root.join("public"));
    let saved = state_files(root);
    let catalog = root.join("locales/fa/articles/article-00030.ftl");
    let text = std::fs::read_to_string(&catalog).unwrap();
    let line = text.lines().find(|l| l.starts_with("title = ")).unwrap().to_string();
    std::fs::write(&catalog, text.replacen(&line, &format!("{line} تازه"), 1)).unwrap();
    nashr_at(root, &["build"]);
    let changed = changed(&before, &snapshot(&root.join("public")));
    assert!(changed.iter().all(|f| f.starts_with("fa/")), "{changed:?}");
    // Its page, the index page that lists it (10 a page, newest first: page 4) and its tag pages.
    assert!(
        changed.contains(&"fa/article-00030/index.html".to_string()),
        "{changed:?}"
    );
    assert!(changed.contains(&"fa/page/4/index.html".to_string()), "{changed:?}");
    assert!(changed.iter().any(|f| f.starts_with("fa/tags/")), "{changed:?}");
    assert!(
        !changed.contains(&"fa/atom.xml".to_string()),
        "not in the feed: {changed:?}"
    );
    assert_ne!(
        state_files(root)[CARDS].0,
        saved[CARDS].0,
        "the cards file has the new title"
    );
    assert_same_as_full_build(root);

    // The rewritten cards file is what the next build's listings start from.
    let text = std::fs::read_to_string(&catalog).unwrap();
    let line = text.lines().find(|l| l.starts_with("summary = ")).unwrap().to_string();
    std::fs::write(&catalog, text.replacen(&line, &format!("{line} دوباره"), 1)).unwrap();
    nashr_at(root, &["build"]);
    assert_same_as_full_build(root);
}

#[test]
fn unpublishing_the_newest_articles_refills_the_feeds() {
    // 60 articles: the feed file holds the bodies of the 40 newest. Unpublishing the 25
    // newest makes articles 40 to 44 feed entries, whose bodies it lacks: they are rendered.
    let dir = corpus(60);
    let root = dir.path();
    // Without links between articles: no article is rendered again for linking to one that
    // moved, so only the feed's need brings articles 40 to 44 back.
    for file in nashr_content::fs::walk_files(root).unwrap() {
        if file.extension().is_some_and(|e| e == "md" || e == "ftl") {
            let text = std::fs::read_to_string(&file).unwrap();
            std::fs::write(&file, text.replace("](@/", "](https://elsewhere.example/")).unwrap();
        }
    }
    // Older than the racy window of the build's start, as `corpus` leaves its files.
    nashr_tests::backdate(root);
    nashr_at(root, &["build"]);
    for i in 0..25 {
        let index = root.join(format!("content/article-{i:05}/index.md"));
        let text = std::fs::read_to_string(&index).unwrap();
        std::fs::write(&index, text.replacen("+++\n", "+++\nstatus = \"draft\"\n", 1)).unwrap();
    }
    match plan_of(root) {
        nashr_render::incremental::Plan::Changed { articles, .. } => {
            let expected: std::collections::BTreeSet<String> =
                (0..25).chain(40..45).map(|i| format!("article-{i:05}")).collect();
            assert_eq!(articles, expected);
        }
        _ => panic!("not an incremental build"),
    }
    let run = nashr_at(root, &["build"]);
    assert!(run.output.contains("pages rendered again"), "{}", run.output);
    let entry = |i: usize| format!("<id>https://bench.example/en/article-{i:05}/</id>");
    let feed = std::fs::read_to_string(root.join("public/en/atom.xml")).unwrap();
    assert!(feed.contains(&entry(44)) && !feed.contains(&entry(24)));
    assert_same_as_full_build(root);

    // Published again: back to the first feeds.
    for i in 0..25 {
        let index = root.join(format!("content/article-{i:05}/index.md"));
        let text = std::fs::read_to_string(&index).unwrap();
        std::fs::write(&index, text.replacen("status = \"draft\"\n", "", 1)).unwrap();
    }
    nashr_at(root, &["build"]);
    let feed = std::fs::read_to_string(root.join("public/en/atom.xml")).unwrap();
    assert!(feed.contains(&entry(0)) && !feed.contains(&entry(20)));
    assert_same_as_full_build(root);
}

#[test]
fn a_corrupt_missing_or_old_state_means_a_full_build() {
    use nashr_render::incremental::{CARDS_FILE, FEED_FILE, Plan, STATE_FILE};
    let dir = corpus(12);
    let root = dir.path();
    let full_because = |root: &std::path::Path| match plan_of(root) {
        Plan::Full(why) => why,
        _ => panic!("not a full build"),
    };
    nashr_at(root, &["build"]);
    // Garbage, a truncated state, a truncated or missing cards or feed file.
    let state = std::fs::read(root.join(STATE_FILE)).unwrap();
    for (file, bytes) in [
        (STATE_FILE, b"not a state at all".to_vec()),
        (STATE_FILE, state[..state.len() / 2].to_vec()),
        (CARDS_FILE, std::fs::read(root.join(CARDS_FILE)).unwrap()[..40].to_vec()),
        (FEED_FILE, Vec::new()),
    ] {
        std::fs::write(root.join(file), bytes).unwrap();
        assert!(!full_because(root).is_empty());
        let run = nashr_at(root, &["build"]);
        assert!(!run.output.contains("pages rendered again"), "{}", run.output);
        assert!(
            matches!(plan_of(root), Plan::Nothing { .. }),
            "the full build wrote a good state"
        );
    }
    // Cards from another build (the state names the ones it goes with).
    let cards = std::fs::read(root.join(CARDS_FILE)).unwrap();
    nashr_at(root, &["build", "--full"]);
    std::fs::write(root.join(CARDS_FILE), cards).unwrap();
    assert_eq!(full_because(root), "the cards of the earlier build are missing");
    nashr_at(root, &["build"]);

    // The JSON state of earlier versions is not read, and removed.
    std::fs::remove_file(root.join(STATE_FILE)).unwrap();
    std::fs::write(root.join(".nashr/build-state.json"), "{\"format\":1}").unwrap();
    assert_eq!(full_because(root), "no earlier build to start from");
    nashr_at(root, &["build"]);
    assert!(!root.join(".nashr/build-state.json").exists());
    assert_same_as_full_build(root);
}

#[test]
fn a_second_edit_in_the_same_clock_tick_is_not_missed() {
    let dir = corpus(40);
    let root = dir.path();
    nashr_at(root, &["build"]);
    let catalog = root.join("locales/fa/articles/article-00030.ftl");
    // Two edits of the same size with the same modification time: as if both happened in one
    // clock tick, the first one just before a build. A time ahead of the build's is "just
    // now" to it.
    let tick = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    let set_time = || nashr_tests::set_modified(&catalog, tick);
    edit_intro(root, "article-00030", "نسخه الف");
    set_time();
    nashr_at(root, &["build"]);
    let page = || std::fs::read_to_string(root.join("public/fa/article-00030/index.html")).unwrap();
    assert!(page().contains("نسخه الف"));
    edit_intro(root, "article-00030", "نسخه جیم");
    set_time();
    let run = nashr_at(root, &["build"]);
    assert!(run.output.contains("pages rendered again"), "{}", run.output);
    assert!(page().contains("نسخه جیم"), "the second edit was missed");
    assert_same_as_full_build(root);
}

/// A full build, in-process, that says it started at `started` (the racy-time rule's clock).
fn build_started_at(root: &std::path::Path, started: std::time::SystemTime) {
    let project = nashr_content::Project::load(root).unwrap();
    let l10n = std::sync::Arc::new(nashr_l10n::Localizer::load(&project).unwrap());
    let options = nashr_render::BuildOptions {
        out_dir: root.join("public"),
        render: nashr_render::RenderOptions::at(jiff::Timestamp::now()),
        state: Some(root.join(nashr_render::incremental::STATE_FILE)),
        started,
        check: None,
    };
    nashr_render::build(&project, &l10n, &options, &|_, _, _| {}).unwrap();
}

#[test]
fn an_edit_saved_while_a_build_runs_is_seen_by_the_next_build() {
    use nashr_render::incremental::Plan;
    let dir = corpus(40);
    let root = dir.path();
    nashr_at(root, &["build"]);
    // A build starts; the translator saves a file a second after it began, so the build may
    // have read the file before the save. The times are set, on the corpus's clock (dated
    // `long_ago`): the save is long older than the racy window when the build writes its
    // state, so only the build's start tells that it may not have been seen.
    let hour = std::time::Duration::from_secs(3600);
    let started = nashr_tests::long_ago() + hour;
    edit_intro(root, "article-00030", "ذخیره در میانه‌ی ساخت");
    let catalog = root.join("locales/fa/articles/article-00030.ftl");
    nashr_tests::set_modified(&catalog, started + std::time::Duration::from_secs(1));
    build_started_at(root, started);
    match plan_of(root) {
        Plan::Changed { articles, .. } => {
            assert_eq!(articles.into_iter().collect::<Vec<_>>(), ["article-00030"]);
        }
        Plan::Nothing { .. } => panic!("the file saved during the build is not looked at again"),
        Plan::Full(why) => panic!("a full build ({why}), not the one article"),
    }
    // Nothing was saved during the next build: the one after it has nothing to do.
    nashr_at(root, &["build"]);
    assert!(matches!(plan_of(root), Plan::Nothing { .. }));
}

#[test]
fn a_ui_catalog_or_the_config_saved_while_a_build_runs_makes_the_next_build_full() {
    use nashr_render::incremental::Plan;
    for (file, edit) in [
        ("locales/fa/site.ftl", "\nsaved-during-the-build = ذخیره\n"),
        ("nashr.toml", "\n# saved during the build\n"),
    ] {
        let dir = corpus(10);
        let root = dir.path();
        nashr_at(root, &["build"]);
        // As above: the build starts an hour after the corpus's date and the file is saved a
        // second later, so the build may have read it before the save.
        let started = nashr_tests::long_ago() + std::time::Duration::from_secs(3600);
        let path = root.join(file);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(edit);
        std::fs::write(&path, text).unwrap();
        nashr_tests::set_modified(&path, started + std::time::Duration::from_secs(1));
        build_started_at(root, started);
        assert!(
            matches!(plan_of(root), Plan::Full(_)),
            "{file} saved during the build is not looked at again"
        );
        nashr_at(root, &["build"]);
        assert!(matches!(plan_of(root), Plan::Nothing { .. }), "{file}");
    }
}

#[test]
fn a_static_file_change_copies_it_and_renders_nothing() {
    // `Sample::new` dates the inputs long before the build: none is looked at again.
    let sample = Sample::new();
    build(&sample);
    let before = snapshot(&sample.public());
    sample.append("static/robots.txt", "# edited\n");
    let run = sample.nashr(&["build"]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(run.output.contains("(0 pages rendered again"), "{}", run.output);
    assert_eq!(changed(&before, &snapshot(&sample.public())), ["robots.txt"]);
    assert!(sample.read("public/robots.txt").ends_with("# edited\n"));
    assert_same_as_full_build(sample.root());
}

#[test]
fn a_listing_template_change_rerenders_the_pages_using_it() {
    let sample = Sample::new();
    build(&sample);
    let before = snapshot(&sample.public());
    sample.replace("templates/tag.html", "<h1>", "<h1 class=\"topic\">");
    let run = sample.nashr(&["build"]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(
        run.output.contains("pages rendered again"),
        "not incremental: {}",
        run.output
    );
    let changed = changed(&before, &snapshot(&sample.public()));
    assert!(!changed.is_empty());
    assert!(
        changed
            .iter()
            .all(|f| f.contains("/tags/") && f != "en/tags/index.html" && f != "fa/tags/index.html"),
        "{changed:?}"
    );
    // Every tag page, in both languages.
    let tag_pages = before
        .keys()
        .filter(|f| f.contains("/tags/") && f.matches('/').count() == 3)
        .count();
    assert_eq!(changed.len(), tag_pages, "{changed:?}");
    assert_same_as_full_build(sample.root());
}

#[test]
fn the_article_template_or_the_configuration_rerenders_everything() {
    let sample = Sample::new();
    build(&sample);
    let before = snapshot(&sample.public());
    sample.replace(
        "templates/article.html",
        "<article class=\"article\">",
        "<article class=\"article post\">",
    );
    build(&sample);
    let after = snapshot(&sample.public());
    let changed_pages = changed(&before, &after);
    let article_pages: Vec<&String> = before
        .keys()
        .filter(|f| {
            f.ends_with("/index.html") && !f.contains("/tags/") && !f.contains("/page/") && f.matches('/').count() == 2
        })
        .collect();
    assert!(!article_pages.is_empty());
    assert!(
        article_pages.iter().all(|p| changed_pages.contains(p)),
        "{changed_pages:?}"
    );

    sample.replace(
        "nashr.toml",
        "https://downtownphysio.example/",
        "https://clinic.example/",
    );
    build(&sample);
    let html: Vec<String> = after
        .keys()
        .filter(|f| f.ends_with(".html") || f.ends_with(".xml"))
        .cloned()
        .collect();
    let changed_now = changed(&after, &snapshot(&sample.public()));
    for page in &html {
        assert!(
            changed_now.contains(page),
            "{page} not rendered again after base_url changed"
        );
    }
    assert_same_as_full_build(sample.root());
}

#[test]
fn parallel_rendering_is_byte_identical_to_one_thread() {
    let dir = corpus(30);
    let project = nashr_content::Project::load(dir.path()).unwrap();
    let l10n = std::sync::Arc::new(nashr_l10n::Localizer::load(&project).unwrap());
    let options = nashr_render::RenderOptions::at(jiff::Timestamp::now());
    let render = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| nashr_render::render(&project, &l10n, &options, &|_, _, _| {}).unwrap())
    };
    let (one, many) = (render(1), render(4));
    assert!(one.outputs.len() > 60, "{}", one.outputs.len());
    assert_eq!(one.outputs.len(), many.outputs.len());
    for (a, b) in one.outputs.iter().zip(&many.outputs) {
        assert_eq!(a.path, b.path);
        assert!(a.bytes == b.bytes, "{} differs between 1 and 4 threads", a.path);
    }
    assert_eq!(one.warnings, many.warnings);
}
