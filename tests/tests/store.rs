//! The state store on both backends (SQLite and PostgreSQL): the publish ledger, migrations,
//! and the newsletter's subscribers, delivery ledger, jobs and leases.

mod ledger {
    use nashr_store::{LedgerEntry, MediaEntry, Store};
    use nashr_tests::on_both_backends;
    use nashr_tests::store_db::TestDb;

    fn entry(hash: &str) -> LedgerEntry {
        LedgerEntry {
            target: "wp".into(),
            article: "acupuncture".into(),
            locale: "fa".into(),
            remote_id: 42,
            remote_url: "https://fa.example/acupuncture/".into(),
            hash: hash.into(),
            updated_at: "2026-11-26T00:00:00Z".into(),
        }
    }

    async fn ledger_survives_reopening_and_upserts(db: &TestDb) {
        let store = db.open().await;
        assert_eq!(store.schema_version().await.unwrap(), 3);
        assert_eq!(store.ledger_get("wp", "acupuncture", "fa").await.unwrap(), None);
        store.ledger_put(&entry("a")).await.unwrap();
        store.ledger_put(&entry("b")).await.unwrap();
        store.close().await;

        // Reopening runs no migration twice and finds the row, updated in place.
        let store = db.open().await;
        assert!(store.schema_status().await.unwrap().pending.is_empty());
        assert_eq!(store.ledger_entries("wp").await.unwrap(), vec![entry("b")]);
        assert!(store.ledger_entries("other").await.unwrap().is_empty());
        store.close().await;
    }

    async fn media_by_site_and_hash(db: &TestDb) {
        let store = db.open().await;
        let m = MediaEntry {
            target: "wp".into(),
            site: "https://fa.example/".into(),
            hash: "abc".into(),
            remote_id: 7,
            remote_url: "https://fa.example/wp-content/uploads/hero.svg".into(),
        };
        store.media_put(&m).await.unwrap();
        assert_eq!(
            store.media_get("wp", "https://fa.example/", "abc").await.unwrap(),
            Some(m)
        );
        assert_eq!(store.media_get("wp", "https://en.example/", "abc").await.unwrap(), None);
        store.close().await;
    }

    async fn a_newer_schema_is_reported_not_clobbered(db: &TestDb) {
        let store = db.open().await;
        // A store written by a newer nashr (a migration this binary does not know).
        let checksum = match store.backend_name() {
            "sqlite" => "X'00'",
            _ => "'\\x00'::bytea",
        };
        db.execute(&format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
                 VALUES (99, 'future', TRUE, {checksum}, 0)"
        ))
        .await;
        store.close().await;
        let err = Store::connect(&db.location).await.unwrap_err();
        assert!(err.to_string().contains("cannot update the schema"), "{err}");
        let status = Store::connect_unmigrated(&db.location)
            .await
            .unwrap()
            .schema_status()
            .await
            .unwrap();
        assert_eq!(status.unknown, vec![99]);
    }

    async fn migrations_are_versioned_and_pending_ones_shown(db: &TestDb) {
        let store = Store::connect_unmigrated(&db.location).await.unwrap();
        let status = store.schema_status().await.unwrap();
        assert!(status.applied.is_empty(), "{status:?}");
        assert_eq!(status.pending.iter().map(|(v, _)| *v).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(store.migrate().await.unwrap(), [1, 2, 3]);
        assert_eq!(store.migrate().await.unwrap(), Vec::<i64>::new(), "each runs once");
        assert_eq!(store.schema_version().await.unwrap(), 3);
        store.close().await;
    }

    on_both_backends!(
        ledger_survives_reopening_and_upserts,
        media_by_site_and_hash,
        a_newer_schema_is_reported_not_clobbered,
        migrations_are_versioned_and_pending_ones_shown,
    );
}

