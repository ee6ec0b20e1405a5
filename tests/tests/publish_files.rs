//! `nashr publish` to the default filesystem target, the plan, and target configuration
//! mistakes. (WordPress is in wordpress.rs.)

use nashr_tests::{Sample, changed, snapshot};
use serde_json::Value;

#[test]
fn the_default_target_writes_fragments_and_metadata_once() {
    let sample = Sample::new();
    let plan = sample.nashr(&["publish", "--dry-run"]);
    assert_eq!(plan.code, 0, "{}", plan.output);
    assert!(
        plan.output
            .contains("files: would create 6, update 0, leave 0 unchanged"),
        "{}",
        plan.output
    );
    assert!(!sample.path("publish").exists(), "a dry run writes nothing");

    let run = sample.nashr(&["publish"]);
    assert_eq!(run.code, 0, "{}", run.output);
    let fa = sample.read("publish/fa/physiotherapy-vs-massage/index.html");
    assert!(fa.starts_with("<div lang=\"fa\" dir=\"rtl\">"), "{fa}");
    assert!(fa.contains("تفاوت\u{200C}های"), "ZWNJ survives");
    assert!(
        fa.contains("href=\"https://downtownphysio.example/fa/benefits-of-physiotherapy/\""),
        "links go to the site's article in the same language"
    );
    assert!(fa.contains("src=\"treatment-plan.svg\""));
    assert!(
        sample
            .path("publish/fa/physiotherapy-vs-massage/treatment-plan.svg")
            .is_file()
    );
    assert!(sample.path("publish/fa/physiotherapy-vs-massage/hero.svg").is_file());
    let meta: Value = serde_json::from_str(&sample.read("publish/fa/physiotherapy-vs-massage/meta.json")).unwrap();
    assert_eq!(meta["title"], "فیزیوتراپی یا ماساژ: آشنایی با تفاوت\u{200C}های اصلی");
    assert_eq!(meta["dir"], "rtl");
    assert_eq!(meta["status"], "publish");
    assert_eq!(meta["hero"]["src"], "hero.svg");
    assert_eq!(meta["translations"][0]["locale"], "en");
    assert!(
        meta["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["label"] == "توان\u{200C}بخشی")
    );

    let before = snapshot(&sample.path("publish"));
    let again = sample.nashr(&["publish"]);
    assert!(
        again
            .output
            .contains("files: 0 created, 0 updated, 6 unchanged; 0 files written"),
        "{}",
        again.output
    );
    assert_eq!(
        changed(&before, &snapshot(&sample.path("publish"))),
        Vec::<String>::new()
    );

    sample.replace(
        "content/acupuncture/index.md",
        "Acupuncture involves",
        "Acupuncture (edited) involves",
    );
    let plan = sample.nashr(&["publish", "--dry-run", "--json"]);
    let report: Value = serde_json::from_str(&plan.stdout).unwrap();
    let updates: Vec<&Value> = report["targets"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["action"] == "update")
        .collect();
    assert_eq!(updates.len(), 1, "{report}");
    assert_eq!(updates[0]["article"], "acupuncture");
    assert_eq!(updates[0]["reason"], "changed: index.html");
}

#[test]
fn nashr_run_publishes_after_the_build() {
    let sample = Sample::new();
    let run = sample.nashr(&["run"]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(run.output.contains("built 3 articles"), "{}", run.output);
    assert!(run.output.contains("files: 6 created"), "{}", run.output);
    assert!(sample.path("publish/en/acupuncture/meta.json").is_file());
}

#[test]
fn target_mistakes_are_reported_with_their_line() {
    let sample = Sample::new();
    sample.append(
        "nashr.toml",
        "\n[target.wordpress]\nkind = \"wordpress\"\nurl = \"https://clinic.example/\"\nuser = \"editor\"\npassword = \"hunter2\"\n",
    );
    let run = sample.nashr(&["publish"]);
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(run.output.contains("unknown field `password`"), "{}", run.output);
    let line = sample
        .read("nashr.toml")
        .lines()
        .position(|l| l.starts_with("password ="))
        .unwrap()
        + 1;
    assert!(run.output.contains(&format!("[nashr.toml:{line}:1]")), "{}", run.output);

    let sample = Sample::new();
    sample.append(
        "nashr.toml",
        "\n[target.wordpress]\nkind = \"wordpress\"\nuser = \"editor\"\n",
    );
    let run = sample.nashr(&["publish", "--dry-run"]);
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(
        run.output
            .contains("needs `url` (one site for every locale) or `site.<locale>`"),
        "{}",
        run.output
    );

    let run = Sample::new().nashr(&["publish", "--target", "nope"]);
    assert_eq!(run.code, 2);
    assert!(
        run.output.contains("no target `nope` in nashr.toml; targets: files"),
        "{}",
        run.output
    );
}
