//! Several `nashr worker` processes sharing one PostgreSQL store (a schema of its own in the
//! database `test` on 127.0.0.1:5432, dropped afterwards) and sending to a real SMTP server
//! (aiosmtpd): one is killed with SIGKILL half-way, one is stopped with SIGTERM, and every
//! recipient still gets the issue, with duplicates only within the bound ARCHITECTURE.md
//! documents (the killed worker's messages in flight).

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use nashr_tests::smtp::{self, SmtpServer, csv_of, nashr, spawn};
use nashr_tests::store_db::TestDb;

const KEY_ENV: &str = "NASHR_TEST_NEWSLETTER_KEY";
const KEY: &str = "test-key-S3CRET-9f8e7d6c5b4a";
const RECIPIENTS: usize = 2000;
/// Messages in flight per worker: the most a SIGKILL can duplicate.
const CONCURRENCY: usize = 4;

struct Worker {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Worker {
    /// Collects the lines printed so far.
    fn drain(&mut self) {
        while let Ok(l) = self.lines.try_recv() {
            self.seen.push(l);
        }
    }

    fn output(&mut self) -> String {
        self.drain();
        self.seen.join("\n")
    }
}

fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn three_workers_share_a_send_and_a_killed_one_loses_nobody() {
    smtp::require();
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(TestDb::postgres());
    let url = db.url();
    let env = [(KEY_ENV, KEY), ("NASHR_STORE_URL", url.as_str())];
    let server = SmtpServer::start(&[]);
    let rows: Vec<(String, String, String)> = (0..RECIPIENTS)
        .map(|i| {
            let locale = if i % 2 == 0 { "fa" } else { "en" };
            (
                format!("p{i:05}@example.com"),
                format!("Patient {i}"),
                locale.to_string(),
            )
        })
        .collect();
    let sample = smtp::newsletter_project(
        server.port,
        &format!("key_env = \"{KEY_ENV}\"\n"),
        "",
        &csv_of(&rows),
        &env,
    );
    eprintln!("project ready at {:.1} s", started.elapsed().as_secs_f64());
    let concurrency = CONCURRENCY.to_string();
    let mut workers: Vec<Worker> = (0..3)
        .map(|_| {
            let (child, lines) = spawn(
                sample.root(),
                &env,
                &[
                    "worker",
                    "--listen",
                    "127.0.0.1:0",
                    "--tick",
                    "0.2",
                    "--transport",
                    "smtp",
                    "--concurrency",
                    &concurrency,
                    // A dead worker's messages come back after 5 s; the live ones renew every
                    // 1.7 s, which leaves room for a loaded machine's stalls.
                    "--lease",
                    "5",
                    "--health-every",
                    "1",
                ],
            );
            Worker {
                child,
                lines,
                seen: Vec::new(),
            }
        })
        .collect();
    for w in &mut workers {
        wait_until(Duration::from_secs(60), "the worker to start", || {
            w.drain();
            w.seen.iter().any(|l| l.contains("endpoint on http://"))
        });
    }
    eprintln!("workers up at {:.1} s", started.elapsed().as_secs_f64());
    // Due at once: one of the workers claims the job and queues the issue; all three send.
    let out = nashr(
        sample.root(),
        &env,
        &[
            "newsletter",
            "schedule",
            "2026-12",
            "--at",
            "2026-01-01 09:00",
            "--tz",
            "UTC",
        ],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    let send_started = Instant::now();

    // Half-way, SIGKILL one worker: what it had in flight is lost to it, not to the others.
    server.wait_for(RECIPIENTS / 2, Duration::from_secs(60));
    assert!(server.count() < RECIPIENTS, "the kill came too late to test anything");
    workers[0].child.kill().unwrap();
    workers[0].child.wait().unwrap();
    let at_kill = server.count();

    // At three quarters, SIGTERM another: it finishes what it holds and exits 0.
    server.wait_for(RECIPIENTS * 3 / 4, Duration::from_secs(60));
    Command::new("kill")
        .args(["-TERM", &workers[1].child.id().to_string()])
        .status()
        .unwrap();
    let term_at = Instant::now();
    let status = loop {
        if let Some(status) = workers[1].child.try_wait().unwrap() {
            break status;
        }
        assert!(
            term_at.elapsed() < Duration::from_secs(20),
            "SIGTERM did not stop the worker"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0), "{}", workers[1].output());
    let stopped = workers[1].output();
    assert!(stopped.contains("stopped; gave back"), "{stopped}");

    // The last worker finishes everything, including the dead worker's claims after its lease.
    let store = rt.block_on(db.open());
    wait_until(Duration::from_secs(90), "the ledger to finish", || {
        rt.block_on(store.delivery_counts("2026-12")).unwrap().finished()
    });
    let elapsed = send_started.elapsed();
    let counts = rt.block_on(store.delivery_counts("2026-12")).unwrap();
    assert_eq!(
        (counts.sent, counts.failed, counts.skipped),
        (RECIPIENTS, 0, 0),
        "{counts:?}"
    );
    let by_worker = rt.block_on(store.sent_by_worker("2026-12")).unwrap();
    assert_eq!(by_worker.len(), 3, "every worker sent a share: {by_worker:?}");
    assert!(
        rt.block_on(store.leases()).unwrap().is_empty(),
        "nothing is held any more"
    );
    rt.block_on(store.close());

    // The server saves a message before it answers 250, and the ledger records a delivery
    // only after the 250: every message the ledger counts is in the spool already.
    assert!(server.count() >= RECIPIENTS, "{} messages saved", server.count());
    eprintln!("sent at {:.1} s", started.elapsed().as_secs_f64());
    let messages = server.messages();
    eprintln!("parsed at {:.1} s", started.elapsed().as_secs_f64());
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in &messages {
        let to = m["to_address"].as_str().unwrap_or_default().to_string();
        *per.entry(to.clone()).or_default() += 1;
        ids.entry(to)
            .or_default()
            .insert(m["message_id"].as_str().unwrap_or_default().to_string());
    }
    let missing: Vec<&String> = rows.iter().map(|r| &r.0).filter(|a| !per.contains_key(*a)).collect();
    assert!(
        missing.is_empty(),
        "{} recipients got nothing: {missing:?}",
        missing.len()
    );
    assert_eq!(per.len(), RECIPIENTS, "nobody else got anything");
    let duplicates: usize = per.values().map(|n| n - 1).sum();
    eprintln!(
        "{RECIPIENTS} recipients by 3 workers in {:.1} s ({by_worker:?}); killed at {at_kill}; {duplicates} duplicates; test {:.1} s",
        elapsed.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        duplicates <= CONCURRENCY,
        "at most the killed worker's {CONCURRENCY} messages in flight are sent twice: {duplicates}"
    );
    assert_eq!(messages.len(), RECIPIENTS + duplicates);
    assert!(
        ids.values().all(|set| set.len() == 1),
        "a duplicate has its original's Message-ID"
    );

    // The survivor logged its health every second, and stops cleanly too.
    let last = &mut workers[2];
    Command::new("kill")
        .args(["-TERM", &last.child.id().to_string()])
        .status()
        .unwrap();
    let status = last.child.wait().unwrap();
    let output = last.output();
    assert_eq!(status.code(), Some(0), "{output}");
    let health = output.lines().filter(|l| l.contains(": health: claimed ")).count();
    assert!(health >= 2, "a health line every second: {output}");
    assert!(
        output.contains("stopped; gave back 0 claimed deliveries and 0 jobs"),
        "{output}"
    );
    for w in &mut workers {
        assert!(!w.output().contains(KEY), "the key is never printed");
        assert!(!w.output().contains("S3CRET"), "no secret in the log");
    }
}

/// `nashr store status|migrate` for the administrator: versions, pending migrations, and
/// never the password of the store URL; a bad URL is an environment error (exit 2).
#[test]
fn store_commands_show_the_schema_and_never_the_password() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(TestDb::postgres());
    // Trust authentication ignores the password, so a URL with one still connects.
    let url = db
        .url()
        .replacen("postgres://postgres@", "postgres://postgres:Pa55w0rd-XYZ@", 1);
    let sample = nashr_tests::Sample::new();
    let env = [("NASHR_STORE_URL", url.as_str())];
    let status = nashr(sample.root(), &env, &["store", "status"]);
    assert_eq!(status.code, Some(0), "{status:?}");
    assert!(
        status.stdout.contains("postgres://postgres:***@127.0.0.1"),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("pending 1 (publish ledger), 2 ("),
        "{}",
        status.stdout
    );
    let migrate = nashr(sample.root(), &env, &["store", "migrate"]);
    assert_eq!(migrate.code, Some(0), "{migrate:?}");
    assert!(
        migrate.stderr.contains("applied migrations 1, 2, 3"),
        "{}",
        migrate.stderr
    );
    let status = nashr(sample.root(), &env, &["store", "status", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&status.stdout).expect("JSON");
    assert_eq!(json["schema"]["applied"], serde_json::json!([1, 2, 3]));
    assert_eq!(json["schema"]["pending"], serde_json::json!([]));
    assert_eq!(json["backend"], "postgres");
    for out in [&status, &migrate] {
        assert!(
            !format!("{}{}", out.stdout, out.stderr).contains("Pa55w0rd"),
            "the password is never shown"
        );
    }
    for bad in ["mysql://u:Pa55w0rd@db/x", "postgres://u:Pa55w0rd@db:port/x"] {
        let out = nashr(sample.root(), &[("NASHR_STORE_URL", bad)], &["store", "status"]);
        assert_eq!(out.code, Some(2), "{out:?}");
        assert!(out.stderr.contains("NASHR_STORE_URL"), "{}", out.stderr);
        assert!(!out.stderr.contains("Pa55w0rd"), "{}", out.stderr);
    }
}
