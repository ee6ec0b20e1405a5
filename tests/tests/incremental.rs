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
    std::thread::sleep(std::time::Duration::from_millis(20));
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
    std::thread::sleep(std::time::Duration::from_millis(20));
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
    std::thread::sleep(std::time::Duration::from_millis(20));
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
    let dir = corpus(40);
    let root = dir.path();
    nashr_at(root, &["build"]);
    let before = snapshot(&root.join("public"));
    std::thread::sleep(std::time::Duration::from_millis(20));
    // Article 30 is not among the 20 newest, so not in the feed: only its page shows it.
    let catalog = root.join("locales/fa/articles/article-00030.ftl");
    let text = std::fs::read_to_string(&catalog).unwrap();
    let line = text.lines().find(|l| l.starts_with("intro-p1 = ")).unwrap().to_string();
    std::fs::write(&catalog, text.replacen(&line, &format!("{line} (ویرایش‌شده)"), 1)).unwrap();
    let run = nashr_at(root, &["build"]);
    assert!(
        run.output.contains("pages rendered again"),
        "not incremental: {}",
        run.output
    );
    assert_eq!(
        changed(&before, &snapshot(&root.join("public"))),
        ["fa/article-00030/index.html"]
    );
    let page = std::fs::read_to_string(root.join("public/fa/article-00030/index.html")).unwrap();
    assert!(page.contains("(ویرایش\u{200C}شده)"), "ZWNJ kept");
    assert_same_as_full_build(root);
}

#[test]
fn a_no_op_rebuild_reads_the_state_and_writes_nothing() {
    let dir = corpus(12);
    let root = dir.path();
    // Inputs modified just before a build are recorded as "look again" (see
    // `nashr_render::incremental`): let the generated files age first.
    std::thread::sleep(std::time::Duration::from_millis(150));
    nashr_at(root, &["build"]);
    assert!(root.join(nashr_render::incremental::STATE_FILE).is_file());
    let before = snapshot(&root.join("public"));
    let run = nashr_at(root, &["build"]);
    assert!(run.output.contains("nothing changed"), "{}", run.output);
    assert!(run.output.contains(" 0 files written"), "{}", run.output);
    assert_eq!(changed(&before, &snapshot(&root.join("public"))), Vec::<String>::new());
}

#[test]
fn a_listing_template_change_rerenders_the_pages_using_it() {
    let sample = Sample::new();
    build(&sample);
    let before = snapshot(&sample.public());
    std::thread::sleep(std::time::Duration::from_millis(20));
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
    std::thread::sleep(std::time::Duration::from_millis(20));
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

    std::thread::sleep(std::time::Duration::from_millis(20));
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
