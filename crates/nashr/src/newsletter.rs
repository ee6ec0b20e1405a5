//! `nashr newsletter …`, `nashr subscribers …` and `nashr worker`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use nashr_content::newsletter::TransportKind;
use nashr_content::{Error, Project};
use nashr_l10n::Localizer;
use nashr_newsletter::deliver::{Policy, Sender, now, sender_lock, store_err};
use nashr_newsletter::schedule::{self, Fold};
use nashr_newsletter::{Issue, Key, Renderer, Transport};
use nashr_store::Store;
use std::sync::atomic::Ordering;

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
    #[arg(long, value_parser = ["file", "smtp"])]
    transport: Option<String>,
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
    #[arg(long, value_name = "SECS", default_value_t = LEASE_SECS)]
    lease: i64,
    /// Seconds between health lines in the log (claimed, sent, retried, failed).
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    health_every: f64,
    #[command(flatten)]
    transport: TransportArgs,
}

/// How long a claim holds without renewal (see `WorkerArgs::lease`).
const LEASE_SECS: i64 = 60;
/// A worker stops claiming this often to look at jobs, signals and its health line.
const SLICE: Duration = Duration::from_secs(2);

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Environment(format!("cannot start the async runtime: {e}")))
}

fn store_path(project: &Project) -> PathBuf {
    nashr_publish::store_path(project)
}

pub(crate) async fn open_store(project: &Project) -> Result<Store, Error> {
    let location = nashr_publish::store_location(project).map_err(store_err)?;
    Store::connect(&location).await.map_err(store_err)
}

fn renderer(project: &Project) -> Result<Arc<Renderer>, Error> {
    // A worker lives long: it reads the translations of an issue's articles when it renders
    // the issue, not the catalogs of every article of the site.
    let l10n = Arc::new(Localizer::load_lazy(project)?);
    Ok(Arc::new(Renderer::new(project.clone(), l10n)?))
}

/// The unsubscribe key: from the environment; without one, the labelled development key,
/// for the file transport only.
fn key(project: &Project, kind: TransportKind, ui: &mut Ui) -> Result<Key, Error> {
    let var = &project.config.newsletter.key_env;
    if let Some(k) = Key::from_env(var) {
        return Ok(k);
    }
    match kind {
        TransportKind::File => {
            ui.warn(format!(
                "{var} is not set: unsubscribe links are signed with the public development key (fine for the file outbox, refused for SMTP)"
            ));
            Ok(Key::development())
        }
        TransportKind::Smtp => Err(Error::Environment(format!(
            "set {var} to a long random secret before sending over SMTP: it signs the unsubscribe links (e.g. `export {var}=$(openssl rand -hex 32)`, kept the same for every send)"
        ))),
    }
}

fn transport_kind(project: &Project, args: &TransportArgs) -> TransportKind {
    match args.transport.as_deref() {
        Some("smtp") => TransportKind::Smtp,
        Some(_) => TransportKind::File,
        None => project.config.newsletter.transport,
    }
}

fn sender(project: &Project, kind: TransportKind, store: Store, ui: &mut Ui) -> Result<Sender, Error> {
    let key = key(project, kind, ui)?;
    let mut config = project.config.newsletter.clone();
    config.transport = kind;
    let transport = Transport::from_config(&config, &project.root).map_err(Error::Environment)?;
    let smtp = &config.smtp;
    let policy = Policy {
        concurrency: if kind == TransportKind::File {
            1
        } else {
            smtp.concurrency.max(1)
        },
        rate: if kind == TransportKind::File { 0.0 } else { smtp.rate },
        retry_base_secs: config.retry_base_secs,
        max_attempts: config.max_attempts.max(1),
        lease_secs: LEASE_SECS,
    };
    Ok(Sender::new(renderer(project)?, store, transport, key, policy))
}

