//! The benchmark corpus: N generated bilingual articles, written once as a nashr project and
//! once as the equivalent Hugo site, from the same article model.
//!
//! Each article has about 900 words of English Markdown (headings, paragraphs with emphasis
//! and links to other articles, lists, a blockquote), three tags out of a small set, and a full
//! Persian translation of every segment in real Persian words, many with ZWNJ (`می‌شود`). The
//! text comes from a fixed-seed generator that picks word *n* of parallel English and Persian
//! vocabularies, so both languages have the same structure, the same links and the same
//! number of words, and a run is reproducible.
//!
//! - nashr: `content/<slug>/index.md`, `locales/en/articles/<slug>.ftl` (as `nashr l10n sync`
//!   writes it), `locales/fa/articles/<slug>.ftl` (every segment translated), the sample's UI
//!   files (`site.ftl`, `email.ftl`), built-in templates, the sample's `static/`.
//! - Hugo: `content/<lang>/<slug>/index.md` for both languages (the Persian file is what nashr
//!   renders from the segments: the same Markdown with each segment translated), `i18n/`,
//!   `layouts/` written for this benchmark (article page, per-locale index paginated by
//!   `per_page`, tag pages, tag list, per-locale feed of the newest 20 with full content,
//!   Hugo's own multilingual sitemap), the same `static/`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

/// Articles per index page, in both generators.
pub const PER_PAGE: usize = 10;

/// Parallel vocabularies: word `i` in English and in Persian.
const WORDS: &[(&str, &str)] = &[
    ("treatment", "درمان"),
    ("patient", "بیمار"),
    ("muscles", "ماهیچه‌ها"),
    ("pain", "درد"),
    ("exercise", "ورزش"),
    ("can", "می‌تواند"),
    ("becomes", "می‌شود"),
    ("recovery", "بهبودی"),
    ("therapist", "درمانگر"),
    ("joints", "مفصل‌ها"),
    ("movement", "حرکت"),
    ("strength", "قدرت"),
    ("the back", "کمر"),
    ("the neck", "گردن"),
    ("sessions", "جلسه‌ها"),
    ("gently", "به‌آرامی"),
    ("daily", "روزانه"),
    ("helps", "کمک می‌کند"),
    ("injuries", "آسیب‌ها"),
    ("stretching", "کشش"),
    ("posture", "وضعیت بدن"),
    ("the clinic", "درمانگاه"),
    ("assessment", "ارزیابی"),
    ("habits", "عادت‌ها"),
    ("breathing", "تنفس"),
    ("sleep", "خواب"),
    ("balance", "تعادل"),
    ("walking", "پیاده‌روی"),
    ("shoulders", "شانه‌ها"),
    ("knees", "زانوها"),
    ("swelling", "تورم"),
    ("careful", "با دقت"),
    ("often", "اغلب"),
    ("slowly", "آهسته"),
    ("program", "برنامه"),
    ("goals", "هدف‌ها"),
    ("we", "ما"),
    ("you", "شما"),
    ("with", "با"),
    ("and", "و"),
    ("for", "برای"),
    ("after", "پس از"),
    ("before", "پیش از"),
    ("without", "بدون"),
    ("cannot", "نمی‌توان"),
    ("these", "این‌ها"),
    ("those", "آن‌ها"),
    ("home", "خانه"),
    ("work", "کار"),
    ("rest", "استراحت"),
    ("massage", "ماساژ"),
    ("needles", "سوزن‌ها"),
    ("evidence", "شواهد"),
    ("research", "پژوهش"),
    ("improves", "بهتر می‌کند"),
    ("reduces", "کاهش می‌دهد"),
    ("weeks", "هفته‌ها"),
    ("months", "ماه‌ها"),
    ("children", "کودکان"),
    ("older adults", "سالمندان"),
    ("athletes", "ورزشکاران"),
    ("the spine", "ستون فقرات"),
    ("flexibility", "انعطاف‌پذیری"),
    ("stiffness", "خشکی"),
    ("heat", "گرما"),
    ("ice", "یخ"),
    ("guidance", "راهنمایی"),
    ("questions", "پرسش‌ها"),
    ("answers", "پاسخ‌ها"),
    ("plan", "طرح"),
];

