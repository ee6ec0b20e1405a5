//! `make bench`: nashr against Hugo on the same generated bilingual site.
//!
//! For each size N (default 1,000 and 10,000; `BENCH_N=1000` or `-- 1000` for others) the
//! corpus generator (`nashr_tests::corpus`) writes N articles of about 900 words with full
//! Persian translations, once as a nashr project and once as a Hugo site, under
//! `target/bench-corpus/<N>/` (kept between runs; regenerated when missing). Both are built by
//! their command-line programs, `nashr` (`NASHR_BIN`, else `target/release/nashr`; `make bench`
//! passes `make release`'s profile-guided `target/pgo/nashr`) and Debian's `hugo`, in the same
//! run, each measured by GNU time (wall time and peak resident memory):
//!
//! - a cold build into an empty output directory (nashr also without its incremental state),
//!   the median of three runs, once with the output on disk and once in tmpfs (there, also the
//!   plain release build of the same code, `NASHR_PLAIN_BIN`, when it is given);
//! - a rebuild with nothing changed;
//! - a rebuild after one Persian paragraph changed;
//! - a rebuild after the article page template changed.
//!
//! Before each timed run, every file of the program's site is read once (`warm`), so both
//! programs start from the page cache, and `sync` writes back what the previous run wrote, so
//! neither program's writes wait for the other's.
//!
//! Then the two outputs are checked to be equivalent in substance: every article page exists
//! in both languages in both sites with the same article text, and so do the index pages, tag
//! pages, feeds and sitemaps. The table is printed with the machine's load.
//!
//! Last, `nashr serve` on a copy of the sample project: the time from saving a Persian catalog
//! to the reload event the open pages get, for five edits (a number here, not a threshold in
//! the serve test).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nashr_tests::corpus;

/// One measured command.
struct Run {
    secs: f64,
    rss_mib: f64,
    /// What the program said (nashr's summary line).
    output: String,
}

/// Reads every file under `dir` (hidden ones too), so a timed run finds its site in the page
/// cache. This machine's page cache does not hold both sites and their outputs (about 2 GB at
/// N = 10,000): without this, a run read part of its inputs from the disk, depending on what
/// the other program had written just before, and wall times varied by a factor of two.
fn warm(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => warm(&path),
            Ok(t) if t.is_file() => {
                let _ = std::fs::read(&path);
            }
            _ => {}
        }
    }
}

fn timed(program: &Path, args: &[&str], cwd: &Path) -> Run {
    warm(cwd);
    // The previous run's output (a gigabyte, for Hugo at N = 10,000) is still being written
    // back to the disk; a run started now has its own writes throttled by the kernel for it.
    let _ = Command::new("sync").status();
    let stats = std::env::temp_dir().join(format!("nashr-bench-time-{}", std::process::id()));
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%e %M")
        .arg("-o")
        .arg(&stats)
        .arg(program)
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run /usr/bin/time {}: {e} (run scripts/bench-tools.sh)",
                program.display()
            )
        });
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{} {args:?} failed:\n{output}", program.display());
    let text = std::fs::read_to_string(&stats).expect("time's output");
    let last = text.lines().last().unwrap_or_default();
    let mut parts = last.split_whitespace();
    let secs: f64 = parts.next().and_then(|s| s.parse().ok()).expect("seconds");
    let kb: f64 = parts.next().and_then(|s| s.parse().ok()).expect("max RSS");
    Run {
        secs,
        rss_mib: kb / 1024.0,
        output,
    }
}

/// The files under `dir`, relative, with `/`.
fn files(dir: &Path) -> BTreeSet<String> {
    nashr_content::fs::walk_files(dir)
        .unwrap_or_default()
        .iter()
        .map(|p| nashr_content::fs::relative_slash(p, dir))
        .collect()
}

fn html_pages(dir: &Path) -> usize {
    files(dir).iter().filter(|f| f.ends_with(".html")).count()
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "n/a".into())
}

fn rm(path: &Path) {
    if path.is_dir() {
        std::fs::remove_dir_all(path).unwrap_or_else(|e| panic!("remove {}: {e}", path.display()));
    }
}

/// How many times each cold build runs (the median is shown).
const COLD_RUNS: usize = 3;

