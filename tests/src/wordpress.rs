//! The real WordPress the integration tests publish to (started by `scripts/wordpress.sh`,
//! which `make services` runs), a REST client to read it back, and a small HTTP proxy that
//! counts requests and injects faults.
//!
//! The proxy is the one fake allowed: a real WordPress does not fail on demand, so the proxy
//! answers some requests itself with 500 or 429, drops connections before or after passing a
//! request on, or stalls, and passes everything else to the real WordPress behind it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once};
use std::time::Duration;

use serde_json::Value;

/// One WordPress site of the test server.
#[derive(Debug, Clone)]
pub struct WpSite {
    pub url: String,
    pub port: u16,
    pub user: String,
    pub password: String,
}

/// Both sites, reset to their freshly installed state, for as long as the guard is held.
pub struct WordPress {
    pub en: WpSite,
    pub fa: WpSite,
    _guard: MutexGuard<'static, ()>,
}

static LOCK: Mutex<()> = Mutex::new(());
static ENV: Once = Once::new();

/// Environment variables the tests' nashr.toml files name for the two sites' passwords.
pub const EN_PASSWORD_ENV: &str = "NASHR_TEST_WP_EN_PASSWORD";
pub const FA_PASSWORD_ENV: &str = "NASHR_TEST_WP_FA_PASSWORD";
/// Holds a wrong password, [`WRONG_PASSWORD`].
pub const WRONG_PASSWORD_ENV: &str = "NASHR_TEST_WP_WRONG_PASSWORD";
pub const WRONG_PASSWORD: &str = "wrongAppPassword0123456789";

fn state_dir() -> PathBuf {
    std::env::var_os("NASHR_WP_STATE").map_or_else(|| PathBuf::from("/var/tmp/nashr-wordpress"), PathBuf::from)
}

fn script() -> PathBuf {
    crate::repo_root().join("scripts/wordpress.sh")
}

fn read_site(name: &str) -> WpSite {
    let path = state_dir().join(format!("site-{name}.env"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let var = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{key} missing from {}", path.display()))
            .to_string()
    };
    let url = var("NASHR_WP_URL");
    let port = url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port in NASHR_WP_URL");
    WpSite {
        url,
        port,
        user: var("NASHR_WP_USER"),
        password: var("NASHR_WP_PASSWORD"),
    }
}

impl WordPress {
    /// Takes the test WordPress for this test: starts it if it is not running (a missing
    /// WordPress is a failure, never a skip) and resets it.
    pub fn get() -> WordPress {
        let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let run = |arg: &str| {
            std::process::Command::new("bash")
                .arg(script())
                .arg(arg)
                .output()
                .unwrap_or_else(|e| panic!("cannot run scripts/wordpress.sh: {e}"))
        };
        let status = run("status");
        if !status.status.success() {
            let start = run("start");
            assert!(
                start.status.success(),
                "the test WordPress does not run and scripts/wordpress.sh start failed (run `make services`):\n{}",
                String::from_utf8_lossy(&start.stderr)
            );
        }
        let reset = run("reset");
        assert!(
            reset.status.success(),
            "reset: {}",
            String::from_utf8_lossy(&reset.stderr)
        );
        let (en, fa) = (read_site("en"), read_site("fa"));
        ENV.call_once(|| {
            // SAFETY: every test in this binary holds LOCK while it runs, so no other thread
            // reads the environment while it is changed, and it is changed once.
            unsafe {
                std::env::set_var(EN_PASSWORD_ENV, &en.password);
                std::env::set_var(FA_PASSWORD_ENV, &fa.password);
                std::env::set_var(WRONG_PASSWORD_ENV, WRONG_PASSWORD);
            }
        });
        WordPress { en, fa, _guard: guard }
    }
}

impl WpSite {
    fn call(&self, method: reqwest::Method, route: &str, query: &[(&str, &str)], body: Option<&Value>) -> Value {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let mut req = reqwest::Client::new()
                .request(method, &self.url)
                .query(&[("rest_route", route)])
                .query(query)
                .basic_auth(&self.user, Some(&self.password));
            if let Some(b) = body {
                req = req.json(b);
            }
            let resp = req.send().await.unwrap_or_else(|e| panic!("{route}: {e}"));
            let status = resp.status();
            let text = resp.text().await.expect("body");
            assert!(status.is_success(), "{route}: {status} {text}");
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{route}: {e}: {text}"))
        })
    }

    /// `GET` a REST route (`/wp/v2/posts`) with `context=edit`.
    pub fn get(&self, route: &str, query: &[(&str, &str)]) -> Value {
        let mut q = vec![("context", "edit")];
        q.extend_from_slice(query);
        self.call(reqwest::Method::GET, route, &q, None)
    }

    pub fn post(&self, route: &str, body: &Value) -> Value {
        self.call(reqwest::Method::POST, route, &[], Some(body))
    }

    /// Every post (any status), oldest first.
    pub fn posts(&self) -> Vec<Value> {
        let v = self.get(
            "/wp/v2/posts",
            &[
                ("status", "any"),
                ("per_page", "100"),
                ("orderby", "id"),
                ("order", "asc"),
            ],
        );
        v.as_array().cloned().unwrap_or_default()
    }

    pub fn post_by_slug(&self, slug: &str) -> Value {
        let v = self.get("/wp/v2/posts", &[("slug", slug), ("status", "any")]);
        let all = v.as_array().cloned().unwrap_or_default();
        assert_eq!(all.len(), 1, "posts with slug {slug}: {all:?}");
        all[0].clone()
    }

    pub fn media(&self) -> Vec<Value> {
        let v = self.get("/wp/v2/media", &[("per_page", "100")]);
        v.as_array().cloned().unwrap_or_default()
    }

    /// The name of term `id` of `taxonomy` (`tags`, `categories`).
    pub fn term_name(&self, taxonomy: &str, id: i64) -> String {
        let v = self.get(&format!("/wp/v2/{taxonomy}/{id}"), &[]);
        v["name"].as_str().unwrap_or_default().to_string()
    }

    /// The bytes at `url` (an uploaded file).
    pub fn download(&self, url: &str) -> Vec<u8> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let resp = reqwest::get(url).await.unwrap_or_else(|e| panic!("{url}: {e}"));
            assert!(resp.status().is_success(), "{url}: {}", resp.status());
            resp.bytes().await.expect("bytes").to_vec()
        })
    }
}