pub(crate) fn newsletter(root: &Path, cmd: &NewsletterCommand, ui: &mut Ui<'_>) -> Result<u8, Error> {
    let project = Project::load(root)?;
    match cmd {
        NewsletterCommand::Render { issue } => render(&project, issue, ui),
        NewsletterCommand::Send { issue, transport, wait } => {
            let issue = Issue::load(&project, issue)?;
            if let Some(p) = issue.sync_catalog(&project)? {
                ui.info(format!("updated {}", p.display()));
            }
            let kind = transport_kind(&project, transport);
            runtime()?.block_on(send(&project, &issue.id, kind, Duration::from_secs(*wait), ui))
        }
        NewsletterCommand::Schedule {
            issue,
            at,
            tz,
            dry_run,
            earlier,
            later,
        } => {
            let issue = Issue::load(&project, issue)?;
            let tz = tz.clone().unwrap_or_else(|| project.config.newsletter.timezone.clone());
            let fold = match (earlier, later) {
                (true, _) => Fold::Earlier,
                (_, true) => Fold::Later,
                _ => Fold::Refuse,
            };
            let when = match schedule::resolve(at, &tz, fold) {
                Ok(w) => w,
                Err(e) => {
                    ui.error(&e);
                    return Ok(EXIT_INPUT);
                }
            };
            let ts = when.timestamp();
            let shown = format!(
                "{} ({} UTC)",
                when.strftime("%Y-%m-%d %H:%M %Z"),
                ts.strftime("%Y-%m-%d %H:%M")
            );
            if ts.as_second() < now() {
                ui.warn(format!(
                    "{shown} is in the past: the worker will send it as soon as it runs"
                ));
            }
            if *dry_run {
                ui.print(format!("would send {} at {shown}\n", issue.id));
                return Ok(0);
            }
            runtime()?.block_on(async {
                let store = open_store(&project).await?;
                store
                    .job_schedule("newsletter", &issue.id, ts.as_second(), &tz, at, now())
                    .await
                    .map_err(store_err)?;
                store.close().await;
                Ok::<_, Error>(())
            })?;
            ui.print(format!("scheduled {} at {shown}; `nashr worker` sends it\n", issue.id));
            Ok(0)
        }
        NewsletterCommand::Cancel { issue } => runtime()?.block_on(async {
            let store = open_store(&project).await?;
            let cancelled = store.job_cancel("newsletter", issue, now()).await.map_err(store_err)?;
            store.close().await;
            if cancelled {
                ui.info(format!("cancelled the scheduled send of {issue}"));
                Ok(0)
            } else {
                ui.warn(format!("{issue} has no scheduled send"));
                Ok(EXIT_INPUT)
            }
        }),
        NewsletterCommand::Status { issue } => runtime()?.block_on(async {
            let store = open_store(&project).await?;
            for job in store.jobs_pending().await.map_err(store_err)? {
                let at = jiff::Timestamp::from_second(job.run_at).unwrap_or_default();
                ui.print(format!(
                    "{} {} {}: {} ({})\n",
                    job.kind,
                    job.target,
                    job.state,
                    schedule::show(at, &job.tz),
                    job.local_time
                ));
            }
            if let Some(issue) = issue {
                let c = store.delivery_counts(issue).await.map_err(store_err)?;
                ui.print(format!(
                    "{issue}: {} sent, {} queued, {} sending, {} to retry, {} failed, {} skipped\n",
                    c.sent, c.queued, c.sending, c.retry, c.failed, c.skipped
                ));
                for (email, err) in store.deliveries_failed(issue).await.map_err(store_err)? {
                    ui.print(format!("failed: {email}: {err}\n"));
                }
                let by: Vec<String> = store
                    .sent_by_worker(issue)
                    .await
                    .map_err(store_err)?
                    .into_iter()
                    .filter(|(w, _)| !w.is_empty())
                    .map(|(w, n)| format!("{w} {n}"))
                    .collect();
                if !by.is_empty() {
                    ui.print(format!("sent by: {}\n", by.join(", ")));
                }
            }
            store.close().await;
            Ok(0)
        }),
    }
}

fn render(project: &Project, id: &str, ui: &mut Ui<'_>) -> Result<u8, Error> {
    let issue = Issue::load(project, id)?;
    if let Some(p) = issue.sync_catalog(project)? {
        ui.info(format!("updated {}", p.display()));
    }
    let r = renderer(project)?;
    let dir = project
        .root
        .join(&project.config.newsletter.outbox)
        .join("preview")
        .join(&issue.id);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let key = Key::from_env(&project.config.newsletter.key_env).unwrap_or_else(Key::development);
    for locale in &project.config.site.locales {
        let email = r.render(&issue, locale)?;
        let sample = nashr_newsletter::Recipient {
            email: "preview@example.com".into(),
            name: String::new(),
            locale: locale.clone(),
        };
        let built = r.build(&email, &sample, &key).map_err(Error::Environment)?;
        let path = dir.join(format!("{locale}.eml"));
        nashr_content::fs::write_if_changed(&path, &built.bytes).map_err(|e| Error::io(&path, e))?;
        ui.info(format!(
            "{locale}: \"{}\" -> {}{}",
            email.subject,
            project.shown(&path).display(),
            if email.fallback.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} segment{} not translated yet: {})",
                    email.fallback.len(),
                    plural(email.fallback.len()),
                    email.fallback.join(", ")
                )
            }
        ));
    }
    Ok(0)
}