/// Tag keys; each article has three of them.
pub const TAGS: &[&str] = &[
    "physiotherapy",
    "massage-therapy",
    "acupuncture",
    "rehabilitation",
    "pain-management",
    "sports-injuries",
    "posture",
    "back-pain",
    "neck-pain",
    "exercise",
    "older-adults",
    "children",
];

/// A small deterministic generator (xorshift64*), so the corpus needs no dependency and is the
/// same in every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Text in both languages, built piece by piece.
#[derive(Default, Clone)]
struct Bi {
    en: String,
    fa: String,
}

impl Bi {
    fn push(&mut self, en: &str, fa: &str) {
        self.en.push_str(en);
        self.fa.push_str(fa);
    }
    fn words(rng: &mut Rng, n: usize) -> Bi {
        let mut b = Bi::default();
        for i in 0..n {
            if i > 0 {
                b.push(" ", " ");
            }
            let (en, fa) = WORDS[rng.below(WORDS.len())];
            b.push(en, fa);
        }
        b
    }
}

/// One generated article: front matter fields and body, in both languages, plus the segment
/// texts (English → Persian) a translator would have produced.
pub struct GenArticle {
    pub slug: String,
    pub date: String,
    pub tags: Vec<&'static str>,
    title: Bi,
    summary: Bi,
    /// Body blocks; links are written as `@/slug` and resolved per generator.
    body: Bi,
    /// Every segment's English text and its Persian translation.
    pub translations: HashMap<String, String>,
}

pub fn slug(i: usize) -> String {
    format!("article-{i:05}")
}

impl GenArticle {
    pub fn new(i: usize, n: usize) -> GenArticle {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1).wrapping_mul(0x1000_0000_01B3));
        for _ in 0..4 {
            rng.next();
        }
        let mut translations = HashMap::new();
        let seg = |b: Bi, translations: &mut HashMap<String, String>| {
            translations.insert(b.en.clone(), b.fa.clone());
            b
        };
        let mut title = Bi::words(&mut rng, 6);
        title.push(&format!(" {i}"), &format!(" {i}"));
        let title = seg(title, &mut translations);
        let summary = seg(Bi::words(&mut rng, 24), &mut translations);
        let mut tags: Vec<&'static str> = Vec::new();
        while tags.len() < 3 {
            let t = TAGS[rng.below(TAGS.len())];
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        // Newest first by index; dates spread over about 27 years, one article a day.
        let day = jiff::civil::date(2026, 11, 1)
            .checked_sub(jiff::Span::new().days(i as i64))
            .unwrap_or(jiff::civil::date(2000, 1, 1));
        let mut body = Bi::default();
        let paragraph = |rng: &mut Rng, translations: &mut HashMap<String, String>| {
            let mut p = Bi::default();
            for s in 0..4 {
                if s > 0 {
                    p.push(" ", " ");
                }
                let len = 12 + rng.below(6);
                let mut sentence = Bi::words(rng, len);
                match rng.below(6) {
                    0 => {
                        let w = Bi::words(rng, 2);
                        sentence.push(" **", " **");
                        sentence.push(&w.en, &w.fa);
                        sentence.push("**", "**");
                    }
                    1 => {
                        let w = Bi::words(rng, 1);
                        sentence.push(" *", " *");
                        sentence.push(&w.en, &w.fa);
                        sentence.push("*", "*");
                    }
                    2 if n > 1 => {
                        let target = slug((i + 1 + rng.below(n - 1)) % n);
                        let w = Bi::words(rng, 3);
                        sentence.push(&format!(" [{}](@/{target})", w.en), &format!(" [{}](@/{target})", w.fa));
                    }
                    _ => {}
                }
                sentence.push(".", ".");
                p.push(&sentence.en, &sentence.fa);
            }
            seg(p, translations)
        };
        let intro = paragraph(&mut rng, &mut translations);
        body.push(&intro.en, &intro.fa);
        body.push("\n\n", "\n\n");
        for h in 0..6 {
            let len = 3 + rng.below(3);
            let mut heading = Bi::words(&mut rng, len);
            heading.push(&format!(" {}", h + 1), &format!(" {}", h + 1));
            let heading = seg(heading, &mut translations);
            body.push(&format!("## {}\n\n", heading.en), &format!("## {}\n\n", heading.fa));
            for _ in 0..2 {
                let p = paragraph(&mut rng, &mut translations);
                body.push(&p.en, &p.fa);
                body.push("\n\n", "\n\n");
            }
            match h % 3 {
                0 => {
                    for _ in 0..4 {
                        let item = seg(Bi::words(&mut rng, 8), &mut translations);
                        body.push(&format!("- {}\n", item.en), &format!("- {}\n", item.fa));
                    }
                    body.push("\n", "\n");
                }
                1 => {
                    let q = seg(Bi::words(&mut rng, 20), &mut translations);
                    body.push(&format!("> {}\n\n", q.en), &format!("> {}\n\n", q.fa));
                }
                _ => {}
            }
        }
        GenArticle {
            slug: slug(i),
            date: day.to_string(),
            tags,
            title,
            summary,
            body,
            translations,
        }
    }

    fn front_matter(&self, title: &str, summary: &str) -> String {
        let q = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        format!(
            "+++\ntitle = \"{}\"\nsummary = \"{}\"\ndate = {}\ntags = [{}]\n+++\n\n",
            q(title),
            q(summary),
            self.date,
            self.tags
                .iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }

    /// nashr's `content/<slug>/index.md`.
    pub fn nashr_markdown(&self) -> String {
        format!(
            "{}{}",
            self.front_matter(&self.title.en, &self.summary.en),
            self.body.en
        )
    }

    /// Hugo's `content/<lang>/<slug>/index.md`: internal links resolved to the page in the
    /// same language, as nashr resolves `@/slug`.
    pub fn hugo_markdown(&self, lang: &str) -> String {
        let (title, summary, body) = if lang == "fa" {
            (&self.title.fa, &self.summary.fa, &self.body.fa)
        } else {
            (&self.title.en, &self.summary.en, &self.body.en)
        };
        let body = body.replace("](@/", &format!("](/{lang}/"));
        // `(/fa/article-00001)` → `(/fa/article-00001/)`: the page's own URL.
        let body = close_links(&body);
        let mut fm = self.front_matter(title, summary);
        fm = fm.replacen("+++\n", &format!("+++\nslug = \"{}\"\n", self.slug), 1);
        format!("{fm}{body}")
    }
}

