//! Locale fidelity on the built site: Solar Hijri dates and Persian digits on Persian pages,
//! bidi isolation marks only in running text, and ZWNJ intact on every output path.

use nashr_tests::Sample;
use scraper::{Html, Selector};

const ZWNJ: char = '\u{200C}';
const ISOLATES: [char; 4] = ['\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'];

fn build(sample: &Sample) {
    let run = sample.nashr(&["build"]);
    assert_eq!(run.code, 0, "build failed:\n{}", run.output);
}

fn text_of(html: &str, selector: &str) -> String {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).unwrap();
    let el = doc.select(&sel).next().unwrap_or_else(|| panic!("no {selector}"));
    el.text().collect::<String>().replace(ISOLATES, "")
}

#[test]
fn persian_pages_show_solar_hijri_dates_and_persian_digits() {
    let sample = Sample::new();
    build(&sample);
    let fa = sample.read("public/fa/physiotherapy-vs-massage/index.html");
    let meta = text_of(&fa, ".meta");
    // 2026-10-14 is 22 Mehr 1405; 2026-11-02 is 11 Aban 1405; six minutes to read.
    assert!(meta.contains("تاریخ انتشار: ۲۲ مهر ۱۴۰۵"), "{meta}");
    assert!(meta.contains("آخرین به‌روزرسانی: ۱۱ آبان ۱۴۰۵"), "{meta}");
    assert!(meta.contains("زمان مطالعه: ۶ دقیقه"), "{meta}");
    // Machine-readable dates stay ISO with ASCII digits.
    assert!(fa.contains("<time datetime=\"2026-10-14\">"));
    let index = sample.read("public/fa/index.html");
    assert!(index.contains("۱۹ آبان ۱۴۰۵"), "card dates use the date filter");
    assert_eq!(text_of(&index, ".pagination span"), "صفحهٔ ۱ از ۲");
    let tags = sample.read("public/fa/tags/index.html");
    assert!(text_of(&tags, ".tag-list").contains("۲ مقاله"));
    let feed = sample.read("public/fa/atom.xml");
    assert!(feed.contains("<published>2026-10-14T00:00:00Z</published>"));

    // English is unchanged.
    let en = sample.read("public/en/physiotherapy-vs-massage/index.html");
    let meta = text_of(&en, ".meta");
    assert!(meta.contains("Published on October 14, 2026"), "{meta}");
    assert!(meta.contains("6 minutes to read"), "{meta}");
    assert_eq!(
        text_of(&sample.read("public/en/index.html"), ".pagination span"),
        "Page 1 of 2"
    );

    // A diaspora edition: Gregorian dates, Persian digits.
    sample.replace(
        "nashr.toml",
        "fallback = [\"en\"]\n",
        "fallback = [\"en\"]\ncalendar = \"gregorian\"\n",
    );
    build(&sample);
    let fa = sample.read("public/fa/physiotherapy-vs-massage/index.html");
    assert!(text_of(&fa, ".meta").contains("تاریخ انتشار: ۱۴ اکتبر ۲۰۲۶"));
    // And Latin digits, if the clinic prefers them.
    sample.replace("nashr.toml", "calendar = \"gregorian\"\n", "digits = \"latn\"\n");
    build(&sample);
    let fa = sample.read("public/fa/physiotherapy-vs-massage/index.html");
    assert!(text_of(&fa, ".meta").contains("تاریخ انتشار: 22 مهر 1405"));
}

/// Isolation marks allowed in the text of these Atom elements (running text); every other
/// element holds a URL, an id or a date.
const ATOM_TEXT: [&str; 5] = ["title", "subtitle", "summary", "name", "content"];

/// Fails if `html` has an isolation mark in an attribute, a script or a style; returns how
/// many marks its text content has.
fn check_html(file: &str, html: &str) -> usize {
    let doc = Html::parse_document(html);
    let mut in_text = 0;
    for node in doc.tree.nodes() {
        if let Some(el) = node.value().as_element() {
            for (name, value) in el.attrs() {
                assert!(
                    !value.contains(ISOLATES),
                    "{file}: <{} {name}={value:?}> has a bidi isolation mark",
                    el.name()
                );
            }
        } else if let Some(text) = node.value().as_text() {
            let parent = node.parent().and_then(|p| p.value().as_element().map(|e| e.name()));
            if matches!(parent, Some("script" | "style")) {
                assert!(!text.contains(ISOLATES), "{file}: <{parent:?}> has a mark");
            }
            in_text += text.matches('\u{2068}').count();
        }
    }
    in_text
}