async fn send(
    project: &Project,
    issue: &str,
    kind: TransportKind,
    wait: Duration,
    ui: &mut Ui<'_>,
) -> Result<u8, Error> {
    let store = open_store(project).await?;
    // A SQLite store has one sender at a time; on PostgreSQL this send shares the work with
    // the workers, and leases (not a lock) free what a dead sender held.
    let mut _lock = None;
    let mut orphans = 0;
    if !store.is_shared() {
        _lock = sender_lock(&store_path(project))?;
        if _lock.is_none() {
            ui.error("another nashr (a worker or a send) is sending from this store; try again when it is done");
            return Ok(EXIT_USAGE);
        }
        orphans = store.deliveries_reclaim_orphans(now()).await.map_err(store_err)?;
    }
    if orphans > 0 {
        ui.warn(format!(
            "resuming after an interruption: {orphans} message{} may have reached the server already and {} sent again (see ARCHITECTURE.md, delivery ledger)",
            plural(orphans),
            if orphans == 1 { "is" } else { "are" }
        ));
    }
    let mut sender = sender(project, kind, store.clone(), ui)?;
    let mut lines = Vec::new();
    let result = sender.send_issue(issue, wait, &mut |l| lines.push(l)).await;
    for l in lines {
        ui.info(l);
    }
    let (counts, failed) = result?;
    for (email, err) in &failed {
        ui.warn(format!("not delivered to {email}: {err}"));
    }
    ui.info(format!(
        "{issue}: {} sent, {} failed, {} skipped, {} waiting for a retry",
        counts.sent, counts.failed, counts.skipped, counts.retry
    ));
    if counts.retry > 0 {
        ui.info("`nashr worker` sends the retries when they are due");
    }
    if counts.queued + counts.sending > 0 {
        ui.warn(format!(
            "{} deliver{} still claimed by another sender; they are sent again when its lease ends",
            counts.queued + counts.sending,
            if counts.queued + counts.sending == 1 {
                "y is"
            } else {
                "ies are"
            }
        ));
    }
    store.close().await;
    Ok(0)
}

