//! The newsletter tests' real SMTP server (aiosmtpd, installed by `scripts/smtp.sh`, which
//! `make services` runs), real `nashr` processes, and Python's `email` package to parse what
//! the server received.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::{Sample, repo_root};

fn python() -> PathBuf {
    repo_root().join(".services/smtp/bin/python")
}

/// Fails the test when the test SMTP server is not installed (never a skip).
pub fn require() {
    assert!(
        python().is_file(),
        "the test SMTP server is not installed: run `make services` (scripts/smtp.sh)"
    );
}

/// An aiosmtpd server on a free 127.0.0.1 port, saving what it accepts in its spool.
pub struct SmtpServer {
    pub port: u16,
    pub spool: tempfile::TempDir,
    child: Child,
}

impl SmtpServer {
    /// Starts `scripts/smtp_server.py` with `extra` arguments (faults, delay).
    pub fn start(extra: &[&str]) -> SmtpServer {
        let spool = tempfile::tempdir().expect("spool dir");
        let mut child = Command::new(python())
            .arg(repo_root().join("scripts/smtp_server.py"))
            .arg("--spool")
            .arg(spool.path())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the SMTP server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("SMTP server port");
        let port = line
            .trim()
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected SMTP server output {line:?}"));
        SmtpServer { port, spool, child }
    }

    /// Every received message, parsed by Python's email package.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        let out = Command::new(python())
            .arg(repo_root().join("scripts/parse_mail.py"))
            .arg(self.spool.path())
            .output()
            .expect("run parse_mail.py");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        match serde_json::from_slice(&out.stdout).expect("parse_mail.py JSON") {
            serde_json::Value::Array(a) => a,
            _ => panic!("parse_mail.py printed no list"),
        }
    }

    pub fn count(&self) -> usize {
        std::fs::read_dir(self.spool.path())
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                    .count()
            })
            .unwrap_or(0)
    }

    /// Waits until at least `n` messages arrived (or `limit` passes); returns the count.
    pub fn wait_for(&self, n: usize, limit: Duration) -> usize {
        let start = Instant::now();
        while self.count() < n && start.elapsed() < limit {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.count()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `nashr` binary, built once per test run.
pub fn nashr_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        // Cargo sets CARGO_PKG_VERSION and friends for this test; a crate that reads one
        // with `env!` would then look changed to the inner cargo, and be rebuilt on every run.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy().into_owned();
            if [
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
                "CARGO_PRIMARY_",
            ]
            .iter()
            .any(|p| name.starts_with(p))
            {
                build.env_remove(name);
            }
        }
        let status = build
            .args(["build", "--quiet", "-p", "nashr"])
            .current_dir(repo_root())
            .status()
            .expect("cargo build -p nashr");
        assert!(status.success(), "cargo build -p nashr failed");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join("target"));
        target
            .join("debug")
            .join(format!("nashr{}", std::env::consts::EXE_SUFFIX))
    })
}

/// A finished `nashr` process.
#[derive(Debug)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `nashr <args> --root <root>` as a process with `env`.
pub fn nashr(root: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let out = Command::new(nashr_bin())
        .args(args)
        .arg("--root")
        .arg(root)
        .envs(env.iter().copied())
        .env_remove("NASHR_NEWSLETTER_KEY")
        .output()
        .expect("run nashr");
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Starts `nashr <args> --root <root>` in the background; its standard error lines arrive on
/// the returned channel.
pub fn spawn(root: &Path, env: &[(&str, &str)], args: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(nashr_bin())
        .args(args)
        .arg("--root")
        .arg(root)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn nashr");
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// One HTTP/1.1 request to 127.0.0.1; returns (status, body).
pub fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).expect("connect to the worker");
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("send request");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read response");
    let status = resp.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = resp.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
    (status, body)
}

/// The sample project sending over SMTP to 127.0.0.1:`port`, with `extra` [newsletter]
/// settings, `smtp_extra` [newsletter.smtp] settings, and `csv` imported with `env`.
pub fn newsletter_project(port: u16, extra: &str, smtp_extra: &str, csv: &str, env: &[(&str, &str)]) -> Sample {
    let s = Sample::new();
    s.replace(
        "nashr.toml",
        "outbox = \"outbox\"",
        &format!("outbox = \"outbox\"\nretry_base_secs = 1\n{extra}"),
    );
    s.append(
        "nashr.toml",
        &format!(
            "\n[newsletter.smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\ntimeout_secs = 10\n{smtp_extra}"
        ),
    );
    s.write("subs.csv", csv);
    let csv_path = s.path("subs.csv");
    let out = nashr(
        s.root(),
        env,
        &["subscribers", "import", csv_path.to_str().expect("UTF-8 path")],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    s
}

/// A subscriber CSV of (email, name, locale) rows, all with express consent.
pub fn csv_of<S: AsRef<str>>(rows: &[(S, S, S)]) -> String {
    let mut csv = String::from("email,name,locale,consent\n");
    for (email, name, locale) in rows {
        csv.push_str(&format!(
            "{},\"{}\",{},express\n",
            email.as_ref(),
            name.as_ref().replace('"', "\"\""),
            locale.as_ref()
        ));
    }
    csv
}