#[test]
fn isolation_marks_never_leave_running_text() {
    let sample = Sample::new();
    // Placeables where the text ends up in attributes: meta description, aria-label, the feed
    // link's title, an image's alt text, a link's URL inside the article (which the feed also
    // carries as escaped HTML).
    let site = "locales/fa/site.ftl";
    sample.replace(site, "nav-label = منوی اصلی", "nav-label = منوی اصلی { NUMBER(1) }");
    sample.replace(
        site,
        "feed-title = { -clinic-name }: مقاله‌ها",
        "feed-title = { -clinic-name }: { NUMBER(3) } مقاله",
    );
    let description = sample.line_starting(site, "site-description = ");
    sample.replace(
        site,
        &description,
        &format!("{description} {{ NUMBER(2026, useGrouping: \"false\") }}"),
    );
    let en_site = "locales/en/site.ftl";
    sample.replace(en_site, "nav-label = Main", "nav-label = Main { NUMBER(1) }");
    let catalog = "locales/fa/articles/acupuncture.ftl";
    let alt = sample.line_starting(catalog, "hero-alt = ");
    sample.replace(catalog, &alt, &format!("{alt} {{ NUMBER(3) }}"));
    let p1 = sample.line_starting(catalog, "intro-p1 = ");
    sample.replace(
        catalog,
        &p1,
        &format!(
            "{p1} [منبع](https://example.com/a{{ NUMBER(5) }} \"{{ NUMBER(6) }}\") و ![شکل {{ NUMBER(7) }}](hero.svg)"
        ),
    );
    build(&sample);

    let public = sample.public();
    let mut text_marks = 0;
    for file in nashr_tests::snapshot(&public).into_keys() {
        let bytes = std::fs::read(public.join(&file)).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        if file.ends_with(".html") {
            text_marks += check_html(&file, &text);
        } else if file.ends_with("atom.xml") || file == "sitemap.xml" {
            let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
            for node in doc.descendants().filter(|n| n.is_element()) {
                for a in node.attributes() {
                    assert!(!a.value().contains(ISOLATES), "{file}: {}={:?}", a.name(), a.value());
                }
                let own_text: String = node
                    .children()
                    .filter(|c| c.is_text())
                    .filter_map(|c| c.text())
                    .collect();
                let name = node.tag_name().name();
                if name == "content" {
                    // Escaped article HTML: its own attributes are checked like a page's.
                    text_marks += check_html(&format!("{file} <content>"), &own_text);
                } else if !ATOM_TEXT.contains(&name) {
                    assert!(!own_text.contains(ISOLATES), "{file}: <{name}>{own_text}");
                }
            }
        } else {
            assert!(!text.contains(ISOLATES), "{file} has a bidi isolation mark");
        }
    }
    // The marks were made, and kept where they help: in running text.
    assert!(text_marks > 0, "isolation marks were stripped from running text too");
    let page = sample.read("public/fa/acupuncture/index.html");
    assert!(
        page.contains("href=\"https://example.com/a%DB%B5\""),
        "the placeable is in the URL, unmarked"
    );
    assert!(
        page.contains("alt=\"شکل ۷\""),
        "the image's alt text has its number, unmarked"
    );
    let index = sample.read("public/fa/index.html");
    assert!(
        index.contains(" ۲۰۲۶\">"),
        "the meta description has its number, unmarked"
    );
    assert!(index.contains("aria-label=\"منوی اصلی ۱\""));
    let feed = sample.read("public/fa/atom.xml");
    assert!(
        feed.contains("\u{2068}۳\u{2069} مقاله</title>"),
        "feed title text keeps its marks"
    );
}

