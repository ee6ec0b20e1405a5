//! A real headless Chromium for the `nashr serve` end-to-end test, driven over WebDriver by
//! Debian's chromedriver on 127.0.0.1 (both installed by `scripts/chromium.sh`, which
//! `make services` runs). The client is the handful of W3C WebDriver commands the test needs,
//! on reqwest and serde_json (already dependencies): no browser-automation crate, no
//! websocket client.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

/// Where the test writes screenshots and the driver's log (`target/test-artifacts/serve/`).
pub fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo_root().join("target"));
    let dir = target.join("test-artifacts").join("serve");
    std::fs::create_dir_all(&dir).expect("create the artifacts directory");
    dir
}

fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in names {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Chromium and chromedriver; a missing one fails the test (never a skip).
pub fn require() -> (PathBuf, PathBuf) {
    let chromium = find(&["chromium"]);
    let driver = find(&["chromedriver"]);
    match (chromium, driver) {
        (Some(c), Some(d)) => (c, d),
        _ => panic!(
            "headless Chromium is not installed: run `make services` (scripts/chromium.sh installs Debian's chromium and chromium-driver)"
        ),
    }
}

/// chromedriver and one browser session; both end when it is dropped.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver on a free 127.0.0.1 port and a headless Chromium session.
    pub async fn start() -> Browser {
        let (chromium, driver_bin) = require();
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").expect("free port");
            l.local_addr().expect("addr").port()
        };
        let log = std::fs::File::create(artifacts_dir().join("chromedriver.log")).expect("driver log");
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .no_proxy()
            .build()
            .expect("http client");
        let started = Instant::now();
        loop {
            let ready = http.get(format!("{base}/status")).send().await;
            if let Ok(r) = ready
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == true
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": real_binary(&chromium),
                        "args": [
                            "--headless",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-background-networking",
                            format!("--user-data-dir={}", profile.path().display()),
                            "--window-size=1280,900",
                            "--lang=en-US",
                            "--hide-scrollbars",
                        ]
                    }
                }
            }
        });
        let mut browser = Browser {
            driver,
            base,
            session: String::new(),
            http,
            _profile: profile,
        };
        let v = browser.call("POST", "/session", Some(caps)).await;
        browser.session = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {v}"))
            .to_string();
        browser
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or_else(|| json!({}))),
        };
        let resp = req.send().await.unwrap_or_else(|e| panic!("WebDriver {path}: {e}"));
        let v: Value = resp.json().await.unwrap_or_else(|e| panic!("WebDriver {path}: {e}"));
        if v["value"]["error"].is_string() {
            panic!("WebDriver {path}: {}", v["value"]);
        }
        v["value"].clone()
    }

    fn session_path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    pub async fn goto(&self, url: &str) {
        self.call("POST", &self.session_path("/url"), Some(json!({ "url": url })))
            .await;
    }

    /// Runs `script` (a function body; `return` gives the value) in the page.
    pub async fn eval(&self, script: &str) -> Value {
        self.call(
            "POST",
            &self.session_path("/execute/sync"),
            Some(json!({ "script": script, "args": [] })),
        )
        .await
    }

    /// Waits until `script` returns true; returns how long it took.
    pub async fn wait_for(&self, what: &str, script: &str, limit: Duration) -> Duration {
        let started = Instant::now();
        loop {
            // A page that is reloading answers with an error: try again.
            let url = format!("{}{}", self.base, self.session_path("/execute/sync"));
            let ok = match self
                .http
                .post(url)
                .json(&json!({ "script": script, "args": [] }))
                .send()
                .await
            {
                Ok(r) => r.json::<Value>().await.is_ok_and(|v| v["value"] == true),
                Err(_) => false,
            };
            if ok {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < limit,
                "timed out after {limit:?} waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Ends the session (and the browser), then the driver.
    pub async fn quit(mut self) {
        let path = self.session_path("");
        self.call("DELETE", &path, None).await;
        self.session.clear();
    }

    /// Saves a PNG screenshot of the viewport as `<artifacts>/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let v = self.call("GET", &self.session_path("/screenshot"), None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().expect("base64 screenshot"))
            .expect("decode screenshot");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        let path = artifacts_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ends the browser (Drop cannot await: a plain HTTP request), then the driver.
        if !self.session.is_empty()
            && let Some(addr) = self.base.strip_prefix("http://")
            && let Ok(mut s) = std::net::TcpStream::connect(addr)
        {
            use std::io::{Read, Write};
            let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
            let req = format!(
                "DELETE {} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.session_path("")
            );
            let _ = s.write_all(req.as_bytes());
            let _ = s.read_to_end(&mut Vec::new());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Debian's `/usr/bin/chromium` is a shell script that adds its flags and runs
/// `/usr/lib/chromium/chromium`; chromedriver needs the browser itself.
fn real_binary(launcher: &Path) -> String {
    let real = Path::new("/usr/lib/chromium/chromium");
    if real.is_file() {
        real.display().to_string()
    } else {
        launcher.display().to_string()
    }
}
