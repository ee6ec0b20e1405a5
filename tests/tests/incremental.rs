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
