//! `nashr newsletter …`, `nashr subscribers …` and `nashr worker`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Subcommand;
use nashr_content::newsletter::TransportKind;
use nashr_content::{Error, Project};
use nashr_newsletter::Issue;
use nashr_newsletter::schedule::Fold;
use nashr_store::{DeliveryCounts, ImportReport, Subscriber, SubscriberStatus};
use nashr_worker::jobs::{self, Schedule, ScheduleError};
use nashr_worker::send::{SendOptions, Sent};
use nashr_worker::{Stop, WorkerOptions};

use crate::{EXIT_INPUT, EXIT_USAGE, Ui, plural};

#[derive(Debug, Subcommand)]
pub(crate) enum NewsletterCommand {
    /// Write previews of an issue (HTML, text and .eml per locale) into <outbox>/preview/.
    Render { issue: String },
    /// Send an issue to every active subscriber now (resumes an interrupted send).
    Send {
        issue: String,
        #[command(flatten)]
        transport: TransportArgs,
        /// Wait at most this many seconds for temporarily refused messages to be retried;
        /// later retries are left to `nashr worker`.
        #[arg(long, default_value_t = 900)]
        wait: u64,
    },
    /// Send an issue at a local time: --at "2026-12-01 09:00" --tz America/Vancouver.
    Schedule {
        issue: String,
        #[arg(long)]
        at: String,
        /// IANA time zone (default: [newsletter] timezone).
        #[arg(long)]
        tz: Option<String>,
        /// Show when it would be sent; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// For a time that happens twice (the clocks go back): the first one.
        #[arg(long, conflicts_with = "later")]
        earlier: bool,
        /// For a time that happens twice: the second one.
        #[arg(long)]
        later: bool,
    },
    /// Cancel an issue's scheduled send.
    Cancel { issue: String },
    /// Scheduled sends, and the delivery counts of an issue.
    Status { issue: Option<String> },
}

#[derive(Debug, Subcommand)]
pub(crate) enum SubscribersCommand {
    /// Add or update subscribers from a CSV file (email,name,locale,consent).
    Import { file: PathBuf },
    /// List subscribers.
    List {
        /// Only active, unsubscribed or bounced ones.
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Unsubscribe an address (it gets no further message, including the rest of a send in progress).
    Unsubscribe { email: String },
}

#[derive(Debug, Clone, clap::Args)]
pub(crate) struct TransportArgs {
    /// `file` or `smtp` (default: [newsletter] transport).
    #[arg(long, value_enum)]
    transport: Option<TransportChoice>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum TransportChoice {
    File,
    Smtp,
}

#[derive(Debug, clap::Args)]
pub(crate) struct WorkerArgs {
    /// Where to serve the unsubscribe endpoint (default: [newsletter] listen).
    #[arg(long)]
    listen: Option<String>,
    /// Seconds between looks for due work when there is none.
    #[arg(long, default_value_t = 1.0)]
    tick: f64,
    /// Messages in flight at once (default: [newsletter.smtp] concurrency).
    #[arg(long, value_name = "N")]
    concurrency: Option<usize>,
    /// Seconds a claim holds without renewal: how soon other workers take over the work of a
    /// worker that died (it renews its claims every third of this while it lives).
    #[arg(long, value_name = "SECS", default_value_t = nashr_worker::DEFAULT_LEASE_SECS)]
    lease: i64,
    /// Seconds between health lines in the log (claimed, sent, retried, failed).
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    health_every: f64,
    #[command(flatten)]
    transport: TransportArgs,
}

impl nashr_worker::Report for Ui<'_> {
    fn info(&mut self, line: &str) {
        Ui::info(self, line);
    }

