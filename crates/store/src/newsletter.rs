//! Newsletter state: subscribers, the per-recipient delivery ledger and scheduled jobs.
//!
//! Times are Unix seconds (UTC) passed in by the caller, so the state machine is testable and
//! the same on both backends. A claim is one `UPDATE … RETURNING` over a `SELECT … LIMIT n` of
//! due rows: atomic in SQLite (one writer), and on PostgreSQL the inner select takes
//! `FOR UPDATE SKIP LOCKED`, so workers claiming at the same moment get disjoint rows without
//! waiting for each other. A claim is a lease: its owner renews it while it works, and a row
//! whose lease ran out (its owner died) is due again.

use crate::{Cols, DeliveryState, JobKind, JobState, SchemaStatus, Store, StoreError, SubscriberStatus, with_pool};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub email: String,
    pub name: String,
    pub locale: String,
    pub consent: String,
    pub status: SubscriberStatus,
    pub status_reason: Option<String>,
}

/// A row to import.
#[derive(Debug, Clone)]
pub struct NewSubscriber {
    pub email: String,
    pub name: String,
    pub locale: String,
    pub consent: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub added: usize,
    pub updated: usize,
    /// Already in the store and unsubscribed or bounced: updated, but not re-subscribed.
    pub kept_suppressed: usize,
}

/// One claimed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub issue: String,
    pub email: String,
    pub locale: String,
    pub name: String,
    /// Attempts including this one.
    pub attempts: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    pub queued: usize,
    pub sending: usize,
    pub sent: usize,
    pub retry: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// What one worker holds now (`nashr store status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub owner: String,
    /// Deliveries it is sending.
    pub deliveries: usize,
    /// Jobs it is running.
    pub jobs: usize,
    /// When its last lease ends (Unix seconds); in the past means it died.
    pub until: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub kind: JobKind,
    pub target: String,
    pub run_at: i64,
    pub tz: String,
    pub local_time: String,
    pub state: JobState,
    pub error: Option<String>,
}

/// A permanent failure to record (see [`Store::delivery_failed`]).
#[derive(Debug, Clone, Copy)]
pub struct FailedDelivery<'a> {
    pub issue: &'a str,
    pub email: &'a str,
    /// The claim's owner: only it can record the outcome.
    pub owner: &'a str,
    pub error: &'a str,
    /// The server refused the address itself (a 5xx): it is marked bounced, so no later issue
    /// is sent to it either.
    pub bounced: bool,
}

/// One issue's delivery ledger (`nashr newsletter status <issue>`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueProgress {
    pub counts: DeliveryCounts,
    /// `(email, last error)` of its failed deliveries.
    pub failed: Vec<(String, String)>,
    /// Per worker, the messages it delivered (a worker of an older nashr has the empty name).
    pub sent_by: Vec<(String, usize)>,
}

/// A store as its administrator sees it (`nashr store status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    pub schema: SchemaStatus,
    /// Jobs, sends in progress and leases: read only when the schema is current (with
    /// migrations pending or unknown, the tables may not have the columns the queries need).
    pub jobs: Vec<Job>,
    pub sends: Vec<(String, DeliveryCounts)>,
    pub leases: Vec<Lease>,
}

impl Overview {
    /// Whether every migration this nashr knows is applied and none it does not know.
    pub fn is_current(&self) -> bool {
        self.schema.pending.is_empty() && self.schema.unknown.is_empty()
    }
}

impl DeliveryCounts {
    /// Nothing left to do now or later.
    pub fn finished(&self) -> bool {
        self.queued == 0 && self.sending == 0 && self.retry == 0
    }
}

fn subscriber_row(r: &impl Cols) -> Result<Subscriber, StoreError> {
    Ok(Subscriber {
        email: r.text(0)?,
        name: r.text(1)?,
        locale: r.text(2)?,
        consent: r.text(3)?,
        status: r.parsed(4)?,
        status_reason: r.opt_text(5)?,
    })
}

fn job_row(r: &impl Cols) -> Result<Job, StoreError> {
    Ok(Job {
        id: r.int(0)?,
        kind: r.parsed(1)?,
        target: r.text(2)?,
        run_at: r.int(3)?,
        tz: r.text(4)?,
        local_time: r.text(5)?,
        state: r.parsed(6)?,
        error: r.opt_text(7)?,
    })
}

