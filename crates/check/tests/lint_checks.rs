//! Every lint check on a pair of fixture files: a translation that must raise it and one that
//! must not. A check added to `CHECKS` without a case here fails `every_check_has_a_case`.

use std::path::Path;

use nashr_check::lint::{CHECKS, Code, Finding, lint};
use nashr_check::tree::dir_trees;

struct Case {
    code: Code,
    locale: &'static str,
    reference: &'static str,
    bad: &'static str,
    good: &'static str,
    /// For checks of the source file itself: the fixed source (translation stays `bad`).
    good_reference: Option<&'static str>,
    /// Source and translation linted first, for checks that compare with an earlier state.
    before: Option<(&'static str, &'static str)>,
}

const fn case(code: Code, reference: &'static str, bad: &'static str, good: &'static str) -> Case {
    Case {
        code,
        locale: "fa",
        reference,
        bad,
        good,
        good_reference: None,
        before: None,
    }
}

const PLURAL_EN: &str = "a = { $n ->\n    [one] { $n } item\n   *[other] { $n } items\n}\n";

const CASES: &[Case] = &[
    case(Code::Syntax, "a = A { $x }\n", "a = آ { $x\n", "a = آ { $x }\n"),
    case(
        Code::NoDefaultVariant,
        PLURAL_EN,
        "a = { $n ->\n    [one] { $n } مورد\n    [other] { $n } مورد\n}\n",
        "a = { $n ->\n    [one] { $n } مورد\n   *[other] { $n } مورد\n}\n",
    ),
    case(Code::DuplicateId, "a = A\n", "a = آ\na = ب\n", "a = آ\n"),
    case(
        Code::MissingValue,
        "a = A\n    .title = T\n",
        "a =\n    .title = ت\n",
        "a = آ\n    .title = ت\n",
    ),
    case(
        Code::ObsoleteValue,
        "a =\n    .title = T\n",
        "a = آ\n    .title = ت\n",
        "a =\n    .title = ت\n",
    ),
    case(
        Code::MissingAttribute,
        "a = A\n    .title = T\n",
        "a = آ\n",
        "a = آ\n    .title = ت\n",
    ),
    case(Code::ObsoleteAttribute, "a = A\n", "a = آ\n    .title = ت\n", "a = آ\n"),
    case(
        Code::DuplicateAttribute,
        "a = A\n    .title = T\n",
        "a = آ\n    .title = ت\n    .title = ث\n",
        "a = آ\n    .title = ت\n",
    ),
    case(
        Code::DuplicateVariant,
        PLURAL_EN,
        "a = { $n ->\n    [one] { $n } مورد\n    [one] { $n } چیز\n   *[other] { $n } مورد\n}\n",
        "a = { $n ->\n    [one] { $n } مورد\n   *[other] { $n } مورد\n}\n",
    ),
    Case {
        code: Code::MissingPluralCategory,
        locale: "ru",
        reference: PLURAL_EN,
        bad: "a = { $n ->\n    [one] { $n } штука\n   *[other] { $n } штуки\n}\n",
        good: "a = { $n ->\n    [one] { $n } штука\n    [few] { $n } штуки\n    [many] { $n } штук\n   *[other] { $n } штуки\n}\n",
        good_reference: None,
        before: None,
    },
    case(
        Code::MissingMessageReference,
        "a = A { b }\nb = B\n",
        "a = آ\nb = ب\n",
        "a = آ { b }\nb = ب\n",
    ),
    case(
        Code::ObsoleteMessageReference,
        "a = A\nb = B\n",
        "a = آ { b }\nb = ب\n",
        "a = آ\nb = ب\n",
    ),
    case(
        Code::MissingTermReference,
        "-t = T\na = A { -t }\n",
        "-t = ت\na = آ\n",
        "-t = ت\na = آ { -t }\n",
    ),
    case(
        Code::ObsoleteTermReference,
        "-t = T\na = A\n",
        "-t = ت\na = آ { -t }\n",
        "-t = ت\na = آ\n",
    ),
    case(
        Code::ReplacementCharacter,
        "a = Text\n",
        "a = مت\u{FFFD}ن\n",
        "a = متن\n",
    ),
    Case {
        code: Code::ReferenceSyntax,
        locale: "fa",
        reference: "a = A { $x\nb = B\n",
        bad: "b = ب\n",
        good: "b = ب\n",
        good_reference: Some("a = A { $x }\nb = B\n"),
        before: None,
    },
    Case {
        code: Code::ReferenceDuplicateId,
        locale: "fa",
        reference: "a = A\na = AA\n",
        bad: "a = آ\n",
        good: "a = آ\n",
        good_reference: Some("a = A\n"),
        before: None,
    },
    Case {
        code: Code::Stale,
        locale: "fa",
        reference: "a = A new book\n",
        bad: "a = کتاب\n",
        good: "a = کتابی تازه\n",
        good_reference: None,
        before: Some(("a = A book\n", "a = کتاب\n")),
    },
    case(
        Code::UnknownVariable,
        "a = A { $x }\n",
        "a = آ { $y } { $x }\n",
        "a = آ { $x }\n",
    ),
    case(Code::DroppedVariable, "a = A { $x }\n", "a = آ\n", "a = آ { $x }\n"),
    case(
        Code::UnknownFunction,
        "a = { NUMBER($n) } A\n",
        "a = { NUMBR($n) } آ\n",
        "a = { NUMBER($n) } آ\n",
    ),
    case(
        Code::UndefinedReference,
        "a = A { -t }\n-t = T\n",
        "a = آ { -t }\n",
        "a = آ { -t }\n-t = ت\n",
    ),
    case(
        Code::UnknownPluralCategory,
        PLURAL_EN,
        "a = { $n ->\n    [one] { $n } مورد\n    [few] { $n } مورد\n   *[other] { $n } مورد\n}\n",
        "a = { $n ->\n    [one] { $n } مورد\n   *[other] { $n } مورد\n}\n",
    ),
    case(
        Code::OneWithoutNumber,
        PLURAL_EN,
        "a = { $n ->\n    [one] یک مورد\n   *[other] { $n } مورد\n}\n",
        "a = { $n ->\n    [0] هیچ موردی\n    [one] یک مورد\n   *[other] { $n } مورد\n}\n",
    ),
    case(Code::ArabicYehKaf, "a = Book\n", "a = كتاب علي\n", "a = کتاب علی\n"),
    case(
        Code::ArabicIndicDigits,
        "a = 4 sessions\n",
        "a = ٤ جلسه\n",
        "a = ۴ جلسه\n",
    ),
    case(Code::MixedDigits, "a = 123\n", "a = ۱2۳\n", "a = ۱۲۳\n"),
    case(Code::BidiControl, "a = Text\n", "a = متن\u{200F}\n", "a = متن\n"),
    case(
        Code::ZeroWidth,
        "a = It works\n",
        "a = کار می\u{200B}کند\n",
        "a = کار می\u{200C}کند\n",
    ),
    case(
        Code::StrayZwnj,
        "a = It works\n",
        "a = کار می \u{200C}کند\n",
        "a = کار می\u{200C}کند\n",
    ),
    case(
        Code::LinkTarget,
        "a = See [massage](@/massage).\n",
        "a = [ماساژ](@/masage) را ببینید.\n",
        "a = [ماساژ](@/massage) را ببینید.\n",
    ),
    case(
        Code::ImagePath,
        "a = ![A chart](chart.svg)\n",
        "a = ![نمودار](chart.png)\n",
        "a = ![نمودار](chart.svg)\n",
    ),
    case(
        Code::InlineCode,
        "a = Run `make run`.\n",
        "a = `make` را اجرا کنید.\n",
        "a = `make run` را اجرا کنید.\n",
    ),
    case(
        Code::UnbalancedEmphasis,
        "a = A *big* step\n",
        "a = گامی *بزرگ\n",
        "a = گامی *بزرگ*\n",
    ),
    case(
        Code::HtmlNotAllowed,
        "a-html = <b>Read</b>\n",
        "a-html = <img src=x onerror=alert(1)>\n",
        "a-html = <b>بخوانید</b>\n",
    ),
];

