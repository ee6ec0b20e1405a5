//! `nashr build` and `nashr serve` find stale translations on one path (`nashr_site`): after
//! an edit of one English paragraph, both name the same stale messages.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use nashr_site::{BuildSettings, Preview, Reload, Site, StaleSet};
use nashr_tests::Sample;

const ARTICLE: &str = "content/physiotherapy-vs-massage/index.md";
const EDITED_FILE: &str = "articles/physiotherapy-vs-massage.ftl";
const EDITED_ID: &str = "what-is-physiotherapy-p1";

/// `(locale, file, id)` of every stale translation.
type Stale = BTreeSet<(String, String, String)>;

fn flatten(set: &StaleSet) -> Stale {
    set.iter()
        .flat_map(|(locale, messages)| {
            messages
                .iter()
                .map(move |m| (locale.clone(), m.file.clone(), m.id.clone()))
        })
        .collect()
}

/// The body of `GET path` from the preview server.
fn get(addr: SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("connect to the preview server");
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).expect("send");
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).expect("read");
    let resp = String::from_utf8_lossy(&resp).into_owned();
    let (head, body) = resp.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body.to_string()
}

/// The stale list of the preview server's `/_nashr/status`.
fn served_stale(sample: &Sample) -> Stale {
    let mut options = nashr_serve::Options::new(sample.root());
    options.port = 0;
    options.log = std::sync::Arc::new(|_: &str| {});
    let running = nashr_serve::start(options).expect("start the preview server");
    let status: serde_json::Value = serde_json::from_str(&get(running.addr, "/_nashr/status")).expect("status is JSON");
    status["stale"]
        .as_array()
        .expect("a stale list")
        .iter()
        .map(|m| {
            let field = |k: &str| m[k].as_str().unwrap_or_else(|| panic!("{k} in {m}")).to_string();
            (field("locale"), field("file"), field("id"))
        })
        .collect()
}

fn edit_one_english_paragraph(sample: &Sample) {
    sample.replace(
        ARTICLE,
        "trained in this field who",
        "trained in this field at university who",
    );
}

#[test]
fn build_and_serve_find_the_same_stale_translations() {
    let sample = Sample::new();
    assert!(served_stale(&sample).is_empty(), "the sample has no stale translation");
    edit_one_english_paragraph(&sample);

    let served = served_stale(&sample);
    let site = Site::load(sample.root(), BuildSettings::new().full(true)).expect("load");
    let report = site.build(&|_, _, _| {}).expect("build");
    let built = flatten(&report.stale);
    assert_eq!(built, served);
    assert!(
        built.contains(&("fa".into(), EDITED_FILE.into(), EDITED_ID.into())),
        "{built:?}"
    );
    let fa = report.stale_counts.iter().find(|(l, _)| l == "fa").map(|(_, n)| *n);
    assert_eq!(fa, Some(report.stale["fa"].len()), "the counts the CLI prints agree");

    // An incremental build of the edit (what `nashr build` does next) finds it too, and so
    // does the preview after it: the locks each of them wrote keep it stale.
    sample.replace(ARTICLE, "at university who", "at a university who");
    let site = Site::load(sample.root(), BuildSettings::new()).expect("load");
    let report = site.build(&|_, _, _| {}).expect("incremental build");
    assert!(report.incremental);
    assert_eq!(flatten(&report.stale), built);
    assert_eq!(served_stale(&sample), built);

    // The CLI reports the same.
    let run = sample.nashr(&["build", "--full"]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(run.output.contains("fa: 1 translation is stale"), "{}", run.output);
}

#[test]
fn a_preview_reusing_its_translations_keeps_their_stale_set() {
    let sample = Sample::new();
    edit_one_english_paragraph(&sample);
    let (first, _) = Preview::load(sample.root(), None, Reload::all()).expect("preview");
    assert!(!first.stale().is_empty());
    let (again, rendered) = Preview::load(sample.root(), Some(&first), Reload::rendering_only()).expect("again");
    assert_eq!(again.stale(), first.stale());
    assert!(
        std::sync::Arc::ptr_eq(again.l10n(), first.l10n()),
        "the translations are reused"
    );
    // The stale paragraph is still marked in the Persian page rendered with marks.
    let marked = again.render(true).expect("render with marks");
    let page = &marked.marks["fa/physiotherapy-vs-massage/index.html"];
    assert!(
        page.iter()
            .any(|m| m.kind == nashr_render::marks::MarkKind::Stale && m.id == EDITED_ID),
        "{page:?}"
    );
    assert_eq!(rendered.outputs.len(), marked.outputs.len());
}
