//! The subscriber list (`nashr subscribers import`, `list`, `unsubscribe`).

use std::path::Path;

use nashr_content::{Error, Project};
use nashr_newsletter::deliver::store_err;
use nashr_store::{ImportReport, NewSubscriber, Subscriber, SubscriberStatus};

use crate::{Report, setup};

/// Adds or updates the subscribers of a CSV file (email,name,locale,consent), all or none.
/// Its warnings go to `report`; its errors (with their lines) are an [`Error::Input`] and
/// change nothing. An import never re-subscribes an address that unsubscribed or bounced.
pub async fn import(project: &Project, file: &Path, report: &mut dyn Report) -> Result<ImportReport, Error> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
    let parsed = nashr_newsletter::csv::parse(project, file, &text);
    for w in &parsed.warnings {
        report.warn(w);
    }
    if !parsed.errors.is_empty() {
        return Err(Error::Input(parsed.errors));
    }
    let rows: Vec<NewSubscriber> = parsed
        .rows
        .into_iter()
        .map(|r| NewSubscriber {
            email: r.email,
            name: r.name,
            locale: r.locale,
            consent: r.consent,
        })
        .collect();
    let store = setup::open_store(project).await?;
    let imported = store
        .subscribers_import(&rows, &jiff::Timestamp::now().to_string())
        .await
        .map_err(store_err);
    store.close().await;
    imported
}

/// Subscribers by address, optionally only those with `status`.
pub async fn list(project: &Project, status: Option<SubscriberStatus>) -> Result<Vec<Subscriber>, Error> {
    let store = setup::open_store(project).await?;
    let subscribers = store.subscribers(status).await.map_err(store_err);
    store.close().await;
    subscribers
}

/// An address as the store keys it: trimmed and lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Unsubscribes `email` (normalized) on the editor's behalf: it gets no further message,
/// including the rest of a send in progress. Returns whether it is a subscriber.
pub async fn unsubscribe(project: &Project, email: &str) -> Result<bool, Error> {
    let store = setup::open_store(project).await?;
    let known = store
        .subscriber_set_status(
            &normalize_email(email),
            SubscriberStatus::Unsubscribed,
            "unsubscribed by the editor",
            &jiff::Timestamp::now().to_string(),
        )
        .await
        .map_err(store_err);
    store.close().await;
    known
}
