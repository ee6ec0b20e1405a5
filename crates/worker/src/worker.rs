//! The worker loop: due jobs, every due delivery of every issue, scheduled publishing and
//! the unsubscribe endpoint, until a stop is requested.

use std::sync::Arc;
use std::time::Duration;

use nashr_content::{Error, Project};
use nashr_l10n::Localizer;
use nashr_newsletter::deliver::{Sender, now, sender_lock, store_err};
use nashr_newsletter::server::{Endpoint, public_limits, serve_until};
use nashr_store::{Job, JobKind, Store};

use crate::{HEALTH_RANGE, Report, Stop, TICK_RANGE, WorkerOptions, plural, setup};

/// A worker stops claiming this often to look at jobs, the stop request and its health line.
const SLICE: Duration = Duration::from_secs(2);

/// Runs a worker on `project` until `stop` is requested, then gives back what it still holds
/// (deliveries become due at once, uncounted; running jobs are scheduled again) and returns.
/// On a SQLite store only one process sends at a time: a worker that finds another sending
/// serves the endpoint and publishes, and sends once the other is done.
pub async fn run(
    project: &Project,
    options: &WorkerOptions,
    report: &mut dyn Report,
    stop: &Stop,
) -> Result<(), Error> {
    let store = setup::open_store(project).await?;
    let kind = setup::transport_kind(project, options.transport);
    let mut sender = setup::sender(project, kind, store.clone(), options.lease_secs.max(2), report)?;
    if let Some(n) = options.concurrency {
        sender.policy.concurrency = n.max(1);
    }
    sender.stop = stop.requested.clone();
    let lease = sender.policy.lease_secs;
    let id = sender.owner.clone();
    let listen = options
        .listen
        .clone()
        .unwrap_or_else(|| project.config.newsletter.listen.clone());
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|source| Error::Bind {
            address: listen.clone(),
            source,
        })?;
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or(listen);
    let endpoint = Arc::new(Endpoint {
        renderer: sender.renderer.clone(),
        store: store.clone(),
        key: sender.key.clone(),
        path: Endpoint::path_of(&project.config.newsletter.unsubscribe_url),
    });
    report.info(&format!(
        "worker {id}: store {} ({}), {} message{} at once, lease {lease} s",
        store.shown(),
        store.backend_name(),
        sender.policy.concurrency,
        plural(sender.policy.concurrency)
    ));
    report.info(&format!(
        "worker {id}: unsubscribe endpoint on http://{addr}{}",
        endpoint.path
    ));
    let (shutdown, shutdown_requested) = tokio::sync::oneshot::channel::<()>();
    let server = AbortOnDrop(Some(tokio::spawn(serve_until(
        listener,
        endpoint,
        public_limits(),
        async move {
            let _ = shutdown_requested.await;
        },
    ))));
    work(project, options, &store, &mut sender, report, stop).await?;
    // No new unsubscribe requests; the ones being answered finish before the store closes.
    let _ = shutdown.send(());
    server.finish().await;
    let (deliveries, jobs) = store.release(&id, now()).await.map_err(store_err)?;
    report.info(&format!(
        "worker {id}: stopped; gave back {deliveries} claimed deliver{} and {jobs} job{}; health: {}",
        if deliveries == 1 { "y" } else { "ies" },
        plural(jobs),
        sender.health.line()
    ));
    store.close().await;
    Ok(())
}

/// Ends the endpoint when the worker returns with an error (a library's caller may keep its
/// runtime); a worker that stops normally shuts it down gracefully and [`finish`]es it.
///
/// [`finish`]: AbortOnDrop::finish
struct AbortOnDrop(Option<tokio::task::JoinHandle<()>>);

impl AbortOnDrop {
    /// Waits for the task to end by itself.
    async fn finish(mut self) {
        if let Some(task) = self.0.take() {
            let _ = task.await;
        }
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}

/// The loop itself, until the stop.
async fn work(
    project: &Project,
    options: &WorkerOptions,
    store: &Store,
    sender: &mut Sender,
    report: &mut dyn Report,
    stop: &Stop,
) -> Result<(), Error> {
    let id = sender.owner.clone();
    let lease = sender.policy.lease_secs;
    let tick = options.tick.clamp(TICK_RANGE.0, TICK_RANGE.1);
    let health_every = options.health_every.clamp(HEALTH_RANGE.0, HEALTH_RANGE.1);
    let mut last_health = tokio::time::Instant::now();
    let mut lock = None;
    let mut published: Vec<String> = Vec::new();
    while !stop.is_requested() {
        let mut busy = false;
        if !store.is_shared() && lock.is_none() {
            lock = sender_lock(&nashr_publish::store_path(project))?;
            if lock.is_some() {
                let n = store.deliveries_reclaim_orphans(now()).await.map_err(store_err)?;
                if n > 0 {
                    report.warn(&format!(
                        "resuming {n} interrupted message{} (each may be a duplicate)",
                        plural(n)
                    ));
                }
            }
        }
        if store.is_shared() || lock.is_some() {
            while !stop.is_requested()
                && let Some(job) = store.job_claim_due(&id, now(), lease).await.map_err(store_err)?
            {
                run_job(project, sender, &job, report).await?;
                busy = true;
            }
            // Every due delivery of every issue: scheduled sends, retries, and the share of
            // other workers' sends (and the work of dead ones) on a shared store.
            let pass = sender
                .pass_until(None, Some(tokio::time::Instant::now() + SLICE))
                .await?;
            busy |= pass.claimed > 0;
            for (email, err) in pass.failed {
                report.warn(&format!("not delivered to {email}: {err}"));
            }
        }
        scheduled_publish(project, store, &id, lease, &mut published, report).await?;
        if last_health.elapsed() >= health_every {
            report.info(&format!("worker {id}: health: {}", sender.health.line()));
            last_health = tokio::time::Instant::now();
        }
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(tick) => {}
                _ = stop.wake.notified() => {}
            }
        }
    }
    Ok(())
}

/// One claimed job. A newsletter job queues its issue for every subscriber and is done: the
/// messages are sent by every worker's passes, so a large send is shared. A publish job
/// (taken over from a worker that died) publishes.
async fn run_job(project: &Project, sender: &mut Sender, job: &Job, report: &mut dyn Report) -> Result<(), Error> {
    let id = sender.owner.clone();
    let result = match job.kind {
        JobKind::Newsletter => sender.enqueue(&job.target).await.map(|n| {
            report.info(&format!(
                "worker {id}: scheduled send of {} started: queued {n} message{}",
                job.target,
                plural(n)
            ));
        }),
        JobKind::Publish => publish_now(project).await,
    };
    let error = result.err().map(|e| {
        report.warn(&format!("job {} {} failed: {e}", job.kind, job.target));
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
    report: &mut dyn Report,
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
            .job_claim_once(JobKind::Publish, &key, id, now(), lease)
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
        Ok(()) => report.info(&format!(
            "worker {id}: published scheduled article{}: {}",
            plural(names.len()),
            names.join(", ")
        )),
        Err(e) => report.warn(&format!("scheduled publish failed: {e}")),
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
