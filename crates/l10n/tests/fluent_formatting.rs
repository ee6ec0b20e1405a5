//! Fluent messages format numbers and dates as the locale's `[locale.<code>]` settings say:
//! golden strings for Persian and English, and plural selection.

use std::path::Path;

use nashr_content::Project;
use nashr_l10n::{DateInput, FluentArgs, FluentDate, FluentValue, Localizer};

const FA: &str = r#"
count = { $n ->
    [one] یک‌دسته: { $n } مورد
   *[other] دسته‌ی دیگر: { $n } مورد
}
number = { $n }
grouped = { NUMBER($n, useGrouping: "false") }
fraction = { NUMBER($n, minimumFractionDigits: 2) }
percent = { NUMBER($n, style: "percent") }
published = تاریخ انتشار: { $date }
full = { DATETIME($date, dateStyle: "full") }
typo = { DATETIME($date, dateStyle: "enormous") }
text-date = { DATETIME("2025-03-21") }
at = { DATETIME($when, dateStyle: "long", timeStyle: "short", timeZone: "Asia/Tehran") }
"#;

const EN: &str = r#"
count = { $n ->
    [one] one: { $n } item
   *[other] other: { $n } items
}
number = { $n }
grouped = { NUMBER($n, useGrouping: "false") }
fraction = { NUMBER($n, minimumFractionDigits: 2) }
percent = { NUMBER($n, style: "percent") }
published = Published on { $date }
full = { DATETIME($date, dateStyle: "full") }
typo = { DATETIME($date, dateStyle: "enormous") }
text-date = { DATETIME("2025-03-21") }
at = { DATETIME($when, dateStyle: "long", timeStyle: "short", timeZone: "America/Vancouver") }
"#;

/// A project with only a configuration and the two message files above.
fn localizer(extra_config: &str) -> (tempfile::TempDir, Localizer) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("nashr.toml"),
        format!("[site]\nbase_url = \"https://c.example/\"\nlocales = [\"en\", \"fa\"]\n{extra_config}"),
    )
    .unwrap();
    for (lang, text) in [("en", EN), ("fa", FA)] {
        std::fs::create_dir_all(root.join("locales").join(lang)).unwrap();
        std::fs::write(root.join("locales").join(lang).join("site.ftl"), text).unwrap();
    }
    std::fs::create_dir_all(root.join("content")).unwrap();
    let project = Project::load(Path::new(root)).unwrap();
    let l10n = Localizer::load(&project).unwrap();
    (dir, l10n)
}

