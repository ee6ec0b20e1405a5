//! The limits of nashr's HTTP servers, against both of them started in-process on 127.0.0.1:
//! the preview server and the worker's unsubscribe endpoint. Oversized heads and bodies,
//! a client that trickles its head, invalid UTF-8 and `..` in every encoding each get a 4xx
//! or a closed connection, never a file from outside the site, and the server still answers
//! a normal request afterwards.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use nashr_newsletter::server::Endpoint;
use nashr_tests::Sample;

/// Both servers cut off a head that is not complete after this long.
const HEADER_TIMEOUT: Duration = Duration::from_secs(1);

fn limits() -> nashr_http::Limits {
    nashr_http::Limits {
        header_read_timeout: HEADER_TIMEOUT,
        ..nashr_http::Limits::default()
    }
}

/// The two servers, on the same copy of the sample project.
struct Servers {
    sample: Sample,
    preview: nashr_serve::Running,
    unsubscribe: SocketAddr,
    /// A valid unsubscribe link's path and query.
    unsubscribe_link: String,
    _runtime: tokio::runtime::Runtime,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Servers {
    fn start() -> Servers {
        let sample = Sample::new();
        let mut options = nashr_serve::Options::new(sample.root());
        options.port = 0;
        options.limits = limits();
        options.log = Arc::new(|_: &str| {});
        let preview = nashr_serve::start(options).expect("start the preview server");

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let project = nashr_content::Project::load(sample.root()).expect("load the sample");
        let l10n = Arc::new(nashr_l10n::Localizer::load_lazy(&project).expect("translations"));
        let path = Endpoint::path_of(&project.config.newsletter.unsubscribe_url);
        let renderer = Arc::new(nashr_newsletter::Renderer::new(project, l10n).expect("renderer"));
        let store_path = sample.path(".nashr/http-limits.db");
        let key = nashr_newsletter::Key::new(b"http limits test key");
        let unsubscribe_link = format!("{path}?t={}", key.token("sara@example.com"));
        let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let unsubscribe = runtime.block_on(async {
            let store = nashr_store::Store::open(&store_path).await.expect("open the store");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("address");
            let endpoint = Arc::new(Endpoint {
                renderer,
                store,
                key,
                path,
            });
            tokio::spawn(nashr_newsletter::server::serve_until(
                listener,
                endpoint,
                limits(),
                async {
                    let _ = stopped.await;
                },
            ));
            addr
        });
        Servers {
            sample,
            preview,
            unsubscribe,
            unsubscribe_link,
            _runtime: runtime,
            _stop,
        }
    }

    /// Each server's address and a request target it answers with 200.
    fn both(&self) -> [(&'static str, SocketAddr, String); 2] {
        [
            (
                "preview",
                self.preview.addr,
                "/fa/physiotherapy-vs-massage/".to_string(),
            ),
            ("unsubscribe", self.unsubscribe, self.unsubscribe_link.clone()),
        ]
    }

    /// Both servers still answer a normal request.
    fn assert_both_answer(&self, after: &str) {
        for (name, addr, ok) in self.both() {
            let r = exchange(
                addr,
                format!("GET {ok} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
            );
            assert_eq!(r.status(), Some(200), "{name} after {after}: {r:?}");
        }
    }
}

/// What came back.
#[derive(Debug)]
enum Reply {
    /// A response: its status line and the rest.
    Answer(u16, String),
    /// The connection closed (or was reset) without a response.
    Closed,
}

impl Reply {
    fn status(&self) -> Option<u16> {
        match self {
            Reply::Answer(s, _) => Some(*s),
            Reply::Closed => None,
        }
    }

    /// A 4xx, or a closed connection: never a 2xx/3xx, never a 5xx.
    fn refused(&self) -> bool {
        match self {
            Reply::Answer(s, _) => (400..500).contains(s),
            Reply::Closed => true,
        }
    }
}

fn read_reply(mut s: TcpStream) -> Reply {
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let mut out = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            // A reset after the response (the server did not read what we sent) keeps it.
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                panic!("no reply and no close within 30 s")
            }
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    match text.strip_prefix("HTTP/1.1 ").and_then(|r| r.get(..3)?.parse().ok()) {
        Some(status) => Reply::Answer(status, text),
        None => Reply::Closed,
    }
}

/// Sends `request` (as far as the server takes it) and reads the reply.
fn exchange(addr: SocketAddr, request: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_write_timeout(Some(Duration::from_secs(10))).ok();
    let _ = s.write_all(request);
    read_reply(s)
}

#[test]
fn oversized_heads_and_bodies_are_refused() {
    let servers = Servers::start();
    for (name, addr, ok) in servers.both() {
        let big = format!(
            "GET {ok} HTTP/1.1\r\nHost: x\r\nX-Padding: {}\r\nConnection: close\r\n\r\n",
            "a".repeat(64 * 1024)
        );
        let r = exchange(addr, big.as_bytes());
        assert!(r.refused(), "{name}, 64 KiB header: {r:?}");
        let many: String = (0..2000).map(|i| format!("X-H{i}: v\r\n")).collect();
        let r = exchange(addr, format!("GET {ok} HTTP/1.1\r\nHost: x\r\n{many}\r\n").as_bytes());
        assert!(r.refused(), "{name}, 2000 headers: {r:?}");
        let long_path = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "p".repeat(70 * 1024));
        let r = exchange(addr, long_path.as_bytes());
        assert!(r.refused(), "{name}, 70 KiB path: {r:?}");

        // 10 MB announced and sent: refused (413 from the length alone, or a closed
        // connection once the server stops reading), never read into memory and answered.
        const TEN_MB: usize = 10 * 1024 * 1024;
        let mut s = TcpStream::connect(addr).expect("connect");
        s.set_write_timeout(Some(Duration::from_secs(10))).ok();
        let head = format!(
            "POST {ok} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {TEN_MB}\r\n\r\n"
        );
        s.write_all(head.as_bytes()).expect("send the head");
        let chunk = vec![b'a'; 64 * 1024];
        for _ in 0..TEN_MB / chunk.len() {
            if s.write_all(&chunk).is_err() {
                break;
            }
        }
        let r = read_reply(s);
        assert!(r.refused(), "{name}, 10 MB body: {r:?}");
        if let Reply::Answer(status, _) = r {
            assert_eq!(status, 413, "{name}, 10 MB body");
        }

        // The same without a length (chunked): the limit applies while reading.
        let mut s = TcpStream::connect(addr).expect("connect");
        s.set_write_timeout(Some(Duration::from_secs(10))).ok();
        let head = format!("POST {ok} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        s.write_all(head.as_bytes()).expect("send the head");
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(&chunk);
        framed.extend_from_slice(b"\r\n");
        for _ in 0..TEN_MB / chunk.len() {
            if s.write_all(&framed).is_err() {
                break;
            }
        }
        let _ = s.write_all(b"0\r\n\r\n");
        let r = read_reply(s);
        assert!(r.refused(), "{name}, 10 MB chunked body: {r:?}");
    }
    servers.assert_both_answer("oversized requests");
}

#[test]
fn a_head_trickled_a_byte_at_a_time_is_cut_off() {
    let servers = Servers::start();
    for (name, addr, _) in servers.both() {
        let mut s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_millis(500))).ok();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .expect("start the head");
        // One byte every half second, for at most ten times the server's header timeout.
        let bound = (HEADER_TIMEOUT * 10).as_millis() / 500;
        let mut outcome = None;
        for _ in 0..bound {
            if s.write_all(b"a").is_err() {
                outcome = Some(Reply::Closed);
                break;
            }
            let mut buf = [0u8; 1024];
            match s.read(&mut buf) {
                Ok(0) => {
                    outcome = Some(Reply::Closed);
                    break;
                }
                Ok(n) => {
                    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
                    outcome = Some(Reply::Answer(status, text));
                    break;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {}
                Err(_) => {
                    outcome = Some(Reply::Closed);
                    break;
                }
            }
        }
        let outcome = outcome.unwrap_or_else(|| panic!("{name} kept a trickling client for {bound} bytes"));
        match outcome {
            Reply::Closed => {}
            Reply::Answer(status, text) => assert_eq!(status, 408, "{name}: {text}"),
        }
    }
    servers.assert_both_answer("a slow client");
}

#[test]
fn invalid_utf8_and_dot_dot_in_every_encoding_never_leave_the_site() {
    let servers = Servers::start();
    let secret = servers.sample.read("nashr.toml");
    let secret_line = secret
        .lines()
        .find(|l| l.starts_with("base_url"))
        .expect("nashr.toml has base_url")
        .to_string();
    let escapes = [
        "/../",
        "/%2e%2e/",
        "/%2E%2E/",
        "/..%2f",
        "/%2e%2e%5c",
        "/\\..\\",
        "/%252e%252e/",
        "/%c0%ae%c0%ae/",
        "/%c0%ae%c0%ae%c0%af",
        "/.%2e/",
        "/%2e./",
        "/..;/",
    ];
    let mut targets = Vec::new();
    for e in escapes {
        for prefix in ["", "/fa", "/_newsletter", "/unsubscribe"] {
            targets.push(format!("{prefix}{e}nashr.toml"));
            targets.push(format!("{prefix}{e}{}nashr.toml", &e[1..]));
            targets.push(format!("{prefix}{e}content/physiotherapy-vs-massage/index.md"));
        }
    }
    for (name, addr, _) in servers.both() {
        for target in &targets {
            let r = exchange(
                addr,
                format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
            );
            assert!(r.refused(), "{name} {target}: {r:?}");
            if let Reply::Answer(_, text) = &r {
                assert!(!text.contains(&secret_line), "{name} {target} leaked nashr.toml");
            }
        }
        // Invalid UTF-8: raw bytes in the request line, and percent-encoded.
        for raw in [
            &b"/\xff\xfe"[..],
            b"/fa/\xc0\xae\xc0\xae/nashr.toml",
            b"/%ff%fe/",
            b"/%c3%28",
        ] {
            let mut req = b"GET ".to_vec();
            req.extend_from_slice(raw);
            req.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let r = exchange(addr, &req);
            assert!(r.refused(), "{name} {}: {r:?}", String::from_utf8_lossy(raw));
        }
    }
    servers.assert_both_answer("hostile paths");
}
