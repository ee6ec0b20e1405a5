//! `nashr serve`: the preview server over plain HTTP (in-process), and the translator's loop
//! in a real headless Chromium against a `nashr serve --port 0` process.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nashr_tests::Sample;
use nashr_tests::browser::{Browser, artifacts_dir};

const FA_FILE: &str = "locales/fa/articles/physiotherapy-vs-massage.ftl";
const FA_PAGE: &str = "/fa/physiotherapy-vs-massage/";
const HEADING: &str = "what-is-physiotherapy = فیزیوتراپی چیست؟";
/// The translator's new heading; it has a ZWNJ (U+200C).
const NEW_HEADING: &str = "what-is-physiotherapy = فیزیوتراپی چیست؟ (بازنویسی\u{200c}شده)";
const NEW_TEXT: &str = "(بازنویسی\u{200c}شده)";
/// A Fluent syntax error on the same line.
const BROKEN_HEADING: &str = "what-is-physiotherapy = فیزیوتراپی چیست؟ { $x";

/// A preview server on a free 127.0.0.1 port, with its log captured.
struct Server {
    running: nashr_serve::Running,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(sample: &Sample) -> Server {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut options = nashr_serve::Options::new(sample.root());
        options.port = 0;
        let sink = log.clone();
        options.log = Arc::new(move |line: &str| sink.lock().unwrap().push(line.to_string()));
        let running = nashr_serve::start(options).expect("start the preview server");
        Server { running, log }
    }

    fn addr(&self) -> SocketAddr {
        self.running.addr
    }

    fn get(&self, path: &str) -> Http {
        http(self.addr(), "GET", path)
    }
}

struct Http {
    status: u16,
    head: String,
    body: String,
}

impl Http {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// One request exactly as written (no URL normalisation, unlike a browser or reqwest).
fn http(addr: SocketAddr, method: &str, path: &str) -> Http {
    let mut s = TcpStream::connect(addr).expect("connect to the preview server");
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).expect("send");
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).expect("read");
    let resp = String::from_utf8_lossy(&resp).into_owned();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    Http {
        status: head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0),
        head: head.to_string(),
        body: body.to_string(),
    }
}

/// The server-sent event stream.
struct Events {
    reader: BufReader<TcpStream>,
}

impl Events {
    fn open(addr: SocketAddr) -> Events {
        let mut s = TcpStream::connect(addr).expect("connect");
        s.write_all(format!("GET /_nashr/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
            .expect("send");
        s.set_read_timeout(Some(Duration::from_secs(20))).ok();
        let mut reader = BufReader::new(s);
        let mut line = String::new();
        reader.read_line(&mut line).expect("status line");
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        loop {
            line.clear();
            reader.read_line(&mut line).expect("header");
            if line == "\r\n" {
                break;
            }
            if line.to_ascii_lowercase().starts_with("content-type:") {
                assert!(line.contains("text/event-stream"), "{line}");
            }
        }
        Events { reader }
    }

    /// The next `state` event's data.
    fn next(&mut self) -> serde_json::Value {
        let mut event = String::new();
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.reader.read_line(&mut line).expect("an event within 20 s");
            assert!(n > 0, "the event stream closed");
            let l = line.trim_end();
            if let Some(e) = l.strip_prefix("event: ") {
                event = e.to_string();
            } else if let Some(d) = l.strip_prefix("data: ")
                && event == "state"
            {
                return serde_json::from_str(d).expect("event JSON");
            }
        }
    }

    /// Events until one satisfies `f`.
    fn until(&mut self, what: &str, f: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let started = Instant::now();
        loop {
            let e = self.next();
            if f(&e) {
                return e;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "no event with {what}");
        }
    }
}

fn line_of(sample: &Sample, rel: &str, prefix: &str) -> usize {
    sample
        .read(rel)
        .lines()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("{rel} has no line {prefix:?}"))
        + 1
}

const ISOLATES: [char; 4] = ['\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'];

/// Every `data-…` attribute value and every attribute of a marked span.
fn attribute_values(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("[data-nashr-mark]").expect("selector");
    doc.select(&sel)
        .flat_map(|e| e.value().attrs().map(|(_, v)| v.to_string()).collect::<Vec<_>>())
        .collect()
}