/// The run with the median wall time.
fn median(mut runs: Vec<Run>) -> Run {
    runs.sort_by(|a, b| a.secs.total_cmp(&b.secs));
    runs.swap_remove(runs.len() / 2)
}

/// An empty directory in tmpfs (`/dev/shm`), when the machine has one.
fn ram_dir() -> Option<PathBuf> {
    let dir = Path::new("/dev/shm").join(format!("nashr-bench-{}", std::process::id()));
    rm(&dir);
    std::fs::create_dir_all(&dir).ok().map(|_| dir)
}

/// Generates the corpus for `n` unless it is already there.
fn corpus_dir(repo: &Path, n: usize) -> (PathBuf, PathBuf, f64) {
    let base = repo.join("target/bench-corpus").join(n.to_string());
    let (nashr, hugo) = (base.join("nashr"), base.join("hugo"));
    let marker = base.join(".complete-v1");
    // The site's own copies of the templates, so the template scenario edits a file; copied
    // again on every run, so a kept corpus has the templates of the nashr it measures.
    let templates = || {
        rm(&nashr.join("templates"));
        nashr_tests::copy_recursive(&repo.join("templates"), &nashr.join("templates"));
    };
    if marker.is_file() {
        templates();
        return (nashr, hugo, 0.0);
    }
    rm(&base);
    let t = Instant::now();
    corpus::write_nashr(&nashr, repo, n).expect("generate the nashr corpus");
    templates();
    corpus::write_hugo(&hugo, repo, n).expect("generate the Hugo corpus");
    std::fs::write(&marker, "").expect("marker");
    (nashr, hugo, t.elapsed().as_secs_f64())
}

/// The normalized text of the first element matching `selector`.
fn text_of(html: &str, selector: &scraper::Selector) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let el = doc.select(selector).next()?;
    let text: String = el.text().collect();
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Checks that both sites have the same pages and the same article text; returns a summary
/// line and the number of problems.
fn equivalence(nashr_out: &Path, hugo_out: &Path, n: usize) -> (String, usize) {
    let content = scraper::Selector::parse("div.content").expect("selector");
    let title = scraper::Selector::parse("article h1").expect("selector");
    let mut problems = Vec::new();
    let mut compared = 0;
    for lang in ["en", "fa"] {
        for i in 0..n {
            let slug = corpus::slug(i);
            let rel = format!("{lang}/{slug}/index.html");
            let (a, b) = (
                std::fs::read_to_string(nashr_out.join(&rel)),
                std::fs::read_to_string(hugo_out.join(&rel)),
            );
            let (Ok(a), Ok(b)) = (a, b) else {
                problems.push(format!("{rel} is missing from one site"));
                continue;
            };
            // Every article in full; a sample of one in ten is enough at large sizes to keep
            // the check quick (parsing 40,000 pages takes longer than both builds).
            if n > 2000 && i % 10 != 0 {
                continue;
            }
            compared += 1;
            for sel in [&content, &title] {
                let (ta, tb) = (text_of(&a, sel), text_of(&b, sel));
                if ta.is_none() || ta != tb {
                    problems.push(format!(
                        "{rel}: the article text differs\n  nashr: {}\n  hugo:  {}",
                        ta.unwrap_or_default().chars().take(200).collect::<String>(),
                        tb.unwrap_or_default().chars().take(200).collect::<String>()
                    ));
                }
            }
        }
        let pages = n.div_ceil(corpus::PER_PAGE);
        for p in 2..=pages {
            let rel = format!("{lang}/page/{p}/index.html");
            if !(nashr_out.join(&rel).is_file() && hugo_out.join(&rel).is_file()) {
                problems.push(format!("{rel} is missing from one site"));
            }
        }
        for tag in corpus::TAGS {
            let rel = format!("{lang}/tags/{tag}/index.html");
            if !(nashr_out.join(&rel).is_file() && hugo_out.join(&rel).is_file()) {
                problems.push(format!("{rel} is missing from one site"));
            }
        }
        for (a, b) in [
            (format!("{lang}/index.html"), format!("{lang}/index.html")),
            (format!("{lang}/tags/index.html"), format!("{lang}/tags/index.html")),
            (format!("{lang}/atom.xml"), format!("{lang}/index.xml")),
        ] {
            if !(nashr_out.join(&a).is_file() && hugo_out.join(&b).is_file()) {
                problems.push(format!("{a} (nashr) or {b} (Hugo) is missing"));
            }
        }
    }
    if !(nashr_out.join("sitemap.xml").is_file() && hugo_out.join("sitemap.xml").is_file()) {
        problems.push("a sitemap is missing".into());
    }
    for p in problems.iter().take(5) {
        eprintln!("equivalence: {p}");
    }
    (
        format!(
            "{} article pages in both languages present in both sites, {compared} compared word for word; index, tag, feed and sitemap files present: {}",
            2 * n,
            if problems.is_empty() {
                "all equivalent".to_string()
            } else {
                format!("{} PROBLEMS", problems.len())
            }
        ),
        problems.len(),
    )
}

