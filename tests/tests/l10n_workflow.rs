//! The translator's workflow on the sample project: `nashr l10n status`, stale detection,
//! `nashr l10n lint` and `--fix`, through the CLI.

use nashr_tests::Sample;
use serde_json::Value;

const ARTICLE: &str = "content/physiotherapy-vs-massage/index.md";
const FA_CATALOG: &str = "locales/fa/articles/physiotherapy-vs-massage.ftl";

fn status_json(sample: &Sample) -> Value {
    let run = sample.nashr(&["l10n", "status", "fa", "--json"]);
    assert_eq!(run.code, 0, "{}", run.output);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// `(file, id)` of every stale translation in a status report.
fn stale(status: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for locale in status["locales"].as_array().expect("locales") {
        for file in locale["files"].as_array().expect("files") {
            for id in file["stale_ids"].as_array().expect("stale_ids") {
                out.push((
                    file["file"].as_str().expect("file").to_string(),
                    id.as_str().expect("id").to_string(),
                ));
            }
        }
    }
    out
}

#[test]
fn editing_one_english_paragraph_makes_exactly_that_segment_stale_until_it_is_retranslated() {
    let sample = Sample::new();
    assert!(stale(&status_json(&sample)).is_empty());

    sample.replace(
        ARTICLE,
        "trained in this field who",
        "trained in this field at university who",
    );
    let status = status_json(&sample);
    assert_eq!(
        stale(&status),
        [(FA_CATALOG.to_string(), "what-is-physiotherapy-p1".to_string())]
    );
    assert_eq!(status["locales"][0]["total"]["stale"], 1);

    // The build says so, and readers keep the (older) Persian paragraph by default.
    let build = sample.nashr(&["build"]);
    assert_eq!(build.code, 0, "{}", build.output);
    assert!(build.output.contains("fa: 1 translation is stale"), "{}", build.output);
    let page = sample.read("public/fa/physiotherapy-vs-massage/index.html");
    assert!(page.contains("فیزیوتراپیست‌ها متخصصانی در حوزهٔ سلامت هستند"));

    // Lint points at the line to update and shows the new English.
    let lint = sample.nashr(&["l10n", "lint"]);
    assert_eq!(lint.code, 0, "stale is a warning:\n{}", lint.stdout);
    let line = sample
        .read(FA_CATALOG)
        .lines()
        .position(|l| l.starts_with("what-is-physiotherapy-p1 ="))
        .unwrap()
        + 1;
    assert!(
        lint.stdout.contains(&format!("{FA_CATALOG}:{line}:1: warning[stale]")),
        "{}",
        lint.stdout
    );
    assert!(
        lint.stdout.contains("which now reads: Physiotherapy, often called"),
        "{}",
        lint.stdout
    );

    // Still stale on the next look (and after `nashr l10n sync` writes the new English).
    assert_eq!(sample.nashr(&["l10n", "sync"]).code, 0);
    assert_eq!(stale(&status_json(&sample)).len(), 1);

    // The translator updates the Persian paragraph: current again.
    sample.replace(
        FA_CATALOG,
        "که در این رشته آموزش دیده‌اند",
        "که در دانشگاه در این رشته آموزش دیده‌اند",
    );
    let status = status_json(&sample);
    assert!(stale(&status).is_empty(), "{status}");
    assert_eq!(status["locales"][0]["total"]["stale"], 0);
}

/// `nashr build` checks each article's translations in the task that renders it
/// (`nashr_check::in_build`), `nashr l10n status` the whole tree at once: they must find the
/// same stale translations, in articles and UI files, and leave the same lock.
#[test]
fn a_build_finds_what_status_finds_and_leaves_the_same_lock() {
    const LOCK: &str = "locales/fa/nashr-l10n.lock";
    let sample = Sample::new();
    std::fs::remove_file(sample.path(LOCK)).unwrap();
    let first = sample.nashr(&["build"]);
    assert_eq!(first.code, 0, "{}", first.output);
    assert!(!first.output.contains("stale"), "{}", first.output);
    let lock = sample.read(LOCK);
    assert!(lock.contains("articles/physiotherapy-vs-massage.ftl\twhat-is-physiotherapy-p1\t"));
    assert!(lock.contains("site.ftl\tnav-articles\t"));

    sample.replace(
        ARTICLE,
        "trained in this field who",
        "trained in this field at university who",
    );
    sample.replace(
        "locales/en/site.ftl",
        "nav-articles = Articles",
        "nav-articles = All articles",
    );
    sample.replace(
        "locales/en/site.ftl",
        "skip-to-content = Skip to main content",
        "skip-to-content = Skip to the article",
    );
    for args in [&["build"][..], &["build", "--full"]] {
        let build = sample.nashr(args);
        assert_eq!(build.code, 0, "{}", build.output);
        assert!(
            build.output.contains("fa: 3 translations are stale"),
            "{args:?}: {}",
            build.output
        );
    }
    let after_build = sample.read(LOCK);
    // A stale translation keeps the fingerprints it was last seen with.
    assert!(after_build == lock, "the lock changed:\n{after_build}");
    let mut found = stale(&status_json(&sample));
    found.sort();
    assert_eq!(
        found,
        [
            (FA_CATALOG.to_string(), "what-is-physiotherapy-p1".to_string()),
            ("locales/fa/site.ftl".to_string(), "nav-articles".to_string()),
            ("locales/fa/site.ftl".to_string(), "skip-to-content".to_string()),
        ]
    );
    assert!(
        sample.read(LOCK) == after_build,
        "status changed what the build recorded"
    );

    // The other way round: what status records, a build leaves as it is.
    sample.replace(
        FA_CATALOG,
        "که در این رشته آموزش دیده‌اند",
        "که در دانشگاه در این رشته آموزش دیده‌اند",
    );
    assert_eq!(stale(&status_json(&sample)).len(), 2);
    let after_status = sample.read(LOCK);
    let build = sample.nashr(&["build", "--full"]);
    assert!(
        build.output.contains("fa: 2 translations are stale"),
        "{}",
        build.output
    );
    assert!(
        sample.read(LOCK) == after_status,
        "the build changed what status recorded"
    );
}

/// The build says when `nashr l10n sync` has work to do: an article edited since its
/// catalog was written, or a catalog left by an article that is gone.
#[test]
fn a_build_warns_when_source_catalogs_are_out_of_date() {
    const WARNING: &str = "translation catalogs are out of date with the articles";
    let sample = Sample::new();
    let clean = sample.nashr(&["build"]);
    assert_eq!(clean.code, 0, "{}", clean.output);
    assert!(!clean.output.contains(WARNING), "{}", clean.output);

    sample.replace(
        ARTICLE,
        "trained in this field who",
        "trained in this field at university who",
    );
    // The incremental build (only that article) and the full one.
    for args in [&["build"][..], &["build", "--full"]] {
        let edited = sample.nashr(args);
        assert_eq!(edited.code, 0, "{}", edited.output);
        assert!(edited.output.contains(WARNING), "{args:?}: {}", edited.output);
        assert_eq!(
            edited.output.contains("pages rendered again"),
            args.len() == 1,
            "{}",
            edited.output
        );
    }
    assert_eq!(sample.nashr(&["l10n", "sync"]).code, 0);
    let synced = sample.nashr(&["build", "--full"]);
    assert!(!synced.output.contains(WARNING), "{}", synced.output);

    sample.write("locales/en/articles/gone.ftl", "title = Gone\n");
    let orphan = sample.nashr(&["build", "--full"]);
    assert_eq!(orphan.code, 0, "{}", orphan.output);
    assert!(orphan.output.contains(WARNING), "{}", orphan.output);
}

#[test]
fn stale_translations_can_fall_back_to_the_source() {
    let sample = Sample::new();
    sample.replace(
        "nashr.toml",
        "fallback = [\"en\"]",
        "fallback = [\"en\"]\nstale = \"fallback\"",
    );
    sample.replace(
        ARTICLE,
        "trained in this field who",
        "trained in this field at university who",
    );
    let build = sample.nashr(&["run"]);
    assert_eq!(build.code, 0, "{}", build.output);
    let page = sample.read("public/fa/physiotherapy-vs-massage/index.html");
    assert!(
        page.contains("trained in this field at university who"),
        "the new English is shown"
    );
    assert!(!page.contains("فیزیوتراپیست‌ها متخصصانی در حوزهٔ سلامت هستند"));
    assert!(
        page.contains("class=\"notice\""),
        "the page says part of it is not translated"
    );
}

#[test]
fn an_unknown_stale_setting_is_a_located_error() {
    let sample = Sample::new();
    sample.replace(
        "nashr.toml",
        "fallback = [\"en\"]",
        "fallback = [\"en\"]\nstale = \"hide\"",
    );
    let run = sample.nashr(&["build"]);
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(run.output.contains("nashr.toml:17"), "{}", run.output);
    assert!(
        run.output.contains("show") && run.output.contains("fallback"),
        "{}",
        run.output
    );
}

#[test]
fn the_sample_translations_are_lint_clean_and_their_lock_is_committed() {
    let run = nashr_tests::run(vec![
        "nashr".into(),
        "l10n".into(),
        "lint".into(),
        "--root".into(),
        nashr_tests::repo_root().into(),
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.output);
    assert!(run.output.contains("0 errors, 0 warnings"), "{}", run.output);

    // `status` on a copy writes the lock; it must come out as committed.
    let sample = Sample::new();
    let before = sample.read("locales/fa/nashr-l10n.lock");
    let status = status_json(&sample);
    assert_eq!(
        sample.read("locales/fa/nashr-l10n.lock"),
        before,
        "run `nashr l10n status` and commit the lock"
    );
    assert_eq!(status["locales"][0]["total"]["missing"], 0);
}

#[test]
fn lint_shows_each_mistake_where_it_is_and_fix_repairs_the_safe_ones() {
    let sample = Sample::new();
    let ui = "locales/fa/site.ftl";
    let line = sample.line_starting(ui, "nav-label = ");
    sample.replace(ui, &line, "nav-label = ناوبری اصلي { $site }");
    let run = sample.nashr(&["l10n", "lint"]);
    assert_eq!(run.code, 1, "an unknown variable is an error:\n{}", run.stdout);
    let line_no = sample
        .read(ui)
        .lines()
        .position(|l| l.starts_with("nav-label = "))
        .unwrap()
        + 1;
    assert!(
        run.stdout
            .contains(&format!("locales/fa/site.ftl:{line_no}:23: error[arabic-yeh-kaf]")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!(" {line_no} | nav-label = ناوبری اصلي {{ $site }}")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("error[unknown-variable]"), "{}", run.stdout);
    assert!(
        run.output.contains("2 errors, 0 warnings; 1 can be repaired"),
        "{}",
        run.output
    );

    let json = sample.nashr(&["l10n", "lint", "--json"]);
    let v: Value = serde_json::from_str(&json.stdout).expect("json");
    let first = &v["findings"][0];
    for key in [
        "code",
        "level",
        "locale",
        "path",
        "line",
        "column",
        "message",
        "hint",
        "source_line",
    ] {
        assert!(!first[key].is_null(), "{key} missing in {first}");
    }
    assert_eq!(v["summary"]["errors"], 2);

    let fixed = sample.nashr(&["l10n", "lint", "--fix"]);
    assert_eq!(fixed.code, 1, "the unknown variable needs a person:\n{}", fixed.stdout);
    assert!(
        fixed.output.contains("fixed 1 problem in locales/fa/site.ftl"),
        "{}",
        fixed.output
    );
    assert!(sample.read(ui).contains("nav-label = ناوبری اصلی { $site }"));
    assert!(!fixed.stdout.contains("arabic-yeh-kaf"), "{}", fixed.stdout);
}

#[test]
fn status_prints_a_table_per_file_with_a_total() {
    let sample = Sample::new();
    let catalog = "locales/fa/articles/acupuncture.ftl";
    let line = sample.line_starting(catalog, "intro-p1 = ");
    sample.replace(catalog, &format!("{line}\n"), "");
    let run = sample.nashr(&["l10n", "status", "-v"]);
    assert_eq!(run.code, 0, "status is not an error:\n{}", run.output);
    let row = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("locales/fa/articles/acupuncture.ftl"))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cells[1..5], ["95%", "23", "1", "0"], "{row}");
    assert!(run.stdout.contains("missing  intro-p1"), "{}", run.stdout);
    assert!(
        run.stdout.lines().any(|l| l.trim_start().starts_with("total")),
        "{}",
        run.stdout
    );
    assert!(run.output.contains("fa: 1 missing"), "{}", run.output);
}