#[test]
fn serves_the_site_from_memory_on_loopback_as_nashr_build_renders_it() {
    let sample = Sample::new();
    let server = Server::start(&sample);
    assert_eq!(
        server.addr().ip().to_string(),
        "127.0.0.1",
        "binds 127.0.0.1 by default"
    );
    assert_eq!(nashr_serve::Options::new(".").bind.to_string(), "127.0.0.1");

    let page = server.get(FA_PAGE);
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type").as_deref(), Some("text/html; charset=utf-8"));
    assert!(page.body.contains("<html lang=\"fa\" dir=\"rtl\">"));
    assert!(page.body.contains("<script src=\"/_nashr/client.js\"></script>"));
    assert!(!sample.public().exists(), "serve writes nothing to public/");

    // The same bytes as `nashr build`, plus the injected preview client before </body>.
    let built = sample.nashr(&["build"]);
    assert_eq!(built.code, 0, "{}", built.output);
    let file = sample.read("public/fa/physiotherapy-vs-massage/index.html");
    let start = page
        .body
        .find("\n<!-- nashr serve: preview only -->")
        .expect("injection");
    let end = page.body.rfind("</body>").expect("</body>");
    let mut served = page.body[..start].to_string();
    served.push_str(&page.body[end..]);
    assert_eq!(served, file, "the preview renders exactly what nashr build writes");
    assert!(!file.contains("nashr serve") && !file.contains("data-nashr-mark"));

    let css = server.get("/style.css");
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type").as_deref(), Some("text/css; charset=utf-8"));
    assert_eq!(css.body, sample.read("static/style.css"));
    let feed = server.get("/fa/atom.xml");
    assert_eq!(feed.status, 200);
    assert!(!feed.body.contains("nashr serve"), "only HTML pages get the client");
    assert_eq!(server.get("/").status, 200);

    let redirect = server.get("/fa/physiotherapy-vs-massage?marks=1");
    assert_eq!(redirect.status, 301);
    assert_eq!(
        redirect.header("location").as_deref(),
        Some("/fa/physiotherapy-vs-massage/?marks=1")
    );
    let js = server.get("/_nashr/client.js");
    assert_eq!(js.status, 200);
    assert!(js.body.contains("EventSource"));
}

#[test]
fn unknown_paths_are_404_and_no_path_leaves_the_site() {
    let sample = Sample::new();
    let server = Server::start(&sample);
    let missing = server.get("/fa/no-such-article/");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("Not found"));
    assert!(
        missing.body.contains("/_nashr/client.js"),
        "a 404 page reloads too, when the page appears"
    );
    for path in [
        "/../nashr.toml",
        "/fa/../../nashr.toml",
        "/fa/%2e%2e/%2e%2e/nashr.toml",
        "/%2E%2E/content/physiotherapy-vs-massage/index.md",
        "/..%2fnashr.toml",
        "/_newsletter/../../nashr.toml",
        "/./index.html",
        "/fa/..\\..\\nashr.toml",
    ] {
        let r = server.get(path);
        assert!(r.status == 400 || r.status == 404, "{path}: {}", r.status);
        assert!(!r.body.contains("base_url"), "{path} leaked nashr.toml");
    }
    assert_eq!(server.get("/nashr.toml").status, 404);
    assert_eq!(server.get("/content/physiotherapy-vs-massage/index.md").status, 404);
    assert_eq!(http(server.addr(), "POST", FA_PAGE).status, 405);

    // Garbage does not stop the server.
    let mut s = TcpStream::connect(server.addr()).expect("connect");
    s.write_all(b"\x00\x01garbage\r\n\r\n").expect("send");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 400"));
    drop(TcpStream::connect(server.addr()).expect("connect and hang up"));
    assert_eq!(server.get(FA_PAGE).status, 200);
}