mod newsletter {
    use nashr_store::{FailedDelivery, ImportReport, JobKind, NewSubscriber, Store, SubscriberStatus};
    use nashr_tests::on_both_backends;
    use nashr_tests::store_db::TestDb;

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
            .subscriber_set_status("b@x.example", SubscriberStatus::Unsubscribed, "asked", "t1")
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
            SubscriberStatus::Unsubscribed
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
            .delivery_failed(
                &FailedDelivery {
                    issue: "i1",
                    email: &retried[0].email,
                    owner: "w3",
                    error: "550",
                    bounced: true,
                },
                201,
                "t",
            )
            .await
            .unwrap();
        assert_eq!(
            store.subscriber(&retried[0].email).await.unwrap().unwrap().status,
            SubscriberStatus::Bounced
        );
        let c = store.delivery_counts("i1").await.unwrap();
        assert_eq!((c.sent, c.failed, c.sending), (1, 1, 1));
        assert!(!c.finished());
    }

    async fn an_unsubscribe_skips_the_rest_of_a_send(db: &TestDb) {
        let store = store_with(db, &["a@x.example", "b@x.example"]).await;
        store.deliveries_enqueue("i1", 0).await.unwrap();
        store
            .subscriber_set_status("b@x.example", SubscriberStatus::Unsubscribed, "one-click", "t")
            .await
            .unwrap();
        let claimed = store.deliveries_claim(None, "w", 0, 60, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].email, "a@x.example");
        assert_eq!(store.delivery_counts("i1").await.unwrap().skipped, 1);
        // A status changed behind the store's back is caught by the claim and the sweep.
        store.deliveries_enqueue("i2", 0).await.unwrap();
        db.execute("UPDATE subscribers SET status = 'bounced' WHERE email = 'a@x.example'")
            .await;
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
            .job_schedule(JobKind::Newsletter, "2026-12", 1000, "UTC", "x", 0)
            .await
            .unwrap();
        let moved = store
            .job_schedule(JobKind::Newsletter, "2026-12", 2000, "UTC", "y", 0)
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
            .job_schedule(JobKind::Newsletter, "2027-01", 5000, "UTC", "z", 0)
            .await
            .unwrap();
        assert!(store.job_cancel(JobKind::Newsletter, "2027-01", 1).await.unwrap());
        assert!(!store.job_cancel(JobKind::Newsletter, "2027-01", 1).await.unwrap());
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
        store
            .job_schedule(JobKind::Newsletter, "i2", 0, "UTC", "x", 0)
            .await
            .unwrap();
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
        let job = store
            .job_claim_once(JobKind::Publish, "a@100", "w1", 100, 30)
            .await
            .unwrap();
        assert!(job.is_some());
        assert!(
            store
                .job_claim_once(JobKind::Publish, "a@100", "w2", 101, 30)
                .await
                .unwrap()
                .is_none()
        );
        let taken = store
            .job_claim_once(JobKind::Publish, "a@100", "w2", 131, 30)
            .await
            .unwrap();
        assert_eq!(
            taken.map(|j| j.id),
            job.as_ref().map(|j| j.id),
            "w1 died: w2 takes over"
        );
        store.job_finish(job.unwrap().id, "w2", None, 132).await.unwrap();
        assert!(
            store
                .job_claim_once(JobKind::Publish, "a@100", "w3", 200, 30)
                .await
                .unwrap()
                .is_none(),
            "done once, never again"
        );
        let failing = store
            .job_claim_once(JobKind::Publish, "a@200", "w3", 200, 30)
            .await
            .unwrap()
            .unwrap();
        store
            .job_finish(failing.id, "w3", Some("WordPress is down"), 201)
            .await
            .unwrap();
        assert!(
            store
                .job_claim_once(JobKind::Publish, "a@200", "w1", 202, 30)
                .await
                .unwrap()
                .is_some(),
            "a failed one is tried again"
        );
        store.close().await;
    }

    /// A name no enum knows (a store changed by hand, or by another program) is an error
    /// that names it. (Writing one cannot be expressed: the store's API takes the enums, and
    /// the subscriber table's CHECK constraint refuses other statuses.)
    async fn unknown_names_are_errors(db: &TestDb) {
        let store = store_with(db, &["a@x.example"]).await;
        store
            .job_schedule(JobKind::Newsletter, "i1", 0, "UTC", "x", 0)
            .await
            .unwrap();
        db.execute("UPDATE jobs SET kind = 'reindex'").await;
        let err = store.jobs_pending().await.unwrap_err().to_string();
        assert_eq!(err, "state store: unknown job kind `reindex`");
        store.close().await;
    }

    on_both_backends!(
        unknown_names_are_errors,
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
