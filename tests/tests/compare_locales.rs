//! nashr next to Mozilla's compare-locales on the same fixture trees
//! (`tests/fixtures/l10n-compare`): both must find the same missing and obsolete messages and
//! the same errors; what nashr finds beyond that is listed as its own.
//!
//! compare-locales is installed by `make services` (scripts/compare-locales.sh).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn compare_locales() -> PathBuf {
    let bin = nashr_tests::repo_root().join(".services/compare-locales/bin/compare-locales");
    assert!(
        bin.is_file(),
        "compare-locales is not installed at {}: run `make services`",
        bin.display()
    );
    bin
}

fn nashr_json(args: &[&str], dir: &Path) -> (u8, Value) {
    let mut all: Vec<std::ffi::OsString> = vec!["nashr".into(), "l10n".into()];
    all.extend(args.iter().map(Into::into));
    all.extend([
        "--reference".into(),
        dir.join("en").into(),
        "--l10n".into(),
        dir.join("fa").into(),
        "--json".into(),
    ]);
    let run = nashr_tests::run(all);
    let json = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.output));
    (run.code, json)
}

#[test]
fn nashr_agrees_with_compare_locales_and_finds_more() {
    let bin = compare_locales();
    let fixture = tempfile::tempdir().expect("temp dir");
    nashr_tests::copy_recursive(
        &nashr_tests::repo_root().join("tests/fixtures/l10n-compare"),
        fixture.path(),
    );

    // compare-locales: exit 1 because of errors; JSON on stdout.
    let out = Command::new(&bin)
        .args(["--json", "-", "l10n.toml", ".", "fa"])
        .current_dir(fixture.path())
        .output()
        .expect("run compare-locales");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let cl: Value = serde_json::from_slice(&out.stdout).expect("compare-locales JSON");
    let summary = &cl[0]["summary"]["fa"];
    let details = &cl[0]["details"]["fa"];
    let cl_items = |file: &str, kind: &str| -> BTreeSet<String> {
        details[file]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item[kind].as_str().map(str::to_string))
            .collect()
    };

    let (status_code, status) = nashr_json(&["status"], fixture.path());
    assert_eq!(status_code, 0);
    let files = status["locales"][0]["files"].as_array().expect("files");
    let file = |name: &str| {
        files
            .iter()
            .find(|f| f["file"].as_str().is_some_and(|p| p.ends_with(name)))
            .unwrap_or_else(|| panic!("no {name} in {status}"))
    };
    let ids = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };

    // Missing messages: the same count and the same ids (a file that does not exist yet
    // counts all its messages as missing in both tools).
    assert_eq!(status["locales"][0]["total"]["missing"], summary["missing"]);
    assert_eq!(
        ids(&file("fa/app.ftl")["missing_ids"]),
        cl_items("app.ftl", "missingEntity")
    );
    assert_eq!(file("fa/second.ftl")["state"], "missing-file");
    assert_eq!(cl_items("second.ftl", "missingFile").len(), 1);
    assert_eq!(status["locales"][0]["total"]["missing_words"], summary["missing_w"]);

    // Obsolete messages: the same ids in files both tools compare. compare-locales reports a
    // file whose source is gone as one "remove this file" item without counting its
    // messages; nashr marks the file the same way and also lists its messages.
    assert_eq!(
        ids(&file("fa/app.ftl")["obsolete_ids"]),
        cl_items("app.ftl", "obsoleteEntity")
    );
    assert_eq!(file("fa/app.ftl")["obsolete"], summary["obsolete"]);
    assert_eq!(file("fa/old.ftl")["state"], "obsolete-file");
    assert_eq!(cl_items("old.ftl", "obsoleteFile").len(), 1);

    // Translated and identical messages: compare-locales' "changed" and "unchanged".
    assert_eq!(status["locales"][0]["total"]["translated"], summary["changed"]);
    assert_eq!(status["locales"][0]["total"]["identical"], summary["unchanged"]);

    // Errors and warnings of the checks compare-locales also has: the same counts.
    let (lint_code, lint) = nashr_json(&["lint"], fixture.path());
    assert_eq!(lint_code, 1, "errors make lint exit 1, as compare-locales does");
    let findings = lint["findings"].as_array().expect("findings");
    let count = |level: &str, shared: bool| {
        findings
            .iter()
            .filter(|f| f["level"] == level && f["compare_locales"] == shared)
            .count()
    };
    assert_eq!(count("error", true) as u64, summary["errors"].as_u64().expect("errors"));
    assert_eq!(
        count("warning", true) as u64,
        summary["warnings"].as_u64().expect("warnings")
    );

    // nashr's own checks: found here, silent in compare-locales.
    let extra: BTreeSet<&str> = findings
        .iter()
        .filter(|f| f["compare_locales"] == false)
        .filter_map(|f| f["code"].as_str())
        .collect();
    eprintln!("checks nashr adds on this fixture: {extra:?}");
    for code in [
        "unknown-variable",
        "dropped-variable",
        "unknown-function",
        "unknown-plural-category",
        "one-without-number",
        "arabic-yeh-kaf",
        "html-not-allowed",
    ] {
        assert!(extra.contains(code), "nashr should report {code}: {extra:?}");
    }
    let cl_text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !cl_text.contains("$nam") && !cl_text.contains("NUMBERS"),
        "compare-locales does not check variables or functions"
    );
}
