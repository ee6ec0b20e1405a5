//! Broken input: every problem is reported with its file, line and column and the offending
//! line, the exit code is 1, and nothing in the output directory is touched.

use nashr_tests::{Run, Sample, changed, snapshot};

/// Builds the intact sample once, breaks it with `edit`, builds again, and checks the report.
fn broken(edit: impl FnOnce(&Sample)) -> (Sample, Run) {
    broken_with(edit, &["build"])
}

/// [`broken`] with a full build, which checks images and links on the parse it renders from
/// (an incremental build checks them when it loads the changed articles).
fn broken_full(edit: impl FnOnce(&Sample)) -> (Sample, Run) {
    broken_with(edit, &["build", "--full"])
}

fn broken_with(edit: impl FnOnce(&Sample), build: &[&str]) -> (Sample, Run) {
    let sample = Sample::new();
    assert_eq!(sample.nashr(&["build"]).code, 0);
    let before = snapshot(&sample.public());
    edit(&sample);
    let run = sample.nashr(build);
    assert_eq!(run.code, 1, "bad input must exit 1:\n{}", run.output);
    assert!(run.output.contains("nothing was written"), "{}", run.output);
    assert_eq!(
        changed(&before, &snapshot(&sample.public())),
        Vec::<String>::new(),
        "a failed build touched public/"
    );
    assert!(!run.output.contains("panicked"), "{}", run.output);
    (sample, run)
}

/// Makes the acupuncture article link to `@/physio-vs-massage`, which does not exist.
fn break_a_link(s: &Sample) {
    s.replace(
        "content/acupuncture/index.md",
        "(@/physiotherapy-vs-massage)",
        "(@/physio-vs-massage)",
    );
}

fn assert_broken_link(run: &Run) {
    assert!(
        run.output
            .contains("`@/physio-vs-massage` links to an article that does not exist"),
        "{}",
        run.output
    );
}

fn assert_points_at(run: &Run, location: &str, line_text: &str) {
    assert!(
        run.output.contains(&format!("[{location}")),
        "expected {location} in:\n{}",
        run.output
    );
    assert!(
        run.output.contains(line_text),
        "expected the offending line {line_text:?} in:\n{}",
        run.output
    );
}

#[test]
fn unknown_front_matter_field() {
    let (_, run) = broken(|s| s.replace("content/acupuncture/index.md", "reviewed_by =", "reviwed_by ="));
    assert_points_at(
        &run,
        "content/acupuncture/index.md:6:1",
        "reviwed_by = \"Pt. Ahmad Rezvani\"",
    );
    assert!(run.output.contains("unknown field `reviwed_by`"), "{}", run.output);
    assert!(run.output.contains("did you mean `reviewed_by`?"), "{}", run.output);
    // One typo is one error: articles linking to this one are not reported as broken links.
    assert!(run.output.contains("1 error in the input"), "{}", run.output);
}

#[test]
fn malformed_toml_front_matter() {
    let (_, run) = broken(|s| s.replace("content/acupuncture/index.md", "date = 2026-11-10", "date = 2026-13-45"));
    assert_points_at(&run, "content/acupuncture/index.md:4:8", "date = 2026-13-45");
}

#[test]
fn malformed_yaml_front_matter() {
    let (_, run) = broken(|s| s.replace("content/benefits-of-physiotherapy/index.md", "tags: [", "tags: [[["));
    assert!(
        run.output.contains("content/benefits-of-physiotherapy/index.md:"),
        "{}",
        run.output
    );
    assert!(run.output.contains("tags: [[["), "{}", run.output);
}

#[test]
fn yaml_date_that_is_not_a_date() {
    let (_, run) = broken(|s| {
        s.replace(
            "content/benefits-of-physiotherapy/index.md",
            "date: 2026-09-02",
            "date: next tuesday",
        )
    });
    assert_points_at(
        &run,
        "content/benefits-of-physiotherapy/index.md:4:7",
        "date: next tuesday",
    );
    assert!(run.output.contains("write it as YYYY-MM-DD"), "{}", run.output);
}

#[test]
fn fluent_syntax_error() {
    let (_, run) = broken(|s| {
        let mut text = s.read("locales/fa/site.ftl");
        text.push_str("broken-message = { $name\n");
        s.write("locales/fa/site.ftl", &text);
    });
    let line = nashr_tests::repo_root().join("locales/fa/site.ftl");
    let n = std::fs::read_to_string(line).unwrap().lines().count() + 1;
    assert_points_at(&run, &format!("locales/fa/site.ftl:{n}:1"), "broken-message = { $name");
    assert!(run.output.contains("Fluent syntax error"), "{}", run.output);
}

