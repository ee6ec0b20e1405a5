//! The newsletter end to end, with real processes: `nashr` sends to a real SMTP server
//! (aiosmtpd, from `make services`), Python's `email` package parses what arrived, and the
//! worker's unsubscribe endpoint is called over HTTP.

use std::time::{Duration, Instant};

use nashr_tests::Sample;
use nashr_tests::smtp::{self, SmtpServer, csv_of, http, nashr, spawn};

const KEY_ENV: &str = "NASHR_TEST_NEWSLETTER_KEY";
const KEY: &str = "test-key-S3CRET-9f8e7d6c5b4a";
const ENV: &[(&str, &str)] = &[(KEY_ENV, KEY)];

fn project(port: u16, extra: &str, smtp_extra: &str, csv: &str) -> Sample {
    smtp::newsletter_project(port, &format!("key_env = \"{KEY_ENV}\"\n{extra}"), smtp_extra, csv, ENV)
}

fn s(v: &serde_json::Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

#[test]
fn sends_per_locale_over_smtp_and_unsubscribes_through_the_worker() {
    smtp::require();
    let server = SmtpServer::start(&[]);
    let sample = project(
        server.port,
        "",
        "concurrency = 2\n",
        &csv_of(&[
            ("sara@example.com", "سارا احمدی", "fa"),
            ("neda@example.com", "Neda \"Karimi\", RMT", "fa-CA"),
            ("john@example.com", "John Miller", "en"),
            ("alex@example.com", "", ""),
        ]),
    );
    let out = nashr(
        sample.root(),
        ENV,
        &["newsletter", "send", "2026-12", "--transport", "smtp"],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stderr.contains("4 sent, 0 failed"), "{}", out.stderr);
    let messages = server.messages();
    assert_eq!(messages.len(), 4, "one message per subscriber");
    let key = nashr_newsletter::Key::new(KEY.as_bytes());
    let mut ids = std::collections::HashSet::new();
    for m in &messages {
        let to = s(m, "to_address");
        assert!(m["defects"].as_array().unwrap().is_empty(), "{to}: {:?}", m["defects"]);
        // Plain text first, then HTML, in one multipart/alternative.
        assert_eq!(
            m["parts"],
            serde_json::json!(["multipart/alternative", "text/plain", "text/html"]),
            "{to}"
        );
        for h in [
            "List-Unsubscribe",
            "List-Unsubscribe-Post",
            "Message-ID",
            "Subject",
            "To",
        ] {
            assert_eq!(m["header_counts"][h], 1, "{to}: exactly one {h}");
        }
        assert_eq!(s(m, "list_unsubscribe_post"), "List-Unsubscribe=One-Click");
        let lu = s(m, "list_unsubscribe");
        assert!(lu.starts_with("<https://downtownphysio.example/unsubscribe?t="), "{lu}");
        assert!(
            lu.contains(">, <mailto:unsubscribe@downtownphysio.example?subject=unsubscribe%20"),
            "{lu}"
        );
        let token = lu.split("?t=").nth(1).unwrap().split('>').next().unwrap();
        assert_eq!(
            key.verify(token).as_deref(),
            Some(to.as_str()),
            "the token names its recipient"
        );
        // The deterministic Message-ID.
        let (expected, _) = nashr_newsletter::email::message_id("2026-12", &to, "downtownphysio.example");
        assert_eq!(s(m, "message_id"), expected);
        assert!(ids.insert(expected));
        // No bidi isolation marks in headers, and the key never travels.
        let raw = s(m, "raw_head");
        for mark in ['\u{2068}', '\u{2069}'] {
            assert!(!s(m, "subject").contains(mark) && !s(m, "to").contains(mark), "{to}");
        }
        assert!(!raw.contains(KEY) && !s(m, "html").contains(KEY) && !s(m, "text").contains(KEY));
        // CASL footer in both parts; the unsubscribe link in both parts.
        for part in [s(m, "text"), s(m, "html")] {
            assert!(part.contains("555 West Georgia Street"), "{to}: postal address");
            assert!(part.contains(token), "{to}: unsubscribe link in the body");
        }
        assert!(s(m, "html").len() < 100 * 1024);
        // Images as absolute URLs.
        assert!(s(m, "html").contains("src=\"https://downtownphysio.example/"), "{to}");
    }
    let by = |addr: &str| messages.iter().find(|m| s(m, "to_address") == addr).unwrap();
    let fa = by("sara@example.com");
    assert_eq!(
        s(fa, "subject"),
        "آذر در کلینیک: تحرک بیشتر در ماه‌های سرد",
        "decodes exactly, ZWNJ included"
    );
    assert!(s(fa, "subject").contains('\u{200C}'));
    assert!(s(fa, "to").starts_with("سارا احمدی"), "{}", s(fa, "to"));
    let html = s(fa, "html");
    assert!(html.contains("<html lang=\"fa\" dir=\"rtl\">"), "{}", &html[..200]);
    assert!(html.contains("dir=\"rtl\" align=\"right\""));
    assert!(html.contains("direction: rtl"));
    assert!(html.contains("ماه‌های"), "ZWNJ in the HTML part");
    assert!(!html.contains("<style"), "CSS is inlined");
    assert!(s(fa, "text").contains("سارا احمدی") && s(fa, "text").contains("ماه‌های"));
    assert!(html.contains("https://downtownphysio.example/fa/acupuncture/"));
    // fa-CA falls back to fa; no locale falls back to the source locale.
    assert!(s(by("neda@example.com"), "html").contains("dir=\"rtl\""));
    assert_eq!(
        s(by("neda@example.com"), "to"),
        "\"Neda \\\"Karimi\\\", RMT\" <neda@example.com>"
    );
    let en = by("alex@example.com");
    assert_eq!(
        s(en, "subject"),
        "December at the clinic: staying active through the winter"
    );
    assert!(s(en, "html").contains("<html lang=\"en\" dir=\"ltr\">"));
    assert!(s(en, "text").starts_with("Hello,"), "{}", s(en, "text"));
    assert!(s(by("john@example.com"), "text").contains("Hello \u{2068}John Miller\u{2069},"));

    // A second send sends nothing: the ledger remembers.
    let again = nashr(
        sample.root(),
        ENV,
        &["newsletter", "send", "2026-12", "--transport", "smtp"],
    );
    assert_eq!(again.code, Some(0), "{again:?}");
    assert_eq!(server.count(), 4);

    // The worker's endpoint: GET confirms in the subscriber's language and changes nothing;
    // POST (RFC 8058 one-click) unsubscribes.
    let (mut worker, lines) = spawn(
        sample.root(),
        ENV,
        &["worker", "--listen", "127.0.0.1:0", "--transport", "smtp"],
    );
    let addr = loop {
        let line = lines.recv_timeout(Duration::from_secs(30)).expect("worker start line");
        if let Some(rest) = line.split("endpoint on http://").nth(1) {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    let lu = s(fa, "list_unsubscribe");
    let path = lu
        .trim_start_matches("<https://downtownphysio.example")
        .split('>')
        .next()
        .unwrap()
        .to_string();
    let (code, page) = http(&addr, "GET", &path, "");
    assert_eq!(code, 200, "{page}");
    assert!(
        page.contains("lang=\"fa\"") && page.contains("لغو اشتراک") && page.contains("sara@example.com"),
        "{page}"
    );
    let list = nashr(sample.root(), ENV, &["subscribers", "list", "--status", "unsubscribed"]);
    assert!(!list.stdout.contains("sara@"), "GET must not unsubscribe");
    let (code, _) = http(&addr, "GET", &path.replace("?t=", "?t=00"), "");
    assert_eq!(code, 400, "a tampered token is refused");
    let (code, page) = http(&addr, "POST", &path, "List-Unsubscribe=One-Click");
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("دیگر"), "{page}");
    let list = nashr(sample.root(), ENV, &["subscribers", "list", "--status", "unsubscribed"]);
    assert!(list.stdout.contains("sara@example.com"), "{list:?}");
    let _ = worker.kill();
    let _ = worker.wait();
    let mut all_output = String::new();
    while let Ok(l) = lines.try_recv() {
        all_output.push_str(&l);
    }
    for text in [&out.stdout, &out.stderr, &again.stderr, &list.stderr, &all_output] {
        assert!(!text.contains(KEY), "the key is never printed");
    }
}

#[test]
fn smtp_needs_a_real_key_and_the_file_outbox_does_not() {
    let sample = Sample::new();
    sample.write("subs.csv", "email,name,locale,consent\na@example.com,A,en,express\n");
    let csv_path = sample.path("subs.csv");
    assert_eq!(
        nashr(
            sample.root(),
            &[],
            &["subscribers", "import", csv_path.to_str().unwrap()]
        )
        .code,
        Some(0)
    );
    let out = nashr(
        sample.root(),
        &[],
        &["newsletter", "send", "2026-12", "--transport", "smtp"],
    );
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("set NASHR_NEWSLETTER_KEY"), "{}", out.stderr);
    let out = nashr(sample.root(), &[], &["newsletter", "send", "2026-12"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stderr.contains("development key"), "{}", out.stderr);
    let files: Vec<_> = std::fs::read_dir(sample.path("outbox/2026-12")).unwrap().collect();
    assert_eq!(files.len(), 1);
}

/// The newsletter reads the translations of the articles an issue features when it renders the
/// issue (not every catalog of the site): a broken one is reported there, with its file and
/// line, and a broken catalog of an article the issue does not feature does not stop it.
#[test]
fn a_broken_translation_of_a_featured_article_stops_the_render() {
    let sample = Sample::new();
    // Not featured in 2026-12: the issue still renders.
    sample.replace(
        "locales/fa/articles/benefits-of-physiotherapy.ftl",
        "\ntitle = ",
        "\ntitle = { $\nx = ",
    );
    let out = nashr(sample.root(), &[], &["newsletter", "render", "2026-12"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    // Featured: the render fails and names the file and line.
    sample.replace(
        "locales/fa/articles/acupuncture.ftl",
        "\ntitle = ",
        "\ntitle = { $\nx = ",
    );
    let out = nashr(sample.root(), &[], &["newsletter", "render", "2026-12"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains("locales/fa/articles/acupuncture.ftl:"),
        "{}",
        out.stderr
    );
}

/// Kills the sender with SIGKILL at random moments and restarts it until the issue is sent.
/// With one message in flight (concurrency 1), each crash can duplicate at most one message:
/// the one the server accepted before the ledger recorded it.
#[test]
fn a_killed_sender_resumes_without_losing_anyone() {
    smtp::require();
    // The server keeps each message 40 ms before it answers 250: most kills land in the window
    // the ledger cannot see (accepted, not yet recorded), so the duplicate bound is exercised.
    let server = SmtpServer::start(&["--delay", "0.01", "--delay-after", "0.04"]);
    let rows: Vec<(String, String, String)> = (0..60)
        .map(|i| {
            (
                format!("p{i:03}@example.com"),
                format!("Patient {i}"),
                if i % 2 == 0 { "fa" } else { "en" }.to_string(),
            )
        })
        .collect();
    let refs: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    let sample = project(server.port, "", "concurrency = 1\n", &csv_of(&refs));
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("crash test seed {seed}");
    let mut kills = 0;
    for _ in 0..5 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        // The crash point, counted in messages: the kill comes as soon as the server has
        // saved 1 to 8 more (at most 45 of the 60 in five rounds, so every kill is mid-send),
        // mostly within the 40 ms before that message's 250.
        let target = server.count() + 1 + (seed >> 33) as usize % 8;
        let (mut child, _lines) = spawn(
            sample.root(),
            ENV,
            &["newsletter", "send", "2026-12", "--transport", "smtp"],
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        while server.count() < target && child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "{target} messages not reached in 60 s");
            std::thread::sleep(Duration::from_millis(5));
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        let _ = child.wait();
    }
    let out = nashr(
        sample.root(),
        ENV,
        &["newsletter", "send", "2026-12", "--transport", "smtp"],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stderr.contains("60 sent, 0 failed"), "{}", out.stderr);
    let messages = server.messages();
    let mut per: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for m in &messages {
        *per.entry(s(m, "to_address")).or_default() += 1;
    }
    for (addr, _, _) in &rows {
        assert!(per.get(addr).copied().unwrap_or(0) >= 1, "{addr} got nothing");
    }
    let duplicates: usize = per.values().map(|n| n - 1).sum();
    eprintln!("{kills} kills, {duplicates} duplicates, {} messages", messages.len());
    assert!(
        kills >= 2,
        "the sender was killed mid-send at least twice (seed {seed})"
    );
    assert!(
        duplicates <= kills,
        "at most one duplicate per crash: {duplicates} duplicates after {kills} kills"
    );
    assert_eq!(messages.len(), rows.len() + duplicates);
    // A duplicate is the same message: the same Message-ID, so clients can collapse it.
    let mut ids: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    for m in &messages {
        ids.entry(s(m, "to_address")).or_default().insert(s(m, "message_id"));
    }
    assert!(ids.values().all(|set| set.len() == 1), "{ids:?}");
}

/// The fault test's SMTP server is the same aiosmtpd, configured to answer 451 to two
/// recipients on their first two attempts and 550 to one, always.
#[test]
fn temporary_failures_are_retried_and_permanent_ones_suppressed() {
    smtp::require();
    let server = SmtpServer::start(&[
        "--fail-4xx",
        "^retry",
        "--fail-4xx-times",
        "2",
        "--fail-5xx",
        "gone@example.com",
    ]);
    let sample = project(
        server.port,
        "",
        "concurrency = 3\n",
        &csv_of(&[
            ("a@example.com", "A", "en"),
            ("b@example.com", "B", "fa"),
            ("c@example.com", "C", "en"),
            ("retry1@example.com", "R1", "en"),
            ("retry2@example.com", "R2", "fa"),
            ("gone@example.com", "Gone", "en"),
        ]),
    );
    let started = Instant::now();
    let out = nashr(
        sample.root(),
        ENV,
        &["newsletter", "send", "2026-12", "--transport", "smtp"],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stderr.contains("5 sent, 1 failed"), "{}", out.stderr);
    assert!(
        out.stderr.contains("not delivered to gone@example.com") && out.stderr.contains("550"),
        "{}",
        out.stderr
    );
    // Two retries at 1 s and 2 s of backoff.
    assert!(started.elapsed() >= Duration::from_secs(3), "{:?}", started.elapsed());
    let mut got: Vec<String> = server.messages().iter().map(|m| s(m, "to_address")).collect();
    got.sort();
    assert_eq!(
        got,
        [
            "a@example.com",
            "b@example.com",
            "c@example.com",
            "retry1@example.com",
            "retry2@example.com"
        ]
    );
    let bounced = nashr(sample.root(), ENV, &["subscribers", "list", "--status", "bounced"]);
    assert!(bounced.stdout.contains("gone@example.com"), "{bounced:?}");
    let status = nashr(sample.root(), ENV, &["newsletter", "status", "2026-12"]);
    assert!(
        status
            .stdout
            .contains("failed: gone@example.com: permanent error (550)"),
        "{}",
        status.stdout
    );
}

#[test]
fn a_scheduled_send_goes_out_on_time() {
    smtp::require();
    let server = SmtpServer::start(&[]);
    let sample = project(
        server.port,
        "",
        "",
        &csv_of(&[("a@example.com", "A", "en"), ("b@example.com", "B", "fa")]),
    );
    let (mut worker, _lines) = spawn(
        sample.root(),
        ENV,
        &[
            "worker",
            "--listen",
            "127.0.0.1:0",
            "--tick",
            "0.2",
            "--transport",
            "smtp",
        ],
    );
    let at = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(4);
    let at_text = at.strftime("%Y-%m-%d %H:%M:%S").to_string();
    let at = at_text
        .replace(' ', "T")
        .parse::<jiff::civil::DateTime>()
        .unwrap()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp();
    let out = nashr(
        sample.root(),
        ENV,
        &["newsletter", "schedule", "2026-12", "--at", &at_text, "--tz", "UTC"],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("scheduled 2026-12 at"), "{}", out.stdout);
    assert_eq!(server.wait_for(2, Duration::from_secs(20)), 2);
    let _ = worker.kill();
    let _ = worker.wait();
    // Nothing before its time, and not long after: the server names each message's file by
    // the time it saved it (ns since the epoch, then a sequence number).
    for m in server.messages() {
        let file = s(&m, "file");
        let saved_ns: i64 = file
            .split('-')
            .next()
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("no time in the spool file name {file}"));
        let late = saved_ns / 1_000_000 - at.as_millisecond();
        assert!(
            (0..3000).contains(&late),
            "{file} sent {late} ms after the scheduled time"
        );
    }
}

#[test]
fn schedule_dry_run_and_dst_messages() {
    let sample = Sample::new();
    let out = nashr(
        sample.root(),
        &[],
        &[
            "newsletter",
            "schedule",
            "2026-12",
            "--at",
            "2026-12-01 09:00",
            "--tz",
            "America/Vancouver",
            "--dry-run",
        ],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains("2026-12-01 09:00 PST (2026-12-01 17:00 UTC)"),
        "{}",
        out.stdout
    );
    let out = nashr(
        sample.root(),
        &[],
        &["newsletter", "schedule", "2026-12", "--at", "2027-03-14 02:30"],
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains("does not exist in America/Vancouver"),
        "{}",
        out.stderr
    );
    let out = nashr(
        sample.root(),
        &[],
        &[
            "newsletter",
            "schedule",
            "2026-12",
            "--at",
            "2026-11-01 01:30",
            "--later",
            "--dry-run",
        ],
    );
    assert!(out.stdout.contains("09:30 UTC"), "{out:?}");
    let out = nashr(
        sample.root(),
        &[],
        &["newsletter", "schedule", "2026-12", "--at", "2026-12-01 09:00"],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    let st = nashr(sample.root(), &[], &["newsletter", "status"]);
    assert!(st.stdout.contains("newsletter 2026-12 scheduled"), "{st:?}");
    assert_eq!(
        nashr(sample.root(), &[], &["newsletter", "cancel", "2026-12"]).code,
        Some(0)
    );
    assert!(
        !nashr(sample.root(), &[], &["newsletter", "status"])
            .stdout
            .contains("2026-12")
    );
}

#[test]
fn subscriber_import_reports_rows_and_updates_without_duplicating() {
    let sample = Sample::new();
    let csv = sample.path("patients.csv");
    sample.write(
        "patients.csv",
        "email,name,locale,consent\nok@example.com,Ok,fa,express\nnot-an-address,Bad,en,express\nx@example.com,X,en,maybe\n",
    );
    let run = sample.nashr(&["subscribers", "import", csv.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(run.output.contains("patients.csv:3:1"), "{}", run.output);
    assert!(
        run.output.contains("not-an-address,Bad,en,express"),
        "the row is shown: {}",
        run.output
    );
    assert!(run.output.contains("patients.csv:4:"), "{}", run.output);
    assert!(run.output.contains("consent `maybe`"), "{}", run.output);
    let list = sample.nashr(&["subscribers", "list"]);
    assert!(
        list.stdout.is_empty(),
        "nothing imported from a file with errors: {}",
        list.stdout
    );

    sample.write(
        "patients.csv",
        "email,name,locale,consent\nOk@Example.com,Ok,fa,express\nb@example.com,B,de,implied\n",
    );
    let run = sample.nashr(&["subscribers", "import", csv.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(run.output.contains("2 added, 0 updated"), "{}", run.output);
    assert!(
        run.output.contains("locale `de` is not one of the site's"),
        "{}",
        run.output
    );
    assert_eq!(sample.nashr(&["subscribers", "unsubscribe", "b@example.com"]).code, 0);
    sample.write(
        "patients.csv",
        "email,name,locale,consent\nok@example.com,Okay,en,express\nb@example.com,B,en,express\n",
    );
    let run = sample.nashr(&["subscribers", "import", csv.to_str().unwrap()]);
    assert!(
        run.output.contains("0 added, 1 updated, 1 kept unsubscribed"),
        "{}",
        run.output
    );
    let list = sample.nashr(&["subscribers", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    let subs = v["subscribers"].as_array().unwrap();
    assert_eq!(subs.len(), 2);
    assert_eq!(subs[1]["email"], "ok@example.com");
    assert_eq!(subs[1]["name"], "Okay");
    assert_eq!(subs[1]["locale"], "en");
    assert_eq!(subs[0]["status"], "unsubscribed");
}

/// An unsubscribe during a send stops that send for the address: the rest of the send skips it.
#[test]
fn an_unsubscribe_mid_send_applies_to_the_rest_of_the_send() {
    smtp::require();
    let server = SmtpServer::start(&["--delay", "0.15"]);
    let rows: Vec<(String, String, String)> = (0..16)
        .map(|i| (format!("q{i:02}@example.com"), format!("Q {i}"), "en".to_string()))
        .collect();
    let refs: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    let sample = project(server.port, "", "concurrency = 1\n", &csv_of(&refs));
    let (mut sender, _lines) = spawn(
        sample.root(),
        ENV,
        &["newsletter", "send", "2026-12", "--transport", "smtp"],
    );
    assert!(server.wait_for(2, Duration::from_secs(30)) >= 2, "the send started");
    let out = nashr(sample.root(), ENV, &["subscribers", "unsubscribe", "q15@example.com"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let status = sender.wait().unwrap();
    assert!(status.success());
    let got: Vec<String> = server.messages().iter().map(|m| s(m, "to_address")).collect();
    assert_eq!(got.len(), 15, "{got:?}");
    assert!(!got.contains(&"q15@example.com".to_string()));
    let st = nashr(sample.root(), ENV, &["newsletter", "status", "2026-12"]);
    assert!(
        st.stdout
            .contains("15 sent, 0 queued, 0 sending, 0 to retry, 0 failed, 1 skipped"),
        "{}",
        st.stdout
    );
}

#[test]
fn l10n_sync_keeps_issue_catalogs_current_and_status_counts_them() {
    let sample = Sample::new();
    assert_eq!(
        sample.nashr(&["l10n", "sync", "--check"]).code,
        0,
        "the committed catalog is current"
    );
    sample.replace(
        "content/newsletters/2026-12.md",
        "You can book online at any time.",
        "You can book online at any time.\n\nA new paragraph.",
    );
    let check = sample.nashr(&["l10n", "sync", "--check"]);
    assert_eq!(check.code, 1, "{}", check.output);
    assert!(check.output.contains("newsletters/2026-12.ftl"), "{}", check.output);
    assert_eq!(sample.nashr(&["l10n", "sync"]).code, 0);
    assert!(
        sample
            .read("locales/en/newsletters/2026-12.ftl")
            .contains("intro-3 = A new paragraph.")
    );
    let status = sample.nashr(&["l10n", "status", "fa", "-v"]);
    assert!(
        status.stdout.contains("locales/fa/newsletters/2026-12.ftl"),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("intro-3"),
        "the new paragraph is missing in fa: {}",
        status.stdout
    );
    // Until it is translated, the Persian email shows it in English.
    let render = sample.nashr(&["newsletter", "render", "2026-12"]);
    assert_eq!(render.code, 0, "{}", render.output);
    assert!(
        render.output.contains("1 segment not translated yet: intro-3"),
        "{}",
        render.output
    );
}