/// A small deterministic generator (xorshift64*): the same strings on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// A Persian phrase whose words are joined with ZWNJ the way Persian writes them
/// (می‌خواهم، کتاب‌ها), ending in a unique number so that phrases never overlap.
fn persian_phrase(rng: &mut Rng, n: usize) -> String {
    const PREFIXES: [&str; 4] = ["می", "نمی", "", ""];
    const STEMS: [&str; 10] = [
        "خواه",
        "نویس",
        "درمان",
        "ماساژ",
        "ورزش",
        "شانه",
        "زانو",
        "کمر",
        "بیمار",
        "کتاب",
    ];
    const SUFFIXES: [&str; 5] = ["ها", "تر", "ترین", "هایی", "ام"];
    let words = 2 + rng.next() % 4;
    let mut out = String::new();
    for _ in 0..words {
        let prefix = rng.pick(&PREFIXES);
        if !prefix.is_empty() {
            out.push_str(prefix);
            out.push(ZWNJ);
        }
        out.push_str(rng.pick(&STEMS));
        out.push(ZWNJ);
        out.push_str(rng.pick(&SUFFIXES));
        out.push(' ');
    }
    let digits: String = n
        .to_string()
        .chars()
        .map(|d| char::from_u32(0x06F0 + d.to_digit(10).unwrap()).unwrap())
        .collect();
    out.push_str(&format!("شماره‌{digits}"));
    out
}

#[test]
fn zwnj_survives_every_output_path() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..4 {
        let sample = Sample::new();
        let catalog = "locales/fa/articles/acupuncture.ftl";
        // Every segment of the article (title, summary, alt text, headings, paragraphs, list
        // items, quote) and two site messages get a fresh random phrase.
        let mut phrases = Vec::new();
        let text = sample.read(catalog);
        let mut rewritten = String::new();
        for line in text.lines() {
            match line.split_once(" = ") {
                Some((id, _)) if !id.starts_with(['#', ' ']) && !id.is_empty() => {
                    let phrase = persian_phrase(&mut rng, round * 100 + phrases.len());
                    rewritten.push_str(&format!("{id} = {phrase}\n"));
                    phrases.push((id.to_string(), phrase));
                }
                _ => {
                    rewritten.push_str(line);
                    rewritten.push('\n');
                }
            }
        }
        sample.write(catalog, &rewritten);
        let tag = persian_phrase(&mut rng, round * 100 + 90);
        sample.replace(
            "locales/fa/site.ftl",
            "tag-acupuncture = طب سوزنی",
            &format!("tag-acupuncture = {tag}"),
        );
        let description = persian_phrase(&mut rng, round * 100 + 91);
        let line = sample.line_starting("locales/fa/site.ftl", "site-description = ");
        sample.replace(
            "locales/fa/site.ftl",
            &line,
            &format!("site-description = {description}"),
        );
        build(&sample);

        let page = sample.read("public/fa/acupuncture/index.html");
        let feed = sample.read("public/fa/atom.xml");
        let index = sample.read("public/fa/index.html");
        let tag_page = sample.read("public/fa/tags/acupuncture/index.html");
        let mut outputs: Vec<(&str, &String, &str)> = Vec::new();
        // `author` is not shown by the sample templates.
        for (id, phrase) in phrases.iter().filter(|(id, _)| id != "author") {
            // HTML text, HTML attributes (alt, meta description), <title>, Atom text and the
            // Atom's escaped HTML: each phrase must appear with all its ZWNJs in place.
            outputs.push((id, &page, phrase));
            if !matches!(id.as_str(), "hero-alt" | "reviewed-by") {
                outputs.push((id, &feed, phrase));
            }
            if matches!(id.as_str(), "title" | "summary") {
                outputs.push((id, &index, phrase));
            }
        }
        outputs.push(("tag label", &tag_page, &tag));
        outputs.push(("tag label", &page, &tag));
        outputs.push(("tag label", &feed, &tag));
        outputs.push(("site description", &index, &description));
        outputs.push(("site description", &feed, &description));
        for (what, output, phrase) in outputs {
            let clean = output.replace(ISOLATES, "");
            assert!(
                clean.contains(phrase),
                "round {round}: {what} lost a ZWNJ or more: {phrase:?}"
            );
            let joined = phrase.replace(ZWNJ, "");
            assert!(
                !clean.contains(&joined),
                "round {round}: {what} appears without its ZWNJs"
            );
        }
        // The title also reaches the page's <title> and the summary its meta description.
        let title = &phrases.iter().find(|(id, _)| id == "title").unwrap().1;
        assert!(page.contains(&format!("<title>{title} · ")), "round {round}: <title>");
        let summary = &phrases.iter().find(|(id, _)| id == "summary").unwrap().1;
        assert!(page.contains(&format!("<meta name=\"description\" content=\"{summary}\">")));
        let alt = &phrases.iter().find(|(id, _)| id == "hero-alt").unwrap().1;
        assert!(page.contains(&format!("alt=\"{alt}\"")), "round {round}: alt text");
    }
}