#[test]
fn duplicate_message_id() {
    let (_, run) = broken(|s| {
        let mut text = s.read("locales/en/site.ftl");
        text.push_str("nav-topics = Topics again\n");
        s.write("locales/en/site.ftl", &text);
    });
    assert!(
        run.output.contains("`nav-topics` is defined more than once"),
        "{}",
        run.output
    );
    assert!(run.output.contains("nav-topics = Topics again"), "{}", run.output);
}

#[test]
fn template_error() {
    let (_, run) = broken(|s| s.replace("templates/tags.html", "{% block main %}", "{% block main %}{% if %}"));
    assert_points_at(&run, "templates/tags.html:3:", "{% block main %}{% if %}");
}

#[test]
fn template_asks_for_a_message_no_locale_has() {
    let (_, run) = broken(|s| {
        s.replace(
            "templates/article.html",
            "t(\"article-topics\")",
            "t(\"article-topicz\")",
        )
    });
    assert!(
        run.output.contains("no locale defines the message `article-topicz`"),
        "{}",
        run.output
    );
    assert_points_at(&run, "templates/article.html:", "t(\"article-topicz\")");
}

#[test]
fn missing_referenced_image() {
    let (_, run) = broken(|s| std::fs::remove_file(s.path("content/physiotherapy-vs-massage/comparison.svg")).unwrap());
    assert!(
        run.output
            .contains("the image `comparison.svg` does not exist next to the article"),
        "{}",
        run.output
    );
    assert!(
        run.output.contains("content/physiotherapy-vs-massage/index.md:"),
        "{}",
        run.output
    );
    assert!(run.output.contains("](comparison.svg)"), "{}", run.output);
}

#[test]
fn missing_referenced_image_in_a_full_build() {
    let (_, run) =
        broken_full(|s| std::fs::remove_file(s.path("content/physiotherapy-vs-massage/comparison.svg")).unwrap());
    assert!(
        run.output
            .contains("the image `comparison.svg` does not exist next to the article"),
        "{}",
        run.output
    );
    assert!(run.output.contains("](comparison.svg)"), "{}", run.output);
    assert!(run.output.contains("1 error in the input"), "{}", run.output);
}

#[test]
fn missing_hero_image() {
    let (_, run) = broken(|s| std::fs::remove_file(s.path("content/acupuncture/hero.svg")).unwrap());
    assert_points_at(&run, "content/acupuncture/index.md:8:1", "hero = { src = \"hero.svg\"");
}

#[test]
fn link_to_an_article_that_does_not_exist() {
    let (_, run) = broken(break_a_link);
    assert_broken_link(&run);
}

#[test]
fn link_to_an_article_that_does_not_exist_in_a_full_build() {
    let (_, run) = broken_full(break_a_link);
    assert_broken_link(&run);
    assert!(run.output.contains("content/acupuncture/index.md:"), "{}", run.output);
    assert!(run.output.contains("1 error in the input"), "{}", run.output);
}

#[test]
fn a_draft_that_links_to_an_article_that_does_not_exist_in_a_full_build() {
    // A draft is not rendered: its links are checked before anything is written, from its
    // own parse.
    let (_, run) = broken_full(|s| {
        s.replace(
            "content/acupuncture/index.md",
            "title = \"Acupuncture",
            "status = \"draft\"\ntitle = \"Acupuncture",
        );
        break_a_link(s)
    });
    assert_broken_link(&run);
    assert!(run.output.contains("1 error in the input"), "{}", run.output);
}

#[test]
fn several_problems_are_reported_together_in_a_full_build() {
    // (A front matter error and a missing image together: `several_problems_are_reported_together`.)
    // Both problems of one rendered article: the image and the link.
    let (_, run) = broken_full(|s| {
        break_a_link(s);
        std::fs::remove_file(s.path("content/physiotherapy-vs-massage/comparison.svg")).unwrap();
    });
    assert!(run.output.contains("2 errors in the input"), "{}", run.output);
}

#[test]
fn several_problems_are_reported_together() {
    // In an incremental build, and in a full one, where a front matter error stops the build
    // before rendering: the image is checked at load with it.
    for build in [&["build"][..], &["build", "--full"]] {
        let (_, run) = broken_with(
            |s| {
                s.replace("content/acupuncture/index.md", "reviewed_by =", "reviwed_by =");
                std::fs::remove_file(s.path("content/physiotherapy-vs-massage/comparison.svg")).unwrap();
            },
            build,
        );
        assert!(run.output.contains("2 errors in the input"), "{}", run.output);
    }
}

#[test]
fn bad_configuration() {
    let (_, run) = broken(|s| s.replace("nashr.toml", "per_page = 2", "per_page = 2\nper_pgae = 3"));
    assert_points_at(&run, "nashr.toml:", "per_pgae = 3");
}

