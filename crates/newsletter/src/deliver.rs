//! Sending an issue from the delivery ledger.
//!
//! Each recipient's row goes queued → sending → sent (or retry / failed). A row is claimed
//! (set to `sending`, with an owner and a lease) before its message is built and handed to the
//! transport, and its outcome is written the moment the server answers. So a crash or a
//! restart at any point resumes where the ledger says: sent rows are never sent again, queued
//! and retry rows are sent, and `sending` rows — the messages that were in flight — are sent
//! again. That last case is the one duplicate SMTP cannot rule out: the server may have
//! accepted the message before the crash, and the ledger could not record it. At most
//! `concurrency` messages are in flight, so a crash duplicates at most that many (one with
//! `concurrency = 1`); the outcome is committed right after the 250 to keep the window small.
//!
//! On a shared store (PostgreSQL) several senders claim from the same ledger. Each has a
//! worker id (`<host>-<pid>-<random>`), renews the leases of what it holds while it sends,
//! and records outcomes only for rows it still holds; a sender that dies holds its rows until
//! the lease runs out, then another sends them (the same duplicate bound, per death).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use nashr_content::Error;
use nashr_store::{Claimed, FailedDelivery, Store, StoreError};
use tokio::task::JoinSet;

use crate::email::{LocaleEmail, Recipient, Renderer};
use crate::issue::Issue;
use crate::token::Key;
use crate::transport::{Outcome, Transport};

#[derive(Debug, Clone)]
pub struct Policy {
    /// Messages in flight at once.
    pub concurrency: usize,
    /// Messages per second (0: no limit).
    pub rate: f64,
    /// First retry after a temporary failure; doubled each attempt.
    pub retry_base_secs: u64,
    pub max_attempts: u32,
    /// How long a claim holds before another sender may take the row; renewed every third
    /// of it while the sender works.
    pub lease_secs: i64,
}

impl Policy {
    /// The policy `config` asks for. The file transport writes one message at a time at full
    /// speed: its concurrency and rate are the SMTP server's limits.
    pub fn from_config(config: &nashr_content::newsletter::NewsletterConfig, lease_secs: i64) -> Policy {
        let file = config.transport == nashr_content::newsletter::TransportKind::File;
        Policy {
            concurrency: if file { 1 } else { config.smtp.concurrency.max(1) },
            rate: if file { 0.0 } else { config.smtp.rate },
            retry_base_secs: config.retry_base_secs,
            max_attempts: config.max_attempts.max(1),
            lease_secs,
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default)]
pub struct PassReport {
    pub claimed: usize,
    pub sent: usize,
    pub retry: usize,
    pub failed: Vec<(String, String)>,
}

pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn now_text() -> String {
    jiff::Timestamp::now().to_string()
}

pub fn store_err(e: StoreError) -> Error {
    Error::Store(Box::new(e))
}

/// This process's id in logs and in the ledger: `<host>-<pid>-<random>`, unique even when a
/// restarted worker gets the pid of a dead one.
pub fn worker_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let host = ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_i64(jiff::Timestamp::now().as_nanosecond() as i64);
    format!("{host}-{}-{:04x}", std::process::id(), h.finish() & 0xffff)
}

/// Running totals for the worker's health line.
#[derive(Debug, Default)]
pub struct Health {
    pub claimed: AtomicUsize,
    pub sent: AtomicUsize,
    pub retried: AtomicUsize,
    pub failed: AtomicUsize,
}

impl Health {
    pub fn line(&self) -> String {
        format!(
            "claimed {}, sent {}, retried {}, failed {}",
            self.claimed.load(Ordering::Relaxed),
            self.sent.load(Ordering::Relaxed),
            self.retried.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed)
        )
    }
}

/// Aborts the lease renewal when a pass ends, however it ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub struct Sender {
    pub renderer: Arc<Renderer>,
    pub store: Store,
    pub transport: Arc<Transport>,
    pub key: Key,
    pub policy: Policy,
    /// This process's worker id: the owner of its claims.
    pub owner: String,
    pub health: Arc<Health>,
    /// Set (by a signal handler) to stop claiming: the pass finishes what is in flight.
    pub stop: Arc<AtomicBool>,
    emails: HashMap<(String, String), Arc<LocaleEmail>>,
    issues: HashMap<String, Issue>,
}