pub(crate) fn subscribers(root: &Path, cmd: &SubscribersCommand, ui: &mut Ui<'_>) -> Result<u8, Error> {
    let project = Project::load(root)?;
    match cmd {
        SubscribersCommand::Import { file } => {
            let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
            let parsed = nashr_newsletter::csv::parse(&project, file, &text);
            for w in &parsed.warnings {
                ui.warn(w);
            }
            if !parsed.errors.is_empty() {
                return Err(Error::Input(parsed.errors));
            }
            let rows: Vec<nashr_store::NewSubscriber> = parsed
                .rows
                .iter()
                .map(|r| nashr_store::NewSubscriber {
                    email: r.email.clone(),
                    name: r.name.clone(),
                    locale: r.locale.clone(),
                    consent: r.consent.clone(),
                })
                .collect();
            let report = runtime()?.block_on(async {
                let store = open_store(&project).await?;
                let r = store
                    .subscribers_import(&rows, &jiff::Timestamp::now().to_string())
                    .await
                    .map_err(store_err);
                store.close().await;
                r
            })?;
            ui.info(format!(
                "{} added, {} updated{}",
                report.added,
                report.updated,
                if report.kept_suppressed > 0 {
                    format!(
                        ", {} kept unsubscribed or bounced (an import never re-subscribes anyone)",
                        report.kept_suppressed
                    )
                } else {
                    String::new()
                }
            ));
            Ok(0)
        }
        SubscribersCommand::List { status, json } => {
            if let Some(s) = status
                && !["active", "unsubscribed", "bounced"].contains(&s.as_str())
            {
                return Err(Error::Environment(format!(
                    "--status is active, unsubscribed or bounced, not `{s}`"
                )));
            }
            let subs = runtime()?.block_on(async {
                let store = open_store(&project).await?;
                let r = store.subscribers(status.as_deref()).await.map_err(store_err);
                store.close().await;
                r
            })?;
            if *json {
                let list: Vec<serde_json::Value> = subs
                    .iter()
                    .map(|s| {
                        serde_json::json!({"email": s.email, "name": s.name, "locale": s.locale,
                            "consent": s.consent, "status": s.status, "reason": s.status_reason})
                    })
                    .collect();
                ui.print(format!(
                    "{}\n",
                    serde_json::to_string_pretty(&serde_json::json!({"version": 1, "subscribers": list}))
                        .unwrap_or_default()
                ));
            } else {
                for s in &subs {
                    ui.print(format!("{}\t{}\t{}\t{}\n", s.email, s.locale, s.status, s.name));
                }
                ui.info(format!("{} subscriber{}", subs.len(), plural(subs.len())));
            }
            Ok(0)
        }
        SubscribersCommand::Unsubscribe { email } => {
            let email = email.trim().to_lowercase();
            let known = runtime()?.block_on(async {
                let store = open_store(&project).await?;
                let r = store
                    .subscriber_set_status(
                        &email,
                        "unsubscribed",
                        "unsubscribed by the editor",
                        &jiff::Timestamp::now().to_string(),
                    )
                    .await
                    .map_err(store_err);
                store.close().await;
                r
            })?;
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

/// `nashr worker`: due jobs (scheduled sends and publishes), every due delivery of every
/// issue, the unsubscribe endpoint; several of them share a PostgreSQL store. SIGTERM (or
/// Ctrl-C) stops claiming, lets the messages in flight finish, gives back what is still
/// claimed, and exits 0.
pub(crate) fn worker(root: &Path, args: &WorkerArgs, ui: &mut Ui<'_>) -> Result<u8, Error> {
    let project = Project::load(root)?;
    let kind = transport_kind(&project, &args.transport);
    let rt = runtime()?;
    rt.block_on(async {
        let store = open_store(&project).await?;
        let mut sender = sender(&project, kind, store.clone(), ui)?;
        if let Some(n) = args.concurrency {
            sender.policy.concurrency = n.max(1);
        }
        sender.policy.lease_secs = args.lease.max(2);
        let lease = sender.policy.lease_secs;
        let id = sender.owner.clone();
        let listen = args
            .listen
            .clone()
            .unwrap_or_else(|| project.config.newsletter.listen.clone());
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .map_err(|e| Error::Environment(format!("cannot listen on {listen}: {e}")))?;
        let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or(listen);
        let endpoint = Arc::new(nashr_newsletter::server::Endpoint {
            renderer: sender.renderer.clone(),
            store: store.clone(),
            key: sender.key.clone(),
            path: nashr_newsletter::server::Endpoint::path_of(&project.config.newsletter.unsubscribe_url),
        });
        ui.info(format!(
            "worker {id}: store {} ({}), {} message{} at once, lease {lease} s",
            store.shown(),
            store.backend_name(),
            sender.policy.concurrency,
            plural(sender.policy.concurrency)
        ));
        ui.info(format!(
            "worker {id}: unsubscribe endpoint on http://{addr}{}",
            endpoint.path
        ));
        tokio::spawn(nashr_newsletter::server::serve(listener, endpoint));
        let wake = Arc::new(tokio::sync::Notify::new());
        spawn_stop_on_signal(sender.stop.clone(), wake.clone())?;
        let tick = Duration::from_secs_f64(args.tick.clamp(0.05, 3600.0));
        let health_every = Duration::from_secs_f64(args.health_every.clamp(0.1, 86_400.0));
        let mut last_health = tokio::time::Instant::now();
        let mut lock = None;
        let mut published: Vec<String> = Vec::new();
        while !sender.stop.load(Ordering::Relaxed) {
            let mut busy = false;
            if !store.is_shared() && lock.is_none() {
                lock = sender_lock(&store_path(&project))?;
                if lock.is_some() {
                    let n = store.deliveries_reclaim_orphans(now()).await.map_err(store_err)?;
                    if n > 0 {
                        ui.warn(format!(
                            "resuming {n} interrupted message{} (each may be a duplicate)",
                            plural(n)
                        ));
                    }
                }
            }
            if store.is_shared() || lock.is_some() {
                while !sender.stop.load(Ordering::Relaxed)
                    && let Some(job) = store.job_claim_due(&id, now(), lease).await.map_err(store_err)?
                {
                    run_job(&project, &mut sender, &job, ui).await?;
                    busy = true;
                }
                // Every due delivery of every issue: scheduled sends, retries, and the share
                // of other workers' sends (and the work of dead ones) on a shared store.
                let report = sender
                    .pass_until(None, Some(tokio::time::Instant::now() + SLICE))
                    .await?;
                busy |= report.claimed > 0;
                for (email, err) in report.failed {
                    ui.warn(format!("not delivered to {email}: {err}"));
                }
            }
            scheduled_publish(&project, &store, &id, lease, &mut published, ui).await?;
            if last_health.elapsed() >= health_every {
                ui.info(format!("worker {id}: health: {}", sender.health.line()));
                last_health = tokio::time::Instant::now();
            }
            if !busy {
                tokio::select! {
                    _ = tokio::time::sleep(tick) => {}
                    _ = wake.notified() => {}
                }
            }
        }
        let (deliveries, jobs) = store.release(&id, now()).await.map_err(store_err)?;
        ui.info(format!(
            "worker {id}: stopped; gave back {deliveries} claimed deliver{} and {jobs} job{}; health: {}",
            if deliveries == 1 { "y" } else { "ies" },
            plural(jobs),
            sender.health.line()
        ));
        store.close().await;
        Ok(0)
    })
}

/// Sets `stop` on SIGTERM or SIGINT (and wakes the worker from its sleep).
fn spawn_stop_on_signal(stop: Arc<std::sync::atomic::AtomicBool>, wake: Arc<tokio::sync::Notify>) -> Result<(), Error> {
    let signal_err = |e: std::io::Error| Error::Environment(format!("cannot listen for signals: {e}"));
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).map_err(signal_err)?;
    tokio::spawn(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        stop.store(true, Ordering::Relaxed);
        wake.notify_one();
    });
    Ok(())
}

/// One claimed job. A newsletter job queues its issue for every subscriber and is done: the
/// messages are sent by every worker's passes, so a large send is shared. A publish job
/// (taken over from a worker that died) publishes.
async fn run_job(project: &Project, sender: &mut Sender, job: &nashr_store::Job, ui: &mut Ui<'_>) -> Result<(), Error> {
    let id = sender.owner.clone();
    let result = match job.kind.as_str() {
        "newsletter" => sender.enqueue(&job.target).await.map(|n| {
            ui.info(format!(
                "worker {id}: scheduled send of {} started: queued {n} message{}",
                job.target,
                plural(n)
            ));
        }),
        "publish" => publish_now(project).await,
        other => Err(Error::Environment(format!("unknown job kind `{other}`"))),
    };
    let error = result.err().map(|e| {
        ui.warn(format!("job {} {} failed: {e}", job.kind, job.target));
        e.to_string()
    });
    sender
        .store
        .job_finish(job.id, &id, error.as_deref(), now())
        .await
        .map_err(store_err)
}

async fn publish_now(project: &Project) -> Result<(), Error> {
    let l10n = Localizer::load(project)?;
    let options = nashr_publish::PublishOptions {
        dry_run: false,
        target: None,
        now: jiff::Timestamp::now(),
    };
    nashr_publish::publish(project, &l10n, &options, &|_, _, _| {})
        .await
        .map(|_| ())
        .map_err(|e| Error::Environment(e.to_string()))
}

/// Publishes when a scheduled article's `publish_at` has passed: one worker does it (a
/// `publish` job per article and time, claimed once), the others skip it.
async fn scheduled_publish(
    project: &Project,
    store: &Store,
    id: &str,
    lease: i64,
    done: &mut Vec<String>,
    ui: &mut Ui<'_>,
) -> Result<(), Error> {
    let now_ts = jiff::Timestamp::now();
    let due: Vec<String> = project
        .articles
        .iter()
        .filter(|a| a.front().status == nashr_content::Status::Scheduled)
        .filter_map(|a| {
            let at = a.front().publish_at.as_ref()?.0;
            (at <= now_ts).then(|| format!("{}@{}", a.slug, at.as_second()))
        })
        .filter(|s| !done.contains(s))
        .collect();
    let mut mine = Vec::new();
    for key in due {
        if let Some(job) = store
            .job_claim_once("publish", &key, id, now(), lease)
            .await
            .map_err(store_err)?
        {
            mine.push(job);
        }
        done.push(key);
    }
    if mine.is_empty() {
        return Ok(());
    }
    let result = publish_now(project).await;
    let names: Vec<&str> = mine.iter().map(|j| j.target.split('@').next().unwrap_or("")).collect();
    match &result {
        Ok(()) => ui.info(format!(
            "worker {id}: published scheduled article{}: {}",
            plural(names.len()),
            names.join(", ")
        )),
        Err(e) => ui.warn(format!("scheduled publish failed: {e}")),
    }
    let error = result.err().map(|e| e.to_string());
    if error.is_some() {
        // Tried again on the next tick (by whichever worker claims it).
        done.retain(|k| !mine.iter().any(|j| &j.target == k));
    }
    for job in &mine {
        store
            .job_finish(job.id, id, error.as_deref(), now())
            .await
            .map_err(store_err)?;
    }
    Ok(())
}