    fn warn(&mut self, line: &str) {
        Ui::warn(self, line);
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

impl TransportArgs {
    fn kind(&self) -> Option<TransportKind> {
        self.transport.map(|t| match t {
            TransportChoice::File => TransportKind::File,
            TransportChoice::Smtp => TransportKind::Smtp,
        })
    }
}

pub(crate) fn newsletter(root: &Path, cmd: &NewsletterCommand, ui: &mut Ui<'_>) -> Result<u8, Error> {
    let project = Project::load(root)?;
    match cmd {
        NewsletterCommand::Render { issue } => render(&project, issue, ui),
        NewsletterCommand::Send { issue, transport, wait } => {
            let options = SendOptions {
                transport: transport.kind(),
                wait: Duration::from_secs(*wait),
            };
            send(&project, issue, &options, ui)
        }
        NewsletterCommand::Schedule {
            issue,
            at,
            tz,
            dry_run,
            earlier,
            later,
        } => {
            let fold = match (earlier, later) {
                (true, _) => Fold::Earlier,
                (_, true) => Fold::Later,
                _ => Fold::Refuse,
            };
            schedule(
                &project,
                Schedule::resolve(&project, issue, at, tz.as_deref(), fold),
                if *dry_run {
                    Scheduling::DryRun
                } else {
                    Scheduling::Record
                },
                ui,
            )
        }
        NewsletterCommand::Cancel { issue } => {
            if runtime()?.block_on(jobs::cancel(&project, issue))? {
                ui.info(format!("cancelled the scheduled send of {issue}"));
                Ok(0)
            } else {
                ui.warn(format!("{issue} has no scheduled send"));
                Ok(EXIT_INPUT)
            }
        }
        NewsletterCommand::Status { issue } => {
            let status = runtime()?.block_on(jobs::status(&project, issue.as_deref()))?;
            print_status(&status, ui);
            Ok(0)
        }
    }
}

/// Writes the previews of an issue (HTML, text and .eml per locale).
fn render(project: &Project, id: &str, ui: &mut Ui<'_>) -> Result<u8, Error> {
    let issue = Issue::load(project, id)?;
    if let Some(p) = issue.sync_catalog(project)? {
        ui.info(format!("updated {}", p.display()));
    }
    for preview in nashr_newsletter::preview::previews(project, &issue)? {
        let preview = preview?;
        let fallback = if preview.fallback.is_empty() {
            String::new()
        } else {
            format!(
                " ({} segment{} not translated yet: {})",
                preview.fallback.len(),
                plural(preview.fallback.len()),
                preview.fallback.join(", ")
            )
        };
        ui.info(format!(
            "{}: \"{}\" -> {}{fallback}",
            preview.locale,
            preview.subject,
            project.shown(&preview.path).display(),
        ));
    }
    Ok(0)
}

fn send(project: &Project, id: &str, options: &SendOptions, ui: &mut Ui<'_>) -> Result<u8, Error> {
    let issue = Issue::load(project, id)?;
    if let Some(p) = issue.sync_catalog(project)? {
        ui.info(format!("updated {}", p.display()));
    }
    let (counts, failed) = match runtime()?.block_on(nashr_worker::send::send(project, &issue.id, options, ui))? {
        Sent::Busy => {
            ui.error("another nashr (a worker or a send) is sending from this store; try again when it is done");
            return Ok(EXIT_USAGE);
        }
        Sent::Done { counts, failed } => (counts, failed),
    };
    for (email, err) in &failed {
        ui.warn(format!("not delivered to {email}: {err}"));
    }
    print_send_summary(&issue.id, &counts, ui);
    Ok(0)
}

fn print_send_summary(issue: &str, counts: &DeliveryCounts, ui: &mut Ui<'_>) {
    ui.info(format!(
        "{issue}: {} sent, {} failed, {} skipped, {} waiting for a retry",
        counts.sent, counts.failed, counts.skipped, counts.retry
    ));
    if counts.retry > 0 {
        ui.info("`nashr worker` sends the retries when they are due");
    }
    let claimed = counts.queued + counts.sending;
    if claimed > 0 {
        ui.warn(format!(
            "{claimed} deliver{} still claimed by another sender; they are sent again when its lease ends",
            if claimed == 1 { "y is" } else { "ies are" }
        ));
    }
}

/// Whether `newsletter schedule` records the send or only shows when it would happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheduling {
    DryRun,
    Record,
}

fn schedule(
    project: &Project,
    resolved: Result<Schedule, ScheduleError>,
    mode: Scheduling,
    ui: &mut Ui<'_>,
) -> Result<u8, Error> {
    let plan = match resolved {
        Ok(plan) => plan,
        Err(ScheduleError::Project(e)) => return Err(e),
        Err(ScheduleError::Time(e)) => {
            ui.error(&e);
            return Ok(EXIT_INPUT);
        }
    };
    let shown = plan.shown();
    if plan.is_past() {
        ui.warn(format!(
            "{shown} is in the past: the worker will send it as soon as it runs"
        ));
    }
    if mode == Scheduling::DryRun {
        ui.print(format!("would send {} at {shown}\n", plan.issue));
        return Ok(0);
    }
    runtime()?.block_on(plan.record(project))?;
    ui.print(format!(
        "scheduled {} at {shown}; `nashr worker` sends it\n",
        plan.issue
    ));
    Ok(0)
}

fn print_status(status: &jobs::Status, ui: &mut Ui<'_>) {
    for job in &status.jobs {
        ui.print(format!(
            "{} {} {}: {} ({})\n",
            job.kind,
            job.target,
            job.state,
            jobs::shown_run_at(job),
            job.local_time
        ));
    }
    let Some((issue, progress)) = &status.issue else {
        return;
    };
    let c = &progress.counts;
    ui.print(format!(
        "{issue}: {} sent, {} queued, {} sending, {} to retry, {} failed, {} skipped\n",
        c.sent, c.queued, c.sending, c.retry, c.failed, c.skipped
    ));
    for (email, err) in &progress.failed {
        ui.print(format!("failed: {email}: {err}\n"));
    }
    let by: Vec<String> = progress
        .sent_by
        .iter()
        .filter(|(w, _)| !w.is_empty())
        .map(|(w, n)| format!("{w} {n}"))
        .collect();
    if !by.is_empty() {
        ui.print(format!("sent by: {}\n", by.join(", ")));
    }
}

pub(crate) fn subscribers(root: &Path, cmd: &SubscribersCommand, ui: &mut Ui<'_>) -> Result<u8, Error> {
    let project = Project::load(root)?;
    match cmd {
        SubscribersCommand::Import { file } => {
            let report = runtime()?.block_on(nashr_worker::subscribers::import(&project, file, ui))?;
            print_import(&report, ui);
            Ok(0)
        }
        SubscribersCommand::List { status, json } => {
            let status = match status.as_deref().map(str::parse::<SubscriberStatus>) {
                None => None,
                Some(Ok(s)) => Some(s),
                Some(Err(_)) => {
                    return Err(Error::Environment(format!(
                        "--status is active, unsubscribed or bounced, not `{}`",
                        status.as_deref().unwrap_or_default()
                    )));
                }
            };
            let subs = runtime()?.block_on(nashr_worker::subscribers::list(&project, status))?;
            if *json {
                ui.print(format!("{}\n", subscribers_json(&subs)));
            } else {
                for s in &subs {
                    ui.print(format!("{}\t{}\t{}\t{}\n", s.email, s.locale, s.status, s.name));
                }
                ui.info(format!("{} subscriber{}", subs.len(), plural(subs.len())));
            }
            Ok(0)
        }
        SubscribersCommand::Unsubscribe { email } => {
            let known = runtime()?.block_on(nashr_worker::subscribers::unsubscribe(&project, email))?;
            let email = nashr_worker::subscribers::normalize_email(email);
            if known {
                ui.info(format!("{email} is unsubscribed"));
                Ok(0)
            } else {
                ui.error(&format!("{email} is not a subscriber"));
                Ok(EXIT_INPUT)
            }
        }
    }
}

fn print_import(report: &ImportReport, ui: &mut Ui<'_>) {
    let kept = if report.kept_suppressed > 0 {
        format!(
            ", {} kept unsubscribed or bounced (an import never re-subscribes anyone)",
            report.kept_suppressed
        )
    } else {
        String::new()
    };
    ui.info(format!("{} added, {} updated{kept}", report.added, report.updated));
}

/// `subscribers list --json`: version 1 of the format the README documents.
fn subscribers_json(subs: &[Subscriber]) -> String {
    let list: Vec<serde_json::Value> = subs
        .iter()
        .map(|s| {
            serde_json::json!({"email": s.email, "name": s.name, "locale": s.locale,
                "consent": s.consent, "status": s.status.as_str(), "reason": s.status_reason})
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({"version": 1, "subscribers": list})).unwrap_or_default()
}

/// `nashr worker`: due jobs (scheduled sends and publishes), every due delivery of every
/// issue, the unsubscribe endpoint; several of them share a PostgreSQL store. SIGTERM (or
/// Ctrl-C) stops claiming, lets the messages in flight finish, gives back what is still
/// claimed, and exits 0.
pub(crate) fn worker(root: &Path, args: &WorkerArgs, ui: &mut Ui<'_>) -> Result<u8, Error> {
    let project = Project::load(root)?;
    let options = WorkerOptions {
        listen: args.listen.clone(),
        concurrency: args.concurrency,
        lease_secs: args.lease,
        transport: args.transport.kind(),
        ..WorkerOptions::default()
    }
    .tick_secs(args.tick)
    .health_every_secs(args.health_every);
    runtime()?.block_on(async {
        let stop = Stop::new();
        stop.on_signals()?;
        nashr_worker::run(&project, &options, ui, &stop).await
    })?;
    Ok(0)
}