#[test]
fn usage_and_environment_errors_exit_2() {
    let sample = Sample::new();
    assert_eq!(sample.nashr(&["frobnicate"]).code, 2);
    assert_eq!(sample.nashr(&["build", "--no-such-flag"]).code, 2);
    let empty = tempfile::tempdir().unwrap();
    let run = nashr_tests::run(vec![
        "nashr".into(),
        "build".into(),
        "--root".into(),
        empty.path().into(),
    ]);
    assert_eq!(run.code, 2, "{}", run.output);
    assert!(run.output.contains("nashr.toml not found"), "{}", run.output);
    assert_eq!(nashr_tests::run(vec!["nashr".into(), "--help".into()]).code, 0);
}

#[test]
fn static_file_that_would_replace_a_page() {
    let (_, run) = broken(|s| {
        std::fs::create_dir_all(s.path("static/en")).unwrap();
        s.write("static/en/index.html", "<p>mine</p>");
    });
    assert!(
        run.output
            .contains("static/en/index.html: would replace the generated `en/index.html`"),
        "{}",
        run.output
    );
}

#[test]
fn unknown_calendar_in_the_configuration() {
    let (_, run) = broken(|s| {
        s.replace(
            "nashr.toml",
            "fallback = [\"en\"]\n",
            "fallback = [\"en\"]\ncalendar = \"mayan\"\n",
        )
    });
    assert_points_at(&run, "nashr.toml:17:12", "calendar = \"mayan\"");
    assert!(run.output.contains("unknown variant `mayan`"), "{}", run.output);
    assert!(run.output.contains("`persian`"), "{}", run.output);
}

#[test]
fn unknown_digits_in_the_configuration() {
    let (_, run) = broken(|s| {
        s.replace(
            "nashr.toml",
            "fallback = [\"en\"]\n",
            "fallback = [\"en\"]\ndigits = \"roman\"\n",
        )
    });
    assert_points_at(&run, "nashr.toml:17:10", "digits = \"roman\"");
    assert!(run.output.contains("`arabext`"), "{}", run.output);
}

#[test]
fn a_front_matter_slug_that_is_not_a_slug() {
    let (_, run) = broken(|s| {
        s.replace(
            "content/acupuncture/index.md",
            "date = 2026-11-10",
            "date = 2026-11-10\nslug = \"طب سوزنی\"",
        )
    });
    assert_points_at(&run, "content/acupuncture/index.md:5:1", "slug = \"طب سوزنی\"");
    assert!(run.output.contains("slug = \"طب-سوزنی\""), "{}", run.output);
}

/// A first build (no output directory yet) writes into a hidden sibling directory renamed into
/// place at the end: when rendering fails half way (a broken Persian catalog is found when its
/// article is rendered), there is no `public/` and no half-built directory left behind.
#[test]
fn a_failed_first_build_leaves_no_output_directory() {
    let sample = Sample::new();
    assert!(!sample.public().exists());
    sample.replace(
        "locales/fa/articles/acupuncture.ftl",
        "\ntitle = ",
        "\ntitle = { $\nbroken = ",
    );
    let run = sample.nashr(&["build"]);
    assert_eq!(run.code, 1, "bad input must exit 1:\n{}", run.output);
    assert!(
        run.output.contains("locales/fa/articles/acupuncture.ftl"),
        "{}",
        run.output
    );
    let leftovers = |s: &Sample| -> Vec<String> {
        std::fs::read_dir(s.root())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("public"))
            .collect()
    };
    assert_eq!(leftovers(&sample), Vec::<String>::new(), "{}", run.output);
    // Fixed, the same first build puts the whole site in place and nothing else.
    sample.replace(
        "locales/fa/articles/acupuncture.ftl",
        "\ntitle = { $\nbroken = ",
        "\ntitle = ",
    );
    let run = sample.nashr(&["build"]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(sample.public().join("fa/acupuncture/index.html").is_file());
    assert_eq!(leftovers(&sample), vec!["public".to_string()]);
}

/// The English article catalogs are written by `nashr l10n sync`, and the build reads them
/// only for their ids; one broken by hand is still an error with its place, not a silently
/// misaligned page.
#[test]
fn broken_source_catalog() {
    let (_, run) = broken(|s| {
        s.replace(
            "locales/en/articles/acupuncture.ftl",
            "\nintro-p1 = ",
            "\nintro-p1 = { $\nbroken = ",
        )
    });
    assert!(
        run.output.contains("locales/en/articles/acupuncture.ftl:"),
        "{}",
        run.output
    );
    assert!(run.output.contains("Fluent syntax error"), "{}", run.output);
}