fn close_links(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 64);
    let mut rest = body;
    while let Some(pos) = rest.find("](/") {
        let (before, after) = rest.split_at(pos + 3);
        out.push_str(before);
        let end = after.find(')').unwrap_or(after.len());
        out.push_str(&after[..end]);
        if !after[..end].ends_with('/') {
            out.push('/');
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Writes the nashr project for `n` articles under `root` (which must be empty or absent).
/// `repo` is the nashr repository (for the sample's UI files and `static/`).
pub fn write_nashr(root: &Path, repo: &Path, n: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(root.join("content"))?;
    std::fs::write(
        root.join("nashr.toml"),
        format!(
            "[site]\nbase_url = \"https://bench.example/\"\nsource_locale = \"en\"\nlocales = [\"en\", \"fa\"]\nper_page = {PER_PAGE}\n\n[locale.fa]\nfallback = [\"en\"]\n\n[build]\noutput_dir = \"public\"\n"
        ),
    )?;
    crate::copy_recursive(&repo.join("static"), &root.join("static"));
    for lang in ["en", "fa"] {
        let dir = root.join("locales").join(lang);
        std::fs::create_dir_all(dir.join("articles"))?;
        for file in ["site.ftl", "email.ftl"] {
            std::fs::copy(repo.join("locales").join(lang).join(file), dir.join(file))?;
        }
    }
    // Articles in parallel: generation is a few seconds even at 10,000.
    for_each_parallel(n, |i| write_nashr_article(root, &GenArticle::new(i, n), n))
}

/// Runs `f(0..n)` on as many threads as there are cores.
fn for_each_parallel(n: usize, f: impl Fn(usize) -> std::io::Result<()> + Sync) -> std::io::Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let f = &f;
    std::thread::scope(|scope| -> std::io::Result<()> {
        let handles: Vec<_> = (0..threads)
            .map(|t| scope.spawn(move || (t..n).step_by(threads).try_for_each(f)))
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| std::io::Error::other("generator thread panicked"))??;
        }
        Ok(())
    })
}

