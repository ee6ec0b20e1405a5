//! Sending an issue now (`nashr newsletter send`): it queues the issue for every active
//! subscriber and sends until every delivery is finished, waiting a while for retries. An
//! interrupted send resumes where the ledger says.

use std::time::Duration;

use nashr_content::newsletter::TransportKind;
use nashr_content::{Error, Project};
use nashr_newsletter::deliver::{now, sender_lock, store_err};
use nashr_store::DeliveryCounts;

use crate::{DEFAULT_LEASE_SECS, Report, plural, setup};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOptions {
    /// `None`: `[newsletter] transport`.
    pub transport: Option<TransportKind>,
    /// How long to wait for temporarily refused messages to be retried; later retries are
    /// left to the worker.
    pub wait: Duration,
}

/// How a send ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// Another process (a worker or a send) is sending from this SQLite store: nothing was
    /// done.
    Busy,
    /// The issue's ledger after the send, and the addresses it could not deliver to in this
    /// run, with the server's answer.
    Done {
        counts: DeliveryCounts,
        failed: Vec<(String, String)>,
    },
}

/// Sends `issue` to every active subscriber; its progress (queued, retries, a resumed
/// interruption) goes to `report` as it happens.
pub async fn send(
    project: &Project,
    issue: &str,
    options: &SendOptions,
    report: &mut dyn Report,
) -> Result<Sent, Error> {
    let store = setup::open_store(project).await?;
    // A SQLite store has one sender at a time; on PostgreSQL this send shares the work with
    // the workers, and leases (not a lock) free what a dead sender held.
    let mut _lock = None;
    if !store.is_shared() {
        _lock = sender_lock(&nashr_publish::store_path(project))?;
        if _lock.is_none() {
            return Ok(Sent::Busy);
        }
        let orphans = store.deliveries_reclaim_orphans(now()).await.map_err(store_err)?;
        if orphans > 0 {
            report.warn(&format!(
                "resuming after an interruption: {orphans} message{} may have reached the server already and {} sent again (see ARCHITECTURE.md, delivery ledger)",
                plural(orphans),
                if orphans == 1 { "is" } else { "are" }
            ));
        }
    }
    let kind = setup::transport_kind(project, options.transport);
    let mut sender = setup::sender(project, kind, store.clone(), DEFAULT_LEASE_SECS, report)?;
    let result = sender
        .send_issue(issue, options.wait, &mut |line| report.info(&line))
        .await;
    store.close().await;
    let (counts, failed) = result?;
    Ok(Sent::Done { counts, failed })
}