#[test]
fn edits_reach_open_pages_errors_show_in_the_page_and_fixing_clears_them() {
    let sample = Sample::new();
    let server = Server::start(&sample);
    let mut events = Events::open(server.addr());
    let first = events.next();
    let v0 = first["site_version"].as_u64().expect("version");
    assert_eq!(first["overlay"], "", "{first}");

    // A translator edits the Persian catalog: the open page is told to reload.
    let edited = Instant::now();
    sample.replace(FA_FILE, HEADING, NEW_HEADING);
    let e = events.until("a new site version", |e| e["site_version"].as_u64() > Some(v0));
    let latency = edited.elapsed();
    assert_eq!(e["overlay"], "");
    let page = server.get(FA_PAGE);
    assert!(page.body.contains(NEW_TEXT), "the new text, ZWNJ included");
    // The bench measures how fast (`make bench` prints it): no threshold here.
    eprintln!("edit -> reload event: {latency:?}");
    let v1 = e["site_version"].as_u64().unwrap();

    // A syntax error: the last good page stays, with the overlay; the server keeps running.
    let line = line_of(&sample, FA_FILE, "what-is-physiotherapy =");
    sample.replace(FA_FILE, NEW_HEADING, BROKEN_HEADING);
    let e = events.until("an overlay", |e| e["overlay"] != "");
    assert_eq!(e["site_version"].as_u64(), Some(v1), "no reload to a broken site");
    let overlay = e["overlay"].as_str().unwrap();
    assert!(
        overlay.contains(&format!(
            "<span class=\"nashr-file\">{FA_FILE}</span>:<span class=\"nashr-line\">{line}</span>"
        )),
        "{overlay}"
    );
    assert!(overlay.contains("Fluent syntax error"), "{overlay}");
    assert!(
        overlay.contains("فیزیوتراپی چیست؟ { $x"),
        "the offending line: {overlay}"
    );
    let page = server.get(FA_PAGE);
    assert_eq!(page.status, 200);
    assert!(page.body.contains(NEW_TEXT), "the last good version is still served");
    assert!(page.body.contains("id=\"nashr-overlay\""));
    assert!(page.body.contains(&format!("<span class=\"nashr-line\">{line}</span>")));
    let status: serde_json::Value = serde_json::from_str(&server.get("/_nashr/status").body).unwrap();
    assert_eq!(status["problems"][0]["file"], FA_FILE, "{status}");
    assert_eq!(status["problems"][0]["line"], line);
    assert_eq!(status["problems"][0]["blocking"], true);
    assert!(
        server
            .log
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with("error: ") && l.contains(FA_FILE))
    );

    // Fixed: the overlay goes and the page reloads.
    sample.replace(FA_FILE, BROKEN_HEADING, NEW_HEADING);
    let e = events.until("the fix", |e| e["overlay"] == "");
    assert!(e["site_version"].as_u64() > Some(v1));
    let page = server.get(FA_PAGE);
    assert!(!page.body.contains("id=\"nashr-overlay\""));
    assert!(page.body.contains(NEW_TEXT));

    // A template error is shown the same way; only the rendering is redone.
    sample.append("templates/article.html", "{% if %}\n");
    let e = events.until("a template error", |e| e["overlay"] != "");
    assert!(e["overlay"].as_str().unwrap().contains("templates/article.html"), "{e}");
    let text = sample.read("templates/article.html").replace("{% if %}\n", "");
    sample.write("templates/article.html", &text);
    events.until("the template fix", |e| e["overlay"] == "");
    assert!(server.log.lock().unwrap().iter().any(|l| l.starts_with("rebuilt in ")));
}

