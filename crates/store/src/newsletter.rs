//! Newsletter state: subscribers, the per-recipient delivery ledger and scheduled jobs.
//!
//! Times are Unix seconds (UTC) passed in by the caller, so the state machine is testable and
//! the same on both backends. A claim is one `UPDATE … RETURNING` over a `SELECT … LIMIT n` of
//! due rows: atomic in SQLite (one writer), and on PostgreSQL the inner select takes
//! `FOR UPDATE SKIP LOCKED`, so workers claiming at the same moment get disjoint rows without
//! waiting for each other. A claim is a lease: its owner renews it while it works, and a row
//! whose lease ran out (its owner died) is due again.

use crate::{Cols, Store, StoreError, with_pool};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub email: String,
    pub name: String,
    pub locale: String,
    pub consent: String,
    /// `active`, `unsubscribed` or `bounced`.
    pub status: String,
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
    pub kind: String,
    pub target: String,
    pub run_at: i64,
    pub tz: String,
    pub local_time: String,
    pub state: String,
    pub error: Option<String>,
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
        status: r.text(4)?,
        status_reason: r.opt_text(5)?,
    })
}

fn job_row(r: &impl Cols) -> Result<Job, StoreError> {
    Ok(Job {
        id: r.int(0)?,
        kind: r.text(1)?,
        target: r.text(2)?,
        run_at: r.int(3)?,
        tz: r.text(4)?,
        local_time: r.text(5)?,
        state: r.text(6)?,
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

fn counts_add(c: &mut DeliveryCounts, state: &str, n: usize) {
    match state {
        "queued" => c.queued = n,
        "sending" => c.sending = n,
        "sent" => c.sent = n,
        "retry" => c.retry = n,
        "failed" => c.failed = n,
        _ => c.skipped = n,
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
                let status: Option<String> = sqlx::query("SELECT status FROM subscribers WHERE email = $1")
                    .bind(&s.email)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.text(0))
                    .transpose()?;
                match status.as_deref() {
                    None => report.added += 1,
                    Some("active") => report.updated += 1,
                    Some(_) => report.kept_suppressed += 1,
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
    pub async fn subscribers(&self, status: Option<&str>) -> Result<Vec<Subscriber>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT email, name, locale, consent, status, status_reason FROM subscribers
                 WHERE $1 IS NULL OR status = $1 ORDER BY email",
            )
            .bind(status)
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

    /// Sets a subscriber's status (`unsubscribed`, `bounced`, `active`); deliveries not yet
    /// sent to a suppressed address are skipped at once, so an unsubscribe also stops the
    /// rest of a send in progress. Returns whether the address is known.
    pub async fn subscriber_set_status(
        &self,
        email: &str,
        status: &str,
        reason: &str,
        now: &str,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query("UPDATE subscribers SET status = $1, status_reason = $2, updated_at = $3 WHERE email = $4")
                .bind(status)
                .bind(reason)
                .bind(now)
                .bind(email)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if status != "active" {
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
        // queued rows instead of walking the `deliveries_due` index (14 ms per claim at 10,000
        // rows, against 0.1 ms; it capped one PostgreSQL worker at 69 messages/s).
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

    /// A permanent failure. With `suppress` (a 5xx), the address is marked bounced so that no
    /// later issue is sent to it either.
    // The row's key, its owner, the outcome and the two clocks (the ledger's and the
    // subscriber table's): a struct for one call site would only hide the names.
    #[allow(clippy::too_many_arguments)]
    pub async fn delivery_failed(
        &self,
        issue: &str,
        email: &str,
        owner: &str,
        error: &str,
        suppress: bool,
        now: i64,
        now_text: &str,
    ) -> Result<(), StoreError> {
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
        if suppress {
            self.subscriber_set_status(email, "bounced", error, now_text).await?;
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
                counts_add(&mut c, &r.text(0)?, r.int(1)? as usize);
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
                    counts_add(c, &r.text(1)?, r.int(2)? as usize);
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
        kind: &str,
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
            .bind(kind)
            .bind(target)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved == 0 {
                sqlx::query(
                    "INSERT INTO jobs (kind, target, run_at, tz, local_time, state, created_at)
                     VALUES ($1, $2, $3, $4, $5, 'scheduled', $6)",
                )
                .bind(kind)
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
            .bind(kind)
            .bind(target)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            job_row(&row)
        })
    }

    /// Cancels the scheduled job of `kind` × `target`; returns whether there was one.
    pub async fn job_cancel(&self, kind: &str, target: &str, now: i64) -> Result<bool, StoreError> {
        let n = with_pool!(self, pool => sqlx::query(
            "UPDATE jobs SET state = 'cancelled', finished_at = $1 WHERE kind = $2 AND target = $3 AND state = 'scheduled'",
        )
        .bind(now)
        .bind(kind)
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
        kind: &str,
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
        .bind(kind)
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
            .bind(kind)
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
            .bind(kind)
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
        .bind(if error.is_some() { "failed" } else { "done" })
        .bind(error)
        .bind(now)
        .bind(worker)
        .bind(id)
        .execute(pool)
        .await?.rows_affected());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TestDb, on_both_backends};

    fn sub(email: &str, locale: &str) -> NewSubscriber {
        NewSubscriber {
            email: email.into(),
            name: "N".into(),
            locale: locale.into(),
            consent: "express".into(),
        }
    }

    async fn store_with(db: &TestDb, emails: &[&str]) -> Store {
        let store = db.open().await;
        let rows: Vec<_> = emails.iter().map(|e| sub(e, "fa")).collect();
        store.subscribers_import(&rows, "t0").await.unwrap();
        store
    }

    async fn import_updates_and_never_resubscribes(db: &TestDb) {
        let store = store_with(db, &["a@x.example", "b@x.example"]).await;
        store
            .subscriber_set_status("b@x.example", "unsubscribed", "asked", "t1")
            .await
            .unwrap();
        let r = store
            .subscribers_import(
                &[
                    sub("a@x.example", "en"),
                    sub("b@x.example", "en"),
                    sub("c@x.example", "en"),
                ],
                "t2",
            )
            .await
            .unwrap();
        assert_eq!(
            r,
            ImportReport {
                added: 1,
                updated: 1,
                kept_suppressed: 1
            }
        );
        assert_eq!(store.subscribers(None).await.unwrap().len(), 3);
        assert_eq!(store.subscriber("a@x.example").await.unwrap().unwrap().locale, "en");
        assert_eq!(
            store.subscriber("b@x.example").await.unwrap().unwrap().status,
            "unsubscribed"
        );
    }

    async fn ledger_claims_each_row_once_and_resumes_expired_leases(db: &TestDb) {
        let store = store_with(db, &["a@x.example", "b@x.example", "c@x.example"]).await;
        assert_eq!(store.deliveries_enqueue("i1", 100).await.unwrap(), 3);
        assert_eq!(store.deliveries_enqueue("i1", 101).await.unwrap(), 0, "queued once");
        let first = store.deliveries_claim(Some("i1"), "w1", 100, 60, 2).await.unwrap();
        assert_eq!(first.len(), 2);
        let second = store.deliveries_claim(Some("i1"), "w2", 100, 1000, 5).await.unwrap();
        assert_eq!(second.len(), 1, "claimed rows are not claimed again");
        assert_ne!(second[0].email, first[0].email);
        // Only the owner records the outcome.
        store
            .delivery_sent("i1", &first[0].email, "w2", "<id>", 101)
            .await
            .unwrap();
        assert_eq!(store.delivery_counts("i1").await.unwrap().sent, 0);
        store
            .delivery_sent("i1", &first[0].email, "w1", "<id>", 101)
            .await
            .unwrap();
        // w1 dies holding first[1]; after its lease another worker gets it, with attempt 2.
        assert!(
            store
                .deliveries_claim(Some("i1"), "w3", 150, 60, 5)
                .await
                .unwrap()
                .is_empty()
        );
        let again = store.deliveries_claim(Some("i1"), "w3", 161, 60, 5).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(
            (again[0].email.as_str(), again[0].attempts),
            (first[1].email.as_str(), 2)
        );
        // A 4xx: retried when due, not before.
        store
            .delivery_retry("i1", &again[0].email, "w3", "451", 200, 161)
            .await
            .unwrap();
        assert!(
            store
                .deliveries_claim(Some("i1"), "w3", 199, 60, 5)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.next_retry_at(Some("i1")).await.unwrap(), Some(200));
        let retried = store.deliveries_claim(Some("i1"), "w3", 200, 60, 5).await.unwrap();
        assert_eq!(retried.len(), 1);
        // A 5xx suppresses the subscriber.
        store
            .delivery_failed("i1", &retried[0].email, "w3", "550", true, 201, "t")
            .await
            .unwrap();
        assert_eq!(
            store.subscriber(&retried[0].email).await.unwrap().unwrap().status,
            "bounced"
        );
        let c = store.delivery_counts("i1").await.unwrap();
        assert_eq!((c.sent, c.failed, c.sending), (1, 1, 1));
        assert!(!c.finished());
    }

    async fn an_unsubscribe_skips_the_rest_of_a_send(db: &TestDb) {
        let store = store_with(db, &["a@x.example", "b@x.example"]).await;
        store.deliveries_enqueue("i1", 0).await.unwrap();
        store
            .subscriber_set_status("b@x.example", "unsubscribed", "one-click", "t")
            .await
            .unwrap();
        let claimed = store.deliveries_claim(None, "w", 0, 60, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].email, "a@x.example");
        assert_eq!(store.delivery_counts("i1").await.unwrap().skipped, 1);
        // A status changed behind the store's back is caught by the claim and the sweep.
        store.deliveries_enqueue("i2", 0).await.unwrap();
        store
            .execute_raw("UPDATE subscribers SET status = 'bounced' WHERE email = 'a@x.example'")
            .await
            .unwrap();
        assert!(
            store
                .deliveries_claim(Some("i2"), "w", 0, 60, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.deliveries_skip_inactive(0).await.unwrap(), 1);
    }

    async fn orphans_of_a_dead_sender_are_claimable_at_once(db: &TestDb) {
        let store = store_with(db, &["a@x.example"]).await;
        store.deliveries_enqueue("i1", 0).await.unwrap();
        assert_eq!(store.deliveries_claim(None, "dead", 10, 600, 1).await.unwrap().len(), 1);
        assert!(
            store
                .deliveries_claim(None, "next", 11, 600, 1)
                .await
                .unwrap()
                .is_empty(),
            "leased"
        );
        assert_eq!(store.deliveries_reclaim_orphans(11).await.unwrap(), 1);
        let again = store.deliveries_claim(None, "next", 11, 600, 1).await.unwrap();
        assert_eq!(again.len(), 1, "no waiting for the dead sender's lease");
        assert_eq!(again[0].attempts, 2);
    }

    async fn jobs_are_scheduled_moved_claimed_once_and_cancelled(db: &TestDb) {
        let store = db.open().await;
        store
            .job_schedule("newsletter", "2026-12", 1000, "UTC", "x", 0)
            .await
            .unwrap();
        let moved = store
            .job_schedule("newsletter", "2026-12", 2000, "UTC", "y", 0)
            .await
            .unwrap();
        assert_eq!(moved.run_at, 2000);
        assert_eq!(store.jobs_pending().await.unwrap().len(), 1, "moved, not duplicated");
        assert!(store.job_claim_due("w", 1999, 60).await.unwrap().is_none());
        let job = store.job_claim_due("w", 2000, 60).await.unwrap().unwrap();
        assert!(
            store.job_claim_due("w2", 2001, 60).await.unwrap().is_none(),
            "claimed once"
        );
        store.job_finish(job.id, "w", None, 2002).await.unwrap();
        assert!(store.jobs_pending().await.unwrap().is_empty());
        store
            .job_schedule("newsletter", "2027-01", 5000, "UTC", "z", 0)
            .await
            .unwrap();
        assert!(store.job_cancel("newsletter", "2027-01", 1).await.unwrap());
        assert!(!store.job_cancel("newsletter", "2027-01", 1).await.unwrap());
    }

    /// Several workers claiming at the same moment, each through its own connections (on
    /// PostgreSQL: `FOR UPDATE SKIP LOCKED`), never get the same row.
    async fn concurrent_claims_are_disjoint(db: &TestDb) {
        let emails: Vec<String> = (0..200).map(|i| format!("p{i:03}@x.example")).collect();
        let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
        let store = store_with(db, &refs).await;
        assert_eq!(store.deliveries_enqueue("i1", 0).await.unwrap(), 200);
        let mut tasks = tokio::task::JoinSet::new();
        for w in 0..4 {
            let store = db.open().await;
            tasks.spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let got = store
                        .deliveries_claim(Some("i1"), &format!("w{w}"), 10, 60, 7)
                        .await
                        .unwrap();
                    if got.is_empty() {
                        break;
                    }
                    mine.extend(got.into_iter().map(|c| c.email));
                }
                store.close().await;
                mine
            });
        }
        let mut all = Vec::new();
        while let Some(mine) = tasks.join_next().await {
            all.extend(mine.unwrap());
        }
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!((n, all.len()), (200, 200), "every row claimed exactly once");
        let leases = store.leases().await.unwrap();
        assert_eq!(leases.iter().map(|l| l.deliveries).sum::<usize>(), 200);
        assert!(leases.iter().all(|l| l.until == 70 && l.jobs == 0), "{leases:?}");
        store.close().await;
    }

    /// A worker renews its leases while it works, so its rows are not taken over; on
    /// shutdown it gives back what it has not sent, uncounted, and its running job.
    async fn leases_are_renewed_and_released(db: &TestDb) {
        let store = store_with(db, &["a@x.example", "b@x.example"]).await;
        store.deliveries_enqueue("i1", 0).await.unwrap();
        let held = store.deliveries_claim(None, "w1", 100, 10, 2).await.unwrap();
        assert_eq!(held.len(), 2);
        assert_eq!(store.deliveries_renew("w1", 108, 10).await.unwrap(), 2);
        assert_eq!(store.deliveries_renew("w2", 108, 10).await.unwrap(), 0, "only its own");
        assert!(
            store.deliveries_claim(None, "w2", 112, 10, 5).await.unwrap().is_empty(),
            "renewed until 118"
        );
        store
            .delivery_sent("i1", &held[0].email, "w1", "<m>", 113)
            .await
            .unwrap();
        store.job_schedule("newsletter", "i2", 0, "UTC", "x", 0).await.unwrap();
        let job = store.job_claim_due("w1", 113, 60).await.unwrap().unwrap();
        assert_eq!(store.release("w1", 114).await.unwrap(), (1, 1));
        let again = store.deliveries_claim(None, "w2", 114, 10, 5).await.unwrap();
        assert_eq!(again.len(), 1, "released rows are due at once");
        assert_eq!(
            (again[0].email.as_str(), again[0].attempts),
            (held[1].email.as_str(), 1)
        );
        assert_eq!(store.job_claim_due("w2", 114, 60).await.unwrap().unwrap().id, job.id);
        // The ledger names who sent what.
        store
            .delivery_sent("i1", &again[0].email, "w2", "<m2>", 115)
            .await
            .unwrap();
        assert_eq!(
            store.sent_by_worker("i1").await.unwrap(),
            [("w1".to_string(), 1), ("w2".to_string(), 1)]
        );
        store.close().await;
    }

    async fn sends_in_progress_and_leases_per_worker(db: &TestDb) {
        let store = store_with(db, &["a@x.example", "b@x.example", "c@x.example"]).await;
        store.deliveries_enqueue("i1", 0).await.unwrap();
        store.deliveries_enqueue("i0", 0).await.unwrap();
        for c in store.deliveries_claim(Some("i0"), "w0", 0, 60, 3).await.unwrap() {
            store.delivery_sent("i0", &c.email, "w0", "<m>", 1).await.unwrap();
        }
        store.deliveries_claim(Some("i1"), "w1", 5, 60, 1).await.unwrap();
        store.deliveries_claim(Some("i1"), "w2", 5, 30, 1).await.unwrap();
        let progress = store.sends_in_progress().await.unwrap();
        assert_eq!(progress.len(), 1, "a finished issue is not in progress: {progress:?}");
        assert_eq!(progress[0].0, "i1");
        assert_eq!((progress[0].1.queued, progress[0].1.sending), (1, 2));
        let leases = store.leases().await.unwrap();
        let shown: Vec<_> = leases
            .iter()
            .map(|l| (l.owner.as_str(), l.deliveries, l.until))
            .collect();
        assert_eq!(shown, [("w1", 1, 65), ("w2", 1, 35)]);
        store.close().await;
    }

    /// Work due once (a scheduled publish) is done by one worker, once; a dead owner's job is
    /// taken over after its lease.
    async fn once_jobs_are_claimed_by_one_worker(db: &TestDb) {
        let store = db.open().await;
        let job = store.job_claim_once("publish", "a@100", "w1", 100, 30).await.unwrap();
        assert!(job.is_some());
        assert!(
            store
                .job_claim_once("publish", "a@100", "w2", 101, 30)
                .await
                .unwrap()
                .is_none()
        );
        let taken = store.job_claim_once("publish", "a@100", "w2", 131, 30).await.unwrap();
        assert_eq!(
            taken.map(|j| j.id),
            job.as_ref().map(|j| j.id),
            "w1 died: w2 takes over"
        );
        store.job_finish(job.unwrap().id, "w2", None, 132).await.unwrap();
        assert!(
            store
                .job_claim_once("publish", "a@100", "w3", 200, 30)
                .await
                .unwrap()
                .is_none(),
            "done once, never again"
        );
        let failing = store
            .job_claim_once("publish", "a@200", "w3", 200, 30)
            .await
            .unwrap()
            .unwrap();
        store
            .job_finish(failing.id, "w3", Some("WordPress is down"), 201)
            .await
            .unwrap();
        assert!(
            store
                .job_claim_once("publish", "a@200", "w1", 202, 30)
                .await
                .unwrap()
                .is_some(),
            "a failed one is tried again"
        );
        store.close().await;
    }

    on_both_backends!(
        import_updates_and_never_resubscribes,
        ledger_claims_each_row_once_and_resumes_expired_leases,
        an_unsubscribe_skips_the_rest_of_a_send,
        orphans_of_a_dead_sender_are_claimable_at_once,
        jobs_are_scheduled_moved_claimed_once_and_cancelled,
        concurrent_claims_are_disjoint,
        leases_are_renewed_and_released,
        sends_in_progress_and_leases_per_worker,
        once_jobs_are_claimed_by_one_worker,
    );
}
