//! Segment translation: fallback for missing segments, terms inside segments, whole-file
//! translations, and `nashr l10n sync`.

use nashr_tests::Sample;

#[test]
fn committed_catalogs_are_in_sync_with_the_articles() {
    let root = nashr_tests::repo_root();
    let run = nashr_tests::run(vec![
        "nashr".into(),
        "l10n".into(),
        "sync".into(),
        "--check".into(),
        "--root".into(),
        root.into(),
    ]);
    assert_eq!(run.code, 0, "run `nashr l10n sync`:\n{}", run.output);
}

#[test]
fn missing_segment_falls_back_to_english_with_a_notice() {
    let sample = Sample::new();
    let catalog = "locales/fa/articles/acupuncture.ftl";
    let line = sample.line_starting(catalog, "intro-p1 = ");
    sample.replace(catalog, &format!("{line}\n"), "");
    let run = sample.nashr(&["build"]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(run.output.contains("fa: 1 text not translated yet"), "{}", run.output);
    let page = sample.read("public/fa/acupuncture/index.html");
    let english = sample.line_starting("locales/en/articles/acupuncture.ftl", "intro-p1 = ");
    let source = english.trim_start_matches("intro-p1 = ");
    let first_words: String = source.split_whitespace().take(6).collect::<Vec<_>>().join(" ");
    assert!(
        page.contains(&first_words),
        "the English paragraph stands in for the missing one"
    );
    // Isolated left-to-right inside the right-to-left page (U+2066 … U+2069), so its final
    // full stop stays at its end: the paragraph starts with the mark and ends with its pop.
    let words: Vec<&str> = source.split_whitespace().collect();
    // Its block is given that direction too, so it is aligned to the left.
    let start = format!("<p dir=\"ltr\">\u{2066}{}", words[..3].join(" "));
    assert!(page.contains(&start), "no isolated English paragraph in:\n{page}");
    let last = words.last().unwrap();
    assert!(
        page.contains(&format!("{last}\u{2069}</p>")),
        "the English paragraph is not closed by U+2069"
    );
    // The English page's paragraph has no mark (Fluent's own isolation of placeables, in the
    // page's UI messages, uses U+2068).
    let en = sample.read("public/en/acupuncture/index.html");
    assert!(!en.contains('\u{2066}'));
    assert!(
        page.contains("class=\"notice\""),
        "the page says that parts are untranslated"
    );
    assert!(page.contains("lang=\"fa\" dir=\"rtl\""));
}

#[test]
fn segments_can_use_terms_and_whole_file_translations_win() {
    let sample = Sample::new();
    let catalog = "locales/fa/articles/acupuncture.ftl";
    let line = sample.line_starting(catalog, "intro-p1 = ");
    sample.replace(catalog, &line, "intro-p1 = در { -clinic-name } طب سوزنی انجام می‌شود.");
    // A transcreated benefits article replaces the segments for Persian.
    sample.write(
        "content/benefits-of-physiotherapy/index.fa.md",
        "---\ntitle: \"فواید فیزیوتراپی، بازنویسی\"\ndate: 2026-09-02\n---\n\n## بخش یک\n\nمتنی که مترجم از نو نوشته است.\n",
    );
    let run = sample.nashr(&["build"]);
    assert_eq!(run.code, 0, "{}", run.output);
    let page = sample.read("public/fa/acupuncture/index.html");
    assert!(
        page.contains("در فیزیوتراپی مرکز شهر ونکوور طب سوزنی انجام می‌شود."),
        "the term is resolved inside the segment"
    );
    let whole = sample.read("public/fa/benefits-of-physiotherapy/index.html");
    assert!(whole.contains("متنی که مترجم از نو نوشته است."));
    assert!(whole.contains("فواید فیزیوتراپی، بازنویسی"));
}

#[test]
fn sync_keeps_ids_when_a_paragraph_is_inserted() {
    let sample = Sample::new();
    let article = "content/acupuncture/index.md";
    let catalog_path = "locales/en/articles/acupuncture.ftl";
    let before = nashr_l10n::catalog::entries(&sample.read(catalog_path));
    // Insert a paragraph right after the introduction's first paragraph.
    let text = sample.read(article);
    let body_start = text.find("\n+++\n").unwrap() + 5;
    let first_para_end = body_start + text[body_start..].trim_start_matches('\n').find("\n\n").unwrap() + 1;
    sample.write(
        article,
        &format!(
            "{}\n\nA brand new paragraph.{}",
            &text[..first_para_end],
            &text[first_para_end..]
        ),
    );

    let check = sample.nashr(&["l10n", "sync", "--check"]);
    assert_eq!(
        check.code, 1,
        "--check reports the out-of-date catalog:\n{}",
        check.output
    );
    assert!(
        check
            .output
            .contains("out of date: locales/en/articles/acupuncture.ftl"),
        "{}",
        check.output
    );
    let run = sample.nashr(&["l10n", "sync"]);
    assert_eq!(run.code, 0, "{}", run.output);
    let after = nashr_l10n::catalog::entries(&sample.read(catalog_path));
    assert_eq!(after.len(), before.len() + 1);
    // Every old segment keeps its id; the new one gets a fresh id in its section.
    for (id, text) in &before {
        assert!(after.contains(&(id.clone(), text.clone())), "{id} lost its id");
    }
    let new: Vec<_> = after.iter().filter(|e| !before.contains(e)).collect();
    assert_eq!(new.len(), 1);
    assert!(
        new[0].0.starts_with("intro-p") && new[0].1 == "A brand new paragraph.",
        "{new:?}"
    );
    // The Persian translation still applies to every other paragraph; the new one falls back.
    let build = sample.nashr(&["build"]);
    assert!(
        build.output.contains("fa: 1 text not translated yet"),
        "{}",
        build.output
    );
}

#[test]
fn sync_is_not_blocked_by_a_translators_syntax_error() {
    let sample = Sample::new();
    let mut text = sample.read("locales/fa/site.ftl");
    text.push_str("broken = { $x\n");
    sample.write("locales/fa/site.ftl", &text);
    sample.replace(
        "content/acupuncture/index.md",
        "## ",
        "## New section\n\nNew text.\n\n## ",
    );
    let run = sample.nashr(&["l10n", "sync"]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(
        sample
            .read("locales/en/articles/acupuncture.ftl")
            .contains("= New text.")
    );
    // The build still reports the syntax error.
    assert_eq!(sample.nashr(&["build"]).code, 1);
}

/// Slugs for CMS targets: the localized title's, in its own script; front matter `slug` wins.
#[test]
fn localized_slugs_for_cms_targets() {
    let sample = Sample::new();
    let slugs = |sample: &Sample| {
        let project = nashr_content::Project::load(sample.root()).unwrap();
        let l10n = nashr_l10n::Localizer::load(&project).unwrap();
        let article = project.article("physiotherapy-vs-massage").unwrap();
        (l10n.localize(article, "en").slug, l10n.localize(article, "fa").slug)
    };
    let (en, fa) = slugs(&sample);
    assert_eq!(en, "physiotherapy-vs-massage-understanding-the-key-differences");
    // The ZWNJ of تفاوت‌های goes (the letters join), the colon goes, the letters stay.
    assert_eq!(fa, "فیزیوتراپی-یا-ماساژ-آشنایی-با-تفاوتهای-اصلی");

    sample.replace(
        "content/physiotherapy-vs-massage/index.md",
        "\ndate = ",
        "\nslug = \"physio-or-massage\"\ndate = ",
    );
    assert_eq!(
        slugs(&sample),
        ("physio-or-massage".to_string(), "physio-or-massage".to_string())
    );
    // A whole-file translation's own slug wins for its language; its title's otherwise.
    sample.write(
        "content/physiotherapy-vs-massage/index.fa.md",
        "+++\ntitle = \"فیزیوتراپی یا ماساژ؟\"\ndate = 2026-10-14\nslug = \"فیزیوتراپی-یا-ماساژ\"\n+++\n\nمتن.\n",
    );
    assert_eq!(slugs(&sample).1, "فیزیوتراپی-یا-ماساژ");
    sample.replace(
        "content/physiotherapy-vs-massage/index.fa.md",
        "slug = \"فیزیوتراپی-یا-ماساژ\"\n",
        "",
    );
    assert_eq!(
        slugs(&sample).1,
        "physio-or-massage",
        "the source's explicit slug still wins"
    );
    // Site URLs stay the directory name.
    let run = sample.nashr(&["build"]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(sample.path("public/fa/physiotherapy-vs-massage/index.html").is_file());
}