#[test]
fn marks_show_missing_stale_and_fallback_texts_with_their_place() {
    let sample = Sample::new();
    // Missing: a translation removed. Stale: the English changed after the translation.
    // A UI message missing in Persian falls back to English.
    let missing_line = sample.line_starting(FA_FILE, "what-is-physiotherapy-p2 =");
    sample.replace(FA_FILE, &format!("{missing_line}\n"), "");
    sample.replace(
        "content/physiotherapy-vs-massage/index.md",
        "Physiotherapy, often called physical therapy",
        "Physiotherapy, also called physical therapy",
    );
    let footer = sample.line_starting("locales/fa/site.ftl", "footer-note =");
    sample.replace("locales/fa/site.ftl", &format!("{footer}\n"), "");
    let stale_line = line_of(&sample, FA_FILE, "what-is-physiotherapy-p1 =");
    let source_line = line_of(
        &sample,
        "locales/en/articles/physiotherapy-vs-massage.ftl",
        "what-is-physiotherapy-p2 =",
    );
    let server = Server::start(&sample);

    let plain = server.get(FA_PAGE);
    assert!(!plain.body.contains("data-nashr-mark"), "marks only when asked for");
    let page = server.get(&format!("{FA_PAGE}?marks=1"));
    assert_eq!(page.status, 200);
    let doc = scraper::Html::parse_document(&page.body);
    let one = |css: &str| {
        let sel = scraper::Selector::parse(css).expect("selector");
        doc.select(&sel).next().map(|e| e.value().clone())
    };
    let missing = one("span[data-nashr-mark=\"missing\"][data-id=\"what-is-physiotherapy-p2\"]")
        .expect("the missing paragraph is marked");
    assert_eq!(missing.attr("data-file"), Some(FA_FILE));
    assert_eq!(missing.attr("data-line"), None, "not in the file yet");
    assert_eq!(
        missing.attr("data-source-file"),
        Some("locales/en/articles/physiotherapy-vs-massage.ftl")
    );
    assert_eq!(missing.attr("data-source-line"), Some(source_line.to_string().as_str()));
    assert!(missing.attr("data-source").unwrap().starts_with("To find out how"));
    let stale = one("span[data-nashr-mark=\"stale\"][data-id=\"what-is-physiotherapy-p1\"]")
        .expect("the stale paragraph is marked");
    assert_eq!(stale.attr("data-file"), Some(FA_FILE));
    assert_eq!(stale.attr("data-line"), Some(stale_line.to_string().as_str()));
    assert!(
        stale
            .attr("data-source")
            .unwrap()
            .contains("also called physical therapy")
    );
    for v in attribute_values(&page.body) {
        assert!(!v.contains(ISOLATES), "isolation mark in an attribute: {v:?}");
    }
    // The panel lists them.
    assert!(one("#nashr-panel li[data-id=\"what-is-physiotherapy-p2\"][data-kind=\"missing\"]").is_some());
    assert!(one("#nashr-panel li[data-id=\"what-is-physiotherapy-p1\"][data-kind=\"stale\"]").is_some());
    assert!(one("#nashr-panel li[data-id=\"footer-note\"][data-kind=\"missing\"]").is_some());
    assert!(one("input#nashr-marks-toggle[checked]").is_some());

    let json: serde_json::Value =
        serde_json::from_str(&server.get(&format!("/_nashr/marks?path={FA_PAGE}")).body).expect("marks JSON");
    let marks = json["marks"].as_array().expect("marks");
    let find = |id: &str| {
        marks
            .iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {json}"))
    };
    assert_eq!(find("what-is-physiotherapy-p2")["kind"], "missing");
    assert_eq!(find("what-is-physiotherapy-p1")["kind"], "stale");
    assert_eq!(
        find("what-is-physiotherapy-p1")["location"],
        format!("{FA_FILE}:{stale_line}")
    );
    let ui = find("footer-note");
    assert_eq!(ui["kind"], "missing");
    assert_eq!(ui["slug"], serde_json::Value::Null);
    assert_eq!(ui["file"], "locales/fa/site.ftl");
    assert_eq!(ui["shown_locale"], "en");
    assert_eq!(ui["source_file"], "locales/en/site.ftl");
    assert_eq!(
        ui["source_line"],
        line_of(&sample, "locales/en/site.ftl", "footer-note =")
    );
    assert!(ui["source"].as_str().unwrap().contains("{ -clinic-name }"), "{ui}");
    // The English page has nothing to mark.
    let en: serde_json::Value =
        serde_json::from_str(&server.get("/_nashr/marks?path=/en/physiotherapy-vs-massage/").body).unwrap();
    assert_eq!(en["marks"].as_array().map(Vec::len), Some(0), "{en}");
}

