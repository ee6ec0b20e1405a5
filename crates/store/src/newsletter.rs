//! Newsletter state: subscribers, the per-recipient delivery ledger and scheduled jobs.
//!
//! Times are Unix seconds (UTC) passed in by the caller, so the state machine is testable and
//! the same on PostgreSQL later. Claims are single `UPDATE … WHERE rowid IN (SELECT … LIMIT n)
//! RETURNING` statements: atomic in SQLite, and the shape `FOR UPDATE SKIP LOCKED` takes on
//! PostgreSQL (#7), where several workers claim at once and the lease is what frees the rows
//! of a worker that died.

use sqlx::Row;

use crate::{Store, StoreError};

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

fn subscriber_row(r: &sqlx::sqlite::SqliteRow) -> Result<Subscriber, StoreError> {
    Ok(Subscriber {
        email: r.try_get(0)?,
        name: r.try_get(1)?,
        locale: r.try_get(2)?,
        consent: r.try_get(3)?,
        status: r.try_get(4)?,
        status_reason: r.try_get(5)?,
    })
}

fn job_row(r: &sqlx::sqlite::SqliteRow) -> Result<Job, StoreError> {
    Ok(Job {
        id: r.try_get(0)?,
        kind: r.try_get(1)?,
        target: r.try_get(2)?,
        run_at: r.try_get(3)?,
        tz: r.try_get(4)?,
        local_time: r.try_get(5)?,
        state: r.try_get(6)?,
        error: r.try_get(7)?,
    })
}

const JOB_COLUMNS: &str = "id, kind, target, run_at, tz, local_time, state, error";

impl Store {
    /// Adds or updates subscribers in one transaction (all or nothing). An address that
    /// unsubscribed or bounced stays so: importing an old list never re-subscribes anyone.
    pub async fn subscribers_import(&self, rows: &[NewSubscriber], now: &str) -> Result<ImportReport, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut report = ImportReport::default();
        for s in rows {
            let status: Option<String> = sqlx::query("SELECT status FROM subscribers WHERE email = ?")
                .bind(&s.email)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
            match status.as_deref() {
                None => report.added += 1,
                Some("active") => report.updated += 1,
                Some(_) => report.kept_suppressed += 1,
            }
            sqlx::query(
                "INSERT INTO subscribers (email, name, locale, consent, status, created_at, updated_at)
                 VALUES (?, ?, ?, ?, 'active', ?, ?)
                 ON CONFLICT (email) DO UPDATE SET name = excluded.name, locale = excluded.locale,
                   consent = excluded.consent, updated_at = excluded.updated_at",
            )
            .bind(&s.email)
            .bind(&s.name)
            .bind(&s.locale)
            .bind(&s.consent)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(report)
    }

    /// Subscribers by address, optionally only those with `status`.
    pub async fn subscribers(&self, status: Option<&str>) -> Result<Vec<Subscriber>, StoreError> {
        let rows = sqlx::query(
            "SELECT email, name, locale, consent, status, status_reason FROM subscribers
             WHERE ?1 IS NULL OR status = ?1 ORDER BY email",
        )
        .bind(status)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(subscriber_row).collect()
    }

    pub async fn subscriber(&self, email: &str) -> Result<Option<Subscriber>, StoreError> {
        let row =
            sqlx::query("SELECT email, name, locale, consent, status, status_reason FROM subscribers WHERE email = ?")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| subscriber_row(&r)).transpose()
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
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("UPDATE subscribers SET status = ?, status_reason = ?, updated_at = ? WHERE email = ?")
            .bind(status)
            .bind(reason)
            .bind(now)
            .bind(email)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if status != "active" {
            sqlx::query("UPDATE deliveries SET state = 'skipped', last_error = ? WHERE email = ? AND state IN ('queued', 'retry')")
                .bind(format!("subscriber {status}"))
                .bind(email)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Queues `issue` for every active subscriber that has no delivery of it yet; returns how
    /// many were queued. Running it again (after a crash, say) queues nobody twice.
    pub async fn deliveries_enqueue(&self, issue: &str, now: i64) -> Result<usize, StoreError> {
        let n = sqlx::query(
            "INSERT OR IGNORE INTO deliveries (issue, email, locale, state, updated_at)
             SELECT ?, email, locale, 'queued', ? FROM subscribers WHERE status = 'active'",
        )
        .bind(issue)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n as usize)
    }