const JOB_COLUMNS: &str = "id, kind, target, run_at, tz, local_time, state, error";

/// The claim of due deliveries, per backend (see the module comment). $1 owner, $2 now,
/// $3 lease, $4 issue or NULL, $5 limit. The subscriber's name comes with the claim.
const CLAIM_SQLITE: &str = "UPDATE deliveries SET state = 'sending', attempts = attempts + 1, lease_owner = $1,
       lease_until = $2 + $3, next_attempt_at = $2 + $3, updated_at = $2
     WHERE rowid IN (
       SELECT rowid FROM deliveries
       WHERE state IN ('queued', 'retry', 'sending') AND next_attempt_at <= $2
         AND ($4 IS NULL OR issue = $4)
         AND EXISTS (SELECT 1 FROM subscribers s WHERE s.email = deliveries.email AND s.status = 'active')
       ORDER BY next_attempt_at
       LIMIT $5)
     RETURNING issue, email, locale, attempts,
       (SELECT name FROM subscribers s WHERE s.email = deliveries.email)";

const CLAIM_POSTGRES: &str = "UPDATE deliveries d SET state = 'sending', attempts = d.attempts + 1, lease_owner = $1,
       lease_until = $2 + $3, next_attempt_at = $2 + $3, updated_at = $2
     FROM (
       SELECT issue, email FROM deliveries
       WHERE state IN ('queued', 'retry', 'sending') AND next_attempt_at <= $2
         AND ($4::text IS NULL OR issue = $4)
         AND EXISTS (SELECT 1 FROM subscribers s WHERE s.email = deliveries.email AND s.status = 'active')
       ORDER BY next_attempt_at
       LIMIT $5
       FOR UPDATE SKIP LOCKED) due
     WHERE d.issue = due.issue AND d.email = due.email
     RETURNING d.issue, d.email, d.locale, d.attempts,
       (SELECT name FROM subscribers s WHERE s.email = d.email)";

/// The claim of the next due job: scheduled and due, or running with an expired lease.
/// $1 owner, $2 now, $3 lease.
const JOB_CLAIM_SQLITE: &str = "UPDATE jobs SET state = 'running', lease_owner = $1, lease_until = $2 + $3
     WHERE id = (SELECT id FROM jobs
                 WHERE (state = 'scheduled' AND run_at <= $2) OR (state = 'running' AND lease_until < $2)
                 ORDER BY run_at, id LIMIT 1)
     RETURNING id, kind, target, run_at, tz, local_time, state, error";

const JOB_CLAIM_POSTGRES: &str = "UPDATE jobs SET state = 'running', lease_owner = $1, lease_until = $2 + $3
     WHERE id = (SELECT id FROM jobs
                 WHERE (state = 'scheduled' AND run_at <= $2) OR (state = 'running' AND lease_until < $2)
                 ORDER BY run_at, id LIMIT 1
                 FOR UPDATE SKIP LOCKED)
     RETURNING id, kind, target, run_at, tz, local_time, state, error";

fn counts_add(c: &mut DeliveryCounts, state: DeliveryState, n: usize) {
    match state {
        DeliveryState::Queued => c.queued = n,
        DeliveryState::Sending => c.sending = n,
        DeliveryState::Sent => c.sent = n,
        DeliveryState::Retry => c.retry = n,
        DeliveryState::Failed => c.failed = n,
        DeliveryState::Skipped => c.skipped = n,
    }
}

impl Store {
    /// Adds or updates subscribers in one transaction (all or nothing). An address that
    /// unsubscribed or bounced stays so: importing an old list never re-subscribes anyone.
    pub async fn subscribers_import(&self, rows: &[NewSubscriber], now: &str) -> Result<ImportReport, StoreError> {
        let mut report = ImportReport::default();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for s in rows {
                let status: Option<SubscriberStatus> = sqlx::query("SELECT status FROM subscribers WHERE email = $1")
                    .bind(&s.email)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.parsed(0))
                    .transpose()?;
                match status {
                    None => report.added += 1,
                    Some(SubscriberStatus::Active) => report.updated += 1,
                    Some(SubscriberStatus::Unsubscribed | SubscriberStatus::Bounced) => report.kept_suppressed += 1,
                }
                sqlx::query(
                    "INSERT INTO subscribers (email, name, locale, consent, status, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, 'active', $5, $5)
                     ON CONFLICT (email) DO UPDATE SET name = excluded.name, locale = excluded.locale,
                       consent = excluded.consent, updated_at = excluded.updated_at",
                )
                .bind(&s.email)
                .bind(&s.name)
                .bind(&s.locale)
                .bind(&s.consent)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(report)
    }