fn write_nashr_article(root: &Path, article: &GenArticle, _n: usize) -> std::io::Result<()> {
    let dir = root.join("content").join(&article.slug);
    std::fs::create_dir_all(&dir)?;
    let text = article.nashr_markdown();
    std::fs::write(dir.join("index.md"), &text)?;
    // The source catalog exactly as `nashr l10n sync` writes it, and its Persian translation.
    let rel = format!("content/{}/index.md", article.slug);
    let doc = nashr_content::Document::parse(Path::new(&rel), text)
        .map_err(|e| std::io::Error::other(format!("{rel}: {e}")))?;
    let segments = nashr_l10n::segment::segments(&doc, &[]);
    let source = nashr_l10n::catalog::write_source_catalog(&rel, &article.slug, &segments);
    std::fs::write(
        root.join("locales/en/articles").join(format!("{}.ftl", article.slug)),
        source,
    )?;
    let mut fa = String::with_capacity(8 * 1024);
    for s in &segments {
        let Some(t) = article.translations.get(&s.text) else {
            return Err(std::io::Error::other(format!(
                "{}: no translation generated for segment `{}`: {}",
                article.slug, s.id, s.text
            )));
        };
        let _ = writeln!(fa, "{} = {}", s.id, nashr_l10n::catalog::escape(t));
    }
    std::fs::write(
        root.join("locales/fa/articles").join(format!("{}.ftl", article.slug)),
        fa,
    )
}

/// Writes the Hugo site for `n` articles under `root`.
pub fn write_hugo(root: &Path, repo: &Path, n: usize) -> std::io::Result<()> {
    for (path, text) in HUGO_FILES {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap_or(root))?;
        std::fs::write(p, text)?;
    }
    crate::copy_recursive(&repo.join("static"), &root.join("static"));
    for_each_parallel(n, |i| {
        let a = GenArticle::new(i, n);
        for lang in ["en", "fa"] {
            let dir = root.join("content").join(lang).join(&a.slug);
            std::fs::create_dir_all(&dir)?;
            std::fs::write(dir.join("index.md"), a.hugo_markdown(lang))?;
        }
        Ok(())
    })
}

/// The Hugo site's configuration, UI strings and layouts, written for this benchmark to
/// produce the same pages as nashr's built-in templates.
pub const HUGO_FILES: &[(&str, &str)] = &[
    ("config.toml", include_str!("hugo/config.toml")),
    ("i18n/en.toml", include_str!("hugo/i18n/en.toml")),
    ("i18n/fa.toml", include_str!("hugo/i18n/fa.toml")),
    (
        "layouts/_default/baseof.html",
        include_str!("hugo/layouts/_default/baseof.html"),
    ),
    (
        "layouts/_default/single.html",
        include_str!("hugo/layouts/_default/single.html"),
    ),
    (
        "layouts/_default/term.html",
        include_str!("hugo/layouts/_default/term.html"),
    ),
    (
        "layouts/_default/taxonomy.html",
        include_str!("hugo/layouts/_default/taxonomy.html"),
    ),
    ("layouts/index.html", include_str!("hugo/layouts/index.html")),
    ("layouts/index.rss.xml", include_str!("hugo/layouts/index.rss.xml")),
    (
        "layouts/partials/card.html",
        include_str!("hugo/layouts/partials/card.html"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_are_about_900_words_with_zwnj_and_links() {
        let a = GenArticle::new(7, 100);
        let words = a.body.en.split_whitespace().count();
        assert!((700..1200).contains(&words), "{words} words");
        assert!(a.body.fa.contains('\u{200C}'));
        assert!(a.body.en.contains("](@/article-"));
        assert!(a.hugo_markdown("fa").contains("](/fa/article-"));
        assert!(!a.hugo_markdown("fa").contains("@/"));
        assert_eq!(a.nashr_markdown(), GenArticle::new(7, 100).nashr_markdown());
    }
}