    /// Claims up to `limit` due deliveries (of `issue`, or of any issue) for `owner` until
    /// `now + lease`: queued ones, retries whose time has come, and `sending` ones whose lease
    /// ran out (their sender died). Rows of suppressed subscribers are skipped first.
    pub async fn deliveries_claim(
        &self,
        issue: Option<&str>,
        owner: &str,
        now: i64,
        lease: i64,
        limit: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        let rows = sqlx::query(
            "UPDATE deliveries SET state = 'sending', attempts = attempts + 1, lease_owner = ?1,
               lease_until = ?2 + ?3, next_attempt_at = ?2 + ?3, updated_at = ?2
             WHERE rowid IN (
               SELECT rowid FROM deliveries
               WHERE state IN ('queued', 'retry', 'sending') AND next_attempt_at <= ?2
                 AND (?4 IS NULL OR issue = ?4)
                 AND EXISTS (SELECT 1 FROM subscribers s WHERE s.email = deliveries.email AND s.status = 'active')
               ORDER BY next_attempt_at
               LIMIT ?5)
             RETURNING issue, email, locale, attempts,
               (SELECT name FROM subscribers s WHERE s.email = deliveries.email)",
        )
        .bind(owner)
        .bind(now)
        .bind(lease)
        .bind(issue)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            // The subscriber's name comes with the claim (one statement, not one per row).
            let name: Option<String> = r.try_get(4)?;
            out.push(Claimed {
                issue: r.try_get(0)?,
                email: r.try_get(1)?,
                locale: r.try_get(2)?,
                name: name.unwrap_or_default(),
                attempts: r.try_get(3)?,
            });
        }
        Ok(out)
    }

    /// Marks `skipped` the unsent deliveries of subscribers no longer active (the claim
    /// already passes over them; this makes the counts final).
    pub async fn deliveries_skip_inactive(&self, now: i64) -> Result<usize, StoreError> {
        let n = sqlx::query(
            "UPDATE deliveries SET state = 'skipped', last_error = 'subscriber no longer active', updated_at = ?
             WHERE state IN ('queued', 'retry')
               AND NOT EXISTS (SELECT 1 FROM subscribers s WHERE s.email = deliveries.email AND s.status = 'active')",
        )
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n as usize)
    }

    /// Frees every `sending` row (and running job), whoever claimed it: for a sender that knows it is the only
    /// one (it holds the store's sender lock), those rows were left by a process that died.
    /// Returns how many: each may have been accepted by the server before the crash.
    pub async fn deliveries_reclaim_orphans(&self, now: i64) -> Result<usize, StoreError> {
        sqlx::query("UPDATE jobs SET state = 'scheduled', lease_owner = NULL WHERE state = 'running'")
            .execute(&self.pool)
            .await?;
        let n = sqlx::query(
            "UPDATE deliveries SET state = 'queued', lease_owner = NULL, next_attempt_at = 0, updated_at = ? WHERE state = 'sending'",
        )
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n as usize)
    }

    /// Records an accepted message. Only the claim's owner can record it.
    pub async fn delivery_sent(
        &self,
        issue: &str,
        email: &str,
        owner: &str,
        message_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE deliveries SET state = 'sent', message_id = ?, last_error = NULL, lease_owner = NULL, updated_at = ?
             WHERE issue = ? AND email = ? AND state = 'sending' AND lease_owner = ?",
        )
        .bind(message_id)
        .bind(now)
        .bind(issue)
        .bind(email)
        .bind(owner)
        .execute(&self.pool)
        .await?;
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
        sqlx::query(
            "UPDATE deliveries SET state = 'retry', last_error = ?, next_attempt_at = ?, lease_owner = NULL, updated_at = ?
             WHERE issue = ? AND email = ? AND state = 'sending' AND lease_owner = ?",
        )
        .bind(error)
        .bind(next_attempt_at)
        .bind(now)
        .bind(issue)
        .bind(email)
        .bind(owner)
        .execute(&self.pool)
        .await?;
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
        sqlx::query(
            "UPDATE deliveries SET state = 'failed', last_error = ?, lease_owner = NULL, updated_at = ?
             WHERE issue = ? AND email = ? AND state = 'sending' AND lease_owner = ?",
        )
        .bind(error)
        .bind(now)
        .bind(issue)
        .bind(email)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        if suppress {
            self.subscriber_set_status(email, "bounced", error, now_text).await?;
        }
        Ok(())
    }

    pub async fn delivery_counts(&self, issue: &str) -> Result<DeliveryCounts, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) FROM deliveries WHERE issue = ? GROUP BY state")
            .bind(issue)
            .fetch_all(&self.pool)
            .await?;
        let mut c = DeliveryCounts::default();
        for r in rows {
            let state: String = r.try_get(0)?;
            let n: i64 = r.try_get(1)?;
            let n = n as usize;
            match state.as_str() {
                "queued" => c.queued = n,
                "sending" => c.sending = n,
                "sent" => c.sent = n,
                "retry" => c.retry = n,
                "failed" => c.failed = n,
                _ => c.skipped = n,
            }
        }
        Ok(c)
    }

    /// `(email, last error)` of the failed deliveries of `issue`.
    pub async fn deliveries_failed(&self, issue: &str) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT email, COALESCE(last_error, '') FROM deliveries WHERE issue = ? AND state = 'failed' ORDER BY email")
            .bind(issue)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// When the next retry of `issue` (or of any issue) is due, if any is waiting.
    pub async fn next_retry_at(&self, issue: Option<&str>) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query(
            "SELECT MIN(next_attempt_at) FROM deliveries WHERE state = 'retry' AND (?1 IS NULL OR issue = ?1)",
        )
        .bind(issue)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get(0)?)
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
        let mut tx = self.pool.begin().await?;
        let moved = sqlx::query(
            "UPDATE jobs SET run_at = ?, tz = ?, local_time = ? WHERE kind = ? AND target = ? AND state = 'scheduled'",
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
                "INSERT INTO jobs (kind, target, run_at, tz, local_time, state, created_at) VALUES (?, ?, ?, ?, ?, 'scheduled', ?)",
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
            "SELECT {JOB_COLUMNS} FROM jobs WHERE kind = ? AND target = ? AND state IN ('scheduled', 'running')"
        ))
        .bind(kind)
        .bind(target)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        job_row(&row)
    }

    /// Cancels the scheduled job of `kind` × `target`; returns whether there was one.
    pub async fn job_cancel(&self, kind: &str, target: &str, now: i64) -> Result<bool, StoreError> {
        let n = sqlx::query("UPDATE jobs SET state = 'cancelled', finished_at = ? WHERE kind = ? AND target = ? AND state = 'scheduled'")
            .bind(now)
            .bind(kind)
            .bind(target)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    /// Jobs not finished (scheduled or running), soonest first.
    pub async fn jobs_pending(&self) -> Result<Vec<Job>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE state IN ('scheduled', 'running') ORDER BY run_at, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_row).collect()
    }

    /// Claims the next due job: scheduled and due, or running with an expired lease.
    pub async fn job_claim_due(&self, owner: &str, now: i64, lease: i64) -> Result<Option<Job>, StoreError> {
        let row = sqlx::query(&format!(
            "UPDATE jobs SET state = 'running', lease_owner = ?1, lease_until = ?2 + ?3
             WHERE id = (SELECT id FROM jobs
                         WHERE (state = 'scheduled' AND run_at <= ?2) OR (state = 'running' AND lease_until < ?2)
                         ORDER BY run_at, id LIMIT 1)
             RETURNING {JOB_COLUMNS}"
        ))
        .bind(owner)
        .bind(now)
        .bind(lease)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| job_row(&r)).transpose()
    }

    /// Extends a running job's lease.
    pub async fn job_renew(&self, id: i64, owner: &str, until: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_owner = ? AND state = 'running'")
            .bind(until)
            .bind(id)
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn job_finish(&self, id: i64, error: Option<&str>, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE jobs SET state = ?, error = ?, finished_at = ?, lease_owner = NULL WHERE id = ?")
            .bind(if error.is_some() { "failed" } else { "done" })
            .bind(error)
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(email: &str, locale: &str) -> NewSubscriber {
        NewSubscriber {
            email: email.into(),
            name: "N".into(),
            locale: locale.into(),
            consent: "express".into(),
        }
    }

    async fn store_with(emails: &[&str]) -> Store {
        let store = Store::in_memory().await.unwrap();
        let rows: Vec<_> = emails.iter().map(|e| sub(e, "fa")).collect();
        store.subscribers_import(&rows, "t0").await.unwrap();
        store
    }

    #[tokio::test]
    async fn import_updates_and_never_resubscribes() {
        let store = store_with(&["a@x.example", "b@x.example"]).await;
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

    #[tokio::test]
    async fn ledger_claims_each_row_once_and_resumes_expired_leases() {
        let store = store_with(&["a@x.example", "b@x.example", "c@x.example"]).await;
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

    #[tokio::test]
    async fn an_unsubscribe_skips_the_rest_of_a_send() {
        let store = store_with(&["a@x.example", "b@x.example"]).await;
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
        sqlx::query("UPDATE subscribers SET status = 'bounced' WHERE email = 'a@x.example'")
            .execute(&store.pool)
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

    #[tokio::test]
    async fn orphans_of_a_dead_sender_are_claimable_at_once() {
        let store = store_with(&["a@x.example"]).await;
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

    #[tokio::test]
    async fn jobs_are_scheduled_moved_claimed_once_and_cancelled() {
        let store = Store::in_memory().await.unwrap();
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
        store.job_finish(job.id, None, 2002).await.unwrap();
        assert!(store.jobs_pending().await.unwrap().is_empty());
        store
            .job_schedule("newsletter", "2027-01", 5000, "UTC", "z", 0)
            .await
            .unwrap();
        assert!(store.job_cancel("newsletter", "2027-01", 1).await.unwrap());
        assert!(!store.job_cancel("newsletter", "2027-01", 1).await.unwrap());
    }
}