/// Changes one Persian paragraph in both sites (the same segment of article 3).
fn edit_paragraph(nashr: &Path, hugo: &Path, round: usize) {
    let slug = corpus::slug(3);
    let catalog = nashr.join(format!("locales/fa/articles/{slug}.ftl"));
    let text = std::fs::read_to_string(&catalog).expect("catalog");
    let line = text.lines().find(|l| l.starts_with("intro-p1 = ")).expect("intro-p1");
    let old_para = line["intro-p1 = ".len()..].to_string();
    let new_para = format!("ویرایش‌شده {round} {old_para}");
    std::fs::write(&catalog, text.replacen(line, &format!("intro-p1 = {new_para}"), 1)).expect("write");
    let page = hugo.join(format!("content/fa/{slug}/index.md"));
    let md = std::fs::read_to_string(&page).expect("page");
    assert!(md.contains(&old_para), "the Hugo page has the same paragraph");
    std::fs::write(&page, md.replacen(&old_para, &new_para, 1)).expect("write");
}

fn edit_template(nashr: &Path, hugo: &Path, round: usize) {
    for path in [
        nashr.join("templates/article.html"),
        hugo.join("layouts/_default/single.html"),
    ] {
        let text = std::fs::read_to_string(&path).expect("template");
        // `<article class="article"` becomes `<article data-v="<round>" class="article"`.
        let start = text.find("<article ").expect("an <article> in the template") + "<article ".len();
        let end = start + text[start..].find("class=\"article\"").expect("class=article");
        let text = format!("{}data-v=\"{round}\" {}", &text[..start], &text[end..]);
        std::fs::write(&path, text).expect("write");
    }
}

fn written(run: &Run) -> String {
    // "… 2 files written, …" from nashr's summary line.
    run.output
        .split(" files written")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .map(str::to_string)
        .or_else(|| run.output.contains("0 files written").then(|| "0".into()))
        .unwrap_or_else(|| "?".into())
}

/// The `site_version` of the next `state` event on a `/_nashr/events` stream.
fn next_site_version(events: &mut BufReader<TcpStream>) -> u64 {
    let mut event = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        let n = events
            .read_line(&mut line)
            .expect("an event from nashr serve within 30 s");
        assert!(n > 0, "nashr serve closed the event stream");
        let l = line.trim_end();
        if let Some(e) = l.strip_prefix("event: ") {
            event = e.to_string();
        } else if let Some(data) = l.strip_prefix("data: ")
            && event == "state"
        {
            let state: serde_json::Value = serde_json::from_str(data).expect("event JSON");
            return state["site_version"].as_u64().expect("site_version");
        }
    }
}