fn msg(l10n: &Localizer, lang: &str, id: &str, args: &[(&str, FluentValue<'static>)]) -> String {
    let args: FluentArgs = args.iter().cloned().collect();
    let f = l10n.message(lang, id, Some(&args)).unwrap();
    assert_eq!(f.locale, lang, "{id} came from the fallback locale");
    // Isolation marks are checked in the bidi tests; here only the visible text matters.
    f.text.replace(['\u{2068}', '\u{2069}'], "")
}

fn date(y: i16, m: i8, d: i8) -> FluentValue<'static> {
    FluentValue::Custom(Box::new(FluentDate::new(DateInput::Date(jiff::civil::date(y, m, d)))))
}

#[test]
fn persian_numbers_and_dates_by_default() {
    let (_dir, l10n) = localizer("");
    assert_eq!(msg(&l10n, "fa", "number", &[("n", 1234567.5.into())]), "۱٬۲۳۴٬۵۶۷٫۵");
    assert_eq!(msg(&l10n, "fa", "number", &[("n", (-42).into())]), "\u{200e}\u{2212}۴۲");
    assert_eq!(msg(&l10n, "fa", "grouped", &[("n", 1234567.into())]), "۱۲۳۴۵۶۷");
    assert_eq!(msg(&l10n, "fa", "fraction", &[("n", 3.5.into())]), "۳٫۵۰");
    assert_eq!(msg(&l10n, "fa", "percent", &[("n", 0.25.into())]), "۲۵٪");
    assert_eq!(
        msg(&l10n, "fa", "published", &[("date", date(2025, 3, 21))]),
        "تاریخ انتشار: ۱ فروردین ۱۴۰۴"
    );
    assert_eq!(
        msg(&l10n, "fa", "full", &[("date", date(2025, 3, 21))]),
        "جمعه ۱ فروردین ۱۴۰۴"
    );
    assert_eq!(msg(&l10n, "fa", "text-date", &[]), "۱ فروردین ۱۴۰۴");
    let when = FluentValue::Custom(Box::new(FluentDate::new(
        DateInput::parse("2026-12-01T17:00:00Z").unwrap(),
    )));
    assert_eq!(msg(&l10n, "fa", "at", &[("when", when)]), "۱۰ آذر ۱۴۰۵ ساعت ۲۰:۳۰");
}

#[test]
fn english_is_unchanged() {
    let (_dir, l10n) = localizer("");
    assert_eq!(msg(&l10n, "en", "number", &[("n", 1234567.5.into())]), "1,234,567.5");
    assert_eq!(msg(&l10n, "en", "number", &[("n", (-42).into())]), "-42");
    assert_eq!(msg(&l10n, "en", "grouped", &[("n", 1234567.into())]), "1234567");
    assert_eq!(msg(&l10n, "en", "fraction", &[("n", 3.5.into())]), "3.50");
    assert_eq!(msg(&l10n, "en", "percent", &[("n", 0.25.into())]), "25%");
    assert_eq!(
        msg(&l10n, "en", "published", &[("date", date(2025, 3, 21))]),
        "Published on March 21, 2025"
    );
    assert_eq!(
        msg(&l10n, "en", "full", &[("date", date(2025, 3, 21))]),
        "Friday, March 21, 2025"
    );
    let when = FluentValue::Custom(Box::new(FluentDate::new(
        DateInput::parse("2026-12-01T17:00:00Z").unwrap(),
    )));
    assert_eq!(
        msg(&l10n, "en", "at", &[("when", when)]),
        "December 1, 2026 at 9:00\u{202f}AM"
    );
}

#[test]
fn a_diaspora_site_chooses_gregorian_dates_with_persian_digits() {
    let (_dir, l10n) = localizer("[locale.fa]\ncalendar = \"gregorian\"\n");
    assert_eq!(
        msg(&l10n, "fa", "published", &[("date", date(2025, 3, 21))]),
        "تاریخ انتشار: ۲۱ مارس ۲۰۲۵"
    );
    assert_eq!(msg(&l10n, "fa", "number", &[("n", 1234.into())]), "۱٬۲۳۴");
    let (_dir, l10n) = localizer("[locale.fa]\ndigits = \"latn\"\n");
    assert_eq!(
        msg(&l10n, "fa", "published", &[("date", date(2025, 3, 21))]),
        "تاریخ انتشار: 1 فروردین 1404"
    );
    assert_eq!(msg(&l10n, "fa", "number", &[("n", 1234.into())]), "1,234");
}

#[test]
fn plural_categories_for_zero_one_one_and_a_half_and_two() {
    let (_dir, l10n) = localizer("");
    let cases: [(FluentValue<'static>, &str, &str); 4] = [
        (0.into(), "other: 0 items", "یک‌دسته: ۰ مورد"),
        (1.into(), "one: 1 item", "یک‌دسته: ۱ مورد"),
        (
            FluentValue::try_number("1.5").into_owned(),
            "other: 1.5 items",
            "دسته‌ی دیگر: ۱٫۵ مورد",
        ),
        (2.into(), "other: 2 items", "دسته‌ی دیگر: ۲ مورد"),
    ];
    for (n, en, fa) in cases {
        assert_eq!(msg(&l10n, "en", "count", &[("n", n.clone())]), en);
        assert_eq!(msg(&l10n, "fa", "count", &[("n", n)]), fa);
    }
}

#[test]
fn a_bad_datetime_option_is_a_warning_not_garbage() {
    let (_dir, l10n) = localizer("");
    assert_eq!(
        msg(&l10n, "fa", "typo", &[("date", date(2025, 3, 21))]),
        "۱ فروردین ۱۴۰۴"
    );
    let warnings = l10n.warnings().join("\n");
    assert!(warnings.contains("enormous"), "{warnings}");
}