#[test]
fn a_templates_folder_created_while_serving_is_watched() {
    let sample = Sample::new();
    let base = sample.read("templates/base.html");
    std::fs::remove_dir_all(sample.path("templates")).expect("remove templates/");
    let server = Server::start(&sample);
    let mut events = Events::open(server.addr());
    let v0 = events.next()["site_version"].as_u64();
    assert_eq!(server.get(FA_PAGE).status, 200, "the built-in templates");
    std::fs::create_dir(sample.path("templates")).expect("mkdir");
    // Give the new folder's watch a moment, then edit inside it.
    events.until("the new folder", |e| e["site_version"].as_u64() > v0);
    sample.write(
        "templates/base.html",
        &base.replace("<main id=\"main\">", "<main id=\"main\" data-test=\"own-template\">"),
    );
    let started = Instant::now();
    loop {
        if server.get(FA_PAGE).body.contains("data-test=\"own-template\"") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the new template was not picked up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_outside_a_project_is_a_usage_error() {
    let empty = tempfile::tempdir().expect("temp dir");
    let run = nashr_tests::run(vec![
        "nashr".into(),
        "serve".into(),
        "--port".into(),
        "0".into(),
        "--root".into(),
        empty.path().into(),
    ]);
    assert_eq!(run.code, 2, "{}", run.output);
    assert!(run.output.contains("nashr.toml"), "{}", run.output);
    let bad = nashr_tests::run(vec![
        "nashr".into(),
        "serve".into(),
        "--bind".into(),
        "not-an-address".into(),
    ]);
    assert_eq!(bad.code, 2, "{}", bad.output);
}

#[test]
fn newsletter_preview_shows_the_email_as_sent() {
    let sample = Sample::new();
    let server = Server::start(&sample);
    let list = server.get("/_newsletter/");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("href=\"/_newsletter/2026-12/fa\""));

    let page = server.get("/_newsletter/2026-12/fa");
    assert_eq!(page.status, 200, "{}", page.body);
    let doc = scraper::Html::parse_document(&page.body);
    let text_of = |css: &str| {
        let sel = scraper::Selector::parse(css).expect("selector");
        doc.select(&sel)
            .map(|e| e.text().collect::<String>())
            .collect::<Vec<_>>()
    };
    let subject = text_of("#subject").join("");
    let expected = sample.line_starting("locales/fa/newsletters/2026-12.ftl", "subject = ");
    assert_eq!(subject, expected.trim_start_matches("subject = "));
    assert!(
        subject.contains('\u{200c}'),
        "the Persian subject keeps its ZWNJ: {subject:?}"
    );
    assert!(!subject.contains(ISOLATES));
    let headers = text_of("#headers th");
    for h in [
        "From",
        "To",
        "Subject",
        "Message-ID",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "Content-Type",
    ] {
        assert!(headers.iter().any(|x| x == h), "{h} in {headers:?}");
    }
    let values = text_of("#headers td").join("\n");
    assert!(values.contains("preview@example.com"));
    assert!(values.contains("List-Unsubscribe=One-Click"));
    assert!(values.contains("multipart/alternative"));
    let text_part = text_of("#text-part").join("");
    assert!(
        text_part.contains("کلینیک") && text_part.contains('\u{200c}'),
        "{text_part}"
    );
    assert!(page.body.contains("src=\"/_newsletter/2026-12/fa/html\""));

    let html = server.get("/_newsletter/2026-12/fa/html");
    assert_eq!(html.status, 200);
    assert!(html.body.contains("dir=\"rtl\""));
    assert!(html.body.contains('\u{200c}'));
    assert!(!html.body.contains("nashr serve"), "the email as sent, nothing added");
    let text = server.get("/_newsletter/2026-12/fa/text");
    assert_eq!(
        text.header("content-type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(text.body.trim(), text_part.trim());
    let eml = server.get("/_newsletter/2026-12/en/eml");
    assert!(eml.body.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));

    assert_eq!(server.get("/_newsletter/2026-12/xx").status, 404);
    assert_eq!(server.get("/_newsletter/no-such-issue/fa").status, 404);
    assert_eq!(server.get("/_newsletter/2026-12/fa/nope").status, 404);
}

/// `nashr serve --port 0` as a process: its address on standard output.
struct ServeProcess {
    child: Child,
    url: String,
}

impl ServeProcess {
    fn start(sample: &Sample) -> ServeProcess {
        let mut child = Command::new(nashr_tests::smtp::nashr_bin())
            .args(["serve", "--port", "0", "--root"])
            .arg(sample.root())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start nashr serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the address");
        let url = line.trim().trim_end_matches('/').to_string();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "binds 127.0.0.1 by default: {line:?}"
        );
        ServeProcess { child, url }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The translator's loop in a real browser: the Persian page, an edit that appears without
/// reloading by hand, a syntax error in the page and its fix, then the marks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn translator_loop_in_headless_chromium() {
    nashr_tests::browser::require();
    // Built once for every test that runs the binary; not part of this test's time.
    nashr_tests::smtp::nashr_bin();
    let started = Instant::now();
    let sample = Sample::new();
    // A stale translation and a missing one, for the marks at the end.
    sample.replace(
        "content/physiotherapy-vs-massage/index.md",
        "Physiotherapy, often called physical therapy",
        "Physiotherapy, also called physical therapy",
    );
    // And a UI message missing in Persian (the footer), shown in English.
    let footer = sample.line_starting("locales/fa/site.ftl", "footer-note =");
    sample.replace("locales/fa/site.ftl", &format!("{footer}\n"), "");
    let server = ServeProcess::start(&sample);
    let browser = Browser::start().await;
    eprintln!("server and browser started after {:?}", started.elapsed());
    let page = format!("{}{FA_PAGE}", server.url);
    browser.goto(&page).await;
    browser
        .wait_for(
            "the preview client",
            "return !!window.__nashr && document.readyState === 'complete'",
            Duration::from_secs(20),
        )
        .await;
    let direction = browser
        .eval("return getComputedStyle(document.documentElement).direction")
        .await;
    assert_eq!(direction, "rtl");
    let body_direction = browser
        .eval("return getComputedStyle(document.querySelector('main p')).direction")
        .await;
    assert_eq!(body_direction, "rtl");
    browser.screenshot("01-fa-page").await;
    eprintln!("page checked after {:?}", started.elapsed());

    // Edit the translation; the page shows it by itself (the test never navigates).
    browser.eval("window.__nashrTestMarker = 1; return true").await;
    let edited = Instant::now();
    sample.replace(FA_FILE, HEADING, NEW_HEADING);
    let shown = browser
        .wait_for(
            "the edited heading",
            &format!("return document.body.innerText.includes({NEW_TEXT:?})"),
            Duration::from_secs(5),
        )
        .await;
    let latency = edited.elapsed();
    eprintln!(
        "edit -> new text visible in Chromium: {latency:?} (polled every 25 ms; {shown:?} after the write returned)"
    );
    let heading = browser
        .eval("return document.getElementById('what-is-physiotherapy').textContent")
        .await;
    assert!(heading.as_str().unwrap().contains(NEW_TEXT), "{heading}");
    let reloaded = browser.eval("return window.__nashrTestMarker === undefined").await;
    assert_eq!(reloaded, true, "the page reloaded itself");
    assert!(
        heading.as_str().unwrap().contains('\u{200c}'),
        "ZWNJ survives: {heading}"
    );
    browser
        .eval("document.getElementById('what-is-physiotherapy').scrollIntoView({block: 'center'}); return true")
        .await;
    browser.screenshot("02-edited").await;

    // Break the file: the overlay names the file, the line and shows the line.
    let line = line_of(&sample, FA_FILE, "what-is-physiotherapy =");
    sample.replace(FA_FILE, NEW_HEADING, BROKEN_HEADING);
    browser
        .wait_for(
            "the error overlay",
            "const o = document.getElementById('nashr-overlay'); return !!o && o.offsetHeight > 0",
            Duration::from_secs(5),
        )
        .await;
    let overlay = browser
        .eval("return document.getElementById('nashr-overlay').innerText")
        .await;
    let overlay = overlay.as_str().unwrap();
    assert!(overlay.contains(&format!("{FA_FILE}:{line}")), "{overlay}");
    assert!(overlay.contains("Fluent syntax error"), "{overlay}");
    assert!(overlay.contains("{ $x"), "the offending line: {overlay}");
    browser.screenshot("03-error-overlay").await;

    // Fix it: the overlay goes, the text is there.
    sample.replace(FA_FILE, BROKEN_HEADING, NEW_HEADING);
    browser
        .wait_for(
            "the overlay to go",
            &format!(
                "return !document.getElementById('nashr-overlay') && document.body.innerText.includes({NEW_TEXT:?})"
            ),
            Duration::from_secs(5),
        )
        .await;
    browser
        .eval("document.getElementById('what-is-physiotherapy').scrollIntoView({block: 'center'}); return true")
        .await;
    browser.screenshot("04-fixed").await;

    // Marks: remove a translation; the open page reloads, then the translator turns marks on.
    let p2 = sample.line_starting(FA_FILE, "what-is-physiotherapy-p2 =");
    sample.replace(FA_FILE, &format!("{p2}\n"), "");
    browser
        .wait_for(
            "the English fallback paragraph",
            "return document.body.innerText.includes('To find out how')",
            Duration::from_secs(5),
        )
        .await;
    browser
        .eval("document.getElementById('nashr-marks-toggle').click(); return true")
        .await;
    browser
        .wait_for(
            "marked elements",
            "return location.search.includes('marks=1') && document.readyState === 'complete' && document.querySelectorAll('[data-nashr-mark]').length > 0",
            Duration::from_secs(10),
        )
        .await;
    let marks = browser
        .eval(
            "return Array.from(document.querySelectorAll('main [data-nashr-mark]')).map(e => ({kind: e.dataset.nashrMark, id: e.dataset.id, file: e.dataset.file, line: e.dataset.line || null, source: e.dataset.source}))",
        )
        .await;
    let marks = marks.as_array().expect("marks");
    let find = |id: &str| {
        marks
            .iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("{id} is not marked: {marks:?}"))
    };
    let missing = find("what-is-physiotherapy-p2");
    assert_eq!(missing["kind"], "missing");
    assert_eq!(missing["file"], FA_FILE);
    let stale = find("what-is-physiotherapy-p1");
    assert_eq!(stale["kind"], "stale");
    assert_eq!(stale["file"], FA_FILE);
    assert_eq!(
        stale["line"],
        line_of(&sample, FA_FILE, "what-is-physiotherapy-p1 =").to_string()
    );
    let outline = browser
        .eval("return getComputedStyle(document.querySelector('[data-nashr-mark=\"missing\"]')).outlineStyle")
        .await;
    assert_eq!(outline, "solid", "marked segments are highlighted");
    let panel = browser
        .eval("const p = document.getElementById('nashr-panel'); return p && p.offsetWidth > 0 ? p.innerText : ''")
        .await;
    assert!(panel.as_str().unwrap().contains("what-is-physiotherapy-p2"), "{panel}");
    assert!(panel.as_str().unwrap().contains("footer-note"), "{panel}");
    // The page's own words are highlighted where they appear as text.
    let ui = browser
        .eval("const e = document.querySelector('footer [data-nashr-mark][data-ui]'); return e ? [e.dataset.id, e.dataset.nashrMark, e.dataset.file] : null")
        .await;
    assert_eq!(ui, serde_json::json!(["footer-note", "missing", "locales/fa/site.ftl"]));
    // Hovering shows the id, where to edit, and the English.
    let tip = browser
        .eval(
            "const el = document.querySelector('[data-nashr-mark=\"stale\"]'); el.scrollIntoView({block: 'center'}); el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})); const t = document.getElementById('nashr-tip'); return t && !t.hidden ? t.innerText : ''",
        )
        .await;
    let tip = tip.as_str().unwrap();
    assert!(tip.contains("what-is-physiotherapy-p1"), "{tip}");
    assert!(tip.contains(&format!("{FA_FILE}:")), "{tip}");
    assert!(tip.contains("also called physical therapy"), "{tip}");
    browser.screenshot("05-marks").await;
    eprintln!("marks checked after {:?}", started.elapsed());
    browser.quit().await;
    eprintln!(
        "screenshots in {}; the whole test took {:?}",
        artifacts_dir().display(),
        started.elapsed()
    );
}