    /// Subscribers by address, optionally only those with `status`.
    pub async fn subscribers(&self, status: Option<SubscriberStatus>) -> Result<Vec<Subscriber>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT email, name, locale, consent, status, status_reason FROM subscribers
                 WHERE $1 IS NULL OR status = $1 ORDER BY email",
            )
            .bind(status.map(SubscriberStatus::as_str))
            .fetch_all(pool)
            .await?;
            rows.iter().map(subscriber_row).collect()
        })
    }

    pub async fn subscriber(&self, email: &str) -> Result<Option<Subscriber>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT email, name, locale, consent, status, status_reason FROM subscribers WHERE email = $1",
            )
            .bind(email)
            .fetch_optional(pool)
            .await?;
            row.map(|r| subscriber_row(&r)).transpose()
        })
    }

    /// Sets a subscriber's status; deliveries not yet sent to a suppressed address are
    /// skipped at once, so an unsubscribe also stops the rest of a send in progress. Returns
    /// whether the address is known. `status` is a [`SubscriberStatus`] or its name (an
    /// unknown name is an error, before anything is written).
    pub async fn subscriber_set_status(
        &self,
        email: &str,
        status: SubscriberStatus,
        reason: &str,
        now: &str,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query("UPDATE subscribers SET status = $1, status_reason = $2, updated_at = $3 WHERE email = $4")
                .bind(status.as_str())
                .bind(reason)
                .bind(now)
                .bind(email)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if status != SubscriberStatus::Active {
                sqlx::query(
                    "UPDATE deliveries SET state = 'skipped', last_error = $1 WHERE email = $2 AND state IN ('queued', 'retry')",
                )
                .bind(format!("subscriber {status}"))
                .bind(email)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(n > 0)
        })
    }

    /// Queues `issue` for every active subscriber that has no delivery of it yet; returns how
    /// many were queued. Running it again (after a crash, or on another worker) queues nobody
    /// twice.
    pub async fn deliveries_enqueue(&self, issue: &str, now: i64) -> Result<usize, StoreError> {
        // `WHERE` before `ON CONFLICT` is required by SQLite's parser after a SELECT.
        let n = with_pool!(self, pool => sqlx::query(
            "INSERT INTO deliveries (issue, email, locale, state, updated_at)
             SELECT $1, email, locale, 'queued', $2 FROM subscribers WHERE status = 'active'
             ON CONFLICT (issue, email) DO NOTHING",
        )
        .bind(issue)
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected());
        // A send starts at once, long before autovacuum looks at the table: with the planner
        // still believing the ledger is nearly empty, every claim scanned and sorted all the
        // queued rows instead of walking the `deliveries_due` index, and the claim, not SMTP,
        // set a worker's pace.
        if n > 0
            && let crate::Backend::Postgres(pool) = &self.backend
        {
            sqlx::query("ANALYZE deliveries, subscribers").execute(pool).await?;
        }
        Ok(n as usize)
    }

    /// Claims up to `limit` due deliveries (of `issue`, or of any issue) for `owner` until
    /// `now + lease`: queued ones, retries whose time has come, and `sending` ones whose lease
    /// ran out (their sender died). Rows of suppressed subscribers are passed over.
    pub async fn deliveries_claim(
        &self,
        issue: Option<&str>,
        owner: &str,
        now: i64,
        lease: i64,
        limit: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        let sql = match self.backend {
            crate::Backend::Sqlite(_) => CLAIM_SQLITE,
            crate::Backend::Postgres(_) => CLAIM_POSTGRES,
        };
        with_pool!(self, pool => {
            let rows = sqlx::query(sql)
                .bind(owner)
                .bind(now)
                .bind(lease)
                .bind(issue)
                .bind(limit as i64)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(Claimed {
                        issue: r.text(0)?,
                        email: r.text(1)?,
                        locale: r.text(2)?,
                        attempts: r.int(3)?,
                        name: r.opt_text(4)?.unwrap_or_default(),
                    })
                })
                .collect()
        })
    }

    /// Extends every lease `owner` holds on deliveries to `now + lease`; returns how many.
    /// A worker calls it on a timer while it sends, so only a dead worker's rows expire.
    pub async fn deliveries_renew(&self, owner: &str, now: i64, lease: i64) -> Result<usize, StoreError> {
        let n = with_pool!(self, pool => sqlx::query(
            "UPDATE deliveries SET lease_until = $2 + $3, next_attempt_at = $2 + $3
             WHERE state = 'sending' AND lease_owner = $1",
        )
        .bind(owner)
        .bind(now)
        .bind(lease)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(n as usize)
    }

    /// Gives back what `owner` holds without having done it (a worker shutting down): its
    /// `sending` deliveries become due at once with the attempt not counted, its running
    /// jobs scheduled again. Returns (deliveries, jobs).
    pub async fn release(&self, owner: &str, now: i64) -> Result<(usize, usize), StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let d = sqlx::query(
                "UPDATE deliveries SET state = CASE WHEN attempts > 1 THEN 'retry' ELSE 'queued' END,
                   attempts = attempts - 1, lease_owner = NULL, lease_until = NULL, next_attempt_at = $2, updated_at = $2
                 WHERE state = 'sending' AND lease_owner = $1",
            )
            .bind(owner)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let j = sqlx::query(
                "UPDATE jobs SET state = 'scheduled', lease_owner = NULL, lease_until = NULL
                 WHERE state = 'running' AND lease_owner = $1",
            )
            .bind(owner)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok((d as usize, j as usize))
        })
    }

    /// Marks `skipped` the unsent deliveries of subscribers no longer active (the claim
    /// already passes over them; this makes the counts final).
    pub async fn deliveries_skip_inactive(&self, now: i64) -> Result<usize, StoreError> {
        let n = with_pool!(self, pool => sqlx::query(
            "UPDATE deliveries SET state = 'skipped', last_error = 'subscriber no longer active', updated_at = $1
             WHERE state IN ('queued', 'retry')
               AND NOT EXISTS (SELECT 1 FROM subscribers s WHERE s.email = deliveries.email AND s.status = 'active')",
        )
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(n as usize)
    }

    /// Frees every `sending` row (and running job), whoever claimed it: for a sender that
    /// knows it is the only one (it holds a SQLite store's sender lock), those rows were left
    /// by a process that died. Never used on a shared store, where leases do this.
    /// Returns how many: each may have been accepted by the server before the crash.
    pub async fn deliveries_reclaim_orphans(&self, now: i64) -> Result<usize, StoreError> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE jobs SET state = 'scheduled', lease_owner = NULL WHERE state = 'running'")
                .execute(pool)
                .await?;
            let n = sqlx::query(
                "UPDATE deliveries SET state = 'queued', lease_owner = NULL, next_attempt_at = 0, updated_at = $1 WHERE state = 'sending'",
            )
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n as usize)
        })
    }

    /// Records an accepted message. Only the claim's owner can record it (a worker whose
    /// lease ran out and was taken over records nothing).
    pub async fn delivery_sent(
        &self,
        issue: &str,
        email: &str,
        owner: &str,
        message_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => sqlx::query(
            "UPDATE deliveries SET state = 'sent', message_id = $1, last_error = NULL, lease_owner = NULL,
               worker = $5, updated_at = $2
             WHERE issue = $3 AND email = $4 AND state = 'sending' AND lease_owner = $5",
        )
        .bind(message_id)
        .bind(now)
        .bind(issue)
        .bind(email)
        .bind(owner)
        .execute(pool)
        .await?.rows_affected());
        Ok(())
    }

    /// A temporary failure: try again at `next_attempt_at`.
    pub async fn delivery_retry(
        &self,
        issue: &str,
        email: &str,
        owner: &str,
        error: &str,
        next_attempt_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => sqlx::query(
            "UPDATE deliveries SET state = 'retry', last_error = $1, next_attempt_at = $2, lease_owner = NULL,
               worker = $6, updated_at = $3
             WHERE issue = $4 AND email = $5 AND state = 'sending' AND lease_owner = $6",
        )
        .bind(error)
        .bind(next_attempt_at)
        .bind(now)
        .bind(issue)
        .bind(email)
        .bind(owner)
        .execute(pool)
        .await?.rows_affected());
        Ok(())
    }

    /// A permanent failure; a bounced address is suppressed (`now_text` is the subscriber
    /// table's clock, `now` the ledger's).
    pub async fn delivery_failed(
        &self,
        failed: &FailedDelivery<'_>,
        now: i64,
        now_text: &str,
    ) -> Result<(), StoreError> {
        let FailedDelivery {
            issue,
            email,
            owner,
            error,
            bounced,
        } = *failed;
        with_pool!(self, pool => sqlx::query(
            "UPDATE deliveries SET state = 'failed', last_error = $1, lease_owner = NULL, worker = $5, updated_at = $2
             WHERE issue = $3 AND email = $4 AND state = 'sending' AND lease_owner = $5",
        )
        .bind(error)
        .bind(now)
        .bind(issue)
        .bind(email)
        .bind(owner)
        .execute(pool)
        .await?.rows_affected());
        if bounced {
            self.subscriber_set_status(email, SubscriberStatus::Bounced, error, now_text)
                .await?;
        }
        Ok(())
    }

    pub async fn delivery_counts(&self, issue: &str) -> Result<DeliveryCounts, StoreError> {
        let mut c = DeliveryCounts::default();
        with_pool!(self, pool => {
            let rows = sqlx::query("SELECT state, COUNT(*) FROM deliveries WHERE issue = $1 GROUP BY state")
                .bind(issue)
                .fetch_all(pool)
                .await?;
            for r in rows {
                counts_add(&mut c, r.parsed(0)?, r.int(1)? as usize);
            }
        });
        Ok(c)
    }

    /// The counts of every issue with deliveries still to do (queued, sending or to retry).
    pub async fn sends_in_progress(&self) -> Result<Vec<(String, DeliveryCounts)>, StoreError> {
        let mut out: Vec<(String, DeliveryCounts)> = Vec::new();
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT issue, state, COUNT(*) FROM deliveries
                 WHERE issue IN (SELECT DISTINCT issue FROM deliveries WHERE state IN ('queued', 'sending', 'retry'))
                 GROUP BY issue, state ORDER BY issue",
            )
            .fetch_all(pool)
            .await?;
            for r in rows {
                let issue = r.text(0)?;
                if out.last().is_none_or(|(i, _)| *i != issue) {
                    out.push((issue, DeliveryCounts::default()));
                }
                if let Some((_, c)) = out.last_mut() {
                    counts_add(c, r.parsed(1)?, r.int(2)? as usize);
                }
            }
        });
        Ok(out)
    }

    /// Who holds what now: per owner, the deliveries it is sending and the jobs it runs.
    pub async fn leases(&self) -> Result<Vec<Lease>, StoreError> {
        let mut out: Vec<Lease> = Vec::new();
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT lease_owner, 'd', COUNT(*), MAX(lease_until) FROM deliveries
                   WHERE state = 'sending' AND lease_owner IS NOT NULL GROUP BY lease_owner
                 UNION ALL
                 SELECT lease_owner, 'j', COUNT(*), MAX(lease_until) FROM jobs
                   WHERE state = 'running' AND lease_owner IS NOT NULL GROUP BY lease_owner",
            )
            .fetch_all(pool)
            .await?;
            for r in rows {
                let owner = r.text(0)?;
                let n = r.int(2)? as usize;
                let until = r.opt_int(3)?.unwrap_or(0);
                let lease = match out.iter_mut().find(|l| l.owner == owner) {
                    Some(l) => l,
                    None => {
                        out.push(Lease { owner, deliveries: 0, jobs: 0, until });
                        out.last_mut().expect("just pushed")
                    }
                };
                lease.until = lease.until.max(until);
                if r.text(1)? == "d" {
                    lease.deliveries += n;
                } else {
                    lease.jobs += n;
                }
            }
        });
        out.sort_by(|a, b| a.owner.cmp(&b.owner));
        Ok(out)
    }

    /// Per worker, how many messages of `issue` it delivered (the ledger's `worker` column).
    pub async fn sent_by_worker(&self, issue: &str) -> Result<Vec<(String, usize)>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT COALESCE(worker, ''), COUNT(*) FROM deliveries WHERE issue = $1 AND state = 'sent'
                 GROUP BY COALESCE(worker, '') ORDER BY 1",
            )
            .bind(issue)
            .fetch_all(pool)
            .await?;
            rows.iter().map(|r| Ok((r.text(0)?, r.int(1)? as usize))).collect()
        })
    }

    /// `(email, last error)` of the failed deliveries of `issue`.
    pub async fn deliveries_failed(&self, issue: &str) -> Result<Vec<(String, String)>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT email, COALESCE(last_error, '') FROM deliveries WHERE issue = $1 AND state = 'failed' ORDER BY email",
            )
            .bind(issue)
            .fetch_all(pool)
            .await?;
            rows.iter().map(|r| Ok((r.text(0)?, r.text(1)?))).collect()
        })
    }

    /// When the next retry of `issue` (or of any issue) is due, if any is waiting.
    pub async fn next_retry_at(&self, issue: Option<&str>) -> Result<Option<i64>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT MIN(next_attempt_at) FROM deliveries WHERE state = 'retry' AND ($1 IS NULL OR issue = $1)",
            )
            .bind(issue)
            .fetch_one(pool)
            .await?;
            row.opt_int(0)
        })
    }

    /// Schedules `kind` × `target` at `run_at`; an already scheduled one is moved.
    pub async fn job_schedule(
        &self,
        kind: JobKind,
        target: &str,
        run_at: i64,
        tz: &str,
        local_time: &str,
        now: i64,
    ) -> Result<Job, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let moved = sqlx::query(
                "UPDATE jobs SET run_at = $1, tz = $2, local_time = $3 WHERE kind = $4 AND target = $5 AND state = 'scheduled'",
            )
            .bind(run_at)
            .bind(tz)
            .bind(local_time)
            .bind(kind.as_str())
            .bind(target)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved == 0 {
                sqlx::query(
                    "INSERT INTO jobs (kind, target, run_at, tz, local_time, state, created_at)
                     VALUES ($1, $2, $3, $4, $5, 'scheduled', $6)",
                )
                .bind(kind.as_str())
                .bind(target)
                .bind(run_at)
                .bind(tz)
                .bind(local_time)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            let row = sqlx::query(&format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE kind = $1 AND target = $2 AND state IN ('scheduled', 'running')"
            ))
            .bind(kind.as_str())
            .bind(target)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            job_row(&row)
        })
    }

    /// Cancels the scheduled job of `kind` × `target`; returns whether there was one.
    pub async fn job_cancel(&self, kind: JobKind, target: &str, now: i64) -> Result<bool, StoreError> {
        let n = with_pool!(self, pool => sqlx::query(
            "UPDATE jobs SET state = 'cancelled', finished_at = $1 WHERE kind = $2 AND target = $3 AND state = 'scheduled'",
        )
        .bind(now)
        .bind(kind.as_str())
        .bind(target)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(n > 0)
    }

    /// Jobs not finished (scheduled or running), soonest first.
    pub async fn jobs_pending(&self) -> Result<Vec<Job>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(&format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE state IN ('scheduled', 'running') ORDER BY run_at, id"
            ))
            .fetch_all(pool)
            .await?;
            rows.iter().map(job_row).collect()
        })
    }

    /// Claims the next due job: scheduled and due, or running with an expired lease.
    pub async fn job_claim_due(&self, owner: &str, now: i64, lease: i64) -> Result<Option<Job>, StoreError> {
        let sql = match self.backend {
            crate::Backend::Sqlite(_) => JOB_CLAIM_SQLITE,
            crate::Backend::Postgres(_) => JOB_CLAIM_POSTGRES,
        };
        with_pool!(self, pool => {
            let row = sqlx::query(sql)
                .bind(owner)
                .bind(now)
                .bind(lease)
                .fetch_optional(pool)
                .await?;
            row.map(|r| job_row(&r)).transpose()
        })
    }

    /// Claims `kind` × `target` for `owner` if no worker has done it or is doing it: for work
    /// that is due once, such as publishing a scheduled article at its `publish_at`. Returns
    /// the job when this worker got it; a job whose owner died (lease expired) is taken over.
    pub async fn job_claim_once(
        &self,
        kind: JobKind,
        target: &str,
        owner: &str,
        now: i64,
        lease: i64,
    ) -> Result<Option<Job>, StoreError> {
        // One worker inserts the running job (a concurrent insert hits the unique index of
        // active jobs and does nothing); a job done is never inserted again, a failed one is
        // (the next tick of any worker tries again).
        let inserted = with_pool!(self, pool => sqlx::query(
            "INSERT INTO jobs (kind, target, run_at, tz, local_time, state, lease_owner, lease_until, created_at)
             SELECT $1, $2, $3, 'UTC', '', 'running', $4, $3 + $5, $3
             WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE kind = $1 AND target = $2 AND state <> 'failed')
             ON CONFLICT DO NOTHING",
        )
        .bind(kind.as_str())
        .bind(target)
        .bind(now)
        .bind(owner)
        .bind(lease)
        .execute(pool)
        .await?
        .rows_affected());
        if inserted == 0 {
            // Someone else's: take it over only if its owner's lease ran out.
            with_pool!(self, pool => sqlx::query(
                "UPDATE jobs SET lease_owner = $3, lease_until = $4 + $5
                 WHERE kind = $1 AND target = $2 AND state = 'running' AND lease_until < $4",
            )
            .bind(kind.as_str())
            .bind(target)
            .bind(owner)
            .bind(now)
            .bind(lease)
            .execute(pool)
            .await?.rows_affected());
        }
        with_pool!(self, pool => {
            let row = sqlx::query(&format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE kind = $1 AND target = $2 AND state = 'running' AND lease_owner = $3"
            ))
            .bind(kind.as_str())
            .bind(target)
            .bind(owner)
            .fetch_optional(pool)
            .await?;
            row.map(|r| job_row(&r)).transpose()
        })
    }

    /// Extends a running job's lease.
    pub async fn job_renew(&self, id: i64, owner: &str, until: i64) -> Result<(), StoreError> {
        with_pool!(self, pool => sqlx::query(
            "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND state = 'running'",
        )
        .bind(until)
        .bind(id)
        .bind(owner)
        .execute(pool)
        .await?.rows_affected());
        Ok(())
    }

    /// Finishes a job (`failed` with an error); `worker` is recorded as who did it.
    pub async fn job_finish(&self, id: i64, worker: &str, error: Option<&str>, now: i64) -> Result<(), StoreError> {
        with_pool!(self, pool => sqlx::query(
            "UPDATE jobs SET state = $1, error = $2, finished_at = $3, lease_owner = NULL, worker = $4 WHERE id = $5",
        )
        .bind(if error.is_some() { JobState::Failed } else { JobState::Done }.as_str())
        .bind(error)
        .bind(now)
        .bind(worker)
        .bind(id)
        .execute(pool)
        .await?.rows_affected());
        Ok(())
    }
}

impl Store {
    /// The delivery ledger of `issue`: its counts, its failures and who sent what.
    pub async fn issue_progress(&self, issue: &str) -> Result<IssueProgress, StoreError> {
        Ok(IssueProgress {
            counts: self.delivery_counts(issue).await?,
            failed: self.deliveries_failed(issue).await?,
            sent_by: self.sent_by_worker(issue).await?,
        })
    }

    /// The schema versions and, when the schema is current, the pending jobs, the sends in
    /// progress and what each worker holds.
    pub async fn overview(&self) -> Result<Overview, StoreError> {
        let mut overview = Overview {
            schema: self.schema_status().await?,
            jobs: Vec::new(),
            sends: Vec::new(),
            leases: Vec::new(),
        };
        if overview.is_current() {
            overview.jobs = self.jobs_pending().await?;
            overview.sends = self.sends_in_progress().await?;
            overview.leases = self.leases().await?;
        }
        Ok(overview)
    }
}