/// `nashr serve --port 0` on a copy of the sample project: for each of `edits` edits of a
/// Persian catalog, the seconds from the save to the reload event.
fn serve_latencies(nashr_bin: &Path, edits: usize) -> Vec<f64> {
    const FA_FILE: &str = "locales/fa/articles/physiotherapy-vs-massage.ftl";
    let sample = nashr_tests::Sample::new();
    let mut child = Command::new(nashr_bin)
        .args(["serve", "--port", "0", "--root"])
        .arg(sample.root())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nashr serve");
    let mut url = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut url)
        .expect("the address of nashr serve");
    let addr = url
        .trim()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut stream = TcpStream::connect(&addr).expect("connect to nashr serve");
    stream
        .write_all(format!("GET /_nashr/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .expect("ask for the events");
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let mut events = BufReader::new(stream);
    let mut version = next_site_version(&mut events);
    let mut secs = Vec::with_capacity(edits);
    for round in 0..edits {
        let line = sample.line_starting(FA_FILE, "what-is-physiotherapy = ");
        let saved = Instant::now();
        sample.replace(FA_FILE, &line, &format!("{line} {round}"));
        loop {
            let v = next_site_version(&mut events);
            if v > version {
                version = v;
                break;
            }
        }
        secs.push(saved.elapsed().as_secs_f64());
    }
    let _ = child.kill();
    let _ = child.wait();
    secs
}

fn main() {
    let repo = nashr_tests::repo_root();
    let mut sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    if sizes.is_empty()
        && let Ok(list) = std::env::var("BENCH_N")
    {
        sizes = list.split([',', ' ']).filter_map(|s| s.trim().parse().ok()).collect();
    }
    if sizes.is_empty() {
        sizes = vec![1000, 10000];
    }
    // Relative paths are the repository's: `cargo bench` runs this in the package directory.
    let nashr_bin = std::env::var_os("NASHR_BIN")
        .map(|p| repo.join(p))
        .unwrap_or_else(|| repo.join("target/release/nashr"));
    assert!(
        nashr_bin.is_file(),
        "{} is missing: `cargo build --release -p nashr` or `make release` first (make bench does both)",
        nashr_bin.display()
    );
    // `make bench` measures the binary `make release` makes (profile-guided, target/pgo/nashr)
    // and, for comparison, the plain release build of the same code (NASHR_PLAIN_BIN).
    let plain_bin = std::env::var_os("NASHR_PLAIN_BIN").map(|p| repo.join(p));
    if let Some(plain) = &plain_bin {
        assert!(plain.is_file(), "NASHR_PLAIN_BIN: {} is missing", plain.display());
    }
    println!("nashr: {}", nashr_bin.display());
    let hugo_bin = PathBuf::from("hugo");
    let hugo_version = Command::new("hugo")
        .arg("version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .expect("hugo is not installed: run scripts/bench-tools.sh");
    println!(
        "nashr vs Hugo: {} core(s); {hugo_version}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("load average at start: {}", load());
    println!();
    println!(
        "| N per language | scenario | nashr s | Hugo s | Hugo/nashr | nashr pages/s | Hugo pages/s | nashr peak MiB | Hugo peak MiB | Hugo/nashr RSS | nashr files written | load |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    let mut failures = 0;
    let mut notes = Vec::new();
    for n in sizes {
        let (nashr, hugo, gen_secs) = corpus_dir(&repo, n);
        if gen_secs > 0.0 {
            notes.push(format!("N={n}: corpus generated in {gen_secs:.1} s"));
        }
        let nashr_out = nashr.join("public");
        let hugo_out = hugo.join("public");
        let nashr_args = ["build", "--root", "."];
        let hugo_args = ["--quiet", "--source", ".", "--destination", "public"];
        let row_in = |scenario: &str, a: &Run, b: &Run, nashr_out: &Path, hugo_out: &Path| {
            let (pa, pb) = (html_pages(nashr_out), html_pages(hugo_out));
            println!(
                "| {n} | {scenario} | {:.2} | {:.2} | {:.1}× | {:.0} | {:.0} | {:.0} | {:.0} | {:.1}× | {} | {} |",
                a.secs,
                b.secs,
                b.secs / a.secs.max(0.005),
                pa as f64 / a.secs.max(0.005),
                pb as f64 / b.secs.max(0.005),
                a.rss_mib,
                b.rss_mib,
                b.rss_mib / a.rss_mib.max(0.1),
                written(a),
                load()
            );
        };
        let row = |scenario: &str, a: &Run, b: &Run| row_in(scenario, a, b, &nashr_out, &hugo_out);
        // Cold builds are run COLD_RUNS times each, alternating the two programs, and the
        // median is shown: on this machine's ext4 (mounted without a journal) creating 44,000
        // files and directories after as many were deleted varies from run to run by a factor
        // of up to 4 for both programs (perf shows the time in the kernel's inode allocator,
        // `recently_deleted`). The same builds with the output in tmpfs show the programs' own
        // work apart from the disk's.
        if let Some(shm) = ram_dir() {
            let (a_out, b_out) = (shm.join("nashr"), shm.join("hugo"));
            let a_arg = a_out.display().to_string();
            let b_arg = b_out.display().to_string();
            let (mut runs_a, mut runs_b, mut runs_plain) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..COLD_RUNS {
                rm(&a_out);
                rm(&nashr.join(".nashr"));
                runs_a.push(timed(&nashr_bin, &["build", "--root", ".", "--out", &a_arg], &nashr));
                if let Some(plain) = &plain_bin {
                    rm(&a_out);
                    rm(&nashr.join(".nashr"));
                    runs_plain.push(timed(plain, &["build", "--root", ".", "--out", &a_arg], &nashr));
                }
                rm(&b_out);
                runs_b.push(timed(
                    &hugo_bin,
                    &["--quiet", "--source", ".", "--destination", &b_arg],
                    &hugo,
                ));
            }
            let hugo_median = median(runs_b);
            if !runs_plain.is_empty() {
                row_in(
                    "cold build, output in RAM, without PGO",
                    &median(runs_plain),
                    &hugo_median,
                    &a_out,
                    &b_out,
                );
            }
            row_in(
                "cold build, output in RAM",
                &median(runs_a),
                &hugo_median,
                &a_out,
                &b_out,
            );
            rm(&shm);
        }
        // Cold: empty output directories, no incremental state. Each output is deleted just
        // before its own build.
        let (mut runs_a, mut runs_b) = (Vec::new(), Vec::new());
        for _ in 0..COLD_RUNS {
            rm(&nashr_out);
            rm(&nashr.join(".nashr"));
            runs_a.push(timed(&nashr_bin, &nashr_args, &nashr));
            rm(&hugo_out);
            rm(&hugo.join("resources"));
            runs_b.push(timed(&hugo_bin, &hugo_args, &hugo));
        }
        let spread = |runs: &[Run]| {
            runs.iter()
                .map(|r| format!("{:.2}", r.secs))
                .collect::<Vec<_>>()
                .join(", ")
        };
        notes.push(format!(
            "N={n}: cold builds on disk, every run: nashr {} s; Hugo {} s",
            spread(&runs_a),
            spread(&runs_b)
        ));
        row("cold build", &median(runs_a), &median(runs_b));
        let (summary, problems) = equivalence(&nashr_out, &hugo_out, n);
        failures += problems;
        notes.push(format!(
            "N={n}: nashr {} HTML pages, Hugo {} HTML pages; {summary}",
            html_pages(&nashr_out),
            html_pages(&hugo_out)
        ));
        let a = timed(&nashr_bin, &nashr_args, &nashr);
        let b = timed(&hugo_bin, &hugo_args, &hugo);
        row("nothing changed", &a, &b);
        if written(&a) != "0" {
            failures += 1;
            notes.push(format!("N={n}: a no-op rebuild wrote files: {}", a.output.trim()));
        }
        let round = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs() as usize);
        edit_paragraph(&nashr, &hugo, round);
        let a = timed(&nashr_bin, &nashr_args, &nashr);
        let b = timed(&hugo_bin, &hugo_args, &hugo);
        row("one fa paragraph", &a, &b);
        edit_template(&nashr, &hugo, round);
        let a = timed(&nashr_bin, &nashr_args, &nashr);
        let b = timed(&hugo_bin, &hugo_args, &hugo);
        row("article template", &a, &b);
    }
    let mut serve = serve_latencies(&nashr_bin, 5);
    let every = serve
        .iter()
        .map(|s| format!("{:.0}", s * 1000.0))
        .collect::<Vec<_>>()
        .join(", ");
    serve.sort_by(f64::total_cmp);
    notes.push(format!(
        "nashr serve, sample project: a saved Persian catalog to the reload event: median {:.0} ms (every edit: {every} ms)",
        serve[serve.len() / 2] * 1000.0
    ));
    println!();
    println!("load average at end: {}", load());
    for note in notes {
        println!("{note}");
    }
    assert_eq!(
        failures, 0,
        "the two sites are not equivalent, or a no-op rebuild wrote files"
    );
}
