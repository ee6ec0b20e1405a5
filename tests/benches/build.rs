//! `make bench`: build times on generated bilingual sites.
//!
//! The sample's three articles (and their English and Persian catalogs) are copied N times,
//! so every generated article is a real, fully translated article with images, tags and
//! cross-links. Each size is measured as: a cold build into an empty directory, a rebuild
//! with nothing changed, and a rebuild after one Persian paragraph changed. Times are the
//! median of several runs, phase by phase; memory is the process's peak resident set.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nashr_tests::Sample;

fn generate(copies: usize) -> Sample {
    let sample = Sample::new();
    for slug in ["physiotherapy-vs-massage", "benefits-of-physiotherapy", "acupuncture"] {
        for i in 1..=copies {
            let new = format!("{slug}-{i}");
            nashr_tests::copy_recursive(
                &sample.path(&format!("content/{slug}")),
                &sample.path(&format!("content/{new}")),
            );
            for lang in ["en", "fa"] {
                std::fs::copy(
                    sample.path(&format!("locales/{lang}/articles/{slug}.ftl")),
                    sample.path(&format!("locales/{lang}/articles/{new}.ftl")),
                )
                .unwrap();
            }
        }
    }
    sample
}

struct Phases {
    load: Duration,
    l10n: Duration,
    render: Duration,
    write: Duration,
    files: usize,
    written: usize,
}

fn build(root: &Path, out: &Path) -> Phases {
    let t = Instant::now();
    let project = nashr_content::Project::load(root).expect("load");
    let load = t.elapsed();
    let t = Instant::now();
    let l10n = Arc::new(nashr_l10n::Localizer::load(&project).expect("l10n"));
    let l10n_time = t.elapsed();
    let t = Instant::now();
    let outputs = nashr_render::render(&project, &l10n, jiff::Timestamp::now(), &|_, _, _| {})
        .expect("render")
        .outputs;
    let render = t.elapsed();
    let t = Instant::now();
    let report = nashr_render::write_outputs(out, &outputs, &|_, _, _| {}).expect("write");
    Phases {
        load,
        l10n: l10n_time,
        render,
        write: t.elapsed(),
        files: outputs.len(),
        written: report.written.len(),
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn peak_rss_mib() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_string())
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or("n/a".into(), |kb| format!("{:.0}", kb / 1024.0))
}

fn main() {
    // `cargo bench` passes --bench; a size list may follow: `cargo bench --bench build -- 10 100`.
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![33, 333] } else { sizes };
    println!(
        "nashr build benchmark: {} core(s), debug assertions {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        cfg!(debug_assertions)
    );
    println!(
        "| articles | pages+files | scenario | load ms | l10n ms | render ms | write ms | total ms | files written | peak RSS MiB |"
    );
    println!("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut translator_rows = Vec::new();
    for copies in sizes {
        let sample = generate(copies);
        let articles = 3 * (copies + 1);
        let runs = if articles > 500 { 3 } else { 7 };
        let report = |scenario: &str, phases: Vec<Phases>| {
            let files = phases[0].files;
            let written = phases[0].written;
            let total = median(phases.iter().map(|p| p.load + p.l10n + p.render + p.write).collect());
            let col = |f: fn(&Phases) -> Duration| ms(median(phases.iter().map(f).collect()));
            println!(
                "| {articles} | {files} | {scenario} | {} | {} | {} | {} | {} | {written} | {} |",
                col(|p| p.load),
                col(|p| p.l10n),
                col(|p| p.render),
                col(|p| p.write),
                ms(total),
                peak_rss_mib()
            );
        };
        let cold: Vec<Phases> = (0..runs)
            .map(|i| {
                let out = sample.path(&format!("cold-{i}"));
                build(sample.root(), &out)
            })
            .collect();
        report("cold build", cold);
        let out = sample.path("public");
        build(sample.root(), &out);
        report(
            "nothing changed",
            (0..runs).map(|_| build(sample.root(), &out)).collect(),
        );
        let catalog = "locales/fa/articles/acupuncture.ftl";
        let original = sample.read(catalog);
        let changed: Vec<Phases> = (0..runs)
            .map(|i| {
                sample.write(
                    catalog,
                    &original.replacen("intro-p1 = ", &format!("intro-p1 = ({i}) "), 1),
                );
                build(sample.root(), &out)
            })
            .collect();
        report("one paragraph translated", changed);

        // The translator's commands on the same project: stale detection (status, which also
        // runs inside every build) and lint.
        let time = |f: &dyn Fn()| {
            median(
                (0..runs)
                    .map(|_| {
                        let t = Instant::now();
                        f();
                        t.elapsed()
                    })
                    .collect(),
            )
        };
        let trees = || {
            let project = nashr_content::Project::load(sample.root()).expect("load");
            nashr_check::tree::project_trees(&project).expect("trees")
        };
        let status = time(&|| {
            nashr_check::status::status(&trees()).expect("status");
        });
        let lint = time(&|| {
            nashr_check::lint::lint(&trees()).expect("lint");
        });
        translator_rows.push(format!("| {articles} | {} | {} |", ms(status), ms(lint)));
    }
    println!();
    println!("| articles | l10n status ms | l10n lint ms |");
    println!("|---:|---:|---:|");
    for row in translator_rows {
        println!("{row}");
    }
}
