//! The worker as a library: a scheduled send on a copy of the sample project (file
//! transport, SQLite store), stopped by its own report once the send is done.

use std::path::{Path, PathBuf};
use std::time::Duration;

use nashr_content::Project;
use nashr_newsletter::schedule::Fold;
use nashr_worker::jobs::{self, Schedule};
use nashr_worker::{Report, Stop, WorkerOptions};

/// Keeps every line and asks the worker to stop at its first health line after the
/// scheduled send started: by then the pass that sent the issue has finished.
struct StopAfterSend {
    lines: Vec<String>,
    started: bool,
    stop: Stop,
}

impl Report for StopAfterSend {
    fn info(&mut self, line: &str) {
        if line.contains("scheduled send of 2026-12 started") {
            self.started = true;
        } else if self.started && line.contains(": health: ") {
            self.stop.request();
        }
        self.lines.push(line.to_string());
    }

    fn warn(&mut self, line: &str) {
        self.lines.push(format!("warning: {line}"));
    }
}

fn copy_recursive(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy_recursive(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::copy(from, to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
    }
}

fn sample() -> tempfile::TempDir {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    for item in ["nashr.toml", "content", "locales", "templates", "static"] {
        copy_recursive(&repo.join(item), &dir.path().join(item));
    }
    dir
}

#[tokio::test]
async fn a_worker_sends_a_due_scheduled_issue_and_stops_when_asked() {
    let dir = sample();
    let project = Project::load(dir.path()).unwrap();
    let stop = Stop::new();
    let mut report = StopAfterSend {
        lines: Vec::new(),
        started: false,
        stop: stop.clone(),
    };
    let csv = dir.path().join("content/newsletters/subscribers-sample.csv");
    let imported = nashr_worker::subscribers::import(&project, &csv, &mut report)
        .await
        .unwrap();
    assert_eq!((imported.added, imported.updated), (4, 0));
    let due = Schedule::resolve(&project, "2026-12", "2026-01-01 09:00", Some("UTC"), Fold::Refuse).unwrap();
    assert!(due.is_past());
    due.record(&project).await.unwrap();

    let options = WorkerOptions {
        listen: Some("127.0.0.1:0".into()),
        transport: Some(nashr_content::newsletter::TransportKind::File),
        ..WorkerOptions::default()
    }
    .tick_secs(0.05)
    .health_every_secs(0.0);
    nashr_worker::run(&project, &options, &mut report, &stop).await.unwrap();

    let lines = report.lines.join("\n");
    assert!(
        lines.contains(": scheduled send of 2026-12 started: queued 4 messages"),
        "{lines}"
    );
    let last = report.lines.last().unwrap();
    assert!(
        last.ends_with(
            ": stopped; gave back 0 claimed deliveries and 0 jobs; health: claimed 4, sent 4, retried 0, failed 0"
        ),
        "{lines}"
    );
    let status = jobs::status(&project, Some("2026-12")).await.unwrap();
    assert!(status.jobs.is_empty(), "the job is done: {:?}", status.jobs);
    let (_, progress) = status.issue.unwrap();
    assert_eq!((progress.counts.sent, progress.counts.queued), (4, 0));
    let outbox = std::fs::read_dir(dir.path().join("outbox/2026-12")).unwrap().count();
    assert_eq!(outbox, 4);
    assert_eq!(options.health_every, Duration::from_millis(100));
}