/// The template filters and the Fluent functions are one formatter: the same value with the
/// same options gives the same text, in both languages.
#[test]
fn template_filters_and_fluent_functions_agree() {
    let sample = Sample::new();
    let probes = [
        ("date", "{{ \"2025-03-21\"|date }}", "{ $v }", "\"2025-03-21\""),
        (
            "full",
            "{{ \"2025-03-21\"|date(dateStyle=\"full\") }}",
            "{ DATETIME($v, dateStyle: \"full\") }",
            "\"2025-03-21\"",
        ),
        (
            "time",
            "{{ \"2026-12-01T17:00:00Z\"|date(dateStyle=\"medium\", timeStyle=\"short\", timeZone=\"America/Vancouver\") }}",
            "{ DATETIME($v, dateStyle: \"medium\", timeStyle: \"short\", timeZone: \"America/Vancouver\") }",
            "\"2026-12-01T17:00:00Z\"",
        ),
        ("number", "{{ 1234567.5|number }}", "{ $v }", "1234567.5"),
        ("negative", "{{ -42|number }}", "{ $v }", "-42"),
        (
            "percent",
            "{{ 0.25|number(style=\"percent\") }}",
            "{ NUMBER($v, style: \"percent\") }",
            "0.25",
        ),
        (
            "fraction",
            "{{ 3.5|number(minimumFractionDigits=2) }}",
            "{ NUMBER($v, minimumFractionDigits: 2) }",
            "3.5",
        ),
    ];
    let mut template = String::from("{% extends \"base.html\" %}{% block main %}\n");
    for (id, filter, message, value) in probes {
        template.push_str(&format!(
            "<p id=\"filter-{id}\">{filter}</p><p id=\"fluent-{id}\">{{{{ t(\"probe-{id}\", v={value}) }}}}</p>\n"
        ));
        for lang in ["en", "fa"] {
            let path = format!("locales/{lang}/site.ftl");
            let text = sample.read(&path);
            sample.write(&path, &format!("{text}\nprobe-{id} = {message}\n"));
        }
    }
    template.push_str("{% endblock %}\n");
    sample.write("templates/tags.html", &template);
    build(&sample);
    let mut seen = Vec::new();
    for lang in ["en", "fa"] {
        let page = sample.read(&format!("public/{lang}/tags/index.html"));
        for (id, ..) in probes {
            let filter = text_of(&page, &format!("#filter-{id}"));
            let fluent = text_of(&page, &format!("#fluent-{id}"));
            assert_eq!(filter, fluent, "{lang} {id}");
            seen.push(filter);
        }
    }
    assert_eq!(
        seen,
        [
            "March 21, 2025",
            "Friday, March 21, 2025",
            "Dec 1, 2026, 9:00\u{202f}AM",
            "1,234,567.5",
            "-42",
            "25%",
            "3.50",
            "۱ فروردین ۱۴۰۴",
            "جمعه ۱ فروردین ۱۴۰۴",
            "۱۰ آذر ۱۴۰۵، ۹:۰۰",
            "۱٬۲۳۴٬۵۶۷٫۵",
            "\u{200e}\u{2212}۴۲",
            "۲۵٪",
            "۳٫۵۰",
        ]
    );
}