fn lint_pair(locale: &str, reference: &str, translation: &str) -> Vec<Finding> {
    lint_after(locale, None, reference, translation)
}

fn lint_after(locale: &str, before: Option<(&str, &str)>, reference: &str, translation: &str) -> Vec<Finding> {
    let dir = tempfile::tempdir().expect("temp dir");
    let (r, l) = (dir.path().join("en"), dir.path().join(locale));
    let run = |reference: &str, translation: &str| {
        write(&r.join("app.ftl"), reference);
        write(&l.join("app.ftl"), translation);
        let trees = dir_trees(&r, std::slice::from_ref(&l), None).expect("trees");
        lint(&trees).expect("lint")
    };
    if let Some((reference, translation)) = before {
        run(reference, translation);
    }
    run(reference, translation)
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn codes(findings: &[Finding]) -> Vec<Code> {
    findings.iter().map(|f| f.code).collect()
}

#[test]
fn every_check_raises_on_its_bad_case_and_not_on_its_good_case() {
    let mut failures = Vec::new();
    for c in CASES {
        let bad = lint_after(c.locale, c.before, c.reference, c.bad);
        if !codes(&bad).contains(&c.code) {
            failures.push(format!("{}: not raised on\n{}\ngot {:?}", c.code, c.bad, codes(&bad)));
        }
        let good = lint_after(c.locale, c.before, c.good_reference.unwrap_or(c.reference), c.good);
        if codes(&good).contains(&c.code) {
            failures.push(format!("{}: raised on the good case\n{}", c.code, c.good));
        }
        // Every finding is located and explained.
        for f in bad.iter().chain(&good) {
            assert!(f.line >= 1 && f.column >= 1, "{f:?}");
            assert!(!f.message.is_empty() && !f.hint.is_empty(), "{f:?}");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_check_has_a_case() {
    for check in CHECKS {
        assert!(
            CASES.iter().any(|c| c.code == check.code),
            "no fixture case for check `{}`",
            check.code
        );
    }
}

#[test]
fn findings_point_at_the_exact_place() {
    let found = lint_pair("fa", "a = A { $x }\n", "# comment\na = آ { $y }\n");
    let f = found.iter().find(|f| f.code == Code::UnknownVariable).expect("finding");
    assert_eq!((f.line, f.column, f.width), (2, 9, 2));
    assert_eq!(f.source_line, "a = آ { $y }");
    assert!(f.path.ends_with("fa/app.ftl"), "{}", f.path.display());
    let text = nashr_check::report::finding_text(f);
    assert!(text.contains(":2:9: error[unknown-variable]"), "{text}");
    assert!(text.contains(" 2 | a = آ { $y }\n   |         ^^\n"), "{text}");
}

#[test]
fn fix_repairs_text_and_never_touches_placeables_or_comments() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (r, l) = (dir.path().join("en"), dir.path().join("fa"));
    write(
        &r.join("app.ftl"),
        "a = { $n } { \"x\" } Book\nb = { $n ->\n   *[other] Books\n}\n",
    );
    let translation = "# كتاب در توضیح\na = { $n } { \"ك\" } كتاب ٤\nb = { $n ->\n   *[other] كتاب‌ها { $n }\n}\n";
    write(&l.join("app.ftl"), translation);
    let trees = dir_trees(&r, std::slice::from_ref(&l), None).expect("trees");
    let findings = lint(&trees).expect("lint");
    assert_eq!(nashr_check::lint::summary(&findings).fixable, 3);
    nashr_check::lint::apply_fixes(&findings).expect("fix");
    let fixed = std::fs::read_to_string(l.join("app.ftl")).expect("read");
    assert_eq!(
        fixed,
        "# كتاب در توضیح\na = { $n } { \"ك\" } کتاب ۴\nb = { $n ->\n   *[other] کتاب‌ها { $n }\n}\n"
    );
    let again = lint(&dir_trees(&r, &[l], None).expect("trees")).expect("lint");
    assert_eq!(nashr_check::lint::summary(&again).fixable, 0);
}

#[test]
fn a_locale_is_taken_from_the_directory_name_or_must_be_given() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (r, l) = (dir.path().join("en"), dir.path().join("translations"));
    write(&r.join("app.ftl"), "a = A\n");
    write(&l.join("app.ftl"), "a = آ\n");
    let err = dir_trees(&r, std::slice::from_ref(&l), None).expect_err("no locale");
    assert!(err.to_string().contains("--locale"), "{err}");
    assert!(
        matches!(&err, nashr_content::Error::LocaleOfDirectory { dir } if *dir == l),
        "{err:?}"
    );
    let trees = dir_trees(&r, &[l], Some("fa")).expect("trees");
    assert_eq!(trees[0].locale, "fa");
}