impl Sender {
    pub fn new(renderer: Arc<Renderer>, store: Store, transport: Transport, key: Key, policy: Policy) -> Sender {
        Sender {
            renderer,
            store,
            transport: Arc::new(transport),
            key,
            policy,
            owner: worker_id(),
            health: Arc::default(),
            stop: Arc::default(),
            emails: HashMap::new(),
            issues: HashMap::new(),
        }
    }

    fn email(&mut self, issue: &str, locale: &str) -> Result<Arc<LocaleEmail>, Error> {
        let key = (issue.to_string(), locale.to_string());
        if let Some(e) = self.emails.get(&key) {
            return Ok(e.clone());
        }
        if !self.issues.contains_key(issue) {
            let loaded = Issue::load(&self.renderer.project, issue)?;
            self.issues.insert(issue.to_string(), loaded);
        }
        let rendered = Arc::new(self.renderer.render(&self.issues[issue], locale)?);
        self.emails.insert(key, rendered.clone());
        Ok(rendered)
    }

    /// Sends every delivery that is due now (of `issue`, or of every issue), until none is.
    pub async fn pass(&mut self, issue: Option<&str>) -> Result<PassReport, Error> {
        self.pass_until(issue, None).await
    }

    /// [`Sender::pass`] that stops claiming at `deadline` (or when `stop` is set) and returns
    /// once what it holds is sent, so a worker can look at its jobs and signals in between.
    pub async fn pass_until(
        &mut self,
        issue: Option<&str>,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<PassReport, Error> {
        let mut report = PassReport::default();
        self.store.deliveries_skip_inactive(now()).await.map_err(store_err)?;
        let _renewal = {
            let (store, owner, lease) = (self.store.clone(), self.owner.clone(), self.policy.lease_secs);
            let every = Duration::from_secs_f64((lease as f64 / 3.0).max(0.5));
            AbortOnDrop(tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    if let Err(e) = store.deliveries_renew(&owner, now(), lease).await {
                        tracing::warn!("cannot renew the leases of {owner}: {e}");
                    }
                }
            }))
        };
        let mut set: JoinSet<(Claimed, String, Outcome)> = JoinSet::new();
        let interval = (self.policy.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / self.policy.rate));
        let mut next_slot = tokio::time::Instant::now();
        let concurrency = self.policy.concurrency.max(1);
        loop {
            let free = concurrency - set.len();
            let mut claimed = Vec::new();
            let stopping =
                self.stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| tokio::time::Instant::now() >= d);
            if free > 0 && !stopping {
                claimed = self
                    .store
                    .deliveries_claim(issue, &self.owner, now(), self.policy.lease_secs, free)
                    .await
                    .map_err(store_err)?;
                report.claimed += claimed.len();
                self.health.claimed.fetch_add(claimed.len(), Ordering::Relaxed);
            }
            for c in claimed {
                let locale = self.renderer.resolve_locale(&c.locale);
                let email = self.email(&c.issue, &locale)?;
                let recipient = Recipient {
                    email: c.email.clone(),
                    name: c.name.clone(),
                    locale,
                };
                let built = match self.renderer.build(&email, &recipient, &self.key) {
                    Ok(b) => b,
                    Err(e) => {
                        self.record(&c, "", Outcome::Permanent(e), &mut report).await?;
                        continue;
                    }
                };
                if let Some(iv) = interval {
                    let t = next_slot.max(tokio::time::Instant::now());
                    next_slot = t + iv;
                    tokio::time::sleep_until(t).await;
                }
                let transport = self.transport.clone();
                set.spawn(async move {
                    let outcome = transport
                        .send(&built.envelope, &built.bytes, &c.issue, &built.file_name)
                        .await;
                    (c, built.message_id, outcome)
                });
            }
            let Some(done) = set.join_next().await else {
                break;
            };
            match done {
                Ok((c, id, outcome)) => self.record(&c, &id, outcome, &mut report).await?,
                Err(e) => return Err(Error::Environment(format!("a send task failed: {e}"))),
            }
        }
        Ok(report)
    }

    /// A permanent failure of a claimed row, the address kept subscribed.
    fn failure<'a>(&'a self, c: &'a Claimed, error: &'a str) -> FailedDelivery<'a> {
        FailedDelivery {
            issue: &c.issue,
            email: &c.email,
            owner: &self.owner,
            error,
            bounced: false,
        }
    }

    async fn record(
        &self,
        c: &Claimed,
        message_id: &str,
        outcome: Outcome,
        report: &mut PassReport,
    ) -> Result<(), Error> {
        let t = now();
        let result = match outcome {
            Outcome::Sent => {
                report.sent += 1;
                self.health.sent.fetch_add(1, Ordering::Relaxed);
                self.store
                    .delivery_sent(&c.issue, &c.email, &self.owner, message_id, t)
                    .await
            }
            Outcome::Transient(e) if (c.attempts as u32) < self.policy.max_attempts => {
                report.retry += 1;
                self.health.retried.fetch_add(1, Ordering::Relaxed);
                let backoff = self
                    .policy
                    .retry_base_secs
                    .saturating_mul(1 << (c.attempts - 1).clamp(0, 16));
                tracing::debug!("{}: {e}; retrying in {backoff} s", c.email);
                // Due times are whole seconds: round up, so the wait is never shorter than
                // the backoff (truncating made a 1 s backoff anything from 0 to 1 s).
                let due = (jiff::Timestamp::now().as_millisecond() + 999).div_euclid(1000) + backoff as i64;
                self.store
                    .delivery_retry(&c.issue, &c.email, &self.owner, &e, due, t)
                    .await
            }
            Outcome::Transient(e) => {
                let e = format!("gave up after {} attempts: {e}", c.attempts);
                self.health.failed.fetch_add(1, Ordering::Relaxed);
                report.failed.push((c.email.clone(), e.clone()));
                self.store.delivery_failed(&self.failure(c, &e), t, &now_text()).await
            }
            Outcome::Permanent(e) => {
                self.health.failed.fetch_add(1, Ordering::Relaxed);
                report.failed.push((c.email.clone(), e.clone()));
                self.store
                    .delivery_failed(
                        &FailedDelivery {
                            bounced: true,
                            ..self.failure(c, &e)
                        },
                        t,
                        &now_text(),
                    )
                    .await
            }
        };
        result.map_err(store_err)
    }
}