/// What the proxy does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Pass it to WordPress and its answer back.
    Pass,
    /// Answer with this status (and `Retry-After` seconds, for 429), without passing it on.
    Status(u16, Option<u64>),
    /// Close the connection without passing the request on.
    DropBefore,
    /// Pass the request on (WordPress acts on it), then close without answering.
    DropAfter,
    /// Wait this long, then pass it on.
    Stall(Duration),
}

/// A proxy to a WordPress on 127.0.0.1, which decides per request (numbered from 0) what to do.
pub struct Proxy {
    pub url: String,
    /// Requests seen, as `METHOD rest_route`.
    pub seen: Arc<Mutex<Vec<String>>>,
    pub faults: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl Proxy {
    pub fn start(upstream: u16, decide: impl Fn(usize) -> Fault + Send + Sync + 'static) -> Proxy {
        Proxy::start_routed(upstream, move |n, _| decide(n))
    }

    /// [`Proxy::start`] deciding on the request too (`METHOD rest_route`, as in `seen`), for a
    /// fault that must follow the client's progress rather than a request count.
    pub fn start_routed(upstream: u16, decide: impl Fn(usize, &str) -> Fault + Send + Sync + 'static) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let faults = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let decide = Arc::new(decide);
        let (seen2, faults2, stop2) = (seen.clone(), faults.clone(), stop.clone());
        std::thread::spawn(move || {
            let counter = AtomicUsize::new(0);
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let (seen, faults, decide) = (seen2.clone(), faults2.clone(), decide.clone());
                std::thread::spawn(move || handle(conn, upstream, n, &*decide, &seen, &faults));
            }
        });
        Proxy {
            url: format!("http://127.0.0.1:{port}/"),
            seen,
            faults,
            stop,
            port,
        }
    }

    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Requests that were not `GET`s.
    pub fn writes(&self) -> usize {
        self.requests().iter().filter(|r| !r.starts_with("GET ")).count()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Reads one HTTP request: head and body (by Content-Length).
fn read_request(conn: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some((head, buf[head_end..head_end + length].to_vec()))
}

fn handle(
    mut conn: TcpStream,
    upstream: u16,
    n: usize,
    decide: &(dyn Fn(usize, &str) -> Fault + Send + Sync),
    seen: &Mutex<Vec<String>>,
    faults: &AtomicUsize,
) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let Some((head, body)) = read_request(&mut conn) else {
        return;
    };
    let request_line = head.lines().next().unwrap_or_default().to_string();
    let method = request_line.split(' ').next().unwrap_or_default();
    let route = request_line
        .split("rest_route=")
        .nth(1)
        .and_then(|r| r.split(['&', ' ']).next())
        .unwrap_or_default()
        .replace("%2F", "/");
    let request = format!("{method} {route}");
    if let Ok(mut s) = seen.lock() {
        s.push(request.clone());
    }
    let fault = decide(n, &request);
    if fault != Fault::Pass {
        faults.fetch_add(1, Ordering::SeqCst);
    }
    match fault {
        Fault::Status(code, retry_after) => {
            let extra = retry_after.map_or(String::new(), |s| format!("Retry-After: {s}\r\n"));
            let body =
                format!("{{\"code\":\"proxy_fault\",\"message\":\"injected {code}\",\"data\":{{\"status\":{code}}}}}");
            let _ = write!(
                conn,
                "HTTP/1.1 {code} Injected\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
                body.len()
            );
            return;
        }
        Fault::DropBefore => return,
        Fault::Stall(d) => std::thread::sleep(d),
        Fault::Pass | Fault::DropAfter => {}
    }
    // Pass it on, one request per connection.
    let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)) else {
        return;
    };
    let mut out = String::new();
    for (i, line) in head.split("\r\n").enumerate() {
        if line.is_empty() {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        if i > 0 && (lower.starts_with("connection:") || lower.starts_with("host:") || lower.starts_with("keep-alive:"))
        {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(&format!("Host: 127.0.0.1:{upstream}\r\nConnection: close\r\n\r\n"));
    if up.write_all(out.as_bytes()).is_err() || up.write_all(&body).is_err() {
        return;
    }
    let mut response = Vec::new();
    let _ = up.read_to_end(&mut response);
    if fault == Fault::DropAfter {
        return;
    }
    // The client gets WordPress's answer with `Connection: close`.
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(response.len(), |i| i + 4);
    let head = String::from_utf8_lossy(&response[..split]);
    let mut new_head = String::new();
    for line in head.split("\r\n").filter(|l| !l.is_empty()) {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("connection:") || lower.starts_with("keep-alive:") {
            continue;
        }
        new_head.push_str(line);
        new_head.push_str("\r\n");
    }
    new_head.push_str("Connection: close\r\n\r\n");
    let _ = conn.write_all(new_head.as_bytes());
    let _ = conn.write_all(&response[split..]);
}
