//! What is on the site: drafts stay off, scheduled articles appear from their time on, links
//! to them wait for them, and feeds carry the newest articles.

use nashr_tests::Sample;

fn all_html(sample: &Sample) -> String {
    nashr_tests::snapshot(&sample.public())
        .into_keys()
        .filter(|f| f.ends_with(".html") || f.ends_with(".xml"))
        .map(|f| sample.read(&format!("public/{f}")))
        .collect()
}

#[test]
fn drafts_stay_off_the_site_and_links_to_them_wait() {
    let sample = Sample::new();
    sample.replace("content/acupuncture/index.md", "+++\n", "+++\nstatus = \"draft\"\n");
    let run = sample.nashr(&["build"]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(!sample.public().join("en/acupuncture").exists() && !sample.public().join("fa/acupuncture").exists());
    assert!(
        !sample.public().join("en/tags/acupuncture").exists(),
        "a tag only a draft has gets no page"
    );
    let site = all_html(&sample);
    assert!(!site.contains("/acupuncture/"), "nothing links to the draft");
    // The link text stays in the sentence; the editor is told why the link is missing.
    let page = sample.read("public/en/physiotherapy-vs-massage/index.html");
    assert!(
        page.contains("such as acupuncture may help you"),
        "the link text is kept"
    );
    assert!(
        run.output.contains(
            "warning: content/physiotherapy-vs-massage/index.md links to `@/acupuncture`, which is not published yet"
        ),
        "{}",
        run.output
    );
    assert!(run.output.contains("built 2 articles"), "{}", run.output);
}

#[test]
fn scheduled_articles_appear_from_their_time_on() {
    let sample = Sample::new();
    let article = "content/acupuncture/index.md";
    sample.replace(
        article,
        "+++\n",
        "+++\nstatus = \"scheduled\"\npublish_at = 2999-01-01T09:00:00-08:00\n",
    );
    assert_eq!(sample.nashr(&["build"]).code, 0);
    assert!(
        !sample.public().join("fa/acupuncture/index.html").exists(),
        "not before its time"
    );

    sample.replace(
        article,
        "publish_at = 2999-01-01T09:00:00-08:00",
        "publish_at = 2026-01-01T09:00:00-08:00",
    );
    let run = sample.nashr(&["build"]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(
        sample.public().join("fa/acupuncture/index.html").is_file(),
        "on the site once its time has come"
    );
    assert!(!run.output.contains("not published yet"), "{}", run.output);
}

#[test]
fn scheduled_without_a_time_is_an_error() {
    let sample = Sample::new();
    sample.replace("content/acupuncture/index.md", "+++\n", "+++\nstatus = \"scheduled\"\n");
    let run = sample.nashr(&["build"]);
    assert_eq!(run.code, 1);
    assert!(
        run.output.contains("a scheduled article needs `publish_at`"),
        "{}",
        run.output
    );
    assert!(
        run.output.contains("[content/acupuncture/index.md:2:1]"),
        "{}",
        run.output
    );
}

#[test]
fn feeds_carry_the_newest_articles() {
    let sample = Sample::new();
    sample.replace("nashr.toml", "per_page = 2", "per_page = 2\nfeed_entries = 2");
    assert_eq!(sample.nashr(&["build"]).code, 0);
    let feed = sample.read("public/fa/atom.xml");
    assert_eq!(feed.matches("<entry>").count(), 2);
    let id = |slug: &str| format!("<id>https://downtownphysio.example/fa/{slug}/</id>");
    assert!(
        feed.contains(&id("acupuncture")) && feed.contains(&id("physiotherapy-vs-massage")),
        "newest first"
    );
    assert!(
        !feed.contains(&id("benefits-of-physiotherapy")),
        "the oldest is left out"
    );
}
