//! Article catalogs are read when their article is opened and dropped when it is done
//! (`Localizer::load_lazy`, what `nashr build` uses so memory does not grow with the site),
//! and their syntax errors are reported when the article is opened.

use std::path::Path;

use nashr_content::{Error, Project};
use nashr_l10n::Localizer;

fn project(fa_catalogs: &[(&str, &str)]) -> (tempfile::TempDir, Project) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("nashr.toml"),
        "[site]\nbase_url = \"https://c.example/\"\nlocales = [\"en\", \"fa\"]\n",
    )
    .unwrap();
    for lang in ["en", "fa"] {
        std::fs::create_dir_all(root.join("locales").join(lang).join("articles")).unwrap();
        std::fs::write(root.join("locales").join(lang).join("site.ftl"), "site-name = Clinic\n").unwrap();
    }
    for (slug, fa) in fa_catalogs {
        let article = root.join("content").join(slug);
        std::fs::create_dir_all(&article).unwrap();
        std::fs::write(
            article.join("index.md"),
            "+++\ntitle = \"Neck pain\"\ndate = 2026-11-01\n+++\n\nRest a little.\n",
        )
        .unwrap();
        std::fs::write(root.join(format!("locales/fa/articles/{slug}.ftl")), fa).unwrap();
    }
    let project = Project::load(Path::new(root)).unwrap();
    (dir, project)
}

#[test]
fn a_catalog_is_kept_while_its_article_is_open_and_read_again_after() {
    let (dir, project) = project(&[("neck", "title = گردن‌درد\n")]);
    let l10n = Localizer::load_lazy(&project).unwrap();
    let fa = dir.path().join("locales/fa/articles/neck.ftl");
    {
        let _open = l10n.open_article("neck").unwrap();
        assert_eq!(l10n.segment("fa", "neck", "title").as_deref(), Some("گردن‌درد"));
        // While the article is open, its catalog is the one read when it was opened.
        std::fs::write(&fa, "title = کمردرد\n").unwrap();
        assert_eq!(l10n.segment("fa", "neck", "title").as_deref(), Some("گردن‌درد"));
    }
    // Closed: nothing is held, the next look reads the file again.
    assert_eq!(l10n.segment("fa", "neck", "title").as_deref(), Some("کمردرد"));
    // Opened twice (two renderers): held until both are done.
    let first = l10n.open_article("neck").unwrap();
    let second = l10n.open_article("neck").unwrap();
    drop(first);
    std::fs::write(&fa, "title = زانودرد\n").unwrap();
    assert_eq!(l10n.segment("fa", "neck", "title").as_deref(), Some("کمردرد"));
    drop(second);
    assert_eq!(l10n.segment("fa", "neck", "title").as_deref(), Some("زانودرد"));
}

#[test]
fn a_broken_catalog_is_reported_when_its_article_is_opened() {
    let broken = "title = گردن‌درد\nsummary = { $\n";
    let (_dir, project) = project(&[("good", "title = گردن‌درد\n"), ("neck", broken)]);
    // Lazily: the UI files load, the good article opens, the broken one reports its file
    // and line.
    let l10n = Localizer::load_lazy(&project).unwrap();
    assert!(l10n.open_article("good").is_ok());
    let errors = l10n.open_article("neck").err().expect("a syntax error");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].path, Path::new("locales/fa/articles/neck.ftl"));
    assert_eq!(errors[0].line, 2, "{}", errors[0].message);
    // Eagerly: loading fails with the same error.
    match Localizer::load(&project) {
        Err(Error::Input(errors)) => assert_eq!(errors.len(), 1),
        Err(e) => panic!("expected the syntax error, got {e}"),
        Ok(_) => panic!("expected the syntax error"),
    }
}