/// The store's sender lock (SQLite): one sending process per store at a time. Whoever holds
/// it knows that rows still `sending` were left by a process that died, and can resend them
/// at once instead of waiting for their lease. Released when the file is closed (also by the
/// OS when the process is killed).
pub fn sender_lock(store_path: &std::path::Path) -> Result<Option<std::fs::File>, Error> {
    let path = store_path.with_extension("sender.lock");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
    }
}

impl Sender {
    /// Queues `issue` for every active subscriber not yet queued (a scheduled send starts);
    /// returns how many. The issue is rendered first, so a broken issue fails its job instead
    /// of queuing messages nobody can build.
    pub async fn enqueue(&mut self, issue: &str) -> Result<usize, Error> {
        let source = self.renderer.project.config.site.source_locale.clone();
        self.email(issue, &source)?;
        self.store.deliveries_enqueue(issue, now()).await.map_err(store_err)
    }

    /// Queues `issue` for every active subscriber not yet queued, then sends until every row
    /// is finished, waiting for retries that are due within `wait`. Returns the ledger's
    /// counts and the failures of this run.
    pub async fn send_issue(
        &mut self,
        issue: &str,
        wait: Duration,
        log: &mut dyn FnMut(String),
    ) -> Result<(nashr_store::DeliveryCounts, Vec<(String, String)>), Error> {
        let queued = self.store.deliveries_enqueue(issue, now()).await.map_err(store_err)?;
        if queued > 0 {
            log(format!(
                "queued {issue} for {queued} subscriber{}",
                if queued == 1 { "" } else { "s" }
            ));
        }
        let mut failed = Vec::new();
        loop {
            let report = self.pass(Some(issue)).await?;
            failed.extend(report.failed);
            let counts = self.store.delivery_counts(issue).await.map_err(store_err)?;
            if counts.finished() {
                return Ok((counts, failed));
            }
            match self.store.next_retry_at(Some(issue)).await.map_err(store_err)? {
                Some(at) if at - now() <= wait.as_secs() as i64 => {
                    let secs = (at - now()).max(0) as u64;
                    log(format!("{} temporarily refused; retrying in {secs} s", counts.retry));
                    tokio::time::sleep(Duration::from_secs(secs) + Duration::from_millis(100)).await;
                }
                _ => return Ok((counts, failed)),
            }
        }
    }
}
